// SPDX-License-Identifier: MIT
/*
 * The glue of a Linux 6.12 IOMMU driver: the kit's driver ABI (version 5,
 * the domain-based contract) mapped onto the driver's struct iommu_ops and
 * struct iommu_domain_ops, doing what the 6.12 core (drivers/iommu/iommu.c,
 * iommu-sva.c) does around each call. The kit plays the rest of the core:
 * PASIDs, handles, which domain to reuse.
 *
 * The world: each IOMMU of the topology is an SMMUv3 platform device with
 * a device-tree node ("#iommu-cells" = 1, dma-coherent), 128 KiB of MMIO and
 * wired interrupt lines; each device is a PCIe function (its PASID, PRI and
 * ATS capabilities) or, when it stalls, a platform device with
 * "dma-can-stall" and "pasid-num-bits"; its fwspec holds its StreamID. At
 * create the module's init registers the driver, the driver probes each
 * IOMMU, and each device is probed and attached to the identity domain (the
 * kit's devices translate non-PASID DMA one to one).
 */
#include "../runtime/world.h"

#include <linux/err.h>
#include <linux/init.h>

#ifndef KSHIM_DRIVER_NAME
#define KSHIM_DRIVER_NAME "linux-6.12"
#endif

extern initcall_t __start_kshim_initcalls[] __attribute__((weak));
extern initcall_t __stop_kshim_initcalls[] __attribute__((weak));
extern exitcall_t __start_kshim_exitcalls[] __attribute__((weak));
extern exitcall_t __stop_kshim_exitcalls[] __attribute__((weak));

u64 kshim_mmio_phys(u32 iommu);
void *kshim_pgd_of(u32 mm);
struct platform_driver *kshim_platform_driver(void);

#define KSHIM_MMIO_SIZE 0x20000ull /* SMMUv3 register pages 0 and 1 */

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

/* Around every entry point: the hardware's stores reach the driver's view
 * first, the driver's reach the platform before the kit looks; a WARN the
 * call hit is a finding (the driver host reports the abort as a crash). */
static void enter(void) {
    kshim_sync_pull();
}

static void leave(void) {
    kshim_sync_push();
    if (kshim_world && kshim_world->warnings) {
        kshim_report("error", "%u kernel WARNING(s) in this call (see above)",
                     kshim_world->warnings);
        abort();
    }
}

static struct kshim_device *dev_at(u32 dev) {
    return kshim_world && dev < kshim_world->t->n_devices ? &kshim_world->devices[dev] : NULL;
}

