// The domain-based driver contract of linux-6.12 and linux-6.16 (driver ABI
// 5): the bundled drivers implement it, the kit plays iommu-sva.c around it
// (the mm's PASID, handles with references, the mm's SVA domains reused,
// rollback, detach and free), each op's calls into the driver are recorded,
// and the reference judges them (ATTACH-*, DOMAIN-*).
#include "engine/campaign.h"
#include "engine/driver.h"
#include "engine/engine.h"
#include "engine/failnth.h"
#include "engine/trace.h"
#include "models/registry.h"

#include <svac/driver_abi.h>

#include <gtest/gtest.h>

#include <map>
#include <string>
#include <vector>

using namespace svac;
using ref::DriverCall;
using ref::Op;
using ref::OpKind;

namespace {

const svac_driver_ops &bundled(const char *name) {
    return *models::find_bundled(name)->entry();
}

Op op_of(OpKind k, uint32_t dev = 0, uint32_t mm = 0, uint32_t feat = 0) {
    Op o;
    o.kind = k;
    o.dev = dev;
    o.mm = mm;
    o.feat = feat;
    return o;
}

Op unbind_handle(uint32_t name) {
    Op o;
    o.kind = OpKind::unbind;
    o.by_handle = true;
    o.handle = name;
    return o;
}

// One IOMMU of arch with two PRI devices of 20-bit PASIDs, and `mms` mms.
ref::Topology topology(ref::Arch arch, uint32_t mms) {
    ref::Topology t;
    t.iommus.push_back({arch, 20, true});
    for (uint32_t d = 0; d < 2; ++d) {
        ref::Device dev;
        dev.pasid_bits = 20;
        dev.pri = true;
        dev.ats = true;
        t.devices.push_back(dev);
    }
    t.mms = mms;
    return t;
}

// Runs the trace on driver: each op's observation, and the finding.
std::vector<ref::Observation> run(const svac_driver_ops &driver, const engine::Trace &trace,
                                  std::optional<engine::Finding> *finding = nullptr) {
    std::vector<ref::Observation> seen;
    engine::RunStats stats;
    auto f = engine::run_differential(
        driver, trace, stats,
        [&](std::size_t, const Op &, uint32_t, const ref::Expectation &,
            const ref::Observation &obs,
            const std::optional<ref::Violation> &) { seen.push_back(obs); });
    if (finding)
        *finding = f;
    else if (f)
        ADD_FAILURE() << ref::clause_id(f->clause) << ": " << f->message << "\n"
                      << engine::print_trace(f->trace);
    return seen;
}

std::vector<DriverCall::Kind> kinds(const ref::Observation &obs) {
    std::vector<DriverCall::Kind> k;
    if (obs.calls)
        for (const DriverCall &c : *obs.calls) k.push_back(c.kind);
    return k;
}

} // namespace

TEST(DomainContract, BundledDriversAreConformantUnderEachDomainProfile) {
    for (const char *driver : {"smmuv3", "vtd"})
        for (const char *profile : {"linux-6.12", "linux-6.16"}) {
            SCOPED_TRACE(std::string(driver) + " " + profile);
            engine::CampaignConfig cfg;
            cfg.seed = 5;
            cfg.sequences = 600;
            cfg.profile = profile;
            const auto r = engine::run_campaign(bundled(driver), cfg);
            for (const auto &[c, f] : r.findings)
                ADD_FAILURE() << ref::clause_id(c) << ": " << f.message << "\n"
                              << engine::print_trace(f.trace);
            EXPECT_TRUE(r.errors.empty());
            EXPECT_EQ(r.sequences, 600u);
            // The core's calls were judged.
            for (ref::ClauseId c :
                 {ref::ClauseId::ATTACH_1, ref::ClauseId::ATTACH_2, ref::ClauseId::ATTACH_4,
                  ref::ClauseId::DOMAIN_1, ref::ClauseId::DOMAIN_2, ref::ClauseId::HANDLE_2})
                EXPECT_GT(r.stats.checks[c], 0u) << ref::clause_id(c);
            if (std::string(profile) == "linux-6.16") {
                for (ref::ClauseId c : {ref::ClauseId::ATTACH_3, ref::ClauseId::DOMAIN_3,
                                        ref::ClauseId::IOPF_12, ref::ClauseId::ATTACH_5})
                    EXPECT_GT(r.stats.checks[c], 0u) << ref::clause_id(c);
            }
        }
}

