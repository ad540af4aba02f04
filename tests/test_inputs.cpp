// Inputs that must not break the kit (issue "Trust in every verdict": files
// and algorithms): JSON nested deeper than the stack, duplicate keys, a
// directory, an endless file, long values quoted in errors, wrong-typed
// report fields; and the structures that keep a 4096-bind trace and 400,000
// frees linear (HeldPasids, SimMemory), checked against plain models.
#include "engine/platform.h"
#include "engine/trace.h"
#include "reference/pasid_runs.h"
#include "reports/diff.h"
#include "reports/json_text.h"
#include "reports/writers.h"
#include "tests/reports/report_test_support.h"
#include "tests/support/big_inputs.h"
#include "tests/support/cli_runner.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <random>
#include <set>
#include <string>
#include <vector>

namespace {

namespace fs = std::filesystem;
using namespace svac;
using json = nlohmann::ordered_json;
using test_support::deep_json;
using test_support::deep_json_column;

std::string parse_error(std::string_view text) {
    std::string error;
    auto j = reports::parse_json_text(text, &error);
    return j ? "parsed" : error;
}

std::string place(std::size_t line, std::size_t column) {
    return "line " + std::to_string(line) + ", column " + std::to_string(column);
}

// ---- JSON text: depth, duplicate keys, excerpts ----

TEST(JsonText, NestingDeeperThanTheLimitNamesItsPlace) {
    const std::size_t too_deep = reports::kMaxJsonDepth + 1;
    EXPECT_EQ(parse_error(deep_json(50'000)),
              place(1, deep_json_column(too_deep)) + ": nested deeper than " +
                  std::to_string(reports::kMaxJsonDepth) + " levels");
    EXPECT_EQ(parse_error(deep_json(reports::kMaxJsonDepth)), "parsed");
    EXPECT_NE(parse_error(deep_json(too_deep)).find("nested deeper"), std::string::npos);
    // Objects count as arrays do.
    std::string objects;
    for (std::size_t i = 0; i < too_deep; ++i) objects += "{\"a\":";
    EXPECT_EQ(parse_error(objects + "1" + std::string(too_deep, '}')),
              place(1, 1 + 5 * reports::kMaxJsonDepth) + ": nested deeper than " +
                  std::to_string(reports::kMaxJsonDepth) + " levels");
}

TEST(JsonText, DuplicateKeyNamesBothPlaces) {
    EXPECT_EQ(parse_error("{\n  \"a\": 1,\n  \"b\": {\"a\": 2},\n  \"a\": 3\n}"),
              place(4, 3) + ": duplicate key \"a\" (first at " + place(2, 3) + ")");
    // The same key in different objects, or after an escaped quote, is fine.
    EXPECT_EQ(parse_error(R"({"a": {"a": 1}, "b": [{"a": 1}, {"a": 2}], "c\"": 1, "c": 2})"),
              "parsed");
    EXPECT_EQ(parse_error(R"({"x": 1, "q\"\\": 2, "q\"\\": 3})"),
              place(1, 22) + R"(: duplicate key "q\"\\" (first at )" + place(1, 10) + ")");
}

TEST(JsonText, SyntaxErrorsKeepTheirPlace) {
    EXPECT_EQ(parse_error("{\"a\":\n  [1,]}").rfind(place(2, 6) + ": not valid JSON: ", 0), 0u);
    EXPECT_EQ(parse_error("{\n\"seed\": 1e99999}"), place(2, 9) + ": number out of range: 1e99999");
}

TEST(JsonText, ErrorsQuoteAShortExcerpt) {
    // A megabyte-long string cut by a control character: nlohmann's message
    // quotes the whole token it read.
    const std::string huge(1 << 20, 'x');
    std::string e = parse_error("{\"a\": \"" + huge + "\n\"}");
    EXPECT_NE(e.find("not valid JSON"), std::string::npos) << e.substr(0, 200);
    EXPECT_LT(e.size(), 400u) << e.substr(0, 400);
    EXPECT_NE(e.find(std::string(reports::kExcerptChars - 1, 'x') + "…"), std::string::npos) << e;
    // A value the trace reader rejects.
    try {
        engine::parse_trace(R"({"format": ")" + huge + R"(", "topology": {}, "ops": []})",
                            "t.json");
        ADD_FAILURE() << "accepted";
    } catch (const engine::InputError &err) {
        const std::string what = err.what();
        EXPECT_LT(what.size(), 200u) << what.substr(0, 400);
        EXPECT_EQ(what.rfind("t.json: /format: expected \"sva-trace/1\", got \"xxx", 0), 0u)
            << what;
    }
    // An unknown key, as long.
    try {
        engine::parse_trace(R"({")" + huge + R"(": 1})", "t.json");
        ADD_FAILURE() << "accepted";
    } catch (const engine::InputError &err) {
        EXPECT_LT(std::string(err.what()).size(), 250u) << std::string(err.what()).substr(0, 400);
    }
    EXPECT_EQ(reports::excerpt_text("short"), "short");
    // Cut between characters, not inside one.
    std::string accents;
    for (std::size_t i = 0; i < reports::kExcerptChars + 5; ++i) accents += "é";
    std::string cut;
    for (std::size_t i = 0; i < reports::kExcerptChars; ++i) cut += "é";
    EXPECT_EQ(reports::excerpt_text(accents), cut + "…");
}

// ---- Files: a directory, an endless file ----

TEST(JsonFile, DirectoryAndEndlessFileSayWhy) {
    std::string error;
    EXPECT_FALSE(reports::read_json_file(::testing::TempDir(), &error));
    EXPECT_EQ(error, "is a directory");
    EXPECT_FALSE(reports::read_json_file("/dev/zero", &error));
    EXPECT_EQ(error, "larger than 64 MiB");
    EXPECT_FALSE(reports::read_json_file("/nonexistent/x.json", &error));
    EXPECT_EQ(error, "cannot open: No such file or directory");
}

// ---- Through the command: check-trace, replay, report render, report diff ----

class InputCli : public test_support::CliTest {
protected:
    InputCli() : CliTest("svac_inputs_") {}

