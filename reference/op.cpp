#include "reference/op.h"

namespace svac::ref {

namespace {
constexpr std::string_view kNames[] = {"has_feature",     "feature_enabled", "enable_feature",
                                       "disable_feature", "set_sva_param",   "bind",
                                       "unbind",          "mm_exit"};
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

bool op_has_dev(OpKind k) {
    return k != OpKind::mm_exit;
}
bool op_has_mm(OpKind k) {
    return k == OpKind::bind || k == OpKind::mm_exit;
}
bool op_has_feat(OpKind k) {
    return k == OpKind::has_feature || k == OpKind::feature_enabled ||
           k == OpKind::enable_feature || k == OpKind::disable_feature;
}
bool op_is_query(OpKind k) {
    return k == OpKind::has_feature || k == OpKind::feature_enabled;
}

} // namespace svac::ref
