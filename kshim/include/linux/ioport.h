/* SPDX-License-Identifier: MIT */
/* kshim: struct resource (physical address ranges of a device). */
#ifndef KSHIM_LINUX_IOPORT_H
#define KSHIM_LINUX_IOPORT_H

#include <linux/types.h>

struct resource {
    resource_size_t start;
    resource_size_t end; /* inclusive */
    const char *name;
    unsigned long flags;
};

/* Resource kinds (kshim values). */
#define IORESOURCE_IO 0x100UL
#define IORESOURCE_MEM 0x200UL
#define IORESOURCE_IRQ 0x400UL

#define DEFINE_RES_MEM(base, size)                                                                 \
    ((struct resource){                                                                            \
        .start = (base), .end = (base) + (size)-1, .name = NULL, .flags = IORESOURCE_MEM})

static inline resource_size_t resource_size(const struct resource *res) {
    return res->end - res->start + 1;
}

#endif
