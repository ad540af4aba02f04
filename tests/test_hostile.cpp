// Hostile driver plugins (tests/plugins/hostile.c), run through the command
// as a user runs them: the kit survives each one with the right finding or a
// clear error, and the report stays intact.
//
//   crash, abort, exit, hang, runaway memory  ROBUST-1/2/3 findings, isolated,
//                                             replayable; the campaign goes on
//   garbage return codes, PASID 0, a store    ordinary clause findings, the
//   outside its memory                        same isolated and in-process
//   NULL ops, wrong ABI version, no entry     exit 2 naming what is wrong
//   create returning NULL                     a report with an error
//   SIGINT mid-campaign                       an "incomplete" report; a
//                                             second SIGINT exits 130 at once
#include "engine/interrupt.h"
#include "reports/report.h"

#include "tests/support/cli_runner.h"
#include "tests/support/cli_spawn.h"

#include <svac/driver_abi.h>

#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <csignal>
#include <fcntl.h>
#include <filesystem>
#include <functional>
#include <optional>
#include <random>
#include <sched.h>
#include <string>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>
#include <vector>

namespace {

namespace fs = std::filesystem;
using svac::test_support::CliResult;
using svac::test_support::quote;
using namespace std::chrono_literals;

#if defined(__SANITIZE_ADDRESS__)
constexpr bool kAsan = true;
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
constexpr bool kAsan = true;
#else
constexpr bool kAsan = false;
#endif
#else
constexpr bool kAsan = false;
#endif

std::string plugin(const std::string &name) {
    return std::string(SVAC_PLUGIN_DIR) + "/" + name + ".so";
}

// The limits every isolated campaign here runs under. A child starts as big
// as its parent, and AddressSanitizer's parent is bigger (shadow memory,
// quarantine); hostile_oom grows past either (to 1 GiB). The step time limit
// stays the default (10 s of the call's own time) but for the test about
// hangs, which must wait it out.
constexpr int kMemoryLimitMib = kAsan ? 512 : 256;
const std::string kLimits = " --memory-limit " + std::to_string(kMemoryLimitMib);
const std::string kHangLimits = kLimits + " --step-timeout 1";
const std::string kOverLimit = "over the limit of " + std::to_string(kMemoryLimitMib) + " MiB";

const svac::reports::ClauseResult *clause_row(const svac::reports::Report &r,
                                              const std::string &id) {
    auto it =
        std::find_if(r.clauses.begin(), r.clauses.end(), [&](const auto &c) { return c.id == id; });
    return it == r.clauses.end() ? nullptr : &*it;
}

const svac::reports::FindingRecord *finding(const svac::reports::Report &r,
                                            const std::string &clause) {
    auto it = std::find_if(r.findings.begin(), r.findings.end(),
                           [&](const auto &f) { return f.clause == clause; });
    return it == r.findings.end() ? nullptr : &*it;
}

std::string clauses_of(const svac::reports::Report &r) {
    std::string s;
    for (const auto &f : r.findings) s += (s.empty() ? "" : ", ") + f.clause + ": " + f.message;
    return s.empty() ? "(no findings)" : s;
}

class Hostile : public svac::test_support::CliTest {
protected:
    Hostile() : CliTest("svac_hostile_") {}

    // `run` against the plugin, the plain generator, into dir/out.
    CliResult campaign(const std::string &name, int sequences, const std::string &extra = kLimits,
                       const std::string &out = "out") {
        return run("run --driver-lib " + quote(plugin(name)) + " --generator plain --seed 1" +
                   " --sequences " + std::to_string(sequences) + " --out " + out + extra);
    }

    // dir/out/report.json, read and validated by the report reader.
    std::optional<svac::reports::Report> report(const std::string &out = "out") {
        try {
            return svac::reports::load_report((dir_ / out / "report.json").string());
        } catch (const std::exception &e) {
            ADD_FAILURE() << e.what();
            return std::nullopt;
        }
    }

