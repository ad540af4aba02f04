// The kit's end of a driver host: a host forked from this process, serving
// one driver over a socket pair, its stdout and stderr on pipes whose tails
// the kit keeps. The kit sends a sequence, replays the host's account of
// each call on its own platform (replayer.h) and judges it there: nothing
// the host says is a verdict. While it waits for the host the kit watches
// it — the host's progress through the sequence (its step frames), the
// time its current call has had (CallTime), its memory, its stderr — so a
// host that dies, hangs, grows or breaks the protocol is a finding
// (ROBUST-1, -2, -3, -6) at the op it was in, never a kit that waits for
// ever or exits. Such a host is replaced; a host that keeps its account
// serves the next sequence.
#pragma once

#include "engine/child.h"
#include "engine/engine.h"
#include "engine/host/protocol.h"
#include "engine/host/replayer.h"

#include <sys/types.h>

#include <deque>
#include <memory>
#include <optional>
#include <string>

namespace svac::engine::host {

// How a run frame asks the host to run its sequence.
struct RunRequest {
    bool update_rules = true, table_rules = true, leak_check = false;
    uint64_t fail_alloc_nth = 0;
    std::size_t until = 0;
    RunRequest(const Isolation &limits, const RunOptions &options, std::size_t last);
    bool operator==(const RunRequest &) const = default;
    // The frame's JSON: the trace, or how it was made (to a host that is
    // this program forked: RunOptions::made).
    std::string payload(const Trace &trace, const Made *made) const;
};

class HostLink final : public EventSource {
public:
    // Forks a host serving `driver`. Throws std::runtime_error when the
    // process or its descriptors cannot be made.
    explicit HostLink(const svac_driver_ops &driver);
    // Connects to a host served at `address` (`sva-conform host --listen`),
    // which must serve `driver` (its name, version, ABI and architectures:
    // describe_remote). Nothing of the host's process can be watched from
    // here: its liveness is its step frames, a call that has had the step
    // limit since the last one is ROBUST-2, the connection's end ROBUST-1.
    // Throws std::runtime_error when the connection cannot be made.
    HostLink(const svac_driver_ops &driver, const std::string &address, double timeout_s);
    ~HostLink() override;
    HostLink(const HostLink &) = delete;
    HostLink &operator=(const HostLink &) = delete;

    // One sequence, as run_differential runs it, the driver in the host.
    // Throws Interrupted on a stop request (the host is then killed).
    std::optional<Finding> run(const Trace &trace, RunStats &stats, const Isolation &limits,
                               const RunOptions &options, const StepHook &hook,
                               const std::function<void(DriverInstance &)> &inspect,
                               std::size_t until);

    // False once the host was lost or its account broke: make another.
    bool usable() const { return usable_; }
    // False when the host was sent other sequences ahead (RunOptions::ahead)
    // than this one: make another.
    bool can_run(const Trace &trace, const Isolation &limits, const RunOptions &options,
                 std::size_t until) const;
    uint64_t sequences() const { return sequences_; }
    pid_t pid() const { return pid_; }

    void more(std::string &into) override;

private:
    Frame await_frame();
    void greet(); // the host's ready frame
    // The host's end of a sequence the kit has judged (done; a ROBUST-5
    // finding from its leak check, if asked). False when the host goes.
    bool finish(std::optional<Finding> &f, const Trace &trace);
    void wait_readable();
    [[noreturn]] void lose(ref::ClauseId clause, const std::string &what,
                           const std::string &detail = {});
    [[noreturn]] void host_ended();
    [[noreturn]] void host_said_ended(const std::string &payload); // an `ended` frame
    void send(FrameType t, std::string_view payload);
    bool try_send(FrameType t, std::string_view payload); // false: the host is gone
    void send_ahead(const Isolation &limits, const RunOptions &options);
    // What a run frame sends of sequence k (0: this one, k: ahead[k - 1]):
    // how it was made, or null for the trace.
    const Made *made_of(const RunOptions &options, std::size_t k) const;
    void drain_output();
    void kill_host();

    bool forked() const { return pid_ > 0; }

    std::string name_;
    const svac_driver_ops *driver_ = nullptr;
    std::string remote_; // the address of a remote host
    pid_t pid_ = -1;     // a forked host
    int ch_ = -1, out_ = -1, err_ = -1;
    bool reaped_ = false;
    int status_ = 0;
    bool usable_ = true;
    bool greeted_ = false;
    uint64_t sequences_ = 0;
    uint32_t sent_ = 0; // frames sent
    FrameReader reader_;
    std::string out_tail_, err_tail_;
    bool sanitizer_report_ = false;
    std::optional<uint32_t> host_step_; // the latest step frame of this sequence
    HostStatus *shared_ = nullptr;      // shared with the host
    uint32_t shared_step_ = 0;          // shared_->step, as last seen
    bool located_ = false;              // where_ is known: the op the host is in
    std::optional<uint64_t> where_;     // none: create
    void progress();                    // reads shared_
    const Isolation *limits_ = nullptr;
    std::optional<CallTime> call_;
    uint64_t last_rss_ = 0; // the host's resident memory, as last sampled
    // Sequences sent ahead (RunOptions::ahead), in the order the host runs
    // them after the current one: what each run frame asked, and its bytes.
    struct Queued {
        Trace trace;
        RunRequest request;
        std::size_t bytes = 0;
    };
    std::deque<Queued> queued_;
    std::size_t queued_bytes_ = 0;
};

// What a remote host says it serves (its ready frame), for the report and
// for the driver the kit generates sequences for.
struct RemoteDriver {
    std::string name, version;
    uint32_t abi_version = 0;
    uint32_t arch_mask = 0;
    uint32_t contracts = SVAC_CONTRACT_RFC2019; // SVAC_CONTRACT_*
    std::string library_kind, library_path, library_sha256;
};

// Connects to `address`, reads the host's ready frame and says goodbye.
// Throws std::runtime_error naming the address and what went wrong (no
// connection, no ready frame within timeout_s, a frame that breaks the
// protocol).
RemoteDriver describe_remote(const std::string &address, double timeout_s);

} // namespace svac::engine::host
