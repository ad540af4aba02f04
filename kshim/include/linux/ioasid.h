/* SPDX-License-Identifier: MIT */
/* kshim: I/O address space IDs (PASIDs) as a type. */
#ifndef KSHIM_LINUX_IOASID_H
#define KSHIM_LINUX_IOASID_H

typedef unsigned int ioasid_t;
#define INVALID_IOASID ((ioasid_t)-1)

#endif
