// The op vocabulary: every step a test can take, and what a step makes
// visible. Every generator (the plain one, RapidCheck, libFuzzer, a trace
// file) produces these; the engine runs them; the reference judges them.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "reference/clauses.h"

namespace svac::ref {

enum class OpKind : uint8_t {
    has_feature,
    feature_enabled,
    enable_feature,
    disable_feature,
    set_sva_param,
    bind,
    unbind,
    mm_exit,
    mm_map,     // the CPU maps pages of an mm (the mm model writes its page table)
    mm_unmap,   // ... unmaps them; the driver's mmu notifier runs
    mm_protect, // ... changes their permissions; the driver's mmu notifier runs
    dma,        // a device issues a transaction; the hardware model walks the tables
    // I/O page faults
    page_request,             // a device sends one PCIe page request (or Stop Marker) as given
    page_response,            // the core answers one pending group of a device
    register_fault_handler,   // iommu_register_device_fault_handler (the core's IOPF handler)
    unregister_fault_handler, // iommu_unregister_device_fault_handler
    queue_overflow,           // the page request queue of the device's IOMMU overflows
    // Later API generations (reference/profile.h)
    set_ops, // linux-5.3: iommu_sva_set_ops(handle, ops): the handle's mm_exit callback
    mm_free, // the mm's last mmdrop: from linux-6.1 its PASID goes with it (PASID-6)
    count_
};

std::string_view op_name(OpKind k);
bool op_from_name(std::string_view name, OpKind &k);

// A PASID argument: a literal value, or "the PASID mm k holds now" (0 when it
// holds none), resolved when the op runs. Generated traces unbind through the
// symbolic form, so they replay against any driver's PASID choices.
struct PasidArg {
    bool of_mm = false;
    uint32_t value = 0; // the PASID, or the mm index when of_mm
    bool operator==(const PasidArg &) const = default;
};

// What a DMA came to, as the hardware model saw it.
struct DmaObservation {
    uint8_t kind = 0;   // DmaResult::Kind
    uint64_t pa = 0;    // translated: the output address
    uint8_t reason = 0; // DmaResult::Reason (informational: not judged)
    bool operator==(const DmaObservation &) const = default;
};

// A fault as the hardware raised it or as the driver reported it to the core
// (struct svac_fault, with its device).
struct FaultRecord {
    uint32_t dev = 0;
    uint32_t flags = 0; // SVAC_FAULT_PASID_VALID, _LAST_PAGE, _NEEDS_PASID
    uint32_t pasid = 0;
    uint32_t grpid = 0; // PRG index or STAG
    uint32_t perm = 0;  // SVAC_FAULT_PERM_*
    uint64_t addr = 0;
    bool operator==(const FaultRecord &) const = default;
};

// A response as it reached a device (PageResponse, with the device named).
struct ResponseRecord {
    uint32_t dev = 0; // kNoDevice: a StreamID / requester ID no device has
    bool stall = false;
    bool has_pasid = false;
    uint32_t pasid = 0;
    uint32_t group = 0;
    uint8_t code = 0; // PCIe response code (PRI) or CMD_RESUME action (stall)
    uint8_t raw = 0;  // as the driver encoded it
    bool automatic = false;
    bool operator==(const ResponseRecord &) const = default;
    static constexpr uint32_t kNoDevice = 0xffffffffu;
};

// An mm_exit callback as fired: mm_exit_cb(dev, pasid, drvdata).
struct Callback {
    uint32_t dev = 0;
    uint32_t pasid = 0;
    uint64_t drvdata = 0;
    bool operator==(const Callback &) const = default;
    auto operator<=>(const Callback &) const = default;
};

// A call the core made into the driver during a bind or an unbind of the
// domain-based contract (linux-6.12 on). Domains are named by small indices
// as handles are: each domain the driver allocated, in order, the lowest
// name no live domain has.
// A rule of an IOMMU's register interface the driver broke, as the hardware
// model saw it (SMMU-REG-*).
struct RegisterMisuse {
    ClauseId clause{};
    std::string what;
    bool operator==(const RegisterMisuse &) const = default;
};

struct DriverCall {
    enum class Kind : uint8_t {
        domain_alloc_sva, // (dev, mm) -> domain, rc
        set_dev_pasid,    // (domain, dev, pasid, old) -> rc
        remove_dev_pasid, // (dev, pasid, domain)
        domain_free,      // (domain)
    } kind = Kind::domain_alloc_sva;
    static constexpr uint32_t kNone = 0xffffffffu;    // old: nothing replaced
    static constexpr uint32_t kBlocked = 0xfffffffeu; // the blocked domain
    uint32_t dev = 0;
    uint32_t mm = 0;
    uint32_t pasid = 0;
    uint32_t domain = 0; // domain_alloc_sva: the domain named (when rc is 0)
    uint32_t old = kNone;
    int rc = 0;
    bool operator==(const DriverCall &) const = default;
};
std::string_view call_name(DriverCall::Kind k);
bool call_from_name(std::string_view name, DriverCall::Kind &k);

// What an op made visible. In a recorded trace each part is optional; from a
// driver every part is there (pasid: the out-parameter, whatever the rc).
struct Observation {
    std::optional<int> rc;         // return code; for queries 1 (true) or 0 (false)
    std::optional<uint32_t> pasid; // bind: the PASID (a handle's: get_pasid)
    // bind in a profile whose bind returns a handle: the handle's name, a
    // small index (each handle a bind returned, named in order of first
    // return; the name of a handle whose last unbind went may name another).
    std::optional<uint32_t> handle;
    std::optional<std::vector<Callback>> callbacks; // mm_exit callbacks fired during the op
    std::optional<std::vector<DriverCall>> calls;   // bind, unbind: the core's calls (domains)
    std::optional<std::vector<DmaObservation>> dma; // dma: one per page, in order
    // I/O page faults. raised: what the hardware put in its queues (and
    // lost: requests it dropped); faults: what the driver reported to the
    // core; code: the answer the core sent through page_response;
    // responses: what reached the devices; retries: the outcome of each
    // request of an answered group, as the device retried or gave up.
    std::optional<std::vector<FaultRecord>> raised;
    std::optional<uint32_t> lost;
    std::optional<std::vector<FaultRecord>> faults;
    std::optional<uint8_t> code;
    std::optional<std::vector<ResponseRecord>> responses;
    std::optional<std::vector<DmaObservation>> retries;
    std::optional<uint32_t> discarded; // discard_partial calls
    // What the platform saw during the op: stores outside the driver's
    // memory, frees of blocks it did not hold and, in a bind, a store past
    // the u32 *pasid (HW-8), commands left
    // without a sync when it returned and commands the IOMMU refused as
    // ill-formed (HW-9).
    std::optional<uint32_t> stray_stores;
    std::optional<uint32_t> unsynced_commands;
    std::optional<uint32_t> bad_frees;
    std::optional<uint32_t> refused_commands;
    // The register interface (a kernel driver's path): set when the driver
    // used it during the op (a command queue moved, a guarded register
    // written), with the rules it broke (none: empty).
    std::optional<std::vector<RegisterMisuse>> register_misuse;
    bool pasid_overrun = false;
    // The platform refused an allocation the driver asked for during the op
    // (a fail-nth sweep): the call may fail with -ENOMEM (ROBUST-4).
    bool alloc_failed = false;