static const struct iommu_ops *ops_of(const struct kshim_device *d) {
    return d->iommu.iommu_dev ? d->iommu.iommu_dev->ops : NULL;
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

static void build_world(struct kshim_world *w) {
    const struct svac_topology *t = w->t;
    for (u32 i = 0; i < t->n_iommus; ++i) {
        struct kshim_iommu *k = &w->iommus[i];
        snprintf(k->name, sizeof k->name, "arm-smmu-v3.%u", i);
        k->of_node.name = k->name;
        k->of_node.full_name = k->name;
        k->mem = (struct resource){.start = kshim_mmio_phys(i),
                                   .end = kshim_mmio_phys(i) + KSHIM_MMIO_SIZE - 1,
                                   .name = k->name,
                                   .flags = IORESOURCE_MEM};
        k->pdev.name = k->name;
        k->pdev.id = (int)i;
        k->pdev.resource = &k->mem;
        k->pdev.num_resources = 1;
        k->pdev.dev.init_name = k->name;
        k->pdev.dev.bus = &platform_bus_type;
        k->pdev.dev.of_node = &k->of_node;
        k->pdev.dev.numa_node = NUMA_NO_NODE;
    }
    for (u32 i = 0; i < t->n_devices; ++i) {
        const struct svac_device_desc *desc = &t->devices[i];
        struct kshim_device *d = &w->devices[i];
        d->index = i;
        /* The kit's SMMUv3 rules: a stall-capable master is a platform
         * device (CD.S=1), whatever else it can do. */
        d->is_pci = !desc->stall;
        d->dev = d->is_pci ? &d->pci.dev : &d->plat.dev;
        snprintf(d->name, sizeof d->name, d->is_pci ? "0000:00:%02x.%x" : "stall-master.%u",
                 d->is_pci ? (i >> 3) & 0x1f : i, i & 7);
        d->dev->init_name = d->name;
        d->dev->bus = d->is_pci ? &pci_bus_type : &platform_bus_type;
        d->dev->numa_node = NUMA_NO_NODE;
        d->dev->iommu = &d->iommu;
        d->pci.requester_id = (u16)desc->sid;
        d->plat.name = d->name;
    }
    for (u32 m = 0; m < t->n_mms; ++m) w->mms[m].mm.pgd = kshim_pgd_of(m);
}

static bool add_fwspecs(struct kshim_world *w) {
    for (u32 i = 0; i < w->t->n_devices; ++i) {
        struct kshim_device *d = &w->devices[i];
        const struct svac_device_desc *desc = &w->t->devices[i];
        struct iommu_fwspec *f = calloc(1, sizeof(*f));
        if (!f) return false;
        f->iommu_fwnode = dev_fwnode(&w->iommus[desc->iommu].pdev.dev);
        /* Firmware's word that the root complex takes ATS (IORT, DT
         * "ats-supported"): the kit's PCIe functions sit behind one. */
        if (d->is_pci) f->flags |= IOMMU_FWSPEC_PCI_RC_ATS;
        d->iommu.fwspec = f;
        if (iommu_fwspec_add_ids(d->dev, &desc->sid, 1)) return false;
    }
    return true;
}

static void run_exitcalls(void) {
    for (exitcall_t *fn = __start_kshim_exitcalls; fn && fn < __stop_kshim_exitcalls; ++fn) (*fn)();
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

static void release_devices(struct kshim_world *w) {
    for (u32 i = 0; i < w->t->n_devices; ++i) {
        struct kshim_device *d = &w->devices[i];
        const struct iommu_ops *ops = ops_of(d);
        if (ops && ops->release_device) ops->release_device(d->dev);
        d->iommu.iommu_dev = NULL;
        d->rid_domain = NULL;
        free(d->iommu.fwspec);
        d->iommu.fwspec = NULL;
    }
}

static void world_free(struct kshim_world *w) {
    kshim_forget_devres();
    kshim_forget_notifiers();
    /* What the driver left allocated stays allocated on the platform, where
     * the kit counts it (ROBUST-5); only the host's copies go. */
    for (unsigned int i = 0; i < w->n_blocks; ++i) {
        free(w->blocks[i].host);
        free(w->blocks[i].shadow);
        free(w->blocks[i].page);
    }
    free(w->blocks);
    free(w->mms);
    free(w);
    kshim_world = NULL;
}

static void glue_destroy(void *drv) {
    struct kshim_world *w = drv;
    if (!w || w != kshim_world) return;
    enter();
    quiesce(w);
    release_devices(w);
    run_exitcalls(); /* the module goes: its driver unbinds from each IOMMU */
    kshim_sync_push();
    if (w->warnings) {
        kshim_report("error", "%u kernel WARNING(s) while the driver was removed", w->warnings);
        abort();
    }
    world_free(w);
}

static void *glue_create(const struct svac_platform *p, const struct svac_topology *t) {
    if (!p || p->abi_version < 5 || p->size < sizeof(struct svac_platform) || !t) return NULL;
    if (p->api != SVAC_API_LINUX_6_12) {
        kshim_report("error", "%s is the driver of Linux 6.12: it runs under profile linux-6.12",
                     KSHIM_DRIVER_NAME);
        return NULL;
    }
    if (kshim_world) {
        kshim_report("error", "one instance per process: kernel code keeps global state");
        return NULL;
    }
    if (t->n_iommus > KSHIM_MAX_IOMMUS || t->n_devices > KSHIM_MAX_DEVICES) return NULL;
    for (u32 i = 0; i < t->n_iommus; ++i)
        if (t->iommus[i].arch != SVAC_ARCH_SMMUV3) return NULL;
    struct kshim_world *w = calloc(1, sizeof(*w));
    if (!w) return NULL;
    w->p = p;
    w->t = t;
    w->mms = calloc(t->n_mms ? t->n_mms : 1, sizeof(*w->mms));
    if (!w->mms) {
        free(w);
        return NULL;
    }
    kshim_world = w;
    const char *mutant = getenv("SVAC_KSHIM_MUTANT");
    if (mutant && !strcmp(mutant, "no-kick")) w->mutant = KSHIM_NO_KICK;
    if (mutant && !strcmp(mutant, "no-irq")) w->mutant = KSHIM_NO_IRQ;
    n_held_domains = n_held_pasids = 0;
    memset(features_on, 0, sizeof features_on);
    build_world(w);
    kshim_mmio_reset();

    int ret = 0;
    for (initcall_t *fn = __start_kshim_initcalls; fn && fn < __stop_kshim_initcalls && !ret; ++fn)
        ret = (*fn)();
    struct platform_driver *drv = kshim_platform_driver();
    if (ret || !drv) goto fail_module;
    for (u32 i = 0; i < t->n_iommus; ++i) {
        struct platform_device *pdev = &w->iommus[i].pdev;
        pdev->dev.driver = &drv->driver;
        ret = drv->probe(pdev);
        if (ret) {
            kshim_report("error", "%s: probe failed: %d", pdev->name, ret);
            kshim_release_devm(&pdev->dev);
            pdev->dev.driver = NULL;
            goto fail_module;
        }
        if (!w->iommus[i].registered) goto fail_module;
    }
    if (!add_fwspecs(w)) goto fail_devices;
    for (u32 i = 0; i < t->n_devices; ++i) {
        struct kshim_device *d = &w->devices[i];
        const struct iommu_ops *ops = w->iommus[t->devices[i].iommu].ops;
        struct iommu_device *iommu = ops->probe_device(d->dev);
        if (IS_ERR_OR_NULL(iommu)) {
            kshim_report("error", "%s: probe_device failed: %ld", d->name, PTR_ERR(iommu));
            goto fail_devices;
        }
        d->iommu.iommu_dev = iommu;
        d->iommu.max_pasids = max_pasids(d);
        struct iommu_domain *identity = ops->identity_domain;
        if (!identity || identity->ops->attach_dev(identity, d->dev)) goto fail_devices;
        d->rid_domain = identity;
    }
    leave();
    return w;

fail_devices:
    release_devices(w);
fail_module:
    run_exitcalls();
    kshim_sync_push();
    world_free(w);
    return NULL;
}

static uint32_t glue_probe_device(void *drv, uint32_t dev) {
    (void)drv;
    struct kshim_device *d = dev_at(dev);
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
    struct kshim_device *d = dev_at(dev);
    const struct iommu_ops *ops = d ? ops_of(d) : NULL;
    if (!ops || !ops->dev_enable_feat) return -ENODEV;
    enter();
    int ret = ops->dev_enable_feat(d->dev, feature(feat));
    if (!ret && (feat == SVAC_FEAT_SVA || feat == SVAC_FEAT_IOPF))
        features_on[dev] |= feat == SVAC_FEAT_SVA ? 1 : 2;
    leave();
    return ret;
}

static int glue_disable_feat(void *drv, uint32_t dev, uint32_t feat) {
    (void)drv;
    struct kshim_device *d = dev_at(dev);
    const struct iommu_ops *ops = d ? ops_of(d) : NULL;
    if (!ops || !ops->dev_disable_feat) return -ENODEV;
    enter();
    int ret = ops->dev_disable_feat(d->dev, feature(feat));
    if (!ret && (feat == SVAC_FEAT_SVA || feat == SVAC_FEAT_IOPF))
        features_on[dev] &= (u8) ~(feat == SVAC_FEAT_SVA ? 1 : 2);
    leave();
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
    struct kshim_device *d = dev_at(dev);
    const struct iommu_ops *ops = d ? ops_of(d) : NULL;
    if (!ops || mm >= kshim_world->t->n_mms || !domain) return -EINVAL;
    if (!ops->domain_alloc_sva) return -EOPNOTSUPP;
    enter();
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
    leave();
    return ret;
}

static void glue_domain_free(void *drv, uint64_t domain) {
    (void)drv;
    struct iommu_domain *dom = domain_of(domain);
    if (!dom) return;
    enter();
    drop_domain(dom);
    dom->ops->free(dom);
    leave();
}

static int glue_set_dev_pasid(void *drv, uint64_t domain, uint32_t dev, uint32_t pasid,
                              uint64_t old) {
    (void)drv;
    struct kshim_device *d = dev_at(dev);
    struct iommu_domain *dom = domain_of(domain);
    if (!d || !dom || domain == SVAC_DOMAIN_BLOCKED) return -EINVAL;
    if (!dom->ops->set_dev_pasid) return -EOPNOTSUPP;
    enter();
    int ret = dom->ops->set_dev_pasid(dom, d->dev, pasid,
                                      old == SVAC_DOMAIN_NONE ? NULL : domain_of(old));
    if (!ret) hold_pasid(dev, pasid, dom);
    leave();
    return ret;
}

static void glue_remove_dev_pasid(void *drv, uint32_t dev, uint32_t pasid, uint64_t domain) {
    (void)drv;
    struct kshim_device *d = dev_at(dev);
    const struct iommu_ops *ops = d ? ops_of(d) : NULL;
    if (!ops || !ops->remove_dev_pasid) return;
    enter();
    ops->remove_dev_pasid(d->dev, pasid, domain_of(domain));
    drop_pasid(dev, pasid);
    leave();
}

static void glue_mm_release(void *drv, uint32_t mm) {
    (void)drv;
    if (mm >= kshim_world->t->n_mms) return;
    enter();
    kshim_notify_release(mm);
    leave();
}

static void glue_mm_invalidate_range(void *drv, uint32_t mm, uint64_t start, uint64_t end) {
    (void)drv;
    if (mm >= kshim_world->t->n_mms) return;
    enter();
    kshim_notify_invalidate(mm, start, end);
    leave();
}

static void glue_service_irq(void *drv, uint32_t iommu) {
    (void)drv;
    if (iommu >= kshim_world->t->n_iommus) return;
    enter();
    kshim_service_irqs(iommu);
    leave();
}

static int glue_page_response(void *drv, uint32_t dev, const struct svac_page_response *resp) {
    (void)drv;
    struct kshim_device *d = dev_at(dev);
    const struct iommu_ops *ops = d ? ops_of(d) : NULL;
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
    enter();
    ops->page_response(d->dev, &evt, &msg);
    leave();
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
