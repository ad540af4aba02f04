// SPDX-License-Identifier: MIT
/*
 * The command queue: configuration and TLB invalidations, ATC
 * invalidations, page responses. Commands take effect at the latest when a
 * later CMD_SYNC completes (Arm IHI 0070 section 4).
 */
#include "arm-smmu-v3.h"
#include "smmu_regs.h"

/* A command the SMMU refuses is a driver bug: the call reports it. */
static void arm_smmu_cmdq_issue_cmd(struct arm_smmu_sva *sva, uint32_t smmu, uint64_t q0,
                                    uint64_t q1) {
    const struct svac_platform *p = sva->platform;
    const uint64_t cmd[CMDQ_ENT_DWORDS] = {q0, q1};
    int ret = p->submit_cmd(p->ctx, smmu, cmd, CMDQ_ENT_DWORDS);
    if (ret && !sva->cmd_err) sva->cmd_err = ret;
}

void arm_smmu_cmdq_issue_sync(struct arm_smmu_sva *sva, uint32_t smmu) {
    arm_smmu_cmdq_issue_cmd(sva, smmu,
                            FIELD_PREP(CMDQ_0_OP, CMDQ_OP_CMD_SYNC) |
                                FIELD_PREP(CMDQ_SYNC_0_CS, CMDQ_SYNC_0_CS_SEV),
                            0);
}

void arm_smmu_cmdq_cfgi_ste(struct arm_smmu_sva *sva, const struct arm_smmu_master *m) {
    arm_smmu_cmdq_issue_cmd(
        sva, m->smmu, FIELD_PREP(CMDQ_0_OP, CMDQ_OP_CFGI_STE) | FIELD_PREP(CMDQ_CFGI_0_SID, m->sid),
        CMDQ_CFGI_1_LEAF);
}

/* leaf: only the CD; otherwise the L1 descriptor on the way too. */
void arm_smmu_cmdq_cfgi_cd(struct arm_smmu_sva *sva, const struct arm_smmu_master *m, uint32_t ssid,
                           bool leaf) {
    arm_smmu_cmdq_issue_cmd(sva, m->smmu,
                            FIELD_PREP(CMDQ_0_OP, CMDQ_OP_CFGI_CD) |
                                FIELD_PREP(CMDQ_CFGI_0_SSID, ssid) |
                                FIELD_PREP(CMDQ_CFGI_0_SID, m->sid),
                            leaf ? CMDQ_CFGI_1_LEAF : 0);
}

void arm_smmu_cmdq_cfgi_all(struct arm_smmu_sva *sva, uint32_t smmu) {
    arm_smmu_cmdq_issue_cmd(sva, smmu, FIELD_PREP(CMDQ_0_OP, CMDQ_OP_CFGI_ALL),
                            FIELD_PREP(CMDQ_CFGI_1_RANGE, 31));
}

void arm_smmu_tlb_inv_asid(struct arm_smmu_sva *sva, uint32_t smmu, uint16_t asid) {
    arm_smmu_cmdq_issue_cmd(
        sva, smmu, FIELD_PREP(CMDQ_0_OP, CMDQ_OP_TLBI_NH_ASID) | FIELD_PREP(CMDQ_TLBI_0_ASID, asid),
        0);
}

/* Beyond this many pages one invalidation of the whole ASID is cheaper. */
#define ARM_SMMU_MAX_TLBI_OPS 64u

void arm_smmu_tlb_inv_range_asid(struct arm_smmu_sva *sva, uint32_t smmu, uint16_t asid,
                                 uint64_t start, uint64_t end) {
    const uint64_t first = start >> 12, last = (end - 1) >> 12;
    if (last - first >= ARM_SMMU_MAX_TLBI_OPS) {
        arm_smmu_tlb_inv_asid(sva, smmu, asid);
        return;
    }
    for (uint64_t page = first; page <= last; page++)
        arm_smmu_cmdq_issue_cmd(sva, smmu,
                                FIELD_PREP(CMDQ_0_OP, CMDQ_OP_TLBI_NH_VA) |
                                    FIELD_PREP(CMDQ_TLBI_0_ASID, asid),
                                (page << 12) & CMDQ_TLBI_1_VA_MASK);
}

/* The ATC of (master, ssid) over [start, end): the smallest naturally
 * aligned power-of-two range of pages that holds it (end 0: everything). */
void arm_smmu_atc_inv_master(struct arm_smmu_sva *sva, const struct arm_smmu_master *m,
                             uint32_t ssid, uint64_t start, uint64_t end) {
    if (!m->ats) return;
    uint64_t addr = 0, size = ATC_INV_SIZE_ALL;
    if (end) {
        uint64_t page_start = start >> 12, page_end = (end - 1) >> 12;
        uint64_t span = page_start ^ page_end;
        uint64_t log2_span = span ? 64 - (uint64_t)__builtin_clzll(span) : 0;
        if (log2_span < ATC_INV_SIZE_ALL) {
            page_start &= ~((1ull << log2_span) - 1);
            addr = page_start << 12;
            size = log2_span;
        }
    }
    arm_smmu_cmdq_issue_cmd(sva, m->smmu,
                            FIELD_PREP(CMDQ_0_OP, CMDQ_OP_ATC_INV) | CMDQ_0_SSV |
                                FIELD_PREP(CMDQ_ATC_0_SSID, ssid) |
                                FIELD_PREP(CMDQ_ATC_0_SID, m->sid),
                            FIELD_PREP(CMDQ_ATC_1_SIZE, size) | (addr & CMDQ_ATC_1_ADDR_MASK));
}

/* Responses go out at once, with no CMD_SYNC after them. */
static int arm_smmu_cmdq_issue_response(struct arm_smmu_sva *sva, uint32_t smmu, uint64_t q0,
                                        uint64_t q1) {
    const struct svac_platform *p = sva->platform;
    const uint64_t cmd[CMDQ_ENT_DWORDS] = {q0, q1};
    return p->submit_cmd(p->ctx, smmu, cmd, CMDQ_ENT_DWORDS);
}

int arm_smmu_cmdq_pri_resp(struct arm_smmu_sva *sva, const struct arm_smmu_master *m, bool ssv,
                           uint32_t ssid, uint32_t grpid, uint32_t resp) {
    return arm_smmu_cmdq_issue_response(
        sva, m->smmu,
        FIELD_PREP(CMDQ_0_OP, CMDQ_OP_PRI_RESP) | (ssv ? CMDQ_0_SSV : 0) |
            FIELD_PREP(CMDQ_PRI_0_SSID, ssv ? ssid : 0) | FIELD_PREP(CMDQ_PRI_0_SID, m->sid),
        FIELD_PREP(CMDQ_PRI_1_GRPID, grpid) | FIELD_PREP(CMDQ_PRI_1_RESP, resp));
}

int arm_smmu_cmdq_resume(struct arm_smmu_sva *sva, uint32_t smmu, uint32_t sid, uint32_t stag,
                         uint32_t action) {
    return arm_smmu_cmdq_issue_response(sva, smmu,
                                        FIELD_PREP(CMDQ_0_OP, CMDQ_OP_RESUME) |
                                            FIELD_PREP(CMDQ_RESUME_0_RESP, action) |
                                            FIELD_PREP(CMDQ_RESUME_0_SID, sid),
                                        FIELD_PREP(CMDQ_RESUME_1_STAG, stag));
}
