// SMMU: what an SVA call leaves in the Arm SMMUv3 tables and command queue
// (clauses SMMU-*; Arm IHI 0070 chapter 5; invariants G3/G4, A1-A7, A13 of
// docs/formal.md),
// for the devices and PASIDs the op touched. SMMU-CMD-3/4 (PRI responses and
// stalls) are not judged here.
//
// The call record keeps stores and commands in two lists, so "followed by"
// means: the covering command was issued in the call and a CMD_SYNC came
// after it in the command list.
#include "reference/detail/table_rule_support.h"
#include "reference/invariants.h"
#include "reference/smmuv3_format.h"
#include "reference/table_rules.h"

#include <algorithm>
#include <array>
#include <span>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

namespace svac::ref {

namespace detail {
using Pairs = std::span<const std::pair<uint32_t, uint32_t>>;
std::optional<Violation> judge_smmu_tables(const Reference &ref, const Op &op, const HwView &hw,
                                           const MemoryView &start, uint32_t iommu,
                                           std::span<const uint32_t> devs, Pairs bonds, Pairs gone,
                                           ClauseCounters *counters);
} // namespace detail

namespace {

namespace sm = smmuv3;
namespace cm = smmuv3::cmd;
using detail::address;
using detail::Pairs;
using detail::read_words;
using detail::show;
using Words = std::array<uint64_t, 8>;

constexpr unsigned kSsidBitsMax = 20;

bool cd_table_ste(const Words &ste) {
    return get(ste.data(), sm::ste::V) &&
           get(ste.data(), sm::ste::Config) == sm::ste::CONFIG_S1_TRANS;
}

unsigned s1cdmax(const Words &ste) {
    return static_cast<unsigned>(std::min<uint64_t>(get(ste.data(), sm::ste::S1CDMax), 31));
}

// The L1 split of the CD table an STE selects (0: linear). S1Fmt 0b11
// behaves as linear; with S1CDMax = 0 there is one CD and S1Fmt is ignored.
unsigned cd_split(const Words &ste) {
    if (s1cdmax(ste) == 0) return 0;
    switch (get(ste.data(), sm::ste::S1Fmt)) {
    case sm::ste::S1FMT_4K_L2:
        return 6;
    case sm::ste::S1FMT_64K_L2:
        return 10;
    default:
        return 0;
    }
}

// ID_AA64MMFR0_EL1.PARANGE / CD.IPS for a physical address size, rounded up.
uint64_t ips_of(uint32_t pa_bits) {
    constexpr uint32_t kSizes[] = {32, 36, 40, 42, 44, 48};
    for (uint64_t i = 0; i < std::size(kSizes); ++i)
        if (pa_bits <= kSizes[i]) return i;
    return 6; // 52 bits
}

struct SteLoc {
    bool ok = false;
    uint64_t pa = 0;
    std::string why;
};

// The stream-table registers of an SMMU, read once per judgement.
struct Strtab {
    uint64_t base_reg, cfg;
    explicit Strtab(const IommuModel &smmu)
        : base_reg(smmu.read_reg(SVAC_SMMU_STRTAB_BASE)),
          cfg(smmu.read_reg(SVAC_SMMU_STRTAB_BASE_CFG)) {}
};

// Where the SMMU finds the STE of sid.
SteLoc locate_ste(const Strtab &st, const MemoryView &mem, uint32_t sid) {
    SteLoc loc;
    const uint64_t cfg = st.cfg;
    const uint64_t base = address(&st.base_reg, sm::reg::STRTAB_ADDR);
    const uint64_t log2size = get(&cfg, sm::reg::LOG2SIZE);
    if (log2size < 32 && (uint64_t{sid} >> log2size) != 0) {
        loc.why = "sid " + std::to_string(sid) +
                  " is beyond STRTAB_BASE_CFG.LOG2SIZE=" + std::to_string(log2size);
        return loc;
    }
    const uint64_t fmt = get(&cfg, sm::reg::FMT);
    if (fmt == sm::reg::FMT_LINEAR) {
        loc.pa = base + uint64_t{sm::ste::kBytes} * sid;
    } else if (fmt == sm::reg::FMT_2LVL) {
        const auto split = static_cast<unsigned>(get(&cfg, sm::reg::SPLIT));
        const uint64_t l1 = mem.read64(base + 8 * (uint64_t{sid} >> split));
        const uint64_t span = get(&l1, sm::l1std::Span);
        const uint64_t idx = sid & ((uint64_t{1} << split) - 1);
        if (span == 0 || span > sm::l1std::kSpanMax || (idx >> (span - 1)) != 0) {
            loc.why = "the L1STD of sid " + std::to_string(sid) +
                      " does not cover it (Span=" + std::to_string(span) + ")";
            return loc;
        }
        loc.pa = address(&l1, sm::l1std::L2Ptr) + uint64_t{sm::ste::kBytes} * idx;
    } else {
        loc.why = "STRTAB_BASE_CFG.FMT=" + std::to_string(fmt) + " is reserved";
        return loc;
    }
    loc.ok = true;
    return loc;
}

struct CdLoc {
    bool ok = false;
    bool two_level = false;
    uint64_t l1_pa = 0, l1 = 0; // two-level: the L1CD
    uint64_t pa = 0;
    std::string why;
};

// Where the SMMU finds the CD of ssid under a CD-table STE.
CdLoc locate_cd(const MemoryView &mem, const Words &ste, uint32_t ssid) {
    CdLoc loc;
    if (!cd_table_ste(ste)) {
        loc.why =
            "the STE is not a CD-table STE (V=" + std::to_string(get(ste.data(), sm::ste::V)) +
            ", Config=" + std::to_string(get(ste.data(), sm::ste::Config)) + ")";
        return loc;
    }
    const uint64_t base = address(ste.data(), sm::ste::S1ContextPtr);
    const unsigned cdmax = s1cdmax(ste);
    if (cdmax > kSsidBitsMax || (uint64_t{ssid} >> cdmax) != 0) {
        loc.why = "ssid " + std::to_string(ssid) +
                  " >= 2^S1CDMax (S1CDMax=" + std::to_string(cdmax) + ")";
        return loc;
    }
    const unsigned split = cd_split(ste);
    if (split == 0) {
        loc.pa = base + uint64_t{sm::cd::kBytes} * ssid;
    } else {
        loc.two_level = true;
        loc.l1_pa = base + 8 * (uint64_t{ssid} >> split);
        loc.l1 = mem.read64(loc.l1_pa);
        if (!get(&loc.l1, sm::l1cd::V)) {
            loc.why = "its L1CD at " + hex(loc.l1_pa) + " has V=0";
            return loc;
        }
        loc.pa = address(&loc.l1, sm::l1cd::L2Ptr) +
                 uint64_t{sm::cd::kBytes} * (ssid & ((uint64_t{1} << split) - 1));
    }
    loc.ok = true;
    return loc;
}

// The commands one SMMU accepted during the call. One before the last
// CMD_SYNC has taken effect when the call returns.
class CmdLog {
public:
    CmdLog(const CallRecord &call, uint32_t iommu) : cmds_(call.commands), iommu_(iommu) {
        for (std::size_t i = 0; i < cmds_.size(); ++i)
            if (accepted(cmds_[i]) && get(cmds_[i].q.data(), cm::Opcode) == cm::SYNC) synced_ = i;
    }
    enum class Found : uint8_t {
        none,
        unsynced, // issued, but no CMD_SYNC after it
        synced
    };
    template <typename Pred> Found find(const Pred &pred) const {
        Found f = Found::none;
        for (std::size_t i = 0; i < cmds_.size(); ++i) {
            if (!accepted(cmds_[i]) || !pred(cmds_[i].q.data())) continue;
            if (i < synced_) return Found::synced;
            f = Found::unsynced;
        }
        return f;
    }

private:
    bool accepted(const Command &c) const {
        return c.iommu == iommu_ && c.rc == 0 && c.qwords == 2;
    }
    const std::vector<Command> &cmds_;
    uint32_t iommu_;
    std::size_t synced_ = 0; // commands [0, synced_) are followed by a CMD_SYNC
};

uint64_t opcode(const uint64_t *q) {
    return get(q, cm::Opcode);
}

// CMD_CFGI_STE_RANGE (CMD_CFGI_ALL with Range=31) over sid.
bool range_covers(const uint64_t *q, uint32_t sid) {
    if (opcode(q) != cm::CFGI_STE_RANGE) return false;
    const uint64_t range = get(q, cm::Range);
    if (range >= cm::CFGI_ALL_RANGE) return true;
    const uint64_t n = uint64_t{2} << range, first = get(q, cm::SID) & ~(n - 1);
    return sid - first < n;
}

// What drops a cached STE, L1CD or CD (docs/hardware-model.md, the cache table).
bool covers_ste(const uint64_t *q, uint32_t sid) {
    return (opcode(q) == cm::CFGI_STE && get(q, cm::SID) == sid) || range_covers(q, sid);
}

bool covers_cd(const uint64_t *q, uint32_t sid, uint32_t ssid) {
    return covers_ste(q, sid) || (opcode(q) == cm::CFGI_CD_ALL && get(q, cm::SID) == sid) ||
           (opcode(q) == cm::CFGI_CD && get(q, cm::SID) == sid && get(q, cm::SSID) == ssid);
}

// A leaf CMD_CFGI_CD need not drop the L1CD: only a non-leaf one does.
bool covers_l1cd(const uint64_t *q, uint32_t sid, unsigned split, uint32_t idx) {
    return covers_ste(q, sid) || (opcode(q) == cm::CFGI_CD_ALL && get(q, cm::SID) == sid) ||
           (opcode(q) == cm::CFGI_CD && get(q, cm::SID) == sid && get(q, cm::Leaf) == 0 &&
            (get(q, cm::SSID) >> split) == idx);
}

bool covers_tlb(const uint64_t *q, uint64_t asid) {
    const uint64_t op = opcode(q);
    return op == cm::TLBI_NH_ALL || op == cm::TLBI_NSNH_ALL ||
           (op == cm::TLBI_NH_ASID && get(q, cm::ASID) == asid);
}

bool covers_atc(const uint64_t *q, uint32_t sid, uint32_t ssid) {
    return opcode(q) == cm::ATC_INV && get(q, cm::SID) == sid &&
           (!get(q, cm::SSV) || get(q, cm::SSID) == ssid) &&
           get(q, cm::Size) >= cm::ATC_INV_SIZE_ALL;
}

// An entry a message names; spelled out only when a rule fails.
struct Where {
    const char *table; // "STE", "CD", "L1CD"
    uint32_t sid;
    uint32_t sub; // CD: the ssid; L1CD: the index
    uint64_t pa;
    std::string str() const {
        std::string s = std::string(table) + " (sid " + std::to_string(sid);
        if (table[0] == 'C') s += ", ssid " + std::to_string(sub);
        if (table[0] == 'L') s += ", index " + std::to_string(sub);
        return s + ") at " + hex(pa);
    }
};

class SmmuRules : detail::RuleChecker {
public:
    SmmuRules(const Reference &ref, const Op &op, const HwView &hw, const MemoryView &start,
              uint32_t iommu, ClauseCounters *counters)
        : RuleChecker(ref, op, hw, start, counters), iommu_(iommu), strtab_(*hw.iommus[iommu]),
          log_(hw.call, iommu) {}

