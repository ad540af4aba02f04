// The set of checks `sva-conform prove` runs, their JSON form, and decoding
// entries for counterexamples.
#include "properties/formal/checks.h"

#include "reference/pagetable.h"
#include "reference/smmuv3_format.h"
#include "reference/vtd_format.h"

#include <fmt/format.h>

#include <atomic>
#include <chrono>
#include <functional>
#include <thread>

namespace svac::formal {

std::string decode(const ref::Format &f, const uint64_t *qwords) {
    std::string s;
    for (const ref::Field &fl : f.fields) {
        if (fl.qword >= f.qwords) continue;
        uint64_t v = ref::get(qwords, fl);
        if (!v) continue;
        if (!s.empty()) s += ' ';
        s += std::string(fl.name) + "=" + (v < 10 ? std::to_string(v) : fmt::format("{:#x}", v));
    }
    // Bits no field claims, if any are set.
    for (unsigned q = 0; q < f.qwords; ++q)
        if (uint64_t res = qwords[q] & f.reserved_mask(q))
            s += fmt::format("{}reserved q{}={:#x}", s.empty() ? "" : " ", q, res);
    return s.empty() ? "all fields 0" : s;
}

namespace {

using Job = std::function<CheckResult()>;

std::vector<const ref::Format *> smmuv3_formats() {
    std::vector<const ref::Format *> v(std::begin(ref::smmuv3::kAllFormats),
                                       std::end(ref::smmuv3::kAllFormats));
    v.push_back(&ref::aarch64_pte::kFormat); // the CPU tables the SMMU walks
    return v;
}

std::vector<const ref::Format *> vtd_formats() {
    std::vector<const ref::Format *> v(std::begin(ref::vtd::kFormats),
                                       std::end(ref::vtd::kFormats));
    v.push_back(&ref::x86_pte::kFormat);
    return v;
}

std::vector<Job> jobs_for(const std::string &format, const Options &opt) {
    std::vector<Job> jobs;
    if (format == "smmuv3" || format == "all") {
        jobs.push_back(
            [opt] { return check_layouts("layout.smmuv3", "smmuv3", smmuv3_formats(), opt); });
        jobs.push_back([opt] {
            return check_codecs("codec.smmuv3", "smmuv3", smmuv3_formats(), kit_codec(), opt);
        });
        jobs.push_back([opt] {
            return check_index("index.smmuv3.cd-linear", "smmuv3", {"X1", "X2", "X3"},
                               smmuv3_cd_linear_scheme(), opt);
        });
        jobs.push_back([opt] {
            return check_index("index.smmuv3.cd-2level", "smmuv3", {"X1", "X2", "X3"},
                               smmuv3_cd_2level_scheme(), opt);
        });
        for (const Transition &t : sva_transitions())
            jobs.push_back([t, opt] {
                return check_hitless("hitless.smmuv3." + t.name, t, driver_planner(t.kind), opt);
            });
        jobs.push_back([opt] {
            return check_invariant_set("invariants.smmuv3", "smmuv3", kit_invariants("smmuv3"),
                                       opt);
        });
        jobs.push_back([opt] {
            return check_invariant_writer("invariants.smmuv3.writer", kit_invariants("smmuv3"),
                                          sva_transitions(), driver_planner, opt);
        });
    }
    if (format == "vtd" || format == "all") {
        jobs.push_back([opt] { return check_layouts("layout.vtd", "vtd", vtd_formats(), opt); });
        jobs.push_back(
            [opt] { return check_codecs("codec.vtd", "vtd", vtd_formats(), kit_codec(), opt); });
        jobs.push_back([opt] {
            return check_index("index.vtd.pasid", "vtd", {"X1", "X2", "X3", "I2"},
                               vtd_pasid_scheme(), opt);
        });
        jobs.push_back([opt] {
            return check_invariant_set("invariants.vtd", "vtd", kit_invariants("vtd"), opt);
        });
        jobs.push_back([opt] {
            return check_pasid_setup("hitless.vtd.pasid-setup", driver_pasid_setup(), opt);
        });
        jobs.push_back([opt] {
            return check_pasid_teardown("hitless.vtd.pasid-teardown", driver_pasid_teardown(false),
                                        opt);
        });
        jobs.push_back([opt] {
            return check_pasid_teardown("hitless.vtd.pasid-teardown-fpd",
                                        driver_pasid_teardown(true), opt);
        });
    }
    return jobs;
}

} // namespace

std::vector<CheckResult> run_checks(const std::string &format, const Options &opt) {
    std::vector<Job> jobs = jobs_for(format, opt);
    std::vector<CheckResult> results(jobs.size());
    // Two workers (each thread has its own Z3 context); every result keeps
    // its place, so the output does not depend on the schedule.
    const unsigned workers = std::min<unsigned>(2, std::max<std::size_t>(1, jobs.size()));
    std::atomic<std::size_t> next{0};
    auto work = [&] {
        for (std::size_t i; (i = next++) < jobs.size();) {
            auto t0 = std::chrono::steady_clock::now();
            try {
                results[i] = jobs[i]();
            } catch (const std::exception &e) {
                results[i].verdict = Verdict::error;
                results[i].reason = e.what();
            }
            results[i].seconds =
                std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
        }
    };
    std::vector<std::thread> pool;
    for (unsigned w = 1; w < workers; ++w) pool.emplace_back(work);
    work();
    for (std::thread &t : pool) t.join();
    return results;
}

json to_json(const CheckResult &r, bool with_times) {
    json j = {{"name", r.name},
              {"format", r.format},
              {"clauses", r.clauses},
              {"proves", r.proves},
              {"verdict", verdict_name(r.verdict)},
              {"queries", r.queries}};
    if (with_times) j["seconds"] = r.seconds;
    if (!r.reason.empty()) j["reason"] = r.reason;
    if (!r.counterexample.empty()) j["counterexample"] = r.counterexample;
    return j;
}

json results_json(const std::vector<CheckResult> &results, const std::string &format,
                  bool with_times) {
    json checks = json::array();
    std::string verdict = "proved";
    double seconds = 0;
    for (const CheckResult &r : results) {
        checks.push_back(to_json(r, with_times));
        seconds += r.seconds;
        // The worst verdict: counterexample over unknown/error over proved.
        if (r.verdict == Verdict::counterexample)
            verdict = "counterexample";
        else if (r.verdict != Verdict::proved && verdict == "proved")
            verdict = verdict_name(r.verdict);
    }
    json j = {{"format", format}, {"verdict", verdict}, {"checks", checks}};
    if (with_times) j["seconds"] = seconds;
    return j;
}

json results_json(const std::string &format, const Options &opt, bool with_times) {
    return results_json(run_checks(format, opt), format, with_times);
}

} // namespace svac::formal
