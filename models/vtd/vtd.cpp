// SPDX-License-Identifier: MIT
//
// Bundled Intel VT-d scalable-mode SVA driver model (profiles rfc2019,
// linux-5.3 and linux-6.1).
//
// The iommu_ops side of SVA for VT-d: the SVA device feature, PASID limits,
// bonds between devices and mms and the mm release path, with the tables the
// hardware walks (root table, scalable-mode context entries, PASID
// directories and PASID tables with first-level entries) and the queued
// invalidations that keep the IOMMU caches in step; and the I/O page fault
// path: the page request queue it drains into the core's fault handler, and
// the page group responses it sends for the core. It sees the driver ABI
// only; all state hangs off the instance create() returns. The handle-based
// face (sva_bind, sva_unbind, sva_get_pasid) is the v5.7 to v6.1 intel
// svm.c on the same tables: under linux-6.1 the mm's PASID comes from the
// core (iommu_sva_alloc_pasid) and IOMMU_DEV_FEAT_IOPF is a feature of its
// own, which SVA does not need.

#include "models/vtd/pasid_entry_writer.h"
#include "models/vtd/pasid_index.h"
#include "models/vtd/vtd_regs.h"

#include <svac/driver_abi.h>

#include <algorithm>
#include <array>
#include <bit>
#include <cerrno>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>
#include <new>
#include <stdexcept>
#include <utility>
#include <vector>

namespace {

using namespace vtd;

// Seeded bugs (mutants): at most one is on, for the instance's lifetime.
enum intel_sva_bug : uint32_t {
    BUG_NONE,
#define SVAC_MUTANT(id, ...) BUG_##id,
#include "models/vtd/vtd_mutants.def"
#undef SVAC_MUTANT
    NR_BUGS
};

// Domain IDs. SVA entries share one DID (the PASID tells mms apart); the
// identity default domain of every device has its own.
constexpr uint16_t FLPT_DEFAULT_DID = 1;
constexpr uint16_t IDENTITY_DID = 2;

// Page-selective IOTLB invalidation up to 2^MAX_AMASK pages (the IOMMU's
// MAMV); larger ranges flush every address of the PASID.
constexpr unsigned MAX_AMASK = 9;

// Bond slots are a flat table, one per (device, mm) pair.
constexpr uint64_t MAX_BOND_SLOTS = 1u << 20;

struct intel_iommu {
    uint32_t pasid_bits;
    bool sva;
    uint64_t root_table;
    std::vector<uint64_t> context_tables; // [bus * 2 + upper half], 0: none
    bool qi_pending;                      // descriptors queued since the last wait
    uint64_t prq;                         // the page request queue, PRQ_SIZE bytes
    bool prq_enabled;                     // PQA programmed
};

struct device_domain_info {
    uint32_t iommu;
    uint16_t rid; // bus << 8 | devfn
    bool pri;
    bool ats;
    bool sva_enabled;
    bool iopf_enabled;      // linux-6.1: IOMMU_DEV_FEAT_IOPF
    uint32_t pasid_max;     // largest PASID of min(device, IOMMU) width
    uint32_t dev_pasid_max; // 2^pasid_bits - 1 of the device alone
    uint32_t param_min;     // iommu_sva_set_param limits, both inclusive
    uint32_t param_max;
    uint32_t nr_bonds;
    uint64_t context_entry; // its scalable-mode context entry
    uint64_t pasid_dir;
    uint32_t pasid_dir_entries;
    std::vector<uint64_t> pasid_tables; // [pasid >> 6], 0: PDE not present
};

struct intel_svm_bond {
    uint64_t refs; // 0: no bond
    svac_mm_exit_fn mm_exit;
    void *cb_ctx;
    uint64_t drvdata;
    uint64_t domain; // the domain-based contract: the SVA domain attached (0: none)
};

// An SVA domain (linux-6.12 on, intel_svm_domain_alloc): an mm, for devices
// of any IOMMU; its entries all use FLPT_DEFAULT_DID.
struct intel_svm_domain {
    bool live;
    uint32_t mm;
    uint32_t nr_attached;
    uint32_t first_dev; // the device it was allocated for
};

struct intel_svm_mm {
    uint32_t pasid; // 0: none allocated
    uint32_t nr_bonds;
    bool released;
};

// The global PASID space. A new PASID is the lowest free one of the range.
// Allocated PASIDs are kept sorted with their mm; each mm holds at most one,
// so the storage is reserved at create and never grows.
struct ioasid_space {
    struct ioasid {
        uint32_t pasid;
        uint32_t mm;
    };
    std::vector<ioasid> used;

    std::vector<ioasid>::iterator find_slot(uint32_t pasid) {
        return std::partition_point(used.begin(), used.end(),
                                    [pasid](const ioasid &a) { return a.pasid < pasid; });
    }

    // 0 when [lo, hi] is empty or full.
    uint32_t alloc(uint32_t lo, uint32_t hi, uint32_t mm) {
        if (lo == 0 || lo > hi) return 0;
        auto it = find_slot(lo);
        uint32_t id = lo;
        for (; it != used.end() && it->pasid == id; ++it) {
            if (id == hi) return 0;
            id++;
        }
        used.insert(it, ioasid{id, mm});
        return id;
    }

    void free(uint32_t pasid) {
        auto it = find_slot(pasid);
        if (it != used.end() && it->pasid == pasid) used.erase(it);
    }

