// Intel VT-d scalable-mode layouts as data (VT-d chapters 6, 7 and 9): the
// root and context entries, the PASID directory and PASID table entries, the
// 256-bit invalidation descriptors, the page request descriptor and the page
// request queue registers.
// Field names follow the VT-d specification and Linux drivers/iommu/intel;
// bits no field claims are reserved.
#pragma once

#include "reference/codec.h"

#include <svac/driver_abi.h>

#include <cstdint>

namespace svac::ref::vtd {

// Root Table Address register (SVAC_VTD_RTADDR).
namespace rtaddr {
inline constexpr Field TTM{"TTM", 0, 10, 2};
inline constexpr Field RTA{"RTA", 0, 12, 52};
inline constexpr Field kFields[] = {TTM, RTA};
inline constexpr Format kFormat{"vtd.rtaddr", 1, kFields};
inline constexpr uint64_t kTtmLegacy = 0;
inline constexpr uint64_t kTtmScalable = 1;
} // namespace rtaddr

// Global command and status (VT-d 11.4.4, 11.4.5). Software writes GCMD
// (SVAC_VTD_GCMD); the hardware reports what is in force in GSTS, which is
// read-only: Linux writes GCMD.TE and then polls GSTS.TES. TE, QIE and IRE
// stay as written; SRTP is a one-shot whose status, RTPS, stays set once the
// root table pointer is latched; WBF's status WBFS clears when the flush is
// done, which here is at once.
namespace gsts {
inline constexpr uint32_t kOffset = 0x1c;
inline constexpr Field TES{"TES", 0, 31, 1};   // translation enable status
inline constexpr Field RTPS{"RTPS", 0, 30, 1}; // root table pointer status
inline constexpr Field WBFS{"WBFS", 0, 27, 1}; // write buffer flush status
inline constexpr Field QIES{"QIES", 0, 26, 1}; // queued invalidation enable status
inline constexpr Field IRES{"IRES", 0, 25, 1}; // interrupt remapping enable status
inline constexpr Field kFields[] = {TES, RTPS, WBFS, QIES, IRES};
inline constexpr Format kFormat{"vtd.gsts", 1, kFields};
} // namespace gsts
namespace gcmd {
inline constexpr Field TE{"TE", 0, 31, 1};
inline constexpr Field SRTP{"SRTP", 0, 30, 1};
inline constexpr Field WBF{"WBF", 0, 27, 1};
inline constexpr Field QIE{"QIE", 0, 26, 1};
inline constexpr Field IRE{"IRE", 0, 25, 1};
inline constexpr Field kFields[] = {TE, SRTP, WBF, QIE, IRE};
inline constexpr Format kFormat{"vtd.gcmd", 1, kFields};
} // namespace gcmd

// The registers a driver's probe reads and its invalidation queue (VT-d
// 11.4; bit positions as Linux v6.12 drivers/iommu/intel/iommu.h reads them:
// cap_*, ecap_*, DMA_FSTS_*, qi_shift).
namespace reg {
inline constexpr uint32_t kVer = 0x0;
inline constexpr uint32_t kCap = 0x8;
inline constexpr uint32_t kEcap = 0x10;
inline constexpr uint32_t kCcmd = 0x28;
inline constexpr uint32_t kFsts = 0x34;
inline constexpr uint32_t kIqh = 0x80;
inline constexpr uint32_t kIqt = 0x88;
inline constexpr uint32_t kIqa = 0x90;
inline constexpr uint32_t kIcs = 0x9c;
inline constexpr uint32_t kIotlbUnit = 0x50; // ECAP.IRO: the IOTLB registers at 0x500
inline constexpr uint32_t kIotlb = kIotlbUnit * 16 + 8;
inline constexpr uint32_t kFaultUnit = 0x40; // CAP.FRO: the fault records at 0x400
} // namespace reg
static_assert(reg::kCap == SVAC_VTD_CAP && reg::kEcap == SVAC_VTD_ECAP &&
              reg::kIqh == SVAC_VTD_IQH && reg::kIqt == SVAC_VTD_IQT && reg::kIqa == SVAC_VTD_IQA &&
              reg::kIcs == SVAC_VTD_ICS && reg::kFsts == SVAC_VTD_FSTS &&
              reg::kVer == SVAC_VTD_VER);
namespace cap {
inline constexpr Field ND{"ND", 0, 0, 3};       // 2^(4 + 2 ND) domain IDs
inline constexpr Field SAGAW{"SAGAW", 0, 8, 5}; // bit 2: 4-level, 48-bit; bit 3: 5-level
inline constexpr Field MGAW{"MGAW", 0, 16, 6};  // guest address width - 1
inline constexpr Field FRO{"FRO", 0, 24, 10};   // fault recording offset / 16
inline constexpr Field SLLPS{"SLLPS", 0, 34, 4};
inline constexpr Field PSI{"PSI", 0, 39, 1};
inline constexpr Field NFR{"NFR", 0, 40, 8}; // fault recording registers - 1
inline constexpr Field FL1GP{"FL1GP", 0, 56, 1};
inline constexpr Field FL5LP{"FL5LP", 0, 60, 1};   // 5-level first-stage paging
inline constexpr Field ESRTPS{"ESRTPS", 0, 63, 1}; // SRTP drops the caches itself
inline constexpr Field kFields[] = {ND, SAGAW, MGAW, FRO, SLLPS, PSI, NFR, FL1GP, FL5LP, ESRTPS};
inline constexpr Format kFormat{"vtd.cap", 1, kFields};
} // namespace cap
namespace ecap {
inline constexpr Field QI{"QI", 0, 1, 1};
inline constexpr Field DT{"DT", 0, 2, 1}; // device TLBs (ATS)
inline constexpr Field PT{"PT", 0, 6, 1}; // pass-through
inline constexpr Field SC{"SC", 0, 7, 1};
inline constexpr Field IRO{"IRO", 0, 8, 10}; // IOTLB register offset / 16
inline constexpr Field PRS{"PRS", 0, 29, 1}; // page requests
inline constexpr Field PSS{"PSS", 0, 35, 5}; // PASID bits - 1
inline constexpr Field PASID{"PASID", 0, 40, 1};
inline constexpr Field SMTS{"SMTS", 0, 43, 1}; // scalable mode
inline constexpr Field SLTS{"SLTS", 0, 46, 1}; // second-stage translation
inline constexpr Field FLTS{"FLTS", 0, 47, 1}; // first-stage translation
inline constexpr Field SMPWCS{"SMPWCS", 0, 48, 1};
inline constexpr Field kFields[] = {QI, DT, PT, SC, IRO, PRS, PSS, PASID, SMTS, SLTS, FLTS, SMPWCS};
inline constexpr Format kFormat{"vtd.ecap", 1, kFields};
} // namespace ecap
namespace fsts {                            // write 1 to clear
inline constexpr Field IQE{"IQE", 0, 4, 1}; // invalidation queue error: IQH at the descriptor
inline constexpr Field ICE{"ICE", 0, 5, 1};
inline constexpr Field ITE{"ITE", 0, 6, 1};
inline constexpr Field kFields[] = {IQE, ICE, ITE};
inline constexpr Format kFormat{"vtd.fsts", 1, kFields};
} // namespace fsts
namespace iqa {
inline constexpr Field QS{"QS", 0, 0, 3};  // 2^QS 4 KiB pages
inline constexpr Field DW{"DW", 0, 11, 1}; // 256-bit descriptors
inline constexpr Field IQA{"IQA", 0, 12, 52};
inline constexpr Field kFields[] = {QS, DW, IQA};
inline constexpr Format kFormat{"vtd.iqa", 1, kFields};
} // namespace iqa
namespace iq_offset { // IQH and IQT: a byte offset, 128-bit aligned (256-bit with DW)
inline constexpr Field QT{"Offset[18:4]", 0, 4, 15};
inline constexpr Field kFields[] = {QT};
inline constexpr Format kFormat{"vtd.iq_offset", 1, kFields};
} // namespace iq_offset
namespace ics {                             // write 1 to clear
inline constexpr Field IWC{"IWC", 0, 0, 1}; // a wait descriptor with IF completed
inline constexpr Field kFields[] = {IWC};
inline constexpr Format kFormat{"vtd.ics", 1, kFields};
} // namespace ics
namespace ccmd {                             // the register-based context-cache invalidation
inline constexpr Field ICC{"ICC", 0, 63, 1}; // clears when done
} // namespace ccmd
static_assert(gcmd::TE.mask() == SVAC_VTD_GCMD_TE);

// 2.1 Root entry (scalable mode): 16 bytes, one per bus.
namespace root {
inline constexpr Field LP{"LP", 0, 0, 1};
inline constexpr Field LCTP{"LCTP", 0, 12, 52};
inline constexpr Field UP{"UP", 1, 0, 1};
inline constexpr Field UCTP{"UCTP", 1, 12, 52};
inline constexpr Field kFields[] = {LP, LCTP, UP, UCTP};
inline constexpr Format kFormat{"vtd.root", 2, kFields};
inline constexpr unsigned kBytes = 16;
} // namespace root

// Legacy-mode root entry (RTADDR.TTM = 00b; VT-d 9.1): 16 bytes, one per
// bus; the upper 64 bits are reserved.
namespace root_legacy {
inline constexpr Field P{"P", 0, 0, 1};
inline constexpr Field CTP{"CTP", 0, 12, 52};
inline constexpr Field kFields[] = {P, CTP};
inline constexpr Format kFormat{"vtd.root_legacy", 2, kFields};
inline constexpr unsigned kBytes = 16;
} // namespace root_legacy

// Legacy-mode context entry (VT-d 9.3): 16 bytes, 256 per 4 KiB context
// table, indexed by devfn. TT: 00b untranslated requests through the second
// stage (device TLBs off), 01b all requests through the second stage
// (device TLBs on), 10b pass-through (ECAP.PT), 11b reserved. AW as the
// PASID entry's; bits [70:67] are ignored by hardware. Linux v6.1
// drivers/iommu/intel/iommu.c domain_context_mapping_one writes P, TT,
// SLPTPTR, AW and DID (context_set_*).
namespace context_legacy {
inline constexpr Field P{"P", 0, 0, 1};
inline constexpr Field FPD{"FPD", 0, 1, 1};
inline constexpr Field TT{"TT", 0, 2, 2};
inline constexpr Field SLPTPTR{"SLPTPTR", 0, 12, 52};
inline constexpr Field AW{"AW", 1, 0, 3};
inline constexpr Field IGN{"IGN", 1, 3, 4};
inline constexpr Field DID{"DID", 1, 8, 16};
inline constexpr Field kFields[] = {P, FPD, TT, SLPTPTR, AW, IGN, DID};
inline constexpr Format kFormat{"vtd.context_legacy", 2, kFields};
inline constexpr unsigned kBytes = 16;
inline constexpr unsigned kPerTable = 256;
inline constexpr uint64_t kTtSecondStage = 0; // CONTEXT_TT_MULTI_LEVEL
inline constexpr uint64_t kTtDeviceTlb = 1;   // CONTEXT_TT_DEV_IOTLB
inline constexpr uint64_t kTtPassThrough = 2; // CONTEXT_TT_PASS_THROUGH
} // namespace context_legacy

// 2.2 Scalable-mode context entry: 32 bytes, 128 per 4 KiB context table.
namespace context {
inline constexpr Field P{"P", 0, 0, 1};
inline constexpr Field FPD{"FPD", 0, 1, 1};
inline constexpr Field DTE{"DTE", 0, 2, 1};
inline constexpr Field PASIDE{"PASIDE", 0, 3, 1};
inline constexpr Field PRE{"PRE", 0, 4, 1};
inline constexpr Field PDTS{"PDTS", 0, 9, 3}; // 2^(PDTS+7) directory entries
inline constexpr Field PASIDDIRPTR{"PASIDDIRPTR", 0, 12, 52};
inline constexpr Field RID_PASID{"RID_PASID", 1, 0, 20};
inline constexpr Field RID_PRIV{"RID_PRIV", 1, 20, 1};
inline constexpr Field kFields[] = {P,    FPD,         DTE,       PASIDE,  PRE,
                                    PDTS, PASIDDIRPTR, RID_PASID, RID_PRIV};
inline constexpr Format kFormat{"vtd.context", 4, kFields};
inline constexpr unsigned kBytes = 32;
inline constexpr unsigned kPerTable = 128;
} // namespace context

// 2.3 PASID directory entry: 8 bytes, covers 64 PASIDs.
namespace pde {
inline constexpr Field P{"P", 0, 0, 1};
inline constexpr Field FPD{"FPD", 0, 1, 1};
inline constexpr Field PTPTR{"PTPTR", 0, 12, 52};
inline constexpr Field kFields[] = {P, FPD, PTPTR};
inline constexpr Format kFormat{"vtd.pde", 1, kFields};
inline constexpr unsigned kBytes = 8;
inline constexpr unsigned kPasidShift = 6; // dir index = pasid >> 6
} // namespace pde

// 2.4 PASID table entry: 64 bytes, 64 per 4 KiB table.
namespace pasid_entry {
inline constexpr Field P{"P", 0, 0, 1};
inline constexpr Field FPD{"FPD", 0, 1, 1};
inline constexpr Field AW{"AW", 0, 2, 3};
inline constexpr Field SSEE{"SSEE", 0, 5, 1}; // second-stage execute enable
inline constexpr Field PGTT{"PGTT", 0, 6, 3};
inline constexpr Field SSADE{"SSADE", 0, 9, 1};
inline constexpr Field SSPTPTR{"SSPTPTR", 0, 12, 52};
inline constexpr Field DID{"DID", 1, 0, 16};
inline constexpr Field PWSNP{"PWSNP", 1, 23, 1};
inline constexpr Field PGSNP{"PGSNP", 1, 24, 1};
// Memory-type fields (VT-d 9.6; Linux "iommu/vt-d: Add nested translation
// helper function": CD bit 89, EMTE 90, EMT 93:91, PWT 94, PCD 95, PAT 127:96).
inline constexpr Field CD{"CD", 1, 25, 1};
inline constexpr Field EMTE{"EMTE", 1, 26, 1};
inline constexpr Field EMT{"EMT", 1, 27, 3};
inline constexpr Field PWT{"PWT", 1, 30, 1};
inline constexpr Field PCD{"PCD", 1, 31, 1};
inline constexpr Field PAT{"PAT", 1, 32, 32};
inline constexpr Field SRE{"SRE", 2, 0, 1};
inline constexpr Field FLPM{"FLPM", 2, 2, 2};
inline constexpr Field WPE{"WPE", 2, 4, 1};
inline constexpr Field NXE{"NXE", 2, 5, 1};
inline constexpr Field SMEP{"SMEP", 2, 6, 1}; // supervisor requests only (SRE=1)
inline constexpr Field EAFE{"EAFE", 2, 7, 1};
inline constexpr Field FLPTR{"FLPTR", 2, 12, 52};
inline constexpr Field kFields[] = {P,     FPD,   AW,  SSEE, PGTT, SSADE, SSPTPTR, DID,
                                    PWSNP, PGSNP, CD,  EMTE, EMT,  PWT,   PCD,     PAT,
                                    SRE,   FLPM,  WPE, NXE,  SMEP, EAFE,  FLPTR};
inline constexpr Format kFormat{"vtd.pasid_entry", 8, kFields};
inline constexpr unsigned kBytes = 64;
inline constexpr unsigned kPerTable = 64;

inline constexpr uint64_t kPgttFirstStage = 1;
inline constexpr uint64_t kPgttSecondStage = 2;
inline constexpr uint64_t kPgttNested = 3;
inline constexpr uint64_t kPgttPassThrough = 4;
inline constexpr uint64_t kFlpm4Level = 0;
inline constexpr uint64_t kFlpm5Level = 1; // needs CAP_REG.FL5LP, which the model has
// AW encodings: 1 = 39-bit (3-level), 2 = 48-bit (4-level), 3 = 57-bit
// (5-level) second stage. The model's CAP_REG.SAGAW (VT-d 11.4.2) supports
// the 4- and 5-level widths, as current Intel parts report: bit k for AW=k.
inline constexpr uint64_t kAw39 = 1;
inline constexpr uint64_t kAw48 = 2;
inline constexpr uint64_t kAw57 = 3;
inline constexpr uint64_t kSagaw = (uint64_t{1} << kAw48) | (uint64_t{1} << kAw57);
} // namespace pasid_entry

// Second-stage paging entry (VT-d 9.8), every level: R and W (an entry with
// neither is not present), X (execute, with the PASID entry's SSEE), the
// leaf's memory type (EMT, IPAT), PS (a 2 MiB page at the second level from
// the leaf, 1 GiB at the third, as CAP.SLLPS allows; 0 elsewhere), A and D
// (with SSADE), SNP (with ECAP.SC), the address [51:12] of the next table
// or the page, and TM (transient mapping). The rest is ignored by hardware.
// Linux v6.1 drivers/iommu/intel/iommu.h: DMA_PTE_READ, DMA_PTE_WRITE,
// DMA_PTE_LARGE_PAGE, DMA_PTE_SNP.
namespace ss_pte {
inline constexpr Field R{"R", 0, 0, 1};
inline constexpr Field W{"W", 0, 1, 1};
inline constexpr Field X{"X", 0, 2, 1};
inline constexpr Field EMT{"EMT", 0, 3, 3};
inline constexpr Field IPAT{"IPAT", 0, 6, 1};
inline constexpr Field PS{"PS", 0, 7, 1};
inline constexpr Field A{"A", 0, 8, 1};
inline constexpr Field D{"D", 0, 9, 1};
inline constexpr Field IGN10{"IGN10", 0, 10, 1};
inline constexpr Field SNP{"SNP", 0, 11, 1};
inline constexpr Field ADDR{"ADDR", 0, 12, 40};
inline constexpr Field IGN52{"IGN52", 0, 52, 10};
inline constexpr Field TM{"TM", 0, 62, 1};
inline constexpr Field IGN63{"IGN63", 0, 63, 1};
inline constexpr Field kFields[] = {R, W,     X,   EMT,  IPAT,  PS, A,
                                    D, IGN10, SNP, ADDR, IGN52, TM, IGN63};
inline constexpr Format kFormat{"vtd.ss_pte", 1, kFields};
// AW: the levels of the second-stage table (AW + 2) and the address bits it
// translates (12 + 9 * levels): 1 = 39-bit 3-level, 2 = 48-bit 4-level,
// 3 = 57-bit 5-level (VT-d 9.4, 9.6; CAP.SAGAW bit AW says it is supported).
constexpr unsigned levels_of(uint64_t aw) {
    return static_cast<unsigned>(aw) + 2;
}
inline constexpr uint64_t kSllps2M = 1; // CAP.SLLPS bit 0
inline constexpr uint64_t kSllps1G = 2; // CAP.SLLPS bit 1
} // namespace ss_pte

// 2.8 Invalidation descriptors, 256-bit (4 qwords). The type code is
// Type[3:0]; Type[6:4] sits at q0[11:9] and is 0 for every type below, so
// it is left to the reserved mask of each format and read by kTypeHi.
inline constexpr Field kTypeHi{"Type[6:4]", 0, 9, 3};
inline constexpr unsigned kDescQwords = 4;

// Context-cache invalidation: positions from the
// VT-d specification (6.5.2.1), as transcribed in VirtualBox
// include/VBox/iommu-intel.h.
namespace inv_cc {
inline constexpr uint64_t kType = 0x1;
inline constexpr Field Type{"Type", 0, 0, 4};
inline constexpr Field G{"G", 0, 4, 2};
inline constexpr Field DID{"DID", 0, 16, 16};
inline constexpr Field SID{"SID", 0, 32, 16};
inline constexpr Field FM{"FM", 0, 48, 2}; // function mask: low FM bits of SID ignored
inline constexpr Field kFields[] = {Type, G, DID, SID, FM};
inline constexpr Format kFormat{"vtd.inv_cc", 4, kFields};
inline constexpr uint64_t kGranGlobal = 1;
inline constexpr uint64_t kGranDomain = 2;
inline constexpr uint64_t kGranDevice = 3;
} // namespace inv_cc

// IOTLB invalidation: VT-d specification (6.5.2.3),
// as transcribed in VirtualBox include/VBox/iommu-intel.h.
namespace inv_iotlb {
inline constexpr uint64_t kType = 0x2;
inline constexpr Field Type{"Type", 0, 0, 4};
inline constexpr Field G{"G", 0, 4, 2};
inline constexpr Field DW{"DW", 0, 6, 1};
inline constexpr Field DR{"DR", 0, 7, 1};
inline constexpr Field DID{"DID", 0, 16, 16};
inline constexpr Field AM{"AM", 1, 0, 6};
inline constexpr Field IH{"IH", 1, 6, 1};
inline constexpr Field ADDR{"ADDR", 1, 12, 52};
inline constexpr Field kFields[] = {Type, G, DW, DR, DID, AM, IH, ADDR};
inline constexpr Format kFormat{"vtd.inv_iotlb", 4, kFields};
inline constexpr uint64_t kGranGlobal = 1;
inline constexpr uint64_t kGranDomain = 2;
inline constexpr uint64_t kGranPage = 3;
} // namespace inv_iotlb

// Device-TLB invalidation (requests without PASID):
// VT-d specification (6.5.2.5), as transcribed in VirtualBox
// include/VBox/iommu-intel.h. ADDR and S encode an ATS range (PCIe 10.2.3.2).
namespace inv_devtlb {
inline constexpr uint64_t kType = 0x3;
inline constexpr Field Type{"Type", 0, 0, 4};
inline constexpr Field PFSID_LO{"PFSID[3:0]", 0, 12, 4};
inline constexpr Field MIP{"MIP", 0, 16, 5};
inline constexpr Field SID{"SID", 0, 32, 16};
inline constexpr Field PFSID_HI{"PFSID[15:4]", 0, 52, 12};
inline constexpr Field S{"S", 1, 0, 1};
inline constexpr Field ADDR{"ADDR", 1, 12, 52};
inline constexpr Field kFields[] = {Type, PFSID_LO, MIP, SID, PFSID_HI, S, ADDR};
inline constexpr Format kFormat{"vtd.inv_devtlb", 4, kFields};
} // namespace inv_devtlb

// Invalidation wait descriptor: the sync. These positions come from the
// VT-d specification (6.5.2.8); checked against
// VirtualBox include/VBox/iommu-intel.h only.
namespace inv_wait {
inline constexpr uint64_t kType = 0x5;
inline constexpr Field Type{"Type", 0, 0, 4};
inline constexpr Field IF{"IF", 0, 4, 1}; // interrupt flag
inline constexpr Field SW{"SW", 0, 5, 1}; // status write
inline constexpr Field FN{"FN", 0, 6, 1}; // fence
inline constexpr Field PD{"PD", 0, 7, 1}; // page-request drain
inline constexpr Field STATUS_DATA{"Status Data", 0, 32, 32};
inline constexpr Field STATUS_ADDR{"Status Address", 1, 2, 62};
inline constexpr Field kFields[] = {Type, IF, SW, FN, PD, STATUS_DATA, STATUS_ADDR};
inline constexpr Format kFormat{"vtd.inv_wait", 4, kFields};
} // namespace inv_wait

// PASID-based IOTLB invalidation (P_IOTLB).
namespace inv_piotlb {
inline constexpr uint64_t kType = 0x6;
inline constexpr Field Type{"Type", 0, 0, 4};
inline constexpr Field G{"G", 0, 4, 2};
inline constexpr Field DID{"DID", 0, 16, 16};
inline constexpr Field PASID{"PASID", 0, 32, 20};
inline constexpr Field AM{"AM", 1, 0, 6};
inline constexpr Field IH{"IH", 1, 6, 1};
inline constexpr Field ADDR{"ADDR", 1, 12, 52};
inline constexpr Field kFields[] = {Type, G, DID, PASID, AM, IH, ADDR};
inline constexpr Format kFormat{"vtd.inv_piotlb", 4, kFields};
inline constexpr uint64_t kGranAllOfPasid = 2; // QI_GRAN_NONG_PASID
inline constexpr uint64_t kGranPage = 3;       // QI_GRAN_PSI_PASID
} // namespace inv_piotlb

// PASID-cache invalidation (PC).
namespace inv_pc {
inline constexpr uint64_t kType = 0x7;
inline constexpr Field Type{"Type", 0, 0, 4};
inline constexpr Field G{"G", 0, 4, 2};
inline constexpr Field DID{"DID", 0, 16, 16};
inline constexpr Field PASID{"PASID", 0, 32, 20};
inline constexpr Field kFields[] = {Type, G, DID, PASID};
inline constexpr Format kFormat{"vtd.inv_pc", 4, kFields};
inline constexpr uint64_t kGranAllOfDid = 0; // QI_PC_ALL_PASIDS
inline constexpr uint64_t kGranPasid = 1;    // QI_PC_PASID_SEL
inline constexpr uint64_t kGranGlobal = 3;   // QI_PC_GLOBAL
} // namespace inv_pc

// PASID-based device-TLB invalidation (P_DEVTLB). ADDR and S encode an ATS
// range as for inv_devtlb.
namespace inv_pdevtlb {
inline constexpr uint64_t kType = 0x8;
inline constexpr Field Type{"Type", 0, 0, 4};
inline constexpr Field QDEP{"QDEP", 0, 4, 5};
inline constexpr Field PFSID_LO{"PFSID[3:0]", 0, 12, 4};
inline constexpr Field SID{"SID", 0, 16, 16};
inline constexpr Field PASID{"PASID", 0, 32, 20};
inline constexpr Field PFSID_HI{"PFSID[15:4]", 0, 52, 12};
inline constexpr Field G{"G", 1, 0, 1};
inline constexpr Field S{"S", 1, 11, 1};
inline constexpr Field ADDR{"ADDR", 1, 12, 52};
inline constexpr Field kFields[] = {Type, QDEP, PFSID_LO, SID, PASID, PFSID_HI, G, S, ADDR};
inline constexpr Format kFormat{"vtd.inv_pdevtlb", 4, kFields};
} // namespace inv_pdevtlb

// Page group response, scalable-mode layout (not the ECS-era one).
namespace page_grp_resp {
inline constexpr uint64_t kType = 0x9;
inline constexpr Field Type{"Type", 0, 0, 4};
inline constexpr Field PP{"PP", 0, 4, 1};   // PASID present
inline constexpr Field PDP{"PDP", 0, 5, 1}; // private data present (old)
inline constexpr Field RESP_CODE{"Response Code", 0, 12, 4};
inline constexpr Field RID{"RID", 0, 16, 16};
inline constexpr Field PASID{"PASID", 0, 32, 20};
inline constexpr Field LPIG{"LPIG", 1, 2, 1}; // old; new Linux leaves it 0
inline constexpr Field PRG_INDEX{"PRG Index", 1, 3, 9};
inline constexpr Field PRIV_DATA0{"Private Data[63:0]", 2, 0, 64};
inline constexpr Field PRIV_DATA1{"Private Data[127:64]", 3, 0, 64};
inline constexpr Field kFields[] = {Type,  PP,   PDP,       RESP_CODE,  RID,
                                    PASID, LPIG, PRG_INDEX, PRIV_DATA0, PRIV_DATA1};
inline constexpr Format kFormat{"vtd.page_grp_resp", 4, kFields};
inline constexpr uint64_t kRespSuccess = 0x0;
inline constexpr uint64_t kRespInvalid = 0x1;
inline constexpr uint64_t kRespFailure = 0xf;
} // namespace page_grp_resp

// 2.7 Page request descriptor (PRQ entry): 32 bytes, written by the
// hardware at PQT. Type 1 is a page request (VT-d 7.4.1.1; QEMU
// intel_iommu_internal.h VTD_PRD_TYPE).
namespace prq {
inline constexpr uint64_t kType = 0x1;
inline constexpr Field Type{"Type", 0, 0, 8};
inline constexpr Field PP{"PP", 0, 8, 1};
inline constexpr Field PDP{"PDP", 0, 9, 1};
inline constexpr Field RID{"RID", 0, 16, 16};
inline constexpr Field PASID{"PASID", 0, 32, 20};
inline constexpr Field EXE{"Exe", 0, 52, 1};
inline constexpr Field PM{"PM", 0, 53, 1};
inline constexpr Field RD{"RD", 1, 0, 1};
inline constexpr Field WR{"WR", 1, 1, 1};
inline constexpr Field LPIG{"LPIG", 1, 2, 1};
inline constexpr Field PRG_INDEX{"PRG Index", 1, 3, 9};
inline constexpr Field ADDR{"Addr", 1, 12, 52};
inline constexpr Field PRIV_DATA0{"Private Data[63:0]", 2, 0, 64};
inline constexpr Field PRIV_DATA1{"Private Data[127:64]", 3, 0, 64};
inline constexpr Field kFields[] = {Type, PP, PDP,  RID,       PASID, EXE,        PM,
                                    RD,   WR, LPIG, PRG_INDEX, ADDR,  PRIV_DATA0, PRIV_DATA1};
inline constexpr Format kFormat{"vtd.prq", 4, kFields};
inline constexpr unsigned kBytes = 32;
} // namespace prq

// Page request queue registers (SVAC_VTD_PQA, _PQH, _PQT, _PRS in the
// driver ABI; VT-d 11.4.11, which QEMU intel_iommu.c cites for "2^(PQS + 7)
// entries"). The queue is 2^PQS 4 KiB pages of prq descriptors; PQH
// (software's) and PQT (the hardware's) hold byte offsets of 32-byte
// descriptors into it.
namespace pqa {
inline constexpr Field PQS{"PQS", 0, 0, 3};
inline constexpr Field PQA{"PQA", 0, 12, 52};
inline constexpr Field kFields[] = {PQS, PQA};
inline constexpr Format kFormat{"vtd.pqa", 1, kFields};
inline constexpr unsigned kDescPerPageShift = 7; // 4 KiB / 32 bytes
} // namespace pqa

namespace pq_offset { // PQH and PQT
inline constexpr Field QH{"Offset[18:5]", 0, 5, 14};
inline constexpr Field kFields[] = {QH};
inline constexpr Format kFormat{"vtd.pq_offset", 1, kFields};
} // namespace pq_offset

namespace prs {                             // write 1 to clear
inline constexpr Field PPR{"PPR", 0, 0, 1}; // pending page request
inline constexpr Field PRO{"PRO", 0, 1, 1}; // page request overflow
inline constexpr Field kFields[] = {PPR, PRO};
inline constexpr Format kFormat{"vtd.prs", 1, kFields};
} // namespace prs

// Every layout above, for the codec tests and the formal checks.
inline constexpr const Format *kFormats[] = {&gcmd::kFormat,        &gsts::kFormat,
                                             &rtaddr::kFormat,      &root::kFormat,
                                             &context::kFormat,     &pde::kFormat,
                                             &root_legacy::kFormat, &context_legacy::kFormat,
                                             &ss_pte::kFormat,      &pasid_entry::kFormat,
                                             &inv_cc::kFormat,      &inv_iotlb::kFormat,
                                             &inv_devtlb::kFormat,  &inv_wait::kFormat,
                                             &inv_piotlb::kFormat,  &inv_pc::kFormat,
                                             &inv_pdevtlb::kFormat, &page_grp_resp::kFormat,
                                             &prq::kFormat,         &pqa::kFormat,
                                             &pq_offset::kFormat,   &prs::kFormat};

// Fields lie inside their format's words and are pairwise disjoint.
constexpr bool layout_ok(const Format &f) {
    for (std::size_t i = 0; i < f.fields.size(); ++i) {
        const Field &a = f.fields[i];
        if (a.width < 1 || a.width > 64 || a.lo + a.width > 64 || a.qword >= f.qwords) return false;
        for (std::size_t j = i + 1; j < f.fields.size(); ++j) {
            const Field &b = f.fields[j];
            if (a.qword == b.qword && (a.mask() & b.mask())) return false;
            if (a.name == b.name) return false;
        }
    }
    return true;
}

constexpr bool all_layouts_ok() {
    for (const Format *f : kFormats)
        if (!layout_ok(*f)) return false;
    return true;
}
static_assert(all_layouts_ok(), "a VT-d layout has overlapping or out-of-range fields");

// Invalidation descriptors carry their type in Type[3:0] of q0.
static_assert(inv_cc::Type.mask() == 0xf && inv_pc::Type.mask() == 0xf);
// The register bits the driver ABI names are the ones these formats hold.
static_assert(prs::PPR.mask() == SVAC_VTD_PRS_PPR && prs::PRO.mask() == SVAC_VTD_PRS_PRO);

} // namespace svac::ref::vtd
