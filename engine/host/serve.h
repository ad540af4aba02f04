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

namespace svac::engine::host {

// Serves `driver` reading frames from in_fd and writing them to out_fd
// (the same socket, or two pipes). With `status` (a forked host's memory
// shared with the kit) the host's progress goes there and a sequence's
// events are sent when it ends (or 256 KiB of them wait); without, a step
// frame goes before each op. Returns 0 at quit or end of input, 1 when the
// connection broke (a bad frame, a failed write).
int serve(const svac_driver_ops &driver, int in_fd, int out_fd, HostStatus *status = nullptr);

} // namespace svac::engine::host
