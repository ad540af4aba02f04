/* SPDX-License-Identifier: MIT */
/*
 * kshim (Linux 6.1): the IOASID allocator's interface, which the 6.1 core's
 * iommu_sva_alloc_pasid (drivers/iommu/iommu-sva-lib.c) calls and
 * drivers/iommu/ioasid.c implements; both are compiled from the kernel tree.
 * A set names who allocated an ID; an allocator is a pair of callbacks.
 */
#ifndef KSHIM_V6_1_LINUX_IOASID_H
#define KSHIM_V6_1_LINUX_IOASID_H

#include <linux/errno.h>
#include <linux/list.h>
#include <linux/types.h>

typedef unsigned int ioasid_t;
#define INVALID_IOASID ((ioasid_t)-1)

typedef ioasid_t (*ioasid_alloc_fn_t)(ioasid_t min, ioasid_t max, void *data);
typedef void (*ioasid_free_fn_t)(ioasid_t ioasid, void *data);

struct ioasid_set {
    int dummy;
};
#define DECLARE_IOASID_SET(name) struct ioasid_set name = {0}

struct ioasid_allocator_ops {
    ioasid_alloc_fn_t alloc;
    ioasid_free_fn_t free;
    struct list_head list; /* allocators sharing the same callbacks */
    void *pdata;           /* passed to alloc() and free() */
};

ioasid_t ioasid_alloc(struct ioasid_set *set, ioasid_t min, ioasid_t max, void *private);
void ioasid_free(ioasid_t ioasid);
void *ioasid_find(struct ioasid_set *set, ioasid_t ioasid, bool (*getter)(void *));
int ioasid_register_allocator(struct ioasid_allocator_ops *allocator);
void ioasid_unregister_allocator(struct ioasid_allocator_ops *allocator);
int ioasid_set_data(ioasid_t ioasid, void *data);

static inline bool pasid_valid(ioasid_t ioasid) {
    return ioasid != INVALID_IOASID;
}

#endif
