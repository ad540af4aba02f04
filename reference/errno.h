// Return codes as the kernel has them: 0 or a negative errno value. An
// ErrnoSet is what the spec allows for one call.
#pragma once

#include <cerrno>
#include <cstdint>
#include <string>
#include <string_view>

namespace svac::ref {

// The codes the SVA contract speaks of, in the order the policy prefers them.
inline constexpr int kSpecCodes[] = {0,       -EINVAL,    -ENODEV, -EOPNOTSUPP, -EBUSY, -EEXIST,
                                     -ERANGE, -EOVERFLOW, -ENOSPC, -ENOMEM,     -ESRCH};

class ErrnoSet {
public:
    constexpr ErrnoSet() = default;
    constexpr ErrnoSet(std::initializer_list<int> codes) {
        for (int c : codes) add(c);
    }
    constexpr void add(int code) { mask_ |= bit(code); }
    constexpr ErrnoSet &operator|=(ErrnoSet o) {
        mask_ |= o.mask_;
        return *this;
    }
    constexpr bool contains(int code) const { return (mask_ & bit(code)) != 0; }
    constexpr bool empty() const { return mask_ == 0; }
    constexpr bool allows_success() const { return contains(0); }
    // The policy's pick when nobody chose: success if allowed, else the first error.
    constexpr int preferred() const {
        for (int c : kSpecCodes)
            if (contains(c)) return c;
        return 0;
    }
    template <typename F> void for_each(F &&f) const {
        for (int c : kSpecCodes)
            if (contains(c)) f(c);
    }
    std::string to_string() const; // "{0, -EBUSY, -EEXIST}"

private:
    static constexpr uint32_t bit(int code) {
        for (unsigned i = 0; i < std::size(kSpecCodes); ++i)
            if (kSpecCodes[i] == code) return 1u << i;
        return 0; // a code outside the vocabulary is never allowed
    }
    uint32_t mask_ = 0;
};

// "-EINVAL", "0", or "12345" for something that is no errno.
std::string errno_name(int rc);
// Parses "-EINVAL" or "EINVAL"; returns false if unknown.
bool errno_from_name(std::string_view name, int &rc);

} // namespace svac::ref
