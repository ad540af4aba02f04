#include "reports/json_text.h"

namespace svac::reports {

namespace {

std::string line_col(std::string_view text, std::size_t byte) {
    std::size_t line = 1, col = 1;
    for (std::size_t i = 0; i < byte && i < text.size(); ++i) {
        if (text[i] == '\n') {
            ++line;
            col = 1;
        } else {
            ++col;
        }
    }
    return "line " + std::to_string(line) + ", column " + std::to_string(col);
}

} // namespace

std::optional<nlohmann::ordered_json> parse_json_text(std::string_view text, std::string *error) {
    using json = nlohmann::ordered_json;
    try {
        return json::parse(text.begin(), text.end());
    } catch (const json::parse_error &e) {
        // "[json.exception.parse_error.101] parse error at line 3, column 5: ..."
        std::string what = e.what();
        auto colon = what.find(": ");
        std::string reason = colon == std::string::npos ? what : what.substr(colon + 2);
        *error = line_col(text, e.byte > 0 ? e.byte - 1 : 0) + ": not valid JSON: " + reason;
    } catch (const json::out_of_range &e) {
        // "[json.exception.out_of_range.406] number overflow parsing '1e999'": no place.
        std::string what = e.what();
        auto open = what.find('\''), close = what.rfind('\'');
        std::string token = open != std::string::npos && close > open
                                ? what.substr(open + 1, close - open - 1)
                                : "";
        auto at = token.empty() ? std::string_view::npos : text.find(token);
        *error = (at != std::string_view::npos ? line_col(text, at) + ": " : std::string()) +
                 "number out of range: " + (token.empty() ? what : token);
    }
    return std::nullopt;
}

} // namespace svac::reports
