// SPDX-License-Identifier: MIT
/*
 * kshim runtime: memory. The slab (host memory the device never sees), the
 * page allocator and the DMA API (host buffers paired with the platform's
 * simulated physical memory, synced at barriers: world.h), devres, and the
 * address translations virt_to_phys and phys_to_virt.
 */
#include "world.h"

#include <linux/bitops.h>
#include <linux/dma-mapping.h>
#include <linux/gfp.h>
#include <linux/mm.h>
#include <linux/numa.h>
#include <linux/slab.h>
#include <linux/string.h>

#include <asm/barrier.h>
#include <asm/memory.h>

/* ---- the slab ---- */

void *kmalloc(size_t size, gfp_t gfp) {
    if (!size) size = 1; /* a unique pointer, as ZERO_SIZE_PTR is not dereferenced either */
    return gfp & __GFP_ZERO ? calloc(1, size) : malloc(size);
}

void *kmalloc_node(size_t size, gfp_t gfp, int node) {
    (void)node;
    return kmalloc(size, gfp);
}

void *krealloc(const void *ptr, size_t new_size, gfp_t gfp) {
    (void)gfp;
    if (!ptr) return kmalloc(new_size, gfp);
    return realloc((void *)ptr, new_size ? new_size : 1);
}

void kfree(const void *ptr) {
    free((void *)ptr);
}

void *kmemdup(const void *src, size_t size, gfp_t gfp) {
    void *p = kmalloc(size, gfp);
    if (p) memcpy(p, src, size);
    return p;
}

void *kvmalloc(size_t size, gfp_t gfp) {
    return kmalloc(size, gfp);
}

void kvfree(const void *ptr) {
    kfree(ptr);
}

/* ---- devres: what a device's probe took, released with the device ---- */

struct kshim_devres {
    struct device *dev;
    void *ptr;              /* devm_kmalloc's */
    void (*action)(void *); /* devm_add_action's */
    void *data;
    void *dma_host; /* dmam_alloc_coherent's */
};

static struct kshim_devres *devres;
static unsigned int n_devres, cap_devres;

static bool devres_add(struct kshim_devres r) {
    if (n_devres == cap_devres) {
        unsigned int cap = cap_devres ? 2 * cap_devres : 64;
        struct kshim_devres *n = realloc(devres, cap * sizeof(*n));
        if (!n) return false;
        devres = n;
        cap_devres = cap;
    }
    devres[n_devres++] = r;
    return true;
}

void *devm_kmalloc(struct device *dev, size_t size, gfp_t gfp) {
    void *p = kmalloc(size, gfp);
    if (p && !devres_add((struct kshim_devres){.dev = dev, .ptr = p})) {
        kfree(p);
        return NULL;
    }
    return p;
}

void *devm_krealloc(struct device *dev, void *ptr, size_t new_size, gfp_t gfp) {
    for (unsigned int i = 0; i < n_devres; ++i)
        if (devres[i].dev == dev && devres[i].ptr == ptr) {
            void *n = krealloc(ptr, new_size, gfp);
            if (n) devres[i].ptr = n;
            return n;
        }
    return devm_kmalloc(dev, new_size, gfp);
}

void devm_kfree(struct device *dev, const void *ptr) {
    for (unsigned int i = 0; i < n_devres; ++i)
        if (devres[i].dev == dev && devres[i].ptr == ptr) {
            kfree(ptr);
            devres[i] = devres[--n_devres];
            return;
        }
    WARN_ON(ptr); /* not a managed allocation of dev */
}

unsigned long *devm_bitmap_zalloc(struct device *dev, unsigned int nbits, gfp_t gfp) {
    return devm_kmalloc(dev, BITS_TO_LONGS(nbits) * sizeof(unsigned long), gfp | __GFP_ZERO);
}

int devm_add_action(struct device *dev, void (*action)(void *), void *data) {
    return devres_add((struct kshim_devres){.dev = dev, .action = action, .data = data}) ? 0
                                                                                         : -ENOMEM;
}

