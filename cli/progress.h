// A live progress line on stderr for the long commands (run, mutants, fuzz):
// units done (of how many), a rate, findings, time left. Shown only when
// stderr is a terminal and CI is unset; redrawn at most ten times a second;
// erased by clear() (call it before printing anything else) and at the end.
#pragma once

#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <unistd.h>

namespace svac::cli {

// A terminal is watching and this is not CI.
inline bool progress_wanted() {
    return ::isatty(STDERR_FILENO) && !std::getenv("CI");
}

struct ProgressSample {
    uint64_t done = 0;  // units done
    uint64_t total = 0; // units planned; 0: unknown
    std::string_view unit = "sequences";
    uint64_t work = 0; // for the rate; with an empty work_unit, no rate
    std::string_view work_unit = "steps";
    uint64_t findings = 0;
    double elapsed_s = 0;
    double budget_s = 0;   // the time budget; 0: none
    std::string_view note; // what is running now (a mutant's name, ...)
};

class ProgressLine {
public:
    explicit ProgressLine(bool enabled = progress_wanted()) : enabled_(enabled) {}
    ~ProgressLine() { clear(); }
    ProgressLine(const ProgressLine &) = delete;
    ProgressLine &operator=(const ProgressLine &) = delete;

    bool enabled() const { return enabled_; }

    // Redraws the line, at most every 100 ms unless forced.
    void update(const ProgressSample &s, bool force = false) {
        if (!enabled_) return;
        auto now = std::chrono::steady_clock::now();
        if (!force && shown_ && now - last_ < std::chrono::milliseconds(100)) return;
        last_ = now;
        shown_ = true;
        fmt::print(stderr, "\r{}\033[K", format(s));
        std::fflush(stderr);
    }

    // Erases the line, so other output starts on a clean line.
    void clear() {
        if (!enabled_ || !shown_) return;
        fmt::print(stderr, "\r\033[K");
        std::fflush(stderr);
        shown_ = false;
    }

    // "1024/20000 sequences, 1.2M steps/s, 0 findings, 0:12 left"
    static std::string format(const ProgressSample &s) {
        std::string line = s.total ? fmt::format("{}/{} {}", s.done, s.total, s.unit)
                                   : fmt::format("{} {}", s.done, s.unit);
        if (!s.work_unit.empty() && s.elapsed_s > 0)
            line += fmt::format(", {} {}/s", si(double(s.work) / s.elapsed_s), s.work_unit);
        line += fmt::format(", {} finding{}", s.findings, s.findings == 1 ? "" : "s");
        double left = -1;
        if (s.budget_s > 0) left = s.budget_s > s.elapsed_s ? s.budget_s - s.elapsed_s : 0;
        if (s.total && s.done && s.elapsed_s > 0) {
            double by_rate =
                s.done >= s.total ? 0 : double(s.total - s.done) * s.elapsed_s / double(s.done);
            left = left < 0 ? by_rate : std::min(left, by_rate);
        }
        if (left >= 0) {
            auto secs = static_cast<uint64_t>(left + 0.5);
            line += fmt::format(", {}:{:02} left", secs / 60, secs % 60);
        }
        if (!s.note.empty()) line += fmt::format(" [{}]", s.note);
        return line;
    }

private:
    // 1234567 -> "1.2M".
    static std::string si(double v) {
        if (v >= 1e9) return fmt::format("{:.1f}G", v / 1e9);
        if (v >= 1e6) return fmt::format("{:.1f}M", v / 1e6);
        if (v >= 1e4) return fmt::format("{:.1f}k", v / 1e3);
        return fmt::format("{:.0f}", v);
    }

    bool enabled_;
    bool shown_ = false;
    std::chrono::steady_clock::time_point last_{};
};

} // namespace svac::cli