    // The run found `clause` (and the report says so): exit 1, verdict
    // nonconformant, the clause's row "fail", the finding's trace written.
    std::optional<svac::reports::Report> expect_finding(const CliResult &r,
                                                        const std::string &clause,
                                                        uint64_t sequences,
                                                        const std::string &out = "out") {
        EXPECT_EQ(r.status, 1) << r.all();
        auto rep = report(out);
        if (!rep) return rep;
        EXPECT_EQ(rep->verdict, "nonconformant") << clauses_of(*rep);
        EXPECT_EQ(rep->sequences, sequences) << "the campaign goes on after a finding";
        EXPECT_TRUE(rep->errors.empty()) << rep->errors.front();
        EXPECT_TRUE(finding(*rep, clause)) << "expected " << clause << ", got " << clauses_of(*rep);
        const auto *row = clause_row(*rep, clause);
        EXPECT_TRUE(row && row->status == "fail") << clause;
        EXPECT_TRUE(fs::exists(dir_ / out / "findings" / (clause + ".json"))) << clause;
        return rep;
    }
};

// ---- crashes, hangs and runaway memory: ROBUST-1, -2, -3 ----

struct RobustCase {
    const char *plugin;
    int sequences;
    const char *clause;
    const char *kind;
    const char *during; // the op in the message: "... during bind (step 2)"
    const char *what;   // in the message too (a signal, an exit status), or ""
    bool hangs = false; // waits out a short step time limit
};

void PrintTo(const RobustCase &c, std::ostream *os) {
    *os << c.plugin;
}

class HostileRobust : public Hostile, public ::testing::WithParamInterface<RobustCase> {};

TEST_P(HostileRobust, IsAFindingAndTheCampaignGoesOn) {
    const RobustCase &c = GetParam();
    const std::string &limits = c.hangs ? kHangLimits : kLimits;
    CliResult r = campaign(c.plugin, c.sequences, limits);
    auto rep = expect_finding(r, c.clause, static_cast<uint64_t>(c.sequences));
    if (!rep) return;
    const auto *f = finding(*rep, c.clause);
    if (!f) return;
    EXPECT_EQ(f->message.rfind(std::string(c.kind) + ": ", 0), 0u) << f->message;
    EXPECT_NE(f->message.find(std::string("during ") + c.during + " (step "), std::string::npos)
        << f->message;
    EXPECT_NE(f->message.find(c.what), std::string::npos) << f->message;
    EXPECT_NE(r.out.find(f->message), std::string::npos) << r.out;
    // The trace ends at the op during which it happened.
    ASSERT_TRUE(f->trace.contains("ops")) << f->trace.dump();
    EXPECT_EQ(f->trace["ops"].size(), f->step + 1) << f->trace.dump();
    EXPECT_EQ(f->trace["ops"].back()["op"], c.during) << f->trace.dump();

    // Replayable: the same clause, isolated too.
    const std::string trace =
        (dir_ / "out" / "findings" / (std::string(c.clause) + ".json")).string();
    CliResult replay =
        run("replay " + quote(trace) + " --driver-lib " + quote(plugin(c.plugin)) + limits);
    EXPECT_EQ(replay.status, 1) << replay.all();
    EXPECT_NE(replay.out.find(std::string("finding ") + c.clause + " at step " +
                              std::to_string(f->step) + ": " + c.kind + ": "),
              std::string::npos)
        << replay.all();
}

// What a crash says depends on who catches it: without a sanitizer the child
// is killed by the signal; in the sanitizer build UBSan (-fsanitize=null,
// no recovery) stops the NULL store first, or AddressSanitizer the SEGV, and
// the child exits with status 1, the finding carrying the sanitizer's line.
INSTANTIATE_TEST_SUITE_P(
    Plugins, HostileRobust,
    ::testing::Values(
        RobustCase{"hostile_segv_bind", 12, "ROBUST-1", "driver-crash", "bind",
                   kAsan ? "the process exited with status 1" : "killed by SIGSEGV"},
        RobustCase{"hostile_abort_unbind", 12, "ROBUST-1", "driver-crash", "unbind",
                   "killed by SIGABRT"},
        // (LeakSanitizer may turn the status of an exit into its own.)
        RobustCase{"hostile_exit", 12, "ROBUST-1", "driver-crash", "has_feature",
                   kAsan ? "the process exited with status" : "the process exited with status 0"},
        // Every sequence that enables a feature hangs for the step time limit.
        RobustCase{"hostile_loop_feature", 3, "ROBUST-2", "driver-hang", "enable_feature",
                   "no return within 1 s", true},
        RobustCase{"hostile_oom", 4, "ROBUST-3", "driver-oom", "bind", kOverLimit.c_str()}),
    [](const auto &p) { return std::string(p.param.plugin).substr(8); });

// RapidCheck's campaign (the default generator) shrinks a crash's trace, each
// candidate isolated, to the shortest that still crashes: one bind (the
// hostile bind crashes before it looks at anything).
TEST_F(Hostile, CrashFoundByRapidCheckIsShrunk) {
    CliResult r = run("run --driver-lib " + quote(plugin("hostile_segv_bind")) +
                      " --seed 1 --sequences 12 --out out" + kLimits);
    auto rep = expect_finding(r, "ROBUST-1", 12);
    if (!rep) return;
    const auto *f = finding(*rep, "ROBUST-1");
    ASSERT_TRUE(f);
    EXPECT_EQ(f->message.rfind("driver-crash: ", 0), 0u) << f->message;
    EXPECT_NE(f->message.find("[rapidcheck "), std::string::npos) << f->message;
    ASSERT_EQ(f->trace["ops"].size(), 1u) << f->trace.dump();
    EXPECT_EQ(f->trace["ops"][0]["op"], "bind") << f->trace.dump();
}

// A heap buffer overflow is a crash only where the sanitizer sees it: the
// asan preset builds the plugins with -fsanitize=address too.
TEST_F(Hostile, HeapOverflowUnderAsanIsACrash) {
    if (!kAsan) GTEST_SKIP() << "only the AddressSanitizer build sees the overflow";
    CliResult r = campaign("hostile_asan", 6);
    auto rep = expect_finding(r, "ROBUST-1", 6);
    if (!rep) return;
    const auto *f = finding(*rep, "ROBUST-1");
    ASSERT_TRUE(f);
    EXPECT_EQ(f->message.rfind("driver-crash: ", 0), 0u) << f->message;
    EXPECT_NE(f->message.find("heap-buffer-overflow"), std::string::npos) << f->message;
    EXPECT_NE(f->message.find("during bind"), std::string::npos) << f->message;
}

// ---- the same verdicts on a busy machine ----

// The commands a test runs, on a machine at most a quarter of its speed:
// pinned to one CPU that a spinning process shares with them, they at nice 5
// against its 0 (a quarter of that CPU, or less when the machine is busy
// too). Surer than "run it under stress-ng": the slowdown does not depend on
// how many cores the machine has or what else it is doing.
class SlowMachine {
public:
    SlowMachine() {
        ::sched_getaffinity(0, sizeof saved_cpus_, &saved_cpus_);
        cpu_set_t one;
        CPU_ZERO(&one);
        for (int c = 0; c < CPU_SETSIZE; ++c)
            if (CPU_ISSET(c, &saved_cpus_)) {
                CPU_SET(c, &one);
                break;
            }
        ::sched_setaffinity(0, sizeof one, &one);
        hog_ = ::fork();
        if (hog_ == 0) {
            ::prctl(PR_SET_PDEATHSIG, SIGKILL);
            volatile unsigned long spin = 0;
            for (;;) spin = spin + 1;
        }
        saved_nice_ = ::getpriority(PRIO_PROCESS, 0);
        ::setpriority(PRIO_PROCESS, 0, saved_nice_ + 5);
    }
    ~SlowMachine() {
        ::setpriority(PRIO_PROCESS, 0, saved_nice_);
        ::sched_setaffinity(0, sizeof saved_cpus_, &saved_cpus_);
        if (hog_ > 0) {
            ::kill(hog_, SIGKILL);
            ::waitpid(hog_, nullptr, 0);
        }
    }
    SlowMachine(const SlowMachine &) = delete;
    SlowMachine &operator=(const SlowMachine &) = delete;
    bool ok() const { return hog_ > 0; }

private:
    cpu_set_t saved_cpus_{};
    int saved_nice_ = 0;
    pid_t hog_ = -1;
};

struct LoadCase {
    const char *plugin;
    int sequences;
    const char *step_timeout; // short: the old wall-clock limit ran out under load
    const char *clause;       // nullptr: conformant
};

void PrintTo(const LoadCase &c, std::ostream *os) {
    *os << c.plugin;
}

class HostileUnderLoad : public Hostile, public ::testing::WithParamInterface<LoadCase> {};

// The verdict on a driver is the one an idle machine gives: a slow call is
// not a hang (the step limit counts the call's own time, not the time it
// waited for a CPU), a child over the memory limit is out of memory (memory
// is judged before the clock), a crash whose sanitizer report is still being
// written is a crash.
TEST_P(HostileUnderLoad, VerdictIsTheIdleMachines) {
    const LoadCase &c = GetParam();
    CliResult r;
    {
        SlowMachine slow;
        ASSERT_TRUE(slow.ok());
        r = campaign(c.plugin, c.sequences, kLimits + " --step-timeout " + c.step_timeout);
    }
    if (!c.clause) {
        EXPECT_EQ(r.status, 0) << r.all();
        auto rep = report();
        if (rep) {
            EXPECT_EQ(rep->verdict, "conformant") << clauses_of(*rep);
        }
        return;
    }
    auto rep = expect_finding(r, c.clause, static_cast<uint64_t>(c.sequences));
    if (rep) {
        EXPECT_EQ(rep->findings.size(), 1u) << clauses_of(*rep);
    }
}

INSTANTIATE_TEST_SUITE_P(Plugins, HostileUnderLoad,
                         ::testing::Values(LoadCase{"hostile_slow_create", 2, "1", nullptr},
                                           LoadCase{"hostile_oom", 2, "3", "ROBUST-3"},
                                           LoadCase{"hostile_segv_bind", 2, "1", "ROBUST-1"}),
                         [](const auto &p) { return std::string(p.param.plugin).substr(8); });

// ---- wrong answers: ordinary clause findings ----

struct ClauseCase {
    const char *plugin;
    const char *clause;
    const char *what = ""; // in the finding's message
};

void PrintTo(const ClauseCase &c, std::ostream *os) {
    *os << c.plugin;
}

class HostileClause : public Hostile, public ::testing::WithParamInterface<ClauseCase> {};

// Judged the same whether the driver runs in a child or in this process:
// the finding's trace replays to the same clause at the same step both ways.
TEST_P(HostileClause, IsTheClauseFindingIsolatedAndInProcess) {
    const ClauseCase &c = GetParam();
    CliResult r = campaign(c.plugin, 30);
    auto rep = expect_finding(r, c.clause, 30);
    if (!rep) return;
    const auto *f = finding(*rep, c.clause);
    ASSERT_TRUE(f);
    EXPECT_NE(f->message.find(c.what), std::string::npos) << f->message;
    const std::string trace =
        (dir_ / "out" / "findings" / (std::string(c.clause) + ".json")).string();
    const std::string expected =
        std::string("finding ") + c.clause + " at step " + std::to_string(f->step) + ": ";
    for (const char *how : {"", " --no-isolate"}) {
        CliResult replay = run("replay --quiet " + quote(trace) + " --driver-lib " +
                               quote(plugin(c.plugin)) + how);
        EXPECT_EQ(replay.status, 1) << how << "\n" << replay.all();
        EXPECT_EQ(replay.out.rfind(expected, 0), 0u) << how << "\n" << replay.all();
    }
}

// Why these clauses:
// - enable_feature returning 12345 where the reference expects 0: FEAT-3
//   (enable returns 0 iff has_feature);
// - bind returning 1 instead of 0: BIND-2 (a successful bind returns 0);
// - unbind returning -4095 where a live bond was dropped: UNBIND-1 (returns 0);
// - bind handing out PASID 0: PASID-2 (0 is never handed out);
// - a store to an address never allocated: HW-8;
// - a block freed twice: HW-8, said as a free, not as a stray store;
// - a command with no such opcode: HW-9, said as refused, not as unsynced;
// - an mm_exit callback fired from destroy: MMEXIT-4;
// - a u64 stored through bind's u32 *pasid: HW-8, though the PASID is right.
INSTANTIATE_TEST_SUITE_P(
    Plugins, HostileClause,
    ::testing::Values(
        ClauseCase{"hostile_rc_12345", "FEAT-3"}, ClauseCase{"hostile_rc_positive", "BIND-2"},
        ClauseCase{"hostile_rc_4095", "UNBIND-1"}, ClauseCase{"hostile_pasid0", "PASID-2"},
        ClauseCase{"hostile_stray_store", "HW-8"},
        ClauseCase{"hostile_double_free", "HW-8", "block(s) it did not hold"},
        ClauseCase{"hostile_bad_command", "HW-9", "refused 1 command(s) as ill-formed"},
        ClauseCase{"hostile_destroy_callback", "MMEXIT-4", "destroy fired mm_exit callback"},
        ClauseCase{"hostile_pasid_overrun", "HW-8", "stored past the u32 *pasid"}),
    [](const auto &p) { return std::string(p.param.plugin).substr(8); });

// ---- drivers that turn on the driver host (docs/host-protocol.md) ----
//
// What each does in bind_mm, and what the kit must make of it: a finding or
// a clean pass, a valid report that counts every sequence, no hang, no exit
// 3, nothing left running.

struct HostCase {
    const char *plugin;
    const char *clause; // "" for none: the campaign passes
    const char *what;   // in the finding's message
    bool hangs = false; // waits out a short step time limit
};

void PrintTo(const HostCase &c, std::ostream *os) {
    *os << c.plugin;
}

class HostileHost : public Hostile, public ::testing::WithParamInterface<HostCase> {};

TEST_P(HostileHost, IsAFindingOrNothingAndNothingIsLost) {
    const HostCase &c = GetParam();
    constexpr int kSequences = 12;
    CliResult r = campaign(c.plugin, kSequences, c.hangs ? kHangLimits : kLimits);
    if (*c.clause) {
        auto rep = expect_finding(r, c.clause, kSequences);
        if (!rep) return;
        const auto *f = finding(*rep, c.clause);
        ASSERT_TRUE(f);
        EXPECT_NE(f->message.find(c.what), std::string::npos) << f->message;
    } else {
        EXPECT_EQ(r.status, 0) << r.all();
        auto rep = report();
        if (!rep) return;
        EXPECT_EQ(rep->verdict, "conformant") << clauses_of(*rep);
        EXPECT_EQ(rep->sequences, static_cast<uint64_t>(kSequences));
    }
    // The driver's output stays in its host: the kit prints its summary only.
    EXPECT_LT(r.out.size(), 4096u) << r.out.substr(0, 400);
    EXPECT_LT(r.err.size(), 4096u) << r.err.substr(0, 400);
    // Nothing the driver started outlives the campaign. The plugin's full
    // path: another build tree's tests may run the same plugin meanwhile.
    // ("[h]ostile_...": the pattern does not match the shell that runs pgrep.)
    std::string pattern = plugin(c.plugin);
    const std::size_t base = pattern.rfind('/') + 1;
    pattern = pattern.substr(0, base) + "[" + pattern[base] + "]" + pattern.substr(base + 1);
    const int left = std::system(("pgrep -f " + quote(pattern) + " >/dev/null").c_str());
    EXPECT_FALSE(WIFEXITED(left) && WEXITSTATUS(left) == 0) << "a process of the driver is left";
}

// - bytes that look like frames, written into every descriptor, and a thread
//   that does so for ever while the call spins: the account breaks (ROBUST-6);
// - a fork whose two copies both talk on the channel: ROBUST-6;
// - SIGINT and SIGTERM to the parent (the kit): not stop requests;
// - every descriptor closed, then a block: the host ended its channel and is
//   given the step limit to end (ROBUST-1);
// - 2 MiB of output per bind: kept in the host's pipes' tails;
// - free(0) in every bind: nothing, as kfree(NULL) (not a stray store).
INSTANTIATE_TEST_SUITE_P(
    Plugins, HostileHost,
    ::testing::Values(HostCase{"hostile_write_fds", "ROBUST-6",
                               "host-account: its messages broke the protocol"},
                      HostCase{"hostile_heartbeat", "ROBUST-6",
                               "host-account: its messages broke the protocol", true},
                      HostCase{"hostile_fork_bind", "ROBUST-6", "host-account"},
                      HostCase{"hostile_signal_parent", "", ""},
                      HostCase{"hostile_close_block", "ROBUST-1",
                               "the host closed its channel and did not end", true},
                      HostCase{"hostile_flood_output", "", ""},
                      HostCase{"hostile_free_zero", "", ""}),
    [](const auto &p) { return std::string(p.param.plugin).substr(8); });

// ---- plugins the loader refuses: exit 2, naming what is wrong ----

TEST_F(Hostile, NullOpIsRefusedByName) {
    CliResult r = campaign("hostile_null_ops", 5);
    EXPECT_EQ(r.status, 2) << r.all();
    EXPECT_NE(r.err.find(plugin("hostile_null_ops")), std::string::npos) << r.err;
    EXPECT_NE(r.err.find("bind_mm"), std::string::npos) << r.err;
    EXPECT_FALSE(fs::exists(dir_ / "out" / "report.json"));
}

TEST_F(Hostile, WrongAbiVersionIsRefusedWithBothVersions) {
    CliResult r = campaign("hostile_abi_version", 5);
    EXPECT_EQ(r.status, 2) << r.all();
    EXPECT_NE(r.err.find(plugin("hostile_abi_version")), std::string::npos) << r.err;
    EXPECT_NE(r.err.find("ABI version 2"), std::string::npos) << r.err;
    EXPECT_NE(r.err.find("versions " + std::to_string(SVAC_ABI_VERSION_MIN) + " to " +
                         std::to_string(SVAC_ABI_VERSION)),
              std::string::npos)
        << r.err;
    EXPECT_FALSE(fs::exists(dir_ / "out" / "report.json"));
}

TEST_F(Hostile, MissingEntryIsRefusedNamingTheSymbol) {
    CliResult r = campaign("hostile_no_entry", 5);
    EXPECT_EQ(r.status, 2) << r.all();
    EXPECT_NE(r.err.find(plugin("hostile_no_entry")), std::string::npos) << r.err;
    EXPECT_NE(r.err.find("svac_driver_entry"), std::string::npos) << r.err;
    EXPECT_FALSE(fs::exists(dir_ / "out" / "report.json"));
    // replay refuses it the same way.
    CliResult replay =
        run("replay no-such-trace.json --driver-lib " + quote(plugin("hostile_no_entry")));
    EXPECT_EQ(replay.status, 2) << replay.all();
}

// A driver that refuses every topology: each sequence is an error, the
// report says so (verdict "error") and the command exits 1.
TEST_F(Hostile, CreateReturningNullIsAReportedError) {
    CliResult r = campaign("hostile_create_null", 5);
    EXPECT_EQ(r.status, 1) << r.all();
    auto rep = report();
    if (!rep) return;
    EXPECT_EQ(rep->verdict, "error") << clauses_of(*rep);
    EXPECT_TRUE(rep->findings.empty()) << clauses_of(*rep);
    EXPECT_EQ(rep->sequences, 5u);
    ASSERT_EQ(rep->errors.size(), 5u);
    EXPECT_NE(rep->errors[0].find("create returned NULL"), std::string::npos) << rep->errors[0];
    EXPECT_NE(r.out.find("create returned NULL"), std::string::npos) << r.out;
}

// ---- SIGINT ----
//
// Each test waits for an event the command shows (its signal handler
// installed, a child process started, a finding announced), never for a
// time, then signals it and waits for it to end (a command that hangs is
// left to CTest's timeout).

using svac::test_support::describe_status;
using svac::test_support::spawn_cli;
using svac::test_support::Spawned;
using svac::test_support::wait_exit;
using svac::test_support::wait_until;

double seconds_since(std::chrono::steady_clock::time_point t) {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - t).count();
}

