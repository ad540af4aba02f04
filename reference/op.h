// The op vocabulary: every step a test can take, and what a step makes
// visible. Every generator (the plain one, RapidCheck, libFuzzer, a trace
// file) produces these; the engine runs them; the reference judges them.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

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

// An mm_exit callback as fired: mm_exit_cb(dev, pasid, drvdata).
struct Callback {
    uint32_t dev = 0;
    uint32_t pasid = 0;
    uint64_t drvdata = 0;
    bool operator==(const Callback &) const = default;
    auto operator<=>(const Callback &) const = default;
};

// What an op made visible. In a recorded trace each part is optional; from a
// driver every part is there (pasid: the out-parameter, whatever the rc).
struct Observation {
    std::optional<int> rc; // return code; for queries 1 (true) or 0 (false)
    std::optional<uint32_t> pasid;
    std::optional<std::vector<Callback>> callbacks; // mm_exit callbacks fired during the op
    std::optional<DmaObservation> dma;
    // What the platform saw during the op: stores outside the driver's
    // memory (HW-8) and commands left without a sync when it returned (HW-9).
    std::optional<uint32_t> stray_stores;
    std::optional<uint32_t> unsynced_commands;
    bool operator==(const Observation &) const = default;
};

struct Op {
    OpKind kind = OpKind::has_feature;
    uint32_t dev = 0;
    uint32_t mm = 0;
    uint32_t feat = 0; // feature value: SVAC_FEAT_SVA or an unknown one
    uint32_t min = 0;  // set_sva_param
    uint32_t max = 0;
    uint64_t drvdata = 0;  // bind
    PasidArg pasid;        // unbind, dma
    bool no_pasid = false; // dma without a PASID
    uint64_t va = 0;       // mm_map, mm_unmap, mm_protect, dma
    uint32_t pages = 0;    // mm_map, mm_unmap, mm_protect
    uint8_t perms = 0;     // mm_map, mm_protect: Perm mask; dma: the access (one Perm)
    Observation recorded;  // outcomes a trace recorded (check-trace judges them)
    bool operator==(const Op &) const = default;
};

// Does the op take a device / an mm / a feature?
bool op_has_dev(OpKind k);
bool op_has_mm(OpKind k);
bool op_has_feat(OpKind k);
bool op_is_query(OpKind k);
bool op_is_mm_change(OpKind k); // mm_map, mm_unmap, mm_protect
bool op_returns(OpKind k);      // has a return code (not mm_exit, mm_* or dma)

// "rwx" <-> Perm mask.
std::string perms_name(uint8_t perms);
bool perms_from_name(std::string_view name, uint8_t &perms);

} // namespace svac::ref
