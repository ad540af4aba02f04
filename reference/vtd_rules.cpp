// VTD: what an SVA call leaves in the Intel VT-d scalable-mode tables and
// invalidation queue (clauses VTD-* of reference/clauses.def; VT-d chapter 9,
// invariants G3/G4, I1-I3, I6, I8 of docs/formal.md), for the devices and PASIDs the op touched.
// VTD-PRQ-1 (page group responses) is not judged here, nor the order of the
// PASID entry's stores (P set last: HW-7).
//
// The call record keeps stores and descriptors in two lists, so "then a
// wait" means: a wait descriptor came after the invalidation in the list.
#include "reference/detail/table_rule_support.h"
#include "reference/invariants.h"
#include "reference/pagetable.h"
#include "reference/table_rules.h"
#include "reference/vtd_format.h"

#include <algorithm>
#include <array>
#include <span>
#include <string>
#include <utility>
#include <vector>

namespace svac::ref {

namespace detail {
using Pairs = std::span<const std::pair<uint32_t, uint32_t>>;
std::optional<Violation> judge_vtd_tables(const Reference &ref, const Op &op, const HwView &hw,
                                          const MemoryView &start, uint32_t iommu,
                                          std::span<const uint32_t> devs, Pairs bonds, Pairs gone,
                                          ClauseCounters *counters);
} // namespace detail

namespace {

namespace v = vtd;
using detail::address;
using detail::Pairs;
using detail::read_words;
using Ctx = std::array<uint64_t, 4>;
using Entry = std::array<uint64_t, 8>;

struct CtxLoc {
    bool ok = false;
    uint64_t pa = 0;
    std::string why;
};

// Where the IOMMU finds the scalable-mode context entry of rid.
CtxLoc locate_context(const IommuModel &iommu, const MemoryView &mem, uint32_t rid) {
    CtxLoc loc;
    const uint64_t rtaddr = iommu.read_reg(SVAC_VTD_RTADDR);
    if (get(&rtaddr, v::rtaddr::TTM) != v::rtaddr::kTtmScalable) {
        loc.why =
            "RTADDR.TTM=" + std::to_string(get(&rtaddr, v::rtaddr::TTM)) + " is not scalable mode";
        return loc;
    }
    if (rid > 0xffff) {
        loc.why = "requester ID " + std::to_string(rid) + " out of range";
        return loc;
    }
    const uint32_t bus = rid >> 8, devfn = rid & 0xff;
    const bool upper = devfn >= 0x80;
    const uint64_t root_pa = address(&rtaddr, v::rtaddr::RTA) + v::root::kBytes * bus;
    const auto re = read_words<2>(mem, root_pa);
    if (!get(re.data(), upper ? v::root::UP : v::root::LP)) {
        loc.why = "root entry (bus " + std::to_string(bus) + ") at " + hex(root_pa) + ": " +
                  (upper ? "UP" : "LP") + "=0";
        return loc;
    }
    loc.pa = address(re.data(), upper ? v::root::UCTP : v::root::LCTP) +
             v::context::kBytes * (devfn & 0x7f);
    loc.ok = true;
    return loc;
}

struct PeLoc {
    bool ok = false;
    uint64_t dir_entries = 0;
    uint64_t pde_pa = 0, pde = 0;
    uint64_t pa = 0;
    std::string why;
};

// Where the IOMMU finds the PASID entry of pasid under a context entry.
PeLoc locate_pasid_entry(const MemoryView &mem, const Ctx &ctx, uint32_t pasid) {
    PeLoc loc;
    const uint64_t dir = address(ctx.data(), v::context::PASIDDIRPTR);
    loc.dir_entries = uint64_t{1} << (get(ctx.data(), v::context::PDTS) + 7);
    const uint64_t idx = pasid >> v::pde::kPasidShift;
    if (idx >= loc.dir_entries) {
        loc.why = "its directory index " + std::to_string(idx) +
                  " >= 2^(PDTS+7) = " + std::to_string(loc.dir_entries);
        return loc;
    }
    loc.pde_pa = dir + v::pde::kBytes * idx;
    loc.pde = mem.read64(loc.pde_pa);
    if (!get(&loc.pde, v::pde::P)) {
        loc.why = "its PASID directory entry at " + hex(loc.pde_pa) + " has P=0";
        return loc;
    }
    loc.pa = address(&loc.pde, v::pde::PTPTR) +
             v::pasid_entry::kBytes * (pasid & (v::pasid_entry::kPerTable - 1));
    loc.ok = true;
    return loc;
}

// The descriptors one IOMMU accepted during the call. One before the last
// invalidation wait descriptor has completed when the call returns.
class DescLog {
public:
    DescLog(const CallRecord &call, uint32_t iommu) : descs_(call.commands), iommu_(iommu) {
        for (std::size_t i = 0; i < descs_.size(); ++i)
            if (accepted(descs_[i]) && type(descs_[i].q.data()) == v::inv_wait::kType) waited_ = i;
    }
    static uint64_t type(const uint64_t *d) {
        return get(d, v::inv_cc::Type) | get(d, v::kTypeHi) << 4;
    }
    enum class Found : uint8_t {
        none,
        unwaited, // issued, but no wait descriptor after it
        waited
    };
    template <typename Pred> Found find(const Pred &pred) const {
        Found f = Found::none;
        for (std::size_t i = 0; i < descs_.size(); ++i) {
            if (!accepted(descs_[i]) || !pred(descs_[i].q.data())) continue;
            if (i < waited_) return Found::waited;
            f = Found::unwaited;
        }
        return f;
    }
    template <typename Fn> bool each(const Fn &fn) const {
        for (const Command &c : descs_)
            if (accepted(c) && !fn(c.q.data())) return false;
        return true;
    }

private:
    bool accepted(const Command &c) const {
        return c.iommu == iommu_ && c.rc == 0 && c.qwords == v::kDescQwords;
    }
    const std::vector<Command> &descs_;
    uint32_t iommu_;
    std::size_t waited_ = 0; // descriptors [0, waited_) are followed by a wait
};

// A PCIe ATS invalidation (ADDR, S) of every address: S=1 and ADDR[62:12]
// all ones (PCIe 4.0 section 10.3, ATS invalidation).
bool ats_all(const uint64_t *d) {
    if (!get(d, v::inv_pdevtlb::S)) return false;
    const uint64_t addr = get(d, v::inv_pdevtlb::ADDR);
    unsigned ones = 0;
    while (ones < 52 && ((addr >> ones) & 1)) ++ones;
    return ones >= 51;
}

// An entry a message names; spelled out only when a rule fails.
struct Where {
    const char *table; // "context entry", "PASID directory entry", "PASID entry"
    uint32_t rid;
    const char *sub_name; // "index", "pasid" or nullptr
    uint64_t sub;
    uint64_t pa;
    std::string str() const {
        std::string s = std::string(table) + " (rid " + std::to_string(rid);
        if (sub_name) s += std::string(", ") + sub_name + " " + std::to_string(sub);
        return s + ") at " + hex(pa);
    }
};

Where pde_where(uint32_t rid, uint64_t idx, uint64_t pa) {
    return {"PASID directory entry", rid, "index", idx, pa};
}
Where pe_where(uint32_t rid, uint32_t pasid, uint64_t pa) {
    return {"PASID entry", rid, "pasid", pasid, pa};
}

class VtdRules : detail::RuleChecker {
public:
    VtdRules(const Reference &ref, const Op &op, const HwView &hw, const MemoryView &start,
             uint32_t iommu, ClauseCounters *counters)
        : RuleChecker(ref, op, hw, start, counters), model_(*hw.iommus[iommu]),
          log_(hw.call, iommu) {}

