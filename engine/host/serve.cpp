#include "engine/host/serve.h"

#include "engine/driver.h"
#include "engine/engine.h"
#include "engine/host/protocol.h"
#include "engine/host/recorder.h"
#include "engine/trace.h"

#include <cerrno>
#include <cstdio>
#include <unistd.h>

#if defined(__SANITIZE_ADDRESS__)
#define SVAC_HAVE_LSAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define SVAC_HAVE_LSAN 1
#endif
#endif
#ifdef SVAC_HAVE_LSAN
#include <sanitizer/lsan_interface.h>
#endif

namespace svac::engine::host {

namespace {

// Events are sent at each op's start, and within a call once this many
// bytes wait: a driver that stores without end fills no buffer.
constexpr std::size_t kFlushBytes = 256 * 1024;

class Connection {
public:
    Connection(int in, int out) : in_(in), out_(out) {}

    void frame(FrameType t, std::string_view payload) {
        append_header(pending_, t, seq_++, payload.size());
        pending_.append(payload);
    }
    bool flush() {
        std::size_t off = 0;
        while (off < pending_.size()) {
            ssize_t w = ::write(out_, pending_.data() + off, pending_.size() - off);
            if (w < 0 && errno == EINTR) continue;
            if (w <= 0) return false;
            off += static_cast<std::size_t>(w);
        }
        pending_.clear();
        return true;
    }
    // The next frame from the kit; nullopt at the end of input or a bad frame.
    std::optional<Frame> next() {
        for (;;) {
            if (auto f = reader_.next()) return f;
            if (!reader_.error().empty()) return std::nullopt;
            char buf[65536];
            ssize_t n = ::read(in_, buf, sizeof buf);
            if (n < 0 && errno == EINTR) continue;
            if (n <= 0) return std::nullopt;
            reader_.feed(buf, static_cast<std::size_t>(n));
        }
    }

private:
    int in_, out_;
    uint32_t seq_ = 0;
    std::string pending_;
    FrameReader reader_;
};

// The events the recorder wrote, as frames of at most kMaxPayload bytes.
void send_events(Connection &c, std::string &events) {
    for (std::size_t off = 0; off < events.size(); off += kMaxPayload)
        c.frame(FrameType::events,
                std::string_view(events).substr(
                    off, std::min<std::size_t>(kMaxPayload, events.size() - off)));
    events.clear();
}

bool run_one(const svac_driver_ops &driver, Connection &c, const json &req, HostStatus *status) {
    const Trace trace = parse_trace(req.at("trace").dump(), "the run frame's trace");
    RunOptions options;
    options.update_rules = req.value("update_rules", true);
    options.table_rules = req.value("table_rules", true);
    options.fail_alloc_nth = req.value("fail_alloc_nth", uint64_t{0});
    std::string events;
    bool ok = true;
    options.before_step = [&](std::size_t i) {
        if (status) {
            status->step.store(static_cast<uint32_t>(i + 1), std::memory_order_release);
            return;
        }
        send_events(c, events);
        const auto step = static_cast<uint32_t>(i);
        c.frame(FrameType::step, std::string_view(reinterpret_cast<const char *>(&step), 4));
        ok = ok && c.flush();
        if (!ok) _exit(1); // the kit is gone
    };
    const MakeCalls make = [&]() -> std::unique_ptr<DriverCalls> {
        return std::make_unique<Recorder>(abi_calls(driver), events, [&] {
            if (events.size() >= kFlushBytes) {
                send_events(c, events);
                if (!c.flush()) _exit(1);
            }
        });
    };
    if (status) {
        status->step.store(0, std::memory_order_release);
        status->run.fetch_add(1, std::memory_order_release);
    }
    RunStats stats;
    json done = {{"leak", false}};
    try {
        const std::size_t until = req.value("until", trace.ops.size());
        auto f = run_differential(make, trace, stats, nullptr, nullptr, until, options);
#ifdef SVAC_HAVE_LSAN
        if (req.value("leak_check", false) && !f && __lsan_do_recoverable_leak_check() != 0)
            done["leak"] = true;
#endif
    } catch (const DriverError &) { // create returned NULL: the account says so
    }
    send_events(c, events);
    c.frame(FrameType::done, done.dump());
    return c.flush();
}

} // namespace

int serve(const svac_driver_ops &driver, int in_fd, int out_fd, HostStatus *status) {
    Connection c(in_fd, out_fd);
    json ready = {{"protocol", kProtocolVersion},
                  {"name", driver.name ? driver.name : ""},
                  {"version", driver.version ? driver.version : ""},
                  {"abi_version", driver.abi_version},
                  {"arch_mask", driver.arch_mask}};
    c.frame(FrameType::ready, ready.dump(-1, ' ', false, json::error_handler_t::replace));
    if (!c.flush()) return 1;
    while (auto f = c.next()) {
        if (f->type == FrameType::quit) return 0;
        if (f->type != FrameType::run) return 1;
        try {
            if (!run_one(driver, c, json::parse(f->payload), status)) return 1;
        } catch (const std::exception &e) { // the host's own failure, not the driver's
            c.frame(FrameType::error, json{{"message", e.what()}}.dump(
                                          -1, ' ', false, json::error_handler_t::replace));
            if (!c.flush()) return 1;
        }
        std::fflush(stdout);
    }
    return 0;
}

} // namespace svac::engine::host
