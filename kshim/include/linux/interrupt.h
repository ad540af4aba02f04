/* SPDX-License-Identifier: MIT */
/* kshim: interrupt handler registration.  The runtime records handlers per IRQ
 * number and invokes them (primary, then threaded on IRQ_WAKE_THREAD) when the
 * simulated hardware raises the line. */
#ifndef KSHIM_LINUX_INTERRUPT_H
#define KSHIM_LINUX_INTERRUPT_H

#include <linux/device.h>
#include <linux/types.h>

typedef enum irqreturn {
    IRQ_NONE = 0,
    IRQ_HANDLED = 1 << 0,
    IRQ_WAKE_THREAD = 1 << 1,
} irqreturn_t;

typedef irqreturn_t (*irq_handler_t)(int irq, void *dev_id);

/* Request flags (kshim values). */
#define IRQF_SHARED 0x0080UL
#define IRQF_ONESHOT 0x2000UL
#define IRQF_NO_THREAD 0x10000UL

extern int devm_request_threaded_irq(struct device *dev, unsigned int irq, irq_handler_t handler,
                                     irq_handler_t thread_fn, unsigned long irqflags,
                                     const char *devname, void *dev_id);
extern void devm_free_irq(struct device *dev, unsigned int irq, void *dev_id);
extern int request_threaded_irq(unsigned int irq, irq_handler_t handler, irq_handler_t thread_fn,
                                unsigned long flags, const char *name, void *dev_id);
extern const void *free_irq(unsigned int irq, void *dev_id);
extern void enable_irq(unsigned int irq);
extern void disable_irq(unsigned int irq);

static inline int devm_request_irq(struct device *dev, unsigned int irq, irq_handler_t handler,
                                   unsigned long irqflags, const char *devname, void *dev_id) {
    return devm_request_threaded_irq(dev, irq, handler, NULL, irqflags, devname, dev_id);
}

static inline int request_irq(unsigned int irq, irq_handler_t handler, unsigned long flags,
                              const char *name, void *dev_id) {
    return request_threaded_irq(irq, handler, NULL, flags, name, dev_id);
}

#endif
