// check-tables: snapshots (sva-snapshot/1) judged by the hardware model and
// the table invariants. Each invariant is broken in a snapshot made for it
// and must be caught at that entry's address under its clause; the bundled
// drivers' tables and the tables Linux 6.1 wrote under QEMU pass; probes
// walk the model; bad snapshots are refused with the place and the reason.
#include "engine/check_tables.h"
#include "engine/driver.h"
#include "engine/engine.h"
#include "engine/platform.h"
#include "engine/snapshot.h"
#include "engine/trace.h"
#include "models/registry.h"
#include "reference/invariants.h"
#include "reference/smmuv3_format.h"
#include "tests/reports/report_test_support.h"
#include "tests/support/cli_runner.h"
#include "tests/support/sva_traces.h"

#include <fmt/format.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <filesystem>
#include <fstream>
#include <map>
#include <random>
#include <set>
#include <string>

using namespace svac;
namespace fs = std::filesystem;
using nlohmann::json;

namespace {

const std::string kDataDir = std::string(SVAC_SOURCE_DIR) + "/tests/data/";

// The tables a bundled driver left after the two-by-two trace, as a snapshot.
engine::Snapshot bundled_snapshot(const char *driver, ref::Arch arch) {
    const engine::Trace t = test_support::two_by_two(arch);
    std::optional<engine::Snapshot> snap;
    engine::RunStats stats;
    auto f = engine::run_differential(
        *models::find_bundled(driver)->entry(), t, stats, nullptr,
        [&](engine::DriverInstance &inst) {
            engine::Platform &p = inst.platform();
            snap = engine::snapshot_of(p.iommu(0), arch, p.memory().nonzero_runs(), driver);
        },
        t.ops.size());
    EXPECT_FALSE(f.has_value()) << f->message;
    EXPECT_TRUE(snap.has_value());
    return snap.value_or(engine::Snapshot{});
}

// Through JSON and back, as a file would go.
engine::Snapshot round_trip(const engine::Snapshot &s) {
    return engine::parse_snapshot(engine::snapshot_to_json(s).dump(), "snapshot");
}

// The snapshots each invariant is broken in: both bundled drivers' (SVA
// binds: CDs, PASID entries with a first stage) and Linux 6.1's under QEMU
// (a 2-level stream table, DMA domains: CD[0], second-stage PASID entries,
// legacy-mode context entries).
std::vector<std::pair<std::string, engine::Snapshot>> bases() {
    return {
        {"bundled smmuv3", bundled_snapshot("smmuv3", ref::Arch::smmuv3)},
        {"bundled vtd", bundled_snapshot("vtd", ref::Arch::vtd)},
        {"qemu smmuv3", engine::load_snapshot(kDataDir + "qemu-linux-6.1-smmuv3.json")},
        {"qemu vtd", engine::load_snapshot(kDataDir + "qemu-linux-6.1-vtd.json")},
        {"qemu vtd legacy", engine::load_snapshot(kDataDir + "qemu-linux-6.1-vtd-legacy.json")}};
}

// Stores word v at pa in the snapshot's memory.
void poke(engine::Snapshot &s, uint64_t pa, uint64_t v) {
    for (engine::Extent &x : s.memory)
        if (x.file.empty() && pa - x.address < x.bytes) {
            x.qwords[(pa - x.address) / 8] = v;
            return;
        }
    // A word the snapshot does not hold (a zero a dump left out): one of its own.
    engine::Extent x;
    x.address = pa;
    x.qwords = {v};
    x.bytes = 8;
    auto at = std::lower_bound(s.memory.begin(), s.memory.end(), pa,
                               [](const engine::Extent &e, uint64_t a) { return e.address < a; });
    s.memory.insert(at, std::move(x));
}

uint64_t field_max(const ref::Field &f) {
    return f.mask() >> f.lo;
}

// Makes atom a hold (want) or fail (!want) in e, changing only its field(s);
// false if it cannot.
bool force(const ref::inv::Atom &a, const ref::Format &fmt, uint64_t *e, bool want) {
    using ref::inv::Test;
    const ref::Field *f = a.field;
    switch (a.test) {
    case Test::eq:
        ref::set(e, *f, want ? a.value : (a.value ^ 1) & field_max(*f));
        return true;
    case Test::ne:
        ref::set(e, *f, want ? (a.value ^ 1) & field_max(*f) : a.value);
        return true;
    case Test::in_sagaw: // outside the model's and any captured SAGAW: AW 0 or 4..7
        if (want) return false;
        ref::set(e, *f, 4);
        return true;
    case Test::in:
        for (uint64_t v = 0; v <= field_max(*f) && v < 64; ++v)
            if (((a.value >> v & 1) != 0) == want) {
                ref::set(e, *f, v);
                return true;
            }
        if (want || field_max(*f) < 64) return false;
        ref::set(e, *f, 64); // outside every set an atom can name
        return true;
    case Test::aligned:
        if (want) {
            e[f->qword] &= ~ref::inv::low_bits(*f, static_cast<unsigned>(a.value));
            return true;
        }
        if (a.value <= f->lo) return false;
        e[f->qword] |= uint64_t{1} << f->lo;
        return true;
    case Test::aligned_by: {
        if (want) return false; // only ever broken here
        for (uint64_t k = 0; k <= field_max(*a.other); ++k)
            if (static_cast<long>(k) + a.shift > static_cast<long>(f->lo)) {
                ref::set(e, *a.other, k);
                e[f->qword] |= uint64_t{1} << f->lo;
                return true;
            }
        return false;
    }
    case Test::reserved_zero:
        if (want) return false;
        for (unsigned q = 0; q < fmt.qwords; ++q)
            if (uint64_t m = fmt.reserved_mask(q)) {
                e[q] |= m & -m;
                return true;
            }
        return false;
    }
    return false;
}

struct Broken {
    std::string base;
    uint64_t pa;
};

// Breaks formula f in a snapshot: an entry of its format made to meet the
// guard and fail the consequent (a pair: a second entry given the first's
// key and a different value of a field that must match).
std::optional<Broken> break_in(const ref::inv::Formula &f,
                               std::vector<std::pair<std::string, engine::Snapshot>> &snaps,
                               engine::Snapshot &out) {
    for (auto &[name, s] : snaps) {
        const engine::TablesCheck c = engine::check_tables(s);
        std::vector<const ref::DecodedEntry *> of;
        for (const ref::DecodedEntry &e : c.entries)
            if (engine::table_format(e.table) == f.format) of.push_back(&e);
        if (of.empty() || (f.pairwise() && of.size() < 2)) continue;
        std::vector<uint64_t> w = of[0]->raw;
        uint64_t *e = w.data();
        bool ok = true;
        for (const ref::inv::Atom &a : f.when) ok = ok && force(a, *f.format, e, true);
        if (!ok) continue;
        uint64_t pa = of[0]->pa;
        if (!f.pairwise()) {
            if (!force(f.then, *f.format, e, false) || !ref::inv::check(f, e)) continue;
        } else {
            std::vector<uint64_t> w2 = of[1]->raw;
            for (const ref::inv::Atom &a : f.when) force(a, *f.format, w2.data(), true);
            ref::set(w2.data(), *f.key, ref::get(e, *f.key));
            if (!f.same.empty())
                ref::set(w2.data(), *f.same[0],
                         (ref::get(e, *f.same[0]) ^ (uint64_t{1} << 0)) & field_max(*f.same[0]));
            if (!ref::inv::check(f, e, w2.data())) continue;
            out = s;
            for (std::size_t q = 0; q < w2.size(); ++q) poke(out, of[1]->pa + 8 * q, w2[q]);
            for (std::size_t q = 0; q < w.size(); ++q) poke(out, pa + 8 * q, w[q]);
            return Broken{name, pa};
        }
        out = s;
        for (std::size_t q = 0; q < w.size(); ++q) poke(out, pa + 8 * q, w[q]);
        return Broken{name, pa};
    }
    return std::nullopt;
}

TEST(CheckTables, EveryInvariantIsCaughtAtItsEntryAndClause) {
    auto snaps = bases();
    std::size_t caught = 0;
    std::vector<std::string> unbroken;
    for (const ref::inv::Formula &f : ref::inv::all_formulas()) {
        engine::Snapshot s;
        auto b = break_in(f, snaps, s);
        if (!b) {
            unbroken.push_back(std::string(f.name));
            continue;
        }
        const engine::TablesCheck c = engine::check_tables(round_trip(s));
        bool found = false;
        for (const engine::FormulaVerdict &v : c.formulas)
            for (const auto &br : v.breaches)
                if (v.formula == &f && (c.entries[br.entry].pa == b->pa ||
                                        (br.other && c.entries[*br.other].pa == b->pa))) {
                    found = true;
                    EXPECT_EQ(v.formula->clause, f.clause);
                    EXPECT_NE(br.message.find(f.name), std::string::npos) << br.message;
                }
        EXPECT_TRUE(found) << f.name << " broken at " << std::hex << b->pa << " in " << b->base;
        EXPECT_FALSE(c.conformant());
        caught += found;
    }
    // Every formula of the catalogue is broken in some snapshot.
    EXPECT_TRUE(unbroken.empty()) << "not broken: " << testing::PrintToString(unbroken);
    EXPECT_EQ(caught, ref::inv::all_formulas().size());
}

TEST(CheckTables, BundledDriversTablesPass) {
    for (auto [driver, arch] : {std::pair{"smmuv3", ref::Arch::smmuv3}, {"vtd", ref::Arch::vtd}}) {
        const engine::Snapshot s = round_trip(bundled_snapshot(driver, arch));
        const engine::TablesCheck c = engine::check_tables(s);
        EXPECT_TRUE(c.conformant()) << driver;
        EXPECT_EQ(c.breaches(), 0u) << driver;
        std::set<std::string> tables;
        for (const auto &e : c.entries) tables.insert(e.table);
        // Both devices' configuration and both binds on each are walked.
        if (arch == ref::Arch::smmuv3) {
            EXPECT_TRUE(tables.count("STE") && tables.count("CD")) << driver;
        } else {
            EXPECT_TRUE(tables.count("context") && tables.count("PASID")) << driver;
        }
        EXPECT_GE(c.entries.size(), 6u) << driver;
    }
}

TEST(CheckTables, LinuxUnderQemuPassesAndItsMappingsTranslate) {
    for (const char *file : {"qemu-linux-6.1-smmuv3.json", "qemu-linux-6.1-vtd.json",
                             "qemu-linux-6.1-vtd-legacy.json"}) {
        const engine::Snapshot s = engine::load_snapshot(kDataDir + file);
        ASSERT_FALSE(s.probes.empty()) << file;
        const engine::TablesCheck c = engine::check_tables(s);
        EXPECT_TRUE(c.conformant()) << file;
        EXPECT_EQ(c.probes.size(), s.probes.size());
        for (const engine::ProbeOutcome &o : c.probes) {
            EXPECT_EQ(o.result.kind, ref::DmaResult::Kind::translated) << file << o.result.why;
            EXPECT_TRUE(o.disagreement.empty()) << file << ": " << o.disagreement;
        }
        // The probes listed again from the page tables agree with those saved.
        const auto again = engine::mapped_page_probes(s, c, s.probes.size());
        ASSERT_EQ(again.size(), s.probes.size()) << file;
        for (std::size_t i = 0; i < again.size(); ++i) {
            EXPECT_EQ(again[i].address, s.probes[i].address);
            EXPECT_EQ(again[i].expect_pa, s.probes[i].expect_pa);
        }
    }
}

TEST(CheckTables, WithoutDevicesEveryIdTheTablesHoldIsWalked) {
    // The captured 2-level stream table holds 2^16 StreamIDs, one L1STD
    // valid. Linux 6.1 writes an STE for every StreamID of a level-2 table
    // it allocates (abort, arm_smmu_init_bypass_stes); the snapshot holds
    // the page of it the check read, 64 STEs: the scan finds all of them,
    // the named devices' among them, and the L1STD once.
    engine::Snapshot s = engine::load_snapshot(kDataDir + "qemu-linux-6.1-smmuv3.json");
    const engine::TablesCheck named = engine::check_tables(s);
    s.devices.clear();
    const engine::TablesCheck scanned = engine::check_tables(s);
    EXPECT_EQ(scanned.sids.size(), 1u << 16);
    std::map<std::string, std::size_t> per_table;
    std::set<uint64_t> pas;
    for (const auto &e : scanned.entries) {
        ++per_table[e.table];
        pas.insert(e.pa);
    }
    EXPECT_EQ(per_table["L1STD"], 1u);
    EXPECT_EQ(per_table["STE"], 64u);
    EXPECT_EQ(per_table["CD"], 1u);
    for (const auto &e : named.entries) EXPECT_TRUE(pas.count(e.pa)) << e.table << " " << e.key;
    EXPECT_GE(scanned.invalid_entries, 255u + 192u); // L1STDs with Span 0, STEs read as 0
    EXPECT_TRUE(scanned.conformant());
    EXPECT_FALSE(scanned.notes.empty());
}

TEST(CheckTables, AProbeThatDisagreesIsAFinding) {
    engine::Snapshot s = engine::load_snapshot(kDataDir + "qemu-linux-6.1-smmuv3.json");
    ASSERT_FALSE(s.probes.empty());
    s.probes[0].expect_pa = *s.probes[0].expect_pa + 0x1000;
    engine::Probe unmapped = s.probes[0];
    unmapped.address = 0x1000; // nothing is mapped this low
    unmapped.expect_pa = 0x1000;
    s.probes.push_back(unmapped);
    const engine::TablesCheck c = engine::check_tables(s);
    EXPECT_EQ(c.failed_probes(), 2u);
    EXPECT_EQ(c.probes.back().result.kind, ref::DmaResult::Kind::fault);
    EXPECT_FALSE(c.conformant());
}

TEST(CheckTables, TrimmedSnapshotJudgesTheSame) {
    const engine::Snapshot s = engine::load_snapshot(kDataDir + "qemu-linux-6.1-vtd.json");
    const engine::TablesCheck c = engine::check_tables(s);
    const engine::Snapshot t = round_trip(engine::trimmed_snapshot(s, c));
    const engine::TablesCheck d = engine::check_tables(t);
    ASSERT_EQ(d.entries.size(), c.entries.size());
    for (std::size_t i = 0; i < c.entries.size(); ++i)
        EXPECT_EQ(d.entries[i].raw, c.entries[i].raw);
    EXPECT_EQ(d.probes.size(), c.probes.size());
    EXPECT_EQ(d.failed_probes(), 0u);
    EXPECT_TRUE(d.missing.empty());
}

TEST(CheckTables, UnreachedExtentsAndMissingWordsAreReported) {
    engine::Snapshot s = engine::load_snapshot(kDataDir + "qemu-linux-6.1-smmuv3.json");
    engine::Extent stray;
    stray.address = 0x7000'0000;
    stray.qwords = {1, 2, 3};
    stray.bytes = 24;
    s.memory.push_back(stray);
    // The stream table's level-2 page gone: its STEs read as missing words.
    const engine::TablesCheck before = engine::check_tables(round_trip(s));
    EXPECT_EQ(before.unreached.size(), 1u);
    uint64_t ste_pa = 0;
    for (const auto &e : before.entries)
        if (e.table == "STE" && e.key == "sid 8") ste_pa = e.pa;
    ASSERT_NE(ste_pa, 0u);
    std::erase_if(s.memory, [&](const engine::Extent &x) { return ste_pa - x.address < x.bytes; });
    const engine::TablesCheck after = engine::check_tables(round_trip(s));
    EXPECT_FALSE(after.missing.empty());
    EXPECT_TRUE(std::count(after.missing.begin(), after.missing.end(), ste_pa));
}

// ---- bad snapshots ----

std::string refusal(const std::string &text) {
    try {
        engine::parse_snapshot(text, "s.json");
    } catch (const engine::InputError &e) {
        return e.what();
    }
    return "accepted";
}

TEST(CheckTables, BadSnapshotsAreRefusedWithThePlaceAndReason) {
    const std::string regs =
        R"("registers": {"SMMU_STRTAB_BASE": "0x1000", "SMMU_STRTAB_BASE_CFG": "0x6"})";
    auto snap = [&](const std::string &rest) {
        return R"({"format": "sva-snapshot/1", "arch": "smmuv3", )" + rest + "}";
    };
    EXPECT_EQ(refusal(snap(regs + R"(, "memory": [])")), "accepted");
    EXPECT_NE(refusal("{").find("s.json"), std::string::npos);
    EXPECT_NE(refusal(R"({"format": "sva-trace/1"})").find("/format"), std::string::npos);
    EXPECT_NE(refusal(R"({"format": "sva-snapshot/1", "arch": "mips"})").find("/arch"),
              std::string::npos);
    EXPECT_NE(refusal(snap(R"("registers": {"RTADDR_REG": "0x1"}, "memory": [])"))
                  .find("/registers/RTADDR_REG: not a register of smmuv3"),
              std::string::npos);
    EXPECT_NE(refusal(snap(R"("registers": {"SMMU_STRTAB_BASE": "0x1000"}, "memory": [])"))
                  .find("SMMU_STRTAB_BASE_CFG"),
              std::string::npos);
    EXPECT_NE(refusal(snap(R"("registers": {"SMMU_STRTAB_BASE": "0x1000", "SMMU_CR0": "0x100000000",
                                            "SMMU_STRTAB_BASE_CFG": "0x6"}, "memory": [])"))
                  .find("/registers/SMMU_CR0: 0x100000000 is out of range"),
              std::string::npos);
    EXPECT_NE(refusal(snap(regs + R"(, "memory": [{"address": "0x1004", "qwords": ["0x1"]}])"))
                  .find("/memory/0/address"),
              std::string::npos);
    EXPECT_NE(refusal(snap(regs + R"(, "memory": [{"address": "0x1000", "qwords": ["0xzz"]}])"))
                  .find("/memory/0/qwords/0: expected a hex number"),
              std::string::npos);
    EXPECT_NE(refusal(snap(regs + R"(, "memory": [{"address": "0x1000", "qwords": ["0x1", "0x2"]},
                                                   {"address": "0x1008", "qwords": ["0x3"]}])"))
                  .find("/memory/1: the extent at 0x1008 overlaps /memory/0"),
              std::string::npos);
    EXPECT_NE(refusal(snap(regs + R"(, "memory": [{"address": "0x1000", "file": "no-such.bin"}])"))
                  .find("/memory/0/file: ./no-such.bin: No such file"),
              std::string::npos);
    EXPECT_NE(
        refusal(
            snap(regs +
                 R"(, "memory": [{"address": "0xfffffffffffffff8", "qwords": ["0x1", "0x2"]}])"))
            .find("past the end of the physical address space"),
        std::string::npos);
    EXPECT_NE(
        refusal(snap(regs +
                     R"(, "memory": [], "probes": [{"sid": 1, "address": "0x0", "access": "rw"}])"))
            .find("/probes/0/access"),
        std::string::npos);
    EXPECT_NE(refusal(snap(regs + R"(, "memory": [], "devices": [{"sid": 1}, {"sid": "0x1"}])"))
                  .find("/devices/1/sid: StreamID/requester ID 0x1 is also /devices/0"),
              std::string::npos);
}

// Snapshots damaged at random (a fixed seed): each is refused with an
// InputError or judged; nothing else escapes, nothing crashes (the ASan
// build runs this too).
TEST(CheckTables, DamagedSnapshotsAreRefusedOrJudged) {
    std::mt19937_64 rng(19);
    std::size_t refused = 0, judged = 0;
    for (const char *file : {"qemu-linux-6.1-smmuv3.json", "qemu-linux-6.1-vtd-legacy.json"}) {
        // Small: the first extents only, so that each damaged copy parses fast.
        json j = json::parse(test_support::read_file(kDataDir + file));
        j["memory"] = json::array({j["memory"][0], j["memory"][1]});
        if (j.contains("probes")) j["probes"] = json::array({j["probes"][0]});
        const std::string text = j.dump();
        const std::string alphabet = "0123456789abcdefx\"{}[],:-. ";
        for (int n = 0; n < 300; ++n) {
            std::string t;
            if (n % 2) { // a byte of the text damaged: mostly refused by the reader
                t = text;
                const std::size_t at = rng() % t.size();
                if (rng() % 2)
                    t[at] = alphabet[rng() % alphabet.size()];
                else
                    t.erase(at, 1 + rng() % 8);
            } else { // a register or a word of memory holding anything: walked
                json d = j;
                auto any = [&] {
                    const uint64_t v = rng();
                    return fmt::format("{:#x}", v >> (rng() % 64));
                };
                json &regs = d["registers"];
                auto r = regs.begin();
                std::advance(r, static_cast<long>(rng() % regs.size()));
                if (rng() % 3 == 0) *r = any();
                for (int k = 0; k < 4; ++k) {
                    json &q = d["memory"][rng() % 2]["qwords"];
                    q[rng() % q.size()] = any();
                }
                t = d.dump();
            }
            std::optional<engine::Snapshot> s;
            try {
                s = engine::parse_snapshot(t, "damaged.json", "/nonexistent");
            } catch (const engine::InputError &e) {
                EXPECT_NE(std::string(e.what()).find("damaged.json: "), std::string::npos)
                    << e.what();
                ++refused;
                continue;
            }
            try {
                const engine::TablesCheck c = engine::check_tables(*s);
                (void)c.conformant();
                ++judged;
            } catch (const engine::InputError &e) { // registers that cannot be walked from
                EXPECT_FALSE(std::string(e.what()).empty());
                ++refused;
            }
        }
    }
    EXPECT_GT(refused, 50u) << judged;
    EXPECT_GT(judged, 50u) << refused;
}

TEST(CheckTables, AStreamTableTooLargeToScanSaysSo) {
    engine::Snapshot s;
    s.registers["SMMU_STRTAB_BASE"] = 0x1000;
    s.registers["SMMU_STRTAB_BASE_CFG"] = 32; // linear, 2^32 StreamIDs
    try {
        engine::check_tables(s);
        ADD_FAILURE() << "accepted";
    } catch (const engine::InputError &e) {
        EXPECT_NE(std::string(e.what()).find("LOG2SIZE = 32"), std::string::npos) << e.what();
    }
    s.devices.push_back({5, {}, "dev"}); // named devices are walked without a scan
    EXPECT_NO_THROW(engine::check_tables(s));
}

// ---- the command ----

class CheckTablesCli : public test_support::CliTest {
protected:
    CheckTablesCli() : CliTest("svac_tables_") {}
};

TEST_F(CheckTablesCli, ExitCodesReportsAndTheBreachesAddress) {
    // Linux's tables: conformant, exit 0, five reports.
    auto r = run("check-tables " + test_support::quote(kDataDir + "qemu-linux-6.1-smmuv3.json") +
                 " --out out");
    EXPECT_EQ(r.status, 0) << r.all();
    for (const char *f : {"report.json", "report.html", "report.xml", "report.md", "report.sarif"})
        EXPECT_TRUE(fs::exists(dir_ / "out" / f)) << f;
    EXPECT_NE(r.out.find("entries judged: 4 (1 CD, 1 L1STD, 2 STE)"), std::string::npos) << r.out;
    // The report and a snapshot it writes are valid against their schemas.
    r = run("check-tables " + test_support::quote(kDataDir + "qemu-linux-6.1-vtd.json") +
            " --out out2 --write-snapshot trimmed.json");
    EXPECT_EQ(r.status, 0) << r.all();
    auto v = test_support::run_check(
        dir_, "schema " + test_support::quote((dir_ / "out" / "report.json").string()) + " " +
                  test_support::quote((dir_ / "out2" / "report.json").string()) + " " +
                  test_support::quote((dir_ / "trimmed.json").string()));
    EXPECT_EQ(v.status, 0) << v.out;

    // The STE of sid 8 pointing its CD table at unaligned memory: exit 1,
    // the clause and the STE's address, in the text and the report.
    engine::Snapshot s = engine::load_snapshot(kDataDir + "qemu-linux-6.1-smmuv3.json");
    const engine::TablesCheck c = engine::check_tables(s);
    const ref::DecodedEntry *ste = nullptr;
    for (const auto &e : c.entries)
        if (e.table == "STE" && e.key == "sid 8") ste = &e;
    ASSERT_NE(ste, nullptr);
    // Two CDs (S1CDMax=1: a 128-byte table) at an address with bit 6 set.
    std::vector<uint64_t> w = ste->raw;
    ref::set(w.data(), ref::smmuv3::ste::S1CDMax, 1);
    w[0] |= uint64_t{1} << 6;
    poke(s, ste->pa, w[0]);
    {
        std::ofstream o(dir_ / "bad.json");
        o << engine::snapshot_to_json(s).dump(1);
    }
    r = run("check-tables bad.json --out bad");
    EXPECT_EQ(r.status, 1) << r.all();
    char pa[32];
    std::snprintf(pa, sizeof pa, "%#llx", static_cast<unsigned long long>(ste->pa));
    EXPECT_NE(r.out.find(std::string("SMMU-STE-1 STE sid 8 @ ") + pa), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("ctxptr-aligned-linear"), std::string::npos) << r.out;
    const json rep = json::parse(test_support::read_file(dir_ / "bad" / "report.json"));
    EXPECT_EQ(rep["verdict"], "nonconformant");
    ASSERT_FALSE(rep["findings"].empty());
    EXPECT_EQ(rep["findings"][0]["clause"], "SMMU-STE-1");
    EXPECT_NE(rep["findings"][0]["message"].get<std::string>().find(pa), std::string::npos);

    // Bad input: exit 2 naming the file.
    r = run("check-tables missing.json");
    EXPECT_EQ(r.status, 2) << r.all();
    EXPECT_NE(r.err.find("missing.json"), std::string::npos) << r.err;
}

TEST_F(CheckTablesCli, DumpTablesSnapshotsOfBundledDriversPass) {
    for (auto [driver, arch] : {std::pair{"smmuv3", ref::Arch::smmuv3}, {"vtd", ref::Arch::vtd}}) {
        {
            std::ofstream o(dir_ / "trace.json");
            o << engine::trace_to_json(test_support::two_by_two(arch)).dump(1);
        }
        const std::string snaps = std::string("snaps-") + driver;
        auto r =
            run(std::string("dump-tables --driver ") + driver + " trace.json --snapshot " + snaps);
        ASSERT_EQ(r.status, 0) << r.all();
        ASSERT_TRUE(fs::exists(dir_ / snaps / "iommu0.json"));
        r = run("check-tables " + snaps + "/iommu0.json --out out-" + driver);
        EXPECT_EQ(r.status, 0) << r.all();
        EXPECT_NE(r.out.find("conformant"), std::string::npos) << r.out;
        EXPECT_EQ(r.out.find("FAIL"), std::string::npos) << r.out;
    }
}

} // namespace
