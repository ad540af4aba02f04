/* SPDX-License-Identifier: MIT */
/* kshim: bit searching/counting helpers and atomic bit operations on unsigned
 * long bitmaps. */
#ifndef KSHIM_LINUX_BITOPS_H
#define KSHIM_LINUX_BITOPS_H

#include <linux/bits.h>
#include <linux/types.h>

#define BITS_TO_LONGS(nr) (((nr) + BITS_PER_LONG - 1) / BITS_PER_LONG)
#define BITS_TO_U64(nr) (((nr) + 63) / 64)

/* Index of the least significant set bit; undefined for 0. */
static inline unsigned long __ffs(unsigned long word) {
    return (unsigned long)__builtin_ctzl(word);
}

/* Index of the most significant set bit; undefined for 0. */
static inline unsigned long __fls(unsigned long word) {
    return (unsigned long)(BITS_PER_LONG - 1 - __builtin_clzl(word));
}

/* Index of the least significant zero bit; undefined for ~0UL. */
static inline unsigned long ffz(unsigned long word) {
    return __ffs(~word);
}

/* 1-based position of the least significant set bit, 0 for 0. */
static inline int ffs(int x) {
    return __builtin_ffs(x);
}

/* 1-based position of the most significant set bit, 0 for 0. */
static inline int fls(unsigned int x) {
    return x ? 32 - __builtin_clz(x) : 0;
}

static inline int fls64(u64 x) {
    return x ? 64 - __builtin_clzll(x) : 0;
}

static inline unsigned int fls_long(unsigned long x) {
    return (unsigned int)fls64(x);
}

/* Population count without compiler builtins (which may call into libgcc). */
static inline unsigned int kshim_popcount64(u64 w) {
    w = w - ((w >> 1) & 0x5555555555555555ULL);
    w = (w & 0x3333333333333333ULL) + ((w >> 2) & 0x3333333333333333ULL);
    w = (w + (w >> 4)) & 0x0f0f0f0f0f0f0f0fULL;
    return (unsigned int)((w * 0x0101010101010101ULL) >> 56);
}

static inline unsigned int hweight8(unsigned int w) {
    return kshim_popcount64(w & 0xffU);
}
static inline unsigned int hweight16(unsigned int w) {
    return kshim_popcount64(w & 0xffffU);
}
static inline unsigned int hweight32(unsigned int w) {
    return kshim_popcount64(w);
}
static inline unsigned long hweight64(u64 w) {
    return kshim_popcount64(w);
}
static inline unsigned long hweight_long(unsigned long w) {
    return kshim_popcount64(w);
}

static inline u32 ror32(u32 word, unsigned int shift) {
    return (word >> (shift & 31)) | (word << ((-shift) & 31));
}

/* Atomic (sequentially consistent) bit operations. */
static inline void set_bit(long nr, volatile unsigned long *addr) {
    __atomic_fetch_or(addr + BIT_WORD(nr), BIT_MASK(nr), __ATOMIC_SEQ_CST);
}

static inline void clear_bit(long nr, volatile unsigned long *addr) {
    __atomic_fetch_and(addr + BIT_WORD(nr), ~BIT_MASK(nr), __ATOMIC_SEQ_CST);
}

static inline int test_and_set_bit(long nr, volatile unsigned long *addr) {
    return !!(__atomic_fetch_or(addr + BIT_WORD(nr), BIT_MASK(nr), __ATOMIC_SEQ_CST) &
              BIT_MASK(nr));
}

static inline int test_and_clear_bit(long nr, volatile unsigned long *addr) {
    return !!(__atomic_fetch_and(addr + BIT_WORD(nr), ~BIT_MASK(nr), __ATOMIC_SEQ_CST) &
              BIT_MASK(nr));
}

/* Non-atomic variants. */
static inline void __set_bit(long nr, volatile unsigned long *addr) {
    addr[BIT_WORD(nr)] |= BIT_MASK(nr);
}

static inline void __clear_bit(long nr, volatile unsigned long *addr) {
    addr[BIT_WORD(nr)] &= ~BIT_MASK(nr);
}

static inline bool test_bit(long nr, const volatile unsigned long *addr) {
    return (addr[BIT_WORD(nr)] >> (nr % BITS_PER_LONG)) & 1UL;
}

/* Next set bit at or after "start" in a bitmap of "size" bits; size if none. */
static inline unsigned long find_next_bit(const unsigned long *addr, unsigned long size,
                                          unsigned long start) {
    while (start < size) {
        unsigned long word = addr[BIT_WORD(start)] >> (start % BITS_PER_LONG);
        if (word) {
            start += __ffs(word);
            return start < size ? start : size;
        }
        start = (BIT_WORD(start) + 1) * BITS_PER_LONG;
    }
    return size;
}

static inline unsigned long find_first_bit(const unsigned long *addr, unsigned long size) {
    return find_next_bit(addr, size, 0);
}

/* Next clear bit at or after "start"; size if none. */
static inline unsigned long find_next_zero_bit(const unsigned long *addr, unsigned long size,
                                               unsigned long start) {
    for (; start < size; start++)
        if (!test_bit((long)start, addr)) return start;
    return size;
}

static inline unsigned long find_first_zero_bit(const unsigned long *addr, unsigned long size) {
    return find_next_zero_bit(addr, size, 0);
}

#define for_each_set_bit(bit, addr, size)                                                          \
    for ((bit) = find_first_bit((addr), (size)); (bit) < (size);                                   \
         (bit) = find_next_bit((addr), (size), (bit) + 1))

#endif
