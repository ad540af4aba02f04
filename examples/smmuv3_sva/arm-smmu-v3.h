/* SPDX-License-Identifier: MIT */
/*
 * Template Arm SMMUv3 SVA driver for sva-conform, on the domain-based
 * contract of Linux v6.16 (SVAC_CONTRACT_DOMAIN): the instance and the calls
 * between its files. Names follow Linux drivers/iommu/arm/arm-smmu-v3/.
 */
#ifndef ARM_SMMU_V3_H
#define ARM_SMMU_V3_H

#include <svac/driver_abi.h>

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* An output queue (events or page requests) the SMMU produces into. */
struct arm_smmu_queue {
    uint64_t base; /* 0: none */
    uint32_t max_n_shift;
    uint32_t ent_dwords;
    uint32_t prod_reg;
    uint32_t cons_reg;
    uint32_t cons; /* RD, RD_WRAP and OVACKFLG as last written */
};

struct arm_smmu_device {
    uint32_t pasid_bits;
    bool sva;    /* ARM_SMMU_FEAT_SVA: it can walk CPU page tables */
    bool stalls; /* a stall-capable master sits behind it */
    uint64_t strtab;
    uint32_t strtab_log2size;
    struct arm_smmu_queue evtq;
    struct arm_smmu_queue priq;
};

/* A master's CD table: linear, or L1 descriptors with 64 KiB leaves. */
struct arm_smmu_ctx_desc_cfg {
    uint64_t cdtab; /* 0: none yet */
    uint32_t s1fmt;
    uint32_t s1cdmax;
    uint32_t nr_l1; /* 2-level: L1 descriptors */
    uint64_t *l2;   /* 2-level: the leaf of each L1 descriptor, 0: none */
};

struct arm_smmu_master {
    uint32_t smmu;
    uint32_t sid;
    uint32_t ssid_bits; /* min(device, SMMU) PASID width */
    bool pri, stall, ats;
    bool cd_table_in_ste; /* the STE points at the CD table */
    bool iopf_enabled;    /* page requests and stalls reach the core */
    uint32_t nr_attached; /* PASIDs with an SVA domain */
    struct arm_smmu_ctx_desc_cfg cd_table;
};

/* An SVA domain: one mm on one SMMU, with its own ASID. */
struct arm_smmu_domain {
    bool live;
    uint32_t smmu;
    uint32_t mm;
    uint16_t asid;
};

struct arm_smmu_mm {
    uint32_t pasid; /* the core's, as set_dev_pasid was given it */
    bool released;  /* the mm exited: its CDs are quiet */
    struct svac_mm_info info;
};

struct arm_smmu_sva {
    const struct svac_platform *platform;
    uint32_t nr_smmus, nr_masters, nr_mms, nr_domains;
    struct arm_smmu_device *smmus;
    struct arm_smmu_master *masters;
    struct arm_smmu_mm *mms;
    struct arm_smmu_domain *domains; /* a domain's name is its slot + 1 */
    uint64_t *attached;              /* [master * nr_mms + mm]: the domain at the mm's PASID */
    uint8_t *asids;                  /* arm_smmu_asid_xa: one bit per ASID */
    int cmd_err;                     /* the first command refused during the call */
};

static inline struct arm_smmu_sva *to_smmu_sva(void *drv) {
    return (struct arm_smmu_sva *)drv;
}

/* driver.c: the platform */
uint64_t arm_smmu_alloc(struct arm_smmu_sva *sva, uint64_t bytes, uint64_t align);
void arm_smmu_free(struct arm_smmu_sva *sva, uint64_t *pa);
uint64_t arm_smmu_read64(struct arm_smmu_sva *sva, uint64_t pa);
void arm_smmu_write64(struct arm_smmu_sva *sva, uint64_t pa, uint64_t val);
void arm_smmu_write_reg(struct arm_smmu_sva *sva, uint32_t smmu, uint32_t reg, uint64_t val);
uint64_t arm_smmu_read_reg(struct arm_smmu_sva *sva, uint32_t smmu, uint32_t reg);
struct arm_smmu_master *arm_smmu_find_master(struct arm_smmu_sva *sva, uint32_t dev);