    // The mm holding pasid, or -1.
    int64_t find(uint32_t pasid) {
        auto it = find_slot(pasid);
        if (it == used.end() || it->pasid != pasid) return -1;
        return it->mm;
    }
};

struct intel_sva {
    const svac_platform *platform;
    std::vector<intel_iommu> iommus;
    std::vector<device_domain_info> devices;
    std::vector<intel_svm_mm> mms;
    std::vector<intel_svm_bond> bonds; // [dev * n_mms + mm]
    ioasid_space pasids;               // rfc2019 and linux-5.3: the driver's own
    bool translation_enabled;
    uint32_t bug;                          // intel_sva_bug
    uint32_t api;                          // SVAC_API_*: the generation the core plays
    std::vector<intel_svm_domain> domains; // a domain's name is its slot + 1
};

intel_sva *to_sva(void *drv) {
    return static_cast<intel_sva *>(drv);
}

uint32_t pasid_max(uint32_t bits) {
    return bits ? (1u << bits) - 1 : 0;
}

device_domain_info *find_info(intel_sva *sva, uint32_t dev) {
    return dev < sva->devices.size() ? &sva->devices[dev] : nullptr;
}

intel_svm_bond &dev_bond(intel_sva *sva, uint32_t dev, uint32_t mm) {
    return sva->bonds[size_t(dev) * sva->mms.size() + mm];
}

void write_qword(intel_sva *sva, uint64_t pa, uint64_t val) {
    sva->platform->write64(sva->platform->ctx, pa, val);
}

// --- queued invalidation ---

void qi_submit_desc(intel_sva *sva, uint32_t iommu, uint64_t qw0, uint64_t qw1 = 0) {
    const uint64_t desc[QI_DESC_QWORDS] = {qw0, qw1, 0, 0};
    // A rejected descriptor (IQE) is recorded by the harness; the driver has
    // no recovery for its own malformed descriptors.
    (void)sva->platform->submit_cmd(sva->platform->ctx, iommu, desc, QI_DESC_QWORDS);
    sva->iommus[iommu].qi_pending = true;
}

// Invalidation wait on every IOMMU with queued descriptors.
void qi_sync(intel_sva *sva) {
    for (uint32_t i = 0; i < sva->iommus.size(); i++) {
        if (!sva->iommus[i].qi_pending) continue;
        sva->iommus[i].qi_pending = false;
        const uint64_t desc[QI_DESC_QWORDS] = {QI_IWD_TYPE, 0, 0, 0};
        (void)sva->platform->submit_cmd(sva->platform->ctx, i, desc, QI_DESC_QWORDS);
    }
}

// §2.8 gives no context-cache fields beyond the type, so the context cache
// is always flushed globally.
void qi_flush_context_global(intel_sva *sva, uint32_t iommu) {
    qi_submit_desc(sva, iommu, QI_CC_TYPE | QI_CC_GRAN_GLOBAL << QI_GRAN_SHIFT);
}

void qi_flush_pasid_cache(intel_sva *sva, uint32_t iommu, uint16_t did, uint64_t gran,
                          uint32_t pasid) {
    qi_submit_desc(sva, iommu,
                   QI_PC_TYPE | gran << QI_GRAN_SHIFT | uint64_t(did) << QI_DID_SHIFT |
                       (pasid & QI_PASID_MASK) << QI_PASID_SHIFT);
}

// An invalidation range: 2^am pages from addr (naturally aligned), or every
// address when all is set.
struct inv_range {
    uint64_t addr;
    unsigned am;
    bool all;
};

constexpr inv_range INV_RANGE_ALL = {0, 0, true};

// The smallest aligned power-of-two block of pages covering [start, end).
inv_range inv_range_covering(uint64_t start, uint64_t end) {
    uint64_t first = start >> PAGE_SHIFT;
    uint64_t last = (end - 1) >> PAGE_SHIFT;
    unsigned am = unsigned(std::bit_width(first ^ last));
    if (am > MAX_AMASK) return INV_RANGE_ALL;
    return inv_range{(first >> am) << am << PAGE_SHIFT, am, false};
}

void qi_flush_piotlb(intel_sva *sva, uint32_t iommu, uint16_t did, uint32_t pasid,
                     const inv_range &r) {
    uint64_t gran = r.all ? QI_EIOTLB_GRAN_PASID : QI_EIOTLB_GRAN_PSI;
    uint64_t qw0 = QI_EIOTLB_TYPE | gran << QI_GRAN_SHIFT | uint64_t(did) << QI_DID_SHIFT |
                   (pasid & QI_PASID_MASK) << QI_PASID_SHIFT;
    uint64_t qw1 = r.all ? 0 : (r.addr & PAGE_MASK) | (r.am & QI_EIOTLB_AM_MASK);
    qi_submit_desc(sva, iommu, qw0, qw1);
}

// PCIe ATS invalidation payload: S=1 and a run of 1s above bit 11 give the
// size of a naturally aligned range (PCIe 4.0 section 10.3).
uint64_t ats_inv_addr(const inv_range &r) {
    if (r.all) return QI_DEV_EIOTLB_ADDR_ALL;
    uint64_t size_bits = ((uint64_t{1} << r.am) - 1) << QI_DEV_EIOTLB_SIZE_SHIFT;
    return r.addr | size_bits;
}

// The device is its own physical function: PFSID = its requester ID. QDEP
// 0 means the device's full invalidate queue depth.
void qi_flush_dev_iotlb_pasid(intel_sva *sva, const device_domain_info *info, uint32_t pasid,
                              const inv_range &r) {
    uint64_t sid = info->rid;
    uint64_t qw0 = QI_DEV_EIOTLB_TYPE | (sid & 0xf) << QI_DEV_EIOTLB_PFSID_LO_SHIFT |
                   sid << QI_DEV_EIOTLB_SID_SHIFT | (pasid & QI_PASID_MASK) << QI_PASID_SHIFT |
                   (sid >> 4) << QI_DEV_EIOTLB_PFSID_HI_SHIFT;
    qi_submit_desc(sva, info->iommu, qw0, ats_inv_addr(r));
}

// The IOTLB and, with ATS, the device TLB for (did, pasid) over r.
void intel_flush_svm_range(intel_sva *sva, const device_domain_info *info, uint16_t did,
                           uint32_t pasid, const inv_range &r) {
    qi_flush_piotlb(sva, info->iommu, did, pasid, r);
    if (info->ats) qi_flush_dev_iotlb_pasid(sva, info, pasid, r);
}

// The address mask from the page count rounded down, the start aligned down
// to it: too small for an unaligned range.
inv_range inv_range_rounded_down(uint64_t start, uint64_t end) {
    uint64_t first = start >> PAGE_SHIFT;
    uint64_t pages = ((end - 1) >> PAGE_SHIFT) - first + 1;
    unsigned am = unsigned(std::bit_width(pages)) - 1;
    if (am > MAX_AMASK) return INV_RANGE_ALL;
    return inv_range{(first >> am) << am << PAGE_SHIFT, am, false};
}

// --- page requests and page group responses ---

// A page group response to the device with requester ID rid, code in the
// PCIe encoding, completed like every other descriptor (qi_submit_sync).
void qi_page_group_response(intel_sva *sva, uint32_t iommu, uint16_t rid, bool pasid_present,
                            uint32_t pasid, uint32_t prg_index, uint64_t code) {
    uint64_t qw0 = QI_PGRP_RESP_TYPE | (code & QI_PGRP_RESP_CODE_MASK) << QI_PGRP_RESP_CODE_SHIFT |
                   uint64_t(rid) << QI_PGRP_RID_SHIFT |
                   (pasid & QI_PASID_MASK) << QI_PGRP_PASID_SHIFT;
    if (pasid_present) qw0 |= QI_PGRP_PASID_P;
    uint64_t qw1 = (prg_index & QI_PGRP_IDX_MASK) << QI_PGRP_IDX_SHIFT;
    qi_submit_desc(sva, iommu, qw0, qw1);
    qi_sync(sva);
}

// The PCIe response code of the core's enum iommu_page_response_code.
uint64_t intel_resp_code(const intel_sva *sva, uint32_t code) {
    if (sva->bug == BUG_RESP_CORE_CODE_RAW) return code;
    switch (code) {
    case SVAC_RESP_SUCCESS:
        return QI_RESP_SUCCESS;
    case SVAC_RESP_INVALID:
        return QI_RESP_INVALID;
    default:
        return QI_RESP_FAILURE;
    }
}

// The device behind iommu with requester ID rid, or -1.
int64_t intel_find_dev_by_rid(const intel_sva *sva, uint32_t iommu, uint16_t rid) {
    for (size_t i = 0; i < sva->devices.size(); i++)
        if (sva->devices[i].iommu == iommu && sva->devices[i].rid == rid) return int64_t(i);
    return -1;
}

// One page request descriptor taken off the queue.
void intel_prq_handle(intel_sva *sva, uint32_t iommu, uint64_t qw0, uint64_t qw1) {
    if ((qw0 & PRQ_TYPE_MASK) != PRQ_TYPE_PAGE_REQ) return;
    const bool pasid_present = qw0 & PRQ_PASID_PRESENT;
    const uint16_t rid = uint16_t((qw0 >> PRQ_RID_SHIFT) & PRQ_RID_MASK);
    const uint32_t pasid = uint32_t((qw0 >> PRQ_PASID_SHIFT) & PRQ_PASID_MASK);
    const uint32_t prg_index = uint32_t((qw1 >> PRQ_PRG_INDEX_SHIFT) & PRQ_PRG_INDEX_MASK);
    const bool lpig = qw1 & PRQ_LPIG;
    const bool rd = qw1 & PRQ_RD_REQ, wr = qw1 & PRQ_WR_REQ;

    // A Stop Marker needs no response: dropped before reporting.
    if (lpig && !rd && !wr && pasid_present) {
        if (sva->bug == BUG_ANSWER_STOP_MARKER)
            qi_page_group_response(sva, iommu, rid, pasid_present, pasid, prg_index,
                                   QI_RESP_SUCCESS);
        return;
    }
    // A requester the IOMMU has no device for (handle_bad_prq_event): the
    // last request of its group is answered Invalid Request here.
    int64_t dev = intel_find_dev_by_rid(sva, iommu, rid);
    // From linux-6.16 the attach enables page requests; a device attached
    // without them has nobody to take its requests.
    if (dev >= 0 && sva->api == SVAC_API_LINUX_6_16 && sva->devices[size_t(dev)].nr_bonds &&
        !sva->devices[size_t(dev)].iopf_enabled)
        dev = -1;
    if (dev < 0) {
        if (lpig)
            qi_page_group_response(sva, iommu, rid, pasid_present, pasid, prg_index,
                                   QI_RESP_INVALID);
        return;
    }

    svac_fault fault{};
    if (pasid_present) fault.flags |= SVAC_FAULT_PASID_VALID | SVAC_FAULT_NEEDS_PASID;
    if (lpig) fault.flags |= SVAC_FAULT_LAST_PAGE;
    fault.pasid = pasid_present ? pasid : 0;
    fault.grpid = prg_index;
    if (rd) fault.perm |= SVAC_FAULT_PERM_READ;
    if (wr) fault.perm |= SVAC_FAULT_PERM_WRITE;
    if (qw0 & PRQ_EXE_REQ) fault.perm |= SVAC_FAULT_PERM_EXEC;
    if (qw0 & PRQ_PM_REQ) fault.perm |= SVAC_FAULT_PERM_PRIV;
    fault.addr = qw1 & PAGE_MASK;
    // The core answers the group (now, or later through page_response), or
    // has answered it already when it refused the report: nothing to do here
    // either way.
    const svac_platform *p = sva->platform;
    if (p->report_fault) (void)p->report_fault(p->ctx, uint32_t(dev), &fault);
    if (sva->bug == BUG_RESP_EVERY_REQUEST && !lpig)
        qi_page_group_response(sva, iommu, rid, pasid_present, pasid, prg_index, QI_RESP_SUCCESS);
}

// Consumes the queue from PQH to PQT. Each descriptor is copied and PQH moved
// past it before it is handled, so a drain nested in the handling (the core
// may call back into the driver) never sees it twice; PQT is read again each
// time round.
void intel_prq_drain_queue(intel_sva *sva, uint32_t iommu) {
    const svac_platform *p = sva->platform;
    const uint64_t base = sva->iommus[iommu].prq;
    for (uint64_t n = 0; n < PRQ_SIZE / PRQ_DESC_SIZE; n++) {
        uint64_t head = p->read_reg(p->ctx, iommu, SVAC_VTD_PQH) & PRQ_RING_MASK;
        uint64_t tail = p->read_reg(p->ctx, iommu, SVAC_VTD_PQT) & PRQ_RING_MASK;
        if (head == tail) return;
        uint64_t qw0 = p->read64(p->ctx, base + head);
        uint64_t qw1 = p->read64(p->ctx, base + head + 8);
        p->write_reg(p->ctx, iommu, SVAC_VTD_PQH, (head + PRQ_DESC_SIZE) & PRQ_RING_MASK);
        intel_prq_handle(sva, iommu, qw0, qw1);
    }
}

// prq_event_thread: the page request interrupt.
void intel_prq_event(intel_sva *sva, uint32_t iommu) {
    const svac_platform *p = sva->platform;
    if (!sva->iommus[iommu].prq_enabled) return;
    // PPR cleared before head and tail are read, so that a request arriving
    // from now on raises it again.
    p->write_reg(p->ctx, iommu, SVAC_VTD_PRS, SVAC_VTD_PRS_PPR);
    intel_prq_drain_queue(sva, iommu);
    // After an overflow the hardware dropped requests (and answered the last
    // ones of their groups itself): groups the core holds in part may never
    // see their last request. Cleared only once the queue is empty.
    if (!(p->read_reg(p->ctx, iommu, SVAC_VTD_PRS) & SVAC_VTD_PRS_PRO)) return;
    uint64_t head = p->read_reg(p->ctx, iommu, SVAC_VTD_PQH) & PRQ_RING_MASK;
    uint64_t tail = p->read_reg(p->ctx, iommu, SVAC_VTD_PQT) & PRQ_RING_MASK;
    if (head != tail) return;
    if (sva->bug != BUG_NO_DISCARD_PARTIAL && p->discard_partial) p->discard_partial(p->ctx, iommu);
    if (sva->bug == BUG_PRQ_OVERFLOW_NOT_CLEARED) return; // partial groups dropped, PRO left set
    p->write_reg(p->ctx, iommu, SVAC_VTD_PRS, SVAC_VTD_PRS_PRO | SVAC_VTD_PRS_PPR);
}

// After the PASID entry of (info, pasid) is torn down and its invalidations
// waited for, the requests still queued are handled as the interrupt would
// (intel_drain_pasid_prq). Linux first submits an invalidation wait with
// page-request drain (VT-d 7.10) so that requests in flight land in the
// queue; the hardware model has none in flight, and that wait would also
// complete invalidations a buggy unbind left unsynced, so none is sent.
void intel_drain_pasid_prq(intel_sva *sva, const device_domain_info *info) {
    intel_prq_event(sva, info->iommu);
}

void intel_iommu_service_irq(void *drv, uint32_t iommu) {
    intel_sva *sva = to_sva(drv);
    if (iommu >= sva->iommus.size()) return;
    intel_prq_event(sva, iommu);
}

// intel_iommu_page_response: the core's answer for one group of dev.
int intel_iommu_page_response(void *drv, uint32_t dev, const svac_page_response *resp) {
    intel_sva *sva = to_sva(drv);
    const device_domain_info *info = find_info(sva, dev);
    if (!info || !resp || resp->code > SVAC_RESP_FAILURE) return -EINVAL;
    bool pasid_present = (resp->flags & SVAC_FAULT_PASID_VALID) != 0;
    if (sva->bug == BUG_RESP_DROPS_PASID) pasid_present = false;
    uint16_t rid = sva->bug == BUG_RESP_WRONG_RID ? sva->devices[0].rid : info->rid;
    qi_page_group_response(sva, info->iommu, rid, pasid_present, resp->pasid, resp->grpid,
                           intel_resp_code(sva, resp->code));
    return 0;
}

// --- PASID tables ---

uint64_t intel_pasid_entry_addr(uint64_t table, uint32_t pasid) {
    return table + PASID_ENTRY_SIZE * vtd::intel_pasid_table_index(pasid);
}

uint32_t intel_pasid_dir_index(const intel_sva *sva, uint32_t pasid) {
    if (sva->bug == BUG_PASID_DIR_SHIFT7) return pasid >> 7;
    if (sva->bug == BUG_PASID_DIR_SHIFT5) return pasid >> 5;
    return vtd::intel_pasid_dir_index(pasid);
}

// The PASID table behind directory entry pasid >> 6, allocated and installed
// on first use; the PDE then stays until the directory is freed. 0 when out
// of memory.
uint64_t intel_pasid_get_table(intel_sva *sva, device_domain_info *info, uint32_t pasid) {
    uint32_t dir_index = intel_pasid_dir_index(sva, pasid);
    // A mutated index may run past the directory: the simulated store goes
    // astray (the bug), the driver's own bookkeeping must not.
    if (dir_index >= info->pasid_tables.size()) info->pasid_tables.resize(dir_index + 1, 0);
    uint64_t &table = info->pasid_tables[dir_index];
    if (table && sva->bug != BUG_PASID_TABLE_REALLOC) return table;
    const svac_platform *p = sva->platform;
    uint64_t pa = p->alloc(p->ctx, PAGE_SIZE, PAGE_SIZE);
    if (!pa) return 0;
    write_qword(sva, info->pasid_dir + PASID_PDE_SIZE * dir_index, pa | PASID_PDE_P);
    table = pa;
    return pa;
}

// Writes a not-present (all-zero) entry: every other qword first, q0 with P
// last.
void intel_pasid_install(intel_sva *sva, uint64_t pte, uint64_t q0, uint64_t q1, uint64_t q2) {
    for (const auto &s :
         intel_pasid_install_stores(q0, q1, q2, sva->bug == BUG_PASID_ENTRY_P_FIRST))
        if (s.stored) write_qword(sva, pte + 8 * s.qword, s.value);
}

uint64_t pasid_q0(uint64_t pgtt) {
    return pgtt << PASID_PGTT_SHIFT | PASID_AW_48BIT << PASID_AW_SHIFT | PASID_P;
}

// PASID 0 (RID_PASID) passes requests without a PASID through untranslated.
void intel_pasid_setup_pass_through(intel_sva *sva, device_domain_info *info) {
    uint64_t pte = intel_pasid_entry_addr(info->pasid_tables[0], 0);
    intel_pasid_install(sva, pte, pasid_q0(PASID_PGTT_PT), IDENTITY_DID, 0);
}

bool first_level_supported(const svac_mm_info &mm) {
    return mm.pgtable == SVAC_PGTABLE_X86_64_4L && mm.pgd && !(mm.pgd & ~PAGE_MASK);
}

int intel_pasid_setup_first_level(intel_sva *sva, device_domain_info *info, uint32_t pasid,
                                  uint64_t pgd) {
    if (vtd::intel_pasid_dir_index(pasid) >= info->pasid_dir_entries) return -EINVAL;
    uint64_t table = intel_pasid_get_table(sva, info, pasid);
    if (!table) return -ENOMEM;
    uint64_t q2 = pgd | PASID_FLPM_4LEVEL << PASID_FLPM_SHIFT;
    intel_pasid_install(sva, intel_pasid_entry_addr(table, pasid), pasid_q0(PASID_PGTT_FL),
                        FLPT_DEFAULT_DID, q2);
    // Not strictly needed (a not-present entry is never cached); cheap.
    qi_flush_pasid_cache(sva, info->iommu, FLPT_DEFAULT_DID, QI_PC_GRAN_PASID, pasid);
    qi_sync(sva);
    return 0;
}

// P cleared by the first store; fault_ignore leaves FPD set so that DMA with
// the PASID aborts quietly. The invalidations are queued, not waited for.
void intel_pasid_tear_down_entry(intel_sva *sva, device_domain_info *info, uint32_t pasid,
                                 bool fault_ignore, bool devtlb = true) {
    uint32_t dir_index = intel_pasid_dir_index(sva, pasid);
    uint64_t table = dir_index < info->pasid_tables.size() ? info->pasid_tables[dir_index] : 0;
    uint64_t pte = intel_pasid_entry_addr(table, pasid);
    // Only q1 and q2 are ever written besides q0.
    for (const auto &s : intel_pasid_teardown_stores(fault_ignore ? PASID_FPD : uint64_t{0}))
        if (s.stored) write_qword(sva, pte + 8 * s.qword, s.value);
    uint16_t did = sva->bug == BUG_INV_WRONG_DID ? IDENTITY_DID : FLPT_DEFAULT_DID;
    qi_flush_pasid_cache(sva, info->iommu, did, QI_PC_GRAN_PASID, pasid);
    if (devtlb)
        intel_flush_svm_range(sva, info, did, pasid, INV_RANGE_ALL);
    else
        qi_flush_piotlb(sva, info->iommu, did, pasid, INV_RANGE_ALL);
}

// --- context entries ---

uint64_t intel_context_q0(const intel_sva *sva, const device_domain_info *info, bool sva_on) {
    uint64_t pdts = context_pdts(info->pasid_dir_entries);
    if (sva->bug == BUG_PDTS_OFF_BY_ONE) pdts--;
    uint64_t q0 = info->pasid_dir | pdts << CONTEXT_PDTS_SHIFT | CONTEXT_P;
    if (sva_on) {
        q0 |= CONTEXT_PASIDE;
        if (info->pri) q0 |= CONTEXT_PRE;
        if (info->ats) q0 |= CONTEXT_DTE;
    }
    return q0;
}

// A present context entry changes in q0 only: one store, then the context
// cache and the PASID cache of the device's only domain (no bond exists when
// SVA is switched on or off).
void intel_context_set_sva(intel_sva *sva, device_domain_info *info, bool on) {
    write_qword(sva, info->context_entry, intel_context_q0(sva, info, on));
    qi_flush_context_global(sva, info->iommu);
    qi_flush_pasid_cache(sva, info->iommu, IDENTITY_DID, QI_PC_GRAN_ALL_PASIDS, 0);
    qi_sync(sva);
}

// --- device features ---

bool intel_svm_capable(const intel_sva *sva, const device_domain_info *info) {
    if (sva->bug == BUG_SVA_WITHOUT_PRI)
        return sva->iommus[info->iommu].sva && info->pasid_max >= 1;
    return sva->iommus[info->iommu].sva && info->pasid_max >= 1 && info->pri;
}

// IOMMU_DEV_FEAT_IOPF exists from linux-6.1 on (v5.13).
bool intel_known_feat(const intel_sva *sva, uint32_t feat) {
    if (sva->api == SVAC_API_LINUX_6_16) return false; // no feature calls
    return feat == SVAC_FEAT_SVA || (feat == SVAC_FEAT_IOPF && (sva->api == SVAC_API_LINUX_6_1 ||
                                                                sva->api == SVAC_API_LINUX_6_12));
}

int intel_iommu_dev_has_feat(void *drv, uint32_t dev, uint32_t feat) {
    intel_sva *sva = to_sva(drv);
    device_domain_info *info = find_info(sva, dev);
    if (!info || !intel_known_feat(sva, feat)) return 0;
    return intel_svm_capable(sva, info);
}

int intel_iommu_dev_feat_enabled(void *drv, uint32_t dev, uint32_t feat) {
    intel_sva *sva = to_sva(drv);
    device_domain_info *info = find_info(sva, dev);
    if (!info || !intel_known_feat(sva, feat)) return 0;
    return feat == SVAC_FEAT_IOPF ? info->iopf_enabled : info->sva_enabled;
}

int intel_iommu_dev_enable_feat(void *drv, uint32_t dev, uint32_t feat) {
    intel_sva *sva = to_sva(drv);
    device_domain_info *info = find_info(sva, dev);
    if (!info || !intel_known_feat(sva, feat)) return -EINVAL;
    if (feat == SVAC_FEAT_IOPF) { // v6.1 intel_iommu_enable_iopf: PRI is all it needs
        if (!intel_svm_capable(sva, info) && sva->bug != BUG_IOPF_WITHOUT_PRI) return -ENODEV;
        info->iopf_enabled = true;
        return 0;
    }
    if (!intel_svm_capable(sva, info)) return -ENODEV;
    if (info->sva_enabled) return 0;
    intel_context_set_sva(sva, info, true);
    info->sva_enabled = true;
    return 0;
}

int intel_iommu_dev_disable_feat(void *drv, uint32_t dev, uint32_t feat) {
    intel_sva *sva = to_sva(drv);
    device_domain_info *info = find_info(sva, dev);
    if (!info || !intel_known_feat(sva, feat)) return -EINVAL;
    if (feat == SVAC_FEAT_IOPF) {
        info->iopf_enabled = false;
        return 0;
    }
    // Bonds of exited mms still count until they are unbound.
    if (info->nr_bonds && sva->bug != BUG_DISABLE_WHILE_BOUND) return -EBUSY;
    if (!info->sva_enabled) return 0;
    intel_context_set_sva(sva, info, false);
    info->sva_enabled = false;
    return 0;
}

// The limits kept in the IOMMU, shared by every device behind it.
int intel_svm_set_iommu_param(intel_sva *sva, uint32_t iommu, uint32_t min_pasid,
                              uint32_t max_pasid) {
    for (const device_domain_info &d : sva->devices)
        if (d.iommu == iommu && d.nr_bonds) return -EBUSY;
    for (device_domain_info &d : sva->devices) {
        if (d.iommu != iommu) continue;
        d.param_min = min_pasid;
        d.param_max = max_pasid;
    }
    return 0;
}

int intel_svm_set_param(void *drv, uint32_t dev, uint32_t min_pasid, uint32_t max_pasid) {
    intel_sva *sva = to_sva(drv);
    device_domain_info *info = find_info(sva, dev);
    if (!info) return -EINVAL;
    bool min_ok = min_pasid != 0 || sva->bug == BUG_PARAM_MIN_ZERO;
    if (!min_ok || min_pasid > max_pasid || max_pasid > info->dev_pasid_max) return -EINVAL;
    if (sva->bug == BUG_PARAM_PER_IOMMU)
        return intel_svm_set_iommu_param(sva, info->iommu, min_pasid, max_pasid);
    if (info->nr_bonds) return -EBUSY;
    info->param_min = min_pasid;
    info->param_max = max_pasid;
    return 0;
}

// --- bonds ---

void intel_svm_pasid_range(const device_domain_info *info, uint32_t *lo, uint32_t *hi) {
    *lo = std::max(1u, info->param_min);
    *hi = std::min(info->pasid_max, info->param_max);
}

// From linux-6.1 the mm's PASID is the core's (iommu_sva_alloc_pasid).
bool intel_core_pasid(const intel_sva *sva) {
    return sva->api == SVAC_API_LINUX_6_1 && sva->bug != BUG_PASID_FREED_AT_UNBIND;
}

// Allocates the mm's PASID when it has none and installs the first-level
// entry; on failure nothing is left behind.
int intel_svm_bond_setup(intel_sva *sva, uint32_t dev, uint32_t mm, uint32_t *pasid) {
    device_domain_info *info = &sva->devices[dev];
    intel_svm_mm *svm = &sva->mms[mm];
    uint32_t lo, hi;
    intel_svm_pasid_range(info, &lo, &hi);
    if (sva->bug == BUG_EXCLUSIVE_PASID_MAX) hi--; // as if max were an IDR's exclusive end
    bool in_range = svm->pasid >= lo && svm->pasid <= hi;
    if (svm->pasid && !in_range && sva->bug != BUG_SHARED_PASID_UNCHECKED) return -ERANGE;

    svac_mm_info mi{};
    const svac_platform *p = sva->platform;
    if (p->mm_info(p->ctx, mm, &mi) || !first_level_supported(mi)) return -EINVAL;

    uint32_t id = svm->pasid;
    if (intel_core_pasid(sva)) { // the mm's for its life
        int ret = p->alloc_mm_pasid(p->ctx, mm, lo, hi, &id);
        if (ret) return ret;
    } else if (!id) {
        id = sva->pasids.alloc(lo, hi, mm);
        if (!id) return -ENOSPC;
    }
    int ret = intel_pasid_setup_first_level(sva, info, id, mi.pgd);
    if (ret) {
        if (!svm->pasid && !intel_core_pasid(sva)) sva->pasids.free(id);
        return ret;
    }
    svm->pasid = id;
    *pasid = id;
    return 0;
}

int intel_svm_bind(void *drv, uint32_t dev, uint32_t mm, uint32_t *pasid, svac_mm_exit_fn mm_exit,
                   void *cb_ctx, uint64_t drvdata) {
    intel_sva *sva = to_sva(drv);
    device_domain_info *info = find_info(sva, dev);
    if (!info || mm >= sva->mms.size() || !pasid) return -EINVAL;
    if (!info->sva_enabled) return -ENODEV;

    intel_svm_mm *svm = &sva->mms[mm];
    if (svm->released && sva->bug != BUG_REBIND_AFTER_EXIT) return -ESRCH;

    intel_svm_bond &bond = dev_bond(sva, dev, mm);
    if (bond.refs) {
        if (sva->bug != BUG_REBIND_NO_REFERENCE) bond.refs++;
        *pasid = svm->pasid;
        return 0;
    }
    if (svm->released) return -ESRCH;

    int ret = intel_svm_bond_setup(sva, dev, mm, pasid);
    if (ret == -ENOSPC && sva->bug == BUG_ERRNO_AS_PASID) {
        *pasid = uint32_t(ret);
        return 0;
    }
    if (ret) return ret;
    bond = intel_svm_bond{1, mm_exit, cb_ctx, drvdata};
    info->nr_bonds++;
    svm->nr_bonds++;
    return 0;
}

// Drops one reference of the live bond of (dev, mm).
int intel_svm_unbind_bond(intel_sva *sva, uint32_t dev, uint32_t mm) {
    device_domain_info *info = &sva->devices[dev];
    intel_svm_bond &bond = dev_bond(sva, dev, mm);
    intel_svm_mm *svm = &sva->mms[mm];
    const uint32_t pasid = svm->pasid;
    if (svm->released && sva->bug == BUG_UNBIND_AFTER_EXIT_FAILS) return -ESRCH;
    if (--bond.refs) return 0;

    intel_pasid_tear_down_entry(sva, info, pasid, false);
    if (sva->bug != BUG_UNBIND_NO_WAIT) qi_sync(sva);
    // The callback goes with the bond: mm release fires only registered ones.
    if (sva->bug != BUG_CALLBACK_AFTER_UNBIND) bond = intel_svm_bond{};
    info->nr_bonds--;

    // Up to linux-5.3 the PASID belongs to the mm until its last bond on any
    // device goes, whether or not the mm has exited; from linux-6.1 it is the
    // core's, and the mm's until the mm is freed.
    if (--svm->nr_bonds == 0) {
        if (!intel_core_pasid(sva)) {
            sva->pasids.free(svm->pasid);
            svm->pasid = 0;
        }
    } else if (sva->bug == BUG_PASID_FREED_AT_FIRST_UNBIND) {
        sva->pasids.free(svm->pasid);
    }

    // No request with the PASID can come any more: the ones still queued go
    // to the core, which then answers every group of (dev, pasid) it holds.
    // Both may call page_response from here; the bond is gone already.
    intel_drain_pasid_prq(sva, info);
    const svac_platform *p = sva->platform;
    if (sva->bug != BUG_NO_FAULT_FLUSH_AT_UNBIND && p->flush_faults)
        p->flush_faults(p->ctx, dev, pasid);
    return 0;
}

int intel_svm_unbind(void *drv, uint32_t dev, uint32_t pasid) {
    intel_sva *sva = to_sva(drv);
    device_domain_info *info = find_info(sva, dev);
    if (!info) return -EINVAL;

    int64_t mm = sva->pasids.find(pasid);
    if (mm < 0) return -ESRCH;
    if (!dev_bond(sva, dev, uint32_t(mm)).refs) return -ESRCH;
    return intel_svm_unbind_bond(sva, dev, uint32_t(mm));
}

// --- the handle-based contract (linux-5.3, linux-6.1) ---

// A bond's handle: its slot, from 1. A second bind of (dev, mm) gets the same.
uint64_t intel_svm_bond_handle(const intel_sva *sva, uint32_t dev, uint32_t mm) {
    return uint64_t(dev) * sva->mms.size() + mm + 1;
}

// The (dev, mm) of a live bond's handle; false for any other value.
bool intel_svm_handle_bond(intel_sva *sva, uint64_t handle, uint32_t *dev, uint32_t *mm) {
    if (handle == 0 || (handle > sva->bonds.size() && sva->bug != BUG_REBIND_NEW_HANDLE))
        return false;
    const uint64_t slot = (handle - 1) % sva->bonds.size();
    *dev = uint32_t(slot / sva->mms.size());
    *mm = uint32_t(slot % sva->mms.size());
    return dev_bond(sva, *dev, *mm).refs != 0;
}

int intel_svm_bind_handle(void *drv, uint32_t dev, uint32_t mm, uint64_t drvdata,
                          svac_mm_exit_fn mm_exit, void *cb_ctx, uint64_t *handle) {
    if (!handle) return -EINVAL;
    uint32_t pasid = 0;
    int ret = intel_svm_bind(drv, dev, mm, &pasid, mm_exit, cb_ctx, drvdata);
    if (ret) return ret;
    intel_sva *sva = to_sva(drv);
    *handle = intel_svm_bond_handle(sva, dev, mm);
    if (sva->bug == BUG_REBIND_NEW_HANDLE) // one per reference
        *handle += sva->bonds.size() * (dev_bond(sva, dev, mm).refs - 1);
    return 0;
}

void intel_svm_unbind_handle(void *drv, uint64_t handle) {
    intel_sva *sva = to_sva(drv);
    uint32_t dev, mm;
    if (intel_svm_handle_bond(sva, handle, &dev, &mm)) intel_svm_unbind_bond(sva, dev, mm);
}

uint32_t intel_svm_get_pasid(void *drv, uint64_t handle) {
    intel_sva *sva = to_sva(drv);
    uint32_t dev, mm;
    return intel_svm_handle_bond(sva, handle, &dev, &mm) ? sva->mms[mm].pasid : SVAC_PASID_INVALID;
}

// mmu_notifier release: the mm is exiting. Every bond's entry stops walking
// the mm (FPD, so DMA aborts quietly); bonds and the PASID stay until
// unbound, and each bond's owner hears about it once.
void intel_mm_release(void *drv, uint32_t mm) {
    intel_sva *sva = to_sva(drv);
    if (mm >= sva->mms.size()) return;
    intel_svm_mm *svm = &sva->mms[mm];
    if (svm->released) return;
    // Marked first, so a bind from inside a callback fails like any later one.
    svm->released = true;

    uint32_t n_devices = uint32_t(sva->devices.size());
    bool fault_ignore = sva->bug != BUG_EXIT_NO_FPD;
    for (uint32_t dev = 0; dev < n_devices; dev++)
        if (dev_bond(sva, dev, mm).refs &&
            !(sva->bug == BUG_RELEASE_KEEPS_DOMAIN_ENTRY && dev_bond(sva, dev, mm).domain))
            intel_pasid_tear_down_entry(sva, &sva->devices[dev], svm->pasid, fault_ignore);
    qi_sync(sva);

    // Bond storage never moves, so a callback that unbinds is harmless.
    for (uint32_t dev = 0; dev < n_devices; dev++) {
        const intel_svm_bond &bond = dev_bond(sva, dev, mm);
        if (!bond.mm_exit) continue;
        uint64_t calls = sva->bug == BUG_CALLBACK_PER_REFERENCE ? bond.refs : 1;
        for (uint64_t i = 0; i < calls; i++)
            bond.mm_exit(bond.cb_ctx, dev, svm->pasid, bond.drvdata);
    }
    if (sva->bug == BUG_PASID_FREED_AT_EXIT && svm->nr_bonds) sva->pasids.free(svm->pasid);
}

// mmu_notifier invalidate_range: the CPU changed [start, end) of the mm.
void intel_mm_invalidate_range(void *drv, uint32_t mm, uint64_t start, uint64_t end) {
    intel_sva *sva = to_sva(drv);
    if (mm >= sva->mms.size() || end <= start) return;
    const intel_svm_mm *svm = &sva->mms[mm];
    if (svm->released || !svm->nr_bonds) return;

    inv_range r = sva->bug == BUG_NOTIFIER_AM_ROUNDED_DOWN ? inv_range_rounded_down(start, end)
                                                           : inv_range_covering(start, end);
    for (uint32_t dev = 0; dev < sva->devices.size(); dev++) {
        if (!dev_bond(sva, dev, mm).refs) continue;
        const device_domain_info *info = &sva->devices[dev];
        if (sva->bug == BUG_NOTIFIER_NO_DEVTLB_INV)
            qi_flush_piotlb(sva, info->iommu, FLPT_DEFAULT_DID, svm->pasid, r);
        else
            intel_flush_svm_range(sva, info, FLPT_DEFAULT_DID, svm->pasid, r);
    }
    qi_sync(sva);
}

// --- the domain-based contract (linux-6.12, linux-6.16) ---

// dev->iommu->max_pasids: the PASID table's reach (0: no PASID).
uint32_t intel_iommu_probe_device(void *drv, uint32_t dev) {
    const device_domain_info *info = find_info(to_sva(drv), dev);
    return info && info->pasid_max ? info->pasid_max + 1 : 0;
}

intel_svm_domain *to_svm_domain(intel_sva *sva, uint64_t domain) {
    if (domain == 0 || domain > sva->domains.size() || !sva->domains[domain - 1].live)
        return nullptr;
    return &sva->domains[domain - 1];
}

// Until linux-6.12 SVA is the feature's (enabled by the caller); from
// linux-6.16 the device is made ready when its first SVA domain is attached:
// PASIDs in its context entry, and page requests if it has PRI.
int intel_svm_dev_ready(intel_sva *sva, device_domain_info *info) {
    if (sva->api == SVAC_API_LINUX_6_12) return info->sva_enabled ? 0 : -ENODEV;
    if ((!sva->iommus[info->iommu].sva && sva->bug != BUG_SVA_UNCHECKED_AT_ATTACH) ||
        !info->pasid_max)
        return -EOPNOTSUPP;
    if (!info->sva_enabled) {
        if (sva->bug != BUG_ATTACH_SKIPS_CONTEXT) intel_context_set_sva(sva, info, true);
        info->sva_enabled = true;
    }
    if (sva->bug != BUG_IOPF_NOT_ENABLED_AT_ATTACH) info->iopf_enabled = info->pri;
    return 0;
}

int intel_svm_domain_alloc(void *drv, uint32_t dev, uint32_t mm, uint64_t *domain) {
    intel_sva *sva = to_sva(drv);
    device_domain_info *info = find_info(sva, dev);
    if (!info || mm >= sva->mms.size() || !domain) return -EINVAL;
    if (sva->api == SVAC_API_LINUX_6_12 && !info->sva_enabled) return -ENODEV;
    if ((!sva->iommus[info->iommu].sva && sva->bug != BUG_SVA_UNCHECKED_AT_ATTACH) ||
        !info->pasid_max)
        return -EOPNOTSUPP;
    size_t slot = 0;
    while (slot < sva->domains.size() && sva->domains[slot].live) slot++;
    try {
        if (slot == sva->domains.size()) sva->domains.push_back({});
    } catch (const std::bad_alloc &) {
        return -ENOMEM;
    }
    sva->domains[slot] = intel_svm_domain{true, mm, 0, dev};
    *domain = slot + 1;
    return 0;
}

void intel_svm_domain_free(void *drv, uint64_t domain) {
    if (intel_svm_domain *d = to_svm_domain(to_sva(drv), domain)) d->live = false;
}

// The mm whose domain is attached at pasid of dev, or -1.
int64_t intel_svm_attached_mm(intel_sva *sva, uint32_t dev, uint32_t pasid) {
    for (uint32_t mm = 0; mm < sva->mms.size(); mm++)
        if (sva->mms[mm].pasid == pasid && dev_bond(sva, dev, mm).domain) return mm;
    return -1;
}

// intel_svm_set_dev_pasid: the first-level entry of the mm at pasid.
int intel_svm_attach(intel_sva *sva, intel_svm_domain *d, uint64_t domain, uint32_t dev,
                     uint32_t pasid, uint64_t old) {
    device_domain_info *info = &sva->devices[dev];
    intel_svm_mm *svm = &sva->mms[d->mm];
    if (old != SVAC_DOMAIN_NONE || pasid == 0 || pasid > info->pasid_max ||
        intel_svm_attached_mm(sva, dev, pasid) >= 0 || svm->released)
        return -EINVAL;
    if (sva->bug == BUG_DOMAIN_PER_DEVICE && d->first_dev != dev) return -EINVAL;
    int ret = intel_svm_dev_ready(sva, info);
    if (ret) return ret;
    svac_mm_info mi{};
    const svac_platform *p = sva->platform;
    if (p->mm_info(p->ctx, d->mm, &mi) || !first_level_supported(mi)) return -EINVAL;
    ret = intel_pasid_setup_first_level(sva, info, pasid, mi.pgd);
    if (ret) return ret;
    svm->pasid = pasid;
    dev_bond(sva, dev, d->mm) = intel_svm_bond{1, nullptr, nullptr, 0, domain};
    info->nr_bonds++;
    svm->nr_bonds++;
    d->nr_attached++;
    return 0;
}

// The PASID's entry is torn down with fault processing off until the
// invalidations complete, its page requests drained and answered
// (intel_iommu_remove_dev_pasid; from linux-6.16 the blocked domain's
// set_dev_pasid).
void intel_svm_detach(intel_sva *sva, uint32_t dev, uint32_t pasid, uint64_t domain) {
    const int64_t mm = intel_svm_attached_mm(sva, dev, pasid);
    if (mm < 0 || dev_bond(sva, dev, uint32_t(mm)).domain != domain) return;
    device_domain_info *info = &sva->devices[dev];
    intel_pasid_tear_down_entry(sva, info, pasid, false, sva->bug != BUG_BLOCKED_NO_DEVTLB_INV);
    if (sva->bug != BUG_REMOVE_NO_WAIT) qi_sync(sva);
    dev_bond(sva, dev, uint32_t(mm)) = intel_svm_bond{};
    info->nr_bonds--;
    sva->mms[size_t(mm)].nr_bonds--;
    sva->domains[domain - 1].nr_attached--;
    if (sva->bug != BUG_REMOVE_NO_PRQ_DRAIN) {
        intel_drain_pasid_prq(sva, info);
        const svac_platform *p = sva->platform;
        p->flush_faults(p->ctx, dev, pasid);
    }
    if (sva->api != SVAC_API_LINUX_6_12 && !info->nr_bonds) info->iopf_enabled = false;
}

int intel_iommu_set_dev_pasid(void *drv, uint64_t domain, uint32_t dev, uint32_t pasid,
                              uint64_t old) {
    intel_sva *sva = to_sva(drv);
    if (!find_info(sva, dev)) return -EINVAL;
    if (domain == SVAC_DOMAIN_BLOCKED) { // blocking_domain_set_dev_pasid
        if (sva->api == SVAC_API_LINUX_6_12) return -EINVAL;
        if (sva->bug == BUG_BLOCKED_LEAVES_ENTRY) return 0;
        intel_svm_detach(sva, dev, pasid, old);
        if (sva->bug == BUG_BLOCKED_FAILS && !sva->devices[dev].nr_bonds) return -ENODEV;
        return 0;
    }
    intel_svm_domain *d = to_svm_domain(sva, domain);
    return d ? intel_svm_attach(sva, d, domain, dev, pasid, old) : -EINVAL;
}

void intel_iommu_remove_dev_pasid(void *drv, uint32_t dev, uint32_t pasid, uint64_t domain) {
    intel_sva *sva = to_sva(drv);
    if (find_info(sva, dev)) intel_svm_detach(sva, dev, pasid, domain);
}

// --- probe ---

bool intel_platform_ok(const svac_platform *p) {
    if (!p || p->abi_version != SVAC_ABI_VERSION || p->size < sizeof(svac_platform)) return false;
    return p->alloc && p->free && p->read64 && p->write64 && p->write_reg && p->read_reg &&
           p->submit_cmd && p->mm_info && p->api <= SVAC_API_LINUX_6_16 &&
           (p->api != SVAC_API_LINUX_6_1 || p->alloc_mm_pasid);
}

bool intel_topology_ok(const svac_topology *t) {
    if ((t->n_iommus && !t->iommus) || (t->n_devices && !t->devices)) return false;
    if (uint64_t(t->n_devices) * t->n_mms > MAX_BOND_SLOTS) return false;
    for (uint32_t i = 0; i < t->n_iommus; i++) {
        const svac_iommu_desc &d = t->iommus[i];
        if (d.arch != SVAC_ARCH_VTD || d.pasid_bits > SVAC_PASID_BITS_MAX) return false;
    }
    for (uint32_t i = 0; i < t->n_devices; i++) {
        const svac_device_desc &d = t->devices[i];
        if (d.iommu >= t->n_iommus || d.pasid_bits > SVAC_PASID_BITS_MAX || d.sid > 0xffff)
            return false;
        // Two devices with one requester ID behind one IOMMU share a context entry.
        for (uint32_t j = 0; j < i; j++)
            if (t->devices[j].iommu == d.iommu && t->devices[j].sid == d.sid) return false;
    }
    return true;
}

device_domain_info intel_probe_device(const svac_device_desc &d, const intel_iommu &iommu) {
    device_domain_info info{};
    info.iommu = d.iommu;
    info.rid = uint16_t(d.sid);
    info.pri = d.pri != 0;
    info.ats = d.ats != 0;
    info.dev_pasid_max = pasid_max(d.pasid_bits);
    info.pasid_max = std::min(info.dev_pasid_max, pasid_max(iommu.pasid_bits));
    info.param_min = 1;
    info.param_max = UINT32_MAX;
    info.pasid_dir_entries = pasid_dir_entries(std::min(d.pasid_bits, iommu.pasid_bits));
    info.pasid_tables.assign(info.pasid_dir_entries, 0);
    return info;
}

intel_sva *intel_sva_alloc(const svac_platform *p, const svac_topology *t) {
    auto sva = std::make_unique<intel_sva>();
    sva->platform = p;
    sva->iommus.reserve(t->n_iommus);
    for (uint32_t i = 0; i < t->n_iommus; i++) {
        sva->iommus.push_back(
            intel_iommu{t->iommus[i].pasid_bits, t->iommus[i].sva != 0, 0, {}, false, 0, false});
        sva->iommus.back().context_tables.assign(2 * ROOT_ENTRY_NR, 0);
    }
    sva->devices.reserve(t->n_devices);
    for (uint32_t i = 0; i < t->n_devices; i++)
        sva->devices.push_back(intel_probe_device(t->devices[i], sva->iommus[t->devices[i].iommu]));
    sva->mms.resize(t->n_mms);
    sva->bonds.resize(size_t(t->n_devices) * t->n_mms);
    sva->pasids.used.reserve(t->n_mms);
    return sva.release();
}

void free_pa(const svac_platform *p, uint64_t &pa) {
    if (pa) p->free(p->ctx, pa);
    pa = 0;
}

void intel_free_tables(intel_sva *sva) {
    const svac_platform *p = sva->platform;
    for (device_domain_info &info : sva->devices) {
        for (uint64_t &table : info.pasid_tables) free_pa(p, table);
        free_pa(p, info.pasid_dir);
    }
    for (intel_iommu &iommu : sva->iommus) {
        for (uint64_t &table : iommu.context_tables) free_pa(p, table);
        free_pa(p, iommu.root_table);
        free_pa(p, iommu.prq);
    }
}

uint64_t alloc_page(const svac_platform *p, uint64_t bytes = PAGE_SIZE) {
    return p->alloc(p->ctx, bytes, PAGE_SIZE);
}

size_t context_table_index(uint16_t rid) {
    uint32_t bus = rid >> 8, devfn = rid & 0xff;
    return size_t(bus) * 2 + (devfn >= DEVFN_UPPER);
}

// Every table create() needs, before anything is written.
bool intel_alloc_tables(intel_sva *sva) {
    const svac_platform *p = sva->platform;
    for (intel_iommu &iommu : sva->iommus) {
        if (!(iommu.root_table = alloc_page(p))) return false;
        if (!(iommu.prq = alloc_page(p, PRQ_SIZE))) return false;
    }
    for (device_domain_info &info : sva->devices) {
        uint64_t &ctx = sva->iommus[info.iommu].context_tables[context_table_index(info.rid)];
        if (!ctx && !(ctx = alloc_page(p))) return false;
        info.context_entry = ctx + CONTEXT_SM_SIZE * ((info.rid & 0xff) % DEVFN_UPPER);
        info.pasid_dir = alloc_page(p, PASID_PDE_SIZE * info.pasid_dir_entries);
        if (!info.pasid_dir) return false;
        if (!(info.pasid_tables[0] = alloc_page(p))) return false;
    }
    return true;
}

// Identity for requests without a PASID: PASID 0 passes through, the
// context entry (P set by its only store) points at the directory.
void intel_setup_device(intel_sva *sva, device_domain_info *info) {
    intel_pasid_setup_pass_through(sva, info);
    write_qword(sva, info->pasid_dir, info->pasid_tables[0] | PASID_PDE_P);
    write_qword(sva, info->context_entry, intel_context_q0(sva, info, false));
}

void intel_setup_root_entries(intel_sva *sva, intel_iommu *iommu) {
    for (size_t i = 0; i < iommu->context_tables.size(); i++) {
        uint64_t ctx = iommu->context_tables[i];
        if (ctx) write_qword(sva, iommu->root_table + 8 * i, ctx | ROOT_ENTRY_PRESENT);
    }
}

// intel_enable_prq: an empty queue (head = tail = 0), then its address.
void intel_enable_prq(intel_sva *sva) {
    const svac_platform *p = sva->platform;
    for (uint32_t i = 0; i < sva->iommus.size(); i++) {
        intel_iommu *iommu = &sva->iommus[i];
        p->write_reg(p->ctx, i, SVAC_VTD_PQH, 0);
        p->write_reg(p->ctx, i, SVAC_VTD_PQT, 0);
        p->write_reg(p->ctx, i, SVAC_VTD_PQA, iommu->prq | PRQ_ORDER);
        iommu->prq_enabled = true;
    }
}

// intel_finish_prq: the queue's registers cleared before its memory goes.
void intel_finish_prq(intel_sva *sva) {
    const svac_platform *p = sva->platform;
    for (uint32_t i = 0; i < sva->iommus.size(); i++) {
        intel_iommu *iommu = &sva->iommus[i];
        if (!iommu->prq_enabled) continue;
        p->write_reg(p->ctx, i, SVAC_VTD_PQH, 0);
        p->write_reg(p->ctx, i, SVAC_VTD_PQT, 0);
        p->write_reg(p->ctx, i, SVAC_VTD_PQA, 0);
        iommu->prq_enabled = false;
    }
}

void intel_enable_translation(intel_sva *sva) {
    const svac_platform *p = sva->platform;
    for (uint32_t i = 0; i < sva->iommus.size(); i++) {
        intel_iommu *iommu = &sva->iommus[i];
        intel_setup_root_entries(sva, iommu);
        p->write_reg(p->ctx, i, SVAC_VTD_RTADDR, iommu->root_table | RTADDR_TTM_SCALABLE);
        qi_flush_context_global(sva, i);
    }
    qi_sync(sva);
    for (uint32_t i = 0; i < sva->iommus.size(); i++)
        p->write_reg(p->ctx, i, SVAC_VTD_GCMD, SVAC_VTD_GCMD_TE);
    sva->translation_enabled = true;
}

void intel_sva_free(intel_sva *sva) {
    const svac_platform *p = sva->platform;
    if (sva->translation_enabled)
        for (uint32_t i = 0; i < sva->iommus.size(); i++) p->write_reg(p->ctx, i, SVAC_VTD_GCMD, 0);
    intel_finish_prq(sva);
    intel_free_tables(sva);
    delete sva;
}

void *intel_iommu_create_bug(const svac_platform *p, const svac_topology *t, uint32_t bug) {
    if (!intel_platform_ok(p) || !t || !intel_topology_ok(t)) return nullptr;
    intel_sva *sva;
    try {
        sva = intel_sva_alloc(p, t);
        sva->bug = bug;
        sva->api = p->api;
    } catch (const std::bad_alloc &) {
        return nullptr;
    } catch (const std::length_error &) {
        return nullptr;
    }
    if (!intel_alloc_tables(sva)) {
        intel_sva_free(sva);
        return nullptr;
    }
    for (device_domain_info &info : sva->devices) intel_setup_device(sva, &info);
    intel_enable_prq(sva);
    intel_enable_translation(sva);
    return sva;
}

void *intel_iommu_create(const svac_platform *p, const svac_topology *t) {
    return intel_iommu_create_bug(p, t, BUG_NONE);
}

void intel_iommu_destroy(void *drv) {
    if (drv) intel_sva_free(to_sva(drv));
}

constexpr svac_driver_ops intel_svm_ops = {
    .abi_version = SVAC_ABI_VERSION,
    .size = sizeof(svac_driver_ops),
    .name = "vtd",
    .version = "0.2.0",
    .arch_mask = 1u << SVAC_ARCH_VTD,
    .create = intel_iommu_create,
    .destroy = intel_iommu_destroy,
    .dev_has_feat = intel_iommu_dev_has_feat,
    .dev_enable_feat = intel_iommu_dev_enable_feat,
    .dev_disable_feat = intel_iommu_dev_disable_feat,
    .dev_feat_enabled = intel_iommu_dev_feat_enabled,
    .set_sva_param = intel_svm_set_param,
    .bind_mm = intel_svm_bind,
    .unbind_mm = intel_svm_unbind,
    .mm_release = intel_mm_release,
    .mm_invalidate_range = intel_mm_invalidate_range,
    .service_irq = intel_iommu_service_irq,
    .page_response = intel_iommu_page_response,
    .contracts = SVAC_CONTRACT_RFC2019 | SVAC_CONTRACT_HANDLE | SVAC_CONTRACT_DOMAIN,
    .sva_bind = intel_svm_bind_handle,
    .sva_unbind = intel_svm_unbind_handle,
    .sva_get_pasid = intel_svm_get_pasid,
    .probe_device = intel_iommu_probe_device,
    .domain_alloc_sva = intel_svm_domain_alloc,
    .domain_free = intel_svm_domain_free,
    .set_dev_pasid = intel_iommu_set_dev_pasid,
    .remove_dev_pasid = intel_iommu_remove_dev_pasid,
};

// --- mutants: one ops table per seeded bug, whose create turns it on ---

constexpr const char *intel_mutant_names[NR_BUGS] = {
    nullptr,
#define SVAC_MUTANT(id, name, ...) name,
#include "models/vtd/vtd_mutants.def"
#undef SVAC_MUTANT
};

constexpr const char *intel_mutant_ops_names[NR_BUGS] = {
    "vtd",
#define SVAC_MUTANT(id, name, ...) "vtd:" name,
#include "models/vtd/vtd_mutants.def"
#undef SVAC_MUTANT
};

template <uint32_t B>
void *intel_iommu_create_mutant(const svac_platform *p, const svac_topology *t) {
    return intel_iommu_create_bug(p, t, B);
}

template <uint32_t B> constexpr svac_driver_ops intel_mutant_ops() {
    svac_driver_ops ops = intel_svm_ops;
    ops.name = intel_mutant_ops_names[B];
    ops.create = intel_iommu_create_mutant<B>;
    return ops;
}

template <uint32_t... B>
constexpr std::array<svac_driver_ops, sizeof...(B)>
intel_make_mutants(std::integer_sequence<uint32_t, B...>) {
    return {intel_mutant_ops<B>()...};
}

constexpr auto intel_mutants = intel_make_mutants(std::make_integer_sequence<uint32_t, NR_BUGS>());

} // namespace

extern "C" const struct svac_driver_ops *svac_vtd_entry(void) {
    return &intel_svm_ops;
}

extern "C" const struct svac_driver_ops *svac_vtd_mutant(const char *name) {
    for (uint32_t b = BUG_NONE + 1; name && b < NR_BUGS; b++)
        if (std::strcmp(name, intel_mutant_names[b]) == 0) return &intel_mutants[b];
    return nullptr;
}
