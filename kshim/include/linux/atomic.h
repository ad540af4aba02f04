/* SPDX-License-Identifier: MIT */
/* kshim: atomic_t / atomic64_t / atomic_long_t and cmpxchg, built on the
 * compiler's __atomic builtins. */
#ifndef KSHIM_LINUX_ATOMIC_H
#define KSHIM_LINUX_ATOMIC_H

#include <asm/barrier.h>
#include <linux/types.h>

#define KSHIM_RLX __ATOMIC_RELAXED
#define KSHIM_ACQ __ATOMIC_ACQUIRE
#define KSHIM_REL __ATOMIC_RELEASE
#define KSHIM_SC __ATOMIC_SEQ_CST

/* cmpxchg family: returns the previous value of *ptr. */
#define kshim_cmpxchg(ptr, old, new, order)                                                        \
    ({                                                                                             \
        typeof(*(ptr)) kshim_cx_old = (old);                                                       \
        __atomic_compare_exchange_n((ptr), &kshim_cx_old, (new), false, (order), KSHIM_RLX);       \
        kshim_cx_old;                                                                              \
    })
#define cmpxchg(ptr, o, n) kshim_cmpxchg(ptr, o, n, KSHIM_SC)
#define cmpxchg_relaxed(ptr, o, n) kshim_cmpxchg(ptr, o, n, KSHIM_RLX)
#define cmpxchg_acquire(ptr, o, n) kshim_cmpxchg(ptr, o, n, KSHIM_ACQ)
#define cmpxchg_release(ptr, o, n) kshim_cmpxchg(ptr, o, n, KSHIM_REL)
#define cmpxchg64(ptr, o, n) cmpxchg(ptr, o, n)
#define cmpxchg64_relaxed(ptr, o, n) cmpxchg_relaxed(ptr, o, n)
#define cmpxchg64_release(ptr, o, n) cmpxchg_release(ptr, o, n)
#define xchg(ptr, v) __atomic_exchange_n((ptr), (v), KSHIM_SC)
#define xchg_relaxed(ptr, v) __atomic_exchange_n((ptr), (v), KSHIM_RLX)

/*
 * The same operation set for each atomic type: T is the atomic type, V its
 * value type, P the function-name prefix.
 */
