// SPDX-License-Identifier: MIT
/*
 * Stream Table Entries and Context Descriptors, and how they change while
 * the SMMU may read them at any time. An entry is written the way Linux's
 * arm_smmu_write_entry() does (v6.9 on): from the bits the SMMU uses in the
 * current entry and in the target, a change that touches the used bits of
 * one qword only is made hitlessly (the unused bits first, then that
 * qword, then the rest); one that touches more goes through V=0. Each step
 * that stores anything is followed by a CFGI and a CMD_SYNC.
 */
#include "arm-smmu-v3.h"
#include "smmu_regs.h"

#include <errno.h>
#include <stdlib.h>

#define STRTAB_STE_2_S2S BIT_ULL(57)

/* The bits of an STE the SMMU reads in its current configuration. */
static void arm_smmu_get_ste_used(const uint64_t *ent, uint64_t *used) {
    const bool valid = ent[0] & STRTAB_STE_0_V;
    const uint64_t cfg = FIELD_GET(STRTAB_STE_0_CFG, ent[0]);
    const bool s1 = valid && (cfg & 5) == 5;
    const bool s1dss_bypass =
        s1 && FIELD_GET(STRTAB_STE_1_S1DSS, ent[1]) == STRTAB_STE_1_S1DSS_BYPASS;
    const bool bypass = valid && cfg == STRTAB_STE_0_CFG_BYPASS;
    for (unsigned i = 0; i < NUM_ENTRY_QWORDS; i++) used[i] = 0;
    used[0] = STRTAB_STE_0_V | (valid ? STRTAB_STE_0_CFG : 0) |
              (s1 ? STRTAB_STE_0_S1FMT | STRTAB_STE_0_S1CTXPTR_MASK | STRTAB_STE_0_S1CDMAX : 0);
    used[1] =
        (s1 ? STRTAB_STE_1_S1DSS | STRTAB_STE_1_S1CIR | STRTAB_STE_1_S1COR | STRTAB_STE_1_S1CSH |
                  STRTAB_STE_1_S1STALLD | STRTAB_STE_1_STRW | STRTAB_STE_1_EATS | STRTAB_STE_1_MEV
            : 0) |
        (s1dss_bypass || bypass ? STRTAB_STE_1_SHCFG : 0);
    used[2] = s1 ? STRTAB_STE_2_S2VMID : 0;
}

/* The bits of a CD the SMMU reads: none of an invalid one but V, and not
 * the TTB0 walk while EPD0 is set (the quiet CD of an exited mm). */
static void arm_smmu_get_cd_used(const uint64_t *ent, uint64_t *used) {
    const bool valid = ent[0] & CTXDESC_CD_0_V;
    const bool epd0 = valid && (ent[0] & CTXDESC_CD_0_TCR_EPD0);
    for (unsigned i = 0; i < NUM_ENTRY_QWORDS; i++) used[i] = valid ? ~0ull : 0;
    used[0] = valid ? ~(epd0 ? CTXDESC_CD_0_TCR0 : 0) : CTXDESC_CD_0_V;
    used[1] &= ~(epd0 ? CTXDESC_CD_1_TTB0_MASK : 0);
}

/* STE bits that may change in place although used (MEV; EATS between
 * translated and off when neither end checks stage 1). */
static void arm_smmu_get_ste_update_safe(const uint64_t *cur, const uint64_t *target,
                                         uint64_t *safe) {
    const uint64_t eats_trans = FIELD_PREP(STRTAB_STE_1_EATS, STRTAB_STE_1_EATS_TRANS);
    const uint64_t eats_s1chk = STRTAB_STE_1_EATS & ~eats_trans;
    const bool blocks = (cur[1] & eats_s1chk) || (cur[2] & STRTAB_STE_2_S2S) ||
                        (target[1] & eats_s1chk) || (target[2] & STRTAB_STE_2_S2S);
    for (unsigned i = 0; i < NUM_ENTRY_QWORDS; i++) safe[i] = 0;
    safe[1] = STRTAB_STE_1_MEV | (blocks ? 0 : eats_trans);
}

struct arm_smmu_entry_writer {
    struct arm_smmu_sva *sva;
    const struct arm_smmu_master *master;
    bool cd;
    uint32_t ssid; /* CDs */
};

