/* SPDX-License-Identifier: MIT */
/* kshim: MMIO accessors and device-managed ioremap. */
#ifndef KSHIM_LINUX_IO_H
#define KSHIM_LINUX_IO_H

#include <asm/io.h>
#include <linux/err.h>

struct device;
struct resource;

#define IOMEM_ERR_PTR(err) ((void __iomem *)ERR_PTR(err))

extern void __iomem *devm_ioremap(struct device *dev, resource_size_t offset, resource_size_t size);
extern void __iomem *devm_ioremap_resource(struct device *dev, const struct resource *res);
extern void devm_iounmap(struct device *dev, void __iomem *addr);

#endif
