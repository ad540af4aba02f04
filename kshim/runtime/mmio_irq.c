// SPDX-License-Identifier: MIT
/*
 * kshim runtime: MMIO and interrupts. An IOMMU's registers are a window of
 * addresses that is never dereferenced: readl/writel decode (IOMMU, offset)
 * from the address and go to the platform's read_reg/write_reg, with the
 * driver's stores synced before (the device reads memory the driver wrote
 * before the doorbell) and the hardware's after. Interrupt lines are wired
 * (no MSI domain): the handlers the driver requested run when the kit calls
 * service_irq.
 */
#include "world.h"

#include <linux/interrupt.h>
#include <linux/io.h>
#include <linux/ioport.h>
#include <linux/msi.h>
#include <linux/platform_device.h>

#include <asm/io.h>

/* Each IOMMU's MMIO: physical KSHIM_MMIO_PA + i * KSHIM_MMIO_STRIDE (the
 * resource the platform device carries), mapped at the same offsets from
 * KSHIM_MMIO_VA. */
#define KSHIM_MMIO_PA 0x2b400000ull
#define KSHIM_MMIO_STRIDE 0x100000ull
#define KSHIM_MMIO_VA 0x7ef000000000ull

u64 kshim_mmio_phys(u32 iommu) {
    return KSHIM_MMIO_PA + iommu * KSHIM_MMIO_STRIDE;
}

void __iomem *ioremap(phys_addr_t paddr, size_t size) {
    const u64 n = kshim_world->t->n_iommus;
    if (paddr < KSHIM_MMIO_PA || paddr + size > KSHIM_MMIO_PA + n * KSHIM_MMIO_STRIDE) {
        kshim_report("error", "ioremap(0x%llx, %zu): no IOMMU registers there", paddr, size);
        return NULL;
    }
    return (void __iomem *)(uintptr_t)(KSHIM_MMIO_VA + (paddr - KSHIM_MMIO_PA));
}

void iounmap(volatile void __iomem *addr) {
    (void)addr;
}

void __iomem *devm_ioremap(struct device *dev, resource_size_t offset, resource_size_t size) {
    (void)dev;
    return ioremap(offset, size);
}

void __iomem *devm_ioremap_resource(struct device *dev, const struct resource *res) {
    void __iomem *p = devm_ioremap(dev, res->start, resource_size(res));
    return p ? p : IOMEM_ERR_PTR(-EBUSY);
}

void devm_iounmap(struct device *dev, void __iomem *addr) {
    (void)dev;
    (void)addr;
}

static bool decode(const volatile void __iomem *addr, u32 *iommu, u32 *offset) {
    const u64 a = (u64)(uintptr_t)addr;
    const u64 n = kshim_world->t->n_iommus;
    if (a < KSHIM_MMIO_VA || a >= KSHIM_MMIO_VA + n * KSHIM_MMIO_STRIDE) {
        kshim_report("error", "MMIO access at %p: no IOMMU registers there", (const void *)addr);
        kshim_world->failed = true;
        return false;
    }
    *iommu = (u32)((a - KSHIM_MMIO_VA) / KSHIM_MMIO_STRIDE);
    *offset = (u32)((a - KSHIM_MMIO_VA) % KSHIM_MMIO_STRIDE);
    return true;
}

static u64 mmio_read(const volatile void __iomem *addr, unsigned int bytes) {
    u32 iommu, offset;
    if (!decode(addr, &iommu, &offset)) return ~0ull;
    const struct svac_platform *p = kshim_world->p;
    kshim_sync_push();
    /* Registers are kept whole at their offsets: a narrower read takes the
     * low bytes. */
    u64 v = p->read_reg(p->ctx, iommu, offset);
    kshim_sync_pull();
    return bytes == 8 ? v : v & ((1ull << (8 * bytes)) - 1);
}

#define KSHIM_SMMU_CMDQ_PROD 0x98u

static void mmio_write(u64 val, volatile void __iomem *addr) {
    u32 iommu, offset;
    if (!decode(addr, &iommu, &offset)) return;
    if (kshim_world->mutant == KSHIM_NO_KICK && offset == KSHIM_SMMU_CMDQ_PROD) return;
    const struct svac_platform *p = kshim_world->p;
    kshim_sync_push();
    p->write_reg(p->ctx, iommu, offset, val);
    kshim_sync_pull();
}

u8 kshim_mmio_read8(const volatile void __iomem *addr) {
    return (u8)mmio_read(addr, 1);
}
u16 kshim_mmio_read16(const volatile void __iomem *addr) {
    return (u16)mmio_read(addr, 2);
}
u32 kshim_mmio_read32(const volatile void __iomem *addr) {
    return (u32)mmio_read(addr, 4);
}
u64 kshim_mmio_read64(const volatile void __iomem *addr) {
    return mmio_read(addr, 8);
}
void kshim_mmio_write8(u8 val, volatile void __iomem *addr) {
    mmio_write(val, addr);
}
void kshim_mmio_write16(u16 val, volatile void __iomem *addr) {
    mmio_write(val, addr);
}
void kshim_mmio_write32(u32 val, volatile void __iomem *addr) {
    mmio_write(val, addr);
}
void kshim_mmio_write64(u64 val, volatile void __iomem *addr) {
    mmio_write(val, addr);
}

