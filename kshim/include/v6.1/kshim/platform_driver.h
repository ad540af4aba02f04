/* SPDX-License-Identifier: MIT */
/* kshim (Linux 6.1): struct platform_driver, whose remove callback returns
 * int. */
#ifndef KSHIM_V6_1_PLATFORM_DRIVER_H
#define KSHIM_V6_1_PLATFORM_DRIVER_H

#include <linux/device.h>

struct platform_device;

struct platform_driver {
    int (*probe)(struct platform_device *pdev);
    int (*remove)(struct platform_device *pdev);
    void (*shutdown)(struct platform_device *pdev);
    struct device_driver driver;
};

#endif
