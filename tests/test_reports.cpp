// The report writers on report models built by hand: each format parsed back
// and checked against the model, hostile strings shown inert, the reader's
// located errors, the diff, the progress line.
#include "cli/progress.h"
#include "reports/diff.h"
#include "reports/escape.h"
#include "reports/writers.h"
#include "tests/reports/report_test_support.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <set>
#include <string>
#include <vector>

namespace {

namespace fs = std::filesystem;
using namespace svac;
using reports::json;
using test_support::sample_report;

std::size_t count(const std::string &s, const std::string &what) {
    std::size_t n = 0;
    for (auto p = s.find(what); p != std::string::npos; p = s.find(what, p + 1)) ++n;
    return n;
}

class Reports : public test_support::CliTest {
protected:
    Reports() : CliTest("svac_reports_") {}

    fs::path write(const std::string &name, const std::string &text) {
        fs::path p = dir_ / name;
        std::ofstream(p, std::ios::binary) << text;
        return p;
    }
};

TEST(ReportModel, JsonReadsBackToTheSameModel) {
    reports::Report r = sample_report();
    r.fuzz = {{"executions", 1000}};
    r.findings[0].tables = {{"after_step", 1}, {"iommus", json::array()}};
    const json j = reports::to_json(r);
    reports::Report back = reports::parse_report(j.dump(), "r.json");
    EXPECT_EQ(reports::to_json(back), j);
    EXPECT_EQ(back.command_line, r.command_line);
    EXPECT_EQ(back.library_sha256, r.library_sha256);
    // Every writer is a function of the model: the same text from the copy.
    for (const auto &f : reports::kFormats)
        EXPECT_EQ(reports::render(back, f.name), reports::render(r, f.name)) << f.name;
}

TEST(ReportModel, ReaderNamesThePlaceOfBadInput) {
    const std::string good = reports::to_json(sample_report()).dump(2);
    auto error = [](const std::string &text) {
        try {
            reports::parse_report(text, "x.json");
        } catch (const reports::ReportError &e) {
            return std::string(e.what());
        }
        return std::string("no error");
    };
    // Truncated: line and column.
    std::string truncated = error(good.substr(0, good.size() / 2));
    EXPECT_NE(truncated.find("x.json: line "), std::string::npos) << truncated;
    EXPECT_NE(truncated.find(", column "), std::string::npos) << truncated;
    EXPECT_NE(truncated.find("not valid JSON"), std::string::npos) << truncated;
    // A number no double holds: located, not an escaped nlohmann exception.
    EXPECT_EQ(error("{\n\"seed\": 1e99999}"),
              "x.json: line 2, column 9: number out of range: 1e99999");
    // Foreign JSON: a trace, an array, another format.
    EXPECT_NE(error(R"({"format":"sva-trace/1","ops":[]})").find("x.json: /format: expected"),
              std::string::npos);
    EXPECT_NE(error("[1,2]").find("x.json: /: expected a report object"), std::string::npos);
    // A wrong value deep inside: its JSON pointer.
    json j = reports::to_json(sample_report());
    j["clauses"][1]["status"] = "maybe";
    EXPECT_NE(error(j.dump()).find("x.json: /clauses/1/status: expected"), std::string::npos)
        << error(j.dump());
    j = reports::to_json(sample_report());
    j["findings"][0].erase("trace");
    EXPECT_NE(error(j.dump()).find("/findings/0: missing field \"trace\""), std::string::npos);
    j = reports::to_json(sample_report());
    j["stats"]["steps"] = -1;
    EXPECT_NE(error(j.dump()).find("/stats/steps: expected an unsigned integer"),
              std::string::npos);
    // An older report, before provenance: still read.
    j = reports::to_json(sample_report());
    j.erase("invocation");
    j["driver"].erase("library");
    EXPECT_EQ(error(j.dump()), "no error");
}

TEST(ReportEscape, EachContextEscapesWhatItMust) {
    EXPECT_EQ(reports::xml_escape("<a href='x'>&\"]]>"),
              "&lt;a href=&#39;x&#39;&gt;&amp;&quot;]]&gt;");
    // Control characters XML cannot carry, and invalid UTF-8, become U+FFFD;
    // valid UTF-8 stays.
    EXPECT_EQ(reports::xml_escape(std::string("a\x01"
                                              "b\xff"
                                              "c\tü",
                                              9)),
              "a\xEF\xBF\xBD"
              "b\xEF\xBF\xBD"
              "c\tü\xEF\xBF\xBD"); // and the NUL
    EXPECT_EQ(reports::md_escape("[x](http://e) *b* `c` <i> | a\nb"),
              "\\[x\\](http\\://e) \\*b\\* \\`c\\` &lt;i&gt; \\| a b");
    EXPECT_EQ(reports::term_escape("red\x1b[31m\x07"), "red?[31m?");
    EXPECT_EQ(reports::valid_utf8("\xc0\xaf"), "\xEF\xBF\xBD\xEF\xBF\xBD"); // overlong '/'
}

// A driver name and a finding message a hostile driver could choose.
const std::string kHostile =
    "evil<script>alert(1)</script>]]><![CDATA[x]]>[click](http://evil.example) "
    "<img src=x onerror=alert(2)> & \"q\" 'a' `b` *c* |t| @here";

TEST_F(Reports, HostileStringsAreShownInertInEveryFormat) {
    reports::Report r = sample_report(kHostile, kHostile);
    r.clauses[1].title = kHostile;
    r.errors = {kHostile};
    r.mutants = {{"rows", {{{"name", kHostile}}}}};

    const std::string html = reports::to_html(r);
    // The page has no script and no element from the strings; they are there, escaped.
    EXPECT_EQ(html.find("<script"), std::string::npos);
    EXPECT_EQ(html.find("<img"), std::string::npos);
    EXPECT_EQ(html.find("<![CDATA["), std::string::npos);
    EXPECT_GE(count(html, "evil&lt;script&gt;alert(1)&lt;/script&gt;]]&gt;"), 5u);
    EXPECT_NE(html.find("Content-Security-Policy"), std::string::npos);
    EXPECT_EQ(html.find("http://evil.example\""), std::string::npos); // never an attribute

    // JUnit: well-formed XML whose parsed values are the strings, unchanged.
    const fs::path xml = write("report.xml", reports::to_junit(r));
    auto parsed = test_support::run_check(dir_, "junit " + test_support::quote(xml.string()));
    ASSERT_EQ(parsed.status, 0) << parsed.out;
    json j = json::parse(parsed.out);
    std::string failure_message, error_message;
    for (const auto &s : j["suites"]) {
        EXPECT_EQ(s["properties"]["driver"], kHostile);
        for (const auto &c : s["cases"]) {
            if (c["status"] == "failure") failure_message = c["message"];
            if (c["status"] == "error") error_message = c["message"];
        }
    }
    EXPECT_EQ(failure_message, kHostile);
    EXPECT_EQ(error_message, kHostile);
    EXPECT_EQ(j["attrib"]["name"], "sva-conform: " + kHostile);

    // Markdown: no raw tag, no link, no emphasis; the text escaped.
    const std::string md = reports::to_markdown(r);
    EXPECT_EQ(md.find("<script"), std::string::npos);
    EXPECT_EQ(md.find("<img"), std::string::npos);
    EXPECT_EQ(md.find("[click]("), std::string::npos);
    EXPECT_NE(md.find("\\[click\\](http\\://evil.example)"), std::string::npos) << md;
    EXPECT_NE(md.find("&lt;script&gt;"), std::string::npos);
    EXPECT_EQ(md.find(" *c* "), std::string::npos);
    EXPECT_EQ(md.find("`b`"), std::string::npos);
    EXPECT_EQ(md.find(" @here"), std::string::npos);

    // SARIF is JSON: the strings come back exactly.
    const json sarif = json::parse(reports::render(r, "sarif"));
    const json &result = sarif["runs"][0]["results"][0];
    EXPECT_NE(result["message"]["text"].get<std::string>().find(kHostile), std::string::npos);
    EXPECT_EQ(sarif["runs"][0]["properties"]["driver"]["name"], kHostile);

    // The terminal: no escape sequence gets through the diff.
    reports::Report term = sample_report("x\x1b]0;pwned\x07", "m\x1b[2J");
    reports::Report clean = sample_report();
    clean.clauses[1].status = "pass";
    clean.findings.clear();
    const std::string text = reports::format_diff(reports::diff_reports(clean, term), term);
    EXPECT_EQ(text.find('\x1b'), std::string::npos) << text;
    EXPECT_NE(text.find("m?[2J"), std::string::npos) << text;
}

TEST_F(Reports, JunitHoldsOneCasePerClause) {
    const reports::Report r = sample_report();
    const fs::path xml = write("report.xml", reports::to_junit(r));
    auto parsed = test_support::run_check(dir_, "junit " + test_support::quote(xml.string()));
    ASSERT_EQ(parsed.status, 0) << parsed.out;
    const json j = json::parse(parsed.out);
    EXPECT_EQ(j["attrib"]["tests"], "3");
    EXPECT_EQ(j["attrib"]["failures"], "1");
    EXPECT_EQ(j["attrib"]["skipped"], "1");
    std::map<std::string, json> cases;
    for (const auto &s : j["suites"])
        for (const auto &c : s["cases"]) cases[c["name"]] = c;
    ASSERT_EQ(cases.size(), r.clauses.size());
    for (const auto &c : r.clauses) {
        const json &tc = cases.at(c.id);
        EXPECT_EQ(tc["classname"], "sva-conform.smmuv3." + c.group) << c.id;
        const std::string want = c.status == "pass"   ? "pass"
                                 : c.status == "fail" ? "failure"
                                                      : "skipped";
        EXPECT_EQ(tc["status"], want) << c.id;
        EXPECT_NE(tc["system_out"].get<std::string>().find(c.title), std::string::npos) << c.id;
    }
    const json &fail = cases.at("UNBIND-4");
    EXPECT_EQ(fail["message"], "unbind returned 0");
    EXPECT_EQ(fail["type"], "UNBIND-4");
    const std::string text = fail["text"];
    EXPECT_NE(text.find("diverged at step 1"), std::string::npos) << text;
    EXPECT_NE(text.find("  > 1 unbind dev=0 pasid=5 -> rc=0"), std::string::npos) << text;
    EXPECT_NE(text.find("expected: {\"rc\":[-22,-3]"), std::string::npos) << text;
}

TEST_F(Reports, SarifHasTheShapeCodeScanningReads) {
    reports::Report r = sample_report();
    r.clauses.push_back({"BIND-4", "BIND", "a rebind takes a reference", "fail", 2});
    reports::FindingRecord f2 = r.findings[0];
    f2.clause = "BIND-4";
    f2.step = 0;
    r.findings.push_back(f2);
    const fs::path p = write("report.sarif", reports::render(r, "sarif"));
    auto check = test_support::run_check(dir_, "sarif " + test_support::quote(p.string()));
    EXPECT_EQ(check.status, 0) << check.out;

    const json s = json::parse(test_support::read_file(p));
    EXPECT_EQ(s["version"], "2.1.0");
    const json &run = s["runs"][0];
    ASSERT_EQ(run["tool"]["driver"]["rules"].size(), r.clauses.size());
    for (std::size_t i = 0; i < r.clauses.size(); ++i) {
        EXPECT_EQ(run["tool"]["driver"]["rules"][i]["id"], r.clauses[i].id);
        EXPECT_EQ(run["tool"]["driver"]["rules"][i]["shortDescription"]["text"],
                  r.clauses[i].title);
    }
    ASSERT_EQ(run["results"].size(), 2u);
    const json &res = run["results"][0];
    EXPECT_EQ(res["ruleId"], "UNBIND-4");
    EXPECT_EQ(run["tool"]["driver"]["rules"][res["ruleIndex"].get<std::size_t>()]["id"],
              "UNBIND-4");
    EXPECT_EQ(res["locations"][0]["physicalLocation"]["artifactLocation"]["uri"],
              "findings/UNBIND-4.json");
    EXPECT_EQ(res["locations"][0]["logicalLocations"][0]["name"], "unbind");
    EXPECT_EQ(res["locations"][0]["logicalLocations"][0]["fullyQualifiedName"], "smmuv3::unbind");
    EXPECT_EQ(res["properties"]["trace"], r.findings[0].trace);

    // Fingerprints: stable across runs (another seed, message, step, time), distinct
    // per clause and per driver.
    const std::string fp = res["partialFingerprints"]["svaConformFinding/v1"];
    EXPECT_EQ(fp.size(), 16u);
    EXPECT_NE(fp, run["results"][1]["partialFingerprints"]["svaConformFinding/v1"]);
    reports::Report again = r;
    again.seed = 99;
    again.started = "2027-01-01T00:00:00Z";
    again.findings[0].message = "another wording";
    again.findings[0].step = 0;
    EXPECT_EQ(reports::to_sarif(again)["runs"][0]["results"][0]["partialFingerprints"],
              res["partialFingerprints"]);
    reports::Report other = r;
    other.driver_name = "vtd";
    EXPECT_NE(reports::to_sarif(other)["runs"][0]["results"][0]["partialFingerprints"],
              res["partialFingerprints"]);

    // A SARIF file without fingerprints or locations fails the shape check.
    json broken = s;
    broken["runs"][0]["results"][0].erase("partialFingerprints");
    broken["runs"][0]["results"][1]["locations"] = json::array({json::object()});
    const fs::path bp = write("broken.sarif", broken.dump());
    auto bad = test_support::run_check(dir_, "sarif " + test_support::quote(bp.string()));
    EXPECT_EQ(bad.status, 1) << bad.out;
    EXPECT_NE(bad.out.find("partialFingerprints"), std::string::npos) << bad.out;
}

TEST(ReportWriters, HtmlAndMarkdownCarryTheModel) {
    reports::Report r = sample_report();
    r.formal = {
        {"checks", {{{"name", "smmuv3 CD codec"}, {"result", "proved"}, {"seconds", 0.2}}}}};
    r.findings[0].tables = {
        {"after_step", 1},
        {"iommus",
         {{{"iommu", 0},
           {"arch", "smmuv3"},
           {"entries",
            {{{"table", "STE"},
              {"key", "sid 0"},
              {"pa", 4096},
              {"raw", {1, 0}},
              {"fields", {{"V", 1}, {"S1ContextPtr", 0x2000}, {"Zero", 0}}}}}}}}}};
    const std::string html = reports::to_html(r);
    EXPECT_NE(html.find("id=\"clause-matrix\""), std::string::npos);
    EXPECT_NE(html.find("<tr id=\"clause-UNBIND-4\" class=\"fail\">"), std::string::npos);
    EXPECT_NE(html.find("<tr id=\"clause-HW-9\" class=\"untested\">"), std::string::npos);
    EXPECT_NE(html.find("id=\"finding-UNBIND-4\""), std::string::npos);
    EXPECT_NE(
        html.find("<tr class=\"step diverged\"><td class=\"num\">1</td><td><code>unbind</code>"),
        std::string::npos);
    EXPECT_NE(html.find("S1ContextPtr=0x2000"), std::string::npos);
    EXPECT_EQ(html.find("Zero=0"), std::string::npos);
    EXPECT_NE(html.find("smmuv3 CD codec"), std::string::npos);
    EXPECT_NE(html.find("id=\"formal\""), std::string::npos);
    EXPECT_EQ(html.find("id=\"fuzz\""), std::string::npos); // absent sections stay absent
    EXPECT_NE(html.find(std::string(64, 'a')), std::string::npos);
    EXPECT_NE(html.find("--out &#39;dir with space&#39;"), std::string::npos);
    // Nothing is fetched: no src=, no external href, no url().
    EXPECT_EQ(html.find("src="), std::string::npos);
    EXPECT_EQ(html.find("url("), std::string::npos);
    EXPECT_EQ(html.find("href=\"http"), std::string::npos);

    const std::string md = reports::to_markdown(r);
    EXPECT_NE(md.find("is **nonconformant**"), std::string::npos) << md;
    EXPECT_NE(md.find("| 3 | 1 | 1 | 1 | 0 | 1 | 100 | 3200 | 1.5 s |"), std::string::npos) << md;
    EXPECT_NE(md.find("- **UNBIND-4**"), std::string::npos) << md;
    EXPECT_NE(md.find("step 1 (unbind) of a 2-op trace; 4 sequences"), std::string::npos) << md;
}

TEST(ReportDiff, NewFailuresFixedClausesAndStatistics) {
    reports::Report before = sample_report(), after = sample_report();
    before.clauses[1].status = "pass";
    before.findings.clear();
    before.verdict = "conformant";
    after.clauses[0].status = "untested";
    after.steps = 9999;
    reports::ReportDiff d = reports::diff_reports(before, after);
    EXPECT_EQ(d.new_failures, std::vector<std::string>{"UNBIND-4"});
    EXPECT_TRUE(d.fixed.empty());
    EXPECT_EQ(d.lost_coverage, std::vector<std::string>{"FEAT-1"});
    EXPECT_TRUE(d.regression());
    std::string text = reports::format_diff(d, after);
    EXPECT_NE(text.find("new failures (1):\n  UNBIND-4"), std::string::npos) << text;
    EXPECT_NE(text.find("verdict: conformant -> nonconformant"), std::string::npos) << text;
    EXPECT_NE(text.find("steps: 3200 -> 9999"), std::string::npos) << text;
    EXPECT_NE(text.find("regression: 1 new failure"), std::string::npos) << text;

    reports::ReportDiff back = reports::diff_reports(after, before);
    EXPECT_FALSE(back.regression());
    EXPECT_EQ(back.fixed, std::vector<std::string>{"UNBIND-4"});
    EXPECT_EQ(back.new_coverage, std::vector<std::string>{"FEAT-1"});
    EXPECT_NE(reports::format_diff(back, before).find("no new failure"), std::string::npos);

    reports::ReportDiff same = reports::diff_reports(after, after);
    EXPECT_FALSE(same.regression());
    EXPECT_TRUE(same.stats.empty());
    reports::Report fewer = after;
    fewer.clauses.erase(fewer.clauses.begin() + 1); // UNBIND-4 gone: not a failure any more
    reports::ReportDiff gone = reports::diff_reports(after, fewer);
    EXPECT_EQ(gone.removed, std::vector<std::string>{"UNBIND-4"});
    EXPECT_EQ(gone.fixed, std::vector<std::string>{"UNBIND-4"});
    EXPECT_EQ(reports::diff_reports(fewer, after).added, std::vector<std::string>{"UNBIND-4"});
    EXPECT_EQ(reports::diff_reports(fewer, after).new_failures,
              std::vector<std::string>{"UNBIND-4"});
    reports::Report errs = after;
    errs.errors = {"driver refused the topology"};
    EXPECT_TRUE(reports::diff_reports(after, errs).regression());
}

// sample_report with a clause that cannot apply (an SMMUv3 rule on VT-d
// topologies) beside the untested one.
reports::Report with_not_applicable() {
    reports::Report r = sample_report("vtd");
    reports::ClauseResult na{"SMMU-CD-1", "SMMU", "the CD holds the mm's ASID", "not-applicable",
                             0};
    na.reason = "SMMUv3 rule; the campaign's topologies had VT-d IOMMUs only";
    r.clauses.push_back(na);
    return r;
}

TEST(ReportModel, NotApplicableReadsBackWithItsReason) {
    const reports::Report r = with_not_applicable();
    const json j = reports::to_json(r);
    EXPECT_EQ(j["clauses"][3]["status"], "not-applicable");
    EXPECT_EQ(j["clauses"][3]["reason"], r.clauses[3].reason);
    EXPECT_FALSE(j["clauses"][2].contains("reason")); // untested: no reason field
    const reports::Report back = reports::parse_report(j.dump(), "r.json");
    EXPECT_EQ(back.clauses[3].reason, r.clauses[3].reason);
    EXPECT_EQ(reports::to_json(back), j);
    json no_reason = j;
    no_reason["clauses"][3].erase("reason");
    try {
        reports::parse_report(no_reason.dump(), "x.json");
        ADD_FAILURE() << "a not-applicable clause without a reason was read";
    } catch (const reports::ReportError &e) {
        EXPECT_EQ(std::string(e.what()),
                  "x.json: /clauses/3/reason: a not-applicable clause says why it cannot apply");
    }
    const reports::ClauseCounts n = reports::count_clauses(r);
    EXPECT_EQ(reports::counts_text(n), "1 pass, 1 fail, 1 untested, 1 not applicable");
}

TEST_F(Reports, JunitHasNoSkippedCaseForANotApplicableClause) {
    const reports::Report r = with_not_applicable();
    const fs::path xml = write("report.xml", reports::to_junit(r));
    auto parsed = test_support::run_check(dir_, "junit " + test_support::quote(xml.string()));
    ASSERT_EQ(parsed.status, 0) << parsed.out;
    const json j = json::parse(parsed.out);
    EXPECT_EQ(j["attrib"]["tests"], "3");   // SMMU-CD-1 is no test case
    EXPECT_EQ(j["attrib"]["skipped"], "1"); // HW-9, untested
    std::set<std::string> names, suites;
    for (const auto &s : j["suites"]) {
        suites.insert(s["attrib"]["name"].get<std::string>());
        for (const auto &c : s["cases"]) names.insert(c["name"].get<std::string>());
        EXPECT_EQ(s["properties"]["clauses.not_applicable"],
                  "SMMU-CD-1: SMMUv3 rule; the campaign's topologies had VT-d IOMMUs only");
        EXPECT_EQ(s["properties"]["clauses"], "1 pass, 1 fail, 1 untested, 1 not applicable");
    }
    EXPECT_EQ(names, (std::set<std::string>{"FEAT-1", "UNBIND-4", "HW-9"}));
    EXPECT_FALSE(suites.count("sva-conform.vtd.SMMU")); // a group that cannot apply: no suite
}

TEST(ReportWriters, FindingsComeBeforeTheClauseTableAndNotApplicableSaysWhy) {
    const reports::Report r = with_not_applicable();
    const std::string html = reports::to_html(r);
    const auto findings = html.find("<section id=\"findings\">");
    const auto matrix = html.find("<section id=\"clauses\">");
    ASSERT_NE(findings, std::string::npos);
    ASSERT_NE(matrix, std::string::npos);
    EXPECT_LT(findings, matrix);
    EXPECT_LT(html.find("id=\"finding-UNBIND-4\""), matrix);
    EXPECT_NE(html.find("<tr id=\"clause-SMMU-CD-1\" class=\"not-applicable\"><td><code>SMMU-CD-1"
                        "</code></td><td class=\"status not-applicable\">not applicable</td>"),
              std::string::npos);
    EXPECT_NE(html.find("<span class=\"reason\">SMMUv3 rule; the campaign&#39;s topologies had "
                        "VT-d IOMMUs only</span>"),
              std::string::npos);
    EXPECT_NE(html.find("1 untested</span>, <span class=\"status not-applicable\">1 not "
                        "applicable</span>"),
              std::string::npos);

    const std::string md = reports::to_markdown(r);
    const auto md_findings = md.find("**Findings**");
    const auto md_table = md.find("| clause | status | checks | statement |");
    ASSERT_NE(md_findings, std::string::npos) << md;
    ASSERT_NE(md_table, std::string::npos) << md;
    EXPECT_LT(md_findings, md_table);
    EXPECT_NE(md.find("| 4 | 1 | 1 | 1 | 1 | 1 | 100 | 3200 | 1.5 s |"), std::string::npos) << md;
    EXPECT_NE(md.find("| SMMU-CD-1 | not applicable | 0 | the CD holds the mm's ASID (SMMUv3 "
                      "rule; the campaign's topologies had VT-d IOMMUs only) |"),
              std::string::npos)
        << md;
    EXPECT_NE(md.find("| HW-9 | untested | 0 |"), std::string::npos) << md;

    const json sarif = reports::to_sarif(r);
    const json &run = sarif["runs"][0];
    EXPECT_EQ(run["properties"]["clauses"]["not_applicable"], 1);
    EXPECT_EQ(run["properties"]["clauses"]["untested"], 1);
    EXPECT_EQ(run["tool"]["driver"]["rules"][3]["properties"]["status"], "not-applicable");
    EXPECT_EQ(run["tool"]["driver"]["rules"][3]["properties"]["reason"], r.clauses[3].reason);
}

TEST(ReportWriters, FormalSaysWhichCodeItCovers) {
    reports::Report r = sample_report();
    EXPECT_EQ(reports::formal_text(r), ""); // no section, nothing said
    r.formal = {{"covers", "the kit's SMMUv3 codec"},
                {"format", "smmuv3"},
                {"verdict", "proved"},
                {"checks", {{{"name", "codec.smmuv3"}}, {{"name", "layout.smmuv3"}}}}};
    EXPECT_EQ(reports::formal_text(r), "proved: 2 Z3 checks; they cover the kit's SMMUv3 codec");
    EXPECT_NE(reports::to_markdown(r).find("**Formal results** proved: 2 Z3 checks; they cover "
                                           "the kit's SMMUv3 codec"),
              std::string::npos);
    EXPECT_NE(reports::to_junit(r).find("<property name=\"formal\" value=\"proved: 2 Z3 checks; "
                                        "they cover the kit&#39;s SMMUv3 codec\"/>"),
              std::string::npos);
    r.formal = {{"covers", "none of this driver's code"}, {"omitted", "not a plugin's code"}};
    EXPECT_EQ(reports::formal_text(r),
              "left out: not a plugin's code; they cover none of this driver's code");
    const std::string html = reports::to_html(r);
    EXPECT_NE(html.find("<dt>covers</dt><dd>none of this driver&#39;s code</dd>"),
              std::string::npos);
}

TEST(ReportDiff, NotApplicableIsAScopeChangeNeitherAFixNorALoss) {
    reports::Report smmu = sample_report(), vtd = sample_report();
    for (auto &c : vtd.clauses) {
        c.status = "not-applicable";
        c.reason = "SMMUv3 rule";
    }
    vtd.findings.clear();
    const reports::ReportDiff d = reports::diff_reports(smmu, vtd);
    EXPECT_EQ(d.now_not_applicable, (std::vector<std::string>{"FEAT-1", "UNBIND-4", "HW-9"}));
    EXPECT_TRUE(d.fixed.empty());         // UNBIND-4 failed; it cannot apply now: not fixed
    EXPECT_TRUE(d.lost_coverage.empty()); // FEAT-1 passed; it cannot apply now: not lost
    EXPECT_FALSE(d.regression());
    const std::string text = reports::format_diff(d, vtd);
    EXPECT_NE(text.find("no longer applicable (3): FEAT-1 UNBIND-4 HW-9"), std::string::npos)
        << text;
    EXPECT_NE(text.find("clauses not applicable: 0 -> 3"), std::string::npos) << text;
    const reports::ReportDiff back = reports::diff_reports(vtd, smmu);
    EXPECT_EQ(back.now_applicable, (std::vector<std::string>{"FEAT-1", "UNBIND-4", "HW-9"}));
    EXPECT_EQ(back.new_failures, std::vector<std::string>{"UNBIND-4"});
    EXPECT_TRUE(back.new_coverage.empty());
    EXPECT_TRUE(back.regression());
}

TEST(ReportDiff, AFailureOfAClauseTheNewProfileDoesNotBindIsNotFixed) {
    reports::Report rfc = sample_report(), modern = sample_report();
    modern.profile = "linux-6.16";
    std::erase_if(modern.clauses,
                  [](const reports::ClauseResult &c) { return c.id == "UNBIND-4"; });
    modern.findings.clear();
    const reports::ReportDiff d = reports::diff_reports(rfc, modern);
    EXPECT_EQ(d.removed, std::vector<std::string>{"UNBIND-4"});
    EXPECT_TRUE(d.fixed.empty()); // UNBIND-4 failed; linux-6.16 has no such rule: not fixed
    EXPECT_EQ(d.now_not_applicable, std::vector<std::string>{"UNBIND-4"});
    // The same profile: a clause gone from the catalog with its failure is fixed, as before.
    modern.profile = rfc.profile;
    EXPECT_EQ(reports::diff_reports(rfc, modern).fixed, std::vector<std::string>{"UNBIND-4"});
}

TEST(ProgressLine, SaysDoneRateFindingsAndTimeLeft) {
    cli::ProgressSample s;
    s.done = 1000;
    s.total = 4000;
    s.work = 2'400'000;
    s.findings = 1;
    s.elapsed_s = 2;
    EXPECT_EQ(cli::ProgressLine::format(s),
              "1000/4000 sequences, 1.2M steps/s, 1 finding, 0:06 left");
    s.budget_s = 5; // the budget ends first
    EXPECT_EQ(cli::ProgressLine::format(s),
              "1000/4000 sequences, 1.2M steps/s, 1 finding, 0:03 left");
    cli::ProgressSample m;
    m.done = 3;
    m.unit = "mutants";
    m.work_unit = "";
    m.findings = 2;
    m.elapsed_s = 1;
    m.note = "vtd:x";
    EXPECT_EQ(cli::ProgressLine::format(m), "3 mutants, 2 findings [vtd:x]");
    // Off the terminal nothing is drawn.
    cli::ProgressLine off(false);
    EXPECT_FALSE(off.enabled());
    off.update(s, true);
}

} // namespace
