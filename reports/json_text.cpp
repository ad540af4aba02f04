#include "reports/json_text.h"

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <vector>

namespace svac::reports {

namespace {

using json = nlohmann::ordered_json;

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

// A character iterator that tells how far the parser has read: SAX events
// carry no place, so the checker below takes it from here.
class TrackedChar {
public:
    using iterator_category = std::input_iterator_tag;
    using value_type = char;
    using difference_type = std::ptrdiff_t;
    using pointer = const char *;
    using reference = const char &;

    TrackedChar(const char *at, const char **read_to) : at_(at), read_to_(read_to) {}
    reference operator*() const { return *at_; }
    TrackedChar &operator++() {
        *read_to_ = ++at_;
        return *this;
    }
    bool operator==(const TrackedChar &o) const { return at_ == o.at_; }
    bool operator!=(const TrackedChar &o) const { return at_ != o.at_; }

private:
    const char *at_;
    const char **read_to_;
};

// The byte where the string token ending just before `end` starts (its
// opening quote).
std::size_t string_start(std::string_view text, std::size_t end) {
    for (std::size_t i = end >= 2 ? end - 2 : 0; i > 0; --i) {
        if (text[i] != '"') continue;
        std::size_t slashes = 0;
        while (slashes < i && text[i - 1 - slashes] == '\\') ++slashes;
        if (slashes % 2 == 0) return i;
    }
    return 0;
}

// nlohmann's message with the token it quotes ("last read: '...'") cut to an
// excerpt: the token may be a whole megabyte-long string.
std::string short_reason(const std::string &what) {
    auto colon = what.find(": ");
    std::string reason = colon == std::string::npos ? what : what.substr(colon + 2);
    const std::string lead = "; last read: '";
    auto from = reason.find(lead);
    if (from == std::string::npos) return reason;
    from += lead.size();
    auto to = reason.find("'; expected ", from);
    if (to == std::string::npos) to = reason.size() - 1;
    if (to < from) return reason;
    return reason.substr(0, from) + excerpt_text(std::string_view(reason).substr(from, to - from)) +
           reason.substr(to);
}

// One pass over the text before anything is built: the events of nlohmann's
// SAX parser (which keeps its own stack on the heap), counting depth and
// remembering each open object's keys. The first problem in the text stops
// it, with its place.
class Checker {
public:
    explicit Checker(std::string_view text) : text_(text), read_to_(text.data()) {}

    bool check() {
        return json::sax_parse(TrackedChar(text_.data(), &read_to_),
                               TrackedChar(text_.data() + text_.size(), &read_to_), this);
    }
    const std::string &error() const { return error_; }

    // The SAX interface.
    bool null() { return true; }
    bool boolean(bool) { return true; }
    bool number_integer(json::number_integer_t) { return true; }
    bool number_unsigned(json::number_unsigned_t) { return true; }
    bool number_float(json::number_float_t, const json::string_t &) { return true; }
    bool string(json::string_t &) { return true; }
    bool binary(json::binary_t &) { return true; }
    bool start_object(std::size_t) {
        keys_.emplace_back();
        return enter();
    }
    bool key(json::string_t &k) {
        std::size_t at = string_start(text_, read());
        auto [it, fresh] = keys_.back().try_emplace(k, at);
        if (fresh) return true;
        return fail(at, "duplicate key " + excerpt(json(k)) + " (first at " +
                            line_col(text_, it->second) + ")");
    }
    bool end_object() {
        keys_.pop_back();
        --depth_;
        return true;
    }
    bool start_array(std::size_t) { return enter(); }
    bool end_array() {
        --depth_;
        return true;
    }
    bool parse_error(std::size_t byte, const std::string &token,
                     const nlohmann::detail::exception &e) {
        if (e.id == 406) // out_of_range: a number no double holds, read up to `byte`
            return fail(byte >= token.size() ? byte - token.size() : 0,
                        "number out of range: " + excerpt_text(token));
        return fail(byte > 0 ? byte - 1 : 0, "not valid JSON: " + short_reason(e.what()));
    }

private:
    std::size_t read() const { return static_cast<std::size_t>(read_to_ - text_.data()); }
    bool enter() {
        if (++depth_ <= kMaxJsonDepth) return true;
        return fail(read() - 1, "nested deeper than " + std::to_string(kMaxJsonDepth) + " levels");
    }
    bool fail(std::size_t byte, const std::string &why) {
        error_ = line_col(text_, byte) + ": " + why;
        return false;
    }

    std::string_view text_;
    const char *read_to_;
    std::size_t depth_ = 0;
    std::vector<std::map<std::string, std::size_t>> keys_; // each open object's, and where
    std::string error_;
};

} // namespace

std::optional<std::string> read_json_file(const std::string &path, std::string *error) {
    std::error_code ec;
    if (std::filesystem::is_directory(path, ec)) {
        *error = "is a directory";
        return std::nullopt;
    }
    std::ifstream in(path, std::ios::binary);
    if (!in) {
        *error = std::string("cannot open: ") + std::strerror(errno);
        return std::nullopt;
    }
    std::string text;
    std::vector<char> buf(std::size_t{1} << 16);
    while (in.read(buf.data(), static_cast<std::streamsize>(buf.size())) || in.gcount() > 0) {
        text.append(buf.data(), static_cast<std::size_t>(in.gcount()));
        if (text.size() > kMaxJsonBytes) {
            *error = "larger than " + std::to_string(kMaxJsonBytes >> 20) + " MiB";
            return std::nullopt;
        }
    }
    if (in.bad()) {
        *error = "cannot read";
        return std::nullopt;
    }
    return text;
}

std::optional<json> parse_json_text(std::string_view text, std::string *error) {
    Checker checker(text);
    if (!checker.check()) {
        *error = checker.error();
        return std::nullopt;
    }
    return json::parse(text.begin(), text.end()); // checked: parses, and shallow enough
}

std::string excerpt_text(std::string_view text) {
    std::size_t chars = 0;
    for (std::size_t i = 0; i < text.size(); ++i) {
        bool starts_char = (static_cast<unsigned char>(text[i]) & 0xC0) != 0x80;
        if (starts_char && ++chars > kExcerptChars) return std::string(text.substr(0, i)) + "…";
    }
    return std::string(text);
}

std::string excerpt(const json &value) {
    return excerpt_text(value.dump(-1, ' ', false, json::error_handler_t::replace));
}

} // namespace svac::reports
