// sva-conform: conformance and fuzzing kit for IOMMU SVA drivers.
#include "cli/cli.h"
#include "cli/options.h"
#include "cli/progress.h"
#include "engine/snapshot.h"

#include "engine/driver.h"
#include "engine/interrupt.h"
#include "engine/isolate.h"
#include "models/registry.h"
#include "properties/campaign.h"
#include "reports/escape.h"
#include "reports/writers.h"

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <unistd.h>

using namespace svac;
using reports::term_escape;

namespace {

// The upper bounds of the numeric options (README "The command").
constexpr uint64_t kMaxSequences = 1'000'000'000;
constexpr uint64_t kMaxOpsPerSequence = 100'000;
constexpr double kMaxCampaignS = 7 * 24 * 3600; // run --time, fuzz --time: a week
constexpr double kMaxStepS = 24 * 3600;         // --step-timeout, --budget, prove --timeout
constexpr uint64_t kMinMemoryMib = 16, kMaxMemoryMib = uint64_t{1} << 20; // 1 TiB
constexpr uint64_t kMaxJobs = 256;

int cmd_clauses(bool as_json, const std::string &group, const std::string &profile) {
    const ref::Profile *only = profile.empty() ? nullptr : &cli::profile_option(profile);
    engine::json all = engine::json::array();
    std::size_t shown = 0;
    for (const auto &c : ref::clause_catalog()) {
        if (!group.empty() && ref::group_name(c.group) != group) continue;
        if (only && !ref::binds(c.ident, *only)) continue;
        ++shown;
        engine::json profiles = engine::json::array();
        for (const auto &p : ref::profiles())
            if (ref::binds(c.ident, p)) profiles.push_back(p.name);
        if (as_json) {
            all.push_back({{"id", c.id},
                           {"group", ref::group_name(c.group)},
                           {"profiles", profiles},
                           {"statement", c.statement},
                           {"source", c.source}});
        } else {
            fmt::print("{:<12} {}\n{:<12} profiles: {}\n{:<12} source: {}\n", c.id, c.statement, "",
                       ref::profile_names(c.profiles), "", c.source);
        }
    }
    if (as_json) fmt::print("{}\n", all.dump(2));
    if (!as_json) fmt::print("{} clauses\n", shown);
    if (shown == 0)
        throw cli::UsageError("--group: no clause in group \"" + group + "\"" +
                              (only ? " binds profile " + profile : std::string()));
    return cli::kConformant;
}

int cmd_drivers() {
    for (const auto &d : models::bundled_drivers()) {
        const svac_driver_ops *ops = d.entry();
        std::string archs;
        if (ops->arch_mask & (1u << SVAC_ARCH_SMMUV3)) archs += "smmuv3 ";
        if (ops->arch_mask & (1u << SVAC_ARCH_VTD)) archs += "vtd ";
        fmt::print("{:<10} {} (version {}, ABI {}, drives: {})\n", d.name, d.summary,
                   ops->version ? ops->version : "?", ops->abi_version,
                   archs.empty() ? "nothing" : archs.substr(0, archs.size() - 1));
    }
    return cli::kConformant;
}

// Each finding's trace as DIR/findings/<CLAUSE>.json, replayable; returns the paths.
std::map<ref::ClauseId, std::string> write_finding_traces(const engine::CampaignResult &result,
                                                          const std::string &out) {
    const std::filesystem::path dir = std::filesystem::path(out) / "findings";
    std::error_code ec;
    if (std::filesystem::is_directory(dir, ec)) // stale traces of an earlier run
        for (const auto &e : std::filesystem::directory_iterator(dir, ec))
            if (e.path().extension() == ".json") std::filesystem::remove(e.path(), ec);
    std::map<ref::ClauseId, std::string> paths;
    if (result.findings.empty()) return paths;
    std::filesystem::create_directories(dir, ec);
    for (const auto &[clause, f] : result.findings) {
        std::string path = (dir / (std::string(ref::clause_id(clause)) + ".json")).string();
        try {
            reports::write_atomic(
                path, reports::dump_json(engine::trace_to_json(engine::finding_trace(f))) + "\n");
        } catch (const std::runtime_error &e) {
            throw cli::UsageError(std::string("--out: ") + e.what());
        }
        paths.emplace(clause, path);
    }
    return paths;
}

int cmd_run(const cli::SelectedDriver &selected, engine::CampaignConfig cfg, const std::string &out,
            const std::string &generator, const cli::IsolationFlags &isolation) {
    cfg.options.isolate = isolation.choose(selected);
    const svac_driver_ops &driver = *selected;
    if (std::string why = engine::check_driver_profile(driver, cli::profile_option(cfg.profile));
        !why.empty())
        throw cli::UsageError("--profile: " + why);
    if (cfg.ops == 0) throw cli::UsageError("--ops: must be at least 1");
    cli::check_out_dir(out); // now, not after the campaign
    std::string started = reports::utc_now();
    auto t0 = std::chrono::steady_clock::now();
    engine::install_stop_handlers(); // a signal: the report so far, verdict "incomplete"
    cli::ProgressLine line;
    auto progress = [&](const engine::CampaignResult &r, uint64_t planned, double elapsed) {
        line.update({.done = r.sequences,
                     .total = planned,
                     .work = r.stats.steps,
                     .findings = r.findings.size(),
                     .elapsed_s = elapsed,
                     .budget_s = cfg.time_s});
    };
    engine::CampaignResult result;
    properties::PropertyConfig pcfg;
    pcfg.campaign = cfg;
    if (generator == "plain") {
        result = engine::run_campaign(driver, cfg, progress);
    } else { // RapidCheck: every finding shrunk; announced before its shrink starts
        pcfg.on_found = [&](const properties::FoundEvent &e) {
            line.clear();
            fmt::print(stderr, "found {} at sequence {} (seed {}); shrinking...\n",
                       ref::clause_id(e.clause), e.sequence, e.seed);
        };
        result = properties::run_property_campaign(driver, pcfg, progress).campaign;
    }
    line.clear();
    double duration = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    reports::Report report = cli::make_report(selected, cfg, result, started, duration);
    if (!result.interrupted)                           // stopping: no time for the proofs
        report.formal = cli::formal_section(selected); // the Z3 checks: which code, what
    report.config["generator"] = generator;
    if (cfg.options.isolate)
        report.config["isolation"] = {
            {"step_timeout_s", cfg.options.isolate->step_timeout_s},
            {"memory_limit_mib", cfg.options.isolate->memory_limit >> 20}};
    else
        report.config["isolation"] = nullptr;
    if (generator != "plain")
        report.config["rapidcheck"] = {{"seed", cfg.seed},
                                       {"invalid_pct", pcfg.invalid_pct},
                                       {"shrink_runs", pcfg.shrink_runs},
                                       {"shrink_time_s", pcfg.shrink_time_s}};
    const auto trace_paths = write_finding_traces(result, out);
    std::string path = (std::filesystem::path(out) / "report.json").string(), html;
    try { // an unwritable --out is the user's to fix: exit 2, not an internal error
        html = reports::write_all(report, out); // report.{json,html,xml,md,sarif}
    } catch (const std::runtime_error &e) {
        throw cli::UsageError(std::string("--out: ") + e.what());
    }

    fmt::print("driver {} ({}), profile {}, seed {}: {} sequences, {} steps in {:.2f} s\n",
               term_escape(report.driver_name), term_escape(report.driver_version), cfg.profile,
               cfg.seed, result.sequences, result.stats.steps, duration);
    if (result.out_of_time) fmt::print("stopped by the time budget ({} s)\n", cfg.time_s);
    if (result.interrupted) fmt::print("stopped by a signal: the report holds what ran\n");
    if (result.sequences == 0) fmt::print("no sequence ran: nothing was tested\n");
    fmt::print("clauses: {}\n", reports::counts_text(reports::count_clauses(report)));
    for (const auto &[clause, f] : result.findings)
        fmt::print("finding ({} sequences) {}    trace: {}\n", result.occurrences.at(clause),
                   cli::format_finding(f), term_escape(trace_paths.at(clause)));
    for (const auto &e : result.errors) fmt::print("error: {}\n", term_escape(e));
    fmt::print("verdict: {}\nreport: {}\nhtml: {} (also report.xml, report.md, report.sarif)\n",
               report.verdict, term_escape(path), term_escape(html));
    // Stopped by a signal without a finding: 0, as the README says; but a
    // campaign that tested nothing never passes.
    const bool passed = report.verdict == "conformant" ||
                        (result.interrupted && result.findings.empty() && result.sequences > 0);
    return passed ? cli::kConformant : cli::kFindings;
}

void print_step(std::size_t i, const ref::Op &op, uint32_t pasid, const ref::Expectation &exp,
                const ref::Observation &obs, const std::optional<ref::Violation> &v,
                const ref::Reference *ref_for_names) {
    (void)pasid;
    std::string what =
        ref_for_names ? ref::describe(op, *ref_for_names) : std::string(ref::op_name(op.kind));
    const std::string actual = reports::dump_json(engine::observation_to_json(obs, op.kind), -1);
    if (!v) {
        fmt::print("  {:>4}  {:<46} {}\n", i, what, actual);
        return;
    }
    fmt::print("  {:>4}  {:<46} {}\n        FAIL {}: {}\n        expected: {}\n", i, what, actual,
               ref::clause_id(v->clause), term_escape(v->message),
               reports::dump_json(engine::expectation_to_json(exp, op.kind), -1));
}

int report_trace_result(const std::optional<engine::Finding> &f, const engine::RunStats &stats) {
    if (f) {
        fmt::print("finding {}", cli::format_finding(*f));
        return cli::kFindings;
    }
    fmt::print("conformant: {} steps\n", stats.steps);
    return cli::kConformant;
}

// replay --hw: what the driver did to the hardware in one op, under its step line.
void print_hw(const engine::json &hw) {
    if (hw.contains("stores"))
        for (const auto &s : hw["stores"])
            fmt::print("        store    {}\n", s.get<std::string>());
    if (hw.contains("commands"))
        for (const auto &c : hw["commands"])
            fmt::print("        command  {}\n", c.get<std::string>());
}

int cmd_replay(const std::string &path, const cli::SelectedDriver &selected, bool quiet, bool hw,
               const cli::IsolationFlags &isolation) {
    const svac_driver_ops &driver = *selected;
    const std::optional<engine::Isolation> isolate = isolation.choose(selected);
    engine::Trace trace = engine::load_trace(path);
    std::string why = engine::check_driver_trace(driver, trace);
    if (!why.empty()) throw engine::InputError(path + ": " + why);
    engine::RunStats stats;
    // Names in the step lines come from a shadow reference that follows the run.
    ref::Reference shadow(trace.topology, engine::profile_of(trace));
    engine::json call; // --hw: the op's stores and commands, printed under its line
    engine::RunOptions options;
    if (hw) options.after_call = [&](std::size_t, const engine::json &j) { call = j; };
    engine::StepHook hook = [&](std::size_t i, const ref::Op &op, uint32_t pasid,
                                const ref::Expectation &exp, const ref::Observation &obs,
                                const std::optional<ref::Violation> &v) {
        if (!quiet) print_step(i, op, pasid, exp, obs, v, &shadow);
        if (!quiet && hw) print_hw(call);
        if (!v) shadow.commit(op, exp, obs);
    };
    if (!quiet)
        fmt::print("replay {} on driver {}:\n", term_escape(path), term_escape(driver.name));
    std::optional<engine::Finding> f;
    try {
        f = isolate ? engine::run_isolated(driver, trace, stats, *isolate, options,
                                           hook) // the hook prints from the child
                    : engine::run_differential(driver, trace, stats, hook, nullptr,
                                               trace.ops.size(), options);
    } catch (const engine::DriverError &e) {
        fmt::print("error: {}\n", term_escape(e.what()));
        return cli::kFindings;
    }
    return report_trace_result(f, stats);
}

int cmd_check_trace(const std::string &path, bool verbose, const std::string &profile) {
    engine::Trace trace =
        engine::load_trace(path, profile.empty() ? std::nullopt : std::optional(profile));
    engine::RunStats stats;
    ref::Reference shadow(trace.topology, engine::profile_of(trace));
    engine::StepHook hook = [&](std::size_t i, const ref::Op &op, uint32_t pasid,
                                const ref::Expectation &exp, const ref::Observation &obs,
                                const std::optional<ref::Violation> &v) {
        if (verbose) print_step(i, op, pasid, exp, obs, v, &shadow);
        if (!v) shadow.commit(op, exp, obs);
    };
    std::optional<engine::Finding> f;
    try {
        f = engine::check_recorded(trace, stats, hook);
    } catch (const engine::InputError &e) { // an op naming what does not exist
        throw engine::InputError(path + ": " + e.what());
    }
    if (f) return report_trace_result(f, stats);
    // The trace of a finding whose clause a trace cannot show: say so, and
    // do not pass it as conformant.
    if (trace.finding) {
        const ref::ClauseId clause = trace.finding->clause;
        if (std::string_view why = engine::why_not_in_trace(trace.finding->judged_from);
            !why.empty()) {
            fmt::print("not judged: the trace records a finding of {} at step {}, which "
                       "check-trace cannot judge: {}; replay it with the driver (sva-conform "
                       "replay {})\n",
                       ref::clause_id(clause), trace.finding->step, why, path);
            return cli::kBadInput;
        }
        fmt::print("note: the trace records a finding of {} at step {} that its recorded "
                   "outcomes do not show\n",
                   ref::clause_id(clause), trace.finding->step);
    }
    fmt::print("conformant: {} steps, judged on the outcomes a trace records (how the driver "
               "wrote its tables, what they hold and its process need the driver: replay)\n",
               stats.steps);
    return cli::kConformant;
}

} // namespace

