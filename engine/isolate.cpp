// Isolation: the child runs the sequence and talks to the parent over a
// pipe; the parent watches the pipe, the clock and the child's memory.
//
// The child's messages: a heartbeat 'B' <u64 step> before each op (the op
// count: before destroy), and at the end 'R' <u32 length> <JSON>: the
// finding, if any, and the run's counts. A child that dies, or exits, before
// its 'R' crashed; one silent past the step time limit hangs.
#include "engine/isolate.h"

#include "engine/child.h"
#include "engine/driver.h"
#include "engine/host/link.h"
#include "engine/interrupt.h"

#include <fmt/format.h>

#include <functional>
#include <map>
#include <memory>

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

namespace {

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

// ---- the parent ----

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

namespace {

// The hosts of the drivers run isolated, kept from one sequence to the next
// (at most a few drivers at a time: a mutant sweep's are many).
constexpr std::size_t kMaxHosts = 4;
// A host serves at most this many sequences before a fresh one takes over:
// what a driver leaks or corrupts in its process has a bounded life.
constexpr uint64_t kSequencesPerHost = 10000;

host::HostLink &host_for(const svac_driver_ops &driver) {
    static std::map<const svac_driver_ops *, std::unique_ptr<host::HostLink>> hosts;
    auto it = hosts.find(&driver);
    if (it != hosts.end() &&
        (!it->second->usable() || it->second->sequences() >= kSequencesPerHost)) {
        hosts.erase(it);
        it = hosts.end();
    }
    if (it == hosts.end()) {
        if (hosts.size() >= kMaxHosts) hosts.erase(hosts.begin());
        it = hosts.emplace(&driver, std::make_unique<host::HostLink>(driver)).first;
    }
    return *it->second;
}

} // namespace

std::optional<Finding> run_isolated(const svac_driver_ops &driver, const Trace &trace,
                                    RunStats &stats, const Isolation &limits,
                                    const RunOptions &options, const StepHook &hook) {
    return host_for(driver).run(trace, stats, limits, options, hook, nullptr, trace.ops.size());
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