static void arm_smmu_entry_sync(const struct arm_smmu_entry_writer *w) {
    if (w->cd)
        arm_smmu_cmdq_cfgi_cd(w->sva, w->master, w->ssid, true);
    else
        arm_smmu_cmdq_cfgi_ste(w->sva, w->master);
    arm_smmu_cmdq_issue_sync(w->sva, w->master->smmu);
}

/* Stores the qwords of `which` (bit i: qword i) that differ from want, then
 * syncs if it stored any. */
static void entry_set(const struct arm_smmu_entry_writer *w, uint64_t pa, uint64_t *cur,
                      const uint64_t *want, unsigned which) {
    bool changed = false;
    for (unsigned i = 0; i < NUM_ENTRY_QWORDS; i++) {
        if (!(which & (1u << i)) || cur[i] == want[i]) continue;
        arm_smmu_write64(w->sva, pa + 8 * i, want[i]);
        cur[i] = want[i];
        changed = true;
    }
    if (changed) arm_smmu_entry_sync(w);
}

static void arm_smmu_write_entry(const struct arm_smmu_entry_writer *w, uint64_t pa,
                                 const uint64_t *target) {
    uint64_t cur[NUM_ENTRY_QWORDS], cur_used[NUM_ENTRY_QWORDS], target_used[NUM_ENTRY_QWORDS];
    uint64_t safe[NUM_ENTRY_QWORDS], unused_update[NUM_ENTRY_QWORDS];
    for (unsigned i = 0; i < NUM_ENTRY_QWORDS; i++) cur[i] = arm_smmu_read64(w->sva, pa + 8 * i);
    if (w->cd) {
        arm_smmu_get_cd_used(cur, cur_used);
        arm_smmu_get_cd_used(target, target_used);
        for (unsigned i = 0; i < NUM_ENTRY_QWORDS; i++) safe[i] = 0;
    } else {
        arm_smmu_get_ste_used(cur, cur_used);
        arm_smmu_get_ste_used(target, target_used);
        arm_smmu_get_ste_update_safe(cur, target, safe);
    }
    unsigned diff = 0, nr_diff = 0;
    for (unsigned i = 0; i < NUM_ENTRY_QWORDS; i++) {
        safe[i] &= target_used[i] & cur_used[i];
        cur_used[i] &= ~safe[i];
        unused_update[i] = (cur[i] & cur_used[i]) | (target[i] & ~cur_used[i]);
        if ((unused_update[i] & target_used[i]) != target[i]) {
            diff |= 1u << i;
            nr_diff++;
        }
    }
    const unsigned all = (1u << NUM_ENTRY_QWORDS) - 1;
    if (nr_diff == 1) {
        /* Hitless: the bits the SMMU ignores, then the one qword it reads,
         * then whatever is left. */
        for (unsigned i = 0; i < NUM_ENTRY_QWORDS; i++)
            if (diff & (1u << i)) unused_update[i] = cur[i];
        entry_set(w, pa, cur, unused_update, all);
        entry_set(w, pa, cur, target, diff);
        entry_set(w, pa, cur, target, all);
    } else if (nr_diff > 1) {
        /* V=0 first: the SMMU aborts the traffic while the rest changes. */
        uint64_t off[NUM_ENTRY_QWORDS];
        for (unsigned i = 0; i < NUM_ENTRY_QWORDS; i++) off[i] = cur[i];
        off[0] = 0;
        entry_set(w, pa, cur, off, 1u);
        entry_set(w, pa, cur, target, all & ~1u);
        entry_set(w, pa, cur, target, 1u);
    } else {
        entry_set(w, pa, cur, target, all);
    }
}

/* --- Stream Table Entries --- */

void arm_smmu_make_bypass_ste(uint64_t *ste) {
    for (unsigned i = 0; i < NUM_ENTRY_QWORDS; i++) ste[i] = 0;
    ste[0] = STRTAB_STE_0_V | FIELD_PREP(STRTAB_STE_0_CFG, STRTAB_STE_0_CFG_BYPASS);
}

/* Stage 1 through the CD table; requests without a PASID bypass (S1DSS),
 * as the identity default domain had them. */
