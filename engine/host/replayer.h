// The kit's side of a driver call made in a host: in place of the driver,
// the replayer takes the host's account of the call (protocol.h, events)
// and applies each platform call the driver made to the kit's own platform,
// in order, so that the kit's memory, registers, command record and fault
// core are rebuilt from what the driver did, not taken from the host. What
// the host reports the platform answered (an allocation's address, a
// command's result, the core's return) must be what the kit's platform
// answers; the entry points the host called must be the ones the kit's
// instance calls. Anything else breaks the account: a HostFailure under
// ROBUST-6, and the replayer calls nothing more.
#pragma once

#include "engine/driver_calls.h"
#include "engine/engine.h"
#include "engine/host/protocol.h"

#include <string>

namespace svac::engine::host {

// Where the events come from: the host's `events` frames, in order.
class EventSource {
public:
    virtual ~EventSource() = default;
    // Appends the next frame's events to `into`. Throws CallLost when there
    // are none to come (the host ended, hung, broke the protocol).
    virtual void more(std::string &into) = 0;
};

class Replayer final : public DriverCalls {
public:
    Replayer(std::string name, EventSource &source) : name_(std::move(name)), source_(source) {}

    std::string name() const override { return name_; }
    bool create(const svac_platform *p, const svac_topology *t, MmExit on_exit) override;
    EntryReturn call(const EntryCall &c) override;

    // The account broke (or the host was lost): nothing more is read.
    bool broken() const { return broken_; }

private:
    EventTag next_tag();
    template <class T> T read();
    EntryCall read_call();
    svac_fault read_fault();
    // Applies platform calls until the record that ends the current call
    // (leave, created, returned), which it returns.
    EventTag replay();
    [[noreturn]] void disagree(const std::string &what);

    std::string name_;
    EventSource &source_;
    std::string buf_;
    std::size_t pos_ = 0;
    const svac_platform *p_ = nullptr; // the kit's platform
    MmExit on_exit_;
    bool broken_ = false;
};

} // namespace svac::engine::host
