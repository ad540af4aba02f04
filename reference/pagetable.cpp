#include "reference/pagetable.h"

namespace svac::ref {

uint64_t make_leaf(uint32_t pgtable, uint64_t pa, uint8_t perms) {
    uint64_t d = 0;
    if (pgtable == SVAC_PGTABLE_AARCH64_4K) {
        set(&d, aarch64_pte::Valid, 1);
        set(&d, aarch64_pte::Type, 1);
        set(&d, aarch64_pte::AP1, 1); // user
        set(&d, aarch64_pte::AP2, (perms & kWrite) ? 0 : 1);
        set(&d, aarch64_pte::SH, 3);
        set(&d, aarch64_pte::AF, 1);
        set(&d, aarch64_pte::nG, 1);
        set(&d, aarch64_pte::OA, pa >> kPageShift);
        set(&d, aarch64_pte::PXN, 1);
        set(&d, aarch64_pte::UXN, (perms & kExec) ? 0 : 1);
    } else {
        set(&d, x86_pte::P, 1);
        set(&d, x86_pte::RW, (perms & kWrite) ? 1 : 0);
        set(&d, x86_pte::US, 1);
        set(&d, x86_pte::A, 1);
        set(&d, x86_pte::Addr, pa >> kPageShift);
        set(&d, x86_pte::XD, (perms & kExec) ? 0 : 1);
    }
    return d;
}

uint64_t make_table(uint32_t pgtable, uint64_t table_pa) {
    uint64_t d = 0;
    if (pgtable == SVAC_PGTABLE_AARCH64_4K) {
        set(&d, aarch64_pte::Valid, 1);
        set(&d, aarch64_pte::Type, 1);
        set(&d, aarch64_pte::OA, table_pa >> kPageShift);
    } else {
        set(&d, x86_pte::P, 1);
        set(&d, x86_pte::RW, 1);
        set(&d, x86_pte::US, 1);
        set(&d, x86_pte::Addr, table_pa >> kPageShift);
    }
    return d;
}

uint64_t walk_next_table(uint32_t pgtable, uint64_t desc) {
    return pgtable == SVAC_PGTABLE_AARCH64_4K ? get(&desc, aarch64_pte::OA) << kPageShift
                                              : get(&desc, x86_pte::Addr) << kPageShift;
}

Walk walk(const MemoryView &mem, uint32_t pgtable, uint64_t root, uint64_t va, uint8_t access) {
    return walk_va_bits(mem, pgtable, root, va, access, kVaBits);
}

Walk walk_va_bits(const MemoryView &mem, uint32_t pgtable, uint64_t root, uint64_t va,
                  uint8_t access, unsigned va_bits) {
    Walk w;
    const unsigned levels = levels_for(va_bits);
    if (levels == 0 || va_bits >= 64 || (va >> va_bits)) return w; // fault at the root
    bool arm = pgtable == SVAC_PGTABLE_AARCH64_4K;
    uint64_t table = root;
    uint8_t allowed = kRead | kWrite | kExec;
    for (unsigned level = 0; level < levels; ++level) {
        const unsigned shift = kPageShift + 9 * (levels - 1 - level);
        uint64_t d = mem.read64(table + 8ull * ((va >> shift) & 511));
        w.level = level;
        bool leaf = level == levels - 1;
        if (arm) {
            if (!get(&d, aarch64_pte::Valid)) return w;
            // Type 0 one or two levels above the page is a block of 2 MiB or
            // 1 GiB (Arm ARM D8.3: a kernel's io-pgtable maps its DMA domains
            // with them); anywhere else it is invalid.
            const unsigned below = levels - 1 - level;
            const bool block = !get(&d, aarch64_pte::Type);
            if (block && below != 1 && below != 2) return w;
            table = get(&d, aarch64_pte::OA) << kPageShift;
            if (leaf || block) {
                if (!get(&d, aarch64_pte::AF) || !get(&d, aarch64_pte::AP1)) allowed = 0;
                if (get(&d, aarch64_pte::AP2)) allowed &= ~kWrite;
                if (get(&d, aarch64_pte::UXN)) allowed &= ~kExec;
            }
            if (block) {
                const uint64_t span = uint64_t{1} << shift;
                w.perms = allowed;
                w.pa = (table & ~(span - 1)) | (va & (span - 1));
                w.result = (access & ~allowed) ? Walk::Result::permission : Walk::Result::ok;
                return w;
            }
        } else {
            if (!get(&d, x86_pte::P) || (!leaf && get(&d, x86_pte::PS))) return w;
            table = get(&d, x86_pte::Addr) << kPageShift;
            if (!get(&d, x86_pte::US)) allowed = 0;
            if (!get(&d, x86_pte::RW)) allowed &= ~kWrite;
            if (get(&d, x86_pte::XD)) allowed &= ~kExec;
        }
    }
    w.perms = allowed;
    w.pa = table | (va & (kPageSize - 1));
    w.result = (access & ~allowed) ? Walk::Result::permission : Walk::Result::ok;
    return w;
}

} // namespace svac::ref
