/* SPDX-License-Identifier: MIT */
/*
 * kshim: read-copy update. kshim's world runs one thread, and a call into
 * the driver finishes before the next starts: no reader is ever inside a
 * read-side section when a writer waits, so a grace period is over at once
 * and a published pointer is simply stored.
 */
#ifndef KSHIM_LINUX_RCUPDATE_H
#define KSHIM_LINUX_RCUPDATE_H

#include <linux/compiler.h>
#include <linux/types.h>

static inline void rcu_read_lock(void) {}
static inline void rcu_read_unlock(void) {}
static inline void synchronize_rcu(void) {}

#define rcu_dereference(p) (p)
#define rcu_dereference_protected(p, c) (p)
#define rcu_access_pointer(p) (p)
#define rcu_assign_pointer(p, v) ((p) = (v))
#define RCU_INIT_POINTER(p, v) ((p) = (v))

#endif
