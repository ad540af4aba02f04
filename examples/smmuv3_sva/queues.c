// SPDX-License-Identifier: MIT
/*
 * The event queue (stalled transactions) and the PRI queue (PCIe page
 * requests), service_irq and page_response. Each entry is reported to the
 * core (platform->report_fault), which answers through page_response
 * (Arm IHI 0070 sections 7.3 and 8).
 */
#include "arm-smmu-v3.h"
#include "smmu_regs.h"

#include <errno.h>

static int arm_smmu_init_one_queue(struct arm_smmu_sva *sva, struct arm_smmu_queue *q,
                                   uint32_t max_n_shift, uint32_t ent_dwords, uint32_t prod_reg,
                                   uint32_t cons_reg) {
    const uint64_t size = ((uint64_t)ent_dwords * 8) << max_n_shift;
    q->base = arm_smmu_alloc(sva, size, size); /* Q_BASE takes a size-aligned base */
    if (!q->base) return -ENOMEM;
    q->max_n_shift = max_n_shift;
    q->ent_dwords = ent_dwords;
    q->prod_reg = prod_reg;
    q->cons_reg = cons_reg;
    q->cons = 0;
    return 0;
}

int arm_smmu_init_queues(struct arm_smmu_sva *sva, uint32_t smmu) {
    struct arm_smmu_device *d = &sva->smmus[smmu];
    int ret = arm_smmu_init_one_queue(sva, &d->evtq, EVTQ_MAX_SZ_SHIFT, EVTQ_ENT_DWORDS,
                                      ARM_SMMU_EVTQ_PROD, ARM_SMMU_EVTQ_CONS);
    if (ret) return ret;
    return arm_smmu_init_one_queue(sva, &d->priq, PRIQ_MAX_SZ_SHIFT, PRIQ_ENT_DWORDS,
                                   ARM_SMMU_PRIQ_PROD, ARM_SMMU_PRIQ_CONS);
}

void arm_smmu_free_queues(struct arm_smmu_sva *sva, uint32_t smmu) {
    arm_smmu_free(sva, &sva->smmus[smmu].evtq.base);
    arm_smmu_free(sva, &sva->smmus[smmu].priq.base);
}

static uint32_t queue_idx_wrp(const struct arm_smmu_queue *q, uint32_t val) {
    return val & ((2u << q->max_n_shift) - 1);
}

/* Points the SMMU at a queue, empty: CONS = PROD, OVACKFLG included. */
static void arm_smmu_reset_queue(struct arm_smmu_sva *sva, uint32_t smmu, struct arm_smmu_queue *q,
                                 uint32_t base_reg) {
    arm_smmu_write_reg(sva, smmu, base_reg,
                       (q->base & Q_BASE_ADDR_MASK) | FIELD_PREP(Q_BASE_LOG2SIZE, q->max_n_shift));
    const uint32_t prod = (uint32_t)arm_smmu_read_reg(sva, smmu, q->prod_reg);
    q->cons = (prod & Q_OVERFLOW_FLAG) | queue_idx_wrp(q, prod);
    arm_smmu_write_reg(sva, smmu, q->cons_reg, q->cons);
}

/* The queues' CR0 enables. */
uint64_t arm_smmu_reset_queues(struct arm_smmu_sva *sva, uint32_t smmu) {
    struct arm_smmu_device *d = &sva->smmus[smmu];
    arm_smmu_reset_queue(sva, smmu, &d->evtq, ARM_SMMU_EVTQ_BASE);
    arm_smmu_reset_queue(sva, smmu, &d->priq, ARM_SMMU_PRIQ_BASE);
    return CR0_EVTQEN | CR0_PRIQEN;
}

/* The master of a StreamID on an SMMU, or NULL. */
static struct arm_smmu_master *arm_smmu_find_master_by_sid(struct arm_smmu_sva *sva, uint32_t smmu,
                                                           uint32_t sid, uint32_t *dev) {
    for (uint32_t i = 0; i < sva->nr_masters; i++)
        if (sva->masters[i].smmu == smmu && sva->masters[i].sid == sid) {
            *dev = i;
            return &sva->masters[i];
        }
    return NULL;
}

/* One event record. Only a stalled stage 1 translation fault is
 * recoverable; a terminated transaction is only logged. */
