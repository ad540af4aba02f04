// SPDX-License-Identifier: MIT
/*
 * kshim runtime: the kernel's containers a driver uses. An xarray is a
 * sorted array of (index, entry); an IDA an xarray of markers; an rbtree a
 * plain binary search tree (rb_insert_color keeps no balance: the trees of
 * an IOMMU driver hold a handful of StreamIDs, and lookups stay correct).
 */
#include "world.h"

#include <linux/idr.h>
#include <linux/rbtree.h>
#include <linux/xarray.h>

/* ---- xarray ---- */

struct kshim_xa {
    unsigned long *index;
    void **entry;
    unsigned int n, cap;
};

/* The static xarrays that hold something: kernel state that would outlive
 * a world (the driver's ASID xarray, the IOASID allocator's). */
static struct xarray *static_xas[64];
static unsigned int n_static_xas;

static struct kshim_xa *xa_of(struct xarray *xa, bool create) {
    if (!xa->xa_head && create) {
        xa->xa_head = calloc(1, sizeof(struct kshim_xa));
        bool known = false;
        for (unsigned int i = 0; i < n_static_xas; ++i) known = known || static_xas[i] == xa;
        if (xa->xa_head && !(xa->xa_flags & KSHIM_XA_DYNAMIC) && !known) {
            if (n_static_xas == ARRAY_SIZE(static_xas)) {
                kshim_report("error", "more than %u static xarrays", n_static_xas);
                abort();
            }
            static_xas[n_static_xas++] = xa;
        }
    }
    return xa->xa_head;
}

static void xa_free_internals(struct xarray *xa);

/* A world goes: the static xarrays start the next one empty, whatever the
 * last one left in them (a failure path that leaked an entry must not hand
 * the next world a pointer into freed memory). */
void kshim_forget_xarrays(void) {
    for (unsigned int i = 0; i < n_static_xas; ++i) xa_free_internals(static_xas[i]);
    n_static_xas = 0;
}