// The core shares a handle between binds of the same (dev, mm), attaches the
// mm's domain to a second device of the same IOMMU without allocating one,
// and at the last unbind detaches (the blocked domain, linux-6.16) and frees
// the domain with its last device.
TEST(DomainContract, TheCoreSharesHandlesAndReusesTheMmsDomain) {
    for (const char *driver : {"smmuv3", "vtd"}) {
        SCOPED_TRACE(driver);
        engine::Trace t;
        t.profile = "linux-6.16";
        t.topology = topology(std::string(driver) == "vtd" ? ref::Arch::vtd : ref::Arch::smmuv3, 2);
        t.ops = {op_of(OpKind::bind, 0, 0), // 0: PASID 1, handle 0, domain 0
                 op_of(OpKind::bind, 0, 0), // 1: handle 0 again, no call
                 op_of(OpKind::bind, 1, 0), // 2: handle 1, domain 0 attached
                 unbind_handle(0),          // 3: one reference of two
                 unbind_handle(0),          // 4: detached
                 unbind_handle(1)};         // 5: detached, domain 0 freed
        const auto s = run(bundled(driver), t);
        ASSERT_EQ(s.size(), t.ops.size());
        using K = DriverCall::Kind;
        EXPECT_EQ(s[0].handle, 0u);
        EXPECT_EQ(s[0].pasid, 1u);
        EXPECT_EQ(kinds(s[0]), (std::vector{K::domain_alloc_sva, K::set_dev_pasid}));
        EXPECT_EQ(s[1].handle, 0u);
        EXPECT_TRUE(kinds(s[1]).empty());
        EXPECT_EQ(s[2].handle, 1u);
        ASSERT_EQ(kinds(s[2]), std::vector{K::set_dev_pasid});
        EXPECT_EQ(s[2].calls->front().domain, 0u);
        EXPECT_TRUE(kinds(s[3]).empty());
        ASSERT_EQ(kinds(s[4]), std::vector{K::set_dev_pasid});
        EXPECT_EQ(s[4].calls->front().domain, DriverCall::kBlocked);
        EXPECT_EQ(s[4].calls->front().old, 0u);
        EXPECT_EQ(kinds(s[5]), (std::vector{K::set_dev_pasid, K::domain_free}));
    }
}

// linux-6.12: the detach is remove_dev_pasid; a bind that fails after the
// core gave the mm its PASID leaves the mm holding it (iommu_alloc_mm_data),
// so that the next mm gets the next PASID.
TEST(DomainContract, Linux612DetachesWithRemoveDevPasidAndKeepsAFailedBindsPasid) {
    engine::Trace t;
    t.profile = "linux-6.12";
    t.topology = topology(ref::Arch::smmuv3, 2);
    t.ops = {op_of(OpKind::bind, 0, 0), // SVA not enabled: -ENODEV, mm 0 keeps PASID 1
             op_of(OpKind::enable_feature, 0, 0, SVAC_FEAT_IOPF),
             op_of(OpKind::enable_feature, 0, 0, SVAC_FEAT_SVA),
             op_of(OpKind::bind, 0, 1), // PASID 2
             unbind_handle(0)};
    const auto s = run(bundled("smmuv3"), t);
    ASSERT_EQ(s.size(), t.ops.size());
    EXPECT_EQ(s[0].rc, -ENODEV);
    EXPECT_EQ(s[3].rc, 0);
    EXPECT_EQ(s[3].pasid, 2u);
    using K = DriverCall::Kind;
    EXPECT_EQ(kinds(s[4]), (std::vector{K::remove_dev_pasid, K::domain_free}));
}