    std::optional<Violation> run(std::span<const uint32_t> devs, Pairs bonds, Pairs gone) {
        if (op_.kind != OpKind::mm_exit)
            for (uint32_t dev : devs) {
                // Under the domain-based contract a master's STE takes its CD
                // table with its first SVA domain (Linux v6.12
                // arm_smmu_set_pasid), not when the feature goes on.
                const bool sva_master = ref_.profile().contract == Contract::domain
                                            ? ref_.device_bonds(dev) > 0
                                            : ref_.sva_enabled(dev);
                if (sva_master) {
                    if (!check_ste(dev)) return v_;
                } else if (op_.kind == OpKind::disable_feature && !ref_.sva_enabled(dev)) {
                    if (!check_disabled_ste(dev)) return v_;
                }
            }
        for (const auto &[dev, mm] : bonds)
            if (!check_bond(dev, mm)) return v_;
        for (const auto &[dev, pasid] : gone)
            if (!check_gone(dev, pasid)) return v_;
        if (!check_stores(devs, bonds, gone)) return v_;
        if (op_.kind == OpKind::mm_exit)
            for (const auto &[dev, mm] : bonds)
                if (!check_teardown(dev, ref_.pasid_of(mm), true)) return v_;
        for (const auto &[dev, pasid] : gone)
            if (!check_teardown(dev, pasid, false)) return v_;
        return v_;
    }

private:
    // The per-entry invariants of f (reference/invariants.cpp) on e: a
    // breach is a finding of the formula's clause, naming the formula.
    bool invariants(const Where &w, const Format &f, const uint64_t *e) {
        auto b = inv::check_entry(f, e);
        return !b || fail(b->formula->clause, w.str() + ": " + b->message());
    }

