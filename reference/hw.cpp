// HW: what the hardware sees (clauses.md "HW"). The reference knows what each
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
    for (unsigned k = 0; k < 4; ++k)
        if (mask & (1u << k)) s += (s.empty() ? "" : " or ") + std::string(dma_kind_name(Kind(k)));
    return s;
}
} // namespace

Expectation Reference::expect_dma(const Op &op) const {
    Expectation e;
    if (op.no_pasid) { // HW-6: non-PASID traffic keeps its identity translation
        e.dma_kinds = bit(Kind::translated);
        e.dma_pa = op.va;
        e.rc_clause = ClauseId::HW_6;
        return e;
    }
    uint32_t pasid = resolve(op.pasid);
    int mm = bond_mm_of(op.dev, pasid);
    if (mm < 0) { // HW-2, or HW-3 right after the last unbind
        e.dma_kinds = bit(Kind::fault) | bit(Kind::abort);
        if (pasid == 0) {
            // PASID 0 is IOMMU_NO_PASID: VT-d sends it through the RID_PASID
            // entry, the non-PASID path (table-formats.md 6.2 X4).
            e.dma_kinds |= bit(Kind::translated);
            e.dma_pa = op.va;
        }
        bool was_bound =
            std::find(unbound_.begin(), unbound_.end(), std::pair{op.dev, pasid}) != unbound_.end();
        e.rc_clause = was_bound ? ClauseId::HW_3 : ClauseId::HW_2;
        return e;
    }
    const MmState &m = mms_[mm];
    if (m.exited) { // HW-5 / MMEXIT-2: quietly
        e.dma_kinds = bit(Kind::abort);
        e.rc_clause = ClauseId::HW_5;
        return e;
    }
    e.rc_clause = ClauseId::HW_1;
    auto page = m.pages.find(op.va >> kPageShift);
    e.dma_page_changed = page != m.pages.end() && page->second.changed;
    if (page != m.pages.end() && page->second.present &&
        (page->second.perms & op.perms) == op.perms) {
        e.dma_kinds = bit(Kind::translated);
        e.dma_pa = page->second.pa | (op.va & (kPageSize - 1));
    } else {
        e.dma_kinds = bit(Kind::page_request); // IOPF-1: never a silent abort
    }
    return e;
}

std::optional<Violation> Reference::judge_dma(const Op &op, const Expectation &exp,
                                              const DmaObservation &dma) const {
    auto kind = static_cast<Kind>(dma.kind);
    bool kind_ok = exp.dma_kinds & bit(kind);
    bool pa_ok = kind != Kind::translated || dma.pa == exp.dma_pa;
    if (kind_ok && pa_ok) return std::nullopt;
    std::string got = std::string(dma_kind_name(kind));
    if (kind == Kind::translated)
        got += " to " + hex(dma.pa);
    else
        got +=
            " (" + std::string(dma_reason_name(static_cast<DmaResult::Reason>(dma.reason))) + ")";
    std::string want = kinds(exp.dma_kinds);
    if (exp.dma_kinds == bit(Kind::translated)) want += " to " + hex(exp.dma_pa);
    ClauseId c = exp.rc_clause;
    // A translation through the mapping the CPU changed (the frame it had, or
    // the permissions it took away): the notifier did not invalidate (HW-4).
    if (kind == Kind::translated && c == ClauseId::HW_1 && exp.dma_page_changed) {
        int mm = bond_mm_of(op.dev, resolve(op.pasid));
        const Page &page = mms_[mm].pages.at(op.va >> kPageShift);
        uint64_t frame = dma.pa >> kPageShift;
        if (frame == page.pa >> kPageShift || (page.old_pa && frame == page.old_pa >> kPageShift))
            c = ClauseId::HW_4;
    }
    return Violation{c, describe(op, *this) + " " + got + "; expected " + want};
}

std::optional<Violation> Reference::judge_platform(const Op &op, const Observation &obs) const {
    if (obs.stray_stores && *obs.stray_stores)
        return Violation{ClauseId::HW_8, describe(op, *this) + ": the driver made " +
                                             std::to_string(*obs.stray_stores) +
                                             " store(s) outside memory it allocated, or unaligned"};
    if (obs.unsynced_commands && *obs.unsynced_commands)
        return Violation{ClauseId::HW_9, describe(op, *this) + " returned with " +
                                             std::to_string(*obs.unsynced_commands) +
                                             " command(s) not completed by a sync"};
    return std::nullopt;
}

void Reference::commit_mm_change(const Op &op) {
    MmState &m = mms_[op.mm];
    const uint64_t first = op.va >> kPageShift;
    for (uint64_t vpn = first; vpn < first + op.pages; ++vpn) {
        auto it = m.pages.find(vpn);
        if (op.kind == OpKind::mm_map) {
            bool remap = it != m.pages.end();
            Page &p = m.pages[vpn];
            uint64_t old_pa = remap ? p.pa : 0;
            p = Page{next_frame_, op.perms, true, remap, old_pa};
            next_frame_ += kPageSize;
        } else if (it != m.pages.end() && it->second.present) {
            it->second.changed = true;
            if (op.kind == OpKind::mm_unmap)
                it->second.present = false;
            else
                it->second.perms = op.perms;
        }
    }
}

} // namespace svac::ref
