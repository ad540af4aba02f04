// sva-conform failnth: the fail-nth allocation sweep (engine/failnth.h).
// One line per injection point, DIR/failnth.json with one record per point,
// and the trace of each point that is not clean as DIR/points/<n>.json
// (with "fail_alloc_nth": `sva-conform replay` reproduces it).
#include "cli/cli.h"

#include "engine/driver.h"
#include "engine/failnth.h"
#include "engine/interrupt.h"
#include "reports/escape.h"
#include "reports/report.h"

#include <fmt/format.h>

#include <chrono>
#include <filesystem>

namespace svac::cli {

namespace {

using engine::FailnthPoint;
using engine::json;
using Where = FailnthPoint::Where;
using reports::term_escape;

// An op as a point's line names it: its arguments, PASIDs by the mm that
// holds them (the sweep's runs differ in what PASID that is).
std::string op_text(const ref::Op &op) {
    using ref::OpKind;
    std::string s{ref::op_name(op.kind)};
    auto pasid = [&] {
        if (op.kind == OpKind::dma && op.no_pasid) return std::string("no pasid");
        return op.pasid.of_mm ? "mm " + std::to_string(op.pasid.value) + "'s pasid"
                              : "pasid " + std::to_string(op.pasid.value);
    };
    switch (op.kind) {
    case OpKind::set_sva_param:
        return fmt::format("{}(dev {}, {}..{})", s, op.dev, op.min, op.max);
    case OpKind::bind:
        return fmt::format("{}(dev {}, mm {})", s, op.dev, op.mm);
    case OpKind::unbind:
        return fmt::format("{}(dev {}, {})", s, op.dev, pasid());
    case OpKind::dma:
    case OpKind::page_request:
        return fmt::format("{}(dev {}, {}, va {:#x})", s, op.dev, pasid(), op.va);
    case OpKind::mm_exit:
        return fmt::format("{}(mm {})", s, op.mm);
    case OpKind::mm_map:
    case OpKind::mm_unmap:
    case OpKind::mm_protect:
        return fmt::format("{}(mm {}, va {:#x}, {} pages)", s, op.mm, op.va, op.pages);
    default:
        return ref::op_has_dev(op.kind) ? fmt::format("{}(dev {})", s, op.dev) : s;
    }
}

std::string where_name(Where w) {
    switch (w) {
    case Where::create:
        return "create";
    case Where::op:
        return "op";
    case Where::destroy:
        return "destroy";
    case Where::none:
        return "none";
    case Where::unknown:
        break;
    }
    return "unknown";
}

// "bind(dev 0, mm 1) at step 4: -ENOMEM", "create: NULL", ...
std::string point_text(const FailnthPoint &p, const engine::Trace &t) {
    switch (p.where) {
    case Where::create:
        return p.create_null ? "create: NULL" : "create: an instance (it coped)";
    case Where::destroy:
        return "destroy";
    case Where::op:
        return fmt::format("{} at step {}: {}", op_text(t.ops[p.step]), p.step,
                           p.rc ? ref::errno_name(*p.rc) : std::string("(no return code)"));
    case Where::none:
        return "no allocation to refuse";
    case Where::unknown:
        break;
    }
    return "(where the allocation was refused is not known)";
}

json point_json(const FailnthPoint &p, const engine::Trace &t, const std::string &trace_file) {
    json j = {{"n", p.n}, {"at", where_name(p.where)}};
    if (p.where == Where::op) {
        j["step"] = p.step;
        j["op"] = ref::op_name(t.ops[p.step].kind);
        j["what"] = op_text(t.ops[p.step]);
        if (p.rc) {
            j["rc"] = *p.rc;
            j["rc_name"] = ref::errno_name(*p.rc);
        }
    }
    if (p.where == Where::create) {
        j["op"] = "create";
        j["create_null"] = p.create_null;
    }
    if (p.where == Where::destroy) j["op"] = "destroy";
    if (p.where == Where::none) {
        j["outcome"] = "no-hit";
    } else if (p.clean()) {
        j["outcome"] = "clean";
    } else {
        j["outcome"] = "finding";
        j["finding"] = {{"clause", ref::clause_id(p.finding->clause)},
                        {"step", p.finding->step},
                        {"message", p.finding->message},
                        {"expected", p.finding->expected},
                        {"actual", p.finding->actual},
                        {"trace", trace_file}};
    }
    return j;
}

std::string finding_line(const engine::Finding &f) {
    return fmt::format("{} at step {}: {}", ref::clause_id(f.clause), f.step, f.message);
}

void write_file(const std::filesystem::path &path, const std::string &text) {
    try {
        reports::write_atomic(path.string(), text);
    } catch (const std::runtime_error &e) {
        throw UsageError(std::string("--out: ") + e.what());
    }
}

// DIR/failnth.json. `complete` is false until the sweep has ended: in the
// file written as it starts (an earlier run's file never stands for this
// one), and after a stop request (the points judged so far).
json failnth_doc(const SelectedDriver &selected, const std::string &source,
                 const std::filesystem::path &out, const engine::Trace &trace, bool isolated,
                 const json &points, const engine::FailnthResult &result, double duration,
                 bool ended) {
    const svac_driver_ops &driver = *selected;
    json doc;
    doc["format"] = "sva-failnth/1";
    doc["complete"] = ended && !result.interrupted;
    doc["driver"] = {{"name", driver.name},
                     {"version", driver.version ? driver.version : ""},
                     {"library_kind", selected.library_kind}};
    if (selected.plugin()) doc["driver"]["library_path"] = selected.library_path;
    doc["trace"] = {
        {"source", source}, {"file", (out / "trace.json").string()}, {"ops", trace.ops.size()}};
    doc["isolated"] = isolated;
    doc["allocations"] = result.allocs;
    if (result.baseline) {
        std::string file = (out / "baseline.json").string();
        write_file(file, reports::dump_json(engine::trace_to_json(result.baseline->trace)) + "\n");
        doc["baseline"] = {{"clause", ref::clause_id(result.baseline->clause)},
                           {"step", result.baseline->step},
                           {"message", result.baseline->message},
                           {"trace", file}};
    } else {
        doc["baseline"] = result.baseline_run ? json("conformant") : json(nullptr);
    }
    doc["points"] = points;
    const std::size_t hit = result.hit(), bad = result.not_clean();
    doc["summary"] = {
        {"points", hit},
        {"clean", hit - std::min(hit, bad)},
        {"not_clean", bad},
        {"complete", ended && !result.baseline && !result.capped && !result.interrupted}};
    doc["duration_s"] = duration;
    doc["tool_version"] = tool_version();
    return doc;
}

} // namespace

int cmd_failnth(const FailnthOptions &opt) {
    const SelectedDriver selected = select_driver(opt.driver, opt.driver_lib, opt.driver_host);
    const svac_driver_ops &driver = *selected;
    engine::Trace trace;
    std::string source;
    const ref::Profile *profile = opt.profile.empty() ? nullptr : &profile_option(opt.profile);
    if (!opt.trace_path.empty()) {
        trace = engine::load_trace(
            opt.trace_path, profile ? std::optional<std::string>(profile->name) : std::nullopt);
        std::string why = engine::check_driver_trace(driver, trace);
        if (!why.empty()) throw engine::InputError(opt.trace_path + ": " + why);
        source = opt.trace_path;
    } else {
        ref::Arch arch;
        if (driver.arch_mask & (1u << SVAC_ARCH_SMMUV3))
            arch = ref::Arch::smmuv3;
        else if (driver.arch_mask & (1u << SVAC_ARCH_VTD))
            arch = ref::Arch::vtd;
        else
            throw UsageError(std::string("driver ") + driver.name +
                             " drives no architecture the built-in traces cover: give a TRACE");
        trace = engine::failnth_trace(arch, profile ? *profile : ref::default_profile());
        source = "built-in " + std::string(ref::arch_name(arch)) + " trace";
        if (profile) source += " of " + std::string(profile->name);
        std::string why = engine::check_driver_profile(driver, engine::profile_of(trace));
        if (!why.empty()) throw UsageError("--profile: " + why);
    }
    trace.fail_alloc_nth = 0;

    check_out_dir(opt.out);
    const std::filesystem::path out = opt.out, points_dir = out / "points";
    std::error_code ec;
    std::filesystem::create_directories(points_dir, ec);
    if (ec || !std::filesystem::is_directory(points_dir))
        throw UsageError("--out: " + opt.out + ": cannot create directory" +
                         (ec ? ": " + ec.message() : std::string()));
    for (const auto &e : std::filesystem::directory_iterator(points_dir, ec)) // stale points
        if (e.path().extension() == ".json") std::filesystem::remove(e.path(), ec);
    write_file(out / "trace.json", engine::print_trace(trace));

    engine::RunOptions options;
    options.isolate = opt.isolation.choose(selected);
    if (options.isolate) options.isolate->leak_check = true; // LeakSanitizer after destroy
    const std::string report = (out / "failnth.json").string();
    write_file(report, reports::dump_json(failnth_doc(selected, source, out, trace,
                                                      options.isolate.has_value(), json::array(),
                                                      {}, 0, false)) +
                           "\n");
    engine::install_stop_handlers(); // a signal: the points so far, "complete": false

    const bool lines = !opt.as_json;
    if (lines)
        fmt::print("failnth: driver {} ({}), {} ({} ops), {}\n", term_escape(driver.name),
                   term_escape(driver.version ? driver.version : "?"), term_escape(source),
                   trace.ops.size(),
                   options.isolate ? "each run in a driver host" : "in this process");
    std::fflush(stdout);
    const auto t0 = std::chrono::steady_clock::now();
    json points = json::array();
    auto on_point = [&](const FailnthPoint &p) {
        std::string file;
        if (!p.clean()) {
            file = (points_dir / (std::to_string(p.n) + ".json")).string();
            write_file(
                file, reports::dump_json(engine::trace_to_json(engine::finding_trace(*p.finding))) +
                          "\n");
        }
        points.push_back(point_json(p, trace, file));
        if (!lines) return;
        std::string tag = fmt::format("#{}", p.n);
        if (p.where == Where::none)
            fmt::print("  {:<5} {}: the run made {}, no-hit\n", tag, point_text(p, trace), p.n - 1);
        else if (p.clean())
            fmt::print("  {:<5} {}, clean\n", tag, point_text(p, trace));
        else
            fmt::print("  {:<5} {}, finding {}\n        trace: {}\n", tag, point_text(p, trace),
                       term_escape(finding_line(*p.finding)), term_escape(file));
        std::fflush(stdout);
    };
    engine::FailnthResult result;
    try {
        result = engine::sweep_failnth(driver, trace, options, on_point);
    } catch (const engine::DriverError &e) {
        fmt::print(stderr, "sva-conform: failnth: {}\n", term_escape(e.what()));
        return kFindings;
    }
    const double duration =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();

    json doc = failnth_doc(selected, source, out, trace, options.isolate.has_value(), points,
                           result, duration, true);
    write_file(report, reports::dump_json(doc) + "\n");

    const std::size_t hit = result.hit(), bad = result.not_clean();
    int status = result.baseline || bad > 0 ? kFindings : kConformant;
    if (!lines) {
        fmt::print("{}\n", reports::dump_json(doc));
        return status;
    }
    if (result.baseline) {
        fmt::print("the trace is not conformant without an injected failure: finding {}\n"
                   "    trace: {}\nno injection point swept\n",
                   term_escape(finding_line(*result.baseline)),
                   term_escape(doc["baseline"]["trace"].get<std::string>()));
    } else if (result.interrupted) {
        fmt::print("stopped by a signal after {} points ({} not clean): failnth.json holds them "
                   "(\"complete\": false)\n",
                   result.points.size(), bad);
    } else {
        if (result.capped) fmt::print("stopped after {} points\n", result.points.size());
        if (result.allocs == 0)
            fmt::print("the run made no platform allocation: nothing to refuse\n");
        if (bad == 0)
            fmt::print("{} injection points, all clean ({} allocations in the run, {:.2f} s)\n",
                       hit, result.allocs, duration);
        else
            fmt::print("{} of {} injection points not clean ({} allocations in the run, {:.2f} "
                       "s)\n",
                       bad, hit, result.allocs, duration);
    }
    fmt::print("report: {}\n", term_escape(report));
    return status;
}

} // namespace svac::cli