    // The first n qwords of the CD of (dev, ssid) as memory holds it, if
    // the SMMU can reach it. Every STE field leading to the CD is in q0.
    bool read_cd(const MemoryView &mem, uint32_t dev, uint32_t ssid, Words &cd, CdLoc &cl,
                 unsigned n) const {
        SteLoc sl = locate_ste(strtab_, mem, dev);
        if (!sl.ok) return false;
        cl = locate_cd(mem, read_words<8>(mem, sl.pa, 1), ssid);
        if (!cl.ok) return false;
        cd = read_words<8>(mem, cl.pa, n);
        return true;
    }

    // The L1STD of dev in a two-level stream table, by its invariants (A5).
    bool check_l1std(uint32_t dev) {
        if (get(&strtab_.cfg, sm::reg::FMT) != sm::reg::FMT_2LVL) return true;
        const auto split = static_cast<unsigned>(get(&strtab_.cfg, sm::reg::SPLIT));
        const uint32_t idx = split >= 32 ? 0 : dev >> split;
        const uint64_t pa = address(&strtab_.base_reg, sm::reg::STRTAB_ADDR) + 8 * uint64_t{idx};
        const uint64_t l1 = hw_.mem.read64(pa);
        return invariants(Where{"L1STD", dev, idx, pa}, sm::l1std::kFormat, &l1);
    }

    // SMMU-STE-1: the STE of a master with SVA enabled.
    bool check_ste(uint32_t dev) {
        hit(ClauseId::SMMU_STE_1);
        constexpr ClauseId c = ClauseId::SMMU_STE_1;
        if (!check_l1std(dev)) return false;
        SteLoc sl = locate_ste(strtab_, hw_.mem, dev);
        if (!sl.ok)
            return fail(c, "the STE of SVA master sid " + std::to_string(dev) +
                               " is unreachable: " + sl.why);
        // q2..q7 hold no field an S1 STE uses: they are read for their
        // reserved bits when the call wrote the STE, and judged then.
        const unsigned n = stored_in(sl.pa, sm::ste::kBytes) ? 8 : 2;
        const Words ste = read_words<8>(hw_.mem, sl.pa, n);
        const Where w{"STE", dev, 0, sl.pa};
        const uint64_t *e = ste.data();
        // The STE invariants (reserved bits, S1ContextPtr alignment, ...),
        // then what this master's STE must say.
        if (!invariants(w, sm::ste::kFormat, e) || !expect(untranslated(c), w, e, sm::ste::V, 1) ||
            !expect(untranslated(c), w, e, sm::ste::Config, sm::ste::CONFIG_S1_TRANS,
                    "S1 translate"))
            return false;
        const uint64_t cdmax = get(e, sm::ste::S1CDMax);
        const unsigned ssid_bits =
            std::min<unsigned>(ref_.topology().iommus[iommu_].pasid_bits, kSsidBitsMax);
        if (cdmax > ssid_bits)
            return fail(c, w.str() + ": S1CDMax = " + std::to_string(cdmax) +
                               " exceeds the SMMU's SSID width " + std::to_string(ssid_bits));
        uint32_t lo = 0, hi = 0;
        ref_.effective_range(dev, lo, hi);
        if ((uint64_t{1} << cdmax) <= hi)
            return fail(c, w.str() + ": S1CDMax = " + std::to_string(cdmax) + ": 2^" +
                               std::to_string(cdmax) + " CDs do not cover PASID " +
                               std::to_string(hi) + ", the device's largest");
        const bool linear = (uint64_t{1} << cdmax) <= 1024;
        if (!expect(c, w, e, sm::ste::S1Fmt, linear ? sm::ste::S1FMT_LINEAR : sm::ste::S1FMT_64K_L2,
                    linear ? "linear up to 1024 CDs" : "2-level, 64 KiB leaves, above 1024 CDs"))
            return false;
        const uint64_t s1dss = get(e, sm::ste::S1DSS);
        if (s1dss != sm::ste::S1DSS_BYPASS && s1dss != sm::ste::S1DSS_SSID0)
            return fail(c, w.str() + ": S1DSS = " + std::to_string(s1dss) +
                               ": non-PASID traffic is terminated (expected 1 bypass or 2 SSID0)");
        // ATS is PCIe's: a stall master is a platform device, which takes
        // none whatever its description says (Linux v6.12
        // arm_smmu_ats_supported: dev_is_pci).
        const bool platform_ats = device(dev).ats && device(dev).stall;
        if (!platform_ats &&
            !expect(c, w, e, sm::ste::EATS,
                    device(dev).ats ? sm::ste::EATS_TRANS : sm::ste::EATS_ABORT,
                    device(dev).ats ? "the master has ATS" : "the master has no ATS"))
            return false;
        return check_s1stalld(dev, w, e);
    }

