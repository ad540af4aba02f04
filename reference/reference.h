// The reference model of the SVA device-driver API: plain state and a step
// function. For each op it says what the spec allows (expect), judges what a
// driver or a recorded trace did (judge), and then follows that choice
// (commit). Where nobody chose, the policy picks (lowest free PASID, the
// first allowed errno).
#pragma once

#include "reference/clauses.h"
#include "reference/errno.h"
#include "reference/fault_core.h"
#include "reference/op.h"
#include "reference/pasid_runs.h"
#include "reference/profile.h"
#include "reference/topology.h"

#include <map>
#include <optional>
#include <string>
#include <vector>

namespace svac::ref {

// What one page of a DMA (or one retried request) may come to.
struct PageExpectation {
    uint8_t kinds = 0;         // allowed outcomes, 1 << DmaResult::Kind
    uint64_t pa = 0;           // the output address when translated
    bool page_changed = false; // the CPU changed the page since the mm mapped it (HW-4)
    ClauseId clause = ClauseId::HW_1;
};

// An answer the core sends for one group, and that must reach the device.
struct Answer {
    uint32_t dev = 0;
    uint32_t grpid = 0;
    bool stall = false;
    bool has_pasid = false; // the response carries the PASID
    uint32_t pasid = 0;
    uint32_t code = SVAC_RESP_INVALID;  // SVAC_RESP_*
    ClauseId clause = ClauseId::IOPF_3; // the rule that makes it due
};

// The core's answer code for group g, with the rule that makes it due.
Answer answer_to(const FaultGroup &g, uint32_t code, ClauseId why);

// What the spec allows one op to return.
struct Expectation {
    ErrnoSet rc; // allowed return codes (non-queries)
    ClauseId rc_clause = ClauseId::FEAT_3;
    bool query = false;  // a boolean query: rc must be 1 or 0
    bool result = false; // ... and equal to this
    enum class Pasid : uint8_t {
        none,
        exact,
        fresh
    } pasid_rule = Pasid::none;
    uint32_t pasid = 0;      // exact: the PASID the mm holds
    uint32_t lo = 0, hi = 0; // fresh: the effective range
    ClauseId pasid_clause = ClauseId::BIND_2;
    std::vector<Callback> callbacks;  // the mm_exit callbacks due, sorted
    std::vector<PageExpectation> dma; // dma: one per page
    // I/O page faults.
    std::vector<FaultRecord> raise;          // dma, page_request: what the hardware must queue
    bool raise_grpid = false;                // ... with these group indices (page_request); a dma's
                                             // group index is the device's choice
    bool stall = false;                      // the device stalls (SMMUv3) rather than sending PRI
    std::vector<Answer> answers;             // answers due during the op (unbind, page_response)
    bool respond = false;                    // page_response: the driver is called with answers[0]
    ClauseId code_clause = ClauseId::IOPF_2; // why answers[0] has its code
    uint32_t populate_mm = 0;                // page_response: pages the handler populates
    std::vector<uint64_t> populate;          // ... (virtual page numbers)
    std::vector<PageExpectation> retries;    // page_response: one per request with an access
    bool discard = false; // queue_overflow: the driver must drop the core's partial groups
    bool flush = false;   // unbind of the last reference: the core's groups of (dev, pasid)
                          // are answered INVALID before it returns (UNBIND-6)
    // bind in a handle profile: the handle it must return. same: the live
    // handle of (dev, mm), named `handle` (HANDLE-2); fresh: one that names
    // no other live handle (HANDLE-1).
    enum class Handle : uint8_t {
        none,
        same,
        fresh
    } handle_rule = Handle::none;
    uint32_t handle = 0;
    // The op names what does not exist (a handle no live bind returned, the
    // free of an mm that has not exited): not a driver's fault, a bad trace.
    std::string invalid;
};

struct Violation {
    ClauseId clause;
    std::string message;
    // A command rule: the invalidation (and sync) that was due and not
    // issued, as the architecture names it; a finding's `expected` shows it.
    std::string due = {};
};

class Reference {
public:
    Reference(const Topology &topology, const Profile &profile);

    // The live SVA domains by name (linux-6.12 on, as the ops' calls record
    // them), each with its mm, the IOMMU of the device it was allocated for,
    // and the (dev, pasid) it is attached to.
    struct SvaDomain {
        uint32_t mm = 0, iommu = 0;
        std::vector<std::pair<uint32_t, uint32_t>> attached;
    };
    using SvaDomains = std::map<uint32_t, SvaDomain>;
    // How many live SVA domains mm has on IOMMU iommu (DOMAIN-1: one, unless
    // an attach refused memory made the core allocate another).
    std::size_t sva_domains_of(uint32_t mm, uint32_t iommu) const;

