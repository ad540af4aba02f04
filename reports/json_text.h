// JSON text to a document, with a located reason when it is not one. Shared
// by the trace and report readers: both name the file, the line and column,
// and why.
#pragma once

#include <nlohmann/json.hpp>

#include <optional>
#include <string>
#include <string_view>

namespace svac::reports {

// The document, or nullopt with *error set to "line L, column C: not valid
// JSON: ..." (or "...: number out of range: 1e999" for a number no double
// holds, which nlohmann reports without its place).
std::optional<nlohmann::ordered_json> parse_json_text(std::string_view text, std::string *error);

} // namespace svac::reports
