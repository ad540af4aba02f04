// SPDX-License-Identifier: MIT
/*
 * The domain-based contract of Linux v6.16 (drivers/iommu/arm/arm-smmu-v3/
 * arm-smmu-v3-sva.c): SVA domains with private ASIDs, set_dev_pasid on an
 * SVA domain and on the blocked domain, the domain's mmu notifier. There are
 * no feature calls: the first attach makes the master ready for SVA (its
 * STE points at a CD table; requests without a PASID still bypass) and
 * enables I/O page faults for a master that can take them.
 */
#include "arm-smmu-v3.h"
#include "smmu_regs.h"

#include <errno.h>

/* dev->iommu->max_pasids: the CD table's reach. */
uint32_t arm_smmu_probe_device(void *drv, uint32_t dev) {
    const struct arm_smmu_master *m = arm_smmu_find_master(to_smmu_sva(drv), dev);
    return m && m->ssid_bits ? 1u << m->ssid_bits : 0;
}

static struct arm_smmu_domain *to_smmu_domain(struct arm_smmu_sva *sva, uint64_t domain) {
    if (domain == 0 || domain > sva->nr_domains || !sva->domains[domain - 1].live) return NULL;
    return &sva->domains[domain - 1];
}

/* ARM_SMMU_FEAT_SVA, and SSIDs on both sides. */
static bool arm_smmu_master_sva_supported(const struct arm_smmu_sva *sva,
                                          const struct arm_smmu_master *m) {
    return sva->smmus[m->smmu].sva && m->ssid_bits;
}

static bool asid_test(const struct arm_smmu_sva *sva, uint32_t asid) {
    return sva->asids[asid / 8] & (1u << (asid % 8));
}

static void asid_assign(struct arm_smmu_sva *sva, uint32_t asid, bool on) {
    if (on)
        sva->asids[asid / 8] |= (uint8_t)(1u << (asid % 8));
    else
        sva->asids[asid / 8] &= (uint8_t) ~(1u << (asid % 8));
}

/* arm_smmu_sva_domain_alloc: an ASID of its own, in [1, 2^16 - 1]. */
int arm_smmu_sva_domain_alloc(void *drv, uint32_t dev, uint32_t mm, uint64_t *domain) {
    struct arm_smmu_sva *sva = to_smmu_sva(drv);
    const struct arm_smmu_master *m = arm_smmu_find_master(sva, dev);
    if (!m || mm >= sva->nr_mms || !domain) return -EINVAL;
    if (!arm_smmu_master_sva_supported(sva, m)) return -EOPNOTSUPP;
    uint32_t asid = 1;
    while (asid <= 0xffff && asid_test(sva, asid)) asid++;
    uint32_t slot = 0;
    while (slot < sva->nr_domains && sva->domains[slot].live) slot++;
    if (asid > 0xffff || slot == sva->nr_domains) return -ENOSPC;
    asid_assign(sva, asid, true);
    sva->domains[slot] = (struct arm_smmu_domain){true, m->smmu, mm, (uint16_t)asid};
    *domain = slot + 1;
    return 0;
}

/* arm_smmu_sva_domain_free: the ASID leaves the TLB before it is reused. */
void arm_smmu_sva_domain_free(void *drv, uint64_t domain) {
    struct arm_smmu_sva *sva = to_smmu_sva(drv);
    struct arm_smmu_domain *d = to_smmu_domain(sva, domain);
    if (!d) return;
    arm_smmu_tlb_inv_asid(sva, d->smmu, d->asid);
    arm_smmu_cmdq_issue_sync(sva, d->smmu);
    asid_assign(sva, d->asid, false);
    d->live = false;
}

static uint64_t *attached_at(struct arm_smmu_sva *sva, uint32_t dev, uint32_t mm) {
    return &sva->attached[(size_t)dev * sva->nr_mms + mm];
}

/* The mm whose domain is attached at pasid of dev, or -1. */
static int64_t arm_smmu_attached_mm(struct arm_smmu_sva *sva, uint32_t dev, uint32_t pasid) {
    for (uint32_t mm = 0; mm < sva->nr_mms; mm++)
        if (sva->mms[mm].pasid == pasid && *attached_at(sva, dev, mm)) return mm;
    return -1;
}

