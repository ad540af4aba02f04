// SPDX-License-Identifier: MIT
/*
 * Template Arm SMMUv3 SVA driver for sva-conform, on the domain-based
 * contract of Linux v6.16: the ops table, the one exported symbol, the
 * platform, and probe/remove (create/destroy).
 *
 * create() allocates every table and queue before it writes any, points
 * each SMMU at its linear stream table with every master's STE in bypass
 * (the identity default domain), then turns the queues and the SMMU on. A
 * create that fails gives back everything it took and returns NULL.
 */
#include "arm-smmu-v3.h"
#include "smmu_regs.h"

#include <errno.h>
#include <stdlib.h>

/* One attach slot per (master, mm): keep the flat table reasonable. */
#define MAX_ATTACH_SLOTS (1u << 20)

/* --- the platform ---------------------------------------------------- */

/* dma_alloc_coherent: zeroed. 0 when out of memory. */
uint64_t arm_smmu_alloc(struct arm_smmu_sva *sva, uint64_t bytes, uint64_t align) {
    const struct svac_platform *p = sva->platform;
    return p->alloc(p->ctx, bytes, align);
}

void arm_smmu_free(struct arm_smmu_sva *sva, uint64_t *pa) {
    const struct svac_platform *p = sva->platform;
    if (*pa) p->free(p->ctx, *pa);
    *pa = 0;
}

uint64_t arm_smmu_read64(struct arm_smmu_sva *sva, uint64_t pa) {
    const struct svac_platform *p = sva->platform;
    return p->read64(p->ctx, pa);
}

/* A store the SMMU may observe at any time: WRITE_ONCE of a table qword. */
void arm_smmu_write64(struct arm_smmu_sva *sva, uint64_t pa, uint64_t val) {
    const struct svac_platform *p = sva->platform;
    p->write64(p->ctx, pa, val);
}

void arm_smmu_write_reg(struct arm_smmu_sva *sva, uint32_t smmu, uint32_t reg, uint64_t val) {
    const struct svac_platform *p = sva->platform;
    p->write_reg(p->ctx, smmu, reg, val);
}

uint64_t arm_smmu_read_reg(struct arm_smmu_sva *sva, uint32_t smmu, uint32_t reg) {
    const struct svac_platform *p = sva->platform;
    return p->read_reg(p->ctx, smmu, reg);
}

struct arm_smmu_master *arm_smmu_find_master(struct arm_smmu_sva *sva, uint32_t dev) {
    return dev < sva->nr_masters ? &sva->masters[dev] : NULL;
}

/* --- probe ------------------------------------------------------------ */

/* Linux v6.16 only: its platform has every member this driver calls. */
static bool arm_smmu_platform_ok(const struct svac_platform *p) {
    return p && p->abi_version == SVAC_ABI_VERSION && p->size >= sizeof(*p) &&
           p->api == SVAC_API_LINUX_6_16 && p->alloc && p->free && p->read64 && p->write64 &&
           p->write_reg && p->read_reg && p->submit_cmd && p->mm_info && p->report_fault &&
           p->flush_faults && p->discard_partial;
}

/* Every IOMMU an SMMUv3; two masters of one SMMU never share a StreamID
 * (each owns its STE); StreamIDs small enough for a linear stream table. */
static bool arm_smmu_topology_ok(const struct svac_topology *t) {
    if (!t || (t->n_iommus && !t->iommus) || (t->n_devices && !t->devices)) return false;
    if ((uint64_t)t->n_devices * t->n_mms > MAX_ATTACH_SLOTS) return false;
    for (uint32_t i = 0; i < t->n_iommus; i++)
        if (t->iommus[i].arch != SVAC_ARCH_SMMUV3 || t->iommus[i].pasid_bits > SVAC_PASID_BITS_MAX)
            return false;
    for (uint32_t i = 0; i < t->n_devices; i++) {
        const struct svac_device_desc *d = &t->devices[i];
        if (d->iommu >= t->n_iommus || d->pasid_bits > SVAC_PASID_BITS_MAX || d->sid > 0xffff)
            return false;
        for (uint32_t j = 0; j < i; j++)
            if (t->devices[j].iommu == d->iommu && t->devices[j].sid == d->sid) return false;
    }
    return true;
}

