// sva-conform fuzz: a libFuzzer campaign (fork mode) on one of the fuzz/
// targets, then what a person needs from it: each crash input turned into a
// trace, re-run, minimised and grouped by clause and step kind, the new
// inputs merged into the corpus, and a report. And sva-conform fuzz-to-trace.
//
// The fuzz binaries are built by `make fuzz` (clang, ASan+UBSan); this
// command runs them as child processes, so a crash of the target is a
// result, never the end of the campaign.
#include "cli/cli.h"
#include "cli/progress.h"

#include "engine/clock.h"
#include "engine/driver.h"
#include "engine/generator.h"
#include "engine/interrupt.h"
#include "engine/minimise.h"
#include "fuzz/trace_codec.h"
#include "models/registry.h"
#include "reports/escape.h"

#include <fmt/format.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <poll.h>
#include <regex>
#include <spawn.h>
#include <sstream>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

namespace svac::cli {

namespace {

namespace fs = std::filesystem;

// --profile: a known profile whose contract the driver (if any) implements.
const ref::Profile &fuzz_profile(const std::string &name, const svac_driver_ops *driver) {
    const ref::Profile &p = profile_option(name);
    if (driver)
        if (std::string why = engine::check_driver_profile(*driver, p); !why.empty())
            throw UsageError("--profile: " + why);
    return p;
}

// Seeds for a profile other than rfc2019: inputs that decode to generated
// sequences of its vocabulary, as corpus_gen makes the repository's.
void write_profile_seeds(const fs::path &dir, const ref::Profile &profile, uint32_t arch_mask) {
    std::error_code ec;
    fs::remove_all(dir, ec);
    fs::create_directories(dir, ec);
    engine::GenConfig gen;
    gen.arch_mask = arch_mask;
    gen.profile = profile.name;
    gen.ops = 32;
    for (uint64_t i = 0, written = 0; i < 200 && written < 24; ++i) {
        engine::Rng rng(engine::Rng::derive(0x5eed, i));
        const engine::Trace t = engine::generate_trace(rng, gen);
        const auto bytes = fuzz::encode_trace(t, arch_mask);
        if (!bytes) continue;
        std::ofstream f(dir / fmt::format("gen-{}-{:02}", profile.name, written++),
                        std::ios::binary);
        f.write(reinterpret_cast<const char *>(bytes->data()),
                static_cast<std::streamsize>(bytes->size()));
    }
}

const char *const kTargets[] = {"sva_diff", "hw_walk", "trace_parse"};

// A child process whose stderr (and stdout) we read line by line. It leads
// a process group of its own (libFuzzer, its jobs): a signal to the
// command's group is the command's to forward, and a stop ends them all.
struct Child {
    pid_t pid = -1;
    int out = -1; // read end
};

// How long libFuzzer has to wrap up after a forwarded SIGINT before its
// group is killed.
constexpr auto kWrapUp = std::chrono::milliseconds(400);

Child spawn(const std::vector<std::string> &argv, const std::map<std::string, std::string> &env) {
    int fds[2];
    if (::pipe(fds) != 0) throw std::runtime_error(std::string("pipe: ") + std::strerror(errno));
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_adddup2(&fa, fds[1], STDOUT_FILENO);
    posix_spawn_file_actions_adddup2(&fa, fds[1], STDERR_FILENO);
    posix_spawn_file_actions_addclose(&fa, fds[0]);
    posix_spawn_file_actions_addclose(&fa, fds[1]);
    std::vector<std::string> envs;
    for (char **e = environ; *e; ++e) {
        std::string kv = *e;
        if (!env.count(kv.substr(0, kv.find('=')))) envs.push_back(kv);
    }
    for (const auto &[k, v] : env) envs.push_back(k + "=" + v);
    std::vector<char *> args, envp;
    for (const auto &a : argv) args.push_back(const_cast<char *>(a.c_str()));
    args.push_back(nullptr);
    for (const auto &e : envs) envp.push_back(const_cast<char *>(e.c_str()));
    envp.push_back(nullptr);
    posix_spawnattr_t attr;
    posix_spawnattr_init(&attr);
    posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETPGROUP);
    posix_spawnattr_setpgroup(&attr, 0);
    pid_t pid;
    int rc = posix_spawn(&pid, argv[0].c_str(), &fa, &attr, args.data(), envp.data());
    posix_spawnattr_destroy(&attr);
    posix_spawn_file_actions_destroy(&fa);
    ::close(fds[1]);
    if (rc != 0) {
        ::close(fds[0]);
        throw std::runtime_error(argv[0] + ": cannot start: " + std::strerror(rc));
    }
    engine::set_stop_child_group(pid); // a second signal kills it with the command
    return {pid, fds[0]};
}

// Reads the child's output to its end, a line at a time; returns its wait
// status. On a stop request (engine/interrupt.h) the child's group gets
// SIGINT (libFuzzer wraps up) and, kWrapUp later, SIGKILL.
int drain(Child &c, const std::function<void(const std::string &)> &on_line) {
    using Clock = std::chrono::steady_clock;
    std::string pending;
    char buf[4096];
    std::optional<Clock::time_point> stop_sent;
    bool killed = false;
    for (;;) {
        if (engine::stop_requested() && !stop_sent) {
            ::kill(-c.pid, SIGINT);
            stop_sent = Clock::now();
        }
        if (stop_sent && !killed && Clock::now() - *stop_sent >= kWrapUp) {
            ::kill(-c.pid, SIGKILL);
            killed = true;
        }
        // A process outside the group holding the pipe: do not wait for it.
        if (killed && Clock::now() - *stop_sent >= 2 * kWrapUp) break;
        pollfd p{c.out, POLLIN, 0};
        if (::poll(&p, 1, 50) <= 0) continue; // a timeout, or EINTR: look at the flag
        ssize_t n = ::read(c.out, buf, sizeof buf);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) break;
        pending.append(buf, static_cast<std::size_t>(n));
        std::size_t nl;
        while ((nl = pending.find('\n')) != std::string::npos) {
            on_line(pending.substr(0, nl));
            pending.erase(0, nl + 1);
        }
    }
    if (!pending.empty()) on_line(pending);
    ::close(c.out);
    if (stop_sent) ::kill(-c.pid, SIGKILL); // what is left of the group
    int status = 0;
    while (::waitpid(c.pid, &status, 0) < 0 && errno == EINTR) {
    }
    engine::set_stop_child_group(0);
    return status;
}

