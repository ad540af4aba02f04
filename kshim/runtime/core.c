// SPDX-License-Identifier: MIT
/*
 * kshim runtime: the rest of the kernel a driver calls. The IOMMU core's
 * device plumbing (fwspec, the registered IOMMUs, the domain attached to a
 * device's RID), the fault path into the kit's core (report_fault), the mm
 * and its mmu notifiers, PCI capabilities and firmware properties from the
 * topology, the platform bus, the CPU facts of an arm64 host, time, and
 * the reports of WARN and BUG.
 */
#include "world.h"

#include <linux/crash_dump.h>
#include <linux/delay.h>
#include <linux/kernel.h>
#include <linux/ktime.h>
#include <linux/of_address.h>
#include <linux/pci-ats.h>
#include <linux/printk.h>
#include <linux/ratelimit.h>
#include <linux/sched/mm.h>
#include <linux/string.h>

#include <asm/cpufeature.h>
#include <asm/mmu.h>
#include <asm/sysreg.h>

struct kshim_world *kshim_world;

/* ---- messages ---- */

static bool verbose(void) {
    static int v = -1;
    if (v < 0) v = getenv("KSHIM_VERBOSE") != NULL;
    return v;
}

static void emit(const char *prefix, const char *fmt, __builtin_va_list ap) {
    char buf[512];
    int n = snprintf(buf, sizeof buf, "kshim: %s", prefix);
    if (n < 0 || (unsigned long)n >= sizeof buf) return;
    int m = vsnprintf(buf + n, sizeof buf - (unsigned long)n, fmt, ap);
    if (m < 0) return;
    unsigned long len = (unsigned long)n + (unsigned long)m;
    if (len >= sizeof buf - 1) len = sizeof buf - 2;
    if (buf[len - 1] != '\n') buf[len++] = '\n';
    (void)write(2, buf, len);
}

void kshim_report(const char *level, const char *fmt, ...) {
    if (!verbose() && strcmp(level, "error") && strcmp(level, "warning")) return;
    char prefix[32];
    snprintf(prefix, sizeof prefix, "%s: ", level);
    __builtin_va_list ap;
    __builtin_va_start(ap, fmt);
    emit(prefix, fmt, ap);
    __builtin_va_end(ap);
}

/* printk's level: KERN_SOH and a digit; errors (0-3) are always shown. */
static bool shown(const char **fmt) {
    int level = 4;
    if ((*fmt)[0] == '\001' && (*fmt)[1]) {
        level = (*fmt)[1] - '0';
        *fmt += 2;
    }
    return level <= 3 || verbose();
}

int printk(const char *fmt, ...) {
    if (!shown(&fmt)) return 0;
    __builtin_va_list ap;
    __builtin_va_start(ap, fmt);
    emit("", fmt, ap);
    __builtin_va_end(ap);
    return 0;
}

void dev_printk(const char *level, const struct device *dev, const char *fmt, ...) {
    if (!shown(&level)) return;
    char prefix[64];
    snprintf(prefix, sizeof prefix, "%s: ", dev && dev_name(dev) ? dev_name(dev) : "(no device)");
    __builtin_va_list ap;
    __builtin_va_start(ap, fmt);
    emit(prefix, fmt, ap);
    __builtin_va_end(ap);
}

int dev_err_probe(const struct device *dev, int err, const char *fmt, ...) {
    char prefix[64];
    snprintf(prefix, sizeof prefix, "%s: error %d: ", dev ? dev_name(dev) : "?", err);
    __builtin_va_list ap;
    __builtin_va_start(ap, fmt);
    emit(prefix, fmt, ap);
    __builtin_va_end(ap);
    return err;
}

int ___ratelimit(struct ratelimit_state *rs, const char *func) {
    (void)rs;
    (void)func;
    return 1;
}

/* A WARN in kernel code is a bug report: it is counted, and the glue turns
 * it into a crash of the call (ROBUST-1) once the call has returned, so the
 * kernel's state stays what the kernel made it. */