namespace {

// A driver that refuses to attach a domain it did not allocate for that
// very device: a second device of the same IOMMU gets a second domain of the
// mm (DOMAIN-1).
std::map<uint64_t, uint32_t> g_owner;
const svac_driver_ops *g_base = nullptr;
int own_domain_alloc(void *drv, uint32_t dev, uint32_t mm, uint64_t *domain) {
    int rc = g_base->domain_alloc_sva(drv, dev, mm, domain);
    if (rc == 0) g_owner[*domain] = dev;
    return rc;
}
int own_set_dev_pasid(void *drv, uint64_t domain, uint32_t dev, uint32_t pasid, uint64_t old) {
    if (domain != SVAC_DOMAIN_BLOCKED && g_owner.count(domain) && g_owner[domain] != dev)
        return -EINVAL;
    return g_base->set_dev_pasid(drv, domain, dev, pasid, old);
}

// A blocked domain whose set_dev_pasid reports a failure after detaching.
int failing_blocked(void *drv, uint64_t domain, uint32_t dev, uint32_t pasid, uint64_t old) {
    int rc = g_base->set_dev_pasid(drv, domain, dev, pasid, old);
    return domain == SVAC_DOMAIN_BLOCKED ? -EIO : rc;
}

} // namespace

TEST(DomainContract, ASecondDomainOfTheMmOnOneIommuIsFound) {
    for (const char *driver : {"smmuv3", "vtd"}) {
        SCOPED_TRACE(driver);
        g_base = &bundled(driver);
        g_owner.clear();
        svac_driver_ops ops = bundled(driver);
        ops.name = "own-domains";
        ops.domain_alloc_sva = own_domain_alloc;
        ops.set_dev_pasid = own_set_dev_pasid;
        engine::Trace t;
        t.profile = "linux-6.16";
        t.topology = topology(std::string(driver) == "vtd" ? ref::Arch::vtd : ref::Arch::smmuv3, 1);
        t.ops = {op_of(OpKind::bind, 0, 0), op_of(OpKind::bind, 1, 0)};
        std::optional<engine::Finding> f;
        run(ops, t, &f);
        ASSERT_TRUE(f);
        EXPECT_EQ(f->clause, ref::ClauseId::DOMAIN_1) << f->message;
        EXPECT_EQ(f->step, 1u);
    }
}

TEST(DomainContract, ABlockedDomainThatFailsIsFound) {
    g_base = &bundled("vtd");
    svac_driver_ops ops = bundled("vtd");
    ops.name = "failing-blocked";
    ops.set_dev_pasid = failing_blocked;
    engine::Trace t;
    t.profile = "linux-6.16";
    t.topology = topology(ref::Arch::vtd, 1);
    t.ops = {op_of(OpKind::bind, 0, 0), unbind_handle(0)};
    std::optional<engine::Finding> f;
    run(ops, t, &f);
    ASSERT_TRUE(f);
    EXPECT_EQ(f->clause, ref::ClauseId::DOMAIN_3) << f->message;
    EXPECT_EQ(f->step, 1u);
    EXPECT_NE(f->message.find("-EIO"), std::string::npos) << f->message;
}

namespace {

// A recorded linux-6.12 trace of one bind and its unbind, with the calls
// given (JSON arrays), judged against the reference alone. A failing bind
// comes without SVA enabled first, where failing is allowed.
std::optional<engine::Finding> check(const std::string &bind_calls, const std::string &unbind_calls,
                                     int bind_rc = 0) {
    const std::string bind_rc_text = std::to_string(bind_rc);
    const std::string text =
        R"({"format": "sva-trace/1", "profile": "linux-6.12",
            "topology": {"iommus": [{"arch": "smmuv3", "pasid_bits": 20, "sva": true}],
                         "devices": [{"iommu": 0, "pasid_bits": 20, "pri": true}],
                         "mms": 1},
            "ops": [)" +
        std::string(bind_rc == 0 ? R"({"op": "enable_feature", "dev": 0, "feat": "iopf", "rc": 0},
                    {"op": "enable_feature", "dev": 0, "feat": "sva", "rc": 0},)"
                                 : "") +
        R"({"op": "bind", "dev": 0, "mm": 0, "rc": )" + bind_rc_text +
        (bind_rc == 0 ? R"(, "pasid": 1, "handle": 0)" : "") + R"(, "calls": )" + bind_calls + "}" +
        (bind_rc == 0 ? R"(, {"op": "unbind", "handle": 0, "calls": )" + unbind_calls + "}" : "") +
        "]}";
    engine::RunStats stats;
    return engine::check_recorded(engine::parse_trace(text, "t.json"), stats);
}

