/* SPDX-License-Identifier: MIT */
/* kshim: FIELD_PREP/FIELD_GET and the typed encode/get/replace bit helpers for
 * register fields described by a contiguous constant mask. */
#ifndef KSHIM_LINUX_BITFIELD_H
#define KSHIM_LINUX_BITFIELD_H

#include <linux/bits.h>
#include <linux/types.h>

/* Position of the lowest bit of a (non-zero) mask. */
#define KSHIM_MASK_SHIFT(mask) __builtin_ctzll((unsigned long long)(mask))

/* Place val into the field described by mask (bits outside the field dropped). */
#define FIELD_PREP(mask, val)                                                                      \
    ((typeof(mask))(((typeof(mask))(val) << KSHIM_MASK_SHIFT(mask)) & (mask)))
/* Extract the field described by mask from reg, right-aligned. */
#define FIELD_GET(mask, reg) ((typeof(mask))(((reg) & (mask)) >> KSHIM_MASK_SHIFT(mask)))
/* Largest value the field can hold. */
#define FIELD_MAX(mask) ((typeof(mask))((mask) >> KSHIM_MASK_SHIFT(mask)))
/* Whether val fits in the field without truncation. */
#define FIELD_FIT(mask, val) (!((((typeof(mask))(val)) << KSHIM_MASK_SHIFT(mask)) & ~(mask)))

#define KSHIM_DEFINE_FIELD_OPS(type)                                                               \
    static inline type type##_encode_bits(type v, type field) {                                    \
        return (type)((v << KSHIM_MASK_SHIFT(field)) & field);                                     \
    }                                                                                              \
    static inline type type##_get_bits(type v, type field) {                                       \
        return (type)((v & field) >> KSHIM_MASK_SHIFT(field));                                     \
    }                                                                                              \
    static inline type type##_replace_bits(type old, type v, type field) {                         \
        return (type)((old & ~field) | type##_encode_bits(v, field));                              \
    }                                                                                              \
    static inline void type##p_replace_bits(type *p, type v, type field) {                         \
        *p = type##_replace_bits(*p, v, field);                                                    \
    }

KSHIM_DEFINE_FIELD_OPS(u8)
KSHIM_DEFINE_FIELD_OPS(u16)
KSHIM_DEFINE_FIELD_OPS(u32)
KSHIM_DEFINE_FIELD_OPS(u64)

#endif
