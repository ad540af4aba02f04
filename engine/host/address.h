// Where a driver host listens (`sva-conform host --listen`) and where the kit
// finds it (`--driver-host`): "HOST:PORT" for TCP (an IPv4 address, a name,
// or "[IPv6]:PORT") or "unix:PATH" for a UNIX socket.
#pragma once

#include <string>

namespace svac::engine::host {

// Throws std::invalid_argument with the reason when `address` is not one.
void check_address(const std::string &address);

// A listening socket at `address` (port 0: any free port), closed on exec.
// `bound` is set to the address it listens at (the port chosen). Throws
// std::runtime_error naming the address and the reason.
int listen_at(const std::string &address, std::string &bound);

// A connected socket to `address`, closed on exec; the attempt gives up
// after `timeout_s`. Throws std::runtime_error naming the address and the
// reason.
int connect_to(const std::string &address, double timeout_s);

// The other end of a connected socket, as an address ("a local peer" on a
// UNIX socket).
std::string peer_name(int fd);

} // namespace svac::engine::host
