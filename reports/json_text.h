// JSON text to a document, with a located reason when it is not one. Shared
// by the trace and report readers: both name the file, the line and column,
// and why. Inputs are bounded before nlohmann builds anything: its parser
// and its destructor recurse, so a document nested deep enough would
// overflow the stack.
#pragma once

#include <nlohmann/json.hpp>

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace svac::reports {

// The most a trace or report file may hold, and how deep its arrays and
// objects may nest (a report nests about 10 levels).
inline constexpr std::size_t kMaxJsonBytes = std::size_t{64} << 20;
inline constexpr std::size_t kMaxJsonDepth = 256;
// An error message quotes at most this many characters of a value.
inline constexpr std::size_t kExcerptChars = 60;

// The text of the file at path, or nullopt with *error set to why not ("is a
// directory", "cannot open: No such file or directory", "larger than 64
// MiB"). Reads at most kMaxJsonBytes + 1 bytes, so /dev/zero or an endless
// pipe stops too.
std::optional<std::string> read_json_file(const std::string &path, std::string *error);

// The document, or nullopt with *error set to "line L, column C: " and the
// reason: not valid JSON, a number no double holds, nesting deeper than
// kMaxJsonDepth, or a key that appears twice in one object.
std::optional<nlohmann::ordered_json> parse_json_text(std::string_view text, std::string *error);

// Text for an error message: at most kExcerptChars characters of it, then
// "…" if there was more.
std::string excerpt_text(std::string_view text);
// A value as compact JSON, cut the same way.
std::string excerpt(const nlohmann::ordered_json &value);

} // namespace svac::reports
