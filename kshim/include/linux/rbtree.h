/* SPDX-License-Identifier: MIT */
/* kshim: red-black trees.  Search and insertion-point walks are done here;
 * rebalancing (rb_insert_color, rb_erase) is provided by the runtime. */
#ifndef KSHIM_LINUX_RBTREE_H
#define KSHIM_LINUX_RBTREE_H

#include <linux/container_of.h>
#include <linux/types.h>

struct rb_node {
    struct rb_node *rb_parent;
    struct rb_node *rb_left;
    struct rb_node *rb_right;
    int rb_red;
};

struct rb_root {
    struct rb_node *rb_node;
};

#define RB_ROOT ((struct rb_root){NULL})
#define rb_entry(ptr, type, member) container_of(ptr, type, member)
#define RB_EMPTY_ROOT(root) ((root)->rb_node == NULL)

extern void rb_insert_color(struct rb_node *node, struct rb_root *root);
extern void rb_erase(struct rb_node *node, struct rb_root *root);
extern struct rb_node *rb_first(const struct rb_root *root);
extern struct rb_node *rb_next(const struct rb_node *node);

/* Attach node as a (red) leaf at *link below parent; rebalance separately. */
static inline void rb_link_node(struct rb_node *node, struct rb_node *parent,
                                struct rb_node **link) {
    node->rb_parent = parent;
    node->rb_left = NULL;
    node->rb_right = NULL;
    node->rb_red = 1;
    *link = node;
}

/* Node matching key (cmp(key, node) == 0), or NULL; cmp < 0 means go left. */
static inline struct rb_node *rb_find(const void *key, const struct rb_root *tree,
                                      int (*cmp)(const void *key, const struct rb_node *node)) {
    struct rb_node *node = tree->rb_node;

    while (node) {
        int c = cmp(key, node);
        if (c < 0)
            node = node->rb_left;
        else if (c > 0)
            node = node->rb_right;
        else
            return node;
    }
    return NULL;
}

/* Insert node unless an equal one exists; returns that one, or NULL if added. */
static inline struct rb_node *rb_find_add(struct rb_node *node, struct rb_root *tree,
                                          int (*cmp)(struct rb_node *, const struct rb_node *)) {
    struct rb_node **link = &tree->rb_node, *parent = NULL;

    while (*link) {
        int c;

        parent = *link;
        c = cmp(node, parent);
        if (c < 0)
            link = &parent->rb_left;
        else if (c > 0)
            link = &parent->rb_right;
        else
            return parent;
    }
    rb_link_node(node, parent, link);
    rb_insert_color(node, tree);
    return NULL;
}

#endif
