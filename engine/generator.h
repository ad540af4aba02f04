// The plain generator: seeded random topologies and op sequences. RapidCheck
// and libFuzzer feed the same engine with the same op type.
#pragma once

#include "engine/rng.h"
#include "engine/trace.h"

#include <map>
#include <optional>

namespace svac::engine {

// The accesses a generated page request asks for (read twice as often as the
// rest; an execute request with read, as PCIe has it).
inline constexpr uint8_t kPageRequestAccess[] = {ref::kRead,
                                                 ref::kRead,
                                                 ref::kWrite,
                                                 ref::kWrite,
                                                 ref::kRead | ref::kWrite,
                                                 ref::kRead | ref::kExec};

// The plain generator's configuration.
struct GenConfig {
    uint32_t ops = 32;                           // ops per sequence
    uint32_t arch_mask = 1u << SVAC_ARCH_SMMUV3; // architectures the driver drives
    std::string profile = "rfc2019";
    // mm_map/mm_unmap/mm_protect, dma and the I/O page fault ops
    // (page_request, page_response, register/unregister_fault_handler,
    // queue_overflow) in the mix
    bool hardware = true;
    bool operator==(const GenConfig &) const = default;
};

// The handles a sequence of binds and unbinds holds, named as the kit names
// them (a bind of a live (dev, mm) shares its handle, a new one takes the
// lowest free name): a generator's view of what its caller will hold. A
// bind that fails leaves it holding a name no bind returned; the engine
// runs no op that names one.
struct HandleNames {
    struct Held {
        uint32_t dev, mm, refs;
    };
    std::map<uint32_t, Held> live;
    uint32_t bind(uint32_t dev, uint32_t mm);                         // the handle's name
    std::optional<uint32_t> pick(Rng &rng) const;                     // a live name
    std::optional<uint32_t> name_of(uint32_t dev, uint32_t mm) const; // (dev, mm)'s
    void unbind(uint32_t name);                                       // one reference
};

ref::Topology generate_topology(Rng &rng, const GenConfig &cfg);
Trace generate_trace(Rng &rng, const GenConfig &cfg);
// How generate_trace makes a trace from an Rng whose state is `rng_state`:
// generator "plain".
Made plain_made(uint64_t rng_state, const GenConfig &cfg);

// A generator that makes a trace from its recipe (Made). Generators register
// under their name before main, so that a forked driver host, which is this
// program, has them all.
using Remake = Trace (*)(const json &recipe);
bool register_generator(const std::string &name, Remake remake);
// The trace `made` says how to make; nullopt when no generator of that name
// is registered. Throws std::runtime_error on a recipe it cannot read.
std::optional<Trace> remake(const Made &made);

} // namespace svac::engine
