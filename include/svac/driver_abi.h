/* SPDX-License-Identifier: MIT */
/*
 * sva-conform driver ABI, version 1.
 *
 * A driver under test is the iommu_ops side of Shared Virtual Addressing:
 * device features, PASID limits, bind/unbind of process address spaces and
 * the mm-exit path. It is plugged into the kit as a shared object exporting
 * one symbol, svac_driver_entry(), that returns a table of function pointers.
 *
 * The harness lends the driver a platform (struct svac_platform): the only
 * world the driver may touch. Everything the driver keeps hangs off the
 * pointer create() returns; a driver has no global state, so one process can
 * hold several instances.
 *
 * Return codes are negative errno values as the Linux kernel has them
 * (-EINVAL is -22 and so on); 0 is success. Boolean queries return 1 or 0.
 *
 * Compatibility: both structs start with abi_version and size. The harness
 * refuses a driver whose abi_version differs from its own or whose ops
 * struct is smaller than the harness expects for that version; a driver
 * refuses (create() returns NULL) a platform smaller than it needs. Later
 * versions only append members.
 */
#ifndef SVAC_DRIVER_ABI_H
#define SVAC_DRIVER_ABI_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define SVAC_ABI_VERSION 1u

/* Device features (enum iommu_dev_features of the 2019 proposal). Any other
 * value is an unknown feature: has/enabled answer 0, enable/disable fail. */
#define SVAC_FEAT_SVA 1u

/* Architectures of the IOMMUs in a topology. */
#define SVAC_ARCH_SMMUV3 0u
#define SVAC_ARCH_VTD 1u

/* The largest PASID width: PCIe PASIDs are 20 bits. */
#define SVAC_PASID_BITS_MAX 20u
/* IOMMU_PASID_INVALID: never a PASID handed out. */
#define SVAC_PASID_INVALID 0xffffffffu

struct svac_iommu_desc {
    uint32_t arch;       /* SVAC_ARCH_* */
    uint32_t pasid_bits; /* PASIDs the IOMMU can hold: 0..20 */
    uint32_t sva;        /* 1 if the IOMMU can walk CPU page tables */
};

struct svac_device_desc {
    uint32_t iommu;      /* index into svac_topology.iommus */
    uint32_t pasid_bits; /* PCIe Max PASID Width: 0..20, 0 = no PASID */
    uint32_t pri;        /* PCIe PRI capability */
    uint32_t stall;      /* SMMUv3 stall-capable platform device */
    uint32_t ats;        /* PCIe ATS capability */
};

/* What the driver is asked to drive. Devices and mms are named by their
 * index (0..n-1) in every call. */
struct svac_topology {
    uint32_t n_iommus;
    const struct svac_iommu_desc *iommus;
    uint32_t n_devices;
    const struct svac_device_desc *devices;
    uint32_t n_mms;
};

/* What the harness lends the driver. Simulated physical memory: pa 0 is
 * never a valid allocation. Every write64 is seen by the harness. */
struct svac_platform {
    uint32_t abi_version; /* SVAC_ABI_VERSION */
    uint32_t size;        /* sizeof(struct svac_platform) of the harness */
    void *ctx;
    /* 0: no memory. align is a power of two; the memory reads as zero. */
    uint64_t (*alloc)(void *ctx, uint64_t bytes, uint64_t align);
    void (*free)(void *ctx, uint64_t pa);
    uint64_t (*read64)(void *ctx, uint64_t pa);
    void (*write64)(void *ctx, uint64_t pa, uint64_t val);
    /* Appended in later versions: registers, command queue, mm info, fault
     * queues, report_fault. */
};

/* The mm-exit callback of iommu_sva_bind(): called from mm_release for each
 * bond of the exiting mm, once, with the drvdata of the bond's first bind. */
typedef void (*svac_mm_exit_fn)(void *cb_ctx, uint32_t dev, uint32_t pasid, uint64_t drvdata);

struct svac_driver_ops {
    uint32_t abi_version; /* SVAC_ABI_VERSION */
    uint32_t size;        /* sizeof(struct svac_driver_ops) of the driver */
    const char *name;
    const char *version;
    uint32_t arch_mask; /* 1u << SVAC_ARCH_* for each architecture driven */

    /* NULL when the topology or the platform is not one the driver takes. */
    void *(*create)(const struct svac_platform *p, const struct svac_topology *t);
    void (*destroy)(void *drv);

    /* iommu_dev_has_feature / _enable_ / _disable_ / iommu_dev_feature_enabled */
    int (*dev_has_feat)(void *drv, uint32_t dev, uint32_t feat);
    int (*dev_enable_feat)(void *drv, uint32_t dev, uint32_t feat);
    int (*dev_disable_feat)(void *drv, uint32_t dev, uint32_t feat);
    int (*dev_feat_enabled)(void *drv, uint32_t dev, uint32_t feat);

    /* iommu_sva_set_param: PASID limits for later binds, both inclusive */
    int (*set_sva_param)(void *drv, uint32_t dev, uint32_t min_pasid, uint32_t max_pasid);

    /* iommu_sva_bind: on success *pasid is the mm's PASID. mm_exit and
     * cb_ctx are kept for the bond and called from mm_release. */
    int (*bind_mm)(void *drv, uint32_t dev, uint32_t mm, uint32_t *pasid, svac_mm_exit_fn mm_exit,
                   void *cb_ctx, uint64_t drvdata);
    int (*unbind_mm)(void *drv, uint32_t dev, uint32_t pasid);

    /* The mm is exiting (mmu_notifier release). Called once for every mm
     * that exits, bound or not; the driver fires the mm_exit callbacks of
     * its bonds before returning. The mm can never be bound again. */
    void (*mm_release)(void *drv, uint32_t mm);
};

/* The one symbol a driver shared object exports. */
const struct svac_driver_ops *svac_driver_entry(void);

#ifdef __cplusplus
}
#endif

#endif /* SVAC_DRIVER_ABI_H */
