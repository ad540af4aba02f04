// Isolation: the child runs the sequence and talks to the parent over a
// pipe; the parent watches the pipe, the clock and the child's memory.
//
// The child's messages: a heartbeat 'B' <u64 step> before each op (the op
// count: before destroy), and at the end 'R' <u32 length> <JSON>: the
// finding, if any, and the run's counts. A child that dies, or exits, before
// its 'R' crashed; one silent past the step time limit hangs.
#include "engine/isolate.h"

#include "engine/driver.h"
#include "engine/interrupt.h"

#include <fmt/format.h>

#include <functional>

#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <fcntl.h>
#include <fstream>
#include <poll.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#if defined(__SANITIZE_ADDRESS__)
#define SVAC_HAVE_LSAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define SVAC_HAVE_LSAN 1
#endif
#endif
#ifdef SVAC_HAVE_LSAN
#include <sanitizer/lsan_interface.h>
#endif

namespace svac::engine {

std::string_view finding_kind(ref::ClauseId c) {
    switch (c) {
    case ref::ClauseId::ROBUST_1:
        return "driver-crash";
    case ref::ClauseId::ROBUST_2:
        return "driver-hang";
    case ref::ClauseId::ROBUST_3:
        return "driver-oom";
    default:
        return "";
    }
}

namespace {

constexpr std::size_t kStderrKept = 64 * 1024; // the tail of the child's stderr

// ---- the child ----

void write_all(int fd, const void *data, std::size_t n) {
    const char *p = static_cast<const char *>(data);
    while (n > 0) {
        ssize_t w = ::write(fd, p, n);
        if (w < 0 && errno == EINTR) continue;
        if (w <= 0) _exit(121); // the parent is gone
        p += w;
        n -= static_cast<std::size_t>(w);
    }
}

// The result message: 'R', its length, the JSON.
void send_result(int out, const std::string &text) {
    auto len = static_cast<uint32_t>(text.size());
    char head[1 + sizeof len] = {'R'};
    std::memcpy(head + 1, &len, sizeof len);
    write_all(out, head, sizeof head);
    write_all(out, text.data(), text.size());
    std::fflush(stdout);
}

json finding_to_json(const Finding &f) {
    return {{"clause", ref::clause_id(f.clause)},
            {"step", f.step},
            {"message", f.message},
            {"expected", f.expected},
            {"actual", f.actual},
            {"judged_from", evidence_name(f.judged_from)},
            {"trace", trace_to_json(f.trace)}};
}

[[noreturn]] void child_main(int out, const svac_driver_ops &driver, const Trace &trace,
                             const Isolation &limits, RunOptions options, const StepHook &hook) {
    options.isolate.reset();
    auto outer = options.before_step;
    options.before_step = [&](std::size_t i) {
        char msg[1 + sizeof(uint64_t)] = {'B'};
        uint64_t step = i;
        std::memcpy(msg + 1, &step, sizeof step);
        write_all(out, msg, sizeof msg);
        if (outer) outer(i);
    };
    // The hook's lines reach the terminal before a crash can lose them.
    StepHook flushed;
    if (hook)
        flushed = [&](std::size_t i, const ref::Op &op, uint32_t pasid, const ref::Expectation &exp,
                      const ref::Observation &obs, const std::optional<ref::Violation> &v) {
            hook(i, op, pasid, exp, obs, v);
            std::fflush(stdout);
        };
    json result;
    try {
        RunStats stats;
        auto f =
            run_differential(driver, trace, stats, flushed, nullptr, trace.ops.size(), options);
        result["finding"] = f ? finding_to_json(*f) : json(nullptr);
        result["steps"] = stats.steps;
        json checks = json::array();
        for (const auto &c : ref::clause_catalog()) checks.push_back(stats.checks[c.ident]);
        result["checks"] = checks;
        // A fail-nth sweep's counts (engine/failnth).
        result["driver_allocs"] = stats.driver_allocs;
        result["alloc_failed_step"] = stats.alloc_failed_step;
        if (stats.alloc_failed_rc) result["alloc_failed_rc"] = *stats.alloc_failed_rc;
        result["create_refused"] = stats.create_refused;
        result["leaked_blocks"] = stats.leaked_blocks;
        result["leaked_bytes"] = stats.leaked_bytes;
#ifdef SVAC_HAVE_LSAN
        if (limits.leak_check && !f && __lsan_do_recoverable_leak_check() != 0)
            result["leak"] = true;
#endif
    } catch (const DriverError &e) {
        result["driver_error"] = e.what();
    } catch (const std::exception &e) {
        result["error"] = e.what();
    }
    (void)limits;
    send_result(out, result.dump());
    _exit(0);
}

// ---- the parent ----

uint64_t resident_bytes(pid_t pid) {
    std::ifstream in("/proc/" + std::to_string(pid) + "/statm");
    uint64_t size = 0, resident = 0;
    in >> size >> resident;
    return resident * static_cast<uint64_t>(::sysconf(_SC_PAGESIZE));
}

// The nanoseconds the child has spent runnable but waiting for a CPU
// (/proc/PID/schedstat, its second field); 0 where the kernel does not say.
uint64_t run_delay_ns(pid_t pid) {
    std::ifstream in("/proc/" + std::to_string(pid) + "/schedstat");
    uint64_t on_cpu = 0, waiting = 0;
    in >> on_cpu >> waiting;
    return in ? waiting : 0;
}

// How long a driver call has had: the wall-clock time since it started less
// the time the child spent waiting for a CPU. On a machine running at a
// quarter of its speed a call gets the same budget as on an idle one, and a
// call that blocks (sleeps, waits on a lock) still runs out of it.
class CallTime {
public:
    using clock = std::chrono::steady_clock;
    explicit CallTime(pid_t pid) : pid_(pid) { restart(); }
    void restart() {
        wall0_ = clock::now();
        delay0_ = run_delay_ns(pid_);
    }
    double seconds() const {
        const double wall = std::chrono::duration<double>(clock::now() - wall0_).count();
        const uint64_t delay = run_delay_ns(pid_);
        const double waited = delay > delay0_ ? static_cast<double>(delay - delay0_) * 1e-9 : 0;
        return std::max(0.0, wall - waited);
    }

private:
    pid_t pid_;
    clock::time_point wall0_;
    uint64_t delay0_ = 0;
};

std::string signal_name(int sig) {
    const char *abbrev = ::sigabbrev_np(sig);
    return abbrev ? "SIG" + std::string(abbrev) : "signal " + std::to_string(sig);
}

// The lines of the child's stderr that say what happened: a sanitizer's
// summary and error line, else the last line.
std::string stderr_summary(const std::string &err) {
    std::string error, summary, last;
    std::size_t pos = 0;
    while (pos < err.size()) {
        std::size_t end = err.find('\n', pos);
        if (end == std::string::npos) end = err.size();
        std::string line = err.substr(pos, end - pos);
        pos = end + 1;
        if (line.find_first_not_of(" \t") == std::string::npos) continue;
        if (line.find("SUMMARY:") != std::string::npos)
            summary = line;
        else if (error.empty() && (line.find("ERROR:") != std::string::npos ||
                                   line.find("runtime error:") != std::string::npos)) // UBSan
            error = line;
        last = line;
    }
    if (!summary.empty()) return error.empty() ? summary : error + "; " + summary;
    return error.empty() ? last : error;
}

// True when `text` holds the start of a sanitizer's report: the child is
// dying, however long the report takes to write. The sanitizers write their
// first line in pieces ("==PID==ERROR:", then the rest once they have looked
// at the fault), and a deadly signal's report begins with a line of its own.
bool sanitizer_report_in(std::string_view text) {
    for (std::string_view marker : {"Sanitizer:DEADLYSIGNAL", "==ERROR:", "runtime error:"})
        if (text.find(marker) != std::string_view::npos) return true;
    return false;
}

struct Watch {
    int out_fd;
    int err_fd;
    std::string msgs;             // unparsed bytes of the child's messages
    std::string err;              // the tail of its stderr
    std::optional<uint64_t> step; // the latest heartbeat
    std::optional<std::string> result;
    bool out_open = true, err_open = true;
    bool sanitizer_report = false; // one began after the latest heartbeat

