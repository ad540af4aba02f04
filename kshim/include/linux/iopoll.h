/* SPDX-License-Identifier: MIT */
/* kshim: poll a register until a condition holds or a timeout expires.  Time
 * comes from ktime_get() and delays from udelay(), both virtual, so the outcome
 * is deterministic.  Evaluates to 0 or -ETIMEDOUT. */
#ifndef KSHIM_LINUX_IOPOLL_H
#define KSHIM_LINUX_IOPOLL_H

#include <asm/barrier.h>
#include <linux/delay.h>
#include <linux/errno.h>
#include <linux/io.h>
#include <linux/ktime.h>

/*
 * val = op(args...) is re-read until cond is true.  A zero timeout_us waits
 * forever.  With a zero delay_us each iteration still passes through
 * kshim_barrier() so the hardware model can make progress.
 */
#define read_poll_timeout(op, val, cond, delay_us, timeout_us, delay_before_read, args...)         \
    ({                                                                                             \
        u64 kshim_pt_timeout = (timeout_us);                                                       \
        unsigned long kshim_pt_delay = (delay_us);                                                 \
        ktime_t kshim_pt_end = ktime_add_us(ktime_get(), kshim_pt_timeout);                        \
        if ((delay_before_read) && kshim_pt_delay) udelay(kshim_pt_delay);                         \
        for (;;) {                                                                                 \
            (val) = op(args);                                                                      \
            if (cond) break;                                                                       \
            if (kshim_pt_timeout && ktime_compare(ktime_get(), kshim_pt_end) > 0) {                \
                (val) = op(args);                                                                  \
                break;                                                                             \
            }                                                                                      \
            if (kshim_pt_delay)                                                                    \
                udelay(kshim_pt_delay);                                                            \
            else                                                                                   \
                kshim_barrier();                                                                   \
        }                                                                                          \
        (cond) ? 0 : -ETIMEDOUT;                                                                   \
    })

#define read_poll_timeout_atomic read_poll_timeout

#define readx_poll_timeout(op, addr, val, cond, delay_us, timeout_us)                              \
    read_poll_timeout(op, val, cond, delay_us, timeout_us, false, addr)
#define readx_poll_timeout_atomic readx_poll_timeout

#define readl_poll_timeout(addr, val, cond, delay_us, timeout_us)                                  \
    readx_poll_timeout(readl, addr, val, cond, delay_us, timeout_us)
#define readl_poll_timeout_atomic readl_poll_timeout
#define readl_relaxed_poll_timeout(addr, val, cond, delay_us, timeout_us)                          \
    readx_poll_timeout(readl_relaxed, addr, val, cond, delay_us, timeout_us)
#define readl_relaxed_poll_timeout_atomic readl_relaxed_poll_timeout
#define readq_poll_timeout(addr, val, cond, delay_us, timeout_us)                                  \
    readx_poll_timeout(readq, addr, val, cond, delay_us, timeout_us)
#define readq_relaxed_poll_timeout(addr, val, cond, delay_us, timeout_us)                          \
    readx_poll_timeout(readq_relaxed, addr, val, cond, delay_us, timeout_us)

#endif
