// SPDX-License-Identifier: MIT
/*
 * Template VT-d scalable-mode SVA driver for sva-conform: the ops table,
 * the one exported symbol, and probe/remove (create/destroy).
 *
 * create() allocates every table the IOMMUs need before it writes any of
 * them, then sets each device up the way an identity default domain is:
 * requests without a PASID pass through PASID entry 0 (RID_PASID). Only
 * then are the page request queues and translation turned on. A create
 * that fails gives back everything it took and returns NULL.
 */
#include "iommu.h"
#include "vtd_regs.h"

#include <errno.h>
#include <stdlib.h>

/* One bond slot per (device, mm): keep the flat table reasonable. */
#define MAX_BOND_SLOTS (1u << 20)

/* --- the platform ---------------------------------------------------- */

/* kzalloc/dma_alloc_coherent: page-aligned, zeroed. 0 when out of memory. */
uint64_t iommu_alloc_pages(struct intel_sva *sva, uint64_t bytes) {
    const struct svac_platform *p = sva->platform;
    return p->alloc(p->ctx, bytes, VTD_PAGE_SIZE);
}

void iommu_free_pages(struct intel_sva *sva, uint64_t *pa) {
    const struct svac_platform *p = sva->platform;
    if (*pa) p->free(p->ctx, *pa);
    *pa = 0;
}

/* A store the IOMMU may observe at any time: WRITE_ONCE of a table qword. */
void entry_write(struct intel_sva *sva, uint64_t pa, uint64_t val) {
    const struct svac_platform *p = sva->platform;
    p->write64(p->ctx, pa, val);
}

uint64_t entry_read(struct intel_sva *sva, uint64_t pa) {
    const struct svac_platform *p = sva->platform;
    return p->read64(p->ctx, pa);
}

void dmar_writeq(struct intel_sva *sva, uint32_t iommu, uint32_t reg, uint64_t val) {
    const struct svac_platform *p = sva->platform;
    p->write_reg(p->ctx, iommu, reg, val);
}

uint64_t dmar_readq(struct intel_sva *sva, uint32_t iommu, uint32_t reg) {
    const struct svac_platform *p = sva->platform;
    return p->read_reg(p->ctx, iommu, reg);
}

struct device_domain_info *dev_iommu_priv_get(struct intel_sva *sva, uint32_t dev) {
    return dev < sva->nr_devices ? &sva->devices[dev] : NULL;
}

/* --- probe ------------------------------------------------------------ */

static bool intel_platform_ok(const struct svac_platform *p) {
    if (!p || p->abi_version != SVAC_ABI_VERSION || p->size < sizeof(*p)) return false;
    return p->alloc && p->free && p->read64 && p->write64 && p->write_reg && p->read_reg &&
           p->submit_cmd && p->mm_info;
}

static bool intel_topology_ok(const struct svac_topology *t) {
    if (!t || (t->n_iommus && !t->iommus) || (t->n_devices && !t->devices)) return false;
    if ((uint64_t)t->n_devices * t->n_mms > MAX_BOND_SLOTS) return false;
    for (uint32_t i = 0; i < t->n_iommus; i++) {
        const struct svac_iommu_desc *d = &t->iommus[i];
        if (d->arch != SVAC_ARCH_VTD || d->pasid_bits > SVAC_PASID_BITS_MAX) return false;
    }
    for (uint32_t i = 0; i < t->n_devices; i++) {
        const struct svac_device_desc *d = &t->devices[i];
        if (d->iommu >= t->n_iommus || d->pasid_bits > SVAC_PASID_BITS_MAX || d->sid > 0xffff)
            return false;
        /* Two devices with one requester ID would share a context entry. */
        for (uint32_t j = 0; j < i; j++)
            if (t->devices[j].iommu == d->iommu && t->devices[j].sid == d->sid) return false;
    }
    return true;
}

static uint32_t pasid_max_of(uint32_t bits) {
    return bits ? (1u << bits) - 1 : 0;
}

static uint32_t min_u32(uint32_t a, uint32_t b) {
    return a < b ? a : b;
}

static void intel_probe_device(struct device_domain_info *info, const struct svac_device_desc *d,
                               const struct intel_iommu *iommu) {
    info->iommu = d->iommu;
    info->rid = (uint16_t)d->sid;
    info->pri = d->pri != 0;
    info->ats = d->ats != 0;
    info->dev_pasid_max = pasid_max_of(d->pasid_bits);
    info->pasid_max = min_u32(info->dev_pasid_max, pasid_max_of(iommu->pasid_bits));
    info->param_min = 1;
    info->param_max = UINT32_MAX;
    info->pasid_dir_entries = intel_pasid_dir_entries(min_u32(d->pasid_bits, iommu->pasid_bits));
}

