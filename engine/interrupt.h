// Stopping a campaign from outside: SIGINT or SIGTERM asks the running
// command to stop at the next sequence and write what it has, with verdict
// "incomplete"; a second signal exits at once (status 130).
#pragma once

#include <stdexcept>

namespace svac::engine {

// Installs the handlers (idempotent). Commands that write reports call it.
void install_stop_handlers();

// Whether a stop was requested; campaigns poll it between sequences.
bool stop_requested();

// Work that ends despite a first stop request: once a campaign has stopped,
// the kit still reads back the tables of its findings for the report (a
// replay each, every op under the step limit), in a driver host as in this
// process. Within its scope stop_requested() is false; a second signal
// still ends the process at once.
class FinishDespiteStop {
public:
    FinishDespiteStop();
    ~FinishDespiteStop();
    FinishDespiteStop(const FinishDespiteStop &) = delete;
    FinishDespiteStop &operator=(const FinishDespiteStop &) = delete;
};

// For tests: forget a request.
void clear_stop_request();

// A process group the command runs its helpers in (fuzz: libFuzzer and its
// jobs, outside the command's own group so that a signal to the group is
// the command's to forward): SIGKILLed by the second signal before the
// command exits, so nothing is left running. 0: none.
void set_stop_child_group(int pgid);

// Signals from `pid` (a driver host the command forked) are not stop
// requests: a driver cannot stop the campaign that judges it.
void ignore_signals_from(int pid, bool ignore);

// Thrown by work cut short by a stop request (an isolated child killed).
struct Interrupted : std::runtime_error {
    Interrupted() : std::runtime_error("interrupted") {}
};

} // namespace svac::engine
