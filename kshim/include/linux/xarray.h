/* SPDX-License-Identifier: MIT */
/* kshim: XArray (index -> pointer map with ID allocation), runtime-provided. */
#ifndef KSHIM_LINUX_XARRAY_H
#define KSHIM_LINUX_XARRAY_H

#include <linux/bits.h>
#include <linux/err.h>
#include <linux/gfp.h>
#include <linux/kernel.h>
#include <linux/rcupdate.h>
#include <linux/spinlock.h>
#include <linux/types.h>

/* xa_flags bits (kshim values). */
#define XA_FLAGS_ALLOC 0x1U  /* ID allocation starting at 0 */
#define XA_FLAGS_ALLOC1 0x3U /* ID allocation starting at 1 */
/* kshim's own: initialised at run time (xa_init_flags), so it lives in an
 * object that goes with its owner; without it the xarray is a static one,
 * which kshim empties when a world goes, as a fresh module load would find it. */
#define KSHIM_XA_DYNAMIC 0x100U

struct xarray {
    spinlock_t xa_lock;
    unsigned int xa_flags;
    void *xa_head; /* runtime-private */
};

struct xa_limit {
    u32 min;
    u32 max;
};

#define XA_LIMIT(lo, hi) ((struct xa_limit){.min = (lo), .max = (hi)})
#define xa_limit_32b XA_LIMIT(0, 0xffffffffU)
#define XARRAY_INIT(name, flags)                                                                   \
    { .xa_lock = {0}, .xa_flags = (flags), .xa_head = NULL }
#define DEFINE_XARRAY_FLAGS(name, flags) struct xarray name = XARRAY_INIT(name, flags)
#define DEFINE_XARRAY(name) DEFINE_XARRAY_FLAGS(name, 0)
#define DEFINE_XARRAY_ALLOC(name) DEFINE_XARRAY_FLAGS(name, XA_FLAGS_ALLOC)
#define DEFINE_XARRAY_ALLOC1(name) DEFINE_XARRAY_FLAGS(name, XA_FLAGS_ALLOC1)

static inline void xa_init_flags(struct xarray *xa, unsigned int flags) {
    spin_lock_init(&xa->xa_lock);
    xa->xa_flags = flags | KSHIM_XA_DYNAMIC;
    xa->xa_head = NULL;
}

/* Store entry at a free index in limit, written to *id; 0, -EBUSY or -ENOMEM. */
extern int xa_alloc(struct xarray *xa, u32 *id, void *entry, struct xa_limit limit, gfp_t gfp);
extern void *xa_load(struct xarray *xa, unsigned long index);
extern void *xa_store(struct xarray *xa, unsigned long index, void *entry, gfp_t gfp);
extern void *xa_erase(struct xarray *xa, unsigned long index);
extern int xa_insert(struct xarray *xa, unsigned long index, void *entry, gfp_t gfp);
extern void *xa_cmpxchg(struct xarray *xa, unsigned long index, void *old, void *entry, gfp_t gfp);
extern void xa_destroy(struct xarray *xa);
extern bool xa_empty(const struct xarray *xa);
/* Errors returned by xa_store()/xa_cmpxchg() are encoded in the entry. */
extern int xa_err(void *entry);

#endif
