/* SPDX-License-Identifier: MIT */
/* kshim: MMIO accessors.  A "void __iomem *" is an opaque cookie handed out by
 * the runtime (devm_ioremap_resource, ioremap); every access goes to the
 * runtime's register model.  Non-relaxed accessors add the ordering barriers
 * arm64 puts around them. */
#ifndef KSHIM_ASM_IO_H
#define KSHIM_ASM_IO_H

#include <asm/barrier.h>
#include <asm/cpufeature.h>
#include <asm/page.h>
#include <linux/types.h>

extern u8 kshim_mmio_read8(const volatile void __iomem *addr);
extern u16 kshim_mmio_read16(const volatile void __iomem *addr);
extern u32 kshim_mmio_read32(const volatile void __iomem *addr);
extern u64 kshim_mmio_read64(const volatile void __iomem *addr);
extern void kshim_mmio_write8(u8 val, volatile void __iomem *addr);
extern void kshim_mmio_write16(u16 val, volatile void __iomem *addr);
extern void kshim_mmio_write32(u32 val, volatile void __iomem *addr);
extern void kshim_mmio_write64(u64 val, volatile void __iomem *addr);

#define __raw_readb(a) kshim_mmio_read8(a)
#define __raw_readw(a) kshim_mmio_read16(a)
#define __raw_readl(a) kshim_mmio_read32(a)
#define __raw_readq(a) kshim_mmio_read64(a)
#define __raw_writeb(v, a) kshim_mmio_write8((v), (a))
#define __raw_writew(v, a) kshim_mmio_write16((v), (a))
#define __raw_writel(v, a) kshim_mmio_write32((v), (a))
#define __raw_writeq(v, a) kshim_mmio_write64((v), (a))

/* Relaxed: no ordering against normal memory accesses. */
#define readb_relaxed(a) kshim_mmio_read8(a)
#define readw_relaxed(a) kshim_mmio_read16(a)
#define readl_relaxed(a) kshim_mmio_read32(a)
#define readq_relaxed(a) kshim_mmio_read64(a)
#define writeb_relaxed(v, a) kshim_mmio_write8((v), (a))
#define writew_relaxed(v, a) kshim_mmio_write16((v), (a))
#define writel_relaxed(v, a) kshim_mmio_write32((v), (a))
#define writeq_relaxed(v, a) kshim_mmio_write64((v), (a))

/* Ordered: a write is preceded by a barrier (prior memory writes are visible to
 * the device first); a read is followed by one. */
#define kshim_ordered_read(fn, a)                                                                  \
    ({                                                                                             \
        typeof(fn(a)) kshim_or_v = fn(a);                                                          \
        __iormb();                                                                                 \
        kshim_or_v;                                                                                \
    })
#define readb(a) kshim_ordered_read(kshim_mmio_read8, a)
#define readw(a) kshim_ordered_read(kshim_mmio_read16, a)
#define readl(a) kshim_ordered_read(kshim_mmio_read32, a)
#define readq(a) kshim_ordered_read(kshim_mmio_read64, a)
#define writeb(v, a)                                                                               \
    ({                                                                                             \
        __iowmb();                                                                                 \
        kshim_mmio_write8((v), (a));                                                               \
    })
#define writew(v, a)                                                                               \
    ({                                                                                             \
        __iowmb();                                                                                 \
        kshim_mmio_write16((v), (a));                                                              \
    })
#define writel(v, a)                                                                               \
    ({                                                                                             \
        __iowmb();                                                                                 \
        kshim_mmio_write32((v), (a));                                                              \
    })
#define writeq(v, a)                                                                               \
    ({                                                                                             \
        __iowmb();                                                                                 \
        kshim_mmio_write64((v), (a));                                                              \
    })

extern void __iomem *ioremap(phys_addr_t paddr, size_t size);
extern void iounmap(volatile void __iomem *addr);

#endif
