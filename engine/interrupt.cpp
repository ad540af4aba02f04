#include "engine/interrupt.h"

#include <atomic>
#include <csignal>
#include <unistd.h>

namespace svac::engine {

namespace {

std::atomic<bool> g_stop{false};
std::atomic<int> g_child_group{0};

// The first signal asks for a stop; the second one ends the process.
extern "C" void on_stop_signal(int) {
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
    sa.sa_handler = on_stop_signal;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = 0; // no SA_RESTART: a blocking wait returns EINTR and looks at the flag
    ::sigaction(SIGINT, &sa, nullptr);
    ::sigaction(SIGTERM, &sa, nullptr);
}

bool stop_requested() {
    return g_stop.load(std::memory_order_relaxed);
}

void clear_stop_request() {
    g_stop = false;
}

void set_stop_child_group(int pgid) {
    g_child_group = pgid;
}

} // namespace svac::engine
