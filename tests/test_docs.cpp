// Docs stand alone: what a reader of the repository (or of an install) sees
// — README.md, docs/, the READMEs of fuzz/ and examples/, every --help, the
// clause catalog and the seeded-bug descriptions of `drivers --mutants` —
// cites nothing outside the repository, and every clause names its source.

#include "reference/clauses.h"

#include "tests/support/cli_runner.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <filesystem>
#include <regex>
#include <sstream>
#include <string>
#include <vector>

namespace svac {
namespace {

namespace fs = std::filesystem;
using test_support::read_file;

// What a reader of a clone cannot open: the steering repository beside it,
// its digests, and their short names ("LSH 2 FEAT-1", "TF 1.5").
const std::regex &outside_the_repository() {
    static const std::regex re(R"(\.\./shared|shared/spec|/work/shared|DESIGN\.md|)"
                               R"(table-formats\.md|linux-sva-history|modern-sva|)"
                               R"(spec/clauses\.md|\bLSH\b|\bTF [0-9])");
    return re;
}

// "where:line: text" for each line of text that cites something outside.
std::vector<std::string> outside_citations(const std::string &text, const std::string &where) {
    std::vector<std::string> hits;
    std::istringstream in(text);
    std::string line;
    for (int n = 1; std::getline(in, line); ++n)
        if (std::regex_search(line, outside_the_repository()))
            hits.push_back(where + ":" + std::to_string(n) + ": " + line);
    return hits;
}

std::string joined(const std::vector<std::string> &lines) {
    std::string s;
    for (const auto &l : lines) s += l + "\n";
    return s;
}

// The documents a reader opens: README.md, docs/*.md, fuzz/ and the example.
std::vector<fs::path> documents() {
    const fs::path src = SVAC_SOURCE_DIR;
    std::vector<fs::path> docs = {src / "README.md", src / "fuzz/README.md",
                                  src / "examples/driver_template/README.md"};
    for (const auto &e : fs::directory_iterator(src / "docs"))
        if (e.path().extension() == ".md") docs.push_back(e.path());
    std::sort(docs.begin() + 3, docs.end());
    return docs;
}

TEST(DocsStandAlone, TheDesignIsInTheRepository) {
    EXPECT_TRUE(fs::is_regular_file(fs::path(SVAC_SOURCE_DIR) / "docs/design.md"));
    EXPECT_NE(read_file(fs::path(SVAC_SOURCE_DIR) / "README.md").find("docs/design.md"),
              std::string::npos);
}

TEST(DocsStandAlone, DocumentsCiteNothingOutsideTheRepository) {
    std::vector<std::string> hits;
    for (const auto &doc : documents()) {
        ASSERT_TRUE(fs::is_regular_file(doc)) << doc;
        const auto rel = fs::relative(doc, SVAC_SOURCE_DIR).string();
        for (auto &h : outside_citations(read_file(doc), rel)) hits.push_back(std::move(h));
    }
    EXPECT_TRUE(hits.empty()) << joined(hits);
}

// Code comments, messages and build files too: every text file of the
// repository but this one (which spells the patterns out), what .gitignore
// keeps out (the build trees, reports/latest), .git and the binary seed
// corpora.
TEST(DocsStandAlone, SourcesCiteNothingOutsideTheRepository) {
    const fs::path src = SVAC_SOURCE_DIR;
    const std::string self = fs::path(__FILE__).filename().string();
    std::vector<std::string> hits;
    int files = 0;
    for (auto it = fs::recursive_directory_iterator(src); it != fs::recursive_directory_iterator();
         ++it) {
        const auto name = it->path().filename().string();
        if (it->is_directory()) {
            const auto rel = fs::relative(it->path(), src);
            if (name.rfind("build", 0) == 0 || name == ".git" || name == "corpus" ||
                rel == "reports/latest")
                it.disable_recursion_pending();
            continue;
        }
        if (!it->is_regular_file() || it->file_size() > (1u << 20) || name == self) continue;
        const std::string text = read_file(it->path());
        if (text.find('\0') != std::string::npos) continue; // binary
        ++files;
        for (auto &h : outside_citations(text, fs::relative(it->path(), src).string()))
            hits.push_back(std::move(h));
    }
    EXPECT_GT(files, 100);
    EXPECT_TRUE(hits.empty()) << joined(hits);
}

// Every docs/NAME.md a document names exists.
TEST(DocsStandAlone, DocumentsNameOnlyDocsThatExist) {
    static const std::regex named(R"(\bdocs/[A-Za-z0-9_-]+\.md\b)");
    std::vector<std::string> missing;
    for (const auto &doc : documents()) {
        const std::string text = read_file(doc);
        for (std::sregex_iterator it(text.begin(), text.end(), named), end; it != end; ++it)
            if (!fs::is_regular_file(fs::path(SVAC_SOURCE_DIR) / it->str()))
                missing.push_back(fs::relative(doc, SVAC_SOURCE_DIR).string() + " names " +
                                  it->str());
    }
    EXPECT_TRUE(missing.empty()) << joined(missing);
}

TEST(DocsStandAlone, EveryClauseNamesAPublicSource) {
    for (const auto &c : ref::clause_catalog()) {
        EXPECT_FALSE(c.source.empty()) << c.id << " has no source";
        const std::string source(c.source);
        EXPECT_FALSE(std::regex_search(source, outside_the_repository()))
            << c.id << " cites a source outside the repository: " << source;
    }
}

class DocsCli : public test_support::CliTest {
protected:
    DocsCli() : CliTest("svac_docs_") {}

