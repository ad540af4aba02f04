/* SPDX-License-Identifier: MIT */
/* kshim: the DMA API.  The simulated SMMU (and page-table walker) is
 * DMA-coherent with the simulated physical memory and sits behind no other
 * translation: a dma_addr_t handed out here is a simulated physical address. */
#ifndef KSHIM_LINUX_DMA_MAPPING_H
#define KSHIM_LINUX_DMA_MAPPING_H

#include <linux/device.h>
#include <linux/gfp.h>
#include <linux/scatterlist.h>
#include <linux/types.h>

enum dma_data_direction {
    DMA_BIDIRECTIONAL = 0,
    DMA_TO_DEVICE = 1,
    DMA_FROM_DEVICE = 2,
    DMA_NONE = 3,
};

#define DMA_BIT_MASK(n) (((n) == 64) ? ~0ULL : ((1ULL << (n)) - 1))
#define DMA_MAPPING_ERROR (~(dma_addr_t)0)

/* Coherent buffers: CPU pointer returned, bus address stored in *dma_handle. */
extern void *dma_alloc_coherent(struct device *dev, size_t size, dma_addr_t *dma_handle, gfp_t gfp);
extern void dma_free_coherent(struct device *dev, size_t size, void *cpu_addr,
                              dma_addr_t dma_handle);
extern void *dmam_alloc_coherent(struct device *dev, size_t size, dma_addr_t *dma_handle,
                                 gfp_t gfp);
extern void dmam_free_coherent(struct device *dev, size_t size, void *cpu_addr,
                               dma_addr_t dma_handle);

/* Streaming mappings of kernel memory. */
extern dma_addr_t dma_map_single(struct device *dev, void *cpu_addr, size_t size,
                                 enum dma_data_direction dir);
extern void dma_unmap_single(struct device *dev, dma_addr_t addr, size_t size,
                             enum dma_data_direction dir);
extern void dma_sync_single_for_device(struct device *dev, dma_addr_t addr, size_t size,
                                       enum dma_data_direction dir);
extern void dma_sync_single_for_cpu(struct device *dev, dma_addr_t addr, size_t size,
                                    enum dma_data_direction dir);

static inline int dma_mapping_error(struct device *dev, dma_addr_t addr) {
    (void)dev;
    return addr == DMA_MAPPING_ERROR ? -ENOMEM : 0;
}

extern int dma_set_mask(struct device *dev, u64 mask);
extern int dma_set_coherent_mask(struct device *dev, u64 mask);
extern int dma_set_mask_and_coherent(struct device *dev, u64 mask);

#endif