/* cmdq.c */
void arm_smmu_cmdq_issue_sync(struct arm_smmu_sva *sva, uint32_t smmu);
void arm_smmu_cmdq_cfgi_ste(struct arm_smmu_sva *sva, const struct arm_smmu_master *m);
void arm_smmu_cmdq_cfgi_cd(struct arm_smmu_sva *sva, const struct arm_smmu_master *m, uint32_t ssid,
                           bool leaf);
void arm_smmu_cmdq_cfgi_all(struct arm_smmu_sva *sva, uint32_t smmu);
void arm_smmu_tlb_inv_asid(struct arm_smmu_sva *sva, uint32_t smmu, uint16_t asid);
void arm_smmu_tlb_inv_range_asid(struct arm_smmu_sva *sva, uint32_t smmu, uint16_t asid,
                                 uint64_t start, uint64_t end);
void arm_smmu_atc_inv_master(struct arm_smmu_sva *sva, const struct arm_smmu_master *m,
                             uint32_t ssid, uint64_t start, uint64_t end);
int arm_smmu_cmdq_pri_resp(struct arm_smmu_sva *sva, const struct arm_smmu_master *m, bool ssv,
                           uint32_t ssid, uint32_t grpid, uint32_t resp);
int arm_smmu_cmdq_resume(struct arm_smmu_sva *sva, uint32_t smmu, uint32_t sid, uint32_t stag,
                         uint32_t action);

/* entry.c: STEs and CDs, written hitlessly */
#define NUM_ENTRY_QWORDS 8u
void arm_smmu_make_bypass_ste(uint64_t *ste);
void arm_smmu_write_ste(struct arm_smmu_sva *sva, const struct arm_smmu_master *m,
                        const uint64_t *target);
int arm_smmu_alloc_cd_tables(struct arm_smmu_sva *sva, struct arm_smmu_master *m);
void arm_smmu_free_cd_tables(struct arm_smmu_sva *sva, struct arm_smmu_master *m);
void arm_smmu_make_cdtable_ste(const struct arm_smmu_sva *sva, const struct arm_smmu_master *m,
                               uint64_t *ste);
int arm_smmu_alloc_cd_leaf(struct arm_smmu_sva *sva, struct arm_smmu_master *m, uint32_t ssid);
void arm_smmu_write_cd(struct arm_smmu_sva *sva, const struct arm_smmu_master *m, uint32_t ssid,
                       const uint64_t *target);
void arm_smmu_make_sva_cd(const struct svac_mm_info *info, uint16_t asid, bool stall, bool quiet,
                          uint64_t *cd);

/* queues.c */
int arm_smmu_init_queues(struct arm_smmu_sva *sva, uint32_t smmu);
uint64_t arm_smmu_reset_queues(struct arm_smmu_sva *sva, uint32_t smmu);
void arm_smmu_free_queues(struct arm_smmu_sva *sva, uint32_t smmu);
void arm_smmu_drain_queues(struct arm_smmu_sva *sva, uint32_t smmu);
void arm_smmu_service_irq(void *drv, uint32_t iommu);
int arm_smmu_page_response(void *drv, uint32_t dev, const struct svac_page_response *resp);

/* sva.c: the domain-based contract and the domains' mmu notifier */
uint32_t arm_smmu_probe_device(void *drv, uint32_t dev);
int arm_smmu_sva_domain_alloc(void *drv, uint32_t dev, uint32_t mm, uint64_t *domain);
void arm_smmu_sva_domain_free(void *drv, uint64_t domain);
int arm_smmu_set_dev_pasid(void *drv, uint64_t domain, uint32_t dev, uint32_t pasid, uint64_t old);
void arm_smmu_remove_dev_pasid(void *drv, uint32_t dev, uint32_t pasid, uint64_t domain);
void arm_smmu_mm_release(void *drv, uint32_t mm);
void arm_smmu_mm_invalidate_range(void *drv, uint32_t mm, uint64_t start, uint64_t end);
int arm_smmu_dev_has_feat(void *drv, uint32_t dev, uint32_t feat);
int arm_smmu_dev_enable_feat(void *drv, uint32_t dev, uint32_t feat);
int arm_smmu_dev_disable_feat(void *drv, uint32_t dev, uint32_t feat);
int arm_smmu_dev_feat_enabled(void *drv, uint32_t dev, uint32_t feat);

#endif /* ARM_SMMU_V3_H */
