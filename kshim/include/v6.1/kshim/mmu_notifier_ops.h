/* SPDX-License-Identifier: MIT */
/* kshim (Linux 6.1): MMU notifier callbacks (secondary-TLB invalidation is
 * invalidate_range; end is exclusive). */
#ifndef KSHIM_V6_1_MMU_NOTIFIER_OPS_H
#define KSHIM_V6_1_MMU_NOTIFIER_OPS_H

struct mm_struct;
struct mmu_notifier;

struct mmu_notifier_ops {
    void (*release)(struct mmu_notifier *subscription, struct mm_struct *mm);
    void (*invalidate_range)(struct mmu_notifier *subscription, struct mm_struct *mm,
                             unsigned long start, unsigned long end);
    struct mmu_notifier *(*alloc_notifier)(struct mm_struct *mm);
    void (*free_notifier)(struct mmu_notifier *subscription);
};

#endif