    // S1STALLD against the SMMU's stall model (SMMU 5.2): setting it is
    // ILLEGAL unless stalls are configurable (STALL_MODEL 0b00); then it
    // "must be set" for PCIe clients, and a stalling master needs it clear
    // for its CD.S to take effect.
    bool check_s1stalld(uint32_t dev, const Where &w, const uint64_t *e) {
        if (!smmu_stalls(ref_.topology(), iommu_))
            return expect(ClauseId::SMMU_STE_1, w, e, sm::ste::S1STALLD, 0,
                          "the SMMU has no stall model: 1 is ILLEGAL");
        const bool stalls = device(dev).stall;
        return expect(ClauseId::SMMU_STE_1, w, e, sm::ste::S1STALLD, stalls ? 0 : 1,
                      stalls ? "the master stalls (CD.S=1)"
                             : "the SMMU stalls and the master is a PCIe client");
    }

    // After disable: no PASID translates, and non-PASID traffic stays as it
    // was: identity, or the device's stage-1 RID domain (SMMU-STE-1,
    // SMMU-CD-5).
    bool check_disabled_ste(uint32_t dev) {
        hit(ClauseId::SMMU_STE_1);
        hit(ClauseId::SMMU_CD_5);
        SteLoc sl = locate_ste(strtab_, hw_.mem, dev);
        if (!sl.ok)
            return fail(ClauseId::SMMU_CD_5, "after disable the STE of sid " + std::to_string(dev) +
                                                 " is unreachable (" + sl.why +
                                                 "): non-PASID traffic is not identity");
        const Words ste = read_words<8>(hw_.mem, sl.pa, 2);
        const Where w{"STE", dev, 0, sl.pa};
        if (cd_table_ste(ste) && rid_stage1(dev, ste)) return no_pasid_cd_valid(dev, w);
        if (cd_table_ste(ste) && s1cdmax(ste) != 0)
            return fail(ClauseId::SMMU_STE_1,
                        w.str() +
                            ": still translates PASIDs after SVA was disabled (Config=5, S1CDMax=" +
                            std::to_string(s1cdmax(ste)) + ")");
        if (!get(ste.data(), sm::ste::V) ||
            get(ste.data(), sm::ste::Config) != sm::ste::CONFIG_BYPASS)
            return fail(ClauseId::SMMU_CD_5,
                        w.str() + ": V=" + std::to_string(get(ste.data(), sm::ste::V)) +
                            " Config=" + std::to_string(get(ste.data(), sm::ste::Config)) +
                            " after disable; expected bypass (V=1, Config=4): non-PASID traffic "
                            "must stay identity");
        return true;
    }

    // A paging RID domain at stage 1, as a kernel with the DMA API gives
    // every device (Linux v6.1 iommu_probe_device; arm_smmu_sva_bind needs
    // it): the CD table stays with it, non-PASID traffic goes through its
    // valid CD[0] (S1DSS=SSID0, or the only CD), and SVA's CDs are the others.
    bool rid_stage1(uint32_t dev, const Words &ste) const {
        if (s1cdmax(ste) != 0 && get(ste.data(), sm::ste::S1DSS) != sm::ste::S1DSS_SSID0)
            return false;
        Words cd0{};
        CdLoc cl;
        return read_cd(hw_.mem, dev, 0, cd0, cl, 1) && get(cd0.data(), sm::cd::V);
    }

    // No CD of a PASID the reference knows (an mm's) is valid.
    bool no_pasid_cd_valid(uint32_t dev, const Where &w) {
        for (uint32_t mm = 0; mm < ref_.topology().mms; ++mm) {
            const uint32_t pasid = ref_.pasid_of(mm);
            Words cd{};
            CdLoc cl;
            if (pasid == 0 || !read_cd(hw_.mem, dev, pasid, cd, cl, 1)) continue;
            if (get(cd.data(), sm::cd::V))
                return fail(ClauseId::SMMU_STE_1,
                            w.str() + ": the CD of PASID " + std::to_string(pasid) + " (mm " +
                                std::to_string(mm) + ") is still valid after SVA was disabled");
        }
        return true;
    }

    // The CD of a live bond: SMMU-CD-4 on the way, then SMMU-ASID-1 and
    // SMMU-CD-1, or SMMU-CD-2 once the mm exited.
    bool check_bond(uint32_t dev, uint32_t mm) {
        const uint32_t pasid = ref_.pasid_of(mm);
        if (pasid == 0 || mm >= hw_.mms.size()) return true;
        const bool exited = ref_.mm_exited(mm);
        const ClauseId c = exited ? ClauseId::SMMU_CD_2 : ClauseId::SMMU_CD_1;
        auto what = [&] {
            return "the CD of bound PASID " + std::to_string(pasid) + " (sid " +
                   std::to_string(dev) + ", mm " + std::to_string(mm) + ")";
        };
        SteLoc sl = locate_ste(strtab_, hw_.mem, dev);
        if (!sl.ok) return fail(untranslated(c), what() + " is unreachable: " + sl.why);
        const Words ste = read_words<8>(hw_.mem, sl.pa, 1);
        CdLoc cl = locate_cd(hw_.mem, ste, pasid);
        if (cl.two_level) {
            hit(ClauseId::SMMU_CD_4);
            const Where l1{"L1CD", dev, pasid >> cd_split(ste), cl.l1_pa};
            if (!get(&cl.l1, sm::l1cd::V))
                return fail(ClauseId::SMMU_CD_4, l1.str() + ": V=0, but its leaf holds " + what() +
                                                     " (L1CD " + hex(cl.l1) + ")");
            if (!invariants(l1, sm::l1cd::kFormat, &cl.l1)) return false;
        }
        if (!cl.ok) return fail(untranslated(c), what() + " is unreachable: " + cl.why);
        // q4..q7 hold nothing an SVA CD sets: they are read for their
        // reserved bits when the call wrote the CD, and judged then.
        const unsigned n = stored_in(cl.pa, sm::cd::kBytes) ? 8 : 4;
        const Words cd = read_words<8>(hw_.mem, cl.pa, n);
        const Where w{"CD", dev, pasid, cl.pa};
        if (exited) return check_release_cd(w, cd);
        if (ref_.profile().contract == Contract::domain) {
            if (!check_domain_asid(dev, mm, w, cd)) return false;
        } else if (!check_asid(dev, mm, w, cd)) {
            return false;
        }
        return check_sva_cd(dev, mm, w, cd);
    }

