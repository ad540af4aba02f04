// SPDX-License-Identifier: MIT
/*
 * The glue of a Linux 6.1 IOMMU driver: the kit's driver ABI (the
 * handle-based contract, SVAC_API_LINUX_6_1) mapped onto the driver's struct
 * iommu_ops, doing what the 6.1 core (drivers/iommu/iommu.c) does around
 * each call: iommu_dev_enable_feature, iommu_sva_bind_device,
 * iommu_sva_unbind_device, iommu_sva_get_pasid, iommu_page_response. The
 * mm's PASID is the 6.1 core's own (iommu-sva-lib.c and ioasid.c, compiled
 * from the tree), not the kit's alloc_mm_pasid.
 *
 * The RID domain. 6.1's arm_smmu_sva_bind refuses (-EINVAL) a device whose
 * domain is not a stage-1 paging domain, as a kernel with the DMA API gives
 * every device. So each device gets what iommu_probe_device gives it there:
 * a DMA domain (IOMMU_DOMAIN_DMA), attached, which the glue maps one to one
 * over the low 512 GiB with 1 GiB blocks (two pages of tables), so that the
 * kit's non-PASID DMA (the identity translation of HW-6) reaches the
 * addresses it names. DMA without a PASID above 512 GiB faults: a limit of
 * this glue (the whole 48-bit space would take 2 MiB of tables per device,
 * which kshim compares word by word at every barrier).
 */
#include "../runtime/world.h"

#include <linux/err.h>
#include <linux/sizes.h>

#ifndef KSHIM_DRIVER_NAME
#define KSHIM_DRIVER_NAME "linux-6.1"
#endif

#define KSHIM_IDENTITY_TOP (1ull << 39) /* the DMA domain's one-to-one window */

/* What the kit's core holds when it destroys the instance: each handle's
 * references, undone as unbinds would. */
#define KSHIM_MAX_HELD 4096
struct held_handle {
    struct iommu_sva *handle;
    unsigned int refs;
};
static struct held_handle held[KSHIM_MAX_HELD];
static unsigned int n_held;
static u8 features_on[KSHIM_MAX_DEVICES]; /* bit 0 SVA, bit 1 IOPF */

static struct held_handle *held_of(struct iommu_sva *h) {
    for (unsigned int i = 0; i < n_held; ++i)
        if (held[i].handle == h) return &held[i];
    return NULL;
}

static void hold(struct iommu_sva *h) {
    struct held_handle *x = held_of(h);
    if (x)
        ++x->refs;
    else if (n_held < KSHIM_MAX_HELD)
        held[n_held++] = (struct held_handle){h, 1};
}

static bool release(struct iommu_sva *h) {
    struct held_handle *x = held_of(h);
    if (!x) return false;
    if (--x->refs == 0) *x = held[--n_held];
    return true;
}

/* __iommu_domain_alloc and iommu_map of the 6.1 core: d's DMA domain (each
 * device is alone in its group, so each has its own, and its own CD table),
 * attached, then mapped one to one below KSHIM_IDENTITY_TOP. */
static int attach_dma_domain(struct kshim_device *d) {
    const struct iommu_ops *ops = kshim_ops_of(d);
    struct iommu_domain *dom = ops->domain_alloc(IOMMU_DOMAIN_DMA);
    if (!dom) return -ENOMEM;
    dom->type = IOMMU_DOMAIN_DMA;
    dom->pgsize_bitmap = ops->pgsize_bitmap;
    if (!dom->ops) dom->ops = ops->default_domain_ops;
    int ret = dom->ops->attach_dev(dom, d->dev);
    if (ret) {
        dom->ops->free(dom);
        return ret;
    }
    d->rid_domain = dom;
    for (u64 iova = 0; iova < KSHIM_IDENTITY_TOP;) {
        size_t mapped = 0;
        ret = dom->ops->map_pages(dom, iova, iova, SZ_1G, (KSHIM_IDENTITY_TOP - iova) / SZ_1G,
                                  IOMMU_READ | IOMMU_WRITE, GFP_KERNEL, &mapped);
        if (ret || !mapped) return ret ? ret : -ENOMEM;
        iova += mapped;
    }
    return 0;
}

/* The RID domains go with the devices: released first (release_device
 * detaches), then freed. */
static void free_dma_domains(struct kshim_world *w) {
    for (u32 i = 0; i < w->t->n_devices; ++i) {
        struct kshim_device *d = &w->devices[i];
        const struct iommu_ops *ops = kshim_ops_of(d);
        struct iommu_domain *dom = d->rid_domain;
        if (!dom || !ops) continue;
        if (ops->release_device) ops->release_device(d->dev);
        d->iommu.iommu_dev = NULL; /* released: world.c does not release it again */
        d->rid_domain = NULL;
        dom->ops->free(dom);
    }
}

/* The bonds still held and the features still on, undone as the device
 * drivers would. */
