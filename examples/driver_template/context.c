// SPDX-License-Identifier: MIT
/*
 * The root table and scalable-mode context entries (VT-d 9.2, 9.4), and
 * turning translation on and off.
 *
 * Every device gets its context entry at probe, pointing at its PASID
 * directory, with P set by its only store. Enabling SVA later changes q0
 * alone (PASIDE, PRE, DTE), a single 64-bit store the hardware sees whole,
 * followed by a context-cache and a PASID-cache invalidation.
 */
#include "iommu.h"
#include "vtd_regs.h"

#include <errno.h>
#include <stdlib.h>

/* Context tables per IOMMU: the lower and upper half of each bus. */
#define CONTEXT_TABLES_NR (2 * ROOT_ENTRY_NR)

static size_t context_table_index(uint16_t rid) {
    return (size_t)PCI_BUS_NUM(rid) * 2 + (PCI_DEVFN(rid) >= DEVFN_UPPER);
}

int iommu_alloc_root_entry(struct intel_sva *sva, struct intel_iommu *iommu) {
    iommu->context_tables = calloc(CONTEXT_TABLES_NR, sizeof(*iommu->context_tables));
    if (!iommu->context_tables) return -ENOMEM;
    iommu->root_table = iommu_alloc_pages(sva, VTD_PAGE_SIZE);
    return iommu->root_table ? 0 : -ENOMEM;
}

void iommu_free_root_entry(struct intel_sva *sva, struct intel_iommu *iommu) {
    for (size_t i = 0; iommu->context_tables && i < CONTEXT_TABLES_NR; i++)
        iommu_free_pages(sva, &iommu->context_tables[i]);
    free(iommu->context_tables);
    iommu->context_tables = NULL;
    iommu_free_pages(sva, &iommu->root_table);
}

/*
 * iommu_context_addr(): where the device's context entry lives, its context
 * table allocated on first use. In scalable mode devfn 0x80-0xff use the
 * upper table, indexed from 0 (VT-d 9.2).
 */
int iommu_context_addr(struct intel_sva *sva, struct device_domain_info *info) {
    struct intel_iommu *iommu = &sva->iommus[info->iommu];
    uint64_t *table = &iommu->context_tables[context_table_index(info->rid)];

    if (!*table && !(*table = iommu_alloc_pages(sva, VTD_PAGE_SIZE))) return -ENOMEM;
    info->context_entry = *table + CONTEXT_SM_SIZE * (PCI_DEVFN(info->rid) % DEVFN_UPPER);
    return 0;
}

static uint64_t ilog2_u32(uint32_t v) {
    uint64_t log = 0;
    while (v >>= 1) log++;
    return log;
}

/* PDTS: the directory holds 2^(PDTS + 7) entries (VT-d 9.4). */
static uint64_t context_pdts(uint32_t dir_entries) {
    return ilog2_u32(dir_entries) - CONTEXT_PDTS_BIAS;
}

static uint64_t context_entry_q0(const struct device_domain_info *info, bool sva_on) {
    uint64_t q0 = (info->pasid_dir & CONTEXT_PASIDDIRPTR) |
                  FIELD_PREP(CONTEXT_PDTS, context_pdts(info->pasid_dir_entries)) | CONTEXT_P;
    if (sva_on) {
        q0 |= CONTEXT_PASIDE;
        if (info->pri) q0 |= CONTEXT_PRE;
        if (info->ats) q0 |= CONTEXT_DTE;
    }
    return q0;
}

/*
 * The context entry of a device that has no SVA yet. q1 (RID_PASID) stays
 * 0: requests without a PASID use PASID entry 0, set up for pass-through
 * before this.
 */
void intel_pasid_setup_sm_context(struct intel_sva *sva, struct device_domain_info *info) {
    entry_write(sva, info->context_entry, context_entry_q0(info, false));
}

/*
 * PASIDE, PRE and DTE on or off. No bond exists either way, so the only
 * PASID entry the caches may hold is RID_PASID's, in the identity domain.
 * The context-cache descriptor has no finer granularity the hardware model
 * honours, so the flush is global (6.5.2.1).
 */
void context_set_sm_sva(struct intel_sva *sva, struct device_domain_info *info, bool on) {
    entry_write(sva, info->context_entry, context_entry_q0(info, on));
    qi_flush_context(sva, info->iommu);
    qi_flush_pasid_cache(sva, info->iommu, IDENTITY_DID, QI_PC_GRAN_ALL_PASIDS, 0);
    qi_submit_wait(sva);
}

/* Root entries for the context tables that exist, then RTADDR (TTM = 01b,
 * scalable mode) and a global context-cache flush. */
static void iommu_set_root_entry(struct intel_sva *sva, uint32_t i) {
    struct intel_iommu *iommu = &sva->iommus[i];

    for (size_t idx = 0; idx < CONTEXT_TABLES_NR; idx++) {
        uint64_t table = iommu->context_tables[idx];
        /* idx is bus * 2 + upper: the low or high qword of the bus's entry. */
        if (table)
            entry_write(sva, iommu->root_table + 8 * idx, (table & ROOT_ENTRY_CTP) | ROOT_ENTRY_P);
    }
    dmar_writeq(sva, i, SVAC_VTD_RTADDR,
                (iommu->root_table & RTADDR_RTA) | FIELD_PREP(RTADDR_TTM, RTADDR_TTM_SCALABLE));
    qi_flush_context(sva, i);
}

void iommu_enable_translation(struct intel_sva *sva) {
    for (uint32_t i = 0; i < sva->nr_iommus; i++) iommu_set_root_entry(sva, i);
    qi_submit_wait(sva);
    for (uint32_t i = 0; i < sva->nr_iommus; i++)
        dmar_writeq(sva, i, SVAC_VTD_GCMD, SVAC_VTD_GCMD_TE);
    sva->translation_enabled = true;
}

void iommu_disable_translation(struct intel_sva *sva) {
    for (uint32_t i = 0; i < sva->nr_iommus; i++) dmar_writeq(sva, i, SVAC_VTD_GCMD, 0);
    sva->translation_enabled = false;
}