    std::optional<Violation> run(std::span<const uint32_t> devs, Pairs bonds, Pairs gone) {
        if (op_.kind != OpKind::mm_exit)
            for (uint32_t dev : devs)
                if (ref_.sva_enabled(dev) && !check_context(dev)) return v_;
        for (uint32_t dev : devs)
            if (!check_directory(dev)) return v_;
        for (const auto &[dev, mm] : bonds)
            if (!check_bond(dev, mm)) return v_;
        for (const auto &[dev, pasid] : gone)
            if (!check_gone(dev, pasid)) return v_;
        if (!check_dids(bonds, gone)) return v_;
        for (const auto &[dev, pasid] : gone)
            if (!check_teardown(dev, pasid)) return v_;
        return v_;
    }

private:
    // The per-entry invariants of f (reference/invariants.cpp) on e: a
    // breach is a finding of the formula's clause, naming the formula.
    bool invariants(const Where &w, const Format &f, const uint64_t *e) {
        auto b = inv::check_entry(f, e);
        return !b || fail(b->formula->clause, w.str() + ": " + b->message());
    }

    // The context entry of dev in mem, if the IOMMU reaches a present one:
    // q0, which holds every field leading to the PASID directory.
    bool read_context(const MemoryView &mem, uint32_t dev, Ctx &ctx) const {
        CtxLoc cl = locate_context(model_, mem, dev);
        if (!cl.ok) return false;
        ctx = read_words<4>(mem, cl.pa, 1);
        return get(ctx.data(), v::context::P) != 0;
    }
    // The first n qwords of the PASID entry of (dev, pasid) in mem, if reachable.
    bool read_entry(const MemoryView &mem, uint32_t dev, uint32_t pasid, Entry &pe, PeLoc &loc,
                    unsigned n) const {
        Ctx ctx{};
        if (!read_context(mem, dev, ctx)) return false;
        loc = locate_pasid_entry(mem, ctx, pasid);
        if (!loc.ok) return false;
        pe = read_words<8>(mem, loc.pa, n);
        return true;
    }

