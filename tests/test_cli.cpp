// The sva-conform command, run as a user runs it: exit statuses, messages,
// reports and determinism.
#include "engine/engine.h"
#include "engine/generator.h"
#include "engine/trace.h"
#include "reports/report.h"

#include "tests/support/cli_runner.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <string>
#include <sys/wait.h>
#include <unistd.h>

using namespace svac;
namespace fs = std::filesystem;
using nlohmann::json;

namespace {

using Result = test_support::CliResult;
using test_support::quote;
using test_support::read_file;

void write_file(const fs::path &p, const std::string &text) {
    std::ofstream out(p, std::ios::binary);
    out << text;
    ASSERT_TRUE(out.good()) << p;
}

// A fresh directory per test; commands run inside it.
class Cli : public test_support::CliTest {
protected:
    Cli() : CliTest("svac_cli_") {}
};

json load_report(const fs::path &p) {
    std::string text = read_file(p);
    return json::parse(text);
}

json without_timestamps(json r) {
    r.erase("started");
    r.erase("duration_s");
    r.erase("invocation"); // the command line names --out
    return r;
}

const std::set<std::string> kCoreGroups = {"FEAT", "PARAM", "BIND", "UNBIND", "MMEXIT", "PASID"};

// Clauses of the core groups whose checks need hardware or faults not yet modelled.
const std::set<std::string> kNeedHardware = {"UNBIND-2", "UNBIND-6", "MMEXIT-2"};

constexpr const char *kTopology =
    R"({"iommus":[{"arch":"smmuv3"}],"devices":[{"iommu":0}],"mms":1})";

// Enable SVA, bind (dev 0, mm 0) twice; the second bind records `second_pasid`.
std::string rebind_trace(unsigned second_pasid) {
    return std::string(R"({"format":"sva-trace/1","topology":)") + kTopology + R"(,"ops":[
  {"op":"enable_feature","dev":0,"feat":"sva","rc":0},
  {"op":"bind","dev":0,"mm":0,"rc":0,"pasid":1},
  {"op":"bind","dev":0,"mm":0,"rc":0,"pasid":)" +
           std::to_string(second_pasid) + "}\n]}\n";
}

} // namespace

TEST_F(Cli, RunIsDeterministicAndConformant) {
    Result a = run("run --driver smmuv3 --seed 7 --out A");
    ASSERT_EQ(a.status, 0) << a.all();
    EXPECT_NE(a.out.find("verdict: conformant"), std::string::npos) << a.out;
    EXPECT_NE(a.out.find("A/report.json"), std::string::npos) << a.out;
    Result b = run("run --driver smmuv3 --seed 7 --out B");
    ASSERT_EQ(b.status, 0) << b.all();

    json ra = load_report(dir_ / "A" / "report.json");
    json rb = load_report(dir_ / "B" / "report.json");
    ASSERT_TRUE(ra.contains("started"));
    ASSERT_TRUE(ra.contains("duration_s"));
    EXPECT_EQ(without_timestamps(ra), without_timestamps(rb));

    EXPECT_EQ(ra["format"], "sva-report/1");
    EXPECT_EQ(ra["verdict"], "conformant");
    EXPECT_EQ(ra["seed"], 7);
    EXPECT_EQ(ra["driver"]["name"], "smmuv3");
    EXPECT_TRUE(ra["findings"].empty()) << ra["findings"].dump(2);
    EXPECT_TRUE(ra["errors"].empty()) << ra["errors"].dump(2);
    EXPECT_GT(ra["stats"]["steps"].get<uint64_t>(), 0u);

    ASSERT_TRUE(ra["clauses"].is_array());
    std::set<std::string> ids, untested_core, groups_seen;
    for (const auto &c : ra["clauses"]) {
        ASSERT_TRUE(c.contains("id") && c["id"].is_string()) << c.dump();
        ASSERT_TRUE(c.contains("title") && c["title"].is_string()) << c.dump();
        ASSERT_TRUE(c.contains("status") && c["status"].is_string()) << c.dump();
        ASSERT_TRUE(c.contains("checks") && c["checks"].is_number_unsigned()) << c.dump();
        std::string id = c["id"], status = c["status"];
        EXPECT_TRUE(ids.insert(id).second) << "duplicate clause " << id;
        EXPECT_FALSE(c["title"].get<std::string>().empty()) << id;
        // An SMMUv3 campaign: the VT-d rules cannot apply.
        EXPECT_TRUE(status == "pass" || status == "untested" ||
                    (status == "not-applicable" && c["group"] == "VTD"))
            << id << ": " << status;
        EXPECT_EQ(status == "pass", c["checks"].get<uint64_t>() > 0) << id;
        std::string group = id.substr(0, id.rfind('-'));
        if (!kCoreGroups.count(group)) continue;
        groups_seen.insert(group);
        if (status != "pass") untested_core.insert(id);
    }
    EXPECT_EQ(groups_seen, kCoreGroups);
    // The report lists its profile's clauses, and only those.
    Result rfc = run("clauses --json --profile rfc2019");
    ASSERT_EQ(rfc.status, 0) << rfc.all();
    std::set<std::string> rfc_ids;
    for (const auto &c : json::parse(rfc.out)) rfc_ids.insert(c["id"].get<std::string>());
    EXPECT_EQ(ids, rfc_ids);
    for (const auto &id : untested_core)
        EXPECT_TRUE(kNeedHardware.count(id)) << id << " is untested by a 1000-sequence run";

    // Another seed: another campaign, so other check counts.
    Result c = run("run --driver smmuv3 --seed 8 --out C");
    ASSERT_EQ(c.status, 0) << c.all();
    json rc = load_report(dir_ / "C" / "report.json");
    EXPECT_EQ(rc["seed"], 8);
    ASSERT_EQ(rc["clauses"].size(), ra["clauses"].size());
    std::size_t differ = 0;
    for (std::size_t i = 0; i < ra["clauses"].size(); ++i) {
        EXPECT_EQ(ra["clauses"][i]["id"], rc["clauses"][i]["id"]);
        differ += ra["clauses"][i]["checks"] != rc["clauses"][i]["checks"];
    }
    EXPECT_GT(differ, 0u) << "seeds 7 and 8 gave the same checks per clause";
}

