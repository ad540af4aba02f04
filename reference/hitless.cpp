// HW-7, no torn entry. After a driver call, every entry the hardware could
// reach at its start or its end is replayed store by store from the call's
// record; each state the hardware could have read must equal the old or the
// new entry on the bits it uses, or be invalid where that is allowed
// (HW-7; Linux arm_smmu_get_ste_used and arm_smmu_write_entry; invariants
// A10/A12 and I4/I5 of docs/formal.md).
#include "reference/hitless.h"
#include "reference/text.h"

#include "reference/smmuv3_format.h"
#include "reference/table_rules.h"
#include "reference/used_bits.h"
#include "reference/vtd_format.h"

#include <bit>
#include <cstdio>
#include <limits>
#include <string>

namespace svac::ref {

namespace hitless {

namespace {

namespace ste = smmuv3::ste;
namespace cd = smmuv3::cd;

// The root entry halves as one-qword descriptors.
constexpr Field kRootLowerFields[] = {{"LP", 0, 0, 1}, {"LCTP", 0, 12, 52}};
constexpr Field kRootUpperFields[] = {{"UP", 0, 0, 1}, {"UCTP", 0, 12, 52}};
static_assert(kRootLowerFields[0].mask() == vtd::root::LP.mask() &&
              kRootLowerFields[1].mask() == vtd::root::LCTP.mask() &&
              kRootUpperFields[0].mask() == vtd::root::UP.mask() &&
              kRootUpperFields[1].mask() == vtd::root::UCTP.mask());

} // namespace

std::span<const Field> fields_of(Table t) {
    switch (t) {
    case Table::ste:
        return ste::kFields;
    case Table::l1std:
        return smmuv3::l1std::kFields;
    case Table::l1cd:
        return smmuv3::l1cd::kFields;
    case Table::cd:
        return cd::kFields;
    case Table::root_lower:
        return kRootLowerFields;
    case Table::root_upper:
        return kRootUpperFields;
    case Table::context:
        return vtd::context::kFields;
    case Table::pde:
        return vtd::pde::kFields;
    case Table::pasid:
        return vtd::pasid_entry::kFields;
    }
    return {};
}

namespace {

bool is_vtd_multi_qword(Table t) {
    return t == Table::context || t == Table::pasid;
}

// Linux arm_smmu_get_ste_used, written once in reference/used_bits.h.
Qwords ste_used(const uint64_t *e) {
    return used::ste(e);
}

Qwords cd_used(const uint64_t *e) {
    return used::cd(e);
}

// A valid entry uses every bit; an invalid one only `invalid_used`.
Qwords all_or(Table t, const uint64_t *e, uint64_t invalid_used) {
    Qwords u{};
    if (!valid(t, e)) {
        u[0] = invalid_used;
        return u;
    }
    for (unsigned i = 0; i < qwords_of(t); ++i) u[i] = ~uint64_t{0};
    return u;
}

} // namespace

unsigned qwords_of(Table t) {
    switch (t) {
    case Table::ste:
    case Table::cd:
    case Table::pasid:
        return 8;
    case Table::context:
        return 4;
    case Table::l1std:
    case Table::l1cd:
    case Table::root_lower:
    case Table::root_upper:
    case Table::pde:
        return 1;
    }
    return 1;
}

std::string_view table_name(Table t) {
    switch (t) {
    case Table::ste:
        return "STE";
    case Table::l1std:
        return "L1STD";
    case Table::l1cd:
        return "L1CD";
    case Table::cd:
        return "CD";
    case Table::root_lower:
    case Table::root_upper:
        return "root entry";
    case Table::context:
        return "context entry";
    case Table::pde:
        return "PASID directory entry";
    case Table::pasid:
        return "PASID entry";
    }
    return "entry";
}

std::string_view valid_field_name(Table t) {
    switch (t) {
    case Table::ste:
    case Table::cd:
    case Table::l1cd:
        return "V";
    case Table::l1std:
        return "Span";
    case Table::root_lower:
        return "LP";
    case Table::root_upper:
        return "UP";
    case Table::context:
    case Table::pde:
    case Table::pasid:
        return "P";
    }
    return "V";
}

bool valid(Table t, const uint64_t *e) {
    switch (t) {
    case Table::ste:
        return get(e, ste::V);
    case Table::cd:
        return get(e, cd::V);
    case Table::l1cd:
        return get(e, smmuv3::l1cd::V);
    case Table::l1std: {
        uint64_t span = get(e, smmuv3::l1std::Span);
        return span >= 1 && span <= smmuv3::l1std::kSpanMax;
    }
    case Table::root_lower:
    case Table::root_upper:
        return get(e, kRootLowerFields[0]); // LP and UP are both bit 0 of their qword
    case Table::context:
        return get(e, vtd::context::P);
    case Table::pde:
        return get(e, vtd::pde::P);
    case Table::pasid:
        return get(e, vtd::pasid_entry::P);
    }
    return false;
}

Qwords used_bits(Table t, const uint64_t *e) {
    switch (t) {
    case Table::ste:
        return ste_used(e);
    case Table::cd:
        return cd_used(e);
    case Table::l1cd:
        return all_or(t, e, smmuv3::l1cd::V.mask());
    case Table::l1std:
        return all_or(t, e, smmuv3::l1std::Span.mask());
    case Table::root_lower:
    case Table::root_upper:
        return all_or(t, e, kRootLowerFields[0].mask());
    case Table::context:
        return all_or(t, e, vtd::context::P.mask());
    case Table::pde:
        return all_or(t, e, vtd::pde::P.mask() | vtd::pde::FPD.mask());
    case Table::pasid:
        return all_or(t, e, vtd::pasid_entry::P.mask() | vtd::pasid_entry::FPD.mask());
    }
    return {};
}

Qwords update_safe(Table t, const uint64_t *cur, const uint64_t *target) {
    if (t != Table::ste) return Qwords{};
    return used::ste_update_safe(cur, target);
}

uint8_t qword_diff(Table t, const uint64_t *cur, const uint64_t *target) {
    auto d = used::qword_diff(used_bits(t, cur), used_bits(t, target), update_safe(t, cur, target),
                              cur, target, qwords_of(t));
    uint8_t diff = 0;
    for (unsigned i = 0; i < kMaxQwords; ++i)
        if (d[i]) diff |= uint8_t(1u << i);
    return diff;
}

bool invalid_allowed(Table t, const uint64_t *old_e, const uint64_t *new_e) {
    if (!valid(t, old_e) || !valid(t, new_e)) return true;
    if (is_vtd_multi_qword(t)) return true;
    return std::popcount(qword_diff(t, old_e, new_e)) >= 2;
}

} // namespace hitless

namespace {

using hitless::Qwords;
using hitless::Table;
constexpr uint32_t kNever = std::numeric_limits<uint32_t>::max();

// A qword the call stored to: where, when first and last, and what it held
// before the call.
struct Touched {
    uint64_t pa;
    uint32_t first, last;
    uint64_t before;
};

const Touched *find_touched(const std::vector<Touched> &touched, uint64_t pa) {
    auto it = std::lower_bound(touched.begin(), touched.end(), pa,
                               [](const Touched &t, uint64_t p) { return t.pa < p; });
    return it != touched.end() && it->pa == pa ? &*it : nullptr;
}

// Memory as it was when the call began.
class MemoryBefore final : public MemoryView {
public:
    MemoryBefore(const MemoryView &now, const std::vector<Touched> &touched)
        : now_(now), touched_(touched) {}
    uint64_t read64(uint64_t pa) const override {
        const Touched *t = find_touched(touched_, pa);
        return t ? t->before : now_.read64(pa);
    }

private:
    const MemoryView &now_;
    const std::vector<Touched> &touched_;
};

// The live entries holding pas, through every IOMMU: a cheap pass over all
// of them first, then a scan for what is left.
void live_entries(const std::vector<const IommuModel *> &iommus, const MemoryView &mem,
                  const Topology &topo, const std::vector<uint64_t> &pas,
                  std::vector<LiveEntry> &out) {
    for (const IommuModel *m : iommus) m->live_entries(mem, topo, pas, false, out);
    std::vector<std::pair<uint64_t, uint64_t>> spans; // [pa, end) of each entry found
    spans.reserve(out.size());
    for (const LiveEntry &e : out) spans.emplace_back(e.pa, e.pa + 8ull * e.qwords);
    std::sort(spans.begin(), spans.end());
    std::vector<uint64_t> left;
    uint64_t covered = 0; // the end of the spans starting at or below pa
    std::size_t k = 0;
    for (uint64_t pa : pas) {
        for (; k < spans.size() && spans[k].first <= pa; ++k)
            covered = std::max(covered, spans[k].second);
        if (pa >= covered) left.push_back(pa);
    }
    if (left.empty()) return;
    for (const IommuModel *m : iommus) m->live_entries(mem, topo, left, true, out);
}

// An entry to judge and the part of the call during which the hardware
// could read it: the states that exist after store `from` (none: the whole
// call) and before store `to`.
struct Judged {
    LiveEntry e;
    bool at_start = true, at_end = true;
    uint32_t from = kNever; // kNever: reachable from the start
    uint32_t to = kNever;   // kNever: reachable to the end
};

std::string entry_key(const LiveEntry &e) {
    std::string id = std::to_string(e.id), sub = std::to_string(e.sub);
    switch (e.table) {
    case Table::ste:
        return "STE sid " + id;
    case Table::l1std:
        return "L1STD " + sub + " (sid " + id + ")";
    case Table::l1cd:
        return "L1CD " + sub + " of sid " + id;
    case Table::cd:
        return "CD sid " + id + " ssid " + sub;
    case Table::root_lower:
        return "root entry bus " + id + " (lower half)";
    case Table::root_upper:
        return "root entry bus " + id + " (upper half)";
    case Table::context:
        return "context entry rid " + id;
    case Table::pde:
        return "PASID directory entry " + sub + " of rid " + id;
    case Table::pasid:
        return "PASID entry rid " + id + " pasid " + sub;
    }
    return "entry";
}

// "q1..q3, q5"
std::string qword_list(unsigned mask) {
    std::string s;
    for (unsigned i = 0; i < hitless::kMaxQwords;) {
        if (!(mask & (1u << i))) {
            ++i;
            continue;
        }
        unsigned j = i;
        while (j + 1 < hitless::kMaxQwords && (mask & (1u << (j + 1)))) ++j;
        if (!s.empty()) s += ", ";
        s += "q" + std::to_string(i);
        if (j > i) s += "..q" + std::to_string(j);
        i = j + 1;
    }
    return s;
}

std::string name_list(const std::vector<std::string_view> &names) {
    constexpr std::size_t kShown = 5;
    std::string s;
    for (std::size_t i = 0; i < names.size() && i < kShown; ++i) {
        if (i) s += ", ";
        s += names[i];
    }
    if (names.size() > kShown) s += " (+" + std::to_string(names.size() - kShown) + " more)";
    return s;
}

// Why the valid state s is neither old nor new: which qwords are ahead,
// which fields it takes from each end.
std::string torn_reason(Table t, unsigned n, const Qwords &s, const Qwords &old_e,
                        const Qwords &new_e, const Qwords &used) {
    unsigned ahead = 0, behind = 0;
    for (unsigned i = 0; i < n; ++i) {
        if (s[i] != old_e[i] && s[i] == new_e[i]) ahead |= 1u << i;
        if (s[i] != new_e[i]) behind |= 1u << i;
    }
    std::vector<std::string_view> from_old, from_new, neither;
    for (const Field &f : hitless::fields_of(t)) {
        if (f.qword >= n) continue;
        uint64_t m = f.mask() & used[f.qword];
        uint64_t sv = s[f.qword] & m, ov = old_e[f.qword] & m, nv = new_e[f.qword] & m;
        if (sv == ov && sv != nv)
            from_old.push_back(f.name);
        else if (sv == nv && sv != ov)
            from_new.push_back(f.name);
        else if (sv != ov && sv != nv)
            neither.push_back(f.name);
    }
    const bool old_valid = hitless::valid(t, old_e.data()),
               new_valid = hitless::valid(t, new_e.data());
    const std::string name(hitless::table_name(t));
    std::string why;
    if (ahead && behind) why = qword_list(ahead) + " stored before " + qword_list(behind) + ": ";
    if (!old_valid) {
        if (t == Table::pasid) why += "P=1 is set before the other qwords are final (I4): ";
        why += "the " + name + " is valid";
        if (!from_new.empty()) why += " with " + name_list(from_new);
        if (!from_old.empty()) why += " but " + name_list(from_old) + " not yet written";
    } else if (!new_valid) {
        if (t == Table::pasid) why += "P=0 must be the first store (I4): ";
        why += "the " + name + " is still valid";
        if (!from_new.empty()) why += " with " + name_list(from_new) + " already changed";
    } else {
        if (t == Table::pasid) why += "a present entry rewritten in place (I5): ";
        why += "the " + name + " is valid";
        if (!from_old.empty()) why += " with the old " + name_list(from_old);
        if (!from_new.empty())
            why += (from_old.empty() ? " with the new " : " and the new ") + name_list(from_new);
    }
    if (!neither.empty()) why += "; " + name_list(neither) + " match neither end";
    return why + " (neither the old nor the new entry on the bits it uses)";
}

struct Failure {
    uint32_t store; // the call's store index the failing state follows
    std::string message;
};

// Replays the call's stores to one entry (`js`, in order) and judges every
// state the hardware could read. The message lacks the op.
std::optional<Failure> judge_entry(const Judged &j, const std::vector<uint32_t> &js,
                                   const HwView &hw, const std::vector<Touched> &touched) {
    const LiveEntry &e = j.e;
    const Table t = e.table;
    const unsigned n = hitless::qwords_of(t);
    Qwords before{}, old_e{}, new_e{};
    for (unsigned i = 0; i < n; ++i) {
        uint64_t pa = e.pa + 8ull * i;
        const Touched *tq = find_touched(touched, pa);
        uint64_t now = hw.mem.read64(pa);
        before[i] = tq ? tq->before : now;
        if (j.at_start) old_e[i] = before[i];
        if (j.at_end) new_e[i] = now;
    }
    const bool allowed_invalid = hitless::invalid_allowed(t, old_e.data(), new_e.data());
    const Qwords safe = hitless::update_safe(t, old_e.data(), new_e.data());
    const auto total = static_cast<uint32_t>(hw.call.stores.size());

    // The state s the hardware could read after store idx; `links`: the
    // store to a pointer that made the entry reachable, not a store to it.
    auto judge_state = [&](const Qwords &s, uint32_t idx, bool links) -> std::optional<Failure> {
        bool torn = false;
        Qwords used{};
        if (!hitless::valid(t, s.data())) {
            if (allowed_invalid) return std::nullopt;
        } else {
            used = hitless::used_bits(t, s.data());
            bool is_old = true, is_new = true;
            for (unsigned i = 0; i < n; ++i) {
                uint64_t u = used[i] & ~safe[i];
                if ((s[i] ^ old_e[i]) & u) is_old = false;
                if ((s[i] ^ new_e[i]) & u) is_new = false;
            }
            if (is_old || is_new) return std::nullopt;
            torn = true;
        }
        std::string msg = entry_key(e) + " @" + hex(e.pa) + ": ";
        msg += links ? "store " : "after store ";
        msg += std::to_string(idx + 1) + " of " + std::to_string(total);
        if (links) {
            msg += " links it while it";
        } else {
            const Store &st = hw.call.stores[idx];
            msg += " (q" + std::to_string((st.pa - e.pa) / 8) + " = " + hex(st.new_val) +
                   "), the entry";
        }
        if (torn)
            return Failure{idx, msg + " is torn: " + torn_reason(t, n, s, old_e, new_e, used)};
        uint8_t diff = hitless::qword_diff(t, old_e.data(), new_e.data());
        msg += " is invalid (" + std::string(hitless::valid_field_name(t)) +
               "=0) between two valid entries that differ in ";
        msg += diff ? "one qword of used bits (" + qword_list(diff) + ")" : "no used bit";
        return Failure{idx, msg + ": a change that can be made hitless must be (Linux "
                                  "arm_smmu_write_entry)"};
    };

    Qwords s = before;
    std::size_t k = 0;
    // Linked during the call: the hardware first reads what is there when
    // the link lands.
    if (j.from != kNever) {
        for (; k < js.size() && js[k] < j.from; ++k) {
            const Store &st = hw.call.stores[js[k]];
            s[(st.pa - e.pa) / 8] = st.new_val;
        }
        if (auto bad = judge_state(s, j.from, true)) return bad;
    }
    for (; k < js.size() && js[k] < j.to; ++k) {
        const Store &st = hw.call.stores[js[k]];
        s[(st.pa - e.pa) / 8] = st.new_val;
        if (auto bad = judge_state(s, js[k], false)) return bad;
    }
    return std::nullopt;
}

} // namespace

std::optional<Violation> judge_update(const Reference &ref, const Op &op, const HwView &hw,
                                      ClauseCounters *counters) {
    const std::vector<Store> &stores = hw.call.stores;
    if (stores.empty() || hw.iommus.empty()) return std::nullopt;

    std::vector<Touched> touched;
    touched.reserve(stores.size());
    for (uint32_t i = 0; i < stores.size(); ++i)
        touched.push_back({stores[i].pa, i, i, stores[i].old_val});
    std::stable_sort(touched.begin(), touched.end(),
                     [](const Touched &a, const Touched &b) { return a.pa < b.pa; });
    std::size_t w = 0;
    for (std::size_t r = 0; r < touched.size(); ++r) {
        if (w && touched[w - 1].pa == touched[r].pa)
            touched[w - 1].last = touched[r].last;
        else
            touched[w++] = touched[r];
    }
    touched.resize(w);
    std::vector<uint64_t> pas;
    pas.reserve(touched.size());
    for (const Touched &t : touched) pas.push_back(t.pa);

    const Topology &topo = ref.topology();
    std::vector<LiveEntry> live;
    live_entries(hw.iommus, hw.mem, topo, pas, live);

    auto by_pa = [](const auto &a, const auto &b) { return a.e.pa < b.e.pa; };
    std::vector<Judged> judged;
    judged.reserve(live.size());
    for (const LiveEntry &e : live) judged.push_back(Judged{e});
    std::stable_sort(judged.begin(), judged.end(), by_pa);
    judged.erase(std::unique(judged.begin(), judged.end(),
                             [](const Judged &a, const Judged &b) { return a.e.pa == b.e.pa; }),
                 judged.end());

    // Reachable now. If the walk to it went through a pointer the call
    // changed, it became reachable at that pointer's last store, unless it
    // was reachable before too (asked below).
    auto changed = [&](uint64_t via_pa) -> const Touched * {
        const Touched *tq = find_touched(touched, via_pa);
        return tq && tq->before != hw.mem.read64(tq->pa) ? tq : nullptr;
    };
    std::vector<uint64_t> ask_before; // addresses to look up in memory as it was
    {
        std::size_t k = 0;
        for (uint64_t pa : pas) {
            while (k < judged.size() && judged[k].e.pa + 8ull * judged[k].e.qwords <= pa) ++k;
            if (k == judged.size() || pa < judged[k].e.pa) ask_before.push_back(pa);
        }
    }
    for (Judged &j : judged) {
        bool relinked = false; // a pointer on the way held another value, not none
        for (unsigned v = 0; v < j.e.via_count; ++v)
            if (const Touched *tq = changed(j.e.via[v])) {
                j.at_start = false;
                j.from = j.from == kNever ? tq->last : std::max(j.from, tq->last);
                relinked |= tq->before != 0;
            }
        if (relinked)
            for (uint64_t pa = j.e.pa; pa < j.e.pa + 8ull * j.e.qwords; pa += 8)
                if (find_touched(touched, pa)) ask_before.push_back(pa);
    }
    if (!ask_before.empty()) {
        std::sort(ask_before.begin(), ask_before.end());
        MemoryBefore before(hw.mem, touched);
        std::vector<LiveEntry> was_live;
        live_entries(hw.iommus, before, topo, ask_before, was_live);
        const std::size_t now_count = judged.size();
        for (const LiveEntry &e : was_live) {
            // The last entry reachable now that starts below e's end.
            auto it = std::upper_bound(judged.begin(),
                                       judged.begin() + static_cast<std::ptrdiff_t>(now_count),
                                       e.pa + 8ull * e.qwords - 1,
                                       [](uint64_t pa, const Judged &j) { return pa < j.e.pa; });
            if (it != judged.begin()) {
                Judged &now = *(it - 1);
                if (now.e.pa == e.pa && now.e.qwords == e.qwords) { // reachable at both ends
                    now.at_start = true;
                    now.from = kNever;
                    continue;
                }
                if (now.e.pa + 8ull * now.e.qwords > e.pa) continue; // overlaps: keep the one now
            }
            Judged j{e};
            for (unsigned v = 0; v < e.via_count; ++v)
                if (const Touched *tq = changed(e.via[v])) {
                    j.at_end = false;
                    j.to = std::min(j.to, tq->first);
                }
            judged.push_back(j);
        }
        std::stable_sort(judged.begin(), judged.end(), by_pa);
        judged.erase(std::unique(judged.begin(), judged.end(),
                                 [](const Judged &a, const Judged &b) { return a.e.pa == b.e.pa; }),
                     judged.end());
    }
    if (judged.empty()) return std::nullopt;

    // The stores to each entry, in call order.
    std::vector<std::pair<uint32_t, uint32_t>> hits; // (entry, store)
    hits.reserve(stores.size());
    for (uint32_t i = 0; i < stores.size(); ++i) {
        auto it = std::upper_bound(judged.begin(), judged.end(), stores[i].pa,
                                   [](uint64_t pa, const Judged &j) { return pa < j.e.pa; });
        if (it == judged.begin()) continue;
        --it;
        if (stores[i].pa >= it->e.pa + 8ull * it->e.qwords) continue;
        hits.emplace_back(static_cast<uint32_t>(it - judged.begin()), i);
    }
    std::stable_sort(hits.begin(), hits.end(),
                     [](const auto &a, const auto &b) { return a.first < b.first; });

    std::optional<Failure> first;
    std::vector<uint32_t> js;
    for (std::size_t a = 0; a < hits.size();) {
        const uint32_t entry = hits[a].first;
        js.clear();
        for (; a < hits.size() && hits[a].first == entry; ++a) js.push_back(hits[a].second);
        const Judged &j = judged[entry];
        // A PDE rewritten once present is VTD-PDE-1's to judge.
        if (j.e.table == Table::pde && j.at_start) {
            uint64_t before = find_touched(touched, j.e.pa)->before;
            if (hitless::valid(Table::pde, &before)) continue;
        }
        if (counters) counters->hit(ClauseId::HW_7);
        auto f = judge_entry(j, js, hw, touched);
        if (f && (!first || f->store < first->store)) first = std::move(f);
    }
    if (!first) return std::nullopt;
    return Violation{ClauseId::HW_7, describe(op, ref) + ": " + first->message};
}

} // namespace svac::ref
