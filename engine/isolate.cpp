// Isolation: each driver run isolated has a driver host (engine/host/), kept
// from one sequence to the next.
#include "engine/isolate.h"

#include "engine/host/link.h"

#include <algorithm>
#include <map>
#include <memory>

namespace svac::engine {

namespace {

// The hosts of the drivers run isolated, kept from one sequence to the next
// (at most a few drivers at a time: a mutant sweep's are many).
constexpr std::size_t kMaxHosts = 4;
// A host serves at most this many sequences before a fresh one takes over:
// what a driver leaks or corrupts in its process has a bounded life.
constexpr uint64_t kSequencesPerHost = 10000;

host::HostLink &host_for(const svac_driver_ops &driver, const Trace &trace, const Isolation &limits,
                         const RunOptions &options, std::size_t until) {
    static std::map<const svac_driver_ops *, std::unique_ptr<host::HostLink>> hosts;
    auto it = hosts.find(&driver);
    if (it != hosts.end() &&
        (!it->second->usable() || it->second->sequences() >= kSequencesPerHost ||
         !it->second->can_run(trace, limits, options, until))) {
        hosts.erase(it);
        it = hosts.end();
    }
    if (it == hosts.end()) {
        if (hosts.size() >= kMaxHosts) hosts.erase(hosts.begin());
        std::unique_ptr<host::HostLink> link;
        try {
            link = limits.remote.empty() ? std::make_unique<host::HostLink>(driver)
                                         : std::make_unique<host::HostLink>(driver, limits.remote,
                                                                            limits.step_timeout_s);
        } catch (const std::runtime_error &e) {
            throw HostUnreachable(limits.remote.empty() ? e.what()
                                                        : std::string("driver host ") + e.what());
        }
        it = hosts.emplace(&driver, std::move(link)).first;
    }
    return *it->second;
}

} // namespace

std::optional<Finding> run_isolated(const svac_driver_ops &driver, const Trace &trace,
                                    RunStats &stats, const Isolation &limits,
                                    const RunOptions &options, const StepHook &hook,
                                    const std::function<void(DriverInstance &)> &inspect,
                                    std::optional<std::size_t> until) {
    const std::size_t last = std::min(until.value_or(trace.ops.size()), trace.ops.size());
    return host_for(driver, trace, limits, options, last)
        .run(trace, stats, limits, options, hook, inspect, last);
}

} // namespace svac::engine
