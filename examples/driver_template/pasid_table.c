// SPDX-License-Identifier: MIT
/*
 * PASID directories, PASID tables and PASID entries (VT-d 9.5, 9.6).
 *
 * Each device has its own directory, sized for the PASID width it and its
 * IOMMU share, at least one page. A directory entry is installed once, when
 * the first PASID of its 64 is set up, and stays until the directory goes
 * (as Linux intel_pasid_get_entry does). PASID entries are written in an
 * order the hardware can never catch half-done: setup fills a not-present
 * entry and sets P with its last store; teardown clears P with its first
 * (Linux drivers/iommu/intel/pasid.c; invariant I4 of docs/formal.md).
 */
#include "iommu.h"
#include "vtd_regs.h"

#include <errno.h>
#include <stdlib.h>

static uint32_t intel_pasid_dir_index(uint32_t pasid) {
    return pasid >> PASID_PDE_SHIFT;
}

static uint32_t intel_pasid_table_index(uint32_t pasid) {
    return pasid & PASID_PTE_MASK;
}

static uint64_t intel_pasid_entry_addr(uint64_t table, uint32_t pasid) {
    return table + PASID_ENTRY_SIZE * intel_pasid_table_index(pasid);
}

/* Directory entries covering PASIDs of the given width, at least one page. */
uint32_t intel_pasid_dir_entries(uint32_t pasid_bits) {
    uint32_t entries = (uint32_t)((1ull << pasid_bits) >> PASID_PDE_SHIFT);
    return entries > PASID_DIR_MIN_ENTRIES ? entries : (uint32_t)PASID_DIR_MIN_ENTRIES;
}

/*
 * The directory, and the PASID table of PASIDs 0-63 that RID_PASID needs
 * from the start. Nothing is written here.
 */
int intel_pasid_alloc_table(struct intel_sva *sva, struct device_domain_info *info) {
    info->pasid_tables = calloc(info->pasid_dir_entries, sizeof(*info->pasid_tables));
    if (!info->pasid_tables) return -ENOMEM;
    info->pasid_dir = iommu_alloc_pages(sva, PASID_PDE_SIZE * info->pasid_dir_entries);
    if (!info->pasid_dir) return -ENOMEM;
    info->pasid_tables[0] = iommu_alloc_pages(sva, VTD_PAGE_SIZE);
    return info->pasid_tables[0] ? 0 : -ENOMEM;
}

void intel_pasid_free_table(struct intel_sva *sva, struct device_domain_info *info) {
    for (uint32_t i = 0; info->pasid_tables && i < info->pasid_dir_entries; i++)
        iommu_free_pages(sva, &info->pasid_tables[i]);
    free(info->pasid_tables);
    info->pasid_tables = NULL;
    iommu_free_pages(sva, &info->pasid_dir);
}

static void intel_pasid_install_pde(struct intel_sva *sva, struct device_domain_info *info,
                                    uint32_t dir_index, uint64_t table) {
    entry_write(sva, info->pasid_dir + PASID_PDE_SIZE * dir_index,
                (table & PASID_PDE_PTPTR) | PASID_PDE_P);
}

/*
 * The PASID table behind directory entry pasid >> 6, allocated and its PDE
 * installed on first use. 0 when out of memory; nothing was written then.
 */
static uint64_t intel_pasid_get_table(struct intel_sva *sva, struct device_domain_info *info,
                                      uint32_t pasid) {
    uint32_t dir_index = intel_pasid_dir_index(pasid);
    uint64_t *table = &info->pasid_tables[dir_index];

    if (*table) return *table;
    uint64_t pa = iommu_alloc_pages(sva, VTD_PAGE_SIZE);
    if (!pa) return 0;
    intel_pasid_install_pde(sva, info, dir_index, pa);
    *table = pa;
    return pa;
}

/*
 * Fills a not-present (all-zero) entry: q1 and q2 first, then q0 with P.
 * A zero qword is already in place and is not stored again.
 */
