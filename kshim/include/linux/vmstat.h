/* SPDX-License-Identifier: MIT */
/* kshim: VM statistics counters.  kshim keeps no statistics; the runtime sees
 * every allocation through the allocator hooks instead. */
#ifndef KSHIM_LINUX_VMSTAT_H
#define KSHIM_LINUX_VMSTAT_H

#include <linux/mmzone.h>

struct page;

enum node_stat_item {
    NR_SECONDARY_PAGETABLE,
    NR_IOMMU_PAGES,
    NR_VM_NODE_STAT_ITEMS,
};

static inline pg_data_t *page_pgdat(const struct page *page) {
    (void)page;
    return NULL;
}

static inline void mod_node_page_state(pg_data_t *pgdat, enum node_stat_item item, long delta) {
    (void)pgdat, (void)item, (void)delta;
}

static inline void mod_lruvec_page_state(struct page *page, enum node_stat_item item, int delta) {
    (void)page, (void)item, (void)delta;
}

#endif
