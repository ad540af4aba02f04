#include "engine/host/link.h"

#include "engine/driver.h"
#include "engine/generator.h"
#include "engine/host/address.h"
#include "engine/host/serve.h"
#include "engine/interrupt.h"
#include "engine/trace.h"

#include <fmt/format.h>

#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <fcntl.h>
#include <poll.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

namespace svac::engine::host {

namespace {

// Resident memory grown between two samples (20 ms apart) that counts as
// progress of the call.
constexpr uint64_t kGrowing = uint64_t{1} << 20;

// The kit looks for the children of a host that says it has none once in
// this many sequences: the host's own word charges a fork to its sequence.
constexpr uint64_t kBackstopEvery = 16;
// The run frames sent ahead stay under this many bytes: they wait in the
// channel's buffer (a socket's holds far more) while the host is busy, so
// sending them never waits on a host that is writing its own account.
constexpr std::size_t kAheadBytes = 32 * 1024;

std::runtime_error sys_error(const char *what) {
    return std::runtime_error(std::string("driver host: ") + what + ": " + std::strerror(errno));
}

void nonblocking(int fd) {
    ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) | O_NONBLOCK);
}

// The ready frame, read; throws std::runtime_error with what is wrong.
RemoteDriver read_ready(const Frame &f) {
    if (f.type != FrameType::ready)
        throw std::runtime_error(
            fmt::format("it began with a {} frame, not ready", frame_type_name(f.type)));
    const json r = json::parse(f.payload, nullptr, false);
    if (!r.is_object() || !r.contains("protocol") || r["protocol"] != kProtocolVersion)
        throw std::runtime_error(
            fmt::format("its ready frame does not say protocol {}", kProtocolVersion));
    RemoteDriver d;
    auto text = [&](const json &o, const char *key, std::string &into) {
        if (!o.contains(key)) return;
        if (!o[key].is_string())
            throw std::runtime_error(fmt::format("its ready frame's {} is not a string", key));
        into = o[key].get<std::string>();
    };
    auto number = [&](const char *key, uint32_t &into) {
        if (!r.contains(key)) return;
        if (!r[key].is_number_unsigned() || r[key].get<uint64_t>() > UINT32_MAX)
            throw std::runtime_error(
                fmt::format("its ready frame's {} is not a 32-bit number", key));
        into = r[key].get<uint32_t>();
    };
    text(r, "name", d.name);
    text(r, "version", d.version);
    number("abi_version", d.abi_version);
    number("arch_mask", d.arch_mask);
    number("contracts", d.contracts);
    if (r.contains("library")) {
        if (!r["library"].is_object())
            throw std::runtime_error("its ready frame's library is not an object");
        text(r["library"], "kind", d.library_kind);
        text(r["library"], "path", d.library_path);
        text(r["library"], "sha256", d.library_sha256);
        if (!d.library_kind.empty() && d.library_kind != "bundled" && d.library_kind != "plugin")
            throw std::runtime_error("its ready frame's library kind is not bundled or plugin");
        const bool hex =
            d.library_sha256.size() == 64 &&
            d.library_sha256.find_first_not_of("0123456789abcdef") == std::string::npos;
        if (!d.library_sha256.empty() && !hex)
            throw std::runtime_error("its ready frame's library sha256 is not 64 hex digits");
    }
    return d;
}

} // namespace

RunRequest::RunRequest(const Isolation &limits, const RunOptions &options, std::size_t last)
    : update_rules(options.update_rules), table_rules(options.table_rules),
      leak_check(limits.leak_check), fail_alloc_nth(options.fail_alloc_nth), until(last) {}

std::string RunRequest::payload(const Trace &trace, const Made *made) const {
    json req = {{"update_rules", update_rules},
                {"table_rules", table_rules},
                {"fail_alloc_nth", fail_alloc_nth},
                {"until", until},
                {"leak_check", leak_check}};
    if (made)
        req["made"] = {{"generator", made->generator}, {"recipe", made->recipe}};
    else
        req["trace"] = trace_to_json(trace);
    return req.dump(-1, ' ', false, json::error_handler_t::replace);
}

HostLink::HostLink(const svac_driver_ops &driver, const std::string &address, double timeout_s)
    : name_(driver.name ? driver.name : ""), driver_(&driver), remote_(address) {
    ch_ = connect_to(address, timeout_s);
    nonblocking(ch_);
}