const char *kAttach = R"([{"call": "domain_alloc_sva", "dev": 0, "mm": 0, "domain": 0, "rc": 0},
                          {"call": "set_dev_pasid", "domain": 0, "dev": 0, "pasid": 1,
                           "old": null, "rc": 0}])";

} // namespace

TEST(DomainContract, RecordedCallsAreJudged) {
    // As the kernel does it: conformant.
    EXPECT_FALSE(check(kAttach, R"([{"call": "remove_dev_pasid", "dev": 0, "pasid": 1, "domain": 0},
                                    {"call": "domain_free", "domain": 0}])"));
    // Freed while attached (DOMAIN-2).
    auto f = check(kAttach, R"([{"call": "domain_free", "domain": 0}])");
    ASSERT_TRUE(f);
    EXPECT_EQ(f->clause, ref::ClauseId::DOMAIN_2) << f->message;
    // Left allocated with no device (DOMAIN-2).
    f = check(kAttach, R"([{"call": "remove_dev_pasid", "dev": 0, "pasid": 1, "domain": 0}])");
    ASSERT_TRUE(f);
    EXPECT_EQ(f->clause, ref::ClauseId::DOMAIN_2) << f->message;
    // A failed bind that leaves its domain (ATTACH-4).
    f = check(R"([{"call": "domain_alloc_sva", "dev": 0, "mm": 0, "domain": 0, "rc": 0},
                  {"call": "set_dev_pasid", "domain": 0, "dev": 0, "pasid": 1, "old": null,
                   "rc": -22}])",
              "", -22);
    ASSERT_TRUE(f);
    EXPECT_EQ(f->clause, ref::ClauseId::ATTACH_4) << f->message;
    // PASID 0 handed to the driver (ATTACH-2).
    f = check(R"([{"call": "domain_alloc_sva", "dev": 0, "mm": 0, "domain": 0, "rc": 0},
                  {"call": "set_dev_pasid", "domain": 0, "dev": 0, "pasid": 0, "old": null,
                   "rc": 0}])",
              "[]");
    ASSERT_TRUE(f);
    EXPECT_EQ(f->clause, ref::ClauseId::ATTACH_2) << f->message;
}

TEST(DomainContract, CallsReadBackAndAreRefusedWhereNoDomainsExist) {
    engine::Trace t;
    t.profile = "linux-6.16";
    t.topology = topology(ref::Arch::vtd, 1);
    t.ops = {op_of(OpKind::bind, 0, 0), unbind_handle(0)};
    std::vector<ref::Observation> seen = run(bundled("vtd"), t);
    ASSERT_EQ(seen.size(), 2u);
    for (std::size_t i = 0; i < 2; ++i) t.ops[i].recorded = seen[i];
    const auto &p = engine::profile_of(t);
    const engine::Trace back = engine::parse_trace(engine::trace_to_json(t).dump(), "t.json");
    ASSERT_EQ(back.ops.size(), 2u);
    EXPECT_EQ(back.ops[0].recorded.calls, seen[0].calls);
    EXPECT_EQ(back.ops[1].recorded.calls, seen[1].calls);
    EXPECT_TRUE(engine::op_to_json(t.ops[1], p)["calls"][0]["domain"] == "blocked");
    // linux-6.1 has no domains; linux-6.12 no blocked domain.
    engine::json j = engine::trace_to_json(t);
    j["profile"] = "linux-6.1";
    try {
        engine::parse_trace(j.dump(), "t61.json");
        ADD_FAILURE() << "a linux-6.1 trace with calls parsed";
    } catch (const engine::InputError &e) {
        EXPECT_NE(std::string(e.what()).find("t61.json: /ops/0/calls"), std::string::npos)
            << e.what();
    }
    j["profile"] = "linux-6.12";
    try {
        engine::parse_trace(j.dump(), "t612.json");
        ADD_FAILURE() << "a linux-6.12 trace with the blocked domain parsed";
    } catch (const engine::InputError &e) {
        EXPECT_NE(std::string(e.what()).find("t612.json: /ops/1/calls/0/domain"), std::string::npos)
            << e.what();
    }
}

