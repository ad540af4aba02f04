/* SPDX-License-Identifier: MIT */
/* kshim: branch hints, compiler barrier, READ_ONCE/WRITE_ONCE. */
#ifndef KSHIM_LINUX_COMPILER_H
#define KSHIM_LINUX_COMPILER_H

#include <linux/compiler_types.h>

#define likely(x) __builtin_expect(!!(x), 1)
#define unlikely(x) __builtin_expect(!!(x), 0)

/* Compiler-only barrier: forbids reordering of memory accesses across it. */
#define barrier() __asm__ __volatile__("" ::: "memory")

/* Single, untorn access through a volatile lvalue of the same type. */
#define READ_ONCE(x) (*(const volatile typeof(x) *)&(x))
#define WRITE_ONCE(x, val)                                                                         \
    do {                                                                                           \
        *(volatile typeof(x) *)&(x) = (val);                                                       \
    } while (0)

#define data_race(expr) (expr)
#define OPTIMIZER_HIDE_VAR(var) __asm__("" : "=r"(var) : "0"(var))

/* Zero-sized value that fails to compile when the condition is true. */
#define BUILD_BUG_ON_ZERO(cond) ((int)sizeof(struct { int : (-!!(cond)); }))
#define __must_be_array(a) BUILD_BUG_ON_ZERO(__same_type((a), &(a)[0]))

#endif
