/* SPDX-License-Identifier: MIT */
/* kshim: min/max/clamp (each argument evaluated once) and swap. */
#ifndef KSHIM_LINUX_MINMAX_H
#define KSHIM_LINUX_MINMAX_H

#define kshim_pick(a, b, op)                                                                       \
    ({                                                                                             \
        typeof(a) kshim_pa = (a);                                                                  \
        typeof(b) kshim_pb = (b);                                                                  \
        kshim_pa op kshim_pb ? kshim_pa : kshim_pb;                                                \
    })

#define min(a, b) kshim_pick(a, b, <)
#define max(a, b) kshim_pick(a, b, >)
#define min_t(type, a, b) kshim_pick((type)(a), (type)(b), <)
#define max_t(type, a, b) kshim_pick((type)(a), (type)(b), >)
#define umin(a, b) min_t(unsigned long long, a, b)
#define umax(a, b) max_t(unsigned long long, a, b)
#define min3(a, b, c) min(min(a, b), c)
#define max3(a, b, c) max(max(a, b), c)
#define clamp(val, lo, hi) min(max(val, lo), hi)
#define clamp_t(type, val, lo, hi) min_t(type, max_t(type, val, lo), hi)
#define clamp_val(val, lo, hi) clamp_t(typeof(val), val, lo, hi)

#define swap(a, b)                                                                                 \
    do {                                                                                           \
        typeof(a) kshim_swap_tmp = (a);                                                            \
        (a) = (b);                                                                                 \
        (b) = kshim_swap_tmp;                                                                      \
    } while (0)

#endif
