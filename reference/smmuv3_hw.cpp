#include "reference/smmuv3_hw.h"
#include "reference/text.h"

#include "reference/hitless.h"
#include "reference/pagetable.h"
#include "reference/smmuv3_format.h"

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <set>
#include <tuple>

namespace svac::ref {

namespace {
namespace sm = smmuv3;
using Kind = DmaResult::Kind;
using Reason = DmaResult::Reason;

constexpr uint64_t kPageMask = kPageSize - 1;
constexpr uint8_t kAllPerms = kRead | kWrite | kExec;
constexpr unsigned kCdScanMax = 4096; // linear CD tables dump() scans
constexpr unsigned kSsidBitsMax = 20;
// PCIe PRG response codes (PCIe 4.0 section 10.4.2), as the device receives them.
constexpr uint8_t kPciPrgSuccess = 0x0;
constexpr uint8_t kPciPrgInvalid = 0x1;
constexpr uint8_t kPciPrgFailure = 0xf;

std::string perms_str(uint8_t p) {
    return {(p & kRead) ? 'r' : '-', (p & kWrite) ? 'w' : '-', (p & kExec) ? 'x' : '-'};
}

DmaResult fault(Reason reason, uint8_t event, std::string why) {
    DmaResult r;
    r.kind = Kind::fault;
    r.reason = reason;
    r.event = event;
    r.why = std::move(why);
    return r;
}

DmaResult quiet(Reason reason, std::string why) {
    DmaResult r;
    r.kind = Kind::abort;
    r.reason = reason;
    r.why = std::move(why);
    return r;
}

DmaResult translated(uint64_t pa, std::string why) {
    DmaResult r;
    r.kind = Kind::translated;
    r.pa = pa;
    r.why = std::move(why);
    return r;
}

DecodedEntry decode(std::string table, std::string key, uint64_t pa, const Format &f,
                    const uint64_t *w) {
    DecodedEntry e{
        std::move(table), std::move(key), pa, std::vector<uint64_t>(w, w + f.qwords), {}};
    e.fields.reserve(f.fields.size());
    for (const Field &fld : f.fields) e.fields.emplace_back(std::string(fld.name), get(w, fld));
    return e;
}

// A command field the log prints as an address rather than a number.
bool is_address(const Field &f) {
    return f.name == "VA" || f.name == "Addr" || f.name == "MSIADDR";
}

std::string lower(std::string_view s) {
    std::string out(s);
    for (char &c : out) c = static_cast<char>(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
    return out;
}

// Where the STE of sid lives, or why it cannot be reached (C_BAD_STREAMID).
struct SteLocation {
    bool ok = false;
    bool two_level = false;
    uint64_t l1std_pa = 0, l1std = 0, ste_pa = 0;
    std::string why;
};

SteLocation locate_ste(const MemoryView &mem, bool strtab_written, uint64_t base_reg, uint64_t cfg,
                       uint32_t sid) {
    SteLocation loc;
    if (!strtab_written) {
        loc.why = "STRTAB_BASE never written";
        return loc;
    }
    uint64_t base = get(&base_reg, sm::reg::STRTAB_ADDR) << sm::reg::STRTAB_ADDR.lo;
    auto log2size = static_cast<unsigned>(std::min<uint64_t>(get(&cfg, sm::reg::LOG2SIZE), 32));
    if (log2size < 32 && (uint64_t{sid} >> log2size) != 0) {
        loc.why =
            "sid " + std::to_string(sid) + " >= 2^LOG2SIZE (" + std::to_string(log2size) + ")";
        return loc;
    }
    uint64_t fmt = get(&cfg, sm::reg::FMT);
    if (fmt == sm::reg::FMT_LINEAR) {
        loc.ste_pa = base + uint64_t{sm::ste::kBytes} * sid;
    } else if (fmt == sm::reg::FMT_2LVL) {
        auto split = static_cast<unsigned>(get(&cfg, sm::reg::SPLIT));
        loc.two_level = true;
        loc.l1std_pa = base + 8 * (uint64_t{sid} >> split);
        loc.l1std = mem.read64(loc.l1std_pa);
        auto span = static_cast<unsigned>(get(&loc.l1std, sm::l1std::Span));
        if (span == 0 || span > sm::l1std::kSpanMax) {
            loc.why = "L1STD for sid " + std::to_string(sid) + " Span=" + std::to_string(span);
            return loc;
        }
        uint64_t idx = sid & ((uint64_t{1} << split) - 1);
        if (idx >> (span - 1)) {
            loc.why =
                "sid " + std::to_string(sid) + " beyond the L1STD's Span=" + std::to_string(span);
            return loc;
        }
        loc.ste_pa = (get(&loc.l1std, sm::l1std::L2Ptr) << sm::l1std::L2Ptr.lo) +
                     uint64_t{sm::ste::kBytes} * idx;
    } else {
        loc.why = "STRTAB_BASE_CFG.FMT=" + std::to_string(fmt) + " reserved";
        return loc;
    }
    loc.ok = true;
    return loc;
}

void read_words(const MemoryView &mem, uint64_t pa, uint64_t *w, unsigned n) {
    mem.read_range(pa, w, n);
}

// The CD table layout an STE selects: the L1 split (0: linear).
unsigned cd_split(const uint64_t *ste) {
    if (get(ste, sm::ste::S1CDMax) == 0) return 0; // one CD; S1Fmt ignored
    switch (get(ste, sm::ste::S1Fmt)) {
    case sm::ste::S1FMT_4K_L2:
        return 6;
    case sm::ste::S1FMT_64K_L2:
        return 10;
    default:
        return 0; // 0b11 is reserved and behaves as linear
    }
}

// Why the TTB0 half of a CD is ILLEGAL for this SMMU (SMMU 5.4), or "".
// The model's SMMU_IDR5 implements the 4 KiB granule alone (GRAN16K =
// GRAN64K = 0), and IDR3.STT = 0 with 48-bit VAs: T0SZ 16..39.
std::string ttb0_illegal(const uint64_t *cd) {
    const uint64_t tg0 = get(cd, sm::cd::TG0), t0sz = get(cd, sm::cd::T0SZ);
    if (tg0 == sm::cd::TG0_64K || tg0 == sm::cd::TG0_16K)
        return "TG0=" + std::to_string(tg0) + " selects a " +
               (tg0 == sm::cd::TG0_64K ? "64" : "16") +
               " KiB granule, which this SMMU does not implement (SMMU_IDR5 lists 4 KiB only)";
    if (tg0 != sm::cd::TG0_4K) return "TG0=3 is reserved";
    if (t0sz < sm::cd::kT0szMin || t0sz > sm::cd::kT0szMax)
        return "T0SZ=" + std::to_string(t0sz) + " is outside 16..39 (SMMU_IDR3.STT=0, 48-bit VAs)";
    return {};
}

// The stage 2 of an STE with Config=S2 translate (SMMU 5.2): the IPA bits
// S2T0SZ gives, the level the walk starts at (S2SL0 with the 4 KiB granule),
// the bits its root table resolves (more than 9: concatenated tables), and
// the output size (S2PS, capped at the SMMU's OAS).
struct S2Config {
    unsigned ipa_bits = 0, start_level = 0, root_bits = 0, ps_bits = 0;
    std::string illegal; // why the STE is ILLEGAL (C_BAD_STE), or ""
};

unsigned oas_bits(const Smmuv3Ids &ids) {
    uint64_t idr5 = ids.idr[5];
    return sm::s2::kPsBits[get(&idr5, sm::reg::idr5::OAS) & 7];
}

S2Config s2_config(const uint64_t *ste, const Smmuv3Ids &ids) {
    S2Config c;
    uint64_t idr0 = ids.idr[0];
    const uint64_t tg = get(ste, sm::ste::S2TG), t0sz = get(ste, sm::ste::S2T0SZ),
                   sl0 = get(ste, sm::ste::S2SL0);
    if (!get(&idr0, sm::reg::idr0::S2P))
        c.illegal = "Config=S2 translate on an SMMU without stage 2 (SMMU_IDR0.S2P=0)";
    else if (!get(ste, sm::ste::S2AA64))
        c.illegal = "S2AA64=0: AArch32 stage 2 tables, which this SMMU does not implement "
                    "(SMMU_IDR0.TTF lists AArch64 only)";
    else if (tg == sm::s2::TG_64K || tg == sm::s2::TG_16K)
        c.illegal = "S2TG=" + std::to_string(tg) + " selects a " +
                    (tg == sm::s2::TG_64K ? "64" : "16") +
                    " KiB granule, which this SMMU does not implement (SMMU_IDR5 lists 4 KiB only)";
    else if (tg != sm::s2::TG_4K)
        c.illegal = "S2TG=3 is reserved";
    else if (t0sz < sm::s2::kT0szMin || t0sz > sm::s2::kT0szMax)
        c.illegal =
            "S2T0SZ=" + std::to_string(t0sz) + " is outside 16..39 (4 KiB granule, 48-bit IAS)";
    else if (sl0 > 2)
        c.illegal = "S2SL0=3 is reserved with the 4 KiB granule";
    if (!c.illegal.empty()) return c;
    c.ipa_bits = static_cast<unsigned>(64 - t0sz);
    c.start_level = static_cast<unsigned>(2 - sl0);
    // Levels below the start each resolve 9 bits, the page 12.
    const unsigned below = kPageShift + 9 * (3 - c.start_level);
    if (c.ipa_bits <= below || c.ipa_bits - below > 9 + sm::s2::kMaxConcatBits) {
        c.illegal = "S2SL0=" + std::to_string(sl0) + " (start level " +
                    std::to_string(c.start_level) +
                    ") is inconsistent with S2T0SZ=" + std::to_string(t0sz) + " (a " +
                    std::to_string(c.ipa_bits) + "-bit IPA space would need " +
                    (c.ipa_bits <= below ? std::string("no table at that level")
                                         : std::string("more than 16 concatenated tables")) +
                    ")";
        return c;
    }
    c.root_bits = c.ipa_bits - below;
    c.ps_bits = std::min(sm::s2::kPsBits[get(ste, sm::ste::S2PS) & 7], oas_bits(ids));
    return c;
}

// A stage 2 walk (Arm ARM D8, VMSAv8-64 stage 2, 4 KiB granule).
struct S2Walk {
    enum class Result : uint8_t {
        ok,
        translation,
        access_flag,
        address_size,
        permission
    };
    Result result = Result::translation;
    uint64_t pa = 0;
    uint8_t perms = 0;
    unsigned level = 0; // the level whose descriptor ended the walk
};

S2Walk walk_s2(const MemoryView &mem, uint64_t root, uint64_t ipa, uint8_t access,
               const S2Config &c, bool affd) {
    namespace d = sm::s2_pte;
    S2Walk w;
    w.level = c.start_level;
    if (ipa >> c.ipa_bits) return w; // beyond S2T0SZ: a translation fault
    uint64_t table = root;
    const uint64_t out_limit = uint64_t{1} << c.ps_bits;
    for (unsigned level = c.start_level; level <= 3; ++level) {
        w.level = level;
        const unsigned shift = kPageShift + 9 * (3 - level);
        const unsigned bits = level == c.start_level ? c.root_bits : 9;
        const uint64_t desc =
            mem.read64(table + 8 * ((ipa >> shift) & ((uint64_t{1} << bits) - 1)));
        if (!get(&desc, d::Valid)) return w;
        const bool type = get(&desc, d::Type) != 0;
        const uint64_t oa = get(&desc, d::OA) << kPageShift;
        if (level < 3 && type) { // a table
            if (oa >= out_limit) {
                w.result = S2Walk::Result::address_size;
                return w;
            }
            table = oa;
            continue;
        }
        // A block (levels 1 and 2) or a page (level 3); a block at level 0,
        // or Type=0 at level 3, is invalid.
        if (level == 0 || (level == 3 && !type)) return w;
        const uint64_t span = uint64_t{1} << shift;
        w.pa = (oa & ~(span - 1)) | (ipa & (span - 1));
        if (!get(&desc, d::AF) && !affd) {
            w.result = S2Walk::Result::access_flag;
            return w;
        }
        if (w.pa >= out_limit) {
            w.result = S2Walk::Result::address_size;
            return w;
        }
        w.perms = static_cast<uint8_t>((get(&desc, d::S2AP_R) ? kRead : 0) |
                                       (get(&desc, d::S2AP_W) ? kWrite : 0) |
                                       (get(&desc, d::XN1) ? 0 : kExec));
        w.result = (access & ~w.perms) ? S2Walk::Result::permission : S2Walk::Result::ok;
        return w;
    }
    return w;
}

} // namespace

Smmuv3Ids smmuv3_ids(const Iommu &desc, uint32_t streams, bool stalls) {
    namespace i0 = sm::reg::idr0;
    namespace i1 = sm::reg::idr1;
    namespace i5 = sm::reg::idr5;
    Smmuv3Ids ids;
    uint64_t v = 0;
    set(&v, i0::S1P, 1);
    set(&v, i0::S2P, 1);
    set(&v, i0::TTF, i0::TTF_AARCH64);
    set(&v, i0::COHACC, 1);
    set(&v, i0::ATS, 1);
    set(&v, i0::ASID16, 1);
    set(&v, i0::MSI, 1);
    set(&v, i0::SEV, 1);
    set(&v, i0::PRI, 1);
    set(&v, i0::VMID16, 1);
    set(&v, i0::CD2L, 1);
    set(&v, i0::TTENDIAN, i0::TTENDIAN_LE);
    set(&v, i0::STALL_MODEL, stalls ? i0::STALL_MODEL_STALL : i0::STALL_MODEL_NONE);
    set(&v, i0::ST_LEVEL, i0::ST_LEVEL_2LVL);
    ids.idr[0] = static_cast<uint32_t>(v);
    unsigned sid_bits = 1;
    while (sid_bits < 32 && (uint64_t{1} << sid_bits) < streams) ++sid_bits;
    v = 0;
    set(&v, i1::SIDSIZE, sid_bits);
    set(&v, i1::SSIDSIZE, desc.pasid_bits);
    set(&v, i1::PRIQS, sm::reg::kOutQLog2Size);
    set(&v, i1::EVENTQS, sm::reg::kOutQLog2Size);
    set(&v, i1::CMDQS, sm::reg::kCmdqLog2Size);
    ids.idr[1] = static_cast<uint32_t>(v);
    v = 0;
    // An SMMU that cannot walk the CPU's page tables says so the way real
    // ones do: its output addresses are narrower than the CPU's (44 bits
    // against 48), which Linux's arm_smmu_sva_supported checks.
    set(&v, i5::OAS, desc.sva ? i5::OAS_48 : i5::OAS_44);
    set(&v, i5::GRAN4K, 1);
    set(&v, i5::STALL_MAX, stalls ? 128 : 0);
    ids.idr[5] = static_cast<uint32_t>(v);
    ids.aidr = 0x01; // SMMUv3.1: ArchMajorRev 0, ArchMinorRev 1
    return ids;
}

Smmuv3Model::Smmuv3Model(const Iommu &, uint32_t index, const Smmuv3Ids &ids)
    : index_(index), ids_(ids) {}

void Smmuv3Model::misuse(ClauseId clause, std::string what) {
    static constexpr std::size_t kMaxMisuse = 64; // per driver call: a flood is one finding
    if (misuse_.size() < kMaxMisuse)
        misuse_.push_back({clause, "SMMU " + std::to_string(index_) + ": " + std::move(what)});
}

std::vector<IommuModel::Misuse> Smmuv3Model::take_misuse() {
    std::vector<Misuse> out;
    out.swap(misuse_);
    return out;
}

bool Smmuv3Model::guarded_write(uint32_t offset, std::string_view name, uint64_t enable,
                                std::string_view enable_name) {
    if (!(read_reg(SVAC_SMMU_CR0) & enable)) return true;
    // CONSTRAINED UNPREDICTABLE: the model ignores the write, as gem5 does.
    misuse(ClauseId::SMMU_REG_1, "SMMU_" + std::string(name) + " (" + hex(offset) +
                                     ") written while SMMU_CR0." + std::string(enable_name) +
                                     " is 1; the write is ignored");
    return false;
}

void Smmuv3Model::write_reg(uint32_t offset, uint64_t val) {
    namespace r = sm::reg;
    if (OutQueue *q = q_of_prod(offset)) {
        // PROD belongs to the SMMU; software may set the index only while the
        // queue is disabled (as drivers do at reset).
        if (!q_enabled(*q)) q->prod = (q->prod & r::Q_OVFLG.mask()) | (val & r::Q_WR.mask());
        return;
    }
    switch (offset) {
    case SVAC_SMMU_IDR0:
    case SVAC_SMMU_IDR1:
    case SVAC_SMMU_IDR2:
    case SVAC_SMMU_IDR3:
    case SVAC_SMMU_IDR4:
    case SVAC_SMMU_IDR5:
    case SVAC_SMMU_IIDR:
    case SVAC_SMMU_AIDR:
    case SVAC_SMMU_CR0ACK:
    case SVAC_SMMU_IRQ_CTRLACK:
    case SVAC_SMMU_GERROR:
        return; // the SMMU's registers: writes are ignored
    case SVAC_SMMU_STRTAB_BASE:
        if (!guarded_write(offset, "STRTAB_BASE", SVAC_SMMU_CR0_SMMUEN, "SMMUEN")) return;
        strtab_written_ = true;
        break;
    case SVAC_SMMU_STRTAB_BASE_CFG:
        if (!guarded_write(offset, "STRTAB_BASE_CFG", SVAC_SMMU_CR0_SMMUEN, "SMMUEN")) return;
        break;
    case SVAC_SMMU_CMDQ_BASE:
        if (!guarded_write(offset, "CMDQ_BASE", SVAC_SMMU_CR0_CMDQEN, "CMDQEN")) return;
        break;
    case SVAC_SMMU_EVENTQ_BASE:
        if (!guarded_write(offset, "EVENTQ_BASE", SVAC_SMMU_CR0_EVENTQEN, "EVENTQEN")) return;
        break;
    case SVAC_SMMU_PRIQ_BASE:
        if (!guarded_write(offset, "PRIQ_BASE", SVAC_SMMU_CR0_PRIQEN, "PRIQEN")) return;
        break;
    case SVAC_SMMU_CMDQ_CONS:
        // The SMMU's index; software sets it only while the queue is off.
        if (guarded_write(offset, "CMDQ_CONS", SVAC_SMMU_CR0_CMDQEN, "CMDQEN"))
            cmdq_cons_ = val & r::Q_RD.mask();
        return;
    case SVAC_SMMU_CMDQ_PROD: {
        if (cmdq_enabled()) {
            const unsigned qs = cmdq_log2size();
            const uint64_t mask = (uint64_t{2} << qs) - 1;
            const uint64_t ahead = ((val & mask) - (cmdq_cons_ & mask)) & mask;
            if (ahead > uint64_t{1} << qs) {
                misuse(ClauseId::SMMU_REG_2,
                       "SMMU_CMDQ_PROD moved to " + hex(val & mask) + ", " + std::to_string(ahead) +
                           " commands past CMDQ_CONS " + hex(cmdq_cons_ & mask) +
                           " in a queue of " + std::to_string(uint64_t{1} << qs) +
                           "; the write is ignored");
                return;
            }
        }
        regs_[offset] = val & r::Q_WR.mask();
        cmdq_kicked_ = true;
        return;
    }
    case SVAC_SMMU_GERRORN: {
        const bool was_stopped = cmdq_stopped();
        gerrorn_ = val;
        if (was_stopped && !cmdq_stopped()) { // acknowledged: resume at CONS
            set(&cmdq_cons_, r::CONS_ERR, r::CERROR_NONE);
            cmdq_kicked_ = true;
        }
        return;
    }
    case SVAC_SMMU_GBPA:
        val &= ~r::GBPA_UPDATE; // the update completes at once
        break;
    case SVAC_SMMU_CR0:
        if (val & SVAC_SMMU_CR0_CMDQEN) cmdq_kicked_ = true;
        break;
    default:
        break;
    }
    regs_[offset] = val;
}

uint64_t Smmuv3Model::read_reg(uint32_t offset) const {
    if (const OutQueue *q = q_of_prod(offset)) return q->prod;
    switch (offset) {
    case SVAC_SMMU_IDR0:
    case SVAC_SMMU_IDR1:
    case SVAC_SMMU_IDR2:
    case SVAC_SMMU_IDR3:
    case SVAC_SMMU_IDR4:
    case SVAC_SMMU_IDR5:
        return ids_.idr[offset / 4];
    case SVAC_SMMU_IIDR:
        return ids_.iidr;
    case SVAC_SMMU_AIDR:
        return ids_.aidr;
    case SVAC_SMMU_CMDQ_CONS:
        return cmdq_cons_;
    case SVAC_SMMU_GERROR:
        return gerror_;
    case SVAC_SMMU_GERRORN:
        return gerrorn_;
    case SVAC_SMMU_CR0ACK: // an update never takes time here
        return regs_.get(SVAC_SMMU_CR0);
    case SVAC_SMMU_IRQ_CTRLACK:
        return regs_.get(SVAC_SMMU_IRQ_CTRL);
    default:
        return regs_.get(offset);
    }
}

// ---- the command queue of the register interface ----

// The memory a queue's BASE register points at (ADDR [51:5]).
uint64_t Smmuv3Model::q_address(uint64_t base_reg) {
    return get(&base_reg, sm::reg::Q_ADDR) << sm::reg::Q_ADDR.lo;
}

bool Smmuv3Model::cmdq_enabled() const {
    return (regs_.get(SVAC_SMMU_CR0) & SVAC_SMMU_CR0_CMDQEN) && regs_.contains(SVAC_SMMU_CMDQ_BASE);
}

unsigned Smmuv3Model::cmdq_log2size() const {
    uint64_t base = regs_.get(SVAC_SMMU_CMDQ_BASE);
    return static_cast<unsigned>(
        std::min<uint64_t>(get(&base, sm::reg::Q_LOG2SIZE), sm::reg::kCmdqLog2Size));
}

bool Smmuv3Model::cmdq_stopped() const {
    return ((gerror_ ^ gerrorn_) & sm::reg::GERROR_CMDQ_ERR) != 0;
}

std::vector<IommuModel::Consumed> Smmuv3Model::run_command_queue(MemoryBus &mem) {
    namespace r = sm::reg;
    namespace cm = sm::cmd;
    std::vector<Consumed> out;
    if (!std::exchange(cmdq_kicked_, false) || !cmdq_enabled()) return out;
    const unsigned qs = cmdq_log2size();
    const uint64_t mask = (uint64_t{2} << qs) - 1;
    const uint64_t prod = regs_.get(SVAC_SMMU_CMDQ_PROD) & mask;
    const uint64_t base = q_address(regs_.get(SVAC_SMMU_CMDQ_BASE));
    // PROD never runs more than a queue ahead of CONS (write_reg): one pass
    // consumes at most the whole queue.
    while (!cmdq_stopped() && (cmdq_cons_ & mask) != prod) {
        const uint64_t slot = cmdq_cons_ & ((uint64_t{1} << qs) - 1);
        const uint64_t pa = base + slot * 16;
        Consumed c;
        c.qwords = 2;
        c.q[0] = mem.read64(pa);
        c.q[1] = mem.read64(pa + 8);
        c.rc = submit(mem, c.q.data(), 2);
        out.push_back(c);
        if (c.rc != 0) { // CERROR_ILL: the queue stops at the command (SMMU 7.1)
            gerror_ ^= r::GERROR_CMDQ_ERR;
            set(&cmdq_cons_, r::CONS_ERR, r::CERROR_ILL);
            break;
        }
        if (get(c.q.data(), cm::Opcode) == cm::SYNC && get(c.q.data(), cm::CS) == cm::SYNC_SIG_IRQ)
            if (uint64_t addr = get(c.q.data(), cm::MSIADDR) << cm::MSIADDR.lo) {
                // The completion's MSI: a 32-bit write of MSIDATA.
                const uint64_t word = addr & ~uint64_t{7};
                const unsigned shift = (addr & 4) ? 32 : 0;
                const uint64_t data = get(c.q.data(), cm::MSIDATA);
                uint64_t v = mem.read64(word);
                v = (v & ~(uint64_t{0xffffffff} << shift)) | data << shift;
                mem.hw_write64(word, v);
            }
        cmdq_cons_ = (cmdq_cons_ & ~mask) | ((cmdq_cons_ + 1) & mask);
    }
    return out;
}

// While the queue is stopped at an error, the commands after CONS are the
// SMMU's until it consumes them; the one at CONS software may replace.
void Smmuv3Model::observe_store(uint64_t pa) {
    if (!cmdq_stopped() || !cmdq_enabled()) return;
    const unsigned qs = cmdq_log2size();
    const uint64_t mask = (uint64_t{2} << qs) - 1, size = uint64_t{1} << qs;
    const uint64_t base = q_address(regs_.get(SVAC_SMMU_CMDQ_BASE));
    if (pa < base || pa >= base + 16 * size) return;
    const uint64_t slot = (pa - base) / 16;
    const uint64_t cons = cmdq_cons_ & mask, prod = regs_.get(SVAC_SMMU_CMDQ_PROD) & mask;
    const uint64_t after_cons = (slot - cons) & (size - 1); // slots past CONS, in queue order
    const uint64_t pending = (prod - cons) & mask;
    if (after_cons == 0 || after_cons >= pending) return;
    misuse(ClauseId::SMMU_REG_3, "a store at " + hex(pa) + " into command queue slot " +
                                     std::to_string(slot) +
                                     ", which the SMMU has not consumed (CMDQ_CONS " + hex(cons) +
                                     ", CMDQ_PROD " + hex(prod) + ", stopped at a command error)");
}

// ---- commands ----

std::string Smmuv3Model::describe(const Cmd &c) const {
    const uint64_t *q = c.q;
    auto op = static_cast<uint8_t>(get(q, sm::cmd::Opcode));
    const sm::cmd::Command *d = sm::cmd::find_command(op);
    if (op == sm::cmd::CFGI_STE_RANGE && get(q, sm::cmd::Range) == sm::cmd::CFGI_ALL_RANGE)
        return "CMD_CFGI_ALL";
    std::string s(d->name);
    for (const Field &f : d->format->fields) {
        if (f.name == "Opcode") continue;
        uint64_t v = get(q, f);
        s += ' ' + lower(f.name) + '=' + (is_address(f) ? hex(v << f.lo) : std::to_string(v));
    }
    if (op == sm::cmd::PRI_RESP) {
        static constexpr const char *kPri[] = {" (ResponseFailure)", " (InvalidRequest)",
                                               " (Success)", " (ILLEGAL)"};
        s += kPri[get(q, sm::cmd::PriResp)];
    } else if (op == sm::cmd::RESUME) {
        static constexpr const char *kResume[] = {" (terminate)", " (retry)", " (abort)",
                                                  " (retry)"};
        s += kResume[get(q, sm::cmd::ResumeResp)];
    }
    return s;
}

std::string Smmuv3Model::describe_command(const uint64_t *cmd, uint32_t qwords) const {
    if (!cmd || qwords != 2 ||
        !sm::cmd::find_command(static_cast<uint8_t>(get(cmd, sm::cmd::Opcode))))
        return "ill-formed command " + (cmd ? hex(cmd[0]) : std::string("(none)"));
    return describe(Cmd{{cmd[0], cmd[1]}});
}

const std::vector<std::string> &Smmuv3Model::command_log() const {
    for (std::size_t i = log_.size(); i < accepted_.size(); ++i)
        log_.push_back(describe(accepted_[i]));
    return log_;
}

int Smmuv3Model::submit(const MemoryView &, const uint64_t *cmd, uint32_t qwords) {
    if (!cmd || qwords != 2) return -EINVAL;
    auto op = static_cast<uint8_t>(get(cmd, sm::cmd::Opcode));
    if (!sm::cmd::find_command(op)) return -EINVAL; // CERROR_ILL
    if (op == sm::cmd::PRI_RESP && get(cmd, sm::cmd::PriResp) == sm::cmd::PRI_RESP_ILLEGAL)
        return -EINVAL;
    Cmd c{{cmd[0], cmd[1]}};
    accepted_.push_back(c);
    if (op == sm::cmd::PRI_RESP || op == sm::cmd::RESUME) {
        // A response leaves at once: nothing of the SMMU's caches waits on it,
        // and no CMD_SYNC is needed to send it (Linux sends none).
        respond(c);
    } else if (op == sm::cmd::PREFETCH_CONFIG) {
        // A hint, with nothing to complete: Linux's arm_smmu_write_ste issues
        // it after an STE update without a CMD_SYNC.
    } else if (op == sm::cmd::SYNC) {
        for (const Cmd &pending : queue_) apply(pending);
        queue_.clear();
    } else {
        queue_.push_back(c);
    }
    return 0;
}

void Smmuv3Model::apply(const Cmd &c) {
    namespace cm = sm::cmd;
    const uint64_t *q = c.q;
    auto sid = static_cast<uint32_t>(get(q, cm::SID));
    switch (get(q, cm::Opcode)) {
    case cm::CFGI_STE:
        streams_.erase(sid);
        break;
    case cm::CFGI_STE_RANGE: {
        uint64_t range = get(q, cm::Range);
        if (range >= cm::CFGI_ALL_RANGE) {
            streams_.clear();
            break;
        }
        uint64_t n = uint64_t{2} << range, first = sid & ~(n - 1);
        std::erase_if(streams_, [&](const auto &kv) { return kv.first - first < n; });
        break;
    }
    case cm::CFGI_CD: {
        auto it = streams_.find(sid);
        if (it == streams_.end()) break;
        auto ssid = static_cast<uint32_t>(get(q, cm::SSID));
        it->second.cd.erase(ssid);
        it->second.l1cd.erase(l1cd_key(10, ssid >> 10));
        it->second.l1cd.erase(l1cd_key(6, ssid >> 6));
        break;
    }
    case cm::CFGI_CD_ALL: {
        auto it = streams_.find(sid);
        if (it == streams_.end()) break;
        it->second.cd.clear();
        it->second.l1cd.clear();
        break;
    }
    case cm::TLBI_NH_ALL:
    case cm::TLBI_NSNH_ALL:
        tlb_.clear();
        break;
    case cm::TLBI_NH_ASID: {
        uint64_t asid = get(q, cm::ASID);
        std::erase_if(tlb_, [&](const auto &kv) { return kv.first >> 48 == asid; });
        break;
    }
    case cm::TLBI_NH_VA: {
        uint64_t asid = get(q, cm::ASID), page = get(q, cm::VA);
        uint64_t tg = get(q, cm::TG);
        if (tg == 0) { // one address
            if ((page >> (kVaBits - kPageShift)) == 0) tlb_.erase(asid << 48 | page);
            break;
        }
        // Range: (NUM+1)·2^SCALE granules of 4, 16 or 64 KiB from VA.
        uint64_t granule = uint64_t{1} << (2 * (tg - 1));
        uint64_t pages = ((get(q, cm::NUM) + 1) << get(q, cm::SCALE)) * granule;
        uint64_t first = page & ~(granule - 1);
        std::erase_if(tlb_, [&](const auto &kv) {
            return kv.first >> 48 == asid && (kv.first & ((uint64_t{1} << 48) - 1)) - first < pages;
        });
        break;
    }
    case cm::ATC_INV: {
        bool ssv = get(q, cm::SSV);
        auto ssid = static_cast<uint32_t>(get(q, cm::SSID));
        uint64_t size = get(q, cm::Size);
        uint64_t n = size >= cm::ATC_INV_SIZE_ALL ? 0 : uint64_t{1} << size;
        uint64_t first = get(q, cm::Addr) & ~(n - 1);
        std::erase_if(atc_, [&](const auto &kv) {
            const AtcKey &k = kv.first;
            return k.sid == sid && (!ssv || k.ssid == ssid) && (n == 0 || k.page - first < n);
        });
        break;
    }
    default:
        break; // PREFETCH_CONFIG: no cache effect
    }
}

void Smmuv3Model::respond(const Cmd &c) {
    namespace cm = sm::cmd;
    const uint64_t *q = c.q;
    PageResponse r;
    r.sid = static_cast<uint32_t>(get(q, cm::SID));
    if (get(q, cm::Opcode) == cm::RESUME) {
        // (SID, STAG) names one stalled transaction; a RESUME for one that is
        // not stalled is delivered all the same, for the oracle to judge.
        r.stall = true;
        r.group = static_cast<uint32_t>(get(q, cm::STAG));
        r.raw = static_cast<uint8_t>(get(q, cm::ResumeResp));
        // Resp 0b11: Action=1 retries whatever the Abort bit says.
        r.code = r.raw == 3 ? static_cast<uint8_t>(cm::RESUME_RETRY) : r.raw;
        auto it = stalled_.find(static_cast<uint16_t>(r.group));
        if (it != stalled_.end() && it->second == r.sid) stalled_.erase(it);
    } else {
        r.has_pasid = get(q, cm::SSV) != 0;
        r.pasid = r.has_pasid ? static_cast<uint32_t>(get(q, cm::SSID)) : 0;
        r.group = static_cast<uint32_t>(get(q, cm::PRGIndex));
        r.raw = static_cast<uint8_t>(get(q, cm::PriResp));
        switch (r.raw) { // submit() rejected PRI_RESP_ILLEGAL
        case cm::PRI_RESP_SUCCESS:
            r.code = kPciPrgSuccess;
            break;
        case cm::PRI_RESP_INVALID:
            r.code = kPciPrgInvalid;
            break;
        default:
            r.code = kPciPrgFailure;
            break;
        }
    }
    responses_.push_back(r);
}

std::vector<PageResponse> Smmuv3Model::take_responses() {
    std::vector<PageResponse> out;
    out.swap(responses_);
    return out;
}

// ---- the output queues: event and PRI ----

Smmuv3Model::OutQueue *Smmuv3Model::q_of_prod(uint32_t offset) {
    if (offset == SVAC_SMMU_EVENTQ_PROD) return &evtq_;
    if (offset == SVAC_SMMU_PRIQ_PROD) return &priq_;
    return nullptr;
}

const Smmuv3Model::OutQueue *Smmuv3Model::q_of_prod(uint32_t offset) const {
    return const_cast<Smmuv3Model *>(this)->q_of_prod(offset);
}

bool Smmuv3Model::q_enabled(const OutQueue &q) const {
    uint64_t cr0 = read_reg(SVAC_SMMU_CR0);
    if (!(cr0 & q.enable) || !regs_.contains(q.base_reg)) return false;
    // SMMU 8.2: SMMUEN == 0 implies PRIQEN == 0.
    return &q != &priq_ || get(&cr0, sm::reg::SMMUEN);
}

unsigned Smmuv3Model::q_log2size(const OutQueue &q) const {
    uint64_t base = read_reg(q.base_reg);
    return static_cast<unsigned>(
        std::min<uint64_t>(get(&base, sm::reg::Q_LOG2SIZE), sm::reg::kQMaxLog2Size));
}

// The index and its wrap bit: PROD.WR == CONS.RD with the wraps equal is
// empty, with the wraps different full (SMMU 3.5).
bool Smmuv3Model::q_full(const OutQueue &q) const {
    unsigned qs = q_log2size(q);
    uint64_t mask = (uint64_t{2} << qs) - 1;
    return ((q.prod ^ read_reg(q.cons_reg)) & mask) == uint64_t{1} << qs;
}

bool Smmuv3Model::q_empty(const OutQueue &q) const {
    uint64_t mask = (uint64_t{2} << q_log2size(q)) - 1;
    return ((q.prod ^ read_reg(q.cons_reg)) & mask) == 0;
}

bool Smmuv3Model::q_overflowing(const OutQueue &q) const {
    return ((q.prod ^ read_reg(q.cons_reg)) & sm::reg::Q_OVFLG.mask()) != 0;
}

// OVFLG toggles unless an overflow is already present.
void Smmuv3Model::q_overflow(OutQueue &q) {
    if (!q_overflowing(q)) q.prod ^= sm::reg::Q_OVFLG.mask();
}

// Writes one entry at PROD and moves PROD on; false (nothing visible) when
// the queue's memory cannot take it (an external abort).
bool Smmuv3Model::q_write(MemoryBus &mem, OutQueue &q, const uint64_t *entry) {
    unsigned qs = q_log2size(q);
    const uint64_t base = q_address(read_reg(q.base_reg));
    uint64_t slot = q.prod & ((uint64_t{1} << qs) - 1);
    uint64_t pa = base + slot * 8 * q.qwords;
    for (unsigned i = 0; i < q.qwords; ++i)
        if (!mem.hw_write64(pa + 8ull * i, entry[i])) return false;
    uint64_t mask = (uint64_t{2} << qs) - 1;
    q.prod = (q.prod & sm::reg::Q_OVFLG.mask()) | ((q.prod + 1) & mask);
    return true;
}

bool Smmuv3Model::irq_pending() const {
    // A global error not yet acknowledged, with its interrupt enabled.
    if ((gerror_ ^ gerrorn_) & sm::reg::GERROR_ERR_MASK &&
        regs_.get(SVAC_SMMU_IRQ_CTRL) & SVAC_SMMU_IRQ_CTRL_GERROR_IRQEN)
        return true;
    if (q_enabled(evtq_) && !q_empty(evtq_)) return true;
    return q_enabled(priq_) && (!q_empty(priq_) || q_overflowing(priq_));
}

void Smmuv3Model::overflow_queue() {
    if (q_enabled(priq_)) q_overflow(priq_);
}

void Smmuv3Model::auto_respond(const PageRequest &req, bool has_pasid, uint8_t code) {
    PageResponse r;
    r.sid = req.sid;
    r.stall = req.stall;
    r.has_pasid = has_pasid;
    r.pasid = has_pasid ? req.pasid : 0;
    r.group = req.group;
    r.code = r.raw = code;
    r.automatic = true;
    responses_.push_back(r);
}

IommuModel::Queued Smmuv3Model::queue_fault(MemoryBus &mem, PageRequest &req) {
    return req.stall ? queue_stall(mem, req) : queue_pri(mem, req);
}

// A stalled transaction: an event record with Stall=1 and a STAG that no
// other stalled transaction holds. One that cannot be recorded is
// terminated (aborted) at once.
IommuModel::Queued Smmuv3Model::queue_stall(MemoryBus &mem, PageRequest &req) {
    namespace ev = sm::evt;
    req.last = true;
    uint32_t event = ev::F_TRANSLATION;
    for (auto it = stall_memos_.rbegin(); it != stall_memos_.rend(); ++it) {
        if (it->sid == req.sid && it->has_pasid == req.has_pasid &&
            (!it->has_pasid || it->pasid == req.pasid) && it->va == req.addr) {
            event = it->event;
            stall_memos_.erase(std::next(it).base());
            break;
        }
    }

    bool tag_free = stalled_.size() <= UINT16_MAX;
    if (tag_free)
        while (stalled_.count(next_stag_)) ++next_stag_;
    uint16_t stag = next_stag_++;
    req.group = stag;
    // SMMU 7.4 keeps a stall record until the queue can take it; the model
    // has no later moment to write it (registers see no memory), so it
    // terminates the transaction instead.
    if (!tag_free || !q_enabled(evtq_) || q_full(evtq_)) {
        auto_respond(req, false, static_cast<uint8_t>(sm::cmd::RESUME_ABORT));
        return Queued::dropped;
    }
    uint64_t rec[4] = {};
    set(rec, ev::EventID, event);
    set(rec, ev::SSV, req.has_pasid);
    set(rec, ev::SubstreamID, req.has_pasid ? req.pasid : 0);
    set(rec, ev::StreamID, req.sid);
    set(rec, ev::STAG, stag);
    set(rec, ev::Stall, 1);
    bool exec = (req.perm & SVAC_FAULT_PERM_EXEC) != 0;
    bool write = !exec && (req.perm & SVAC_FAULT_PERM_WRITE) != 0;
    set(rec, ev::RnW, !write); // an instruction fetch is a read
    set(rec, ev::InD, exec);
    set(rec, ev::PnU, (req.perm & SVAC_FAULT_PERM_PRIV) != 0);
    set(rec, ev::CLASS, ev::CLASS_IN);
    set(rec, ev::InputAddr, req.addr);
    if (!q_write(mem, evtq_, rec)) {
        auto_respond(req, false, static_cast<uint8_t>(sm::cmd::RESUME_ABORT));
        return Queued::dropped;
    }
    stalled_.emplace(stag, req.sid);
    return Queued::queued;
}

// A PCIe page request (SMMU 8, 8.1, 8.2).
IommuModel::Queued Smmuv3Model::queue_pri(MemoryBus &mem, const PageRequest &req) {
    namespace pq = sm::priq;
    bool stop = req.stop_marker();
    // The auto-response of an overflow: Success, with the request's PASID
    // (an SMMU with IDR3.PPS == 1). Stop Markers and Last=0 get none.
    auto overflowed = [&] {
        if (req.last && !stop) auto_respond(req, req.has_pasid, kPciPrgSuccess);
    };
    // PRIQEN == 0 (or a write that aborts): every page request is answered
    // Response Failure, without a PASID; Stop Markers get nothing.
    auto refused = [&] {
        if (!stop) auto_respond(req, false, kPciPrgFailure);
    };
    if (!q_enabled(priq_)) {
        refused();
        return Queued::dropped;
    }
    if (q_overflowing(priq_)) { // an active overflow inhibits new entries
        overflowed();
        return Queued::dropped;
    }
    if (q_full(priq_)) {
        q_overflow(priq_);
        overflowed();
        return Queued::overflow;
    }
    uint64_t e[2] = {};
    set(e, pq::SID, req.sid);
    set(e, pq::SSV, req.has_pasid);
    set(e, pq::SSID, req.has_pasid ? req.pasid : 0);
    set(e, pq::Priv, req.has_pasid && (req.perm & SVAC_FAULT_PERM_PRIV));
    set(e, pq::Exec, req.has_pasid && (req.perm & SVAC_FAULT_PERM_EXEC));
    set(e, pq::Read, (req.perm & SVAC_FAULT_PERM_READ) != 0);
    set(e, pq::Write, (req.perm & SVAC_FAULT_PERM_WRITE) != 0);
    set(e, pq::Last, req.last);
    set(e, pq::PRGIndex, req.group);
    set(e, pq::Addr, req.addr >> kPageShift);
    if (!q_write(mem, priq_, e)) {
        refused();
        return Queued::dropped;
    }
    return Queued::queued;
}

bool Smmuv3Model::record_event(MemoryBus &mem, const DmaRequest &req, const DmaResult &r) {
    namespace ev = sm::evt;
    if (r.event == 0 || !q_enabled(evtq_)) return false;
    if (q_full(evtq_)) { // lost: the overflow condition says so (SMMU 7.4)
        q_overflow(evtq_);
        return false;
    }
    uint64_t rec[4] = {};
    set(rec, ev::EventID, r.event);
    set(rec, ev::SSV, req.has_pasid);
    set(rec, ev::SubstreamID, req.has_pasid ? req.pasid : 0);
    set(rec, ev::StreamID, req.sid);
    if (r.event >= ev::F_TRANSLATION && r.event <= ev::F_PERMISSION) {
        bool write = req.access == kWrite;
        set(rec, ev::RnW, !write);
        set(rec, ev::InD, req.access == kExec);
        set(rec, ev::CLASS, ev::CLASS_IN);
        set(rec, ev::InputAddr, req.va);
        // A stage 2 fault (Config=S2 translate): S2=1 and the IPA.
        auto it = streams_.find(req.sid);
        if (it != streams_.end() && it->second.has_ste &&
            get(it->second.ste.data(), sm::ste::Config) == sm::ste::CONFIG_S2_TRANS) {
            set(rec, ev::S2, 1);
            set(rec, ev::IPA, req.va >> kPageShift);
        }
    }
    return q_write(mem, evtq_, rec);
}

// ---- the walk ----

Smmuv3Model::StreamCache *Smmuv3Model::fetch_ste(const MemoryView &mem, uint32_t sid,
                                                 DmaResult &r) {
    auto it = streams_.find(sid);
    if (it != streams_.end() && it->second.has_ste) return &it->second;
    SteLocation loc = locate_ste(mem, strtab_written_, read_reg(SVAC_SMMU_STRTAB_BASE),
                                 read_reg(SVAC_SMMU_STRTAB_BASE_CFG), sid);
    if (!loc.ok) {
        r = fault(Reason::bad_stream, sm::evt::C_BAD_STREAMID, "C_BAD_STREAMID: " + loc.why);
        return nullptr;
    }
    Words w;
    read_words(mem, loc.ste_pa, w.data(), 8);
    if (!get(w.data(), sm::ste::V)) {
        r = fault(Reason::bad_config, sm::evt::C_BAD_STE,
                  "C_BAD_STE: STE of sid " + std::to_string(sid) + " V=0");
        return nullptr;
    }
    uint64_t config = get(w.data(), sm::ste::Config);
    if (config == sm::ste::CONFIG_NESTED) {
        // Not a fault of the STE: the model does not walk both stages. No
        // event is recorded for it.
        r = fault(Reason::bad_config, 0,
                  "STE of sid " + std::to_string(sid) +
                      " Config=nested (stage 1 + stage 2): not modelled");
        return nullptr;
    }
    if (config == sm::ste::CONFIG_S2_TRANS) {
        S2Config c = s2_config(w.data(), ids_);
        if (!c.illegal.empty()) {
            r = fault(Reason::bad_config, sm::evt::C_BAD_STE,
                      "C_BAD_STE: STE of sid " + std::to_string(sid) + " " + c.illegal);
            return nullptr;
        }
    } else if (config != sm::ste::CONFIG_ABORT && config != sm::ste::CONFIG_BYPASS &&
               config != sm::ste::CONFIG_S1_TRANS) {
        r = fault(Reason::bad_config, sm::evt::C_BAD_STE,
                  "C_BAD_STE: STE of sid " + std::to_string(sid) +
                      " Config=" + std::to_string(config) + " (reserved)");
        return nullptr;
    }
    StreamCache &sc = streams_[sid];
    sc.has_ste = true;
    sc.two_level = loc.two_level;
    sc.l1std = loc.l1std;
    sc.ste_pa = loc.ste_pa;
    sc.ste = w;
    return &sc;
}

const Smmuv3Model::Words *Smmuv3Model::fetch_cd(const MemoryView &mem, uint32_t sid,
                                                StreamCache &sc, uint32_t ssid, DmaResult &r) {
    if (auto it = sc.cd.find(ssid); it != sc.cd.end()) return &it->second;
    const uint64_t *ste = sc.ste.data();
    uint64_t table = get(ste, sm::ste::S1ContextPtr) << sm::ste::S1ContextPtr.lo;
    unsigned split = cd_split(ste);
    uint64_t cd_pa;
    if (split == 0) {
        cd_pa = table + uint64_t{sm::cd::kBytes} * ssid;
    } else {
        uint32_t idx = ssid >> split;
        uint32_t key = l1cd_key(split, idx);
        uint64_t l1;
        if (auto it = sc.l1cd.find(key); it != sc.l1cd.end()) {
            l1 = it->second;
        } else {
            l1 = mem.read64(table + 8ull * idx);
            if (!get(&l1, sm::l1cd::V)) {
                r = fault(Reason::bad_substream, sm::evt::C_BAD_SUBSTREAMID,
                          "C_BAD_SUBSTREAMID: L1CD " + std::to_string(idx) + " of sid " +
                              std::to_string(sid) + " V=0");
                return nullptr;
            }
            sc.l1cd.emplace(key, l1);
        }
        cd_pa = (get(&l1, sm::l1cd::L2Ptr) << sm::l1cd::L2Ptr.lo) +
                uint64_t{sm::cd::kBytes} * (ssid & ((1u << split) - 1));
    }
    Words w;
    read_words(mem, cd_pa, w.data(), 8);
    const uint64_t *cd = w.data();
    std::string bad;
    if (!get(cd, sm::cd::V))
        bad = "V=0";
    else if (!get(cd, sm::cd::AA64))
        bad = "AA64=0";
    else if (!get(cd, sm::cd::EPD0))
        bad = ttb0_illegal(cd);
    if (!bad.empty()) {
        r = fault(Reason::bad_context, sm::evt::C_BAD_CD,
                  "C_BAD_CD: CD of sid " + std::to_string(sid) + " ssid " + std::to_string(ssid) +
                      " " + bad);
        return nullptr;
    }
    return &(sc.cd[ssid] = w);
}

DmaResult Smmuv3Model::dma(const MemoryView &mem, const DmaRequest &req) {
    DmaResult r = walk_dma(mem, req);
    if (r.kind == Kind::page_request && r.event != 0) {
        // A stall (a PRI page request carries no event): its record, written
        // by queue_fault, names the walk's fault.
        if (stall_memos_.size() == kStallMemos) stall_memos_.erase(stall_memos_.begin());
        stall_memos_.push_back(StallMemo{req.sid, req.has_pasid, req.pasid, req.va, r.event});
    } else if (r.kind == Kind::fault) {
        // The harness lends its memory as a MemoryBus; a plain view (tests
        // walking hand-built tables) records nothing.
        if (const auto *bus = dynamic_cast<const MemoryBus *>(&mem))
            record_event(const_cast<MemoryBus &>(*bus), req, r);
    }
    return r;
}

DmaResult Smmuv3Model::walk_dma(const MemoryView &mem, const DmaRequest &req) {
    uint64_t cr0 = read_reg(SVAC_SMMU_CR0);
    if (!get(&cr0, sm::reg::SMMUEN)) return quiet(Reason::disabled, "CR0.SMMUEN=0");

    const Device *dev = req.device;
    bool pri = dev && dev->pri, stall = dev && dev->stall, ats = dev && dev->ats;
    uint32_t tag = req.has_pasid ? req.pasid : kNoSsid;
    uint64_t page = req.va >> kPageShift, offset = req.va & kPageMask;

    // The device's ATC answers before anything reaches the SMMU.
    if (ats && !atc_.empty()) {
        auto it = atc_.find(AtcKey{req.sid, tag, page});
        if (it != atc_.end() && (req.access & ~it->second.perms) == 0)
            return translated(it->second.pa_page | offset, "ATC hit");
    }

    DmaResult r;
    StreamCache *sc = fetch_ste(mem, req.sid, r);
    if (!sc) return r;
    const uint64_t *ste = sc->ste.data();
    uint64_t config = get(ste, sm::ste::Config);
    if (config == sm::ste::CONFIG_ABORT) return quiet(Reason::disabled, "STE Config=abort");
    if (config == sm::ste::CONFIG_BYPASS) {
        // SMMU 5.2 (S1Fmt): with stage 1 disabled, a transaction that supplies a
        // SubstreamID is terminated with C_BAD_SUBSTREAMID.
        if (req.has_pasid)
            return fault(Reason::bad_substream, sm::evt::C_BAD_SUBSTREAMID,
                         "C_BAD_SUBSTREAMID: a SubstreamID with STE Config=bypass");
        return translated(req.va, "STE Config=bypass");
    }

    bool fill_atc = ats && get(ste, sm::ste::EATS) == sm::ste::EATS_TRANS;
    auto done = [&](uint64_t pa, uint8_t perms, std::string why) {
        if (fill_atc) atc_[AtcKey{req.sid, tag, page}] = Translation{pa & ~kPageMask, perms};
        return translated(pa, std::move(why));
    };

    if (config == sm::ste::CONFIG_S2_TRANS) {
        // SMMU 5.2 (S1Fmt): with stage 1 disabled a SubstreamID is C_BAD_SUBSTREAMID.
        if (req.has_pasid)
            return fault(Reason::bad_substream, sm::evt::C_BAD_SUBSTREAMID,
                         "C_BAD_SUBSTREAMID: a SubstreamID with STE Config=S2 translate");
        // Stage 2 only: the IPA is the transaction's address (SMMU 3.x). The
        // model does not cache stage 2 translations (no TLB entry to drop).
        const S2Config c = s2_config(ste, ids_); // legal: fetch_ste checked it
        const uint64_t s2ttb = get(ste, sm::ste::S2TTB) << sm::ste::S2TTB.lo;
        const S2Walk w = walk_s2(mem, s2ttb, req.va, req.access, c, get(ste, sm::ste::S2AFFD));
        if (w.result == S2Walk::Result::ok) return done(w.pa, w.perms, "S2TTB walk");
        Reason reason = Reason::translation;
        uint8_t event = sm::evt::F_TRANSLATION;
        std::string why;
        switch (w.result) {
        case S2Walk::Result::permission:
            reason = Reason::permission;
            event = sm::evt::F_PERMISSION;
            why = "F_PERMISSION: stage 2 mapping allows " + perms_str(w.perms) + ", access " +
                  perms_str(req.access);
            break;
        case S2Walk::Result::access_flag:
            event = sm::evt::F_ACCESS;
            why = "F_ACCESS: stage 2 descriptor at level " + std::to_string(w.level) +
                  " has AF=0 (S2AFFD=0)";
            break;
        case S2Walk::Result::address_size:
            event = sm::evt::F_ADDR_SIZE;
            why = "F_ADDR_SIZE: stage 2 output address at level " + std::to_string(w.level) +
                  " beyond " + std::to_string(c.ps_bits) + " bits (S2PS, OAS)";
            break;
        default:
            why = (req.va >> c.ipa_bits)
                      ? "F_TRANSLATION: IPA " + hex(req.va) + " beyond the " +
                            std::to_string(c.ipa_bits) +
                            "-bit stage 2 input (S2T0SZ=" + std::to_string(64 - c.ipa_bits) + ")"
                      : "F_TRANSLATION: no valid stage 2 descriptor at level " +
                            std::to_string(w.level);
            break;
        }
        if (stall && get(ste, sm::ste::S2S)) {
            DmaResult pr = fault(reason, event, "stall: " + why);
            pr.kind = Kind::page_request;
            return pr;
        }
        if (get(ste, sm::ste::S2R)) return fault(reason, event, why);
        return quiet(reason, why + ", STE.S2R=0");
    }

    auto cdmax = static_cast<unsigned>(get(ste, sm::ste::S1CDMax));
    uint64_t s1dss = get(ste, sm::ste::S1DSS);
    uint32_t ssid = 0;
    if (req.has_pasid) {
        if (cdmax == 0 || (uint64_t{req.pasid} >> cdmax) != 0)
            return fault(Reason::bad_substream, sm::evt::C_BAD_SUBSTREAMID,
                         "C_BAD_SUBSTREAMID: ssid " + std::to_string(req.pasid) +
                             " with S1CDMax=" + std::to_string(cdmax));
        if (req.pasid == 0 && s1dss == sm::ste::S1DSS_SSID0)
            return fault(Reason::bad_substream, sm::evt::C_BAD_SUBSTREAMID,
                         "C_BAD_SUBSTREAMID: ssid 0 with S1DSS=SSID0");
        ssid = req.pasid;
    } else if (cdmax != 0) {
        if (s1dss == sm::ste::S1DSS_BYPASS) return done(req.va, kAllPerms, "S1DSS=bypass");
        if (s1dss != sm::ste::S1DSS_SSID0) // 0b11 is reserved and behaves as terminate
            return fault(Reason::stream_disabled, sm::evt::F_STREAM_DISABLED,
                         "F_STREAM_DISABLED: no PASID with S1DSS=" + std::to_string(s1dss));
    }

    const Words *cdw = fetch_cd(mem, req.sid, *sc, ssid, r);
    if (!cdw) return r;
    const uint64_t *cd = cdw->data();

    Reason reason;
    uint8_t event;
    std::string why;
    // A PRI device asks for the page when a walk finds nothing; with EPD0 there
    // is no walk to retry, so only a stall makes it recoverable (the release CD
    // must abort quietly, docs/hardware-model.md step 7).
    bool pri_recovers = pri;
    if (get(cd, sm::cd::EPD0)) {
        reason = Reason::translation;
        event = sm::evt::F_TRANSLATION;
        why = "CD EPD0=1";
        pri_recovers = false;
    } else {
        uint64_t asid = get(cd, sm::cd::ASID);
        // TTB0 translates 64 - T0SZ bits of VA (fetch_cd kept T0SZ in 16..39).
        const auto va_bits = static_cast<unsigned>(64 - get(cd, sm::cd::T0SZ));
        bool in_range = (req.va >> va_bits) == 0;
        uint64_t key = asid << 48 | page;
        if (in_range) {
            auto it = tlb_.find(key);
            if (it != tlb_.end() && (req.access & ~it->second.perms) == 0)
                return done(it->second.pa_page | offset, it->second.perms, "TLB hit");
        }
        uint64_t ttb0 = get(cd, sm::cd::TTB0) << sm::cd::TTB0.lo;
        Walk w = walk_va_bits(mem, SVAC_PGTABLE_AARCH64_4K, ttb0, req.va, req.access, va_bits);
        if (w.result != Walk::Result::translation && in_range)
            tlb_[key] = Translation{w.pa & ~kPageMask, w.perms};
        if (w.result == Walk::Result::ok) return done(w.pa, w.perms, "TTB0 walk");
        if (w.result == Walk::Result::permission) {
            reason = Reason::permission;
            event = sm::evt::F_PERMISSION;
            why = "mapping allows " + perms_str(w.perms) + ", access " + perms_str(req.access);
        } else {
            reason = Reason::translation;
            event = sm::evt::F_TRANSLATION;
            why = "no valid descriptor at level " + std::to_string(w.level);
        }
    }
    if (pri_recovers) {
        DmaResult pr = quiet(reason, "page request: " + why);
        pr.kind = Kind::page_request;
        return pr;
    }
    if (stall && get(cd, sm::cd::S)) {
        DmaResult pr = fault(reason, event, "stall: " + why);
        pr.kind = Kind::page_request;
        return pr;
    }
    if (get(cd, sm::cd::R))
        return fault(
            reason, event,
            std::string(event == sm::evt::F_PERMISSION ? "F_PERMISSION: " : "F_TRANSLATION: ") +
                why);
    return quiet(reason, why + ", CD.R=0");
}

// ---- dump ----

ModelDump Smmuv3Model::dump(const MemoryView &mem, const Topology &topo) const {
    ModelDump d;
    uint64_t base_reg = read_reg(SVAC_SMMU_STRTAB_BASE), cfg = read_reg(SVAC_SMMU_STRTAB_BASE_CFG);
    std::set<uint64_t> l1std_seen;
    for (uint32_t sid = 0; sid < topo.devices.size(); ++sid) {
        if (topo.devices[sid].iommu != index_) continue;
        SteLocation loc = locate_ste(mem, strtab_written_, base_reg, cfg, sid);
        if (loc.two_level && l1std_seen.insert(loc.l1std_pa).second)
            d.entries.push_back(decode("L1STD", "sid " + std::to_string(sid), loc.l1std_pa,
                                       sm::l1std::kFormat, &loc.l1std));
        if (!loc.ok) continue;
        Words ste;
        read_words(mem, loc.ste_pa, ste.data(), 8);
        d.entries.push_back(
            decode("STE", "sid " + std::to_string(sid), loc.ste_pa, sm::ste::kFormat, ste.data()));
        if (!get(ste.data(), sm::ste::V) ||
            get(ste.data(), sm::ste::Config) != sm::ste::CONFIG_S1_TRANS)
            continue;

        uint64_t table = get(ste.data(), sm::ste::S1ContextPtr) << sm::ste::S1ContextPtr.lo;
        auto cdmax = static_cast<unsigned>(
            std::min<uint64_t>(get(ste.data(), sm::ste::S1CDMax), kSsidBitsMax));
        uint64_t n_ssids = uint64_t{1} << cdmax;
        auto scan_cd = [&](uint64_t pa, uint64_t ssid) {
            uint64_t q0 = mem.read64(pa);
            if (!get(&q0, sm::cd::V)) return;
            Words w;
            read_words(mem, pa, w.data(), 8);
            d.entries.push_back(
                decode("CD", "sid " + std::to_string(sid) + " ssid " + std::to_string(ssid), pa,
                       sm::cd::kFormat, w.data()));
        };
        unsigned split = cd_split(ste.data());
        if (split == 0) {
            for (uint64_t ssid = 0; ssid < std::min<uint64_t>(n_ssids, kCdScanMax); ++ssid)
                scan_cd(table + uint64_t{sm::cd::kBytes} * ssid, ssid);
            continue;
        }
        uint64_t leaf_entries = std::min<uint64_t>(uint64_t{1} << split, n_ssids);
        uint64_t n_l1 = std::max<uint64_t>(1, n_ssids >> split);
        for (uint64_t idx = 0; idx < n_l1; ++idx) {
            uint64_t l1_pa = table + 8 * idx, l1 = mem.read64(l1_pa);
            if (!get(&l1, sm::l1cd::V)) continue;
            d.entries.push_back(decode("L1CD",
                                       "sid " + std::to_string(sid) + " l1 " + std::to_string(idx),
                                       l1_pa, sm::l1cd::kFormat, &l1));
            uint64_t leaf = get(&l1, sm::l1cd::L2Ptr) << sm::l1cd::L2Ptr.lo;
            for (uint64_t j = 0; j < leaf_entries; ++j)
                scan_cd(leaf + uint64_t{sm::cd::kBytes} * j, idx << split | j);
        }
    }

    // Caches, in key order so that a dump is reproducible.
    std::vector<uint32_t> sids;
    for (const auto &kv : streams_) sids.push_back(kv.first);
    std::sort(sids.begin(), sids.end());
    for (uint32_t sid : sids) {
        const StreamCache &sc = streams_.at(sid);
        std::string s = "sid " + std::to_string(sid);
        if (sc.has_ste) {
            const uint64_t *ste = sc.ste.data();
            if (sc.two_level)
                d.caches.push_back("L1STD " + s +
                                   " Span=" + std::to_string(get(&sc.l1std, sm::l1std::Span)) +
                                   " L2Ptr=" + hex(get(&sc.l1std, sm::l1std::L2Ptr) << 6));
            std::string line = "STE " + s + " @" + hex(sc.ste_pa) +
                               " Config=" + std::to_string(get(ste, sm::ste::Config));
            if (get(ste, sm::ste::Config) == sm::ste::CONFIG_S1_TRANS)
                line += " S1Fmt=" + std::to_string(get(ste, sm::ste::S1Fmt)) +
                        " S1ContextPtr=" + hex(get(ste, sm::ste::S1ContextPtr) << 6) +
                        " S1CDMax=" + std::to_string(get(ste, sm::ste::S1CDMax)) +
                        " S1DSS=" + std::to_string(get(ste, sm::ste::S1DSS)) +
                        " EATS=" + std::to_string(get(ste, sm::ste::EATS));
            else if (get(ste, sm::ste::Config) == sm::ste::CONFIG_S2_TRANS)
                line += " S2VMID=" + std::to_string(get(ste, sm::ste::S2VMID)) +
                        " S2TTB=" + hex(get(ste, sm::ste::S2TTB) << sm::ste::S2TTB.lo) +
                        " S2T0SZ=" + std::to_string(get(ste, sm::ste::S2T0SZ)) +
                        " S2SL0=" + std::to_string(get(ste, sm::ste::S2SL0)) +
                        " S2TG=" + std::to_string(get(ste, sm::ste::S2TG)) +
                        " S2PS=" + std::to_string(get(ste, sm::ste::S2PS)) +
                        " S2R=" + std::to_string(get(ste, sm::ste::S2R)) +
                        " EATS=" + std::to_string(get(ste, sm::ste::EATS));
            d.caches.push_back(std::move(line));
        }
        std::vector<uint32_t> keys;
        for (const auto &kv : sc.l1cd) keys.push_back(kv.first);
        std::sort(keys.begin(), keys.end());
        for (uint32_t k : keys) {
            uint64_t l1 = sc.l1cd.at(k);
            d.caches.push_back("L1CD " + s + " l1 " + std::to_string(k >> 1) +
                               ((k & 1) ? " (64K leaves)" : " (4K leaves)") +
                               " L2Ptr=" + hex(get(&l1, sm::l1cd::L2Ptr) << 12));
        }
        keys.clear();
        for (const auto &kv : sc.cd) keys.push_back(kv.first);
        std::sort(keys.begin(), keys.end());
        for (uint32_t ssid : keys) {
            const uint64_t *cd = sc.cd.at(ssid).data();
            d.caches.push_back("CD " + s + " ssid " + std::to_string(ssid) +
                               " ASID=" + std::to_string(get(cd, sm::cd::ASID)) +
                               " TTB0=" + hex(get(cd, sm::cd::TTB0) << 4) +
                               " EPD0=" + std::to_string(get(cd, sm::cd::EPD0)) +
                               " S=" + std::to_string(get(cd, sm::cd::S)) +
                               " R=" + std::to_string(get(cd, sm::cd::R)));
        }
    }
    std::vector<uint64_t> tlb_keys;
    for (const auto &kv : tlb_) tlb_keys.push_back(kv.first);
    std::sort(tlb_keys.begin(), tlb_keys.end());
    for (uint64_t k : tlb_keys) {
        const Translation &t = tlb_.at(k);
        d.caches.push_back("TLB asid " + std::to_string(k >> 48) + " va " +
                           hex((k & ((uint64_t{1} << 48) - 1)) << kPageShift) + " -> " +
                           hex(t.pa_page) + " " + perms_str(t.perms));
    }
    std::vector<AtcKey> atc_keys;
    for (const auto &kv : atc_) atc_keys.push_back(kv.first);
    std::sort(atc_keys.begin(), atc_keys.end(), [](const AtcKey &a, const AtcKey &b) {
        return std::tie(a.sid, a.ssid, a.page) < std::tie(b.sid, b.ssid, b.page);
    });
    for (const AtcKey &k : atc_keys) {
        const Translation &t = atc_.at(k);
        d.caches.push_back("ATC sid " + std::to_string(k.sid) + " ssid " +
                           (k.ssid == kNoSsid ? std::string("-") : std::to_string(k.ssid)) +
                           " va " + hex(k.page << kPageShift) + " -> " + hex(t.pa_page) + " " +
                           perms_str(t.perms));
    }
    return d;
}

// ---- live entries (HW-7) ----

void Smmuv3Model::live_entries(const MemoryView &mem, const Topology &topo,
                               std::span<const uint64_t> pas, bool scan,
                               std::vector<LiveEntry> &out) const {
    using T = LiveEntry::Table;
    uint64_t cr0 = read_reg(SVAC_SMMU_CR0);
    if (pas.empty() || !get(&cr0, sm::reg::SMMUEN)) return;
    LiveEntryCollector found(pas, out);
    uint64_t base_reg = read_reg(SVAC_SMMU_STRTAB_BASE), cfg = read_reg(SVAC_SMMU_STRTAB_BASE_CFG);
    auto split = static_cast<unsigned>(get(&cfg, sm::reg::SPLIT));
    auto cd_at = [](const LiveEntry &v, uint64_t first_ssid) {
        return [&v, first_ssid](uint64_t i) {
            LiveEntry e = v;
            e.table = T::cd;
            e.sub = static_cast<uint32_t>(first_ssid + i);
            return e;
        };
    };
    // Tables at fixed places first; CD leaves are found through their L1
    // tables, which take a scan.
    struct L1Table {
        LiveEntry via;
        uint64_t base, entries, leaf_entries;
        unsigned split;
    };
    std::vector<L1Table> l1s;
    for (uint32_t sid = 0; sid < topo.devices.size(); ++sid) {
        if (topo.devices[sid].iommu != index_) continue;
        SteLocation loc = locate_ste(mem, strtab_written_, base_reg, cfg, sid);
        LiveEntry via; // the walk so far
        via.id = sid;
        if (loc.two_level) {
            found.table(loc.l1std_pa, 1, 8, [&](uint64_t) {
                LiveEntry e = via;
                e.table = T::l1std;
                e.sub = sid >> split;
                return e;
            });
            via.via[via.via_count++] = loc.l1std_pa;
        }
        if (!loc.ok) continue;
        found.table(loc.ste_pa, 1, sm::ste::kBytes, [&](uint64_t) {
            LiveEntry e = via;
            e.table = T::ste;
            return e;
        });
        // Every field that leads on to the CD table is in q0.
        uint64_t q0 = mem.read64(loc.ste_pa);
        if (!get(&q0, sm::ste::V) || get(&q0, sm::ste::Config) != sm::ste::CONFIG_S1_TRANS)
            continue;
        via.via[via.via_count++] = loc.ste_pa;
        uint64_t table = get(&q0, sm::ste::S1ContextPtr) << sm::ste::S1ContextPtr.lo;
        auto cdmax =
            static_cast<unsigned>(std::min<uint64_t>(get(&q0, sm::ste::S1CDMax), kSsidBitsMax));
        uint64_t n_ssids = uint64_t{1} << cdmax;
        unsigned cd_l1_split = cd_split(&q0);
        if (cd_l1_split == 0) {
            found.table(table, n_ssids, sm::cd::kBytes, cd_at(via, 0));
            continue;
        }
        uint64_t n_l1 = std::max<uint64_t>(1, n_ssids >> cd_l1_split);
        found.table(table, n_l1, 8, [&](uint64_t i) {
            LiveEntry e = via;
            e.table = T::l1cd;
            e.sub = static_cast<uint32_t>(i);
            return e;
        });
        l1s.push_back({via, table, n_l1, std::min<uint64_t>(uint64_t{1} << cd_l1_split, n_ssids),
                       cd_l1_split});
    }
    auto offer_leaf = [&](const L1Table &t, uint64_t l1_pa, uint64_t l1) {
        if (!get(&l1, sm::l1cd::V)) return;
        LiveEntry leaf_via = t.via;
        leaf_via.via[leaf_via.via_count++] = l1_pa;
        found.table(get(&l1, sm::l1cd::L2Ptr) << sm::l1cd::L2Ptr.lo, t.leaf_entries, sm::cd::kBytes,
                    cd_at(leaf_via, (l1_pa - t.base) / 8 << t.split));
    };
    // Without a scan: the leaves of the L1CDs asked about.
    for (const L1Table &t : l1s)
        for (uint64_t pa : pas)
            if (pa >= t.base && pa < t.base + 8 * t.entries) offer_leaf(t, pa, mem.read64(pa));
    // The scan reads each L1 table a run of descriptors at a time.
    std::array<uint64_t, 64> run;
    for (const L1Table &t : l1s)
        for (uint64_t idx = 0; scan && idx < t.entries && !found.done(); ++idx) {
            if (idx % run.size() == 0)
                mem.read_range(t.base + 8 * idx, run.data(),
                               std::min<uint64_t>(run.size(), t.entries - idx));
            offer_leaf(t, t.base + 8 * idx, run[idx % run.size()]);
        }
}

std::unique_ptr<IommuModel> make_smmuv3_model(const Iommu &desc, uint32_t index,
                                              const Smmuv3Ids &ids) {
    return std::make_unique<Smmuv3Model>(desc, index, ids);
}

std::unique_ptr<IommuModel> make_smmuv3_model(const Iommu &desc, uint32_t index) {
    return make_smmuv3_model(desc, index, smmuv3_ids(desc, 256, false));
}

} // namespace svac::ref
