// RapidCheck generators over the op vocabulary: a whole engine::Trace is one
// generated value, so RapidCheck shrinks it (drops ops, simplifies their
// arguments, removes devices and mms) and the engine runs every candidate.
//
// A generated op is first an OpSpec, an intention ("bind a device that has
// SVA enabled to a live mm", "unbind a PASID nobody holds"); build_trace
// resolves the intentions in order against a shadow reference that follows
// the spec's policy, so preconditions hold where an op is meant to be valid
// and fail on purpose where it is meant to be invalid. Every candidate the
// shrinker makes is resolved again, so shrunk traces stay valid: an mm exits
// at most once and no mm_map/unmap/protect follows its exit.
//
// Swarm generation: each test case first draws a Swarm, the op kinds it may
// use and their weights, and the rate of deliberately invalid calls.
#pragma once

#include "engine/trace.h"

#include <rapidcheck.h>

#include <array>
#include <cstdint>
#include <iosfwd>
#include <string>
#include <vector>

namespace svac::properties {

// Bounds of the generated topologies.
inline constexpr uint32_t kMaxIommus = 3;
inline constexpr uint32_t kMaxDevices = 4;
inline constexpr uint32_t kMaxMms = 6;
inline constexpr std::size_t kOpKinds = static_cast<std::size_t>(ref::OpKind::count_);

struct GenConfig {
    uint32_t ops = 32;                           // the longest op list (at full size)
    uint32_t arch_mask = 1u << SVAC_ARCH_SMMUV3; // architectures the driver drives
    std::string profile = "rfc2019";
    bool hardware = true;      // mm_map/unmap/protect, dma and the fault ops in the mix
    unsigned invalid_pct = 12; // mean rate of deliberately invalid calls (per test case: 0..2x)
};

// What one test case may generate.
struct Swarm {
    std::array<uint16_t, kOpKinds> weight{}; // 0: the kind is left out
    uint8_t invalid_pct = 0;                 // deliberately invalid calls, percent
    bool enable_all = true;                  // prelude: enable SVA on every device
    bool iopf_first = false;                 // ... IOPF first (the profile has the feature)
    uint8_t handler_pct = 0;                 // prelude: register each device's fault handler
    uint8_t map_pct = 75;                    // prelude: map each mm's pages, percent
    uint8_t lazy_pct = 0;                    // mm_map: lazy mappings (populated on fault), percent
    bool operator==(const Swarm &) const = default;
};

// One op as an intention; build_trace resolves it against the state.
struct OpSpec {
    ref::OpKind kind = ref::OpKind::has_feature;
    bool invalid = false; // generate the invalid variant on purpose
    bool prelude = false; // enable dev `a`, register its fault handler / map mm `b`:
                          // dropped if absent
    bool lazy = false;    // mm_map: a lazy mapping
    uint32_t a = 0;       // which device (index into the candidates)
    uint32_t b = 0;       // which mm (index into the candidates)
    uint32_t variant = 0; // which sub-case (noise, never shrunk)
    uint64_t d = 0;       // drvdata, addresses, limits
    bool operator==(const OpSpec &) const = default;
};

// The default weights of the op kinds (the plain generator's mix): 0 for
// kinds outside the profile's vocabulary.
std::array<uint16_t, kOpKinds>
default_weights(const ref::Profile &profile = ref::default_profile());

rc::Gen<ref::Topology> gen_topology(uint32_t arch_mask);
rc::Gen<Swarm> gen_swarm(const GenConfig &cfg);
// The op list of one test case: a prelude (enable SVA, register fault
// handlers, map pages), then ops
// drawn from the swarm. Its length grows with the generation size: at size
// 100 (RapidCheck's nominal size) between cfg.ops / 2 and cfg.ops.
rc::Gen<std::vector<OpSpec>> gen_op_specs(const Swarm &swarm, const GenConfig &cfg);

// Resolves the intentions in order against a shadow reference.
engine::Trace build_trace(const ref::Topology &topology, const std::vector<OpSpec> &specs,
                          const std::string &profile);

// The whole test case: topology, swarm, ops.
rc::Gen<engine::Trace> gen_trace(const GenConfig &cfg);

} // namespace svac::properties

namespace svac::engine {
// How RapidCheck shows a generated trace in a counterexample.
void showValue(const Trace &trace, std::ostream &os);
} // namespace svac::engine