static void arm_smmu_probe_master(struct arm_smmu_master *m, const struct svac_device_desc *d,
                                  const struct arm_smmu_device *smmu) {
    m->smmu = d->iommu;
    m->sid = d->sid;
    m->ssid_bits = d->pasid_bits < smmu->pasid_bits ? d->pasid_bits : smmu->pasid_bits;
    m->pri = d->pri != 0;
    m->stall = d->stall != 0;
    m->ats = d->ats != 0;
}

/* Host memory and what the platform lent: safe on a half-built instance. */
static void arm_smmu_sva_free(struct arm_smmu_sva *sva) {
    for (uint32_t i = 0; sva->masters && i < sva->nr_masters; i++)
        arm_smmu_free_cd_tables(sva, &sva->masters[i]);
    for (uint32_t i = 0; sva->smmus && i < sva->nr_smmus; i++) {
        arm_smmu_free_queues(sva, i);
        arm_smmu_free(sva, &sva->smmus[i].strtab);
    }
    free(sva->asids);
    free(sva->attached);
    free(sva->domains);
    free(sva->mms);
    free(sva->masters);
    free(sva->smmus);
    free(sva);
}

static struct arm_smmu_sva *arm_smmu_sva_alloc(const struct svac_platform *p,
                                               const struct svac_topology *t) {
    struct arm_smmu_sva *sva = calloc(1, sizeof(*sva));
    if (!sva) return NULL;
    sva->platform = p;
    sva->nr_smmus = t->n_iommus;
    sva->nr_masters = t->n_devices;
    sva->nr_mms = t->n_mms;
    /* At most one domain per mm and SMMU is live at a time. */
    sva->nr_domains = t->n_mms * t->n_iommus;
    /* calloc(0, ...) may return NULL: ask for one more of each. */
    sva->smmus = calloc(t->n_iommus + 1, sizeof(*sva->smmus));
    sva->masters = calloc(t->n_devices + 1, sizeof(*sva->masters));
    sva->mms = calloc(t->n_mms + 1, sizeof(*sva->mms));
    sva->domains = calloc((size_t)sva->nr_domains + 1, sizeof(*sva->domains));
    sva->attached = calloc((size_t)t->n_devices * t->n_mms + 1, sizeof(*sva->attached));
    sva->asids = calloc(0x10000 / 8, 1);
    if (!sva->smmus || !sva->masters || !sva->mms || !sva->domains || !sva->attached ||
        !sva->asids) {
        arm_smmu_sva_free(sva);
        return NULL;
    }
    for (uint32_t i = 0; i < t->n_iommus; i++) {
        sva->smmus[i].pasid_bits = t->iommus[i].pasid_bits;
        sva->smmus[i].sva = t->iommus[i].sva != 0;
    }
    for (uint32_t i = 0; i < t->n_devices; i++) {
        arm_smmu_probe_master(&sva->masters[i], &t->devices[i], &sva->smmus[t->devices[i].iommu]);
        if (t->devices[i].stall) sva->smmus[t->devices[i].iommu].stalls = true;
    }
    return sva;
}

/* A linear stream table that reaches every master's StreamID. */
static int arm_smmu_init_strtab(struct arm_smmu_sva *sva, uint32_t smmu) {
    uint32_t max_sid = 0, log2size = 0;
    for (uint32_t i = 0; i < sva->nr_masters; i++)
        if (sva->masters[i].smmu == smmu && sva->masters[i].sid > max_sid)
            max_sid = sva->masters[i].sid;
    while (log2size < 32 && (max_sid >> log2size)) log2size++;
    struct arm_smmu_device *d = &sva->smmus[smmu];
    d->strtab_log2size = log2size;
    const uint64_t size = (uint64_t)STRTAB_STE_SIZE << log2size;
    d->strtab = arm_smmu_alloc(sva, size, size);
    return d->strtab ? 0 : -ENOMEM;
}

