// SPDX-License-Identifier: MIT
//
// Where the VT-d driver model puts the PASID entry of a PASID: the size of
// the PASID directory it allocates for a PASID width, the PDTS it writes
// for it, and a PASID's directory and table indices (VT-d 9.4, 9.5).
// The index functions are generic over the word type: uint32_t in the
// driver, a solver's bit-vector in the formal checks (properties/formal),
// which prove them in bounds and injective for every width.

#ifndef SVAC_MODELS_VTD_PASID_INDEX_H
#define SVAC_MODELS_VTD_PASID_INDEX_H

#include "models/vtd/vtd_regs.h"

#include <algorithm>
#include <bit>
#include <cstdint>

namespace vtd {

// Directory entries covering PASIDs of the given width, at least one page.
constexpr uint32_t pasid_dir_entries(uint32_t pasid_bits) {
    uint32_t entries = uint32_t((uint64_t{1} << pasid_bits) >> PASID_PDE_SHIFT);
    return std::max(entries, PASID_DIR_MIN_ENTRIES);
}

// The context entry's PDTS for a directory: 2^(PDTS+7) entries.
constexpr uint64_t context_pdts(uint32_t dir_entries) {
    return uint64_t(std::countr_zero(dir_entries)) - CONTEXT_PDTS_BIAS;
}

template <typename W> constexpr W intel_pasid_dir_index(const W &pasid) {
    return pasid >> PASID_PDE_SHIFT;
}
template <typename W> constexpr W intel_pasid_table_index(const W &pasid) {
    return pasid & PASID_PTE_MASK;
}

} // namespace vtd

#endif // SVAC_MODELS_VTD_PASID_INDEX_H
