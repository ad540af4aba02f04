/* SPDX-License-Identifier: MIT */
/* kshim (Linux 6.1): struct mm_struct (carries the SVA PASID). */
#ifndef KSHIM_V6_1_MM_STRUCT_H
#define KSHIM_V6_1_MM_STRUCT_H

#include <asm/pgtable-types.h>

/*
 * A process address space.  pgd is a kernel virtual (host) pointer to the
 * top-level arm64 translation table, which the runtime places in simulated
 * physical memory: the SMMU walks it at virt_to_phys(mm->pgd).  Reference
 * counting (mmget/mmput/mmgrab/mmdrop) is done by the runtime.
 */
struct mm_struct {
    pgd_t *pgd;
    u32 pasid; /* CONFIG_IOMMU_SVA: PASID bound to this mm, set by the core */
};

#endif
