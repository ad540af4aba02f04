#include "engine/check_tables.h"

#include "engine/trace.h"
#include "reference/pagetable.h"
#include "reference/smmuv3_format.h"
#include "reference/smmuv3_hw.h"
#include "reference/text.h"
#include "reference/vtd_format.h"
#include "reference/vtd_hw.h"

#include <fmt/format.h>

#include <algorithm>
#include <functional>
#include <map>
#include <set>

namespace svac::engine {

namespace sm = ref::smmuv3;
namespace vt = ref::vtd;
using ref::Arch;

const ref::Format *table_format(const std::string &table) {
    if (table == "STE") return &sm::ste::kFormat;
    if (table == "L1STD") return &sm::l1std::kFormat;
    if (table == "L1CD") return &sm::l1cd::kFormat;
    if (table == "CD") return &sm::cd::kFormat;
    if (table == "context") return &vt::context::kFormat;
    if (table == "PDE") return &vt::pde::kFormat;
    if (table == "PASID") return &vt::pasid_entry::kFormat;
    if (table == "root-legacy") return &vt::root_legacy::kFormat;
    if (table == "context-legacy") return &vt::context_legacy::kFormat;
    return nullptr;
}

std::string entry_name(const ref::DecodedEntry &e) {
    return fmt::format("{} {} @ {:#x}", e.table, e.key, e.pa);
}

ref::inv::Caps snapshot_caps(const Snapshot &s) {
    ref::inv::Caps caps;
    if (auto it = s.registers.find("CAP_REG"); s.arch == Arch::vtd && it != s.registers.end())
        caps.vtd_sagaw = ref::get(&it->second, vt::cap::SAGAW);
    return caps;
}

std::vector<FormulaVerdict> judge_entries(const std::vector<ref::DecodedEntry> &entries,
                                          const ref::inv::Caps &caps) {
    std::vector<FormulaVerdict> out;
    for (const ref::inv::Formula &f : ref::inv::all_formulas()) {
        std::vector<std::size_t> of;
        for (std::size_t i = 0; i < entries.size(); ++i)
            if (table_format(entries[i].table) == f.format &&
                entries[i].raw.size() >= f.format->qwords)
                of.push_back(i);
        if (of.empty()) continue;
        FormulaVerdict v{&f, of.size(), {}};
        for (std::size_t i = 0; i < of.size(); ++i) {
            const uint64_t *a = entries[of[i]].raw.data();
            if (!f.pairwise()) {
                if (auto b = ref::inv::check(f, a, caps))
                    v.breaches.push_back({of[i], {}, b->message()});
                continue;
            }
            for (std::size_t j = i + 1; j < of.size(); ++j)
                if (auto b = ref::inv::check(f, a, entries[of[j]].raw.data(), caps))
                    v.breaches.push_back({of[i], of[j], b->message()});
        }
        out.push_back(std::move(v));
    }
    return out;
}

std::size_t TablesCheck::breaches() const {
    std::size_t n = 0;
    for (const FormulaVerdict &f : formulas) n += f.breaches.size();
    return n;
}

std::size_t TablesCheck::failed_probes() const {
    return static_cast<std::size_t>(
        std::count_if(probes.begin(), probes.end(),
                      [](const ProbeOutcome &p) { return !p.disagreement.empty(); }));
}

namespace {

uint64_t reg(const Snapshot &s, const char *name, uint64_t otherwise) {
    auto it = s.registers.find(name);
    return it == s.registers.end() ? otherwise : it->second;
}

// A device index the model skips: no device behind this IOMMU.
constexpr uint32_t kAbsent = UINT32_MAX;

// The hardware model of the snapshot's IOMMU, its ID registers those the
// snapshot gives, its registers set as software left them.
std::unique_ptr<ref::IommuModel> make_model(const Snapshot &s, const ref::Topology &topo,
                                            std::vector<std::string> &notes) {
    const ref::Iommu &desc = topo.iommus[0];
    if (s.arch == Arch::smmuv3) {
        ref::Smmuv3Ids ids =
            ref::smmuv3_ids(desc, static_cast<uint32_t>(topo.devices.size()), false);
        bool all = true;
        for (unsigned i = 0; i < 6; ++i) {
            const std::string name = "SMMU_IDR" + std::to_string(i);
            if (auto it = s.registers.find(name); it != s.registers.end())
                ids.idr[i] = static_cast<uint32_t>(it->second);
            else
                all = false;
        }
        if (!all)
            notes.push_back("SMMU_IDR0-5 not all given: the model's own ID registers stand "
                            "in for those missing");
        auto m = ref::make_smmuv3_model(desc, 0, ids);
        m->write_reg(SVAC_SMMU_STRTAB_BASE_CFG, reg(s, "SMMU_STRTAB_BASE_CFG", 0));
        m->write_reg(SVAC_SMMU_STRTAB_BASE, reg(s, "SMMU_STRTAB_BASE", 0));
        if (!s.registers.count("SMMU_CR0"))
            notes.push_back("SMMU_CR0 not given: SMMUEN taken as 1");
        m->write_reg(SVAC_SMMU_CR0, reg(s, "SMMU_CR0", SVAC_SMMU_CR0_SMMUEN));
        return m;
    }
    ref::VtdIds ids = ref::vtd_ids(desc, true, true);
    if (auto it = s.registers.find("VER_REG"); it != s.registers.end())
        ids.ver = static_cast<uint32_t>(it->second);
    if (auto it = s.registers.find("CAP_REG"); it != s.registers.end())
        ids.cap = it->second;
    else
        notes.push_back("CAP_REG not given: the model's own stands in");
    if (auto it = s.registers.find("ECAP_REG"); it != s.registers.end())
        ids.ecap = it->second;
    else
        notes.push_back("ECAP_REG not given: the model's own stands in");
    auto m = ref::make_vtd_model(desc, 0, ids);
    m->write_reg(SVAC_VTD_RTADDR, reg(s, "RTADDR_REG", 0));
    m->write_reg(SVAC_VTD_GCMD, uint64_t{1} << 30); // SRTP: latch the root table
    if (!s.registers.count("GSTS_REG")) notes.push_back("GSTS_REG not given: TES taken as 1");
    const uint64_t gsts = reg(s, "GSTS_REG", SVAC_VTD_GCMD_TE);
    m->write_reg(SVAC_VTD_GCMD, gsts & SVAC_VTD_GCMD_TE); // GSTS.TES sits where GCMD.TE does
    return m;
}

// The StreamIDs / requester IDs to walk: those the snapshot names, else
// every one the stream table or root table can hold.
std::vector<uint32_t> ids_to_walk(const Snapshot &s, std::vector<std::string> &notes) {
    std::vector<uint32_t> ids;
    if (!s.devices.empty()) {
        for (const SnapshotDevice &d : s.devices) ids.push_back(d.sid);
        std::sort(ids.begin(), ids.end());
        return ids;
    }
    uint64_t n = 0;
    if (s.arch == Arch::smmuv3) {
        const uint64_t cfg = reg(s, "SMMU_STRTAB_BASE_CFG", 0);
        const unsigned log2 = static_cast<unsigned>(cfg & 0x3f); // LOG2SIZE [5:0]
        if (log2 > 20)
            throw InputError(fmt::format(
                "SMMU_STRTAB_BASE_CFG.LOG2SIZE = {}: a stream table of more than 2^20 StreamIDs "
                "is not scanned; name the devices in \"devices\"",
                log2));
        n = uint64_t{1} << log2;
    } else {
        n = 1u << 16; // bus << 8 | devfn
    }
    notes.push_back(fmt::format("no devices named: every StreamID/requester ID the table holds "
                                "(0..{:#x}) walked",
                                n - 1));
    for (uint64_t i = 0; i < n; ++i) ids.push_back(static_cast<uint32_t>(i));
    return ids;
}

ref::Topology topology_for(const Snapshot &s, const std::vector<uint32_t> &ids) {
    ref::Topology t;
    ref::Iommu io;
    io.arch = s.arch;
    io.pasid_bits = 20;
    if (s.arch == Arch::smmuv3)
        if (auto it = s.registers.find("SMMU_IDR1"); it != s.registers.end())
            io.pasid_bits = static_cast<uint8_t>(it->second >> 6 & 0x1f); // SSIDSIZE [10:6]
    t.iommus.push_back(io);
    const uint32_t n = ids.empty() ? 0 : ids.back() + 1;
    t.devices.assign(n, ref::Device{kAbsent, 0, false, false, false});
    for (uint32_t id : ids) t.devices[id] = ref::Device{0, io.pasid_bits, false, false, false};
    for (const SnapshotDevice &d : s.devices)
        if (d.pasid_bits && d.sid < n) t.devices[d.sid].pasid_bits = *d.pasid_bits;
    return t;
}

// The IDs walked at a time: a dump decodes every entry it reaches, valid or
// not, and a stream table of 2^20 mostly invalid STEs would otherwise be
// decoded all at once.
constexpr std::size_t kWalkBatch = 4096;

// An entry the hardware ignores but for its valid bit: STE V=0, L1STD
// Span=0, a context, directory or PASID entry with P=0 (SMMU 5.1, 5.2; VT-d
// 9.3-9.6).
bool marked_invalid(const ref::DecodedEntry &e) {
    const ref::Format *f = table_format(e.table);
    if (!f || e.raw.empty()) return false;
    if (f == &sm::ste::kFormat) return !ref::get(e.raw.data(), sm::ste::V);
    if (f == &sm::l1std::kFormat) return !ref::get(e.raw.data(), sm::l1std::Span); // SMMU 5.1
    if (f == &vt::context::kFormat) return !ref::get(e.raw.data(), vt::context::P);
    if (f == &vt::context_legacy::kFormat) return !ref::get(e.raw.data(), vt::context_legacy::P);
    if (f == &vt::pde::kFormat) return !ref::get(e.raw.data(), vt::pde::P);
    if (f == &vt::pasid_entry::kFormat) return !ref::get(e.raw.data(), vt::pasid_entry::P);
    return false;
}

std::string dma_text(const ref::DmaResult &r) {
    if (r.kind == ref::DmaResult::Kind::translated) return fmt::format("translated to {:#x}", r.pa);
    return fmt::format("{} ({}{}{})", ref::dma_kind_name(r.kind), ref::dma_reason_name(r.reason),
                       r.why.empty() ? "" : ": ", r.why);
}

} // namespace

TablesCheck check_tables(const Snapshot &s) {
    TablesCheck c;
    c.arch = s.arch;
    c.sids = ids_to_walk(s, c.notes);
    const ref::Topology topo = topology_for(s, c.sids);
    auto model = make_model(s, topo, c.notes);
    SnapshotMemory mem(s);

    // An entry several devices reach (an L1STD, a root entry) is one entry.
    std::set<uint64_t> seen;
    for (std::size_t b = 0; b < c.sids.size(); b += kWalkBatch) {
        const std::vector<uint32_t> batch(
            c.sids.begin() + static_cast<std::ptrdiff_t>(b),
            c.sids.begin() + static_cast<std::ptrdiff_t>(std::min(b + kWalkBatch, c.sids.size())));
        ref::ModelDump dump = model->dump(mem, topology_for(s, batch));
        for (ref::DecodedEntry &e : dump.entries) {
            if (marked_invalid(e)) {
                ++c.invalid_entries;
                continue;
            }
            if (seen.insert(e.pa).second) c.entries.push_back(std::move(e));
        }
    }
    c.formulas = judge_entries(c.entries, snapshot_caps(s));

    for (const Probe &p : s.probes) {
        const ref::Device none{0, 20, false, false, false};
        const ref::DmaRequest req =
            ref::dma_request(p.sid, p.pasid, p.address, p.access,
                             p.sid < topo.devices.size() ? &topo.devices[p.sid] : &none);
        ProbeOutcome o{p, model->dma(mem, req), {}};
        const bool kind_ok = !p.expect_kind || o.result.kind == *p.expect_kind;
        const bool pa_ok = !p.expect_pa || (o.result.kind == ref::DmaResult::Kind::translated &&
                                            o.result.pa == *p.expect_pa);
        if (!kind_ok || !pa_ok)
            o.disagreement = "expected " +
                             (p.expect_pa ? fmt::format("translated to {:#x}", *p.expect_pa)
                                          : std::string(ref::dma_kind_name(*p.expect_kind))) +
                             ", the model: " + dma_text(o.result);
        c.probes.push_back(std::move(o));
    }
    c.missing = mem.missing();
    c.missing_reads = mem.missing_count();
    c.unreached = mem.unread_extents();
    c.pages = mem.pages_read();
    return c;
}

// ---- the mappings of a page table, listed ----

namespace {

// A 4 KiB-granule radix table, as a leaf lister reads it.
struct RadixFormat {
    std::function<bool(uint64_t, unsigned)> present; // (descriptor, level)
    std::function<bool(uint64_t, unsigned)> leaf;    // a block or page at this level
    uint64_t address_mask;                           // the output / next-table address bits
};

// Calls out(va, pa, bytes) for each leaf of the table at root translating
// va_bits, in VA order, until it returns false. Reads through mem.
void list_leaves(const ref::MemoryView &mem, const RadixFormat &f, uint64_t root, unsigned va_bits,
                 const std::function<bool(uint64_t, uint64_t, uint64_t)> &out) {
    const unsigned levels = ref::levels_for(va_bits);
    if (levels == 0 || levels > 5) return;
    std::function<bool(uint64_t, unsigned, uint64_t)> visit = [&](uint64_t table, unsigned level,
                                                                  uint64_t va_base) {
        const unsigned shift = 12 + 9 * (levels - 1 - level);
        const unsigned top_bits = va_bits - (12 + 9 * (levels - 1)); // the root's index bits
        const unsigned entries = level == 0 ? 1u << std::min(top_bits, 9u) : 512u;
        for (unsigned i = 0; i < entries; ++i) {
            const uint64_t d = mem.read64(table + 8 * i);
            if (!f.present(d, level)) continue;
            const uint64_t va = va_base | uint64_t{i} << shift;
            const uint64_t addr = d & f.address_mask;
            if (level == levels - 1 || f.leaf(d, level)) {
                if (!out(va, addr & ~((uint64_t{1} << shift) - 1), uint64_t{1} << shift))
                    return false;
                continue;
            }
            if (!visit(addr, level + 1, va)) return false;
        }
        return true;
    };
    visit(root, 0, 0);
}

// AArch64 VMSAv8-64 stage 1, 4 KiB granule (Arm ARM D8.3): bit 0 valid;
// bit 1 clear at levels 1-2 a block; output address [47:12].
const RadixFormat kArmStage1{
    [](uint64_t d, unsigned) { return ref::get(&d, ref::aarch64_pte::Valid) != 0; },
    [](uint64_t d, unsigned) { return ref::get(&d, ref::aarch64_pte::Type) == 0; },
    ref::aarch64_pte::OA.mask()};

// VT-d second-stage paging entry (VT-d 9.8): present when R or W is set;
// PS (bit 7) a large page at the 2 MiB and 1 GiB levels; address [51:12].
const RadixFormat kVtdSecondStage{
    [](uint64_t d, unsigned) {
        return (ref::get(&d, ref::x86_pte::P) | ref::get(&d, ref::x86_pte::RW)) != 0;
    },
    [](uint64_t d, unsigned) { return ref::get(&d, ref::x86_pte::PS) != 0; },
    ref::x86_pte::Addr.mask()};

} // namespace

std::vector<Probe> mapped_page_probes(const Snapshot &s, const TablesCheck &c, std::size_t max) {
    SnapshotMemory mem(s);
    std::vector<Probe> out;
    auto add = [&](uint32_t sid, const std::string &origin) {
        return [&, sid, origin](uint64_t va, uint64_t pa, uint64_t bytes) {
            if (out.size() >= max) return false;
            Probe p;
            p.sid = sid;
            p.address = va;
            p.access = ref::kRead;
            p.expect_kind = ref::DmaResult::Kind::translated;
            p.expect_pa = pa;
            p.origin = fmt::format("{} ({} KiB leaf)", origin, bytes >> 10);
            out.push_back(std::move(p));
            return true;
        };
    };
    auto sid_of = [](const std::string &key) {
        return static_cast<uint32_t>(std::stoul(key.substr(key.find(' ') + 1)));
    };
    for (const ref::DecodedEntry &e : c.entries) {
        const uint64_t *w = e.raw.data();
        if (e.table == "CD" && e.key.size() > 7 && e.key.substr(e.key.size() - 7) == " ssid 0") {
            // CD[0]: the non-PASID path (S1DSS=SSID0, or a table without SSIDs).
            if (ref::get(w, sm::cd::EPD0) || ref::get(w, sm::cd::TG0) != 0) continue;
            const unsigned va_bits = 64 - static_cast<unsigned>(ref::get(w, sm::cd::T0SZ));
            const uint64_t ttb = ref::get(w, sm::cd::TTB0) << sm::cd::TTB0.lo;
            list_leaves(mem, kArmStage1, ttb, va_bits,
                        add(sid_of(e.key), "mapped by CD " + e.key + " TTB0"));
        } else if (e.table == "PASID" &&
                   ref::get(w, vt::pasid_entry::PGTT) == vt::pasid_entry::kPgttSecondStage) {
            // The RID_PASID entry of a requester: its requests without a PASID.
            const uint32_t rid = sid_of(e.key);
            const auto pasid =
                static_cast<uint32_t>(std::stoul(e.key.substr(e.key.rfind(' ') + 1)));
            if (pasid != 0) continue;
            const unsigned va_bits =
                12 + 9 * vt::ss_pte::levels_of(ref::get(w, vt::pasid_entry::AW));
            const uint64_t root = ref::get(w, vt::pasid_entry::SSPTPTR)
                                  << vt::pasid_entry::SSPTPTR.lo;
            list_leaves(mem, kVtdSecondStage, root, va_bits,
                        add(rid, "mapped by PASID entry " + e.key + " SSPTPTR"));
        } else if (e.table == "context-legacy" &&
                   ref::get(w, vt::context_legacy::TT) != vt::context_legacy::kTtPassThrough) {
            const unsigned va_bits =
                12 + 9 * vt::ss_pte::levels_of(ref::get(w, vt::context_legacy::AW));
            const uint64_t root = ref::get(w, vt::context_legacy::SLPTPTR)
                                  << vt::context_legacy::SLPTPTR.lo;
            list_leaves(mem, kVtdSecondStage, root, va_bits,
                        add(sid_of(e.key), "mapped by context entry " + e.key + " SLPTPTR"));
        }
    }
    return out;
}

Snapshot trimmed_snapshot(const Snapshot &s, const TablesCheck &c) {
    Snapshot t = s;
    t.memory.clear();
    SnapshotMemory mem(s);
    // Whole pages (a word absent from the snapshot stays absent), adjacent
    // pages joined into one extent.
    for (uint64_t page : c.pages) {
        std::vector<uint64_t> words;
        uint64_t first = 0;
        for (uint64_t off = 0; off < ref::kPageSize; off += 8) {
            const uint64_t pa = page + off;
            if (mem.holds(pa)) {
                if (words.empty()) first = pa;
                words.push_back(mem.read64(pa));
                if (off + 8 < ref::kPageSize) continue;
            }
            if (words.empty()) continue;
            if (!t.memory.empty() && t.memory.back().address + t.memory.back().bytes == first) {
                Extent &x = t.memory.back();
                x.qwords.insert(x.qwords.end(), words.begin(), words.end());
                x.bytes = 8 * x.qwords.size();
            } else {
                Extent x;
                x.address = first;
                x.qwords = std::move(words);
                x.bytes = 8 * x.qwords.size();
                t.memory.push_back(std::move(x));
            }
            words.clear();
        }
    }
    return t;
}

} // namespace svac::engine
