/* SPDX-License-Identifier: MIT */
/* kshim: container_of(). */
#ifndef KSHIM_LINUX_CONTAINER_OF_H
#define KSHIM_LINUX_CONTAINER_OF_H

#include <linux/stddef.h>

/* Pointer to the structure of type "type" whose member "member" is at "ptr". */
#define container_of(ptr, type, member) ((type *)((char *)(ptr)-offsetof(type, member)))
#define container_of_const(ptr, type, member) container_of(ptr, type, member)

#endif
