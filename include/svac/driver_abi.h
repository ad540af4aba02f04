/* SPDX-License-Identifier: MIT */
/*
 * sva-conform driver ABI, version 5.
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
 * takes drivers of versions SVAC_ABI_VERSION_MIN to SVAC_ABI_VERSION and
 * refuses one whose ops struct is smaller than that version's; it lends a
 * driver a platform that says the driver's own version (so a version 3
 * driver that insists on abi_version == 3 keeps loading), with every member
 * of the harness's version. A driver refuses (create() returns NULL) a
 * platform smaller than it needs. Later versions only append members.
 */
#ifndef SVAC_DRIVER_ABI_H
#define SVAC_DRIVER_ABI_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define SVAC_ABI_VERSION 5u
#define SVAC_ABI_VERSION_MIN 3u
/* Version 1: feature calls, set_sva_param, bind/unbind, mm_release.
 * Version 2: StreamIDs/requester IDs, IOMMU registers, the command queue,
 * the CPU side of an mm, and the mmu notifier (mm_invalidate_range).
 * Version 3: I/O page faults: the PRI and event queues, the core's fault
 * reporting API (report_fault, flush_faults, discard_partial), and the
 * driver's service_irq and page_response.
 * Version 4: the API generations kernels shipped. The ops say which driver
 * contracts they implement (SVAC_CONTRACT_*); the handle-based one of Linux
 * v5.3 to v6.1 adds sva_bind, sva_unbind and sva_get_pasid, and the
 * platform says which generation the kit plays (SVAC_API_*) and lends the
 * core's PASID allocator of Linux v6.1 (alloc_mm_pasid).
 * Version 5: the domain-based contract of Linux v6.12 and v6.16
 * (SVAC_CONTRACT_DOMAIN): probe_device, domain_alloc_sva, domain_free,
 * set_dev_pasid (on SVA domains and on the blocked domain) and
 * remove_dev_pasid; the kit plays the core (iommu-sva.c). */

/* The API generation the kit plays, as the platform's `api` says: the
 * profiles of 'sva-conform clauses --profile'. */
#define SVAC_API_RFC2019 0u    /* the Feb 2019 proposal: bind_mm, set_sva_param */
#define SVAC_API_LINUX_5_3 1u  /* sva_bind returns a handle; the driver allocates PASIDs */
#define SVAC_API_LINUX_6_1 2u  /* as 5.3, the PASID from alloc_mm_pasid, no mm-exit callback */
#define SVAC_API_LINUX_6_12 3u /* SVA domains; the core owns handles and PASIDs */
#define SVAC_API_LINUX_6_16 4u /* as 6.12, no feature calls, detach is the blocked domain */

/* The driver contracts an ops table implements (svac_driver_ops.contracts;
 * a version 3 driver implements the rfc2019 one alone). */
#define SVAC_CONTRACT_RFC2019 (1u << 0) /* bind_mm, unbind_mm, set_sva_param */
#define SVAC_CONTRACT_HANDLE (1u << 1)  /* sva_bind, sva_unbind, sva_get_pasid */
#define SVAC_CONTRACT_DOMAIN (1u << 2)  /* domain_alloc_sva, set_dev_pasid, ... */

/* Domains (version 5) are named by the driver: any value but these two. */
#define SVAC_DOMAIN_NONE 0ull                     /* set_dev_pasid's old: nothing replaced */
#define SVAC_DOMAIN_BLOCKED 0xffffffffffffffffull /* the driver's blocked domain */

/* Device features (enum iommu_dev_features of the 2019 proposal). Any other
 * value is an unknown feature: has/enabled answer 0, enable/disable fail. */
#define SVAC_FEAT_SVA 1u
/* IOMMU_DEV_FEAT_IOPF of Linux v5.13 to v6.15 (profiles linux-6.1 and
 * linux-6.12): an rfc2019 driver answers it as an unknown feature. */
#define SVAC_FEAT_IOPF 2u

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
    uint32_t sid;        /* SMMUv3 StreamID, or VT-d requester ID (bus << 8 | devfn) */
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

/* CPU page-table formats of an mm. */
#define SVAC_PGTABLE_AARCH64_4K 0u /* VMSAv8-64, 4 KiB granule, 48-bit VA, 4 levels */
#define SVAC_PGTABLE_X86_64_4L 1u  /* x86-64 4-level paging, 48-bit VA */

