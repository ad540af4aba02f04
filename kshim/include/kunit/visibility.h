/* SPDX-License-Identifier: MIT */
/* kshim: KUnit visibility helpers with CONFIG_KUNIT off (helpers stay static). */
#ifndef KSHIM_KUNIT_VISIBILITY_H
#define KSHIM_KUNIT_VISIBILITY_H

#define VISIBLE_IF_KUNIT static
#define EXPORT_SYMBOL_IF_KUNIT(sym) _Static_assert(1, "")

#endif
