// The driver host (engine/host/): the kit judges a driver that runs in
// another process from the host's account of each call, replayed on the
// kit's own platform. A sequence judged that way must give exactly what the
// driver gives in-process — the same finding, at the same step, with the
// same checks — for the bundled drivers and every seeded-bug mutant; and an
// account that breaks the protocol or disagrees with the kit's platform is
// a finding (ROBUST-6), not a verdict taken on trust.
#include "engine/campaign.h"
#include "engine/child.h"
#include "engine/driver.h"
#include "engine/generator.h"
#include "engine/host/link.h"
#include "engine/host/protocol.h"
#include "engine/host/recorder.h"
#include "engine/host/replayer.h"
#include "engine/host/serve.h"
#include "engine/isolate.h"
#include "models/registry.h"

#include <gtest/gtest.h>

#include <string>
#include <sys/socket.h>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>

#if defined(__SANITIZE_ADDRESS__)
#define SVAC_TEST_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define SVAC_TEST_ASAN 1
#endif
#endif
#ifndef SVAC_TEST_ASAN
#define SVAC_TEST_ASAN 0
#endif

namespace {

using namespace svac;

// Sequences per driver and mutant: fewer in the sanitizer build, which is
// several times slower.
constexpr int kSequencesEach = SVAC_TEST_ASAN ? 12 : 40;
using engine::Finding;
using engine::RunStats;
using engine::Trace;

std::string describe(const std::optional<Finding> &f) {
    if (!f) return "no finding";
    return std::string(ref::clause_id(f->clause)) + " at step " + std::to_string(f->step) + ": " +
           f->message;
}

std::vector<uint64_t> checks_of(const RunStats &s) {
    std::vector<uint64_t> v;
    for (const auto &c : ref::clause_catalog()) v.push_back(s.checks[c.ident]);
    return v;
}

// Everything but the ROBUST checks the host adds for a sequence that held.
void erase_robust(std::vector<uint64_t> &checks) {
    for (auto c : {ref::ClauseId::ROBUST_1, ref::ClauseId::ROBUST_2, ref::ClauseId::ROBUST_3,
                   ref::ClauseId::ROBUST_6})
        checks[static_cast<std::size_t>(c)] = 0;
}

struct Named {
    std::string name;
    const svac_driver_ops *ops;
    std::string profile = "rfc2019"; // the sequences' API generation
};

// Each bundled driver under rfc2019 and linux-6.1 (the handle-based
// contract through the host), and each mutant under its own profile.
std::vector<Named> drivers_and_mutants() {
    std::vector<Named> v;
    for (const auto &d : models::bundled_drivers()) {
        v.push_back({std::string(d.name), d.entry()});
        v.push_back({std::string(d.name), d.entry(), "linux-6.1"});
        for (const auto &m : d.mutants)
            v.push_back({std::string(d.name) + ":" + std::string(m.name), models::mutant_ops(d, m),
                         std::string(m.profile)});
    }
    return v;
}

// In-process and hosted runs of the same traces agree, finding for finding.
TEST(Host, EveryDriverAndMutantIsJudgedAsInProcess) {
    engine::Isolation limits;
    std::size_t findings = 0, sequences = 0;
    for (const Named &d : drivers_and_mutants()) {
        engine::GenConfig gen;
        gen.arch_mask = d.ops->arch_mask;
        gen.profile = d.profile;
        engine::Rng rng(7);
        for (int s = 0; s < kSequencesEach; ++s) {
            Trace t = engine::generate_trace(rng, gen);
            RunStats direct, hosted;
            std::optional<Finding> a, b;
            try {
                a = engine::run_differential(*d.ops, t, direct, engine::RunOptions{});
            } catch (const engine::DriverError &) {
                continue;
            }
            engine::RunOptions iso;
            iso.isolate = limits;
            b = engine::run_differential(*d.ops, t, hosted, iso);
            ++sequences;
            ASSERT_EQ(describe(a), describe(b)) << d.name << " sequence " << s;
            if (a) {
                ++findings;
                EXPECT_EQ(a->actual, b->actual) << d.name;
                EXPECT_EQ(engine::trace_to_json(a->trace), engine::trace_to_json(b->trace));
            }
            EXPECT_EQ(direct.steps, hosted.steps) << d.name;
            auto ca = checks_of(direct), cb = checks_of(hosted);
            erase_robust(ca);
            erase_robust(cb);
            EXPECT_EQ(ca, cb) << d.name << " sequence " << s;
        }
    }
    EXPECT_GT(findings, SVAC_TEST_ASAN ? 15u : 30u); // the mutants are found through the host too
    EXPECT_GT(sequences, SVAC_TEST_ASAN ? 300u : 1000u);
}

// Sequences sent ahead (RunOptions::ahead, as a campaign sends them) are
// judged as in-process, finding for finding, even when the host is lost on
// one of them; a sequence other than the one sent ahead (the caller
// changed its mind) is run by a fresh host, not answered with the account
// of another. Sent as traces (some cut, as a finding's is), and as how
// they were made (RunOptions::made).
TEST(Host, SequencesSentAheadAreJudgedAsInProcess) {
    engine::Isolation limits;
    std::size_t findings = 0, runs = 0;
    for (const Named &d : drivers_and_mutants()) {
        for (const bool as_made : {false, true}) {
            engine::GenConfig gen;
            gen.arch_mask = d.ops->arch_mask;
            gen.profile = d.profile;
            std::vector<Trace> traces;
            std::vector<engine::Made> made;
            for (int s = 0; s < kSequencesEach / 4; ++s) {
                const uint64_t state = engine::Rng::derive(11, static_cast<uint64_t>(s));
                engine::Rng rng(state);
                traces.push_back(engine::generate_trace(rng, gen));
                made.push_back(engine::plain_made(state, gen));
                auto &ops = traces.back().ops; // its second half alone
                if (!as_made && s % 5 == 4)
                    ops.erase(ops.begin(), ops.begin() + static_cast<long>(ops.size() / 2));
            }
            // In order with the rest ahead; every third sequence then skips the
            // one sent ahead of it.
            for (std::size_t s = 0; s < traces.size(); s += (s % 3 == 2) ? 2 : 1) {
                RunStats direct, hosted;
                std::optional<Finding> a, b;
                try {
                    a = engine::run_differential(*d.ops, traces[s], direct, engine::RunOptions{});
                } catch (const engine::DriverError &) {
                    continue;
                }
                engine::RunOptions iso;
                iso.isolate = limits;
                const std::size_t ahead =
                    std::min<std::size_t>(engine::kAheadSequences, traces.size() - s - 1);
                iso.ahead = std::span<const Trace>(traces).subspan(s + 1, ahead);
                if (as_made) iso.made = std::span<const engine::Made>(made).subspan(s, ahead + 1);
                b = engine::run_differential(*d.ops, traces[s], hosted, iso);
                ++runs;
                ASSERT_EQ(describe(a), describe(b)) << d.name << " sequence " << s;
                findings += a.has_value();
                EXPECT_EQ(direct.steps, hosted.steps) << d.name << " sequence " << s;
            }
        }
    }
    EXPECT_GT(findings, SVAC_TEST_ASAN ? 8u : 15u);
    EXPECT_GT(runs, SVAC_TEST_ASAN ? 150u : 500u);
}

// What a host says of its children after each sequence starts from
// has_children: a child of any thread, running or ended, counts until it is
// waited for. Checked in a process of its own, which has no other child.
TEST(HostChildren, AChildOfAnyThreadCountsUntilItIsWaitedFor) {
    const pid_t pid = ::fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
        if (engine::has_children()) _exit(10);
        const pid_t kid = ::fork();
        if (kid == 0) {
            ::pause();
            _exit(0);
        }
        if (!engine::has_children() || engine::children_of(::getpid()) != std::to_string(kid))
            _exit(11);
        ::kill(kid, SIGKILL);
        ::usleep(1000);
        if (!engine::has_children()) _exit(12); // ended, not waited for
        ::waitpid(kid, nullptr, 0);
        if (engine::has_children()) _exit(13);
        pid_t other = -1; // a thread's child
        std::thread([&] {
            other = ::fork();
            if (other == 0) _exit(0);
        }).join();
        if (!engine::has_children()) _exit(14);
        ::waitpid(other, nullptr, 0);
        _exit(engine::has_children() ? 15 : 0);
    }
    int status = 0;
    ASSERT_EQ(::waitpid(pid, &status, 0), pid);
    ASSERT_TRUE(WIFEXITED(status));
    EXPECT_EQ(WEXITSTATUS(status), 0);
}

