#include "reference/vtd_hw.h"
#include "reference/text.h"

#include "reference/hitless.h"
#include "reference/pagetable.h"
#include "reference/vtd_format.h"

#include <cerrno>
#include <cstdarg>
#include <cstdio>
#include <utility>

namespace svac::ref {

namespace {

using Kind = DmaResult::Kind;
using Reason = DmaResult::Reason;

__attribute__((format(printf, 1, 2))) std::string strf(const char *f, ...) {
    char buf[256];
    va_list ap;
    va_start(ap, f);
    std::vsnprintf(buf, sizeof buf, f, ap);
    va_end(ap);
    return buf;
}

unsigned long long ull(uint64_t v) {
    return static_cast<unsigned long long>(v);
}

std::string perms_str(uint8_t p) {
    std::string s = "---";
    if (p & kRead) s[0] = 'r';
    if (p & kWrite) s[1] = 'w';
    if (p & kExec) s[2] = 'x';
    return s;
}

DecodedEntry decode(const Format &f, std::string table, std::string key, uint64_t pa,
                    const uint64_t *raw) {
    DecodedEntry e;
    e.table = std::move(table);
    e.key = std::move(key);
    e.pa = pa;
    e.raw.assign(raw, raw + f.qwords);
    for (const Field &fld : f.fields) e.fields.emplace_back(std::string(fld.name), get(raw, fld));
    return e;
}

template <std::size_t N> std::array<uint64_t, N> read_words(const MemoryView &mem, uint64_t pa) {
    std::array<uint64_t, N> w{};
    mem.read_range(pa, w.data(), N);
    return w;
}

// The pages [first, first + count) an ATS invalidation (ADDR, S) covers
// (PCIe ATS: with S=1 the lowest clear bit of ADDR[63:12] gives the size).
struct PageRange {
    uint64_t first = 0;
    uint64_t count = 0; // 0: every page
    bool contains(uint64_t vpn) const { return count == 0 || (vpn - first) < count; }
};

PageRange ats_range(uint64_t addr_vpn, bool s) {
    if (!s) return {addr_vpn, 1};
    unsigned ones = 0;
    while (ones < 52 && ((addr_vpn >> ones) & 1)) ++ones;
    if (ones >= 51) return {0, 0};
    uint64_t pages = uint64_t{2} << ones;
    return {addr_vpn & ~(pages - 1), pages};
}

// Address mask AM: 2^AM pages, naturally aligned.
PageRange am_range(uint64_t addr_vpn, unsigned am) {
    if (am >= 52) return {0, 0};
    uint64_t pages = uint64_t{1} << am;
    return {addr_vpn & ~(pages - 1), pages};
}

bool known_granularity(uint64_t type, uint64_t g) {
    switch (type) {
    case vtd::inv_cc::kType:
    case vtd::inv_iotlb::kType:
        return g != 0;
    case vtd::inv_piotlb::kType:
        return g == 2 || g == 3;
    case vtd::inv_pc::kType:
        return g != 2;
    default:
        return true;
    }
}

std::string describe(const uint64_t *d, uint64_t type) {
    namespace v = vtd;
    switch (type) {
    case v::inv_cc::kType: {
        uint64_t g = get(d, v::inv_cc::G);
        if (g == v::inv_cc::kGranGlobal) return "context-cache inv G=1";
        if (g == v::inv_cc::kGranDomain)
            return strf("context-cache inv G=2 did=%llu", ull(get(d, v::inv_cc::DID)));
        return strf("context-cache inv G=3 did=%llu sid=%llu fm=%llu", ull(get(d, v::inv_cc::DID)),
                    ull(get(d, v::inv_cc::SID)), ull(get(d, v::inv_cc::FM)));
    }
    case v::inv_iotlb::kType: {
        uint64_t g = get(d, v::inv_iotlb::G);
        if (g == v::inv_iotlb::kGranGlobal) return "IOTLB inv G=1";
        if (g == v::inv_iotlb::kGranDomain)
            return strf("IOTLB inv G=2 did=%llu", ull(get(d, v::inv_iotlb::DID)));
        return strf("IOTLB inv G=3 did=%llu addr=0x%llx am=%llu ih=%llu",
                    ull(get(d, v::inv_iotlb::DID)), ull(get(d, v::inv_iotlb::ADDR) << kPageShift),
                    ull(get(d, v::inv_iotlb::AM)), ull(get(d, v::inv_iotlb::IH)));
    }
    case v::inv_devtlb::kType:
        return strf("device-TLB inv sid=%llu addr=0x%llx s=%llu", ull(get(d, v::inv_devtlb::SID)),
                    ull(get(d, v::inv_devtlb::ADDR) << kPageShift), ull(get(d, v::inv_devtlb::S)));
    case v::inv_wait::kType:
        return strf("invalidation wait if=%llu sw=%llu fn=%llu pd=%llu status_data=0x%llx "
                    "status_addr=0x%llx",
                    ull(get(d, v::inv_wait::IF)), ull(get(d, v::inv_wait::SW)),
                    ull(get(d, v::inv_wait::FN)), ull(get(d, v::inv_wait::PD)),
                    ull(get(d, v::inv_wait::STATUS_DATA)),
                    ull(get(d, v::inv_wait::STATUS_ADDR) << 2));
    case v::inv_piotlb::kType: {
        uint64_t g = get(d, v::inv_piotlb::G);
        std::string s = strf("P_IOTLB inv G=%llu did=%llu pasid=%llu", ull(g),
                             ull(get(d, v::inv_piotlb::DID)), ull(get(d, v::inv_piotlb::PASID)));
        if (g == v::inv_piotlb::kGranPage)
            s +=
                strf(" addr=0x%llx am=%llu ih=%llu", ull(get(d, v::inv_piotlb::ADDR) << kPageShift),
                     ull(get(d, v::inv_piotlb::AM)), ull(get(d, v::inv_piotlb::IH)));
        return s;
    }
    case v::inv_pc::kType: {
        uint64_t g = get(d, v::inv_pc::G);
        if (g == v::inv_pc::kGranGlobal) return "PASID-cache inv G=3";
        if (g == v::inv_pc::kGranAllOfDid)
            return strf("PASID-cache inv G=0 did=%llu", ull(get(d, v::inv_pc::DID)));
        return strf("PASID-cache inv G=1 did=%llu pasid=%llu", ull(get(d, v::inv_pc::DID)),
                    ull(get(d, v::inv_pc::PASID)));
    }
    case v::inv_pdevtlb::kType:
        return strf("P_DEVTLB inv sid=%llu pasid=%llu addr=0x%llx s=%llu g=%llu",
                    ull(get(d, v::inv_pdevtlb::SID)), ull(get(d, v::inv_pdevtlb::PASID)),
                    ull(get(d, v::inv_pdevtlb::ADDR) << kPageShift), ull(get(d, v::inv_pdevtlb::S)),
                    ull(get(d, v::inv_pdevtlb::G)));
    case v::page_grp_resp::kType:
        return strf("page group response rid=%llu pp=%llu pasid=%llu prg=%llu code=0x%llx",
                    ull(get(d, v::page_grp_resp::RID)), ull(get(d, v::page_grp_resp::PP)),
                    ull(get(d, v::page_grp_resp::PASID)), ull(get(d, v::page_grp_resp::PRG_INDEX)),
                    ull(get(d, v::page_grp_resp::RESP_CODE)));
    default:
        return strf("unknown descriptor type 0x%llx", ull(type));
    }
}

// The tables as the hardware would read them for the topology's devices on
// IOMMU index: present root entries, context entries, present PDEs within
// PDTS, present PASID entries (at most kMaxDumpPasidEntries per device).
void dump_tables(const MemoryView &mem, const Topology &topo, uint32_t index, uint64_t rtaddr,
                 std::vector<DecodedEntry> &out) {
    namespace v = vtd;
    const uint64_t rta = get(&rtaddr, v::rtaddr::RTA) << kPageShift;
    for (uint32_t bus = 0; bus < 256; ++bus) {
        const uint64_t pa = rta + v::root::kBytes * bus;
        auto re = read_words<2>(mem, pa);
        if (get(re.data(), v::root::LP) || get(re.data(), v::root::UP))
            out.push_back(decode(v::root::kFormat, "root", strf("bus %u", bus), pa, re.data()));
    }
    for (uint32_t rid = 0; rid < topo.devices.size() && rid <= 0xffff; ++rid) {
        if (topo.devices[rid].iommu != index) continue;
        const uint32_t bus = rid >> 8, devfn = rid & 0xff;
        auto re = read_words<2>(mem, rta + v::root::kBytes * bus);
        const bool upper = devfn >= 0x80;
        if (!get(re.data(), upper ? v::root::UP : v::root::LP)) continue;
        const uint64_t ctp = get(re.data(), upper ? v::root::UCTP : v::root::LCTP) << kPageShift;
        const uint64_t cpa = ctp + v::context::kBytes * (devfn & 0x7f);
        auto ce = read_words<4>(mem, cpa);
        out.push_back(decode(v::context::kFormat, "context", strf("rid %u", rid), cpa, ce.data()));
        if (!get(ce.data(), v::context::P)) continue;
        const uint64_t dir = get(ce.data(), v::context::PASIDDIRPTR) << kPageShift;
        const uint64_t dir_entries = uint64_t{1} << (get(ce.data(), v::context::PDTS) + 7);
        std::size_t pasid_entries = 0;
        for (uint64_t di = 0; di < dir_entries; ++di) {
            const uint64_t ppa = dir + v::pde::kBytes * di;
            const uint64_t pde = mem.read64(ppa);
            if (!get(&pde, v::pde::P)) continue;
            out.push_back(
                decode(v::pde::kFormat, "PDE", strf("rid %u dir %llu", rid, ull(di)), ppa, &pde));
            const uint64_t table = get(&pde, v::pde::PTPTR) << kPageShift;
            for (uint64_t ti = 0; ti < v::pasid_entry::kPerTable; ++ti) {
                if (pasid_entries >= VtdModel::kMaxDumpPasidEntries) break;
                const uint64_t epa = table + v::pasid_entry::kBytes * ti;
                const uint64_t q0 = mem.read64(epa);
                if (!get(&q0, v::pasid_entry::P)) continue;
                auto pe = read_words<8>(mem, epa);
                ++pasid_entries;
                out.push_back(
                    decode(v::pasid_entry::kFormat, "PASID",
                           strf("rid %u pasid %llu", rid, ull(di << v::pde::kPasidShift | ti)), epa,
                           pe.data()));
            }
        }
    }
}

// The legacy-mode tables (RTADDR.TTM = 00b) as the hardware would read them
// for the topology's devices on IOMMU index: present root entries, and the
// context entry of each device whose bus has one.
void dump_legacy_tables(const MemoryView &mem, const Topology &topo, uint32_t index,
                        uint64_t rtaddr, std::vector<DecodedEntry> &out) {
    namespace v = vtd;
    namespace rl = vtd::root_legacy;
    namespace cl = vtd::context_legacy;
    const uint64_t rta = get(&rtaddr, v::rtaddr::RTA) << kPageShift;
    for (uint32_t bus = 0; bus < 256; ++bus) {
        const uint64_t pa = rta + rl::kBytes * bus;
        auto re = read_words<2>(mem, pa);
        if (get(re.data(), rl::P))
            out.push_back(decode(rl::kFormat, "root-legacy", strf("bus %u", bus), pa, re.data()));
    }
    for (uint32_t rid = 0; rid < topo.devices.size() && rid <= 0xffff; ++rid) {
        if (topo.devices[rid].iommu != index) continue;
        const uint32_t bus = rid >> 8, devfn = rid & 0xff;
        auto re = read_words<2>(mem, rta + rl::kBytes * bus);
        if (!get(re.data(), rl::P)) continue;
        const uint64_t cpa = (get(re.data(), rl::CTP) << kPageShift) + cl::kBytes * devfn;
        auto ce = read_words<2>(mem, cpa);
        out.push_back(decode(cl::kFormat, "context-legacy", strf("rid %u", rid), cpa, ce.data()));
    }
}

// A second-stage walk (VT-d 3.7, 9.8): levels tables of 512 entries from
// root over 12 + 9 * levels bits of input address. An entry with R = W = 0
// is not present; R and W (and X, when exec) of every level are ANDed; PS
// ends the walk at a level CAP.SLLPS allows large pages at (sllps bit 0:
// 2 MiB, bit 1: 1 GiB) and is reserved elsewhere, a fault.
Walk walk_second_stage(const MemoryView &mem, uint64_t root, uint64_t va, uint8_t access,
                       unsigned levels, uint64_t sllps, bool exec, std::string &why) {
    namespace p = vtd::ss_pte;
    Walk w;
    const unsigned va_bits = kPageShift + 9 * levels;
    if (va_bits < 64 && (va >> va_bits)) {
        why = strf("second-stage walk: address 0x%llx beyond the %u-bit address width (AW)",
                   ull(va), va_bits);
        return w;
    }
    uint64_t table = root;
    uint8_t allowed = kRead | kWrite | (exec ? kExec : 0);
    for (unsigned level = 0; level < levels; ++level) {
        w.level = level;
        const unsigned below = levels - 1 - level; // levels under this one
        const unsigned shift = kPageShift + 9 * below;
        const uint64_t e = mem.read64(table + 8 * ((va >> shift) & 511));
        if (!get(&e, p::R) && !get(&e, p::W)) {
            why = strf("second-stage walk: not present at level %u of %u", level, levels);
            return w;
        }
        if (!get(&e, p::R)) allowed &= static_cast<uint8_t>(~kRead);
        if (!get(&e, p::W)) allowed &= static_cast<uint8_t>(~kWrite);
        if (!get(&e, p::X)) allowed &= static_cast<uint8_t>(~kExec);
        const uint64_t addr = get(&e, p::ADDR) << kPageShift;
        const bool large = below > 0 && get(&e, p::PS);
        if (large && !(below <= 2 && (sllps >> (below - 1) & 1))) {
            why = strf("second-stage walk: PS=1 at level %u of %u, where CAP.SLLPS=%llu allows no "
                       "large page (a reserved bit)",
                       level, levels, ull(sllps));
            return w;
        }
        if (below == 0 || large) {
            const uint64_t span = uint64_t{1} << shift;
            w.pa = (addr & ~(span - 1)) | (va & (span - 1));
            w.perms = allowed;
            w.result = (access & ~allowed) ? Walk::Result::permission : Walk::Result::ok;
            if (w.result == Walk::Result::permission)
                why = strf("second-stage walk: %s not allowed by %s mapping",
                           perms_str(access).c_str(), perms_str(allowed).c_str());
            return w;
        }
        table = addr;
    }
    return w;
}

} // namespace

VtdIds vtd_ids(const Iommu &desc, bool ats, bool pri) {
    namespace c = vtd::cap;
    namespace e = vtd::ecap;
    VtdIds ids;
    ids.ver = 0x10; // architecture version 1.0, as most implementations report
    uint64_t v = 0;
    set(&v, c::ND, 6);                           // 2^16 domain IDs
    set(&v, c::SAGAW, vtd::pasid_entry::kSagaw); // 4- and 5-level, as the rules assume
    set(&v, c::MGAW, 56);                        // 57-bit
    set(&v, c::FL5LP, 1);
    set(&v, c::FRO, vtd::reg::kFaultUnit);
    set(&v, c::SLLPS, 1); // 2 MiB
    set(&v, c::PSI, 1);
    set(&v, c::FL1GP, 1);
    set(&v, c::ESRTPS, 1);
    ids.cap = v;
    v = 0;
    set(&v, e::QI, 1);
    set(&v, e::DT, ats ? 1 : 0);
    set(&v, e::PT, 1);
    set(&v, e::SC, 1);
    set(&v, e::IRO, vtd::reg::kIotlbUnit);
    set(&v, e::PRS, pri ? 1 : 0);
    if (desc.pasid_bits) {
        set(&v, e::PASID, 1);
        set(&v, e::PSS, desc.pasid_bits - 1);
    }
    set(&v, e::SMTS, 1);
    set(&v, e::SLTS, 1);
    set(&v, e::FLTS, desc.sva ? 1 : 0);
    set(&v, e::SMPWCS, 1);
    ids.ecap = v;
    return ids;
}

VtdModel::VtdModel(const Iommu &desc, uint32_t index)
    : VtdModel(desc, index, vtd_ids(desc, true, true)) {}

VtdModel::VtdModel(const Iommu &desc, uint32_t index, const VtdIds &ids)
    : desc_(desc), index_(index), ids_(ids) {}

void VtdModel::misuse(ClauseId clause, std::string what) {
    static constexpr std::size_t kMaxMisuse = 64; // per driver call: a flood is one finding
    if (misuse_.size() < kMaxMisuse)
        misuse_.push_back({clause, "VT-d " + std::to_string(index_) + ": " + std::move(what)});
}

std::vector<IommuModel::Misuse> VtdModel::take_misuse() {
    return std::exchange(misuse_, {});
}

// ---- the invalidation queue (VT-d 6.5.2) ----

uint64_t VtdModel::iq_base() const {
    const uint64_t iqa = regs_.get(vtd::reg::kIqa);
    return get(&iqa, vtd::iqa::IQA) << vtd::iqa::IQA.lo;
}

uint64_t VtdModel::iq_bytes() const {
    const uint64_t iqa = regs_.get(vtd::reg::kIqa);
    return uint64_t{4096} << get(&iqa, vtd::iqa::QS);
}

uint64_t VtdModel::iq_step() const {
    const uint64_t iqa = regs_.get(vtd::reg::kIqa);
    return get(&iqa, vtd::iqa::DW) ? 32 : 16;
}

bool VtdModel::iq_stopped() const {
    const uint64_t fsts = regs_.get(vtd::reg::kFsts);
    return get(&fsts, vtd::fsts::IQE) != 0;
}

void VtdModel::write_iqt(uint64_t val) {
    const uint64_t size = iq_bytes(), step = iq_step();
    const uint64_t off = val & vtd::iq_offset::QT.mask();
    if (val != off || off % step || off >= size)
        misuse(ClauseId::VTD_REG_1, "IQT_REG written " + hex(val) + ": not an offset of a " +
                                        std::to_string(step * 8) + "-bit descriptor inside the " +
                                        std::to_string(size) + "-byte queue");
    const uint64_t tail = (off - off % step) % size;
    if (iq_stopped()) {
        const uint64_t before = (regs_.get(vtd::reg::kIqt) - iqh_) % size;
        const uint64_t after = (tail + size - iqh_) % size;
        if (after < before)
            misuse(ClauseId::VTD_REG_2,
                   "IQT_REG moved from " + hex(regs_.get(vtd::reg::kIqt)) + " back to " +
                       hex(tail) + " over descriptors the hardware has not fetched (IQH " +
                       hex(iqh_) + ", stopped at an Invalidation Queue Error)");
    }
    regs_[vtd::reg::kIqt] = tail;
    iq_kicked_ = true;
}

// The hardware fetches from IQH to IQT, in order, each descriptor as
// submit() takes it; an invalid one sets FSTS.IQE and stops the queue with
// IQH at it. A wait descriptor with SW writes its status data (32 bits) at
// its status address; with IF it sets ICS.IWC.
std::vector<IommuModel::Consumed> VtdModel::run_command_queue(MemoryBus &mem) {
    std::vector<Consumed> out;
    const uint64_t gsts = regs_.get(vtd::gsts::kOffset);
    if (!std::exchange(iq_kicked_, false) || !get(&gsts, vtd::gsts::QIES) || iq_stopped())
        return out;
    const uint64_t size = iq_bytes(), step = iq_step(), base = iq_base();
    const uint64_t tail = regs_.get(vtd::reg::kIqt) % size;
    for (uint64_t n = 0; iqh_ != tail && n < size / step; ++n) {
        Consumed c;
        c.qwords = vtd::kDescQwords;
        for (uint64_t k = 0; k < step / 8; ++k) c.q[k] = mem.read64(base + iqh_ + 8 * k);
        c.rc = submit(mem, c.q.data(), c.qwords);
        out.push_back(c);
        if (c.rc != 0) {
            uint64_t fsts = regs_.get(vtd::reg::kFsts);
            set(&fsts, vtd::fsts::IQE, 1);
            regs_[vtd::reg::kFsts] = fsts;
            break;
        }
        namespace w = vtd::inv_wait;
        if (get(c.q.data(), vtd::inv_cc::Type) == w::kType) {
            if (get(c.q.data(), w::SW)) {
                const uint64_t addr = get(c.q.data(), w::STATUS_ADDR) << w::STATUS_ADDR.lo;
                const uint64_t word = addr & ~uint64_t{7};
                const unsigned shift = (addr & 4) ? 32 : 0;
                uint64_t v = mem.read64(word);
                v = (v & ~(uint64_t{0xffffffff} << shift)) | get(c.q.data(), w::STATUS_DATA)
                                                                 << shift;
                mem.hw_write64(word, v);
            }
            if (get(c.q.data(), w::IF)) regs_[vtd::reg::kIcs] = vtd::ics::IWC.mask();
        }
        iqh_ = (iqh_ + step) % size;
    }
    return out;
}

// While the queue is stopped at an error, the descriptors after IQH are the
// hardware's until it fetches them; the one at IQH software may replace.
void VtdModel::observe_store(uint64_t pa) {
    if (!iq_stopped()) return;
    const uint64_t size = iq_bytes(), step = iq_step(), base = iq_base();
    if (pa < base || pa >= base + size) return;
    const uint64_t slot = (pa - base) - (pa - base) % step;
    const uint64_t after = (slot + size - iqh_) % size;
    const uint64_t pending = (regs_.get(vtd::reg::kIqt) + size - iqh_) % size;
    if (after == 0 || after >= pending) return;
    misuse(ClauseId::VTD_REG_2,
           "a store at " + hex(pa) + " into the invalidation queue at offset " + hex(slot) +
               ", which the hardware has not fetched (IQH " + hex(iqh_) + ", IQT " +
               hex(regs_.get(vtd::reg::kIqt)) + ", stopped at an Invalidation Queue Error)");
}

template <typename Map, typename K, typename V> void VtdModel::insert(Map &m, const K &k, V v) {
    if (m.size() >= kMaxCacheEntries && !m.count(k)) m.clear();
    m[k] = std::move(v);
}

std::string VtdModel::describe_command(const uint64_t *cmd, uint32_t qwords) const {
    if (!cmd || qwords != 4) return "ill-formed descriptor";
    return describe(cmd, get(cmd, vtd::inv_cc::Type) | get(cmd, vtd::kTypeHi) << 4);
}

const std::vector<std::string> &VtdModel::command_log() const {
    for (std::size_t i = log_.size(); i < accepted_.size(); ++i) {
        const uint64_t *d = accepted_[i].data();
        log_.push_back(describe(d, get(d, vtd::inv_cc::Type) | get(d, vtd::kTypeHi) << 4));
    }
    // Once truncated, nothing more is accepted: the line comes last, once.
    if (log_truncated_ && log_.size() == accepted_.size())
        log_.push_back("(command log truncated)");
    return log_;
}

void VtdModel::write_reg(uint32_t offset, uint64_t val) {
    namespace v = vtd;
    switch (offset) {
    case SVAC_VTD_PQH:
    case SVAC_VTD_PQT:
        // Byte offsets of 32-byte descriptors; the other bits are reserved.
        // Software owns PQH; it writes PQT only to set the queue up (Linux
        // writes 0 to both before PQA).
        regs_[offset] = val & v::pq_offset::QH.mask();
        return;
    case SVAC_VTD_PRS:
        // PPR and PRO are write-1-to-clear: software can clear them, never set them.
        regs_[offset] = read_reg(offset) & ~(val & (v::prs::PPR.mask() | v::prs::PRO.mask()));
        return;
    case v::gsts::kOffset:
    case v::reg::kVer:
    case v::reg::kCap:
    case v::reg::kEcap:
    case v::reg::kIqh:
        return; // read-only
    case SVAC_VTD_GCMD: {
        // A command takes effect at once: GSTS reports it on the next read.
        regs_[offset] = val;
        uint64_t sts = read_reg(v::gsts::kOffset);
        const bool qi_was = get(&sts, v::gsts::QIES) != 0;
        set(&sts, v::gsts::TES, get(&val, v::gcmd::TE));
        set(&sts, v::gsts::QIES, get(&val, v::gcmd::QIE));
        set(&sts, v::gsts::IRES, get(&val, v::gcmd::IRE));
        set(&sts, v::gsts::WBFS, 0); // the flush is done at once
        if (get(&val, v::gcmd::SRTP)) {
            set(&sts, v::gsts::RTPS, 1);
            // ESRTPS: latching the root table drops what was cached from it.
            context_cache_.clear();
            legacy_context_cache_.clear();
            pasid_cache_.clear();
            iotlb_.clear();
        }
        if (qi_was != (get(&val, v::gcmd::QIE) != 0)) iqh_ = 0; // IQH resets with QIES
        regs_[v::gsts::kOffset] = sts;
        iq_kicked_ = get(&val, v::gcmd::QIE) != 0;
        return;
    }
    case v::reg::kIqt:
        write_iqt(val);
        return;
    case v::reg::kFsts: {
        // Write 1 to clear; clearing IQE lets the hardware fetch again.
        const bool stopped = iq_stopped();
        regs_[offset] = regs_.get(offset) & ~val;
        if (stopped && !iq_stopped()) iq_kicked_ = true;
        return;
    }
    case v::reg::kIcs:
        regs_[offset] = regs_.get(offset) & ~(val & v::ics::IWC.mask());
        return;
    case v::reg::kCcmd:
        // Register-based invalidation completes at once (ICC reads 0 again).
        if (get(&val, v::ccmd::ICC)) context_cache_.clear();
        regs_[offset] = val & ~v::ccmd::ICC.mask();
        return;
    case v::reg::kIotlb:
        if (val >> 63) { // IVT
            iotlb_.clear();
            pasid_cache_.clear();
        }
        regs_[offset] = val & ~(uint64_t{1} << 63);
        return;
    default:
        regs_[offset] = val;
    }
}

uint64_t VtdModel::read_reg(uint32_t offset) const {
    switch (offset) {
    case vtd::reg::kVer:
        return ids_.ver;
    case vtd::reg::kCap:
        return ids_.cap;
    case vtd::reg::kEcap:
        return ids_.ecap;
    case vtd::reg::kIqh:
        return iqh_;
    default:
        return regs_.get(offset);
    }
}

int VtdModel::submit(const MemoryView &, const uint64_t *cmd, uint32_t qwords) {
    if (!cmd || qwords != vtd::kDescQwords) return -EINVAL;
    Desc d{cmd[0], cmd[1], cmd[2], cmd[3]};
    uint64_t type = get(d.data(), vtd::inv_cc::Type) | get(d.data(), vtd::kTypeHi) << 4;
    switch (type) {
    case vtd::inv_cc::kType:
    case vtd::inv_iotlb::kType:
    case vtd::inv_devtlb::kType:
    case vtd::inv_wait::kType:
    case vtd::inv_piotlb::kType:
    case vtd::inv_pc::kType:
    case vtd::inv_pdevtlb::kType:
    case vtd::page_grp_resp::kType:
        break;
    default:
        return -EINVAL; // IQE: invalid descriptor type
    }
    // The G field sits at q0[5:4] in every descriptor that has one.
    if (!known_granularity(type, get(d.data(), vtd::inv_pc::G))) return -EINVAL;
    if (accepted_.size() < kMaxLogLines)
        accepted_.push_back(d);
    else
        log_truncated_ = true;
    if (type == vtd::page_grp_resp::kType) {
        // The response goes out to the device as the descriptor is fetched;
        // a later wait descriptor only tells software it has. Never pending.
        respond(d);
        return 0;
    }
    if (type != vtd::inv_wait::kType) {
        pending_.push_back(d);
        return 0;
    }
    for (const Desc &p : pending_) apply(p);
    pending_.clear();
    return 0;
}

void VtdModel::apply(const Desc &desc) {
    namespace v = vtd;
    const uint64_t *d = desc.data();
    switch (get(d, v::inv_cc::Type)) {
    case v::inv_cc::kType: {
        if (get(d, v::inv_cc::G) == v::inv_cc::kGranDomain) {
            // Legacy context entries carry a DID; scalable-mode ones do not,
            // so domain-selective drops them all.
            const uint64_t did = get(d, v::inv_cc::DID);
            std::erase_if(legacy_context_cache_, [&](const auto &e) {
                return get(e.second.data(), v::context_legacy::DID) == did;
            });
            context_cache_.clear();
            break;
        }
        if (get(d, v::inv_cc::G) != v::inv_cc::kGranDevice) {
            context_cache_.clear();
            legacy_context_cache_.clear();
            break;
        }
        static constexpr uint32_t kFmMask[] = {0, 0x4, 0x6, 0x7};
        uint32_t keep = ~kFmMask[get(d, v::inv_cc::FM)];
        uint32_t sid = static_cast<uint32_t>(get(d, v::inv_cc::SID));
        std::erase_if(context_cache_,
                      [&](const auto &e) { return (e.first & keep) == (sid & keep); });
        std::erase_if(legacy_context_cache_,
                      [&](const auto &e) { return (e.first & keep) == (sid & keep); });
        break;
    }
    case v::inv_iotlb::kType: {
        uint64_t g = get(d, v::inv_iotlb::G);
        if (g == v::inv_iotlb::kGranGlobal)
            iotlb_.clear();
        else if (g == v::inv_iotlb::kGranDomain) {
            uint64_t did = get(d, v::inv_iotlb::DID);
            std::erase_if(iotlb_, [&](const auto &e) { return std::get<0>(e.first) == did; });
        } else if (g == v::inv_iotlb::kGranPage) {
            // Page-selective-within-domain covers second-stage mappings (PGTT=2,
            // legacy mode), not first-stage ones (Linux uses P_IOTLB for those).
            const uint64_t did = get(d, v::inv_iotlb::DID);
            const PageRange r = am_range(get(d, v::inv_iotlb::ADDR),
                                         static_cast<unsigned>(get(d, v::inv_iotlb::AM)));
            std::erase_if(iotlb_, [&](const auto &e) {
                return std::get<0>(e.first) == did && e.second.second_stage &&
                       r.contains(std::get<2>(e.first));
            });
        }
        break;
    }
    case v::inv_devtlb::kType: {
        uint64_t sid = get(d, v::inv_devtlb::SID);
        PageRange r = ats_range(get(d, v::inv_devtlb::ADDR), get(d, v::inv_devtlb::S));
        std::erase_if(devtlb_, [&](const auto &e) {
            auto [rid, pasid, vpn] = e.first;
            return rid == sid && pasid == kNoPasid && r.contains(vpn);
        });
        break;
    }
    case v::inv_piotlb::kType: {
        uint64_t did = get(d, v::inv_piotlb::DID), pasid = get(d, v::inv_piotlb::PASID);
        PageRange r{0, 0};
        if (get(d, v::inv_piotlb::G) == v::inv_piotlb::kGranPage)
            r = am_range(get(d, v::inv_piotlb::ADDR),
                         static_cast<unsigned>(get(d, v::inv_piotlb::AM)));
        std::erase_if(iotlb_, [&](const auto &e) {
            auto [edid, epasid, vpn] = e.first;
            return edid == did && epasid == pasid && r.contains(vpn);
        });
        break;
    }
    case v::inv_pc::kType: {
        uint64_t g = get(d, v::inv_pc::G);
        uint64_t did = get(d, v::inv_pc::DID), pasid = get(d, v::inv_pc::PASID);
        if (g == v::inv_pc::kGranGlobal) {
            pasid_cache_.clear();
            break;
        }
        std::erase_if(pasid_cache_, [&](const auto &e) {
            return get(e.second.pe.data(), v::pasid_entry::DID) == did &&
                   (g == v::inv_pc::kGranAllOfDid || e.first.second == pasid);
        });
        break;
    }
    case v::inv_pdevtlb::kType: {
        uint64_t sid = get(d, v::inv_pdevtlb::SID), pasid = get(d, v::inv_pdevtlb::PASID);
        PageRange r = ats_range(get(d, v::inv_pdevtlb::ADDR), get(d, v::inv_pdevtlb::S));
        std::erase_if(devtlb_, [&](const auto &e) {
            auto [rid, epasid, vpn] = e.first;
            return rid == sid && epasid == pasid && r.contains(vpn);
        });
        break;
    }
    default:
        break;
    }
}

// ---- the page request queue and page group responses ----

namespace {

// The code the hardware answers a page request it cannot queue with.
//
// VT-d has the remapping hardware answer by itself the requests it drops:
// while PRS.PRO is set, and the one that finds the queue full (PQT + 32 ==
// PQH), which sets PRO, are not written to the queue, and the last request
// of a group (LPIG; or one with private data, not modelled) gets a page group
// response from the hardware. Sources: Kevin Tian's review of Linux's "Add
// page request draining support" (iommu list, 2020) cites VT-d section 7.10
// step (d): after an overflow software repeats the drain sequence "to drain
// auto-responses"; Linux commit 973b546451fd: while the overflow bit is set
// "any future page-request is going to be automatically dropped by IOMMU";
// QEMU's intel_iommu.c (2025 PRI support) sets PRO on a full queue and drops
// requests while it is set. The code is Success, so that the device retries,
// faults again and sends its requests anew once software has drained the
// queue: the RISC-V IOMMU, whose page request queue follows this design,
// states it outright (riscv-iommu spec, "ATS_PRI"; riscv-non-isa/riscv-iommu
// issues #199 and #262). No text of the VT-d specification itself was at hand
// for the code. Stop Markers need no response and get none.
constexpr uint8_t kAutoResponseCode = vtd::page_grp_resp::kRespSuccess;

} // namespace

uint64_t VtdModel::prq_bytes() const {
    const uint64_t pqa = read_reg(SVAC_VTD_PQA);
    if (!get(&pqa, vtd::pqa::PQA)) return 0;
    return kPageSize << get(&pqa, vtd::pqa::PQS);
}

void VtdModel::auto_respond(const PageRequest &req) {
    if (!req.last || req.stop_marker()) return;
    PageResponse r;
    r.sid = req.sid;
    r.has_pasid = req.has_pasid;
    r.pasid = req.has_pasid ? req.pasid : 0;
    r.group = req.group & ((1u << vtd::prq::PRG_INDEX.width) - 1); // 9 bits, as queued
    r.code = r.raw = kAutoResponseCode;
    r.automatic = true;
    responses_.push_back(r);
}

IommuModel::Queued VtdModel::queue_fault(MemoryBus &mem, PageRequest &req) {
    namespace v = vtd;
    // VT-d has no stall model: a stalled transaction cannot come from it.
    if (req.stall) return Queued::dropped;
    const uint64_t bytes = prq_bytes();
    if (!bytes) {
        auto_respond(req); // nowhere to queue it: dropped as in an overflow
        return Queued::dropped;
    }
    const uint64_t prs = read_reg(SVAC_VTD_PRS);
    if (prs & SVAC_VTD_PRS_PRO) {
        auto_respond(req);
        return Queued::dropped;
    }
    const uint64_t head = read_reg(SVAC_VTD_PQH) & (bytes - 1);
    const uint64_t tail = read_reg(SVAC_VTD_PQT) & (bytes - 1);
    const uint64_t next = (tail + v::prq::kBytes) & (bytes - 1);
    if (next == head) {
        regs_[SVAC_VTD_PRS] = prs | SVAC_VTD_PRS_PRO;
        auto_respond(req);
        return Queued::overflow;
    }

    Desc d{};
    set(d.data(), v::prq::Type, v::prq::kType);
    set(d.data(), v::prq::PP, req.has_pasid);
    set(d.data(), v::prq::RID, req.sid);
    set(d.data(), v::prq::PASID, req.has_pasid ? req.pasid : 0);
    set(d.data(), v::prq::EXE, (req.perm & SVAC_FAULT_PERM_EXEC) != 0);
    set(d.data(), v::prq::PM, (req.perm & SVAC_FAULT_PERM_PRIV) != 0);
    set(d.data(), v::prq::RD, (req.perm & SVAC_FAULT_PERM_READ) != 0);
    set(d.data(), v::prq::WR, (req.perm & SVAC_FAULT_PERM_WRITE) != 0);
    set(d.data(), v::prq::LPIG, req.last);
    set(d.data(), v::prq::PRG_INDEX, req.group);
    set(d.data(), v::prq::ADDR, req.addr >> kPageShift);
    const uint64_t pqa = read_reg(SVAC_VTD_PQA);
    const uint64_t at = (get(&pqa, v::pqa::PQA) << kPageShift) + tail;
    for (std::size_t i = 0; i < d.size(); ++i) {
        if (!mem.hw_write64(at + 8 * i, d[i])) {
            // The queue is not memory: the request goes nowhere (the model
            // does not report the write error) and is treated as dropped.
            auto_respond(req);
            return Queued::dropped;
        }
    }
    regs_[SVAC_VTD_PQT] = next;
    regs_[SVAC_VTD_PRS] = read_reg(SVAC_VTD_PRS) | SVAC_VTD_PRS_PPR;
    return Queued::queued;
}

void VtdModel::overflow_queue() {
    regs_[SVAC_VTD_PRS] = read_reg(SVAC_VTD_PRS) | SVAC_VTD_PRS_PRO;
}

bool VtdModel::irq_pending() const {
    if (read_reg(SVAC_VTD_PRS) & SVAC_VTD_PRS_PRO) return true;
    const uint64_t bytes = prq_bytes();
    return bytes &&
           (read_reg(SVAC_VTD_PQH) & (bytes - 1)) != (read_reg(SVAC_VTD_PQT) & (bytes - 1));
}

std::vector<PageResponse> VtdModel::take_responses() {
    return std::exchange(responses_, {});
}

// A page group response descriptor as the device receives it: the PCIe PRG
// response carries the 4-bit code as written (a reserved code included), the
// PRG index, the destination RID and, with PASID present, the PASID.
void VtdModel::respond(const Desc &desc) {
    namespace v = vtd;
    const uint64_t *d = desc.data();
    PageResponse r;
    r.sid = static_cast<uint32_t>(get(d, v::page_grp_resp::RID));
    r.has_pasid = get(d, v::page_grp_resp::PP) != 0;
    r.pasid = r.has_pasid ? static_cast<uint32_t>(get(d, v::page_grp_resp::PASID)) : 0;
    r.group = static_cast<uint32_t>(get(d, v::page_grp_resp::PRG_INDEX));
    r.code = r.raw = static_cast<uint8_t>(get(d, v::page_grp_resp::RESP_CODE));
    r.automatic = false;
    responses_.push_back(r);
}

namespace {
// A walk ends: what it came to, why, in words.
DmaResult ended(DmaResult &r, DmaResult::Kind k, DmaResult::Reason reason, std::string why) {
    r.kind = k;
    r.reason = reason;
    r.why = std::move(why);
    return r;
}
} // namespace

DmaResult VtdModel::dma(const MemoryView &mem, const DmaRequest &req) {
    namespace v = vtd;
    DmaResult r;
    auto end = [&r](Kind k, Reason reason, std::string why) {
        return ended(r, k, reason, std::move(why));
    };
    auto translated = [&r](uint64_t pa, std::string why) {
        r.kind = Kind::translated;
        r.pa = pa;
        r.reason = Reason::none;
        r.why = std::move(why);
        return r;
    };

    const uint64_t gsts = read_reg(v::gsts::kOffset);
    if (!get(&gsts, v::gsts::TES)) return translated(req.va, "GSTS.TES=0: not translated");
    const uint64_t rtaddr = read_reg(SVAC_VTD_RTADDR);
    if (!regs_.contains(SVAC_VTD_RTADDR))
        return end(Kind::fault, Reason::bad_stream, "RTADDR never written");
    if (get(&rtaddr, v::rtaddr::TTM) == v::rtaddr::kTtmLegacy) return dma_legacy(mem, req, rtaddr);
    if (get(&rtaddr, v::rtaddr::TTM) != v::rtaddr::kTtmScalable)
        return end(Kind::fault, Reason::bad_stream,
                   strf("RTADDR.TTM=%llu is neither legacy nor scalable mode",
                        ull(get(&rtaddr, v::rtaddr::TTM))));
    const uint32_t rid = req.sid;
    if (rid > 0xffff)
        return end(Kind::fault, Reason::bad_stream, strf("requester ID %u out of range", rid));

    const bool ats = req.device && req.device->ats;
    const bool pri = req.device && req.device->pri;
    const uint64_t vpn = req.va >> kPageShift;
    const uint64_t offset = req.va & (kPageSize - 1);
    const uint32_t devtlb_pasid = req.has_pasid ? req.pasid : kNoPasid;
    if (ats) {
        auto it = devtlb_.find({rid, devtlb_pasid, vpn});
        if (it != devtlb_.end() && (req.access & ~it->second.perms) == 0)
            return translated(it->second.pa_page | offset, "device-TLB hit");
    }

    // Context entry.
    auto ctx_it = context_cache_.find(rid);
    if (ctx_it == context_cache_.end()) {
        const uint32_t bus = rid >> 8, devfn = rid & 0xff;
        const uint64_t root_pa =
            (get(&rtaddr, v::rtaddr::RTA) << kPageShift) + v::root::kBytes * bus;
        auto re = read_words<2>(mem, root_pa);
        const bool upper = devfn >= 0x80;
        if (!get(re.data(), upper ? v::root::UP : v::root::LP))
            return end(Kind::fault, Reason::bad_stream,
                       strf("root entry bus %u: %s=0", bus, upper ? "UP" : "LP"));
        const uint64_t ctp = get(re.data(), upper ? v::root::UCTP : v::root::LCTP) << kPageShift;
        auto ce = read_words<4>(mem, ctp + v::context::kBytes * (devfn & 0x7f));
        if (!get(ce.data(), v::context::P))
            return end(Kind::fault, Reason::bad_config, strf("context entry rid %u: P=0", rid));
        insert(context_cache_, rid, ce);
        ctx_it = context_cache_.find(rid);
    }
    const ContextEntry ctx = ctx_it->second;

    uint32_t pasid;
    if (req.has_pasid) {
        if (!get(ctx.data(), v::context::PASIDE))
            return end(
                Kind::fault, Reason::bad_substream,
                strf("context entry rid %u: PASIDE=0, request with PASID %u", rid, req.pasid));
        pasid = req.pasid;
    } else {
        pasid = static_cast<uint32_t>(get(ctx.data(), v::context::RID_PASID));
    }

    // PASID directory and PASID table entries.
    auto pc_it = pasid_cache_.find({rid, pasid});
    if (pc_it == pasid_cache_.end()) {
        const uint64_t dir_index = pasid >> v::pde::kPasidShift;
        const uint64_t dir_entries = uint64_t{1} << (get(ctx.data(), v::context::PDTS) + 7);
        if (dir_index >= dir_entries)
            return end(Kind::fault, Reason::bad_substream,
                       strf("PASID %u: directory index %llu >= 2^(PDTS+7) = %llu", pasid,
                            ull(dir_index), ull(dir_entries)));
        const uint64_t dir = get(ctx.data(), v::context::PASIDDIRPTR) << kPageShift;
        const uint64_t pde = mem.read64(dir + v::pde::kBytes * dir_index);
        if (!get(&pde, v::pde::P))
            return end(get(&pde, v::pde::FPD) ? Kind::abort : Kind::fault, Reason::bad_substream,
                       strf("PASID directory entry rid %u index %llu: P=0", rid, ull(dir_index)));
        const uint64_t table = get(&pde, v::pde::PTPTR) << kPageShift;
        auto pe = read_words<8>(mem, table + v::pasid_entry::kBytes *
                                                 (pasid & (v::pasid_entry::kPerTable - 1)));
        if (!get(pe.data(), v::pasid_entry::P))
            return end(get(pe.data(), v::pasid_entry::FPD) ? Kind::abort : Kind::fault,
                       Reason::bad_context, strf("PASID entry rid %u pasid %u: P=0", rid, pasid));
        insert(pasid_cache_, std::pair{rid, pasid}, PasidCached{pde, pe});
        pc_it = pasid_cache_.find({rid, pasid});
    }
    const PasidEntry pe = pc_it->second.pe;
    const bool dev_caches = ats && get(ctx.data(), v::context::DTE);

    const uint64_t pgtt = get(pe.data(), v::pasid_entry::PGTT);
    if (pgtt == v::pasid_entry::kPgttPassThrough) {
        if (dev_caches)
            insert(devtlb_, DevtlbKey{rid, devtlb_pasid, vpn},
                   Translation{vpn << kPageShift, uint8_t(kRead | kWrite | kExec)});
        return translated(req.va, strf("pasid %u: PGTT=4 pass-through", pasid));
    }
    if (pgtt == v::pasid_entry::kPgttSecondStage) {
        // Second stage only (VT-d 9.6, 3.7): SSPTPTR with AW, which CAP.SAGAW
        // must list; execute requests need SSEE.
        const uint64_t aw = get(pe.data(), v::pasid_entry::AW);
        const uint64_t sagaw = get(&ids_.cap, v::cap::SAGAW);
        if (aw >= 5 || !(sagaw >> aw & 1))
            return end(
                Kind::fault, Reason::bad_context,
                strf("PASID entry rid %u pasid %u: PGTT=2 with AW=%llu, which CAP.SAGAW=0x%llx "
                     "does not list",
                     rid, pasid, ull(aw), ull(sagaw)));
        Translation t;
        Reason reason = Reason::none;
        std::string why;
        if (!second_stage(mem, req, get(pe.data(), v::pasid_entry::SSPTPTR) << kPageShift, aw,
                          get(pe.data(), v::pasid_entry::SSEE) != 0,
                          static_cast<uint32_t>(get(pe.data(), v::pasid_entry::DID)), pasid, t,
                          reason, why))
            return end(get(pe.data(), v::pasid_entry::FPD) ? Kind::abort : Kind::fault, reason,
                       strf("pasid %u: ", pasid) + why);
        if (dev_caches) insert(devtlb_, DevtlbKey{rid, devtlb_pasid, vpn}, t);
        return translated(t.pa_page | offset, strf("pasid %u: PGTT=2 ", pasid) + why);
    }
    if (pgtt != v::pasid_entry::kPgttFirstStage)
        return end(
            Kind::fault, Reason::bad_context,
            strf("PASID entry rid %u pasid %u: PGTT=%llu %s", rid, pasid, ull(pgtt),
                 pgtt == v::pasid_entry::kPgttNested ? "(nested): not modelled" : "is reserved"));
    // FLPM: 4-level (48-bit) or 5-level (57-bit, CAP_REG.FL5LP, which the
    // model has) first-stage paging; 2 and 3 are reserved (VT-d 9.6).
    const uint64_t flpm = get(pe.data(), v::pasid_entry::FLPM);
    if (flpm != v::pasid_entry::kFlpm4Level && flpm != v::pasid_entry::kFlpm5Level)
        return end(
            Kind::fault, Reason::bad_context,
            strf("PASID entry rid %u pasid %u: FLPM=%llu is reserved", rid, pasid, ull(flpm)));
    const unsigned va_bits = flpm == v::pasid_entry::kFlpm5Level ? 57 : 48;

    const uint32_t did = static_cast<uint32_t>(get(pe.data(), v::pasid_entry::DID));
    const IotlbKey tag{did, pasid, vpn};
    auto tlb = iotlb_.find(tag);
    Translation t;
    if (tlb != iotlb_.end() && (req.access & ~tlb->second.perms) == 0) {
        t = tlb->second;
        r.why = "IOTLB hit";
    } else {
        const uint64_t root = get(pe.data(), v::pasid_entry::FLPTR) << kPageShift;
        Walk w = walk_va_bits(mem, SVAC_PGTABLE_X86_64_4L, root, req.va, req.access, va_bits);
        if (w.result != Walk::Result::ok) {
            const bool perm = w.result == Walk::Result::permission;
            const Reason reason = perm ? Reason::permission : Reason::translation;
            std::string why = perm ? strf("first-stage walk: %s not allowed by %s mapping",
                                          perms_str(req.access).c_str(), perms_str(w.perms).c_str())
                                   : strf("first-stage walk: not present at level %u", w.level);
            if (pri && get(ctx.data(), v::context::PRE))
                return end(Kind::page_request, reason, why + ": page request");
            return end(get(pe.data(), v::pasid_entry::FPD) ? Kind::abort : Kind::fault, reason,
                       why);
        }
        t = Translation{w.pa & ~(kPageSize - 1), w.perms};
        insert(iotlb_, tag, t);
        r.why = "first-stage walk";
    }
    if (dev_caches) insert(devtlb_, DevtlbKey{rid, devtlb_pasid, vpn}, t);
    return translated(t.pa_page | offset, std::move(r.why));
}

bool VtdModel::second_stage(const MemoryView &mem, const DmaRequest &req, uint64_t root,
                            uint64_t aw, bool exec, uint32_t did, uint32_t tag_pasid,
                            Translation &t, Reason &reason, std::string &why) {
    const uint64_t vpn = req.va >> kPageShift;
    const IotlbKey tag{did, tag_pasid, vpn};
    auto tlb = iotlb_.find(tag);
    if (tlb != iotlb_.end() && (req.access & ~tlb->second.perms) == 0) {
        t = tlb->second;
        why = "IOTLB hit";
        return true;
    }
    Walk w = walk_second_stage(mem, root, req.va, req.access, vtd::ss_pte::levels_of(aw),
                               get(&ids_.cap, vtd::cap::SLLPS), exec, why);
    if (w.result != Walk::Result::ok) {
        reason = w.result == Walk::Result::permission ? Reason::permission : Reason::translation;
        return false;
    }
    t = Translation{w.pa & ~(kPageSize - 1), w.perms, true};
    insert(iotlb_, tag, t);
    why = "second-stage walk";
    return true;
}

DmaResult VtdModel::dma_legacy(const MemoryView &mem, const DmaRequest &req, uint64_t rtaddr) {
    namespace v = vtd;
    namespace rl = vtd::root_legacy;
    namespace cl = vtd::context_legacy;
    DmaResult r;
    auto end = [&r](Kind k, Reason reason, std::string why) {
        return ended(r, k, reason, std::move(why));
    };
    const uint32_t rid = req.sid;
    if (rid > 0xffff)
        return end(Kind::fault, Reason::bad_stream, strf("requester ID %u out of range", rid));
    const bool ats = req.device && req.device->ats;
    const uint64_t vpn = req.va >> kPageShift;
    const uint64_t offset = req.va & (kPageSize - 1);
    if (ats && !req.has_pasid) {
        auto it = devtlb_.find({rid, kNoPasid, vpn});
        if (it != devtlb_.end() && (req.access & ~it->second.perms) == 0) {
            r.pa = it->second.pa_page | offset;
            return end(Kind::translated, Reason::none, "device-TLB hit");
        }
    }

    auto ctx_it = legacy_context_cache_.find(rid);
    if (ctx_it == legacy_context_cache_.end()) {
        const uint32_t bus = rid >> 8, devfn = rid & 0xff;
        const uint64_t root_pa = (get(&rtaddr, v::rtaddr::RTA) << kPageShift) + rl::kBytes * bus;
        auto re = read_words<2>(mem, root_pa);
        if (!get(re.data(), rl::P))
            return end(Kind::fault, Reason::bad_stream, strf("legacy root entry bus %u: P=0", bus));
        if ((re[0] & rl::kFormat.reserved_mask(0)) || (re[1] & rl::kFormat.reserved_mask(1)))
            return end(Kind::fault, Reason::bad_stream,
                       strf("legacy root entry bus %u: reserved bits set (0x%llx 0x%llx)", bus,
                            ull(re[0] & rl::kFormat.reserved_mask(0)),
                            ull(re[1] & rl::kFormat.reserved_mask(1))));
        const uint64_t cpa = (get(re.data(), rl::CTP) << kPageShift) + cl::kBytes * devfn;
        auto ce = read_words<2>(mem, cpa);
        if (!get(ce.data(), cl::P))
            return end(Kind::fault, Reason::bad_config,
                       strf("legacy context entry rid %u: P=0", rid));
        if ((ce[0] & cl::kFormat.reserved_mask(0)) || (ce[1] & cl::kFormat.reserved_mask(1)))
            return end(Kind::fault, Reason::bad_config,
                       strf("legacy context entry rid %u: reserved bits set (0x%llx 0x%llx)", rid,
                            ull(ce[0] & cl::kFormat.reserved_mask(0)),
                            ull(ce[1] & cl::kFormat.reserved_mask(1))));
        const uint64_t tt = get(ce.data(), cl::TT);
        if (tt == cl::kTtPassThrough && !get(&ids_.ecap, v::ecap::PT))
            return end(Kind::fault, Reason::bad_config,
                       strf("legacy context entry rid %u: TT=2 without ECAP.PT", rid));
        if (tt != cl::kTtSecondStage && tt != cl::kTtDeviceTlb && tt != cl::kTtPassThrough)
            return end(Kind::fault, Reason::bad_config,
                       strf("legacy context entry rid %u: TT=3 is reserved", rid));
        const uint64_t aw = get(ce.data(), cl::AW);
        const uint64_t sagaw = get(&ids_.cap, v::cap::SAGAW);
        if (tt != cl::kTtPassThrough && (aw >= 5 || !(sagaw >> aw & 1)))
            return end(Kind::fault, Reason::bad_config,
                       strf("legacy context entry rid %u: AW=%llu, which CAP.SAGAW=0x%llx does "
                            "not list",
                            rid, ull(aw), ull(sagaw)));
        insert(legacy_context_cache_, rid, ce);
        ctx_it = legacy_context_cache_.find(rid);
    }
    const LegacyContext ctx = ctx_it->second;
    // Legacy mode has no PASIDs: a request with one is not translated.
    if (req.has_pasid)
        return end(Kind::fault, Reason::bad_substream,
                   strf("legacy mode: request from rid %u with PASID %u", rid, req.pasid));
    const uint64_t tt = get(ctx.data(), cl::TT);
    if (tt == cl::kTtPassThrough) {
        r.pa = req.va;
        return end(Kind::translated, Reason::none, strf("rid %u: legacy TT=2 pass-through", rid));
    }
    Translation t;
    Reason reason = Reason::none;
    std::string why;
    if (!second_stage(mem, req, get(ctx.data(), cl::SLPTPTR) << kPageShift, get(ctx.data(), cl::AW),
                      false, static_cast<uint32_t>(get(ctx.data(), cl::DID)), kNoPasid, t, reason,
                      why))
        return end(get(ctx.data(), cl::FPD) ? Kind::abort : Kind::fault, reason,
                   strf("rid %u: ", rid) + why);
    // Device TLBs only with TT=01b (translation requests allowed).
    if (ats && tt == cl::kTtDeviceTlb) insert(devtlb_, DevtlbKey{rid, kNoPasid, vpn}, t);
    r.pa = t.pa_page | offset;
    return end(Kind::translated, Reason::none, strf("rid %u: legacy TT=%llu ", rid, ull(tt)) + why);
}

ModelDump VtdModel::dump(const MemoryView &mem, const Topology &topo) const {
    namespace v = vtd;
    ModelDump out;
    const uint64_t rtaddr = read_reg(SVAC_VTD_RTADDR);
    if (get(&rtaddr, v::rtaddr::TTM) == v::rtaddr::kTtmScalable)
        dump_tables(mem, topo, index_, rtaddr, out.entries);
    else if (get(&rtaddr, v::rtaddr::TTM) == v::rtaddr::kTtmLegacy &&
             regs_.contains(SVAC_VTD_RTADDR))
        dump_legacy_tables(mem, topo, index_, rtaddr, out.entries);
    // The page requests software has not consumed yet, head to tail.
    if (const uint64_t bytes = prq_bytes()) {
        const uint64_t pqa = read_reg(SVAC_VTD_PQA);
        const uint64_t base = get(&pqa, v::pqa::PQA) << kPageShift;
        const uint64_t tail = read_reg(SVAC_VTD_PQT) & (bytes - 1);
        for (uint64_t off = read_reg(SVAC_VTD_PQH) & (bytes - 1); off != tail;
             off = (off + v::prq::kBytes) & (bytes - 1)) {
            auto d = read_words<4>(mem, base + off);
            out.entries.push_back(decode(v::prq::kFormat, "PRQ", strf("offset 0x%llx", ull(off)),
                                         base + off, d.data()));
        }
    }

    for (const auto &[rid, ce] : context_cache_)
        out.caches.push_back(
            strf("context rid %u: PASIDDIRPTR=0x%llx PDTS=%llu PASIDE=%llu PRE=%llu DTE=%llu "
                 "RID_PASID=%llu",
                 rid, ull(get(ce.data(), v::context::PASIDDIRPTR) << kPageShift),
                 ull(get(ce.data(), v::context::PDTS)), ull(get(ce.data(), v::context::PASIDE)),
                 ull(get(ce.data(), v::context::PRE)), ull(get(ce.data(), v::context::DTE)),
                 ull(get(ce.data(), v::context::RID_PASID))));
    for (const auto &[rid, ce] : legacy_context_cache_)
        out.caches.push_back(strf("context-legacy rid %u: TT=%llu SLPTPTR=0x%llx AW=%llu DID=%llu",
                                  rid, ull(get(ce.data(), v::context_legacy::TT)),
                                  ull(get(ce.data(), v::context_legacy::SLPTPTR) << kPageShift),
                                  ull(get(ce.data(), v::context_legacy::AW)),
                                  ull(get(ce.data(), v::context_legacy::DID))));
    for (const auto &[key, c] : pasid_cache_)
        out.caches.push_back(strf("PASID rid %u pasid %u: DID=%llu PGTT=%llu FLPTR=0x%llx FPD=%llu",
                                  key.first, key.second, ull(get(c.pe.data(), v::pasid_entry::DID)),
                                  ull(get(c.pe.data(), v::pasid_entry::PGTT)),
                                  ull(get(c.pe.data(), v::pasid_entry::FLPTR) << kPageShift),
                                  ull(get(c.pe.data(), v::pasid_entry::FPD))));
    for (const auto &[key, t] : iotlb_) {
        std::string pasid =
            std::get<1>(key) == kNoPasid ? std::string("-") : std::to_string(std::get<1>(key));
        out.caches.push_back(
            strf("IOTLB did %u pasid %s va 0x%llx -> pa 0x%llx %s%s", std::get<0>(key),
                 pasid.c_str(), ull(std::get<2>(key) << kPageShift), ull(t.pa_page),
                 perms_str(t.perms).c_str(), t.second_stage ? " (second stage)" : ""));
    }
    for (const auto &[key, t] : devtlb_) {
        std::string pasid =
            std::get<1>(key) == kNoPasid ? std::string("-") : std::to_string(std::get<1>(key));
        out.caches.push_back(strf(
            "device-TLB rid %u pasid %s va 0x%llx -> pa 0x%llx %s", std::get<0>(key), pasid.c_str(),
            ull(std::get<2>(key) << kPageShift), ull(t.pa_page), perms_str(t.perms).c_str()));
    }
    return out;
}

// ---- live entries (HW-7) ----

void VtdModel::live_entries(const MemoryView &mem, const Topology &topo,
                            std::span<const uint64_t> pas, bool scan,
                            std::vector<LiveEntry> &out) const {
    namespace v = vtd;
    using T = LiveEntry::Table;
    const uint64_t rtaddr = read_reg(SVAC_VTD_RTADDR), gsts = read_reg(v::gsts::kOffset);
    if (pas.empty() || !get(&gsts, v::gsts::TES) ||
        get(&rtaddr, v::rtaddr::TTM) != v::rtaddr::kTtmScalable)
        return;
    LiveEntryCollector found(pas, out);
    const uint64_t rta = get(&rtaddr, v::rtaddr::RTA) << kPageShift;
    // Each half of a root entry is a descriptor of its own, one qword.
    found.table(rta, 256 * 2, 8, [](uint64_t i) {
        LiveEntry e;
        e.table = (i & 1) ? T::root_upper : T::root_lower;
        e.id = static_cast<uint32_t>(i >> 1);
        return e;
    });
    // Tables at fixed places first; PASID tables are found through their
    // directories, which take a scan.
    struct Directory {
        LiveEntry via;
        uint64_t base, entries;
    };
    std::vector<Directory> dirs;
    for (uint32_t rid = 0; rid < topo.devices.size() && rid <= 0xffff; ++rid) {
        if (topo.devices[rid].iommu != index_) continue;
        const uint32_t bus = rid >> 8, devfn = rid & 0xff;
        const bool upper = devfn >= 0x80;
        const uint64_t root_pa = rta + v::root::kBytes * bus + (upper ? 8 : 0);
        auto re = read_words<2>(mem, rta + v::root::kBytes * bus);
        if (!get(re.data(), upper ? v::root::UP : v::root::LP)) continue;
        LiveEntry via;
        via.id = rid;
        via.via[via.via_count++] = root_pa;
        const uint64_t cpa = (get(re.data(), upper ? v::root::UCTP : v::root::LCTP) << kPageShift) +
                             v::context::kBytes * (devfn & 0x7f);
        found.table(cpa, 1, v::context::kBytes, [&](uint64_t) {
            LiveEntry e = via;
            e.table = T::context;
            return e;
        });
        // Every field that leads on to the PASID directory is in q0.
        const uint64_t cq0 = mem.read64(cpa);
        if (!get(&cq0, v::context::P)) continue;
        via.via[via.via_count++] = cpa;
        const uint64_t dir = get(&cq0, v::context::PASIDDIRPTR) << kPageShift;
        const uint64_t dir_entries = uint64_t{1} << (get(&cq0, v::context::PDTS) + 7);
        found.table(dir, dir_entries, v::pde::kBytes, [&](uint64_t i) {
            LiveEntry e = via;
            e.table = T::pde;
            e.sub = static_cast<uint32_t>(i);
            return e;
        });
        dirs.push_back({via, dir, dir_entries});
    }
    auto offer_table = [&](const Directory &d, uint64_t pde_pa) {
        const uint64_t pde = mem.read64(pde_pa);
        const uint64_t table = get(&pde, v::pde::PTPTR) << kPageShift;
        if (!get(&pde, v::pde::P)) return;
        if (table_pde_.size() >= kMaxCacheEntries) table_pde_.clear();
        table_pde_[table] = pde_pa;
        if (!found.any_in(table, table + kPageSize)) return;
        const uint64_t first = (pde_pa - d.base) / v::pde::kBytes << v::pde::kPasidShift;
        found.table(table, v::pasid_entry::kPerTable, v::pasid_entry::kBytes, [&](uint64_t ti) {
            LiveEntry e = d.via;
            e.table = T::pasid;
            e.sub = static_cast<uint32_t>(first | ti);
            e.via[e.via_count++] = pde_pa;
            return e;
        });
    };
    // Without a scan: the tables of PDEs asked about, and of PDEs seen before.
    for (const Directory &d : dirs) {
        const uint64_t end = d.base + v::pde::kBytes * d.entries;
        for (uint64_t pa : pas)
            if (pa >= d.base && pa < end) offer_table(d, pa);
    }
    for (const Directory &d : dirs)
        found.each_pending([&](uint64_t pa) {
            auto it = table_pde_.find(pa & ~(kPageSize - 1));
            if (it != table_pde_.end() && it->second - d.base < v::pde::kBytes * d.entries)
                offer_table(d, it->second);
        });
    // PASIDs are handed out from the bottom: scan every directory index by
    // index rather than one directory after another.
    uint64_t most = 0;
    for (const Directory &d : dirs) most = std::max(most, d.entries);
    for (uint64_t di = 0; scan && di < most && !found.done(); ++di)
        for (const Directory &d : dirs)
            if (di < d.entries) offer_table(d, d.base + v::pde::kBytes * di);
}

std::unique_ptr<IommuModel> make_vtd_model(const Iommu &desc, uint32_t index) {
    return std::make_unique<VtdModel>(desc, index);
}

std::unique_ptr<IommuModel> make_vtd_model(const Iommu &desc, uint32_t index, const VtdIds &ids) {
    return std::make_unique<VtdModel>(desc, index, ids);
}

} // namespace svac::ref