    Expectation expect(const Op &op) const;
    std::optional<Violation> judge(const Op &op, const Expectation &exp, const Observation &obs,
                                   ClauseCounters *counters) const;
    void commit(const Op &op, const Expectation &exp, const Observation &obs);

    // expect + judge + commit in one; commits only when conformant.
    std::optional<Violation> step(const Op &op, const Observation &obs, ClauseCounters *counters);

    // The PASID an unbind argument names now.
    uint32_t resolve(const PasidArg &arg) const {
        return arg.of_mm ? pasid_of(arg.value) : arg.value;
    }
    // An op that names its bond by handle, naming it by device and mm as the
    // rfc2019 ops do (the op itself when the handle names no live bond).
    Op by_bond(const Op &op) const;
    // The live handles, by name: (dev, mm) of each.
    const std::map<uint32_t, std::pair<uint32_t, uint32_t>> &handles() const { return handles_; }

    const Topology &topology() const { return topo_; }

    // The CPU side of the mms: what an mm maps, as the mm model writes it.
    struct Page {
        uint64_t pa = 0;
        uint8_t perms = 0;
        bool present = false; // the CPU page table maps it (populated)
        bool mapped = false;  // the mm has a mapping (VMA) here, populated or not
        bool changed = false; // unmapped, protected or remapped since first mapped (HW-4)
        uint64_t old_pa = 0;  // the frame a remap replaced (0: none)
    };
    const std::map<uint64_t, Page> &pages(uint32_t mm) const { return mms_[mm].pages; }
    uint32_t asid_of(uint32_t mm) const { return mm + 1; } // the CPU's ASID, never 0
    // Physical frames of mapped pages come from here up; tables live below.
    static constexpr uint64_t kFrameBase = uint64_t{1} << 36;
    const Profile &profile() const { return *profile_; }

    // I/O page faults: the core's state, and what the handler does before
    // the driver sends its answer (populates the pages of a SUCCESS group;
    // the engine mirrors them into the CPU page tables).
    const FaultCore &fault_core() const { return faults_; }
    void populate(const Expectation &exp);
    bool pri_stopped(uint32_t dev) const { return devs_[dev].pri_stopped; }
    bool device_stalls(uint32_t dev) const;
    // The mm bound to (dev, pasid) now and its bond's generation (-1: none).
    int bond_owner(uint32_t dev, uint32_t pasid, uint64_t &gen) const;

    // Read-only views of the state, for generators and tests.
    uint32_t pasid_of(uint32_t mm) const { return mm < mms_.size() ? mms_[mm].pasid : 0; }
    bool mm_exited(uint32_t mm) const { return mms_[mm].exited; }
    bool mm_dropped(uint32_t mm) const { return mms_[mm].dropped; } // mm_free came
    // Is SVA on for the device: enabled (the feature calls), or from
    // linux-6.16, which has none, while an SVA domain is attached.
    bool sva_enabled(uint32_t dev) const {
        return profile_->feature_api ? devs_[dev].sva_enabled : devs_[dev].bonds > 0;
    }
    uint32_t bond_refs(uint32_t dev, uint32_t mm) const { return bond(dev, mm).refs; }
    uint32_t device_bonds(uint32_t dev) const { return devs_[dev].bonds; }
    // A bond that still holds references but whose entry an unbind tore
    // down: the driver lost count. BIND-4 when a later bind took one of
    // those references, UNBIND-1 otherwise.
    ClauseId blame_lost_bond(uint32_t dev, uint32_t mm) const {
        return bond(dev, mm).rebound ? ClauseId::BIND_4 : ClauseId::UNBIND_1;
    }
    // A bind of (dev, mm) failed when the platform refused it memory (ROBUST-4).
    bool bind_refused(uint32_t dev, uint32_t mm) const {
        return dev < devs_.size() && mm < mms_.size() && refused_binds_[dev * mms_.size() + mm];
    }
    // The PASID most recently returned to the pool (0: none yet): what an
    // unbind by mm named once it dropped the mm's last bond.
    uint32_t last_released_pasid() const { return released_.empty() ? 0 : released_.back(); }
    // The (dev, pasid) whose bond went last, if any: where a DMA meets HW-3.
    std::optional<std::pair<uint32_t, uint32_t>> last_unbound() const {
        if (unbound_.empty()) return std::nullopt;
        return unbound_.back();
    }
    bool sva_capable(uint32_t dev) const;
    bool iopf_first(uint32_t dev) const;       // FEAT-11
    bool may_decline_pri(uint32_t dev) const;  // FEAT-3: Linux's SMMUv3 takes no page requests
    bool sva_without_iopf(uint32_t dev) const; // FEAT-3, FEAT-11: SVA on a non-stall master
    void effective_range(uint32_t dev, uint32_t &lo, uint32_t &hi) const;

private:
    struct DeviceState {
        bool sva_enabled = false;
        bool param_set = false;
        uint32_t param_min = 1, param_max = 0xffffffffu;
        uint32_t bonds = 0; // live (dev, mm) bonds, exited mms' included
        // The clause that promised the current feature state, and whether a
        // query ran since (a query must not change it: FEAT-2).
        ClauseId feat_promise = ClauseId::FEAT_5;
        bool query_since = false;
        ClauseId param_promise = ClauseId::PARAM_1;
        bool pri_stopped = false;  // a Response Failure reached it (IOPF-6)
        bool iopf_enabled = false; // IOMMU_DEV_FEAT_IOPF (profiles with iopf_feature)
    };
    struct MmState {
        uint32_t pasid = 0; // 0: none
        bool exited = false;
        uint32_t bonds = 0;
        bool partially_unbound = false; // a bond went while others stayed
        bool dropped = false;           // mm_free: nothing outside its bonds holds it
        std::map<uint64_t, Page> pages; // by virtual page number
    };
    struct Bond {
        uint32_t refs = 0;
        uint64_t drvdata = 0;       // the first bind's
        bool rebound = false;       // a later bind took a reference ...
        uint64_t later_drvdata = 0; // ... with this drvdata
        bool failed_bind = false;   // a bind of (dev, mm) failed since the bond went
        uint64_t gen = 0;           // which bond of (dev, mm) this is (UNBIND-6)
        uint32_t handle = 0;        // handle profiles: its handle's name
        uint32_t ops = 0;           // linux-5.3: the ops set_ops gave it (0: none)
    };

