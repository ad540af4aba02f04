/* SPDX-License-Identifier: MIT */
/* kshim: struct page and struct mm_struct, reduced to the fields the SMMUv3
 * driver touches. */
#ifndef KSHIM_LINUX_MM_TYPES_H
#define KSHIM_LINUX_MM_TYPES_H

#include <asm/pgtable-types.h>
#include <linux/types.h>

/*
 * A page descriptor is allocated and owned by the runtime, which may embed it
 * in a larger private structure (container_of) to keep the host address and the
 * simulated physical address.  Drivers only use "lru" to chain pages they own.
 */
struct page {
    struct list_head lru;
};

/* struct mm_struct differs between kernel versions. */
#include <kshim/mm_struct.h>

#endif
