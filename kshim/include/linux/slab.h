/* SPDX-License-Identifier: MIT */
/* kshim: kmalloc family (runtime-provided allocator; returned memory has a
 * simulated physical address, see virt_to_phys()). */
#ifndef KSHIM_LINUX_SLAB_H
#define KSHIM_LINUX_SLAB_H

#include <linux/gfp.h>
#include <linux/types.h>

extern void *kmalloc(size_t size, gfp_t gfp);
extern void *kmalloc_node(size_t size, gfp_t gfp, int node);
extern void *krealloc(const void *ptr, size_t new_size, gfp_t gfp);
extern void kfree(const void *ptr);
/* Freed after an RCU grace period: kshim's world has one thread and no
 * reader outlives the call that frees, so the period is over at once. */
#define kfree_rcu(ptr, field) kfree(ptr)
extern void *kmemdup(const void *src, size_t size, gfp_t gfp);
extern void *kvmalloc(size_t size, gfp_t gfp);
extern void kvfree(const void *ptr);

static inline void *kzalloc(size_t size, gfp_t gfp) {
    return kmalloc(size, gfp | __GFP_ZERO);
}
static inline void *kzalloc_node(size_t size, gfp_t gfp, int node) {
    return kmalloc_node(size, gfp | __GFP_ZERO, node);
}
static inline void *kvzalloc(size_t size, gfp_t gfp) {
    return kvmalloc(size, gfp | __GFP_ZERO);
}

/* Array allocation; NULL when n * size overflows. */
static inline void *kmalloc_array(size_t n, size_t size, gfp_t gfp) {
    size_t bytes;

    if (__builtin_mul_overflow(n, size, &bytes)) return NULL;
    return kmalloc(bytes, gfp);
}

static inline void *kcalloc(size_t n, size_t size, gfp_t gfp) {
    return kmalloc_array(n, size, gfp | __GFP_ZERO);
}

static inline void *kvcalloc(size_t n, size_t size, gfp_t gfp) {
    size_t bytes;

    if (__builtin_mul_overflow(n, size, &bytes)) return NULL;
    return kvzalloc(bytes, gfp);
}

#endif