TEST_F(Cli, ClausesCoverTheCoreGroups) {
    Result r = run("clauses --json");
    ASSERT_EQ(r.status, 0) << r.all();
    json all = json::parse(r.out);
    ASSERT_TRUE(all.is_array());
    EXPECT_GE(all.size(), 30u);
    std::set<std::string> groups;
    for (const auto &c : all) {
        ASSERT_TRUE(c.contains("id") && c.contains("group") && c.contains("statement")) << c.dump();
        EXPECT_FALSE(c["statement"].get<std::string>().empty());
        groups.insert(c["group"].get<std::string>());
    }
    for (const auto &g : kCoreGroups) EXPECT_TRUE(groups.count(g)) << g;

    // The plain listing and a group filter.
    Result plain = run("clauses");
    ASSERT_EQ(plain.status, 0) << plain.all();
    EXPECT_NE(plain.out.find("BIND-4"), std::string::npos);
    EXPECT_NE(plain.out.find(std::to_string(all.size()) + " clauses"), std::string::npos);
    Result bind = run("clauses --json --group BIND");
    ASSERT_EQ(bind.status, 0) << bind.all();
    json b = json::parse(bind.out);
    EXPECT_GE(b.size(), 4u);
    for (const auto &c : b) EXPECT_EQ(c["group"], "BIND");
    Result none = run("clauses --group NOPE");
    EXPECT_EQ(none.status, 2) << none.all();
    EXPECT_NE(none.err.find("NOPE"), std::string::npos) << none.err;
}

