/* SPDX-License-Identifier: MIT */
/* kshim: tick rate of the simulated kernel (arm64 default CONFIG_HZ=250). */
#ifndef KSHIM_LINUX_JIFFIES_H
#define KSHIM_LINUX_JIFFIES_H

#define HZ 250

#endif
