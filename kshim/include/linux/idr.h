/* SPDX-License-Identifier: MIT */
/* kshim: IDA small-integer ID allocator (runtime-provided). */
#ifndef KSHIM_LINUX_IDR_H
#define KSHIM_LINUX_IDR_H

#include <linux/gfp.h>
#include <linux/xarray.h>

struct ida {
    struct xarray xa;
};

#define DEFINE_IDA(name) struct ida name = {.xa = XARRAY_INIT(name, XA_FLAGS_ALLOC)}

static inline void ida_init(struct ida *ida) {
    xa_init_flags(&ida->xa, XA_FLAGS_ALLOC);
}

/* Lowest free ID in [min, max]; negative errno on failure. */
extern int ida_alloc_range(struct ida *ida, unsigned int min, unsigned int max, gfp_t gfp);
extern void ida_free(struct ida *ida, unsigned int id);
extern void ida_destroy(struct ida *ida);

static inline int ida_alloc(struct ida *ida, gfp_t gfp) {
    return ida_alloc_range(ida, 0, ~0U >> 1, gfp);
}
static inline int ida_alloc_min(struct ida *ida, unsigned int min, gfp_t gfp) {
    return ida_alloc_range(ida, min, ~0U >> 1, gfp);
}
static inline int ida_alloc_max(struct ida *ida, unsigned int max, gfp_t gfp) {
    return ida_alloc_range(ida, 0, max, gfp);
}

#endif