TEST_F(Cli, ClausesByProfileAndDriversOfAnotherContractAreRefused) {
    Result l616 = run("clauses --json --profile linux-6.16");
    ASSERT_EQ(l616.status, 0) << l616.all();
    std::set<std::string> ids, groups;
    for (const auto &c : json::parse(l616.out)) {
        ids.insert(c["id"].get<std::string>());
        groups.insert(c["group"].get<std::string>());
        EXPECT_NE(std::find(c["profiles"].begin(), c["profiles"].end(), "linux-6.16"),
                  c["profiles"].end())
            << c.dump();
    }
    EXPECT_FALSE(groups.count("FEAT"));
    EXPECT_FALSE(groups.count("PARAM"));
    for (const char *id : {"ATTACH-1", "DOMAIN-3", "PASID-6"}) EXPECT_TRUE(ids.count(id)) << id;
    Result all = run("clauses --json");
    EXPECT_GT(json::parse(all.out).size(), ids.size());
    Result text = run("clauses --profile rfc2019");
    ASSERT_EQ(text.status, 0) << text.all();
    EXPECT_NE(text.out.find("86 clauses\n"), std::string::npos) << text.out;
    EXPECT_EQ(text.out.find("HANDLE-1"), std::string::npos);
    Result unknown = run("clauses --profile linux-9.9");
    EXPECT_EQ(unknown.status, 2) << unknown.all();
    EXPECT_NE(unknown.err.find("linux-6.16"), std::string::npos) << unknown.err; // the known ones
    Result no_feat = run("clauses --group FEAT --profile linux-6.16");
    EXPECT_EQ(no_feat.status, 2) << no_feat.all();

    // A driver that implements the rfc2019 contract only (the C template)
    // cannot run a campaign or a trace of a later generation: refused with
    // the reason. check-trace judges such a trace against the reference.
    const std::string rfc2019_only =
        test_support::quote(std::string(SVAC_PLUGIN_DIR) + "/driver_template.so");
    Result r =
        run("run --driver-lib " + rfc2019_only + " --profile linux-6.12 --sequences 5 --out R");
    EXPECT_EQ(r.status, 2) << r.all();
    EXPECT_NE(r.err.find("domain-based contract"), std::string::npos) << r.err;
    EXPECT_FALSE(std::filesystem::exists(dir_ / "R" / "report.json"));
    // smmuv3 implements it.
    Result ok = run("run --driver smmuv3 --profile linux-6.12 --sequences 5 --out R612");
    EXPECT_EQ(ok.status, 0) << ok.all();
    std::string trace = rebind_trace(1);
    const std::string format = R"("format":"sva-trace/1",)";
    trace.insert(trace.find(format) + format.size(), R"("profile":"linux-6.1",)");
    write_file(dir_ / "t61.json", trace);
    // smmuv3 implements the handle-based contract of linux-6.1: SVA before
    // IOPF is refused (FEAT-11), so the bind that follows finds it off.
    Result t = run("replay t61.json --driver smmuv3");
    EXPECT_EQ(t.status, 0) << t.all();
    EXPECT_NE(t.out.find("\"rc_name\":\"-EINVAL\""), std::string::npos) << t.out;
    std::string t612 = trace;
    t612.replace(t612.find("linux-6.1"), 9, "linux-6.12");
    t612.replace(t612.find("\"smmuv3\""), 8, "\"vtd\""); // the template drives VT-d
    write_file(dir_ / "t612.json", t612);
    Result d = run("replay t612.json --driver-lib " + rfc2019_only);
    EXPECT_EQ(d.status, 2) << d.all();
    EXPECT_NE(d.err.find("t612.json: /profile"), std::string::npos) << d.err;
    EXPECT_NE(d.err.find("domain-based contract"), std::string::npos) << d.err;
    // failnth and dump-tables take --profile: the built-in trace in the
    // profile's vocabulary, a trace read as one of the profile.
    Result fn = run("failnth --driver vtd --profile linux-6.16 --out F");
    EXPECT_EQ(fn.status, 0) << fn.all();
    EXPECT_NE(fn.out.find("built-in vtd trace of linux-6.16"), std::string::npos) << fn.out;
    EXPECT_EQ(json::parse(read_file(dir_ / "F" / "trace.json"))["profile"], "linux-6.16");
    Result fn2 = run("failnth --driver-lib " + rfc2019_only + " --profile linux-6.12 --out F2");
    EXPECT_EQ(fn2.status, 2) << fn2.all();
    EXPECT_NE(fn2.err.find("domain-based contract"), std::string::npos) << fn2.err;
    Result dt = run("dump-tables t61.json --driver smmuv3 --profile linux-6.12");
    EXPECT_EQ(dt.status, 0) << dt.all();
    EXPECT_NE(dt.out.find("CD"), std::string::npos) << dt.out;
    Result dt2 = run("dump-tables t61.json --driver smmuv3 --profile linux-9");
    EXPECT_EQ(dt2.status, 2) << dt2.all();
    // On SMMUv3, linux-6.1 wants IOPF enabled before SVA (FEAT-11) on a
    // master whose faults the driver takes, a stall master...
    std::string stall = trace;
    const std::string pcie = R"("devices":[{"iommu":0}])";
    stall.replace(stall.find(pcie), pcie.size(),
                  R"("devices":[{"iommu":0,"pri":false,"stall":true}])");
    write_file(dir_ / "t61s.json", stall);
    Result c = run("check-trace t61s.json");
    EXPECT_EQ(c.status, 1) << c.all();
    EXPECT_NE(c.out.find("FEAT-11 at step 0"), std::string::npos) << c.out;
    // ... and not on a PCIe master, whose page requests Linux's SMMUv3 never
    // took (arm_smmu_master_sva_enable_iopf: "Others ... don't need IOPF").
    Result pri = run("check-trace t61.json");
    EXPECT_EQ(pri.status, 0) << pri.all();
}

