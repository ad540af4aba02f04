// CPU page tables (the mm side of SVA): AArch64 VMSAv8-64 with a 4 KiB
// granule and 48-bit VA, and x86-64 4-level paging. Descriptor layouts are
// field tables; the walker reads through a MemoryView.
#pragma once

#include "reference/codec.h"
#include "reference/memory.h"

#include <svac/driver_abi.h>

#include <cstdint>

namespace svac::ref {

// What an access asks for, and what a mapping allows.
enum Perm : uint8_t {
    kRead = 1,
    kWrite = 2,
    kExec = 4
};

inline constexpr uint64_t kPageSize = 4096;
inline constexpr unsigned kPageShift = 12;
inline constexpr unsigned kVaBits = 48;
inline constexpr unsigned kLevels = 4;

// AArch64 stage-1 descriptor, 4 KiB granule (Arm ARM D8.3): table and page
// descriptors of a user (EL0) mapping.
namespace aarch64_pte {
inline constexpr Field Valid{"Valid", 0, 0, 1};
inline constexpr Field Type{"Type", 0, 1, 1}; // 1: table (levels 0-2) or page (level 3)
inline constexpr Field AttrIndx{"AttrIndx", 0, 2, 3};
inline constexpr Field AP1{"AP[1]", 0, 6, 1}; // EL0 access
inline constexpr Field AP2{"AP[2]", 0, 7, 1}; // read-only
inline constexpr Field SH{"SH", 0, 8, 2};
inline constexpr Field AF{"AF", 0, 10, 1};
inline constexpr Field nG{"nG", 0, 11, 1};
inline constexpr Field OA{"OA", 0, 12, 36}; // output address [47:12]
inline constexpr Field PXN{"PXN", 0, 53, 1};
inline constexpr Field UXN{"UXN", 0, 54, 1};
inline constexpr Field kFields[] = {Valid, Type, AttrIndx, AP1, AP2, SH, AF, nG, OA, PXN, UXN};
inline constexpr Format kFormat{"aarch64.pte", 1, kFields};
} // namespace aarch64_pte

// x86-64 paging-structure entry, 4-level (Intel SDM vol. 3 4.5).
namespace x86_pte {
inline constexpr Field P{"P", 0, 0, 1};
inline constexpr Field RW{"R/W", 0, 1, 1};
inline constexpr Field US{"U/S", 0, 2, 1};
inline constexpr Field PWT{"PWT", 0, 3, 1};
inline constexpr Field PCD{"PCD", 0, 4, 1};
inline constexpr Field A{"A", 0, 5, 1};
inline constexpr Field D{"D", 0, 6, 1};
inline constexpr Field PS{"PS", 0, 7, 1};
inline constexpr Field G{"G", 0, 8, 1};
inline constexpr Field Addr{"Addr", 0, 12, 40}; // [51:12]
inline constexpr Field XD{"XD", 0, 63, 1};
inline constexpr Field kFields[] = {P, RW, US, PWT, PCD, A, D, PS, G, Addr, XD};
inline constexpr Format kFormat{"x86_64.pte", 1, kFields};
} // namespace x86_pte

// Index of va at a level (0 = root) of a 4-level, 4 KiB table.
constexpr unsigned pt_index(uint64_t va, unsigned level) {
    return static_cast<unsigned>((va >> (kPageShift + 9 * (kLevels - 1 - level))) & 511);
}

// The descriptors a CPU writes for a user page with perms, and for a table.
uint64_t make_leaf(uint32_t pgtable, uint64_t pa, uint8_t perms);
uint64_t make_table(uint32_t pgtable, uint64_t table_pa);
// The next-level table a table descriptor points to.
uint64_t walk_next_table(uint32_t pgtable, uint64_t desc);

struct Walk {
    enum class Result : uint8_t {
        ok,
        translation,
        permission
    } result = Result::translation;
    uint64_t pa = 0;    // ok: the output address of va
    uint8_t perms = 0;  // ok: what the mapping allows
    unsigned level = 0; // translation: the level whose descriptor was invalid
};

// Walks the table at root for va, as the hardware would, and checks access
// (a Perm mask) against the mapping. At most kLevels reads.
Walk walk(const MemoryView &mem, uint32_t pgtable, uint64_t root, uint64_t va, uint8_t access);

// The same for a table that translates va_bits of VA with the 4 KiB granule:
// ceil((va_bits - 12) / 9) levels, the root indexed by the VA's top bits.
// AArch64 with T0SZ = 64 - va_bits (25..48 bits: 3 or 4 levels); x86-64
// 4-level (48) or 5-level (57) paging. A VA at or above 2^va_bits faults at
// the root.
Walk walk_va_bits(const MemoryView &mem, uint32_t pgtable, uint64_t root, uint64_t va,
                  uint8_t access, unsigned va_bits);

// The levels a 4 KiB-granule table of va_bits takes.
constexpr unsigned levels_for(unsigned va_bits) {
    return va_bits <= kPageShift ? 0 : (va_bits - kPageShift + 8) / 9;
}

} // namespace svac::ref