void arm_smmu_make_cdtable_ste(const struct arm_smmu_sva *sva, const struct arm_smmu_master *m,
                               uint64_t *ste) {
    const bool s1stalld = sva->smmus[m->smmu].stalls && !m->stall;
    for (unsigned i = 0; i < NUM_ENTRY_QWORDS; i++) ste[i] = 0;
    ste[0] = STRTAB_STE_0_V | FIELD_PREP(STRTAB_STE_0_CFG, STRTAB_STE_0_CFG_S1_TRANS) |
             FIELD_PREP(STRTAB_STE_0_S1FMT, m->cd_table.s1fmt) |
             (m->cd_table.cdtab & STRTAB_STE_0_S1CTXPTR_MASK) |
             FIELD_PREP(STRTAB_STE_0_S1CDMAX, m->cd_table.s1cdmax);
    ste[1] = FIELD_PREP(STRTAB_STE_1_S1DSS, STRTAB_STE_1_S1DSS_BYPASS) |
             FIELD_PREP(STRTAB_STE_1_S1CIR, STRTAB_STE_1_S1C_CACHE_WBRA) |
             FIELD_PREP(STRTAB_STE_1_S1COR, STRTAB_STE_1_S1C_CACHE_WBRA) |
             FIELD_PREP(STRTAB_STE_1_S1CSH, STRTAB_STE_1_S1C_SH_ISH) |
             (m->ats ? FIELD_PREP(STRTAB_STE_1_EATS, STRTAB_STE_1_EATS_TRANS) : 0) |
             (s1stalld ? STRTAB_STE_1_S1STALLD : 0);
}

void arm_smmu_write_ste(struct arm_smmu_sva *sva, const struct arm_smmu_master *m,
                        const uint64_t *target) {
    const struct arm_smmu_entry_writer w = {sva, m, false, 0};
    arm_smmu_write_entry(&w, sva->smmus[m->smmu].strtab + (uint64_t)STRTAB_STE_SIZE * m->sid,
                         target);
}

/* --- CD tables --- */

static bool arm_smmu_cdtab_is_2lvl(const struct arm_smmu_master *m) {
    return m->cd_table.s1fmt == STRTAB_STE_0_S1FMT_64K_L2;
}

/* Linear up to 2^10 CDs; beyond, an L1 table of 64 KiB leaves made on
 * first use. S1ContextPtr's bits below the table's size are RES0. */
int arm_smmu_alloc_cd_tables(struct arm_smmu_sva *sva, struct arm_smmu_master *m) {
    struct arm_smmu_ctx_desc_cfg *cfg = &m->cd_table;
    uint64_t size, align;
    cfg->s1cdmax = m->ssid_bits;
    if (m->ssid_bits <= CTXDESC_LINEAR_CDMAX) {
        cfg->s1fmt = STRTAB_STE_0_S1FMT_LINEAR;
        size = (uint64_t)CTXDESC_CD_SIZE << m->ssid_bits;
        align = size;
    } else {
        cfg->s1fmt = STRTAB_STE_0_S1FMT_64K_L2;
        cfg->nr_l1 = 1u << (m->ssid_bits - CTXDESC_SPLIT);
        cfg->l2 = calloc(cfg->nr_l1, sizeof(*cfg->l2));
        if (!cfg->l2) return -ENOMEM;
        size = (uint64_t)CTXDESC_L1_DESC_SIZE * cfg->nr_l1;
        align = size < 64 ? 64 : size;
    }
    cfg->cdtab = arm_smmu_alloc(sva, size, align);
    if (!cfg->cdtab) {
        free(cfg->l2);
        cfg->l2 = NULL;
        return -ENOMEM;
    }
    return 0;
}

/* Only once no STE points at the table any more. */
void arm_smmu_free_cd_tables(struct arm_smmu_sva *sva, struct arm_smmu_master *m) {
    struct arm_smmu_ctx_desc_cfg *cfg = &m->cd_table;
    for (uint32_t i = 0; cfg->l2 && i < cfg->nr_l1; i++) arm_smmu_free(sva, &cfg->l2[i]);
    free(cfg->l2);
    cfg->l2 = NULL;
    arm_smmu_free(sva, &cfg->cdtab);
}

/* The leaf that holds ssid. An invalid L1 descriptor may be cached, so a
 * new one takes a CFGI_CD that is not leaf-only. */
