/* SPDX-License-Identifier: MIT */
/* kshim (Linux 6.1): the IOMMU driver interface: domains, driver ops, device
 * IOMMU data, faults and the core services a driver calls (runtime-provided). */
#ifndef KSHIM_V6_1_LINUX_IOMMU_H
#define KSHIM_V6_1_LINUX_IOMMU_H

#include <linux/device.h>
#include <linux/err.h>
#include <linux/ioasid.h>
#include <linux/list.h>
#include <linux/mmu_notifier.h>
#include <linux/mutex.h>
#include <linux/scatterlist.h>
#include <linux/types.h>
#include <uapi/linux/iommu.h>

struct fwnode_handle;
struct iommu_domain;
struct iommu_domain_ops;
struct iommu_group;
struct iommu_ops;
struct mm_struct;
struct module;
struct of_phandle_args;

/* Mapping protection flags (prot argument of map_pages). */
#define IOMMU_READ (1 << 0)
#define IOMMU_WRITE (1 << 1)
#define IOMMU_CACHE (1 << 2)
#define IOMMU_NOEXEC (1 << 3)
#define IOMMU_MMIO (1 << 4)
#define IOMMU_PRIV (1 << 5)

#define IOMMU_PASID_INVALID (-1U)

/* ---- I/O page faults (fault/response layouts: uapi/linux/iommu.h) ---- */

/* A fault as queued for the device's fault handler. */
struct iommu_fault_event {
    struct iommu_fault fault;
    struct list_head list;
};

/* Handler installed with iommu_register_device_fault_handler(). */
typedef int (*iommu_dev_fault_handler_t)(struct iommu_fault *fault, void *data);

/* ---- domains ---- */

struct iommu_domain_geometry {
    dma_addr_t aperture_start;
    dma_addr_t aperture_end; /* inclusive */
    bool force_aperture;
};

#define __IOMMU_DOMAIN_PAGING (1U << 0)
#define __IOMMU_DOMAIN_DMA_API (1U << 1)
#define __IOMMU_DOMAIN_PT (1U << 2)
#define __IOMMU_DOMAIN_DMA_FQ (1U << 3)

#define IOMMU_DOMAIN_BLOCKED (0U)
#define IOMMU_DOMAIN_IDENTITY (__IOMMU_DOMAIN_PT)
#define IOMMU_DOMAIN_UNMANAGED (__IOMMU_DOMAIN_PAGING)
#define IOMMU_DOMAIN_DMA (__IOMMU_DOMAIN_PAGING | __IOMMU_DOMAIN_DMA_API)
#define IOMMU_DOMAIN_DMA_FQ (__IOMMU_DOMAIN_PAGING | __IOMMU_DOMAIN_DMA_API | __IOMMU_DOMAIN_DMA_FQ)

/*
 * An address space devices can be attached to.  The driver allocates it (embedded
 * in its own structure) and sets pgsize_bitmap and geometry; the core sets
 * type and ops.
 */
struct iommu_domain {
    unsigned int type;
    const struct iommu_domain_ops *ops;
    unsigned long pgsize_bitmap;
    struct iommu_domain_geometry geometry;
};

enum iommu_cap {
    IOMMU_CAP_CACHE_COHERENCY,
    IOMMU_CAP_INTR_REMAP,
    IOMMU_CAP_NOEXEC,
    IOMMU_CAP_PRE_BOOT_PROTECTION,
};

enum iommu_resv_type {
    IOMMU_RESV_DIRECT,
    IOMMU_RESV_DIRECT_RELAXABLE,
    IOMMU_RESV_RESERVED,
    IOMMU_RESV_MSI,
    IOMMU_RESV_SW_MSI,
};

/* A reserved IOVA range of a device, linked on the list given to
 * get_resv_regions. */
struct iommu_resv_region {
    struct list_head list;
    phys_addr_t start;
    size_t length;
    int prot;
    enum iommu_resv_type type;
    void (*free)(struct device *dev, struct iommu_resv_region *region);
};

