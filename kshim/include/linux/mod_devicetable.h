/* SPDX-License-Identifier: MIT */
/* kshim: device match table entries. */
#ifndef KSHIM_LINUX_MOD_DEVICETABLE_H
#define KSHIM_LINUX_MOD_DEVICETABLE_H

struct of_device_id {
    char name[32];
    char type[32];
    char compatible[128];
    const void *data;
};

#endif