    // VTD-CTX-1: the scalable-mode context entry of a device with SVA enabled.
    bool check_context(uint32_t dev) {
        hit(ClauseId::VTD_CTX_1);
        constexpr ClauseId c = ClauseId::VTD_CTX_1;
        CtxLoc cl = locate_context(model_, hw_.mem, dev);
        if (!cl.ok)
            return fail(c, "the context entry of SVA device rid " + std::to_string(dev) +
                               " is unreachable: " + cl.why);
        // q2, q3 are reserved: read when the call wrote the entry, and judged then.
        const unsigned n = stored_in(cl.pa, v::context::kBytes) ? 4 : 2;
        const Ctx ctx = read_words<4>(hw_.mem, cl.pa, n);
        const uint64_t *e = ctx.data();
        const Where w{"context entry", dev, nullptr, 0, cl.pa};
        const Device &d = device(dev);
        if (!invariants(w, v::context::kFormat, e) ||
            !expect(untranslated(c), w, e, v::context::P, 1) ||
            !expect(untranslated(c), w, e, v::context::PASIDE, 1) ||
            !expect(c, w, e, v::context::PRE, d.pri ? 1 : 0,
                    d.pri ? "the device has PRI" : "the device has no PRI") ||
            !expect(c, w, e, v::context::DTE, d.ats ? 1 : 0,
                    d.ats ? "the device has ATS" : "the device has no ATS"))
            return false;
        uint32_t lo = 0, hi = 0;
        ref_.effective_range(dev, lo, hi);
        const uint64_t pdts = get(e, v::context::PDTS);
        const uint64_t covered = (uint64_t{1} << (pdts + 7)) * v::pasid_entry::kPerTable;
        if (covered <= hi)
            return fail(c, w.str() + ": PDTS = " + std::to_string(pdts) +
                               ": the directory covers PASIDs below " + std::to_string(covered) +
                               ", not the device's largest, " + std::to_string(hi));
        // PASIDDIRPTR holds bits [63:12]: 4 KiB aligned by construction.
        return expect(c, w, e, v::context::RID_PASID, 0, "requests without PASID use PASID 0");
    }