TEST(HostProtocol, FramesAreCheckedBeforeTheyAreTrusted) {
    using namespace engine::host;
    std::string bytes;
    append_header(bytes, FrameType::step, 0, 4);
    bytes.append("\1\0\0\0", 4);
    append_header(bytes, FrameType::done, 1, 2);
    bytes.append("{}");
    FrameReader r;
    r.feed(bytes.data(), 7); // a frame arrives in pieces
    EXPECT_FALSE(r.next());
    r.feed(bytes.data() + 7, bytes.size() - 7);
    auto f = r.next();
    ASSERT_TRUE(f);
    EXPECT_EQ(f->type, FrameType::step);
    auto g = r.next();
    ASSERT_TRUE(g);
    EXPECT_EQ(g->payload, "{}");
    EXPECT_TRUE(r.error().empty());

    auto broken = [](std::string b) {
        FrameReader x;
        x.feed(b.data(), b.size());
        EXPECT_FALSE(x.next());
        return x.error();
    };
    std::string out_of_order;
    append_header(out_of_order, FrameType::step, 5, 0);
    EXPECT_NE(broken(out_of_order).find("sequence number 5"), std::string::npos);
    std::string huge;
    append_header(huge, FrameType::events, 0, kMaxPayload + 1);
    EXPECT_NE(broken(huge).find("over the limit"), std::string::npos);
    std::string unknown;
    append_header(unknown, FrameType::step, 0, 0);
    unknown[4] = 99;
    EXPECT_NE(broken(unknown).find("not the protocol's"), std::string::npos);
}