    // SMMU-CD-1: the CD shares the mm's page table the way the CPU walks it.
    bool check_sva_cd(uint32_t dev, uint32_t mm, const Where &w, const Words &cd) {
        hit(ClauseId::SMMU_CD_1);
        constexpr ClauseId c = ClauseId::SMMU_CD_1;
        const svac_mm_info &info = hw_.mms[mm];
        const uint64_t *e = cd.data();
        namespace f = sm::cd;
        if (!expect(untranslated(c), w, e, f::V, 1) || !invariants(w, f::kFormat, e)) return false;
        if (ref_.profile().contract != Contract::domain &&
            !expect(c, w, e, f::ASID, info.asid, "the mm's ASID, shared with the CPU"))
            return false;
        if (address(e, f::TTB0) != info.pgd)
            return fail(c, w.str() + ": TTB0 = " + hex(address(e, f::TTB0)) +
                               ", expected the mm's page-table root " + hex(info.pgd));
        const bool stall = device(dev).stall;
        // ASET: an SVA domain's private ASID (linux-6.12 on) is not the PEs'
        // (ASET=1). Sharing the CPU's ASID, Linux wrote ASET=0, the set the
        // PEs' broadcast TLBIs reach (v6.1 arm_smmu_write_ctx_desc), and an
        // SMMU without BTM, as modelled, takes none either way.
        const bool private_asid = ref_.profile().contract == Contract::domain;
        if (!expect(c, w, e, f::AA64, 1) || !expect(c, w, e, f::EPD0, 0) ||
            !expect(c, w, e, f::EPD1, 1) || !expect(c, w, e, f::R, 1) ||
            !expect(c, w, e, f::A, 1) || (private_asid && !expect(c, w, e, f::ASET, 1)) ||
            !expect(c, w, e, f::S, stall ? 1 : 0,
                    stall ? "the master stalls" : "the master does not stall") ||
            !expect(c, w, e, f::T0SZ, 64 - uint64_t{info.va_bits}, "64 - VA bits") ||
            !expect(c, w, e, f::TG0, f::TG0_4K, "4 KiB granule") ||
            !expect(c, w, e, f::IR0, 1, "WBWA") || !expect(c, w, e, f::OR0, 1, "WBWA") ||
            !expect(c, w, e, f::SH0, 3, "inner shareable") ||
            !expect(c, w, e, f::IPS, ips_of(info.pa_bits), "the CPU's PA range"))
            return false;
        if (cd[3] != info.mair)
            return fail(c, w.str() + ": MAIR (q3) = " + hex(cd[3]) + ", expected the CPU's " +
                               hex(info.mair));
        return true;
    }

    // SMMU-CD-2: DMA with the PASID of an exited mm aborts quietly.
    bool check_release_cd(const Where &w, const Words &cd) {
        hit(ClauseId::SMMU_CD_2);
        constexpr ClauseId c = ClauseId::SMMU_CD_2;
        const char *why = "the release CD after mm exit";
        return expect(c, w, cd.data(), sm::cd::V, 1, why) &&
               expect(c, w, cd.data(), sm::cd::EPD0, 1, why) &&
               expect(c, w, cd.data(), sm::cd::S, 0, why) &&
               expect(c, w, cd.data(), sm::cd::R, 0, why);
    }

    // SMMU-ASID-1 for the CD of (dev, mm) against the CDs of every live bond
    // on this SMMU that may share its ASID: those of mms with that CPU ASID.
    // (Any other CD with that ASID would have failed SMMU-CD-1 when written.)
    // The rule itself is the pair formula smmuv3.cd.asid-regime (A7).
    bool check_asid(uint32_t dev, uint32_t mm, const Where &w, const Words &cd) {
        hit(ClauseId::SMMU_ASID_1);
        const uint64_t asid = get(cd.data(), sm::cd::ASID);
        const Topology &topo = ref_.topology();
        for (uint32_t mm2 = 0; mm2 < topo.mms && mm2 < hw_.mms.size(); ++mm2) {
            if (mm2 != mm && hw_.mms[mm2].asid != asid) continue;
            const uint32_t pasid2 = ref_.pasid_of(mm2);
            if (pasid2 == 0 || ref_.mm_exited(mm2)) continue;
            for (uint32_t dev2 = 0; dev2 < topo.devices.size(); ++dev2) {
                if (topo.devices[dev2].iommu != iommu_ || (dev2 == dev && mm2 == mm) ||
                    ref_.bond_refs(dev2, mm2) == 0)
                    continue;
                Words other{};
                CdLoc cl;
                if (!read_cd(hw_.mem, dev2, pasid2, other, cl, 4)) continue;
                if (auto b = inv::check_pair(sm::cd::kFormat, cd.data(), other.data()))
                    return fail(b->formula->clause, w.str() + " and " +
                                                        Where{"CD", dev2, pasid2, cl.pa}.str() +
                                                        ": " + b->message());
            }
        }
        return true;
    }