/* The first SVA attach: the CD table in the STE, and I/O page faults on. */
static int arm_smmu_master_sva_ready(struct arm_smmu_sva *sva, struct arm_smmu_master *m) {
    if (!m->cd_table_in_ste) {
        int ret = m->cd_table.cdtab ? 0 : arm_smmu_alloc_cd_tables(sva, m);
        if (ret) return ret;
        uint64_t ste[NUM_ENTRY_QWORDS];
        arm_smmu_make_cdtable_ste(sva, m, ste);
        arm_smmu_write_ste(sva, m, ste);
        m->cd_table_in_ste = true;
    }
    m->iopf_enabled = m->pri || m->stall;
    return 0;
}

/* arm_smmu_sva_set_dev_pasid: the CD of the mm, with the domain's ASID. */
static int arm_smmu_sva_attach(struct arm_smmu_sva *sva, uint64_t domain, uint32_t dev,
                               uint32_t pasid, uint64_t old) {
    struct arm_smmu_domain *d = to_smmu_domain(sva, domain);
    struct arm_smmu_master *m = &sva->masters[dev];
    if (!d || d->smmu != m->smmu || old != SVAC_DOMAIN_NONE) return -EINVAL;
    if (!arm_smmu_master_sva_supported(sva, m)) return -EOPNOTSUPP;
    if (pasid == 0 || pasid >= (1u << m->ssid_bits) || arm_smmu_attached_mm(sva, dev, pasid) >= 0)
        return -EINVAL;
    struct arm_smmu_mm *smmu_mm = &sva->mms[d->mm];
    if (smmu_mm->released) return -EINVAL; /* mmget_not_zero failed */
    struct svac_mm_info info;
    const struct svac_platform *p = sva->platform;
    if (p->mm_info(p->ctx, d->mm, &info) || info.pgtable != SVAC_PGTABLE_AARCH64_4K ||
        info.va_bits < 25 || info.va_bits > 52)
        return -EINVAL;
    sva->cmd_err = 0;
    int ret = arm_smmu_master_sva_ready(sva, m);
    if (!ret) ret = arm_smmu_alloc_cd_leaf(sva, m, pasid);
    if (ret) return ret;
    uint64_t cd[NUM_ENTRY_QWORDS];
    arm_smmu_make_sva_cd(&info, d->asid, m->stall, false, cd);
    arm_smmu_write_cd(sva, m, pasid, cd);
    smmu_mm->pasid = pasid;
    smmu_mm->info = info;
    *attached_at(sva, dev, d->mm) = domain;
    m->nr_attached++;
    return sva->cmd_err;
}

/* The PASID stops translating through the domain: the CD goes invalid, the
 * TLB and the ATC forget it, and the faults in flight for it are answered
 * before the PASID can serve anyone else. */
static void arm_smmu_sva_detach(struct arm_smmu_sva *sva, uint32_t dev, uint32_t pasid,
                                uint64_t domain) {
    const int64_t mm = arm_smmu_attached_mm(sva, dev, pasid);
    if (mm < 0 || *attached_at(sva, dev, (uint32_t)mm) != domain) return;
    struct arm_smmu_master *m = &sva->masters[dev];
    const struct arm_smmu_domain *d = &sva->domains[domain - 1];
    static const uint64_t invalid[NUM_ENTRY_QWORDS];
    arm_smmu_write_cd(sva, m, pasid, invalid);
    arm_smmu_tlb_inv_asid(sva, m->smmu, d->asid);
    arm_smmu_atc_inv_master(sva, m, pasid, 0, 0);
    arm_smmu_cmdq_issue_sync(sva, m->smmu);
    arm_smmu_drain_queues(sva, m->smmu);
    const struct svac_platform *p = sva->platform;
    p->flush_faults(p->ctx, dev, pasid);
    *attached_at(sva, dev, (uint32_t)mm) = 0;
    if (--m->nr_attached == 0) m->iopf_enabled = false;
}

