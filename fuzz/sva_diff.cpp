// libFuzzer target: the input decodes (trace_codec.h) into a topology and an
// op sequence, run differentially against a bundled driver. A finding prints
// its clause and trace on stderr and aborts.
//
// SVAC_FUZZ_DRIVER selects the driver: "smmuv3" (the default), "vtd", or
// "DRIVER:MUTANT" for a seeded-bug mutant; SVAC_FUZZ_DRIVER_LIB=PATH.so a
// plugin instead. SVAC_FUZZ_PROFILE names the API generation whose
// vocabulary the inputs decode to (default rfc2019), which the driver must
// implement. SVAC_FUZZ_ROUNDTRIP=1 also checks
// that each decoded trace prints and parses back to itself.
#include "engine/driver.h"
#include "engine/engine.h"
#include "fuzz/trace_codec.h"
#include "models/driver_source.h"
#include "reference/clauses.h"

#include <cstdio>
#include <cstdlib>
#include <string>

namespace {

using namespace svac;

const svac_driver_ops &driver() {
    static const svac_driver_ops *ops = [] {
        const char *lib = std::getenv("SVAC_FUZZ_DRIVER_LIB");
        const char *env = std::getenv("SVAC_FUZZ_DRIVER");
        std::string name = lib && *lib ? lib : env && *env ? env : "smmuv3";
        models::DriverLookup found =
            lib && *lib ? models::load_plugin(name) : models::find_driver(name);
        std::string why = found.ops ? engine::check_driver_ops(found.ops) : found.error;
        if (!why.empty()) {
            std::fprintf(stderr, "sva_diff: %s: %s\n",
                         lib && *lib ? "SVAC_FUZZ_DRIVER_LIB" : "SVAC_FUZZ_DRIVER", why.c_str());
            std::exit(2);
        }
        return found.ops;
    }();
    return *ops;
}

const std::string &profile() {
    static const std::string name = [] {
        const char *env = std::getenv("SVAC_FUZZ_PROFILE");
        std::string p = env && *env ? env : "rfc2019";
        const ref::Profile *found = ref::find_profile(p);
        std::string why =
            found ? engine::check_driver_profile(driver(), *found) : "no profile \"" + p + "\"";
        if (!why.empty()) {
            std::fprintf(stderr, "sva_diff: SVAC_FUZZ_PROFILE: %s\n", why.c_str());
            std::exit(2);
        }
        return p;
    }();
    return name;
}

bool roundtrip_checks() {
    static const bool on = [] {
        const char *env = std::getenv("SVAC_FUZZ_ROUNDTRIP");
        return env && *env && *env != '0';
    }();
    return on;
}

// SVAC_FUZZ_REPLAY=1: a finding is printed and the run goes on, so a corpus
// replayed for coverage (scripts/linux-coverage) runs to its end.
bool replay_only() {
    static const bool on = [] {
        const char *env = std::getenv("SVAC_FUZZ_REPLAY");
        return env && *env && *env != '0';
    }();
    return on;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    const svac_driver_ops &ops = driver();
    engine::Trace trace = fuzz::decode_trace(data, size, ops.arch_mask, profile());
    if (!engine::check_driver_topology(ops, trace.topology).empty()) return 0;
    if (roundtrip_checks()) {
        engine::Trace back =
            engine::parse_trace(engine::trace_to_json(trace).dump(), "sva_diff input");
        if (!(back == trace)) {
            std::fprintf(stderr, "sva_diff: the decoded trace does not round-trip:\n%s\n",
                         engine::trace_to_json(trace).dump(2).c_str());
            std::abort();
        }
    }
    engine::RunStats stats;
    std::optional<engine::Finding> finding;
    try {
        finding = engine::run_differential(ops, trace, stats);
    } catch (const engine::DriverError &) {
        return 0; // the driver refuses the topology
    }
    if (finding) {
        std::fprintf(stderr, "sva_diff: finding %s at step %zu: %s\n",
                     std::string(ref::clause_id(finding->clause)).c_str(), finding->step,
                     finding->message.c_str());
        if (replay_only()) return 0;
        std::fprintf(stderr, "%s\n", engine::trace_to_json(finding->trace).dump(2).c_str());
        std::abort();
    }
    return 0;
}
