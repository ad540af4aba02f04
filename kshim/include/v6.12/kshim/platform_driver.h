/* SPDX-License-Identifier: MIT */
/* kshim (Linux 6.12): struct platform_driver, whose remove callback returns
 * void (remove_new is the transitional alias of the same slot). */
#ifndef KSHIM_V6_12_PLATFORM_DRIVER_H
#define KSHIM_V6_12_PLATFORM_DRIVER_H

#include <linux/device.h>

struct platform_device;

struct platform_driver {
    int (*probe)(struct platform_device *pdev);
    union {
        void (*remove)(struct platform_device *pdev);
        void (*remove_new)(struct platform_device *pdev);
    };
    void (*shutdown)(struct platform_device *pdev);
    struct device_driver driver;
};

#endif