    fs::path write(const std::string &name, const std::string &text) {
        std::ofstream(dir_ / name, std::ios::binary) << text;
        return dir_ / name;
    }
    // Each command that reads a trace or a report, on `file`.
    std::vector<std::string> commands(const std::string &file) {
        write("good-report.json", reports::to_json(test_support::sample_report()).dump(2));
        return {"check-trace " + file, "replay --driver smmuv3 " + file,
                "report render --format html " + file, "report diff " + file + " good-report.json",
                "report diff good-report.json " + file};
    }
    // Every command exits 2 with `message` (and no other line of error).
    void expect_input_error(const std::string &file, const std::string &message) {
        for (const auto &cmd : commands(file)) {
            auto r = run(cmd);
            EXPECT_EQ(r.status, 2) << cmd << "\n" << r.all().substr(0, 2000);
            EXPECT_NE(r.err.find(message), std::string::npos) << cmd << "\n"
                                                              << r.err.substr(0, 2000);
        }
    }
};

TEST_F(InputCli, DeepNestingExits2WithThePlace) {
    const std::string text = deep_json(50'000);
    ASSERT_GE(text.size(), 100'000u);
    write("deep.json", text);
    expect_input_error("deep.json",
                       "deep.json: " + place(1, deep_json_column(reports::kMaxJsonDepth + 1)) +
                           ": nested deeper than 256 levels");
}

TEST_F(InputCli, DuplicateKeyExits2WithThePlace) {
    write("dup.json", "{\"format\": \"sva-trace/1\",\n \"format\": \"sva-report/1\"}");
    expect_input_error("dup.json", "dup.json: " + place(2, 2) +
                                       ": duplicate key \"format\" (first at " + place(1, 2) + ")");
}

TEST_F(InputCli, DirectoryExits2) {
    fs::create_directories(dir_ / "adir");
    expect_input_error("adir", "adir: is a directory");
}

TEST_F(InputCli, EndlessFileExits2) {
    for (const std::string cmd : {"check-trace /dev/zero", "report render /dev/zero"}) {
        auto r = run(cmd);
        EXPECT_EQ(r.status, 2) << cmd << "\n" << r.all().substr(0, 2000);
        EXPECT_NE(r.err.find("/dev/zero: larger than 64 MiB"), std::string::npos) << cmd << r.err;
    }
}

// ---- The report reader: a wrong-typed field is a located error ----

// Every value in j, by JSON pointer.
void pointers(const json &j, const std::string &at, std::vector<std::string> &out) {
    out.push_back(at);
    if (j.is_object())
        for (auto it = j.begin(); it != j.end(); ++it)
            pointers(it.value(), at + "/" + it.key(), out);
    else if (j.is_array())
        for (std::size_t i = 0; i < j.size(); ++i)
            pointers(j[i], at + "/" + std::to_string(i), out);
}

TEST(ReportReader, EveryFieldOfEveryTypeIsReadOrRefusedWithItsPlace) {
    reports::Report r = test_support::sample_report();
    r.findings[0].tables = {{"after_step", 1},
                            {"iommus",
                             {{{"iommu", 0},
                               {"arch", "smmuv3"},
                               {"entries",
                                {{{"table", "STE"},
                                  {"key", "sid 0"},
                                  {"pa", 4096},
                                  {"raw", {1, 2}},
                                  {"fields", {{"V", 1}}}}}}}}}};
    r.formal = {{"proved", 3}, {"results", {{{"name", "x"}, {"status", "proved"}}}}};
    r.fuzz = {{"executions", 10}};
    r.mutants = {{"killed", 1}};
    r.errors = {"an error"};
    const json good = reports::to_json(r);
    const reports::Report base = reports::parse_report(good.dump(), "good.json");
    std::vector<std::string> all;
    pointers(good, "", all);
    const std::vector<json> wrong = {nullptr, true, -1, 1.5, "text", json::array(), json::object()};
    std::size_t refused = 0, read = 0;
    for (const auto &at : all) {
        for (const json &w : wrong) {
            if (at.empty()) continue;
            json bad = good;
            bad[json::json_pointer(at)] = w;
            const std::string label = at + " = " + w.dump();
            try {
                reports::Report back = reports::parse_report(bad.dump(), "REPORT");
                for (const auto &[format, file] : reports::kFormats)
                    EXPECT_NO_THROW(reports::render(back, format)) << label << " " << format;
                EXPECT_NO_THROW(reports::format_diff(reports::diff_reports(base, back), back))
                    << label;
                EXPECT_NO_THROW(reports::format_diff(reports::diff_reports(back, base), base))
                    << label;
                ++read;
            } catch (const reports::ReportError &e) {
                // Located: the source, then the place where the value is or a parent of it.
                const std::string what = e.what();
                EXPECT_EQ(what.rfind("REPORT: /", 0), 0u) << label << ": " << what;
                const std::string where = what.substr(8, what.find(": ", 8) - 8);
                EXPECT_EQ(at.rfind(where == "/" ? "" : where, 0), 0u) << label << ": " << what;
                ++refused;
            } catch (const std::exception &e) {
                ADD_FAILURE() << label << ": not a located error: " << e.what();
            }
        }
    }
    EXPECT_GT(refused, 0u);
    EXPECT_GT(read, 0u);
}

TEST(ReportReader, ClauseStatusOfAnotherTypeSaysSo) {
    json j = reports::to_json(test_support::sample_report());
    j["clauses"][2]["status"] = 3;
    try {
        reports::parse_report(j.dump(), "REPORT");
        ADD_FAILURE() << "accepted";
    } catch (const reports::ReportError &e) {
        EXPECT_STREQ(e.what(), "REPORT: /clauses/2/status: expected a string, got number");
    }
}

// ---- The structures behind the algorithms, against plain models ----

// HeldPasids against a multiset of held PASIDs scanned from lo: the same
// choice and the same count of holders in a range after every hold and
// release (two mms may hold one PASID when a driver handed out a taken one).
TEST(HeldPasids, MatchesAScanOfTheHeldSet) {
    std::mt19937 rng(15);
    ref::HeldPasids held;
    std::multiset<uint32_t> model;
    auto scan = [&](uint32_t lo, uint32_t hi) -> uint32_t {
        for (uint64_t p = lo; p <= hi; ++p)
            if (p != 0 && !model.count(static_cast<uint32_t>(p))) return static_cast<uint32_t>(p);
        return 0;
    };
    for (int step = 0; step < 20'000; ++step) {
        const uint32_t p = 1 + rng() % 200;
        const bool shared_allowed = step >= 10'000; // each PASID one holder at first
        if ((rng() % 3 != 0 && (shared_allowed || !model.count(p))) || model.empty()) {
            held.hold(p);
            model.insert(p);
        } else {
            auto it = model.begin();
            std::advance(it, rng() % model.size());
            held.release(*it);
            model.erase(it);
        }
        const uint32_t lo = 1 + rng() % 210, hi = lo + rng() % 50;
        ASSERT_EQ(held.lowest_free(lo, hi), scan(lo, hi))
            << "step " << step << " [" << lo << ", " << hi << "]";
        ASSERT_EQ(held.held(p), model.count(p) != 0);
        uint64_t in_range = 0;
        for (uint32_t q : model) in_range += q >= lo && q <= hi;
        ASSERT_EQ(held.holders_in(lo, hi), in_range) << "step " << step;
    }
    // The ends of the 32-bit space.
    ref::HeldPasids edge;
    edge.hold(UINT32_MAX);
    edge.hold(UINT32_MAX - 1);
    EXPECT_EQ(edge.lowest_free(UINT32_MAX - 1, UINT32_MAX), 0u);
    edge.release(UINT32_MAX);
    EXPECT_EQ(edge.lowest_free(UINT32_MAX - 1, UINT32_MAX), UINT32_MAX);
    EXPECT_EQ(edge.lowest_free(0, 5), 0u) << "PASID 0 is no PASID";
}

// SimMemory: blocks freed in the order they were allocated (the order that
// was quadratic) and in others: each frees once, its words read 0 and take
// no store, the others keep theirs, and the usage counts follow.
TEST(SimMemory, FreesInAnyOrderKeepEveryOtherBlock) {
    using Owner = engine::SimMemory::Owner;
    for (int order = 0; order < 3; ++order) {
        engine::SimMemory mem;
        const std::size_t n = 5000;
        std::vector<uint64_t> pa;
        for (std::size_t i = 0; i < n; ++i) {
            pa.push_back(mem.alloc(8 * (1 + i % 4), 8, i % 5 ? Owner::driver : Owner::harness));
            ASSERT_NE(pa.back(), 0u);
            ASSERT_TRUE(mem.hw_write64(pa.back(), i + 1));
        }
        std::vector<std::size_t> idx(n);
        for (std::size_t i = 0; i < n; ++i) idx[i] = i;
        if (order == 1) std::reverse(idx.begin(), idx.end());
        if (order == 2) std::shuffle(idx.begin(), idx.end(), std::mt19937(7));
        std::vector<bool> freed(n);
        for (std::size_t k = 0; k < n; ++k) {
            const std::size_t i = idx[k];
            const Owner owner = i % 5 ? Owner::driver : Owner::harness;
            const Owner other = i % 5 ? Owner::harness : Owner::driver;
            ASSERT_FALSE(mem.free(pa[i], other)) << i;
            if (i % 4 != 0) {
                ASSERT_FALSE(mem.free(pa[i] + 8, owner)) << "inside block " << i;
            }
            ASSERT_TRUE(mem.free(pa[i], owner)) << "order " << order << " block " << i;
            freed[i] = true;
            ASSERT_FALSE(mem.free(pa[i], owner)) << "freed twice: " << i;
            EXPECT_EQ(mem.read64(pa[i]), 0u);
            EXPECT_FALSE(mem.hw_write64(pa[i], 1)) << i;
            // A neighbour still allocated keeps its word and takes stores.
            if (k % 97 == 0)
                for (std::size_t j = 0; j < n; j += 13)
                    if (!freed[j]) {
                        ASSERT_EQ(mem.read64(pa[j]), j + 1) << "after freeing " << i;
                        ASSERT_TRUE(
                            mem.write64(pa[j], j + 1, j % 5 ? Owner::driver : Owner::harness));
                    }
        }
        EXPECT_EQ(mem.owned(Owner::driver).blocks, 0u);
        EXPECT_EQ(mem.owned(Owner::harness).blocks, 0u);
        EXPECT_NE(mem.alloc(8, 8, Owner::driver), 0u);
        EXPECT_EQ(mem.owned(Owner::driver).blocks, 1u);
    }
}

} // namespace