int devm_add_action_or_reset(struct device *dev, void (*action)(void *), void *data) {
    int ret = devm_add_action(dev, action, data);
    if (ret) action(data);
    return ret;
}

static void dma_block_free(struct kshim_dma_block *b);
static struct kshim_dma_block *block_of_host(const void *addr);

/* What dev's probe took, last first (the device went away). */
void kshim_release_devm(struct device *dev) {
    for (unsigned int i = n_devres; i-- > 0;) {
        if (devres[i].dev != dev) continue;
        struct kshim_devres r = devres[i];
        for (unsigned int j = i; j + 1 < n_devres; ++j) devres[j] = devres[j + 1];
        --n_devres;
        if (r.action)
            r.action(r.data);
        else if (r.dma_host) {
            struct kshim_dma_block *b = block_of_host(r.dma_host);
            if (b) dma_block_free(b);
        } else
            kfree(r.ptr);
    }
}

/* ---- memory the device can reach ---- */

static u64 round_pow2(u64 v) {
    u64 p = PAGE_SIZE;
    while (p < v) p <<= 1;
    return p;
}

static struct kshim_dma_block *block_of_host(const void *addr) {
    const char *a = addr;
    for (unsigned int i = 0; i < kshim_world->n_blocks; ++i) {
        struct kshim_dma_block *b = &kshim_world->blocks[i];
        if (a >= (const char *)b->host && a < (const char *)b->host + b->bytes) return b;
    }
    return NULL;
}

static struct kshim_dma_block *block_of_pa(u64 pa) {
    for (unsigned int i = 0; i < kshim_world->n_blocks; ++i) {
        struct kshim_dma_block *b = &kshim_world->blocks[i];
        if (pa >= b->pa && pa - b->pa < b->bytes) return b;
    }
    return NULL;
}

/* A block the device can reach, naturally aligned as the buddy allocator
 * gives it (Linux's SMMUv3 queues rely on it), zeroed. */
static struct kshim_dma_block *dma_block_alloc(u64 bytes, bool coherent) {
    struct kshim_world *w = kshim_world;
    const u64 align = round_pow2(bytes);
    bytes = (bytes + 7) & ~7ull;
    if (w->n_blocks == w->cap_blocks) {
        unsigned int cap = w->cap_blocks ? 2 * w->cap_blocks : 32;
        struct kshim_dma_block *n = realloc(w->blocks, cap * sizeof(*n));
        if (!n) return NULL;
        w->blocks = n;
        w->cap_blocks = cap;
    }
    const u64 pa = w->p->alloc(w->p->ctx, bytes, align);
    if (!pa) return NULL; /* the platform refused: the kernel sees -ENOMEM */
    void *host = NULL;
    u64 *shadow = calloc(1, bytes);
    if (posix_memalign(&host, PAGE_SIZE, bytes) || !shadow) {
        free(host);
        free(shadow);
        w->p->free(w->p->ctx, pa);
        return NULL;
    }
    memset(host, 0, bytes);
    struct kshim_dma_block *b = &w->blocks[w->n_blocks++];
    *b = (struct kshim_dma_block){
        .host = host, .shadow = shadow, .pa = pa, .bytes = bytes, .coherent = coherent};
    return b;
}

static void dma_block_free(struct kshim_dma_block *b) {
    struct kshim_world *w = kshim_world;
    w->p->free(w->p->ctx, b->pa);
    free(b->host);
    free(b->shadow);
    free(b->page);
    *b = w->blocks[--w->n_blocks];
}

/* The world goes: what devres still holds of its devices is dropped
 * without running (the devices are gone), its slab memory freed. */
void kshim_forget_devres(void) {
    for (unsigned int i = 0; i < n_devres; ++i)
        if (devres[i].ptr) kfree(devres[i].ptr);
    free(devres);
    devres = NULL;
    n_devres = cap_devres = 0;
}

