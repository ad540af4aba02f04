// SPDX-License-Identifier: MIT
/*
 * IOMMU_DEV_FEAT_SVA (iommu_dev_{has,enable,disable}_feature,
 * iommu_dev_feature_enabled) and the PASID limits of iommu_sva_set_param.
 */
#include "iommu.h"
#include "vtd_regs.h"

#include <errno.h>

/*
 * SVA needs an IOMMU that walks first-stage (CPU) page tables, PASIDs on
 * both sides, and PRI: without page requests a fault on a lazily mapped
 * page could never be served.
 */
static bool intel_svm_capable(const struct intel_sva *sva, const struct device_domain_info *info) {
    return sva->iommus[info->iommu].sva && info->pasid_max >= 1 && info->pri;
}

int intel_iommu_dev_has_feat(void *drv, uint32_t dev, uint32_t feat) {
    struct intel_sva *sva = to_intel_sva(drv);
    const struct device_domain_info *info = dev_iommu_priv_get(sva, dev);

    if (!info || feat != SVAC_FEAT_SVA) return 0;
    return intel_svm_capable(sva, info);
}

int intel_iommu_dev_feat_enabled(void *drv, uint32_t dev, uint32_t feat) {
    const struct device_domain_info *info = dev_iommu_priv_get(to_intel_sva(drv), dev);

    if (!info || feat != SVAC_FEAT_SVA) return 0;
    return info->sva_enabled;
}

/* Enabling twice is 0 and does not count: one disable turns it off. */
int intel_iommu_dev_enable_feat(void *drv, uint32_t dev, uint32_t feat) {
    struct intel_sva *sva = to_intel_sva(drv);
    struct device_domain_info *info = dev_iommu_priv_get(sva, dev);

    if (!info || feat != SVAC_FEAT_SVA) return -EINVAL;
    if (!intel_svm_capable(sva, info)) return -ENODEV;
    if (info->sva_enabled) return 0;
    context_set_sm_sva(sva, info, true);
    info->sva_enabled = true;
    return 0;
}

/* Bonds whose mm has exited still count until they are unbound. */
int intel_iommu_dev_disable_feat(void *drv, uint32_t dev, uint32_t feat) {
    struct intel_sva *sva = to_intel_sva(drv);
    struct device_domain_info *info = dev_iommu_priv_get(sva, dev);

    if (!info || feat != SVAC_FEAT_SVA) return -EINVAL;
    if (info->nr_bonds) return -EBUSY;
    if (!info->sva_enabled) return 0;
    context_set_sm_sva(sva, info, false);
    info->sva_enabled = false;
    return 0;
}

/* iommu_sva_set_param: limits for later binds on dev alone, inclusive. */
int intel_svm_set_param(void *drv, uint32_t dev, uint32_t min_pasid, uint32_t max_pasid) {
    struct device_domain_info *info = dev_iommu_priv_get(to_intel_sva(drv), dev);

    if (!info) return -EINVAL;
    if (min_pasid == 0 || min_pasid > max_pasid || max_pasid > info->dev_pasid_max) return -EINVAL;
    if (info->nr_bonds) return -EBUSY;
    info->param_min = min_pasid;
    info->param_max = max_pasid;
    return 0;
}
