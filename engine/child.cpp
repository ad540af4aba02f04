#include "engine/child.h"

#include <algorithm>
#include <cerrno>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <dirent.h>
#include <fcntl.h>
#include <poll.h>
#include <sys/wait.h>
#include <unistd.h>

namespace svac::engine {

namespace {

// A small /proc file's text ("" when it cannot be read): with two system
// calls and no stream, as these are read once or more per sequence.
std::string proc_text(const char *path) {
    char buf[4096];
    const int fd = ::open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return {};
    ssize_t n;
    do n = ::read(fd, buf, sizeof buf - 1);
    while (n < 0 && errno == EINTR);
    ::close(fd);
    return n > 0 ? std::string(buf, static_cast<std::size_t>(n)) : std::string();
}

std::string proc_path(pid_t pid, const char *file) {
    return "/proc/" + std::to_string(pid) + "/" + file;
}

// The nth (from 0) space-separated number of `text`, or 0.
uint64_t field(const std::string &text, int nth) {
    const char *p = text.c_str();
    for (int i = 0; i < nth && *p; ++i) {
        p = std::strchr(p, ' ');
        if (!p) return 0;
        ++p;
    }
    return std::strtoull(p, nullptr, 10);
}

} // namespace

uint64_t resident_bytes(pid_t pid) {
    return field(proc_text(proc_path(pid, "statm").c_str()), 1) *
           static_cast<uint64_t>(::sysconf(_SC_PAGESIZE));
}

uint64_t run_delay_ns(pid_t pid) {
    return field(proc_text(proc_path(pid, "schedstat").c_str()), 1);
}

std::string children_of(pid_t pid) {
    std::string kids;
    const std::string tasks = proc_path(pid, "task");
    DIR *dir = ::opendir(tasks.c_str());
    if (!dir) return kids;
    while (const dirent *t = ::readdir(dir)) {
        if (t->d_name[0] == '.') continue;
        std::string k = proc_text((tasks + "/" + t->d_name + "/children").c_str());
        while (!k.empty() && (k.back() == ' ' || k.back() == '\n')) k.pop_back();
        if (!k.empty()) kids += (kids.empty() ? "" : " ") + k;
    }
    ::closedir(dir);
    return kids;
}

bool has_children() {
    siginfo_t si{};
    return ::waitid(P_ALL, 0, &si, WEXITED | WSTOPPED | WCONTINUED | WNOHANG | WNOWAIT | __WALL) ==
           0;
}

void CallTime::restart() {
    wall0_ = clock::now();
    delay0_.reset();
}

double CallTime::seconds() const {
    const double wall = std::chrono::duration<double>(clock::now() - wall0_).count();
    if (!delay0_) {
        if (wall >= kUncounted_s) delay0_ = run_delay_ns(pid_);
        return wall;
    }
    const uint64_t delay = run_delay_ns(pid_);
    const double waited = delay > *delay0_ ? static_cast<double>(delay - *delay0_) * 1e-9 : 0;
    return std::max(0.0, wall - waited);
}

std::string signal_name(int sig) {
    const char *abbrev = ::sigabbrev_np(sig);
    return abbrev ? "SIG" + std::string(abbrev) : "signal " + std::to_string(sig);
}

std::string how_it_ended(int status) {
    if (WIFSIGNALED(status)) return "killed by " + signal_name(WTERMSIG(status));
    if (WIFEXITED(status))
        return "the process exited with status " + std::to_string(WEXITSTATUS(status));
    return "the process ended";
}

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

bool sanitizer_report_in(std::string_view text) {
    for (std::string_view marker : {"Sanitizer:DEADLYSIGNAL", "==ERROR:", "runtime error:"})
        if (text.find(marker) != std::string_view::npos) return true;
    return false;
}

bool drain_tail(int fd, std::string &tail, int echo_fd) {
    char buf[16384];
    for (;;) {
        const ssize_t n = ::read(fd, buf, sizeof buf);
        if (n > 0) {
            if (echo_fd >= 0) (void)!::write(echo_fd, buf, static_cast<std::size_t>(n));
            tail.append(buf, static_cast<std::size_t>(n));
            if (tail.size() > 2 * kStderrKept) tail.erase(0, tail.size() - kStderrKept);
            continue;
        }
        if (n < 0 && errno == EINTR) continue;
        return !(n == 0 || errno != EAGAIN);
    }
}

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

} // namespace svac::engine
