/* SPDX-License-Identifier: MIT */
/* kshim: memory-zone facts: the largest buddy order and per-node page
 * accounting (accounting is a no-op in kshim). */
#ifndef KSHIM_LINUX_MMZONE_H
#define KSHIM_LINUX_MMZONE_H

#include <linux/numa.h>
#include <linux/types.h>

/* arm64 with 4 KiB pages: buddy allocations up to order 10 (4 MiB). */
#define MAX_PAGE_ORDER 10
#define MAX_ORDER MAX_PAGE_ORDER
#define MAX_ORDER_NR_PAGES (1 << MAX_PAGE_ORDER)

typedef struct pglist_data {
    int node_id;
} pg_data_t;

#endif
