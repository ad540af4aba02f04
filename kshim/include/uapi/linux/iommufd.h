/* SPDX-License-Identifier: MIT */
/* kshim: iommufd user ABI constants used by kernel IOMMU drivers. */
#ifndef KSHIM_UAPI_LINUX_IOMMUFD_H
#define KSHIM_UAPI_LINUX_IOMMUFD_H

/* IOMMU_HWPT_ALLOC flags (ABI values). */
enum iommufd_hwpt_alloc_flags {
    IOMMU_HWPT_ALLOC_NEST_PARENT = 1 << 0,
    IOMMU_HWPT_ALLOC_DIRTY_TRACKING = 1 << 1,
    IOMMU_HWPT_FAULT_ID_VALID = 1 << 2,
};

#endif
