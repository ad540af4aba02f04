#include "reference/op.h"
#include "reference/profile.h"

namespace svac::ref {

namespace {
constexpr std::string_view kNames[] = {"has_feature",
                                       "feature_enabled",
                                       "enable_feature",
                                       "disable_feature",
                                       "set_sva_param",
                                       "bind",
                                       "unbind",
                                       "mm_exit",
                                       "mm_map",
                                       "mm_unmap",
                                       "mm_protect",
                                       "dma",
                                       "page_request",
                                       "page_response",
                                       "register_fault_handler",
                                       "unregister_fault_handler",
                                       "queue_overflow",
                                       "set_ops",
                                       "mm_free"};
static_assert(std::size(kNames) == static_cast<std::size_t>(OpKind::count_));
} // namespace

std::string_view op_name(OpKind k) {
    return kNames[static_cast<std::size_t>(k)];
}

bool op_from_name(std::string_view name, OpKind &k) {
    for (std::size_t i = 0; i < std::size(kNames); ++i)
        if (kNames[i] == name) {
            k = static_cast<OpKind>(i);
            return true;
        }
    return false;
}

namespace {
constexpr std::string_view kCallNames[] = {"domain_alloc_sva", "set_dev_pasid", "remove_dev_pasid",
                                           "domain_free"};
} // namespace

std::string_view call_name(DriverCall::Kind k) {
    return kCallNames[static_cast<std::size_t>(k)];
}

bool call_from_name(std::string_view name, DriverCall::Kind &k) {
    for (std::size_t i = 0; i < std::size(kCallNames); ++i)
        if (kCallNames[i] == name) {
            k = static_cast<DriverCall::Kind>(i);
            return true;
        }
    return false;
}

bool op_has_dev(OpKind k) {
    return k != OpKind::mm_exit && k != OpKind::mm_free && k != OpKind::set_ops &&
           !op_is_mm_change(k);
}
bool op_has_mm(OpKind k) {
    return k == OpKind::bind || k == OpKind::mm_exit || k == OpKind::mm_free || op_is_mm_change(k);
}
bool op_has_feat(OpKind k) {
    return k == OpKind::has_feature || k == OpKind::feature_enabled ||
           k == OpKind::enable_feature || k == OpKind::disable_feature;
}
bool op_is_query(OpKind k) {
    return k == OpKind::has_feature || k == OpKind::feature_enabled;
}

} // namespace svac::ref

namespace svac::ref {

bool op_is_mm_change(OpKind k) {
    return k == OpKind::mm_map || k == OpKind::mm_unmap || k == OpKind::mm_protect;
}

bool op_returns(OpKind k) {
    return k != OpKind::mm_exit && k != OpKind::dma && k != OpKind::page_request &&
           k != OpKind::queue_overflow && k != OpKind::mm_free && !op_is_mm_change(k);
}

bool op_is_fault_core(OpKind k) {
    return k == OpKind::register_fault_handler || k == OpKind::unregister_fault_handler;
}

std::string perms_name(uint8_t perms) {
    std::string s;
    if (perms & 1) s += 'r';
    if (perms & 2) s += 'w';
    if (perms & 4) s += 'x';
    return s.empty() ? "-" : s;
}

bool perms_from_name(std::string_view name, uint8_t &perms) {
    perms = 0;
    if (name == "-") return true;
    for (char c : name) {
        uint8_t bit = c == 'r' ? 1 : c == 'w' ? 2 : c == 'x' ? 4 : 0;
        if (!bit || (perms & bit)) return false;
        perms |= bit;
    }
    return !name.empty();
}

Observation::Observation() = default;
Observation::Observation(const Observation &) = default;
Observation::Observation(Observation &&) noexcept = default;
Observation &Observation::operator=(const Observation &) = default;
Observation &Observation::operator=(Observation &&) noexcept = default;
Observation::~Observation() = default;

bool op_in_profile(OpKind k, const Profile &p) {
    switch (k) {
    case OpKind::set_sva_param:
        return p.sva_param;
    case OpKind::has_feature:
    case OpKind::feature_enabled:
        return p.feature_queries;
    case OpKind::enable_feature:
    case OpKind::disable_feature:
        return p.feature_api;
    case OpKind::set_ops:
        return p.contract == Contract::handle && p.mm_exit_callback;
    case OpKind::mm_free:
        return p.pasid_lifetime == PasidLifetime::mm;
    case OpKind::register_fault_handler:
    case OpKind::unregister_fault_handler:
        return p.contract != Contract::domain;
    default:
        return true;
    }
}

} // namespace svac::ref