/* The driver's stores since the last sync reach the platform, word by word. */
void kshim_sync_push(void) {
    struct kshim_world *w = kshim_world;
    if (!w || w->syncing) return;
    w->syncing = true;
    for (unsigned int i = 0; i < w->n_blocks; ++i) {
        struct kshim_dma_block *b = &w->blocks[i];
        const u64 *host = b->host;
        for (u64 k = 0; k < b->bytes / 8; ++k)
            if (host[k] != b->shadow[k]) {
                w->p->write64(w->p->ctx, b->pa + 8 * k, host[k]);
                b->shadow[k] = host[k];
            }
    }
    w->syncing = false;
}

/* The hardware's stores since the last sync (into coherent memory: queue
 * records, a sync's MSI) reach the driver's view. */
void kshim_sync_pull(void) {
    struct kshim_world *w = kshim_world;
    if (!w || w->syncing) return;
    w->syncing = true;
    for (unsigned int i = 0; i < w->n_blocks; ++i) {
        struct kshim_dma_block *b = &w->blocks[i];
        if (!b->coherent) continue;
        u64 *host = b->host;
        for (u64 k = 0; k < b->bytes / 8; ++k) {
            const u64 v = w->p->read64(w->p->ctx, b->pa + 8 * k);
            if (v != b->shadow[k]) host[k] = b->shadow[k] = v;
        }
    }
    w->syncing = false;
}

void kshim_barrier(void) {
    kshim_sync_push();
    kshim_sync_pull();
}

/* ---- the page allocator ---- */

struct page *alloc_pages_node(int nid, gfp_t gfp, unsigned int order) {
    (void)nid;
    (void)gfp; /* always zeroed */
    struct kshim_dma_block *b = dma_block_alloc((u64)PAGE_SIZE << order, false);
    if (!b) return NULL;
    b->page = calloc(1, sizeof(*b->page));
    if (!b->page) {
        dma_block_free(b);
        return NULL;
    }
    b->order = order;
    return b->page;
}

struct page *alloc_pages(gfp_t gfp, unsigned int order) {
    return alloc_pages_node(NUMA_NO_NODE, gfp, order);
}

static struct kshim_dma_block *block_of_page(const struct page *page) {
    for (unsigned int i = 0; i < kshim_world->n_blocks; ++i)
        if (kshim_world->blocks[i].page == page) return &kshim_world->blocks[i];
    return NULL;
}

void *page_address(const struct page *page) {
    struct kshim_dma_block *b = block_of_page(page);
    return b ? b->host : NULL;
}

struct page *virt_to_page(const void *addr) {
    struct kshim_dma_block *b = block_of_host(addr);
    if (!b || !b->page) {
        kshim_report("error", "virt_to_page(%p): not memory from the page allocator", addr);
        return NULL;
    }
    return b->page;
}

void __free_pages(struct page *page, unsigned int order) {
    struct kshim_dma_block *b = page ? block_of_page(page) : NULL;
    if (!b) return;
    WARN_ON(b->order != order);
    dma_block_free(b);
}

unsigned long __get_free_pages(gfp_t gfp, unsigned int order) {
    struct page *p = alloc_pages(gfp, order);
    return p ? (unsigned long)page_address(p) : 0;
}

void free_pages(unsigned long addr, unsigned int order) {
    if (addr) __free_pages(virt_to_page((void *)addr), order);
}

void get_page(struct page *page) {
    (void)page;
}

void put_page(struct page *page) {
    (void)page;
}

/* ---- the DMA API ---- */

void *dma_alloc_coherent(struct device *dev, size_t size, dma_addr_t *dma_handle, gfp_t gfp) {
    (void)dev;
    (void)gfp;
    struct kshim_dma_block *b = dma_block_alloc(size, true);
    if (!b) return NULL;
    *dma_handle = b->pa;
    return b->host;
}

void dma_free_coherent(struct device *dev, size_t size, void *cpu_addr, dma_addr_t dma_handle) {
    (void)dev;
    (void)size;
    struct kshim_dma_block *b = block_of_host(cpu_addr);
    if (WARN_ON(!b || b->host != cpu_addr || b->pa != dma_handle)) return;
    dma_block_free(b);
}