int arm_smmu_alloc_cd_leaf(struct arm_smmu_sva *sva, struct arm_smmu_master *m, uint32_t ssid) {
    struct arm_smmu_ctx_desc_cfg *cfg = &m->cd_table;
    if (!arm_smmu_cdtab_is_2lvl(m)) return 0;
    const uint32_t idx = ssid >> CTXDESC_SPLIT;
    if (idx >= cfg->nr_l1) return -EINVAL;
    if (cfg->l2[idx]) return 0;
    const uint64_t leaf = arm_smmu_alloc(sva, CTXDESC_L2_SIZE, CTXDESC_L2_SIZE);
    if (!leaf) return -ENOMEM;
    arm_smmu_write64(sva, cfg->cdtab + (uint64_t)CTXDESC_L1_DESC_SIZE * idx,
                     (leaf & CTXDESC_L1_DESC_L2PTR_MASK) | CTXDESC_L1_DESC_V);
    cfg->l2[idx] = leaf;
    arm_smmu_cmdq_cfgi_cd(sva, m, ssid, false);
    arm_smmu_cmdq_issue_sync(sva, m->smmu);
    return 0;
}

static uint64_t arm_smmu_get_cd_ptr(const struct arm_smmu_master *m, uint32_t ssid) {
    const struct arm_smmu_ctx_desc_cfg *cfg = &m->cd_table;
    if (!arm_smmu_cdtab_is_2lvl(m)) return cfg->cdtab + (uint64_t)CTXDESC_CD_SIZE * ssid;
    return cfg->l2[ssid >> CTXDESC_SPLIT] +
           (uint64_t)CTXDESC_CD_SIZE * (ssid & (CTXDESC_L2_ENTRIES - 1));
}

/* The CD of ssid, whose leaf exists. */
void arm_smmu_write_cd(struct arm_smmu_sva *sva, const struct arm_smmu_master *m, uint32_t ssid,
                       const uint64_t *target) {
    const struct arm_smmu_entry_writer w = {sva, m, true, ssid};
    arm_smmu_write_entry(&w, arm_smmu_get_cd_ptr(m, ssid), target);
}

static uint64_t arm_smmu_ips(uint32_t pa_bits) {
    static const uint32_t sizes[] = {32, 36, 40, 42, 44, 48};
    for (uint64_t ips = 0; ips < 6; ips++)
        if (pa_bits <= sizes[ips]) return ips;
    return 6; /* 52 bits */
}

/* arm_smmu_make_sva_cd: the mm's page table walked as the CPU walks it, with
 * the SVA domain's ASID; quiet (the mm exited): valid, the walk disabled, so
 * that DMA aborts without an event. */
void arm_smmu_make_sva_cd(const struct svac_mm_info *info, uint16_t asid, bool stall, bool quiet,
                          uint64_t *cd) {
    for (unsigned i = 0; i < NUM_ENTRY_QWORDS; i++) cd[i] = 0;
    cd[0] = CTXDESC_CD_0_TCR_EPD1 | CTXDESC_CD_0_V |
            FIELD_PREP(CTXDESC_CD_0_TCR_IPS, arm_smmu_ips(info->pa_bits)) | CTXDESC_CD_0_AA64 |
            CTXDESC_CD_0_A | CTXDESC_CD_0_ASET | FIELD_PREP(CTXDESC_CD_0_ASID, asid);
    cd[CTXDESC_CD_3_MAIR] = info->mair;
    if (quiet) {
        cd[0] |= CTXDESC_CD_0_TCR_EPD0;
        return;
    }
    cd[0] |= FIELD_PREP(CTXDESC_CD_0_TCR_T0SZ, 64 - info->va_bits) |
             FIELD_PREP(CTXDESC_CD_0_TCR_TG0, ARM_LPAE_TCR_TG0_4K) |
             FIELD_PREP(CTXDESC_CD_0_TCR_IRGN0, ARM_LPAE_TCR_RGN_WBWA) |
             FIELD_PREP(CTXDESC_CD_0_TCR_ORGN0, ARM_LPAE_TCR_RGN_WBWA) |
             FIELD_PREP(CTXDESC_CD_0_TCR_SH0, ARM_LPAE_TCR_SH_IS) | CTXDESC_CD_0_R |
             (stall ? CTXDESC_CD_0_S : 0);
    cd[1] = info->pgd & CTXDESC_CD_1_TTB0_MASK;
}
