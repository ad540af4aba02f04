// Validation of JSON input (traces, snapshots): a Validator walks the JSON
// with its pointer so that every error names the source, the place and the
// reason, as an InputError.
#pragma once

#include "engine/trace.h"
#include "reports/json_text.h"

#include <cstdint>
#include <initializer_list>
#include <span>
#include <string>
#include <string_view>

namespace svac::engine::detail {

class Validator {
public:
    explicit Validator(std::string_view source) : source_(source) {}

    [[noreturn]] void fail(const std::string &where, const std::string &why) const {
        throw InputError(std::string(source_) + ": " + (where.empty() ? "/" : where) + ": " + why);
    }

    static std::string type_of(const json &j) { return j.type_name(); }

    const json &field(const json &obj, const std::string &where, const char *key) const {
        auto it = obj.find(key);
        if (it == obj.end()) fail(where, std::string("missing field \"") + key + "\"");
        return *it;
    }

    uint64_t unsigned_value(const json &j, const std::string &where, uint64_t max) const {
        if (!j.is_number_integer() ||
            (j.is_number_integer() && !j.is_number_unsigned() && j.get<int64_t>() < 0))
            fail(where,
                 "expected an unsigned integer, got " + (j.is_number() ? j.dump() : type_of(j)));
        uint64_t v = j.get<uint64_t>();
        if (v > max)
            fail(where,
                 std::to_string(v) + " is out of range (at most " + std::to_string(max) + ")");
        return v;
    }

    bool bool_value(const json &j, const std::string &where) const {
        if (!j.is_boolean()) fail(where, "expected true or false, got " + type_of(j));
        return j.get<bool>();
    }

    int int_value(const json &j, const std::string &where) const {
        if (!j.is_number_integer()) fail(where, "expected an integer, got " + type_of(j));
        if (j.is_number_unsigned() && j.get<uint64_t>() > uint64_t{INT32_MAX})
            fail(where, j.dump() + " is not a 32-bit return code");
        if (!j.is_number_unsigned() && j.get<int64_t>() < int64_t{INT32_MIN})
            fail(where, j.dump() + " is not a 32-bit return code");
        return static_cast<int>(j.get<int64_t>());
    }

    void only_keys(const json &obj, const std::string &where,
                   std::initializer_list<std::string_view> keys) const {
        only_keys(obj, where, std::span<const std::string_view>(keys.begin(), keys.size()));
    }
    void only_keys(const json &obj, const std::string &where,
                   std::span<const std::string_view> keys) const {
        for (auto it = obj.begin(); it != obj.end(); ++it) {
            bool known = false;
            for (auto k : keys) known = known || it.key() == k;
            if (!known)
                fail(where + "/" + reports::excerpt_text(it.key()),
                     "unknown field " + reports::excerpt(json(it.key())));
        }
    }

    void object(const json &j, const std::string &where) const {
        if (!j.is_object()) fail(where, "expected an object, got " + type_of(j));
    }

private:
    std::string_view source_;
};

} // namespace svac::engine::detail
