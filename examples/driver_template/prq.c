// SPDX-License-Identifier: MIT
/*
 * The page request queue (VT-d 11.4.10) and page group responses.
 *
 * The hardware writes 32-byte page request descriptors at PQT and raises
 * PRS.PPR; the driver consumes them from PQH and hands each request to the
 * core's IOPF handler (platform->report_fault). The core answers a group
 * when its last request (LPIG) has been handled, through page_response,
 * which becomes a page group response descriptor on the invalidation queue.
 */
#include "iommu.h"
#include "vtd_regs.h"

#include <errno.h>

int intel_alloc_prq(struct intel_sva *sva, struct intel_iommu *iommu) {
    iommu->prq = iommu_alloc_pages(sva, PRQ_SIZE);
    return iommu->prq ? 0 : -ENOMEM;
}

void intel_free_prq(struct intel_sva *sva, struct intel_iommu *iommu) {
    iommu_free_pages(sva, &iommu->prq);
}

/* An empty queue (head = tail = 0), then its address and size. */
void intel_enable_prq(struct intel_sva *sva) {
    for (uint32_t i = 0; i < sva->nr_iommus; i++) {
        struct intel_iommu *iommu = &sva->iommus[i];
        dmar_writeq(sva, i, SVAC_VTD_PQH, 0);
        dmar_writeq(sva, i, SVAC_VTD_PQT, 0);
        dmar_writeq(sva, i, SVAC_VTD_PQA, (iommu->prq & PQA_ADDR) | FIELD_PREP(PQA_PQS, PRQ_ORDER));
        iommu->prq_enabled = true;
    }
}

/* The queue's registers cleared before its memory goes. */
void intel_finish_prq(struct intel_sva *sva) {
    for (uint32_t i = 0; i < sva->nr_iommus; i++) {
        struct intel_iommu *iommu = &sva->iommus[i];
        if (!iommu->prq_enabled) continue;
        dmar_writeq(sva, i, SVAC_VTD_PQH, 0);
        dmar_writeq(sva, i, SVAC_VTD_PQT, 0);
        dmar_writeq(sva, i, SVAC_VTD_PQA, 0);
        iommu->prq_enabled = false;
    }
}

/* The device behind iommu with requester ID rid, or -1. */
static int64_t intel_find_dev_by_rid(const struct intel_sva *sva, uint32_t iommu, uint16_t rid) {
    for (uint32_t i = 0; i < sva->nr_devices; i++)
        if (sva->devices[i].iommu == iommu && sva->devices[i].rid == rid) return i;
    return -1;
}

/* One page request descriptor, taken off the queue. */
static void intel_prq_handle(struct intel_sva *sva, uint32_t iommu, uint64_t qw0, uint64_t qw1) {
    const struct svac_platform *p = sva->platform;
    bool pasid_present = qw0 & PRQ_PASID_PRESENT;
    uint16_t rid = (uint16_t)FIELD_GET(PRQ_RID, qw0);
    uint32_t pasid = (uint32_t)FIELD_GET(PRQ_PASID, qw0);
    uint32_t prg_index = (uint32_t)FIELD_GET(PRQ_PRG_INDEX, qw1);
    bool lpig = qw1 & PRQ_LPIG;
    bool rd = qw1 & PRQ_RD_REQ, wr = qw1 & PRQ_WR_REQ;

    if (FIELD_GET(PRQ_TYPE, qw0) != PRQ_TYPE_PAGE_REQ) return;

    /* A Stop Marker (LPIG with neither read nor write) needs no response. */
    if (lpig && !rd && !wr && pasid_present) return;

    /*
     * handle_bad_prq_event: a requester the IOMMU has no device for. Its
     * group is answered here, Invalid Request, since no one else will
     * (VT-d 3.0 7.7: software must respond when LPIG is set).
     */
    int64_t dev = intel_find_dev_by_rid(sva, iommu, rid);
    if (dev < 0) {
        if (lpig)
            qi_page_group_response(sva, iommu, rid, pasid_present, pasid, prg_index,
                                   QI_RESP_INVALID);
        return;
    }

    struct svac_fault fault = {
        .pasid = pasid_present ? pasid : 0,
        .grpid = prg_index,
        .addr = qw1 & PRQ_ADDR,
    };
    if (pasid_present) fault.flags |= SVAC_FAULT_PASID_VALID | SVAC_FAULT_NEEDS_PASID;
    if (lpig) fault.flags |= SVAC_FAULT_LAST_PAGE;
    if (rd) fault.perm |= SVAC_FAULT_PERM_READ;
    if (wr) fault.perm |= SVAC_FAULT_PERM_WRITE;
    if (qw0 & PRQ_EXE_REQ) fault.perm |= SVAC_FAULT_PERM_EXEC;
    if (qw0 & PRQ_PM_REQ) fault.perm |= SVAC_FAULT_PERM_PRIV;

    /*
     * iommu_report_device_fault. The core answers the group later through
     * page_response, or (no handler: non-zero) has already answered it from
     * inside this call. Either way the driver sends nothing itself.
     */
    if (p->report_fault) (void)p->report_fault(p->ctx, (uint32_t)dev, &fault);
}

