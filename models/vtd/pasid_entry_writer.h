// SPDX-License-Identifier: MIT
//
// The stores the VT-d driver model makes to a PASID entry (Linux
// intel/pasid.c; invariant I4 of docs/formal.md): setup writes a not-present entry with P set by
// the last store; teardown clears P with the first. Generic over the word type: uint64_t in the
// driver, a solver's bit-vector in the formal checks (properties/formal), which prove the P
// ordering for every entry value.

#ifndef SVAC_MODELS_VTD_PASID_ENTRY_WRITER_H
#define SVAC_MODELS_VTD_PASID_ENTRY_WRITER_H

#include <array>
#include <cstdint>

namespace vtd {

// What the stores need from the word type; the formal checks specialise it.
template <typename W> struct pasid_word_ops;
template <> struct pasid_word_ops<uint64_t> {
    using boolean = bool;
    static constexpr uint64_t constant(const uint64_t &, uint64_t v) { return v; }
    static constexpr bool literal(const uint64_t &, bool b) { return b; }
};

template <typename W> struct pasid_entry_store {
    unsigned qword;
    W value;
    typename pasid_word_ops<W>::boolean stored; // false: skipped
};
template <typename W> using pasid_entry_stores = std::array<pasid_entry_store<W>, 3>;

// Setup of a not-present (all-zero) entry: every other qword first, q0
// with P last. p_first is the seeded bug that stores q0 first.
template <typename W>
constexpr pasid_entry_stores<W> intel_pasid_install_stores(const W &q0, const W &q1, const W &q2,
                                                           bool p_first = false) {
    using O = pasid_word_ops<W>;
    const W zero = O::constant(q0, 0);
    pasid_entry_store<W> s0{0, q0, O::literal(q0, true)};
    pasid_entry_store<W> s1{1, q1, q1 != zero};
    pasid_entry_store<W> s2{2, q2, q2 != zero};
    if (p_first) return {s0, s1, s2};
    return {s1, s2, s0};
}

// Teardown: q0 first (P=0; FPD alone when faults are to be ignored), then
// the only other qwords setup writes.
template <typename W>
constexpr pasid_entry_stores<W> intel_pasid_teardown_stores(const W &q0_after) {
    using O = pasid_word_ops<W>;
    const W zero = O::constant(q0_after, 0);
    const auto yes = O::literal(q0_after, true);
    return {pasid_entry_store<W>{0, q0_after, yes}, pasid_entry_store<W>{1, zero, yes},
            pasid_entry_store<W>{2, zero, yes}};
}

} // namespace vtd

#endif // SVAC_MODELS_VTD_PASID_ENTRY_WRITER_H
