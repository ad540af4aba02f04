/* SPDX-License-Identifier: MIT */
/* kshim: memory barriers.  Every barrier is a compiler barrier plus a call to
 * the runtime hook kshim_barrier(), where the runtime publishes driver stores
 * to (and fetches updates from) the simulated hardware. */
#ifndef KSHIM_ASM_BARRIER_H
#define KSHIM_ASM_BARRIER_H

#include <linux/compiler.h>

extern void kshim_barrier(void);

#define kshim_full_barrier()                                                                       \
    do {                                                                                           \
        __atomic_thread_fence(__ATOMIC_SEQ_CST);                                                   \
        kshim_barrier();                                                                           \
    } while (0)

#define mb() kshim_full_barrier()
#define rmb() kshim_full_barrier()
#define wmb() kshim_full_barrier()
#define dma_mb() kshim_full_barrier()
#define dma_rmb() kshim_full_barrier()
#define dma_wmb() kshim_full_barrier()
#define smp_mb() kshim_full_barrier()
#define smp_rmb() kshim_full_barrier()
#define smp_wmb() kshim_full_barrier()
#define smp_mb__before_atomic() kshim_full_barrier()
#define smp_mb__after_atomic() kshim_full_barrier()
#define __iomb() kshim_full_barrier()
#define __iormb() kshim_full_barrier()
#define __iowmb() kshim_full_barrier()

/* arm64 event instructions: SEV is a barrier-like publication point; WFE waits
 * for one, so both go through the hook (a WFE must let the hardware run). */
#define sev() kshim_full_barrier()
#define sevl() kshim_full_barrier()
#define wfe() kshim_full_barrier()
#define wfi() kshim_full_barrier()

#define smp_store_release(p, v)                                                                    \
    do {                                                                                           \
        kshim_full_barrier();                                                                      \
        WRITE_ONCE(*(p), (v));                                                                     \
    } while (0)

#define smp_load_acquire(p)                                                                        \
    ({                                                                                             \
        typeof(*(p)) kshim_la_v = READ_ONCE(*(p));                                                 \
        kshim_full_barrier();                                                                      \
        kshim_la_v;                                                                                \
    })

/*
 * Spin until cond_expr (which may name VAL, the freshly read *ptr) is true.
 * Each iteration passes through kshim_barrier(): the polled word may be updated
 * by the simulated hardware only at such a point.
 */
#define smp_cond_load_relaxed(ptr, cond_expr)                                                      \
    ({                                                                                             \
        typeof(ptr) kshim_cl_p = (ptr);                                                            \
        typeof(*(ptr)) VAL;                                                                        \
        for (;;) {                                                                                 \
            VAL = READ_ONCE(*kshim_cl_p);                                                          \
            if (cond_expr) break;                                                                  \
            kshim_full_barrier();                                                                  \
        }                                                                                          \
        VAL;                                                                                       \
    })

#define smp_cond_load_acquire(ptr, cond_expr)                                                      \
    ({                                                                                             \
        typeof(*(ptr)) kshim_cla_v = smp_cond_load_relaxed(ptr, cond_expr);                        \
        kshim_full_barrier();                                                                      \
        kshim_cla_v;                                                                               \
    })

#endif
