/* SPDX-License-Identifier: MIT */
/* kshim: local interrupt masking.  The simulated CPU has no asynchronous
 * interrupts (the runtime calls handlers explicitly), so these only keep the
 * flags variable initialised. */
#ifndef KSHIM_LINUX_IRQFLAGS_H
#define KSHIM_LINUX_IRQFLAGS_H

#define local_irq_save(flags)                                                                      \
    do {                                                                                           \
        (flags) = 0;                                                                               \
    } while (0)
#define local_irq_restore(flags) ((void)(flags))
#define local_irq_disable()                                                                        \
    do {                                                                                           \
    } while (0)
#define local_irq_enable()                                                                         \
    do {                                                                                           \
    } while (0)
#define irqs_disabled() 0

#endif