HostLink::HostLink(const svac_driver_ops &driver)
    : name_(driver.name ? driver.name : ""), driver_(&driver) {
    int sv[2], out[2], err[2];
    if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0)
        throw sys_error("socketpair");
    if (::pipe2(out, O_CLOEXEC) != 0 || ::pipe2(err, O_CLOEXEC) != 0) {
        for (int fd : {sv[0], sv[1]}) ::close(fd);
        throw sys_error("pipe");
    }
    void *shared = ::mmap(nullptr, sizeof(HostStatus), PROT_READ | PROT_WRITE,
                          MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (shared == MAP_FAILED) {
        for (int fd : {sv[0], sv[1], out[0], out[1], err[0], err[1]}) ::close(fd);
        throw sys_error("mmap");
    }
    shared_ = new (shared) HostStatus;
    std::fflush(nullptr); // the host must not write the kit's buffered output again
    const pid_t parent = ::getpid();
    pid_ = ::fork();
    if (pid_ < 0) {
        for (int fd : {sv[0], sv[1], out[0], out[1], err[0], err[1]}) ::close(fd);
        throw sys_error("fork");
    }
    if (pid_ == 0) {
        const int ch = enter_host(parent, sv[1], out[1], err[1]);
        _exit(serve(driver, ch, ch, shared_));
    }
    ::close(sv[1]);
    ::close(out[1]);
    ::close(err[1]);
    ch_ = sv[0];
    out_ = out[0];
    err_ = err[0];
    for (int fd : {ch_, out_, err_}) nonblocking(fd);
    ignore_signals_from(pid_, true); // a host's signal to the kit is not a stop request
}

HostLink::~HostLink() {
    if (!queued_.empty()) kill_host(); // it would run them first: nobody waits for that
    if (usable_ && !reaped_) {
        try {
            send(FrameType::quit, {});
        } catch (const std::exception &) {
        }
    }
    for (int fd : {ch_, out_, err_})
        if (fd >= 0) ::close(fd);
    if (!forked()) return;
    if (!reaped_) status_ = reap(pid_, usable_ ? 2 : 0);
    ::munmap(shared_, sizeof(HostStatus));
    ignore_signals_from(pid_, false);
}

void HostLink::kill_host() {
    usable_ = false;
    queued_.clear();
    queued_bytes_ = 0;
    if (!forked()) { // its listener ends the process when the connection ends
        ::shutdown(ch_, SHUT_RDWR);
        return;
    }
    if (!reaped_) {
        ::kill(-pid_, SIGKILL); // its group: whatever the driver forked goes too
        ::kill(pid_, SIGKILL);
        status_ = reap(pid_, 0);
        reaped_ = true;
    }
    drain_output();
}

void HostLink::drain_output() {
    if (out_ < 0) return;
    drain_tail(out_, out_tail_);
    const std::size_t seen = err_tail_.size();
    drain_tail(err_, err_tail_);
    const std::size_t from = seen > 64 ? seen - 64 : 0;
    if (from < err_tail_.size() && sanitizer_report_in(std::string_view(err_tail_).substr(from)))
        sanitizer_report_ = true;
}

void HostLink::progress() {
    if (!shared_) return;
    const uint32_t run = shared_->run.load(std::memory_order_acquire);
    const uint32_t step = shared_->step.load(std::memory_order_acquire);
    if (run != sequences_ || (located_ && step == shared_step_)) return;
    shared_step_ = step;
    located_ = true;
    where_ = step == 0 ? std::nullopt : std::optional<uint64_t>(step - 1);
    if (call_) call_->restart();
}

void HostLink::lose(ref::ClauseId clause, const std::string &what, const std::string &detail) {
    kill_host();
    progress(); // where it was when it went
    std::string d = detail;
    if (const std::string s = stderr_summary(err_tail_); !s.empty())
        d += (d.empty() ? "" : "; ") + std::string("stderr: ") + s;
    CallLost lost(clause, what, d);
    lost.located = located_;
    lost.step = where_;
    throw lost;
}

void HostLink::host_ended() {
    if (!forked()) {
        usable_ = false;
        lose(ref::ClauseId::ROBUST_1, "the connection to the host at " + remote_ + " ended");
    }
    // Its last words first, then how it ended: a host that closed its
    // channel and lives on is given the step limit to end, then killed.
    CallTime since(pid_);
    while (!reaped_) {
        if (::waitpid(pid_, &status_, WNOHANG) == pid_) {
            reaped_ = true;
            break;
        }
        drain_output();
        if (!sanitizer_report_ && since.seconds() > limits_->step_timeout_s) {
            kill_host();
            lose(ref::ClauseId::ROBUST_1, "the host closed its channel and did not end");
        }
        ::poll(nullptr, 0, 20);
    }
    drain_output();
    usable_ = false;
    lose(ref::ClauseId::ROBUST_1, how_it_ended(status_));
}

