// sva-conform report render / diff: a report.json in another format, and two
// reports compared (the nightly regression gate).
#include "cli/cli.h"
#include "reports/diff.h"
#include "reports/escape.h"
#include "reports/writers.h"

#include <fmt/format.h>

namespace svac::cli {

namespace {

reports::Report load(const std::string &path) {
    try {
        return reports::load_report(path);
    } catch (const reports::ReportError &e) {
        throw UsageError(e.what());
    }
}

} // namespace

int cmd_report_render(const std::string &path, const std::string &format,
                      const std::string &output) {
    const reports::Report r = load(path);
    const std::string text = reports::render(r, format);
    if (output.empty() || output == "-") {
        fmt::print("{}", text);
        return kConformant;
    }
    try {
        reports::write_atomic(output, text);
    } catch (const std::runtime_error &e) {
        throw UsageError(std::string("-o: ") + e.what());
    }
    fmt::print(stderr, "wrote {}\n", output);
    return kConformant;
}

int cmd_report_diff(const std::string &old_path, const std::string &new_path) {
    const reports::Report before = load(old_path), after = load(new_path);
    const reports::ReportDiff d = reports::diff_reports(before, after);
    fmt::print("report diff {} -> {}\n{}", reports::term_escape(old_path),
               reports::term_escape(new_path), reports::format_diff(d, after));
    return d.regression() ? kFindings : kConformant;
}

} // namespace svac::cli
