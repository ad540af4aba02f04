// SPDX-License-Identifier: MIT
/* kshim runtime: the parts of the IOMMU core and mm that differ in Linux 6.12. */
#include "../world.h"

int iommu_fwspec_add_ids(struct device *dev, const u32 *ids, int num_ids) {
    return kshim_fwspec_add_ids(dev, ids, num_ids);
}

void kshim_fwspec_init(struct iommu_fwspec *f, const struct iommu_ops *ops) {
    (void)f;
    (void)ops;
}

/* Dirty tracking is not exercised: nothing to record. */
void iova_bitmap_set(struct iova_bitmap *bitmap, unsigned long iova, size_t length) {
    (void)bitmap;
    (void)iova;
    (void)length;
}

/* 6.12: the fault arrives as a struct iopf_fault; the kit's core is the IOPF
 * queue, so a page request goes to it whatever the device registered. */
int iommu_report_device_fault(struct device *dev, struct iopf_fault *evt) {
    return kshim_report_page_request(dev, &evt->fault);
}

void iopf_queue_remove_device(struct iopf_queue *queue, struct device *dev) {
    (void)queue;
    (void)dev;
}

void kshim_mn_invalidate(struct mmu_notifier *sub, struct mm_struct *mm, u64 start, u64 end) {
    if (sub->ops->arch_invalidate_secondary_tlbs)
        sub->ops->arch_invalidate_secondary_tlbs(sub, mm, start, end);
}

void kshim_world_begin(struct kshim_world *w) {
    (void)w;
}

void kshim_world_end(struct kshim_world *w) {
    (void)w;
}
