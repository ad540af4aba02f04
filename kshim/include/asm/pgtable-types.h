/* SPDX-License-Identifier: MIT */
/* kshim: arm64 CPU page-table entry types (only the top level is needed). */
#ifndef KSHIM_ASM_PGTABLE_TYPES_H
#define KSHIM_ASM_PGTABLE_TYPES_H

#include <linux/types.h>

typedef u64 pgdval_t;
typedef struct {
    pgdval_t pgd;
} pgd_t;

#endif
