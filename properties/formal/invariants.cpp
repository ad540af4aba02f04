// Check 5: the live-table invariants of reference/invariants.h (G3/G4,
// A1-A7, I1-I3 of docs/formal.md), the formulas the table rules evaluate
// on every driver's tables, encoded through the same generic evaluator
// (ref::inv::entry_holds / pair_holds) on bit-vectors.
#include "reference/invariants.h"
#include "properties/formal/check_support.h"
#include "properties/formal/checks.h"
#include "properties/formal/word_ops.h"
#include "reference/smmuv3_format.h"

#include <fmt/format.h>

#include <algorithm>
#include <set>

namespace svac::formal {

namespace {

namespace inv = ref::inv;
using Entry = std::vector<Expr>;

Entry entry_vars(const ref::Format &f, const std::string &prefix) {
    Entry e;
    for (unsigned q = 0; q < f.qwords; ++q)
        e.push_back(
            Expr::var(fresh_name(std::string(f.name) + "." + prefix + ".q" + std::to_string(q))));
    return e;
}

// Every per-entry formula of `formulas` over e's format but `except`.
Expr entry_ok(std::span<const inv::Formula *const> formulas, const ref::Format &f, const Expr *e,
              const inv::Formula *except = nullptr) {
    std::vector<Expr> c;
    for (const inv::Formula *x : formulas)
        if (x != except && x->format == &f && !x->pairwise()) c.push_back(inv::entry_holds(*x, e));
    return Expr::all(c);
}

// A satisfiability question: true if some assignment satisfies x (the
// witness in w); otherwise r takes the verdict, with `why` when unsat.
bool satisfiable(CheckResult &r, const Expr &x, const Options &opt, const std::string &why,
                 Model *w = nullptr) {
    Answer a = prove(!x, opt.timeout_s);
    ++r.queries;
    r.seconds += a.seconds;
    if (a.verdict == Verdict::counterexample) {
        if (w) *w = a.model;
        return true;
    }
    if (a.verdict == Verdict::proved) {
        r.verdict = Verdict::counterexample;
        r.counterexample.push_back(why);
    } else {
        r.verdict = a.verdict;
        r.reason = a.reason;
    }
    return false;
}

std::vector<std::string> specs_of(std::span<const inv::Formula *const> formulas) {
    std::set<std::string> s;
    for (const inv::Formula *f : formulas) s.emplace(f->spec);
    return {s.begin(), s.end()};
}

// The states the hardware can read while a plan runs: after each 64-bit
// store (as in check 4).
std::vector<Qwords> plan_states(const Qwords &cur, const EntryPlan &plan) {
    std::vector<Qwords> out;
    Qwords prev = cur;
    for (const auto &step : plan.steps) {
        for (unsigned i = 0; i < prev.size(); ++i) {
            Qwords m;
            for (unsigned j = 0; j < prev.size(); ++j) m[j] = j <= i ? step.entry[j] : prev[j];
            out.push_back(m);
        }
        prev = step.entry;
    }
    return out;
}

} // namespace

std::vector<const inv::Formula *> kit_invariants(const std::string &format) {
    std::vector<const inv::Formula *> v;
    for (const inv::Formula &f : inv::all_formulas())
        if (f.name.starts_with(format + ".")) v.push_back(&f);
    return v;
}

CheckResult check_invariant_set(const std::string &name, const std::string &format,
                                std::span<const inv::Formula *const> formulas, const Options &opt) {
    CheckResult r = start_check(
        name, format, specs_of(formulas),
        "the live-table formulas are consistent and each one matters: some entry satisfying all "
        "of its format's formulas meets each formula's guard, some entry satisfying all the "
        "others breaks it, and each pair formula is broken by two entries that each satisfy the "
        "per-entry formulas");
    for (const inv::Formula *fm : formulas) {
        const ref::Format &f = *fm->format;
        const std::string d = inv::describe(*fm);
        if (!fm->pairwise()) {
            Entry e = entry_vars(f, "e");
            const Expr all = entry_ok(formulas, f, e.data());
            if (!satisfiable(r, all && inv::guard(*fm, e.data()), opt,
                             d + ": vacuous, or inconsistent with the other " +
                                 std::string(f.name) +
                                 " formulas: no entry satisfying them all "
                                 "meets its guard"))
                return finish(r);
            Model w;
            if (!satisfiable(
                    r, entry_ok(formulas, f, e.data(), fm) && !inv::entry_holds(*fm, e.data()), opt,
                    d + ": redundant: every " + std::string(f.name) +
                        " entry satisfying the other formulas (and the layout) "
                        "satisfies it",
                    &w))
                return finish(r);
            continue;
        }
        Entry a = entry_vars(f, "a"), b = entry_vars(f, "b");
        const Expr both = entry_ok(formulas, f, a.data()) && entry_ok(formulas, f, b.data()) &&
                          inv::guard(*fm, a.data()) && inv::guard(*fm, b.data());
        if (!satisfiable(r, both && inv::pair_holds(*fm, a.data(), b.data()), opt,
                         d + ": no two entries satisfying the per-entry formulas satisfy it") ||
            !satisfiable(r, both && !inv::pair_holds(*fm, a.data(), b.data()), opt,
                         d + ": implied by the per-entry formulas: it needs no check across "
                             "entries"))
            return finish(r);
    }
    return finish(r);
}

CheckResult check_invariant_writer(const std::string &name,
                                   std::span<const inv::Formula *const> formulas,
                                   const std::vector<Transition> &transitions,
                                   const std::function<Planner(EntryKind)> &planner_of,
                                   const Options &opt) {
    std::vector<const inv::Formula *> per_entry;
    for (const inv::Formula *f : formulas)
        if (!f->pairwise()) per_entry.push_back(f);
    CheckResult r = start_check(
        name, "smmuv3", specs_of(per_entry),
        "the entry writer keeps the per-entry formulas: in every SVA transition class, from a "
        "current to a target entry that satisfy them, every state the hardware can read after a "
        "64-bit store satisfies them too");
    for (const Transition &t : transitions) {
        const ref::Format &f =
            t.kind == EntryKind::ste ? ref::smmuv3::ste::kFormat : ref::smmuv3::cd::kFormat;
        Qwords cur, tgt;
        for (unsigned i = 0; i < cur.size(); ++i) {
            cur[i] = Expr::var(fresh_name("inv." + t.name + ".cur.q" + std::to_string(i)));
            tgt[i] = Expr::var(fresh_name("inv." + t.name + ".tgt.q" + std::to_string(i)));
        }
        const std::vector<Qwords> states = plan_states(cur, planner_of(t.kind)(cur, tgt));
        std::vector<Expr> ok;
        for (const Qwords &m : states) ok.push_back(entry_ok(formulas, f, m.data()));
        Answer a = prove(Expr::all(ok), opt.timeout_s,
                         {t.constraint(cur, tgt), entry_ok(formulas, f, cur.data()),
                          entry_ok(formulas, f, tgt.data())});
        if (record(r, a)) continue;
        if (a.verdict != Verdict::counterexample) return finish(r);
        const Model &md = a.model;
        auto vals = [&](const Qwords &q) {
            return values_of(md, std::vector<Expr>(q.begin(), q.end()));
        };
        std::vector<uint64_t> c = vals(cur), g = vals(tgt);
        r.counterexample.push_back(fmt::format("{}: current {}", t.name, decode(f, c.data())));
        r.counterexample.push_back(fmt::format("{}: target  {}", t.name, decode(f, g.data())));
        for (std::size_t n = 0; n < states.size(); ++n) {
            if (md.truth(ok[n])) continue;
            std::vector<uint64_t> m = vals(states[n]);
            r.counterexample.push_back(
                fmt::format("after store {} the hardware reads {}", n + 1, decode(f, m.data())));
            if (auto b = inv::check_entry(f, m.data())) r.counterexample.push_back(b->message());
            break;
        }
        return finish(r);
    }
    return finish(r);
}

CheckResult check_invariant_table(const std::string &name, const ref::Format &f,
                                  const std::vector<std::vector<uint64_t>> &entries,
                                  std::span<const inv::Formula *const> formulas,
                                  const Options &opt) {
    CheckResult r = start_check(name, std::string(f.name), specs_of(formulas),
                                "every entry of the table satisfies the per-entry formulas and "
                                "every two entries the pair formulas");
    // The entries as variables fixed to their values, so that a
    // counterexample names the formula and reads the entries back.
    std::vector<Entry> vars;
    std::vector<Expr> fixed;
    for (const auto &e : entries) {
        vars.push_back(entry_vars(f, "t"));
        for (unsigned q = 0; q < f.qwords; ++q)
            fixed.push_back(vars.back()[q] == (q < e.size() ? e[q] : 0));
    }
    for (const inv::Formula *fm : formulas) {
        if (fm->format != &f) continue;
        for (std::size_t i = 0; i < vars.size(); ++i)
            for (std::size_t j = fm->pairwise() ? i + 1 : i; j < vars.size(); ++j) {
                Expr claim = fm->pairwise() ? inv::pair_holds(*fm, vars[i].data(), vars[j].data())
                                            : inv::entry_holds(*fm, vars[i].data());
                Answer a = prove(claim, opt.timeout_s, fixed);
                if (record(r, a)) {
                    if (!fm->pairwise()) break;
                    continue;
                }
                if (a.verdict == Verdict::counterexample) {
                    r.counterexample.push_back("violates " + inv::describe(*fm));
                    for (std::size_t k : {i, j}) {
                        std::vector<uint64_t> v = values_of(a.model, vars[k]);
                        r.counterexample.push_back(
                            fmt::format("entry {}: {}", k, decode(f, v.data())));
                        if (!fm->pairwise()) break;
                    }
                }
                return finish(r);
            }
    }
    return finish(r);
}

} // namespace svac::formal