static void quiesce(struct kshim_world *w) {
    while (n_held) {
        struct held_handle h = held[n_held - 1];
        const struct iommu_ops *ops = kshim_ops_of(kshim_device_of(h.handle->dev));
        for (unsigned int r = 0; r < h.refs && ops && ops->sva_unbind; ++r)
            ops->sva_unbind(h.handle);
        --n_held;
    }
    for (u32 i = 0; i < w->t->n_devices; ++i) {
        struct kshim_device *d = &w->devices[i];
        const struct iommu_ops *ops = kshim_ops_of(d);
        if (ops && ops->dev_disable_feat && (features_on[i] & 1))
            ops->dev_disable_feat(d->dev, IOMMU_DEV_FEAT_SVA);
        if (ops && ops->dev_disable_feat && (features_on[i] & 2))
            ops->dev_disable_feat(d->dev, IOMMU_DEV_FEAT_IOPF);
        features_on[i] = 0;
    }
}

static void glue_destroy(void *drv) {
    struct kshim_world *w = drv;
    if (!w || w != kshim_world) return;
    kshim_enter();
    quiesce(w);
    free_dma_domains(w);
    kshim_world_destroy(w);
}

static void *glue_create(const struct svac_platform *p, const struct svac_topology *t) {
    struct kshim_world *w =
        kshim_world_create(p, t, SVAC_API_LINUX_6_1, KSHIM_DRIVER_NAME, "linux-6.1");
    if (!w) return NULL;
    n_held = 0;
    memset(features_on, 0, sizeof features_on);
    for (u32 i = 0; i < t->n_devices; ++i) {
        int ret = attach_dma_domain(&w->devices[i]);
        if (ret) {
            kshim_report("error", "%s: no DMA domain: %d", w->devices[i].name, ret);
            free_dma_domains(w);
            kshim_world_fail(w);
            return NULL;
        }
    }
    kshim_leave();
    return w;
}

static enum iommu_dev_features feature(uint32_t feat) {
    return feat == SVAC_FEAT_SVA    ? IOMMU_DEV_FEAT_SVA
           : feat == SVAC_FEAT_IOPF ? IOMMU_DEV_FEAT_IOPF
                                    : (enum iommu_dev_features)0x7fff;
}

static int glue_has_feat(void *drv, uint32_t dev, uint32_t feat) {
    (void)drv;
    (void)dev;
    (void)feat;
    return 0; /* 6.1 has no such query */
}

static int glue_enable_feat(void *drv, uint32_t dev, uint32_t feat) {
    (void)drv;
    struct kshim_device *d = kshim_device_at(dev);
    const struct iommu_ops *ops = kshim_ops_of(d);
    if (!ops || !ops->dev_enable_feat) return -ENODEV;
    kshim_enter();
    int ret = ops->dev_enable_feat(d->dev, feature(feat));
    if (!ret && (feat == SVAC_FEAT_SVA || feat == SVAC_FEAT_IOPF))
        features_on[dev] |= feat == SVAC_FEAT_SVA ? 1 : 2;
    kshim_leave();
    return ret;
}

static int glue_disable_feat(void *drv, uint32_t dev, uint32_t feat) {
    (void)drv;
    struct kshim_device *d = kshim_device_at(dev);
    const struct iommu_ops *ops = kshim_ops_of(d);
    if (!ops || !ops->dev_disable_feat) return -ENODEV;
    kshim_enter();
    int ret = ops->dev_disable_feat(d->dev, feature(feat));
    if (!ret && (feat == SVAC_FEAT_SVA || feat == SVAC_FEAT_IOPF))
        features_on[dev] &= (u8) ~(feat == SVAC_FEAT_SVA ? 1 : 2);
    kshim_leave();
    return ret;
}

static int glue_feat_enabled(void *drv, uint32_t dev, uint32_t feat) {
    return glue_has_feat(drv, dev, feat);
}

/* iommu_sva_bind_device of the 6.1 core: every device is alone in its group,
 * so the core's one check passes, and the driver binds. The 6.1 mm-exit
 * callback is gone (mm_exit is NULL here): the driver's mmu notifier makes
 * the bond abort DMA quietly until it is unbound. */
static int glue_sva_bind(void *drv, uint32_t dev, uint32_t mm, uint64_t drvdata,
                         svac_mm_exit_fn mm_exit, void *cb_ctx, uint64_t *handle) {
    (void)drv;
    (void)mm_exit;
    (void)cb_ctx;
    struct kshim_device *d = kshim_device_at(dev);
    const struct iommu_ops *ops = kshim_ops_of(d);
    if (!ops || mm >= kshim_world->t->n_mms || !handle) return -EINVAL;
    if (!ops->sva_bind) return -ENODEV;
    kshim_enter();
    struct iommu_sva *h = ops->sva_bind(d->dev, &kshim_world->mms[mm].mm, (void *)drvdata);
    int ret = IS_ERR(h) ? (int)PTR_ERR(h) : !h ? -ENOMEM : 0;
    if (!ret) {
        hold(h);
        *handle = (uint64_t)(uintptr_t)h;
    }
    kshim_leave();
    return ret;
}