// A line of /proc/PID/status ("SigCgt:", ...), "" if there is none.
std::string proc_status(pid_t pid, const std::string &key) {
    std::string text = svac::test_support::read_file("/proc/" + std::to_string(pid) + "/status");
    auto at = text.find("\n" + key);
    return at == std::string::npos ? "" : text.substr(at + 1, text.find('\n', at + 1) - at - 1);
}

// The command catches SIGINT: its stop handlers are installed.
bool catches_sigint(pid_t pid) {
    std::string line = proc_status(pid, "SigCgt:");
    if (line.empty()) return false;
    unsigned long long mask =
        std::stoull(line.substr(line.find_first_not_of(" \t", 7)), nullptr, 16);
    return mask & (1ull << (SIGINT - 1));
}

// The command has a child process (an isolated sequence running).
bool has_child(pid_t pid) {
    const std::string p =
        "/proc/" + std::to_string(pid) + "/task/" + std::to_string(pid) + "/children";
    return !svac::test_support::read_file(p).empty();
}

class HostileSigint : public Hostile {
protected:
    // Runs the command, waits until `ready` holds, sends SIGINT, expects it
    // to end by itself with a valid "incomplete" report; returns it.
    std::optional<svac::reports::Report> interrupt(const std::vector<std::string> &args,
                                                   const std::function<bool(pid_t)> &ready) {
        Spawned s = spawn_cli(dir_, args);
        EXPECT_GT(s.pid, 0);
        if (s.pid <= 0) return std::nullopt;
        const bool reached = wait_until(s, [&] { return ready(s.pid); });
        EXPECT_TRUE(reached) << "ended (" << describe_status(*s.status)
                             << ") before the point to signal it\n"
                             << svac::test_support::read_file(dir_ / "stderr.txt");
        if (!reached) return std::nullopt;
        ::kill(s.pid, SIGINT);
        const auto sent = std::chrono::steady_clock::now();
        const int status = wait_exit(s);
        const std::string err = svac::test_support::read_file(dir_ / "stderr.txt");
        const std::string out = svac::test_support::read_file(dir_ / "stdout.txt");
        EXPECT_TRUE(WIFEXITED(status)) << describe_status(status) << "\n" << err;
        if (WIFEXITED(status)) {
            EXPECT_TRUE(WEXITSTATUS(status) == 0 || WEXITSTATUS(status) == 1)
                << "exit " << WEXITSTATUS(status) << "\n"
                << out << err;
        }
        std::printf("[          ] stopped %.2f s after SIGINT\n", seconds_since(sent));
        auto rep = report();
        if (rep) {
            EXPECT_EQ(rep->verdict, "incomplete") << out << err;
        }
        return rep;
    }
};