void kshim_warn(const char *file, int line, const char *what) {
    kshim_report("warning", "WARNING at %s:%d: %s", file, line, what);
    if (kshim_world) ++kshim_world->warnings;
}

void kshim_bug(const char *file, int line) {
    kshim_report("error", "kernel BUG at %s:%d", file, line);
    abort();
}

/* ---- time: a virtual clock, so that a timeout never depends on load ---- */

/* Each read costs a millisecond: the hardware model acts at once, so a
 * poll it satisfies ends within a read or two, and one it never will (a
 * CMD_SYNC behind a stopped queue) reaches the kernel's own timeout after
 * about a thousand reads, whatever the machine's speed. */
ktime_t ktime_get(void) {
    kshim_world->clock_ns += 1000000;
    return (ktime_t)kshim_world->clock_ns;
}

void kshim_delay_ns(u64 ns) {
    kshim_world->clock_ns += ns;
    kshim_barrier(); /* time passes: the hardware gets to act */
}

/* ---- the CPU: an arm64 host with 48-bit VAs and 16-bit ASIDs ---- */

unsigned int kshim_num_possible_cpus(void) {
    return 4;
}

u64 read_sanitised_ftr_reg(u32 id) {
    if (id == SYS_ID_AA64MMFR0_EL1) /* PARange 48 bits, ASIDBits 16 */
        return 5ull << ID_AA64MMFR0_EL1_PARANGE_SHIFT | 2ull << ID_AA64MMFR0_EL1_ASIDBITS_SHIFT;
    return 0;
}

bool cpus_have_cap(unsigned int cap) {
    (void)cap;
    return false;
}

bool arm64_kernel_unmapped_at_el0(void) {
    return false;
}

u64 kshim_arm64_read_sysreg(const char *name) {
    struct svac_mm_info info;
    if (!strcmp(name, "mair_el1") && kshim_world->t->n_mms &&
        kshim_world->p->mm_info(kshim_world->p->ctx, 0, &info) == 0)
        return info.mair;
    return 0;
}

u64 kshim_arm64_vabits_actual(void) {
    return 48;
}

bool is_kdump_kernel(void) {
    return false;
}

/* ---- devices and firmware properties ---- */

struct kshim_device *kshim_device_of(const struct device *dev) {
    for (u32 i = 0; i < kshim_world->t->n_devices; ++i)
        if (kshim_world->devices[i].dev == dev) return &kshim_world->devices[i];
    return NULL;
}

const struct bus_type pci_bus_type = {.name = "pci"};
const struct bus_type platform_bus_type = {.name = "platform"};

struct device *get_device(struct device *dev) {
    return dev;
}

void put_device(struct device *dev) {
    (void)dev;
}

/* The properties firmware gives a stall master (SMMUv3 "dma-can-stall",
 * "pasid-num-bits"), from the topology. */
bool device_property_read_bool(const struct device *dev, const char *propname) {
    struct kshim_device *d = kshim_device_of(dev);
    if (!d) return false;
    const struct svac_device_desc *desc = &kshim_world->t->devices[d->index];
    return !strcmp(propname, "dma-can-stall") && desc->stall;
}

int device_property_read_u32(const struct device *dev, const char *propname, u32 *val) {
    struct kshim_device *d = kshim_device_of(dev);
    if (!d || strcmp(propname, "pasid-num-bits")) return -EINVAL;
    *val = kshim_world->t->devices[d->index].pasid_bits;
    return 0;
}

/* An IOMMU's device-tree node: "#iommu-cells" = 1, "dma-coherent". */
int of_property_read_u32(const struct device_node *np, const char *propname, u32 *value) {
    (void)np;
    if (strcmp(propname, "#iommu-cells")) return -EINVAL;
    *value = 1;
    return 0;
}

bool of_property_read_bool(const struct device_node *np, const char *propname) {
    (void)np;
    return !strcmp(propname, "dma-coherent");
}

bool of_dma_is_coherent(struct device_node *np) {
    (void)np;
    return true;
}

