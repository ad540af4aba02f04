// Small text helpers for messages and dumps.
#pragma once

#include <cstdint>
#include <cstdio>
#include <string>

namespace svac::ref {

// "0x1f", or "0" for zero (printf's %#llx).
inline std::string hex(uint64_t v) {
    char buf[24];
    std::snprintf(buf, sizeof buf, "%#llx", static_cast<unsigned long long>(v));
    return buf;
}

} // namespace svac::ref