// Runs a command to its end; its output, at most `limit` bytes of it.
std::string run_capture(const std::vector<std::string> &argv,
                        const std::map<std::string, std::string> &env,
                        std::size_t limit = 1 << 16) {
    Child c = spawn(argv, env);
    std::string out;
    drain(c, [&](const std::string &line) {
        if (out.size() < limit) out += line + "\n";
    });
    return out;
}

// libFuzzer's fork-mode status line:
// "#1661: cov: 10890 ft: 13037 corp: 228 exec/s 0 oom/timeout/crash: 0/0/16 time: 13s job: 17"
struct Status {
    uint64_t execs = 0, cov = 0, ft = 0, corp = 0, ooms = 0, timeouts = 0, crashes = 0, time_s = 0;
};

std::optional<Status> parse_status(const std::string &line) {
    static const std::regex re(R"(^#(\d+): cov: (\d+) ft: (\d+) corp: (\d+) exec/s:? \d+ )"
                               R"(oom/timeout/crash: (\d+)/(\d+)/(\d+) time: (\d+)s)");
    std::smatch m;
    if (!std::regex_search(line, m, re)) return std::nullopt;
    auto u = [&](int i) { return std::stoull(m[i].str()); };
    return Status{u(1), u(2), u(3), u(4), u(5), u(6), u(7), u(8)};
}

std::vector<uint8_t> read_bytes(const std::string &path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) throw engine::InputError(path + ": cannot read");
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

