// The step function: expect, judge, commit.
#include "reference/reference.h"
#include "reference/text.h"

#include <cstdio>
#include <string>

namespace svac::ref {

Reference::Reference(const Topology &topology, const Profile &profile)
    : topo_(topology), profile_(&profile), devs_(topology.devices.size()), mms_(topology.mms),
      bonds_(topology.devices.size() * topology.mms),
      refused_binds_(topology.devices.size() * topology.mms),
      faults_(static_cast<uint32_t>(topology.devices.size())) {
    // SVA domains: the core gives each its IOPF handler; no driver registers one.
    if (profile.contract == Contract::domain)
        for (uint32_t d = 0; d < topology.devices.size(); ++d) faults_.register_handler(d);
}

Expectation Reference::expect(const Op &op) const {
    if (op.by_handle && op.kind == OpKind::unbind) {
        if (handles_.count(op.handle)) return expect_unbind(by_bond(op));
        Expectation e;
        e.invalid =
            "unbind names handle " + std::to_string(op.handle) + ", which no live bind returned";
        return e;
    }
    switch (op.kind) {
    case OpKind::has_feature:
        return expect_has_feature(op);
    case OpKind::feature_enabled:
        return expect_feature_enabled(op);
    case OpKind::enable_feature:
        return expect_enable_feature(op);
    case OpKind::disable_feature:
        return expect_disable_feature(op);
    case OpKind::set_sva_param:
        return expect_set_sva_param(op);
    case OpKind::bind:
        return expect_bind(op);
    case OpKind::unbind:
        return expect_unbind(op);
    case OpKind::mm_exit:
        return expect_mm_exit(op);
    case OpKind::mm_map:
    case OpKind::mm_unmap:
    case OpKind::mm_protect: {
        Expectation e;
        e.rc_clause = ClauseId::HW_4;
        return e;
    }
    case OpKind::dma:
        return expect_dma(op);
    case OpKind::page_request:
        return expect_page_request(op);
    case OpKind::page_response:
        return expect_page_response(op);
    case OpKind::register_fault_handler:
    case OpKind::unregister_fault_handler:
        return expect_fault_handler(op);
    case OpKind::queue_overflow:
        return expect_queue_overflow(op);
    case OpKind::set_ops:
        return expect_set_ops(op);
    case OpKind::mm_free:
        return expect_mm_free(op);
    case OpKind::count_:
        break;
    }
    return {};
}

namespace {
// The clauses an op's outcome is evaluated against, beyond its rc clause.
void count_checks(const Op &op, const Expectation &exp, const Observation &obs, ClauseCounters &n) {
    if (obs.rc) n.hit(exp.rc_clause);
    switch (op.kind) {
    case OpKind::has_feature:
    case OpKind::feature_enabled:
        if (obs.rc) n.hit(ClauseId::FEAT_2);
        break;
    case OpKind::enable_feature:
    case OpKind::disable_feature:
        if (obs.rc && *obs.rc != 0) n.hit(ClauseId::FEAT_9);
        break;
    case OpKind::set_sva_param:
        n.hit(ClauseId::PARAM_4);
        break;
    case OpKind::bind:
        if (obs.rc && *obs.rc != 0) n.hit(ClauseId::BIND_7);
        if (obs.rc && *obs.rc == 0 && obs.pasid) {
            n.hit(ClauseId::BIND_2);
            n.hit(ClauseId::PASID_1);
            n.hit(ClauseId::PASID_2);
            n.hit(ClauseId::PASID_4);
            if (exp.pasid_rule != Expectation::Pasid::none) n.hit(exp.pasid_clause);
            if (*obs.pasid == exp.hi ||
                (exp.pasid_rule == Expectation::Pasid::exact && exp.pasid == exp.hi && exp.hi != 0))
                n.hit(ClauseId::PASID_3);
            if (exp.pasid_rule == Expectation::Pasid::fresh) {
                n.hit(ClauseId::UNBIND_3);
                n.hit(ClauseId::MMEXIT_3);
                n.hit(ClauseId::PASID_6);
            }
        }
        if (obs.rc && *obs.rc == 0 && obs.handle) {
            n.hit(ClauseId::HANDLE_1);
            if (exp.handle_rule == Expectation::Handle::same) n.hit(ClauseId::HANDLE_2);
        }
        break;
    case OpKind::unbind:
        if (obs.callbacks) n.hit(ClauseId::MMEXIT_4);
        break;
    case OpKind::mm_exit:
        if (obs.callbacks) n.hit(exp.callbacks.empty() ? ClauseId::MMEXIT_4 : ClauseId::MMEXIT_1);
        break;
    case OpKind::mm_map:
    case OpKind::mm_unmap:
    case OpKind::mm_protect:
        break;
    case OpKind::dma:
        if (obs.dma)
            for (const PageExpectation &p : exp.dma) {
                n.hit(p.clause);
                if (p.clause == ClauseId::HW_5) n.hit(ClauseId::MMEXIT_2);
                if (p.clause == ClauseId::HW_3) n.hit(ClauseId::UNBIND_2);
                if (p.clause == ClauseId::HW_1 && p.page_changed) n.hit(ClauseId::HW_4);
            }
        break;
    default:
        break;
    }
    if (obs.stray_stores || obs.bad_frees) n.hit(ClauseId::HW_8);
    if (obs.unsynced_commands) n.hit(ClauseId::HW_9);
    if (obs.register_misuse)
        for (ClauseId c : {ClauseId::SMMU_REG_1, ClauseId::SMMU_REG_2, ClauseId::SMMU_REG_3})
            n.hit(c);
}
} // namespace

std::optional<Violation> Reference::judge(const Op &op, const Expectation &exp,
                                          const Observation &obs, ClauseCounters *counters) const {
    if (op.by_handle && handles_.count(op.handle)) {
        const Op bonded = by_bond(op);
        if (obs.alloc_failed) return judge_alloc_failure(bonded, exp, obs, counters);
        return judge_outcome(bonded, exp, obs, counters);
    }
    if (obs.alloc_failed) return judge_alloc_failure(op, exp, obs, counters); // ROBUST-4
    return judge_outcome(op, exp, obs, counters);
}

std::optional<Violation> Reference::judge_outcome(const Op &op, const Expectation &exp,
                                                  const Observation &obs,
                                                  ClauseCounters *counters) const {
    if (counters) {
        count_checks(op, exp, obs, *counters);
        count_fault_checks(op, exp, obs, *counters);
    }
    // An errno stored as the PASID of a "successful" bind (PASID-4), even where
    // the bind should have failed.
    if (op.kind == OpKind::bind && obs.rc && *obs.rc == 0 && obs.pasid &&
        looks_like_errno(*obs.pasid))
        return Violation{ClauseId::PASID_4, describe(op, *this) + " returned 0 and PASID " +
                                                std::to_string(*obs.pasid) + " (" +
                                                errno_name(static_cast<int>(*obs.pasid)) +
                                                "): an error code stored as a PASID"};
    // A bind that succeeded where the range was exhausted, with a PASID another
    // mm still holds: name the rule that should have kept it held (MMEXIT-3,
    // UNBIND-3, BIND-5, PASID-1) rather than BIND-6.
    if (op.kind == OpKind::bind && obs.rc && *obs.rc == 0 && obs.pasid &&
        exp.rc_clause == ClauseId::BIND_6 && holder_of(*obs.pasid, op.mm) >= 0) {
        Expectation fresh = exp;
        fresh.pasid_rule = Expectation::Pasid::fresh;
        if (auto v = judge_bind_pasid(op, fresh, *obs.pasid)) return v;
    }
    if (obs.rc && op_returns(op.kind)) {
        int rc = *obs.rc;
        if (exp.query) {
            if (rc != 0 && rc != 1)
                return Violation{exp.rc_clause, describe(op, *this) + " returned " +
                                                    errno_name(rc) +
                                                    ", which is not a boolean (1 or 0)"};
            if ((rc == 1) != exp.result)
                return Violation{exp.rc_clause, describe(op, *this) + " answered " +
                                                    (rc ? "true" : "false") + ", expected " +
                                                    (exp.result ? "true" : "false")};
        } else if (!exp.rc.contains(rc)) {
            ClauseId c = exp.rc_clause;
            if (op.kind == OpKind::bind && exp.rc.allows_success())
                c = blame_bind_failure(op, exp, rc);
            else if (op.kind == OpKind::unbind)
                c = blame_unbind_rc(op, exp, rc);
            else if (op.kind == OpKind::set_sva_param && rc == -EBUSY &&
                     exp.rc_clause == ClauseId::PARAM_1)
                for (uint32_t d = 0; d < devs_.size(); ++d)
                    if (d != op.dev && devs_[d].bonds > 0) c = ClauseId::PARAM_4;
            std::string why;
            if (op.kind == OpKind::page_response && c == ClauseId::UNBIND_6)
                why = ": that group was answered INVALID when its PASID was unbound; answering it "
                      "now answers for the PASID's next owner";
            return Violation{c, describe(op, *this) + " returned " + errno_name(rc) + "; allowed " +
                                    exp.rc.to_string() + why};
        }
    }
    if (op.kind == OpKind::bind && obs.rc && *obs.rc == 0 && obs.pasid)
        if (auto v = judge_bind_pasid(op, exp, *obs.pasid)) return v;
    if (op.kind == OpKind::bind && obs.rc && *obs.rc == 0 && obs.handle)
        if (auto v = judge_handle(op, exp, *obs.handle)) return v;
    if (obs.callbacks)
        if (auto v = judge_callbacks(op, exp, *obs.callbacks)) return v;
    if (op.kind == OpKind::dma && obs.dma)
        if (auto v = judge_dma(op, exp, *obs.dma)) return v;
    if (obs.calls && profile_->contract == Contract::domain) {
        SvaDomains after = domains_;
        if (auto v = walk_calls(op, obs, after, counters)) return v;
    }
    if (auto v = judge_faults(op, exp, obs)) return v;
    return judge_platform(op, obs);
}

void Reference::commit(const Op &op, const Expectation &exp, const Observation &obs) {
    if (op.by_handle && op.kind == OpKind::unbind) {
        if (handles_.count(op.handle)) commit_step(by_bond(op), exp, obs);
        return;
    }
    commit_step(op, exp, obs);
}

void Reference::commit_step(const Op &op, const Expectation &exp, const Observation &obs) {
    int rc = obs.rc ? *obs.rc : (exp.query ? int{exp.result} : exp.rc.preferred());
    if (obs.calls && profile_->contract == Contract::domain) walk_calls(op, obs, domains_, nullptr);
    // Faults the driver reported during the op reach the core first: they
    // belong to the bonds as they were when the call began.
    commit_faults(op, exp, obs, rc);
    switch (op.kind) {
    case OpKind::has_feature:
    case OpKind::feature_enabled:
    case OpKind::enable_feature:
    case OpKind::disable_feature:
        commit_feature(op, exp, rc);
        break;
    case OpKind::set_sva_param:
        commit_set_sva_param(op, exp, rc);
        break;
    case OpKind::bind:
        commit_bind(op, exp, rc, obs.pasid, obs.handle);
        if (rc != 0 && obs.alloc_failed) refused_binds_[op.dev * mms_.size() + op.mm] = true;
        break;
    case OpKind::unbind:
        commit_unbind(op, rc);
        break;
    case OpKind::mm_exit:
        commit_mm_exit(op);
        break;
    case OpKind::mm_map:
    case OpKind::mm_unmap:
    case OpKind::mm_protect:
        commit_mm_change(op);
        break;
    case OpKind::dma:
    case OpKind::page_request:
    case OpKind::page_response:
    case OpKind::register_fault_handler:
    case OpKind::unregister_fault_handler:
    case OpKind::queue_overflow:
    case OpKind::count_:
        break;
    case OpKind::set_ops:
        commit_set_ops(op, rc);
        break;
    case OpKind::mm_free:
        commit_mm_free(op);
        break;
    }
}

std::optional<Violation> Reference::step(const Op &op, const Observation &obs,
                                         ClauseCounters *counters) {
    Expectation exp = expect(op);
    auto v = judge(op, exp, obs, counters);
    if (!v) commit(op, exp, obs);
    return v;
}

std::string describe(const Op &op, const Reference &ref) {
    std::string s{op_name(op.kind)};
    auto num = [](uint64_t v) { return std::to_string(v); };
    auto feat = [](uint32_t f) {
        return f == SVAC_FEAT_SVA ? std::string("sva") : std::to_string(f);
    };
    switch (op.kind) {
    case OpKind::has_feature:
    case OpKind::feature_enabled:
    case OpKind::enable_feature:
    case OpKind::disable_feature:
        return s + "(dev " + num(op.dev) + ", " + feat(op.feat) + ")";
    case OpKind::set_sva_param:
        return s + "(dev " + num(op.dev) + ", min " + num(op.min) + ", max " + num(op.max) + ")";
    case OpKind::bind:
        return s + "(dev " + num(op.dev) + ", mm " + num(op.mm) +
               (ref.profile().mm_exit_callback ? ", drvdata " + num(op.drvdata) : std::string()) +
               ")";
    case OpKind::set_ops:
        return s + "(handle " + num(op.handle) + ", ops " + num(op.ops) + ")";
    case OpKind::mm_free:
        return s + "(mm " + num(op.mm) + ")";
    case OpKind::unbind:
        if (op.by_handle)
            return s + "(handle " + num(op.handle) + " [dev " + num(op.dev) + ", mm " + num(op.mm) +
                   "])";
        return s + "(dev " + num(op.dev) + ", pasid " + num(ref.resolve(op.pasid)) +
               (op.pasid.of_mm ? " [mm " + num(op.pasid.value) + "'s]" : std::string()) + ")";
    case OpKind::mm_exit:
        return s + "(mm " + num(op.mm) + ")";
    case OpKind::mm_map:
    case OpKind::mm_protect:
        return s + "(mm " + num(op.mm) + ", va " + hex(op.va) + ", " + num(op.pages) + " pages, " +
               perms_name(op.perms) + ")";
    case OpKind::mm_unmap:
        return s + "(mm " + num(op.mm) + ", va " + hex(op.va) + ", " + num(op.pages) + " pages)";
    case OpKind::dma:
    case OpKind::page_request: {
        std::string pasid =
            op.no_pasid
                ? std::string("no pasid")
                : "pasid " + num(ref.resolve(op.pasid)) +
                      (op.pasid.of_mm ? " [mm " + num(op.pasid.value) + "'s]" : std::string());
        std::string more;
        if (op.kind == OpKind::dma && op.pages > 1) more = ", " + num(op.pages) + " pages";
        if (op.kind == OpKind::page_request) {
            more = ", group " + num(op.group);
            if (op.last) more += ", last";
            if (op.stop) more += ", stop marker";
            if (op.bad_sid) more += ", unknown requester";
        }
        return s + "(dev " + num(op.dev) + ", " + pasid + ", va " + hex(op.va) + ", " +
               perms_name(op.perms) + more + ")";
    }
    case OpKind::page_response: {
        std::string g = op.has_group ? "group " + num(op.group) : std::string("oldest group");
        const char *who = op.answer == Op::Answer::handler   ? "handler"
                          : op.answer == Op::Answer::invalid ? "invalid"
                                                             : "failure";
        return s + "(dev " + num(op.dev) + ", " + g + ", " + who + ")";
    }
    case OpKind::register_fault_handler:
    case OpKind::unregister_fault_handler:
    case OpKind::queue_overflow:
        return s + "(dev " + num(op.dev) + ")";
    case OpKind::count_:
        break;
    }
    return s;
}

} // namespace svac::ref
