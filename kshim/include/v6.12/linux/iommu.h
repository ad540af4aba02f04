/* SPDX-License-Identifier: MIT */
/* kshim (Linux 6.12): the IOMMU driver interface: domains, driver ops, device
 * IOMMU data, faults and the core services a driver calls (runtime-provided). */
#ifndef KSHIM_V6_12_LINUX_IOMMU_H
#define KSHIM_V6_12_LINUX_IOMMU_H

#include <linux/device.h>
#include <linux/err.h>
#include <linux/list.h>
#include <linux/mmu_notifier.h>
#include <linux/mutex.h>
#include <linux/scatterlist.h>
#include <linux/types.h>

struct fwnode_handle;
struct iommu_dirty_ops;
struct iommu_domain;
struct iommu_domain_ops;
struct iommu_group;
struct iommu_ops;
struct iopf_group;
struct iopf_queue;
struct iova_bitmap;
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

typedef unsigned int ioasid_t;
#define IOMMU_NO_PASID (0U)
#define IOMMU_FIRST_GLOBAL_PASID (1U)
#define IOMMU_PASID_INVALID (-1U)

/* ---- I/O page faults ---- */

#define IOMMU_FAULT_PERM_READ (1 << 0)
#define IOMMU_FAULT_PERM_WRITE (1 << 1)
#define IOMMU_FAULT_PERM_EXEC (1 << 2)
#define IOMMU_FAULT_PERM_PRIV (1 << 3)

enum iommu_fault_type {
    IOMMU_FAULT_PAGE_REQ = 1,
};

#define IOMMU_FAULT_PAGE_REQUEST_PASID_VALID (1 << 0)
#define IOMMU_FAULT_PAGE_REQUEST_LAST_PAGE (1 << 1)
#define IOMMU_FAULT_PAGE_RESPONSE_NEEDS_PASID (1 << 2)

/* A page request: flags (IOMMU_FAULT_PAGE_REQUEST_*), pasid, page request group
 * index, perm (IOMMU_FAULT_PERM_*), faulting address and driver-private data. */
struct iommu_fault_page_request {
    u32 flags;
    u32 pasid;
    u32 grpid;
    u32 perm;
    u64 addr;
    u64 private_data[2];
};

struct iommu_fault {
    u32 type;
    struct iommu_fault_page_request prm;
};

enum iommu_page_response_code {
    IOMMU_PAGE_RESP_SUCCESS = 0,
    IOMMU_PAGE_RESP_INVALID,
    IOMMU_PAGE_RESP_FAILURE,
};

struct iommu_page_response {
    u32 pasid;
    u32 grpid;
    u32 code;
};

struct iopf_fault {
    struct iommu_fault fault;
    struct list_head list;
};

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
#define __IOMMU_DOMAIN_SVA (1U << 4)
#define __IOMMU_DOMAIN_PLATFORM (1U << 5)
#define __IOMMU_DOMAIN_NESTED (1U << 6)

#define IOMMU_DOMAIN_BLOCKED (0U)
#define IOMMU_DOMAIN_IDENTITY (__IOMMU_DOMAIN_PT)
#define IOMMU_DOMAIN_UNMANAGED (__IOMMU_DOMAIN_PAGING)
#define IOMMU_DOMAIN_DMA (__IOMMU_DOMAIN_PAGING | __IOMMU_DOMAIN_DMA_API)
#define IOMMU_DOMAIN_DMA_FQ (__IOMMU_DOMAIN_PAGING | __IOMMU_DOMAIN_DMA_API | __IOMMU_DOMAIN_DMA_FQ)
#define IOMMU_DOMAIN_SVA (__IOMMU_DOMAIN_SVA)
#define IOMMU_DOMAIN_PLATFORM (__IOMMU_DOMAIN_PLATFORM)
#define IOMMU_DOMAIN_NESTED (__IOMMU_DOMAIN_NESTED)

/*
 * An address space devices can be attached to.  The driver allocates it (embedded
 * in its own structure) and sets type, ops and pgsize_bitmap; the core sets
 * owner and, for SVA domains, mm.
 */
struct iommu_domain {
    unsigned int type;
    const struct iommu_domain_ops *ops;
    const struct iommu_dirty_ops *dirty_ops;
    const struct iommu_ops *owner;
    unsigned long pgsize_bitmap;
    struct iommu_domain_geometry geometry;
    struct mm_struct *mm; /* IOMMU_DOMAIN_SVA only */
};

