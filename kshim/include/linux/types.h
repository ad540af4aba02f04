/* SPDX-License-Identifier: MIT */
/* kshim: fixed-width kernel integer types, address types (phys_addr_t,
 * dma_addr_t), gfp_t, atomic_t and the list/rcu head structures. */
#ifndef KSHIM_LINUX_TYPES_H
#define KSHIM_LINUX_TYPES_H

#include <linux/compiler.h>
#include <stdbool.h>
#include <stddef.h>

typedef unsigned char u8;
typedef unsigned short u16;
typedef unsigned int u32;
typedef unsigned long long u64;
typedef signed char s8;
typedef signed short s16;
typedef signed int s32;
typedef signed long long s64;

typedef u8 __u8;
typedef u16 __u16;
typedef u32 __u32;
typedef u64 __u64;
typedef s8 __s8;
typedef s16 __s16;
typedef s32 __s32;
typedef s64 __s64;

/* Endian-annotated storage: plain integers (the arm64 kernel and the x86-64
 * host are both little-endian). */
typedef u16 __le16;
typedef u32 __le32;
typedef u64 __le64;
typedef u16 __be16;
typedef u32 __be32;
typedef u64 __be64;

typedef long ssize_t;
typedef unsigned long uintptr_t;
typedef long intptr_t;
typedef long long loff_t;
typedef unsigned long pgoff_t;
typedef unsigned short umode_t;

/*
 * Addresses as seen by the simulated arm64 machine.  phys_addr_t and dma_addr_t
 * are 64-bit numbers in the simulated physical / bus address space; they are
 * NOT host pointers.  The runtime translates with virt_to_phys()/phys_to_virt()
 * and returns bus addresses from the DMA API.
 */
typedef u64 phys_addr_t;
typedef u64 dma_addr_t;
typedef phys_addr_t resource_size_t;

typedef unsigned int gfp_t;
typedef s64 ktime_t;

typedef struct {
    int counter;
} atomic_t;

typedef struct {
    s64 counter;
} atomic64_t;

typedef struct {
    long counter;
} atomic_long_t;

#define ATOMIC_INIT(v)                                                                             \
    { (v) }

/* A bitmap of "bits" bits stored in unsigned longs. */
#define DECLARE_BITMAP(name, bits) unsigned long name[((bits) + 63) / 64]

struct list_head {
    struct list_head *next, *prev;
};

struct hlist_node {
    struct hlist_node *next, **pprev;
};

struct hlist_head {
    struct hlist_node *first;
};

struct callback_head {
    struct callback_head *next;
    void (*func)(struct callback_head *head);
};
#define rcu_head callback_head

#include <linux/limits.h>

#endif
