/* SPDX-License-Identifier: MIT */
/* kshim: sparse annotations (empty in kshim) and GCC/clang attribute spellings
 * used by kernel sources. */
#ifndef KSHIM_LINUX_COMPILER_TYPES_H
#define KSHIM_LINUX_COMPILER_TYPES_H

/* Sparse address-space and endianness annotations: no meaning to a C compiler. */
#define __iomem
#define __user
#define __kernel
#define __force
#define __rcu
#define __percpu
#define __bitwise
#define __safe
#define __private
#define __nocast
#define __acquires(x)
#define __releases(x)
#define __must_hold(x)
#define __cond_lock(x, c) (c)

/* Function and object attributes. */
#define __always_inline inline __attribute__((__always_inline__))
#define noinline __attribute__((__noinline__))
#define __noreturn __attribute__((__noreturn__))
#define __cold __attribute__((__cold__))
#define __pure __attribute__((__pure__))
#define __maybe_unused __attribute__((__unused__))
#define __always_unused __attribute__((__unused__))
#define __used __attribute__((__used__))
#define __weak __attribute__((__weak__))
#define __packed __attribute__((__packed__))
#define __aligned(n) __attribute__((__aligned__(n)))
#define __section(s) __attribute__((__section__(s)))
#define __must_check __attribute__((__warn_unused_result__))
#define __printf(fmt_idx, first_arg) __attribute__((__format__(printf, fmt_idx, first_arg)))
#define __scanf(fmt_idx, first_arg) __attribute__((__format__(scanf, fmt_idx, first_arg)))
#define __noipa __attribute__((__noinline__))
#define __no_sanitize_address
#define notrace
#define __visible
#define __flatten
#define __counted_by(member)
#define __nonstring
#define __randomize_layout
#define __no_randomize_layout

#if defined(__clang__)
#define fallthrough __attribute__((__fallthrough__))
#elif __GNUC__ >= 7
#define fallthrough __attribute__((__fallthrough__))
#else
#define fallthrough                                                                                \
    do {                                                                                           \
    } while (0)
#endif

/* Type helpers. */
#define __same_type(a, b) __builtin_types_compatible_p(typeof(a), typeof(b))

/* Section placement is irrelevant in user space. */
#define __init
#define __exit
#define __initdata
#define __initconst
#define __exitdata
#define __read_mostly
#define __ro_after_init
#define __refdata

/* arm64 has 64-byte cache lines (L1_CACHE_SHIFT == 6). */
#define L1_CACHE_SHIFT 6
#define L1_CACHE_BYTES (1 << L1_CACHE_SHIFT)
#define SMP_CACHE_BYTES L1_CACHE_BYTES
#define ____cacheline_aligned __attribute__((__aligned__(SMP_CACHE_BYTES)))
#define ____cacheline_aligned_in_smp ____cacheline_aligned
#define __cacheline_aligned ____cacheline_aligned
#define __cacheline_aligned_in_smp ____cacheline_aligned

#endif