/* ---- interrupts ---- */

/* The wired lines of IOMMU i: irq numbers 32 + 4 * i + k, k indexing these. */
static const char *const kLines[] = {"eventq", "priq", "gerror"};

static int line_of(struct platform_device *pdev, const char *name) {
    for (u32 i = 0; i < kshim_world->t->n_iommus; ++i) {
        if (&kshim_world->iommus[i].pdev != pdev) continue;
        for (unsigned int k = 0; k < ARRAY_SIZE(kLines); ++k)
            if (!strcmp(name, kLines[k])) return (int)(32 + 4 * i + k);
    }
    return -ENXIO;
}

int platform_get_irq_byname_optional(struct platform_device *pdev, const char *name) {
    return line_of(pdev, name);
}

int platform_get_irq_byname(struct platform_device *pdev, const char *name) {
    return line_of(pdev, name);
}

int platform_get_irq_optional(struct platform_device *pdev, unsigned int num) {
    return num < ARRAY_SIZE(kLines) ? line_of(pdev, kLines[num]) : -ENXIO;
}

int platform_get_irq(struct platform_device *pdev, unsigned int num) {
    return platform_get_irq_optional(pdev, num);
}

int request_threaded_irq(unsigned int irq, irq_handler_t handler, irq_handler_t thread_fn,
                         unsigned long flags, const char *name, void *dev_id) {
    (void)flags;
    (void)name;
    struct kshim_world *w = kshim_world;
    if (irq < 32 || (irq - 32) / 4 >= w->t->n_iommus || w->n_irqs == KSHIM_MAX_IRQS) return -EINVAL;
    w->irqs[w->n_irqs++] = (struct kshim_irq){.irq = irq,
                                              .iommu = (irq - 32) / 4,
                                              .handler = handler,
                                              .thread_fn = thread_fn,
                                              .dev_id = dev_id};
    return 0;
}

int devm_request_threaded_irq(struct device *dev, unsigned int irq, irq_handler_t handler,
                              irq_handler_t thread_fn, unsigned long irqflags, const char *devname,
                              void *dev_id) {
    int ret = request_threaded_irq(irq, handler, thread_fn, irqflags, devname, dev_id);
    if (!ret) kshim_world->irqs[kshim_world->n_irqs - 1].dev = dev;
    return ret;
}

const void *free_irq(unsigned int irq, void *dev_id) {
    struct kshim_world *w = kshim_world;
    for (unsigned int i = 0; i < w->n_irqs; ++i)
        if (w->irqs[i].irq == irq && w->irqs[i].dev_id == dev_id) {
            w->irqs[i] = w->irqs[--w->n_irqs];
            return NULL;
        }
    return NULL;
}

void devm_free_irq(struct device *dev, unsigned int irq, void *dev_id) {
    (void)dev;
    free_irq(irq, dev_id);
}

void enable_irq(unsigned int irq) {
    (void)irq;
}

void disable_irq(unsigned int irq) {
    (void)irq;
}

/* No MSI domain (dev->msi.domain is NULL): drivers fall back to wired lines. */
unsigned int msi_get_virq(struct device *dev, unsigned int index) {
    (void)dev;
    (void)index;
    return 0;
}

int platform_device_msi_init_and_alloc_irqs(struct device *dev, unsigned int nvec,
                                            irq_write_msi_msg_t write_msi_msg) {
    (void)dev;
    (void)nvec;
    (void)write_msi_msg;
    return -ENODEV;
}

void platform_device_msi_free_irqs_all(struct device *dev) {
    (void)dev;
}

/* The IOMMU raised its interrupt: every line of it runs its handler (a
 * handler finds its own work, or none), then its thread when asked. */
void kshim_service_irqs(u32 iommu) {
    struct kshim_world *w = kshim_world;
    if (w->mutant == KSHIM_NO_IRQ) return;
    kshim_sync_pull();
    for (unsigned int i = 0; i < w->n_irqs; ++i) {
        struct kshim_irq *q = &w->irqs[i];
        if (q->iommu != iommu) continue;
        irqreturn_t r = q->handler ? q->handler((int)q->irq, q->dev_id) : IRQ_WAKE_THREAD;
        if (r == IRQ_WAKE_THREAD && q->thread_fn) q->thread_fn((int)q->irq, q->dev_id);
    }
    kshim_sync_push();
}

void kshim_mmio_reset(void) {
    kshim_world->n_irqs = 0;
}