// The recorded traces of examples/traces for the later generations: the
// core that frees an mm's PASID at its last unbind and hands it to another
// mm breaks PASID-6 under linux-6.12 and is right under linux-5.3; a second
// bind of the same (dev, mm) that gets a new handle breaks HANDLE-2.
TEST_F(Cli, CheckTraceJudgesEachProfilesRules) {
    const std::string dir = std::string(SVAC_SOURCE_DIR) + "/examples/traces/";
    Result reused = run("check-trace " + dir + "pasid-reused-after-last-unbind.json");
    EXPECT_EQ(reused.status, 1) << reused.all();
    EXPECT_NE(reused.out.find("PASID-6 at step 3"), std::string::npos) << reused.out;
    Result old =
        run("check-trace --profile linux-5.3 " + dir + "pasid-reused-after-last-unbind.json");
    EXPECT_EQ(old.status, 0) << old.all();
    Result shared = run("check-trace " + dir + "handle-not-shared.json");
    EXPECT_EQ(shared.status, 1) << shared.all();
    EXPECT_NE(shared.out.find("HANDLE-2 at step 2"), std::string::npos) << shared.out;
    for (const char *ok :
         {"linux-6.12-conformant.json", "linux-5.3-set-ops.json", "linux-6.16-domain-calls.json"}) {
        Result r = run("check-trace --verbose " + dir + ok);
        EXPECT_EQ(r.status, 0) << ok << "\n" << r.all();
    }
}

