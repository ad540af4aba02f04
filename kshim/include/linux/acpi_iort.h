/* SPDX-License-Identifier: MIT */
/* kshim: ACPI IORT with CONFIG_ACPI_IORT off: no reserved-memory (RMR) nodes
 * are ever reported. */
#ifndef KSHIM_LINUX_ACPI_IORT_H
#define KSHIM_LINUX_ACPI_IORT_H

#include <linux/fwnode.h>
#include <linux/list.h>

static inline void iort_get_rmr_sids(struct fwnode_handle *iommu_fwnode, struct list_head *head) {
    (void)iommu_fwnode, (void)head;
}

static inline void iort_put_rmr_sids(struct fwnode_handle *iommu_fwnode, struct list_head *head) {
    (void)iommu_fwnode, (void)head;
}

#endif