#define KSHIM_ATOMIC_OPS(P, T, V)                                                                  \
    static inline V P##_read(const T *a) {                                                         \
        return __atomic_load_n(&a->counter, KSHIM_RLX);                                            \
    }                                                                                              \
    static inline V P##_read_acquire(const T *a) {                                                 \
        return __atomic_load_n(&a->counter, KSHIM_ACQ);                                            \
    }                                                                                              \
    static inline void P##_set(T *a, V v) {                                                        \
        __atomic_store_n(&a->counter, v, KSHIM_RLX);                                               \
    }                                                                                              \
    static inline void P##_set_release(T *a, V v) {                                                \
        __atomic_store_n(&a->counter, v, KSHIM_REL);                                               \
    }                                                                                              \
    static inline void P##_add(V v, T *a) {                                                        \
        __atomic_fetch_add(&a->counter, v, KSHIM_RLX);                                             \
    }                                                                                              \
    static inline void P##_sub(V v, T *a) {                                                        \
        __atomic_fetch_sub(&a->counter, v, KSHIM_RLX);                                             \
    }                                                                                              \
    static inline void P##_inc(T *a) {                                                             \
        P##_add(1, a);                                                                             \
    }                                                                                              \
    static inline void P##_dec(T *a) {                                                             \
        P##_sub(1, a);                                                                             \
    }                                                                                              \
    static inline void P##_or(V v, T *a) {                                                         \
        __atomic_fetch_or(&a->counter, v, KSHIM_RLX);                                              \
    }                                                                                              \
    static inline void P##_and(V v, T *a) {                                                        \
        __atomic_fetch_and(&a->counter, v, KSHIM_RLX);                                             \
    }                                                                                              \
    static inline void P##_xor(V v, T *a) {                                                        \
        __atomic_fetch_xor(&a->counter, v, KSHIM_RLX);                                             \
    }                                                                                              \
    static inline void P##_andnot(V v, T *a) {                                                     \
        P##_and(~v, a);                                                                            \
    }                                                                                              \
    static inline V P##_add_return(V v, T *a) {                                                    \
        return __atomic_add_fetch(&a->counter, v, KSHIM_SC);                                       \
    }                                                                                              \
    static inline V P##_sub_return(V v, T *a) {                                                    \
        return __atomic_sub_fetch(&a->counter, v, KSHIM_SC);                                       \
    }                                                                                              \
    static inline V P##_inc_return(T *a) {                                                         \
        return P##_add_return(1, a);                                                               \
    }                                                                                              \
    static inline V P##_dec_return(T *a) {                                                         \
        return P##_sub_return(1, a);                                                               \
    }                                                                                              \
    static inline V P##_dec_return_release(T *a) {                                                 \
        return __atomic_sub_fetch(&a->counter, 1, KSHIM_REL);                                      \
    }                                                                                              \
    static inline bool P##_dec_and_test(T *a) {                                                    \
        return P##_dec_return(a) == 0;                                                             \
    }                                                                                              \
    static inline bool P##_inc_and_test(T *a) {                                                    \
        return P##_inc_return(a) == 0;                                                             \
    }                                                                                              \
    static inline V P##_fetch_add_relaxed(V v, T *a) {                                             \
        return __atomic_fetch_add(&a->counter, v, KSHIM_RLX);                                      \
    }                                                                                              \
    static inline V P##_fetch_inc_relaxed(T *a) {                                                  \
        return P##_fetch_add_relaxed(1, a);                                                        \
    }                                                                                              \
    static inline V P##_fetch_inc(T *a) {                                                          \
        return __atomic_fetch_add(&a->counter, 1, KSHIM_SC);                                       \
    }                                                                                              \
    static inline V P##_fetch_andnot_relaxed(V v, T *a) {                                          \
        return __atomic_fetch_and(&a->counter, ~v, KSHIM_RLX);                                     \
    }                                                                                              \
    static inline V P##_fetch_andnot_release(V v, T *a) {                                          \
        return __atomic_fetch_and(&a->counter, ~v, KSHIM_REL);                                     \
    }                                                                                              \
    static inline V P##_fetch_or(V v, T *a) {                                                      \
        return __atomic_fetch_or(&a->counter, v, KSHIM_SC);                                        \
    }                                                                                              \
    static inline V P##_xchg(T *a, V v) {                                                          \
        return __atomic_exchange_n(&a->counter, v, KSHIM_SC);                                      \
    }                                                                                              \
    static inline V P##_cmpxchg_mo(T *a, V old, V new, int order) {                                \
        __atomic_compare_exchange_n(&a->counter, &old, new, false, order, KSHIM_RLX);              \
        return old;                                                                                \
    }                                                                                              \
    static inline V P##_cmpxchg(T *a, V o, V n) {                                                  \
        return P##_cmpxchg_mo(a, o, n, KSHIM_SC);                                                  \
    }                                                                                              \
    static inline V P##_cmpxchg_relaxed(T *a, V o, V n) {                                          \
        return P##_cmpxchg_mo(a, o, n, KSHIM_RLX);                                                 \
    }                                                                                              \
    static inline V P##_cmpxchg_acquire(T *a, V o, V n) {                                          \
        return P##_cmpxchg_mo(a, o, n, KSHIM_ACQ);                                                 \
    }                                                                                              \
    static inline V P##_cmpxchg_release(T *a, V o, V n) {                                          \
        return P##_cmpxchg_mo(a, o, n, KSHIM_REL);                                                 \
    }                                                                                              \
    static inline bool P##_try_cmpxchg(T *a, V *old, V new) {                                      \
        return __atomic_compare_exchange_n(&a->counter, old, new, false, KSHIM_SC, KSHIM_RLX);     \
    }                                                                                              \
    static inline bool P##_add_unless(T *a, V v, V unless) {                                       \
        V cur = P##_read(a);                                                                       \
        do {                                                                                       \
            if (cur == unless) return false;                                                       \
        } while (!P##_try_cmpxchg(a, &cur, cur + v));                                              \
        return true;                                                                               \
    }                                                                                              \
    static inline bool P##_inc_not_zero(T *a) {                                                    \
        return P##_add_unless(a, 1, 0);                                                            \
    }

KSHIM_ATOMIC_OPS(atomic, atomic_t, int)
KSHIM_ATOMIC_OPS(atomic64, atomic64_t, s64)
KSHIM_ATOMIC_OPS(atomic_long, atomic_long_t, long)

/* Polling reads: see smp_cond_load_relaxed() in asm/barrier.h. */
#define atomic_cond_read_relaxed(a, c) smp_cond_load_relaxed(&(a)->counter, (c))
#define atomic_cond_read_acquire(a, c) smp_cond_load_acquire(&(a)->counter, (c))
#define atomic64_cond_read_relaxed(a, c) smp_cond_load_relaxed(&(a)->counter, (c))
#define atomic_long_cond_read_relaxed(a, c) smp_cond_load_relaxed(&(a)->counter, (c))
#define atomic_long_cond_read_acquire(a, c) smp_cond_load_acquire(&(a)->counter, (c))

#endif