    // VTD-PDE-1 for the stores the call made into dev's PASID directory: a
    // present PDE is never rewritten (clearing it while the directory is
    // torn down at disable aside), and a PDE made present points at a table
    // no other PDE of the directory points at.
    bool check_directory(uint32_t dev) {
        if (hw_.call.stores.empty()) return true;
        Ctx ctx{};
        if (!read_context(hw_.mem, dev, ctx)) return true;
        const uint64_t dir = address(ctx.data(), v::context::PASIDDIRPTR);
        const uint64_t entries = uint64_t{1} << (get(ctx.data(), v::context::PDTS) + 7);
        thread_local std::vector<uint64_t> installed; // reused: no allocation once warm
        installed.clear();
        for (const Store &s : hw_.call.stores) {
            if (s.old_val == s.new_val || s.pa - dir >= v::pde::kBytes * entries) continue;
            hit(ClauseId::VTD_PDE_1);
            const uint64_t idx = (s.pa - dir) / v::pde::kBytes;
            const bool teardown = op_.kind == OpKind::disable_feature && s.new_val == 0;
            if (get(&s.old_val, v::pde::P) && !teardown)
                return fail(ClauseId::VTD_PDE_1,
                            pde_where(dev, idx, s.pa).str() + " was rewritten from " +
                                hex(s.old_val) + " to " + hex(s.new_val) +
                                " while present: a PDE is written once, until the directory is "
                                "freed");
            if (get(&s.new_val, v::pde::P)) installed.push_back(idx);
        }
        // The pair formula vtd.pde.ptr-distinct (I3), between each PDE made
        // present and every other PDE of the directory.
        for (uint64_t idx : installed) {
            const uint64_t pde = hw_.mem.read64(dir + v::pde::kBytes * idx);
            if (!get(&pde, v::pde::P)) continue;
            for (uint64_t i = 0; i < entries; ++i) {
                if (i == idx) continue;
                const uint64_t other = hw_.mem.read64(dir + v::pde::kBytes * i);
                if (auto b = inv::check_pair(v::pde::kFormat, &pde, &other))
                    return fail(b->formula->clause,
                                pde_where(dev, idx, dir + v::pde::kBytes * idx).str() +
                                    " and PDE index " + std::to_string(i) + ": " + b->message());
            }
        }
        return true;
    }

    // A live bond: its PDE (VTD-PDE-1), then its entry (VTD-PE-1, or
    // VTD-PE-3 once the mm exited).
    bool check_bond(uint32_t dev, uint32_t mm) {
        const uint32_t pasid = ref_.pasid_of(mm);
        if (pasid == 0 || mm >= hw_.mms.size()) return true;
        hit(ClauseId::VTD_PDE_1);
        constexpr ClauseId c = ClauseId::VTD_PDE_1;
        auto what = [&] {
            return "bound PASID " + std::to_string(pasid) + " (rid " + std::to_string(dev) +
                   ", mm " + std::to_string(mm) + ")";
        };
        Ctx ctx{};
        if (!read_context(hw_.mem, dev, ctx))
            return fail(untranslated(c), "the PASID directory of " + what() +
                                             " is unreachable: no present context entry");
        const PeLoc loc = locate_pasid_entry(hw_.mem, ctx, pasid);
        if (!loc.ok && loc.pde_pa == 0) return fail(untranslated(c), what() + ": " + loc.why);
        const Where pde = pde_where(dev, pasid >> v::pde::kPasidShift, loc.pde_pa);
        if (!get(&loc.pde, v::pde::P))
            return fail(untranslated(c), pde.str() + ": P=0, but it covers " + what());
        if (!invariants(pde, v::pde::kFormat, &loc.pde)) return false;
        // q3..q7 hold no field: read when the call wrote the entry, and judged then.
        const unsigned n = stored_in(loc.pa, v::pasid_entry::kBytes) ? 8 : 3;
        const Entry pe = read_words<8>(hw_.mem, loc.pa, n);
        const Where w = pe_where(dev, pasid, loc.pa);
        if (ref_.mm_exited(mm)) {
            hit(ClauseId::VTD_PE_3);
            return expect(ClauseId::VTD_PE_3, w, pe.data(), v::pasid_entry::P, 0,
                          "after mm exit the entry no longer walks the mm") &&
                   expect(ClauseId::VTD_PE_3, w, pe.data(), v::pasid_entry::FPD, 1,
                          "DMA must abort quietly");
        }
        return check_first_level(w, pe, hw_.mms[mm]);
    }