// Each rule of a later generation caught on a recorded trace, and each
// malformed op named with its file and place.
TEST_F(Cli, CheckTraceOfLaterGenerationsFindsAndRefuses) {
    auto trace = [](const char *profile, const char *iommu, const std::string &ops) {
        return std::string(R"({"format":"sva-trace/1","profile":")") + profile +
               R"(","topology":{"iommus":[)" + iommu +
               R"(],"devices":[{"iommu":0,"pri":true}],"mms":2},"ops":[)" + ops + "]}";
    };
    const char *vtd = R"({"arch":"vtd"})", *smmuv3 = R"({"arch":"smmuv3"})";
    struct Case {
        const char *profile, *iommu;
        std::string ops;
        int status;
        std::string says;
    };
    const std::string enable = R"({"op":"enable_feature","dev":0,"feat":"sva","rc":0})";
    const std::string bind0 = R"({"op":"bind","dev":0,"mm":0,"rc":0,"pasid":1,"handle":0})";
    const Case cases[] = {
        // linux-5.3: ops once per handle (HANDLE-3); the callback of a handle with ops (MMEXIT-1).
        {"linux-5.3", vtd,
         enable + "," + bind0 +
             R"(,{"op":"set_ops","handle":0,"ops":1,"rc":0},{"op":"set_ops","handle":0,"ops":2,"rc":0})",
         1, "HANDLE-3 at step 3"},
        {"linux-5.3", vtd,
         enable + "," + bind0 +
             R"(,{"op":"set_ops","handle":0,"ops":1,"rc":0},{"op":"mm_exit","mm":0,"callbacks":[]})",
         1, "MMEXIT-1 at step 3"},
        // linux-6.1: no callback at exit; the PASID stays after the last unbind.
        {"linux-6.1", vtd,
         enable + "," + bind0 +
             R"(,{"op":"mm_exit","mm":0,"callbacks":[{"dev":0,"pasid":1,"drvdata":0}]})",
         2, "/ops/2/callbacks: profile linux-6.1 has no mm_exit callback"},
        {"linux-6.1", vtd,
         enable + "," + bind0 +
             R"(,{"op":"unbind","handle":0},{"op":"mm_exit","mm":0},{"op":"mm_free","mm":0},)"
             R"({"op":"bind","dev":0,"mm":1,"rc":0,"pasid":1,"handle":0})",
         0, "conformant"},
        // linux-6.1 on SMMUv3: IOPF before SVA, and not disabled under SVA (FEAT-11).
        {"linux-6.1", smmuv3,
         R"({"op":"enable_feature","dev":0,"feat":"iopf","rc":0},)" + enable +
             R"(,{"op":"disable_feature","dev":0,"feat":"iopf","rc":0})",
         1, "FEAT-11 at step 2"},
        // linux-6.16: SVA without a feature call; an IOMMU that cannot walk CPU tables refuses
        // (ATTACH-5).
        {"linux-6.16", vtd, bind0, 0, "conformant"},
        {"linux-6.16", R"({"arch":"vtd","sva":false})",
         R"({"op":"bind","dev":0,"mm":0,"rc":0,"pasid":1})", 1, "ATTACH-5 at step 0"},
        // Bad input: exit 2 naming the place.
        {"linux-6.16", vtd, enable, 2, "/ops/0/op: profile linux-6.16 has no enable_feature"},
        {"linux-6.12", vtd, bind0 + R"(,{"op":"unbind","handle":3})", 2,
         "/ops/1: unbind names handle 3, which no live bind returned"},
        {"linux-6.12", vtd, R"({"op":"unbind","dev":0,"pasid":1})", 2, "unbinds a handle"},
        {"linux-6.12", vtd, R"({"op":"mm_free","mm":0})", 2, "which has not exited"},
        {"rfc2019", vtd, R"({"op":"mm_free","mm":0})", 2, "profile rfc2019 has no mm_free"},
        {"rfc2019", vtd, enable + R"(,{"op":"bind","dev":0,"mm":0,"rc":0,"pasid":1,"handle":0})", 2,
         "/ops/1/handle: profile rfc2019 binds without a handle"},
    };
    int n = 0;
    for (const Case &c : cases) {
        const std::string name = "case" + std::to_string(n++) + ".json";
        write_file(dir_ / name, trace(c.profile, c.iommu, c.ops));
        Result r = run("check-trace " + name);
        EXPECT_EQ(r.status, c.status) << name << "\n" << r.all();
        EXPECT_NE(r.all().find(c.says), std::string::npos) << name << "\n" << r.all();
    }
}

TEST_F(Cli, CheckTraceFindsAChangedPasid) {
    write_file(dir_ / "bad.json", rebind_trace(2));
    write_file(dir_ / "good.json", rebind_trace(1));
    Result bad = run("check-trace bad.json");
    EXPECT_EQ(bad.status, 1) << bad.all();
    EXPECT_NE(bad.out.find("BIND-4"), std::string::npos) << bad.all();
    EXPECT_NE(bad.out.find("step 2"), std::string::npos) << bad.all();
    Result good = run("check-trace good.json");
    EXPECT_EQ(good.status, 0) << good.all();
    EXPECT_EQ(good.all().find("BIND-4"), std::string::npos) << good.all();
    EXPECT_NE(good.out.find("conformant: 3 steps"), std::string::npos) << good.all();
    Result verbose = run("check-trace --verbose good.json");
    EXPECT_EQ(verbose.status, 0) << verbose.all();
    EXPECT_NE(verbose.out.find("bind(dev 0, mm 0"), std::string::npos) << verbose.out;
}

// The issue's must-show: a fault for mm A, A's PASID unbound and rebound to
// mm B, the old group then answered SUCCESS (examples/traces).
TEST_F(Cli, CheckTraceFindsAStaleFaultAnsweredForTheNextOwner) {
    const std::string path =
        std::string(SVAC_SOURCE_DIR) + "/examples/traces/iopf-unbind6-stale-answer.json";
    Result r = run("check-trace " + test_support::quote(path));
    EXPECT_EQ(r.status, 1) << r.all();
    EXPECT_NE(r.out.find("finding UNBIND-6 at step 8"), std::string::npos) << r.all();
    // The same trace with the answer the reference expects (the group is gone): conformant.
    std::string text = test_support::read_file(path);
    const std::string stale = R"("rc": 0, "code": 0})";
    ASSERT_NE(text.find(stale), std::string::npos);
    text.replace(text.find(stale), stale.size(), R"("rc": -22})");
    write_file(dir_ / "fixed.json", text);
    Result fixed = run("check-trace fixed.json");
    EXPECT_EQ(fixed.status, 0) << fixed.all();
}

TEST_F(Cli, MalformedAndMissingTraceFiles) {
    // The stray comma sits on line 3, column 11.
    write_file(dir_ / "mal.json", "{\n  \"format\": \"sva-trace/1\",\n  \"ops\": [,]\n}\n");
    Result r = run("check-trace mal.json");
    EXPECT_EQ(r.status, 2) << r.all();
    EXPECT_NE(r.err.find("mal.json: line 3, column 11: not valid JSON"), std::string::npos)
        << r.err;

    // Valid JSON, bad trace: the JSON pointer of the fault.
    write_file(
        dir_ / "dev.json",
        std::string(R"({"format":"sva-trace/1","topology":)") + kTopology +
            R"(,"ops":[{"op":"enable_feature","dev":0,"feat":"sva"},{"op":"bind","dev":3,"mm":0}]})");
    Result d = run("check-trace dev.json");
    EXPECT_EQ(d.status, 2) << d.all();
    EXPECT_NE(d.err.find("dev.json: /ops/1/dev: device 3 does not exist"), std::string::npos)
        << d.err;
    Result dr = run("replay dev.json --driver smmuv3");
    EXPECT_EQ(dr.status, 2) << dr.all();
    EXPECT_NE(dr.err.find("dev.json: /ops/1/dev"), std::string::npos) << dr.err;

    Result m = run("check-trace nowhere/missing.json");
    EXPECT_EQ(m.status, 2) << m.all();
    EXPECT_NE(m.err.find("nowhere/missing.json"), std::string::npos) << m.err;
    Result mr = run("replay nowhere/missing.json --driver smmuv3");
    EXPECT_EQ(mr.status, 2) << mr.all();
    EXPECT_NE(mr.err.find("nowhere/missing.json"), std::string::npos) << mr.err;
}

TEST_F(Cli, BadUsageExitsTwoWithAMessage) {
    struct Case {
        const char *args;
        const char *says; // a piece of the message
    };
    const Case cases[] = {
        {"run --driver smmuv3 --bogus", "--bogus"},
        {"clauses --bogus", "--bogus"},
        {"frobnicate", "unknown command \"frobnicate\""},
        {"", "subcommand"},
        {"run", "--driver"},
        {"run --driver nope", "nope"},
        {"run --driver smmuv3 --ops 0", "--ops"},
        {"run --driver smmuv3 --ops x", "--ops"},
        {"run --driver smmuv3 --profile linux6", "linux6"},
        {"replay", "TRACE"},
        {"check-trace", "TRACE"},
    };
    for (const auto &c : cases) {
        Result r = run(c.args);
        EXPECT_EQ(r.status, 2) << "sva-conform " << c.args << "\n" << r.all();
        EXPECT_NE(r.err.find(c.says), std::string::npos)
            << "sva-conform " << c.args << "\nstderr: " << r.err;
        EXPECT_FALSE(fs::exists(dir_ / "reports")) << "sva-conform " << c.args;
    }
    // Replay of a good trace with an unknown driver.
    write_file(dir_ / "good.json", rebind_trace(1));
    Result r = run("replay good.json --driver nope");
    EXPECT_EQ(r.status, 2) << r.all();
    EXPECT_NE(r.err.find("no bundled driver called \"nope\""), std::string::npos) << r.err;
}

TEST_F(Cli, ReplayFindingTraces) {
    // A finding's trace: check-trace's finding for the changed PASID, with the
    // outcomes recorded. The driver is right, so the replay is conformant.
    engine::Trace bad = engine::parse_trace(rebind_trace(2), "bad.json");
    engine::RunStats stats;
    auto finding = engine::check_recorded(bad, stats);
    ASSERT_TRUE(finding.has_value());
    EXPECT_EQ(ref::clause_id(finding->clause), "BIND-4");
    write_file(dir_ / "finding.json", engine::print_trace(finding->trace));
    Result r = run("replay finding.json --driver smmuv3");
    EXPECT_EQ(r.status, 0) << r.all();
    EXPECT_NE(r.out.find("replay finding.json on driver smmuv3"), std::string::npos) << r.out;
    // One step line per op, numbered.
    for (const char *step :
         {"     0  enable_feature(dev 0", "     1  bind(dev 0, mm 0", "     2  bind(dev 0, mm 0"})
        EXPECT_NE(r.out.find(step), std::string::npos) << step << "\n" << r.out;
    EXPECT_NE(r.out.find("conformant: 3 steps"), std::string::npos) << r.out;
    Result q = run("replay finding.json --driver smmuv3 --quiet");
    EXPECT_EQ(q.status, 0) << q.all();
    EXPECT_EQ(q.out, "conformant: 3 steps\n");

    // A generated trace, every op kind in the mix, with the driver's outcomes
    // recorded into it, replays and checks clean.
    engine::Rng rng(7);
    engine::GenConfig cfg;
    cfg.ops = 200;
    engine::Trace gen = engine::generate_trace(rng, cfg);
    write_file(dir_ / "gen.json", engine::print_trace(gen));
    Result g = run("replay gen.json --driver smmuv3");
    EXPECT_EQ(g.status, 0) << g.all();
    EXPECT_NE(g.out.find("   199  "), std::string::npos) << g.out;
    EXPECT_NE(g.out.find("conformant: 200 steps"), std::string::npos) << g.out;
}

TEST_F(Cli, DriversListsSmmuv3) {
    Result r = run("drivers");
    ASSERT_EQ(r.status, 0) << r.all();
    EXPECT_TRUE(r.out.rfind("smmuv3 ", 0) == 0 || r.out.find("\nsmmuv3 ") != std::string::npos)
        << r.out;
    EXPECT_NE(r.out.find("drives: smmuv3"), std::string::npos) << r.out;
}

TEST_F(Cli, UnwritableOutDirectory) {
    write_file(dir_ / "plain-file", "not a directory\n");
    Result r = run("run --driver smmuv3 --sequences 10 --out plain-file/sub");
    // An --out under a regular file is the user's mistake, not an internal
    // error: exit 2 with the path.
    EXPECT_EQ(r.status, 2) << r.all();
    EXPECT_NE(r.err.find("plain-file/sub"), std::string::npos) << r.err;
    EXPECT_EQ(r.err.find("internal error"), std::string::npos) << r.err;
    EXPECT_FALSE(fs::exists(dir_ / "plain-file" / "sub"));
}

namespace {

std::string plugin(const std::string &name) {
    return std::string(SVAC_PLUGIN_DIR) + "/" + name + ".so";
}

// hostile_bad_name's name (tests/plugins/hostile.c), as a report keeps it
// (the lone 0xFF byte as U+FFFD) and as a terminal is shown it (and '?' for
// the escape characters).
const std::string kBadNameInReport = "\x1b[31mbad\xEF\xBF\xBD-name\x1b[0m";
const std::string kBadNameOnTerminal = "?[31mbad\xEF\xBF\xBD-name?[0m";

// Nothing that starts a terminal escape sequence, no invalid UTF-8 byte.
void expect_terminal_safe(const Result &r, const std::string &what) {
    EXPECT_EQ(r.all().find('\x1b'), std::string::npos) << what << "\n" << r.all();
    EXPECT_EQ(r.all().find('\xff'), std::string::npos) << what << "\n" << r.all();
}

} // namespace

TEST_F(Cli, OutIsCheckedWritableBeforeAnyWork) {
    // /proc/self is a directory in which no file can be made, even by root
    // (the tests run as root: a chmod would not stop it).
    for (const char *cmd : {"run --driver smmuv3 --mutant unbind-unbound-ok --out /proc/self",
                            "mutants --driver smmuv3 --budget 1 --out /proc/self",
                            "failnth --driver smmuv3 --out /proc/self",
                            "fuzz --target trace_parse --fuzzer-dir nowhere --out /proc/self"}) {
        Result r = run(cmd);
        EXPECT_EQ(r.status, 2) << cmd << "\n" << r.all();
        // The option, the directory and the OS's reason, on one line.
        EXPECT_EQ(r.err.rfind("sva-conform: --out: /proc/self: cannot write: ", 0), 0u)
            << cmd << "\n"
            << r.err;
        EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << cmd << "\n" << r.err;
        EXPECT_EQ(r.out, "") << cmd; // no table, no summary: nothing ran
    }
    // The probe leaves nothing behind in a directory that is writable.
    Result ok = run("run --driver smmuv3 --sequences 1 --out ok");
    ASSERT_EQ(ok.status, 0) << ok.all();
    for (const auto &e : fs::directory_iterator(dir_ / "ok"))
        EXPECT_EQ(e.path().filename().string().rfind(".sva-conform-probe", 0), std::string::npos)
            << e.path();
}

TEST_F(Cli, DriverNameThatIsNotUtf8IsEscapedAndReported) {
    const std::string lib = quote(plugin("hostile_bad_name"));
    Result r = run("run --driver-lib " + lib + " --generator plain --sequences 5 --out A");
    EXPECT_EQ(r.status, 0) << r.all();
    EXPECT_NE(r.out.find("driver " + kBadNameOnTerminal + " ("), std::string::npos) << r.out;
    expect_terminal_safe(r, "run");
    EXPECT_EQ(load_report(dir_ / "A" / "report.json")["driver"]["name"], kBadNameInReport);

    write_file(dir_ / "good.json", rebind_trace(1));
    Result p = run("replay good.json --driver-lib " + lib);
    EXPECT_EQ(p.status, 0) << p.all();
    EXPECT_NE(p.out.find("on driver " + kBadNameOnTerminal), std::string::npos) << p.out;
    expect_terminal_safe(p, "replay");

    Result f = run("failnth --driver-lib " + lib + " --out F");
    EXPECT_EQ(f.status, 0) << f.all();
    EXPECT_NE(f.out.find("failnth: driver " + kBadNameOnTerminal), std::string::npos) << f.out;
    expect_terminal_safe(f, "failnth");
    EXPECT_EQ(load_report(dir_ / "F" / "failnth.json")["driver"]["name"], kBadNameInReport);
    Result j = run("failnth --driver-lib " + lib + " --json --out J");
    EXPECT_EQ(j.status, 0) << j.all();
    EXPECT_EQ(json::parse(j.out)["driver"]["name"], kBadNameInReport);
}

TEST_F(Cli, FuzzReportOfADriverNamedInBadUtf8IsWritten) {
    // A stand-in for the libFuzzer target (the real ones need `make fuzz`):
    // one status line and, in the fuzzing run, one input into the corpus
    // (the second folder it is given); the merge run does nothing.
    fs::create_directories(dir_ / "fz");
    write_file(dir_ / "fz" / "sva_diff", R"(#!/bin/sh
n=0
for a in "$@"; do
  case "$a" in
    -merge=1) exit 0 ;;
    -*) ;;
    *) n=$((n + 1)); if [ $n = 2 ]; then printf 'a fake input, bytes to decode' > "$a/fake"; fi ;;
  esac
