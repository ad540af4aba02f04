// The HTML report in a real browser: Debian's chromium, headless, renders
// the report of a run with a finding; the rendered DOM must hold the clause
// matrix and the finding's step-by-step trace, and the screenshot is kept in
// the build directory as an artifact.
#include "tests/support/cli_runner.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <string>

namespace {

namespace fs = std::filesystem;
using json = nlohmann::json;
using svac::test_support::quote;
using svac::test_support::read_file;

std::string find_chromium() {
    for (const char *p : {"/usr/bin/chromium", "/usr/bin/chromium-browser"})
        if (fs::exists(p)) return p;
    return "";
}

std::size_t count(const std::string &s, const std::string &what) {
    std::size_t n = 0;
    for (auto p = s.find(what); p != std::string::npos; p = s.find(what, p + 1)) ++n;
    return n;
}

uint32_t be32(const std::string &s, std::size_t at) {
    return uint32_t(uint8_t(s[at])) << 24 | uint32_t(uint8_t(s[at + 1])) << 16 |
           uint32_t(uint8_t(s[at + 2])) << 8 | uint32_t(uint8_t(s[at + 3]));
}

TEST(ReportBrowser, ChromiumRendersTheClauseMatrixAndTheFindingsTrace) {
    const std::string chromium = find_chromium();
    if (chromium.empty())
        GTEST_SKIP() << "chromium is not installed (scripts/install-deps installs it): the HTML "
                        "report was not rendered in a browser";
    const fs::path dir = fs::path(SVAC_BUILD_DIR) / "artifacts" / "report-browser";
    fs::remove_all(dir);
    fs::create_directories(dir);

    // A run with a finding on a table rule: the report has decoded table entries too.
    auto run = svac::test_support::run_cli(
        dir, "run --driver vtd --seed 2 --sequences 150 --generator plain --mutant exit-no-fpd "
             "--out run");
    ASSERT_EQ(run.status, 1) << run.all();
    const fs::path html = dir / "run" / "report.html";
    const json report = json::parse(read_file(dir / "run" / "report.json"));
    ASSERT_EQ(report["findings"].size(), 1u) << report["findings"].dump();
    const json &finding = report["findings"][0];

    const std::string common = "timeout 60 " + quote(chromium) +
                               " --headless --no-sandbox --disable-gpu --hide-scrollbars "
                               "--user-data-dir=" +
                               quote((dir / "profile").string()) + " --window-size=1280,2400 ";
    const std::string url = quote("file://" + html.string());
    const fs::path dom_path = dir / "dom.html", shot = dir / "screenshot.png";
    std::string cmd = common + "--dump-dom " + url + " > " + quote(dom_path.string()) + " 2> " +
                      quote((dir / "chromium-dom.log").string());
    ASSERT_EQ(std::system(cmd.c_str()), 0) << cmd << "\n" << read_file(dir / "chromium-dom.log");
    cmd = common + "--screenshot=" + quote(shot.string()) + " " + url + " > " +
          quote((dir / "chromium-shot.log").string()) + " 2>&1";
    ASSERT_EQ(std::system(cmd.c_str()), 0) << cmd << "\n" << read_file(dir / "chromium-shot.log");

    const std::string dom = read_file(dom_path);
    ASSERT_GT(dom.size(), 1000u) << dom;
    // The clause matrix: every clause a row, the broken one marked fail.
    EXPECT_NE(dom.find("<table id=\"clause-matrix\" class=\"matrix\">"), std::string::npos);
    EXPECT_EQ(count(dom, "<tr id=\"clause-"), report["clauses"].size());
    const std::string clause = finding["clause"];
    EXPECT_NE(dom.find("<tr id=\"clause-" + clause + "\" class=\"fail\">"), std::string::npos)
        << clause;
    EXPECT_NE(dom.find("id=\"verdict\" class=\"verdict nonconformant\""), std::string::npos);
    // The finding: its trace step by step, the diverging op marked, the tables decoded.
    EXPECT_NE(dom.find("id=\"finding-" + clause + "\""), std::string::npos);
    const std::size_t steps = finding["trace"]["ops"].size();
    EXPECT_EQ(count(dom, "<tr class=\"step"), steps) << "one row per op of the trace";
    const std::string diverged = finding["trace"]["ops"][finding["step"].get<std::size_t>()]["op"];
    EXPECT_NE(dom.find("<tr class=\"step diverged\"><td class=\"num\">" +
                       std::to_string(finding["step"].get<std::size_t>()) + "</td><td><code>" +
                       diverged + "</code>"),
              std::string::npos)
        << diverged;
    EXPECT_NE(dom.find("<table class=\"entries\">"), std::string::npos);
    EXPECT_EQ(dom.find("<script"), std::string::npos);

    // The screenshot: a PNG of the window's size.
    const std::string png = read_file(shot);
    ASSERT_GT(png.size(), 20000u) << read_file(dir / "chromium-shot.log");
    EXPECT_EQ(png.substr(1, 3), "PNG");
    EXPECT_EQ(be32(png, 16), 1280u);
    EXPECT_EQ(be32(png, 20), 2400u);
    std::cout << "screenshot: " << shot.string() << "\nrendered DOM: " << dom_path.string()
              << std::endl;
    RecordProperty("screenshot", shot.string());
}

} // namespace