    // features.cpp (FEAT)
    Expectation expect_has_feature(const Op &op) const;
    Expectation expect_feature_enabled(const Op &op) const;
    Expectation expect_enable_feature(const Op &op) const;
    Expectation expect_disable_feature(const Op &op) const;
    void commit_feature(const Op &op, const Expectation &exp, int rc);
    // param.cpp (PARAM)
    Expectation expect_set_sva_param(const Op &op) const;
    void commit_set_sva_param(const Op &op, const Expectation &exp, int rc);
    // bind.cpp (BIND)
    Expectation expect_bind(const Op &op) const;
    Expectation expect_bind_enabled(const Op &op) const; // as if SVA were enabled (linux-6.12)
    uint32_t core_gave_pasid(const Op &op) const;
    void commit_bind(const Op &op, const Expectation &exp, int rc, std::optional<uint32_t> pasid,
                     std::optional<uint32_t> handle);
    std::optional<Violation> judge_bind_pasid(const Op &op, const Expectation &exp,
                                              uint32_t pasid) const;
    ClauseId blame_bind_failure(const Op &op, const Expectation &exp, int rc) const;
    // domain.cpp (ATTACH, DOMAIN): the core's calls during a bind or unbind
    std::optional<Violation> walk_calls(const Op &op, const Observation &obs, SvaDomains &d,
                                        ClauseCounters *counters) const;
    // handle.cpp (HANDLE)
    Expectation expect_set_ops(const Op &op) const;
    void commit_set_ops(const Op &op, int rc);
    std::optional<Violation> judge_handle(const Op &op, const Expectation &exp,
                                          uint32_t handle) const;
    uint32_t unused_handle_name() const;
    // unbind.cpp (UNBIND)
    Expectation expect_unbind(const Op &op) const;
    void commit_unbind(const Op &op, int rc);
    ClauseId blame_unbind_rc(const Op &op, const Expectation &exp, int rc) const;
    // mm_exit.cpp (MMEXIT)
    Expectation expect_mm_exit(const Op &op) const;
    std::optional<Violation> judge_callbacks(const Op &op, const Expectation &exp,
                                             const std::vector<Callback> &fired) const;
    void commit_mm_exit(const Op &op);
    Expectation expect_mm_free(const Op &op) const;
    void commit_mm_free(const Op &op);
    void free_if_unreferenced(uint32_t mm); // PASID-6: the mm's PASID goes with the mm
    // hw.cpp (HW: what the hardware sees)
    Expectation expect_dma(const Op &op) const;
    std::optional<Violation> judge_dma(const Op &op, const Expectation &exp,
                                       const std::vector<DmaObservation> &dma) const;
    std::optional<Violation> judge_access(const Op &op, const PageExpectation &exp,
                                          const DmaObservation &dma, std::size_t k,
                                          const std::string &what) const;
    std::optional<Violation> judge_platform(const Op &op, const Observation &obs) const;
    void commit_mm_change(const Op &op);
    PageExpectation expect_access(uint32_t dev, bool has_pasid, uint32_t pasid, uint64_t va,
                                  uint8_t access) const;
    // iopf.cpp (IOPF)
    void expect_raise(const Op &op, Expectation &e) const;
    Expectation expect_page_request(const Op &op) const;
    Expectation expect_page_response(const Op &op) const;
    Expectation expect_fault_handler(const Op &op) const;
    Expectation expect_queue_overflow(const Op &op) const;
    void expect_unbind_flush(const Op &op, Expectation &e) const;
    uint32_t handle_group(const FaultGroup &g, ClauseId &why,
                          std::vector<uint64_t> &populate) const;
    std::optional<Violation> judge_faults(const Op &op, const Expectation &exp,
                                          const Observation &obs) const;
    std::optional<Violation> judge_discard(const Op &op, const Expectation &exp,
                                           const Observation &obs) const;
    void commit_faults(const Op &op, const Expectation &exp, const Observation &obs, int rc);
    void count_fault_checks(const Op &op, const Expectation &exp, const Observation &obs,
                            ClauseCounters &n) const;
    // robust.cpp (ROBUST): a call during which the platform refused memory.
    std::optional<Violation> judge_alloc_failure(const Op &op, const Expectation &exp,
                                                 const Observation &obs,
                                                 ClauseCounters *counters) const;
    // commit() of an op that names its bond by device and mm.
    void commit_step(const Op &op, const Expectation &exp, const Observation &obs);
    // judge() without the ROBUST-4 allowance.
    std::optional<Violation> judge_outcome(const Op &op, const Expectation &exp,
                                           const Observation &obs, ClauseCounters *counters) const;
    // pasid.cpp (PASID)
    int holder_of(uint32_t pasid, uint32_t except_mm) const; // -1: held by no other mm
    uint64_t free_in_range(uint32_t lo, uint32_t hi) const;
    uint32_t lowest_free(uint32_t lo, uint32_t hi) const;
    void take_pasid(uint32_t mm, uint32_t pasid);       // the mm holds pasid from now
    int bond_mm_of(uint32_t dev, uint32_t pasid) const; // -1: no bond for (dev, pasid)
    void release_pasid(uint32_t mm);

