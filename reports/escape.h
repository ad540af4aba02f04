// Escaping for the report writers. Every string a driver, a trace or a
// corpus can reach (driver names, messages, JSON values) goes through one of
// these before it lands in a page, an XML file, Markdown or a terminal, so a
// hostile string is shown, never run.
#pragma once

#include <string>
#include <string_view>

namespace svac::reports {

// HTML and XML text and attribute values: & < > " ' as entities; invalid
// UTF-8 and the control characters XML 1.0 cannot carry (all below 0x20 but
// tab, newline and carriage return; U+FFFE, U+FFFF) become U+FFFD.
std::string xml_escape(std::string_view s);
inline std::string html_escape(std::string_view s) {
    return xml_escape(s);
}

// Markdown inline text (GitHub Flavored): line breaks become spaces, < > &
// become entities, and what makes links and images ([ ]), emphasis (* _),
// code (`), strikethrough (~), tables (|), mentions (@) and autolinks
// ("://") is backslash-escaped.
std::string md_escape(std::string_view s);

// A terminal line: invalid UTF-8 becomes U+FFFD and control characters
// (C0, DEL, C1: what starts an escape sequence) become '?'.
std::string term_escape(std::string_view s);

// s with invalid UTF-8 sequences replaced by U+FFFD.
std::string valid_utf8(std::string_view s);

} // namespace svac::reports
