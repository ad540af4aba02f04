/* SPDX-License-Identifier: MIT */
/* kshim: CPU MMU context helpers (arm64 ASID pinning). */
#ifndef KSHIM_LINUX_MMU_CONTEXT_H
#define KSHIM_LINUX_MMU_CONTEXT_H

#include <asm/mmu_context.h>
#include <linux/mm_types.h>

#endif