enum iommu_cap {
    IOMMU_CAP_CACHE_COHERENCY,
    IOMMU_CAP_NOEXEC,
    IOMMU_CAP_PRE_BOOT_PROTECTION,
    IOMMU_CAP_ENFORCE_CACHE_COHERENCY,
    IOMMU_CAP_DEFERRED_FLUSH,
    IOMMU_CAP_DIRTY_TRACKING,
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

#define IOMMU_DIRTY_NO_CLEAR (1 << 0)

/* Pending IOTLB invalidation: [start, end] (inclusive) at pgsize granularity;
 * freelist holds page-table pages to free after the flush. */
struct iommu_iotlb_gather {
    unsigned long start;
    unsigned long end;
    size_t pgsize;
    struct list_head freelist;
    bool queued;
};

struct iommu_dirty_bitmap {
    struct iova_bitmap *bitmap;
    struct iommu_iotlb_gather *gather;
};

struct iommu_dirty_ops {
    int (*set_dirty_tracking)(struct iommu_domain *domain, bool enabled);
    int (*read_and_clear_dirty)(struct iommu_domain *domain, unsigned long iova, size_t size,
                                unsigned long flags, struct iommu_dirty_bitmap *dirty);
};

/* Driver-specific user data passed through iommufd. */
struct iommu_user_data {
    unsigned int type;
    void __user *uptr;
    size_t len;
};

/* Driver callbacks, registered with iommu_device_register(). */
struct iommu_ops {
    bool (*capable)(struct device *dev, enum iommu_cap cap);
    struct iommu_domain *(*domain_alloc_user)(struct device *dev, u32 flags,
                                              struct iommu_domain *parent,
                                              const struct iommu_user_data *user_data);
    struct iommu_domain *(*domain_alloc_paging)(struct device *dev);
    struct iommu_domain *(*domain_alloc_sva)(struct device *dev, struct mm_struct *mm);
    struct iommu_device *(*probe_device)(struct device *dev);
    void (*release_device)(struct device *dev);
    struct iommu_group *(*device_group)(struct device *dev);
    void (*get_resv_regions)(struct device *dev, struct list_head *list);
    int (*of_xlate)(struct device *dev, const struct of_phandle_args *args);
    int (*dev_enable_feat)(struct device *dev, enum iommu_dev_features f);
    int (*dev_disable_feat)(struct device *dev, enum iommu_dev_features f);
    void (*page_response)(struct device *dev, struct iopf_fault *evt,
                          struct iommu_page_response *msg);
    int (*def_domain_type)(struct device *dev);
    void (*remove_dev_pasid)(struct device *dev, ioasid_t pasid, struct iommu_domain *domain);
    const struct iommu_domain_ops *default_domain_ops;
    unsigned long pgsize_bitmap;
    struct module *owner;
    struct iommu_domain *identity_domain;
    struct iommu_domain *blocked_domain;
};

/* Per-domain callbacks. */
struct iommu_domain_ops {
    int (*attach_dev)(struct iommu_domain *domain, struct device *dev);
    int (*set_dev_pasid)(struct iommu_domain *domain, struct device *dev, ioasid_t pasid,
                         struct iommu_domain *old);
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
    u32 max_pasids;
    u32 require_direct : 1;
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
extern void iommu_group_mutex_assert(struct device *dev);
extern struct iommu_resv_region *iommu_alloc_resv_region(phys_addr_t start, size_t length, int prot,
                                                         enum iommu_resv_type type, gfp_t gfp);
extern int iommu_fwspec_add_ids(struct device *dev, const u32 *ids, int num_ids);
extern void dev_iommu_priv_set(struct device *dev, void *priv);

static inline struct iommu_fwspec *dev_iommu_fwspec_get(struct device *dev) {
    return dev->iommu ? dev->iommu->fwspec : NULL;
}

static inline void *dev_iommu_priv_get(struct device *dev) {
    return dev->iommu ? dev->iommu->priv : NULL;
}

extern int iommu_report_device_fault(struct device *dev, struct iopf_fault *evt);
extern struct iopf_queue *iopf_queue_alloc(const char *name);
extern void iopf_queue_free(struct iopf_queue *queue);
extern int iopf_queue_add_device(struct iopf_queue *queue, struct device *dev);
extern void iopf_queue_remove_device(struct iopf_queue *queue, struct device *dev);
extern int iopf_queue_flush_dev(struct device *dev);

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

extern void iova_bitmap_set(struct iova_bitmap *bitmap, unsigned long iova, size_t length);

/* Record [iova, iova + length) as dirty (and as needing an IOTLB flush). */
static inline void iommu_dirty_bitmap_record(struct iommu_dirty_bitmap *dirty, unsigned long iova,
                                             unsigned long length) {
    if (dirty->bitmap) iova_bitmap_set(dirty->bitmap, iova, length);
    if (dirty->gather) iommu_iotlb_gather_add_range(dirty->gather, iova, length);
}

#endif