static void pasid_entry_install(struct intel_sva *sva, uint64_t pte, uint64_t q0, uint64_t q1,
                                uint64_t q2) {
    if (q1) entry_write(sva, pte + 8, q1);
    if (q2) entry_write(sva, pte + 16, q2);
    entry_write(sva, pte, q0 | PASID_Q0_P);
}

/* AW is the IOMMU's 4-level width; Linux writes it for every PGTT. */
static uint64_t pasid_entry_q0(uint64_t pgtt) {
    return FIELD_PREP(PASID_Q0_PGTT, pgtt) | FIELD_PREP(PASID_Q0_AW, PASID_AW_48BIT);
}

/*
 * RID_PASID (PASID 0): requests without a PASID pass through untranslated,
 * the identity default domain. Written at probe, before the context entry
 * points at the directory, so no cache can hold any of it yet.
 */
void intel_pasid_setup_pass_through(struct intel_sva *sva, struct device_domain_info *info) {
    uint64_t pte = intel_pasid_entry_addr(info->pasid_tables[0], 0);

    pasid_entry_install(sva, pte, pasid_entry_q0(PASID_PGTT_PT),
                        FIELD_PREP(PASID_Q1_DID, IDENTITY_DID), 0);
    intel_pasid_install_pde(sva, info, 0, info->pasid_tables[0]);
}

/*
 * A first-stage entry walking the mm's page table (x86-64 4-level: FLPM 0)
 * in the SVA domain. -EINVAL for a PASID beyond the directory, -ENOMEM
 * when its PASID table cannot be allocated: nothing is written then.
 */
int intel_pasid_setup_first_level(struct intel_sva *sva, struct device_domain_info *info,
                                  uint32_t pasid, uint64_t pgd) {
    if (intel_pasid_dir_index(pasid) >= info->pasid_dir_entries) return -EINVAL;
    uint64_t table = intel_pasid_get_table(sva, info, pasid);
    if (!table) return -ENOMEM;

    uint64_t q1 = FIELD_PREP(PASID_Q1_DID, FLPT_DEFAULT_DID);
    uint64_t q2 = (pgd & PASID_Q2_FLPTR) | FIELD_PREP(PASID_Q2_FLPM, PASID_FLPM_4LEVEL);
    pasid_entry_install(sva, intel_pasid_entry_addr(table, pasid), pasid_entry_q0(PASID_PGTT_FL),
                        q1, q2);
    /* A not-present entry is never cached, so this flush is belt and braces. */
    qi_flush_pasid_cache(sva, info->iommu, FLPT_DEFAULT_DID, QI_PC_GRAN_PASID, pasid);
    qi_submit_wait(sva);
    return 0;
}

/*
 * P cleared by the first store. With fault_ignore, q0 keeps FPD alone so
 * that DMA with the PASID aborts quietly instead of faulting (the mm is
 * gone, VT-d 9.6). Then the caches, in the order of invariant I6 of
 * docs/formal.md (Linux intel_pasid_tear_down_entry): PASID cache,
 * IOTLB for every address of the PASID, device TLB. The caller waits.
 */
void intel_pasid_tear_down_entry(struct intel_sva *sva, struct device_domain_info *info,
                                 uint32_t pasid, bool fault_ignore) {
    uint64_t table = info->pasid_tables[intel_pasid_dir_index(pasid)];
    uint64_t pte = intel_pasid_entry_addr(table, pasid);
    struct inv_range all = INV_RANGE_ALL;

    if (!table) return; /* never set up */
    entry_write(sva, pte, fault_ignore ? PASID_Q0_FPD : 0);
    entry_write(sva, pte + 8, 0);
    entry_write(sva, pte + 16, 0);

    qi_flush_pasid_cache(sva, info->iommu, FLPT_DEFAULT_DID, QI_PC_GRAN_PASID, pasid);
    qi_flush_piotlb(sva, info->iommu, FLPT_DEFAULT_DID, pasid, &all);
    if (info->ats) qi_flush_dev_iotlb_pasid(sva, info, pasid, &all);
}