/*
 * Consumes the queue from PQH to PQT. PQH moves past each descriptor before
 * it is handled, so a drain nested in the handling (the core may call back
 * into the driver) never sees it twice; PQT is read again each time round.
 */
static void intel_prq_drain_queue(struct intel_sva *sva, uint32_t iommu) {
    uint64_t base = sva->iommus[iommu].prq;

    for (uint64_t n = 0; n < PRQ_SIZE / PRQ_DESC_SIZE; n++) {
        uint64_t head = dmar_readq(sva, iommu, SVAC_VTD_PQH) & PRQ_RING_MASK;
        uint64_t tail = dmar_readq(sva, iommu, SVAC_VTD_PQT) & PRQ_RING_MASK;
        if (head == tail) return;

        uint64_t qw0 = entry_read(sva, base + head);
        uint64_t qw1 = entry_read(sva, base + head + 8);
        dmar_writeq(sva, iommu, SVAC_VTD_PQH, (head + PRQ_DESC_SIZE) & PRQ_RING_MASK);
        intel_prq_handle(sva, iommu, qw0, qw1);
    }
}

static bool intel_prq_empty(struct intel_sva *sva, uint32_t iommu) {
    uint64_t head = dmar_readq(sva, iommu, SVAC_VTD_PQH) & PRQ_RING_MASK;
    uint64_t tail = dmar_readq(sva, iommu, SVAC_VTD_PQT) & PRQ_RING_MASK;
    return head == tail;
}

/* prq_event_thread: the page request interrupt of one IOMMU. */
void intel_prq_event(struct intel_sva *sva, uint32_t iommu) {
    const struct svac_platform *p = sva->platform;

    if (!sva->iommus[iommu].prq_enabled) return;
    /* PPR is cleared (write 1) before head and tail are read, so a request
     * arriving from now on raises it again. */
    dmar_writeq(sva, iommu, SVAC_VTD_PRS, SVAC_VTD_PRS_PPR);
    intel_prq_drain_queue(sva, iommu);

    /*
     * After an overflow the hardware dropped requests (answering the last
     * ones of their groups itself): groups the core holds in part may never
     * see their last request, so the core drops them. PRO is cleared only
     * once the queue is empty.
     */
    if (!(dmar_readq(sva, iommu, SVAC_VTD_PRS) & SVAC_VTD_PRS_PRO)) return;
    if (!intel_prq_empty(sva, iommu)) return;
    if (p->discard_partial) p->discard_partial(p->ctx, iommu);
    dmar_writeq(sva, iommu, SVAC_VTD_PRS, SVAC_VTD_PRS_PRO | SVAC_VTD_PRS_PPR);
}

/*
 * intel_drain_pasid_prq: after a PASID's entry is torn down and its
 * invalidations waited for, the requests still queued are handled as the
 * interrupt would. Linux first submits an invalidation wait with Page
 * Request Drain (VT-d 7.10) so that requests in flight land in the queue;
 * the harness has none in flight when unbind runs, so none is sent.
 */
void intel_drain_pasid_prq(struct intel_sva *sva, const struct device_domain_info *info) {
    intel_prq_event(sva, info->iommu);
}

void intel_iommu_service_irq(void *drv, uint32_t iommu) {
    struct intel_sva *sva = to_intel_sva(drv);

    if (iommu < sva->nr_iommus) intel_prq_event(sva, iommu);
}

/* enum iommu_page_response_code to the PCIe PRG response code (PCIe 4.0 10.4.2). */
static uint64_t intel_resp_code(uint32_t code) {
    switch (code) {
    case SVAC_RESP_SUCCESS:
        return QI_RESP_SUCCESS;
    case SVAC_RESP_INVALID:
        return QI_RESP_INVALID;
    default:
        return QI_RESP_FAILURE;
    }
}

/* intel_iommu_page_response: the core's answer for one group of dev. */
int intel_iommu_page_response(void *drv, uint32_t dev, const struct svac_page_response *resp) {
    struct intel_sva *sva = to_intel_sva(drv);
    const struct device_domain_info *info = dev_iommu_priv_get(sva, dev);

    if (!info || !resp || resp->code > SVAC_RESP_FAILURE) return -EINVAL;
    qi_page_group_response(sva, info->iommu, info->rid, resp->flags & SVAC_FAULT_PASID_VALID,
                           resp->pasid, resp->grpid, intel_resp_code(resp->code));
    return 0;
}