void HostLink::send(FrameType t, std::string_view payload) {
    if (!try_send(t, payload)) host_ended(); // EPIPE, ECONNRESET: it is gone
}

bool HostLink::try_send(FrameType t, std::string_view payload) {
    std::string bytes;
    append_header(bytes, t, sent_++, payload.size());
    bytes.append(payload);
    std::size_t off = 0;
    while (off < bytes.size()) {
        ssize_t w = ::send(ch_, bytes.data() + off, bytes.size() - off, MSG_NOSIGNAL);
        if (w > 0) {
            off += static_cast<std::size_t>(w);
            continue;
        }
        if (w < 0 && errno == EINTR) continue;
        if (w < 0 && errno == EAGAIN) { // the host is not reading: watch it meanwhile
            pollfd p{ch_, POLLOUT, 0};
            ::poll(&p, 1, 20);
            drain_output();
            if (forked() && ::waitpid(pid_, &status_, WNOHANG) == pid_) {
                reaped_ = true;
                return false;
            }
            if (call_ && call_->seconds() > limits_->step_timeout_s)
                lose(ref::ClauseId::ROBUST_2,
                     fmt::format("no return within {} s (the host read nothing)",
                                 limits_->step_timeout_s));
            continue;
        }
        return false;
    }
    return true;
}

void HostLink::wait_readable() {
    std::chrono::steady_clock::time_point dying_since{};
    bool dying = false;
    for (;;) {
        pollfd fds[3] = {{ch_, POLLIN, 0}, {out_, POLLIN, 0}, {err_, POLLIN, 0}};
        ::poll(fds, 3, 20);
        if (fds[1].revents || fds[2].revents) drain_output();
        if (fds[0].revents) {
            char buf[65536];
            ssize_t n = ::read(ch_, buf, sizeof buf);
            if (n > 0) {
                reader_.feed(buf, static_cast<std::size_t>(n));
                return;
            }
            if (n == 0 || (errno != EINTR && errno != EAGAIN)) host_ended();
        }
        progress();
        if (stop_requested()) {
            kill_host();
            throw Interrupted();
        }
        if (!forked()) { // its step frames are all the kit sees of it
            if (call_ && call_->seconds() > limits_->step_timeout_s)
                lose(ref::ClauseId::ROBUST_2,
                     fmt::format("no return within {} s", limits_->step_timeout_s));
            continue;
        }
        if (!reaped_ && ::waitpid(pid_, &status_, WNOHANG) == pid_) {
            reaped_ = true; // the channel's rest is read before its end is judged
            continue;
        }
        if (reaped_) host_ended(); // and nothing more came: a helper it forked may hold the channel
        const uint64_t rss = resident_bytes(pid_);
        if (rss > limits_->memory_limit)
            lose(ref::ClauseId::ROBUST_3, fmt::format("{} MiB resident, over the limit of {} MiB",
                                                      rss >> 20, limits_->memory_limit >> 20));
        // A host that grows is working, however slowly a loaded machine lets
        // it touch its pages: the memory limit judges it, not the clock.
        if (rss >= last_rss_ + kGrowing && call_) call_->restart();
        last_rss_ = rss;
        if (sanitizer_report_) { // dying: a crash, however long its report takes
            const auto now = std::chrono::steady_clock::now();
            if (!dying) dying_since = now;
            dying = true;
            if (std::chrono::duration<double>(now - dying_since).count() > kReportGrace_s)
                lose(ref::ClauseId::ROBUST_1,
                     fmt::format("killed when its sanitizer report had not ended {} s after it "
                                 "began",
                                 kReportGrace_s));
            continue;
        }
        if (call_ && call_->seconds() > limits_->step_timeout_s)
            lose(ref::ClauseId::ROBUST_2,
                 fmt::format("no return within {} s", limits_->step_timeout_s));
    }
}

Frame HostLink::await_frame() {
    for (;;) {
        if (auto f = reader_.next()) {
            if (f->type == FrameType::ended) host_said_ended(f->payload);
            return std::move(*f);
        }
        if (!reader_.error().empty())
            lose(ref::ClauseId::ROBUST_6, "its messages broke the protocol", reader_.error());
        wait_readable();
    }
}

