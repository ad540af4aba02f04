/* SPDX-License-Identifier: MIT */
/* kshim: the grab-bag kernel.h: ARRAY_SIZE, min/max, rounding, printk,
 * might_sleep() and the headers kernel code expects kernel.h to pull in. */
#ifndef KSHIM_LINUX_KERNEL_H
#define KSHIM_LINUX_KERNEL_H

#include <asm/barrier.h>
#include <asm/byteorder.h>
#include <linux/bitops.h>
#include <linux/bug.h>
#include <linux/compiler.h>
#include <linux/container_of.h>
#include <linux/err.h>
#include <linux/export.h>
#include <linux/limits.h>
#include <linux/log2.h>
#include <linux/math.h>
#include <linux/minmax.h>
#include <linux/printk.h>
#include <linux/stddef.h>
#include <linux/string.h>
#include <linux/types.h>
#include <stdarg.h>

#define ARRAY_SIZE(arr) (sizeof(arr) / sizeof((arr)[0]) + __must_be_array(arr))

#define __stringify_1(x) #x
#define __stringify(x) __stringify_1(x)

/* Single-threaded, non-preemptive user space: scheduling points are no-ops. */
#define might_sleep()                                                                              \
    do {                                                                                           \
    } while (0)
#define might_sleep_if(cond)                                                                       \
    do {                                                                                           \
    } while (0)
#define cond_resched() ((void)0)
/* Polling hint: lets the runtime advance the simulated hardware, see
 * kshim_barrier() in asm/barrier.h. */
#define cpu_relax() kshim_full_barrier()

/* Number of CPUs the simulated machine reports. */
extern unsigned int kshim_num_possible_cpus(void);
#define num_possible_cpus() kshim_num_possible_cpus()
#define num_online_cpus() kshim_num_possible_cpus()

extern __printf(3, 4) int snprintf(char *buf, size_t size, const char *fmt, ...);
extern int vsnprintf(char *buf, size_t size, const char *fmt, va_list args);
extern __printf(2, 3) char *kasprintf(gfp_t gfp, const char *fmt, ...);
extern int kstrtoul(const char *s, unsigned int base, unsigned long *res);

#endif