struct device_node *of_node_get(struct device_node *np) {
    return np;
}

void of_node_put(struct device_node *np) {
    (void)np;
}

struct device *driver_find_device_by_fwnode(struct device_driver *drv,
                                            const struct fwnode_handle *fwnode) {
    (void)drv;
    for (u32 i = 0; i < kshim_world->t->n_iommus; ++i) {
        struct device *dev = &kshim_world->iommus[i].pdev.dev;
        if (dev_fwnode(dev) == fwnode) return dev;
    }
    return NULL;
}

/* ---- the platform bus: the drivers module_init registered ---- */

#define KSHIM_MAX_DRIVERS 4
static struct platform_driver *drivers[KSHIM_MAX_DRIVERS];

int platform_driver_register(struct platform_driver *drv) {
    for (unsigned int i = 0; i < KSHIM_MAX_DRIVERS; ++i)
        if (!drivers[i]) {
            drivers[i] = drv;
            return 0;
        }
    return -ENOMEM;
}

void platform_driver_unregister(struct platform_driver *drv) {
    for (unsigned int i = 0; i < KSHIM_MAX_DRIVERS; ++i)
        if (drivers[i] == drv) drivers[i] = NULL;
    /* Its devices go with it. */
    for (u32 i = 0; kshim_world && i < kshim_world->t->n_iommus; ++i) {
        struct platform_device *pdev = &kshim_world->iommus[i].pdev;
        if (pdev->dev.driver != &drv->driver) continue;
        if (drv->remove) drv->remove(pdev);
        kshim_release_devm(&pdev->dev);
        pdev->dev.driver = NULL;
    }
}

struct platform_driver *kshim_platform_driver(void) {
    return drivers[0];
}

struct resource *platform_get_resource(struct platform_device *pdev, unsigned int type,
                                       unsigned int num) {
    if (type != IORESOURCE_MEM || num >= pdev->num_resources) return NULL;
    return &pdev->resource[num];
}

/* ---- the IOMMU core's plumbing ---- */

int iommu_device_register(struct iommu_device *iommu, const struct iommu_ops *ops,
                          struct device *hwdev) {
    for (u32 i = 0; i < kshim_world->t->n_iommus; ++i) {
        struct kshim_iommu *k = &kshim_world->iommus[i];
        if (&k->pdev.dev != hwdev) continue;
        iommu->ops = ops;
        iommu->dev = hwdev;
        iommu->fwnode = dev_fwnode(hwdev);
        k->registered = iommu;
        k->ops = ops;
        return 0;
    }
    return -ENODEV;
}

void iommu_device_unregister(struct iommu_device *iommu) {
    for (u32 i = 0; i < kshim_world->t->n_iommus; ++i)
        if (kshim_world->iommus[i].registered == iommu) kshim_world->iommus[i].registered = NULL;
}

int iommu_device_sysfs_add(struct iommu_device *iommu, struct device *parent, const void *groups,
                           const char *fmt, ...) {
    (void)iommu;
    (void)parent;
    (void)groups;
    (void)fmt;
    return 0;
}

void iommu_device_sysfs_remove(struct iommu_device *iommu) {
    (void)iommu;
}

int kshim_fwspec_add_ids(struct device *dev, const u32 *ids, int num_ids) {
    struct iommu_fwspec *f = dev->iommu ? dev->iommu->fwspec : NULL;
    if (!f) return -EINVAL;
    f = realloc(f, sizeof(*f) + (f->num_ids + (unsigned int)num_ids) * sizeof(u32));
    if (!f) return -ENOMEM;
    for (int i = 0; i < num_ids; ++i) f->ids[f->num_ids++] = ids[i];
    dev->iommu->fwspec = f;
    return 0;
}

void dev_iommu_priv_set(struct device *dev, void *priv) {
    dev->iommu->priv = priv;
}

struct iommu_domain *iommu_get_domain_for_dev(struct device *dev) {
    struct kshim_device *d = kshim_device_of(dev);
    return d ? d->rid_domain : NULL;
}