std::size_t count_files(const fs::path &dir) {
    std::error_code ec;
    std::size_t n = 0;
    if (fs::is_directory(dir, ec))
        for (const auto &e : fs::directory_iterator(dir, ec)) n += e.is_regular_file(ec);
    return n;
}

std::string fuzzer_dir(const std::string &given) {
    if (!given.empty()) return given;
    if (const char *env = std::getenv("SVAC_FUZZ_DIR"); env && *env) return env;
    return SVAC_FUZZ_DIR;
}

// One finding group: (clause or crash kind, kind of the op that diverged).
struct Group {
    std::string clause; // a clause ID, or driver-crash / driver-hang / driver-oom / kit-*
    std::string op;     // the op kind at the divergence ("" if unknown)
    std::vector<std::string> inputs;
    std::optional<engine::Finding> finding; // sva_diff findings under a clause
    std::optional<engine::Trace> trace;     // the decoded input, if there is one
    std::string reason;                     // for crashes: the sanitizer's summary
    bool minimised = false;
    uint64_t minimise_attempts = 0;

    // OUT/findings/<this>: the group's trace file.
    std::string file_name() const { return clause + (op.empty() ? "" : "-" + op) + ".json"; }
    // The trace written for the group: the finding's, else the decoded input.
    const engine::Trace *kept_trace() const {
        return finding ? &finding->trace : trace ? &*trace : nullptr;
    }
};

std::string crash_kind(const std::string &artifact_name, bool is_driver) {
    std::string prefix = is_driver ? "driver-" : "kit-";
    if (artifact_name.rfind("timeout-", 0) == 0) return prefix + "hang";
    if (artifact_name.rfind("oom-", 0) == 0) return prefix + "oom";
    if (artifact_name.rfind("leak-", 0) == 0) return prefix + "leak";
    return prefix + "crash";
}

// What the target printed about an input when run alone: a clause finding
// ("sva_diff: finding CLAUSE at step N: ...") or the sanitizer's summary.
struct Rerun {
    std::optional<std::string> clause;
    std::string reason;
};

Rerun rerun(const std::string &bin, const std::string &input,
            const std::map<std::string, std::string> &env) {
    std::string out = run_capture({bin, "-timeout=30", "-rss_limit_mb=4096", input}, env);
    Rerun r;
    static const std::regex finding(R"(sva_diff: finding (\S+) at step)");
    std::smatch m;
    if (std::regex_search(out, m, finding)) r.clause = m[1].str();
    std::istringstream lines(out);
    std::string line;
    while (std::getline(lines, line))
        if (line.find("SUMMARY:") != std::string::npos ||
            (r.reason.empty() && line.find("ERROR:") != std::string::npos))
            r.reason = line.substr(line.find_first_not_of(' '));
    return r;
}

} // namespace

