#include "reference/errno.h"

namespace svac::ref {

namespace {
struct Named {
    int code;
    std::string_view name;
};
constexpr Named kNames[] = {
    {EPERM, "EPERM"},
    {ENOENT, "ENOENT"},
    {ESRCH, "ESRCH"},
    {EINTR, "EINTR"},
    {EIO, "EIO"},
    {ENXIO, "ENXIO"},
    {E2BIG, "E2BIG"},
    {EAGAIN, "EAGAIN"},
    {ENOMEM, "ENOMEM"},
    {EACCES, "EACCES"},
    {EFAULT, "EFAULT"},
    {EBUSY, "EBUSY"},
    {EEXIST, "EEXIST"},
    {ENODEV, "ENODEV"},
    {EINVAL, "EINVAL"},
    {ENOSPC, "ENOSPC"},
    {ESPIPE, "ESPIPE"},
    {EDOM, "EDOM"},
    {ERANGE, "ERANGE"},
    {ENOSYS, "ENOSYS"},
    {EOPNOTSUPP, "EOPNOTSUPP"},
    {EOVERFLOW, "EOVERFLOW"},
    {ETIMEDOUT, "ETIMEDOUT"},
};
} // namespace

std::string errno_name(int rc) {
    if (rc == 0) return "0";
    if (rc < 0)
        for (const auto &n : kNames)
            if (-rc == n.code) return "-" + std::string(n.name);
    return std::to_string(rc);
}

bool errno_from_name(std::string_view name, int &rc) {
    if (name.starts_with('-')) name.remove_prefix(1);
    for (const auto &n : kNames)
        if (n.name == name) {
            rc = -n.code;
            return true;
        }
    return false;
}

std::string ErrnoSet::to_string() const {
    std::string s = "{";
    for_each([&](int c) {
        if (s.size() > 1) s += ", ";
        s += errno_name(c);
    });
    return s + "}";
}

} // namespace svac::ref
