// The reports of real runs, through the command: the five files and the HTML
// path, provenance, `report render` and `report diff` (exit 1 on a new
// failure, 2 with the place on bad input), every report and trace against
// the JSON Schemas, JUnit and SARIF parsed back, hostile strings inert, the
// progress line on a terminal.
#include "reports/writers.h"
#include "tests/reports/report_test_support.h"

#include <svac/driver_abi.h>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <string>
#include <vector>

namespace {

namespace fs = std::filesystem;
using json = nlohmann::ordered_json;
using svac::test_support::quote;
using svac::test_support::read_file;
using svac::test_support::run_check;
using svac::test_support::run_cli;

constexpr const char *kMutant = "param-min-zero"; // vtd: breaks PARAM-2

// The campaigns the tests read, each run once per process, when a test first
// needs it (ctest runs each test in a process of its own): a conformant run,
// a run against a mutant, and runs whose traces reach the hardware and the
// fault path on both architectures (the plain generator keeps long, varied
// traces).
const std::map<std::string, std::string> kCampaigns = {
    {"ok", "run --driver vtd --seed 3 --sequences 300 --out ok"},
    {"bad",
     std::string("run --driver vtd --seed 3 --sequences 300 --mutant ") + kMutant + " --out bad"},
    {"vtd-plain",
     "run --driver vtd --seed 2 --sequences 150 --generator plain --mutant exit-no-fpd --out "
     "vtd-plain"},
    {"vtd-iopf", "run --driver vtd --seed 2 --sequences 150 --generator plain --mutant "
                 "resp-drops-pasid --out vtd-iopf"},
    {"smmu-iopf", "run --driver smmuv3 --seed 2 --sequences 30 --generator plain --mutant "
                  "pri-resp-drops-ssid --out smmu-iopf"},
    // A driver that invalidates with the wrong domain ID (VTD-PE-4): a command finding.
    {"vtd-did", "run --driver vtd --seed 2 --sequences 150 --generator plain --mutant "
                "inv-wrong-did --out vtd-did"}};

class ReportCli : public ::testing::Test {
protected:
    static void SetUpTestSuite() {
        dir_ = fs::path(::testing::TempDir()) / ("svac_reports_cli_" + std::to_string(::getpid()));
        fs::remove_all(dir_);
        fs::create_directories(dir_);
    }
    static void TearDownTestSuite() {
        std::error_code ec;
        if (!::testing::UnitTest::GetInstance()->failed_test_count()) fs::remove_all(dir_, ec);
        runs_.clear();
    }

    // The campaign `name` of kCampaigns, run on first use.
    static const svac::test_support::CliResult &campaign(const std::string &name) {
        auto it = runs_.find(name);
        if (it == runs_.end()) it = runs_.emplace(name, run_cli(dir_, kCampaigns.at(name))).first;
        return it->second;
    }

    static json load(const fs::path &p) { return json::parse(read_file(p)); }
    static fs::path write(const std::string &name, const std::string &text) {
        std::ofstream(dir_ / name, std::ios::binary) << text;
        return dir_ / name;
    }