void HostLink::host_said_ended(const std::string &payload) {
    // A listener's word for its host (`sva-conform host`): how it ended.
    constexpr std::size_t kMost = 4096;
    const json said = json::parse(payload, nullptr, false);
    if (!said.is_object() || !said.contains("how") || !said["how"].is_string())
        lose(ref::ClauseId::ROBUST_6, "its messages broke the protocol",
             "an ended frame without how the host ended");
    usable_ = false;
    std::string how = said["how"].get<std::string>().substr(0, kMost);
    std::string err = said.contains("stderr") && said["stderr"].is_string()
                          ? said["stderr"].get<std::string>().substr(0, kMost)
                          : "";
    lose(ref::ClauseId::ROBUST_1, how, err.empty() ? "" : "stderr: " + err);
}

void HostLink::more(std::string &into) {
    for (;;) {
        Frame f = await_frame();
        switch (f.type) {
        case FrameType::step: {
            uint32_t s = 0;
            if (f.payload.size() != sizeof s)
                lose(ref::ClauseId::ROBUST_6, "its messages broke the protocol",
                     fmt::format("a step frame of {} bytes", f.payload.size()));
            std::memcpy(&s, f.payload.data(), sizeof s);
            if (host_step_ && s <= *host_step_)
                lose(ref::ClauseId::ROBUST_6, "its messages broke the protocol",
                     fmt::format("step {} after step {}", s, *host_step_));
            host_step_ = s;
            located_ = true;
            where_ = s;
            call_->restart();
            continue;
        }
        case FrameType::events:
            into.append(f.payload);
            return;
        case FrameType::error:
            kill_host();
            throw std::runtime_error("driver host: " + f.payload);
        default:
            lose(ref::ClauseId::ROBUST_6, "its messages broke the protocol",
                 fmt::format("a {} frame in the middle of a call", frame_type_name(f.type)));
        }
    }
}

bool HostLink::finish(std::optional<Finding> &f, const Trace &trace) {
    if (!usable_) {
        kill_host();
        return false;
    }
    // The host's end of the sequence: done, and nothing the kit did not replay.
    Frame end;
    try {
        end = await_frame();
    } catch (const CallLost &) { // the sequence was judged: only the host goes
        return false;
    }
    if (end.type == FrameType::error) {
        kill_host();
        throw std::runtime_error("driver host: " + end.payload);
    }
    if (end.type != FrameType::done) {
        kill_host(); // more than the kit replayed: the host is not in step with it
        return false;
    }
    // A host is one process: a driver that forked left a child there (a
    // zombie, or adopted: the host is its subreaper), which could talk on
    // the channel in its name. The host says so itself; and every
    // kBackstopEvery sequences the kit looks too, unless the host has gone
    // on to a sequence sent ahead (its children could be that one's).
    const json d = json::parse(end.payload, nullptr, false);
    std::string kids;
    if (d.is_object() && d.contains("children") && d["children"].is_string())
        kids = d["children"].get<std::string>().substr(0, 256);
    if (kids.empty() && forked() && sequences_ % kBackstopEvery == 0) {
        kids = children_of(pid_);
        if (shared_->run.load(std::memory_order_acquire) != sequences_) kids.clear();
    }
    if (!kids.empty()) {
        kill_host();
        if (!f)
            f = robust_finding(ref::ClauseId::ROBUST_6, trace, trace.ops.size(),
                               "the driver forked: process " + kids + " outlived its call", "");
        return false;
    }
    if (!f && d.is_object() && d.value("leak", false))
        f = robust_finding(ref::ClauseId::ROBUST_5, trace, trace.ops.size(),
                           "LeakSanitizer found memory the driver never freed",
                           stderr_summary(err_tail_));
    return true;
}

void HostLink::greet() {
    Frame f = await_frame();
    RemoteDriver said;
    try {
        said = read_ready(f);
    } catch (const std::runtime_error &e) {
        lose(ref::ClauseId::ROBUST_6, "its messages broke the protocol", e.what());
    }
    // A remote host must still serve the driver the campaign is for.
    if (!forked() &&
        (said.name != name_ || said.arch_mask != driver_->arch_mask ||
         said.abi_version != driver_->abi_version || said.contracts != driver_contracts(*driver_) ||
         said.version != (driver_->version ? driver_->version : "")))
        lose(ref::ClauseId::ROBUST_6, "the host at " + remote_ + " serves another driver",
             fmt::format("{} {} (ABI {}, architectures {:#x}), not {}", said.name, said.version,
                         said.abi_version, said.arch_mask, name_));
    greeted_ = true;
}

