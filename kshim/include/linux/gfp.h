/* SPDX-License-Identifier: MIT */
/* kshim: allocation flags (values are kshim's own, not the kernel's) and the
 * page allocator. */
#ifndef KSHIM_LINUX_GFP_H
#define KSHIM_LINUX_GFP_H

#include <linux/types.h>

#define __GFP_DMA 0x01U
#define __GFP_HIGHMEM 0x02U
#define __GFP_DMA32 0x04U
#define __GFP_ZERO 0x100U
#define __GFP_NOWARN 0x200U
#define __GFP_NORETRY 0x400U
#define __GFP_NOFAIL 0x800U
#define __GFP_ACCOUNT 0x1000U
#define __GFP_RECLAIM 0x2000U
#define __GFP_IO 0x4000U
#define __GFP_FS 0x8000U
#define __GFP_HIGH 0x10000U
#define __GFP_COMP 0x20000U

#define GFP_ATOMIC (__GFP_HIGH)
#define GFP_NOWAIT 0U
#define GFP_NOIO (__GFP_RECLAIM)
#define GFP_NOFS (__GFP_RECLAIM | __GFP_IO)
#define GFP_KERNEL (__GFP_RECLAIM | __GFP_IO | __GFP_FS)
#define GFP_KERNEL_ACCOUNT (GFP_KERNEL | __GFP_ACCOUNT)
#define GFP_DMA32 __GFP_DMA32
#define GFP_DMA __GFP_DMA

struct page;

/* Runtime-provided page allocator (order = log2 of the number of pages).  The
 * pages of one allocation are contiguous in simulated physical memory and their
 * kernel virtual addresses are contiguous host memory. */
extern struct page *alloc_pages(gfp_t gfp, unsigned int order);
extern struct page *alloc_pages_node(int nid, gfp_t gfp, unsigned int order);
extern void __free_pages(struct page *page, unsigned int order);
extern unsigned long __get_free_pages(gfp_t gfp, unsigned int order);
extern void free_pages(unsigned long addr, unsigned int order);

#define alloc_page(gfp) alloc_pages(gfp, 0)
#define __get_free_page(gfp) __get_free_pages(gfp, 0)
#define get_zeroed_page(gfp) __get_free_pages((gfp) | __GFP_ZERO, 0)
#define free_page(addr) free_pages((addr), 0)

#endif
