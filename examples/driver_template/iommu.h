/* SPDX-License-Identifier: MIT */
/*
 * The template VT-d SVA driver: its instance and the calls between its
 * files. Everything the driver keeps hangs off struct intel_sva, the pointer
 * create() hands back to the harness; there is no global mutable state.
 *
 *   driver.c       the ops table, svac_driver_entry(), probe (create/destroy)
 *   context.c      root table, scalable-mode context entries, translation enable
 *   pasid_table.c  PASID directory and tables, PASID entry setup and teardown
 *   qi.c           the invalidation queue: descriptors and waits
 *   prq.c          the page request queue and page group responses
 *   features.c     IOMMU_DEV_FEAT_SVA and iommu_sva_set_param
 *   svm.c          bind/unbind, mm release and the mmu notifier
 *   ioasid.c       the global PASID space
 */
#ifndef TEMPLATE_IOMMU_H
#define TEMPLATE_IOMMU_H

#include <svac/driver_abi.h>

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Domain IDs. Every SVA entry shares one DID (the PASID tells mms apart);
 * the identity default domain of requests without a PASID has its own. */
#define FLPT_DEFAULT_DID 1
#define IDENTITY_DID 2

#define PCI_BUS_NUM(rid) (((rid) >> 8) & 0xff)
#define PCI_DEVFN(rid) ((rid)&0xff)

struct intel_iommu {
    uint32_t pasid_bits;
    bool sva;                 /* can walk CPU page tables */
    uint64_t root_table;      /* pa of the root table */
    uint64_t *context_tables; /* [bus * 2 + (devfn >= 0x80)]: pa, 0 if none */
    bool qi_pending;          /* descriptors queued since the last wait */
    uint64_t prq;             /* pa of the page request queue */
    bool prq_enabled;
};

struct device_domain_info {
    uint32_t iommu;
    uint16_t rid; /* requester ID: bus << 8 | devfn */
    bool pri;
    bool ats;
    bool sva_enabled;
    uint32_t pasid_max;     /* largest PASID of min(device, IOMMU) width */
    uint32_t dev_pasid_max; /* largest PASID of the device alone */
    uint32_t param_min;     /* iommu_sva_set_param limits, both inclusive */
    uint32_t param_max;
    uint32_t nr_bonds;
    uint64_t context_entry; /* pa of its scalable-mode context entry */
    uint64_t pasid_dir;     /* pa of its PASID directory */
    uint32_t pasid_dir_entries;
    uint64_t *pasid_tables; /* [pasid >> 6]: pa, 0 while the PDE is not present */
};

/* A bond between a device and an mm. */
struct intel_svm_dev {
    uint64_t refs; /* binds not yet unbound; 0: no bond */
    svac_mm_exit_fn mm_exit;
    void *cb_ctx;
    uint64_t drvdata;
};

/* What the driver knows of an mm. */
struct intel_svm {
    uint32_t pasid; /* 0: none allocated */
    uint32_t nr_bonds;
    bool released; /* mm_release ran: the mm cannot be bound again */
};

/* The global PASID space: sorted (pasid, mm) pairs, at most one per mm. */
struct ioasid {
    uint32_t pasid;
    uint32_t mm;
};

struct ioasid_set {
    uint32_t nr;
    uint32_t max;       /* room for one per mm, allocated at create */
    struct ioasid *ids; /* [nr], sorted by pasid */
};

struct intel_sva {
    const struct svac_platform *platform;
    uint32_t nr_iommus;
    uint32_t nr_devices;
    uint32_t nr_mms;
    struct intel_iommu *iommus;
    struct device_domain_info *devices;
    struct intel_svm *mms;
    struct intel_svm_dev *bonds; /* [dev * nr_mms + mm] */
    struct ioasid_set pasids;
    bool translation_enabled;
};

/* An invalidation range: 2^am pages from addr, naturally aligned, or
 * everything when all is set. */
struct inv_range {
    uint64_t addr;
    unsigned int am;
    bool all;
};

/* --- the platform, under the names the kernel has for it (driver.c) --- */
uint64_t iommu_alloc_pages(struct intel_sva *sva, uint64_t bytes);
void iommu_free_pages(struct intel_sva *sva, uint64_t *pa);
void entry_write(struct intel_sva *sva, uint64_t pa, uint64_t val);
uint64_t entry_read(struct intel_sva *sva, uint64_t pa);
void dmar_writeq(struct intel_sva *sva, uint32_t iommu, uint32_t reg, uint64_t val);
uint64_t dmar_readq(struct intel_sva *sva, uint32_t iommu, uint32_t reg);
struct device_domain_info *dev_iommu_priv_get(struct intel_sva *sva, uint32_t dev);