int arm_smmu_set_dev_pasid(void *drv, uint64_t domain, uint32_t dev, uint32_t pasid, uint64_t old) {
    struct arm_smmu_sva *sva = to_smmu_sva(drv);
    if (!arm_smmu_find_master(sva, dev)) return -EINVAL;
    if (domain != SVAC_DOMAIN_BLOCKED) return arm_smmu_sva_attach(sva, domain, dev, pasid, old);
    /* arm_smmu_blocking_set_dev_pasid: the detach of old. */
    sva->cmd_err = 0;
    arm_smmu_sva_detach(sva, dev, pasid, old);
    return sva->cmd_err;
}

/* Linux v6.12's detach; v6.16 has the blocked domain instead. */
void arm_smmu_remove_dev_pasid(void *drv, uint32_t dev, uint32_t pasid, uint64_t domain) {
    struct arm_smmu_sva *sva = to_smmu_sva(drv);
    if (arm_smmu_find_master(sva, dev)) arm_smmu_sva_detach(sva, dev, pasid, domain);
}

/* The domains' mmu notifier, release: the mm exits. Every CD of it goes
 * quiet (valid, no walk: DMA aborts without an event) until it is
 * detached. */
void arm_smmu_mm_release(void *drv, uint32_t mm) {
    struct arm_smmu_sva *sva = to_smmu_sva(drv);
    if (mm >= sva->nr_mms || sva->mms[mm].released) return;
    struct arm_smmu_mm *smmu_mm = &sva->mms[mm];
    smmu_mm->released = true;
    for (uint32_t dev = 0; dev < sva->nr_masters; dev++) {
        const uint64_t domain = *attached_at(sva, dev, mm);
        if (!domain) continue;
        const struct arm_smmu_master *m = &sva->masters[dev];
        const uint16_t asid = sva->domains[domain - 1].asid;
        uint64_t cd[NUM_ENTRY_QWORDS];
        arm_smmu_make_sva_cd(&smmu_mm->info, asid, false, true, cd);
        arm_smmu_write_cd(sva, m, smmu_mm->pasid, cd);
        arm_smmu_tlb_inv_asid(sva, m->smmu, asid);
        arm_smmu_atc_inv_master(sva, m, smmu_mm->pasid, 0, 0);
        arm_smmu_cmdq_issue_sync(sva, m->smmu);
    }
}

/* The domains' mmu notifier, invalidate: the CPU changed [start, end) of
 * the mm. Each SMMU the mm is attached on forgets it under the ASID of the
 * mm's domain there, and each ATS master's ATC forgets it. */
void arm_smmu_mm_invalidate_range(void *drv, uint32_t mm, uint64_t start, uint64_t end) {
    struct arm_smmu_sva *sva = to_smmu_sva(drv);
    if (mm >= sva->nr_mms || end <= start || sva->mms[mm].released) return;
    for (uint32_t smmu = 0; smmu < sva->nr_smmus; smmu++) {
        bool any = false;
        for (uint32_t dev = 0; dev < sva->nr_masters; dev++) {
            const uint64_t domain = *attached_at(sva, dev, mm);
            const struct arm_smmu_master *m = &sva->masters[dev];
            if (!domain || m->smmu != smmu) continue;
            if (!any)
                arm_smmu_tlb_inv_range_asid(sva, smmu, sva->domains[domain - 1].asid, start, end);
            any = true;
            arm_smmu_atc_inv_master(sva, m, sva->mms[mm].pasid, start, end);
        }
        if (any) arm_smmu_cmdq_issue_sync(sva, smmu);
    }
}

/* Linux v6.16 has no device features: nothing to have or enable. */
int arm_smmu_dev_has_feat(void *drv, uint32_t dev, uint32_t feat) {
    (void)drv, (void)dev, (void)feat;
    return 0;
}
int arm_smmu_dev_feat_enabled(void *drv, uint32_t dev, uint32_t feat) {
    (void)drv, (void)dev, (void)feat;
    return 0;
}
int arm_smmu_dev_enable_feat(void *drv, uint32_t dev, uint32_t feat) {
    (void)drv, (void)dev, (void)feat;
    return -EINVAL;
}
int arm_smmu_dev_disable_feat(void *drv, uint32_t dev, uint32_t feat) {
    (void)drv, (void)dev, (void)feat;
    return -EINVAL;
}
