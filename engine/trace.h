// Traces: a topology, a profile and a list of ops, as JSON ("sva-trace/1").
// The contract vendors write by hand or record from real systems; every
// finding carries one.
#pragma once

#include "reference/clauses.h"
#include "reference/hw_model.h"
#include "reference/op.h"
#include "reference/pagetable.h"
#include "reference/profile.h"
#include "reference/topology.h"

#include <svac/driver_abi.h>

#include <nlohmann/json.hpp>

#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace svac::engine {

using json = nlohmann::ordered_json;

inline constexpr std::string_view kTraceFormat = "sva-trace/1";

// What a finding was judged from. A trace records each op's outcomes
// (return codes, PASIDs, callbacks, fault responses, DMA translations,
// counts of stray stores and unsynced commands), so check-trace judges
// those again; the rest only a driver shows.
enum class Evidence : uint8_t {
    outcomes, // the op's outcomes
    stores,   // each store the driver made, in order (HW-7)
    tables,   // the tables it wrote and the commands it issued (SMMU-*, VTD-*)
    process,  // its process: a crash, a hang, its memory (ROBUST-1/2/3)
    memory    // what destroy did: the platform memory it holds after (ROBUST-5), a callback
              // it fired (MMEXIT-4)
};
std::string_view evidence_name(Evidence e);
std::optional<Evidence> find_evidence(std::string_view name);
// Why check-trace cannot judge a finding from this evidence ("" for outcomes).
std::string_view why_not_in_trace(Evidence e);

// What the trace of a finding records of the finding it reproduces, so that
// check-trace can report the same clause at the same op, or say that it
// cannot judge it without the driver.
struct RecordedFinding {
    ref::ClauseId clause{};
    std::size_t step = 0;
    Evidence judged_from = Evidence::outcomes;
    bool operator==(const RecordedFinding &) const = default;
};

// How a generator of this program makes a trace: the generator's name and
// what it needs to make the trace (its random state and its configuration;
// engine/generator.h, remake). A campaign's forked driver host, being this
// program, is sent this rather than the trace (RunOptions::made).
struct Made {
    std::string generator; // "plain", "rapidcheck"
    json recipe;
};

struct Trace {
    std::string profile = "rfc2019";
    ref::Topology topology;
    std::vector<ref::Op> ops;
    // The platform refuses the driver's Nth allocation (1-based, create's
    // included; 0: none): a fail-nth sweep's injection point, so that the
    // trace of its finding replays with it (engine::RunOptions).
    uint64_t fail_alloc_nth = 0;
    std::optional<RecordedFinding> finding; // the trace of a finding
    bool operator==(const Trace &) const = default;
};

// Bad input: the message names the file, the place and the reason.
// Whether the driver can run trace t: it drives the topology's IOMMUs
// ("/topology: why") and implements its profile's contract ("/profile: why");
// empty if so.
std::string check_driver_trace(const svac_driver_ops &ops, const Trace &t);

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
inline constexpr uint32_t kMaxHandleName = 65'535;    // a handle's name (bind, unbind, set_ops)
inline constexpr uint32_t kMaxDomainName = 65'535;    // a domain's name (calls)

// Parses and validates a trace; `source` names it in errors ("t.json").
Trace parse_trace(std::string_view text, std::string_view source);
// The same, from JSON already parsed (a driver host's run frame).
Trace trace_from_json(const json &j, std::string_view source);
// ... read as a trace of `profile` when one is given, whatever its own
// "profile" says (check-trace --profile).
Trace load_trace(const std::string &path, const std::optional<std::string> &profile = {});

// The profile a trace names (parse_trace accepts known ones only; a trace
// made in memory with another name is read as rfc2019).
const ref::Profile &profile_of(const Trace &t);

json op_to_json(const ref::Op &op, const ref::Profile &profile);
// register_misuse as traces and findings spell it: [{"clause", "what"}].
json misuse_json(const std::vector<ref::RegisterMisuse> &v);
json topology_to_json(const ref::Topology &t);
json trace_to_json(const Trace &t);
// The trace as text a person reads: one op per line.
std::string print_trace(const Trace &t);

} // namespace svac::engine