    // SMMU-ASID-2 (linux-6.12 on): the CD's ASID is its SVA domain's: never
    // 0, held by no other mm's CD on this SMMU, and (DOMAIN-1: one domain per
    // mm and IOMMU) the same in every CD of the mm here.
    bool check_domain_asid(uint32_t dev, uint32_t mm, const Where &w, const Words &cd) {
        hit(ClauseId::SMMU_ASID_2);
        hit(ClauseId::DOMAIN_1);
        const uint64_t asid = get(cd.data(), sm::cd::ASID);
        if (asid == 0)
            return fail(ClauseId::SMMU_ASID_2,
                        w.str() + ": ASID 0 (an SVA domain's ASID is never 0)");
        const Topology &topo = ref_.topology();
        for (uint32_t mm2 = 0; mm2 < topo.mms; ++mm2) {
            const uint32_t pasid2 = ref_.pasid_of(mm2);
            if (pasid2 == 0) continue;
            for (uint32_t dev2 = 0; dev2 < topo.devices.size(); ++dev2) {
                if (topo.devices[dev2].iommu != iommu_ || (dev2 == dev && mm2 == mm) ||
                    ref_.bond_refs(dev2, mm2) == 0)
                    continue;
                Words other{};
                CdLoc cl;
                if (!read_cd(hw_.mem, dev2, pasid2, other, cl, 1) || !get(other.data(), sm::cd::V))
                    continue;
                const uint64_t asid2 = get(other.data(), sm::cd::ASID);
                const std::string there = Where{"CD", dev2, pasid2, cl.pa}.str();
                if (mm2 == mm && asid2 == asid) { // one domain: one regime (SMMU-ASID-1)
                    hit(ClauseId::SMMU_ASID_1);
                    if (!read_cd(hw_.mem, dev2, pasid2, other, cl, 4)) continue;
                    if (auto b = inv::check_pair(sm::cd::kFormat, cd.data(), other.data()))
                        return fail(b->formula->clause,
                                    w.str() + " and " + there + ": " + b->message());
                }
                if (mm2 == mm && asid2 != asid && ref_.sva_domains_of(mm, iommu_) < 2)
                    return fail(ClauseId::DOMAIN_1, w.str() + ": ASID " + std::to_string(asid) +
                                                        ", " + there + " of the same mm: ASID " +
                                                        std::to_string(asid2) +
                                                        " (two SVA domains of mm " +
                                                        std::to_string(mm) + " on this SMMU)");
                if (mm2 != mm && asid2 == asid)
                    return fail(ClauseId::SMMU_ASID_2, w.str() + ": ASID " + std::to_string(asid) +
                                                           ", also that of " + there + " (mm " +
                                                           std::to_string(mm2) +
                                                           "): an SVA domain's ASID is its own");
            }
        }
        return true;
    }

    // SMMU-CD-3: after the last unbind the PASID's CD is invalid.
    bool check_gone(uint32_t dev, uint32_t pasid) {
        SteLoc sl = locate_ste(strtab_, hw_.mem, dev);
        if (!sl.ok) return true;
        const Words ste = read_words<8>(hw_.mem, sl.pa, 1);
        if (!cd_table_ste(ste)) return true; // no CD table: nothing translates
        hit(ClauseId::SMMU_CD_3);
        CdLoc cl = locate_cd(hw_.mem, ste, pasid);
        if (!cl.ok) return true; // unreachable (L1CD invalid or beyond S1CDMax)
        const uint64_t q0 = hw_.mem.read64(cl.pa);
        if (get(&q0, sm::cd::V))
            return fail(ClauseId::SMMU_CD_3, Where{"CD", dev, pasid, cl.pa}.str() +
                                                 ": V=1 after the last unbind of PASID " +
                                                 std::to_string(pasid) +
                                                 " on this master; expected an invalid CD (V=0)");
        return true;
    }

    // An entry the call changed, by what must invalidate it.
    enum class Kind : uint8_t {
        ste,
        l1cd,
        cd
    };
    struct Changed {
        Kind kind;
        uint32_t sid;
        uint32_t sub; // CD: ssid; L1CD: index
        unsigned split;
        uint64_t pa; // a store that changed it
        auto key() const { return std::tuple(kind, sid, sub); }
    };

    // Before linux-6.12 an SVA CD shares the CPU's ASID. When the mm's ASID
    // is the one a private domain holds, the driver moves that domain to a
    // fresh ASID (v6.1 arm-smmu-v3-sva.c arm_smmu_share_asid): CD[0] is
    // rewritten with only its ASID changed, and the old ASID, now the mm's,
    // is invalidated (CMD_TLBI_NH_ASID then CMD_SYNC) before any CD uses it.
    // The non-PASID path translates as before.
    bool cd0_asid_moved(const Changed &e) const {
        if (ref_.profile().contract == Contract::domain) return false;
        const uint64_t base = e.pa & ~uint64_t{sm::cd::kBytes - 1};
        Words before = read_words<8>(start_, base, 8), after = read_words<8>(hw_.mem, base, 8);
        const uint64_t old_asid = get(before.data(), sm::cd::ASID);
        if (!get(before.data(), sm::cd::V) || old_asid == get(after.data(), sm::cd::ASID))
            return false;
        set(before.data(), sm::cd::ASID, 0);
        set(after.data(), sm::cd::ASID, 0);
        if (before != after) return false;
        return log_.find([&](const uint64_t *q) { return covers_tlb(q, old_asid); }) ==
               CmdLog::Found::synced;
    }

    // Buffers reused between judgements, so that judging allocates nothing
    // once warm.
    struct Scratch {
        std::vector<const Store *> changed;
        std::vector<Changed> entries;
        std::vector<uint32_t> ssids;
        std::vector<uint64_t> leaves;
    };
    static Scratch &scratch() {
        thread_local Scratch s;
        return s;
    }

