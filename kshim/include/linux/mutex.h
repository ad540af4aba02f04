/* SPDX-License-Identifier: MIT */
/* kshim: mutexes for single-threaded user space (a held counter; blocking
 * never happens). */
#ifndef KSHIM_LINUX_MUTEX_H
#define KSHIM_LINUX_MUTEX_H

#include <linux/lockdep.h>
#include <linux/types.h>

struct mutex {
    int held;
};

#define __MUTEX_INITIALIZER(name)                                                                  \
    { 0 }
#define DEFINE_MUTEX(name) struct mutex name = __MUTEX_INITIALIZER(name)
#define mutex_init(m) ((m)->held = 0)
#define mutex_destroy(m) ((void)(m))

static inline void mutex_lock(struct mutex *m) {
    m->held++;
}
static inline void mutex_unlock(struct mutex *m) {
    m->held--;
}
static inline int mutex_trylock(struct mutex *m) {
    return m->held ? 0 : (m->held = 1);
}
static inline bool mutex_is_locked(struct mutex *m) {
    return m->held != 0;
}
#define mutex_lock_nested(m, subclass) mutex_lock(m)

#endif
