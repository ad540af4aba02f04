/* SPDX-License-Identifier: MIT */
/* kshim: NUMA node constants (the simulated machine has one node). */
#ifndef KSHIM_LINUX_NUMA_H
#define KSHIM_LINUX_NUMA_H

#define NUMA_NO_NODE (-1)
#define MAX_NUMNODES 1

#endif