    // Appends what fd has to `into`; `open` drops at its end. False when
    // nothing was there.
    bool drain(int fd, bool &open, std::string &into) {
        char buf[4096];
        ssize_t n = ::read(fd, buf, sizeof buf);
        if (n > 0) {
            into.append(buf, static_cast<std::size_t>(n));
            return true;
        }
        if (n == 0 || (errno != EINTR && errno != EAGAIN)) open = false;
        return false;
    }
    void drain_err() {
        const std::size_t seen = err.size();
        if (!drain(err_fd, err_open, err)) return;
        // A marker may straddle two reads: look a little before the new bytes.
        const std::size_t from = seen > 64 ? seen - 64 : 0;
        if (sanitizer_report_in(std::string_view(err).substr(from))) sanitizer_report = true;
        if (err.size() > 2 * kStderrKept) err.erase(0, err.size() - kStderrKept);
    }
    // Waits up to `ms` for either pipe and reads what came; true when a
    // heartbeat arrived.
    bool wait(int ms) {
        pollfd fds[2] = {{out_open ? out_fd : -1, POLLIN, 0}, {err_open ? err_fd : -1, POLLIN, 0}};
        if (!out_open && !err_open) {
            ::poll(nullptr, 0, ms);
            return false;
        }
        if (::poll(fds, 2, ms) <= 0) return false;
        // The messages first: a heartbeat read with a sanitizer's first words
        // was sent before them (the op then crashed), and must not clear them.
        bool beat = false;
        if (fds[0].revents) {
            drain(out_fd, out_open, msgs);
            beat = parse();
        }
        if (fds[1].revents) drain_err();
        return beat;
    }
    // What is left in the pipes once the child is gone (non-blocking reads).
    void drain_rest() {
        while (err_open && drain(err_fd, err_open, err)) {
        }
        while (out_open && drain(out_fd, out_open, msgs)) {
        }
        parse();
    }
    // True when a heartbeat arrived.
    bool parse() {
        bool beat = false;
        for (;;) {
            if (msgs.empty()) return beat;
            if (msgs[0] == 'B') {
                if (msgs.size() < 1 + sizeof(uint64_t)) return beat;
                uint64_t s;
                std::memcpy(&s, msgs.data() + 1, sizeof s);
                step = s;
                beat = true;
                sanitizer_report = false;
                msgs.erase(0, 1 + sizeof s);
            } else if (msgs[0] == 'R') {
                uint32_t len;
                if (msgs.size() < 1 + sizeof len) return beat;
                std::memcpy(&len, msgs.data() + 1, sizeof len);
                if (msgs.size() < 1 + sizeof len + len) return beat;
                result = msgs.substr(1 + sizeof len, len);
                msgs.erase(0, 1 + sizeof len + len);
            } else {
                msgs.clear(); // garbage: the result is missing, the child crashed
                return beat;
            }
        }
    }
};

// Where in the sequence the child was: "create", "bind (step 3)", "destroy".
std::string where(const Trace &trace, const std::optional<uint64_t> &step) {
    if (!step) return "create";
    if (*step >= trace.ops.size()) return "destroy";
    return fmt::format("{} (step {})", ref::op_name(trace.ops[*step].kind), *step);
}

Finding robust_finding(ref::ClauseId clause, const Trace &trace,
                       const std::optional<uint64_t> &step, const std::string &what,
                       const std::string &detail) {
    Finding f;
    f.clause = clause;
    f.judged_from = clause == ref::ClauseId::ROBUST_5 ? Evidence::memory : Evidence::process;
    std::size_t last = trace.ops.empty() ? 0 : trace.ops.size() - 1;
    f.step = step ? std::min<std::size_t>(*step, last) : 0;
    f.message = fmt::format("{}: {} during {}{}", finding_kind(clause), what, where(trace, step),
                            detail.empty() ? "" : ": " + detail);
    f.expected = {{"clause", ref::clause_id(clause)}, {"rule", ref::clause(clause).statement}};
    f.actual = {{"kind", finding_kind(clause)}, {"what", what}, {"during", where(trace, step)}};
    if (!detail.empty()) f.actual["detail"] = detail;
    f.trace.topology = trace.topology;
    f.trace.profile = trace.profile;
    f.trace.fail_alloc_nth = trace.fail_alloc_nth;
    for (std::size_t i = 0; i <= f.step && i < trace.ops.size(); ++i)
        f.trace.ops.push_back(trace.ops[i]);
    return f;
}

std::optional<Finding> decode_result(const std::string &text, const Trace &trace, RunStats &stats,
                                     const std::string &err) {
    json r = json::parse(text);
    if (r.contains("driver_error")) throw DriverError(r["driver_error"].get<std::string>());
    if (r.contains("error"))
        throw std::runtime_error("isolated run: " + r["error"].get<std::string>());
    const uint64_t steps = r["steps"].get<uint64_t>();
    stats.steps += steps;
    const json &checks = r["checks"];
    for (std::size_t i = 0; i < checks.size() && i < ref::kClauseCount; ++i)
        stats.checks.add(static_cast<ref::ClauseId>(i), checks[i].get<uint64_t>());
    stats.driver_allocs += r["driver_allocs"].get<uint64_t>();
    stats.alloc_failed_step = r["alloc_failed_step"].get<int64_t>();
    if (r.contains("alloc_failed_rc")) stats.alloc_failed_rc = r["alloc_failed_rc"].get<int>();
    stats.create_refused = r["create_refused"].get<bool>();
    stats.leaked_blocks = r["leaked_blocks"].get<uint64_t>();
    stats.leaked_bytes = r["leaked_bytes"].get<uint64_t>();
    // Every op ran and returned in time, within the memory limit.
    for (auto c : {ref::ClauseId::ROBUST_1, ref::ClauseId::ROBUST_2, ref::ClauseId::ROBUST_3})
        stats.checks.add(c, steps);
    if (r.value("leak", false)) {
        std::optional<uint64_t> end = trace.ops.size();
        return robust_finding(ref::ClauseId::ROBUST_5, trace, end,
                              "LeakSanitizer found memory the driver never freed",
                              stderr_summary(err));
    }
    if (r["finding"].is_null()) return std::nullopt;
    const json &j = r["finding"];
    Finding f;
    f.clause = *ref::find_clause(j["clause"].get<std::string>());
    f.step = j["step"].get<std::size_t>();
    f.message = j["message"].get<std::string>();
    f.expected = j["expected"];
    f.actual = j["actual"];
    f.trace = parse_trace(j["trace"].dump(), "the isolated child's finding");
    f.judged_from = find_evidence(j["judged_from"].get<std::string>()).value_or(Evidence::outcomes);
    return f;
}

// The child's end, as the parent saw it.
struct ChildEnd {
    enum How {
        finished,
        died,
        hung,
        oom
    } how = finished;
    std::optional<std::string> result; // its 'R' message
    std::optional<uint64_t> step;      // its latest heartbeat
    int status = 0;                    // died: waitpid's status
    bool report_cut_short = false;     // died: killed while writing a sanitizer report
    uint64_t rss = 0;                  // oom: what it held
    std::string err;                   // the tail of its stderr
};

// How long a child whose sanitizer report has begun may take to finish it
// (symbolising a stack can take seconds, more on a loaded machine). Its
// verdict is a crash either way; this only bounds the wait for its words.
constexpr double kReportGrace_s = 120;

// Reaps the child, waiting at most `limit_s` before killing it.
int reap(pid_t pid, double limit_s) {
    int status = 0;
    const auto until = std::chrono::steady_clock::now() + std::chrono::duration<double>(limit_s);
    for (;;) {
        pid_t r = ::waitpid(pid, &status, WNOHANG);
        if (r == pid || (r < 0 && errno != EINTR)) return status;
        if (std::chrono::steady_clock::now() > until) break;
        ::poll(nullptr, 0, 5);
    }
    ::kill(pid, SIGKILL);
    while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    return status;
}

// Forks; the child runs `body` with the write end of the message pipe and
// its stderr on a pipe of its own, and must _exit. The parent watches the
// pipes, the child's memory and the time its current call has had (CallTime:
// counted from the latest heartbeat, less the time the child waited for a
// CPU). The order of the judgements makes the verdict independent of how
// busy the machine is: the child's memory is sampled before a deadline is
// judged, a child writing a sanitizer report is dying (a crash) whatever the
// clock says, and a child that ended is reaped before anything else is
// decided about it. Throws Interrupted on a stop request (the child killed).
ChildEnd run_child(const Isolation &limits, const std::function<void(int out_fd)> &body) {
    int out[2], err[2];
    auto fail = [](const char *what) {
        return std::runtime_error(std::string("isolation: ") + what + ": " + std::strerror(errno));
    };
    if (::pipe2(out, O_CLOEXEC) != 0) throw fail("pipe");
    if (::pipe2(err, O_CLOEXEC) != 0) {
        ::close(out[0]);
        ::close(out[1]);
        throw fail("pipe");
    }
    std::fflush(nullptr); // the child must not write the parent's buffered output again
    const pid_t parent = ::getpid();
    pid_t pid = ::fork();
    if (pid < 0) {
        for (int fd : {out[0], out[1], err[0], err[1]}) ::close(fd);
        throw fail("fork");
    }
    if (pid == 0) {
        ::prctl(PR_SET_PDEATHSIG, SIGKILL);  // never outlive the campaign
        if (::getppid() != parent) _exit(1); // the parent died before prctl
        ::signal(SIGINT, SIG_IGN);           // Ctrl-C is the parent's to handle
        ::close(out[0]);
        ::close(err[0]);
        ::dup2(err[1], STDERR_FILENO);
        ::close(err[1]);
        body(out[1]);
        _exit(0);
    }
    ::close(out[1]);
    ::close(err[1]);
    for (int fd : {out[0], err[0]}) ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) | O_NONBLOCK);
    Watch w{out[0], err[0]};

