/* SPDX-License-Identifier: MIT */
/* kshim (Linux 6.12): per-device platform MSI allocation. */
#ifndef KSHIM_V6_12_PLATFORM_MSI_H
#define KSHIM_V6_12_PLATFORM_MSI_H

#include <linux/msi.h>

struct device;

/* Allocate nvec vectors for dev, calling write_msi_msg for each to program
 * its doorbell; 0 on success. */
extern int platform_device_msi_init_and_alloc_irqs(struct device *dev, unsigned int nvec,
                                                   irq_write_msi_msg_t write_msi_msg);
extern void platform_device_msi_free_irqs_all(struct device *dev);

#endif
