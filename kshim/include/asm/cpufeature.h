/* SPDX-License-Identifier: MIT */
/* kshim: arm64 CPU feature queries: sanitised ID registers and capability bits
 * are answered by the runtime; field extraction is done here. */
#ifndef KSHIM_ASM_CPUFEATURE_H
#define KSHIM_ASM_CPUFEATURE_H

#include <asm/sysreg.h>
#include <linux/types.h>

/* Capability numbers (kshim's own numbering of the kernel's cpucaps). */
enum kshim_arm64_cpucap {
    ARM64_HAS_VIRT_HOST_EXTN,
    ARM64_HAS_CNP,
    ARM64_HAS_EPAN,
    ARM64_HAS_HW_AF,
    ARM64_HW_DBM,
    ARM64_UNMAP_KERNEL_AT_EL0,
    ARM64_SVE,
    ARM64_NCAPS,
};

/* Value of an ID register (sys_reg() encoding) common to all CPUs. */
extern u64 read_sanitised_ftr_reg(u32 id);
extern bool cpus_have_cap(unsigned int cap);

#define cpus_have_final_cap(cap) cpus_have_cap(cap)
#define cpus_have_const_cap(cap) cpus_have_cap(cap)
#define this_cpu_has_cap(cap) cpus_have_cap(cap)

/* Unsigned 4-bit ID register field starting at bit "field". */
static inline unsigned int cpuid_feature_extract_unsigned_field(u64 features, int field) {
    return (unsigned int)((features >> field) & 0xf);
}

/* Physical address width encoded by ID_AA64MMFR0_EL1.PARange; unknown (newer)
 * encodings are treated as the largest width kshim's kernel supports (48). */
static inline u32 id_aa64mmfr0_parange_to_phys_shift(int parange) {
    static const u8 widths[] = {32, 36, 40, 42, 44, 48, 52};

    if (parange >= 0 && parange < (int)sizeof(widths)) return widths[parange];
    return 48;
}

#endif