TEST_F(HostileSigint, BundledCampaignStopsWithAnIncompleteReport) {
    auto rep = interrupt({"run", "--driver", "smmuv3", "--generator", "plain", "--seed", "1",
                          "--sequences", "1000000000", "--out", "out"},
                         catches_sigint);
    if (!rep) return;
    EXPECT_LT(rep->sequences, 1000000000u);
    EXPECT_TRUE(rep->findings.empty()) << clauses_of(*rep);
}

// A finding announced before the signal is in the incomplete report.
TEST_F(HostileSigint, ACampaignStoppedAfterAFindingKeepsIt) {
    const std::string want = "found UNBIND-4 ";
    auto rep = interrupt({"run", "--driver", "smmuv3", "--mutant", "unbind-unbound-ok", "--seed",
                          "1", "--sequences", "1000000000", "--out", "out"},
                         [&](pid_t) {
                             return svac::test_support::read_file(dir_ / "stderr.txt").find(want) !=
                                    std::string::npos;
                         });
    if (!rep) return;
    EXPECT_GT(rep->sequences, 0u);
    EXPECT_LT(rep->sequences, 1000000000u);
    EXPECT_TRUE(finding(*rep, "UNBIND-4")) << clauses_of(*rep);
}

// Each sequence hangs for the 1 s step limit: once the first ROBUST-2 is
// announced, the signal; the report keeps what was found.
TEST_F(HostileSigint, CampaignOfHangsKeepsItsFindings) {
    auto rep = interrupt(
        {"run", "--driver-lib", plugin("hostile_loop_feature"), "--seed", "1", "--sequences",
         "1000", "--out", "out", "--step-timeout", "1", "--memory-limit",
         std::to_string(kMemoryLimitMib)},
        [&](pid_t) {
            return svac::test_support::read_file(dir_ / "stderr.txt").find("found ROBUST-2 ") !=
                   std::string::npos;
        });
    if (!rep) return;
    EXPECT_GT(rep->sequences, 0u);
    EXPECT_LT(rep->sequences, 1000u);
    EXPECT_TRUE(finding(*rep, "ROBUST-2")) << clauses_of(*rep);
}

