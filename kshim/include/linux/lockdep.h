/* SPDX-License-Identifier: MIT */
/* kshim: lockdep assertions (no lock validator in kshim). */
#ifndef KSHIM_LINUX_LOCKDEP_H
#define KSHIM_LINUX_LOCKDEP_H

#define lockdep_assert_held(lock)                                                                  \
    do {                                                                                           \
        (void)(lock);                                                                              \
    } while (0)
#define lockdep_assert_not_held(lock)                                                              \
    do {                                                                                           \
        (void)(lock);                                                                              \
    } while (0)
#define lockdep_assert_irqs_disabled()                                                             \
    do {                                                                                           \
    } while (0)
#define lockdep_is_held(lock) 1

struct lock_class_key {
    int unused;
};

#endif