/* Registers, tables and host memory: safe on a half-built instance. */
static void intel_sva_free(struct intel_sva *sva) {
    if (sva->translation_enabled) iommu_disable_translation(sva);
    if (sva->iommus) intel_finish_prq(sva);
    for (uint32_t i = 0; sva->devices && i < sva->nr_devices; i++)
        intel_pasid_free_table(sva, &sva->devices[i]);
    for (uint32_t i = 0; sva->iommus && i < sva->nr_iommus; i++) {
        intel_free_prq(sva, &sva->iommus[i]);
        iommu_free_root_entry(sva, &sva->iommus[i]);
    }
    ioasid_set_free(&sva->pasids);
    free(sva->bonds);
    free(sva->mms);
    free(sva->devices);
    free(sva->iommus);
    free(sva);
}

/* The driver's own bookkeeping, in host memory. */
static struct intel_sva *intel_sva_alloc(const struct svac_platform *p,
                                         const struct svac_topology *t) {
    struct intel_sva *sva = calloc(1, sizeof(*sva));
    if (!sva) return NULL;
    sva->platform = p;
    sva->nr_iommus = t->n_iommus;
    sva->nr_devices = t->n_devices;
    sva->nr_mms = t->n_mms;
    /* calloc(0, ...) may return NULL: ask for one more of each. */
    sva->iommus = calloc(t->n_iommus + 1, sizeof(*sva->iommus));
    sva->devices = calloc(t->n_devices + 1, sizeof(*sva->devices));
    sva->mms = calloc(t->n_mms + 1, sizeof(*sva->mms));
    sva->bonds = calloc((size_t)t->n_devices * t->n_mms + 1, sizeof(*sva->bonds));
    if (!sva->iommus || !sva->devices || !sva->mms || !sva->bonds ||
        ioasid_set_init(&sva->pasids, t->n_mms)) {
        intel_sva_free(sva);
        return NULL;
    }
    for (uint32_t i = 0; i < t->n_iommus; i++) {
        sva->iommus[i].pasid_bits = t->iommus[i].pasid_bits;
        sva->iommus[i].sva = t->iommus[i].sva != 0;
    }
    for (uint32_t i = 0; i < t->n_devices; i++)
        intel_probe_device(&sva->devices[i], &t->devices[i], &sva->iommus[t->devices[i].iommu]);
    return sva;
}

/* Every table create() needs, before anything is written. */
static int intel_alloc_tables(struct intel_sva *sva) {
    for (uint32_t i = 0; i < sva->nr_iommus; i++) {
        int ret = iommu_alloc_root_entry(sva, &sva->iommus[i]);
        if (ret) return ret;
        ret = intel_alloc_prq(sva, &sva->iommus[i]);
        if (ret) return ret;
    }
    for (uint32_t i = 0; i < sva->nr_devices; i++) {
        struct device_domain_info *info = &sva->devices[i];
        int ret = iommu_context_addr(sva, info);
        if (ret) return ret;
        ret = intel_pasid_alloc_table(sva, info);
        if (ret) return ret;
    }
    return 0;
}

static void *intel_iommu_create(const struct svac_platform *p, const struct svac_topology *t) {
    if (!intel_platform_ok(p) || !intel_topology_ok(t)) return NULL;
    struct intel_sva *sva = intel_sva_alloc(p, t);
    if (!sva) return NULL;
    if (intel_alloc_tables(sva)) {
        intel_sva_free(sva);
        return NULL;
    }
    for (uint32_t i = 0; i < sva->nr_devices; i++) {
        intel_pasid_setup_pass_through(sva, &sva->devices[i]);
        intel_pasid_setup_sm_context(sva, &sva->devices[i]);
    }
    intel_enable_prq(sva);
    iommu_enable_translation(sva);
    return sva;
}

static void intel_iommu_destroy(void *drv) {
    if (drv) intel_sva_free(to_intel_sva(drv));
}

static const struct svac_driver_ops intel_svm_ops = {
    .abi_version = SVAC_ABI_VERSION,
    .size = sizeof(struct svac_driver_ops),
    .name = "template-vtd",
    .version = "1.0",
    .arch_mask = 1u << SVAC_ARCH_VTD,
    .create = intel_iommu_create,
    .destroy = intel_iommu_destroy,
    .dev_has_feat = intel_iommu_dev_has_feat,
    .dev_enable_feat = intel_iommu_dev_enable_feat,
    .dev_disable_feat = intel_iommu_dev_disable_feat,
    .dev_feat_enabled = intel_iommu_dev_feat_enabled,
    .set_sva_param = intel_svm_set_param,
    .bind_mm = intel_svm_bind,
    .unbind_mm = intel_svm_unbind,
    .mm_release = intel_mm_release,
    .mm_invalidate_range = intel_mm_invalidate_range,
    .service_irq = intel_iommu_service_irq,
    .page_response = intel_iommu_page_response,
    .contracts = SVAC_CONTRACT_RFC2019,
};

__attribute__((visibility("default"))) const struct svac_driver_ops *svac_driver_entry(void) {
    return &intel_svm_ops;
}
