#include "engine/host/address.h"

#include <fmt/format.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdexcept>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

namespace svac::engine::host {

namespace {

constexpr std::string_view kUnix = "unix:";

struct Parsed {
    bool unix_socket = false;
    std::string path;       // unix
    std::string node, port; // tcp
};

Parsed parse(const std::string &address) {
    Parsed p;
    if (address.rfind(kUnix, 0) == 0) {
        p.unix_socket = true;
        p.path = address.substr(kUnix.size());
        if (p.path.empty()) throw std::invalid_argument("a UNIX socket address needs a path");
        if (p.path.size() >= sizeof(sockaddr_un{}.sun_path))
            throw std::invalid_argument(fmt::format("a UNIX socket path has at most {} bytes",
                                                    sizeof(sockaddr_un{}.sun_path) - 1));
        return p;
    }
    const std::size_t colon = address.rfind(':');
    if (colon == std::string::npos || colon == 0)
        throw std::invalid_argument("expected HOST:PORT, [IPV6]:PORT or unix:PATH");
    p.node = address.substr(0, colon);
    p.port = address.substr(colon + 1);
    if (p.node.front() == '[') {
        if (p.node.size() < 3 || p.node.back() != ']')
            throw std::invalid_argument("an IPv6 address is written [ADDRESS]:PORT");
        p.node = p.node.substr(1, p.node.size() - 2);
    }
    const bool digits = !p.port.empty() && p.port.size() <= 5 &&
                        p.port.find_first_not_of("0123456789") == std::string::npos;
    if (!digits || std::stoul(p.port) > 65535 || (p.port.size() > 1 && p.port[0] == '0'))
        throw std::invalid_argument("the port is a number from 0 to 65535, not \"" + p.port + "\"");
    return p;
}

[[noreturn]] void fail(const std::string &address, const std::string &what, int err) {
    throw std::runtime_error(
        fmt::format("{}: {}{}{}", address, what, err ? ": " : "", err ? std::strerror(err) : ""));
}

sockaddr_un unix_address(const std::string &path) {
    sockaddr_un sa{};
    sa.sun_family = AF_UNIX;
    std::memcpy(sa.sun_path, path.c_str(), path.size() + 1);
    return sa;
}

struct AddrInfo {
    addrinfo *list = nullptr;
    ~AddrInfo() {
        if (list) ::freeaddrinfo(list);
    }
};

void resolve(const std::string &address, const Parsed &p, bool passive, AddrInfo &out) {
    addrinfo hints{};
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_NUMERICSERV | (passive ? AI_PASSIVE : 0);
    const int rc = ::getaddrinfo(p.node.c_str(), p.port.c_str(), &hints, &out.list);
    if (rc != 0)
        throw std::runtime_error(
            fmt::format("{}: cannot resolve: {}", address,
                        rc == EAI_SYSTEM ? std::strerror(errno) : ::gai_strerror(rc)));
}

// Small frames go at once: a host's step frame is a few bytes.
void no_delay(int fd) {
    int one = 1;
    ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
}

std::string describe(const sockaddr *sa) {
    char node[NI_MAXHOST], port[NI_MAXSERV];
    const socklen_t len = sa->sa_family == AF_INET6 ? sizeof(sockaddr_in6) : sizeof(sockaddr_in);
    if (::getnameinfo(sa, len, node, sizeof node, port, sizeof port,
                      NI_NUMERICHOST | NI_NUMERICSERV) != 0)
        return "?";
    return sa->sa_family == AF_INET6 ? fmt::format("[{}]:{}", node, port)
                                     : fmt::format("{}:{}", node, port);
}

// Connects fd, giving up after `timeout_s`; 0 or the error.
int connect_within(int fd, const sockaddr *sa, socklen_t len, double timeout_s) {
    ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) | O_NONBLOCK);
    if (::connect(fd, sa, len) == 0) return 0;
    if (errno != EINPROGRESS && errno != EINTR) return errno;
    const auto until = std::chrono::steady_clock::now() + std::chrono::duration<double>(timeout_s);
    for (;;) {
        const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
                              until - std::chrono::steady_clock::now())
                              .count();
        if (left <= 0) return ETIMEDOUT;
        pollfd pfd{fd, POLLOUT, 0};
        const int r = ::poll(&pfd, 1, static_cast<int>(std::min<long long>(left, 1000)));
        if (r < 0 && errno != EINTR) return errno;
        if (r > 0) break;
    }
    int err = 0;
    socklen_t elen = sizeof err;
    if (::getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &elen) != 0) return errno;
    return err;
}

} // namespace

