// A driver served over a socket (`sva-conform host --listen`, `run
// --driver-host`): the same protocol as a forked host's, so the same seed
// must give the same report, byte for byte but for when it ran, the
// command line and the address the driver was served at — for a conformant
// driver, a seeded bug, a driver that crashes, one that exits in a call and
// one that hangs.
#include "tests/support/cli_runner.h"
#include "tests/support/cli_spawn.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <csignal>
#include <fstream>
#include <regex>
#include <string>
#include <vector>

namespace {

using svac::test_support::CliResult;
using svac::test_support::quote;
using svac::test_support::read_file;
using json = nlohmann::ordered_json;

std::string plugin(const std::string &name) {
    return std::string(SVAC_PLUGIN_DIR) + "/" + name + ".so";
}

// A report as two runs of one seed must share it: all but when it ran, the
// command line, the address, and what differs in any two runs of a crash
// under a sanitizer (its report's "==PID==" and the addresses of its
// registers and faults, in a finding's stderr summary).
json comparable(const std::filesystem::path &path) {
    std::ifstream in(path);
    json r = json::parse(in, nullptr, false);
    if (r.is_discarded()) return r;
    r.erase("started");
    r.erase("duration_s");
    r.erase("invocation");
    if (r.contains("driver") && r["driver"].contains("library"))
        r["driver"]["library"].erase("remote");
    static const std::regex pid("==[0-9]+=="), address("0x[0-9a-f]{6,}");
    std::string text = std::regex_replace(r.dump(), pid, "==PID==");
    text = std::regex_replace(text, address, "0xADDRESS");
    return json::parse(text);
}

struct Served {
    const char *name;
    std::vector<std::string> host; // what `host` serves
    std::string local;             // the same driver, for `run` (isolated)
    std::string listen;            // where: TCP or a UNIX socket
    std::string extra;             // more `run` options
    int sequences;
};

std::ostream &operator<<(std::ostream &os, const Served &s) {
    return os << s.name;
}

class RemoteHost : public svac::test_support::CliTest,
                   public ::testing::WithParamInterface<Served> {
protected:
    RemoteHost() : CliTest("svac_remote_") {}
};

TEST_P(RemoteHost, GivesTheReportOfAForkedHostSeedForSeed) {
    const Served &c = GetParam();
    std::vector<std::string> args{"host"};
    args.insert(args.end(), c.host.begin(), c.host.end());
    const std::string listen =
        c.listen == "unix" ? "unix:" + (dir_ / "host.sock").string() : c.listen;
    args.insert(args.end(), {"--listen", listen});
    auto host = svac::test_support::spawn_cli(dir_, args);
    ASSERT_GT(host.pid, 0);
    // It prints where it listens once it does (port 0: the port chosen).
    std::string address;
    const bool listening = svac::test_support::wait_until(host, [&] {
        const std::string out = read_file(dir_ / "stdout.txt");
        const std::size_t at = out.find(" at ");
        const std::size_t nl = out.find('\n', at == std::string::npos ? 0 : at);
        if (at == std::string::npos || nl == std::string::npos) return false;
        address = out.substr(at + 4, nl - at - 4);
        return true;
    });
    ASSERT_TRUE(listening) << read_file(dir_ / "stderr.txt");
    if (c.listen != "unix") {
        EXPECT_EQ(address.rfind("127.0.0.1:", 0), 0u) << address;
    }
    EXPECT_NE(address.substr(address.rfind(':') + 1), "0") << "the port chosen is printed";

    const std::string common = " --seed 5 --sequences " + std::to_string(c.sequences) + c.extra;
    CliResult remote = run("run --driver-host " + quote(address) + common + " --out remote");
    CliResult local = run("run " + c.local + common + " --out local");
    ::kill(host.pid, SIGTERM);
    const int status = svac::test_support::wait_exit(host);
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0)
        << svac::test_support::describe_status(status) << "\n"
        << read_file(dir_ / "stderr.txt");

    EXPECT_EQ(remote.status, local.status) << remote.out << remote.err << local.out << local.err;
    const json a = comparable(dir_ / "remote" / "report.json");
    const json b = comparable(dir_ / "local" / "report.json");
    ASSERT_FALSE(a.is_discarded()) << remote.out << remote.err;
    ASSERT_FALSE(b.is_discarded()) << local.out << local.err;
    for (const auto &[key, value] : b.items()) EXPECT_EQ(a.value(key, json()), value) << key;
    EXPECT_EQ(a.dump(), b.dump());
    std::ifstream in(dir_ / "remote" / "report.json");
    const json full = json::parse(in, nullptr, false);
    EXPECT_EQ(full["driver"]["library"].value("remote", ""), address);
}

const std::string kTcp = "127.0.0.1:0";

INSTANTIATE_TEST_SUITE_P(
    Drivers, RemoteHost,
    ::testing::Values(Served{"conformant_plugin",
                             {"--driver-lib", plugin("smmuv3_plugin")},
                             "--driver-lib " + quote(plugin("smmuv3_plugin")),
                             kTcp,
                             "",
                             150},
                      Served{"seeded_bug",
                             {"--driver", "smmuv3", "--mutant", "disable-while-bound"},
                             "--driver smmuv3 --mutant disable-while-bound --isolate",
                             "unix",
                             "",
                             60},
                      Served{"crash",
                             {"--driver-lib", plugin("hostile_segv_bind")},
                             "--driver-lib " + quote(plugin("hostile_segv_bind")),
                             kTcp,
                             "",
                             60},
                      Served{"exit_in_a_call",
                             {"--driver-lib", plugin("hostile_exit")},
                             "--driver-lib " + quote(plugin("hostile_exit")),
                             "unix",
                             "",
                             60},
                      // The one about hangs: a short step limit, and few sequences.
                      Served{"hang",
                             {"--driver-lib", plugin("hostile_loop_feature")},
                             "--driver-lib " + quote(plugin("hostile_loop_feature")),
                             kTcp,
                             " --step-timeout 1 --generator plain",
                             3}),
    [](const auto &param) { return std::string(param.param.name); });

class RemoteHostErrors : public svac::test_support::CliTest {
protected:
    RemoteHostErrors() : CliTest("svac_remote_errors_") {}
};

TEST_F(RemoteHostErrors, AnAddressNoHostServesIsExitTwoNamingIt) {
    const std::string sock = (dir_ / "nobody.sock").string();
    for (const std::string &addr :
         {"unix:" + sock, std::string("nohost"), std::string("a:99999")}) {
        CliResult r = run("run --driver-host " + quote(addr) + " --sequences 1 --out out");
        EXPECT_EQ(r.status, 2) << addr << "\n" << r.out << r.err;
        EXPECT_NE(r.err.find("--driver-host"), std::string::npos) << r.err;
        EXPECT_NE(r.err.find(addr), std::string::npos) << r.err;
        EXPECT_FALSE(std::filesystem::exists(dir_ / "out" / "report.json"));
    }
    CliResult h = run("host --driver smmuv3 --listen " + quote("unix:"));
    EXPECT_EQ(h.status, 2) << h.err;
    EXPECT_NE(h.err.find("--listen"), std::string::npos) << h.err;
}

} // namespace