void iommu_group_mutex_assert(struct device *dev) {
    (void)dev;
}

/* Groups are the core's business: every device is alone in its own. */
static char the_group;

struct iommu_group *generic_device_group(struct device *dev) {
    (void)dev;
    return (struct iommu_group *)&the_group;
}

struct iommu_group *pci_device_group(struct device *dev) {
    return generic_device_group(dev);
}

struct iommu_resv_region *iommu_alloc_resv_region(phys_addr_t start, size_t length, int prot,
                                                  enum iommu_resv_type type, gfp_t gfp) {
    (void)start;
    (void)length;
    (void)prot;
    (void)type;
    (void)gfp;
    return NULL;
}

/* ---- the fault path: into the kit's core ---- */

/* A page request the driver decoded, reported to the kit's core (the
 * version's iommu_report_device_fault wraps it). */
int kshim_report_page_request(struct device *dev, const struct iommu_fault *fault) {
    struct kshim_device *d = kshim_device_of(dev);
    if (!d || fault->type != IOMMU_FAULT_PAGE_REQ) return -EINVAL;
    const struct iommu_fault_page_request *prm = &fault->prm;
    struct svac_fault f = {0};
    if (prm->flags & IOMMU_FAULT_PAGE_REQUEST_PASID_VALID) f.flags |= SVAC_FAULT_PASID_VALID;
    if (prm->flags & IOMMU_FAULT_PAGE_REQUEST_LAST_PAGE) f.flags |= SVAC_FAULT_LAST_PAGE;
    if (prm->flags & IOMMU_FAULT_PAGE_RESPONSE_NEEDS_PASID) f.flags |= SVAC_FAULT_NEEDS_PASID;
    f.pasid = prm->pasid;
    f.grpid = prm->grpid;
    f.perm = prm->perm; /* IOMMU_FAULT_PERM_* and SVAC_FAULT_PERM_* agree */
    f.addr = prm->addr;
    const struct svac_platform *p = kshim_world->p;
    kshim_sync_push();
    int ret = p->report_fault(p->ctx, d->index, &f);
    kshim_sync_pull();
    return ret;
}

struct iopf_queue {
    int unused;
};

struct iopf_queue *iopf_queue_alloc(const char *name) {
    (void)name;
    return calloc(1, sizeof(struct iopf_queue));
}

void iopf_queue_free(struct iopf_queue *queue) {
    free(queue);
}

int iopf_queue_add_device(struct iopf_queue *queue, struct device *dev) {
    (void)queue;
    (void)dev;
    return 0;
}

int iopf_queue_flush_dev(struct device *dev) {
    (void)dev;
    return 0;
}

/* ---- mms and their notifiers ---- */

bool mmget_not_zero(struct mm_struct *mm) {
    (void)mm;
    return true;
}
void mmget(struct mm_struct *mm) {
    (void)mm;
}
void mmput(struct mm_struct *mm) {
    (void)mm;
}
void mmgrab(struct mm_struct *mm) {
    (void)mm;
}
void mmdrop(struct mm_struct *mm) {
    (void)mm;
}

struct kshim_notifier {
    struct mmu_notifier *sub;
    u32 mm;
};
static struct kshim_notifier notifiers[256];
static unsigned int n_notifiers;

static int mm_index(const struct mm_struct *mm) {
    for (u32 i = 0; i < kshim_world->t->n_mms; ++i)
        if (&kshim_world->mms[i].mm == mm) return (int)i;
    return -1;
}

int mmu_notifier_register(struct mmu_notifier *subscription, struct mm_struct *mm) {
    int i = mm_index(mm);
    if (i < 0 || n_notifiers == ARRAY_SIZE(notifiers)) return -ENOMEM;
    subscription->mm = mm;
    notifiers[n_notifiers++] = (struct kshim_notifier){subscription, (u32)i};
    return 0;
}

