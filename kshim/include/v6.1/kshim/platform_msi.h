/* SPDX-License-Identifier: MIT */
/* kshim (Linux 6.1): platform MSI allocation through the device's MSI domain. */
#ifndef KSHIM_V6_1_PLATFORM_MSI_H
#define KSHIM_V6_1_PLATFORM_MSI_H

#include <linux/msi.h>

struct device;

/* Allocate nvec vectors for dev, calling write_msi_msg for each to program
 * its doorbell; 0 on success. */
extern int platform_msi_domain_alloc_irqs(struct device *dev, unsigned int nvec,
                                          irq_write_msi_msg_t write_msi_msg);
extern void platform_msi_domain_free_irqs(struct device *dev);

#endif
