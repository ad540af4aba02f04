// ROBUST: a driver under test survives its platform's failures (clauses
// ROBUST-*). ROBUST-1..3 are judged by the isolation of a run in a child
// process (engine/isolate), ROBUST-5 by the engine after destroy; here is
// ROBUST-4: a call during which the platform refused the driver an
// allocation (a fail-nth sweep) either succeeds, and is judged as usual, or
// fails cleanly: with -ENOMEM, or an error the spec allows anyway, and with
// no effect (BIND-7, FEAT-9). commit() then follows the failure like any
// other: a failed call changes nothing.
#include "reference/reference.h"

#include <string>

namespace svac::ref {

std::optional<Violation> Reference::judge_alloc_failure(const Op &op, const Expectation &exp,
                                                        const Observation &obs,
                                                        ClauseCounters *counters) const {
    // A call without a return code (mm_release, the notifier, an interrupt)
    // cannot fail; a query answers true or false; a call that succeeded
    // despite the failure must be a real success. All judged as usual.
    const bool failed =
        obs.rc && *obs.rc != 0 && op_returns(op.kind) && !op_is_fault_core(op.kind) && !exp.query;
    if (!failed) return judge_outcome(op, exp, obs, counters);
    if (counters) counters->hit(ClauseId::ROBUST_4);
    const int rc = *obs.rc;
    if (exp.rc.contains(rc)) return judge_outcome(op, exp, obs, counters); // allowed anyway
    ErrnoSet allowed = exp.rc;
    allowed.add(-ENOMEM);
    if (rc != -ENOMEM)
        return Violation{ClauseId::ROBUST_4, describe(op, *this) + " returned " + errno_name(rc) +
                                                 " when the platform refused it memory; allowed " +
                                                 allowed.to_string() +
                                                 " (-ENOMEM for the refused allocation)"};
    // -ENOMEM where the spec has no failure: the call must have had no
    // effect. No PASID, no callbacks, no answers sent on its behalf.
    Expectation failure = exp;
    failure.rc = {-ENOMEM};
    failure.rc_clause = ClauseId::ROBUST_4;
    failure.pasid_rule = Expectation::Pasid::none;
    failure.callbacks.clear();
    failure.flush = false;
    failure.answers.clear();
    failure.respond = false;
    failure.retries.clear();
    return judge_outcome(op, failure, obs, counters);
}

void blame_alloc_failure(const Op &op, const Observation &obs, Violation &v) {
    if (!obs.alloc_failed || v.clause == ClauseId::ROBUST_4) return;
    const bool failed = obs.rc && *obs.rc != 0 && op_returns(op.kind);
    std::string head = failed
                           ? "the call failed (" + errno_name(*obs.rc) +
                                 ") when the platform refused it memory, but left a trace: "
                           : "the platform refused the call memory and it left its tables wrong: ";
    v.message = head + "[" + std::string(clause_id(v.clause)) + "] " + v.message;
    v.clause = ClauseId::ROBUST_4;
}

} // namespace svac::ref
