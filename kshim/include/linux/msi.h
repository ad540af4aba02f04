/* SPDX-License-Identifier: MIT */
/* kshim: message-signalled interrupts for platform devices.  The runtime
 * allocates the vectors, calls the driver's write_msi_msg callback for each so
 * the driver can program the doorbell, and maps them to Linux IRQ numbers. */
#ifndef KSHIM_LINUX_MSI_H
#define KSHIM_LINUX_MSI_H

#include <linux/device.h>
#include <linux/types.h>

/* Doorbell write: "data" stored at physical address address_hi:address_lo. */
struct msi_msg {
    u32 address_lo;
    u32 address_hi;
    u32 data;
};

struct msi_desc {
    unsigned int irq;   /* Linux IRQ number */
    u16 msi_index;      /* index of the vector within its device */
    struct device *dev; /* owner */
    struct msi_msg msg;
};

typedef void (*irq_write_msi_msg_t)(struct msi_desc *desc, struct msi_msg *msg);

static inline struct device *msi_desc_to_dev(struct msi_desc *desc) {
    return desc->dev;
}

/* Linux IRQ number of vector "index" of dev, or 0. */
extern unsigned int msi_get_virq(struct device *dev, unsigned int index);

/* Platform-MSI allocation entry points differ between kernel versions. */
#include <kshim/platform_msi.h>

#endif
