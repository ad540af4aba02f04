/* SPDX-License-Identifier: MIT */
/* kshim: IOVA dirty bitmap (runtime-provided, opaque). */
#ifndef KSHIM_LINUX_IOVA_BITMAP_H
#define KSHIM_LINUX_IOVA_BITMAP_H

#include <linux/types.h>

struct iova_bitmap;

/* Mark [iova, iova + length) dirty. */
extern void iova_bitmap_set(struct iova_bitmap *bitmap, unsigned long iova, size_t length);

#endif
