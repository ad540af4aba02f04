/* SPDX-License-Identifier: MIT */
/* kshim: ACPI (CONFIG_ACPI is off in kshim builds; nothing is provided). */
#ifndef KSHIM_LINUX_ACPI_H
#define KSHIM_LINUX_ACPI_H

#include <linux/device.h>

#endif