// A source of events written by hand: what a lying host would send.
class Scripted : public engine::host::EventSource {
public:
    explicit Scripted(std::string events) : events_(std::move(events)) {}
    void more(std::string &into) override {
        if (events_.empty())
            throw engine::CallLost(ref::ClauseId::ROBUST_1, "the account ended", "");
        into += events_;
        events_.clear();
    }

private:
    std::string events_;
};

// The host's account of create: what the real driver did, recorded.
std::string recorded_create(const svac_driver_ops &ops, const ref::Topology &topo) {
    std::string events;
    engine::DriverInstance inst(
        std::make_unique<engine::host::Recorder>(engine::abi_calls(ops), events), topo);
    return events;
}

TEST(HostReplay, AnAccountThatDisagreesWithTheKitsPlatformIsAFinding) {
    const auto *smmu = models::find_bundled("smmuv3");
    ASSERT_TRUE(smmu);
    engine::Rng rng(1);
    engine::GenConfig gen;
    ref::Topology topo = engine::generate_topology(rng, gen);
    std::string events = recorded_create(*smmu->entry(), topo);
    ASSERT_FALSE(events.empty());
    { // the true account replays
        Scripted src(events);
        EXPECT_NO_THROW(
            engine::DriverInstance(std::make_unique<engine::host::Replayer>("smmuv3", src), topo));
    }
    { // an allocation the kit's platform would not have given
        std::string lie = events;
        // create, then its first allocation
        ASSERT_EQ(lie[0], static_cast<char>(engine::host::EventTag::create));
        ASSERT_EQ(lie[1], static_cast<char>(engine::host::EventTag::alloc));
        const std::size_t at = 1;
        lie[at + 1 + 16] ^= 0x40; // the returned address
        Scripted src(lie);
        try {
            engine::DriverInstance(std::make_unique<engine::host::Replayer>("smmuv3", src), topo);
            FAIL() << "a false address was taken";
        } catch (const engine::CallLost &e) {
            EXPECT_EQ(e.clause, ref::ClauseId::ROBUST_6);
            EXPECT_NE(e.detail.find("alloc("), std::string::npos) << e.detail;
        }
    }
    { // an account cut short is a lost call, not a driver that returned
        Scripted src(events.substr(0, events.size() / 2));
        EXPECT_THROW(
            engine::DriverInstance(std::make_unique<engine::host::Replayer>("smmuv3", src), topo),
            engine::CallLost);
    }
}

// The host's own failure (here a run frame it cannot read) is an `error`
// frame the kit reports as an error, never a finding against the driver;
// the host then serves on.
TEST(HostServe, ItsOwnFailureIsAnErrorFrameAndItServesOn) {
    using namespace engine::host;
    int sv[2];
    ASSERT_EQ(::socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
    const pid_t pid = ::fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
        ::close(sv[0]);
        _exit(serve(*models::find_bundled("vtd")->entry(), sv[1], sv[1]));
    }
    ::close(sv[1]);
    auto send = [&](FrameType t, uint32_t seq, const std::string &payload) {
        std::string b;
        append_header(b, t, seq, payload.size());
        b += payload;
        ASSERT_EQ(::write(sv[0], b.data(), b.size()), static_cast<ssize_t>(b.size()));
    };
    FrameReader r;
    auto next = [&]() -> std::optional<Frame> {
        for (;;) {
            if (auto f = r.next()) return f;
            char buf[4096];
            ssize_t n = ::read(sv[0], buf, sizeof buf);
            if (n <= 0) return std::nullopt;
            r.feed(buf, static_cast<std::size_t>(n));
        }
    };
    auto ready = next();
    ASSERT_TRUE(ready);
    EXPECT_EQ(ready->type, FrameType::ready);
    EXPECT_NE(ready->payload.find("\"protocol\":4"), std::string::npos) << ready->payload;
    send(FrameType::run, 0, "{not json");
    auto err = next();
    ASSERT_TRUE(err);
    EXPECT_EQ(err->type, FrameType::error);
    EXPECT_NE(err->payload.find("message"), std::string::npos) << err->payload;
    send(FrameType::quit, 1, "");
    int status = 0;
    ASSERT_EQ(::waitpid(pid, &status, 0), pid);
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << status;
    ::close(sv[0]);
}

} // namespace
