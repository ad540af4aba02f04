// HW-7, no torn entry (Linux arm_smmu_write_entry; invariants A10/A12, I4/I5
// of docs/formal.md): the pure functions judge_update (table_rules.h) stands on, and
// the collector the hardware models use to answer IommuModel::live_entries.
#pragma once

#include "reference/codec.h"
#include "reference/hw_model.h"

#include <algorithm>
#include <array>
#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

namespace svac::ref {

namespace hitless {

using Table = LiveEntry::Table;
inline constexpr unsigned kMaxQwords = 8;
using Qwords = std::array<uint64_t, kMaxQwords>;

// The entry's size in 64-bit words, and its short name ("STE", "PASID entry").
unsigned qwords_of(Table t);
std::string_view table_name(Table t);
// The name of the field that says whether the entry is valid: "V", "P", ...
std::string_view valid_field_name(Table t);

// The fields of the entry's format (for a root entry half: its LP/LCTP or
// UP/UCTP, as qword 0).
std::span<const Field> fields_of(Table t);

// Whether the hardware takes the entry as valid (V=1, P=1, Span in 1..11).
bool valid(Table t, const uint64_t *e);

// The bits the hardware reads of entry e, given e (Linux arm_smmu_get_ste_used
// and _cd_used for the STE and CD; an invalid entry uses its valid bit (and FPD on VT-d)
// only, a valid one every bit otherwise).
Qwords used_bits(Table t, const uint64_t *e);

// Bits that may change in place between cur and target although both use
// them (STE MEV and EATS_TRANS, Linux arm_smmu_get_ste_update_safe); zero for other tables.
Qwords update_safe(Table t, const uint64_t *cur, const uint64_t *target);

// The qwords (bit i: qword i) that differ in bits target uses once the bits
// cur ignores have taken their target values: `diff` of Linux arm_smmu_write_entry.
uint8_t qword_diff(Table t, const uint64_t *cur, const uint64_t *target);

// Whether old -> new may pass through an invalid entry: one end is invalid,
// or no hitless sequence exists (more than one qword in the diff; any
// present -> present change of a multi-qword VT-d entry, invariant I5 of
// docs/formal.md).
bool invalid_allowed(Table t, const uint64_t *old_e, const uint64_t *new_e);

} // namespace hitless

// Builds the answer of IommuModel::live_entries: a model walks its tables
// and offers each table it reaches; the collector keeps the entries holding
// one of the addresses asked for.
class LiveEntryCollector {
public:
    LiveEntryCollector(std::span<const uint64_t> pas, std::vector<LiveEntry> &out)
        : pas_(pas), out_(out), found_(pas.size(), false), left_(pas.size()) {}

    // The table [base, base + count * bytes): each entry holding an address
    // is appended as make(index), with its pa and size filled in.
    template <typename Make>
    void table(uint64_t base, uint64_t count, unsigned bytes, const Make &make) {
        const uint64_t end = base + count * bytes;
        auto it = std::lower_bound(pas_.begin(), pas_.end(), base);
        while (it != pas_.end() && *it < end) {
            const uint64_t index = (*it - base) / bytes, pa = base + index * bytes;
            LiveEntry e = make(index);
            e.pa = pa;
            e.qwords = static_cast<uint8_t>(bytes / 8);
            out_.push_back(e);
            for (; it != pas_.end() && *it < pa + bytes; ++it) {
                auto i = static_cast<std::size_t>(it - pas_.begin());
                if (!found_[i]) {
                    found_[i] = true;
                    --left_;
                }
            }
        }
    }
    // Whether an address asked for lies in [lo, hi).
    bool any_in(uint64_t lo, uint64_t hi) const {
        auto it = std::lower_bound(pas_.begin(), pas_.end(), lo);
        return it != pas_.end() && *it < hi;
    }
    // Calls f(pa) for each address not yet in an entry found.
    template <typename Fn> void each_pending(const Fn &f) {
        for (std::size_t i = 0; i < pas_.size(); ++i)
            if (!found_[i]) f(pas_[i]);
    }
    // Every address asked for is in an entry found: a walk may stop.
    bool done() const { return left_ == 0; }

private:
    std::span<const uint64_t> pas_;
    std::vector<LiveEntry> &out_;
    std::vector<bool> found_;
    std::size_t left_;
};

} // namespace svac::ref
