/* SPDX-License-Identifier: MIT */
/* kshim: spinlocks and rwlocks for single-threaded user space: a lock is a
 * counter, lock/unlock adjust it (so a runtime can assert balance) and IRQ-save
 * variants record a dummy flags word. */
#ifndef KSHIM_LINUX_SPINLOCK_H
#define KSHIM_LINUX_SPINLOCK_H

#include <linux/atomic.h>
#include <linux/bug.h>
#include <linux/irqflags.h>
#include <linux/lockdep.h>
#include <linux/types.h>

typedef struct spinlock {
    int held;
} spinlock_t;

typedef struct rwlock {
    int held;
} rwlock_t;

#define __SPIN_LOCK_UNLOCKED(name)                                                                 \
    { 0 }
#define DEFINE_SPINLOCK(name) spinlock_t name = __SPIN_LOCK_UNLOCKED(name)
#define spin_lock_init(lock) ((lock)->held = 0)

static inline void spin_lock(spinlock_t *lock) {
    lock->held++;
}
static inline void spin_unlock(spinlock_t *lock) {
    lock->held--;
}
static inline int spin_trylock(spinlock_t *lock) {
    return lock->held ? 0 : (lock->held = 1);
}
static inline int spin_is_locked(spinlock_t *lock) {
    return lock->held != 0;
}
#define spin_lock_irq(lock) spin_lock(lock)
#define spin_unlock_irq(lock) spin_unlock(lock)
#define spin_lock_bh(lock) spin_lock(lock)
#define spin_unlock_bh(lock) spin_unlock(lock)
#define spin_lock_irqsave(lock, flags)                                                             \
    do {                                                                                           \
        local_irq_save(flags);                                                                     \
        spin_lock(lock);                                                                           \
    } while (0)
#define spin_unlock_irqrestore(lock, flags)                                                        \
    do {                                                                                           \
        spin_unlock(lock);                                                                         \
        local_irq_restore(flags);                                                                  \
    } while (0)

#define rwlock_init(lock) ((lock)->held = 0)
static inline void read_lock(rwlock_t *lock) {
    lock->held++;
}
static inline void read_unlock(rwlock_t *lock) {
    lock->held--;
}
static inline void write_lock(rwlock_t *lock) {
    lock->held++;
}
static inline void write_unlock(rwlock_t *lock) {
    lock->held--;
}

#endif