/* IORT RMR reserved region with the stream IDs it applies to. */
struct iommu_iort_rmr_data {
    struct iommu_resv_region rr;
    const u32 *sids;
    u32 num_sids;
};

enum iommu_dev_features {
    IOMMU_DEV_FEAT_SVA,
    IOMMU_DEV_FEAT_IOPF,
};

/* Pending IOTLB invalidation: [start, end] (inclusive) at pgsize granularity;
 * freelist holds page-table pages to free after the flush. */
struct iommu_iotlb_gather {
    unsigned long start;
    unsigned long end;
    size_t pgsize;
    struct list_head freelist;
    bool queued;
};

/* A device's binding to a process address space (SVA), allocated by the
 * driver's sva_bind. */
struct iommu_sva {
    struct device *dev;
};

/* Driver callbacks, registered with iommu_device_register(). */
struct iommu_ops {
    bool (*capable)(struct device *dev, enum iommu_cap cap);
    struct iommu_domain *(*domain_alloc)(unsigned int iommu_domain_type);
    struct iommu_device *(*probe_device)(struct device *dev);
    void (*release_device)(struct device *dev);
    struct iommu_group *(*device_group)(struct device *dev);
    void (*get_resv_regions)(struct device *dev, struct list_head *list);
    int (*of_xlate)(struct device *dev, struct of_phandle_args *args);
    int (*dev_enable_feat)(struct device *dev, enum iommu_dev_features f);
    int (*dev_disable_feat)(struct device *dev, enum iommu_dev_features f);
    struct iommu_sva *(*sva_bind)(struct device *dev, struct mm_struct *mm, void *drvdata);
    void (*sva_unbind)(struct iommu_sva *handle);
    u32 (*sva_get_pasid)(struct iommu_sva *handle);
    int (*page_response)(struct device *dev, struct iommu_fault_event *evt,
                         struct iommu_page_response *msg);
    int (*def_domain_type)(struct device *dev);
    const struct iommu_domain_ops *default_domain_ops;
    unsigned long pgsize_bitmap;
    struct module *owner;
};

/* Per-domain callbacks. */
struct iommu_domain_ops {
    int (*attach_dev)(struct iommu_domain *domain, struct device *dev);
    int (*map_pages)(struct iommu_domain *domain, unsigned long iova, phys_addr_t paddr,
                     size_t pgsize, size_t pgcount, int prot, gfp_t gfp, size_t *mapped);
    size_t (*unmap_pages)(struct iommu_domain *domain, unsigned long iova, size_t pgsize,
                          size_t pgcount, struct iommu_iotlb_gather *iotlb_gather);
    void (*flush_iotlb_all)(struct iommu_domain *domain);
    void (*iotlb_sync)(struct iommu_domain *domain, struct iommu_iotlb_gather *iotlb_gather);
    phys_addr_t (*iova_to_phys)(struct iommu_domain *domain, dma_addr_t iova);
    int (*enable_nesting)(struct iommu_domain *domain);
    void (*free)(struct iommu_domain *domain);
};

/* One IOMMU instance as known to the core. */
struct iommu_device {
    struct list_head list;
    const struct iommu_ops *ops;
    struct fwnode_handle *fwnode;
    struct device *dev;
    u32 max_pasids;
};

/* Firmware description of how a device reaches its IOMMU: the IOMMU's fwnode
 * and the device's stream IDs. */
struct iommu_fwspec {
    const struct iommu_ops *ops;
    struct fwnode_handle *iommu_fwnode;
    u32 flags;
    unsigned int num_ids;
    u32 ids[];
};

#define IOMMU_FWSPEC_PCI_RC_ATS (1 << 0)

/* IOMMU data the core keeps in each struct device (dev->iommu). */
struct dev_iommu {
    struct iommu_fwspec *fwspec;
    struct iommu_device *iommu_dev;
    void *priv;
};

