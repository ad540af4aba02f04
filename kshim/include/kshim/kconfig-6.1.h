/* SPDX-License-Identifier: MIT */
/* kshim: the kernel configuration assumed when compiling Linux 6.1 SMMUv3 files.
 * Force-included (-include) ahead of every kernel source file. */
#ifndef KSHIM_KCONFIG_6_1_H
#define KSHIM_KCONFIG_6_1_H

#define KSHIM_LINUX_VERSION_CODE 0x060100

#define CONFIG_64BIT 1
#define CONFIG_ARM64 1
#define CONFIG_MMU 1
#define CONFIG_SMP 1
#define CONFIG_IOMMU_API 1
#define CONFIG_ARM_SMMU_V3 1
#define CONFIG_ARM_SMMU_V3_SVA 1
#define CONFIG_IOMMU_SVA 1
#define CONFIG_IOASID 1
#define CONFIG_IOMMU_IOPF 1
#define CONFIG_PCI 1
#define CONFIG_PCI_ATS 1
#define CONFIG_PCI_PRI 1
#define CONFIG_PCI_PASID 1
#define CONFIG_OF 1
#define CONFIG_IOMMU_IO_PGTABLE 1
#define CONFIG_IOMMU_IO_PGTABLE_LPAE 1
#define CONFIG_GENERIC_MSI_IRQ 1
#define CONFIG_MMU_NOTIFIER 1
#define CONFIG_NR_CPUS 4

/* Deliberately not set: CONFIG_ACPI, CONFIG_TEGRA241_CMDQV, CONFIG_KUNIT,
 * CONFIG_IOMMU_DMA, CONFIG_CMA, CONFIG_CMA_ALIGNMENT, CONFIG_DEBUG_*. */

#include <kshim/prelude.h>

#endif