/* The position of index in x, or where it would go. */
static unsigned int xa_pos(const struct kshim_xa *x, unsigned long index) {
    unsigned int lo = 0, hi = x->n;
    while (lo < hi) {
        unsigned int mid = (lo + hi) / 2;
        if (x->index[mid] < index)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

void *xa_load(struct xarray *xa, unsigned long index) {
    struct kshim_xa *x = xa_of(xa, false);
    if (!x) return NULL;
    unsigned int i = xa_pos(x, index);
    return i < x->n && x->index[i] == index ? x->entry[i] : NULL;
}

static int xa_put(struct kshim_xa *x, unsigned int i, unsigned long index, void *entry) {
    if (x->n == x->cap) {
        unsigned int cap = x->cap ? 2 * x->cap : 8;
        unsigned long *ni = realloc(x->index, cap * sizeof(*ni));
        if (!ni) return -ENOMEM;
        x->index = ni;
        void **ne = realloc(x->entry, cap * sizeof(*ne));
        if (!ne) return -ENOMEM;
        x->entry = ne;
        x->cap = cap;
    }
    for (unsigned int k = x->n; k > i; --k) {
        x->index[k] = x->index[k - 1];
        x->entry[k] = x->entry[k - 1];
    }
    x->index[i] = index;
    x->entry[i] = entry;
    ++x->n;
    return 0;
}

void *xa_erase(struct xarray *xa, unsigned long index) {
    struct kshim_xa *x = xa_of(xa, false);
    if (!x) return NULL;
    unsigned int i = xa_pos(x, index);
    if (i >= x->n || x->index[i] != index) return NULL;
    void *old = x->entry[i];
    for (unsigned int k = i; k + 1 < x->n; ++k) {
        x->index[k] = x->index[k + 1];
        x->entry[k] = x->entry[k + 1];
    }
    --x->n;
    return old;
}

void *xa_store(struct xarray *xa, unsigned long index, void *entry, gfp_t gfp) {
    (void)gfp;
    if (!entry) return xa_erase(xa, index);
    struct kshim_xa *x = xa_of(xa, true);
    if (!x) return NULL;
    unsigned int i = xa_pos(x, index);
    if (i < x->n && x->index[i] == index) {
        void *old = x->entry[i];
        x->entry[i] = entry;
        return old;
    }
    return xa_put(x, i, index, entry) ? NULL : NULL;
}

int xa_insert(struct xarray *xa, unsigned long index, void *entry, gfp_t gfp) {
    (void)gfp;
    struct kshim_xa *x = xa_of(xa, true);
    if (!x) return -ENOMEM;
    unsigned int i = xa_pos(x, index);
    if (i < x->n && x->index[i] == index) return -EBUSY;
    return xa_put(x, i, index, entry);
}

void *xa_cmpxchg(struct xarray *xa, unsigned long index, void *old, void *entry, gfp_t gfp) {
    void *cur = xa_load(xa, index);
    if (cur == old) xa_store(xa, index, entry, gfp);
    return cur;
}

/* The lowest free index in [limit.min, limit.max]. */
int xa_alloc(struct xarray *xa, u32 *id, void *entry, struct xa_limit limit, gfp_t gfp) {
    (void)gfp;
    struct kshim_xa *x = xa_of(xa, true);
    if (!x) return -ENOMEM;
    u64 want = limit.min;
    if ((xa->xa_flags & XA_FLAGS_ALLOC1) == XA_FLAGS_ALLOC1 && want == 0) want = 1;
    unsigned int i = xa_pos(x, want);
    for (; i < x->n && x->index[i] == want; ++i) ++want;
    if (want > limit.max) return -EBUSY;
    *id = (u32)want;
    return xa_put(x, i, want, entry ? entry : (void *)1);
}

static void xa_free_internals(struct xarray *xa) {
    struct kshim_xa *x = xa->xa_head;
    if (!x) return;
    free(x->index);
    free(x->entry);
    free(x);
    xa->xa_head = NULL;
}

/* A static xarray destroyed stays registered: it is emptied again, harmlessly,
 * when the world goes. */
void xa_destroy(struct xarray *xa) {
    xa_free_internals(xa);
}

bool xa_empty(const struct xarray *xa) {
    const struct kshim_xa *x = xa->xa_head;
    return !x || x->n == 0;
}

int xa_err(void *entry) {
    (void)entry;
    return 0;
}

/* ---- IDA ---- */

int ida_alloc_range(struct ida *ida, unsigned int min, unsigned int max, gfp_t gfp) {
    u32 id;
    int ret = xa_alloc(&ida->xa, &id, (void *)1, XA_LIMIT(min, max), gfp);
    return ret ? (ret == -EBUSY ? -ENOSPC : ret) : (int)id;
}

void ida_free(struct ida *ida, unsigned int id) {
    WARN_ON(!xa_erase(&ida->xa, id)); /* freeing an ID not allocated */
}

void ida_destroy(struct ida *ida) {
    xa_destroy(&ida->xa);
}

/* ---- rbtree ---- */

void rb_insert_color(struct rb_node *node, struct rb_root *root) {
    (void)node;
    (void)root;
}

static void replace_child(struct rb_root *root, struct rb_node *parent, struct rb_node *old,
                          struct rb_node *new) {
    if (!parent)
        root->rb_node = new;
    else if (parent->rb_left == old)
        parent->rb_left = new;
    else
        parent->rb_right = new;
    if (new) new->rb_parent = parent;
}

void rb_erase(struct rb_node *node, struct rb_root *root) {
    if (!node->rb_left) {
        replace_child(root, node->rb_parent, node, node->rb_right);
    } else if (!node->rb_right) {
        replace_child(root, node->rb_parent, node, node->rb_left);
    } else { /* the successor takes node's place */
        struct rb_node *s = node->rb_right;
        while (s->rb_left) s = s->rb_left;
        if (s->rb_parent != node) {
            replace_child(root, s->rb_parent, s, s->rb_right);
            s->rb_right = node->rb_right;
            s->rb_right->rb_parent = s;
        }
        replace_child(root, node->rb_parent, node, s);
        s->rb_left = node->rb_left;
        s->rb_left->rb_parent = s;
    }
}

struct rb_node *rb_first(const struct rb_root *root) {
    struct rb_node *n = root->rb_node;
    while (n && n->rb_left) n = n->rb_left;
    return n;
}

struct rb_node *rb_next(const struct rb_node *node) {
    if (node->rb_right) {
        const struct rb_node *n = node->rb_right;
        while (n->rb_left) n = n->rb_left;
        return (struct rb_node *)n;
    }
    while (node->rb_parent && node->rb_parent->rb_right == node) node = node->rb_parent;
    return node->rb_parent;
}