/* ---- core services (runtime-provided) ---- */

extern int iommu_device_register(struct iommu_device *iommu, const struct iommu_ops *ops,
                                 struct device *hwdev);
extern void iommu_device_unregister(struct iommu_device *iommu);
extern __printf(4, 5) int iommu_device_sysfs_add(struct iommu_device *iommu, struct device *parent,
                                                 const void *groups, const char *fmt, ...);
extern void iommu_device_sysfs_remove(struct iommu_device *iommu);

extern struct iommu_group *generic_device_group(struct device *dev);
extern struct iommu_group *pci_device_group(struct device *dev);
extern struct iommu_domain *iommu_get_domain_for_dev(struct device *dev);
extern struct iommu_resv_region *iommu_alloc_resv_region(phys_addr_t start, size_t length, int prot,
                                                         enum iommu_resv_type type, gfp_t gfp);
extern int iommu_fwspec_add_ids(struct device *dev, u32 *ids, int num_ids);
extern void dev_iommu_priv_set(struct device *dev, void *priv);

static inline struct iommu_fwspec *dev_iommu_fwspec_get(struct device *dev) {
    return dev->iommu ? dev->iommu->fwspec : NULL;
}

static inline void *dev_iommu_priv_get(struct device *dev) {
    return dev->iommu ? dev->iommu->priv : NULL;
}

/* Fault reporting; the I/O page fault queue (iopf_queue_*) is declared by the
 * kernel's own drivers/iommu/iommu-sva-lib.h in 6.1. */
extern int iommu_register_device_fault_handler(struct device *dev,
                                               iommu_dev_fault_handler_t handler, void *data);
extern int iommu_unregister_device_fault_handler(struct device *dev);
extern int iommu_report_device_fault(struct device *dev, struct iommu_fault_event *evt);

/* ---- IOTLB gather helpers ---- */

static inline void iommu_iotlb_gather_init(struct iommu_iotlb_gather *gather) {
    gather->start = ULONG_MAX;
    gather->end = 0;
    gather->pgsize = 0;
    INIT_LIST_HEAD(&gather->freelist);
    gather->queued = false;
}

static inline void iommu_iotlb_sync(struct iommu_domain *domain,
                                    struct iommu_iotlb_gather *iotlb_gather) {
    if (domain->ops->iotlb_sync) domain->ops->iotlb_sync(domain, iotlb_gather);
    iommu_iotlb_gather_init(iotlb_gather);
}

/* True if a non-empty gather and [iova, iova + size) neither overlap nor touch. */
static inline bool iommu_iotlb_gather_is_disjoint(struct iommu_iotlb_gather *gather,
                                                  unsigned long iova, size_t size) {
    unsigned long last = iova + size - 1;

    if (gather->end == 0) return false;
    return last + 1 < gather->start || iova > gather->end + 1;
}

/* Grow the gathered range to cover [iova, iova + size). */
static inline void iommu_iotlb_gather_add_range(struct iommu_iotlb_gather *gather,
                                                unsigned long iova, size_t size) {
    unsigned long last = iova + size - 1;

    if (iova < gather->start) gather->start = iova;
    if (last > gather->end) gather->end = last;
}

/* Add one page of the given size, flushing first if it cannot be merged (other
 * page size, or disjoint from the gathered range). */
static inline void iommu_iotlb_gather_add_page(struct iommu_domain *domain,
                                               struct iommu_iotlb_gather *gather,
                                               unsigned long iova, size_t size) {
    bool other_size = gather->pgsize && gather->pgsize != size;

    if (other_size || iommu_iotlb_gather_is_disjoint(gather, iova, size))
        iommu_iotlb_sync(domain, gather);
    gather->pgsize = size;
    iommu_iotlb_gather_add_range(gather, iova, size);
}

static inline bool iommu_iotlb_gather_queued(struct iommu_iotlb_gather *gather) {
    return gather != NULL && gather->queued;
}

#endif
