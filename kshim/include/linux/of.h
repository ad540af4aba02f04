/* SPDX-License-Identifier: MIT */
/* kshim: device-tree nodes and property reads (answered by the runtime). */
#ifndef KSHIM_LINUX_OF_H
#define KSHIM_LINUX_OF_H

#include <linux/fwnode.h>
#include <linux/mod_devicetable.h>
#include <linux/types.h>

struct device_node {
    const char *name;
    const char *full_name;
    struct fwnode_handle fwnode;
};

#define MAX_PHANDLE_ARGS 16
/* A phandle reference with its argument cells, e.g. an "iommus" entry. */
struct of_phandle_args {
    struct device_node *np;
    int args_count;
    u32 args[MAX_PHANDLE_ARGS];
};

#define of_match_ptr(table) (table)
#define of_fwnode_handle(node) (&(node)->fwnode)

extern bool of_property_read_bool(const struct device_node *np, const char *propname);
extern int of_property_read_u32(const struct device_node *np, const char *propname, u32 *value);
extern struct device_node *of_node_get(struct device_node *np);
extern void of_node_put(struct device_node *np);

#endif
