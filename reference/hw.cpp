// HW: what the hardware sees (clauses HW-*). The reference knows what each
// mm maps; a DMA through a bond must translate exactly as the CPU would.
#include "reference/hw_model.h"
#include "reference/pagetable.h"
#include "reference/reference.h"
#include "reference/text.h"

#include <algorithm>
#include <string>

namespace svac::ref {

namespace {
using Kind = DmaResult::Kind;
constexpr uint8_t bit(Kind k) {
    return uint8_t(1u << static_cast<unsigned>(k));
}

std::string kinds(uint8_t mask) {
    std::string s;
    for (unsigned k = 0; k < 5; ++k)
        if (mask & (1u << k)) s += (s.empty() ? "" : " or ") + std::string(dma_kind_name(Kind(k)));
    return s;
}
} // namespace

PageExpectation Reference::expect_access(uint32_t dev, bool has_pasid, uint32_t pasid, uint64_t va,
                                         uint8_t access) const {
    PageExpectation e;
    if (!has_pasid) { // HW-6: non-PASID traffic keeps its identity translation
        e.kinds = bit(Kind::translated);
        e.pa = va;
        e.clause = ClauseId::HW_6;
        return e;
    }
    int mm = bond_mm_of(dev, pasid);
    if (mm < 0) { // HW-2, or HW-3 right after the last unbind
        e.kinds = bit(Kind::fault) | bit(Kind::abort);
        if (pasid == 0) {
            // PASID 0 is IOMMU_NO_PASID: VT-d sends it through the RID_PASID
            // entry, the non-PASID path (Arm IHI 0070 5.2 S1DSS, VT-d 9.4 RID_PASID).
            e.kinds |= bit(Kind::translated);
            e.pa = va;
        }
        bool was_bound =
            std::find(unbound_.begin(), unbound_.end(), std::pair{dev, pasid}) != unbound_.end();
        e.clause = was_bound ? ClauseId::HW_3 : ClauseId::HW_2;
        return e;
    }
    const MmState &m = mms_[mm];
    if (m.exited) { // HW-5 / MMEXIT-2: quietly
        e.kinds = bit(Kind::abort);
        e.clause = ClauseId::HW_5;
        return e;
    }
    e.clause = ClauseId::HW_1;
    auto page = m.pages.find(va >> kPageShift);
    e.page_changed = page != m.pages.end() && page->second.changed;
    if (page != m.pages.end() && page->second.present && (page->second.perms & access) == access) {
        e.kinds = bit(Kind::translated);
        e.pa = page->second.pa | (va & (kPageSize - 1));
    } else if (!device_stalls(dev) && !topo_.devices[dev].pri) {
        // No recoverable fault: a device without PRI that does not stall
        // gets the walk's fault (it binds from linux-6.12 on: SVA no longer
        // needs IOPF, FEAT-3).
        e.kinds = bit(Kind::fault);
    } else if (!device_stalls(dev) && devs_[dev].pri_stopped) {
        e.kinds = bit(Kind::failed); // IOPF-6: no more page requests from it
        e.clause = ClauseId::IOPF_6;
    } else {
        e.kinds = bit(Kind::page_request); // IOPF-1: never a silent abort
        e.clause = ClauseId::IOPF_1;
    }
    return e;
}

// The address of page k of a DMA: the first at va, the others at their start.
uint64_t dma_page_va(const Op &op, uint32_t k) {
    return k == 0 ? op.va : ((op.va >> kPageShift) + k) << kPageShift;
}

Expectation Reference::expect_dma(const Op &op) const {
    Expectation e;
    uint32_t pasid = op.no_pasid ? 0 : resolve(op.pasid);
    for (uint32_t k = 0; k < std::max(op.pages, 1u); ++k)
        e.dma.push_back(expect_access(op.dev, !op.no_pasid, pasid, dma_page_va(op, k), op.perms));
    e.rc_clause = e.dma.front().clause;
    expect_raise(op, e);
    return e;
}

std::optional<Violation> Reference::judge_dma(const Op &op, const Expectation &exp,
                                              const std::vector<DmaObservation> &dma) const {
    if (dma.size() != exp.dma.size())
        return Violation{ClauseId::HW_1, describe(op, *this) + ": " + std::to_string(dma.size()) +
                                             " page outcome(s) for a DMA of " +
                                             std::to_string(exp.dma.size()) + " page(s)"};
    for (std::size_t k = 0; k < dma.size(); ++k)
        if (auto v = judge_access(op, exp.dma[k], dma[k], k, "page " + std::to_string(k))) return v;
    return std::nullopt;
}

std::optional<Violation> Reference::judge_access(const Op &op, const PageExpectation &exp,
                                                 const DmaObservation &dma, std::size_t k,
                                                 const std::string &what) const {
    auto kind = static_cast<Kind>(dma.kind);
    bool kind_ok = exp.kinds & bit(kind);
    bool pa_ok = kind != Kind::translated || dma.pa == exp.pa;
    if (kind_ok && pa_ok) return std::nullopt;
    std::string got = std::string(dma_kind_name(kind));
    if (kind == Kind::translated)
        got += " to " + hex(dma.pa);
    else
        got +=
            " (" + std::string(dma_reason_name(static_cast<DmaResult::Reason>(dma.reason))) + ")";
    std::string want = kinds(exp.kinds);
    if (exp.kinds == bit(Kind::translated)) want += " to " + hex(exp.pa);
    ClauseId c = exp.clause;
    // A translation through the mapping the CPU changed (the frame it had, or
    // the permissions it took away): the notifier did not invalidate (HW-4).
    if (op.kind == OpKind::dma && kind == Kind::translated &&
        (c == ClauseId::HW_1 || c == ClauseId::IOPF_1) && exp.page_changed) {
        int mm = bond_mm_of(op.dev, resolve(op.pasid));
        uint64_t va = dma_page_va(op, static_cast<uint32_t>(k));
        const Page &page = mms_[mm].pages.at(va >> kPageShift);
        uint64_t frame = dma.pa >> kPageShift;
        if (frame == page.pa >> kPageShift || (page.old_pa && frame == page.old_pa >> kPageShift))
            c = ClauseId::HW_4;
    }
    // A DMA that gets through with a PASID the device has no bond for, held
    // by an mm whose bind on that device failed when the platform refused it
    // memory: the failed bind left its bond (BIND-7, ROBUST-4).
    if (op.kind == OpKind::dma && c == ClauseId::HW_2 &&
        (kind == Kind::translated || kind == Kind::page_request)) {
        int holder = holder_of(resolve(op.pasid), ~0u);
        if (holder >= 0 && bind_refused(op.dev, static_cast<uint32_t>(holder))) {
            c = ClauseId::BIND_7;
            want += " (a bind of this device and mm " + std::to_string(holder) +
                    " failed when the platform refused it memory, and left its bond)";
        }
    }
    // A translation where the page is missing, or to another address than
    // the mm's after a fault was served, is a wrong translation (HW-1):
    // IOPF-1 and IOPF-7 are about faults not raised, or retries that fail.
    if (kind == Kind::translated && (c == ClauseId::IOPF_1 || c == ClauseId::IOPF_7))
        c = ClauseId::HW_1;
    std::string where = exp.kinds == 0 ? std::string() : " " + what;
    return Violation{c, describe(op, *this) + where + ": " + got + "; expected " + want};
}

std::optional<Violation> Reference::judge_platform(const Op &op, const Observation &obs) const {
    if (obs.stray_stores && *obs.stray_stores)
        return Violation{ClauseId::HW_8, describe(op, *this) + ": the driver made " +
                                             std::to_string(*obs.stray_stores) +
                                             " store(s) outside memory it allocated, or unaligned"};
    if (obs.pasid_overrun)
        return Violation{ClauseId::HW_8,
                         describe(op, *this) + ": the driver stored past the u32 *pasid: the "
                                               "caller's memory after it changed",
                         "one 32-bit store of the PASID (include/svac/driver_abi.h bind_mm)"};
    if (obs.bad_frees && *obs.bad_frees)
        return Violation{ClauseId::HW_8, describe(op, *this) + ": the driver freed " +
                                             std::to_string(*obs.bad_frees) +
                                             " block(s) it did not hold (a double free, or an "
                                             "address it never allocated)"};
    if (obs.register_misuse && !obs.register_misuse->empty()) {
        const RegisterMisuse &m = obs.register_misuse->front();
        std::string more;
        if (obs.register_misuse->size() > 1)
            more = " (and " + std::to_string(obs.register_misuse->size() - 1) + " more)";
        return Violation{m.clause, describe(op, *this) + ": " + m.what + more};
    }
    if (obs.refused_commands && *obs.refused_commands)
        return Violation{ClauseId::HW_9,
                         describe(op, *this) + ": the IOMMU refused " +
                             std::to_string(*obs.refused_commands) +
                             " command(s) as ill-formed: what they stood for did not happen",
                         "well-formed commands (the architecture's opcodes and fields)"};
    if (obs.unsynced_commands && *obs.unsynced_commands)
        return Violation{ClauseId::HW_9,
                         describe(op, *this) + " returned with " +
                             std::to_string(*obs.unsynced_commands) +
                             " command(s) not completed by a sync",
                         "a sync (CMD_SYNC, or a VT-d invalidation wait) after the call's last "
                         "command, before it returns"};
    return std::nullopt;
}

void Reference::commit_mm_change(const Op &op) {
    MmState &m = mms_[op.mm];
    const uint64_t first = op.va >> kPageShift;
    for (uint64_t vpn = first; vpn < first + op.pages; ++vpn) {
        auto it = m.pages.find(vpn);
        bool was_present = it != m.pages.end() && it->second.present;
        if (op.kind == OpKind::mm_map) {
            Page &p = m.pages[vpn];
            uint64_t old_pa = was_present ? p.pa : 0;
            p = Page{0, op.perms, false, true, was_present, old_pa};
            if (!op.lazy) { // a lazy mapping is populated by the first fault (IOPF-2)
                p.pa = next_frame_;
                p.present = true;
                next_frame_ += kPageSize;
            }
        } else if (it != m.pages.end() && it->second.mapped) {
            Page &p = it->second;
            if (was_present) p.changed = true;
            if (op.kind == OpKind::mm_unmap) {
                p.present = false;
                p.mapped = false;
            } else {
                p.perms = op.perms;
            }
        }
    }
}

void Reference::populate(const Expectation &exp) {
    MmState &m = mms_[exp.populate_mm];
    for (uint64_t vpn : exp.populate) {
        Page &p = m.pages[vpn];
        if (p.present) continue;
        p.pa = next_frame_;
        p.present = true;
        next_frame_ += kPageSize;
    }
}

} // namespace svac::ref
