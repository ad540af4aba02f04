/* SPDX-License-Identifier: MIT */
/* kshim: symbol exports (no-ops: everything links statically in user space). */
#ifndef KSHIM_LINUX_EXPORT_H
#define KSHIM_LINUX_EXPORT_H

/* Expand to a harmless declaration so the trailing ';' stays valid. */
#define EXPORT_SYMBOL(sym) _Static_assert(1, "")
#define EXPORT_SYMBOL_GPL(sym) _Static_assert(1, "")
#define EXPORT_SYMBOL_NS(sym, ns) _Static_assert(1, "")
#define EXPORT_SYMBOL_NS_GPL(sym, ns) _Static_assert(1, "")

#endif
