/* SPDX-License-Identifier: MIT */
/* kshim: scatter-gather lists (only the type is needed by the SMMUv3
 * files; including it brings in linux/mm.h, as in the kernel). */
#ifndef KSHIM_LINUX_SCATTERLIST_H
#define KSHIM_LINUX_SCATTERLIST_H

#include <linux/mm.h>
#include <linux/types.h>

struct scatterlist;
struct sg_table;

#endif
