/* SPDX-License-Identifier: MIT */
/* kshim: module metadata (discarded), symbol exports (no-ops) and module
 * init/exit registration (see linux/init.h). */
#ifndef KSHIM_LINUX_MODULE_H
#define KSHIM_LINUX_MODULE_H

#include <linux/export.h>
#include <linux/init.h>
#include <linux/moduleparam.h>

struct module;
#define THIS_MODULE ((struct module *)0)

/* Expand to a harmless declaration so the trailing ';' stays valid. */
#define KSHIM_NOTHING_DECL _Static_assert(1, "")

#define MODULE_LICENSE(s) KSHIM_NOTHING_DECL
#define MODULE_AUTHOR(s) KSHIM_NOTHING_DECL
#define MODULE_DESCRIPTION(s) KSHIM_NOTHING_DECL
#define MODULE_ALIAS(s) KSHIM_NOTHING_DECL
#define MODULE_SOFTDEP(s) KSHIM_NOTHING_DECL
#define MODULE_IMPORT_NS(ns) KSHIM_NOTHING_DECL
#define MODULE_DEVICE_TABLE(type, name) KSHIM_NOTHING_DECL

#define module_init(fn) kshim_initcall(fn)
#define module_exit(fn) kshim_exitcall(fn)

/* Register a driver with reg(&drv) at module init and unreg(&drv) at exit. */
#define module_driver(drv, reg, unreg, ...)                                                        \
    static int __init drv##_init(void) {                                                           \
        return reg(&(drv), ##__VA_ARGS__);                                                         \
    }                                                                                              \
    module_init(drv##_init);                                                                       \
    static void __exit drv##_exit(void) {                                                          \
        unreg(&(drv), ##__VA_ARGS__);                                                              \
    }                                                                                              \
    module_exit(drv##_exit)

#endif
