// Running the sva-conform command (SVAC_CLI) as a user runs it, from a
// GoogleTest: a fresh directory per test, stdout/stderr captured to files
// there, and the exit status.
#pragma once

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <sys/wait.h>
#include <unistd.h>
#include <utility>

namespace svac::test_support {

struct CliResult {
    int status = -1; // the exit status; -1 when the command did not exit
    std::string out;
    std::string err;
    std::string all() const { return out + err; }
};

inline std::string read_file(const std::filesystem::path &p) {
    std::ifstream in(p, std::ios::binary);
    std::ostringstream s;
    s << in.rdbuf();
    return s.str();
}

// s in single quotes, for the shell.
inline std::string quote(const std::string &s) {
    std::string q = "'";
    for (char c : s) q += c == '\'' ? std::string("'\\''") : std::string(1, c);
    return q + "'";
}

// The command line that runs `sva-conform args` (a shell-quoted string) in
// dir, as CI would (no terminal), its output to dir/stdout.txt and
// dir/stderr.txt.
inline std::string cli_command(const std::filesystem::path &dir, const std::string &args) {
    const std::filesystem::path out = dir / "stdout.txt", err = dir / "stderr.txt";
    return "cd " + quote(dir.string()) + " && CI=1 " + quote(SVAC_CLI) + " " + args + " >" +
           quote(out.string()) + " 2>" + quote(err.string()) + " </dev/null";
}

// Runs `sva-conform args` in dir; raw, when given, gets std::system's status.
inline CliResult run_cli(const std::filesystem::path &dir, const std::string &args,
                         int *raw = nullptr) {
    const std::string cmd = cli_command(dir, args);
    const int r_raw = std::system(cmd.c_str());
    if (raw) *raw = r_raw;
    CliResult r;
    r.status = WIFEXITED(r_raw) ? WEXITSTATUS(r_raw) : -1;
    r.out = read_file(dir / "stdout.txt");
    r.err = read_file(dir / "stderr.txt");
    return r;
}

// A fresh directory per test, named prefix + pid + test name, removed after a
// test that passed; run() runs the command inside it.
class CliTest : public ::testing::Test {
protected:
    explicit CliTest(std::string prefix) : prefix_(std::move(prefix)) {}

    void SetUp() override {
        const auto *info = ::testing::UnitTest::GetInstance()->current_test_info();
        dir_ = std::filesystem::path(::testing::TempDir()) /
               (prefix_ + std::to_string(::getpid()) + "_" + info->name());
        std::filesystem::remove_all(dir_);
        ASSERT_TRUE(std::filesystem::create_directories(dir_)) << dir_;
    }
    void TearDown() override {
        if (!HasFailure()) {
            std::error_code ec;
            std::filesystem::remove_all(dir_, ec);
        }
    }

    // Runs `sva-conform args` (a shell-quoted string) in the test's
    // directory; the command must exit.
    CliResult run(const std::string &args) {
        int raw = 0;
        CliResult r = run_cli(dir_, args, &raw);
        EXPECT_TRUE(WIFEXITED(raw)) << cli_command(dir_, args) << " -> " << raw;
        return r;
    }

    std::filesystem::path dir_;

private:
    std::string prefix_;
};

} // namespace svac::test_support