std::optional<Finding> HostLink::run(const Trace &trace, RunStats &stats, const Isolation &limits,
                                     const RunOptions &options, const StepHook &hook,
                                     const std::function<void(DriverInstance &)> &inspect,
                                     std::size_t until) {
    if (!can_run(trace, limits, options, until)) {
        kill_host();
        throw std::logic_error("driver host: run a sequence other than the one sent ahead");
    }
    limits_ = &limits;
    call_.emplace(pid_);
    host_step_.reset();
    located_ = false;
    where_.reset();
    ++sequences_;
    const bool sent = !queued_.empty(); // ahead, and the host may be on it already
    if (sent) {
        queued_bytes_ -= queued_.front().bytes;
        queued_.pop_front();
    }
    RunOptions here = options;
    here.isolate.reset();
    here.ahead = {};
    const uint64_t steps_before = stats.steps;
    std::optional<Finding> f;
    try {
        if (!greeted_) greet();
        if (!sent)
            send(FrameType::run,
                 RunRequest(limits, options, until).payload(trace, made_of(options, 0)));
        send_ahead(limits, options);
        f = run_differential([&] { return std::make_unique<Replayer>(name_, *this); }, trace, stats,
                             hook, inspect, until, here);
    } catch (const CallLost &lost) { // lost while sending the sequence: at create
        f = robust_finding(lost.clause, trace, std::nullopt, lost.what(), lost.detail);
    } catch (const DriverError &) { // create returned NULL, in the host as here
        finish(f, trace);
        throw;
    }
    if (f && !finding_kind(f->clause).empty()) usable_ = false; // a lost call: a new host next
    if (!finish(f, trace)) return f;
    // Every op ran and returned in time, within the memory limit, with an
    // account that held.
    const uint64_t steps = stats.steps - steps_before;
    for (auto c : {ref::ClauseId::ROBUST_1, ref::ClauseId::ROBUST_2, ref::ClauseId::ROBUST_3,
                   ref::ClauseId::ROBUST_6})
        stats.checks.add(c, steps);
    return f;
}

const Made *HostLink::made_of(const RunOptions &options, std::size_t k) const {
    // Only this program makes a trace from its recipe.
    return forked() && k < options.made.size() ? &options.made[k] : nullptr;
}

bool HostLink::can_run(const Trace &trace, const Isolation &limits, const RunOptions &options,
                       std::size_t until) const {
    return queued_.empty() || (queued_.front().trace == trace &&
                               queued_.front().request == RunRequest(limits, options, until));
}

void HostLink::send_ahead(const Isolation &limits, const RunOptions &options) {
    // A served host gets one sequence at a time: over TCP, frames the kit
    // sent that its listener never read reset the connection when the host
    // ends, and the host's last frames (where it crashed) would be lost.
    if (!forked()) return;
    for (std::size_t k = queued_.size(); k < options.ahead.size(); ++k) {
        const Trace &t = options.ahead[k];
        const RunRequest request(limits, options, t.ops.size());
        const std::string payload = request.payload(t, made_of(options, k + 1));
        const std::size_t bytes = kHeaderBytes + payload.size();
        // A host that is gone is judged by the current sequence's replay,
        // at the op it was in.
        if (queued_bytes_ + bytes > kAheadBytes || !try_send(FrameType::run, payload)) return;
        queued_.push_back({t, request, bytes});
        queued_bytes_ += bytes;
    }
}

RemoteDriver describe_remote(const std::string &address, double timeout_s) {
    const int fd = connect_to(address, timeout_s);
    FrameReader reader;
    std::optional<Frame> f;
    const auto until = std::chrono::steady_clock::now() + std::chrono::duration<double>(timeout_s);
    std::string why;
    while (!f && why.empty()) {
        f = reader.next();
        if (f) break;
        if (!reader.error().empty()) {
            why = reader.error();
            break;
        }
        if (std::chrono::steady_clock::now() > until) {
            why = fmt::format("no ready frame within {} s", timeout_s);
            break;
        }
        pollfd p{fd, POLLIN, 0};
        if (::poll(&p, 1, 100) <= 0) continue;
        char buf[4096];
        const ssize_t n = ::read(fd, buf, sizeof buf);
        if (n > 0)
            reader.feed(buf, static_cast<std::size_t>(n));
        else if (n == 0 || (errno != EINTR && errno != EAGAIN))
            why = "the host closed the connection before its ready frame";
    }
    RemoteDriver d;
    if (why.empty()) {
        try {
            d = read_ready(*f);
        } catch (const std::runtime_error &e) {
            why = e.what();
        }
    }
    if (why.empty()) {
        std::string quit;
        append_header(quit, FrameType::quit, 0, 0);
        (void)!::send(fd, quit.data(), quit.size(), MSG_NOSIGNAL);
    }
    ::close(fd);
    if (!why.empty()) throw std::runtime_error(address + ": " + why);
    return d;
}

} // namespace svac::engine::host
