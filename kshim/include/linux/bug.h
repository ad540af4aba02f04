/* SPDX-License-Identifier: MIT */
/* kshim: WARN and BUG reporting (routed to the kshim runtime) and build-time
 * assertions. */
#ifndef KSHIM_LINUX_BUG_H
#define KSHIM_LINUX_BUG_H

#include <linux/compiler.h>
#include <linux/types.h>

/* Runtime hooks: a WARN condition fired at file:line ("what" is the source text
 * of the condition); a BUG is fatal. */
extern void kshim_warn(const char *file, int line, const char *what);
extern __noreturn void kshim_bug(const char *file, int line);
extern __printf(1, 2) int printk(const char *fmt, ...);

/* Every firing is reported, including the *_ONCE forms; the runtime may
 * deduplicate by file and line. */
#define WARN_ON(cond)                                                                              \
    ({                                                                                             \
        bool kshim_warn_hit = !!(cond);                                                            \
        if (unlikely(kshim_warn_hit)) kshim_warn(__FILE__, __LINE__, #cond);                       \
        unlikely(kshim_warn_hit);                                                                  \
    })

#define WARN(cond, ...)                                                                            \
    ({                                                                                             \
        bool kshim_warn_hit = !!(cond);                                                            \
        if (unlikely(kshim_warn_hit)) {                                                            \
            kshim_warn(__FILE__, __LINE__, #cond);                                                 \
            printk(__VA_ARGS__);                                                                   \
        }                                                                                          \
        unlikely(kshim_warn_hit);                                                                  \
    })

#define WARN_ON_ONCE(cond) WARN_ON(cond)
#define WARN_ONCE(cond, ...) WARN(cond, __VA_ARGS__)

#define BUG() kshim_bug(__FILE__, __LINE__)
#define BUG_ON(cond)                                                                               \
    do {                                                                                           \
        if (unlikely(cond)) BUG();                                                                 \
    } while (0)

/* CONFIG_DEBUG_VM is off: the condition is type-checked, never evaluated. */
#define VM_BUG_ON(cond) ((void)sizeof((long)(cond)))
#define VM_WARN_ON(cond) ((void)sizeof((long)(cond)))
#define VM_WARN_ON_ONCE(cond) ((void)sizeof((long)(cond)))

#define static_assert(expr, ...) _Static_assert(expr, "" __VA_ARGS__ " " #expr)
#define BUILD_BUG_ON(cond) _Static_assert(!(cond), "BUILD_BUG_ON(" #cond ")")
#define BUILD_BUG_ON_MSG(cond, msg) _Static_assert(!(cond), msg)
#define BUILD_BUG() BUILD_BUG_ON(1)

#endif
