// Starting the sva-conform command (SVAC_CLI) in the background from a
// GoogleTest, to signal it mid-run: no shell (the signals go to the
// command), its output to dir/stdout.txt and dir/stderr.txt, CI=1 (no
// progress line). The waits are for events, never for a time: a test waits
// until the command shows it has reached a point (a file written, a line
// printed), then signals it and waits for it to end. A command that hangs
// is left to the test's CTest timeout.
#pragma once

#include "tests/support/cli_runner.h"

#include <chrono>
#include <fcntl.h>
#include <filesystem>
#include <functional>
#include <optional>
#include <spawn.h>
#include <string>
#include <string_view>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>
#include <vector>

extern char **environ;

namespace svac::test_support {

struct Spawned {
    pid_t pid = -1;
    std::optional<int> status; // the wait status, once reaped
};

// Starts `sva-conform args...` in dir. With own_group, in a new process
// group (its pgid is its pid), so a test can signal the group as a shell's
// job control does.
inline Spawned spawn_cli(const std::filesystem::path &dir, const std::vector<std::string> &args,
                         bool own_group = false) {
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
    const std::string out = (dir / "stdout.txt").string(), err = (dir / "stderr.txt").string();
    posix_spawn_file_actions_addopen(&fa, 1, out.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    posix_spawn_file_actions_addopen(&fa, 2, err.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    posix_spawnattr_t attr;
    posix_spawnattr_init(&attr);
    if (own_group) {
        posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETPGROUP);
        posix_spawnattr_setpgroup(&attr, 0);
    }
    std::vector<std::string> words{SVAC_CLI};
    words.insert(words.end(), args.begin(), args.end());
    std::vector<char *> argv;
    for (auto &w : words) argv.push_back(w.data());
    argv.push_back(nullptr);
    std::vector<std::string> env_words{"CI=1"};
    for (char **e = environ; *e; ++e)
        if (std::string_view(*e).rfind("CI=", 0) != 0) env_words.emplace_back(*e);
    std::vector<char *> envp;
    for (auto &w : env_words) envp.push_back(w.data());
    envp.push_back(nullptr);
    // The command's --out is relative: run it in dir.
    const std::filesystem::path cwd = std::filesystem::current_path();
    std::filesystem::current_path(dir);
    Spawned s;
    int rc = ::posix_spawn(&s.pid, SVAC_CLI, &fa, &attr, argv.data(), envp.data());
    std::filesystem::current_path(cwd);
    posix_spawn_file_actions_destroy(&fa);
    posix_spawnattr_destroy(&attr);
    if (rc != 0) s.pid = -1;
    return s;
}

// Waits until `reached` holds (true) or the command ends first (false: the
// point was never reached; its status is then in s.status). Polls.
inline bool wait_until(Spawned &s, const std::function<bool()> &reached) {
    for (;;) {
        if (reached()) return true;
        int status = 0;
        if (::waitpid(s.pid, &status, WNOHANG) == s.pid) {
            s.status = status;
            return reached();
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
}

// Waits for the command to end; its wait status.
inline int wait_exit(Spawned &s) {
    if (!s.status) {
        int status = 0;
        while (::waitpid(s.pid, &status, 0) < 0 && errno == EINTR) {
        }
        s.status = status;
    }
    return *s.status;
}

// "exit N" or "killed by signal N", for messages.
inline std::string describe_status(int status) {
    if (WIFEXITED(status)) return "exit " + std::to_string(WEXITSTATUS(status));
    if (WIFSIGNALED(status)) return "killed by signal " + std::to_string(WTERMSIG(status));
    return "wait status " + std::to_string(status);
}

} // namespace svac::test_support
