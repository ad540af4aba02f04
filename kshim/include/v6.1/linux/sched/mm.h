/* SPDX-License-Identifier: MIT */
/* kshim (Linux 6.1): mm reference counting (runtime-provided), and the mm's
 * PASID (CONFIG_IOMMU_SVA): set by the core's first allocation for the mm,
 * given back to the IOASID allocator when the mm is freed (__mmdrop). */
#ifndef KSHIM_V6_1_LINUX_SCHED_MM_H
#define KSHIM_V6_1_LINUX_SCHED_MM_H

#include <linux/ioasid.h>
#include <linux/kernel.h>
#include <linux/mm_types.h>
#include <linux/types.h>

extern bool mmget_not_zero(struct mm_struct *mm);
extern void mmget(struct mm_struct *mm);
extern void mmput(struct mm_struct *mm);
extern void mmgrab(struct mm_struct *mm);
extern void mmdrop(struct mm_struct *mm);

static inline void mm_pasid_init(struct mm_struct *mm) {
    mm->pasid = INVALID_IOASID;
}

static inline void mm_pasid_set(struct mm_struct *mm, u32 pasid) {
    mm->pasid = pasid;
}

static inline void mm_pasid_drop(struct mm_struct *mm) {
    if (pasid_valid(mm->pasid)) {
        ioasid_free(mm->pasid);
        mm->pasid = INVALID_IOASID;
    }
}

#endif
