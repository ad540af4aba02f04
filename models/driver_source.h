// SPDX-License-Identifier: MIT
//
// Where a driver under test comes from: a bundled driver by name
// ("smmuv3", "vtd:MUTANT"), or a plugin, a shared object exporting
// svac_driver_entry (include/svac/driver_abi.h). The ops table is returned
// as the driver gives it; the engine checks it against the ABI.

#ifndef SVAC_MODELS_DRIVER_SOURCE_H
#define SVAC_MODELS_DRIVER_SOURCE_H

#include <svac/driver_abi.h>

#include <string>
#include <string_view>

namespace svac::models {

struct DriverLookup {
    const svac_driver_ops *ops = nullptr; // nullptr: see error
    std::string error;                    // why there is no ops table
};

// "NAME" or "NAME:MUTANT" among the bundled drivers; the error names the
// drivers (or the driver's mutants) there are.
DriverLookup find_driver(std::string_view spec);

// dlopen(path) and its svac_driver_entry(). The library stays loaded for the
// life of the process. The error names the path and what failed: the
// loader's message, or the missing symbol.
DriverLookup load_plugin(const std::string &path);

// The exported symbol a plugin must have.
inline constexpr const char *kPluginEntry = "svac_driver_entry";

} // namespace svac::models

#endif // SVAC_MODELS_DRIVER_SOURCE_H