/* What an IOMMU needs to walk an mm's page table, as the CPU has it. */
struct svac_mm_info {
    uint64_t pgd;     /* physical address of the page-table root */
    uint32_t asid;    /* the CPU's ASID for the mm (SMMUv3 shares it); never 0 */
    uint32_t pgtable; /* SVAC_PGTABLE_* */
    uint32_t va_bits; /* 48 */
    uint32_t pa_bits; /* physical address size */
    uint64_t mair;    /* AArch64 MAIR_EL1 (0 on x86-64) */
};

/* Registers the hardware model honours (offsets and bits from the
 * architecture specifications: Arm IHI 0070 chapter 6, VT-d chapter 11). */
#define SVAC_SMMU_CR0 0x20u /* bit 0 SMMUEN */
#define SVAC_SMMU_CR0_SMMUEN (1ull << 0)
#define SVAC_SMMU_STRTAB_BASE 0x80u     /* ADDR [51:6], RA bit 62 */
#define SVAC_SMMU_STRTAB_BASE_CFG 0x88u /* LOG2SIZE [5:0], SPLIT [10:6], FMT [17:16] */
#define SVAC_VTD_GCMD 0x18u             /* bit 31 TE (translation enable) */
#define SVAC_VTD_GCMD_TE (1ull << 31)
#define SVAC_VTD_RTADDR 0x20u /* RTA [63:12], TTM [11:10] (01b: scalable mode) */

/* Version 3: the queues the hardware writes faults into. Each queue lives
 * in memory the driver allocates; the hardware writes records at the
 * producer index and raises an interrupt; the driver consumes them and
 * moves the consumer index.
 *
 * SMMUv3 (SMMU 6.3; PROD/CONS are in register page 1, at 0x10000 + x):
 *   Q_BASE: ADDR [51:5], LOG2SIZE [4:0] (entries); PROD: WR [QS-1:0], WR_WRAP
 *   [QS], OVFLG [31]; CONS: RD [QS-1:0], RD_WRAP [QS], OVACKFLG [31].
 *   The event queue holds 32-byte records, the PRI queue 16-byte entries
 *   (SMMU 7.3 and 8.1). CR0.EVENTQEN and CR0.PRIQEN enable them. */
#define SVAC_SMMU_CR0_PRIQEN (1ull << 1)
#define SVAC_SMMU_CR0_EVENTQEN (1ull << 2)
#define SVAC_SMMU_EVENTQ_BASE 0xa0u
#define SVAC_SMMU_EVENTQ_PROD 0x100a8u
#define SVAC_SMMU_EVENTQ_CONS 0x100acu
#define SVAC_SMMU_PRIQ_BASE 0xc0u
#define SVAC_SMMU_PRIQ_PROD 0x100c8u
#define SVAC_SMMU_PRIQ_CONS 0x100ccu
#define SVAC_SMMU_Q_OVF (1ull << 31) /* PROD.OVFLG / CONS.OVACKFLG */
/* VT-d (VT-d 11.4.10): the page request queue of 32-byte descriptors
 * (VT-d chapter 7). PQA: PQA [63:12], PQS [2:0] (2^PQS 4 KiB pages);
 * PQH and PQT hold the byte offset of the head and tail descriptor [18:5];
 * PRS: PPR [0] (pending page request), PRO [1] (overflow), both
 * write-1-to-clear. Software owns PQH, the hardware PQT. */
#define SVAC_VTD_PQH 0xc0u
#define SVAC_VTD_PQT 0xc8u
#define SVAC_VTD_PQA 0xd0u
#define SVAC_VTD_PRS 0xdcu
#define SVAC_VTD_PRS_PPR (1ull << 0)
#define SVAC_VTD_PRS_PRO (1ull << 1)

/* The register interface of a kernel driver (Arm IHI 0070 chapter 6), which
 * the hardware model honours beside submit_cmd: what Linux's arm-smmu-v3
 * probe reads and writes. The ID registers describe the topology (SIDSIZE
 * covers its StreamIDs, SSIDSIZE is the IOMMU's pasid_bits, STALL_MODEL
 * says whether a stall master sits behind it) and ignore writes; CR0ACK and
 * IRQ_CTRLACK follow CR0 and IRQ_CTRL at once, and a GBPA update completes
 * at once. The command queue lives in memory the driver allocates
 * (CMDQ_BASE as EVENTQ_BASE): moving CMDQ_PROD makes the SMMU consume the
 * commands from CMDQ_CONS to PROD, in order, as submit_cmd would; a
 * CMD_SYNC with CS=SIG_IRQ and an MSIADDR writes its MSIDATA there (32
 * bits). An ill-formed command stops the queue at it: GERROR.CMDQ_ERR
 * toggles and CMDQ_CONS.ERR [30:24] says CERROR_ILL (1) until the driver
 * acknowledges it in GERRORN; the SMMU then resumes at CONS (SMMU 7.1). */
