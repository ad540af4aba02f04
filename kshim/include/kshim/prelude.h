/* SPDX-License-Identifier: MIT */
/* kshim: what the kernel build force-includes in every translation unit
 * (configuration predicates and compiler attribute macros). */
#ifndef KSHIM_PRELUDE_H
#define KSHIM_PRELUDE_H

#include <linux/compiler_types.h>
#include <linux/kconfig.h>

#endif
