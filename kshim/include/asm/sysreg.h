/* SPDX-License-Identifier: MIT */
/* kshim: arm64 system-register encodings and field positions (architectural
 * facts from the Arm ARM) and read_sysreg(), answered by the runtime. */
#ifndef KSHIM_ASM_SYSREG_H
#define KSHIM_ASM_SYSREG_H

#include <linux/types.h>

/* MRS/MSR operand encoding of a system register (op0, op1, CRn, CRm, op2). */
#define sys_reg(op0, op1, crn, crm, op2)                                                           \
    (((op0) << 19) | ((op1) << 16) | ((crn) << 12) | ((crm) << 8) | ((op2) << 5))

#define SYS_ID_AA64PFR0_EL1 sys_reg(3, 0, 0, 4, 0)
#define SYS_ID_AA64MMFR0_EL1 sys_reg(3, 0, 0, 7, 0)
#define SYS_ID_AA64MMFR1_EL1 sys_reg(3, 0, 0, 7, 1)
#define SYS_ID_AA64MMFR2_EL1 sys_reg(3, 0, 0, 7, 2)

/* ID_AA64MMFR0_EL1 fields (each 4 bits wide). */
#define ID_AA64MMFR0_EL1_PARANGE_SHIFT 0
#define ID_AA64MMFR0_EL1_ASIDBITS_SHIFT 4
#define ID_AA64MMFR0_EL1_TGRAN16_SHIFT 20
#define ID_AA64MMFR0_EL1_TGRAN64_SHIFT 24
#define ID_AA64MMFR0_EL1_TGRAN4_SHIFT 28
#define ID_AA64MMFR0_EL1_PARANGE_32 0x0
#define ID_AA64MMFR0_EL1_PARANGE_36 0x1
#define ID_AA64MMFR0_EL1_PARANGE_40 0x2
#define ID_AA64MMFR0_EL1_PARANGE_42 0x3
#define ID_AA64MMFR0_EL1_PARANGE_44 0x4
#define ID_AA64MMFR0_EL1_PARANGE_48 0x5
#define ID_AA64MMFR0_EL1_PARANGE_52 0x6
#define ID_AA64MMFR0_EL1_ASIDBITS_8 0x0
#define ID_AA64MMFR0_EL1_ASIDBITS_16 0x2

/* ID_AA64MMFR1_EL1 fields used by SVA feature checks. */
#define ID_AA64MMFR1_EL1_HAFDBS_SHIFT 0
#define ID_AA64MMFR1_EL1_VH_SHIFT 8

/*
 * read_sysreg(mair_el1) and friends: the runtime answers by register name
 * (the spelling used in the source, e.g. "mair_el1", "tcr_el1").
 */
extern u64 kshim_arm64_read_sysreg(const char *name);
#define read_sysreg(reg) kshim_arm64_read_sysreg(#reg)
#define read_sysreg_s(reg) kshim_arm64_read_sysreg(#reg)

#endif
