/* SPDX-License-Identifier: MIT */
/* kshim: circular doubly linked lists (struct list_head) and their iterators. */
#ifndef KSHIM_LINUX_LIST_H
#define KSHIM_LINUX_LIST_H

#include <linux/container_of.h>
#include <linux/types.h>

#define LIST_HEAD_INIT(name)                                                                       \
    { &(name), &(name) }
#define LIST_HEAD(name) struct list_head name = LIST_HEAD_INIT(name)

static inline void INIT_LIST_HEAD(struct list_head *head) {
    WRITE_ONCE(head->next, head);
    head->prev = head;
}

static inline void kshim_list_link(struct list_head *item, struct list_head *before,
                                   struct list_head *after) {
    after->prev = item;
    item->next = after;
    item->prev = before;
    WRITE_ONCE(before->next, item);
}

/* Insert right after head (stack order). */
static inline void list_add(struct list_head *item, struct list_head *head) {
    kshim_list_link(item, head, head->next);
}

/* Insert right before head (queue order). */
static inline void list_add_tail(struct list_head *item, struct list_head *head) {
    kshim_list_link(item, head->prev, head);
}

static inline void kshim_list_unlink(struct list_head *item) {
    item->next->prev = item->prev;
    WRITE_ONCE(item->prev->next, item->next);
}

static inline void list_del(struct list_head *item) {
    kshim_list_unlink(item);
    item->next = NULL;
    item->prev = NULL;
}

static inline void list_del_init(struct list_head *item) {
    kshim_list_unlink(item);
    INIT_LIST_HEAD(item);
}

static inline void list_move_tail(struct list_head *item, struct list_head *head) {
    kshim_list_unlink(item);
    list_add_tail(item, head);
}

static inline int list_empty(const struct list_head *head) {
    return READ_ONCE(head->next) == head;
}

static inline int list_is_singular(const struct list_head *head) {
    return !list_empty(head) && head->next == head->prev;
}

/* Move all items of "list" to the front of "head"; "list" is left unusable. */
static inline void list_splice(const struct list_head *list, struct list_head *head) {
    if (!list_empty(list)) {
        struct list_head *first = list->next, *last = list->prev, *at = head->next;
        first->prev = head;
        head->next = first;
        last->next = at;
        at->prev = last;
    }
}

#define list_entry(ptr, type, member) container_of(ptr, type, member)
#define list_first_entry(head, type, member) list_entry((head)->next, type, member)
#define list_last_entry(head, type, member) list_entry((head)->prev, type, member)
#define list_first_entry_or_null(head, type, member)                                               \
    (list_empty(head) ? NULL : list_first_entry(head, type, member))
#define list_next_entry(pos, member) list_entry((pos)->member.next, typeof(*(pos)), member)

#define list_for_each(pos, head) for (pos = (head)->next; pos != (head); pos = pos->next)
#define list_for_each_safe(pos, tmp, head)                                                         \
    for (pos = (head)->next, tmp = pos->next; pos != (head); pos = tmp, tmp = pos->next)

#define list_for_each_entry(pos, head, member)                                                     \
    for (pos = list_first_entry(head, typeof(*pos), member); &pos->member != (head);               \
         pos = list_next_entry(pos, member))

#define list_for_each_entry_safe(pos, tmp, head, member)                                           \
    for (pos = list_first_entry(head, typeof(*pos), member), tmp = list_next_entry(pos, member);   \
         &pos->member != (head); pos = tmp, tmp = list_next_entry(tmp, member))

#endif
