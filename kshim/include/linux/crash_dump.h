/* SPDX-License-Identifier: MIT */
/* kshim: whether this kernel is a kdump capture kernel (runtime's answer). */
#ifndef KSHIM_LINUX_CRASH_DUMP_H
#define KSHIM_LINUX_CRASH_DUMP_H

#include <linux/types.h>

extern bool is_kdump_kernel(void);

#endif