    static inline fs::path dir_;
    static inline std::map<std::string, svac::test_support::CliResult> runs_;
};

TEST_F(ReportCli, RunWritesFiveFilesAndPrintsTheHtmlPath) {
    const auto &ok = campaign("ok"), &bad = campaign("bad");
    ASSERT_EQ(ok.status, 0) << ok.all();
    ASSERT_EQ(bad.status, 1) << bad.all();
    for (const auto &[r, d] : {std::pair{&ok, "ok"}, std::pair{&bad, "bad"}}) {
        EXPECT_NE(r->out.find(std::string("html: ") + d + "/report.html"), std::string::npos)
            << r->out;
        for (const auto &f : svac::reports::kFormats) {
            const fs::path p = dir_ / d / f.file;
            ASSERT_TRUE(fs::exists(p)) << p;
            // `report render` of report.json gives the file the run wrote, byte for byte:
            // the reader loses nothing the writers show.
            auto rendered = run_cli(dir_, std::string("report render ") + d +
                                              "/report.json --format " + std::string(f.name));
            ASSERT_EQ(rendered.status, 0) << rendered.all();
            EXPECT_EQ(rendered.out, read_file(p)) << p;
        }
    }
    auto to_file = run_cli(dir_, "report render bad/report.json --format md -o out/summary.md");
    EXPECT_EQ(to_file.status, 2) << to_file.all(); // no such directory: the user's to fix
    EXPECT_NE(to_file.err.find("-o: out/summary.md"), std::string::npos) << to_file.err;
    to_file = run_cli(dir_, "report render bad/report.json --format md -o summary.md");
    ASSERT_EQ(to_file.status, 0) << to_file.all();
    EXPECT_EQ(read_file(dir_ / "summary.md"), read_file(dir_ / "bad" / "report.md"));
    auto unknown = run_cli(dir_, "report render bad/report.json --format pdf");
    EXPECT_EQ(unknown.status, 2);
}

TEST_F(ReportCli, ProvenanceNamesToolDriverLibraryCommandAndHost) {
    ASSERT_EQ(campaign("bad").status, 1) << campaign("bad").all();
    const json r = load(dir_ / "bad" / "report.json");
    EXPECT_FALSE(r["tool"]["version"].get<std::string>().empty());
    EXPECT_FALSE(r["tool"]["commit"].get<std::string>().empty());
    EXPECT_EQ(r["driver"]["name"], std::string("vtd:") + kMutant);
    EXPECT_EQ(r["driver"]["abi_version"], SVAC_ABI_VERSION);
    const json &lib = r["driver"]["library"];
    EXPECT_EQ(lib["kind"], "bundled");
    EXPECT_EQ(fs::path(lib["path"].get<std::string>()), fs::canonical(SVAC_CLI));
    // The hash is the executable's, as sha256sum computes it.
    const std::string cmd = "sha256sum " + quote(SVAC_CLI) + " > " + quote((dir_ / "sum").string());
    ASSERT_EQ(std::system(cmd.c_str()), 0);
    EXPECT_EQ(read_file(dir_ / "sum").substr(0, 64), lib["sha256"]);
    const std::vector<std::string> words = r["invocation"]["command_line"];
    const std::vector<std::string> want = {"run",   "--driver",    "vtd", "--seed",
                                           "3",     "--sequences", "300", "--mutant",
                                           kMutant, "--out",       "bad"};
    ASSERT_EQ(words.size(), want.size() + 1);
    EXPECT_EQ(std::vector<std::string>(words.begin() + 1, words.end()), want);
    EXPECT_FALSE(r["invocation"]["host"].get<std::string>().empty());
    EXPECT_EQ(r["profile"], "rfc2019");
    EXPECT_EQ(r["seed"], 3);
    EXPECT_GT(r["duration_s"].get<double>(), 0);
    // And the other formats carry it.
    EXPECT_NE(read_file(dir_ / "bad" / "report.html").find(lib["sha256"].get<std::string>()),
              std::string::npos);
    EXPECT_NE(read_file(dir_ / "bad" / "report.xml")
                  .find("<property name=\"driver.library.sha256\" value=\"" +
                        lib["sha256"].get<std::string>() + "\"/>"),
              std::string::npos);
}

TEST_F(ReportCli, DiffOfAConformantAndAMutantRunIsARegression) {
    ASSERT_EQ(campaign("ok").status, 0) << campaign("ok").all();
    ASSERT_EQ(campaign("bad").status, 1) << campaign("bad").all();
    auto d = run_cli(dir_, "report diff ok/report.json bad/report.json");
    EXPECT_EQ(d.status, 1) << d.all();
    EXPECT_NE(d.out.find("new failures (1):\n  PARAM-2  set_sva_param with min == 0"),
              std::string::npos)
        << d.out;
    EXPECT_NE(d.out.find("verdict: conformant -> nonconformant"), std::string::npos) << d.out;
    EXPECT_NE(d.out.find(std::string("driver: vtd 0.2.0 -> vtd:") + kMutant), std::string::npos)
        << d.out;
    EXPECT_NE(d.out.find("regression: 1 new failure"), std::string::npos) << d.out;

    auto fixed = run_cli(dir_, "report diff bad/report.json ok/report.json");
    EXPECT_EQ(fixed.status, 0) << fixed.all();
    EXPECT_NE(fixed.out.find("fixed (1): PARAM-2"), std::string::npos) << fixed.out;
    EXPECT_NE(fixed.out.find("new failures (0)"), std::string::npos) << fixed.out;

    auto same = run_cli(dir_, "report diff bad/report.json bad/report.json");
    EXPECT_EQ(same.status, 0) << same.all();
    EXPECT_NE(same.out.find("still failing (1): PARAM-2"), std::string::npos) << same.out;
    EXPECT_NE(same.out.find("statistics: unchanged"), std::string::npos) << same.out;
}

TEST_F(ReportCli, TruncatedOrForeignJsonExits2WithThePlace) {
    ASSERT_EQ(campaign("bad").status, 1) << campaign("bad").all();
    const std::string text = read_file(dir_ / "bad" / "report.json");
    write("trunc.json", text.substr(0, text.size() * 2 / 3));
    for (const std::string cmd :
         {"report render trunc.json", "report diff bad/report.json trunc.json"}) {
        auto r = run_cli(dir_, cmd);
        EXPECT_EQ(r.status, 2) << cmd << ": " << r.all();
        EXPECT_NE(r.err.find("trunc.json: line "), std::string::npos) << r.err;
        EXPECT_NE(r.err.find(", column "), std::string::npos) << r.err;
    }
    // A trace is JSON, but not a report.
    auto trace = run_cli(dir_, "report render bad/findings/PARAM-2.json");
    EXPECT_EQ(trace.status, 2) << trace.all();
    EXPECT_NE(trace.err.find("bad/findings/PARAM-2.json: /format: expected \"sva-report/1\""),
              std::string::npos)
        << trace.err;
    json wrong = load(dir_ / "bad" / "report.json");
    wrong["findings"][0]["step"] = "zero";
    write("wrong.json", wrong.dump());
    auto w = run_cli(dir_, "report diff wrong.json bad/report.json");
    EXPECT_EQ(w.status, 2) << w.all();
    EXPECT_NE(w.err.find("wrong.json: /findings/0/step: expected an unsigned integer"),
              std::string::npos)
        << w.err;
    auto missing = run_cli(dir_, "report diff nothing.json bad/report.json");
    EXPECT_EQ(missing.status, 2);
    EXPECT_NE(missing.err.find("nothing.json: cannot open"), std::string::npos) << missing.err;
}

TEST_F(ReportCli, EveryReportAndTraceHoldsToItsSchema) {
    ASSERT_EQ(campaign("ok").status, 0) << campaign("ok").all();
    ASSERT_EQ(campaign("bad").status, 1) << campaign("bad").all();
    for (const char *run : {"vtd-plain", "vtd-iopf", "smmu-iopf"})
        ASSERT_EQ(campaign(run).status, 1) << campaign(run).all();
    std::string files;
    std::size_t reports = 0, traces = 0;
    std::set<std::string> ops;
    std::vector<fs::path> files_of_runs;
    for (const char *run : {"ok", "bad", "vtd-plain", "vtd-iopf", "smmu-iopf"})
        for (const auto &e : fs::recursive_directory_iterator(dir_ / run))
            if (e.path().extension() == ".json") files_of_runs.push_back(e.path());
    for (const auto &e : files_of_runs) {
        const json j = load(e);
        if (!j.is_object() || !j.contains("format")) continue;
        (j["format"] == "sva-report/1" ? reports : traces)++;
        if (j["format"] == "sva-trace/1")
            for (const auto &op : j["ops"]) ops.insert(op["op"].get<std::string>());
        files += " " + quote(e.string());
    }
    for (const auto &e : fs::directory_iterator(fs::path(SVAC_SOURCE_DIR) / "examples" / "traces"))
        if (e.path().extension() == ".json") {
            files += " " + quote(e.path().string());
            ++traces;
        }
    EXPECT_EQ(reports, 5u);
    EXPECT_GE(traces, 5u);
    // The traces reach the hardware and the fault path, not only the API.
    for (const char *op : {"bind", "dma", "mm_exit", "page_request", "page_response"})
        EXPECT_TRUE(ops.count(op)) << op;
    auto v = run_check(dir_, "schema" + files);
    EXPECT_EQ(v.status, 0) << v.out;
    EXPECT_EQ(std::count(v.out.begin(), v.out.end(), '\n'), static_cast<long>(reports + traces))
        << v.out;

    // The schemas reject what the parser and the reader reject.
    json report = load(dir_ / "bad" / "report.json");
    json t = report["findings"][0]["trace"];
    t["ops"][0]["devv"] = 0; // a typo
    write("typo-trace.json", t.dump());
    json r1 = report;
    r1.erase("invocation");
    write("no-provenance.json", r1.dump());
    json r2 = report;
    r2["verdict"] = "fine";
    write("bad-verdict.json", r2.dump());
    json r3 = report;
    r3["findings"][0]["trace"]["ops"][0]["op"] = "teleport";
    write("bad-op.json", r3.dump());
    json r4 = report; // not applicable, and not saying why
    r4["clauses"][0]["status"] = "not-applicable";
    r4["clauses"][0].erase("reason");
    write("na-no-reason.json", r4.dump());
    json r5 = report; // a reason on a clause that can apply
    r5["clauses"][0]["status"] = "untested";
    r5["clauses"][0]["reason"] = "why";
    write("reason-untested.json", r5.dump());
    auto bad = run_check(dir_, "schema --expect-invalid typo-trace.json no-provenance.json "
                               "bad-verdict.json bad-op.json na-no-reason.json "
                               "reason-untested.json");
    EXPECT_EQ(bad.status, 0) << bad.out;
}

TEST_F(ReportCli, JunitAndSarifOfARunParseBackToTheReport) {
    ASSERT_EQ(campaign("bad").status, 1) << campaign("bad").all();
    const json r = load(dir_ / "bad" / "report.json");
    auto parsed = run_check(dir_, "junit " + quote((dir_ / "bad" / "report.xml").string()));
    ASSERT_EQ(parsed.status, 0) << parsed.out;
    const json j = json::parse(parsed.out);
    std::map<std::string, json> cases;
    for (const auto &s : j["suites"])
        for (const auto &c : s["cases"]) cases[c["name"]] = c;
    std::size_t skipped = 0, not_applicable = 0;
    for (const auto &c : r["clauses"]) {
        if (c["status"] == "not-applicable") { // no test case: CI would count it skipped
            ++not_applicable;
            EXPECT_FALSE(cases.count(c["id"])) << c["id"];
            continue;
        }
        const json &tc = cases.at(c["id"]);
        skipped += c["status"] == "untested";
        EXPECT_EQ(tc["status"], c["status"] == "pass"   ? "pass"
                                : c["status"] == "fail" ? "failure"
                                                        : "skipped")
            << c["id"];
    }
    EXPECT_EQ(j["attrib"]["skipped"], std::to_string(skipped));
    EXPECT_GT(not_applicable, 0u);
    EXPECT_EQ(cases.size() + not_applicable, r["clauses"].size());
    EXPECT_EQ(cases.at("PARAM-2")["message"], r["findings"][0]["message"]);
    EXPECT_NE(cases.at("PARAM-2")["text"].get<std::string>().find(r["findings"][0]["trace"].dump()),
              std::string::npos);

    const fs::path sarif = dir_ / "bad" / "report.sarif";
    auto shape = run_check(dir_, "sarif " + quote(sarif.string()));
    EXPECT_EQ(shape.status, 0) << shape.out;
    const json s = load(sarif);
    const json &results = s["runs"][0]["results"];
    ASSERT_EQ(results.size(), r["findings"].size());
    EXPECT_EQ(results[0]["ruleId"], "PARAM-2");
    // The physical location is the finding's trace file beside the report.
    const std::string uri =
        results[0]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"];
    EXPECT_TRUE(fs::exists(dir_ / "bad" / uri)) << uri;
    EXPECT_EQ(load(dir_ / "bad" / uri), r["findings"][0]["trace"]);
}

TEST_F(ReportCli, HostileStringsInAReportStayInert) {
    ASSERT_EQ(campaign("bad").status, 1) << campaign("bad").all();
    const std::string hostile = "<script>alert(1)</script>]]>[x](http://evil.example)";
    json r = load(dir_ / "bad" / "report.json");
    r["driver"]["name"] = hostile;
    r["findings"][0]["message"] = hostile;
    r["findings"][0]["trace"]["ops"][0]["op"] = hostile;
    write("hostile.json", r.dump());
    for (const char *f : {"html", "md"}) {
        auto out = run_cli(dir_, std::string("report render hostile.json --format ") + f);
        ASSERT_EQ(out.status, 0) << out.all();
        EXPECT_EQ(out.out.find("<script"), std::string::npos) << f;
        EXPECT_NE(out.out.find("&lt;script&gt;"), std::string::npos) << f;
        // A Markdown link is inert in HTML; in Markdown it must be escaped.
        if (std::string(f) == "md") {
            EXPECT_EQ(out.out.find("[x](http"), std::string::npos);
        }
    }
    auto xml = run_cli(dir_, "report render hostile.json --format junit -o hostile.xml");
    ASSERT_EQ(xml.status, 0) << xml.all();
    auto parsed = run_check(dir_, "junit " + quote((dir_ / "hostile.xml").string()));
    ASSERT_EQ(parsed.status, 0) << parsed.out;
    const json j = json::parse(parsed.out);
    EXPECT_EQ(j["suites"][0]["properties"]["driver"], hostile);
    bool seen = false;
    for (const auto &s : j["suites"])
        for (const auto &c : s["cases"])
            if (c["status"] == "failure") {
                EXPECT_EQ(c["message"], hostile);
                seen = true;
            }
    EXPECT_TRUE(seen);
    auto sarif = run_cli(dir_, "report render hostile.json --format sarif");
    ASSERT_EQ(sarif.status, 0) << sarif.all();
    EXPECT_EQ(json::parse(sarif.out)["runs"][0]["properties"]["driver"]["name"], hostile);
}

// The clauses of a run's report.json by ID.
std::map<std::string, json> clauses_of(const json &report) {
    std::map<std::string, json> by_id;
    for (const auto &c : report["clauses"]) by_id[c["id"]] = c;
    return by_id;
}

TEST_F(ReportCli, VtdRunShowsSmmuClausesNotApplicableInEveryFormat) {
    const auto &ok = campaign("ok"); // run --driver vtd
    ASSERT_EQ(ok.status, 0) << ok.all();
    const json r = load(dir_ / "ok" / "report.json");
    std::size_t smmu = 0, untested = 0, not_applicable = 0;
    for (const auto &[id, c] : clauses_of(r)) {
        untested += c["status"] == "untested";
        not_applicable += c["status"] == "not-applicable";
        if (c["group"] != "SMMU") continue;
        ++smmu;
        EXPECT_EQ(c["status"], "not-applicable") << id;
        EXPECT_EQ(c["checks"], 0) << id;
        EXPECT_EQ(c["reason"], "SMMUv3 rule; the campaign's topologies had VT-d IOMMUs only") << id;
    }
    EXPECT_EQ(smmu, 14u); // the SMMU-* rules that bind linux-6.1
    // No VT-d topology has a device that stalls: the stall rule cannot apply either.
    EXPECT_EQ(clauses_of(r).at("IOPF-8")["status"], "not-applicable");
    // The summary counts both, apart.
    EXPECT_NE(ok.out.find("untested, " + std::to_string(not_applicable) + " not applicable\n"),
              std::string::npos)
        << ok.out;
    EXPECT_NE(ok.out.find(", " + std::to_string(untested) + " untested, "), std::string::npos)
        << ok.out;

    // JUnit: no test case for them, so no skipped test; the untested ones stay skipped.
    auto parsed = run_check(dir_, "junit " + quote((dir_ / "ok" / "report.xml").string()));
    ASSERT_EQ(parsed.status, 0) << parsed.out;
    const json j = json::parse(parsed.out);
    EXPECT_EQ(j["attrib"]["skipped"], std::to_string(untested));
    for (const auto &suite : j["suites"]) {
        EXPECT_NE(suite["attrib"]["name"], "sva-conform.vtd.SMMU");
        for (const auto &c : suite["cases"])
            EXPECT_NE(c["name"].get<std::string>().rfind("SMMU-", 0), 0u) << c["name"];
        EXPECT_NE(suite["properties"]["clauses.not_applicable"].get<std::string>().find(
                      "SMMU-STE-1, SMMU-CD-1"),
                  std::string::npos);
    }
    // Markdown and HTML: the status and the reason.
    const std::string md = read_file(dir_ / "ok" / "report.md");
    EXPECT_NE(md.find("| SMMU-STE-1 | not applicable | 0 |"), std::string::npos) << md;
    EXPECT_NE(md.find("(SMMUv3 rule; the campaign's topologies had VT-d IOMMUs only) |"),
              std::string::npos);
    const std::string html = read_file(dir_ / "ok" / "report.html");
    EXPECT_NE(html.find("<tr id=\"clause-SMMU-STE-1\" class=\"not-applicable\">"),
              std::string::npos);
    EXPECT_NE(html.find(std::to_string(not_applicable) + " not applicable</span>"),
              std::string::npos);
}

TEST_F(ReportCli, SmmuRunShowsVtdClausesNotApplicable) {
    ASSERT_EQ(campaign("smmu-iopf").status, 1) << campaign("smmu-iopf").all();
    const auto clauses = clauses_of(load(dir_ / "smmu-iopf" / "report.json"));
    std::size_t vtd = 0;
    for (const auto &[id, c] : clauses) {
        if (c["group"] == "VTD") {
            ++vtd;
            EXPECT_EQ(c["status"], "not-applicable") << id;
            EXPECT_EQ(c["reason"], "VT-d rule; the campaign's topologies had SMMUv3 IOMMUs only")
                << id;
        } else if (c["group"] == "SMMU") {
            EXPECT_NE(c["status"], "not-applicable") << id;
        }
    }
    EXPECT_EQ(vtd, 9u);
}

TEST_F(ReportCli, FormalSectionSaysWhichCodeItCovers) {
    ASSERT_EQ(campaign("ok").status, 0) << campaign("ok").all();
    const json bundled = load(dir_ / "ok" / "report.json")["formal"];
    ASSERT_TRUE(bundled.is_object()) << bundled;
    EXPECT_EQ(bundled.begin().key(), "covers");
    const std::string covers = bundled["covers"];
    EXPECT_NE(covers.find("VT-d driver's PASID index functions and PASID entry writer"),
              std::string::npos)
        << covers;
    EXPECT_EQ(covers.find("SMMUv3"), std::string::npos) << covers;
    EXPECT_EQ(bundled["verdict"], "proved");
    EXPECT_FALSE(bundled["checks"].empty());

    // A plugin: the checks prove none of its code; the section says so and runs none.
    auto plugin =
        run_cli(dir_, "run --driver-lib " + quote(std::string(SVAC_PLUGIN_DIR) + "/vtd_plugin.so") +
                          " --no-isolate --sequences 5 --out plugin");
    ASSERT_EQ(plugin.status, 0) << plugin.all();
    const json formal = load(dir_ / "plugin" / "report.json")["formal"];
    EXPECT_EQ(formal["covers"], "none of this driver's code") << formal;
    EXPECT_NE(formal["omitted"].get<std::string>().find("not a plugin's code"), std::string::npos);
    EXPECT_FALSE(formal.contains("checks"));
    EXPECT_FALSE(formal.contains("verdict"));
    EXPECT_NE(read_file(dir_ / "plugin" / "report.md")
                  .find("**Formal results** left out: the Z3 checks prove the kit's own code"),
              std::string::npos);
    EXPECT_NE(read_file(dir_ / "plugin" / "report.html").find("<dt>omitted</dt>"),
              std::string::npos);
}

// The finding of `clause` in a run's report.json.
json finding_of(const json &report, const std::string &clause) {
    for (const auto &f : report["findings"])
        if (f["clause"] == clause) return f;
    return nullptr;
}

TEST_F(ReportCli, ACommandFindingShowsTheDueInvalidationAndTheCommandsIssued) {
    ASSERT_EQ(campaign("vtd-did").status, 1) << campaign("vtd-did").all();
    const json f = finding_of(load(dir_ / "vtd-did" / "report.json"), "VTD-PE-4");
    ASSERT_TRUE(f.is_object()) << load(dir_ / "vtd-did" / "report.json")["findings"].dump();
    // Expected: the invalidation that was due, with the DID the entry holds.
    const std::string due = f["expected"]["due"];
    const auto at = due.rfind("naming DID ");
    ASSERT_NE(at, std::string::npos) << due;
    const std::string did = due.substr(at + 11);
    // Actual: the descriptors the driver issued, decoded, none naming that DID.
    ASSERT_TRUE(f["actual"].contains("commands")) << f["actual"].dump();
    std::size_t pasid_cache = 0;
    for (const auto &c : f["actual"]["commands"]) {
        const std::string text = c;
        if (text.find("PASID-cache inv") == std::string::npos) continue; // "iommu N: " first
        ++pasid_cache;
        EXPECT_EQ(text.find("did=" + did + " "), std::string::npos) << text << " / " << due;
    }
    EXPECT_GT(pasid_cache, 0u) << f["actual"].dump();
    ASSERT_TRUE(f["actual"].contains("stores")) << f["actual"].dump(); // P cleared
    for (const auto &st : f["actual"]["stores"])
        EXPECT_NE(st.get<std::string>().find(" -> "), std::string::npos) << st;
    // The HTML and JUnit show them with the finding.
    EXPECT_NE(read_file(dir_ / "vtd-did" / "report.html").find("&quot;due&quot;"),
              std::string::npos);
    EXPECT_NE(read_file(dir_ / "vtd-did" / "report.xml").find("PASID-cache inv"),
              std::string::npos);
}

TEST_F(ReportCli, ReplayHwPrintsEachOpsStoresAndCommands) {
    ASSERT_EQ(campaign("vtd-did").status, 1) << campaign("vtd-did").all();
    const std::string trace = "vtd-did/findings/VTD-PE-4.json";
    ASSERT_TRUE(fs::exists(dir_ / trace));
    const std::string driver = " --driver vtd --mutant inv-wrong-did";
    auto hw = run_cli(dir_, "replay " + trace + driver + " --hw");
    ASSERT_EQ(hw.status, 1) << hw.all();
    auto plain = run_cli(dir_, "replay " + trace + driver);
    ASSERT_EQ(plain.status, 1) << plain.all();
    EXPECT_NE(hw.out.find("\n        store    0x"), std::string::npos) << hw.out;
    const auto command = hw.out.find("\n        command  ");
    EXPECT_NE(command, std::string::npos) << hw.out;
    EXPECT_NE(hw.out.find("PASID-cache inv G=1 did=", command), std::string::npos) << hw.out;
    EXPECT_EQ(plain.out.find("        command  "), std::string::npos) << plain.out;
    EXPECT_EQ(plain.out.find("        store    "), std::string::npos) << plain.out;
    // The op lines are the same: --hw only adds lines under them.
    std::string kept;
    for (std::size_t p = 0, e; p < hw.out.size(); p = e + 1) {
        e = hw.out.find('\n', p);
        if (e == std::string::npos) e = hw.out.size();
        const std::string line = hw.out.substr(p, e - p);
        if (line.rfind("        store    ", 0) != 0 && line.rfind("        command  ", 0) != 0)
            kept += line + "\n";
    }
    EXPECT_EQ(kept, plain.out);
    // Isolated, the child prints them the same.
    auto isolated = run_cli(dir_, "replay " + trace + driver + " --hw --isolate");
    EXPECT_EQ(isolated.out, hw.out) << isolated.all();
    auto both = run_cli(dir_, "replay " + trace + driver + " --hw --quiet");
    EXPECT_EQ(both.status, 2) << both.all();
}

TEST_F(ReportCli, ProgressLineOnATerminalOnly) {
    // `script` gives the command a terminal; CI unset.
    const fs::path out = dir_ / "pty.txt";
    const std::string run = quote(SVAC_CLI) + " run --driver vtd --sequences 100 --out pty";
    std::string cmd = "cd " + quote(dir_.string()) + " && env -u CI script -qefc " + quote(run) +
                      " /dev/null > " + quote(out.string()) + " 2>&1 </dev/null";
    ASSERT_EQ(std::system(cmd.c_str()), 0) << cmd;
    const std::string tty = read_file(out);
    EXPECT_NE(tty.find("\r100/100 sequences, "), std::string::npos) << tty;
    EXPECT_NE(tty.find(" steps/s, 0 findings, 0:00 left\x1b[K"), std::string::npos) << tty;
    EXPECT_NE(tty.find("\r\x1b[Kdriver vtd"), std::string::npos)
        << tty; // erased before the summary
    // With CI set, or without a terminal: no progress line.
    cmd = "cd " + quote(dir_.string()) + " && CI=1 script -qefc " + quote(run) + " /dev/null > " +
          quote(out.string()) + " 2>&1 </dev/null";
    ASSERT_EQ(std::system(cmd.c_str()), 0) << cmd;
    EXPECT_EQ(read_file(out).find(" steps/s"), std::string::npos) << read_file(out);
    // Nor under run_cli (no terminal, CI set).
    const auto &ok = campaign("ok");
    EXPECT_EQ(ok.err.find(" steps/s"), std::string::npos) << ok.err;
}

} // namespace
