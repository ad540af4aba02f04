/* SPDX-License-Identifier: MIT */
/* kshim: integer base-2 logarithms and power-of-two rounding. */
#ifndef KSHIM_LINUX_LOG2_H
#define KSHIM_LINUX_LOG2_H

#include <linux/bitops.h>

/* floor(log2(n)) for n > 0; folds to a constant for constant n. */
#define ilog2(n) ((int)(63 - __builtin_clzll((unsigned long long)(n))))

static inline bool is_power_of_2(unsigned long n) {
    return n != 0 && (n & (n - 1)) == 0;
}

/* Smallest power of two >= n (n > 0). */
static inline unsigned long roundup_pow_of_two(unsigned long n) {
    return n <= 1 ? 1UL : 1UL << fls_long(n - 1);
}

/* Largest power of two <= n (n > 0). */
static inline unsigned long rounddown_pow_of_two(unsigned long n) {
    return 1UL << (fls_long(n) - 1);
}

/* ceil(log2(n)), 0 for n <= 1. */
static inline int order_base_2(unsigned long n) {
    return n <= 1 ? 0 : (int)fls_long(n - 1);
}

#endif
