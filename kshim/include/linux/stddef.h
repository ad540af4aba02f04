/* SPDX-License-Identifier: MIT */
/* kshim: offsetof/sizeof_field and friends (the compiler's stddef.h gives
 * NULL, size_t and offsetof). */
#ifndef KSHIM_LINUX_STDDEF_H
#define KSHIM_LINUX_STDDEF_H

#include <stddef.h>

#define sizeof_field(type, member) sizeof(((type *)0)->member)
#define offsetofend(type, member) (offsetof(type, member) + sizeof_field(type, member))

#endif
