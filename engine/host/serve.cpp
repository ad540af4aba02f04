#include "engine/host/serve.h"

#include "engine/driver.h"
#include "engine/engine.h"
#include "engine/generator.h"
#include "engine/host/address.h"
#include "engine/host/protocol.h"
#include "engine/host/recorder.h"
#include "engine/trace.h"

#include "engine/child.h"
#include "engine/interrupt.h"

#include <fmt/format.h>

#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <new>
#include <poll.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>
#include <vector>

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

// Events are sent at the sequence's end, and within a call once this many
// bytes wait: a driver that stores without end fills no buffer.
constexpr std::size_t kFlushBytes = 256 * 1024;

class Connection {
public:
    Connection(int in, int out, ServeProgress *progress)
        : in_(in), out_(out), progress_(progress), host_(::getpid()) {}

    void frame(FrameType t, std::string_view payload) {
        append_header(pending_, t, seq_++, payload.size());
        pending_.append(payload);
    }
    bool flush() {
        own();
        std::size_t off = 0;
        while (off < pending_.size()) {
            ssize_t w = ::write(out_, pending_.data() + off, pending_.size() - off);
            if (w < 0 && errno == EINTR) continue;
            if (w <= 0) return false;
            off += static_cast<std::size_t>(w);
        }
        pending_.clear();
        if (progress_) progress_->sent.store(seq_, std::memory_order_release);
        return true;
    }
    // The next frame from the kit; nullopt at the end of input or a bad frame.
    std::optional<Frame> next() {
        own();
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
    // A copy of the host that the driver forked (fork() in a call: both
    // copies return to the host's code) never speaks or listens on the
    // channel, where it could answer for the host: it ends here, and the
    // host, its parent, reports it in its done frame (ROBUST-6).
    void own() const {
        if (::getpid() != host_) _exit(0);
    }

    int in_, out_;
    ServeProgress *progress_;
    pid_t host_;
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

// The run frame's sequence: the trace, or how this same program made it.
Trace sequence_of(const json &req) {
    if (!req.contains("made")) return trace_from_json(req.at("trace"), "the run frame's trace");
    const json &m = req.at("made");
    const Made made{m.at("generator").get<std::string>(), m.at("recipe")};
    std::optional<Trace> trace = remake(made);
    if (!trace)
        throw std::runtime_error("the run frame's generator " + made.generator +
                                 " is not in this program");
    return std::move(*trace);
}

bool run_one(const svac_driver_ops &driver, Connection &c, const json &req, HostStatus *status) {
    const Trace trace = sequence_of(req);
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
        // The events wait for the sequence's end, as a forked host's do: a
        // host that dies leaves the kit the same account either way.
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
    // What the driver forked stays here (the host is its subreaper): say so.
    if (has_children())
        if (const std::string kids = children_of(::getpid()); !kids.empty())
            done["children"] = kids;
    send_events(c, events);
    c.frame(FrameType::done, done.dump());
    return c.flush();
}

} // namespace

int serve(const svac_driver_ops &driver, int in_fd, int out_fd, HostStatus *status,
          const ServedLibrary *library, ServeProgress *progress) {
    Connection c(in_fd, out_fd, progress);
    json ready = {{"protocol", kProtocolVersion},
                  {"name", driver.name ? driver.name : ""},
                  {"version", driver.version ? driver.version : ""},
                  {"abi_version", driver.abi_version},
                  {"arch_mask", driver.arch_mask},
                  {"contracts", driver_contracts(driver)}};
    if (library)
        ready["library"] = {
            {"kind", library->kind}, {"path", library->path}, {"sha256", library->sha256}};
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

namespace {

// One connection's host, as its listener keeps it.
struct Served {
    pid_t pid = -1;
    int fd = -1;  // the connection: the listener's `ended` frame goes there
    int err = -1; // the host's stderr
    std::string who, err_tail;
    ServeProgress *progress = nullptr; // shared with the host
};

// The host of one connection.
[[noreturn]] void serve_connection(const svac_driver_ops &driver, int listen_fd, const Served &s,
                                   int err_w, const ServedLibrary &library, pid_t listener) {
    ::close(listen_fd);
    const int ch = enter_host(listener, s.fd, -1, err_w);
    const int rc = serve(driver, ch, ch, nullptr, &library, s.progress);
    s.progress->returned.store(1, std::memory_order_release);
    _exit(rc);
}

// The host ended: a host that did not end cleanly (a crash, a kill, an
// exit in the driver) has the listener say how, in its place, so that the
// kit judges a remote crash as it judges a forked host's.
void host_ended(Served &s, int status) {
    drain_tail(s.err, s.err_tail, STDERR_FILENO);
    // Only a host that returned from serving ended cleanly: a driver that
    // calls exit(0) mid-call ends it too.
    const bool clean = s.progress->returned.load(std::memory_order_acquire) != 0;
    fmt::print(stderr, "sva-conform host: host {} for {}: {}\n", s.pid, s.who,
               how_it_ended(status));
    if (!clean) {
        const json said = {{"how", how_it_ended(status)}, {"stderr", stderr_summary(s.err_tail)}};
        const std::string payload = said.dump(-1, ' ', false, json::error_handler_t::replace);
        std::string frame;
        append_header(frame, FrameType::ended, s.progress->sent.load(std::memory_order_acquire),
                      payload.size());
        frame += payload;
        (void)!::send(s.fd, frame.data(), frame.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
    }
    ::close(s.fd);
    ::close(s.err);
    ::munmap(s.progress, sizeof *s.progress);
}

} // namespace

int enter_host(pid_t parent, int channel, int out_fd, int err_fd) {
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);  // never outlive the kit or the listener
    if (::getppid() != parent) _exit(1); // it died before prctl
    ::setpgid(0, 0);                     // the driver's signals to its group miss the parent's
    ::prctl(PR_SET_CHILD_SUBREAPER, 1);  // what the driver forks stays the host's child
    ::signal(SIGINT, SIG_IGN);           // Ctrl-C is the parent's to handle
    ::signal(SIGTERM, SIG_DFL);
    ::signal(SIGPIPE, SIG_DFL);
    const int null = ::open("/dev/null", O_RDONLY);
    ::dup2(null, STDIN_FILENO);
    if (out_fd >= 0) ::dup2(out_fd, STDOUT_FILENO);
    ::dup2(err_fd, STDERR_FILENO);
    const int ch = ::fcntl(channel, F_DUPFD_CLOEXEC, kHostChannelFd);
    if (ch < 0) _exit(1);
    // Nothing of the parent's stays open in the host but its channel.
    ::close_range(3, static_cast<unsigned>(ch) - 1, 0);
    ::close_range(static_cast<unsigned>(ch) + 1, ~0u, 0);
    return ch;
}

int serve_listening(const svac_driver_ops &driver, int listen_fd, const ServedLibrary &library) {
    std::vector<Served> hosts;
    const pid_t listener = ::getpid();
    while (!stop_requested()) {
        for (auto it = hosts.begin(); it != hosts.end();) {
            int status = 0;
            if (::waitpid(it->pid, &status, WNOHANG) != it->pid) {
                ++it;
                continue;
            }
            host_ended(*it, status);
            it = hosts.erase(it);
        }
        // Each host's stderr, and its connection's end: a kit that hung up
        // (it judged a hang, or it stopped) leaves no host running here.
        std::vector<pollfd> fds{{listen_fd, POLLIN, 0}};
        for (const auto &h : hosts) {
            fds.push_back({h.err, POLLIN, 0});
            fds.push_back({h.fd, POLLRDHUP, 0});
        }
        if (::poll(fds.data(), fds.size(), 200) <= 0) continue;
        for (std::size_t k = 0; k < hosts.size(); ++k) {
            if (fds[1 + 2 * k].revents) drain_tail(hosts[k].err, hosts[k].err_tail, STDERR_FILENO);
            if (fds[2 + 2 * k].revents) ::kill(-hosts[k].pid, SIGKILL);
        }
        if (!fds[0].revents) continue;
        sockaddr_storage peer{};
        socklen_t len = sizeof peer;
        Served s;
        s.fd = ::accept4(listen_fd, reinterpret_cast<sockaddr *>(&peer), &len, SOCK_CLOEXEC);
        if (s.fd < 0) continue;
        if (peer.ss_family == AF_INET || peer.ss_family == AF_INET6) {
            int one = 1; // a step frame is a few bytes: it goes at once
            ::setsockopt(s.fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        }
        s.who = peer_name(s.fd);
        int err[2];
        void *shared = ::mmap(nullptr, sizeof(ServeProgress), PROT_READ | PROT_WRITE,
                              MAP_SHARED | MAP_ANONYMOUS, -1, 0);
        if (shared == MAP_FAILED || ::pipe2(err, O_CLOEXEC) != 0) {
            fmt::print(stderr, "sva-conform host: cannot serve {}: {}\n", s.who,
                       std::strerror(errno));
            if (shared != MAP_FAILED) ::munmap(shared, sizeof(ServeProgress));
            ::close(s.fd);
            continue;
        }
        s.progress = new (shared) ServeProgress;
        s.err = err[0];
        std::fflush(nullptr);
        s.pid = ::fork();
        if (s.pid == 0) serve_connection(driver, listen_fd, s, err[1], library, listener);
        ::close(err[1]);
        if (s.pid < 0) {
            fmt::print(stderr, "sva-conform host: cannot fork a host for {}: {}\n", s.who,
                       std::strerror(errno));
            ::close(s.fd);
            ::close(s.err);
            ::munmap(s.progress, sizeof *s.progress);
            continue;
        }
        ::fcntl(s.err, F_SETFL, ::fcntl(s.err, F_GETFL) | O_NONBLOCK);
        fmt::print(stderr, "sva-conform host: host {} serves {}\n", s.pid, s.who);
        hosts.push_back(std::move(s));
    }
    for (const auto &h : hosts) ::kill(-h.pid, SIGKILL);
    for (auto &h : hosts) host_ended(h, reap(h.pid, 0));
    return 0;
}

} // namespace svac::engine::host
