/* SPDX-License-Identifier: MIT */
/* kshim: arm64 CPU ASID pinning for address spaces shared with an SMMU
 * (runtime-provided). */
#ifndef KSHIM_ASM_MMU_CONTEXT_H
#define KSHIM_ASM_MMU_CONTEXT_H

struct mm_struct;

/* Pin mm's CPU ASID so it can be shared with a device; returns the ASID, or 0
 * if none can be pinned.  Every successful get is balanced by a put. */
extern unsigned long arm64_mm_context_get(struct mm_struct *mm);
extern void arm64_mm_context_put(struct mm_struct *mm);

#endif
