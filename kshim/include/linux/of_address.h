/* SPDX-License-Identifier: MIT */
/* kshim: device-tree address facts (DMA coherency of a node). */
#ifndef KSHIM_LINUX_OF_ADDRESS_H
#define KSHIM_LINUX_OF_ADDRESS_H

#include <linux/ioport.h>
#include <linux/of.h>

extern bool of_dma_is_coherent(struct device_node *np);

#endif
