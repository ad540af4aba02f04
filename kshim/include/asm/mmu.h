/* SPDX-License-Identifier: MIT */
/* kshim: arm64 MMU context facts (KPTI state), answered by the runtime. */
#ifndef KSHIM_ASM_MMU_H
#define KSHIM_ASM_MMU_H

#include <linux/types.h>

/* True when the kernel is unmapped at EL0 (KPTI), halving usable ASIDs. */
extern bool arm64_kernel_unmapped_at_el0(void);

#endif
