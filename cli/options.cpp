#include "cli/options.h"

#include "reports/escape.h"

#include <fmt/format.h>

#include <charconv>
#include <cmath>
#include <optional>
#include <string_view>

namespace svac::cli {

namespace {

// The value as a message quotes it: terminal-safe, and short.
std::string shown(std::string_view value) {
    constexpr std::size_t kMax = 24;
    if (value.empty()) return "empty";
    if (value.size() <= kMax) return reports::term_escape(value);
    return reports::term_escape(value.substr(0, kMax)) + "...";
}

// The whole of `s` as an unsigned number (decimal, or hex after 0x), if it is one.
// A decimal number with a leading zero is not one: CLI11 would read "010" as
// octal 8, and a seed must replay as it was written.
std::optional<uint64_t> parse_whole(std::string_view s) {
    if (s.size() > 1 && s[0] == '0' && s[1] != 'x' && s[1] != 'X') return std::nullopt;
    int base = 10;
    if (s.size() > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
        s.remove_prefix(2);
        base = 16;
    }
    uint64_t v = 0;
    auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v, base);
    if (s.empty() || ec != std::errc() || end != s.data() + s.size()) return std::nullopt;
    return v;
}

// The whole of `s` as a finite number, if it is one.
std::optional<double> parse_finite(std::string_view s) {
    double v = 0;
    auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    if (s.empty() || ec != std::errc() || end != s.data() + s.size() || !std::isfinite(v))
        return std::nullopt;
    return v;
}

} // namespace

CLI::Validator whole_number(uint64_t lo, uint64_t hi, const std::string &unit) {
    const std::string range = fmt::format("[{}, {}]", lo, hi);
    const std::string rule =
        "must be a whole number" + (unit.empty() ? "" : " of " + unit) + " in " + range;
    return CLI::Validator(
        [=](std::string &input) {
            std::optional<uint64_t> v = parse_whole(input);
            if (!v || *v < lo || *v > hi) return rule + ", not " + shown(input);
            return std::string();
        },
        range);
}

CLI::Validator seconds(double hi, bool zero) {
    const std::string range = fmt::format("{}0, {}]", zero ? "[" : "(", hi);
    const std::string rule = "must be a number of seconds in " + range;
    return CLI::Validator(
        [=](std::string &input) {
            std::optional<double> v = parse_finite(input);
            if (!v || *v < 0 || (*v == 0 && !zero) || *v > hi)
                return rule + ", not " + shown(input);
            return std::string();
        },
        range);
}

CLI::Validator non_empty(const std::string &what) {
    return CLI::Validator(
        [=](std::string &input) {
            return input.empty() ? "must name " + what + ", not be empty" : std::string();
        },
        "");
}

} // namespace svac::cli
