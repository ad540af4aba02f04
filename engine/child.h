// What the kit sees of a child process it runs a driver in (an isolated
// sequence, a driver host): its memory, the time its current call has had,
// how it ended, and what its stderr says about it.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace svac::engine {

// The child's resident memory, bytes (/proc/PID/statm).
uint64_t resident_bytes(pid_t pid);

// The nanoseconds the child has spent runnable but waiting for a CPU
// (/proc/PID/schedstat, its second field); 0 where the kernel does not say.
uint64_t run_delay_ns(pid_t pid);

// The processes whose parent is `pid` (any of its threads), space-separated
// ("" for none): what a driver forked in a host, which is their subreaper.
std::string children_of(pid_t pid);

// Whether this process (any of its threads) has a child, running or ended
// and not yet waited for, of any kind (__WALL): one system call, where
// children_of reads /proc.
bool has_children();

// How long a driver call has had: the wall-clock time since it started less
// the time the child spent waiting for a CPU. On a machine running at a
// quarter of its speed a call gets the same budget as on an idle one, and a
// call that blocks (sleeps, waits on a lock) still runs out of it. Its first
// kUncounted_s count in full: most calls end sooner, and are timed without
// reading /proc.
class CallTime {
public:
    using clock = std::chrono::steady_clock;
    static constexpr double kUncounted_s = 0.01;
    explicit CallTime(pid_t pid) : pid_(pid) { restart(); }
    void restart();
    double seconds() const;

private:
    pid_t pid_;
    clock::time_point wall0_;
    mutable std::optional<uint64_t> delay0_; // the run delay once kUncounted_s had passed
};

// "SIGSEGV", or "signal 42".
std::string signal_name(int sig);

// "killed by SIGSEGV", "the process exited with status 1": a wait status.
std::string how_it_ended(int status);

// The lines of the child's stderr that say what happened: a sanitizer's
// summary and error line, else the last line.
std::string stderr_summary(const std::string &err);

// True when `text` holds the start of a sanitizer's report: the child is
// dying, however long the report takes to write. The sanitizers write their
// first line in pieces ("==PID==ERROR:", then the rest once they have looked
// at the fault), and a deadly signal's report begins with a line of its own.
bool sanitizer_report_in(std::string_view text);

// How long a child whose sanitizer report has begun may take to finish it
// (symbolising a stack can take seconds, more on a loaded machine). Its
// verdict is a crash either way; this only bounds the wait for its words.
inline constexpr double kReportGrace_s = 120;

// The tail of a child's stderr (and stdout) the kit keeps.
inline constexpr std::size_t kStderrKept = 64 * 1024;

// Appends what the non-blocking `fd` has to `tail`, keeping its last
// kStderrKept bytes (and writing it to `echo_fd` too, unless -1); false at
// its end.
bool drain_tail(int fd, std::string &tail, int echo_fd = -1);

// Reaps the child, waiting at most `limit_s` before killing it; its status.
int reap(pid_t pid, double limit_s);

} // namespace svac::engine
