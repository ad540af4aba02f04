/* SPDX-License-Identifier: MIT */
/* kshim: struct device (reduced), driver/bus types, dev_*() logging and the
 * device-managed (devm_*) resource API provided by the runtime. */
#ifndef KSHIM_LINUX_DEVICE_H
#define KSHIM_LINUX_DEVICE_H

#include <linux/compiler.h>
#include <linux/fwnode.h>
#include <linux/gfp.h>
#include <linux/idr.h>
#include <linux/kernel.h>
#include <linux/list.h>
#include <linux/mutex.h>
#include <linux/numa.h>
#include <linux/of.h>
#include <linux/printk.h>
#include <linux/rbtree.h>
#include <linux/refcount.h>
#include <linux/slab.h>
#include <linux/spinlock.h>
#include <linux/types.h>

struct dev_iommu;
struct device_node;
struct irq_domain;
struct module;
struct of_device_id;

struct bus_type {
    const char *name;
};

struct device_driver {
    const char *name;
    const struct bus_type *bus;
    struct module *owner;
    const struct of_device_id *of_match_table;
    bool suppress_bind_attrs;
};

/* MSI state of a device: the parent MSI domain, NULL if MSIs are unavailable. */
struct dev_msi_info {
    struct irq_domain *domain;
};

/*
 * A device.  Devices are created by the runtime (platform, PCI), which fills
 * init_name (what dev_name() returns), bus, of_node/fwnode, iommu and numa_node.
 */
struct device {
    struct device *parent;
    const char *init_name;
    const struct bus_type *bus;
    struct device_driver *driver;
    void *platform_data;
    void *driver_data;
    struct dev_msi_info msi;
    u64 *dma_mask;
    u64 coherent_dma_mask;
    struct device_node *of_node;
    struct fwnode_handle *fwnode;
    int numa_node;
    struct dev_iommu *iommu;
};

static inline const char *dev_name(const struct device *dev) {
    return dev->init_name;
}
static inline void *dev_get_drvdata(const struct device *dev) {
    return dev->driver_data;
}
static inline void dev_set_drvdata(struct device *dev, void *data) {
    dev->driver_data = data;
}
static inline void *dev_get_platdata(const struct device *dev) {
    return dev->platform_data;
}
static inline int dev_to_node(struct device *dev) {
    return dev->numa_node;
}
static inline void set_dev_node(struct device *dev, int node) {
    dev->numa_node = node;
}

/* Firmware node of a device: its DT node's handle if it has one. */
static inline struct fwnode_handle *dev_fwnode(const struct device *dev) {
    return dev->of_node ? of_fwnode_handle(dev->of_node) : dev->fwnode;
}

extern struct device *get_device(struct device *dev);
extern void put_device(struct device *dev);
extern struct device *driver_find_device_by_fwnode(struct device_driver *drv,
                                                   const struct fwnode_handle *fwnode);
extern bool device_property_read_bool(const struct device *dev, const char *propname);
extern int device_property_read_u32(const struct device *dev, const char *propname, u32 *val);

/* Logging; level is a KERN_* string. */
extern __printf(3, 4) void dev_printk(const char *level, const struct device *dev, const char *fmt,
                                      ...);
#define dev_emerg(dev, fmt, ...) dev_printk(KERN_EMERG, dev, fmt, ##__VA_ARGS__)
#define dev_crit(dev, fmt, ...) dev_printk(KERN_CRIT, dev, fmt, ##__VA_ARGS__)
#define dev_err(dev, fmt, ...) dev_printk(KERN_ERR, dev, fmt, ##__VA_ARGS__)
#define dev_warn(dev, fmt, ...) dev_printk(KERN_WARNING, dev, fmt, ##__VA_ARGS__)
#define dev_notice(dev, fmt, ...) dev_printk(KERN_NOTICE, dev, fmt, ##__VA_ARGS__)
#define dev_info(dev, fmt, ...) dev_printk(KERN_INFO, dev, fmt, ##__VA_ARGS__)
#define dev_dbg(dev, fmt, ...) dev_printk(KERN_DEBUG, dev, fmt, ##__VA_ARGS__)
#define dev_err_ratelimited(dev, fmt, ...) dev_err(dev, fmt, ##__VA_ARGS__)
#define dev_warn_ratelimited(dev, fmt, ...) dev_warn(dev, fmt, ##__VA_ARGS__)
#define dev_info_ratelimited(dev, fmt, ...) dev_info(dev, fmt, ##__VA_ARGS__)
#define dev_err_once(dev, fmt, ...) dev_err(dev, fmt, ##__VA_ARGS__)
#define dev_warn_once(dev, fmt, ...) dev_warn(dev, fmt, ##__VA_ARGS__)
#define dev_info_once(dev, fmt, ...) dev_info(dev, fmt, ##__VA_ARGS__)
extern __printf(3, 4) int dev_err_probe(const struct device *dev, int err, const char *fmt, ...);

/* Device-managed resources: released by the runtime when the device is unbound
 * (actions run in reverse order of registration). */
extern void *devm_kmalloc(struct device *dev, size_t size, gfp_t gfp);
extern void *devm_krealloc(struct device *dev, void *ptr, size_t new_size, gfp_t gfp);
extern void devm_kfree(struct device *dev, const void *ptr);
extern unsigned long *devm_bitmap_zalloc(struct device *dev, unsigned int nbits, gfp_t gfp);
extern int devm_add_action(struct device *dev, void (*action)(void *), void *data);
extern int devm_add_action_or_reset(struct device *dev, void (*action)(void *), void *data);

static inline void *devm_kzalloc(struct device *dev, size_t size, gfp_t gfp) {
    return devm_kmalloc(dev, size, gfp | __GFP_ZERO);
}

static inline void *devm_kmalloc_array(struct device *dev, size_t n, size_t size, gfp_t gfp) {
    size_t bytes;

    if (__builtin_mul_overflow(n, size, &bytes)) return NULL;
    return devm_kmalloc(dev, bytes, gfp);
}

static inline void *devm_kcalloc(struct device *dev, size_t n, size_t size, gfp_t gfp) {
    return devm_kmalloc_array(dev, n, size, gfp | __GFP_ZERO);
}

#endif
