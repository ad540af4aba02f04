/* SPDX-License-Identifier: MIT */
/* kshim: rounding and division helpers (ALIGN, DIV_ROUND_UP, round_up, ...). */
#ifndef KSHIM_LINUX_MATH_H
#define KSHIM_LINUX_MATH_H

/* Power-of-two alignment. */
#define ALIGN(x, a) (((x) + ((typeof(x))(a)-1)) & ~((typeof(x))(a)-1))
#define ALIGN_DOWN(x, a) ((x) & ~((typeof(x))(a)-1))
#define IS_ALIGNED(x, a) (((x) & ((typeof(x))(a)-1)) == 0)
#define PTR_ALIGN(p, a) ((typeof(p))ALIGN((unsigned long)(p), (a)))
#define round_up(x, y) ((((x)-1) | ((typeof(x))(y)-1)) + 1)
#define round_down(x, y) ((x) & ~((typeof(x))(y)-1))

/* Arbitrary divisors. */
#define DIV_ROUND_UP(n, d) (((n) + (d)-1) / (d))
#define DIV_ROUND_UP_ULL(n, d) DIV_ROUND_UP((unsigned long long)(n), (d))
#define roundup(x, y) ((((x) + ((y)-1)) / (y)) * (y))
#define rounddown(x, y) ((x) - ((x) % (y)))

#define upper_32_bits(n) ((u32)(((n) >> 16) >> 16))
#define lower_32_bits(n) ((u32)((n)&0xffffffff))
#define upper_16_bits(n) ((u16)((n) >> 16))
#define lower_16_bits(n) ((u16)((n)&0xffff))

#define abs(x)                                                                                     \
    ({                                                                                             \
        typeof(x) kshim_abs_v = (x);                                                               \
        kshim_abs_v < 0 ? -kshim_abs_v : kshim_abs_v;                                              \
    })

#endif
