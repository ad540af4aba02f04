// The driver host: serves one driver over a connection (protocol.h). It
// says who it is (ready), then runs each sequence the kit sends (run) with
// the driver's calls recorded, sending a step frame before each op, the
// events of the driver's calls, and done; until quit or the connection's
// end. The host judges nothing the kit relies on: it runs the engine only
// to drive the driver exactly as the kit's replay will (the same reference,
// the same platform, the same order of calls).
#pragma once

#include "engine/host/protocol.h"

#include <svac/driver_abi.h>

#include <atomic>
#include <string>
#include <sys/types.h>

namespace svac::engine::host {

// What the ready frame says of where the driver's code came from (the
// kit's report quotes it for a remote host): "bundled" or "plugin", the
// file, its SHA-256.
struct ServedLibrary {
    std::string kind, path, sha256;
};

// Serves `driver` reading frames from in_fd and writing them to out_fd
// (the same socket, or two pipes). With `status` (a forked host's memory
// shared with the kit) the host's progress goes there and a sequence's
// events are sent when it ends (or 256 KiB of them wait); without, a step
// frame goes before each op. Returns 0 at quit or end of input, 1 when the
// connection broke (a bad frame, a failed write).
// A host's channel is moved up to here, out of the range a driver's own
// descriptors (and a careless close or write) start from.
inline constexpr int kHostChannelFd = 512;

// The start of a host process, forked by `parent` (the kit, or a listener):
// killed with its parent, a process group of its own (the driver's signals
// to its group miss the parent), the subreaper of what the driver forks,
// SIGINT ignored, stdin /dev/null, stdout and stderr onto out_fd (-1: kept)
// and err_fd, and of its descriptors only the channel, moved to
// kHostChannelFd or above, closed on exec. Returns the channel's
// descriptor; ends the process when it cannot.
int enter_host(pid_t parent, int channel, int out_fd, int err_fd);

// A served host's account to its listener, in memory they share: the
// frames it sent (the listener's `ended` frame continues their sequence),
// and whether it returned (quit, or the kit's end) rather than was ended.
struct ServeProgress {
    std::atomic<uint32_t> sent{0};
    std::atomic<uint32_t> returned{0};
};

int serve(const svac_driver_ops &driver, int in_fd, int out_fd, HostStatus *status = nullptr,
          const ServedLibrary *library = nullptr, ServeProgress *progress = nullptr);

// `sva-conform host --listen`: serves `driver` to every kit that connects
// to listen_fd, each connection in a host process of its own (forked; a
// driver that crashes or hangs there takes only that connection with it),
// until a stop is requested (engine/interrupt.h). A host that ends other
// than cleanly has the listener send its kit an `ended` frame: how it
// ended and its stderr summary. Hosts' stderr goes to the listener's; what
// happens is logged there, a line per connection and per host's end.
// Returns 0.
int serve_listening(const svac_driver_ops &driver, int listen_fd, const ServedLibrary &library);

} // namespace svac::engine::host
