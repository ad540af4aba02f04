/* SPDX-License-Identifier: MIT */
/* kshim: platform devices and drivers (runtime-provided bus). */
#ifndef KSHIM_LINUX_PLATFORM_DEVICE_H
#define KSHIM_LINUX_PLATFORM_DEVICE_H

#include <linux/device.h>
#include <linux/ioport.h>
#include <linux/module.h>

struct platform_device {
    const char *name;
    int id;
    struct device dev;
    u32 num_resources;
    struct resource *resource;
};

#define to_platform_device(d) container_of((d), struct platform_device, dev)

/* struct platform_driver differs between kernel versions. */
#include <kshim/platform_driver.h>

extern const struct bus_type platform_bus_type;

extern struct resource *platform_get_resource(struct platform_device *pdev, unsigned int type,
                                              unsigned int num);
extern int platform_get_irq(struct platform_device *pdev, unsigned int num);
extern int platform_get_irq_optional(struct platform_device *pdev, unsigned int num);
extern int platform_get_irq_byname(struct platform_device *pdev, const char *name);
extern int platform_get_irq_byname_optional(struct platform_device *pdev, const char *name);
extern int platform_driver_register(struct platform_driver *drv);
extern void platform_driver_unregister(struct platform_driver *drv);

static inline void *platform_get_drvdata(const struct platform_device *pdev) {
    return dev_get_drvdata(&pdev->dev);
}

static inline void platform_set_drvdata(struct platform_device *pdev, void *data) {
    dev_set_drvdata(&pdev->dev, data);
}

#define module_platform_driver(drv)                                                                \
    module_driver(drv, platform_driver_register, platform_driver_unregister)
#define builtin_platform_driver(drv) module_platform_driver(drv)

#endif
