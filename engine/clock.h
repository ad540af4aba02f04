// Wall-clock time, for campaign budgets and reports.
#pragma once

#include <chrono>

namespace svac::engine {

using Clock = std::chrono::steady_clock;

// Seconds since t0.
inline double seconds_since(Clock::time_point t0) {
    return std::chrono::duration<double>(Clock::now() - t0).count();
}

} // namespace svac::engine