#define SVAC_SMMU_IDR0 0x0u
#define SVAC_SMMU_IDR1 0x4u
#define SVAC_SMMU_IDR2 0x8u
#define SVAC_SMMU_IDR3 0xcu
#define SVAC_SMMU_IDR4 0x10u
#define SVAC_SMMU_IDR5 0x14u
#define SVAC_SMMU_IIDR 0x18u
#define SVAC_SMMU_AIDR 0x1cu
#define SVAC_SMMU_CR0ACK 0x24u
#define SVAC_SMMU_CR0_CMDQEN (1ull << 3)
#define SVAC_SMMU_CR1 0x28u
#define SVAC_SMMU_CR2 0x2cu
#define SVAC_SMMU_GBPA 0x44u
#define SVAC_SMMU_IRQ_CTRL 0x50u /* GERROR_IRQEN [0]: a global error raises the interrupt */
#define SVAC_SMMU_IRQ_CTRL_GERROR_IRQEN (1ull << 0)
#define SVAC_SMMU_IRQ_CTRLACK 0x54u
#define SVAC_SMMU_GERROR 0x60u
#define SVAC_SMMU_GERRORN 0x64u
#define SVAC_SMMU_CMDQ_BASE 0x90u
#define SVAC_SMMU_CMDQ_PROD 0x98u
#define SVAC_SMMU_CMDQ_CONS 0x9cu
/* The same for VT-d (VT-d chapter 11, section 6.5.2): VER, CAP and ECAP
 * describe the topology (PSS is the IOMMU's pasid_bits - 1; device TLBs and
 * page requests when an ATS or PRI device sits behind it; first-stage
 * translation when it can walk the CPU's tables) and ignore writes; GCMD's
 * TE, QIE and SRTP show in GSTS at once. The invalidation queue lives in
 * memory the driver allocates (IQA: base [63:12], DW [11] for 256-bit
 * descriptors, QS [2:0]): with GSTS.QIES, moving IQT (a byte offset) makes
 * the hardware fetch the descriptors from IQH to IQT, in order, as
 * submit_cmd would; a wait descriptor with SW writes its 32-bit status data
 * at its status address, with IF sets ICS.IWC. An invalid descriptor sets
 * FSTS.IQE and stops the queue with IQH at it until software clears IQE
 * (write 1). */
#define SVAC_VTD_VER 0x0u
#define SVAC_VTD_CAP 0x8u
#define SVAC_VTD_ECAP 0x10u
#define SVAC_VTD_GSTS 0x1cu
#define SVAC_VTD_FSTS 0x34u
#define SVAC_VTD_IQH 0x80u
#define SVAC_VTD_IQT 0x88u
#define SVAC_VTD_IQA 0x90u
#define SVAC_VTD_ICS 0x9cu

/* Version 3: a recoverable fault as the driver reports it to the core
 * (struct iommu_fault_page_request of the 2019 fault API). */
#define SVAC_FAULT_PASID_VALID (1u << 0) /* the request carried a PASID */
#define SVAC_FAULT_LAST_PAGE (1u << 1)   /* the last request of its group */
#define SVAC_FAULT_NEEDS_PASID (1u << 3) /* the response must carry the PASID */
#define SVAC_FAULT_PERM_READ (1u << 0)
#define SVAC_FAULT_PERM_WRITE (1u << 1)
#define SVAC_FAULT_PERM_EXEC (1u << 2)
#define SVAC_FAULT_PERM_PRIV (1u << 3)

struct svac_fault {
    uint32_t flags; /* SVAC_FAULT_* */
    uint32_t pasid;
    uint32_t grpid; /* PRI: the page request group index; stall: the STAG */
    uint32_t perm;  /* SVAC_FAULT_PERM_* */
    uint64_t addr;  /* the faulting address (page aligned for PRI) */
};

/* The core's answer to one group (enum iommu_page_response_code). */
#define SVAC_RESP_SUCCESS 0u /* the page is populated: retry */
#define SVAC_RESP_INVALID 1u /* could not be handled: do not retry */
#define SVAC_RESP_FAILURE 2u /* general failure: stop the device's page requests */

struct svac_page_response {
    uint32_t flags; /* SVAC_FAULT_PASID_VALID when pasid is meaningful */
    uint32_t pasid;
    uint32_t grpid;
    uint32_t code; /* SVAC_RESP_* */
};

/* What the harness lends the driver. Simulated physical memory: pa 0 is
 * never a valid allocation. Every write64 is seen by the harness. */
