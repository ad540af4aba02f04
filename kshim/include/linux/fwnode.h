/* SPDX-License-Identifier: MIT */
/* kshim: firmware node handle: an identity token (the runtime compares
 * pointers; kshim_data is free for the runtime's use). */
#ifndef KSHIM_LINUX_FWNODE_H
#define KSHIM_LINUX_FWNODE_H

struct fwnode_handle {
    void *kshim_data;
};

#endif
