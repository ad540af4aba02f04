// A small deterministic random source: the same seed gives the same
// sequences with any compiler and standard library.
#pragma once

#include <cstdint>

namespace svac::engine {

class Rng {
public:
    explicit Rng(uint64_t seed) : state_(seed) {}
    uint64_t state() const { return state_; }

    uint64_t next() { // SplitMix64
        uint64_t z = (state_ += 0x9e3779b97f4a7c15ull);
        z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
        z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
        return z ^ (z >> 31);
    }
    // Uniform in [0, n); n > 0.
    uint64_t below(uint64_t n) { return static_cast<uint64_t>((__uint128_t{next()} * n) >> 64); }
    // Uniform in [lo, hi].
    uint64_t between(uint64_t lo, uint64_t hi) { return lo + below(hi - lo + 1); }
    bool percent(unsigned p) { return below(100) < p; }

    // The seed of sequence i of a campaign seeded with `seed`.
    static uint64_t derive(uint64_t seed, uint64_t i) {
        Rng r(seed ^ (i * 0xd1342543de82ef95ull));
        r.next();
        return r.next();
    }

private:
    uint64_t state_;
};

} // namespace svac::engine
