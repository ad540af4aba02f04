// Traces: a topology, a profile and a list of ops, as JSON ("sva-trace/1").
// The contract vendors write by hand or record from real systems; every
// finding carries one.
#pragma once

#include "reference/hw_model.h"
#include "reference/op.h"
#include "reference/pagetable.h"
#include "reference/profile.h"
#include "reference/topology.h"

#include <nlohmann/json.hpp>

#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace svac::engine {

using json = nlohmann::ordered_json;

inline constexpr std::string_view kTraceFormat = "sva-trace/1";

struct Trace {
    std::string profile = "rfc2019";
    ref::Topology topology;
    std::vector<ref::Op> ops;
    // The platform refuses the driver's Nth allocation (1-based, create's
    // included; 0: none): a fail-nth sweep's injection point, so that the
    // trace of its finding replays with it (engine::RunOptions).
    uint64_t fail_alloc_nth = 0;
    bool operator==(const Trace &) const = default;
};

// Bad input: the message names the file, the place and the reason.
class InputError : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

// Limits that keep a hostile trace from exhausting the machine.
inline constexpr uint32_t kMaxIommus = 64;
inline constexpr uint32_t kMaxDevices = 256;
inline constexpr uint32_t kMaxMms = 4096;
inline constexpr std::size_t kMaxOps = 10'000'000;
inline constexpr uint32_t kMaxPagesPerOp = 4096;
inline constexpr uint32_t kMaxDmaPages = 16;          // dma: pages of one transaction
inline constexpr uint32_t kMaxPrgIndex = 511;         // page_request: a 9-bit PRG index
inline constexpr uint32_t kMaxResponseGroup = 65'535; // page_response: a PRG index or STAG

// Parses and validates a trace; `source` names it in errors ("t.json").
Trace parse_trace(std::string_view text, std::string_view source);
Trace load_trace(const std::string &path);

json op_to_json(const ref::Op &op);
json topology_to_json(const ref::Topology &t);
json trace_to_json(const Trace &t);
// The trace as text a person reads: one op per line.
std::string print_trace(const Trace &t);

} // namespace svac::engine