static struct iommu_sva *handle_of(uint64_t handle) {
    struct iommu_sva *h = (struct iommu_sva *)(uintptr_t)handle;
    return held_of(h) ? h : NULL; /* only a handle the driver gave and still holds */
}

static void glue_sva_unbind(void *drv, uint64_t handle) {
    (void)drv;
    struct iommu_sva *h = handle_of(handle);
    const struct iommu_ops *ops = h ? kshim_ops_of(kshim_device_of(h->dev)) : NULL;
    if (!ops || !ops->sva_unbind) return;
    kshim_enter();
    release(h);
    ops->sva_unbind(h);
    kshim_leave();
}

static uint32_t glue_sva_get_pasid(void *drv, uint64_t handle) {
    (void)drv;
    struct iommu_sva *h = handle_of(handle);
    const struct iommu_ops *ops = h ? kshim_ops_of(kshim_device_of(h->dev)) : NULL;
    if (!ops || !ops->sva_get_pasid) return SVAC_PASID_INVALID;
    kshim_enter();
    uint32_t pasid = ops->sva_get_pasid(h);
    kshim_leave();
    return pasid;
}

static void glue_mm_release(void *drv, uint32_t mm) {
    (void)drv;
    if (mm >= kshim_world->t->n_mms) return;
    kshim_enter();
    kshim_notify_release(mm);
    kshim_leave();
}

static void glue_mm_invalidate_range(void *drv, uint32_t mm, uint64_t start, uint64_t end) {
    (void)drv;
    if (mm >= kshim_world->t->n_mms) return;
    kshim_enter();
    kshim_notify_invalidate(mm, start, end);
    kshim_leave();
}

static void glue_service_irq(void *drv, uint32_t iommu) {
    (void)drv;
    if (iommu >= kshim_world->t->n_iommus) return;
    kshim_enter();
    kshim_service_irqs(iommu);
    kshim_leave();
}

/* iommu_page_response of the 6.1 core: the response as the driver takes it. */
static int glue_page_response(void *drv, uint32_t dev, const struct svac_page_response *resp) {
    (void)drv;
    struct kshim_device *d = kshim_device_at(dev);
    const struct iommu_ops *ops = kshim_ops_of(d);
    if (!ops || !resp || resp->code > SVAC_RESP_FAILURE) return -EINVAL;
    if (!ops->page_response) return -ENODEV;
    struct iommu_fault_event evt = {0};
    evt.fault.type = IOMMU_FAULT_PAGE_REQ;
    evt.fault.prm.flags = IOMMU_FAULT_PAGE_REQUEST_LAST_PAGE;
    if (resp->flags & SVAC_FAULT_PASID_VALID)
        evt.fault.prm.flags |= IOMMU_FAULT_PAGE_REQUEST_PASID_VALID;
    evt.fault.prm.pasid = resp->pasid;
    evt.fault.prm.grpid = resp->grpid;
    struct iommu_page_response msg = {
        .argsz = sizeof(msg),
        .version = IOMMU_PAGE_RESP_VERSION_1,
        .flags = (resp->flags & SVAC_FAULT_PASID_VALID) ? IOMMU_PAGE_RESP_PASID_VALID : 0,
        .pasid = resp->pasid,
        .grpid = resp->grpid,
        .code = resp->code};
    kshim_enter();
    int ret = ops->page_response(d->dev, &evt, &msg);
    kshim_leave();
    return ret;
}

static const struct svac_driver_ops glue_ops = {
    .abi_version = 5,
    .size = sizeof(struct svac_driver_ops),
    .name = KSHIM_DRIVER_NAME,
    .version = "Linux 6.1 (Debian linux-source-6.1) under kshim",
    .arch_mask = 1u << SVAC_ARCH_SMMUV3,
    .create = glue_create,
    .destroy = glue_destroy,
    .dev_has_feat = glue_has_feat,
    .dev_enable_feat = glue_enable_feat,
    .dev_disable_feat = glue_disable_feat,
    .dev_feat_enabled = glue_feat_enabled,
    .mm_release = glue_mm_release,
    .mm_invalidate_range = glue_mm_invalidate_range,
    .service_irq = glue_service_irq,
    .page_response = glue_page_response,
    .contracts = SVAC_CONTRACT_HANDLE,
    .sva_bind = glue_sva_bind,
    .sva_unbind = glue_sva_unbind,
    .sva_get_pasid = glue_sva_get_pasid,
};

__attribute__((visibility("default"))) const struct svac_driver_ops *svac_driver_entry(void) {
    return &glue_ops;
}