    // VTD-PE-1: the entry of a bound PASID walks the mm's page table.
    bool check_first_level(const Where &w, const Entry &pe, const svac_mm_info &info) {
        hit(ClauseId::VTD_PE_1);
        constexpr ClauseId c = ClauseId::VTD_PE_1;
        namespace f = v::pasid_entry;
        const uint64_t *e = pe.data();
        if (!expect(untranslated(c), w, e, f::P, 1) || !invariants(w, f::kFormat, e) ||
            !expect(c, w, e, f::PGTT, f::kPgttFirstStage, "first stage"))
            return false;
        if (address(e, f::FLPTR) != info.pgd)
            return fail(c, w.str() + ": FLPTR = " + hex(address(e, f::FLPTR)) +
                               ", expected the mm's page-table root " + hex(info.pgd));
        const bool la57 = info.va_bits > kVaBits;
        if (!expect(c, w, e, f::FLPM, la57 ? f::kFlpm5Level : f::kFlpm4Level,
                    la57 ? "the mm has 5-level paging" : "the mm has 4-level paging") ||
            !expect(c, w, e, f::SRE, 0, "user mappings only"))
            return false;
        return true;
    }

    // VTD-PE-2: after the last unbind the entry is not present.
    bool check_gone(uint32_t dev, uint32_t pasid) {
        Entry pe{};
        PeLoc loc;
        if (!read_entry(hw_.mem, dev, pasid, pe, loc, 1)) return true; // unreachable
        hit(ClauseId::VTD_PE_2);
        if (get(pe.data(), v::pasid_entry::P))
            return fail(ClauseId::VTD_PE_2, pe_where(dev, pasid, loc.pa).str() +
                                                ": P=1 after the last unbind of PASID " +
                                                std::to_string(pasid) + " on this device");
        return true;
    }

    // VTD-PE-4: a PASID-selective PASID-cache invalidation or a PASID-based
    // IOTLB invalidation for a PASID the op touched names the DID of its
    // entry: as the call found it if present then, else as it left it. An
    // entry present at neither end can be cached under no DID.
    bool check_dids(Pairs bonds, Pairs gone) {
        // (pasid, DID of one of its entries), reused: no allocation once warm
        thread_local std::vector<std::pair<uint32_t, uint64_t>> dids;
        dids.clear();
        auto note = [&](uint32_t dev, uint32_t pasid) {
            if (pasid == 0) return;
            for (const MemoryView *mem : {&start_, &hw_.mem}) {
                Entry pe{};
                PeLoc loc;
                if (read_entry(*mem, dev, pasid, pe, loc, 2) && get(pe.data(), v::pasid_entry::P)) {
                    dids.emplace_back(pasid, get(pe.data(), v::pasid_entry::DID));
                    return;
                }
            }
        };
        for (const auto &[dev, mm] : bonds) note(dev, ref_.pasid_of(mm));
        for (const auto &[dev, pasid] : gone) note(dev, pasid);
        if (dids.empty()) return true;
        return log_.each([&](const uint64_t *d) {
            const uint64_t type = DescLog::type(d);
            const char *kind = nullptr;
            if (type == v::inv_pc::kType && get(d, v::inv_pc::G) == v::inv_pc::kGranPasid)
                kind = "PASID-cache";
            else if (type == v::inv_piotlb::kType)
                kind = "PASID-based IOTLB";
            if (!kind) return true;
            const auto pasid = static_cast<uint32_t>(get(d, v::inv_pc::PASID));
            const uint64_t did = get(d, v::inv_pc::DID);
            bool known = false, match = false;
            uint64_t held = 0;
            for (const auto &[p, x] : dids)
                if (p == pasid) {
                    known = true;
                    match |= x == did;
                    held = x;
                }
            if (!known) return true;
            hit(ClauseId::VTD_PE_4);
            if (match) return true;
            return fail(ClauseId::VTD_PE_4,
                        std::string("a ") + kind + " invalidation for PASID " +
                            std::to_string(pasid) + " names DID " + std::to_string(did) +
                            ", but the PASID entry holds DID " + std::to_string(held),
                        std::string("the ") + kind + " invalidation for PASID " +
                            std::to_string(pasid) + " naming DID " + std::to_string(held));
        });
    }

