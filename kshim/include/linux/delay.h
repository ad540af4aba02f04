/* SPDX-License-Identifier: MIT */
/* kshim: busy-waits and sleeps, all routed to one runtime hook that advances
 * the virtual clock (and lets the simulated hardware run). */
#ifndef KSHIM_LINUX_DELAY_H
#define KSHIM_LINUX_DELAY_H

#include <linux/types.h>

extern void kshim_delay_ns(u64 ns);

#define ndelay(ns) kshim_delay_ns((u64)(ns))
#define udelay(us) kshim_delay_ns((u64)(us)*1000ULL)
#define mdelay(ms) kshim_delay_ns((u64)(ms)*1000000ULL)
#define msleep(ms) kshim_delay_ns((u64)(ms)*1000000ULL)
#define usleep_range(lo_us, hi_us) kshim_delay_ns((u64)(lo_us)*1000ULL)
#define fsleep(us) kshim_delay_ns((u64)(us)*1000ULL)

#endif