void check_address(const std::string &address) {
    (void)parse(address);
}

int listen_at(const std::string &address, std::string &bound) {
    const Parsed p = parse(address);
    if (p.unix_socket) {
        struct stat st {};
        if (::lstat(p.path.c_str(), &st) == 0) {
            if (!S_ISSOCK(st.st_mode)) fail(address, "exists and is not a socket", 0);
            ::unlink(p.path.c_str()); // a socket left by an earlier host
        }
        const int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (fd < 0) fail(address, "cannot make a socket", errno);
        const sockaddr_un sa = unix_address(p.path);
        if (::bind(fd, reinterpret_cast<const sockaddr *>(&sa), sizeof sa) != 0 ||
            ::listen(fd, 16) != 0) {
            const int err = errno;
            ::close(fd);
            fail(address, "cannot listen", err);
        }
        bound = address;
        return fd;
    }
    AddrInfo ai;
    resolve(address, p, true, ai);
    int err = 0;
    for (addrinfo *a = ai.list; a; a = a->ai_next) {
        const int fd = ::socket(a->ai_family, a->ai_socktype | SOCK_CLOEXEC, a->ai_protocol);
        if (fd < 0) {
            err = errno;
            continue;
        }
        int one = 1;
        ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
        if (::bind(fd, a->ai_addr, a->ai_addrlen) == 0 && ::listen(fd, 16) == 0) {
            sockaddr_storage ss{};
            socklen_t len = sizeof ss;
            ::getsockname(fd, reinterpret_cast<sockaddr *>(&ss), &len);
            bound = describe(reinterpret_cast<const sockaddr *>(&ss));
            return fd;
        }
        err = errno;
        ::close(fd);
    }
    fail(address, "cannot listen", err);
}

std::string peer_name(int fd) {
    sockaddr_storage ss{};
    socklen_t len = sizeof ss;
    if (::getpeername(fd, reinterpret_cast<sockaddr *>(&ss), &len) != 0) return "?";
    if (ss.ss_family == AF_UNIX) return "a local peer";
    return describe(reinterpret_cast<const sockaddr *>(&ss));
}

int connect_to(const std::string &address, double timeout_s) {
    Parsed p;
    try {
        p = parse(address);
    } catch (const std::invalid_argument &e) {
        fail(address, e.what(), 0);
    }
    if (p.unix_socket) {
        const int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (fd < 0) fail(address, "cannot make a socket", errno);
        const sockaddr_un sa = unix_address(p.path);
        const int err =
            connect_within(fd, reinterpret_cast<const sockaddr *>(&sa), sizeof sa, timeout_s);
        if (err == 0) return fd;
        ::close(fd);
        fail(address, "cannot connect", err);
    }
    AddrInfo ai;
    resolve(address, p, false, ai);
    int err = 0;
    for (addrinfo *a = ai.list; a; a = a->ai_next) {
        const int fd = ::socket(a->ai_family, a->ai_socktype | SOCK_CLOEXEC, a->ai_protocol);
        if (fd < 0) {
            err = errno;
            continue;
        }
        err = connect_within(fd, a->ai_addr, a->ai_addrlen, timeout_s);
        if (err == 0) {
            no_delay(fd);
            return fd;
        }
        ::close(fd);
    }
    fail(address, "cannot connect", err);
}

} // namespace svac::engine::host
