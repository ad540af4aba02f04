// sva-conform prove: the Z3 checks of properties/formal (docs/formal.md).
#include "cli/cli.h"

#include "properties/formal/checks.h"

#include <fmt/format.h>

#include <chrono>

namespace svac::cli {

int cmd_prove(const ProveOptions &opt) {
    if (opt.format != "smmuv3" && opt.format != "vtd" && opt.format != "all")
        throw UsageError("--format: \"" + opt.format + "\" is not smmuv3, vtd or all");
    if (!(opt.timeout_s > 0)) throw UsageError("--timeout: must be more than 0 seconds");
    formal::Options fo;
    fo.timeout_s = opt.timeout_s;
    const auto t0 = std::chrono::steady_clock::now();
    const std::vector<formal::CheckResult> results = formal::run_checks(opt.format, fo);
    const double wall =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();

    bool cex = false, open = false;
    for (const auto &r : results) {
        cex = cex || r.verdict == formal::Verdict::counterexample;
        open = open || r.verdict == formal::Verdict::unknown || r.verdict == formal::Verdict::error;
    }
    if (opt.as_json) {
        formal::json j = formal::results_json(results, opt.format);
        j["wall_seconds"] = wall;
        fmt::print("{}\n", j.dump(2));
    } else {
        std::size_t proved = 0;
        for (const auto &r : results) {
            std::string clauses;
            for (const auto &c : r.clauses) clauses += (clauses.empty() ? "" : ",") + c;
            fmt::print("{:<38} {:<14} {:6.2f} s  [{}]\n", r.name, formal::verdict_name(r.verdict),
                       r.seconds, clauses);
            if (!r.reason.empty()) fmt::print("    reason: {}\n", r.reason);
            for (const auto &line : r.counterexample) fmt::print("    {}\n", line);
            if (r.verdict == formal::Verdict::proved) ++proved;
        }
        fmt::print("{} of {} checks proved in {:.2f} s\n", proved, results.size(), wall);
    }
    if (cex) return kFindings;
    if (open) return kInternal;
    return kConformant;
}

namespace {

// "SMMUv3", "VT-d", "SMMUv3 and VT-d".
std::string arch_text(bool smmu, bool vtd) {
    return smmu && vtd ? "SMMUv3 and VT-d" : smmu ? "SMMUv3" : "VT-d";
}

} // namespace

reports::json formal_section(const SelectedDriver &selected) {
    const svac_driver_ops &driver = *selected;
    const bool smmu = driver.arch_mask & (1u << SVAC_ARCH_SMMUV3);
    const bool vtd = driver.arch_mask & (1u << SVAC_ARCH_VTD);
    if (!smmu && !vtd) return reports::json();
    if (selected.plugin())
        return {{"covers", "none of this driver's code"},
                {"omitted",
                 "the Z3 checks prove the kit's own code (its table layouts, codec and live-table "
                 "invariants) and the bundled drivers' table writers, not a plugin's code; "
                 "`sva-conform prove` runs them"}};
    const std::string format = smmu && vtd ? "all" : smmu ? "smmuv3" : "vtd";
    std::string writers;
    if (smmu) writers = "the SMMUv3 driver's CD index functions and STE/CD entry writer";
    if (vtd)
        writers += std::string(writers.empty() ? "the" : " and the") +
                   " VT-d driver's PASID index functions and PASID entry writer";
    // Without times: a report is the same byte for byte for the same seed.
    reports::json checks = formal::results_json(formal::run_checks(format, {}), format, false);
    reports::json section = {
        {"covers", "the kit's " + arch_text(smmu, vtd) +
                       " table layouts, codec and live-table invariants (reference/), which "
                       "judged this run, and " +
                       writers +
                       " as the bundled drivers ship them (models/); a seeded-bug mutant's "
                       "change is not among them"}};
    section.update(checks);
    return section;
}

} // namespace svac::cli
