/* SPDX-License-Identifier: MIT */
/* kshim: MMU notifiers.  The runtime keeps the subscriptions of each mm and
 * calls the ops when the simulated process unmaps memory or exits. */
#ifndef KSHIM_LINUX_MMU_NOTIFIER_H
#define KSHIM_LINUX_MMU_NOTIFIER_H

#include <linux/mm_types.h>
#include <linux/types.h>

/* The callback set differs between kernel versions. */
#include <kshim/mmu_notifier_ops.h>

struct mmu_notifier {
    const struct mmu_notifier_ops *ops;
    struct mm_struct *mm;
};

extern int mmu_notifier_register(struct mmu_notifier *subscription, struct mm_struct *mm);
extern void mmu_notifier_unregister(struct mmu_notifier *subscription, struct mm_struct *mm);
/* Drop a reference from mmu_notifier_get(); free_notifier runs later. */
extern void mmu_notifier_put(struct mmu_notifier *subscription);
extern struct mmu_notifier *mmu_notifier_get(const struct mmu_notifier_ops *ops,
                                             struct mm_struct *mm);
/* Wait until all pending free_notifier calls have completed. */
extern void mmu_notifier_synchronize(void);

#endif