    CallTime call(pid);
    std::chrono::steady_clock::time_point dying_since{}; // set while w.sanitizer_report
    bool dying = false;
    ChildEnd end;
    bool reaped = false, kill = false, interrupted = false;
    for (;;) {
        if (w.wait(20)) call.restart(); // memory and the stop flag: every 20 ms
        if (w.result) break;
        if (::waitpid(pid, &end.status, WNOHANG) == pid) {
            reaped = true;
            break;
        }
        if ((interrupted = stop_requested())) break;
        if (const uint64_t rss = resident_bytes(pid); rss > limits.memory_limit) {
            end.how = ChildEnd::oom;
            end.rss = rss;
            kill = true;
            break;
        }
        if (w.sanitizer_report) {
            const auto now = std::chrono::steady_clock::now();
            if (!dying) dying_since = now;
            dying = true;
            if (std::chrono::duration<double>(now - dying_since).count() > kReportGrace_s) {
                end.how = ChildEnd::died;
                end.report_cut_short = kill = true;
                break;
            }
            continue; // no deadline for a report being written
        }
        dying = false;
        if (call.seconds() > limits.step_timeout_s) {
            end.how = ChildEnd::hung;
            kill = true;
            break;
        }
    }
    if (kill || interrupted) ::kill(pid, SIGKILL);
    if (!reaped) end.status = reap(pid, kill || interrupted ? 0 : 5);
    w.drain_rest(); // its last words
    ::close(w.out_fd);
    ::close(w.err_fd);
    if (interrupted) throw Interrupted();
    end.result = std::move(w.result);
    end.step = w.step;
    end.err = std::move(w.err);
    if (end.how == ChildEnd::finished && !end.result) end.how = ChildEnd::died;
    return end;
}

