// The fail-nth allocation sweep (engine/failnth, `sva-conform failnth`):
// the bundled drivers are clean at every injection point of their built-in
// traces; drivers that mishandle a refused allocation are caught under
// ROBUST-4 (or the rule the trace they left breaks, BIND-7 ...) and leaks of
// platform memory under ROBUST-5; the command's exit statuses and records.
#include "engine/driver.h"
#include "engine/engine.h"
#include "engine/failnth.h"
#include "engine/interrupt.h"
#include "engine/trace.h"
#include "models/registry.h"

#include "tests/support/cli_runner.h"
#include "tests/support/cli_spawn.h"
#include "tests/support/ops.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <cerrno>
#include <chrono>
#include <csignal>
#include <filesystem>
#include <memory>
#include <set>
#include <string>
#include <thread>

using namespace svac;
namespace fs = std::filesystem;
using engine::FailnthPoint;
using nlohmann::json;

namespace {

// Injection points the built-in traces must reach at least, by allocation
// made (each a distinct place in the driver's life where memory is asked for):
// SMMUv3: per SMMU (two) the stream table, the event queue and the PRI queue;
// a CD table per SVA master (three); a CD leaf for a new mm's low PASID, for
// a new mm's PASID >= 4096, and for that mm's PASID on a second master.
constexpr std::size_t kSmmuv3MinPoints = 2 * 3 + 3 + 3;
// VT-d: per IOMMU (two) the root table and the page request queue; a context
// table per IOMMU (its devices share a bus); per device (three) the PASID
// directory and its first PASID table; a PASID table for a PASID >= 4096 on
// two devices.
constexpr std::size_t kVtdMinPoints = 2 * 2 + 2 + 3 * 2 + 2;

// ---- drivers that mishandle their platform's memory: the bundled SMMUv3
// driver wrapped, one seeded error-path bug each ----

enum class Bug {
    none,
    destroy_leaks,    // destroy forgets a block create took
    create_leaks,     // a create that gives up forgets the block it took first
    bind_leaves_bond, // a bind whose own allocation is refused returns -ENOMEM, bond kept
    bind_wrong_errno, // a bind refused memory returns -ENOSPC
};

const svac_driver_ops &base() {
    return *svac_smmuv3_entry();
}

struct Wrap {
    void *inner = nullptr;
    const svac_platform *p = nullptr;
    uint64_t block = 0; // the wrapper's own platform memory
};

Wrap *W(void *drv) {
    return static_cast<Wrap *>(drv);
}

template <Bug B> void *wrap_create(const svac_platform *p, const svac_topology *t) {
    auto w = std::make_unique<Wrap>();
    w->p = p;
    if (B == Bug::create_leaks) { // its state first, then the driver's
        w->block = p->alloc(p->ctx, 4096, 4096);
        if (!w->block) return nullptr;
    }
    w->inner = base().create(p, t);
    if (!w->inner) return nullptr; // create_leaks: the block stays allocated
    if (B == Bug::destroy_leaks) {
        w->block = p->alloc(p->ctx, 4096, 4096);
        if (!w->block) {
            base().destroy(w->inner);
            return nullptr;
        }
    }
    return w.release();
}

template <Bug B> void wrap_destroy(void *drv) {
    std::unique_ptr<Wrap> w(W(drv));
    base().destroy(w->inner);
    if (B != Bug::destroy_leaks && w->block) w->p->free(w->p->ctx, w->block);
}

template <Bug B>
int wrap_bind(void *drv, uint32_t dev, uint32_t mm, uint32_t *pasid, svac_mm_exit_fn cb, void *ctx,
              uint64_t drvdata) {
    Wrap *w = W(drv);
    int rc = base().bind_mm(w->inner, dev, mm, pasid, cb, ctx, drvdata);
    if (B == Bug::bind_wrong_errno && rc == -ENOMEM) return -ENOSPC;
    if (B == Bug::bind_leaves_bond && rc == 0) {
        uint64_t record = w->p->alloc(w->p->ctx, 64, 64); // a per-bond record
        if (!record) return -ENOMEM; // the bug: no unbind of what the driver bound
        w->p->free(w->p->ctx, record);
    }
    return rc;
}

template <Bug B> svac_driver_ops wrapped(const char *name) {
    svac_driver_ops o = base();
    o.name = name;
    o.create = &wrap_create<B>;
    o.destroy = &wrap_destroy<B>;
    o.bind_mm = &wrap_bind<B>;
    o.dev_has_feat = [](void *d, uint32_t dev, uint32_t f) {
        return base().dev_has_feat(W(d)->inner, dev, f);
    };
    o.dev_enable_feat = [](void *d, uint32_t dev, uint32_t f) {
        return base().dev_enable_feat(W(d)->inner, dev, f);
    };
    o.dev_disable_feat = [](void *d, uint32_t dev, uint32_t f) {
        return base().dev_disable_feat(W(d)->inner, dev, f);
    };
    o.dev_feat_enabled = [](void *d, uint32_t dev, uint32_t f) {
        return base().dev_feat_enabled(W(d)->inner, dev, f);
    };
    o.set_sva_param = [](void *d, uint32_t dev, uint32_t lo, uint32_t hi) {
        return base().set_sva_param(W(d)->inner, dev, lo, hi);
    };
    o.unbind_mm = [](void *d, uint32_t dev, uint32_t pasid) {
        return base().unbind_mm(W(d)->inner, dev, pasid);
    };
    o.mm_release = [](void *d, uint32_t mm) { base().mm_release(W(d)->inner, mm); };
    o.mm_invalidate_range = [](void *d, uint32_t mm, uint64_t start, uint64_t end) {
        base().mm_invalidate_range(W(d)->inner, mm, start, end);
    };
    o.service_irq = [](void *d, uint32_t iommu) { base().service_irq(W(d)->inner, iommu); };
    o.page_response = [](void *d, uint32_t dev, const svac_page_response *r) {
        return base().page_response(W(d)->inner, dev, r);
    };
    return o;
}

const svac_driver_ops kClean = wrapped<Bug::none>("smmuv3+wrapper");
const svac_driver_ops kDestroyLeaks = wrapped<Bug::destroy_leaks>("smmuv3+destroy-leaks");
const svac_driver_ops kCreateLeaks = wrapped<Bug::create_leaks>("smmuv3+create-leaks");
const svac_driver_ops kBindLeavesBond = wrapped<Bug::bind_leaves_bond>("smmuv3+bind-leaves-bond");
const svac_driver_ops kBindWrongErrno = wrapped<Bug::bind_wrong_errno>("smmuv3+bind-wrong-errno");

engine::FailnthResult sweep(const svac_driver_ops &ops, ref::Arch arch = ref::Arch::smmuv3) {
    return engine::sweep_failnth(ops, engine::failnth_trace(arch));
}

std::set<std::string> clauses_found(const engine::FailnthResult &r) {
    std::set<std::string> s;
    for (const auto &p : r.points)
        if (p.finding) s.insert(std::string(ref::clause_id(p.finding->clause)));
    return s;
}

// ---- the sweep, in the engine ----

TEST(FailnthSweep, BundledDriversAreCleanAtEveryPoint) {
    struct Case {
        const svac_driver_ops *ops;
        ref::Arch arch;
        std::size_t min_points;
    } cases[] = {{svac_smmuv3_entry(), ref::Arch::smmuv3, kSmmuv3MinPoints},
                 {svac_vtd_entry(), ref::Arch::vtd, kVtdMinPoints}};
    for (const Case &c : cases) {
        SCOPED_TRACE(c.ops->name);
        engine::FailnthResult r = sweep(*c.ops, c.arch);
        ASSERT_FALSE(r.baseline) << r.baseline->message;
        EXPECT_GE(r.hit(), c.min_points);
        EXPECT_EQ(r.hit(), r.allocs); // one point per allocation the run makes
        EXPECT_EQ(r.not_clean(), 0u);
        ASSERT_FALSE(r.points.empty());
        EXPECT_EQ(r.points.back().where, FailnthPoint::Where::none);
        EXPECT_FALSE(r.capped);
        std::set<ref::OpKind> refused;
        bool in_create = false;
        for (const auto &p : r.points) {
            EXPECT_TRUE(p.clean()) << "point " << p.n << ": " << p.finding->message;
            in_create |= p.where == FailnthPoint::Where::create && p.create_null;
            if (p.where != FailnthPoint::Where::op) continue;
            refused.insert(engine::failnth_trace(c.arch).ops[p.step].kind);
            ASSERT_TRUE(p.rc);
            EXPECT_EQ(*p.rc, -ENOMEM); // the bundled drivers fail every such call
        }
        EXPECT_TRUE(in_create);
        EXPECT_TRUE(refused.count(ref::OpKind::bind));
        if (c.arch == ref::Arch::smmuv3) {
            EXPECT_TRUE(refused.count(ref::OpKind::enable_feature));
        }
    }
}

TEST(FailnthSweep, AWrapperWithoutBugIsClean) {
    engine::FailnthResult r = sweep(kClean);
    ASSERT_FALSE(r.baseline) << r.baseline->message;
    EXPECT_GE(r.hit(), kSmmuv3MinPoints);
    EXPECT_EQ(r.not_clean(), 0u);
}

TEST(FailnthSweep, DestroyThatLeaksIsRobust5AtTheLastOp) {
    engine::Trace t = engine::failnth_trace(ref::Arch::smmuv3);
    engine::RunStats stats;
    auto f = engine::run_differential(kDestroyLeaks, t, stats);
    ASSERT_TRUE(f);
    EXPECT_EQ(f->clause, ref::ClauseId::ROBUST_5);
    EXPECT_EQ(f->step, t.ops.size() - 1);
    EXPECT_EQ(f->message, "destroy left 1 platform allocation (4096 bytes) unfreed");
    EXPECT_EQ(f->trace.ops.size(), t.ops.size()); // replayable: destroy follows the last op
    EXPECT_EQ(stats.leaked_blocks, 1u);
    // The sweep does not run on a trace its driver fails without injection.
    engine::FailnthResult r = sweep(kDestroyLeaks);
    ASSERT_TRUE(r.baseline);
    EXPECT_EQ(r.baseline->clause, ref::ClauseId::ROBUST_5);
    EXPECT_TRUE(r.points.empty());
    // The bundled drivers free everything: the check passed, and counted.
    engine::RunStats clean;
    EXPECT_FALSE(engine::run_differential(*svac_smmuv3_entry(), t, clean));
    EXPECT_EQ(clean.leaked_blocks, 0u);
    EXPECT_GT(clean.driver_allocs, 0u);
    EXPECT_EQ(clean.checks[ref::ClauseId::ROBUST_5], 1u);
}

TEST(FailnthSweep, CreateThatGivesUpAndLeaksIsRobust5) {
    engine::FailnthResult r = sweep(kCreateLeaks);
    ASSERT_FALSE(r.baseline) << r.baseline->message;
    ASSERT_GE(r.points.size(), 8u);
    // Point 1 refuses the wrapper's own block: create gives up holding nothing.
    EXPECT_EQ(r.points[0].where, FailnthPoint::Where::create);
    EXPECT_TRUE(r.points[0].create_null);
    EXPECT_TRUE(r.points[0].clean());
    // Points 2..7 refuse the SMMUv3 driver's create: the wrapper's block stays.
    for (std::size_t i = 1; i <= 6; ++i) {
        const FailnthPoint &p = r.points[i];
        SCOPED_TRACE(p.n);
        EXPECT_EQ(p.where, FailnthPoint::Where::create);
        EXPECT_TRUE(p.create_null);
        ASSERT_TRUE(p.finding);
        EXPECT_EQ(p.finding->clause, ref::ClauseId::ROBUST_5);
        EXPECT_NE(p.finding->message.find("create returned NULL"), std::string::npos);
        EXPECT_NE(p.finding->message.find("1 platform allocation (4096 bytes)"), std::string::npos);
        EXPECT_EQ(p.finding->trace.fail_alloc_nth, p.n);
        EXPECT_TRUE(p.finding->trace.ops.empty());
        // Its trace replays it: create alone, with the injection.
        engine::RunStats stats;
        auto again = engine::run_differential(kCreateLeaks, p.finding->trace, stats);
        ASSERT_TRUE(again);
        EXPECT_EQ(again->message, p.finding->message);
    }
    // Later points are past create: clean.
    for (std::size_t i = 7; i < r.points.size(); ++i) EXPECT_TRUE(r.points[i].clean());
    EXPECT_EQ(r.not_clean(), 6u);
}

TEST(FailnthSweep, BindThatKeepsItsBondWhenItFailsIsCaught) {
    engine::FailnthResult r = sweep(kBindLeavesBond);
    ASSERT_FALSE(r.baseline) << r.baseline->message;
    EXPECT_GT(r.not_clean(), 0u);
    // Each refused per-bond record: the bind said -ENOMEM, which ROBUST-4
    // allows, but the bond it kept shows later, and is blamed on the failed
    // bind (BIND-7): a DMA that still translates or faults for it, its
    // callback at mm exit, no flush at what the reference counts as the last
    // unbind (a reference kept from a second bind).
    for (const auto &p : r.points) {
        if (p.clean()) continue;
        SCOPED_TRACE(p.finding->message);
        ASSERT_EQ(p.where, FailnthPoint::Where::op);
        EXPECT_EQ(engine::failnth_trace(ref::Arch::smmuv3).ops[p.step].kind, ref::OpKind::bind);
        EXPECT_EQ(p.rc, -ENOMEM);
        EXPECT_GE(p.finding->step, p.step);
    }
    // One per successful bind of the trace (six), each caught under BIND-7.
    EXPECT_EQ(r.not_clean(), 6u);
    EXPECT_EQ(clauses_found(r), std::set<std::string>{"BIND-7"});
}

TEST(FailnthSweep, AWrongErrnoForARefusedAllocationIsRobust4) {
    engine::FailnthResult r = sweep(kBindWrongErrno);
    ASSERT_FALSE(r.baseline) << r.baseline->message;
    std::size_t binds = 0;
    for (const auto &p : r.points) {
        if (p.where != FailnthPoint::Where::op) continue;
        if (engine::failnth_trace(ref::Arch::smmuv3).ops[p.step].kind != ref::OpKind::bind)
            continue;
        ++binds;
        ASSERT_TRUE(p.finding);
        EXPECT_EQ(p.finding->clause, ref::ClauseId::ROBUST_4);
        EXPECT_EQ(p.finding->step, p.step); // at the call itself
        EXPECT_NE(p.finding->message.find("-ENOSPC"), std::string::npos) << p.finding->message;
        EXPECT_NE(p.finding->message.find("refused it memory"), std::string::npos);
    }
    EXPECT_EQ(binds, 3u); // the three CD leaves
}

TEST(FailnthSweep, APointsTraceReplaysWithItsInjection) {
    engine::FailnthResult r = sweep(kBindWrongErrno);
    const FailnthPoint *bad = nullptr;
    for (const auto &p : r.points)
        if (p.finding) bad = &p;
    ASSERT_TRUE(bad);
    const engine::Trace &t = bad->finding->trace;
    EXPECT_EQ(t.fail_alloc_nth, bad->n);
    EXPECT_TRUE(t.ops.back().recorded.alloc_failed);
    // Through JSON, as DIR/points/<n>.json holds it.
    engine::Trace back = engine::parse_trace(engine::trace_to_json(t).dump(), "point.json");
    EXPECT_EQ(back.fail_alloc_nth, bad->n);
    EXPECT_TRUE(back.ops.back().recorded.alloc_failed);
    EXPECT_EQ(engine::trace_to_json(back), engine::trace_to_json(t));
    EXPECT_EQ(engine::trace_to_json(engine::parse_trace(engine::print_trace(t), "point.txt")),
              engine::trace_to_json(t));
    engine::RunStats stats;
    auto again = engine::run_differential(kBindWrongErrno, back, stats);
    ASSERT_TRUE(again);
    EXPECT_EQ(again->clause, bad->finding->clause);
    EXPECT_EQ(again->step, bad->finding->step);
    // Without the injection the same ops conform.
    back.fail_alloc_nth = 0;
    for (auto &op : back.ops) op.recorded = {};
    engine::RunStats plain;
    EXPECT_FALSE(engine::run_differential(kBindWrongErrno, back, plain));
}

// A stop request (SIGINT or SIGTERM to the command) ends the sweep after the
// point being judged: the points so far, marked interrupted. The signal is
// raised from the third point's callback: no timing involved.
TEST(FailnthSweep, AStopRequestEndsTheSweepWithThePointsSoFar) {
    struct sigaction old_int {
    }, old_term{};
    ::sigaction(SIGINT, nullptr, &old_int);
    ::sigaction(SIGTERM, nullptr, &old_term);
    engine::install_stop_handlers();
    engine::FailnthResult r = engine::sweep_failnth(
        base(), engine::failnth_trace(ref::Arch::smmuv3), {}, [](const FailnthPoint &p) {
            if (p.n == 3) ::raise(SIGTERM);
        });
    const bool stopped = engine::stop_requested();
    engine::clear_stop_request();
    ::sigaction(SIGINT, &old_int, nullptr);
    ::sigaction(SIGTERM, &old_term, nullptr);
    EXPECT_TRUE(stopped);
    EXPECT_TRUE(r.interrupted);
    EXPECT_TRUE(r.baseline_run);
    EXPECT_FALSE(r.capped);
    ASSERT_EQ(r.points.size(), 3u);
    for (std::size_t i = 0; i < 3; ++i) EXPECT_EQ(r.points[i].n, i + 1);
    EXPECT_EQ(r.not_clean(), 0u);

    // Unstopped, the same sweep goes on to its no-hit.
    engine::FailnthResult whole =
        engine::sweep_failnth(base(), engine::failnth_trace(ref::Arch::smmuv3));
    EXPECT_FALSE(whole.interrupted);
    EXPECT_GT(whole.points.size(), 3u);
}

// ---- ROBUST-4 in the reference: a recorded trace ----

TEST(FailnthReference, ARecordedRefusalMayFailWithEnomemAndChangesNothing) {
    using namespace test_support;
    engine::Trace t;
    t.topology.iommus = {{ref::Arch::smmuv3, 20, true}};
    t.topology.devices = {{0, 20, true, false, false}};
    t.topology.mms = 1;
    ref::Op en = enable(0);
    en.recorded.rc = -ENOMEM;
    en.recorded.alloc_failed = true;
    ref::Op q = dev_op(ref::OpKind::feature_enabled, 0);
    q.feat = SVAC_FEAT_SVA;
    q.recorded.rc = 0; // still off: the failed enable changed nothing (FEAT-9)
    ref::Op b = bind(0, 0);
    b.recorded.rc = -ENODEV; // BIND-1: SVA is not enabled
    t.ops = {en, q, b};
    engine::RunStats stats;
    EXPECT_FALSE(engine::check_recorded(t, stats));
    EXPECT_GT(stats.checks[ref::ClauseId::ROBUST_4], 0u);

    // Without a refused allocation the failure is FEAT-3's.
    engine::Trace no_refusal = t;
    no_refusal.ops[0].recorded.alloc_failed = false;
    auto f = engine::check_recorded(no_refusal, stats);
    ASSERT_TRUE(f);
    EXPECT_EQ(f->clause, ref::ClauseId::FEAT_3);

    // Another errno than -ENOMEM is ROBUST-4's.
    engine::Trace wrong = t;
    wrong.ops[0].recorded.rc = -EBUSY;
    f = engine::check_recorded(wrong, stats);
    ASSERT_TRUE(f);
    EXPECT_EQ(f->clause, ref::ClauseId::ROBUST_4);
    EXPECT_EQ(f->step, 0u);

    // A failed enable that left the feature on breaks FEAT-9.
    engine::Trace kept = t;
    kept.ops[1].recorded.rc = 1;
    f = engine::check_recorded(kept, stats);
    ASSERT_TRUE(f);
    EXPECT_EQ(f->clause, ref::ClauseId::FEAT_9);
}

// ---- the command ----

using Result = test_support::CliResult;
using test_support::quote;
using test_support::read_file;

class FailnthCli : public test_support::CliTest {
protected:
    FailnthCli() : CliTest("svac_failnth_") {}
    json report(const std::string &out = "fn") {
        return json::parse(read_file(dir_ / out / "failnth.json"));
    }
};

// One record per point: n = 1, 2, ... in order; the injection points, then
// the no-hit that ended the sweep.
void expect_one_record_per_point(const json &doc, std::size_t min_points) {
    const json &points = doc["points"];
    const std::size_t hit = doc["summary"]["points"].get<std::size_t>();
    EXPECT_GE(hit, min_points);
    ASSERT_EQ(points.size(), hit + 1);
    for (std::size_t i = 0; i < points.size(); ++i) EXPECT_EQ(points[i]["n"], i + 1);
    EXPECT_EQ(points.back()["outcome"], "no-hit");
    EXPECT_EQ(doc["allocations"], hit);
}

TEST_F(FailnthCli, BundledDriversPass) {
    for (const auto &[driver, min_points] :
         {std::pair<std::string, std::size_t>{"smmuv3", kSmmuv3MinPoints},
          {"vtd", kVtdMinPoints}}) {
        SCOPED_TRACE(driver);
        Result r = run("failnth --driver " + driver + " --out fn");
        ASSERT_EQ(r.status, 0) << r.all();
        EXPECT_NE(r.out.find("injection points, all clean"), std::string::npos) << r.out;
        EXPECT_NE(r.out.find("  #1    create: NULL, clean"), std::string::npos) << r.out;
        EXPECT_NE(r.out.find(": -ENOMEM, clean"), std::string::npos) << r.out;
        json doc = report();
        expect_one_record_per_point(doc, min_points);
        EXPECT_EQ(doc["baseline"], "conformant");
        EXPECT_EQ(doc["complete"], true);
        EXPECT_EQ(doc["summary"]["not_clean"], 0);
        std::set<std::string> ops;
        for (const auto &p : doc["points"]) {
            if (p["outcome"] == "no-hit") continue;
            EXPECT_EQ(p["outcome"], "clean") << p.dump();
            ops.insert(p["op"].get<std::string>());
        }
        EXPECT_TRUE(ops.count("create"));
        EXPECT_TRUE(ops.count("bind"));
        // One line per point, and the trace swept beside the report.
        std::size_t lines = 0;
        for (std::size_t at = r.out.find("\n  #"); at != std::string::npos;
             at = r.out.find("\n  #", at + 1))
            ++lines;
        EXPECT_EQ(lines, doc["points"].size());
        EXPECT_NO_THROW(engine::load_trace((dir_ / "fn" / "trace.json").string()));
    }
}

TEST_F(FailnthCli, JsonAndAGivenTrace) {
    Result first = run("failnth --driver vtd --out fn");
    ASSERT_EQ(first.status, 0) << first.all();
    Result r = run("failnth --driver vtd --json --out fn2 fn/trace.json");
    ASSERT_EQ(r.status, 0) << r.all();
    json doc = json::parse(r.out);
    EXPECT_EQ(doc["points"], report("fn")["points"]);
    EXPECT_EQ(doc["points"], report("fn2")["points"]);
    EXPECT_EQ(doc["trace"]["source"], "fn/trace.json");
}

TEST_F(FailnthCli, APluginInProcess) {
    Result r = run("failnth --no-isolate --out fn --driver-lib " +
                   quote(std::string(SVAC_PLUGIN_DIR) + "/smmuv3_plugin.so"));
    ASSERT_EQ(r.status, 0) << r.all();
    json doc = report();
    expect_one_record_per_point(doc, kSmmuv3MinPoints);
    EXPECT_EQ(doc["driver"]["library_kind"], "plugin");
    EXPECT_EQ(doc["isolated"], false);
}

TEST_F(FailnthCli, APluginIsolatedByDefault) {
    Result r = run("failnth --out fn --driver-lib " +
                   quote(std::string(SVAC_PLUGIN_DIR) + "/vtd_plugin.so"));
    json doc = report();
    EXPECT_EQ(doc["isolated"], true);
    EXPECT_GT(doc["allocations"], 0) << "the child's allocation count reaches the sweep";
    ASSERT_EQ(r.status, 0) << r.all();
    expect_one_record_per_point(doc, kVtdMinPoints);
}

TEST_F(FailnthCli, ANonConformantTraceOrAPointNotCleanExitsOne) {
    // The mutant fails the trace without any injection.
    Result base = run("failnth --driver smmuv3 --mutant release-keeps-cd --out fn");
    EXPECT_EQ(base.status, 1) << base.all();
    EXPECT_NE(base.out.find("not conformant without an injected failure"), std::string::npos)
        << base.out;
    EXPECT_TRUE(report()["points"].empty());
    EXPECT_TRUE(fs::exists(dir_ / "fn" / "baseline.json"));

    // This one only when a bind failed: its unbind then answers 0 for a bond
    // it never made.
    Result r = run("failnth --driver smmuv3 --mutant unbind-unbound-ok --out fn");
    ASSERT_EQ(r.status, 1) << r.all();
    EXPECT_NE(r.out.find("injection points not clean"), std::string::npos) << r.out;
    json doc = report();
    const json *bad = nullptr;
    for (const auto &p : doc["points"])
        if (p["outcome"] == "finding" && !bad) bad = &p;
    ASSERT_TRUE(bad);
    const std::string trace = (*bad)["finding"]["trace"].get<std::string>();
    EXPECT_TRUE(fs::exists(dir_ / trace)) << trace;
    // Its trace replays the injection.
    Result again = run("replay --quiet --driver smmuv3 --mutant unbind-unbound-ok " + quote(trace));
    EXPECT_EQ(again.status, 1) << again.all();
    EXPECT_NE(again.out.find((*bad)["finding"]["clause"].get<std::string>() + " at step " +
                             std::to_string((*bad)["finding"]["step"].get<int>())),
              std::string::npos)
        << again.out;
    // A clean rerun leaves no stale point traces behind.
    ASSERT_EQ(run("failnth --driver smmuv3 --out fn").status, 0);
    EXPECT_TRUE(fs::is_empty(dir_ / "fn" / "points"));
}

TEST_F(FailnthCli, BadUsageExitsTwo) {
    EXPECT_EQ(run("failnth").status, 2);
    EXPECT_EQ(run("failnth --driver nosuch").status, 2);
    Result missing = run("failnth --driver smmuv3 missing.json");
    EXPECT_EQ(missing.status, 2);
    EXPECT_NE(missing.err.find("missing.json"), std::string::npos) << missing.err;
    // A VT-d trace for the SMMUv3 driver.
    ASSERT_EQ(run("failnth --driver vtd --out fn").status, 0);
    Result arch = run("failnth --driver smmuv3 fn/trace.json");
    EXPECT_EQ(arch.status, 2);
    EXPECT_NE(arch.err.find("/topology"), std::string::npos) << arch.err;
    Result typo = run("failnthx --driver smmuv3");
    EXPECT_EQ(typo.status, 2);
    EXPECT_NE(typo.err.find("failnth"), std::string::npos) << typo.err;
}

// ---- stopping ----

using test_support::describe_status;
using test_support::spawn_cli;
using test_support::Spawned;
using test_support::wait_exit;
using test_support::wait_until;

// A plugin that never returns once an allocation after its first is refused:
// point 1 (create refused its first block) is judged, point 2 hangs in its
// child under a step limit of an hour. The stop must not wait for it.
std::vector<std::string> hanging_sweep() {
    return {"failnth",
            "--out",
            "fn",
            "--step-timeout",
            "3600",
            "--driver-lib",
            std::string(SVAC_PLUGIN_DIR) + "/hostile_loop_on_enomem.so"};
}

// The pids of a process's children ("" if none).
std::string children_of(pid_t pid) {
    const std::string p = "/proc/" + std::to_string(pid);
    return read_file(p + "/task/" + std::to_string(pid) + "/children");
}

class FailnthStop : public FailnthCli, public testing::WithParamInterface<int> {};

// The signal once point 1's line is out: the command ends by itself with
// failnth.json holding point 1, marked incomplete.
TEST_P(FailnthStop, WritesThePointsSoFarMarkedIncomplete) {
    Spawned s = spawn_cli(dir_, hanging_sweep());
    ASSERT_GT(s.pid, 0);
    ASSERT_TRUE(wait_until(
        s, [&] { return read_file(dir_ / "stdout.txt").find("\n  #1 ") != std::string::npos; }))
        << "ended (" << describe_status(*s.status) << ") before point 1\n"
        << read_file(dir_ / "stdout.txt") << read_file(dir_ / "stderr.txt");
    ::kill(s.pid, GetParam());
    const int status = wait_exit(s);
    const std::string out = read_file(dir_ / "stdout.txt"), err = read_file(dir_ / "stderr.txt");
    ASSERT_TRUE(WIFEXITED(status)) << describe_status(status) << "\n" << out << err;
    EXPECT_EQ(WEXITSTATUS(status), 0) << out << err;
    json doc = report();
    EXPECT_EQ(doc["complete"], false);
    EXPECT_EQ(doc["summary"]["complete"], false);
    EXPECT_EQ(doc["baseline"], "conformant");
    ASSERT_EQ(doc["points"].size(), 1u) << doc.dump(1);
    EXPECT_EQ(doc["points"][0]["n"], 1);
    EXPECT_EQ(doc["points"][0]["at"], "create");
    EXPECT_EQ(doc["points"][0]["outcome"], "clean");
    EXPECT_EQ(doc["summary"]["points"], 1);
    EXPECT_NE(out.find("stopped by a signal after 1 points"), std::string::npos) << out;
}

INSTANTIATE_TEST_SUITE_P(Signals, FailnthStop, testing::Values(SIGINT, SIGTERM),
                         [](const testing::TestParamInfo<int> &p) {
                             return std::string(p.param == SIGINT ? "SIGINT" : "SIGTERM");
                         });

// An earlier run's failnth.json is replaced as the sweep starts: a sweep
// killed outright leaves a file marked incomplete, not the earlier one.
TEST_F(FailnthCli, AKilledSweepNeverLeavesAnEarlierFileLookingCurrent) {
    ASSERT_EQ(run("failnth --driver smmuv3 --out fn").status, 0);
    const std::string before = read_file(dir_ / "fn" / "failnth.json");
    ASSERT_EQ(report()["complete"], true);
    Spawned s = spawn_cli(dir_, hanging_sweep());
    ASSERT_GT(s.pid, 0);
    ASSERT_TRUE(wait_until(
        s, [&] { return read_file(dir_ / "stdout.txt").find("\n  #1 ") != std::string::npos; }))
        << "ended (" << describe_status(*s.status) << ") before point 1\n"
        << read_file(dir_ / "stderr.txt");
    // Point 2's child, hanging: it must not outlive the command.
    std::string child;
    ASSERT_TRUE(wait_until(s, [&] { return !(child = children_of(s.pid)).empty(); }));
    ::kill(s.pid, SIGKILL);
    wait_exit(s);
    const fs::path proc = "/proc/" + child.substr(0, child.find(' '));
    while (fs::exists(proc) && read_file(proc / "stat").find(") Z") == std::string::npos)
        std::this_thread::sleep_for(std::chrono::milliseconds(10)); // gone, or a zombie
    json doc = report();
    EXPECT_EQ(doc["complete"], false);
    EXPECT_EQ(doc["summary"]["complete"], false);
    EXPECT_TRUE(doc["points"].empty()) << doc.dump(1);
    EXPECT_EQ(doc["driver"]["name"], "hostile_loop_on_enomem");
}

} // namespace
