// `sva-conform dump-tables`, run as a user runs it, on a trace that enables
// SVA on two devices and binds two mms on both: the tables it prints must be
// the ones the architecture asks for (SMMUv3 STE -> CD table -> CD; VT-d
// root -> context -> PASID directory -> PASID entry), pointing at each mm's
// page table, and text mode, --step and its bounds must behave.
#include "engine/engine.h"
#include "engine/platform.h"
#include "engine/trace.h"
#include "models/registry.h"
#include "tests/support/cli_runner.h"
#include "tests/support/sva_traces.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <sys/wait.h>
#include <unistd.h>

using namespace svac;
namespace fs = std::filesystem;
using nlohmann::json;
using ref::Op;
using ref::OpKind;

namespace {

using Result = test_support::CliResult;
using test_support::quote;
using test_support::read_file;

std::string hex(uint64_t v) {
    char buf[24];
    std::snprintf(buf, sizeof buf, "%#llx", static_cast<unsigned long long>(v));
    return buf;
}

using test_support::kDevBits;
using test_support::kVa;
using test_support::two_by_two;

constexpr std::size_t kFirstBind = 4; // op index of bind(dev 0, mm 0)

// What the driver's own run says: the PASID each mm got.
std::map<uint32_t, uint32_t> pasids_of(const char *driver, const engine::Trace &t) {
    std::map<uint32_t, uint32_t> pasid;
    engine::RunStats stats;
    auto f = engine::run_differential(
        *models::find_bundled(driver)->entry(), t, stats,
        [&](std::size_t, const Op &op, uint32_t, const ref::Expectation &,
            const ref::Observation &obs, const std::optional<ref::Violation> &) {
            if (op.kind == OpKind::bind && obs.rc && *obs.rc == 0 && obs.pasid)
                pasid[op.mm] = *obs.pasid;
        });
    EXPECT_FALSE(f.has_value()) << f->message;
    return pasid;
}

// The CPU side of each mm, as a fresh platform for the topology lays it out
// (the same allocations the CLI's run makes first).
std::vector<uint64_t> pgds_of(const ref::Topology &topo) {
    engine::Platform p(topo);
    std::vector<uint64_t> pgd;
    for (const auto &info : p.mm_infos()) pgd.push_back(info.pgd);
    return pgd;
}

class DumpTables : public test_support::CliTest {
protected:
    DumpTables() : CliTest("svac_dump_") {}

    // Writes the trace for arch and returns its path.
    std::string write_trace(const engine::Trace &t) {
        fs::path p = dir_ / "trace.json";
        std::ofstream out(p, std::ios::binary);
        out << engine::trace_to_json(t).dump(2) << "\n";
        EXPECT_TRUE(out.good());
        return p.string();
    }

