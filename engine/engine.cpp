#include "engine/engine.h"

#include "engine/driver.h"

namespace svac::engine {

namespace {

json callbacks_json(const std::vector<ref::Callback> &cbs) {
    json a = json::array();
    for (const auto &c : cbs)
        a.push_back({{"dev", c.dev}, {"pasid", c.pasid}, {"drvdata", c.drvdata}});
    return a;
}

Finding make_finding(const Trace &trace, std::size_t step, const ref::Violation &v,
                     const ref::Expectation &exp, const ref::Observation &obs) {
    Finding f;
    f.clause = v.clause;
    f.step = step;
    f.message = v.message;
    f.expected = expectation_to_json(exp, trace.ops[step].kind);
    f.actual = observation_to_json(obs, trace.ops[step].kind);
    f.trace.profile = trace.profile;
    f.trace.topology = trace.topology;
    return f;
}

const ref::Profile &profile_of(const Trace &t) {
    const ref::Profile *p = ref::find_profile(t.profile);
    return p ? *p : ref::default_profile();
}

} // namespace

json expectation_to_json(const ref::Expectation &exp, ref::OpKind kind) {
    json j;
    if (exp.query) {
        j["result"] = exp.result;
    } else if (kind != ref::OpKind::mm_exit) {
        j["rc"] = json::array();
        exp.rc.for_each([&](int c) { j["rc"].push_back(c); });
        j["rc_names"] = exp.rc.to_string();
    }
    if (exp.pasid_rule == ref::Expectation::Pasid::exact) j["pasid"] = exp.pasid;
    if (exp.pasid_rule == ref::Expectation::Pasid::fresh)
        j["pasid"] = {{"free_in", {exp.lo, exp.hi}}};
    j["callbacks"] = callbacks_json(exp.callbacks);
    j["clause"] = ref::clause_id(exp.rc_clause);
    return j;
}

json observation_to_json(const ref::Observation &obs, ref::OpKind kind) {
    json j = json::object();
    if (obs.rc && kind != ref::OpKind::mm_exit) {
        j["rc"] = *obs.rc;
        j["rc_name"] = ref::errno_name(*obs.rc);
    }
    if (obs.pasid && kind == ref::OpKind::bind) j["pasid"] = *obs.pasid;
    if (obs.callbacks) j["callbacks"] = callbacks_json(*obs.callbacks);
    return j;
}

std::optional<Finding> run_differential(const svac_driver_ops &driver, const Trace &trace,
                                        RunStats &stats, const StepHook &hook) {
    ref::Reference reference(trace.topology, profile_of(trace));
    DriverInstance instance(driver, trace.topology);
    std::vector<ref::Observation> seen;
    seen.reserve(trace.ops.size());
    for (std::size_t i = 0; i < trace.ops.size(); ++i) {
        const ref::Op &op = trace.ops[i];
        uint32_t pasid = reference.resolve(op.pasid);
        ref::Expectation exp = reference.expect(op);
        ref::Observation obs = instance.call(op, pasid);
        auto violation = reference.judge(op, exp, obs, &stats.checks);
        ++stats.steps;
        if (hook) hook(i, op, pasid, exp, obs, violation);
        if (violation) {
            Finding f = make_finding(trace, i, *violation, exp, obs);
            for (std::size_t k = 0; k < i; ++k) {
                f.trace.ops.push_back(trace.ops[k]);
                f.trace.ops.back().recorded = seen[k];
            }
            f.trace.ops.push_back(op);
            f.trace.ops.back().recorded = obs;
            return f;
        }
        reference.commit(op, exp, obs);
        seen.push_back(std::move(obs));
    }
    return std::nullopt;
}

std::optional<Finding> check_recorded(const Trace &trace, RunStats &stats, const StepHook &hook) {
    ref::Reference reference(trace.topology, profile_of(trace));
    for (std::size_t i = 0; i < trace.ops.size(); ++i) {
        const ref::Op &op = trace.ops[i];
        uint32_t pasid = reference.resolve(op.pasid);
        ref::Expectation exp = reference.expect(op);
        auto violation = reference.judge(op, exp, op.recorded, &stats.checks);
        ++stats.steps;
        if (hook) hook(i, op, pasid, exp, op.recorded, violation);
        if (violation) {
            Finding f = make_finding(trace, i, *violation, exp, op.recorded);
            f.trace.ops.assign(trace.ops.begin(), trace.ops.begin() + static_cast<long>(i) + 1);
            return f;
        }
        reference.commit(op, exp, op.recorded);
    }
    return std::nullopt;
}

} // namespace svac::engine
