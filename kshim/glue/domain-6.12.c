// SPDX-License-Identifier: MIT
/*
 * The glue of a Linux 6.12 IOMMU driver: the kit's driver ABI (version 5,
 * the domain-based contract) mapped onto the driver's struct iommu_ops and
 * struct iommu_domain_ops, doing what the 6.12 core (drivers/iommu/iommu.c,
 * iommu-sva.c) does around each call. The kit plays the rest of the core:
 * PASIDs, handles, which domain to reuse.
 *
 * The world (kshim/runtime/world.c) gives each device the identity domain
 * as its RID domain: the kit's devices translate non-PASID DMA one to one.
 */
#include "../runtime/world.h"

#include <linux/err.h>
#include <linux/init.h>

#ifndef KSHIM_DRIVER_NAME
#define KSHIM_DRIVER_NAME "linux-6.12"
#endif

/* What the kit's core and the device drivers hold when the kit destroys the
 * instance; the glue undoes it first, as unbinds and a device driver's
 * remove would, so the IOMMU driver goes as it would from a quiet system. */
#define KSHIM_MAX_HELD 4096
struct held_domain {
    struct iommu_domain *domain;
};
struct held_pasid {
    u32 dev, pasid;
    struct iommu_domain *domain;
};
static struct held_domain held_domains[KSHIM_MAX_HELD];
static struct held_pasid held_pasids[KSHIM_MAX_HELD];
static unsigned int n_held_domains, n_held_pasids;
static u8 features_on[KSHIM_MAX_DEVICES]; /* bit 0 SVA, bit 1 IOPF */

static void hold_domain(struct iommu_domain *d) {
    if (n_held_domains < KSHIM_MAX_HELD) held_domains[n_held_domains++].domain = d;
}

static void drop_domain(struct iommu_domain *d) {
    for (unsigned int i = 0; i < n_held_domains; ++i)
        if (held_domains[i].domain == d) {
            held_domains[i] = held_domains[--n_held_domains];
            return;
        }
}

static void hold_pasid(u32 dev, u32 pasid, struct iommu_domain *d) {
    for (unsigned int i = 0; i < n_held_pasids; ++i)
        if (held_pasids[i].dev == dev && held_pasids[i].pasid == pasid) {
            held_pasids[i].domain = d;
            return;
        }
    if (n_held_pasids < KSHIM_MAX_HELD)
        held_pasids[n_held_pasids++] = (struct held_pasid){dev, pasid, d};
}

static void drop_pasid(u32 dev, u32 pasid) {
    for (unsigned int i = 0; i < n_held_pasids; ++i)
        if (held_pasids[i].dev == dev && held_pasids[i].pasid == pasid) {
            held_pasids[i] = held_pasids[--n_held_pasids];
            return;
        }
}

/* dev_iommu_get_max_pasids of the 6.12 core. */
static u32 max_pasids(struct kshim_device *d) {
    const struct iommu_device *iommu = d->iommu.iommu_dev;
    if (!iommu || !iommu->max_pasids) return 0;
    u32 max = 0, bits;
    if (d->is_pci) {
        int n = pci_max_pasids(&d->pci);
        max = n > 0 ? (u32)n : 0;
    } else if (device_property_read_u32(d->dev, "pasid-num-bits", &bits) == 0) {
        max = bits ? 1u << bits : 0;
    }
    return max < iommu->max_pasids ? max : iommu->max_pasids;
}

/* The PASIDs still attached, the domains still allocated and the features
 * still on, undone as the core and the device drivers would. */