    Bond &bond(uint32_t dev, uint32_t mm) { return bonds_[dev * mms_.size() + mm]; }
    const Bond &bond(uint32_t dev, uint32_t mm) const { return bonds_[dev * mms_.size() + mm]; }

    Topology topo_;
    const Profile *profile_;
    std::vector<DeviceState> devs_;
    std::vector<MmState> mms_;
    std::vector<Bond> bonds_;          // [dev * mms + mm]
    std::vector<uint32_t> released_;   // PASIDs freed so far (UNBIND-3 blame)
    HeldPasids held_;                  // the mms' PASIDs, for lowest_free
    uint32_t failed_new_mm_binds_ = 0; // failed binds of mms without a PASID (BIND-7 blame)
    uint64_t next_frame_ = kFrameBase; // the next physical frame the CPU maps
    // [dev * mms + mm]: a bind of the pair failed when the platform refused
    // it memory (ROBUST-4). What the driver kept of it shows later as a bond,
    // a reference or a callback the reference does not have: BIND-7's blame.
    std::vector<bool> refused_binds_;
    std::vector<std::pair<uint32_t, uint32_t>>
        unbound_;                     // (dev, pasid) whose bond went (HW-3 blame)
    FaultCore faults_;                // the core's fault handlers and groups
    std::vector<FaultGroup> flushed_; // groups answered at unbind, latest last (UNBIND-6 blame)
    std::map<uint32_t, std::pair<uint32_t, uint32_t>> handles_; // live handle -> (dev, mm)
    SvaDomains domains_; // linux-6.12 on, as the ops' calls record them
    uint64_t next_gen_ = 1;
};

// The address page k of a DMA touches: the first at va, the others at their start.
uint64_t dma_page_va(const Op &op, uint32_t k);

// ROBUST-4: a rule over the tables broken right after a call during which the
// platform refused the driver memory: the call's handling of the failure left
// that trace. Re-tags v as ROBUST-4, naming the rule it broke.
void blame_alloc_failure(const Op &op, const Observation &obs, Violation &v);

// PASID-4: does this PASID read as a negative errno stored in a u32?
bool looks_like_errno(uint32_t pasid);

// Text for messages: "bind(dev 0, mm 1, drvdata 77)".
std::string describe(const Op &op, const Reference &ref);

} // namespace svac::ref