    // The entries of master dev that changed stores landed in, under the
    // tables memory view `mem` shows: its STE and, when `full`, every CD and
    // L1CD it can reach through the L1CDs of `ssids` and of changed L1CDs;
    // otherwise only CD[0]. True if a store changed what leads to the CDs
    // (STE q0, an L1CD, a two-level stream table), so that the tables as
    // the call found them may differ.
    bool classify(const MemoryView &mem, uint32_t dev, bool full, Scratch &x) const {
        SteLoc sl = locate_ste(strtab_, mem, dev);
        if (!sl.ok) return false;
        bool moved = get(&strtab_.cfg, sm::reg::FMT) != sm::reg::FMT_LINEAR;
        for (const Store *s : x.changed)
            if (s->pa - sl.pa < sm::ste::kBytes) {
                x.entries.push_back({Kind::ste, dev, 0, 0, s->pa});
                moved |= s->pa == sl.pa;
            }
        Words ste{}; // every field leading on to the CD table is in q0
        ste[0] = mem.read64(sl.pa);
        if (!cd_table_ste(ste)) return moved;
        const uint64_t base = address(ste.data(), sm::ste::S1ContextPtr);
        const uint64_t n_ssids = uint64_t{1} << std::min(s1cdmax(ste), kSsidBitsMax);
        auto cds = [&](uint64_t table, uint64_t first, uint64_t n) {
            for (const Store *s : x.changed) {
                if (s->pa - table >= n * sm::cd::kBytes) continue;
                auto ssid = static_cast<uint32_t>(first + (s->pa - table) / sm::cd::kBytes);
                if (full || ssid == 0) x.entries.push_back({Kind::cd, dev, ssid, 0, s->pa});
            }
        };
        const unsigned split = cd_split(ste);
        if (split == 0) {
            cds(base, 0, n_ssids);
            return moved;
        }
        const uint64_t n_l1 = std::max<uint64_t>(1, n_ssids >> split);
        x.leaves.assign(1, 0);
        if (full)
            for (uint32_t ssid : x.ssids) x.leaves.push_back(ssid >> split);
        for (const Store *s : x.changed) {
            if (s->pa - base >= 8 * n_l1) continue;
            uint64_t idx = (s->pa - base) / 8;
            x.leaves.push_back(idx);
            moved = true;
            if (full)
                x.entries.push_back({Kind::l1cd, dev, static_cast<uint32_t>(idx), split, s->pa});
        }
        std::sort(x.leaves.begin(), x.leaves.end());
        x.leaves.erase(std::unique(x.leaves.begin(), x.leaves.end()), x.leaves.end());
        for (uint64_t idx : x.leaves) {
            if (idx >= n_l1) continue;
            const uint64_t l1 = mem.read64(base + 8 * idx);
            if (get(&l1, sm::l1cd::V))
                cds(address(&l1, sm::l1cd::L2Ptr), idx << split,
                    std::min(uint64_t{1} << split, n_ssids));
        }
        return moved;
    }

    // SMMU-CD-5 (no store changes CD[0] of any master), SMMU-CMD-1 (every
    // changed STE and CD is invalidated, then synced) and the L1CD part of
    // SMMU-CD-4 (a changed L1CD takes a non-leaf invalidation).
    bool check_stores(std::span<const uint32_t> devs, Pairs bonds, Pairs gone) {
        Scratch &x = scratch();
        x.changed.clear();
        x.entries.clear();
        for (const Store &s : hw_.call.stores)
            if (s.old_val != s.new_val) x.changed.push_back(&s);
        if (x.changed.empty()) return true;
        const Topology &topo = ref_.topology();
        for (uint32_t dev = 0; dev < topo.devices.size(); ++dev) {
            if (topo.devices[dev].iommu != iommu_) continue;
            const bool full = std::find(devs.begin(), devs.end(), dev) != devs.end();
            x.ssids.clear();
            if (full) {
                for (const auto &[d, mm] : bonds)
                    if (d == dev) x.ssids.push_back(ref_.pasid_of(mm));
                for (const auto &[d, pasid] : gone)
                    if (d == dev) x.ssids.push_back(pasid);
            }
            if (classify(hw_.mem, dev, full, x)) classify(start_, dev, full, x);
        }
        std::stable_sort(x.entries.begin(), x.entries.end(),
                         [](const Changed &a, const Changed &b) { return a.key() < b.key(); });
        x.entries.erase(
            std::unique(x.entries.begin(), x.entries.end(),
                        [](const Changed &a, const Changed &b) { return a.key() == b.key(); }),
            x.entries.end());
        // Without feature calls (linux-6.16) there is no disable to judge
        // the non-PASID path at: every call that changed entries is.
        if (!ref_.profile().feature_api && !x.entries.empty()) hit(ClauseId::SMMU_CD_5);
        for (const Changed &e : x.entries) {
            if (e.kind != Kind::cd || e.sub != 0) continue;
            hit(ClauseId::SMMU_CD_5);
            if (cd0_asid_moved(e)) continue;
            return fail(ClauseId::SMMU_CD_5, "the call changed CD[0] of sid " +
                                                 std::to_string(e.sid) + " (a store to " +
                                                 hex(e.pa) + "): SVA operations never touch CD[0]");
        }
        for (const Changed &e : x.entries) {
            const uint32_t sid = e.sid, sub = e.sub;
            const unsigned split = e.split;
            CmdLog::Found found;
            ClauseId c = ClauseId::SMMU_CMD_1;
            if (e.kind == Kind::ste) {
                found = log_.find([&](const uint64_t *q) { return covers_ste(q, sid); });
            } else if (e.kind == Kind::cd) {
                found = log_.find([&](const uint64_t *q) { return covers_cd(q, sid, sub); });
            } else {
                c = ClauseId::SMMU_CD_4;
                found =
                    log_.find([&](const uint64_t *q) { return covers_l1cd(q, sid, split, sub); });
            }
            hit(c);
            if (found == CmdLog::Found::synced) continue;
            std::string entry =
                e.kind == Kind::ste ? "STE (sid " + std::to_string(sid) + ")"
                : e.kind == Kind::cd
                    ? "CD (sid " + std::to_string(sid) + ", ssid " + std::to_string(sub) + ")"
                    : "L1CD (sid " + std::to_string(sid) + ", index " + std::to_string(sub) + ")";
            std::string cmd = e.kind == Kind::ste ? "CMD_CFGI_STE (sid " + std::to_string(sid) + ")"
                              : e.kind == Kind::cd
                                  ? "CMD_CFGI_CD (sid " + std::to_string(sid) + ", ssid " +
                                        std::to_string(sub) + ")"
                                  : "non-leaf CMD_CFGI_CD (sid " + std::to_string(sid) +
                                        ", an ssid of index " + std::to_string(sub) + ")";
            const std::string due = cmd + " (or a wider CFGI), then CMD_SYNC";
            if (found == CmdLog::Found::none)
                return fail(c,
                            entry + " changed (a store to " + hex(e.pa) + ") but no " + cmd +
                                " (or a wider CFGI) was issued in the call",
                            due);
            return fail(c,
                        entry + " changed (a store to " + hex(e.pa) + "): " + cmd +
                            " was issued but no CMD_SYNC followed it",
                        due);
        }
        return true;
    }

