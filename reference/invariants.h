// Live-table invariants (G3/G4, A1-A7, I1-I3 of docs/formal.md),
// written once as data: formulas over the fields of an entry, and formulas
// over two entries of a table. The table rules (smmu_rules.cpp,
// vtd_rules.cpp) evaluate them on the entries a driver wrote, after every
// call; `dump-tables` evaluates them on the final tables; the formal layer
// (properties/formal/invariants.cpp) encodes the same formulas, through the
// same generic evaluator below, on Z3 bit-vectors. There is no other copy of
// these rules.
//
// A per-entry formula is `when => then`: every atom of `when` holds, so
// `then` must. A pair formula is over two distinct entries a, b of a table
// that both satisfy `when`: key(a) = key(b) implies that the fields of
// `same` are equal (with `same` empty: keys are pairwise distinct).
#pragma once

#include "reference/clauses.h"
#include "reference/codec.h"
#include "reference/vtd_format.h"

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

namespace svac::ref::inv {

enum class Test : uint8_t {
    eq,            // field = value
    ne,            // field != value
    in,            // field in a set: bit k of value set for each allowed k (< 64)
    aligned,       // the address the pointer field holds is a multiple of 2^value
    aligned_by,    // ... of 2^(other + shift): alignment read from another field
    reserved_zero, // no reserved bit of the format is set
    in_sagaw,      // field in the IOMMU's VT-d CAP_REG.SAGAW: bit k set for AW = k (Caps)
};

// What an atom may read from the IOMMU rather than from the entry: its
// capability registers. A live run's are the model's; a snapshot's are the
// captured ones (check-tables).
struct Caps {
    uint64_t vtd_sagaw = vtd::pasid_entry::kSagaw; // the model's CAP_REG.SAGAW
};

struct Atom {
    Test test;
    const Field *field = nullptr; // null for reserved_zero
    uint64_t value = 0;
    const Field *other = nullptr; // aligned_by: the field holding the log2 size
    int shift = 0;                // aligned_by
};

struct Formula {
    std::string_view name; // "smmuv3.cd.asid-regime"
    std::string_view spec; // docs/formal.md "The invariants": "A7"
    ClauseId clause;       // what a violation is a finding of
    const Format *format;
    std::span<const Atom> when;
    Atom then{Test::eq};
    const Field *key = nullptr;           // a pair formula when set
    std::span<const Field *const> same{}; // pair: equal keys => these equal
    bool pairwise() const { return key != nullptr; }
};

// Every formula, and those of one format, in a fixed order.
std::span<const Formula> all_formulas();
std::span<const Formula> formulas_of(const Format &f);
const Formula *find_formula(std::string_view name);

// "V=1 && EPD0=0 -> ASID!=0"; pairs: "V=1 && EPD0=0 on both: ASID equal ->
// TTB0, T0SZ equal".
std::string text(const Formula &f);
// "smmuv3.cd.asid-nonzero [A6]: V=1 && EPD0=0 -> ASID!=0"
std::string describe(const Formula &f);

// ---- the evaluator, generic over the word type (WordOps of codec.h) ----

template <typename W> using Bool = typename WordOps<W>::boolean;

// The bits of a pointer field below 2^log2 (none when log2 <= its lowest bit).
constexpr uint64_t low_bits(const Field &f, unsigned log2) {
    return log2 >= 64 ? f.mask() : f.mask() & ((uint64_t{1} << log2) - 1);
}

template <typename W>
Bool<W> holds(const Atom &a, const Format &fmt, const W *e, const Caps &caps = {}) {
    using O = WordOps<W>;
    const W &any = e[0];
    auto zero = [&](const W &x) { return x == O::constant(x, 0); };
    switch (a.test) {
    case Test::eq:
        return get(e, *a.field) == O::constant(any, a.value);
    case Test::ne:
        return get(e, *a.field) != O::constant(any, a.value);
    case Test::in:
    case Test::in_sagaw: {
        const W v = get(e, *a.field);
        const uint64_t set = a.test == Test::in ? a.value : caps.vtd_sagaw;
        Bool<W> r = O::literal(any, false);
        for (unsigned k = 0; k < 64; ++k)
            if (set >> k & 1) r = r || v == O::constant(any, k);
        return r;
    }
    case Test::aligned:
        return zero(e[a.field->qword] &
                    O::constant(any, low_bits(*a.field, static_cast<unsigned>(a.value))));
    case Test::aligned_by: {
        // The mask of the bits that must be zero, chosen by the other field.
        const W by = get(e, *a.other);
        W m = O::constant(any, 0);
        const uint64_t n = a.other->mask() >> a.other->lo;
        for (uint64_t k = 0; k <= n && k < 64; ++k) {
            const long log2 = static_cast<long>(k) + a.shift;
            if (log2 <= a.field->lo) continue;
            m = O::select(by == O::constant(any, k),
                          O::constant(any, low_bits(*a.field, static_cast<unsigned>(log2))), m);
        }
        return zero(e[a.field->qword] & m);
    }
    case Test::reserved_zero: {
        Bool<W> r = O::literal(any, true);
        for (unsigned q = 0; q < fmt.qwords; ++q)
            r = r && zero(e[q] & O::constant(any, fmt.reserved_mask(q)));
        return r;
    }
    }
    return O::literal(any, false);
}

template <typename W> Bool<W> guard(const Formula &f, const W *e, const Caps &caps = {}) {
    Bool<W> r = WordOps<W>::literal(e[0], true);
    for (const Atom &a : f.when) r = r && holds(a, *f.format, e, caps);
    return r;
}

// A per-entry formula on entry e.
template <typename W> Bool<W> entry_holds(const Formula &f, const W *e, const Caps &caps = {}) {
    return !guard(f, e, caps) || holds(f.then, *f.format, e, caps);
}

// A pair formula on two distinct entries a, b.
template <typename W>
Bool<W> pair_holds(const Formula &f, const W *a, const W *b, const Caps &caps = {}) {
    using O = WordOps<W>;
    Bool<W> same = O::literal(a[0], !f.same.empty());
    for (const Field *s : f.same) same = same && get(a, *s) == get(b, *s);
    return !(guard(f, a, caps) && guard(f, b, caps) && get(a, *f.key) == get(b, *f.key)) || same;
}

// ---- concrete use ----

struct Breach {
    const Formula *formula;
    std::string detail; // the fields that break it: "V=1 EPD0=0 ASID=0"
    // "breaks smmuv3.cd.asid-nonzero [A6]: V=1 && EPD0=0 -> ASID!=0 (V=1 EPD0=0 ASID=0)"
    std::string message() const;
};

// The first per-entry formula of e's format that e (qwords of f) breaks.
std::optional<Breach> check_entry(const Format &f, const uint64_t *e);
// The first pair formula of f that entries a and b break together.
std::optional<Breach> check_pair(const Format &f, const uint64_t *a, const uint64_t *b);
// Formula fm (per-entry) on entry e; (pair) on entries a and b; with the
// capabilities of the IOMMU the entries are read by.
std::optional<Breach> check(const Formula &fm, const uint64_t *e, const Caps &caps = {});
std::optional<Breach> check(const Formula &fm, const uint64_t *a, const uint64_t *b,
                            const Caps &caps = {});

} // namespace svac::ref::inv
