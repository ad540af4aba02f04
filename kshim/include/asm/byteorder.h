/* SPDX-License-Identifier: MIT */
/* kshim: byte-order conversions.  The simulated arm64 kernel is little-endian,
 * as is the x86-64 host, so CPU <-> little-endian conversions are identities. */
#ifndef KSHIM_ASM_BYTEORDER_H
#define KSHIM_ASM_BYTEORDER_H

#include <linux/types.h>

#define __LITTLE_ENDIAN 1234

#define cpu_to_le64(x) ((__le64)(u64)(x))
#define le64_to_cpu(x) ((u64)(__le64)(x))
#define cpu_to_le32(x) ((__le32)(u32)(x))
#define le32_to_cpu(x) ((u32)(__le32)(x))
#define cpu_to_le16(x) ((__le16)(u16)(x))
#define le16_to_cpu(x) ((u16)(__le16)(x))
#define cpu_to_be64(x) ((__be64)__builtin_bswap64((u64)(x)))
#define be64_to_cpu(x) __builtin_bswap64((u64)(__be64)(x))
#define cpu_to_be32(x) ((__be32)__builtin_bswap32((u32)(x)))
#define be32_to_cpu(x) __builtin_bswap32((u32)(__be32)(x))

static inline void le64_add_cpu(__le64 *var, u64 val) {
    *var = cpu_to_le64(le64_to_cpu(*var) + val);
}

#endif