/* --- context.c --- */
int iommu_alloc_root_entry(struct intel_sva *sva, struct intel_iommu *iommu);
void iommu_free_root_entry(struct intel_sva *sva, struct intel_iommu *iommu);
int iommu_context_addr(struct intel_sva *sva, struct device_domain_info *info);
void intel_pasid_setup_sm_context(struct intel_sva *sva, struct device_domain_info *info);
void context_set_sm_sva(struct intel_sva *sva, struct device_domain_info *info, bool on);
void iommu_enable_translation(struct intel_sva *sva);
void iommu_disable_translation(struct intel_sva *sva);

/* --- pasid_table.c --- */
uint32_t intel_pasid_dir_entries(uint32_t pasid_bits);
int intel_pasid_alloc_table(struct intel_sva *sva, struct device_domain_info *info);
void intel_pasid_free_table(struct intel_sva *sva, struct device_domain_info *info);
void intel_pasid_setup_pass_through(struct intel_sva *sva, struct device_domain_info *info);
int intel_pasid_setup_first_level(struct intel_sva *sva, struct device_domain_info *info,
                                  uint32_t pasid, uint64_t pgd);
void intel_pasid_tear_down_entry(struct intel_sva *sva, struct device_domain_info *info,
                                 uint32_t pasid, bool fault_ignore);

/* --- qi.c --- */
void qi_submit_wait(struct intel_sva *sva);
void qi_flush_context(struct intel_sva *sva, uint32_t iommu);
void qi_flush_pasid_cache(struct intel_sva *sva, uint32_t iommu, uint16_t did, uint64_t gran,
                          uint32_t pasid);
void qi_flush_piotlb(struct intel_sva *sva, uint32_t iommu, uint16_t did, uint32_t pasid,
                     const struct inv_range *r);
void qi_flush_dev_iotlb_pasid(struct intel_sva *sva, const struct device_domain_info *info,
                              uint32_t pasid, const struct inv_range *r);
void qi_page_group_response(struct intel_sva *sva, uint32_t iommu, uint16_t rid, bool pasid_present,
                            uint32_t pasid, uint32_t prg_index, uint64_t code);
struct inv_range inv_range_covering(uint64_t start, uint64_t end);
#define INV_RANGE_ALL ((struct inv_range){.all = true})

/* --- prq.c --- */
int intel_alloc_prq(struct intel_sva *sva, struct intel_iommu *iommu);
void intel_free_prq(struct intel_sva *sva, struct intel_iommu *iommu);
void intel_enable_prq(struct intel_sva *sva);
void intel_finish_prq(struct intel_sva *sva);
void intel_prq_event(struct intel_sva *sva, uint32_t iommu);
void intel_drain_pasid_prq(struct intel_sva *sva, const struct device_domain_info *info);
void intel_iommu_service_irq(void *drv, uint32_t iommu);
int intel_iommu_page_response(void *drv, uint32_t dev, const struct svac_page_response *resp);

/* --- features.c --- */
int intel_iommu_dev_has_feat(void *drv, uint32_t dev, uint32_t feat);
int intel_iommu_dev_enable_feat(void *drv, uint32_t dev, uint32_t feat);
int intel_iommu_dev_disable_feat(void *drv, uint32_t dev, uint32_t feat);
int intel_iommu_dev_feat_enabled(void *drv, uint32_t dev, uint32_t feat);
int intel_svm_set_param(void *drv, uint32_t dev, uint32_t min_pasid, uint32_t max_pasid);

/* --- svm.c --- */
int intel_svm_bind(void *drv, uint32_t dev, uint32_t mm, uint32_t *pasid, svac_mm_exit_fn mm_exit,
                   void *cb_ctx, uint64_t drvdata);
int intel_svm_unbind(void *drv, uint32_t dev, uint32_t pasid);
void intel_mm_release(void *drv, uint32_t mm);
void intel_mm_invalidate_range(void *drv, uint32_t mm, uint64_t start, uint64_t end);

/* --- ioasid.c --- */
int ioasid_set_init(struct ioasid_set *set, uint32_t nr_mms);
void ioasid_set_free(struct ioasid_set *set);
uint32_t ioasid_alloc(struct ioasid_set *set, uint32_t min, uint32_t max, uint32_t mm);
void ioasid_free(struct ioasid_set *set, uint32_t pasid);
int64_t ioasid_find(const struct ioasid_set *set, uint32_t pasid);

static inline struct intel_sva *to_intel_sva(void *drv) {
    return (struct intel_sva *)drv;
}

#endif /* TEMPLATE_IOMMU_H */
