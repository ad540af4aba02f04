// The Z3 checks of `sva-conform prove` (issue 7; docs/formal.md): layouts,
// codecs, PASID index math, hitless update plans and live-table invariants,
// each named, tied to the invariants of docs/formal.md, and
// answered with one of four verdicts. A check's inputs are the kit's own
// code (the reference's formats and codec, its invariants, the bundled
// drivers' index functions and entry writer); each takes its subject as a
// parameter too, so that a test can hand it a deliberately broken variant.
#pragma once

#include "properties/formal/smt.h"
#include "properties/formal/word_ops.h"
#include "reference/codec.h"
#include "reference/invariants.h"

#include <nlohmann/json.hpp>

#include <cstdint>
#include <functional>
#include <span>
#include <string>
#include <vector>

namespace svac::formal {

using json = nlohmann::ordered_json;

struct Options {
    double timeout_s = 10; // per solver query
};

struct CheckResult {
    std::string name;                        // "hitless.smmuv3.cd.sva-to-release"
    std::string format;                      // "smmuv3" | "vtd"
    std::vector<std::string> clauses;        // docs/formal.md invariant IDs: "A10", "G1"
    std::string proves;                      // one line: what a `proved` means
    Verdict verdict = Verdict::error;        //
    double seconds = 0;                      // solver and encoding time
    unsigned queries = 0;                    // solver calls made
    std::string reason;                      // unknown / error: why
    std::vector<std::string> counterexample; // decoded, one line each
};

// "V=1 Config=0x5 S1CDMax=0x14": the fields of an entry that are not zero
// ("all fields 0" when none is), by the format's field names.
std::string decode(const ref::Format &f, const uint64_t *qwords);

// --- 1. Layouts (G1, G3) ---
// Every field lies inside its qword and the entry, no two fields share a
// bit, and the reserved mask is exactly the bits no field claims.
CheckResult check_layouts(const std::string &name, const std::string &format,
                          std::span<const ref::Format *const> formats, const Options &opt);

// --- 2. Codecs (G2) ---
// The codec under test: reference/codec.h's get/set on bit-vectors by default.
struct Codec {
    std::function<Expr(const Expr *entry, const ref::Field &f)> get;
    std::function<void(Expr *entry, const ref::Field &f, const Expr &v)> set;
};
Codec kit_codec();
// decode(encode(v)) = v for every value of every field, and encode(decode(E))
// = E for every E with its reserved bits zero.
CheckResult check_codecs(const std::string &name, const std::string &format,
                         std::span<const ref::Format *const> formats, const Codec &codec,
                         const Options &opt);

// --- 3. Index math (X1-X3) ---
// A PASID's slot in a driver's tables, and the limits the driver writes.
struct SlotScheme {
    std::string table; // "linear CD table", "2-level CD table", "PASID directory/table"
    // The slot of a PASID: (first-level index, second-level index); a
    // single-level table has 0 as its second index.
    std::function<std::pair<Expr, Expr>(const Expr &pasid)> slot;
    // The slot the hardware reads for a PASID (the walk's own arithmetic).
    std::function<std::pair<Expr, Expr>(const Expr &pasid)> hw_slot;
    // For a PASID width the driver is given: whether this scheme is the
    // one it picks, the sizes of the two levels it allocates, and the
    // number of PASIDs the limit it writes lets the hardware index
    // (2^S1CDMax; 2^(PDTS+7) * 64).
    std::function<bool(uint32_t width)> applies;
    std::function<std::pair<uint64_t, uint64_t>(uint32_t width)> sizes;
    std::function<uint64_t(uint32_t width)> hw_reach;
    // The number of first-level entries the hardware may index (0: the
    // same as sizes().first).
    std::function<uint64_t(uint32_t width)> hw_first_level;
};
SlotScheme smmuv3_cd_linear_scheme();
SlotScheme smmuv3_cd_2level_scheme();
SlotScheme vtd_pasid_scheme();
// For every PASID width 1..20 the scheme applies to and every [lo, hi]
// inside it: each slot in bounds, distinct PASIDs in distinct slots, the
// driver's slot the hardware's, and the limit covering hi.
CheckResult check_index(const std::string &name, const std::string &format,
                        const std::vector<std::string> &clauses, const SlotScheme &scheme,
                        const Options &opt);

// --- 4. Hitless plans (A10, A12, I4) ---
using Qwords = arm_smmu::entry_qwords_t<Expr>;
using EntryPlan = arm_smmu::entry_write_plan_t<Expr>;
using Planner = std::function<EntryPlan(const Qwords &cur, const Qwords &target)>;
enum class EntryKind {
    ste,
    cd
};
// The driver's planner (arm_smmu_plan_entry_write_t) for STEs or CDs.
Planner driver_planner(EntryKind kind);
// A class of (current, target) pairs: a constraint over both entries.
struct Transition {
    std::string name; // "sva-to-release"
    std::string description;
    EntryKind kind;
    std::function<Expr(const Qwords &cur, const Qwords &target)> constraint;
};
std::vector<Transition> sva_transitions();
// Every state the hardware can see after each 64-bit store of the plan is
// current or target on the bits it uses, or invalid only where one end is
// invalid or no hitless sequence exists; the final entry is the target; at
// most 3 syncs.
CheckResult check_hitless(const std::string &name, const Transition &t, const Planner &planner,
                          const Options &opt);

// VT-d: the PASID entry stores of the driver's setup and teardown.
struct PasidStore {
    unsigned qword;
    Expr value;
    Expr stored; // boolean: the store happens
};
using PasidWriter =
    std::function<std::vector<PasidStore>(const Expr &q0, const Expr &q1, const Expr &q2)>;
PasidWriter driver_pasid_setup();
// Setup of a not-present (zero) entry: P=0 in every state but the last,
// which is the target.
CheckResult check_pasid_setup(const std::string &name, const PasidWriter &w, const Options &opt);
// Teardown: P=0 after the first store, and the entry ends not present.
CheckResult check_pasid_teardown(const std::string &name, const PasidWriter &w, const Options &opt);
PasidWriter driver_pasid_teardown(bool fault_ignore);

// --- 5. Live-table invariants (A1-A7, I1-I3, G3, G4) ---
// The formulas of reference/invariants.h whose names start with "format."
// ("smmuv3", "vtd"): the ones the table rules evaluate on every run.
std::vector<const ref::inv::Formula *> kit_invariants(const std::string &format);
// The formula set is consistent and each formula matters: for each
// per-entry formula, some entry satisfying all formulas of its format meets
// its guard (not vacuous) and some entry satisfying the others breaks it (not
// redundant, nor implied by the layout); each pair formula can hold and can
// be broken by two entries that each satisfy the per-entry formulas.
CheckResult check_invariant_set(const std::string &name, const std::string &format,
                                std::span<const ref::inv::Formula *const> formulas,
                                const Options &opt);
// Every state the SMMUv3 entry writer lets the hardware read, in every
// transition class, from and to entries satisfying the per-entry formulas,
// satisfies them.
CheckResult check_invariant_writer(const std::string &name,
                                   std::span<const ref::inv::Formula *const> formulas,
                                   const std::vector<Transition> &transitions,
                                   const std::function<Planner(EntryKind)> &planner_of,
                                   const Options &opt);
// A concrete table (entries of format f): each entry satisfies the per-entry
// formulas, each two the pair formulas; a counterexample names the formula
// and decodes the entries.
CheckResult check_invariant_table(const std::string &name, const ref::Format &f,
                                  const std::vector<std::vector<uint64_t>> &entries,
                                  std::span<const ref::inv::Formula *const> formulas,
                                  const Options &opt);

// --- all ---
// The checks of one format ("smmuv3", "vtd") or of both ("all").
std::vector<CheckResult> run_checks(const std::string &format, const Options &opt);
json to_json(const CheckResult &r, bool with_times = true);
// The `formal` section of a report: {"format", "verdict", "seconds",
// "checks": [...]}.
// with_times: each check's seconds and the total (leave them out where the
// output must be reproducible byte for byte).
json results_json(const std::vector<CheckResult> &results, const std::string &format,
                  bool with_times = true);
json results_json(const std::string &format, const Options &opt = {}, bool with_times = true);

} // namespace svac::formal