static void quiesce(struct kshim_world *w) {
    while (n_held_pasids) {
        struct held_pasid h = held_pasids[--n_held_pasids];
        struct kshim_device *d = &w->devices[h.dev];
        const struct iommu_ops *ops = d->iommu.iommu_dev ? d->iommu.iommu_dev->ops : NULL;
        if (ops && ops->remove_dev_pasid) ops->remove_dev_pasid(d->dev, h.pasid, h.domain);
    }
    while (n_held_domains) {
        struct iommu_domain *dom = held_domains[--n_held_domains].domain;
        dom->ops->free(dom);
    }
    for (u32 i = 0; i < w->t->n_devices; ++i) {
        struct kshim_device *d = &w->devices[i];
        const struct iommu_ops *ops = d->iommu.iommu_dev ? d->iommu.iommu_dev->ops : NULL;
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
    kshim_world_destroy(w);
}

static void *glue_create(const struct svac_platform *p, const struct svac_topology *t) {
    struct kshim_world *w =
        kshim_world_create(p, t, SVAC_API_LINUX_6_12, KSHIM_DRIVER_NAME, "linux-6.12");
    if (!w) return NULL;
    n_held_domains = n_held_pasids = 0;
    memset(features_on, 0, sizeof features_on);
    for (u32 i = 0; i < t->n_devices; ++i) {
        struct kshim_device *d = &w->devices[i];
        d->iommu.max_pasids = max_pasids(d);
        struct iommu_domain *identity = kshim_ops_of(d)->identity_domain;
        if (!identity || identity->ops->attach_dev(identity, d->dev)) {
            kshim_world_fail(w);
            return NULL;
        }
        d->rid_domain = identity;
    }
    kshim_leave();
    return w;
}

static uint32_t glue_probe_device(void *drv, uint32_t dev) {
    (void)drv;
    struct kshim_device *d = kshim_device_at(dev);
    return d ? d->iommu.max_pasids : 0;
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
    return 0; /* 6.12 has no such query */
}

static int glue_enable_feat(void *drv, uint32_t dev, uint32_t feat) {
    (void)drv;
    struct kshim_device *d = kshim_device_at(dev);
    const struct iommu_ops *ops = d ? kshim_ops_of(d) : NULL;
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
    const struct iommu_ops *ops = d ? kshim_ops_of(d) : NULL;
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

static struct iommu_domain *domain_of(uint64_t domain) {
    return (struct iommu_domain *)(uintptr_t)domain;
}

/* iommu_sva_domain_alloc of the 6.12 core. */
static int glue_domain_alloc_sva(void *drv, uint32_t dev, uint32_t mm, uint64_t *domain) {
    (void)drv;
    struct kshim_device *d = kshim_device_at(dev);
    const struct iommu_ops *ops = d ? kshim_ops_of(d) : NULL;
    if (!ops || mm >= kshim_world->t->n_mms || !domain) return -EINVAL;
    if (!ops->domain_alloc_sva) return -EOPNOTSUPP;
    kshim_enter();
    struct iommu_domain *dom = ops->domain_alloc_sva(d->dev, &kshim_world->mms[mm].mm);
    int ret = 0;
    if (IS_ERR(dom))
        ret = (int)PTR_ERR(dom);
    else if (!dom)
        ret = -ENOMEM;
    else {
        dom->type = IOMMU_DOMAIN_SVA;
        dom->mm = &kshim_world->mms[mm].mm;
        dom->owner = ops;
        *domain = (uint64_t)(uintptr_t)dom;
        hold_domain(dom);
    }
    kshim_leave();
    return ret;
}

static void glue_domain_free(void *drv, uint64_t domain) {
    (void)drv;
    struct iommu_domain *dom = domain_of(domain);
    if (!dom) return;
    kshim_enter();
    drop_domain(dom);
    dom->ops->free(dom);
    kshim_leave();
}

static int glue_set_dev_pasid(void *drv, uint64_t domain, uint32_t dev, uint32_t pasid,
                              uint64_t old) {
    (void)drv;
    struct kshim_device *d = kshim_device_at(dev);
    struct iommu_domain *dom = domain_of(domain);
    if (!d || !dom || domain == SVAC_DOMAIN_BLOCKED) return -EINVAL;
    if (!dom->ops->set_dev_pasid) return -EOPNOTSUPP;
    kshim_enter();
    int ret = dom->ops->set_dev_pasid(dom, d->dev, pasid,
                                      old == SVAC_DOMAIN_NONE ? NULL : domain_of(old));
    if (!ret) hold_pasid(dev, pasid, dom);
    kshim_leave();
    return ret;
}

static void glue_remove_dev_pasid(void *drv, uint32_t dev, uint32_t pasid, uint64_t domain) {
    (void)drv;
    struct kshim_device *d = kshim_device_at(dev);
    const struct iommu_ops *ops = d ? kshim_ops_of(d) : NULL;
    if (!ops || !ops->remove_dev_pasid) return;
    kshim_enter();
    ops->remove_dev_pasid(d->dev, pasid, domain_of(domain));
    drop_pasid(dev, pasid);
    kshim_leave();
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

static int glue_page_response(void *drv, uint32_t dev, const struct svac_page_response *resp) {
    (void)drv;
    struct kshim_device *d = kshim_device_at(dev);
    const struct iommu_ops *ops = d ? kshim_ops_of(d) : NULL;
    if (!ops || !resp || resp->code > SVAC_RESP_FAILURE) return -EINVAL;
    if (!ops->page_response) return -ENODEV;
    struct iopf_fault evt = {0};
    evt.fault.type = IOMMU_FAULT_PAGE_REQ;
    evt.fault.prm.flags = IOMMU_FAULT_PAGE_REQUEST_LAST_PAGE;
    if (resp->flags & SVAC_FAULT_PASID_VALID)
        evt.fault.prm.flags |= IOMMU_FAULT_PAGE_REQUEST_PASID_VALID;
    evt.fault.prm.pasid = resp->pasid;
    evt.fault.prm.grpid = resp->grpid;
    struct iommu_page_response msg = {
        .pasid = resp->pasid, .grpid = resp->grpid, .code = resp->code};
    kshim_enter();
    ops->page_response(d->dev, &evt, &msg);
    kshim_leave();
    return 0;
}

static const struct svac_driver_ops glue_ops = {
    .abi_version = 5,
    .size = sizeof(struct svac_driver_ops),
    .name = KSHIM_DRIVER_NAME,
    .version = "Linux 6.12 (Debian linux-source-6.12) under kshim",
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
    .contracts = SVAC_CONTRACT_DOMAIN,
    .probe_device = glue_probe_device,
    .domain_alloc_sva = glue_domain_alloc_sva,
    .domain_free = glue_domain_free,
    .set_dev_pasid = glue_set_dev_pasid,
    .remove_dev_pasid = glue_remove_dev_pasid,
};

__attribute__((visibility("default"))) const struct svac_driver_ops *svac_driver_entry(void) {
    return &glue_ops;
}
