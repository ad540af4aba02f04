// Bit layouts as data. A Field names a bit range of one 64-bit word of an
// entry (or command, or queue record); a Format lists the fields of one
// layout, from which its reserved mask follows. The codec is written once,
// generic over the word type: plain uint64_t here, a Z3 bit-vector in the
// formal checks, so the same definitions are executed and proved.
#pragma once

#include <cstdint>
#include <span>
#include <string_view>

namespace svac::ref {

struct Field {
    std::string_view name;
    uint8_t qword; // which 64-bit word of the entry
    uint8_t lo;    // lowest bit in that word
    uint8_t width; // 1..64

    constexpr uint64_t mask() const {
        return (width >= 64 ? ~uint64_t{0} : ((uint64_t{1} << width) - 1)) << lo;
    }
};

struct Format {
    std::string_view name; // "smmuv3.ste"
    uint8_t qwords;
    std::span<const Field> fields;

    // The bits of word q no field claims: reserved, must be zero.
    constexpr uint64_t reserved_mask(unsigned q) const {
        uint64_t used = 0;
        for (const Field &f : fields)
            if (f.qword == q) used |= f.mask();
        return ~used;
    }
    const Field *find(std::string_view field_name) const {
        for (const Field &f : fields)
            if (f.name == field_name) return &f;
        return nullptr;
    }
};

// The operations the codec needs from a word type. Specialised for Z3
// bit-vectors in properties/formal/.
template <typename W> struct WordOps;

// `boolean` is what comparing two words gives; select(c, a, b) is c ? a : b.
template <> struct WordOps<uint64_t> {
    using boolean = bool;
    static uint64_t constant(const uint64_t &, uint64_t v) { return v; }
    static bool literal(const uint64_t &, bool b) { return b; }
    static uint64_t select(bool c, const uint64_t &a, const uint64_t &b) { return c ? a : b; }
    static uint64_t lshr(const uint64_t &x, unsigned n) { return n >= 64 ? 0 : x >> n; }
    static uint64_t shl(const uint64_t &x, unsigned n) { return n >= 64 ? 0 : x << n; }
};

// The value of field f in entry e (an array of words).
template <typename W> W get(const W *e, const Field &f) {
    using Ops = WordOps<W>;
    const W &q = e[f.qword];
    return Ops::lshr(q, f.lo) & Ops::constant(q, f.mask() >> f.lo);
}

// Entry e with field f set to v (v is truncated to the field's width).
template <typename W> void set(W *e, const Field &f, const W &v) {
    using Ops = WordOps<W>;
    W &q = e[f.qword];
    W field_bits = Ops::shl(v & Ops::constant(v, f.mask() >> f.lo), f.lo);
    q = (q & Ops::constant(q, ~f.mask())) | field_bits;
}

inline uint64_t get(const uint64_t *e, const Field &f) {
    return get<uint64_t>(e, f);
}
inline void set(uint64_t *e, const Field &f, uint64_t v) {
    set<uint64_t>(e, f, v);
}

} // namespace svac::ref
