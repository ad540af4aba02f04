// SPDX-License-Identifier: MIT
//
// The drivers bundled with sva-conform, by name.

#ifndef SVAC_MODELS_REGISTRY_H
#define SVAC_MODELS_REGISTRY_H

#include <svac/driver_abi.h>

#include <span>
#include <string_view>

// Entry points of the bundled drivers. Each has its own name so that several
// link into one binary; a plugin wrapper exports one as svac_driver_entry.
extern "C" const struct svac_driver_ops *svac_smmuv3_entry(void);
extern "C" const struct svac_driver_ops *svac_vtd_entry(void);

namespace svac::models {

struct BundledDriver {
    std::string_view name;
    std::string_view summary;
    const svac_driver_ops *(*entry)();
};

// Every bundled driver, in a fixed order.
std::span<const BundledDriver> bundled_drivers();

// The bundled driver called name, or nullptr.
const BundledDriver *find_bundled(std::string_view name);

} // namespace svac::models

#endif // SVAC_MODELS_REGISTRY_H