static bool forget(struct mmu_notifier *sub) {
    for (unsigned int i = 0; i < n_notifiers; ++i)
        if (notifiers[i].sub == sub) {
            notifiers[i] = notifiers[--n_notifiers];
            return true;
        }
    return false;
}

void mmu_notifier_unregister(struct mmu_notifier *subscription, struct mm_struct *mm) {
    (void)mm;
    forget(subscription);
}

/* The last reference: free_notifier runs (the kernel defers it past an SRCU
 * grace period; nothing here can still be inside the notifier). */
void mmu_notifier_put(struct mmu_notifier *subscription) {
    if (forget(subscription) && subscription->ops->free_notifier)
        subscription->ops->free_notifier(subscription);
}

void mmu_notifier_synchronize(void) {}

/* A new world: no notifier of an earlier one's mms survives into it. */
void kshim_forget_notifiers(void) {
    n_notifiers = 0;
}

void kshim_notify_invalidate(u32 mm, u64 start, u64 end) {
    for (unsigned int i = 0; i < n_notifiers; ++i)
        if (notifiers[i].mm == mm)
            kshim_mn_invalidate(notifiers[i].sub, &kshim_world->mms[mm].mm, start, end);
}

void kshim_notify_release(u32 mm) {
    for (unsigned int i = 0; i < n_notifiers; ++i)
        if (notifiers[i].mm == mm && notifiers[i].sub->ops->release)
            notifiers[i].sub->ops->release(notifiers[i].sub, &kshim_world->mms[mm].mm);
}

/* ---- PCI capabilities, from the topology ---- */

static const struct svac_device_desc *pci_desc(struct pci_dev *pdev) {
    struct kshim_device *d = kshim_device_of(&pdev->dev);
    return d ? &kshim_world->t->devices[d->index] : NULL;
}

bool pci_ats_supported(struct pci_dev *pdev) {
    const struct svac_device_desc *d = pci_desc(pdev);
    return d && d->ats;
}

int pci_prepare_ats(struct pci_dev *pdev, int ps) {
    (void)ps;
    return pci_ats_supported(pdev) ? 0 : -EINVAL;
}

int pci_enable_ats(struct pci_dev *pdev, int ps) {
    (void)ps;
    if (!pci_ats_supported(pdev) || pdev->ats_enabled) return -EINVAL;
    pdev->ats_enabled = 1;
    return 0;
}

void pci_disable_ats(struct pci_dev *pdev) {
    WARN_ON(!pdev->ats_enabled);
    pdev->ats_enabled = 0;
}

int pci_max_pasids(struct pci_dev *pdev) {
    const struct svac_device_desc *d = pci_desc(pdev);
    return d && d->pasid_bits ? 1 << d->pasid_bits : -EINVAL;
}

int pci_pasid_features(struct pci_dev *pdev) {
    return pci_max_pasids(pdev) > 0 ? 0 : -EINVAL;
}

int pci_enable_pasid(struct pci_dev *pdev, int features) {
    (void)features;
    if (pci_max_pasids(pdev) < 0 || pdev->pasid_enabled) return -EINVAL;
    pdev->pasid_enabled = 1;
    return 0;
}

void pci_disable_pasid(struct pci_dev *pdev) {
    WARN_ON(!pdev->pasid_enabled);
    pdev->pasid_enabled = 0;
}

bool pci_pri_supported(struct pci_dev *pdev) {
    const struct svac_device_desc *d = pci_desc(pdev);
    return d && d->pri;
}

int pci_enable_pri(struct pci_dev *pdev, u32 reqs) {
    (void)reqs;
    if (!pci_pri_supported(pdev) || pdev->pri_enabled) return -EINVAL;
    pdev->pri_enabled = 1;
    return 0;
}

void pci_disable_pri(struct pci_dev *pdev) {
    pdev->pri_enabled = 0;
}

int pci_reset_pri(struct pci_dev *pdev) {
    return pdev->pri_enabled ? -EBUSY : 0;
}

int pci_prg_resp_pasid_required(struct pci_dev *pdev) {
    return pci_pri_supported(pdev);
}