    // VTD-PE-2: an entry present when the last unbind began is flushed from
    // the PASID cache, the IOTLB and (ATS) the device TLB, then waited for.
    // An entry already not present (the mm exited) can be cached nowhere.
    bool check_teardown(uint32_t dev, uint32_t pasid) {
        Entry pe{};
        PeLoc loc;
        if (!read_entry(start_, dev, pasid, pe, loc, 2) || !get(pe.data(), v::pasid_entry::P))
            return true;
        hit(ClauseId::VTD_PE_2);
        const uint64_t did = get(pe.data(), v::pasid_entry::DID);
        const std::string due =
            "for PASID " + std::to_string(pasid) + " and DID " + std::to_string(did) +
            ": a PASID-cache invalidation (PASID-selective or wider), an IOTLB invalidation of "
            "all its addresses (PASID-based, or wider)" +
            (device(dev).ats ? ", a PASID-based device-TLB invalidation of all its addresses "
                               "(rid " +
                                   std::to_string(dev) + ", ATS)"
                             : std::string()) +
            ", then an invalidation wait descriptor";
        auto need = [&](DescLog::Found found, const char *inv) {
            if (found == DescLog::Found::waited) return true;
            const std::string what = "PASID " + std::to_string(pasid) + " (rid " +
                                     std::to_string(dev) + ", DID " + std::to_string(did) +
                                     ") was torn down ";
            if (found == DescLog::Found::none)
                return fail(ClauseId::VTD_PE_2, what + "but no " + inv + " was issued", due);
            return fail(ClauseId::VTD_PE_2,
                        what + "but no invalidation wait descriptor followed the " + inv, due);
        };
        auto pc = log_.find([&](const uint64_t *d) {
            if (DescLog::type(d) != v::inv_pc::kType) return false;
            const uint64_t g = get(d, v::inv_pc::G);
            return g == v::inv_pc::kGranGlobal ||
                   (get(d, v::inv_pc::DID) == did &&
                    (g == v::inv_pc::kGranAllOfDid ||
                     (g == v::inv_pc::kGranPasid && get(d, v::inv_pc::PASID) == pasid)));
        });
        if (!need(pc, "PASID-cache invalidation (PASID-selective or wider) for it")) return false;
        auto iotlb = log_.find([&](const uint64_t *d) {
            const uint64_t type = DescLog::type(d);
            if (type == v::inv_piotlb::kType)
                return get(d, v::inv_piotlb::G) == v::inv_piotlb::kGranAllOfPasid &&
                       get(d, v::inv_piotlb::DID) == did && get(d, v::inv_piotlb::PASID) == pasid;
            if (type == v::inv_iotlb::kType) {
                const uint64_t g = get(d, v::inv_iotlb::G);
                return g == v::inv_iotlb::kGranGlobal ||
                       (g == v::inv_iotlb::kGranDomain && get(d, v::inv_iotlb::DID) == did);
            }
            return false;
        });
        if (!need(iotlb, "IOTLB invalidation of all its addresses (PASID-based, or wider)"))
            return false;
        if (!device(dev).ats) return true;
        auto devtlb = log_.find([&](const uint64_t *d) {
            return DescLog::type(d) == v::inv_pdevtlb::kType &&
                   get(d, v::inv_pdevtlb::SID) == dev && get(d, v::inv_pdevtlb::PASID) == pasid &&
                   ats_all(d);
        });
        return need(devtlb, "PASID-based device-TLB invalidation of all its addresses (ATS)");
    }

    const IommuModel &model_;
    const DescLog log_;
};

} // namespace

std::optional<Violation> detail::judge_vtd_tables(const Reference &ref, const Op &op,
                                                  const HwView &hw, const MemoryView &start,
                                                  uint32_t iommu, std::span<const uint32_t> devs,
                                                  Pairs bonds, Pairs gone,
                                                  ClauseCounters *counters) {
    if (iommu >= hw.iommus.size() || !hw.iommus[iommu]) return std::nullopt;
    return VtdRules(ref, op, hw, start, iommu, counters).run(devs, bonds, gone);
}

} // namespace svac::ref