namespace {

// smmuv3 as a driver built for ABI version 4: no domain-based functions in
// its table, and a platform that must say 4.
uint32_t g_platform_version = 0;
svac_platform g_lent{};
void *v4_create(const svac_platform *p, const svac_topology *t) {
    g_platform_version = p->abi_version;
    if (p->abi_version != 4) return nullptr;
    g_lent = *p;
    g_lent.abi_version = SVAC_ABI_VERSION; // what the model itself checks
    return bundled("smmuv3").create(&g_lent, t);
}

} // namespace

TEST(DomainContract, ADriverOfAbiVersion4StillLoadsAndRunsItsContracts) {
    svac_driver_ops ops = bundled("smmuv3");
    ops.abi_version = 4;
    ops.size = offsetof(svac_driver_ops, probe_device);
    ops.create = v4_create;
    ops.domain_alloc_sva = nullptr; // past its table: never read
    EXPECT_EQ(engine::check_driver_ops(&ops), "");
    EXPECT_EQ(engine::driver_contracts(ops), SVAC_CONTRACT_RFC2019 | SVAC_CONTRACT_HANDLE);
    const std::string refused = engine::check_driver_profile(ops, *ref::find_profile("linux-6.16"));
    EXPECT_NE(refused.find("domain-based contract"), std::string::npos) << refused;
    EXPECT_EQ(engine::check_driver_profile(ops, *ref::find_profile("linux-6.1")), "");
    engine::CampaignConfig cfg;
    cfg.seed = 3;
    cfg.sequences = 100;
    cfg.profile = "linux-6.1";
    const auto r = engine::run_campaign(ops, cfg);
    EXPECT_TRUE(r.findings.empty());
    EXPECT_TRUE(r.errors.empty());
    EXPECT_EQ(g_platform_version, 4u);

    // A version 5 table that says the domain contract without one of its
    // functions is refused, naming it.
    svac_driver_ops v5 = bundled("vtd");
    v5.remove_dev_pasid = nullptr;
    EXPECT_NE(engine::check_driver_ops(&v5).find("remove_dev_pasid"), std::string::npos);
}

// failnth's built-in trace in each profile's vocabulary: it reads back
// through the file format, the bundled drivers are conformant on it, and
// under the domain profiles it reaches the core's calls.
TEST(DomainContract, TheBuiltInFailnthTraceSpeaksEachProfile) {
    for (const ref::Profile &p : ref::profiles())
        for (ref::Arch arch : {ref::Arch::smmuv3, ref::Arch::vtd}) {
            SCOPED_TRACE(std::string(p.name) + " " + std::string(ref::arch_name(arch)));
            const engine::Trace t = engine::failnth_trace(arch, p);
            EXPECT_EQ(t.profile, p.name);
            const std::string text = engine::print_trace(t);
            ASSERT_EQ(engine::print_trace(engine::parse_trace(text, "built-in")), text);
            const auto seen = run(bundled(arch == ref::Arch::vtd ? "vtd" : "smmuv3"), t);
            std::size_t calls = 0;
            for (const ref::Observation &o : seen) calls += o.calls ? o.calls->size() : 0;
            if (p.contract == ref::Contract::domain)
                EXPECT_GT(calls, 10u);
            else
                EXPECT_EQ(calls, 0u);
        }
}

namespace {

// An attach that returns 0 and writes nothing: the PASID does not translate.
int lazy_attach(void *drv, uint64_t domain, uint32_t dev, uint32_t pasid, uint64_t old) {
    if (domain == SVAC_DOMAIN_BLOCKED) return g_base->set_dev_pasid(drv, domain, dev, pasid, old);
    return 0;
}

} // namespace

TEST(DomainContract, AnAttachThatReturns0WithoutAttachingIsFound) {
    for (const char *driver : {"smmuv3", "vtd"}) {
        SCOPED_TRACE(driver);
        g_base = &bundled(driver);
        svac_driver_ops ops = bundled(driver);
        ops.name = "lazy-attach";
        ops.set_dev_pasid = lazy_attach;
        engine::Trace t;
        t.profile = "linux-6.16";
        t.topology = topology(std::string(driver) == "vtd" ? ref::Arch::vtd : ref::Arch::smmuv3, 1);
        t.ops = {op_of(OpKind::bind, 0, 0)};
        std::optional<engine::Finding> f;
        run(ops, t, &f);
        ASSERT_TRUE(f);
        EXPECT_EQ(f->clause, ref::ClauseId::ATTACH_1) << f->message;
        EXPECT_EQ(f->step, 0u);
    }
}

