// SPDX-License-Identifier: MIT
/*
 * kshim runtime: the parts of the IOMMU core and mm that differ in Linux 6.1.
 * The mm's PASID is the kernel's own: iommu-sva-lib.c and ioasid.c are
 * compiled from the tree, and the mm gives its PASID back when it is freed
 * (mm_pasid_drop), which for kshim is when its world goes.
 */
#include "../world.h"

#include <asm/mmu_context.h>
#include <linux/msi.h>
#include <linux/sched/mm.h>

struct iopf_queue;

int iommu_fwspec_add_ids(struct device *dev, u32 *ids, int num_ids) {
    return kshim_fwspec_add_ids(dev, ids, num_ids);
}

/* iommu_fwspec_init of 6.1 records the IOMMU's ops, which probe_device
 * checks are its own. */
void kshim_fwspec_init(struct iommu_fwspec *f, const struct iommu_ops *ops) {
    f->ops = ops;
}

/* 6.1's core: a device takes faults through the one handler it registered
 * (the SMMUv3 driver registers iommu_queue_iopf for its stall masters). */
int iommu_register_device_fault_handler(struct device *dev, iommu_dev_fault_handler_t handler,
                                        void *data) {
    struct kshim_device *d = kshim_device_of(dev);
    if (!d || !handler) return -EINVAL;
    if (d->fault_handler) return -EBUSY;
    d->fault_handler = (void *)handler;
    d->fault_data = data;
    return 0;
}

int iommu_unregister_device_fault_handler(struct device *dev) {
    struct kshim_device *d = kshim_device_of(dev);
    if (!d || !d->fault_handler) return -EINVAL;
    d->fault_handler = d->fault_data = NULL;
    return 0;
}

/* The kit's core decides whether the device takes the fault (it knows
 * which handler the device has, ABI report_fault): a fault goes to it
 * whether or not the driver registered one here. 6.1's core returns -EINVAL
 * when no handler takes it and leaves the answer to the driver ("Nobody
 * cared, abort the access"); the kit's core has answered such a group
 * already (INVALID, through page_response, which aborts the stall), so the
 * driver is told the fault was taken and the device gets one answer. */
int iommu_report_device_fault(struct device *dev, struct iommu_fault_event *evt) {
    int ret = kshim_report_page_request(dev, &evt->fault);
    return ret == -EINVAL && evt->fault.type == IOMMU_FAULT_PAGE_REQ ? 0 : ret;
}

/* The IOPF queue is the kit's core: the handler is only ever registered. */
int iommu_queue_iopf(struct iommu_fault *fault, void *cookie) {
    return kshim_report_page_request(cookie, fault);
}

int iopf_queue_remove_device(struct iopf_queue *queue, struct device *dev) {
    (void)queue;
    (void)dev;
    return 0;
}

/* The CPU's ASID of the mm, pinned for the SMMU to share (the platform's
 * mm model gives it; never 0). */
unsigned long arm64_mm_context_get(struct mm_struct *mm) {
    for (u32 i = 0; i < kshim_world->t->n_mms; ++i) {
        if (&kshim_world->mms[i].mm != mm) continue;
        struct svac_mm_info info;
        if (kshim_world->p->mm_info(kshim_world->p->ctx, i, &info)) return 0;
        return info.asid;
    }
    return 0;
}

void arm64_mm_context_put(struct mm_struct *mm) {
    (void)mm;
}

/* No MSI domain: the driver falls back to wired interrupts before asking. */
int platform_msi_domain_alloc_irqs(struct device *dev, unsigned int nvec,
                                   irq_write_msi_msg_t write_msi_msg) {
    (void)dev;
    (void)nvec;
    (void)write_msi_msg;
    return -ENODEV;
}

void platform_msi_domain_free_irqs(struct device *dev) {
    (void)dev;
}

void kshim_mn_invalidate(struct mmu_notifier *sub, struct mm_struct *mm, u64 start, u64 end) {
    if (sub->ops->invalidate_range) sub->ops->invalidate_range(sub, mm, start, end);
}

void kshim_world_begin(struct kshim_world *w) {
    for (u32 i = 0; i < w->t->n_mms; ++i) mm_pasid_init(&w->mms[i].mm);
}

void kshim_world_end(struct kshim_world *w) {
    for (u32 i = 0; i < w->t->n_mms; ++i) mm_pasid_drop(&w->mms[i].mm);
}
