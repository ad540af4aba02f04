/* SPDX-License-Identifier: MIT */
/* kshim: module parameters are plain variables (set by the runtime before
 * module init if needed); the declarations are discarded. */
#ifndef KSHIM_LINUX_MODULEPARAM_H
#define KSHIM_LINUX_MODULEPARAM_H

#define module_param(name, type, perm) _Static_assert(1, "")
#define module_param_named(name, value, type, perm) _Static_assert(1, "")
#define MODULE_PARM_DESC(name, desc) _Static_assert(1, "")

#endif