// linux-6.16: the blocked domain replaces the domain attached at the PASID,
// which `old` names (ATTACH-3).
TEST(DomainContract, ABlockedDetachNamingAnotherOldIsFound) {
    const std::string text = R"({"format": "sva-trace/1", "profile": "linux-6.16",
        "topology": {"iommus": [{"arch": "smmuv3", "pasid_bits": 20, "sva": true}],
                     "devices": [{"iommu": 0, "pasid_bits": 20, "pri": true}], "mms": 1},
        "ops": [{"op": "bind", "dev": 0, "mm": 0, "rc": 0, "pasid": 1, "handle": 0,
                 "calls": [{"call": "domain_alloc_sva", "dev": 0, "mm": 0, "domain": 0, "rc": 0},
                           {"call": "set_dev_pasid", "domain": 0, "dev": 0, "pasid": 1,
                            "old": null, "rc": 0}]},
                {"op": "unbind", "handle": 0,
                 "calls": [{"call": "set_dev_pasid", "domain": "blocked", "dev": 0, "pasid": 1,
                            "old": 3, "rc": 0},
                           {"call": "domain_free", "domain": 0}]}]})";
    engine::RunStats stats;
    const auto f = engine::check_recorded(engine::parse_trace(text, "t.json"), stats);
    ASSERT_TRUE(f);
    EXPECT_EQ(f->clause, ref::ClauseId::ATTACH_3) << f->message;
    EXPECT_EQ(f->step, 1u);
}

// linux-5.3: set_ops with other ops than the handle has fails -EEXIST
// (HANDLE-3): the recorded example passes, and with the refusal recorded as
// 0 it fails there.
TEST(DomainContract, SetOpsTwiceWithOtherOpsIsFound) {
    const std::string path =
        std::string(SVAC_SOURCE_DIR) + "/examples/traces/linux-5.3-set-ops.json";
    engine::Trace t = engine::load_trace(path);
    engine::RunStats stats;
    EXPECT_FALSE(engine::check_recorded(t, stats));
    ASSERT_EQ(t.ops[4].kind, OpKind::set_ops);
    t.ops[4].recorded.rc = 0;
    const auto f = engine::check_recorded(t, stats);
    ASSERT_TRUE(f);
    EXPECT_EQ(f->clause, ref::ClauseId::HANDLE_3) << f->message;
    EXPECT_EQ(f->step, 4u);
}

namespace {

// smmuv3 lent a platform whose mm_info says 39-bit VAs for a 48-bit mm: the
// CD's T0SZ is not the mm's (SMMU-CD-6, the CD of an SVA domain).
svac_platform g_narrow{};
int narrow_mm_info(void *ctx, uint32_t mm, svac_mm_info *info) {
    int rc = g_lent.mm_info(ctx, mm, info);
    if (rc == 0) info->va_bits = 39;
    return rc;
}
void *narrow_create(const svac_platform *p, const svac_topology *t) {
    g_lent = *p;
    g_narrow = *p;
    g_narrow.mm_info = narrow_mm_info;
    return bundled("smmuv3").create(&g_narrow, t);
}

} // namespace

TEST(DomainContract, ACdThatWalksTheMmWronglyIsFoundUnderSmmuCd6) {
    svac_driver_ops ops = bundled("smmuv3");
    ops.name = "narrow-va";
    ops.create = narrow_create;
    engine::Trace t;
    t.profile = "linux-6.12";
    t.topology = topology(ref::Arch::smmuv3, 1);
    t.ops = {op_of(OpKind::enable_feature, 0, 0, SVAC_FEAT_IOPF),
             op_of(OpKind::enable_feature, 0, 0, SVAC_FEAT_SVA), op_of(OpKind::bind, 0, 0)};
    std::optional<engine::Finding> f;
    run(ops, t, &f);
    ASSERT_TRUE(f);
    EXPECT_EQ(f->clause, ref::ClauseId::SMMU_CD_6) << f->message;
    EXPECT_EQ(f->step, 2u);
    EXPECT_NE(f->message.find("T0SZ"), std::string::npos) << f->message;
}
