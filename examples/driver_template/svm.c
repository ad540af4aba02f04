// SPDX-License-Identifier: MIT
/*
 * Shared virtual memory: bonds between devices and mms (iommu_sva_bind,
 * iommu_sva_unbind), the mm release path and the mmu notifier.
 *
 * A bond is reference counted: binding (dev, mm) again returns the same
 * PASID and only the last unbind tears it down. An mm has one PASID for all
 * its bonds on every device, held from its first bind until its last bond
 * is gone, whether or not the mm has exited by then.
 */
#include "iommu.h"
#include "vtd_regs.h"

#include <errno.h>

static struct intel_svm_dev *intel_svm_dev(struct intel_sva *sva, uint32_t dev, uint32_t mm) {
    return &sva->bonds[(size_t)dev * sva->nr_mms + mm];
}

/* The PASIDs dev may use: its width and the IOMMU's, and set_sva_param. */
static void intel_svm_pasid_range(const struct device_domain_info *info, uint32_t *min,
                                  uint32_t *max) {
    *min = info->param_min > 1 ? info->param_min : 1;
    *max = info->pasid_max < info->param_max ? info->pasid_max : info->param_max;
}

/* What the first stage can walk: an x86-64 4-level table, page aligned. */
static bool intel_svm_mm_supported(const struct svac_mm_info *mi) {
    return mi->pgtable == SVAC_PGTABLE_X86_64_4L && mi->pgd && !(mi->pgd & ~VTD_PAGE_MASK);
}

/*
 * A new bond: the mm's PASID (allocated if it has none yet) and its PASID
 * entry on dev. On failure nothing is left behind: no PASID, no entry.
 */
static int intel_svm_bond_setup(struct intel_sva *sva, uint32_t dev, uint32_t mm, uint32_t *pasid) {
    const struct svac_platform *p = sva->platform;
    struct device_domain_info *info = &sva->devices[dev];
    struct intel_svm *svm = &sva->mms[mm];
    struct svac_mm_info mi = {0};
    uint32_t min, max, id;
    int ret;

    intel_svm_pasid_range(info, &min, &max);
    /* The mm's PASID, shared with its other bonds, must suit dev too. */
    if (svm->pasid && (svm->pasid < min || svm->pasid > max)) return -ERANGE;
    if (p->mm_info(p->ctx, mm, &mi) || !intel_svm_mm_supported(&mi)) return -EINVAL;

    id = svm->pasid;
    if (!id && !(id = ioasid_alloc(&sva->pasids, min, max, mm))) return -ENOSPC;
    ret = intel_pasid_setup_first_level(sva, info, id, mi.pgd);
    if (ret) {
        if (!svm->pasid) ioasid_free(&sva->pasids, id);
        return ret;
    }
    svm->pasid = id;
    *pasid = id;
    return 0;
}

int intel_svm_bind(void *drv, uint32_t dev, uint32_t mm, uint32_t *pasid, svac_mm_exit_fn mm_exit,
                   void *cb_ctx, uint64_t drvdata) {
    struct intel_sva *sva = to_intel_sva(drv);
    struct device_domain_info *info = dev_iommu_priv_get(sva, dev);

    if (!info || mm >= sva->nr_mms || !pasid) return -EINVAL;
    if (!info->sva_enabled) return -ENODEV;
    struct intel_svm *svm = &sva->mms[mm];
    if (svm->released) return -ESRCH;

    struct intel_svm_dev *sdev = intel_svm_dev(sva, dev, mm);
    if (sdev->refs) {
        /* The first bind's callback and drvdata stay. */
        sdev->refs++;
        *pasid = svm->pasid;
        return 0;
    }

    int ret = intel_svm_bond_setup(sva, dev, mm, pasid);
    if (ret) return ret;
    *sdev =
        (struct intel_svm_dev){.refs = 1, .mm_exit = mm_exit, .cb_ctx = cb_ctx, .drvdata = drvdata};
    info->nr_bonds++;
    svm->nr_bonds++;
    return 0;
}