static void arm_smmu_handle_evt(struct arm_smmu_sva *sva, uint32_t smmu, const uint64_t *evt) {
    const struct svac_platform *p = sva->platform;
    if (!(evt[1] & EVTQ_1_STALL)) return;
    const uint32_t sid = (uint32_t)FIELD_GET(EVTQ_0_SID, evt[0]);
    const uint32_t stag = (uint32_t)FIELD_GET(EVTQ_1_STAG, evt[1]);
    const uint64_t id = FIELD_GET(EVTQ_0_ID, evt[0]);
    uint32_t dev = 0;
    const struct arm_smmu_master *m = arm_smmu_find_master_by_sid(sva, smmu, sid, &dev);
    const bool fault = id >= EVT_ID_TRANSLATION_FAULT && id <= EVT_ID_PERMISSION_FAULT;
    if (!fault || (evt[1] & EVTQ_1_S2) || !m || (m->nr_attached && !m->iopf_enabled)) {
        /* Nobody will answer it: terminate the stalled transaction. */
        arm_smmu_cmdq_resume(sva, smmu, sid, stag, CMDQ_RESUME_0_RESP_ABORT);
        return;
    }
    struct svac_fault f = {0};
    f.flags = SVAC_FAULT_LAST_PAGE; /* a stall is a group of its own */
    if (evt[0] & EVTQ_0_SSV) {
        f.flags |= SVAC_FAULT_PASID_VALID;
        f.pasid = (uint32_t)FIELD_GET(EVTQ_0_SSID, evt[0]);
    }
    f.grpid = stag;
    if (evt[1] & EVTQ_1_InD) /* an instruction fetch: a read for execution */
        f.perm = SVAC_FAULT_PERM_READ | SVAC_FAULT_PERM_EXEC;
    else
        f.perm = (evt[1] & EVTQ_1_RnW) ? SVAC_FAULT_PERM_READ : SVAC_FAULT_PERM_WRITE;
    if (evt[1] & EVTQ_1_PnU) f.perm |= SVAC_FAULT_PERM_PRIV;
    f.addr = evt[2];
    p->report_fault(p->ctx, dev, &f); /* the core answers, now or later */
}

/* One PRI queue entry: a page request, or a Stop Marker. */
static void arm_smmu_handle_ppr(struct arm_smmu_sva *sva, uint32_t smmu, const uint64_t *evt) {
    const struct svac_platform *p = sva->platform;
    const uint32_t sid = (uint32_t)FIELD_GET(PRIQ_0_SID, evt[0]);
    const uint32_t ssid = (uint32_t)FIELD_GET(PRIQ_0_SSID, evt[0]);
    const bool ssv = evt[0] & PRIQ_0_SSID_V, last = evt[0] & PRIQ_0_PRG_LAST;
    const bool read = evt[0] & PRIQ_0_PERM_READ, write = evt[0] & PRIQ_0_PERM_WRITE;
    const uint32_t grpid = (uint32_t)FIELD_GET(PRIQ_1_PRG_IDX, evt[1]);
    /* A Stop Marker (L=1, R=W=0, with a PASID) needs no response. */
    if (last && !read && !write && ssv) return;
    uint32_t dev = 0;
    const struct arm_smmu_master *m = arm_smmu_find_master_by_sid(sva, smmu, sid, &dev);
    if (!m || (m->nr_attached && !m->iopf_enabled)) {
        /* No master of ours, or one attached without the IOPF queue:
         * nobody else will close the group. */
        const struct arm_smmu_master none = {.smmu = smmu, .sid = sid};
        if (last) arm_smmu_cmdq_pri_resp(sva, m ? m : &none, ssv, ssid, grpid, PRI_RESP_FAIL);
        return;
    }
    struct svac_fault f = {0};
    if (ssv) {
        f.flags |= SVAC_FAULT_PASID_VALID | SVAC_FAULT_NEEDS_PASID;
        f.pasid = ssid;
    }
    if (last) f.flags |= SVAC_FAULT_LAST_PAGE;
    f.grpid = grpid;
    if (read) f.perm |= SVAC_FAULT_PERM_READ;
    if (write) f.perm |= SVAC_FAULT_PERM_WRITE;
    if (evt[0] & PRIQ_0_PERM_EXEC) f.perm |= SVAC_FAULT_PERM_EXEC;
    if (evt[0] & PRIQ_0_PERM_PRIV) f.perm |= SVAC_FAULT_PERM_PRIV;
    f.addr = evt[1] & PRIQ_1_ADDR_MASK;
    p->report_fault(p->ctx, dev, &f);
}

