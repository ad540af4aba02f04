#include "cli/cli.h"

#include "engine/driver.h"
#include "models/registry.h"

#include <fmt/format.h>

namespace svac::cli {

std::string tool_version() {
    return SVAC_VERSION;
}

const svac_driver_ops &select_driver(const std::string &name) {
    std::size_t colon = name.find(':');
    std::string base = name.substr(0, colon);
    const models::BundledDriver *b = models::find_bundled(base);
    if (!b) {
        std::string known;
        for (const auto &d : models::bundled_drivers())
            known += (known.empty() ? "" : ", ") + std::string(d.name);
        throw UsageError("--driver: no bundled driver called \"" + base + "\" (bundled: " + known +
                         ")");
    }
    const svac_driver_ops *ops = b->entry();
    if (colon != std::string::npos) {
        std::string mutant = name.substr(colon + 1);
        const models::Mutant *m = models::find_mutant(*b, mutant);
        if (!m) {
            std::string known;
            for (const auto &k : b->mutants)
                known += (known.empty() ? "" : ", ") + std::string(k.name);
            throw UsageError("--mutant: driver " + base + " has no mutant called \"" + mutant +
                             "\" (its mutants: " + known + ")");
        }
        ops = models::mutant_ops(*b, *m);
    }
    std::string why = engine::check_driver_ops(ops);
    if (!why.empty()) throw UsageError("--driver " + name + ": " + why);
    return *ops;
}

reports::Report make_report(const svac_driver_ops &driver, const engine::CampaignConfig &cfg,
                            const engine::CampaignResult &result, const std::string &started,
                            double duration_s) {
    reports::Report r;
    r.tool_version = tool_version();
    r.tool_commit = SVAC_GIT_COMMIT;
    r.driver_name = driver.name;
    r.driver_version = driver.version ? driver.version : "";
    r.abi_version = driver.abi_version;
    r.profile = cfg.profile;
    r.seed = cfg.seed;
    r.started = started;
    r.duration_s = duration_s;
    r.config = {{"sequences", cfg.sequences},
                {"ops", cfg.ops},
                {"time_s", cfg.time_s},
                {"generator", "plain"}};
    for (const auto &c : ref::clause_catalog()) {
        uint64_t checks = result.stats.checks[c.ident];
        bool failed = result.findings.count(c.ident) != 0;
        r.clauses.push_back({std::string(c.id), std::string(ref::group_name(c.group)),
                             std::string(c.statement),
                             failed ? "fail" : (checks ? "pass" : "untested"), checks});
    }
    for (const auto &[clause, f] : result.findings)
        r.findings.push_back({std::string(ref::clause_id(clause)), f.step, f.message, f.expected,
                              f.actual, engine::trace_to_json(f.trace),
                              result.occurrences.at(clause)});
    r.sequences = result.sequences;
    r.steps = result.stats.steps;
    r.errors = result.errors;
    r.verdict = !result.findings.empty() ? "nonconformant"
                : !result.errors.empty() ? "error"
                                         : "conformant";
    return r;
}

std::string format_finding(const engine::Finding &f) {
    const ref::Clause &c = ref::clause(f.clause);
    return fmt::format("{} at step {}: {}\n    rule: {}\n    expected: {}\n    actual:   {}\n",
                       c.id, f.step, f.message, c.statement, f.expected.dump(), f.actual.dump());
}

} // namespace svac::cli