int intel_svm_unbind(void *drv, uint32_t dev, uint32_t pasid) {
    struct intel_sva *sva = to_intel_sva(drv);
    const struct svac_platform *p = sva->platform;
    struct device_domain_info *info = dev_iommu_priv_get(sva, dev);

    if (!info) return -EINVAL;
    int64_t mm = ioasid_find(&sva->pasids, pasid);
    if (mm < 0) return -ESRCH;
    struct intel_svm_dev *sdev = intel_svm_dev(sva, dev, (uint32_t)mm);
    if (!sdev->refs) return -ESRCH;
    if (--sdev->refs) return 0;

    /* The last reference: the device stops translating with the PASID
     * before unbind returns. */
    intel_pasid_tear_down_entry(sva, info, pasid, false);
    qi_submit_wait(sva);
    /* The callback goes with the bond: mm release fires only live ones. */
    *sdev = (struct intel_svm_dev){0};
    info->nr_bonds--;

    struct intel_svm *svm = &sva->mms[mm];
    if (--svm->nr_bonds == 0) {
        ioasid_free(&sva->pasids, svm->pasid);
        svm->pasid = 0;
    }

    /*
     * No request with the PASID can come any more: those still queued go to
     * the core, which then answers every group of (dev, pasid) it holds
     * (iopf_queue_flush_dev). Both may call page_response from here; the
     * bond is gone already.
     */
    intel_drain_pasid_prq(sva, info);
    if (p->flush_faults) p->flush_faults(p->ctx, dev, pasid);
    return 0;
}

/*
 * mmu_notifier release: the mm is exiting. Every bond's PASID entry stops
 * walking the mm (P=0 with FPD, so DMA with the PASID aborts quietly rather
 * than faulting on a dead mm); bonds and the PASID stay until unbound, and
 * each bond's owner hears of it once, with its first bind's drvdata.
 */
void intel_mm_release(void *drv, uint32_t mm) {
    struct intel_sva *sva = to_intel_sva(drv);

    if (mm >= sva->nr_mms) return;
    struct intel_svm *svm = &sva->mms[mm];
    if (svm->released) return;
    /* Marked first, so a bind from inside a callback fails like any later one. */
    svm->released = true;

    for (uint32_t dev = 0; dev < sva->nr_devices; dev++)
        if (intel_svm_dev(sva, dev, mm)->refs)
            intel_pasid_tear_down_entry(sva, &sva->devices[dev], svm->pasid, true);
    qi_submit_wait(sva);

    /* Bond storage never moves, so a callback that unbinds is harmless. */
    uint32_t pasid = svm->pasid;
    for (uint32_t dev = 0; dev < sva->nr_devices; dev++) {
        const struct intel_svm_dev *sdev = intel_svm_dev(sva, dev, mm);
        if (sdev->refs && sdev->mm_exit) sdev->mm_exit(sdev->cb_ctx, dev, pasid, sdev->drvdata);
    }
}

/*
 * mmu_notifier invalidate_range: the CPU unmapped or write-protected
 * [start, end). The IOTLB and, with ATS, the device TLB of every bond drop
 * it before the notifier returns.
 */
void intel_mm_invalidate_range(void *drv, uint32_t mm, uint64_t start, uint64_t end) {
    struct intel_sva *sva = to_intel_sva(drv);

    if (mm >= sva->nr_mms || end <= start) return;
    const struct intel_svm *svm = &sva->mms[mm];
    if (svm->released || !svm->nr_bonds) return;

    struct inv_range r = inv_range_covering(start, end);
    for (uint32_t dev = 0; dev < sva->nr_devices; dev++) {
        const struct device_domain_info *info = &sva->devices[dev];
        if (!intel_svm_dev(sva, dev, mm)->refs) continue;
        qi_flush_piotlb(sva, info->iommu, FLPT_DEFAULT_DID, svm->pasid, &r);
        if (info->ats) qi_flush_dev_iotlb_pasid(sva, info, svm->pasid, &r);
    }
    qi_submit_wait(sva);
}
