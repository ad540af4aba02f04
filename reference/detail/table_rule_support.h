// What the SMMU and VT-d table rules (smmu_rules.cpp, vtd_rules.cpp) share:
// how they read entries and spell values, and RuleChecker, the base of each
// file's rule class, which counts the clauses a judgement evaluates and keeps
// the first violation it finds. Messages are built only when a rule fails.
#pragma once

#include "reference/codec.h"
#include "reference/hw_view.h"
#include "reference/reference.h"
#include "reference/text.h"

#include <array>
#include <concepts>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <optional>
#include <string>

namespace svac::ref::detail {

// Small values in decimal, the rest in hex.
inline std::string show(uint64_t v) {
    return v < 10 ? std::to_string(v) : hex(v);
}

// The first n qwords of an N-qword entry at pa (the rest read as 0).
template <std::size_t N>
std::array<uint64_t, N> read_words(const MemoryView &mem, uint64_t pa, std::size_t n = N) {
    std::array<uint64_t, N> w{};
    for (std::size_t i = 0; i < n && i < N; ++i) w[i] = mem.read64(pa + 8 * i);
    return w;
}

// A pointer field as the address it holds (its bits sit in place).
inline uint64_t address(const uint64_t *e, const Field &f) {
    return e[f.qword] & f.mask();
}

// The reserved bits of each qword of a format, computed once.
using Reserved = std::array<uint64_t, 8>;
constexpr Reserved reserved_of(const Format &f) {
    Reserved r{};
    for (unsigned q = 0; q < f.qwords && q < r.size(); ++q) r[q] = f.reserved_mask(q);
    return r;
}

// An entry a message names (each rule file has its own Where): str() spells
// it out, and is called only when a rule fails.
template <typename W>
concept Place = requires(const W &w) {
    { w.str() } -> std::convertible_to<std::string>;
};

// The state of one judgement shared by the rules of an IOMMU architecture.
// The rules return false on the first violation, which v_ keeps.
class RuleChecker {
protected:
    // start: memory as it was when the call began.
    RuleChecker(const Reference &ref, const Op &op, const HwView &hw, const MemoryView &start,
                ClauseCounters *counters)
        : ref_(ref), op_(op), hw_(hw), start_(start), counters_(counters) {}

    void hit(ClauseId c) {
        if (counters_) counters_->hit(clause_in(c, ref_.profile()));
    }
    bool fail(ClauseId c, const std::string &what, const std::string &due = {}) {
        if (!v_)
            v_ = Violation{clause_in(c, ref_.profile()), describe(op_, ref_) + ": " + what, due};
        return false;
    }
    template <Place W>
    bool expect(ClauseId c, const W &w, const uint64_t *e, const Field &f, uint64_t want,
                const char *why = nullptr) {
        const uint64_t got = get(e, f);
        if (got == want) return true;
        return fail(c, w.str() + ": " + std::string(f.name) + " = " + show(got) + ", expected " +
                           show(want) + (why ? std::string(" (") + why + ")" : std::string()));
    }
    template <Place W>
    bool reserved_zero(ClauseId c, const W &w, const Reserved &mask, unsigned qwords,
                       const uint64_t *e) {
        for (unsigned q = 0; q < qwords; ++q)
            if (uint64_t bad = e[q] & mask[q])
                return fail(c, w.str() + ": reserved bits " + hex(bad) + " set in q" +
                                   std::to_string(q) + " (" + hex(e[q]) + ")");
        return true;
    }
    const Device &device(uint32_t dev) const { return ref_.topology().devices[dev]; }
    // A bind whose PASID does not translate at all: from linux-6.12 the
    // driver's set_dev_pasid returned 0 without attaching (ATTACH-1).
    ClauseId untranslated(ClauseId c) const {
        return op_.kind == OpKind::bind && ref_.profile().contract == Contract::domain
                   ? ClauseId::ATTACH_1
                   : c;
    }
    // Did a store of the call change memory in [pa, pa + bytes)?
    bool stored_in(uint64_t pa, uint64_t bytes) const {
        for (const Store &st : hw_.call.stores)
            if (st.pa - pa < bytes && st.old_val != st.new_val) return true;
        return false;
    }

    const Reference &ref_;
    const Op &op_;
    const HwView &hw_;
    const MemoryView &start_;
    ClauseCounters *counters_;
    std::optional<Violation> v_;
};

} // namespace svac::ref::detail