    // Made and dropped at every step: one out-of-line copy of these (op.cpp),
    // built with the library's flags, rather than an inline one in every
    // caller (and under a fuzz target's coverage instrumentation).
    Observation();
    Observation(const Observation &);
    Observation(Observation &&) noexcept;
    Observation &operator=(const Observation &);
    Observation &operator=(Observation &&) noexcept;
    ~Observation();
    bool operator==(const Observation &) const = default;
};

struct Op {
    OpKind kind = OpKind::has_feature;
    uint32_t dev = 0;
    uint32_t mm = 0;
    uint32_t feat = 0; // feature value: SVAC_FEAT_SVA or an unknown one
    uint32_t min = 0;  // set_sva_param
    uint32_t max = 0;
    uint64_t drvdata = 0;   // bind
    PasidArg pasid;         // unbind, dma
    bool by_handle = false; // unbind, set_ops: name the bond by its handle (handle profiles)
    uint32_t handle = 0;    // ... its name (Observation::handle)
    uint32_t ops = 0;       // set_ops: which ops (0: none); a callback's ops are named alike
    bool no_pasid = false;  // dma without a PASID
    uint64_t va = 0;        // mm_map, mm_unmap, mm_protect, dma, page_request
    uint32_t pages = 0;     // mm_map, mm_unmap, mm_protect; dma: its length in pages (>= 1)
    uint8_t perms = 0;      // mm_map, mm_protect: Perm mask; dma: the access (one Perm);
                            // page_request: the access requested (0 with stop)
    bool lazy = false;      // mm_map: a mapping whose pages are populated on first fault
    uint32_t group = 0;     // page_request: the PRG index; page_response: with has_group
    bool has_group = false; // page_response: answer this group, else the oldest pending one
    bool last = false;      // page_request: Last (closes its group)
    bool stop = false;      // page_request: a Stop Marker
    bool bad_sid = false;   // page_request: from a requester ID no device has
    // page_response: who answers. handler: the core's IOPF handler resolves
    // the group against the mm; invalid / failure: the consumer gives up.
    enum class Answer : uint8_t {
        handler,
        invalid,
        failure
    } answer = Answer::handler;
    Observation recorded; // outcomes a trace recorded (check-trace judges them)
    bool operator==(const Op &) const = default;
};

// Does the op take a device / an mm / a feature?
bool op_has_dev(OpKind k);
bool op_has_mm(OpKind k);
bool op_has_feat(OpKind k);
bool op_is_query(OpKind k);
bool op_is_mm_change(OpKind k); // mm_map, mm_unmap, mm_protect
bool op_returns(
    OpKind k); // has a return code (not mm_exit, mm_*, dma, page_request, queue_overflow)
bool op_is_fault_core(
    OpKind k); // register/unregister_fault_handler: the core alone, no driver call

// The name a new handle or domain takes: the lowest no live one has (`live`
// is ordered by name, as a std::map from name to anything).
template <class LiveByName> uint32_t lowest_free_name(const LiveByName &live) {
    uint32_t name = 0;
    for (const auto &entry : live) {
        if (entry.first != name) break;
        ++name;
    }
    return name;
}

struct Profile;
// Is the op in profile p's vocabulary? set_sva_param: rfc2019; the feature
// queries up to linux-5.3; the feature calls up to linux-6.12; set_ops:
// linux-5.3; mm_free from linux-6.1; the fault handler registration up to
// linux-6.1.
bool op_in_profile(OpKind k, const Profile &p);

// "rwx" <-> Perm mask.
std::string perms_name(uint8_t perms);
bool perms_from_name(std::string_view name, uint8_t &perms);

} // namespace svac::ref
