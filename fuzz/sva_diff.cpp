// libFuzzer target: the input decodes (trace_codec.h) into a topology and an
// op sequence, run differentially against a bundled driver. A finding prints
// its clause and trace on stderr and aborts.
//
// SVAC_FUZZ_DRIVER selects the driver: "smmuv3" (the default), "vtd", or
// "DRIVER:MUTANT" for a seeded-bug mutant. SVAC_FUZZ_ROUNDTRIP=1 also checks
// that each decoded trace prints and parses back to itself.
#include "engine/driver.h"
#include "engine/engine.h"
#include "fuzz/trace_codec.h"
#include "models/registry.h"
#include "reference/clauses.h"

#include <cstdio>
#include <cstdlib>
#include <string>

namespace {

using namespace svac;

const svac_driver_ops &driver() {
    static const svac_driver_ops *ops = [] {
        const char *env = std::getenv("SVAC_FUZZ_DRIVER");
        std::string name = env && *env ? env : "smmuv3";
        std::size_t colon = name.find(':');
        const models::BundledDriver *b = models::find_bundled(name.substr(0, colon));
        if (!b) {
            std::fprintf(stderr, "sva_diff: SVAC_FUZZ_DRIVER=%s: no such bundled driver\n",
                         name.c_str());
            std::exit(2);
        }
        const svac_driver_ops *d = b->entry();
        if (colon != std::string::npos) {
            const models::Mutant *m = models::find_mutant(*b, name.substr(colon + 1));
            if (!m) {
                std::fprintf(stderr, "sva_diff: SVAC_FUZZ_DRIVER=%s: no such mutant\n",
                             name.c_str());
                std::exit(2);
            }
            d = models::mutant_ops(*b, *m);
        }
        std::string why = engine::check_driver_ops(d);
        if (!why.empty()) {
            std::fprintf(stderr, "sva_diff: %s: %s\n", name.c_str(), why.c_str());
            std::exit(2);
        }
        return d;
    }();
    return *ops;
}

bool roundtrip_checks() {
    static const bool on = [] {
        const char *env = std::getenv("SVAC_FUZZ_ROUNDTRIP");
        return env && *env && *env != '0';
    }();
    return on;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    const svac_driver_ops &ops = driver();
    engine::Trace trace = fuzz::decode_trace(data, size, ops.arch_mask);
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
        std::fprintf(stderr, "%s\n", engine::trace_to_json(finding->trace).dump(2).c_str());
        std::abort();
    }
    return 0;
}
