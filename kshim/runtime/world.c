// SPDX-License-Identifier: MIT
/*
 * kshim runtime: a world's life, the same for every kernel version. The
 * world: each IOMMU of the topology is an SMMUv3 platform device with a
 * device-tree node ("#iommu-cells" = 1, dma-coherent), 128 KiB of MMIO and
 * wired interrupt lines; each device is a PCIe function (its PASID, PRI and
 * ATS capabilities) or, when it stalls, a platform device with
 * "dma-can-stall" and "pasid-num-bits"; its fwspec holds its StreamID. At
 * create the module's init registers the driver, the driver probes each
 * IOMMU, and each device is probed (probe_device); the glue then gives each
 * its RID domain, as its kernel's core would.
 */
#include "world.h"

#include <linux/err.h>
#include <linux/init.h>

extern initcall_t __start_kshim_initcalls[] __attribute__((weak));
extern initcall_t __stop_kshim_initcalls[] __attribute__((weak));
extern exitcall_t __start_kshim_exitcalls[] __attribute__((weak));
extern exitcall_t __stop_kshim_exitcalls[] __attribute__((weak));

u64 kshim_mmio_phys(u32 iommu);
void *kshim_pgd_of(u32 mm);
struct platform_driver *kshim_platform_driver(void);

#define KSHIM_MMIO_SIZE 0x20000ull /* SMMUv3 register pages 0 and 1 */

void kshim_enter(void) {
    kshim_sync_pull();
}

void kshim_leave(void) {
    kshim_sync_push();
    if (kshim_world && kshim_world->warnings) {
        kshim_report("error", "%u kernel WARNING(s) in this call (see above)",
                     kshim_world->warnings);
        abort();
    }
}

struct kshim_device *kshim_device_at(u32 dev) {
    return kshim_world && dev < kshim_world->t->n_devices ? &kshim_world->devices[dev] : NULL;
}

const struct iommu_ops *kshim_ops_of(const struct kshim_device *d) {
    return d && d->iommu.iommu_dev ? d->iommu.iommu_dev->ops : NULL;
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
    kshim_world_begin(w);
}

static bool add_fwspecs(struct kshim_world *w) {
    for (u32 i = 0; i < w->t->n_devices; ++i) {
        struct kshim_device *d = &w->devices[i];
        const struct svac_device_desc *desc = &w->t->devices[i];
        struct iommu_fwspec *f = calloc(1, sizeof(*f));
        if (!f) return false;
        f->iommu_fwnode = dev_fwnode(&w->iommus[desc->iommu].pdev.dev);
        kshim_fwspec_init(f, w->iommus[desc->iommu].ops);
        /* Firmware's word that the root complex takes ATS (IORT, DT
         * "ats-supported"): the kit's PCIe functions sit behind one. */
        if (d->is_pci) f->flags |= IOMMU_FWSPEC_PCI_RC_ATS;
        d->iommu.fwspec = f;
        if (kshim_fwspec_add_ids(d->dev, &desc->sid, 1)) return false;
    }
    return true;
}

static void run_exitcalls(void) {
    for (exitcall_t *fn = __start_kshim_exitcalls; fn && fn < __stop_kshim_exitcalls; ++fn) (*fn)();
}

static void release_devices(struct kshim_world *w) {
    for (u32 i = 0; i < w->t->n_devices; ++i) {
        struct kshim_device *d = &w->devices[i];
        const struct iommu_ops *ops = kshim_ops_of(d);
        if (ops && ops->release_device) ops->release_device(d->dev);
        d->iommu.iommu_dev = NULL;
        d->rid_domain = NULL;
        free(d->iommu.fwspec);
        d->iommu.fwspec = NULL;
    }
}

static void world_free(struct kshim_world *w) {
    kshim_world_end(w);
    kshim_forget_devres();
    kshim_forget_notifiers();
    kshim_forget_xarrays();
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

struct kshim_world *kshim_world_create(const struct svac_platform *p, const struct svac_topology *t,
                                       uint32_t api, const char *driver, const char *profile) {
    if (!p || p->abi_version < 5 || p->size < sizeof(struct svac_platform) || !t) return NULL;
    if (p->api != api) {
        kshim_report("error", "%s runs under profile %s", driver, profile);
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
    }
    return w;

fail_devices:
    release_devices(w);
fail_module:
    run_exitcalls();
    kshim_sync_push();
    world_free(w);
    return NULL;
}

void kshim_world_fail(struct kshim_world *w) {
    release_devices(w);
    run_exitcalls();
    kshim_sync_push();
    world_free(w);
}

void kshim_world_destroy(struct kshim_world *w) {
    release_devices(w);
    run_exitcalls(); /* the module goes: its driver unbinds from each IOMMU */
    kshim_sync_push();
    if (w->warnings) {
        kshim_report("error", "%u kernel WARNING(s) while the driver was removed", w->warnings);
        abort();
    }
    world_free(w);
}
