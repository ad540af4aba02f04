/* SPDX-License-Identifier: MIT */
/* kshim: mm_struct reference counting (runtime-provided): mmget/mmput hold the
 * address space alive, mmgrab/mmdrop only the structure. */
#ifndef KSHIM_LINUX_SCHED_MM_H
#define KSHIM_LINUX_SCHED_MM_H

#include <linux/mm_types.h>
#include <linux/types.h>

extern bool mmget_not_zero(struct mm_struct *mm);
extern void mmget(struct mm_struct *mm);
extern void mmput(struct mm_struct *mm);
extern void mmgrab(struct mm_struct *mm);
extern void mmdrop(struct mm_struct *mm);

#endif
