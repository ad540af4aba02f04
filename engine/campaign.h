// A campaign: many generated sequences run differentially against one
// driver. Findings are grouped by clause; the shortest trace per clause is
// kept as its reproducer.
#pragma once

#include "engine/engine.h"
#include "engine/generator.h"

#include <functional>
#include <map>
#include <span>
#include <string>
#include <vector>

namespace svac::engine {

struct CampaignConfig {
    uint64_t seed = 0;
    uint64_t sequences = 1000;
    uint32_t ops = 32;
    double time_s = 0; // 0: no time budget
    std::string profile = "rfc2019";
    RunOptions options;
};

struct CampaignResult {
    uint64_t sequences = 0; // sequences run
    RunStats stats;
    std::map<ref::ClauseId, Finding> findings;     // the shortest per clause
    std::map<ref::ClauseId, uint64_t> occurrences; // sequences that hit it
    std::vector<std::string> errors;               // the driver refused a topology, ...
    bool out_of_time = false;
    bool interrupted = false; // stopped by a signal (engine/interrupt.h)
};

// The driver errors a result keeps; beyond them only the count of sequences
// says how many ran.
inline constexpr std::size_t kMaxErrors = 20;
// An isolated campaign sends its driver host up to this many sequences
// ahead of the one being judged (RunOptions::ahead).
inline constexpr uint64_t kAheadSequences = 8;

// The sequences of a campaign made ahead of their turn, so that an isolated
// campaign's driver host runs them while the kit judges (RunOptions::ahead).
// Sequence i of a campaign is the same whenever it is made.
class Coming {
public:
    using Make = std::function<Trace(uint64_t sequence)>;
    using How = std::function<Made(uint64_t sequence)>;
    // `depth` sequences ahead, of `total`; make(k) makes sequence k, and
    // how(k), if given, says how (RunOptions::made).
    Coming(uint64_t total, uint64_t depth, Make make, How how = nullptr)
        : total_(total), depth_(depth), make_(std::move(make)), how_(std::move(how)) {}
    // Sequence i, the one after the last taken; ahead() then holds the next
    // ones, up to i + depth, and made() how i and they were made.
    Trace take(uint64_t i);
    std::span<const Trace> ahead() const { return traces_; }
    std::span<const Made> made() const { return made_; }

private:
    uint64_t total_, depth_, next_ = 0, built_ = 0;
    Make make_;
    How how_;
    std::vector<Trace> traces_; // sequences next_ .. built_ - 1
    std::vector<Made> made_;    // sequences next_ - 1 .. built_ - 1, if how_
};

// Called now and then with the result so far and the planned sequence count.
using Progress = std::function<void(const CampaignResult &, uint64_t planned, double elapsed_s)>;

CampaignResult run_campaign(const svac_driver_ops &driver, const CampaignConfig &cfg,
                            const Progress &progress = nullptr);

} // namespace svac::engine