/* Every master's STE bypasses, written while the SMMU is off. */
static void arm_smmu_device_reset(struct arm_smmu_sva *sva, uint32_t smmu) {
    const struct arm_smmu_device *d = &sva->smmus[smmu];
    arm_smmu_write_reg(sva, smmu, ARM_SMMU_STRTAB_BASE,
                       (d->strtab & STRTAB_BASE_ADDR_MASK) | STRTAB_BASE_RA);
    arm_smmu_write_reg(sva, smmu, ARM_SMMU_STRTAB_BASE_CFG,
                       FIELD_PREP(STRTAB_BASE_CFG_FMT, STRTAB_BASE_CFG_FMT_LINEAR) |
                           FIELD_PREP(STRTAB_BASE_CFG_LOG2SIZE, d->strtab_log2size));
    uint64_t ste[NUM_ENTRY_QWORDS];
    arm_smmu_make_bypass_ste(ste);
    for (uint32_t i = 0; i < sva->nr_masters; i++) {
        if (sva->masters[i].smmu != smmu) continue;
        const uint64_t pa = d->strtab + (uint64_t)STRTAB_STE_SIZE * sva->masters[i].sid;
        for (unsigned q = 0; q < NUM_ENTRY_QWORDS; q++)
            if (ste[q]) arm_smmu_write64(sva, pa + 8 * q, ste[q]);
    }
    arm_smmu_cmdq_cfgi_all(sva, smmu);
    arm_smmu_cmdq_issue_sync(sva, smmu);
    const uint64_t enables = arm_smmu_reset_queues(sva, smmu);
    arm_smmu_write_reg(sva, smmu, ARM_SMMU_CR0, CR0_SMMUEN | enables);
}

static void *arm_smmu_create(const struct svac_platform *p, const struct svac_topology *t) {
    if (!arm_smmu_platform_ok(p) || !arm_smmu_topology_ok(t)) return NULL;
    struct arm_smmu_sva *sva = arm_smmu_sva_alloc(p, t);
    if (!sva) return NULL;
    for (uint32_t i = 0; i < sva->nr_smmus; i++)
        if (arm_smmu_init_strtab(sva, i) || arm_smmu_init_queues(sva, i)) {
            arm_smmu_sva_free(sva);
            return NULL;
        }
    sva->cmd_err = 0;
    for (uint32_t i = 0; i < sva->nr_smmus; i++) arm_smmu_device_reset(sva, i);
    if (sva->cmd_err) {
        arm_smmu_sva_free(sva);
        return NULL;
    }
    return sva;
}

static void arm_smmu_destroy(void *drv) {
    if (!drv) return;
    struct arm_smmu_sva *sva = to_smmu_sva(drv);
    for (uint32_t i = 0; i < sva->nr_smmus; i++) arm_smmu_write_reg(sva, i, ARM_SMMU_CR0, 0);
    arm_smmu_sva_free(sva);
}

static const struct svac_driver_ops arm_smmu_sva_ops = {
    .abi_version = SVAC_ABI_VERSION,
    .size = sizeof(struct svac_driver_ops),
    .name = "template-smmuv3",
    .version = "1.0",
    .arch_mask = 1u << SVAC_ARCH_SMMUV3,
    .create = arm_smmu_create,
    .destroy = arm_smmu_destroy,
    .dev_has_feat = arm_smmu_dev_has_feat,
    .dev_enable_feat = arm_smmu_dev_enable_feat,
    .dev_disable_feat = arm_smmu_dev_disable_feat,
    .dev_feat_enabled = arm_smmu_dev_feat_enabled,
    .mm_release = arm_smmu_mm_release,
    .mm_invalidate_range = arm_smmu_mm_invalidate_range,
    .service_irq = arm_smmu_service_irq,
    .page_response = arm_smmu_page_response,
    .contracts = SVAC_CONTRACT_DOMAIN,
    .probe_device = arm_smmu_probe_device,
    .domain_alloc_sva = arm_smmu_sva_domain_alloc,
    .domain_free = arm_smmu_sva_domain_free,
    .set_dev_pasid = arm_smmu_set_dev_pasid,
    .remove_dev_pasid = arm_smmu_remove_dev_pasid,
};

__attribute__((visibility("default"))) const struct svac_driver_ops *svac_driver_entry(void) {
    return &arm_smmu_sva_ops;
}
