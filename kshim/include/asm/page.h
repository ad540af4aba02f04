/* SPDX-License-Identifier: MIT */
/* kshim: arm64 page geometry (4 KiB granule) and the translation between
 * kernel virtual addresses (host pointers) and simulated physical addresses. */
#ifndef KSHIM_ASM_PAGE_H
#define KSHIM_ASM_PAGE_H

#include <asm/memory.h>
#include <linux/math.h>
#include <linux/types.h>

#define PAGE_SHIFT 12
#define PAGE_SIZE (1UL << PAGE_SHIFT)
#define PAGE_MASK (~(PAGE_SIZE - 1))
#define PAGE_ALIGN(addr) ALIGN(addr, PAGE_SIZE)
#define PAGE_ALIGNED(addr) IS_ALIGNED((unsigned long)(addr), PAGE_SIZE)

/*
 * Runtime hooks.  A kernel virtual address is a host pointer into memory the
 * runtime handed out (kmalloc, alloc_pages, dma_alloc_coherent, ...); its
 * physical address is the address of the same bytes in the simulated physical
 * memory.  Both directions must round-trip for any byte of such an allocation.
 */
extern phys_addr_t kshim_virt_to_phys(const volatile void *addr);
extern void *kshim_phys_to_virt(phys_addr_t paddr);

static inline phys_addr_t virt_to_phys(const volatile void *addr) {
    return kshim_virt_to_phys(addr);
}

static inline void *phys_to_virt(phys_addr_t paddr) {
    return kshim_phys_to_virt(paddr);
}

#define __pa(vaddr) kshim_virt_to_phys((const volatile void *)(vaddr))
#define __va(paddr) kshim_phys_to_virt((phys_addr_t)(paddr))
#define __pa_symbol(sym) __pa(sym)
#define PHYS_PFN(paddr) ((unsigned long)((paddr) >> PAGE_SHIFT))
#define PFN_PHYS(pfn) ((phys_addr_t)(pfn) << PAGE_SHIFT)

/* Smallest order such that (PAGE_SIZE << order) >= size. */
static inline int get_order(unsigned long size) {
    if (size <= PAGE_SIZE) return 0;
    return 64 - __builtin_clzl((size - 1) >> PAGE_SHIFT);
}

#endif
