/* SPDX-License-Identifier: MIT */
/* kshim: arm64 virtual address width.  The kernel's configured VA_BITS is 48;
 * the width actually in use (vabits_actual) is the runtime's answer. */
#ifndef KSHIM_ASM_MEMORY_H
#define KSHIM_ASM_MEMORY_H

#include <linux/types.h>

#define VA_BITS 48
#define VA_BITS_MIN 48

extern u64 kshim_arm64_vabits_actual(void);
#define vabits_actual kshim_arm64_vabits_actual()

#endif
