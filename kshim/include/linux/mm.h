/* SPDX-License-Identifier: MIT */
/* kshim: page <-> address conversions, page references and the arm64 facts
 * (page size, VA width, CPU features) that kernel code reaches through mm.h. */
#ifndef KSHIM_LINUX_MM_H
#define KSHIM_LINUX_MM_H

#include <asm/cpufeature.h>
#include <asm/memory.h>
#include <asm/mmu.h>
#include <asm/page.h>
#include <asm/sysreg.h>
#include <linux/bug.h>
#include <linux/err.h>
#include <linux/gfp.h>
#include <linux/kernel.h>
#include <linux/list.h>
#include <linux/mm_types.h>
#include <linux/mmzone.h>
#include <linux/sizes.h>
#include <linux/vmstat.h>

/* Runtime hooks: host address of a page's first byte, and the page descriptor
 * covering a kernel virtual address. */
extern void *page_address(const struct page *page);
extern struct page *virt_to_page(const void *addr);
extern void put_page(struct page *page);
extern void get_page(struct page *page);

static inline phys_addr_t page_to_phys(const struct page *page) {
    return virt_to_phys(page_address(page));
}

#define virt_to_pfn(addr) PHYS_PFN(virt_to_phys(addr))
#define page_to_pfn(page) PHYS_PFN(page_to_phys(page))

#endif
