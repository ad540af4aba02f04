// check-tables: a snapshot (snapshot.h) judged by the hardware model and the
// live-table invariants (reference/invariants.h) — the same model and the
// same formulas a live run uses, walked from the snapshot's registers. Rules
// that need bond state (which mm a PASID is bound to, what the driver was
// asked to do) cannot be judged from tables alone: a snapshot has none.
// Verdicts are values; cli/check_tables.cpp prints them and writes reports.
#pragma once

#include "engine/snapshot.h"
#include "reference/clauses.h"
#include "reference/hw_model.h"
#include "reference/invariants.h"

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace svac::engine {

// The format of a decoded table, if invariants are written over it
// ("STE" -> the SMMUv3 STE format, ...).
const ref::Format *table_format(const std::string &table);

// One formula evaluated over the entries of its format.
struct FormulaVerdict {
    const ref::inv::Formula *formula = nullptr;
    std::size_t entries = 0; // of its format
    struct Breach {
        std::size_t entry;                // index into the judged entries
        std::optional<std::size_t> other; // a pair formula's second entry
        std::string message;              // "breaks ... (fields)"
    };
    std::vector<Breach> breaches;
};

// Every invariant over `entries` (per-entry formulas on each entry, pair
// formulas on each pair of the same format), in the catalog's order; a
// formula no entry's format carries is left out. dump-tables and
// check-tables both judge through it.
std::vector<FormulaVerdict> judge_entries(const std::vector<ref::DecodedEntry> &entries,
                                          const ref::inv::Caps &caps = {});

// The capabilities a snapshot's invariants read: its own ID registers where
// it gives them (VT-d CAP_REG.SAGAW), else the model's.
ref::inv::Caps snapshot_caps(const Snapshot &s);

// "CD sid 1 ssid 2 @ 0x10003040"
std::string entry_name(const ref::DecodedEntry &e);

struct ProbeOutcome {
    Probe probe;
    ref::DmaResult result;
    std::string disagreement; // the probe's expectation not met ("" if met, or none)
};

struct TablesCheck {
    ref::Arch arch = ref::Arch::smmuv3;
    std::vector<uint32_t> sids; // the StreamIDs / requester IDs walked
    // Every entry the walk reached that the hardware would read: entries
    // marked invalid (STE V=0, context or PASID entry P=0) are counted,
    // their other fields not judged.
    std::vector<ref::DecodedEntry> entries;
    std::size_t invalid_entries = 0;
    std::vector<FormulaVerdict> formulas;
    std::vector<ProbeOutcome> probes;
    std::vector<uint64_t> missing;      // words the walk read that the snapshot lacks (the
                                        // first SnapshotMemory::kMissingKept)
    uint64_t missing_reads = 0;         // reads of such words, all of them
    std::vector<std::size_t> unreached; // extents none of whose words the walk read
    std::vector<uint64_t> pages;        // the 4 KiB pages read (the tables and the probes' walks)
    std::vector<std::string> notes;     // assumptions made ("SMMU_CR0 not given: ...")

    std::size_t breaches() const;
    std::size_t failed_probes() const;
    bool conformant() const { return breaches() == 0 && failed_probes() == 0; }
};

// Walks and judges a snapshot. Throws InputError when the registers cannot
// be walked from (a stream table larger than the kit walks, ...).
TablesCheck check_tables(const Snapshot &s);

// Probes for each page the non-PASID path of each walked device maps: the
// SMMUv3 CD[0] of a stage-1 STE, the VT-d PASID entry RID_PASID with a
// second stage. Each expects the address found by listing the page table's
// leaves — a walk of its own, independent of the hardware model's, which
// the probes then check. At most `max` in all (a block counts once).
std::vector<Probe> mapped_page_probes(const Snapshot &s, const TablesCheck &c, std::size_t max);

// The snapshot with only the memory its check read (c.pages: the tables and
// the probes' walks), whole pages as inline extents: what a capture keeps.
Snapshot trimmed_snapshot(const Snapshot &s, const TablesCheck &c);

} // namespace svac::engine