int cmd_fuzz(const FuzzOptions &opt) {
    if (std::none_of(std::begin(kTargets), std::end(kTargets),
                     [&](const char *t) { return opt.target == t; }))
        throw UsageError("--target: no fuzz target \"" + opt.target +
                         "\" (targets: sva_diff, hw_walk, trace_parse)");
    const bool diff = opt.target == "sva_diff";
    if (!diff && (!opt.driver.empty() || !opt.driver_lib.empty()))
        throw UsageError("--driver, --driver-lib, --mutant: only sva_diff runs a driver; " +
                         opt.target + " fuzzes the kit itself");
    // --mutant alone: a mutant of the default driver.
    std::string driver_name = !opt.driver_lib.empty()                      ? opt.driver
                              : opt.driver.empty() || opt.driver[0] == ':' ? "smmuv3" + opt.driver
                                                                           : opt.driver;
    SelectedDriver selected;
    if (diff) selected = select_driver(driver_name, opt.driver_lib);
    const svac_driver_ops *driver = selected.ops;
    const ref::Profile &profile = fuzz_profile(opt.profile, diff ? driver : nullptr);
    if (!diff && opt.profile != "rfc2019")
        throw UsageError("--profile: only sva_diff decodes ops; " + opt.target +
                         " fuzzes the kit itself");
    engine::RunOptions run_options; // a plugin's runs here are isolated, as in `run`
    run_options.isolate = IsolationFlags{}.choose(selected);
    if (selected.plugin()) driver_name = selected.library_path;
    if (opt.jobs == 0) throw UsageError("--jobs: must be at least 1");

    const fs::path out = opt.out;
    const fs::path corpus = opt.corpus.empty() ? out / "corpus" : fs::path(opt.corpus);
    check_out_dir(out.string());
    check_out_dir(corpus.string(), "--corpus");
    const fs::path bin = fs::path(fuzzer_dir(opt.fuzzer_dir)) / opt.target;
    if (::access(bin.c_str(), X_OK) != 0)
        throw UsageError("no fuzz target binary " + bin.string() +
                         " (build the targets with `make fuzz`, or name their folder with "
                         "--fuzzer-dir or SVAC_FUZZ_DIR)");
    const fs::path fresh = out / "new", crashes = out / "crashes", findings_dir = out / "findings";
    std::error_code ec;
    for (const auto &d : {fresh, crashes, findings_dir}) { // this campaign's own
        fs::remove_all(d, ec);
        fs::create_directories(d, ec);
    }
    // The seed corpus: the repository's (rfc2019 inputs), or for a later
    // profile inputs encoded from generated sequences of its vocabulary.
    fs::path seeds = fs::path(SVAC_SOURCE_DIR) / "corpus" / opt.target;
    if (diff && opt.profile != "rfc2019") {
        seeds = out / "seeds";
        write_profile_seeds(seeds, profile, driver->arch_mask);
    }
    const fs::path dict = fs::path(SVAC_SOURCE_DIR) / "fuzz" / (opt.target + ".dict");
    std::map<std::string, std::string> env;
    if (diff) env[selected.plugin() ? "SVAC_FUZZ_DRIVER_LIB" : "SVAC_FUZZ_DRIVER"] = driver_name;
    if (diff) env["SVAC_FUZZ_PROFILE"] = opt.profile;

    std::vector<std::string> argv{bin.string(),
                                  "-fork=" + std::to_string(opt.jobs),
                                  "-ignore_crashes=1",
                                  "-ignore_timeouts=1",
                                  "-ignore_ooms=1",
                                  "-max_total_time=" + std::to_string(opt.time_s),
                                  "-timeout=10",
                                  "-rss_limit_mb=2048",
                                  "-max_len=4096",
                                  "-seed=" + std::to_string(opt.seed),
                                  "-artifact_prefix=" + crashes.string() + "/"};
    if (opt.runs) argv.push_back("-runs=" + std::to_string(opt.runs));
    if (fs::exists(dict, ec)) argv.push_back("-dict=" + dict.string());
    argv.push_back(fresh.string());
    argv.push_back(corpus.string());
    if (fs::is_directory(seeds, ec)) argv.push_back(seeds.string());

    const std::string started = reports::utc_now();
    const auto t0 = std::chrono::steady_clock::now();
    ProgressLine progress;
    std::ofstream log(out / "fuzz.log");
    Status last;
    bool any_status = false;
    // SIGINT or SIGTERM (Ctrl-C, a kill of this pid or of its group): the
    // fuzzer's group is stopped (drain) and what it found is written, without
    // the merge, re-runs, corpus replay and minimisation that would take long.
    engine::install_stop_handlers();
    auto stopping = [] { return engine::stop_requested(); };
    Child child;
    try {
        child = spawn(argv, env);
    } catch (const std::runtime_error &e) {
        throw UsageError(e.what());
    }
    std::vector<std::string> tail;
    int status = drain(child, [&](const std::string &line) {
        log << line << std::endl; // flushed: the log shows how far the campaign is
        tail.push_back(line);
        if (tail.size() > 20) tail.erase(tail.begin());
        if (auto s = parse_status(line)) {
            last = *s;
            any_status = true;
            std::string note = fmt::format("cov {}, corpus {}", s->cov, s->corp);
            progress.update({.done = s->execs,
                             .unit = "executions",
                             .work = s->execs,
                             .work_unit = "exec",
                             .findings = s->crashes + s->timeouts + s->ooms,
                             .elapsed_s = engine::seconds_since(t0),
                             .budget_s = double(opt.time_s),
                             .note = note});
        }
    });
    log.flush();
    progress.clear();
    double fuzz_s = engine::seconds_since(t0);
    if (!any_status && !stopping()) {
        std::string t;
        for (const auto &l : tail) t += "  " + reports::term_escape(l) + "\n";
        fmt::print(stderr, "sva-conform: the fuzzer {} stopped before fuzzing (status {}):\n{}",
                   reports::term_escape(bin.string()), status, t);
        return kInternal;
    }

    // New inputs into the corpus: only those that add coverage (libFuzzer's merge).
    std::size_t corpus_before = count_files(corpus), fresh_n = count_files(fresh);
    std::vector<std::string> merge{bin.string(),
                                   "-merge=1",
                                   "-timeout=10",
                                   "-rss_limit_mb=2048",
                                   "-artifact_prefix=" + crashes.string() + "/",
                                   corpus.string(),
                                   fresh.string()};
    if (fs::is_directory(seeds, ec)) merge.push_back(seeds.string());
    if (!stopping()) log << run_capture(merge, env, 1 << 20);
    std::size_t corpus_after = count_files(corpus);

    // Crash inputs: each re-run alone, grouped.
    std::map<std::pair<std::string, std::string>, Group> groups;
    std::vector<std::string> artifacts;
    for (const auto &e : fs::directory_iterator(crashes, ec))
        if (e.is_regular_file()) artifacts.push_back(e.path().string());
    std::sort(artifacts.begin(), artifacts.end());
    std::size_t crash_inputs = 0;
    for (const auto &a : artifacts) {
        std::string name = fs::path(a).filename().string();
        if (name.rfind("slow-unit-", 0) == 0) continue;
        ++crash_inputs;
        // Stopping: no re-run (a hang's takes 30 s); the input is kept.
        Rerun r;
        if (!stopping()) r = rerun(bin.string(), a, env);
        if (stopping()) r = {std::nullopt, "not re-run: the campaign was stopped"};
        Group g;
        std::optional<engine::Trace> trace;
        if (diff) {
            auto bytes = read_bytes(a);
            trace = fuzz::decode_trace(bytes.data(), bytes.size(), driver->arch_mask, opt.profile);
        }
        if (r.clause && diff) {
            engine::RunStats stats;
            std::optional<engine::Finding> f;
            try {
                f = engine::run_differential(*driver, *trace, stats, run_options);
            } catch (const engine::DriverError &) {
            } catch (const engine::Interrupted &) { // an isolated run stopped
            }
            if (f) {
                g.clause = std::string(ref::clause_id(f->clause));
                g.op = std::string(ref::op_name(f->trace.ops.back().kind));
                g.finding = std::move(f);
            } else { // the sanitized target saw it, this build does not
                g.clause = *r.clause;
                g.reason = "found by the fuzz target only: " + r.reason;
            }
        } else {
            g.clause = crash_kind(name, diff);
            g.reason = r.reason.empty() ? "no sanitizer report (see fuzz.log)" : r.reason;
        }
        g.trace = trace;
        auto key = std::make_pair(g.clause, g.op);
        auto it = groups.find(key);
        if (it == groups.end()) it = groups.emplace(key, std::move(g)).first;
        it->second.inputs.push_back(a);
    }

    // The clause matrix of the report: the merged corpus replayed through
    // the engine, once.
    engine::CampaignResult corpus_run;
    if (diff)
        for (const auto &e : fs::directory_iterator(corpus, ec)) {
            if (stopping()) break;
            if (!e.is_regular_file()) continue;
            auto bytes = read_bytes(e.path().string());
            engine::Trace t =
                fuzz::decode_trace(bytes.data(), bytes.size(), driver->arch_mask, opt.profile);
            if (!engine::check_driver_topology(*driver, t.topology).empty()) continue;
            try {
                ++corpus_run.sequences;
                engine::run_differential(*driver, t, corpus_run.stats, run_options);
            } catch (const engine::DriverError &d) { // the driver refused the run: an error
                if (corpus_run.errors.size() < engine::kMaxErrors)
                    corpus_run.errors.push_back(e.path().filename().string() + ": " + d.what());
            } catch (const engine::Interrupted &) {
                --corpus_run.sequences; // cut short: not run
            }
        }
    corpus_run.interrupted = stopping(); // the report's verdict: "incomplete"

    // A report, written now and again after minimising: nothing is lost if
    // a minimisation never returns.
    auto build_report = [&]() {
        reports::Report r;
        if (diff) {
            engine::CampaignResult result = corpus_run;
            for (const auto &[key, g] : groups)
                if (g.finding) {
                    result.findings.emplace(g.finding->clause, *g.finding);
                    result.occurrences[g.finding->clause] += g.inputs.size();
                }
            engine::CampaignConfig cfg;
            cfg.seed = opt.seed;
            cfg.time_s = opt.time_s;
            cfg.profile = opt.profile;
            r = make_report(selected, cfg, result, started, engine::seconds_since(t0));
        } else { // no driver: the kit's own code, built into the fuzz target
            r.tool_version = tool_version();
            r.tool_commit = SVAC_GIT_COMMIT;
            r.driver_name = "(the kit: " + opt.target + ")";
            r.library_kind = "kit";
            r.library_path = fs::absolute(bin, ec).string();
            r.library_sha256 = file_sha256(bin.string());
            r.seed = opt.seed;
            r.started = started;
            r.duration_s = engine::seconds_since(t0);
            r.verdict = corpus_run.interrupted ? "incomplete" : "conformant";
        }
        r.config = {{"target", opt.target},     {"jobs", opt.jobs}, {"time_s", opt.time_s},
                    {"runs", opt.runs},         {"seed", opt.seed}, {"fuzzer", bin.string()},
                    {"corpus", corpus.string()}};
        // One finding per group, the clause ones with their (minimised) trace.
        r.findings.clear();
        reports::json groups_json = reports::json::array();
        for (const auto &[key, g] : groups) {
            reports::FindingRecord f;
            f.clause = g.clause;
            f.occurrences = g.inputs.size();
            if (g.finding) {
                f.step = g.finding->step;
                f.message = g.finding->message;
                f.expected = g.finding->expected;
                f.actual = g.finding->actual;
                f.trace = engine::trace_to_json(engine::finding_trace(*g.finding));
            } else {
                f.message = g.reason + " (input: " + g.inputs.front() + ")";
                if (g.trace) f.trace = engine::trace_to_json(*g.trace);
            }
            r.findings.push_back(f);
            groups_json.push_back(
                {{"clause", g.clause},
                 {"op", g.op},
                 {"inputs", g.inputs.size()},
                 {"first_input", g.inputs.front()},
                 {"minimised", g.minimised},
                 {"minimise_runs", g.minimise_attempts},
                 {"trace",
                  g.kept_trace() ? (findings_dir / g.file_name()).string() : std::string()}});
        }
        if (!groups.empty() && !corpus_run.interrupted)
            r.verdict = diff ? "nonconformant" : "error";
        r.fuzz = {{"target", opt.target},
                  {"executions", last.execs},
                  {"exec_per_s", fuzz_s > 0 ? double(last.execs) / fuzz_s : 0.0},
                  {"coverage", last.cov},
                  {"features", last.ft},
                  {"corpus_size", corpus_after},
                  {"corpus_new", corpus_after - std::min(corpus_after, corpus_before)},
                  {"new_inputs", fresh_n},
                  {"crash_inputs", crash_inputs},
                  {"timeouts", last.timeouts},
                  {"ooms", last.ooms},
                  {"fuzz_time_s", fuzz_s},
                  {"interrupted", corpus_run.interrupted},
                  {"findings", groups_json},
                  {"log", (out / "fuzz.log").string()}};
        return r;
    };
    auto write = [&](const reports::Report &r) {
        for (const auto &[key, g] : groups) {
            if (const engine::Trace *t = g.kept_trace())
                reports::write_atomic((findings_dir / g.file_name()).string(),
                                      reports::dump_json(engine::trace_to_json(*t)) + "\n");
        }
        try {
            return reports::write_json_report(r, out.string());
        } catch (const std::runtime_error &e) {
            throw UsageError(std::string("--out: ") + e.what());
        }
    };
    write(build_report());
    for (auto &[key, g] : groups) {
        if (!g.finding || stopping()) continue;
        try {
            if (auto m = engine::minimise(*driver, g.finding->trace, g.finding->clause, 4000,
                                          run_options)) {
                g.finding = std::move(m->finding);
                g.minimised = m->complete;
                g.minimise_attempts = m->attempts;
            }
        } catch (const engine::Interrupted &) { // stopped: the finding as it was
        }
    }
    reports::Report report = build_report();
    std::string path = write(report);

    fmt::print("fuzz {}{}: {} executions in {:.0f} s ({:.0f}/s), coverage {}, features {}, corpus "
               "{} (+{})\n",
               opt.target, diff ? " on " + reports::term_escape(driver_name) : "", last.execs,
               fuzz_s, fuzz_s > 0 ? double(last.execs) / fuzz_s : 0.0, last.cov, last.ft,
               corpus_after, corpus_after - std::min(corpus_after, corpus_before));
    for (const auto &[key, g] : groups) {
        if (g.finding)
            fmt::print("finding {} at {} ({} inputs; minimised to {} ops)    trace: {}\n", g.clause,
                       g.op, g.inputs.size(), g.finding->trace.ops.size(),
                       reports::term_escape((findings_dir / g.file_name()).string()));
        else
            fmt::print("finding {} ({} inputs): {}    input: {}\n", g.clause, g.inputs.size(),
                       reports::term_escape(g.reason), reports::term_escape(g.inputs.front()));
    }
    if (corpus_run.interrupted)
        fmt::print("stopped by a signal: the report holds what was found; new inputs in {} not "
                   "merged, crash inputs not re-run, nothing minimised\n",
                   fresh.string());
    for (const auto &e : corpus_run.errors) fmt::print("error: {}\n", reports::term_escape(e));
    if (diff && corpus_run.sequences == 0 && !corpus_run.interrupted)
        fmt::print("no corpus input replayed: the clause matrix is empty\n");
    fmt::print("verdict: {}\nreport: {}\n", report.verdict, reports::term_escape(path));
    // A campaign whose corpus replay tested nothing, or whose driver refused
    // its runs, never passes; one stopped by a signal passes on what the
    // fuzzer ran, as the README says.
    const bool passed =
        diff ? report.verdict == "conformant" ||
                   (corpus_run.interrupted && groups.empty() && corpus_run.errors.empty())
             : groups.empty();
    return passed ? kConformant : kFindings;
}

int cmd_fuzz_to_trace(const std::string &input, const SelectedDriver &selected,
                      const std::string &out, const std::string &profile) {
    const svac_driver_ops &driver = *selected;
    fuzz_profile(profile, &driver);
    auto bytes = read_bytes(input);
    engine::Trace t = fuzz::decode_trace(bytes.data(), bytes.size(), driver.arch_mask, profile);
    std::string text = reports::dump_json(engine::trace_to_json(t)) + "\n";
    if (out.empty() || out == "-") {
        fmt::print("{}", text);
        return kConformant;
    }
    try {
        reports::write_atomic(out, text);
    } catch (const std::runtime_error &e) {
        throw UsageError(std::string("-o: ") + e.what());
    }
    fmt::print(stderr, "{}: {} ops\n", out, t.ops.size());
    return kConformant;
}

} // namespace svac::cli
