// SPDX-License-Identifier: MIT
//
// Intel VT-d scalable-mode layouts the VT-d driver model writes: root and
// context entries, the PASID directory and PASID entries, and the 256-bit
// invalidation descriptors of the queued-invalidation interface; and the
// ones it reads: the page request descriptors of the page request queue. Bit
// positions follow the VT-d architecture specification (chapters 6, 7 and
// 9); the registers themselves are SVAC_VTD_* in
// the driver ABI.

#ifndef SVAC_MODELS_VTD_REGS_H
#define SVAC_MODELS_VTD_REGS_H

#include <cstdint>

namespace vtd {

constexpr uint64_t BIT(unsigned n) {
    return uint64_t{1} << n;
}

constexpr uint64_t PAGE_SHIFT = 12;
constexpr uint64_t PAGE_SIZE = BIT(PAGE_SHIFT);
constexpr uint64_t PAGE_MASK = ~(PAGE_SIZE - 1);

// RTADDR: translation table mode [11:10], 01b = scalable mode.
constexpr uint64_t RTADDR_TTM_SCALABLE = uint64_t{1} << 10;

// Root entry: 16 bytes per bus; lo covers devfn 0x00-0x7f, hi 0x80-0xff.
constexpr uint32_t ROOT_ENTRY_NR = 256;
constexpr uint64_t ROOT_ENTRY_SIZE = 16;
constexpr uint64_t ROOT_ENTRY_PRESENT = BIT(0); // LP in lo, UP in hi
constexpr uint32_t DEVFN_UPPER = 0x80;

// Scalable-mode context entry: 32 bytes, 128 per 4 KiB context table.
constexpr uint64_t CONTEXT_SM_SIZE = 32;
constexpr uint64_t CONTEXT_P = BIT(0);
constexpr uint64_t CONTEXT_DTE = BIT(2);
constexpr uint64_t CONTEXT_PASIDE = BIT(3);
constexpr uint64_t CONTEXT_PRE = BIT(4);
constexpr unsigned CONTEXT_PDTS_SHIFT = 9; // [11:9]: 2^(PDTS+7) directory entries
constexpr unsigned CONTEXT_PDTS_BIAS = 7;
// q1 RID_PASID [19:0] stays 0: requests without a PASID use PASID entry 0.

// PASID directory entry: 8 bytes, one per 64 PASIDs.
constexpr unsigned PASID_PDE_SHIFT = 6;
constexpr uint32_t PASID_PTE_MASK = 0x3f;
constexpr uint64_t PASID_PDE_SIZE = 8;
constexpr uint64_t PASID_PDE_P = BIT(0);
// The smallest directory is one page.
constexpr uint32_t PASID_DIR_MIN_ENTRIES = PAGE_SIZE / PASID_PDE_SIZE;

// PASID table entry: 64 bytes (8 qwords), 64 per 4 KiB PASID table.
constexpr uint64_t PASID_ENTRY_SIZE = 64;
constexpr uint64_t PASID_ENTRY_QWORDS = 8;
// q0
constexpr uint64_t PASID_P = BIT(0);
constexpr uint64_t PASID_FPD = BIT(1);
constexpr unsigned PASID_AW_SHIFT = 2;   // [4:2]
constexpr uint64_t PASID_AW_48BIT = 2;   // 4-level
constexpr unsigned PASID_PGTT_SHIFT = 6; // [8:6]
constexpr uint64_t PASID_PGTT_FL = 1;    // first stage only
constexpr uint64_t PASID_PGTT_PT = 4;    // pass-through
// q1
constexpr uint64_t PASID_DID_MASK = 0xffff; // [15:0]
// q2
constexpr unsigned PASID_FLPM_SHIFT = 2; // [3:2]
constexpr uint64_t PASID_FLPM_4LEVEL = 0;

// Queued-invalidation descriptors: 4 qwords in scalable mode.
constexpr uint32_t QI_DESC_QWORDS = 4;
constexpr uint64_t QI_CC_TYPE = 0x1;         // context-cache invalidation
constexpr uint64_t QI_IWD_TYPE = 0x5;        // invalidation wait
constexpr uint64_t QI_EIOTLB_TYPE = 0x6;     // PASID-based IOTLB invalidation
constexpr uint64_t QI_PC_TYPE = 0x7;         // PASID-cache invalidation
constexpr uint64_t QI_DEV_EIOTLB_TYPE = 0x8; // PASID-based device-TLB invalidation

constexpr unsigned QI_GRAN_SHIFT = 4;   // qw0 [5:4] for CC, PC and P_IOTLB
constexpr unsigned QI_DID_SHIFT = 16;   // qw0 [31:16]
constexpr unsigned QI_PASID_SHIFT = 32; // qw0 [51:32]
constexpr uint64_t QI_PASID_MASK = 0xfffff;

constexpr uint64_t QI_CC_GRAN_GLOBAL = 1;

constexpr uint64_t QI_PC_GRAN_ALL_PASIDS = 0; // every PASID of the DID
constexpr uint64_t QI_PC_GRAN_PASID = 1;      // one PASID of the DID

constexpr uint64_t QI_EIOTLB_GRAN_PASID = 2; // all addresses of (DID, PASID)
constexpr uint64_t QI_EIOTLB_GRAN_PSI = 3;   // pages ADDR with AM
// qw1: AM [5:0], IH [6], ADDR [63:12]
constexpr uint64_t QI_EIOTLB_AM_MASK = 0x3f;

// P_DEVTLB qw0: QDEP [8:4], PFSID[3:0] at [15:12], SID [31:16], PASID
// [51:32], PFSID[15:4] at [63:52]. qw1: G [0], S [11], ADDR [63:12] in the
// PCIe ATS invalidation encoding.
constexpr unsigned QI_DEV_EIOTLB_PFSID_LO_SHIFT = 12;
constexpr unsigned QI_DEV_EIOTLB_SID_SHIFT = 16;
constexpr unsigned QI_DEV_EIOTLB_PFSID_HI_SHIFT = 52;
constexpr unsigned QI_DEV_EIOTLB_SIZE_SHIFT = 11; // S; the range's 1s run on above it
// "Invalidate all": bits [62:11] set, bit 63 clear.
constexpr uint64_t QI_DEV_EIOTLB_ADDR_ALL = (BIT(63) - 1) & ~(BIT(11) - 1);

// Page group response descriptor (scalable-mode layout, VT-d
// 6.5.2). qw0: type [3:0], PASID present [4], response code [15:12], RID
// [31:16], PASID [51:32]; qw1: PRG index [11:3].
constexpr uint64_t QI_PGRP_RESP_TYPE = 0x9;
constexpr uint64_t QI_PGRP_PASID_P = BIT(4);
constexpr unsigned QI_PGRP_RESP_CODE_SHIFT = 12;
constexpr uint64_t QI_PGRP_RESP_CODE_MASK = 0xf;
constexpr unsigned QI_PGRP_RID_SHIFT = 16;
constexpr unsigned QI_PGRP_PASID_SHIFT = 32;
constexpr unsigned QI_PGRP_IDX_SHIFT = 3;
constexpr uint64_t QI_PGRP_IDX_MASK = 0x1ff;
// Response codes: the PCIe PRG response encoding (PCIe 4.0 10.4.2).
constexpr uint64_t QI_RESP_SUCCESS = 0x0;
constexpr uint64_t QI_RESP_INVALID = 0x1;
constexpr uint64_t QI_RESP_FAILURE = 0xf;

// Page request queue (registers SVAC_VTD_PQH/PQT/PQA/PRS in the driver ABI).
// PQA: queue base [63:12] | PQS [2:0], 2^PQS 4 KiB pages of 32-byte page
// request descriptors; PQH and PQT: byte offsets [18:5].
constexpr unsigned PRQ_ORDER = 0; // PQS: one page, 128 descriptors
constexpr uint64_t PRQ_SIZE = PAGE_SIZE << PRQ_ORDER;
constexpr uint64_t PRQ_DESC_SIZE = 32;
constexpr uint64_t PRQ_RING_MASK = (PRQ_SIZE - 1) & ~(PRQ_DESC_SIZE - 1);

// Page request descriptor (VT-d chapter 7). qw0: type [7:0], PASID
// present [8], RID [31:16], PASID [51:32], execute [52], privileged [53].
// qw1: read [0], write [1], LPIG [2], PRG index [11:3], address [63:12].
constexpr uint64_t PRQ_TYPE_MASK = 0xff;
constexpr uint64_t PRQ_TYPE_PAGE_REQ = 0x1;
constexpr uint64_t PRQ_PASID_PRESENT = BIT(8);
constexpr unsigned PRQ_RID_SHIFT = 16;
constexpr uint64_t PRQ_RID_MASK = 0xffff;
constexpr unsigned PRQ_PASID_SHIFT = 32;
constexpr uint64_t PRQ_PASID_MASK = 0xfffff;
constexpr uint64_t PRQ_EXE_REQ = BIT(52);
constexpr uint64_t PRQ_PM_REQ = BIT(53);
constexpr uint64_t PRQ_RD_REQ = BIT(0);
constexpr uint64_t PRQ_WR_REQ = BIT(1);
constexpr uint64_t PRQ_LPIG = BIT(2);
constexpr unsigned PRQ_PRG_INDEX_SHIFT = 3;
constexpr uint64_t PRQ_PRG_INDEX_MASK = 0x1ff;

} // namespace vtd

#endif // SVAC_MODELS_VTD_REGS_H
