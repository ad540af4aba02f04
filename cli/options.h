// The values of the command's options checked against their meaning, as
// CLI11 validators: a number must be written in full, be finite and lie in
// the option's range; a name must not be empty. A bad value is exit 2 with
// one short line: "--step-timeout: must be a number of seconds in (0, 86400],
// not 1e10".
#pragma once

#include <CLI/CLI.hpp>

#include <cstdint>
#include <string>

namespace svac::cli {

// A whole number (decimal, or hex with 0x) in [lo, hi]; `unit` says what it
// counts ("sequences"), "" for a plain number.
CLI::Validator whole_number(uint64_t lo, uint64_t hi, const std::string &unit = "");

// A finite number of seconds in (0, hi], or [0, hi] with `zero` set (its
// meaning, "none", is in the help).
CLI::Validator seconds(double hi, bool zero = false);

// A name that must not be empty: `what` says what it names ("a mutant").
CLI::Validator non_empty(const std::string &what);

} // namespace svac::cli