done
echo '#2: cov: 1 ft: 1 corp: 1 exec/s 0 oom/timeout/crash: 0/0/0 time: 0s'
)");
    fs::permissions(dir_ / "fz" / "sva_diff", fs::perms::owner_exec, fs::perm_options::add);
    Result r = run("fuzz --target sva_diff --driver-lib " + quote(plugin("hostile_bad_name")) +
                   " --time 1 --fuzzer-dir fz --out F");
    EXPECT_EQ(r.status, 0) << r.all();
    expect_terminal_safe(r, "fuzz");
    json report = load_report(dir_ / "F" / "report.json");
    EXPECT_EQ(report["driver"]["name"], kBadNameInReport);
    EXPECT_EQ(report["fuzz"]["executions"], 2);
}

TEST_F(Cli, JsonReportWithInvalidUtf8IsWrittenNotThrown) {
    reports::Report r;
    r.driver_name = "bad\xff";
    r.library_path = "/lib/\xfe\xfe.so";
    r.verdict = "conformant";
    std::string path;
    ASSERT_NO_THROW(path = reports::write_json_report(r, (dir_ / "R").string()));
    json j = load_report(path);
    EXPECT_EQ(j["driver"]["name"], "bad\xEF\xBF\xBD");
    EXPECT_EQ(j["driver"]["library"]["path"], "/lib/\xEF\xBF\xBD\xEF\xBF\xBD.so");
}