/* Takes every entry up to PROD, moving CONS past each before it is handled
 * (the answer may let the device send another); bounded. */
static void arm_smmu_queue_drain(struct arm_smmu_sva *sva, uint32_t smmu, struct arm_smmu_queue *q,
                                 bool priq) {
    uint64_t ent[EVTQ_ENT_DWORDS];
    for (uint64_t budget = 4ull << q->max_n_shift; budget; budget--) {
        const uint32_t prod = (uint32_t)arm_smmu_read_reg(sva, smmu, q->prod_reg);
        if (queue_idx_wrp(q, prod) == queue_idx_wrp(q, q->cons)) return;
        const uint32_t idx = q->cons & ((1u << q->max_n_shift) - 1);
        const uint64_t pa = q->base + (uint64_t)idx * q->ent_dwords * 8;
        for (uint32_t i = 0; i < q->ent_dwords; i++) ent[i] = arm_smmu_read64(sva, pa + 8 * i);
        q->cons = (q->cons & Q_OVERFLOW_FLAG) | queue_idx_wrp(q, q->cons + 1);
        arm_smmu_write_reg(sva, smmu, q->cons_reg, q->cons);
        if (priq)
            arm_smmu_handle_ppr(sva, smmu, ent);
        else
            arm_smmu_handle_evt(sva, smmu, ent);
    }
}

/* After an overflow the core drops the groups whose last request may be
 * lost (PRI), then the overflow is acknowledged (SMMU 8.1.1). */
static void arm_smmu_ack_overflow(struct arm_smmu_sva *sva, uint32_t smmu, struct arm_smmu_queue *q,
                                  bool priq) {
    const uint32_t prod = (uint32_t)arm_smmu_read_reg(sva, smmu, q->prod_reg);
    if (!((prod ^ q->cons) & Q_OVERFLOW_FLAG)) return;
    const struct svac_platform *p = sva->platform;
    if (priq) p->discard_partial(p->ctx, smmu);
    q->cons ^= Q_OVERFLOW_FLAG;
    arm_smmu_write_reg(sva, smmu, q->cons_reg, q->cons);
}

void arm_smmu_drain_queues(struct arm_smmu_sva *sva, uint32_t smmu) {
    struct arm_smmu_device *d = &sva->smmus[smmu];
    arm_smmu_queue_drain(sva, smmu, &d->evtq, false);
    arm_smmu_ack_overflow(sva, smmu, &d->evtq, false);
    arm_smmu_queue_drain(sva, smmu, &d->priq, true);
    arm_smmu_ack_overflow(sva, smmu, &d->priq, true);
}

void arm_smmu_service_irq(void *drv, uint32_t iommu) {
    struct arm_smmu_sva *sva = to_smmu_sva(drv);
    if (iommu < sva->nr_smmus) arm_smmu_drain_queues(sva, iommu);
}

/* iommu_page_response: CMD_PRI_RESP for a PRI master, CMD_RESUME for a
 * stall master. */
int arm_smmu_page_response(void *drv, uint32_t dev, const struct svac_page_response *resp) {
    struct arm_smmu_sva *sva = to_smmu_sva(drv);
    const struct arm_smmu_master *m = arm_smmu_find_master(sva, dev);
    if (!m || !resp || resp->code > SVAC_RESP_FAILURE) return -EINVAL;
    if (m->pri) {
        const uint32_t code = resp->code == SVAC_RESP_SUCCESS   ? PRI_RESP_SUCC
                              : resp->code == SVAC_RESP_INVALID ? PRI_RESP_FAIL
                                                                : PRI_RESP_DENY;
        return arm_smmu_cmdq_pri_resp(sva, m, resp->flags & SVAC_FAULT_PASID_VALID, resp->pasid,
                                      resp->grpid, code);
    }
    if (m->stall)
        return arm_smmu_cmdq_resume(sva, m->smmu, m->sid, resp->grpid,
                                    resp->code == SVAC_RESP_SUCCESS ? CMDQ_RESUME_0_RESP_RETRY
                                                                    : CMDQ_RESUME_0_RESP_ABORT);
    return -EINVAL; /* no recoverable faults on this master */
}
