/* SPDX-License-Identifier: MIT */
/* kshim: build-time assertions live in linux/bug.h. */
#include <linux/bug.h>