TEST_F(Cli, UnknownKeysAndPathsReachTheTerminalEscaped) {
    write_file(dir_ / "k.json", std::string(R"({"format":"sva-trace/1","topology":)") + kTopology +
                                    R"(,"ops":[],"\u001b]0;owned\u0007":1})");
    Result k = run("check-trace k.json");
    EXPECT_EQ(k.status, 2) << k.all();
    // The place escaped for the terminal; the key quoted as JSON quotes it.
    EXPECT_NE(k.err.find("/?]0;owned?: unknown field \"\\u001b]0;owned\\u0007\""),
              std::string::npos)
        << k.err;
    expect_terminal_safe(k, "an unknown key");
    Result p = run("check-trace \"$(printf 'no\\033[2Jsuch.json')\"");
    EXPECT_EQ(p.status, 2) << p.all();
    EXPECT_NE(p.err.find("no?[2Jsuch.json"), std::string::npos) << p.err;
    expect_terminal_safe(p, "a path");
    Result u = run("\"$(printf 'run\\033[2J')\"");
    EXPECT_EQ(u.status, 2) << u.all();
    expect_terminal_safe(u, "an unknown command");
    Result o = run("run --driver smmuv3 \"$(printf '%sx\\033[2J' --)\"");
    EXPECT_EQ(o.status, 2) << o.all();
    expect_terminal_safe(o, "an unknown option");
}
