// A campaign: many generated sequences run differentially against one
// driver. Findings are grouped by clause; the shortest trace per clause is
// kept as its reproducer.
#pragma once

#include "engine/engine.h"
#include "engine/generator.h"

#include <functional>
#include <map>
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

// Called now and then with the result so far and the planned sequence count.
using Progress = std::function<void(const CampaignResult &, uint64_t planned, double elapsed_s)>;

CampaignResult run_campaign(const svac_driver_ops &driver, const CampaignConfig &cfg,
                            const Progress &progress = nullptr);

} // namespace svac::engine
