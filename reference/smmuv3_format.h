// Arm SMMUv3 layouts as data (Arm IHI 0070 chapters 4-8): the stream table
// entry and its level-1 descriptor, the context descriptor and its level-1
// descriptor, the commands (one Format per opcode), the event record, the
// PRI queue entry and the registers the hardware model honours. Pointer
// fields have the architecture's width ([55:x]), not Linux's narrower masks.
#pragma once

#include "reference/codec.h"

#include <cstdint>

namespace svac::ref::smmuv3 {

// Every field inside its qword and inside the entry, and no two fields of one
// qword overlapping: the partition the codec and the Z3 checks rely on.
constexpr bool layout_ok(const Format &f) {
    if (f.qwords == 0 || f.fields.empty()) return false;
    for (std::size_t i = 0; i < f.fields.size(); ++i) {
        const Field &a = f.fields[i];
        if (a.width == 0 || a.width > 64 || a.lo + a.width > 64 || a.qword >= f.qwords)
            return false;
        for (std::size_t j = i + 1; j < f.fields.size(); ++j) {
            const Field &b = f.fields[j];
            if (a.qword == b.qword && (a.mask() & b.mask())) return false;
            if (a.name == b.name) return false;
        }
    }
    return true;
}

// Stream Table Entry: 64 bytes (SMMU section 5.2). Of q4..q7 the fields a
// Non-secure STE may hold are named (MPAM, the implementation-defined bits,
// VMSPtr, the stage 2 overlay); the Secure and Realm ones (S_S2*, S2SW,
// S2SA, MPAM_NS) are RES0 in the Non-secure stream table the model has, and
// stay reserved. MECID is named so that its own rule can say why it must be 0.
namespace ste {
inline constexpr Field V{"V", 0, 0, 1};
inline constexpr Field Config{"Config", 0, 1, 3};
inline constexpr Field S1Fmt{"S1Fmt", 0, 4, 2};
inline constexpr Field S1ContextPtr{"S1ContextPtr", 0, 6, 50}; // [55:6]
inline constexpr Field S1CDMax{"S1CDMax", 0, 59, 5};
inline constexpr Field S1DSS{"S1DSS", 1, 0, 2};
inline constexpr Field S1CIR{"S1CIR", 1, 2, 2};
inline constexpr Field S1COR{"S1COR", 1, 4, 2};
inline constexpr Field S1CSH{"S1CSH", 1, 6, 2};
inline constexpr Field DRE{"DRE", 1, 12, 1};
inline constexpr Field CONT{"CONT", 1, 13, 4};
inline constexpr Field DCP{"DCP", 1, 17, 1};
inline constexpr Field PPAR{"PPAR", 1, 18, 1};
inline constexpr Field MEV{"MEV", 1, 19, 1};
inline constexpr Field SW_RESERVED{"SW_RESERVED", 1, 20, 4};
inline constexpr Field S1PIE{"S1PIE", 1, 24, 1};
inline constexpr Field S2FWB{"S2FWB", 1, 25, 1};
inline constexpr Field S1MPAM{"S1MPAM", 1, 26, 1};
inline constexpr Field S1STALLD{"S1STALLD", 1, 27, 1};
inline constexpr Field EATS{"EATS", 1, 28, 2};
inline constexpr Field STRW{"STRW", 1, 30, 2};
inline constexpr Field MemAttr{"MemAttr", 1, 32, 4};
inline constexpr Field MTCFG{"MTCFG", 1, 36, 1};
inline constexpr Field ALLOCCFG{"ALLOCCFG", 1, 37, 4};
inline constexpr Field SHCFG{"SHCFG", 1, 44, 2};
inline constexpr Field NSCFG{"NSCFG", 1, 46, 2};
inline constexpr Field PRIVCFG{"PRIVCFG", 1, 48, 2};
inline constexpr Field INSTCFG{"INSTCFG", 1, 50, 2};
inline constexpr Field S2VMID{"S2VMID", 2, 0, 16};
inline constexpr Field S2T0SZ{"S2T0SZ", 2, 32, 6}; // VTCR [50:32] starts here
inline constexpr Field S2SL0{"S2SL0", 2, 38, 2};
inline constexpr Field S2IR0{"S2IR0", 2, 40, 2};
inline constexpr Field S2OR0{"S2OR0", 2, 42, 2};
inline constexpr Field S2SH0{"S2SH0", 2, 44, 2};
inline constexpr Field S2TG{"S2TG", 2, 46, 2};
inline constexpr Field S2PS{"S2PS", 2, 48, 3};
inline constexpr Field S2AA64{"S2AA64", 2, 51, 1};
inline constexpr Field S2ENDI{"S2ENDI", 2, 52, 1};
inline constexpr Field S2AFFD{"S2AFFD", 2, 53, 1};
inline constexpr Field S2PTW{"S2PTW", 2, 54, 1};
inline constexpr Field S2HD{"S2HD", 2, 55, 1};
inline constexpr Field S2HA{"S2HA", 2, 56, 1};
inline constexpr Field S2S{"S2S", 2, 57, 1};
inline constexpr Field S2R{"S2R", 2, 58, 1};
inline constexpr Field S2TTB{"S2TTB", 3, 4, 52};    // [55:4]
inline constexpr Field IMPDEF{"IMPDEF", 4, 0, 16};  // [271:256]
inline constexpr Field PARTID{"PARTID", 4, 16, 16}; // [287:272] MPAM
inline constexpr Field MECID{"MECID", 4, 48, 16};   // [319:304] Realm streams only
inline constexpr Field PMG{"PMG", 5, 0, 8};         // [327:320] MPAM
inline constexpr Field AssuredOnly{"AssuredOnly", 5, 9, 1};
inline constexpr Field TL0{"TL0", 5, 10, 1};
inline constexpr Field TL1{"TL1", 5, 11, 1};
inline constexpr Field VMSPtr{"VMSPtr", 5, 12, 44}; // [375:332]
inline constexpr Field S2POI{"S2POI", 7, 0, 64};    // [511:448]
inline constexpr Field kFields[] = {
    V,        Config, S1Fmt,  S1ContextPtr, S1CDMax, S1DSS,       S1CIR,  S1COR,       S1CSH,
    DRE,      CONT,   DCP,    PPAR,         MEV,     SW_RESERVED, S1PIE,  S2FWB,       S1MPAM,
    S1STALLD, EATS,   STRW,   MemAttr,      MTCFG,   ALLOCCFG,    SHCFG,  NSCFG,       PRIVCFG,
    INSTCFG,  S2VMID, S2T0SZ, S2SL0,        S2IR0,   S2OR0,       S2SH0,  S2TG,        S2PS,
    S2AA64,   S2ENDI, S2AFFD, S2PTW,        S2HD,    S2HA,        S2S,    S2R,         S2TTB,
    IMPDEF,   PARTID, MECID,  PMG,          TL0,     TL1,         VMSPtr, AssuredOnly, S2POI};
inline constexpr Format kFormat{"smmuv3.ste", 8, kFields};
inline constexpr unsigned kBytes = 64;

inline constexpr uint64_t CONFIG_ABORT = 0;
inline constexpr uint64_t CONFIG_BYPASS = 4;
inline constexpr uint64_t CONFIG_S1_TRANS = 5;
inline constexpr uint64_t CONFIG_S2_TRANS = 6;
inline constexpr uint64_t CONFIG_NESTED = 7;
inline constexpr uint64_t S1DSS_TERMINATE = 0;
inline constexpr uint64_t S1DSS_BYPASS = 1;
inline constexpr uint64_t S1DSS_SSID0 = 2;
inline constexpr uint64_t S1FMT_LINEAR = 0;
inline constexpr uint64_t S1FMT_4K_L2 = 1;
inline constexpr uint64_t S1FMT_64K_L2 = 2;
inline constexpr uint64_t EATS_ABORT = 0;
inline constexpr uint64_t EATS_TRANS = 1;
inline constexpr uint64_t EATS_S1CHK = 2;
} // namespace ste

// Stage 2 of an STE with Config=S2 translate (SMMU 5.2, the VTCR fields):
// S2TG and S2PS encodings (as VTCR_EL2.TG0 and .PS), S2SL0 with the 4 KiB
// granule (start level 2 - S2SL0; 3 is reserved without FEAT_TTST).
namespace s2 {
inline constexpr uint64_t TG_4K = 0;
inline constexpr uint64_t TG_64K = 1;
inline constexpr uint64_t TG_16K = 2;
// S2PS -> bits of output address (32, 36, 40, 42, 44, 48, 52; 7 is reserved).
inline constexpr unsigned kPsBits[] = {32, 36, 40, 42, 44, 48, 52, 52};
// S2T0SZ with the 4 KiB granule, SMMU_IDR3.STT = 0 and a 48-bit IAS.
inline constexpr uint64_t kT0szMin = 16;
inline constexpr uint64_t kT0szMax = 39;
// The root of a stage 2 walk may concatenate up to 16 tables (4 more bits).
inline constexpr unsigned kMaxConcatBits = 4;
} // namespace s2

// Stage 2 translation table descriptor, 4 KiB granule (Arm ARM D8.3, VMSAv8-64
// stage 2): table descriptors at levels 0-2 (Valid, Type=1, next-level
// address), blocks at levels 1-2 (Type=0) and pages at level 3 (Type=1).
// S2AP[0] allows reads, S2AP[1] writes; XN[1] forbids instruction fetches.
// Bits [50:48] (the OA above 48 bits with 52-bit PAs) are left reserved.
namespace s2_pte {
inline constexpr Field Valid{"Valid", 0, 0, 1};
inline constexpr Field Type{"Type", 0, 1, 1};
inline constexpr Field MemAttr{"MemAttr", 0, 2, 4};
inline constexpr Field S2AP_R{"S2AP[0]", 0, 6, 1}; // read
inline constexpr Field S2AP_W{"S2AP[1]", 0, 7, 1}; // write
inline constexpr Field SH{"SH", 0, 8, 2};
inline constexpr Field AF{"AF", 0, 10, 1};
inline constexpr Field FnXS{"FnXS", 0, 11, 1};
inline constexpr Field OA{"OA", 0, 12, 36}; // output address [47:12]
inline constexpr Field DBM{"DBM", 0, 51, 1};
inline constexpr Field Contiguous{"Contiguous", 0, 52, 1};
inline constexpr Field XN0{"XN[0]", 0, 53, 1};
inline constexpr Field XN1{"XN[1]", 0, 54, 1};
inline constexpr Field SW{"SW", 0, 55, 4};           // software use, ignored by the SMMU
inline constexpr Field Ignored{"IGNORED", 0, 59, 5}; // PBHA [62:59] and bit 63
inline constexpr Field kFields[] = {Valid, Type, MemAttr,    S2AP_R, S2AP_W, SH, AF,     FnXS,
                                    OA,    DBM,  Contiguous, XN0,    XN1,    SW, Ignored};
inline constexpr Format kFormat{"smmuv3.s2_pte", 1, kFields};
} // namespace s2_pte

// Level-1 stream table descriptor: 8 bytes (SMMU section 5.1).
namespace l1std {
inline constexpr Field Span{"Span", 0, 0, 5};
inline constexpr Field L2Ptr{"L2Ptr", 0, 6, 50}; // [55:6]
inline constexpr Field kFields[] = {Span, L2Ptr};
inline constexpr Format kFormat{"smmuv3.l1std", 1, kFields};
inline constexpr unsigned kSpanMax = 11; // 12..31 are reserved and behave as 0
} // namespace l1std

// Context Descriptor: 64 bytes (SMMU section 5.4).
namespace cd {
inline constexpr Field T0SZ{"T0SZ", 0, 0, 6};
inline constexpr Field TG0{"TG0", 0, 6, 2};
inline constexpr Field IR0{"IR0", 0, 8, 2};
inline constexpr Field OR0{"OR0", 0, 10, 2};
inline constexpr Field SH0{"SH0", 0, 12, 2};
inline constexpr Field EPD0{"EPD0", 0, 14, 1};
inline constexpr Field ENDI{"ENDI", 0, 15, 1};
inline constexpr Field T1SZ{"T1SZ", 0, 16, 6};
inline constexpr Field TG1{"TG1", 0, 22, 2};
inline constexpr Field IR1{"IR1", 0, 24, 2};
inline constexpr Field OR1{"OR1", 0, 26, 2};
inline constexpr Field SH1{"SH1", 0, 28, 2};
inline constexpr Field EPD1{"EPD1", 0, 30, 1};
inline constexpr Field V{"V", 0, 31, 1};
inline constexpr Field IPS{"IPS", 0, 32, 3};
inline constexpr Field AFFD{"AFFD", 0, 35, 1};
inline constexpr Field WXN{"WXN", 0, 36, 1};
inline constexpr Field UWXN{"UWXN", 0, 37, 1};
inline constexpr Field TBI0{"TBI0", 0, 38, 1};
inline constexpr Field TBI1{"TBI1", 0, 39, 1};
inline constexpr Field PAN{"PAN", 0, 40, 1};
inline constexpr Field AA64{"AA64", 0, 41, 1};
inline constexpr Field HD{"HD", 0, 42, 1};
inline constexpr Field HA{"HA", 0, 43, 1};
inline constexpr Field S{"S", 0, 44, 1};
inline constexpr Field R{"R", 0, 45, 1};
inline constexpr Field A{"A", 0, 46, 1};
inline constexpr Field ASET{"ASET", 0, 47, 1};
inline constexpr Field ASID{"ASID", 0, 48, 16};
inline constexpr Field NSCFG0{"NSCFG0", 1, 0, 1};
inline constexpr Field HAD0{"HAD0", 1, 1, 1};
inline constexpr Field E0PD0{"E0PD0", 1, 2, 1};
inline constexpr Field HAFT{"HAFT", 1, 3, 1};
inline constexpr Field TTB0{"TTB0", 1, 4, 52}; // [55:4]
// q1[57:56] are RES0; the rest of q1's top byte (SMMU 5.4, bits [127:122]).
inline constexpr Field PnCH{"PnCH", 1, 58, 1};
inline constexpr Field EPAN{"EPAN", 1, 59, 1};
inline constexpr Field HWU059{"HWU059", 1, 60, 1};
inline constexpr Field HWU060{"HWU060", 1, 61, 1};
inline constexpr Field HWU06x{"HWU062:061", 1, 62, 2}; // SKL0 with VMSAv9-128
inline constexpr Field NSCFG1{"NSCFG1", 2, 0, 1};
inline constexpr Field HAD1{"HAD1", 2, 1, 1};
inline constexpr Field E0PD1{"E0PD1", 2, 2, 1};
inline constexpr Field AIE{"AIE", 2, 3, 1};
inline constexpr Field TTB1{"TTB1", 2, 4, 52}; // [55:4]
inline constexpr Field DS{"DS", 2, 58, 1};
inline constexpr Field PIE{"PIE", 2, 59, 1};
inline constexpr Field HWU159{"HWU159", 2, 60, 1};
inline constexpr Field HWU160{"HWU160", 2, 61, 1};
inline constexpr Field HWU16x{"HWU162:161", 2, 62, 2}; // SKL1 with VMSAv9-128
inline constexpr Field MAIR0{"MAIR0", 3, 0, 32};
inline constexpr Field MAIR1{"MAIR1", 3, 32, 32};
inline constexpr Field AMAIR0{"AMAIR0", 4, 0, 32};
inline constexpr Field AMAIR1{"AMAIR1", 4, 32, 32};
inline constexpr Field IMPDEF{"IMPDEF", 5, 0, 32};
inline constexpr Field PARTID{"PARTID", 5, 32, 16};
inline constexpr Field PMG{"PMG", 5, 48, 8};
inline constexpr Field PIIU{"PIIU", 6, 0, 64};
inline constexpr Field PIIP{"PIIP", 7, 0, 64};
inline constexpr Field kFields[] = {
    T0SZ,  TG0,  IR0,  OR0,  SH0,    EPD0,   ENDI,   T1SZ,   TG1,    IR1,    OR1,    SH1,
    EPD1,  V,    IPS,  AFFD, WXN,    UWXN,   TBI0,   TBI1,   PAN,    AA64,   HD,     HA,
    S,     R,    A,    ASET, ASID,   NSCFG0, HAD0,   E0PD0,  HAFT,   TTB0,   NSCFG1, HAD1,
    E0PD1, AIE,  TTB1, DS,   PIE,    MAIR0,  MAIR1,  AMAIR0, AMAIR1, IMPDEF, PARTID, PMG,
    PIIU,  PIIP, PnCH, EPAN, HWU059, HWU060, HWU06x, HWU159, HWU160, HWU16x};
inline constexpr Format kFormat{"smmuv3.cd", 8, kFields};
inline constexpr unsigned kBytes = 64;

inline constexpr uint64_t TG0_4K = 0;
inline constexpr uint64_t TG0_64K = 1;
inline constexpr uint64_t TG0_16K = 2;
// T0SZ with a 4 KiB granule, SMMU_IDR3.STT = 0 and 48-bit VAs (SMMU 5.4).
inline constexpr uint64_t kT0szMin = 16;
inline constexpr uint64_t kT0szMax = 39;
} // namespace cd

// Level-1 context descriptor: 8 bytes (SMMU section 5.3).
namespace l1cd {
inline constexpr Field V{"V", 0, 0, 1};
inline constexpr Field L2Ptr{"L2Ptr", 0, 12, 44}; // [55:12]
inline constexpr Field kFields[] = {V, L2Ptr};
inline constexpr Format kFormat{"smmuv3.l1cd", 1, kFields};
} // namespace l1cd

// Commands: 16 bytes (SMMU sections 4.3-4.7). The fields are shared; each
// opcode's Format lists the ones it carries, in the order a log prints them.
namespace cmd {
inline constexpr Field Opcode{"Opcode", 0, 0, 8};
inline constexpr Field Global{"Global", 0, 9, 1};
inline constexpr Field SSV{"SSV", 0, 11, 1};
inline constexpr Field SSID{"SSID", 0, 12, 20};
inline constexpr Field SID{"SID", 0, 32, 32};
inline constexpr Field Leaf{"Leaf", 1, 0, 1};
inline constexpr Field Range{"Range", 1, 0, 5}; // CFGI_STE_RANGE: 2^(Range+1) STEs
inline constexpr Field NUM{"NUM", 0, 12, 5};
inline constexpr Field SCALE{"SCALE", 0, 20, 5};
inline constexpr Field VMID{"VMID", 0, 32, 16};
inline constexpr Field ASID{"ASID", 0, 48, 16};
inline constexpr Field TTL{"TTL", 1, 8, 2};
inline constexpr Field TG{"TG", 1, 10, 2};
inline constexpr Field VA{"VA", 1, 12, 52};   // [63:12]
inline constexpr Field Size{"Size", 1, 0, 6}; // ATC_INV: log2 of the 4 KiB pages, 52 = all
inline constexpr Field Addr{"Addr", 1, 12, 52};
inline constexpr Field PRGIndex{"PRGIndex", 1, 0, 9};
inline constexpr Field PriResp{"Resp", 1, 12, 2};
inline constexpr Field ResumeResp{"Resp", 0, 12, 2};
inline constexpr Field STAG{"STAG", 1, 0, 16};
inline constexpr Field CS{"CS", 0, 12, 2};
inline constexpr Field MSH{"MSH", 0, 22, 2};
inline constexpr Field MSIATTR{"MSIATTR", 0, 24, 4};
inline constexpr Field MSIDATA{"MSIDATA", 0, 32, 32};
inline constexpr Field MSIADDR{"MSIADDR", 1, 2, 50}; // [51:2]
// CMD_SYNC.CS: how the sync signals its completion (SMMU 4.7.3).
inline constexpr uint64_t SYNC_SIG_NONE = 0;
inline constexpr uint64_t SYNC_SIG_IRQ = 1; // an MSI write of MSIDATA to MSIADDR
inline constexpr uint64_t SYNC_SIG_SEV = 2;

// Opcodes (q0[7:0]).
inline constexpr uint8_t PREFETCH_CONFIG = 0x01;
inline constexpr uint8_t CFGI_STE = 0x03;
inline constexpr uint8_t CFGI_STE_RANGE = 0x04;
inline constexpr uint8_t CFGI_ALL = 0x04; // CFGI_STE_RANGE with Range = 31
inline constexpr uint8_t CFGI_CD = 0x05;
inline constexpr uint8_t CFGI_CD_ALL = 0x06;
inline constexpr uint8_t TLBI_NH_ALL = 0x10;
inline constexpr uint8_t TLBI_NH_ASID = 0x11;
inline constexpr uint8_t TLBI_NH_VA = 0x12;
inline constexpr uint8_t TLBI_NSNH_ALL = 0x30;
inline constexpr uint8_t ATC_INV = 0x40;
inline constexpr uint8_t PRI_RESP = 0x41;
inline constexpr uint8_t RESUME = 0x44;
inline constexpr uint8_t SYNC = 0x46;

inline constexpr uint64_t CFGI_ALL_RANGE = 31;
inline constexpr uint64_t ATC_INV_SIZE_ALL = 52;
// CMD_PRI_RESP Resp (SMMU 4.5.2; Linux names DENY, FAIL, SUCC).
inline constexpr uint64_t PRI_RESP_FAILURE = 0; // the PCIe Response Failure 0xf
inline constexpr uint64_t PRI_RESP_INVALID = 1; // the PCIe Invalid Request 0x1
inline constexpr uint64_t PRI_RESP_SUCCESS = 2; // the PCIe Success 0x0
inline constexpr uint64_t PRI_RESP_ILLEGAL = 3;
// CMD_RESUME Resp (SMMU 4.7.1): bit 12 Action (1 retry), bit 13 Abort when
// terminating (1 abort, 0 terminate as if it succeeded).
inline constexpr uint64_t RESUME_TERM = 0;
inline constexpr uint64_t RESUME_RETRY = 1;
inline constexpr uint64_t RESUME_ABORT = 2;

namespace prefetch_cfg {
inline constexpr Field kFields[] = {Opcode, SID, SSV, SSID};
inline constexpr Format kFormat{"smmuv3.cmd.prefetch_cfg", 2, kFields};
} // namespace prefetch_cfg
namespace cfgi_ste {
inline constexpr Field kFields[] = {Opcode, SID, Leaf};
inline constexpr Format kFormat{"smmuv3.cmd.cfgi_ste", 2, kFields};
} // namespace cfgi_ste
namespace cfgi_ste_range {
inline constexpr Field kFields[] = {Opcode, SID, Range};
inline constexpr Format kFormat{"smmuv3.cmd.cfgi_ste_range", 2, kFields};
} // namespace cfgi_ste_range
namespace cfgi_all = cfgi_ste_range;
namespace cfgi_cd {
inline constexpr Field kFields[] = {Opcode, SID, SSID, Leaf};
inline constexpr Format kFormat{"smmuv3.cmd.cfgi_cd", 2, kFields};
} // namespace cfgi_cd
namespace cfgi_cd_all {
inline constexpr Field kFields[] = {Opcode, SID};
inline constexpr Format kFormat{"smmuv3.cmd.cfgi_cd_all", 2, kFields};
} // namespace cfgi_cd_all
namespace tlbi_nh_all {
inline constexpr Field kFields[] = {Opcode, VMID};
inline constexpr Format kFormat{"smmuv3.cmd.tlbi_nh_all", 2, kFields};
} // namespace tlbi_nh_all
namespace tlbi_nh_asid {
inline constexpr Field kFields[] = {Opcode, ASID, VMID};
inline constexpr Format kFormat{"smmuv3.cmd.tlbi_nh_asid", 2, kFields};
} // namespace tlbi_nh_asid
namespace tlbi_nh_va {
inline constexpr Field kFields[] = {Opcode, ASID, VMID, VA, Leaf, NUM, SCALE, TTL, TG};
inline constexpr Format kFormat{"smmuv3.cmd.tlbi_nh_va", 2, kFields};
} // namespace tlbi_nh_va
namespace tlbi_nsnh_all {
inline constexpr Field kFields[] = {Opcode};
inline constexpr Format kFormat{"smmuv3.cmd.tlbi_nsnh_all", 2, kFields};
} // namespace tlbi_nsnh_all
namespace atc_inv {
inline constexpr Field kFields[] = {Opcode, SID, SSV, SSID, Global, Size, Addr};
inline constexpr Format kFormat{"smmuv3.cmd.atc_inv", 2, kFields};
} // namespace atc_inv
namespace pri_resp {
inline constexpr Field kFields[] = {Opcode, SID, SSV, SSID, PRGIndex, PriResp};
inline constexpr Format kFormat{"smmuv3.cmd.pri_resp", 2, kFields};
} // namespace pri_resp
namespace resume {
inline constexpr Field kFields[] = {Opcode, SID, STAG, ResumeResp};
inline constexpr Format kFormat{"smmuv3.cmd.resume", 2, kFields};
} // namespace resume
namespace sync {
inline constexpr Field kFields[] = {Opcode, CS, MSH, MSIATTR, MSIDATA, MSIADDR};
inline constexpr Format kFormat{"smmuv3.cmd.sync", 2, kFields};
} // namespace sync

struct Command {
    uint8_t opcode;
    std::string_view name; // the spec's name
    const Format *format;
};
// Every command the model accepts; any other opcode is rejected.
inline constexpr Command kCommands[] = {
    {PREFETCH_CONFIG, "CMD_PREFETCH_CONFIG", &prefetch_cfg::kFormat},
    {CFGI_STE, "CMD_CFGI_STE", &cfgi_ste::kFormat},
    {CFGI_STE_RANGE, "CMD_CFGI_STE_RANGE", &cfgi_ste_range::kFormat},
    {CFGI_CD, "CMD_CFGI_CD", &cfgi_cd::kFormat},
    {CFGI_CD_ALL, "CMD_CFGI_CD_ALL", &cfgi_cd_all::kFormat},
    {TLBI_NH_ALL, "CMD_TLBI_NH_ALL", &tlbi_nh_all::kFormat},
    {TLBI_NH_ASID, "CMD_TLBI_NH_ASID", &tlbi_nh_asid::kFormat},
    {TLBI_NH_VA, "CMD_TLBI_NH_VA", &tlbi_nh_va::kFormat},
    {TLBI_NSNH_ALL, "CMD_TLBI_NSNH_ALL", &tlbi_nsnh_all::kFormat},
    {ATC_INV, "CMD_ATC_INV", &atc_inv::kFormat},
    {PRI_RESP, "CMD_PRI_RESP", &pri_resp::kFormat},
    {RESUME, "CMD_RESUME", &resume::kFormat},
    {SYNC, "CMD_SYNC", &sync::kFormat},
};
constexpr const Command *find_command(uint8_t opcode) {
    for (const Command &c : kCommands)
        if (c.opcode == opcode) return &c;
    return nullptr;
}
} // namespace cmd

// Event record: 32 bytes (SMMU section 7.3).
namespace evt {
inline constexpr Field EventID{"EventID", 0, 0, 8};
inline constexpr Field SSV{"SSV", 0, 11, 1};
inline constexpr Field SubstreamID{"SubstreamID", 0, 12, 20};
inline constexpr Field StreamID{"StreamID", 0, 32, 32};
inline constexpr Field STAG{"STAG", 1, 0, 16};
inline constexpr Field Stall{"Stall", 1, 31, 1};
inline constexpr Field PnU{"PnU", 1, 33, 1};
inline constexpr Field InD{"InD", 1, 34, 1};
inline constexpr Field RnW{"RnW", 1, 35, 1};
inline constexpr Field S2{"S2", 1, 39, 1};
inline constexpr Field CLASS{"CLASS", 1, 40, 2};
inline constexpr Field TT_READ{"TT_READ", 1, 44, 1};
inline constexpr Field InputAddr{"InputAddr", 2, 0, 64};
inline constexpr Field IPA{"IPA", 3, 12, 44}; // [55:12]; Linux reads [51:12]
inline constexpr Field kFields[] = {EventID, SSV, SubstreamID, StreamID, STAG,    Stall,     PnU,
                                    InD,     RnW, S2,          CLASS,    TT_READ, InputAddr, IPA};
inline constexpr Format kFormat{"smmuv3.evt", 4, kFields};
inline constexpr unsigned kBytes = 32;
inline constexpr uint64_t CLASS_CD = 0; // CD fetch
inline constexpr uint64_t CLASS_TT = 1; // stage 1 translation table fetch
inline constexpr uint64_t CLASS_IN = 2; // the input address caused the fault

inline constexpr uint8_t C_BAD_STREAMID = 0x02;
inline constexpr uint8_t C_BAD_STE = 0x04;
inline constexpr uint8_t F_STREAM_DISABLED = 0x06;
inline constexpr uint8_t C_BAD_SUBSTREAMID = 0x08;
inline constexpr uint8_t C_BAD_CD = 0x0a;
inline constexpr uint8_t F_TRANSLATION = 0x10;
inline constexpr uint8_t F_ADDR_SIZE = 0x11;
inline constexpr uint8_t F_ACCESS = 0x12;
inline constexpr uint8_t F_PERMISSION = 0x13;
} // namespace evt

// PRI queue entry: 16 bytes.
namespace priq {
inline constexpr Field SID{"SID", 0, 0, 32};
inline constexpr Field SSID{"SSID", 0, 32, 20};
inline constexpr Field Priv{"Priv", 0, 58, 1};
inline constexpr Field Exec{"Exec", 0, 59, 1};
inline constexpr Field Read{"Read", 0, 60, 1};
inline constexpr Field Write{"Write", 0, 61, 1};
inline constexpr Field Last{"Last", 0, 62, 1};
inline constexpr Field SSV{"SSV", 0, 63, 1};
inline constexpr Field PRGIndex{"PRGIndex", 1, 0, 9};
inline constexpr Field Addr{"Addr", 1, 12, 52};
inline constexpr Field kFields[] = {SID, SSID, Priv, Exec, Read, Write, Last, SSV, PRGIndex, Addr};
inline constexpr Format kFormat{"smmuv3.priq", 2, kFields};
inline constexpr unsigned kBytes = 16;
} // namespace priq

// The registers the model honours (offsets in include/svac/driver_abi.h).
namespace reg {
inline constexpr Field SMMUEN{"SMMUEN", 0, 0, 1};     // CR0
inline constexpr Field PRIQEN{"PRIQEN", 0, 1, 1};     // CR0
inline constexpr Field EVENTQEN{"EVENTQEN", 0, 2, 1}; // CR0
inline constexpr Field STRTAB_ADDR{"ADDR", 0, 6, 46}; // STRTAB_BASE [51:6]
inline constexpr Field STRTAB_RA{"RA", 0, 62, 1};     // STRTAB_BASE
inline constexpr Field LOG2SIZE{"LOG2SIZE", 0, 0, 6}; // STRTAB_BASE_CFG
inline constexpr Field SPLIT{"SPLIT", 0, 6, 5};       // STRTAB_BASE_CFG
inline constexpr Field FMT{"FMT", 0, 16, 2};          // STRTAB_BASE_CFG
inline constexpr Field kCr0Fields[] = {SMMUEN, PRIQEN, EVENTQEN};
inline constexpr Format kCr0{"smmuv3.reg.cr0", 1, kCr0Fields};
inline constexpr Field kStrtabBaseFields[] = {STRTAB_ADDR, STRTAB_RA};
inline constexpr Format kStrtabBase{"smmuv3.reg.strtab_base", 1, kStrtabBaseFields};
inline constexpr Field kStrtabBaseCfgFields[] = {LOG2SIZE, SPLIT, FMT};
inline constexpr Format kStrtabBaseCfg{"smmuv3.reg.strtab_base_cfg", 1, kStrtabBaseCfgFields};
inline constexpr uint64_t FMT_LINEAR = 0;
inline constexpr uint64_t FMT_2LVL = 1;

// The output queues (SMMU 6.3): EVENTQ_BASE and PRIQ_BASE, and the
// PROD / CONS pair of each. An index register holds the entry index in
// [QS-1:0] and its wrap bit at [QS], QS = LOG2SIZE: the field below spans
// both for the largest queue.
inline constexpr Field Q_LOG2SIZE{"LOG2SIZE", 0, 0, 5};  // Q_BASE: entries
inline constexpr Field Q_ADDR{"ADDR", 0, 5, 47};         // Q_BASE [51:5]
inline constexpr Field Q_WA{"WA", 0, 62, 1};             // Q_BASE: write-allocate hint
inline constexpr Field Q_WR{"WR", 0, 0, 20};             // PROD: WR and WR_WRAP
inline constexpr Field Q_OVFLG{"OVFLG", 0, 31, 1};       // PROD
inline constexpr Field Q_RD{"RD", 0, 0, 20};             // CONS: RD and RD_WRAP
inline constexpr Field Q_OVACKFLG{"OVACKFLG", 0, 31, 1}; // CONS
inline constexpr Field kQBaseFields[] = {Q_LOG2SIZE, Q_ADDR, Q_WA};
inline constexpr Format kQBase{"smmuv3.reg.q_base", 1, kQBaseFields};
inline constexpr Field kQProdFields[] = {Q_WR, Q_OVFLG};
inline constexpr Format kQProd{"smmuv3.reg.q_prod", 1, kQProdFields};
inline constexpr Field kQConsFields[] = {Q_RD, Q_OVACKFLG};
inline constexpr Format kQCons{"smmuv3.reg.q_cons", 1, kQConsFields};
// SMMU_IDR1.EVENTQS and PRIQS of the model: the largest queues the
// architecture allows; a larger LOG2SIZE behaves as this.
inline constexpr unsigned kQMaxLog2Size = 19;

// The command queue (SMMU 3.5, 6.3.26-28): CMDQ_BASE as the output queues'
// BASE; PROD (software's) and CONS (the SMMU's) index registers, CONS with
// the error of the command it stopped at (SMMU 7.1).
inline constexpr Field CMDQEN{"CMDQEN", 0, 3, 1}; // CR0
inline constexpr Field ATSCHK{"ATSCHK", 0, 4, 1}; // CR0
inline constexpr Field CONS_ERR{"ERR", 0, 24, 7}; // CMDQ_CONS [30:24]
inline constexpr uint64_t CERROR_NONE = 0;
inline constexpr uint64_t CERROR_ILL = 1;
// SMMU_IDR1.CMDQS of the model: 256 commands (Linux needs more than 64).
inline constexpr unsigned kCmdqLog2Size = 8;
inline constexpr unsigned kOutQLog2Size = 7; // IDR1.EVENTQS and PRIQS the model reports

// Global errors (SMMU 6.3.17-18): an error is active while its bit in
// GERROR differs from the one in GERRORN; software acknowledges it by
// toggling GERRORN.
inline constexpr uint64_t GERROR_CMDQ_ERR = 1u << 0;
inline constexpr uint64_t GERROR_EVTQ_ABT_ERR = 1u << 2;
inline constexpr uint64_t GERROR_PRIQ_ABT_ERR = 1u << 3;
inline constexpr uint64_t GERROR_ERR_MASK = 0x1fd; // every error bit
inline constexpr uint64_t GBPA_UPDATE = 1u << 31;  // GBPA: the update is complete when it reads 0

// ID registers (SMMU 6.3.1-6.3.7), as this model reports them.
namespace idr0 {
inline constexpr Field S2P{"S2P", 0, 0, 1};
inline constexpr Field S1P{"S1P", 0, 1, 1};
inline constexpr Field TTF{"TTF", 0, 2, 2}; // 0b10: AArch64 tables
inline constexpr Field COHACC{"COHACC", 0, 4, 1};
inline constexpr Field BTM{"BTM", 0, 5, 1};
inline constexpr Field HTTU{"HTTU", 0, 6, 2};
inline constexpr Field HYP{"HYP", 0, 9, 1};
inline constexpr Field ATS{"ATS", 0, 10, 1};
inline constexpr Field NS1ATS{"NS1ATS", 0, 11, 1};
inline constexpr Field ASID16{"ASID16", 0, 12, 1};
inline constexpr Field MSI{"MSI", 0, 13, 1};
inline constexpr Field SEV{"SEV", 0, 14, 1};
inline constexpr Field ATOS{"ATOS", 0, 15, 1};
inline constexpr Field PRI{"PRI", 0, 16, 1};
inline constexpr Field VMW{"VMW", 0, 17, 1};
inline constexpr Field VMID16{"VMID16", 0, 18, 1};
inline constexpr Field CD2L{"CD2L", 0, 19, 1};
inline constexpr Field VATOS{"VATOS", 0, 20, 1};
inline constexpr Field TTENDIAN{"TTENDIAN", 0, 21, 2}; // 0b10: little-endian
inline constexpr Field STALL_MODEL{"STALL_MODEL", 0, 24, 2};
inline constexpr Field TERM_MODEL{"TERM_MODEL", 0, 26, 1};
inline constexpr Field ST_LEVEL{"ST_LEVEL", 0, 27, 2}; // 0b01: 2-level stream tables
inline constexpr Field kFields[] = {
    S2P, S1P,  TTF, COHACC, BTM,    HTTU, HYP,   ATS,      NS1ATS,      ASID16,     MSI,
    SEV, ATOS, PRI, VMW,    VMID16, CD2L, VATOS, TTENDIAN, STALL_MODEL, TERM_MODEL, ST_LEVEL};
inline constexpr Format kFormat{"smmuv3.reg.idr0", 1, kFields};
inline constexpr uint64_t TTF_AARCH64 = 2, TTENDIAN_LE = 2, ST_LEVEL_2LVL = 1;
inline constexpr uint64_t STALL_MODEL_STALL = 0, STALL_MODEL_NONE = 1;
} // namespace idr0
namespace idr1 {
inline constexpr Field SIDSIZE{"SIDSIZE", 0, 0, 6};
inline constexpr Field SSIDSIZE{"SSIDSIZE", 0, 6, 5};
inline constexpr Field PRIQS{"PRIQS", 0, 11, 5};
inline constexpr Field EVENTQS{"EVENTQS", 0, 16, 5};
inline constexpr Field CMDQS{"CMDQS", 0, 21, 5};
inline constexpr Field ATTR_PERMS_OVR{"ATTR_PERMS_OVR", 0, 26, 1};
inline constexpr Field ATTR_TYPES_OVR{"ATTR_TYPES_OVR", 0, 27, 1};
inline constexpr Field REL{"REL", 0, 28, 1};
inline constexpr Field QUEUES_PRESET{"QUEUES_PRESET", 0, 29, 1};
inline constexpr Field TABLES_PRESET{"TABLES_PRESET", 0, 30, 1};
inline constexpr Field kFields[] = {SIDSIZE,       SSIDSIZE,       PRIQS,          EVENTQS,
                                    CMDQS,         ATTR_PERMS_OVR, ATTR_TYPES_OVR, REL,
                                    QUEUES_PRESET, TABLES_PRESET};
inline constexpr Format kFormat{"smmuv3.reg.idr1", 1, kFields};
} // namespace idr1
namespace idr5 {
inline constexpr Field OAS{"OAS", 0, 0, 3}; // 0b101: 48 bits
inline constexpr Field GRAN4K{"GRAN4K", 0, 4, 1};
inline constexpr Field GRAN16K{"GRAN16K", 0, 5, 1};
inline constexpr Field GRAN64K{"GRAN64K", 0, 6, 1};
inline constexpr Field VAX{"VAX", 0, 10, 2};
inline constexpr Field STALL_MAX{"STALL_MAX", 0, 16, 16};
inline constexpr Field kFields[] = {OAS, GRAN4K, GRAN16K, GRAN64K, VAX, STALL_MAX};
inline constexpr Format kFormat{"smmuv3.reg.idr5", 1, kFields};
inline constexpr uint64_t OAS_44 = 4, OAS_48 = 5;
} // namespace idr5
} // namespace reg

// Every layout, for the codec tests and the formal checks.
inline constexpr const Format *kAllFormats[] = {&ste::kFormat,
                                                &l1std::kFormat,
                                                &cd::kFormat,
                                                &l1cd::kFormat,
                                                &cmd::prefetch_cfg::kFormat,
                                                &cmd::cfgi_ste::kFormat,
                                                &cmd::cfgi_ste_range::kFormat,
                                                &cmd::cfgi_cd::kFormat,
                                                &cmd::cfgi_cd_all::kFormat,
                                                &cmd::tlbi_nh_all::kFormat,
                                                &cmd::tlbi_nh_asid::kFormat,
                                                &cmd::tlbi_nh_va::kFormat,
                                                &cmd::tlbi_nsnh_all::kFormat,
                                                &cmd::atc_inv::kFormat,
                                                &cmd::pri_resp::kFormat,
                                                &cmd::resume::kFormat,
                                                &cmd::sync::kFormat,
                                                &evt::kFormat,
                                                &priq::kFormat,
                                                &reg::kCr0,
                                                &reg::kStrtabBase,
                                                &reg::kStrtabBaseCfg,
                                                &reg::kQBase,
                                                &reg::kQProd,
                                                &reg::kQCons,
                                                &reg::idr0::kFormat,
                                                &reg::idr1::kFormat,
                                                &reg::idr5::kFormat,
                                                &s2_pte::kFormat};

constexpr bool all_layouts_ok() {
    for (const Format *f : kAllFormats)
        if (!layout_ok(*f)) return false;
    return true;
}
static_assert(all_layouts_ok(), "an SMMUv3 layout has overlapping or out-of-range fields");
static_assert(ste::kFormat.reserved_mask(0) == (uint64_t{7} << 56)); // q0[58:56] RES0
static_assert(cd::kFormat.reserved_mask(0) == 0);                    // q0 fully assigned
static_assert(l1cd::kFormat.reserved_mask(0) == ((uint64_t{0x7ff} << 1) | (uint64_t{0xff} << 56)));

} // namespace svac::ref::smmuv3