    // Could the master's ATC hold translations: its STE, when the op began,
    // let it use ATS (EATS)? A platform master's never does.
    bool ats_on(uint32_t dev) const {
        SteLoc sl = locate_ste(strtab_, start_, dev);
        if (!sl.ok) return false;
        const Words ste = read_words<8>(start_, sl.pa, 2);
        return get(ste.data(), sm::ste::EATS) != sm::ste::EATS_ABORT;
    }

    // Under the domain-based contract: does the SVA domain at (dev, pasid)
    // stay attached to another master of this SMMU after the op?
    bool domain_still_attached(uint32_t dev, uint32_t pasid) const {
        if (ref_.profile().contract != Contract::domain) return false;
        const Topology &t = ref_.topology();
        for (uint32_t mm = 0; mm < t.mms; ++mm) {
            if (ref_.pasid_of(mm) != pasid) continue;
            for (uint32_t other = 0; other < t.devices.size(); ++other)
                if (other != dev && t.devices[other].iommu == iommu_ &&
                    ref_.bond_refs(other, mm) > 0)
                    return true;
        }
        return false;
    }

    // SMMU-CMD-2: a CD that translated (or, at unbind, was valid) when the
    // call began and stopped: its ASID's TLB entries and, with ATS, the
    // master's ATC entries for the PASID are invalidated, then synced.
    bool check_teardown(uint32_t dev, uint32_t pasid, bool at_exit) {
        if (pasid == 0) return true;
        Words cd{};
        CdLoc cl;
        if (!read_cd(start_, dev, pasid, cd, cl, 1)) return true;
        if (!get(cd.data(), sm::cd::V) || (at_exit && get(cd.data(), sm::cd::EPD0))) return true;
        hit(ClauseId::SMMU_CMD_2);
        const uint64_t asid = get(cd.data(), sm::cd::ASID);
        auto what = [&] {
            return "the CD (sid " + std::to_string(dev) + ", ssid " + std::to_string(pasid) +
                   ") stopped translating ";
        };
        const std::string tlbi = "CMD_TLBI_NH_ASID (asid " + std::to_string(asid) + ")";
        const std::string atc = "CMD_ATC_INV (sid " + std::to_string(dev) + ", ssid " +
                                std::to_string(pasid) + ", all addresses)";
        const std::string due =
            tlbi + (device(dev).ats ? ", " + atc + " (an ATS master)" : std::string()) +
            ", then CMD_SYNC";
        auto found = log_.find([asid](const uint64_t *q) { return covers_tlb(q, asid); });
        // An SVA domain's ASID outlives a detach while the domain stays
        // attached to another master: the TLB entries under it are still
        // that master's, and the detached master cannot reach them once its
        // CD is gone (Linux v6.12 arm_smmu_remove_dev_pasid: CFGI_CD, ATC).
        const bool asid_lives_on = !at_exit && domain_still_attached(dev, pasid);
        if (found == CmdLog::Found::none && !asid_lives_on)
            return fail(ClauseId::SMMU_CMD_2, what() + "but no " + tlbi + " was issued", due);
        if (found == CmdLog::Found::unsynced)
            return fail(ClauseId::SMMU_CMD_2, what() + "but no CMD_SYNC followed " + tlbi, due);
        if (!device(dev).ats || !ats_on(dev)) return true;
        found = log_.find([dev, pasid](const uint64_t *q) { return covers_atc(q, dev, pasid); });
        if (found == CmdLog::Found::none)
            return fail(ClauseId::SMMU_CMD_2,
                        what() + "but no " + atc + " was issued for the ATS master", due);
        if (found == CmdLog::Found::unsynced)
            return fail(ClauseId::SMMU_CMD_2,
                        what() + "but no CMD_SYNC followed CMD_ATC_INV (sid " +
                            std::to_string(dev) + ", ssid " + std::to_string(pasid) + ")",
                        due);
        return true;
    }

    uint32_t iommu_;
    const Strtab strtab_;
    const CmdLog log_;
};

} // namespace

std::optional<Violation> detail::judge_smmu_tables(const Reference &ref, const Op &op,
                                                   const HwView &hw, const MemoryView &start,
                                                   uint32_t iommu, std::span<const uint32_t> devs,
                                                   Pairs bonds, Pairs gone,
                                                   ClauseCounters *counters) {
    if (iommu >= hw.iommus.size() || !hw.iommus[iommu]) return std::nullopt;
    return SmmuRules(ref, op, hw, start, iommu, counters).run(devs, bonds, gone);
}

} // namespace svac::ref