void *dmam_alloc_coherent(struct device *dev, size_t size, dma_addr_t *dma_handle, gfp_t gfp) {
    void *p = dma_alloc_coherent(dev, size, dma_handle, gfp);
    if (p && !devres_add((struct kshim_devres){.dev = dev, .dma_host = p})) {
        dma_free_coherent(dev, size, p, *dma_handle);
        return NULL;
    }
    return p;
}

void dmam_free_coherent(struct device *dev, size_t size, void *cpu_addr, dma_addr_t dma_handle) {
    for (unsigned int i = 0; i < n_devres; ++i)
        if (devres[i].dev == dev && devres[i].dma_host == cpu_addr) {
            devres[i] = devres[--n_devres];
            break;
        }
    dma_free_coherent(dev, size, cpu_addr, dma_handle);
}

/* Streaming mappings of page-allocator memory: the bus address is the
 * physical one (no IOMMU in front of the IOMMU). */
dma_addr_t dma_map_single(struct device *dev, void *cpu_addr, size_t size,
                          enum dma_data_direction dir) {
    (void)dev;
    (void)size;
    (void)dir;
    kshim_sync_push();
    return kshim_virt_to_phys(cpu_addr);
}

void dma_unmap_single(struct device *dev, dma_addr_t addr, size_t size,
                      enum dma_data_direction dir) {
    (void)dev;
    (void)addr;
    (void)size;
    (void)dir;
}

void dma_sync_single_for_device(struct device *dev, dma_addr_t addr, size_t size,
                                enum dma_data_direction dir) {
    (void)dev;
    (void)addr;
    (void)size;
    (void)dir;
    kshim_sync_push();
}

void dma_sync_single_for_cpu(struct device *dev, dma_addr_t addr, size_t size,
                             enum dma_data_direction dir) {
    (void)dev;
    (void)addr;
    (void)size;
    (void)dir;
    kshim_sync_pull();
}

int dma_set_mask(struct device *dev, u64 mask) {
    if (dev->dma_mask) *dev->dma_mask = mask;
    return 0;
}

int dma_set_coherent_mask(struct device *dev, u64 mask) {
    dev->coherent_dma_mask = mask;
    return 0;
}

int dma_set_mask_and_coherent(struct device *dev, u64 mask) {
    dma_set_mask(dev, mask);
    return dma_set_coherent_mask(dev, mask);
}

/* ---- address translation ---- */

/* An mm's page-table root: kshim gives each mm a pgd pointer in a window
 * that is never dereferenced (the driver only asks for its physical
 * address, which is the CPU side's: svac_mm_info.pgd). */
#define KSHIM_PGD_WINDOW 0x7ee000000000ull

void *kshim_pgd_of(u32 mm) {
    return (void *)(uintptr_t)(KSHIM_PGD_WINDOW + ((u64)mm << PAGE_SHIFT));
}

phys_addr_t kshim_virt_to_phys(const volatile void *addr) {
    const u64 a = (u64)(uintptr_t)addr;
    struct kshim_world *w = kshim_world;
    if (a >= KSHIM_PGD_WINDOW && a < KSHIM_PGD_WINDOW + ((u64)w->t->n_mms << PAGE_SHIFT)) {
        struct svac_mm_info info;
        if (w->p->mm_info(w->p->ctx, (u32)((a - KSHIM_PGD_WINDOW) >> PAGE_SHIFT), &info) == 0)
            return info.pgd + (a & (PAGE_SIZE - 1));
    }
    struct kshim_dma_block *b = block_of_host((const void *)addr);
    if (b) return b->pa + (u64)((const char *)addr - (const char *)b->host);
    kshim_report("error",
                 "virt_to_phys(%p): not memory the device can reach (the DMA API or "
                 "the page allocator)",
                 (const void *)addr);
    w->failed = true;
    return 0;
}

void *kshim_phys_to_virt(phys_addr_t paddr) {
    struct kshim_dma_block *b = block_of_pa(paddr);
    if (b) return (char *)b->host + (paddr - b->pa);
    kshim_report("error", "phys_to_virt(0x%llx): no memory of this driver there", paddr);
    kshim_world->failed = true;
    return NULL;
}
