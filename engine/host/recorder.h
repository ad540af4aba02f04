// The host's side of a driver call: the driver runs here, and the recorder
// between it and its DriverInstance writes down, in order, every entry
// point called and what it returned, and every platform call the driver
// made that changes the platform (protocol.h, events). The kit replays them
// (replayer.h) on its own platform.
#pragma once

#include "engine/driver_calls.h"
#include "engine/host/protocol.h"

#include <functional>
#include <memory>
#include <string>

namespace svac::engine::host {

class Recorder final : public DriverCalls {
public:
    // Events go to the end of `events`, which the host sends and clears;
    // `recorded` is called after each platform call is written down (the
    // host sends a buffer grown large within one call).
    Recorder(std::unique_ptr<DriverCalls> driver, std::string &events,
             std::function<void()> recorded = {});

    std::string name() const override { return driver_->name(); }
    bool create(const svac_platform *p, const svac_topology *t, MmExit on_exit) override;
    EntryReturn call(const EntryCall &c) override;

private:
    static Recorder &self(void *ctx) { return *static_cast<Recorder *>(ctx); }
    std::unique_ptr<DriverCalls> driver_;
    EventWriter out_;
    std::function<void()> recorded_;
    void done() {
        if (recorded_) recorded_();
    }
    const svac_platform *real_ = nullptr; // the host's platform
    svac_platform recording_{};           // what the driver is given
};

} // namespace svac::engine::host
