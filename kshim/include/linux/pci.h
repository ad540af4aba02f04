/* SPDX-License-Identifier: MIT */
/* kshim: PCI devices (reduced struct pci_dev; the PCI bus is simulated by the
 * runtime). */
#ifndef KSHIM_LINUX_PCI_H
#define KSHIM_LINUX_PCI_H

#include <linux/device.h>
#include <linux/dma-mapping.h>
#include <linux/pci-ats.h>
#include <linux/types.h>

/* PCI-SIG assigned vendor IDs. */
#define PCI_VENDOR_ID_HUAWEI 0x19e5

struct pci_dev {
    struct device dev;
    unsigned short vendor;
    unsigned short device;
    u16 requester_id; /* bus << 8 | devfn, the RID */
    unsigned int ats_enabled : 1;
    unsigned int pasid_enabled : 1;
    unsigned int pri_enabled : 1;
};

#define to_pci_dev(d) container_of((d), struct pci_dev, dev)

/* The bus every struct pci_dev's dev.bus points to. */
extern const struct bus_type pci_bus_type;
#define dev_is_pci(d) ((d)->bus == &pci_bus_type)

static inline u16 pci_dev_id(struct pci_dev *pdev) {
    return pdev->requester_id;
}

extern int pci_for_each_dma_alias(struct pci_dev *pdev,
                                  int (*fn)(struct pci_dev *pdev, u16 alias, void *data),
                                  void *data);
extern void pci_request_acs(void);

#endif