    // The subcommands a --help output lists under "Subcommands:".
    static std::vector<std::string> subcommands(const std::string &help) {
        std::vector<std::string> names;
        const auto at = help.find("Subcommands:");
        if (at == std::string::npos) return names;
        static const std::regex entry(R"(^  ([a-z][a-z-]*)\b)");
        std::istringstream in(help.substr(at));
        std::string line;
        while (std::getline(in, line)) {
            std::smatch m;
            if (std::regex_search(line, m, entry)) names.push_back(m[1]);
        }
        return names;
    }

    // `sva-conform PATH --help` and, recursively, each subcommand's, with
    // what they cite outside the repository.
    void check_help(const std::string &path, std::vector<std::string> &hits, int &checked) {
        const auto r = run(path + (path.empty() ? "" : " ") + "--help");
        ASSERT_EQ(r.status, 0) << path << " --help:\n" << r.all();
        ++checked;
        for (auto &h : outside_citations(r.out, "sva-conform " + path + " --help"))
            hits.push_back(std::move(h));
        for (const auto &sub : subcommands(r.out))
            check_help(path.empty() ? sub : path + " " + sub, hits, checked);
    }
};

TEST_F(DocsCli, HelpCitesNothingOutsideTheRepository) {
    std::vector<std::string> hits;
    int checked = 0;
    check_help("", hits, checked);
    EXPECT_GE(checked, 15) << "the top level, its 12 subcommands and report's 2";
    EXPECT_TRUE(hits.empty()) << joined(hits);
}

TEST_F(DocsCli, ClausesJsonNamesASourceForEveryClause) {
    const auto r = run("clauses --json");
    ASSERT_EQ(r.status, 0) << r.all();
    const auto catalog = nlohmann::json::parse(r.out);
    ASSERT_EQ(catalog.size(), ref::kClauseCount);
    for (const auto &c : catalog) {
        const auto source = c.at("source").get<std::string>();
        EXPECT_FALSE(source.empty()) << c.at("id");
        EXPECT_FALSE(std::regex_search(source, outside_the_repository()))
            << c.at("id") << ": " << source;
    }
}

TEST_F(DocsCli, MutantDescriptionsCiteNothingOutsideTheRepository) {
    const auto r = run("drivers --mutants");
    ASSERT_EQ(r.status, 0) << r.all();
    const auto hits = outside_citations(r.out, "sva-conform drivers --mutants");
    EXPECT_TRUE(hits.empty()) << joined(hits);
}

} // namespace
} // namespace svac