// How a child that died went: "killed by SIGSEGV", "the process exited with status 1".
std::string how_it_died(const ChildEnd &end) {
    if (end.report_cut_short)
        return fmt::format("killed when its sanitizer report had not ended {} s after it began",
                           kReportGrace_s);
    if (WIFSIGNALED(end.status)) return "killed by " + signal_name(WTERMSIG(end.status));
    if (WIFEXITED(end.status))
        return fmt::format("the process exited with status {}", WEXITSTATUS(end.status));
    return "the process ended";
}

// The ROBUST clause of a child that did not finish, and what happened to it.
std::pair<ref::ClauseId, std::string> outcome(const ChildEnd &end, const Isolation &limits) {
    switch (end.how) {
    case ChildEnd::hung:
        return {ref::ClauseId::ROBUST_2,
                fmt::format("no return within {} s", limits.step_timeout_s)};
    case ChildEnd::oom:
        return {ref::ClauseId::ROBUST_3, fmt::format("{} MiB resident, over the limit of {} MiB",
                                                     end.rss >> 20, limits.memory_limit >> 20)};
    case ChildEnd::died:
    case ChildEnd::finished:
        break;
    }
    return {ref::ClauseId::ROBUST_1, how_it_died(end)};
}

} // namespace

std::optional<Finding> run_isolated(const svac_driver_ops &driver, const Trace &trace,
                                    RunStats &stats, const Isolation &limits,
                                    const RunOptions &options, const StepHook &hook) {
    stats.scope.add(trace.topology); // the child's stats stay in the child
    ChildEnd end =
        run_child(limits, [&](int out) { child_main(out, driver, trace, limits, options, hook); });
    if (end.how == ChildEnd::finished) return decode_result(*end.result, trace, stats, end.err);
    // A sequence cut short still ran the ops before the one that went wrong.
    if (end.step) stats.steps += std::min<uint64_t>(*end.step, trace.ops.size());
    const auto [clause, what] = outcome(end, limits);
    Finding f = robust_finding(clause, trace, end.step, what, stderr_summary(end.err));
    // A fail-nth point replays with its refusal.
    if (options.fail_alloc_nth) f.trace.fail_alloc_nth = options.fail_alloc_nth;
    return f;
}

std::string run_in_child(const Isolation &limits, const std::function<std::string()> &body) {
    ChildEnd end = run_child(limits, [&](int out) {
        std::string text;
        try {
            text = body();
        } catch (const std::exception &) {
            _exit(122); // the parent reports the child's death
        }
        send_result(out, text);
    });
    if (end.how == ChildEnd::finished) return *end.result;
    const auto [clause, what] = outcome(end, limits);
    const std::string summary = stderr_summary(end.err);
    throw DriverError(
        fmt::format("{}: {}{}", finding_kind(clause), what, summary.empty() ? "" : ": " + summary));
}

} // namespace svac::engine
