/* SPDX-License-Identifier: MIT */
/* kshim: DT-instantiated platform devices. */
#ifndef KSHIM_LINUX_OF_PLATFORM_H
#define KSHIM_LINUX_OF_PLATFORM_H

#include <linux/of.h>
#include <linux/platform_device.h>

#endif
