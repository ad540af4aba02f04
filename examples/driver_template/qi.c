// SPDX-License-Identifier: MIT
/*
 * The queued-invalidation interface (VT-d 6.5.2): 256-bit descriptors in
 * scalable mode, submitted through platform->submit_cmd. Descriptors take
 * effect, in order, when a later invalidation wait descriptor completes, so
 * every call that changes what the hardware may have cached ends with
 * qi_submit_wait() before it returns.
 */
#include "iommu.h"
#include "vtd_regs.h"

/* Page-selective IOTLB invalidation up to 2^MAX_AMASK pages (the IOMMU's
 * CAP.MAMV); larger ranges flush every address of the PASID. */
#define MAX_AMASK 9

static void qi_submit_desc(struct intel_sva *sva, uint32_t iommu, uint64_t qw0, uint64_t qw1) {
    const struct svac_platform *p = sva->platform;
    const uint64_t desc[QI_DESC_QWORDS] = {qw0, qw1, 0, 0};

    /* -EINVAL means the IOMMU rejected the descriptor (IQE): a bug in this
     * driver, which the harness records. There is nothing to recover. */
    (void)p->submit_cmd(p->ctx, iommu, desc, QI_DESC_QWORDS);
    sva->iommus[iommu].qi_pending = true;
}

/* An invalidation wait (6.5.2.8) on every IOMMU with descriptors queued
 * since its last one; submit_cmd returns once it has completed. */
void qi_submit_wait(struct intel_sva *sva) {
    const struct svac_platform *p = sva->platform;
    const uint64_t desc[QI_DESC_QWORDS] = {FIELD_PREP(QI_TYPE, QI_IWD_TYPE), 0, 0, 0};

    for (uint32_t i = 0; i < sva->nr_iommus; i++) {
        if (!sva->iommus[i].qi_pending) continue;
        sva->iommus[i].qi_pending = false;
        (void)p->submit_cmd(p->ctx, i, desc, QI_DESC_QWORDS);
    }
}

static uint64_t qi_desc_qw0(uint64_t type, uint64_t gran, uint16_t did, uint32_t pasid) {
    return FIELD_PREP(QI_TYPE, type) | FIELD_PREP(QI_GRAN, gran) | FIELD_PREP(QI_DID, did) |
           FIELD_PREP(QI_PASID, pasid);
}

/* Context-cache invalidation, global (6.5.2.1). */
void qi_flush_context(struct intel_sva *sva, uint32_t iommu) {
    qi_submit_desc(sva, iommu, qi_desc_qw0(QI_CC_TYPE, QI_CC_GRAN_GLOBAL, 0, 0), 0);
}

/* PASID-cache invalidation (6.5.2.2): one PASID of a DID, or all of them. */
void qi_flush_pasid_cache(struct intel_sva *sva, uint32_t iommu, uint16_t did, uint64_t gran,
                          uint32_t pasid) {
    qi_submit_desc(sva, iommu, qi_desc_qw0(QI_PC_TYPE, gran, did, pasid), 0);
}

static unsigned int fls64(uint64_t x) {
    unsigned int n = 0;
    while (x) {
        n++;
        x >>= 1;
    }
    return n;
}

/* The smallest naturally aligned power-of-two block of pages covering
 * [start, end), or everything when that is more than 2^MAX_AMASK pages. */
struct inv_range inv_range_covering(uint64_t start, uint64_t end) {
    uint64_t first = start >> VTD_PAGE_SHIFT;
    uint64_t last = (end - 1) >> VTD_PAGE_SHIFT;
    unsigned int am = fls64(first ^ last);

    if (am > MAX_AMASK) return INV_RANGE_ALL;
    return (struct inv_range){.addr = (first >> am) << am << VTD_PAGE_SHIFT, .am = am};
}

/* PASID-based IOTLB invalidation (6.5.2.4) of r, for (did, pasid). */
void qi_flush_piotlb(struct intel_sva *sva, uint32_t iommu, uint16_t did, uint32_t pasid,
                     const struct inv_range *r) {
    uint64_t gran = r->all ? QI_EIOTLB_GRAN_PASID : QI_EIOTLB_GRAN_PSI;
    uint64_t qw1 = 0;

    if (!r->all) qw1 = (r->addr & QI_EIOTLB_ADDR) | FIELD_PREP(QI_EIOTLB_AM, r->am);
    qi_submit_desc(sva, iommu, qi_desc_qw0(QI_EIOTLB_TYPE, gran, did, pasid), qw1);
}

/*
 * The PCIe ATS invalidate body (PCIe 4.0 section 10.3): one page with S clear; with S set,
 * k ones from bit 12 up mean 2^(k + 1) pages. So 2^am pages are S and
 * am - 1 ones.
 */
static uint64_t ats_inv_addr(const struct inv_range *r) {
    if (r->all) return QI_DEV_EIOTLB_ADDR_ALL;
    uint64_t addr = r->addr & QI_DEV_EIOTLB_ADDR;
    if (!r->am) return addr;
    return addr | QI_DEV_EIOTLB_S | (((1ull << (r->am - 1)) - 1) << VTD_PAGE_SHIFT);
}

/*
 * PASID-based device-TLB invalidation (6.5.2.6). The device is its own
 * physical function, so PFSID is its requester ID; QDEP 0 stands for the
 * device's full invalidate queue depth.
 */
void qi_flush_dev_iotlb_pasid(struct intel_sva *sva, const struct device_domain_info *info,
                              uint32_t pasid, const struct inv_range *r) {
    uint64_t sid = info->rid;
    uint64_t qw0 = FIELD_PREP(QI_TYPE, QI_DEV_EIOTLB_TYPE) |
                   FIELD_PREP(QI_DEV_EIOTLB_PFSID_LO, sid & 0xf) |
                   FIELD_PREP(QI_DEV_EIOTLB_SID, sid) | FIELD_PREP(QI_PASID, pasid) |
                   FIELD_PREP(QI_DEV_EIOTLB_PFSID_HI, sid >> 4);

    qi_submit_desc(sva, info->iommu, qw0, ats_inv_addr(r));
}

/*
 * A page group response (VT-d 6.5.2) to the device with requester ID rid, for
 * PRG index prg_index, code in the PCIe encoding. Completed with a wait
 * like every descriptor, as qi_submit_sync() does.
 */
void qi_page_group_response(struct intel_sva *sva, uint32_t iommu, uint16_t rid, bool pasid_present,
                            uint32_t pasid, uint32_t prg_index, uint64_t code) {
    uint64_t qw0 = FIELD_PREP(QI_TYPE, QI_PGRP_RESP_TYPE) | FIELD_PREP(QI_PGRP_RESP_CODE, code) |
                   FIELD_PREP(QI_PGRP_RID, rid) | FIELD_PREP(QI_PGRP_PASID, pasid) |
                   (pasid_present ? QI_PGRP_PASID_P : 0);

    qi_submit_desc(sva, iommu, qw0, FIELD_PREP(QI_PGRP_IDX, prg_index));
    qi_submit_wait(sva);
}
