/* SPDX-License-Identifier: MIT */
/* kshim: PCIe ATS, PRI and PASID capability control (runtime-provided, acting
 * on the simulated endpoint). */
#ifndef KSHIM_LINUX_PCI_ATS_H
#define KSHIM_LINUX_PCI_ATS_H

#include <linux/types.h>

struct pci_dev;

/* ATS: ps is the Smallest Translation Unit as a page shift. */
extern bool pci_ats_supported(struct pci_dev *pdev);
extern int pci_prepare_ats(struct pci_dev *pdev, int ps);
extern int pci_enable_ats(struct pci_dev *pdev, int ps);
extern void pci_disable_ats(struct pci_dev *pdev);
extern int pci_ats_queue_depth(struct pci_dev *pdev);
extern int pci_ats_page_aligned(struct pci_dev *pdev);

/* PRI: reqs is the number of outstanding page requests allowed. */
extern int pci_enable_pri(struct pci_dev *pdev, u32 reqs);
extern void pci_disable_pri(struct pci_dev *pdev);
extern int pci_reset_pri(struct pci_dev *pdev);
extern int pci_prg_resp_pasid_required(struct pci_dev *pdev);
extern bool pci_pri_supported(struct pci_dev *pdev);

/* PASID capability feature bits (the capability register's layout). */
#define PCI_PASID_CAP_EXEC 0x0002
#define PCI_PASID_CAP_PRIV 0x0004

extern int pci_enable_pasid(struct pci_dev *pdev, int features);
extern void pci_disable_pasid(struct pci_dev *pdev);
extern int pci_pasid_features(struct pci_dev *pdev);
extern int pci_max_pasids(struct pci_dev *pdev);

#endif
