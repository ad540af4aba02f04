// SPDX-License-Identifier: MIT
/*
 * The global PASID space. An mm holds at most one PASID, shared by all its
 * bonds on every device; a new one is the lowest free PASID of the range.
 * Allocated PASIDs are kept sorted with their mm, in room for one per mm
 * reserved at create, so allocating never needs memory.
 */
#include "iommu.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

int ioasid_set_init(struct ioasid_set *set, uint32_t nr_mms) {
    set->nr = 0;
    set->max = nr_mms;
    set->ids = calloc((size_t)nr_mms + 1, sizeof(*set->ids));
    return set->ids ? 0 : -ENOMEM;
}

void ioasid_set_free(struct ioasid_set *set) {
    free(set->ids);
    set->ids = NULL;
    set->nr = set->max = 0;
}

/* The first slot whose PASID is not below pasid. */
static uint32_t ioasid_slot(const struct ioasid_set *set, uint32_t pasid) {
    uint32_t lo = 0, hi = set->nr;

    while (lo < hi) {
        uint32_t mid = lo + (hi - lo) / 2;
        if (set->ids[mid].pasid < pasid)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

/* The lowest free PASID of [min, max] for mm, or 0 when there is none. */
uint32_t ioasid_alloc(struct ioasid_set *set, uint32_t min, uint32_t max, uint32_t mm) {
    uint32_t slot, id = min;

    if (min == 0 || min > max || set->nr == set->max) return 0;
    for (slot = ioasid_slot(set, min); slot < set->nr && set->ids[slot].pasid == id; slot++) {
        if (id == max) return 0;
        id++;
    }
    memmove(&set->ids[slot + 1], &set->ids[slot], (set->nr - slot) * sizeof(*set->ids));
    set->ids[slot] = (struct ioasid){.pasid = id, .mm = mm};
    set->nr++;
    return id;
}

void ioasid_free(struct ioasid_set *set, uint32_t pasid) {
    uint32_t slot = ioasid_slot(set, pasid);

    if (slot == set->nr || set->ids[slot].pasid != pasid) return;
    set->nr--;
    memmove(&set->ids[slot], &set->ids[slot + 1], (set->nr - slot) * sizeof(*set->ids));
}

/* The mm holding pasid, or -1. */
int64_t ioasid_find(const struct ioasid_set *set, uint32_t pasid) {
    uint32_t slot = ioasid_slot(set, pasid);

    if (slot == set->nr || set->ids[slot].pasid != pasid) return -1;
    return set->ids[slot].mm;
}