struct svac_platform {
    uint32_t abi_version; /* SVAC_ABI_VERSION */
    uint32_t size;        /* sizeof(struct svac_platform) of the harness */
    void *ctx;
    /* 0: no memory. align is a power of two; the memory reads as zero. */
    uint64_t (*alloc)(void *ctx, uint64_t bytes, uint64_t align);
    /* A block alloc returned, once; free(0) does nothing (as kfree(NULL)). */
    void (*free)(void *ctx, uint64_t pa);
    uint64_t (*read64)(void *ctx, uint64_t pa);
    void (*write64)(void *ctx, uint64_t pa, uint64_t val);

    /* Version 2. IOMMU registers, at the architecture's own offsets
     * (SVAC_SMMU_* and SVAC_VTD_* below). Other offsets read back the last
     * value written (0 before any). */
    void (*write_reg)(void *ctx, uint32_t iommu, uint32_t offset, uint64_t val);
    uint64_t (*read_reg)(void *ctx, uint32_t iommu, uint32_t offset);
    /* Submits one command to the IOMMU's command queue in its own format:
     * SMMUv3 commands are 2 qwords, VT-d scalable-mode invalidation
     * descriptors 4 qwords (256 bits). Commands take effect in order, at
     * the latest when a later sync completes (SMMUv3 CMD_SYNC, VT-d
     * invalidation wait descriptor); the sync returns after they have.
     * Returns 0, or -EINVAL for a command the IOMMU rejects (SMMUv3
     * CERROR_ILL, VT-d IQE), which the harness records. */
    int (*submit_cmd)(void *ctx, uint32_t iommu, const uint64_t *cmd, uint32_t qwords);
    /* The CPU side of an mm: 0, or -EINVAL for an unknown mm. */
    int (*mm_info)(void *ctx, uint32_t mm, struct svac_mm_info *info);

    /* Version 3: the core's fault API (the rfc2019 iommu_report_device_fault
     * and the IOPF queue).
     * report_fault: one request or stall, read from a hardware queue, in
     * queue order. 0: the core took it (the last request of a group gets
     * its answer later, through ops->page_response). Non-zero (-EINVAL: no
     * fault handler registered for the device): the core did not take it;
     * when it closed a group (Last, or a stall) the core has already
     * answered that group INVALID through ops->page_response, from inside
     * report_fault. Either way the driver answers nothing itself. Stop markers
     * (PRI: Last with neither read nor write) need no report; reported, the
     * core discards them.
     * flush_faults: iopf_queue_flush_dev for one PASID: the core answers
     * every group of (dev, pasid) it holds INVALID, through
     * ops->page_response, and drops partial groups. unbind_mm calls it
     * after the device can no longer issue requests with the PASID and the
     * hardware queues are drained, before it returns.
     * discard_partial: iopf_queue_discard_partial: after a queue overflow
     * the core drops the partial groups of the IOMMU's devices (their last
     * request may be lost). */
    int (*report_fault)(void *ctx, uint32_t dev, const struct svac_fault *fault);
    void (*flush_faults)(void *ctx, uint32_t dev, uint32_t pasid);
    void (*discard_partial)(void *ctx, uint32_t iommu);

    /* Version 4. The API generation the kit plays (SVAC_API_*). */
    uint32_t api;
    /* iommu_sva_alloc_pasid of Linux v6.1 (SVAC_API_LINUX_6_1): the mm's
     * PASID, allocated at its first call and the mm's until the mm is freed
     * (not at its last unbind). 0 with *pasid set; -EINVAL when min is 0 or
     * max < min; -EOVERFLOW when the mm's PASID lies outside [min, max] (both
     * inclusive); -ENOMEM when no PASID in the range is free. Under other
     * generations the driver allocates PASIDs itself: -EOPNOTSUPP. */
    int (*alloc_mm_pasid)(void *ctx, uint32_t mm, uint32_t min, uint32_t max, uint32_t *pasid);
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

    /* Version 2. The mmu notifier: the CPU unmapped or write-protected
     * [start, end) of the mm's page table. Called for every mm, bound or
     * not; before it returns no DMA may translate through the old mapping
     * (TLB and ATC invalidation, then a sync). */
    void (*mm_invalidate_range)(void *drv, uint32_t mm, uint64_t start, uint64_t end);