    // dump-tables --json, parsed; exit status 0 expected.
    json dump_json(const std::string &driver, const std::string &trace, long step = -1) {
        std::string args = "dump-tables --driver " + driver + " " + quote(trace) + " --json";
        if (step >= 0) args += " --step " + std::to_string(step);
        Result r = run(args);
        EXPECT_EQ(r.status, 0) << r.out << r.err;
        json j = json::parse(r.out, nullptr, false);
        EXPECT_FALSE(j.is_discarded()) << r.out;
        return j;
    }
};

// The entries of IOMMU 0, by "table key".
std::map<std::string, json> entries_of(const json &dump) {
    std::map<std::string, json> m;
    EXPECT_TRUE(dump.contains("iommus") && dump["iommus"].is_array()) << dump.dump(2);
    if (!dump.contains("iommus") || dump["iommus"].empty()) return m;
    const json &io = dump["iommus"][0];
    EXPECT_EQ(io["iommu"], 0);
    for (const json &e : io["entries"]) {
        EXPECT_TRUE(e.contains("table") && e.contains("key") && e.contains("pa") &&
                    e.contains("raw") && e.contains("fields"))
            << e.dump();
        std::string k = e["table"].get<std::string>() + " " + e["key"].get<std::string>();
        EXPECT_FALSE(m.count(k)) << "entry listed twice: " << k;
        m[k] = e;
    }
    return m;
}

std::size_t count_table(const std::map<std::string, json> &m, const std::string &table,
                        const std::string &key_prefix = "") {
    std::size_t n = 0;
    for (const auto &[k, e] : m)
        n += e["table"] == table && e["key"].get<std::string>().starts_with(key_prefix);
    return n;
}

uint64_t field(const json &e, const char *name) {
    EXPECT_TRUE(e["fields"].contains(name)) << name << " missing from " << e.dump();
    return e["fields"].value(name, uint64_t{0xdead'beef'dead'beef});
}

const json &entry(const std::map<std::string, json> &m, const std::string &k) {
    static const json kMissing = {{"fields", json::object()}, {"pa", 0}};
    auto it = m.find(k);
    EXPECT_NE(it, m.end()) << "no entry " << k;
    return it == m.end() ? kMissing : it->second;
}

TEST_F(DumpTables, Smmuv3SteAndCdsPointAtEachMm) {
    const engine::Trace t = two_by_two(ref::Arch::smmuv3);
    const auto pasid = pasids_of("smmuv3", t);
    ASSERT_EQ(pasid.size(), 2u);
    ASSERT_NE(pasid.at(0), pasid.at(1));
    const auto pgd = pgds_of(t.topology);
    ASSERT_EQ(pgd.size(), 2u);

    json dump = dump_json("smmuv3", write_trace(t));
    EXPECT_EQ(dump["driver"], "smmuv3");
    EXPECT_EQ(dump["steps"], t.ops.size());
    EXPECT_FALSE(dump.contains("finding")) << dump["finding"].dump();
    ASSERT_EQ(dump["iommus"].size(), 1u);
    EXPECT_EQ(dump["iommus"][0]["arch"], "smmuv3");
    EXPECT_FALSE(dump["iommus"][0]["caches"].empty()); // the DMAs filled them
    const auto m = entries_of(dump);

    std::map<uint32_t, std::set<uint64_t>> ttb0_by_mm;
    for (uint32_t sid = 0; sid < 2; ++sid) {
        SCOPED_TRACE("sid " + std::to_string(sid));
        const json &ste = entry(m, "STE sid " + std::to_string(sid));
        EXPECT_EQ(ste["pa"].get<uint64_t>() % 64, 0u);
        EXPECT_EQ(field(ste, "V"), 1u);
        EXPECT_EQ(field(ste, "Config"), 5u); // stage 1 translate
        const uint64_t cdmax = field(ste, "S1CDMax");
        EXPECT_EQ(cdmax, kDevBits[sid]);
        EXPECT_GT(uint64_t{1} << cdmax, std::max(pasid.at(0), pasid.at(1)));
        EXPECT_EQ(field(ste, "S1DSS"), 1u); // non-PASID traffic bypasses
        EXPECT_EQ(field(ste, "EATS"), 0u);  // no ATS
        const uint64_t table = field(ste, "S1ContextPtr") << 6;
        EXPECT_NE(table, 0u);
        const bool two_level = (uint64_t{1} << cdmax) > 1024;
        EXPECT_EQ(field(ste, "S1Fmt"), two_level ? 2u : 0u); // 64 KiB leaves, or linear
        EXPECT_EQ(ste["raw"].size(), 8u);

        // Exactly the two bound PASIDs have a CD.
        EXPECT_EQ(count_table(m, "CD", "sid " + std::to_string(sid) + " "), 2u);
        for (uint32_t mm = 0; mm < 2; ++mm) {
            SCOPED_TRACE("mm " + std::to_string(mm));
            const uint32_t p = pasid.at(mm);
            const json &cd =
                entry(m, "CD sid " + std::to_string(sid) + " ssid " + std::to_string(p));
            uint64_t expect_pa;
            if (two_level) {
                const json &l1 =
                    entry(m, "L1CD sid " + std::to_string(sid) + " l1 " + std::to_string(p >> 10));
                EXPECT_EQ(l1["pa"].get<uint64_t>(), table + 8 * (p >> 10));
                EXPECT_EQ(field(l1, "V"), 1u);
                const uint64_t leaf = field(l1, "L2Ptr") << 12;
                EXPECT_EQ(leaf % 0x10000, 0u); // a 64 KiB leaf, aligned
                expect_pa = leaf + 64 * (p & 1023);
            } else {
                expect_pa = table + 64 * p;
            }
            EXPECT_EQ(cd["pa"].get<uint64_t>(), expect_pa);
            EXPECT_EQ(field(cd, "V"), 1u);
            EXPECT_EQ(field(cd, "AA64"), 1u);
            EXPECT_EQ(field(cd, "EPD0"), 0u);
            EXPECT_EQ(field(cd, "EPD1"), 1u);
            EXPECT_EQ(field(cd, "T0SZ"), 16u);
            EXPECT_EQ(field(cd, "R"), 1u);
            EXPECT_EQ(field(cd, "ASID"), mm + 1u); // the CPU's ASID
            const uint64_t ttb0 = field(cd, "TTB0") << 4;
            EXPECT_EQ(ttb0, pgd[mm]); // the mm's page-table root
            ttb0_by_mm[mm].insert(ttb0);
        }
    }
    // One TTB0 per mm whichever device; two mms, two tables.
    ASSERT_EQ(ttb0_by_mm.size(), 2u);
    EXPECT_EQ(ttb0_by_mm[0].size(), 1u);
    EXPECT_EQ(ttb0_by_mm[1].size(), 1u);
    EXPECT_NE(*ttb0_by_mm[0].begin(), *ttb0_by_mm[1].begin());
}

TEST_F(DumpTables, VtdContextDirectoryAndPasidEntriesPointAtEachMm) {
    const engine::Trace t = two_by_two(ref::Arch::vtd);
    const auto pasid = pasids_of("vtd", t);
    ASSERT_EQ(pasid.size(), 2u);
    ASSERT_NE(pasid.at(0), pasid.at(1));
    const auto pgd = pgds_of(t.topology);

    json dump = dump_json("vtd", write_trace(t));
    EXPECT_EQ(dump["driver"], "vtd");
    EXPECT_FALSE(dump.contains("finding")) << dump["finding"].dump();
    ASSERT_EQ(dump["iommus"].size(), 1u);
    EXPECT_EQ(dump["iommus"][0]["arch"], "vtd");
    const auto m = entries_of(dump);

    const json &root = entry(m, "root bus 0");
    EXPECT_EQ(field(root, "LP"), 1u);
    const uint64_t ctp = field(root, "LCTP") << 12;
    EXPECT_NE(ctp, 0u);

    std::map<uint32_t, std::set<uint64_t>> flptr_by_mm;
    std::set<uint64_t> dids;
    for (uint32_t rid = 0; rid < 2; ++rid) {
        SCOPED_TRACE("rid " + std::to_string(rid));
        const std::string r = "rid " + std::to_string(rid);
        const json &ctx = entry(m, "context " + r);
        EXPECT_EQ(ctx["pa"].get<uint64_t>(), ctp + 32 * rid);
        EXPECT_EQ(field(ctx, "P"), 1u);
        EXPECT_EQ(field(ctx, "PASIDE"), 1u);
        EXPECT_EQ(field(ctx, "PRE"), 1u); // the device has PRI
        EXPECT_EQ(field(ctx, "DTE"), 0u); // ... and no ATS
        EXPECT_EQ(field(ctx, "RID_PASID"), 0u);
        const uint64_t pdts = field(ctx, "PDTS");
        // 2^(PDTS+7) directory entries of 64 PASIDs cover the device's width.
        EXPECT_GT((uint64_t{1} << (pdts + 7)) * 64, (uint64_t{1} << kDevBits[rid]) - 1);
        const uint64_t dir = field(ctx, "PASIDDIRPTR") << 12;
        EXPECT_NE(dir, 0u);

        // RID_PASID (PASID 0): pass-through, for traffic without a PASID.
        const json &rid_pasid = entry(m, "PASID " + r + " pasid 0");
        EXPECT_EQ(field(rid_pasid, "P"), 1u);
        EXPECT_EQ(field(rid_pasid, "PGTT"), 4u);

        EXPECT_EQ(count_table(m, "PASID", r + " "), 3u); // PASID 0 and the two bound ones
        for (uint32_t mm = 0; mm < 2; ++mm) {
            SCOPED_TRACE("mm " + std::to_string(mm));
            const uint32_t p = pasid.at(mm);
            const json &pde = entry(m, "PDE " + r + " dir " + std::to_string(p >> 6));
            EXPECT_EQ(pde["pa"].get<uint64_t>(), dir + 8 * (p >> 6));
            EXPECT_EQ(field(pde, "P"), 1u);
            const uint64_t table = field(pde, "PTPTR") << 12;
            const json &pe = entry(m, "PASID " + r + " pasid " + std::to_string(p));
            EXPECT_EQ(pe["pa"].get<uint64_t>(), table + 64 * (p & 63));
            EXPECT_EQ(pe["raw"].size(), 8u);
            EXPECT_EQ(field(pe, "P"), 1u);
            EXPECT_EQ(field(pe, "PGTT"), 1u); // first stage
            EXPECT_EQ(field(pe, "FLPM"), 0u); // 4-level
            EXPECT_EQ(field(pe, "SRE"), 0u);
            dids.insert(field(pe, "DID"));
            const uint64_t flptr = field(pe, "FLPTR") << 12;
            EXPECT_EQ(flptr, pgd[mm]);
            flptr_by_mm[mm].insert(flptr);
        }
    }
    EXPECT_EQ(dids.size(), 1u); // one SVA domain
    ASSERT_EQ(flptr_by_mm.size(), 2u);
    EXPECT_EQ(flptr_by_mm[0].size(), 1u);
    EXPECT_EQ(flptr_by_mm[1].size(), 1u);
    EXPECT_NE(*flptr_by_mm[0].begin(), *flptr_by_mm[1].begin());
}

class DumpTablesBoth : public DumpTables, public testing::WithParamInterface<const char *> {
protected:
    ref::Arch arch() const {
        return std::string_view(GetParam()) == "vtd" ? ref::Arch::vtd : ref::Arch::smmuv3;
    }
};

// Text mode prints every entry the JSON lists: its table, key, address and raw words.
TEST_P(DumpTablesBoth, TextPrintsEveryEntry) {
    const std::string trace = write_trace(two_by_two(arch()));
    const json dump = dump_json(GetParam(), trace);
    Result r = run("dump-tables --driver " + std::string(GetParam()) + " " + quote(trace));
    ASSERT_EQ(r.status, 0) << r.out << r.err;
    EXPECT_NE(r.out.find("IOMMU 0 (" + std::string(GetParam()) + "):"), std::string::npos) << r.out;
    const json &entries = dump["iommus"][0]["entries"];
    ASSERT_FALSE(entries.empty());
    for (const json &e : entries) {
        const std::string head = e["table"].get<std::string>() + " " + e["key"].get<std::string>() +
                                 " @ " + hex(e["pa"]);
        std::size_t at = r.out.find(head + "\n");
        ASSERT_NE(at, std::string::npos) << "no line for " << head << " in\n" << r.out;
        char word[20];
        std::snprintf(word, sizeof word, " %016llx",
                      static_cast<unsigned long long>(e["raw"][0].get<uint64_t>()));
        EXPECT_NE(r.out.find(word, at), std::string::npos) << head;
    }
    EXPECT_NE(r.out.find("caches ("), std::string::npos);
}

// --step K stops after op K: after the first bind only one PASID has an entry.
TEST_P(DumpTablesBoth, StepStopsEarly) {
    const engine::Trace t = two_by_two(arch());
    const std::string trace = write_trace(t);
    const json full = dump_json(GetParam(), trace);
    const json early = dump_json(GetParam(), trace, static_cast<long>(kFirstBind));
    EXPECT_EQ(early["steps"], kFirstBind + 1);
    const auto all = entries_of(full), some = entries_of(early);
    EXPECT_LT(some.size(), all.size());
    const std::string leaf = arch() == ref::Arch::vtd ? "PASID" : "CD";
    // smmuv3: one CD (dev 0, the first PASID); vtd: PASID 0 of each device and one bound entry.
    EXPECT_EQ(count_table(some, leaf), arch() == ref::Arch::vtd ? 3u : 1u);
    EXPECT_EQ(count_table(all, leaf), arch() == ref::Arch::vtd ? 6u : 4u);
    // Every entry of the early dump is in the full one (entries only get added here).
    for (const auto &[k, e] : some) EXPECT_TRUE(all.count(k)) << k;

    // The last op is a valid step and dumps the whole trace.
    const json last = dump_json(GetParam(), trace, static_cast<long>(t.ops.size() - 1));
    EXPECT_EQ(last["iommus"], full["iommus"]);
}

TEST_P(DumpTablesBoth, StepBeyondTheTraceIsBadUsage) {
    const engine::Trace t = two_by_two(arch());
    const std::string trace = write_trace(t);
    Result r = run("dump-tables --driver " + std::string(GetParam()) + " " + quote(trace) +
                   " --json --step " + std::to_string(t.ops.size()));
    EXPECT_EQ(r.status, 2) << r.out << r.err;
    EXPECT_NE(r.err.find("--step"), std::string::npos) << r.err;
    EXPECT_TRUE(r.out.empty()) << r.out;
}

INSTANTIATE_TEST_SUITE_P(Drivers, DumpTablesBoth, testing::Values("smmuv3", "vtd"),
                         [](const testing::TestParamInfo<const char *> &p) {
                             return std::string(p.param);
                         });

} // namespace
