/* SPDX-License-Identifier: MIT */
/* kshim: initcalls.  Instead of running at boot, each registered init/exit
 * function gets a pointer in the "kshim_initcalls"/"kshim_exitcalls" sections;
 * the runtime walks __start_kshim_initcalls..__stop_kshim_initcalls (symbols
 * the GNU/LLVM linkers define for such sections) to "load" the module. */
#ifndef KSHIM_LINUX_INIT_H
#define KSHIM_LINUX_INIT_H

#include <linux/compiler.h>

typedef int (*initcall_t)(void);
typedef void (*exitcall_t)(void);

#define kshim_initcall(fn)                                                                         \
    static initcall_t kshim_initcall_##fn __used __section("kshim_initcalls") = fn
#define kshim_exitcall(fn)                                                                         \
    static exitcall_t kshim_exitcall_##fn __used __section("kshim_exitcalls") = fn

#define core_initcall(fn) kshim_initcall(fn)
#define arch_initcall(fn) kshim_initcall(fn)
#define subsys_initcall(fn) kshim_initcall(fn)
#define fs_initcall(fn) kshim_initcall(fn)
#define device_initcall(fn) kshim_initcall(fn)
#define late_initcall(fn) kshim_initcall(fn)

#endif