// A child hanging under a step limit of an hour: the signal once a child
// runs; the stop does not wait for it.
TEST_F(HostileSigint, StopDoesNotWaitForAHangingChild) {
    auto rep =
        interrupt({"run", "--driver-lib", plugin("hostile_loop_feature"), "--generator", "plain",
                   "--seed", "1", "--sequences", "1000", "--out", "out", "--step-timeout", "3600",
                   "--memory-limit", std::to_string(kMemoryLimitMib)},
                  has_child);
    if (!rep) return;
    EXPECT_LT(rep->sequences, 1000u);
    EXPECT_TRUE(rep->findings.empty()) << clauses_of(*rep);
}

// SIGINT or SIGTERM at a random moment of an isolated campaign whose
// findings carry decoded tables (a torn CD write, HW-7): 20 trials of each,
// the moment drawn from a fixed seed, counted from when the command catches
// the signal (any moment: generating, running a sequence in its host) or,
// in every other trial, from when it announces the finding (shrinking it,
// reading its tables back through a host, writing the report). Whatever it
// was doing, it ends by itself with a valid report marked incomplete, and
// each finding in it shows its tables, however busy the machine is.
TEST_F(HostileSigint, AtAnyMomentOfAnIsolatedCampaignTheReportIsValid) {
    std::mt19937 rng(20261206);
    std::uniform_int_distribution<int> delay_ms(0, 400);
    int after_finding = 0; // trials whose report has the finding
    for (int sig : {SIGINT, SIGTERM}) {
        for (int trial = 0; trial < 20; ++trial) {
            const bool found_first = trial % 2 == 1;
            fs::remove_all(dir_ / "out");
            Spawned s = spawn_cli(dir_, {"run", "--driver", "smmuv3", "--mutant", "cd-torn-write",
                                         "--isolate", "--seed", std::to_string(trial + 1),
                                         "--sequences", "1000000000", "--out", "out"});
            ASSERT_GT(s.pid, 0);
            ASSERT_TRUE(wait_until(s, [&] {
                return found_first ? svac::test_support::read_file(dir_ / "stderr.txt")
                                             .find("found HW-7 ") != std::string::npos
                                   : catches_sigint(s.pid);
            }));
            std::this_thread::sleep_for(std::chrono::milliseconds(delay_ms(rng)));
            ::kill(s.pid, sig);
            const int status = wait_exit(s);
            const std::string what = std::string(sig == SIGINT ? "SIGINT" : "SIGTERM") + " trial " +
                                     std::to_string(trial) + "\n" +
                                     svac::test_support::read_file(dir_ / "stderr.txt");
            ASSERT_TRUE(WIFEXITED(status)) << describe_status(status) << " " << what;
            EXPECT_TRUE(WEXITSTATUS(status) == 0 || WEXITSTATUS(status) == 1)
                << "exit " << WEXITSTATUS(status) << " " << what;
            auto rep = report();
            ASSERT_TRUE(rep) << what;
            EXPECT_EQ(rep->verdict, "incomplete") << what;
            for (const auto &f : rep->findings) {
                EXPECT_TRUE(f.clause == "HW-7") << f.clause << ": " << f.message << " " << what;
                EXPECT_FALSE(f.tables.is_null()) << "no tables: " << what;
            }
            if (found_first) {
                EXPECT_TRUE(finding(*rep, "HW-7")) << what;
                ++after_finding;
            }
        }
    }
    EXPECT_EQ(after_finding, 20);
}

// A second SIGINT ends the command at once with status 130, whatever it is
// doing (here: writing the report, which takes seconds); whatever report is
// on disk then is whole (written through a temporary file and a rename).
// The second signal: the stop handlers of the command, in a child process
// that sends itself both (deterministic, where a CLI test races the end of
// the command).
TEST(StopHandlers, FirstSignalRequestsAStopSecondExitsAt130) {
    pid_t pid = ::fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
        svac::engine::install_stop_handlers();
        if (svac::engine::stop_requested()) _exit(10);
        ::raise(SIGINT);
        if (!svac::engine::stop_requested()) _exit(11);
        ::raise(SIGTERM); // the second signal, of either kind
        _exit(12);        // not reached
    }
    int status = 0;
    ASSERT_EQ(::waitpid(pid, &status, 0), pid);
    ASSERT_TRUE(WIFEXITED(status)) << "ended by signal " << WTERMSIG(status);
    EXPECT_EQ(WEXITSTATUS(status), 130);
}

} // namespace