int main(int argc, char **argv) {
    CLI::App app{"sva-conform: conformance and fuzzing kit for IOMMU drivers that share process "
                 "address spaces with devices (SVA)"};
    app.set_version_flag("--version", cli::tool_version() + " (" + SVAC_GIT_COMMIT + ")");
    app.require_subcommand(1);

    std::string driver_name, driver_lib, driver_host, out = "reports/latest", trace_path, group;
    engine::CampaignConfig cfg;
    cfg.seed = 1;
    bool as_json = false, quiet = false, verbose = false;

    auto *run =
        app.add_subcommand("run", "run a conformance campaign against a driver and write a report");
    // Every command that runs a driver takes a bundled one or a plugin.
    const char *lib_help = "a driver plugin: a shared object exporting svac_driver_entry "
                           "(include/svac/driver_abi.h)";
    // Commands that run the driver only through isolation (never in this
    // process) also take one a driver host serves.
    auto driver_options = [&](CLI::App *cmd, const char *help, bool served = false) {
        auto *d = cmd->add_option("--driver", driver_name, help)->check(cli::non_empty("a driver"));
        auto *l = cmd->add_option("--driver-lib", driver_lib, lib_help)
                      ->excludes(d)
                      ->check(cli::non_empty("a shared object"));
        if (served)
            cmd->add_option("--driver-host", driver_host,
                            "the driver served by `sva-conform host --listen ADDR` at ADDR "
                            "(HOST:PORT, [IPV6]:PORT or unix:PATH); it runs there, judged here")
                ->excludes(d)
                ->excludes(l)
                ->check(cli::non_empty("an address"));
    };
    driver_options(run, "bundled driver name (see `sva-conform drivers`)", true);
    run->add_option("--profile", cfg.profile, "API generation the driver claims")
        ->capture_default_str();
    const auto any_seed = cli::whole_number(0, UINT64_MAX);
    run->add_option("--seed", cfg.seed, "seed of the generated sequences")
        ->capture_default_str()
        ->check(any_seed);
    run->add_option("--sequences", cfg.sequences, "number of generated op sequences")
        ->capture_default_str()
        ->check(cli::whole_number(1, kMaxSequences, "sequences"));
    run->add_option("--ops", cfg.ops, "ops per sequence")
        ->capture_default_str()
        ->check(cli::whole_number(1, kMaxOpsPerSequence, "ops"));
    run->add_option("--time", cfg.time_s, "time budget in seconds (0: none)")
        ->capture_default_str()
        ->check(cli::seconds(kMaxCampaignS, true));
    const auto out_dir = cli::non_empty("a directory");
    run->add_option("--out", out,
                    "directory for report.{json,html,xml,md,sarif} and findings/<CLAUSE>.json")
        ->capture_default_str()
        ->check(out_dir);
    std::string generator = "rapidcheck";
    run->add_option("--generator", generator,
                    "rapidcheck: swarm-generated sequences, findings shrunk; plain: the seeded "
                    "random generator, findings as found")
        ->capture_default_str()
        ->check(CLI::IsMember({"rapidcheck", "plain"}));
    // How a driver runs: in a driver host process (plugins) or in this process.
    cli::IsolationFlags iso_flags;
    auto isolation_options = [&](CLI::App *cmd) {
        auto *no = cmd->add_flag("--no-isolate", iso_flags.no_isolate,
                                 "run the driver in this process (trusted in-tree drivers); "
                                 "plugins run in a driver host process by default");
        cmd->add_flag("--isolate", iso_flags.isolate,
                      "run the driver in a driver host process (docs/host-protocol.md)")
            ->excludes(no);
        cmd->add_option("--step-timeout", iso_flags.step_timeout_s,
                        "isolated: seconds one driver call may take before it is a hang "
                        "(ROBUST-2)")
            ->capture_default_str()
            ->check(cli::seconds(kMaxStepS));
        cmd->add_option("--memory-limit", iso_flags.memory_limit_mib,
                        "isolated: MiB the driver's process may hold resident before it is out "
                        "of memory (ROBUST-3)")
            ->capture_default_str()
            ->check(cli::whole_number(kMinMemoryMib, kMaxMemoryMib, "MiB"));
    };
    isolation_options(run);
    std::string mutant;
    const char *mutant_help = "a seeded bug of the driver (see `sva-conform drivers --mutants`)";
    const auto mutant_name = cli::non_empty("a mutant (see `sva-conform drivers --mutants`)");
    run->add_option("--mutant", mutant, mutant_help)->check(mutant_name);

    auto *replay =
        app.add_subcommand("replay", "run one trace against a driver, step by step, with the diff");
    replay->add_option("TRACE", trace_path, "trace JSON file")->required();
    driver_options(replay, "bundled driver name", true);
    isolation_options(replay);
    bool replay_hw = false;
    auto *replay_quiet = replay->add_flag("--quiet", quiet, "print only the outcome");
    replay
        ->add_flag("--hw", replay_hw,
                   "under each op, the stores the driver made (address: old -> new value) and "
                   "the commands it issued, decoded")
        ->excludes(replay_quiet);
    replay->add_option("--mutant", mutant, mutant_help)->check(mutant_name);

    auto *check = app.add_subcommand(
        "check-trace", "check the outcomes a trace recorded against the reference alone");
    check->add_option("TRACE", trace_path, "trace JSON file")->required();
    check->add_flag("--verbose", verbose, "print every step");
    std::string check_profile;
    check->add_option("--profile", check_profile,
                      "judge the trace as one of this API generation, whatever its own "
                      "\"profile\" says (rfc2019, linux-5.3, linux-6.1, linux-6.12, linux-6.16)");

    auto *clauses = app.add_subcommand("clauses", "list the clause catalog");
    clauses->add_flag("--json", as_json, "print as JSON");
    clauses->add_option("--group", group, "only this group (FEAT, PARAM, BIND, ...)");
    std::string clauses_profile;
    clauses->add_option("--profile", clauses_profile,
                        "only the clauses that bind drivers of this API generation (rfc2019, "
                        "linux-5.3, linux-6.1, linux-6.12, linux-6.16)");

    auto *drivers = app.add_subcommand("drivers", "list the bundled drivers");
    bool list_mutants = false;
    drivers->add_flag("--mutants", list_mutants, "list each driver's seeded-bug mutants");

    long dump_step = -1;
    auto *dump = app.add_subcommand(
        "dump-tables",
        "replay a trace and print the driver's tables decoded, and the IOMMU caches");
    dump->add_option("TRACE", trace_path, "trace JSON file")->required();
    driver_options(dump, "bundled driver name", true);
    dump->add_option("--step", dump_step, "stop after op K (default: the whole trace)")
        ->check(cli::whole_number(0, engine::kMaxOps - 1));
    dump->add_flag("--json", as_json, "print as JSON");
    std::string dump_snapshot;
    dump->add_option("--snapshot", dump_snapshot,
                     "also write each IOMMU's registers and memory as a snapshot for "
                     "check-tables: DIR/iommu<N>.json")
        ->check(cli::non_empty("a directory"));
    dump->add_option("--mutant", mutant, mutant_help)->check(mutant_name);
    std::string dump_profile;
    dump->add_option("--profile", dump_profile,
                     "replay the trace as one of this API generation, whatever its own "
                     "\"profile\" says (rfc2019, linux-5.3, linux-6.1, linux-6.12, linux-6.16)");
    isolation_options(dump);

    cli::MutantsOptions mutants_opt;
    auto *mutants = app.add_subcommand(
        "mutants", "run a campaign against every seeded-bug mutant: which are found, how fast");
    mutants->add_option("--driver", mutants_opt.driver, "only this bundled driver's mutants")
        ->check(cli::non_empty("a driver"));
    mutants->add_option("--budget", mutants_opt.budget_s, "seconds per mutant")
        ->capture_default_str()
        ->check(cli::seconds(kMaxStepS));
    mutants
        ->add_option("--max-sequences", mutants_opt.max_sequences,
                     "sequences per mutant at most, whatever the time left (0: no cap)")
        ->capture_default_str()
        ->check(cli::whole_number(0, kMaxSequences, "sequences"));
    mutants->add_option("--out", mutants_opt.out, "directory for mutants.json")
        ->capture_default_str()
        ->check(out_dir);
    mutants->add_option("--seed", mutants_opt.seed, "seed of the generated sequences")
        ->capture_default_str()
        ->check(any_seed);
    mutants
        ->add_option("--profile", mutants_opt.profile,
                     "the API generation whose mutants are hunted (see `sva-conform drivers "
                     "--mutants`), with sequences of its vocabulary")
        ->capture_default_str();

    cli::FuzzOptions fuzz_opt;
    auto *fuzz = app.add_subcommand(
        "fuzz", "a libFuzzer campaign on a fuzz target (built by `make fuzz`): findings as "
                "minimised traces, new inputs merged into the corpus, a report");
    fuzz->add_option("--target", fuzz_opt.target, "sva_diff, hw_walk or trace_parse")->required();
    driver_options(fuzz, "bundled driver sva_diff runs (default smmuv3)");
    fuzz->add_option("--mutant", mutant, mutant_help)->check(mutant_name);
    fuzz->add_option("--time", fuzz_opt.time_s, "seconds of fuzzing")
        ->capture_default_str()
        ->check(cli::whole_number(1, uint64_t(kMaxCampaignS), "seconds"));
    fuzz->add_option("--runs", fuzz_opt.runs,
                     "executions at most (libFuzzer -runs), whatever the time left (0: no cap)")
        ->capture_default_str()
        ->check(cli::whole_number(0, 2147483647, "executions")); // libFuzzer reads an int
    fuzz->add_option("--jobs", fuzz_opt.jobs, "fuzzing processes (libFuzzer -fork)")
        ->capture_default_str()
        ->check(cli::whole_number(1, kMaxJobs, "processes"));
    fuzz->add_option("--corpus", fuzz_opt.corpus,
                     "corpus directory, read and merged into (default: OUT/corpus; the "
                     "committed seeds corpus/<target>/ are read too)");
    fuzz->add_option("--out", fuzz_opt.out,
                     "directory for report.json, findings/, crashes/, fuzz.log")
        ->capture_default_str()
        ->check(out_dir);
    fuzz->add_option("--seed", fuzz_opt.seed, "libFuzzer's seed (0 would be a random one)")
        ->capture_default_str()
        ->check(cli::whole_number(1, UINT32_MAX));
    fuzz->add_option("--fuzzer-dir", fuzz_opt.fuzzer_dir,
                     std::string("folder of the fuzz target binaries (default: $SVAC_FUZZ_DIR, "
                                 "else this build's: ") +
                         SVAC_FUZZ_DIR + ")");
    fuzz->add_option("--profile", fuzz_opt.profile,
                     "sva_diff: the API generation whose vocabulary the inputs decode to")
        ->capture_default_str();

    std::string fuzz_input, fuzz_trace_out, fuzz_profile = "rfc2019";
    auto *fuzz_to_trace = app.add_subcommand(
        "fuzz-to-trace", "decode a sva_diff input (a crash, a corpus file) into a trace");
    fuzz_to_trace->add_option("INPUT", fuzz_input, "sva_diff input file")->required();
    driver_options(fuzz_to_trace, "bundled driver whose architecture the input decodes for "
                                  "(default smmuv3)");
    fuzz_to_trace->add_option("-o,--output", fuzz_trace_out, "trace file (default: stdout)");
    fuzz_to_trace
        ->add_option("--profile", fuzz_profile,
                     "the API generation the input was fuzzed under (fuzz --profile)")
        ->capture_default_str();

    std::string report_path, report_format = "html", report_output, report_new;
    auto *report_cmd =
        app.add_subcommand("report", "render a report in another format, or compare two reports");
    report_cmd->require_subcommand(1);
    auto *report_render = report_cmd->add_subcommand(
        "render", "write REPORT.json as HTML, JUnit XML, Markdown, SARIF 2.1.0 or JSON");
    report_render->add_option("REPORT", report_path, "report.json of a run")->required();
    report_render->add_option("--format", report_format, "html, junit, md, sarif or json")
        ->capture_default_str()
        ->check(CLI::IsMember({"html", "junit", "md", "sarif", "json"}));
    report_render->add_option("-o,--output", report_output, "file to write (default: stdout)");
    auto *report_diff = report_cmd->add_subcommand(
        "diff", "compare two reports: new failures, fixed clauses, changed statistics; exit 1 "
                "on a new failure");
    report_diff->add_option("OLD", report_path, "the earlier report.json")->required();
    report_diff->add_option("NEW", report_new, "the later report.json")->required();

    cli::CheckTablesOptions tables_opt;
    auto *check_tables = app.add_subcommand(
        "check-tables",
        "judge a snapshot of an IOMMU's tables (sva-snapshot/1: registers and memory captured "
        "from a machine, an emulator or dump-tables --snapshot) by the hardware model and the "
        "table invariants, walked from its registers; walk its probes; write a report");
    check_tables->add_option("SNAPSHOT", tables_opt.path, "snapshot JSON file")->required();
    check_tables
        ->add_option("--out", tables_opt.out,
                     "directory for the report (report.json, .html, .xml, .md, .sarif)")
        ->capture_default_str()
        ->check(out_dir);
    check_tables->add_flag("--json", tables_opt.as_json, "print the report JSON instead of text");
    check_tables->add_flag("--verbose", tables_opt.verbose,
                           "list every entry judged and every probe");
    check_tables->add_flag("--probe-mapped", tables_opt.probe_mapped,
                           "add a probe for each page the non-PASID path of each device maps "
                           "(SMMUv3 CD[0]; VT-d the PASID-0 entry's second stage, or a legacy "
                           "context entry's), expecting the address found by listing the page "
                           "table's leaves");
    check_tables
        ->add_option("--max-probes", tables_opt.max_probes, "--probe-mapped: at most this many")
        ->capture_default_str()
        ->check(cli::whole_number(1, engine::kMaxProbes, "probes"));
    check_tables->add_option("--write-snapshot", tables_opt.write_snapshot,
                             "write the snapshot trimmed to the memory the check read (whole "
                             "pages, inline), with its probes, to this file");

    cli::ProveOptions prove_opt;
    auto *prove = app.add_subcommand(
        "prove", "Z3 proofs of the table formats: layouts, codecs, PASID index math, hitless "
                 "update plans (each proved or a decoded counterexample)");
    prove->add_option("--format", prove_opt.format, "smmuv3, vtd or all")->capture_default_str();
    prove->add_option("--timeout", prove_opt.timeout_s, "seconds per solver query")
        ->capture_default_str()
        ->check(cli::seconds(kMaxStepS));
    prove->add_flag("--json", prove_opt.as_json, "print the results as JSON");

    cli::FailnthOptions failnth_opt;
    auto *failnth = app.add_subcommand(
        "failnth", "re-run a trace failing the driver's 1st, 2nd, ... platform allocation until "
                   "a run hits none: each call refused memory must fail cleanly (ROBUST-4), "
                   "nothing may leak (ROBUST-5)");
    failnth->add_option("TRACE", trace_path,
                        "trace JSON file (default: a built-in trace of the driver's "
                        "architecture that reaches every allocation site)");
    driver_options(failnth, "bundled driver name", true);
    failnth->add_option("--mutant", mutant, mutant_help)->check(mutant_name);
    failnth
        ->add_option("--out", failnth_opt.out,
                     "directory for failnth.json, trace.json and points/<N>.json")
        ->capture_default_str()
        ->check(out_dir);
    failnth->add_flag("--json", failnth_opt.as_json, "print failnth.json instead of the lines");
    failnth->add_option("--profile", failnth_opt.profile,
                        "the API generation: TRACE read as one of it, or the built-in trace in "
                        "its vocabulary (rfc2019, linux-5.3, linux-6.1, linux-6.12, linux-6.16)");
    isolation_options(failnth);

    std::string listen;
    auto *host = app.add_subcommand(
        "host", "serve a driver to kits that connect (`run --driver-host ADDR`): each "
                "connection in a driver host process of its own, until SIGINT or SIGTERM");
    driver_options(host, "bundled driver name");
    host->add_option("--mutant", mutant, mutant_help)->check(mutant_name);
    host->add_option("--listen", listen,
                     "HOST:PORT, [IPV6]:PORT or unix:PATH (port 0: any free port; the address "
                     "listened at is printed). No authentication: whoever can connect runs the "
                     "driver, so listen on a loopback or private address")
        ->required()
        ->check(cli::non_empty("an address"));

    // CLI11 says only "A subcommand is required" for a misspelt one: name it.
    const std::vector<CLI::App *> commands{fuzz,         fuzz_to_trace, run,     replay, check,
                                           check_tables, clauses,       drivers, dump,   mutants,
                                           report_cmd,   prove,         failnth, host};
    if (argc > 1 && argv[1][0] != '-' &&
        std::none_of(commands.begin(), commands.end(),
                     [&](const CLI::App *c) { return c->get_name() == argv[1]; })) {
        std::string known;
        for (const auto *sub : commands) known += (known.empty() ? "" : ", ") + sub->get_name();
        fmt::print(stderr, "sva-conform: unknown command \"{}\" (commands: {})\n",
                   term_escape(argv[1]), known);
        return cli::kBadInput;
    }
    // Parse errors on one line, escaped (they quote what was typed); a value
    // out of its range needs no pointer to --help: the message gives it.
    app.failure_message([](const CLI::App *, const CLI::Error &e) {
        const bool value = dynamic_cast<const CLI::ValidationError *>(&e) != nullptr;
        return "sva-conform: " + term_escape(e.what()) + (value ? "\n" : " (see --help)\n");
    });
    try {
        app.parse(argc, argv);
    } catch (const CLI::CallForHelp &e) {
        return app.exit(e);
    } catch (const CLI::CallForAllHelp &e) {
        return app.exit(e);
    } catch (const CLI::CallForVersion &e) {
        return app.exit(e);
    } catch (const CLI::ParseError &e) {
        app.exit(e);
        return cli::kBadInput;
    }

    try {
        if (!mutant.empty()) {
            if (!driver_lib.empty())
                throw cli::UsageError("--mutant: seeded bugs belong to the bundled drivers, not "
                                      "to a plugin (--driver-lib)");
            driver_name += ":" + mutant;
        }
        if (*run)
            return cmd_run(cli::select_driver(driver_name, driver_lib, driver_host), cfg, out,
                           generator, iso_flags);
        if (*replay)
            return cmd_replay(trace_path, cli::select_driver(driver_name, driver_lib, driver_host),
                              quiet, replay_hw, iso_flags);
        if (*check) return cmd_check_trace(trace_path, verbose, check_profile);
        if (*clauses) return cmd_clauses(as_json, group, clauses_profile);
        if (*drivers) return list_mutants ? cli::cmd_list_mutants() : cmd_drivers();
        if (*dump)
            return cli::cmd_dump_tables(trace_path,
                                        cli::select_driver(driver_name, driver_lib, driver_host),
                                        dump_step, as_json, iso_flags, dump_profile, dump_snapshot);
        if (*check_tables) return cli::cmd_check_tables(tables_opt);
        if (*host) return cli::cmd_host(cli::select_driver(driver_name, driver_lib), listen);
        if (*mutants) return cli::cmd_mutants(mutants_opt);
        if (*prove) return cli::cmd_prove(prove_opt);
        if (*failnth) {
            failnth_opt.driver = driver_name;
            failnth_opt.driver_lib = driver_lib;
            failnth_opt.driver_host = driver_host;
            failnth_opt.trace_path = trace_path;
            failnth_opt.isolation = iso_flags;
            return cli::cmd_failnth(failnth_opt);
        }
        if (*fuzz) {
            fuzz_opt.driver = driver_name;
            fuzz_opt.driver_lib = driver_lib;
            return cli::cmd_fuzz(fuzz_opt);
        }
        if (*fuzz_to_trace)
            return cli::cmd_fuzz_to_trace(
                fuzz_input,
                cli::select_driver(driver_lib.empty() &&
                                           (driver_name.empty() || driver_name[0] == ':')
                                       ? "smmuv3" + driver_name
                                       : driver_name,
                                   driver_lib),
                fuzz_trace_out, fuzz_profile);
        if (*report_render)
            return cli::cmd_report_render(report_path, report_format, report_output);
        if (*report_diff) return cli::cmd_report_diff(report_path, report_new);
    } catch (const cli::UsageError &e) { // messages quote paths, names, keys: escaped
        fmt::print(stderr, "sva-conform: {}\n", term_escape(e.what()));
        return cli::kBadInput;
    } catch (const engine::InputError &e) {
        fmt::print(stderr, "sva-conform: {}\n", term_escape(e.what()));
        return cli::kBadInput;
    } catch (const engine::HostUnreachable &e) { // the address given, or the machine
        fmt::print(stderr, "sva-conform: {}\n", term_escape(e.what()));
        return cli::kBadInput;
    } catch (const std::exception &e) {
        fmt::print(stderr, "sva-conform: internal error: {}\n", term_escape(e.what()));
        return cli::kInternal;
    }
    return cli::kInternal;
}
