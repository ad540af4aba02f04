/* SPDX-License-Identifier: MIT */
/*
 * kshim runtime: the world a kernel driver runs in, built on the platform
 * the kit lends (include/svac/driver_abi.h). One world is live per process
 * at a time: kernel code keeps global state (static xarrays, its ops), as a
 * kernel has one copy of a module.
 *
 * Memory. Kernel virtual addresses are host pointers. Memory the device may
 * read (the DMA API, pages) is a host buffer paired with a block of the
 * platform's simulated physical memory and a shadow copy: at every barrier,
 * MMIO access and return to the kit the runtime pushes each word the driver
 * changed since the last sync to the platform (write64, in address order),
 * and pulls each word the hardware changed (a queue record, a sync's MSI)
 * into the host buffer. Driver stores thus reach the hardware model at the
 * driver's own ordering points, which is when a device may rely on them.
 */
#ifndef KSHIM_RUNTIME_WORLD_H
#define KSHIM_RUNTIME_WORLD_H

#include <linux/device.h>
#include <linux/interrupt.h>
#include <linux/iommu.h>
#include <linux/list.h>
#include <linux/mm_types.h>
#include <linux/mmu_notifier.h>
#include <linux/of.h>
#include <linux/pci.h>
#include <linux/platform_device.h>
#include <linux/types.h>

#include <svac/driver_abi.h>

/* The C library, which the plugin links: declared here because kernel files
 * see kshim's headers only. */
void *malloc(unsigned long size);
void *calloc(unsigned long n, unsigned long size);
void *realloc(void *p, unsigned long size);
void free(void *p);
int posix_memalign(void **p, unsigned long align, unsigned long size);
void abort(void) __attribute__((noreturn));
int vsnprintf(char *buf, unsigned long n, const char *fmt, __builtin_va_list ap);
int snprintf(char *buf, unsigned long n, const char *fmt, ...);
long write(int fd, const void *buf, unsigned long n);
char *getenv(const char *name);
int strcmp(const char *a, const char *b);

#define KSHIM_MAX_IOMMUS 8
#define KSHIM_MAX_DEVICES 256
#define KSHIM_MAX_IRQS 64

/* A block of memory the device can reach. */
struct kshim_dma_block {
    void *host;
    u64 *shadow; /* the words as last synced with the platform */
    u64 pa;      /* the platform's block */
    u64 bytes;
    bool coherent;       /* from the coherent DMA API: the device may write it too */
    struct device *devm; /* a managed allocation of this device, else NULL */
    struct page *page;   /* allocated as pages: their struct page */
    unsigned int order;
};

/* A device of the topology as the kernel sees it: a PCI function (PRI, ATS
 * or PASIDs over PCIe) or a platform device (an SMMUv3 stall master). */
struct kshim_device {
    struct pci_dev pci;          /* pci.dev is the device when is_pci */
    struct platform_device plat; /* ... else plat.dev */
    struct dev_iommu iommu;
    struct iommu_fwspec *fwspec;
    struct device *dev;
    bool is_pci;
    u32 index;                        /* the topology's device index: its StreamID */
    struct iommu_domain *rid_domain;  /* what iommu_get_domain_for_dev answers */
    void *fault_handler, *fault_data; /* iommu_register_device_fault_handler's (6.1) */
    char name[32];
};

struct kshim_irq {
    unsigned int irq;
    u32 iommu;
    irq_handler_t handler, thread_fn;
    void *dev_id;
    struct device *dev;
};

struct kshim_iommu {
    struct platform_device pdev;
    struct device_node of_node;
    struct resource mem;
    struct iommu_device *registered; /* iommu_device_register's */
    const struct iommu_ops *ops;
    char name[32];
};

struct kshim_mm {
    struct mm_struct mm;
    struct list_head notifiers; /* struct kshim_notifier */
    int users;
};

struct kshim_world {
    const struct svac_platform *p;
    const struct svac_topology *t;
    struct kshim_iommu iommus[KSHIM_MAX_IOMMUS];
    struct kshim_device devices[KSHIM_MAX_DEVICES];
    struct kshim_mm *mms;
    struct kshim_dma_block *blocks;
    unsigned int n_blocks, cap_blocks;
    struct kshim_irq irqs[KSHIM_MAX_IRQS];
    unsigned int n_irqs;
    u64 clock_ns; /* the virtual clock: ktime_get, delays */
    unsigned int warnings;
    bool syncing; /* inside a sync: the platform's calls must not recurse */
    /* A broken variant of the layer itself, to show the kit catches a shim
     * that does not do its job (environment SVAC_KSHIM_MUTANT):
     * "no-kick" drops every write of SMMUv3's CMDQ_PROD (commands written,
     * never published); "no-irq" never runs an interrupt handler. */
    enum {
        KSHIM_SOUND,
        KSHIM_NO_KICK,
        KSHIM_NO_IRQ
    } mutant;
    bool failed; /* a kshim service could not give the kernel what it asked */
};

extern struct kshim_world *kshim_world;

/* world.c: a world's life. create builds the world, runs the module's
 * init, probes each IOMMU and each device (NULL, everything undone, when one
 * fails); the glue then gives each device its RID domain, or calls fail.
 * destroy releases the devices and runs the module's exit (quiesce first). */
struct kshim_world *kshim_world_create(const struct svac_platform *p, const struct svac_topology *t,
                                       uint32_t api, const char *driver, const char *profile);
void kshim_world_fail(struct kshim_world *w);
void kshim_world_destroy(struct kshim_world *w);
/* Around every entry point: the hardware's stores reach the driver's view
 * first, the driver's reach the platform before the kit looks; a WARN the
 * call hit aborts it (the driver host reports the abort as a crash). */
void kshim_enter(void);
void kshim_leave(void);
struct kshim_device *kshim_device_at(u32 dev);
const struct iommu_ops *kshim_ops_of(const struct kshim_device *d);

/* memory.c */
void kshim_sync_push(void);
void kshim_sync_pull(void);
void kshim_release_devm(struct device *dev);
void kshim_forget_devres(void);
/* mmio_irq.c */
void kshim_mmio_reset(void);
void kshim_service_irqs(u32 iommu);
/* core.c */
void kshim_report(const char *level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
struct kshim_device *kshim_device_of(const struct device *dev);
void kshim_notify_invalidate(u32 mm, u64 start, u64 end);
void kshim_notify_release(u32 mm);
void kshim_forget_notifiers(void);
/* lib.c */
void kshim_forget_xarrays(void);
int kshim_fwspec_add_ids(struct device *dev, const u32 *ids, int num_ids);
int kshim_report_page_request(struct device *dev, const struct iommu_fault *fault);
/* v<version>/core-<version>.c: what differs between kernel versions */
void kshim_mn_invalidate(struct mmu_notifier *sub, struct mm_struct *mm, u64 start, u64 end);
void kshim_fwspec_init(struct iommu_fwspec *f, const struct iommu_ops *ops);
void kshim_world_begin(struct kshim_world *w); /* the mms are new */
void kshim_world_end(struct kshim_world *w);   /* the mms go with the world */

#endif
