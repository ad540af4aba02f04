/* SPDX-License-Identifier: MIT */
/* kshim: ktime_t arithmetic; ktime_get() reads the runtime's virtual clock. */
#ifndef KSHIM_LINUX_KTIME_H
#define KSHIM_LINUX_KTIME_H

#include <linux/types.h>

#define NSEC_PER_USEC 1000L
#define NSEC_PER_MSEC 1000000L
#define USEC_PER_MSEC 1000L
#define NSEC_PER_SEC 1000000000L
#define USEC_PER_SEC 1000000L
#define MSEC_PER_SEC 1000L

/* Monotonic virtual time in nanoseconds; advances only as the runtime decides
 * (e.g. on delays), so timeouts are deterministic. */
extern ktime_t ktime_get(void);

static inline ktime_t ktime_add_ns(ktime_t kt, u64 ns) {
    return kt + (s64)ns;
}
static inline ktime_t ktime_add_us(ktime_t kt, u64 us) {
    return kt + (s64)us * NSEC_PER_USEC;
}
static inline ktime_t ktime_add_ms(ktime_t kt, u64 ms) {
    return kt + (s64)ms * NSEC_PER_MSEC;
}
static inline ktime_t ktime_sub(ktime_t a, ktime_t b) {
    return a - b;
}
static inline int ktime_compare(ktime_t a, ktime_t b) {
    return a < b ? -1 : a > b ? 1 : 0;
}
static inline bool ktime_after(ktime_t a, ktime_t b) {
    return a > b;
}
static inline bool ktime_before(ktime_t a, ktime_t b) {
    return a < b;
}
static inline s64 ktime_to_ns(ktime_t kt) {
    return kt;
}
static inline s64 ktime_to_us(ktime_t kt) {
    return kt / NSEC_PER_USEC;
}
static inline s64 ktime_us_delta(ktime_t later, ktime_t earlier) {
    return ktime_to_us(later - earlier);
}

#endif
