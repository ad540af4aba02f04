// Check 4: hitless update plans (Linux arm_smmu_write_entry; A10/A12 and
// I4 of docs/formal.md). The SMMUv3 driver's entry writer (models/smmuv3/entry_writer.h) and
// the VT-d driver's PASID entry stores (models/vtd/pasid_entry_writer.h)
// run on bit-vectors over every (current, target) pair of a transition
// class; each state the hardware can read is judged by the reference's
// rules for the bits it uses (reference/used_bits.h), as the HW-7 judge
// does on concrete runs.
#include "models/smmuv3/entry_writer.h"
#include "models/vtd/pasid_entry_writer.h"
#include "properties/formal/check_support.h"
#include "properties/formal/checks.h"
#include "properties/formal/word_ops.h"
#include "reference/smmuv3_format.h"
#include "reference/used_bits.h"
#include "reference/vtd_format.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>

namespace svac::formal {

namespace {

namespace ste = ref::smmuv3::ste;
namespace cd = ref::smmuv3::cd;
namespace pe = ref::vtd::pasid_entry;
constexpr unsigned kQ = arm_smmu::NUM_ENTRY_QWORDS;

const ref::Format &format_of(EntryKind k) {
    return k == EntryKind::ste ? ste::kFormat : cd::kFormat;
}

Expr F(const Qwords &e, const ref::Field &f) {
    return ref::get<Expr>(e.data(), f);
}

Qwords entry_vars(const std::string &prefix) {
    Qwords e;
    for (unsigned i = 0; i < kQ; ++i)
        e[i] = Expr::var(fresh_name(prefix + ".q" + std::to_string(i)));
    return e;
}

Expr valid(EntryKind k, const Qwords &e) {
    return k == EntryKind::ste ? ref::used::ste_valid(e.data()) : ref::used::cd_valid(e.data());
}

Qwords used_of(EntryKind k, const Qwords &e) {
    return k == EntryKind::ste ? ref::used::ste(e.data()) : ref::used::cd(e.data());
}

Qwords safe_of(EntryKind k, const Qwords &cur, const Qwords &tgt) {
    if (k == EntryKind::ste) return ref::used::ste_update_safe(cur.data(), tgt.data());
    Qwords z;
    z.fill(Expr::bv(0));
    return z;
}

Expr all_zero(const Qwords &e) {
    std::vector<Expr> z;
    for (const Expr &q : e) z.push_back(q == 0);
    return Expr::all(z);
}

// What a builder produces: reserved bits zero (G3) and only bits the entry
// itself uses (A8, the WARN of arm_smmu_entry_qword_diff).
Expr builder_like(EntryKind k, const Qwords &e) {
    const ref::Format &f = format_of(k);
    Qwords u = used_of(k, e);
    std::vector<Expr> c;
    for (unsigned i = 0; i < kQ; ++i) {
        c.push_back((e[i] & f.reserved_mask(i)) == 0);
        c.push_back((e[i] & ~u[i]) == 0);
    }
    return Expr::all(c);
}

// Qwords from..7 are zero: what the builders leave of their memset
// (as the Linux arm_smmu_make_* builders).
Expr zero_from(const Qwords &e, unsigned from) {
    std::vector<Expr> z;
    for (unsigned i = from; i < kQ; ++i) z.push_back(e[i] == 0);
    return Expr::all(z);
}

// The SVA CD of an mm (SMMU-CD-1) and its release CD (SMMU-CD-2), as
// arm_smmu_make_sva_cd builds them: q2 and q4..q7 zero, MAIR in q3.
Expr sva_cd(const Qwords &e) {
    return builder_like(EntryKind::cd, e) && e[2] == 0 && zero_from(e, 4) && F(e, cd::V) == 1 &&
           F(e, cd::EPD0) == 0 && F(e, cd::AA64) == 1 && F(e, cd::EPD1) == 1 && F(e, cd::R) == 1 &&
           F(e, cd::A) == 1 && F(e, cd::ASET) == 1 && F(e, cd::ASID) != 0;
}
Expr release_cd(const Qwords &e) {
    return builder_like(EntryKind::cd, e) && e[2] == 0 && zero_from(e, 4) && F(e, cd::V) == 1 &&
           F(e, cd::EPD0) == 1 && F(e, cd::S) == 0 && F(e, cd::R) == 0 && F(e, cd::AA64) == 1 &&
           F(e, cd::EPD1) == 1 && F(e, cd::A) == 1 && F(e, cd::ASET) == 1 && F(e, cd::ASID) != 0;
}
// a and b agree on every field of the format but `except`.
Expr same_but(EntryKind k, const Qwords &a, const Qwords &b,
              std::initializer_list<const ref::Field *> except) {
    std::vector<Expr> c;
    for (const ref::Field &f : format_of(k).fields)
        if (std::none_of(except.begin(), except.end(),
                         [&](const ref::Field *x) { return x->name == f.name; }))
            c.push_back(F(a, f) == F(b, f));
    return Expr::all(c);
}

// STEs as the builders make them: q3..q7 zero unless stage 2 is on (no
// SVA STE has it), and a Config A1 allows.
Expr sva_ste(const Qwords &e) {
    return builder_like(EntryKind::ste, e) && zero_from(e, 3);
}
Expr abort_ste(const Qwords &e) {
    return sva_ste(e) && F(e, ste::V) == 1 && F(e, ste::Config) == ste::CONFIG_ABORT;
}
Expr bypass_ste(const Qwords &e) {
    return sva_ste(e) && F(e, ste::V) == 1 && F(e, ste::Config) == ste::CONFIG_BYPASS;
}
// A CD-table STE (SMMU-STE-1): S1Fmt linear or 64 KiB leaves, S1CDMax <= 20.
Expr cdtable_ste(const Qwords &e) {
    Expr fmt = F(e, ste::S1Fmt);
    return sva_ste(e) && F(e, ste::V) == 1 && F(e, ste::Config) == ste::CONFIG_S1_TRANS &&
           (fmt == ste::S1FMT_LINEAR || fmt == ste::S1FMT_64K_L2) && F(e, ste::S1CDMax).ule(20) &&
           F(e, ste::S1DSS).ule(ste::S1DSS_SSID0);
}

Expr at_least_two(const std::array<Expr, 8> &d, unsigned n) {
    std::vector<Expr> pairs;
    for (unsigned i = 0; i < n; ++i)
        for (unsigned j = i + 1; j < n; ++j) pairs.push_back(d[i] && d[j]);
    return Expr::any(pairs);
}

// One state the hardware can read: after `store` of the plan.
struct Seen {
    unsigned step, qword; // the last store: step 0..2, qword
    Qwords m;
};

// The fields where state m, on the bits it uses, matches neither end.
std::vector<std::string> torn_fields(const ref::Format &f, const uint64_t *m, const uint64_t *cur,
                                     const uint64_t *tgt, const uint64_t *used) {
    std::vector<std::string> names;
    for (const ref::Field &fl : f.fields) {
        uint64_t mask = fl.mask() & used[fl.qword];
        uint64_t sv = m[fl.qword] & mask;
        if (!mask || (sv == (cur[fl.qword] & mask) && sv == (tgt[fl.qword] & mask))) continue;
        std::string from = sv == (cur[fl.qword] & mask)   ? "current"
                           : sv == (tgt[fl.qword] & mask) ? "target"
                                                          : "neither";
        names.push_back(fmt::format("{} (from {})", fl.name, from));
    }
    return names;
}

} // namespace

Planner driver_planner(EntryKind kind) {
    if (kind == EntryKind::ste)
        return [](const Qwords &cur, const Qwords &tgt) {
            return arm_smmu::arm_smmu_plan_entry_write_t<Expr>(
                [](const Qwords &e) { return arm_smmu::arm_smmu_get_ste_used<Expr>(e); },
                [](const Qwords &c, const Qwords &t) {
                    return arm_smmu::arm_smmu_get_ste_update_safe<Expr>(c, t);
                },
                cur, tgt);
        };
    return [](const Qwords &cur, const Qwords &tgt) {
        return arm_smmu::arm_smmu_plan_entry_write_t<Expr>(
            [](const Qwords &e) { return arm_smmu::arm_smmu_get_cd_used<Expr>(e); },
            [](const Qwords &c, const Qwords &t) {
                return arm_smmu::arm_smmu_no_update_safe<Expr>(c, t);
            },
            cur, tgt);
    };
}

std::vector<Transition> sva_transitions() {
    using K = EntryKind;
    auto zero = [](const Qwords &, const Qwords &t) { return all_zero(t); };
    return {
        {"cd.invalid-to-sva", "an invalid CD (V=0, any other bits) -> an SVA CD (bind)", K::cd,
         [](const Qwords &c, const Qwords &t) { return F(c, cd::V) == 0 && sva_cd(t); }},
        {"cd.sva-to-release", "the SVA CD of an mm -> its release CD (mm exit)", K::cd,
         [](const Qwords &c, const Qwords &t) {
             return sva_cd(c) && release_cd(t) &&
                    same_but(K::cd, c, t,
                             {&cd::EPD0, &cd::S, &cd::R, &cd::T0SZ, &cd::TG0, &cd::IR0, &cd::OR0,
                              &cd::SH0, &cd::TTB0, &cd::HAFT});
         }},
        {"cd.release-to-invalid", "a release CD -> the cleared CD (unbind after exit)", K::cd,
         [zero](const Qwords &c, const Qwords &t) { return release_cd(c) && zero(c, t); }},
        {"cd.sva-to-invalid", "an SVA CD -> the cleared CD (unbind)", K::cd,
         [zero](const Qwords &c, const Qwords &t) { return sva_cd(c) && zero(c, t); }},
        {"cd.sva-to-sva", "the SVA CD of one mm -> the SVA CD of another", K::cd,
         [](const Qwords &c, const Qwords &t) { return sva_cd(c) && sva_cd(t); }},
        {"cd.sva-any", "any pair of the CDs SVA writes: invalid, SVA and release CDs", K::cd,
         [](const Qwords &c, const Qwords &t) {
             auto any = [](const Qwords &e) { return all_zero(e) || sva_cd(e) || release_cd(e); };
             return any(c) && any(t);
         }},
        {"ste.abort-to-cdtable", "an abort STE -> a CD-table STE", K::ste,
         [](const Qwords &c, const Qwords &t) { return abort_ste(c) && cdtable_ste(t); }},
        {"ste.bypass-to-cdtable", "a bypass STE -> a CD-table STE (enable SVA)", K::ste,
         [](const Qwords &c, const Qwords &t) { return bypass_ste(c) && cdtable_ste(t); }},
        {"ste.cdtable-to-bypass", "a CD-table STE -> a bypass STE (disable SVA)", K::ste,
         [](const Qwords &c, const Qwords &t) { return cdtable_ste(c) && bypass_ste(t); }},
        {"ste.cdtable-to-cdtable", "a CD-table STE -> the same with a new S1CDMax (and table)",
         K::ste,
         [](const Qwords &c, const Qwords &t) {
             return cdtable_ste(c) && cdtable_ste(t) && F(c, ste::S1CDMax) != F(t, ste::S1CDMax) &&
                    same_but(K::ste, c, t, {&ste::S1CDMax, &ste::S1Fmt, &ste::S1ContextPtr});
         }},
        // EATS and MEV stay as they are: the driver fixes ATS per master
        // and never sets MEV. Its writer has no update_safe (Linux
        // arm_smmu_get_ste_update_safe, 2025 kernels), so a change of EATS_TRANS or MEV plus one
        // other qword would pass through V=0 where the reference's rule stays hitless
        // (docs/formal.md).
        {"ste.sva-any",
         "any pair of the STEs SVA writes (abort, bypass, CD-table), EATS and MEV kept", K::ste,
         [](const Qwords &c, const Qwords &t) {
             auto any = [](const Qwords &e) {
                 return abort_ste(e) || bypass_ste(e) || cdtable_ste(e);
             };
             return any(c) && any(t) && F(c, ste::EATS) == F(t, ste::EATS) &&
                    F(c, ste::MEV) == F(t, ste::MEV);
         }},
    };
}

CheckResult check_hitless(const std::string &name, const Transition &t, const Planner &planner,
                          const Options &opt) {
    CheckResult r = start_check(
        name, "smmuv3", {"A10", "A11", "A12"},
        t.description +
            ": after every 64-bit store the entry is the current or the target one on the bits "
            "it uses, or invalid only where an end is invalid or no hitless sequence exists; at "
            "most 3 syncs; it ends as the target");
    const EntryKind k = t.kind;
    const ref::Format &f = format_of(k);
    Qwords cur = entry_vars("current"), tgt = entry_vars("target");
    EntryPlan plan = planner(cur, tgt);

    const Expr cur_valid = valid(k, cur), tgt_valid = valid(k, tgt);
    const Qwords safe = safe_of(k, cur, tgt);
    const auto diff =
        ref::used::qword_diff(used_of(k, cur), used_of(k, tgt), safe, cur.data(), tgt.data(), kQ);
    const Expr invalid_allowed = !cur_valid || !tgt_valid || at_least_two(diff, kQ);

    // Every state after each store, in order.
    std::vector<Seen> seen;
    Qwords prev = cur;
    for (unsigned s = 0; s < plan.steps.size(); ++s) {
        for (unsigned i = 0; i < kQ; ++i) {
            Qwords m;
            for (unsigned j = 0; j < kQ; ++j) m[j] = j <= i ? plan.steps[s].entry[j] : prev[j];
            seen.push_back({s, i, m});
        }
        prev = plan.steps[s].entry;
    }
    auto ok = [&](const Qwords &m) {
        Qwords u = used_of(k, m);
        std::vector<Expr> as_cur, as_tgt;
        for (unsigned i = 0; i < kQ; ++i) {
            Expr ui = u[i] & ~safe[i];
            as_cur.push_back(((m[i] ^ cur[i]) & ui) == 0);
            as_tgt.push_back(((m[i] ^ tgt[i]) & ui) == 0);
        }
        return Expr::ite(valid(k, m), Expr::all(as_cur) || Expr::all(as_tgt), invalid_allowed);
    };
    std::vector<Expr> states;
    for (const Seen &sn : seen) states.push_back(ok(sn.m));
    std::vector<Expr> final_is_target;
    for (unsigned i = 0; i < kQ; ++i)
        final_is_target.push_back(plan.steps.back().entry[i] == tgt[i]);
    // Each step that stores anything is one sync; there are three steps.
    Expr syncs = Expr::bv(0, 8);
    for (const auto &st : plan.steps)
        syncs = syncs + Expr::ite(Expr::any(std::vector<Expr>(st.stored.begin(), st.stored.end())),
                                  Expr::bv(1, 8), Expr::bv(0, 8));
    Expr claim = Expr::all(states) && Expr::all(final_is_target) && syncs.ule(3);
    Answer a = prove(claim, opt.timeout_s, {t.constraint(cur, tgt)});
    if (record(r, a) || a.verdict != Verdict::counterexample) return finish(r);

    const Model &md = a.model;
    std::vector<uint64_t> c = values_of(md, std::vector<Expr>(cur.begin(), cur.end()));
    std::vector<uint64_t> g = values_of(md, std::vector<Expr>(tgt.begin(), tgt.end()));
    const std::string what = k == EntryKind::ste ? "STE" : "CD";
    r.counterexample.push_back(fmt::format(
        "{} {}", t.name,
        md.truth(plan.breaking) ? "(planned as breaking: V=0 between)" : "(planned as hitless)"));
    r.counterexample.push_back(fmt::format("current {}: {}", what, decode(f, c.data())));
    r.counterexample.push_back(fmt::format("target  {}: {}", what, decode(f, g.data())));
    for (std::size_t n = 0; n < seen.size(); ++n) {
        if (md.truth(states[n])) continue;
        const Seen &sn = seen[n];
        std::vector<uint64_t> m = values_of(md, std::vector<Expr>(sn.m.begin(), sn.m.end()));
        Qwords uq = used_of(k, sn.m);
        std::vector<uint64_t> u = values_of(md, std::vector<Expr>(uq.begin(), uq.end()));
        r.counterexample.push_back(fmt::format("after the store to q{} in step {} the hardware "
                                               "reads: {}",
                                               sn.qword, sn.step + 1, decode(f, m.data())));
        if (md.truth(valid(k, sn.m)))
            r.counterexample.push_back(fmt::format(
                "torn: valid, but neither entry on the bits it uses: {}",
                fmt::join(torn_fields(f, m.data(), c.data(), g.data(), u.data()), ", ")));
        else
            r.counterexample.push_back(
                "invalid (V=0) although both ends are valid and at most one qword differs in used "
                "bits: a change that can be made hitless must be");
        break;
    }
    if (!md.truth(Expr::all(final_is_target))) {
        Qwords fe = plan.steps.back().entry;
        std::vector<uint64_t> e = values_of(md, std::vector<Expr>(fe.begin(), fe.end()));
        r.counterexample.push_back(
            fmt::format("it ends as {}, not the target", decode(f, e.data())));
    }
    return finish(r);
}

// --- VT-d PASID entries (I4) ---

PasidWriter driver_pasid_setup() {
    return [](const Expr &q0, const Expr &q1, const Expr &q2) {
        auto s = vtd::intel_pasid_install_stores(q0, q1, q2);
        std::vector<PasidStore> v;
        for (const auto &x : s) v.push_back({x.qword, x.value, x.stored});
        return v;
    };
}

PasidWriter driver_pasid_teardown(bool fault_ignore) {
    return [fault_ignore](const Expr &q0, const Expr &, const Expr &) {
        auto s = vtd::intel_pasid_teardown_stores(fault_ignore ? q0.constant(pe::FPD.mask())
                                                               : q0.constant(0));
        std::vector<PasidStore> v;
        for (const auto &x : s) v.push_back({x.qword, x.value, x.stored});
        return v;
    };
}

namespace {

// The states a sequence of stores passes through, from `start`.
std::vector<Qwords> pasid_states(const Qwords &start, const std::vector<PasidStore> &stores) {
    std::vector<Qwords> states;
    Qwords e = start;
    for (const PasidStore &s : stores) {
        e[s.qword] = Expr::ite(s.stored, s.value, e[s.qword]);
        states.push_back(e);
    }
    return states;
}

Expr present(const Qwords &e) {
    return F(e, pe::P) == 1;
}

void pasid_counterexample(CheckResult &r, const Model &md, const Qwords &start,
                          const std::vector<Qwords> &states, const std::vector<Expr> &oks) {
    std::vector<uint64_t> s = values_of(md, std::vector<Expr>(start.begin(), start.end()));
    r.counterexample.push_back("entry before: " + decode(pe::kFormat, s.data()));
    for (std::size_t n = 0; n < states.size(); ++n) {
        std::vector<uint64_t> m =
            values_of(md, std::vector<Expr>(states[n].begin(), states[n].end()));
        r.counterexample.push_back(fmt::format("after store {}: {}{}", n + 1,
                                               decode(pe::kFormat, m.data()),
                                               md.truth(oks[n]) ? "" : "   <- breaks I4"));
    }
}

} // namespace

CheckResult check_pasid_setup(const std::string &name, const PasidWriter &w, const Options &opt) {
    CheckResult r = start_check(name, "vtd", {"I4"},
                                "setting up a not-present PASID entry: P=0 after every store but "
                                "the last, which leaves the target entry");
    Qwords tgt = entry_vars("target"), start;
    start.fill(Expr::bv(0));
    // The entry the driver builds: present, only q0..q2 written.
    std::vector<Expr> assume = {present(tgt)};
    for (unsigned i = 3; i < kQ; ++i) assume.push_back(tgt[i] == 0);
    std::vector<PasidStore> stores = w(tgt[0], tgt[1], tgt[2]);
    std::vector<Qwords> states = pasid_states(start, stores);
    std::vector<Expr> oks;
    for (std::size_t n = 0; n + 1 < states.size(); ++n) oks.push_back(!present(states[n]));
    std::vector<Expr> last;
    for (unsigned i = 0; i < kQ; ++i) last.push_back(states.back()[i] == tgt[i]);
    oks.push_back(Expr::all(last));
    Answer a = prove(Expr::all(oks), opt.timeout_s, assume);
    if (!record(r, a) && a.verdict == Verdict::counterexample) {
        std::vector<uint64_t> g = values_of(a.model, std::vector<Expr>(tgt.begin(), tgt.end()));
        r.counterexample.push_back("target: " + decode(pe::kFormat, g.data()));
        pasid_counterexample(r, a.model, start, states, oks);
    }
    return finish(r);
}

CheckResult check_pasid_teardown(const std::string &name, const PasidWriter &w,
                                 const Options &opt) {
    CheckResult r = start_check(name, "vtd", {"I4", "I6"},
                                "tearing down a present PASID entry: P=0 from the first store on, "
                                "and the entry ends not present");
    Qwords start = entry_vars("present");
    std::vector<Expr> assume = {present(start)};
    std::vector<PasidStore> stores = w(start[0], start[1], start[2]);
    std::vector<Qwords> states = pasid_states(start, stores);
    std::vector<Expr> oks;
    for (const Qwords &s : states) oks.push_back(!present(s));
    Answer a = prove(Expr::all(oks), opt.timeout_s, assume);
    if (!record(r, a) && a.verdict == Verdict::counterexample)
        pasid_counterexample(r, a.model, start, states, oks);
    return finish(r);
}

} // namespace svac::formal
