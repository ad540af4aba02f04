#include "engine/interrupt.h"

#include <atomic>
#include <csignal>
#include <unistd.h>

namespace svac::engine {

namespace {

std::atomic<bool> g_stop{false};
std::atomic<int> g_finishing{0}; // FinishDespiteStop scopes
std::atomic<int> g_child_group{0};
// The driver hosts: their signals are ignored.
constexpr std::size_t kIgnoredSenders = 64;
std::atomic<int> g_ignored[kIgnoredSenders];

bool ignored(int pid) {
    if (pid <= 0) return false;
    for (const auto &p : g_ignored)
        if (p.load(std::memory_order_relaxed) == pid) return true;
    return false;
}

// The first signal asks for a stop; the second one ends the process.
extern "C" void on_stop_signal(int, siginfo_t *info, void *) {
    if (info && info->si_code == SI_USER && ignored(info->si_pid)) return;
    if (g_stop.exchange(true)) {
        if (int g = g_child_group.load(); g > 0) ::kill(-g, SIGKILL);
        _exit(130);
    }
    static const char msg[] = "\nsva-conform: stopping; writing the report so far (again to "
                              "exit at once)\n";
    ssize_t ignored = ::write(STDERR_FILENO, msg, sizeof msg - 1);
    (void)ignored;
}

} // namespace

void install_stop_handlers() {
    struct sigaction sa {};
    sa.sa_sigaction = on_stop_signal;
    sigemptyset(&sa.sa_mask);
    // no SA_RESTART: a blocking wait returns EINTR and looks at the flag
    sa.sa_flags = SA_SIGINFO;
    ::sigaction(SIGINT, &sa, nullptr);
    ::sigaction(SIGTERM, &sa, nullptr);
}

bool stop_requested() {
    return g_stop.load(std::memory_order_relaxed) &&
           g_finishing.load(std::memory_order_relaxed) == 0;
}

FinishDespiteStop::FinishDespiteStop() {
    g_finishing.fetch_add(1, std::memory_order_relaxed);
}

FinishDespiteStop::~FinishDespiteStop() {
    g_finishing.fetch_sub(1, std::memory_order_relaxed);
}

void clear_stop_request() {
    g_stop = false;
}

void ignore_signals_from(int pid, bool ignore) {
    for (auto &p : g_ignored) {
        int expected = ignore ? 0 : pid;
        if (p.compare_exchange_strong(expected, ignore ? pid : 0)) return;
    }
}

void set_stop_child_group(int pgid) {
    g_child_group = pgid;
}

} // namespace svac::engine
