#include "reports/escape.h"

#include <cstdint>

namespace svac::reports {

namespace {

constexpr std::string_view kReplacement = "\xEF\xBF\xBD"; // U+FFFD

void append_utf8(std::string &out, uint32_t cp) {
    if (cp < 0x80) {
        out += static_cast<char>(cp);
    } else if (cp < 0x800) {
        out += static_cast<char>(0xC0 | (cp >> 6));
        out += static_cast<char>(0x80 | (cp & 0x3F));
    } else if (cp < 0x10000) {
        out += static_cast<char>(0xE0 | (cp >> 12));
        out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
        out += static_cast<char>(0x80 | (cp & 0x3F));
    } else {
        out += static_cast<char>(0xF0 | (cp >> 18));
        out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
        out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
        out += static_cast<char>(0x80 | (cp & 0x3F));
    }
}

// Calls f(code point) for each character of s; an invalid sequence is
// U+FFFD (one per bad byte).
template <class F> void for_each_code_point(std::string_view s, F &&f) {
    std::size_t i = 0;
    while (i < s.size()) {
        auto b = static_cast<unsigned char>(s[i]);
        uint32_t cp = 0;
        std::size_t len = 0;
        if (b < 0x80) {
            cp = b;
            len = 1;
        } else if (b >= 0xC2 && b <= 0xDF) {
            cp = b & 0x1F;
            len = 2;
        } else if (b >= 0xE0 && b <= 0xEF) {
            cp = b & 0x0F;
            len = 3;
        } else if (b >= 0xF0 && b <= 0xF4) {
            cp = b & 0x07;
            len = 4;
        }
        bool ok = len != 0 && i + len <= s.size();
        for (std::size_t k = 1; ok && k < len; ++k) {
            auto c = static_cast<unsigned char>(s[i + k]);
            ok = (c & 0xC0) == 0x80;
            cp = (cp << 6) | (c & 0x3F);
        }
        // Overlong forms, surrogates and code points beyond U+10FFFF.
        ok = ok && !(len == 3 && cp < 0x800) && !(len == 4 && (cp < 0x10000 || cp > 0x10FFFF)) &&
             !(cp >= 0xD800 && cp <= 0xDFFF);
        if (!ok) {
            f(0xFFFD);
            ++i;
        } else {
            f(cp);
            i += len;
        }
    }
}

} // namespace

std::string valid_utf8(std::string_view s) {
    std::string out;
    out.reserve(s.size());
    for_each_code_point(s, [&](uint32_t cp) { append_utf8(out, cp); });
    return out;
}

std::string xml_escape(std::string_view s) {
    std::string out;
    out.reserve(s.size() + s.size() / 8);
    for_each_code_point(s, [&](uint32_t cp) {
        switch (cp) {
        case '&':
            out += "&amp;";
            return;
        case '<':
            out += "&lt;";
            return;
        case '>':
            out += "&gt;";
            return;
        case '"':
            out += "&quot;";
            return;
        case '\'':
            out += "&#39;";
            return;
        default:
            break;
        }
        if ((cp < 0x20 && cp != '\t' && cp != '\n' && cp != '\r') || cp == 0xFFFE || cp == 0xFFFF)
            out += kReplacement;
        else
            append_utf8(out, cp);
    });
    return out;
}

std::string md_escape(std::string_view s) {
    std::string out;
    out.reserve(s.size() + s.size() / 4);
    // Links and images need brackets, emphasis * or _, code `, strikethrough
    // ~, tables |, mentions @ (they notify people), autolinks "://".
    constexpr std::string_view kPunct = "\\`*_[]|~@";
    for_each_code_point(s, [&](uint32_t cp) {
        if (cp == '<')
            out += "&lt;";
        else if (cp == '>')
            out += "&gt;";
        else if (cp == '&')
            out += "&amp;";
        else if (cp < 0x20 || cp == 0x7F || (cp >= 0x80 && cp < 0xA0))
            out += ' ';
        else if (cp < 0x80 && kPunct.find(static_cast<char>(cp)) != std::string_view::npos) {
            out += '\\';
            out += static_cast<char>(cp);
        } else
            append_utf8(out, cp);
    });
    for (auto p = out.find("://"); p != std::string::npos; p = out.find("://", p + 4))
        out.insert(p, 1, '\\'); // no autolink
    return out;
}

std::string term_escape(std::string_view s) {
    std::string out;
    out.reserve(s.size());
    for_each_code_point(s, [&](uint32_t cp) {
        if (cp < 0x20 || cp == 0x7F || (cp >= 0x80 && cp < 0xA0))
            out += '?';
        else
            append_utf8(out, cp);
    });
    return out;
}

} // namespace svac::reports