    /* Version 3. The IOMMU's interrupt: the driver drains its event and PRI
     * queues (acknowledging an overflow), reporting each page request and
     * each stall to the core through platform->report_fault. */
    void (*service_irq)(void *drv, uint32_t iommu);
    /* iommu_page_response: sends the core's answer for one group of dev to
     * the hardware in the architecture's encoding (SMMUv3 CMD_PRI_RESP or,
     * for a stall, CMD_RESUME; VT-d a page group response descriptor).
     * 0, or -EINVAL for a response the driver cannot send (an unknown
     * device, a code that is not SVAC_RESP_*). */
    int (*page_response)(void *drv, uint32_t dev, const struct svac_page_response *resp);

    /* Version 4. The contracts the driver implements (SVAC_CONTRACT_*); the
     * functions of a contract it does not implement may be NULL. */
    uint32_t contracts;
    /* The handle-based contract (struct iommu_ops sva_bind, sva_unbind and
     * sva_get_pasid of Linux v5.3 to v6.1).
     * sva_bind: binds mm to dev; on success *handle names the bond (never
     * 0). A second bind of the same (dev, mm) returns the same handle and
     * takes a reference. Under SVAC_API_LINUX_5_3, mm_exit and cb_ctx stand
     * for the handle's iommu_sva_ops, which the core sets later
     * (iommu_sva_set_ops): at mm exit the driver calls mm_exit for each
     * bond once, with the drvdata of its first bind, and the core passes the
     * call on if the handle has ops. Under SVAC_API_LINUX_6_1 mm_exit is
     * NULL: a bond of an exited mm aborts DMA quietly until it is unbound.
     * sva_unbind drops one reference; the last one ends the bond.
     * sva_get_pasid: the bond's PASID (SVAC_PASID_INVALID for a handle that
     * names no bond). */
    int (*sva_bind)(void *drv, uint32_t dev, uint32_t mm, uint64_t drvdata, svac_mm_exit_fn mm_exit,
                    void *cb_ctx, uint64_t *handle);
    void (*sva_unbind)(void *drv, uint64_t handle);
    uint32_t (*sva_get_pasid)(void *drv, uint64_t handle);

    /* Version 5. The domain-based contract (struct iommu_ops and struct
     * iommu_domain_ops of Linux v6.12 and v6.16). The kit plays the core
     * (drivers/iommu/iommu-sva.c): it owns the handles and the mm's PASID
     * (the lowest free in [1, max_pasids - 1] over every device, kept until
     * the mm is freed), shares a handle between binds of the same (dev, mm),
     * and tries an mm's SVA domains on another device before it asks for a
     * new one.
     * probe_device: the device's max_pasids, as the driver sets
     * dev->iommu->max_pasids at probe (its PASID width capped by the
     * IOMMU's; 0: no PASID). Asked once per device, after create.
     * domain_alloc_sva: a new SVA domain of mm for dev's IOMMU; on success
     * *domain names it (neither SVAC_DOMAIN_NONE nor SVAC_DOMAIN_BLOCKED).
     * From SVAC_API_LINUX_6_16 it fails -EOPNOTSUPP for an IOMMU that cannot
     * walk CPU page tables. The domain's mmu notifier is the driver's: the
     * kit calls mm_invalidate_range and mm_release for every mm.
     * set_dev_pasid: attaches domain at pasid of dev. old is
     * SVAC_DOMAIN_NONE for a free PASID, or the domain attached there now,
     * which domain replaces. A domain of another IOMMU fails -EINVAL and
     * changes nothing. domain SVAC_DOMAIN_BLOCKED (SVAC_API_LINUX_6_16):
     * the detach of old; it returns 0 and afterwards the PASID faults and no
     * cached translation through old stays usable (TLB and ATC).
     * remove_dev_pasid (SVAC_API_LINUX_6_12): the same detach of domain.
     * domain_free: the domain is attached nowhere; what the IOMMU cached
     * under its tag is invalidated before the tag is reused.
     * From SVAC_API_LINUX_6_16 there are no feature calls: the driver
     * enables I/O page faults for a device when it attaches its first SVA
     * domain and disables them when it detaches the last. */
    uint32_t (*probe_device)(void *drv, uint32_t dev);
    int (*domain_alloc_sva)(void *drv, uint32_t dev, uint32_t mm, uint64_t *domain);
    void (*domain_free)(void *drv, uint64_t domain);
    int (*set_dev_pasid)(void *drv, uint64_t domain, uint32_t dev, uint32_t pasid, uint64_t old);
    void (*remove_dev_pasid)(void *drv, uint32_t dev, uint32_t pasid, uint64_t domain);
};

/* The one symbol a driver shared object exports. */
const struct svac_driver_ops *svac_driver_entry(void);

#ifdef __cplusplus
}
#endif

#endif /* SVAC_DRIVER_ABI_H */
