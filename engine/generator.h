// The plain generator: seeded random topologies and op sequences. RapidCheck
// and libFuzzer feed the same engine with the same op type.
#pragma once

#include "engine/rng.h"
#include "engine/trace.h"

namespace svac::engine {

// The accesses a generated page request asks for (read twice as often as the
// rest; an execute request with read, as PCIe has it).
inline constexpr uint8_t kPageRequestAccess[] = {ref::kRead,
                                                 ref::kRead,
                                                 ref::kWrite,
                                                 ref::kWrite,
                                                 ref::kRead | ref::kWrite,
                                                 ref::kRead | ref::kExec};

ref::Topology generate_topology(Rng &rng, const GenConfig &cfg);
Trace generate_trace(Rng &rng, const GenConfig &cfg);

} // namespace svac::engine
