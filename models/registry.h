// SPDX-License-Identifier: MIT
//
// The drivers bundled with sva-conform, by name, and their seeded-bug
// mutants.

#ifndef SVAC_MODELS_REGISTRY_H
#define SVAC_MODELS_REGISTRY_H

#include <svac/driver_abi.h>

#include <span>
#include <string_view>
#include <vector>

// Entry points of the bundled drivers. Each has its own name so that several
// link into one binary; a plugin wrapper exports one as svac_driver_entry.
extern "C" const struct svac_driver_ops *svac_smmuv3_entry(void);
extern "C" const struct svac_driver_ops *svac_vtd_entry(void);

// The driver with one seeded bug switched on in every instance it creates
// (ops name "DRIVER:MUTANT"), or NULL for a name the driver does not know.
extern "C" const struct svac_driver_ops *svac_smmuv3_mutant(const char *name);
extern "C" const struct svac_driver_ops *svac_vtd_mutant(const char *name);

namespace svac::models {

// A seeded bug, modelled on a real one.
struct Mutant {
    std::string_view name;
    std::string_view profile;  // the API generation it is hunted under ('clauses --profile')
    std::string_view clause;   // the clause it breaks
    std::string_view symptoms; // clauses it may be caught under first, comma-separated
    std::string_view description;
};

struct BundledDriver {
    std::string_view name;
    std::string_view summary;
    const svac_driver_ops *(*entry)();
    std::span<const Mutant> mutants;
    const svac_driver_ops *(*mutant_entry)(const char *name);
};

// Every bundled driver, in a fixed order.
std::span<const BundledDriver> bundled_drivers();

// The bundled driver called name, or nullptr.
const BundledDriver *find_bundled(std::string_view name);

// The mutant of d called name, or nullptr.
const Mutant *find_mutant(const BundledDriver &d, std::string_view name);

// The mutants of d hunted under profile (rfc2019: the first wave's).
std::vector<const Mutant *> mutants_of(const BundledDriver &d, std::string_view profile);

// The ops table of mutant m of d.
const svac_driver_ops *mutant_ops(const BundledDriver &d, const Mutant &m);

} // namespace svac::models

#endif // SVAC_MODELS_REGISTRY_H
