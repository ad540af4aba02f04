// Every FEAT, PARAM, BIND, UNBIND, MMEXIT and PASID clause the reference
// enforces, judged on recorded traces (engine::check_recorded). Each case is a
// conformant history (the prefix) and a last op recorded with outcomes that
// break the rule (each must give a finding with exactly that clause, at the
// last op) and outcomes the spec allows (each must give no finding), so every
// case can fail both ways.
#include "engine/engine.h"
#include "engine/trace.h"
#include "reference/clauses.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <initializer_list>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

using namespace svac;
using ref::ClauseId;

namespace {

// --- topologies ------------------------------------------------------------

std::string iommu(const char *arch, int bits, bool sva = true) {
    return std::string(R"({"arch": ")") + arch + R"(", "pasid_bits": )" + std::to_string(bits) +
           R"(, "sva": )" + (sva ? "true" : "false") + "}";
}

std::string device(int iommu_index, int bits, bool pri = true, bool stall = false) {
    return R"({"iommu": )" + std::to_string(iommu_index) + R"(, "pasid_bits": )" +
           std::to_string(bits) + R"(, "pri": )" + (pri ? "true" : "false") + R"(, "stall": )" +
           (stall ? "true" : "false") + R"(, "ats": false})";
}

std::string topology(std::initializer_list<std::string> iommus,
                     std::initializer_list<std::string> devices, int mms) {
    auto join = [](std::initializer_list<std::string> parts) {
        std::string s;
        for (const auto &p : parts) s += (s.empty() ? "" : ", ") + p;
        return s;
    };
    return R"({"iommus": [)" + join(iommus) + R"(], "devices": [)" + join(devices) +
           R"(], "mms": )" + std::to_string(mms) + "}";
}

// One SMMUv3 (20-bit PASIDs), one PRI device with 20-bit PASIDs.
const std::string kOne = topology({iommu("smmuv3", 20)}, {device(0, 20)}, 4);
// The same with two devices.
const std::string kTwo = topology({iommu("smmuv3", 20)}, {device(0, 20), device(0, 20)}, 4);
// A device with 2-bit PASIDs: the effective range is [1, 3].
const std::string kTiny = topology({iommu("smmuv3", 20)}, {device(0, 2)}, 5);
// A device with 1-bit PASIDs: the effective range is [1, 1].
const std::string kSingle = topology({iommu("smmuv3", 20)}, {device(0, 1)}, 3);
// dev 0 has 2-bit PASIDs, dev 1 20-bit ones.
const std::string kTinyTwo = topology({iommu("smmuv3", 20)}, {device(0, 2), device(0, 20)}, 5);
// dev 0 has 20-bit PASIDs, dev 1 3-bit ones ([1, 7]).
const std::string kWideNarrow = topology({iommu("smmuv3", 20)}, {device(0, 20), device(0, 3)}, 4);
// A 3-bit device ([1, 7]), and a 20-bit device behind a 3-bit SMMU.
const std::string kNarrow =
    topology({iommu("smmuv3", 20), iommu("smmuv3", 3)}, {device(0, 3), device(1, 20)}, 4);
// Devices with and without SVA capability (FEAT-1). A topology has one
// architecture, so the VT-d devices have their own.
const std::string kMixed =
    topology({iommu("smmuv3", 20), iommu("smmuv3", 20, false), iommu("smmuv3", 0)},
             {
                 device(0, 20),              // 0: PRI: capable
                 device(0, 20, false),       // 1: no PRI, no stall: not capable
                 device(0, 20, false, true), // 2: stall on SMMUv3: capable
                 device(0, 0),               // 3: no PASID: not capable
                 device(1, 20),              // 4: the IOMMU cannot do SVA: not capable
                 device(2, 20),              // 5: the IOMMU has no PASIDs: not capable
             },
             4);
const std::string kMixedVtd = topology({iommu("vtd", 20)},
                                       {
                                           device(0, 20),              // 0: PRI: capable
                                           device(0, 20, false, true), // 1: stall means nothing
                                       },
                                       4);
struct Capability {
    const std::string *topology;
    int dev;
    bool capable;
    const char *what;
};
const Capability kCapabilities[] = {
    {&kMixed, 0, true, "smmuv3_pri"},           {&kMixed, 1, false, "smmuv3_no_pri_no_stall"},
    {&kMixed, 2, true, "smmuv3_stall"},         {&kMixed, 3, false, "smmuv3_no_pasid"},
    {&kMixed, 4, false, "smmuv3_iommu_no_sva"}, {&kMixed, 5, false, "smmuv3_iommu_no_pasid"},
    {&kMixedVtd, 0, true, "vtd_pri"},           {&kMixedVtd, 1, false, "vtd_stall_only"},
};

// --- ops, as recorded ------------------------------------------------------

std::string num(int64_t v) {
    return std::to_string(v);
}
std::string b(bool v) {
    return v ? "true" : "false";
}
std::string feat_json(int feat) {
    return feat < 0 ? R"("sva")" : num(feat);
}
constexpr int kSva = -1; // the named feature; any other value is an unknown one

std::string has(int dev, bool result, int feat = kSva) {
    return R"({"op": "has_feature", "dev": )" + num(dev) + R"(, "feat": )" + feat_json(feat) +
           R"(, "result": )" + b(result) + "}";
}
std::string enabled(int dev, bool result, int feat = kSva) {
    return R"({"op": "feature_enabled", "dev": )" + num(dev) + R"(, "feat": )" + feat_json(feat) +
           R"(, "result": )" + b(result) + "}";
}
std::string enable(int dev, int rc = 0, int feat = kSva) {
    return R"({"op": "enable_feature", "dev": )" + num(dev) + R"(, "feat": )" + feat_json(feat) +
           R"(, "rc": )" + num(rc) + "}";
}
std::string disable(int dev, int rc, int feat = kSva) {
    return R"({"op": "disable_feature", "dev": )" + num(dev) + R"(, "feat": )" + feat_json(feat) +
           R"(, "rc": )" + num(rc) + "}";
}
std::string param(int dev, uint32_t min, uint32_t max, int rc) {
    return R"({"op": "set_sva_param", "dev": )" + num(dev) + R"(, "min": )" + num(min) +
           R"(, "max": )" + num(max) + R"(, "rc": )" + num(rc) + "}";
}
// A successful bind that handed out `pasid`.
std::string bind(int dev, int mm, uint32_t pasid, uint64_t drvdata = 0) {
    return R"({"op": "bind", "dev": )" + num(dev) + R"(, "mm": )" + num(mm) + R"(, "drvdata": )" +
           std::to_string(drvdata) + R"(, "rc": 0, "pasid": )" + num(pasid) + "}";
}
// A bind that returned rc (no PASID recorded).
std::string bind_rc(int dev, int mm, int rc, uint64_t drvdata = 0) {
    return R"({"op": "bind", "dev": )" + num(dev) + R"(, "mm": )" + num(mm) + R"(, "drvdata": )" +
           std::to_string(drvdata) + R"(, "rc": )" + num(rc) + "}";
}
std::string cb(int dev, uint32_t pasid, uint64_t drvdata = 0) {
    return R"({"dev": )" + num(dev) + R"(, "pasid": )" + num(pasid) + R"(, "drvdata": )" +
           std::to_string(drvdata) + "}";
}
std::string cbs(std::initializer_list<std::string> list) {
    std::string s;
    for (const auto &c : list) s += (s.empty() ? "" : ", ") + c;
    return "[" + s + "]";
}
std::string unbind(int dev, uint32_t pasid, int rc, const std::string &callbacks = "") {
    return R"({"op": "unbind", "dev": )" + num(dev) + R"(, "pasid": )" + num(pasid) +
           R"(, "rc": )" + num(rc) + (callbacks.empty() ? "" : R"(, "callbacks": )" + callbacks) +
           "}";
}
// unbind(dev, the PASID mm holds now)
std::string unbind_mm(int dev, int mm, int rc) {
    return R"({"op": "unbind", "dev": )" + num(dev) + R"(, "pasid": {"mm": )" + num(mm) +
           R"(}, "rc": )" + num(rc) + "}";
}
std::string mm_exit(int mm, const std::string &callbacks) {
    return R"({"op": "mm_exit", "mm": )" + num(mm) + R"(, "callbacks": )" + callbacks + "}";
}
std::string with_callbacks(std::string op, const std::string &callbacks) {
    op.pop_back(); // the closing brace
    return op + R"(, "callbacks": )" + callbacks + "}";
}

constexpr int EINVAL_ = -22, ENODEV_ = -19, EOPNOTSUPP_ = -95, EBUSY_ = -16, EEXIST_ = -17,
              ERANGE_ = -34, EOVERFLOW_ = -75, ENOSPC_ = -28, ENOMEM_ = -12, ESRCH_ = -3;
constexpr uint32_t kErrnoEinvalAsPasid = 0xffffffeau; // (uint32_t)-EINVAL
constexpr uint32_t kErrnoEnospcAsPasid = 0xffffffe4u; // (uint32_t)-ENOSPC
constexpr uint32_t kPasidInvalid = 0xffffffffu;

// --- the table -------------------------------------------------------------

struct Case {
    std::string name; // a test name: letters, digits, underscores
    std::string topology;
    std::vector<std::string> prefix; // a conformant history
    std::vector<std::string> bad;    // last ops whose outcome breaks `clause`
    std::vector<std::string> good;   // last ops whose outcome the spec allows
    ClauseId clause;
};

// gtest names a failing parameter by this, not by its bytes.
void PrintTo(const Case &c, std::ostream *os) {
    *os << c.name;
}

std::string trace_text(const std::string &topo, const std::vector<std::string> &prefix,
                       const std::string &last) {
    std::string ops;
    for (const auto &op : prefix) ops += op + ",\n    ";
    ops += last;
    return R"({"format": "sva-trace/1", "profile": "rfc2019", "topology": )" + topo +
           ",\n  \"ops\": [\n    " + ops + "]}";
}

std::vector<Case> feat_cases() {
    std::vector<Case> v;
    // FEAT-1: has_feature answers the capability, device by device.
    for (const Capability &c : kCapabilities)
        v.push_back({std::string("FEAT_1_") + c.what,
                     *c.topology,
                     {},
                     {has(c.dev, !c.capable)},
                     {has(c.dev, c.capable)},
                     ClauseId::FEAT_1});
    // FEAT-2: a query that changed the state (a feature_enabled after a query).
    v.push_back({"FEAT_2_has_feature_side_effect",
                 kOne,
                 {enable(0), has(0, true)},
                 {enabled(0, false)},
                 {enabled(0, true)},
                 ClauseId::FEAT_2});
    v.push_back({"FEAT_2_query_enabled_nothing",
                 kOne,
                 {has(0, true)},
                 {enabled(0, true)},
                 {enabled(0, false)},
                 ClauseId::FEAT_2});
    v.push_back({"FEAT_2_feature_enabled_side_effect",
                 kOne,
                 {enable(0), enabled(0, true)},
                 {enabled(0, false)},
                 {enabled(0, true)},
                 ClauseId::FEAT_2});
    // FEAT-3: enable succeeds iff capable; otherwise one of the allowed errors.
    v.push_back({"FEAT_3_capable_must_succeed",
                 kMixed,
                 {},
                 {enable(0, ENODEV_), enable(0, EINVAL_), enable(2, EOPNOTSUPP_)},
                 {enable(0, 0), enable(2, 0)},
                 ClauseId::FEAT_3});
    v.push_back({"FEAT_3_vtd",
                 kMixedVtd,
                 {},
                 {enable(0, ENODEV_), enable(1, 0)},
                 {enable(0, 0), enable(1, ENODEV_)},
                 ClauseId::FEAT_3});
    v.push_back(
        {"FEAT_3_incapable_must_fail",
         kMixed,
         {},
         {enable(1, 0), enable(3, 0), enable(4, 0), enable(5, 0), enable(1, EBUSY_),
          enable(1, EEXIST_)},
         {enable(1, ENODEV_), enable(3, EINVAL_), enable(4, EOPNOTSUPP_), enable(5, ENODEV_)},
         ClauseId::FEAT_3});
    // FEAT-4: a repeated enable: {0, -EBUSY, -EEXIST}, and it stays enabled.
    v.push_back({"FEAT_4_repeated_enable",
                 kOne,
                 {enable(0)},
                 {enable(0, EINVAL_), enable(0, ENODEV_), enable(0, ENOSPC_)},
                 {enable(0, 0), enable(0, EBUSY_), enable(0, EEXIST_)},
                 ClauseId::FEAT_4});
    v.push_back({"FEAT_4_stays_enabled",
                 kOne,
                 {enable(0), enable(0, EBUSY_)},
                 {enabled(0, false)},
                 {enabled(0, true)},
                 ClauseId::FEAT_4});
    // FEAT-5: feature_enabled tells whether an enable was not undone.
    v.push_back({"FEAT_5_initially_off",
                 kOne,
                 {},
                 {enabled(0, true)},
                 {enabled(0, false)},
                 ClauseId::FEAT_5});
    v.push_back({"FEAT_5_on_after_enable",
                 kOne,
                 {enable(0)},
                 {enabled(0, false)},
                 {enabled(0, true)},
                 ClauseId::FEAT_5});
    // FEAT-6: disable with a bond (an exited mm's included) is -EBUSY, no change.
    v.push_back({"FEAT_6_disable_bound",
                 kOne,
                 {enable(0), bind(0, 0, 1)},
                 {disable(0, 0), disable(0, EINVAL_)},
                 {disable(0, EBUSY_)},
                 ClauseId::FEAT_6});
    v.push_back({"FEAT_6_disable_bound_to_exited_mm",
                 kOne,
                 {enable(0), bind(0, 0, 1), mm_exit(0, cbs({cb(0, 1)}))},
                 {disable(0, 0)},
                 {disable(0, EBUSY_)},
                 ClauseId::FEAT_6});
    // A failed disable (with a bond) that turned the feature off: a failed
    // disable is atomic (FEAT-9).
    v.push_back({"FEAT_9_failed_disable_no_change",
                 kOne,
                 {enable(0), bind(0, 0, 1), disable(0, EBUSY_)},
                 {enabled(0, false)},
                 {enabled(0, true)},
                 ClauseId::FEAT_9});
    // FEAT-7: disabling a disabled feature: {0, -EINVAL}, and it stays off.
    v.push_back({"FEAT_7_disable_disabled",
                 kOne,
                 {},
                 {disable(0, EBUSY_), disable(0, ENODEV_)},
                 {disable(0, 0), disable(0, EINVAL_)},
                 ClauseId::FEAT_7});
    v.push_back({"FEAT_7_disable_after_disable",
                 kOne,
                 {enable(0), disable(0, 0)},
                 {disable(0, EBUSY_)},
                 {disable(0, 0), disable(0, EINVAL_)},
                 ClauseId::FEAT_7});
    v.push_back({"FEAT_7_stays_disabled",
                 kOne,
                 {disable(0, 0)},
                 {enabled(0, true)},
                 {enabled(0, false)},
                 ClauseId::FEAT_7});
    // FEAT-8: an unknown feature.
    v.push_back({"FEAT_8_has_unknown",
                 kOne,
                 {},
                 {has(0, true, 99)},
                 {has(0, false, 99)},
                 ClauseId::FEAT_8});
    v.push_back({"FEAT_8_enabled_unknown",
                 kOne,
                 {enable(0)},
                 {enabled(0, true, 99)},
                 {enabled(0, false, 99)},
                 ClauseId::FEAT_8});
    v.push_back({"FEAT_8_enable_unknown",
                 kOne,
                 {},
                 {enable(0, 0, 99), enable(0, EBUSY_, 99)},
                 {enable(0, EINVAL_, 99), enable(0, ENODEV_, 99), enable(0, EOPNOTSUPP_, 99)},
                 ClauseId::FEAT_8});
    v.push_back({"FEAT_8_disable_unknown",
                 kOne,
                 {enable(0)},
                 {disable(0, 0, 99), disable(0, EBUSY_, 99)},
                 {disable(0, EINVAL_, 99), disable(0, ENODEV_, 99), disable(0, EOPNOTSUPP_, 99)},
                 ClauseId::FEAT_8});
    v.push_back({"FEAT_8_enable_unknown_changed_sva",
                 kOne,
                 {enable(0, EINVAL_, 99)},
                 {enabled(0, true)},
                 {enabled(0, false)},
                 ClauseId::FEAT_8});
    v.push_back({"FEAT_8_disable_unknown_changed_sva",
                 kOne,
                 {enable(0), disable(0, EINVAL_, 99)},
                 {enabled(0, false)},
                 {enabled(0, true)},
                 ClauseId::FEAT_8});
    // FEAT-9: a failed enable that changed the state.
    v.push_back({"FEAT_9_failed_enable_changed_state",
                 kMixed,
                 {enable(1, ENODEV_)},
                 {enabled(1, true)},
                 {enabled(1, false)},
                 ClauseId::FEAT_9});
    // FEAT-10: disable with no bond returns 0 and the feature is off.
    v.push_back({"FEAT_10_disable_unbound",
                 kOne,
                 {enable(0)},
                 {disable(0, EBUSY_), disable(0, EINVAL_)},
                 {disable(0, 0)},
                 ClauseId::FEAT_10});
    v.push_back({"FEAT_10_off_after_disable",
                 kOne,
                 {enable(0), disable(0, 0)},
                 {enabled(0, true)},
                 {enabled(0, false)},
                 ClauseId::FEAT_10});
    v.push_back({"FEAT_10_disable_after_unbind",
                 kOne,
                 {enable(0), bind(0, 0, 1), unbind(0, 1, 0)},
                 {disable(0, EBUSY_)},
                 {disable(0, 0)},
                 ClauseId::FEAT_10});
    // Not reference-counted: one disable after two enables turns it off. The
    // reference blames the disable's promise (FEAT-10).
    v.push_back({"FEAT_10_enable_not_refcounted",
                 kOne,
                 {enable(0), enable(0, 0), disable(0, 0)},
                 {enabled(0, true)},
                 {enabled(0, false)},
                 ClauseId::FEAT_10});
    return v;
}

std::vector<Case> param_cases() {
    std::vector<Case> v;
    const uint32_t w20 = (1u << 20) - 1;
    // PARAM-1: valid limits succeed, and later binds honour them.
    v.push_back({"PARAM_1_valid_limits",
                 kOne,
                 {},
                 {param(0, 1, 7, EINVAL_), param(0, 1, 7, EBUSY_), param(0, w20, w20, ERANGE_)},
                 {param(0, 1, 7, 0), param(0, 1, w20, 0), param(0, w20, w20, 0)},
                 ClauseId::PARAM_1});
    v.push_back({"PARAM_1_bind_within_limits",
                 kOne,
                 {enable(0), param(0, 4, 7, 0)},
                 {bind(0, 0, 1), bind(0, 0, 3), bind(0, 0, 8), bind(0, 0, 1000)},
                 {bind(0, 0, 4), bind(0, 0, 5), bind(0, 0, 7)},
                 ClauseId::PARAM_1});
    v.push_back({"PARAM_1_later_call_replaces",
                 kOne,
                 {enable(0), param(0, 4, 7, 0), param(0, 8, 15, 0)},
                 {bind(0, 0, 5), bind(0, 0, 16)},
                 {bind(0, 0, 8), bind(0, 0, 15)},
                 ClauseId::PARAM_1});
    v.push_back({"PARAM_1_ebusy_without_any_bond",
                 kTwo,
                 {enable(0), enable(1), bind(0, 0, 1), unbind(0, 1, 0)},
                 {param(1, 1, 7, EBUSY_)},
                 {param(1, 1, 7, 0)},
                 ClauseId::PARAM_1});
    // PARAM-2: min == 0, min > max, max beyond the device's width: -EINVAL.
    v.push_back({"PARAM_2_invalid_limits",
                 kNarrow,
                 {},
                 {param(0, 0, 7, 0), param(0, 5, 4, 0), param(0, 1, 8, 0), param(0, 0, 0, 0),
                  param(0, 0, 7, EBUSY_), param(1, 1, w20 + 1, 0)},
                 {param(0, 0, 7, EINVAL_), param(0, 5, 4, EINVAL_), param(0, 1, 8, EINVAL_),
                  param(1, 1, w20 + 1, EINVAL_)},
                 ClauseId::PARAM_2});
    v.push_back({"PARAM_2_failed_call_keeps_limits",
                 kOne,
                 {enable(0), param(0, 4, 7, 0), param(0, 0, 3, EINVAL_)},
                 {bind(0, 0, 1), bind(0, 0, 3)},
                 {bind(0, 0, 4), bind(0, 0, 7)},
                 ClauseId::PARAM_2});
    // PARAM-3: while bound (an exited mm's bonds included): -EBUSY.
    v.push_back({"PARAM_3_while_bound",
                 kOne,
                 {enable(0), bind(0, 0, 1)},
                 {param(0, 1, 7, 0), param(0, 1, 7, EINVAL_)},
                 {param(0, 1, 7, EBUSY_)},
                 ClauseId::PARAM_3});
    v.push_back({"PARAM_3_while_bound_to_exited_mm",
                 kOne,
                 {enable(0), bind(0, 0, 1), mm_exit(0, cbs({cb(0, 1)}))},
                 {param(0, 1, 7, 0)},
                 {param(0, 1, 7, EBUSY_)},
                 ClauseId::PARAM_3});
    v.push_back({"PARAM_3_failed_call_keeps_limits",
                 kOne,
                 {enable(0), param(0, 4, 7, 0), bind(0, 0, 4), param(0, 8, 15, EBUSY_)},
                 {bind(0, 1, 9)},
                 {bind(0, 1, 5)},
                 ClauseId::PARAM_3});
    // PARAM-2 and PARAM-3 both apply: either error is allowed.
    v.push_back({"PARAM_2_and_3_either_error",
                 kOne,
                 {enable(0), bind(0, 0, 1)},
                 {param(0, 0, 7, 0), param(0, 5, 4, 0), param(0, 0, 7, ENODEV_)},
                 {param(0, 0, 7, EINVAL_), param(0, 0, 7, EBUSY_), param(0, 5, 4, EBUSY_)},
                 ClauseId::PARAM_2});
    // PARAM-4: limits are per device: another device's bond is no reason for -EBUSY.
    v.push_back({"PARAM_4_other_device_bound",
                 kTwo,
                 {enable(0), enable(1), bind(0, 0, 1)},
                 {param(1, 1, 7, EBUSY_)},
                 {param(1, 1, 7, 0)},
                 ClauseId::PARAM_4});
    return v;
}

std::vector<Case> bind_cases() {
    std::vector<Case> v;
    // BIND-1: without SVA enabled: {-EINVAL, -ENODEV}.
    v.push_back(
        {"BIND_1_not_enabled",
         kOne,
         {},
         {bind(0, 0, 1), bind_rc(0, 0, EBUSY_), bind_rc(0, 0, ESRCH_), bind_rc(0, 0, ENOSPC_)},
         {bind_rc(0, 0, EINVAL_), bind_rc(0, 0, ENODEV_)},
         ClauseId::BIND_1});
    v.push_back({"BIND_1_after_disable",
                 kOne,
                 {enable(0), disable(0, 0)},
                 {bind(0, 0, 1)},
                 {bind_rc(0, 0, ENODEV_)},
                 ClauseId::BIND_1});
    v.push_back({"BIND_1_not_enabled_exited_mm",
                 kOne,
                 {mm_exit(0, "[]")},
                 {bind(0, 0, 1), bind_rc(0, 0, EBUSY_)},
                 {bind_rc(0, 0, EINVAL_), bind_rc(0, 0, ENODEV_), bind_rc(0, 0, ESRCH_)},
                 ClauseId::BIND_1});
    // BIND-2: success with a PASID in the effective range (hi inclusive).
    v.push_back({"BIND_2_device_width",
                 kNarrow,
                 {enable(0)},
                 {bind(0, 0, 8), bind(0, 0, 1000), bind_rc(0, 0, EINVAL_), bind_rc(0, 0, ENODEV_),
                  bind_rc(0, 0, ESRCH_)},
                 {bind(0, 0, 1), bind(0, 0, 7)},
                 ClauseId::BIND_2});
    v.push_back({"BIND_2_iommu_width",
                 kNarrow,
                 {enable(1)},
                 {bind(1, 0, 8), bind(1, 0, 1u << 19)},
                 {bind(1, 0, 1), bind(1, 0, 7)},
                 ClauseId::BIND_2});
    // BIND-3: one PASID per mm, on every device; out of range {-ERANGE, -EOVERFLOW}.
    v.push_back({"BIND_3_same_pasid_on_second_device",
                 kTwo,
                 {enable(0), enable(1), bind(0, 0, 5)},
                 {bind(1, 0, 6), bind(1, 0, 1), bind_rc(1, 0, ERANGE_), bind_rc(1, 0, EINVAL_)},
                 {bind(1, 0, 5)},
                 ClauseId::BIND_3});
    v.push_back({"BIND_3_out_of_range",
                 kTwo,
                 {enable(0), enable(1), param(0, 8, 15, 0), param(1, 1, 7, 0), bind(0, 0, 8)},
                 {bind(1, 0, 8), bind(1, 0, 1), bind_rc(1, 0, EINVAL_), bind_rc(1, 0, ENOSPC_)},
                 {bind_rc(1, 0, ERANGE_), bind_rc(1, 0, EOVERFLOW_)},
                 ClauseId::BIND_3});
    // BIND-4: a rebind returns the same PASID and takes a reference; the first
    // drvdata stays.
    v.push_back({"BIND_4_rebind_same_pasid",
                 kOne,
                 {enable(0), bind(0, 0, 3, 77)},
                 {bind(0, 0, 4, 88), bind(0, 0, 1, 88), bind_rc(0, 0, EBUSY_, 88),
                  bind_rc(0, 0, EEXIST_, 88)},
                 {bind(0, 0, 3, 88), bind(0, 0, 3, 77)},
                 ClauseId::BIND_4});
    v.push_back({"BIND_4_each_bind_needs_its_unbind",
                 kOne,
                 {enable(0), bind(0, 0, 3, 77), bind(0, 0, 3, 88), unbind(0, 3, 0)},
                 {unbind(0, 3, ESRCH_), unbind(0, 3, EINVAL_), unbind_mm(0, 0, ESRCH_)},
                 {unbind(0, 3, 0), unbind_mm(0, 0, 0)},
                 ClauseId::BIND_4});
    v.push_back({"BIND_4_second_drvdata_used_at_exit",
                 kOne,
                 {enable(0), bind(0, 0, 3, 77), bind(0, 0, 3, 88)},
                 {mm_exit(0, cbs({cb(0, 3, 88)}))},
                 {mm_exit(0, cbs({cb(0, 3, 77)}))},
                 ClauseId::BIND_4});
    // BIND-5: a new mm's PASID is held by no other mm.
    v.push_back({"BIND_5_pasid_of_another_mm",
                 kOne,
                 {enable(0), bind(0, 0, 1), bind(0, 1, 2)},
                 {bind(0, 2, 1), bind(0, 2, 2)},
                 {bind(0, 2, 3), bind(0, 2, 99), bind(0, 2, (1u << 20) - 1)},
                 ClauseId::BIND_5});
    // BIND-6: no free PASID: {-ENOSPC, -ENOMEM}.
    v.push_back(
        {"BIND_6_exhausted",
         kSingle,
         {enable(0), bind(0, 0, 1)},
         {bind(0, 1, 2), bind_rc(0, 1, EINVAL_), bind_rc(0, 1, EBUSY_), bind_rc(0, 1, ERANGE_)},
         {bind_rc(0, 1, ENOSPC_), bind_rc(0, 1, ENOMEM_)},
         ClauseId::BIND_6});
    v.push_back({"BIND_6_exhausted_by_limits",
                 kOne,
                 {enable(0), param(0, 5, 5, 0), bind(0, 0, 5)},
                 {bind(0, 1, 6), bind_rc(0, 1, EINVAL_)},
                 {bind_rc(0, 1, ENOSPC_), bind_rc(0, 1, ENOMEM_)},
                 ClauseId::BIND_6});
    // BIND-7: a failed bind leaves no reference ...
    v.push_back({"BIND_7_failed_bind_left_a_reference",
                 kTwo,
                 {enable(1), bind(1, 0, 1), bind_rc(0, 0, ENODEV_)},
                 {unbind(0, 1, 0), unbind_mm(0, 0, 0)},
                 {unbind(0, 1, ESRCH_), unbind(0, 1, EINVAL_), unbind_mm(0, 0, ESRCH_)},
                 ClauseId::BIND_7});
    v.push_back({"BIND_7_failed_range_bind_left_a_reference",
                 kTwo,
                 {enable(0), enable(1), param(1, 8, 15, 0), bind(0, 0, 1), bind_rc(1, 0, ERANGE_)},
                 {unbind(1, 1, 0)},
                 {unbind(1, 1, ESRCH_)},
                 ClauseId::BIND_7});
    // ... and consumes no PASID (dev 1 never enabled: mm 0's bind fails).
    v.push_back({"BIND_7_failed_bind_consumed_a_pasid",
                 kTinyTwo,
                 {enable(0), bind_rc(1, 0, ENODEV_), bind(0, 1, 3), bind(0, 2, 2)},
                 {bind_rc(0, 3, ENOSPC_), bind_rc(0, 3, ENOMEM_)},
                 {bind(0, 3, 1)},
                 ClauseId::BIND_7});
    // BIND-8: an exited mm: {-EINVAL, -ESRCH}, before BIND-3 and BIND-4.
    v.push_back({"BIND_8_over_BIND_4",
                 kOne,
                 {enable(0), bind(0, 0, 1, 5), mm_exit(0, cbs({cb(0, 1, 5)}))},
                 {bind(0, 0, 1, 5), bind_rc(0, 0, ENOSPC_), bind_rc(0, 0, ERANGE_)},
                 {bind_rc(0, 0, EINVAL_), bind_rc(0, 0, ESRCH_)},
                 ClauseId::BIND_8});
    v.push_back({"BIND_8_over_BIND_3",
                 kTwo,
                 {enable(0), enable(1), bind(0, 0, 1), mm_exit(0, cbs({cb(0, 1)}))},
                 {bind(1, 0, 1), bind(1, 0, 2), bind_rc(1, 0, ERANGE_)},
                 {bind_rc(1, 0, ESRCH_), bind_rc(1, 0, EINVAL_)},
                 ClauseId::BIND_8});
    v.push_back({"BIND_8_exited_without_bonds",
                 kOne,
                 {enable(0), mm_exit(0, "[]")},
                 {bind(0, 0, 1), bind_rc(0, 0, ENODEV_)},
                 {bind_rc(0, 0, ESRCH_), bind_rc(0, 0, EINVAL_)},
                 ClauseId::BIND_8});
    return v;
}

std::vector<Case> unbind_cases() {
    std::vector<Case> v;
    // UNBIND-1: unbinding a live bond returns 0.
    v.push_back(
        {"UNBIND_1_live_bond",
         kOne,
         {enable(0), bind(0, 0, 1)},
         {unbind(0, 1, ESRCH_), unbind(0, 1, EINVAL_), unbind(0, 1, 1), unbind_mm(0, 0, EBUSY_)},
         {unbind(0, 1, 0), unbind_mm(0, 0, 0)},
         ClauseId::UNBIND_1});
    // UNBIND-3: the PASID is free when the mm's last bond goes, and only then.
    v.push_back({"UNBIND_3_freed_while_other_device_bound",
                 kTwo,
                 {enable(0), enable(1), bind(0, 0, 1), bind(1, 0, 1), unbind(0, 1, 0)},
                 {bind(0, 1, 1), bind(1, 1, 1)},
                 {bind(0, 1, 2), bind(1, 1, 2)},
                 ClauseId::UNBIND_3});
    v.push_back({"UNBIND_3_not_freed_after_last_unbind",
                 kTiny,
                 {enable(0), bind(0, 0, 1), bind(0, 1, 2), bind(0, 2, 3), unbind(0, 1, 0)},
                 {bind_rc(0, 3, ENOSPC_), bind_rc(0, 3, ENOMEM_)},
                 {bind(0, 3, 1)},
                 ClauseId::UNBIND_3});
    // UNBIND-4: no bond for (dev, pasid): {-ESRCH, -EINVAL}.
    v.push_back({"UNBIND_4_never_bound",
                 kOne,
                 {enable(0)},
                 {unbind(0, 1, 0), unbind(0, 1, EBUSY_), unbind_mm(0, 0, 0)},
                 {unbind(0, 1, ESRCH_), unbind(0, 1, EINVAL_), unbind_mm(0, 0, EINVAL_)},
                 ClauseId::UNBIND_4});
    v.push_back({"UNBIND_4_second_unbind",
                 kOne,
                 {enable(0), bind(0, 0, 1), unbind(0, 1, 0)},
                 {unbind(0, 1, 0)},
                 {unbind(0, 1, ESRCH_), unbind(0, 1, EINVAL_)},
                 ClauseId::UNBIND_4});
    v.push_back({"UNBIND_4_bound_on_another_device",
                 kTwo,
                 {enable(0), enable(1), bind(1, 0, 1)},
                 {unbind(0, 1, 0)},
                 {unbind(0, 1, ESRCH_)},
                 ClauseId::UNBIND_4});
    v.push_back({"UNBIND_4_pasid_0",
                 kOne,
                 {enable(0), bind(0, 0, 1)},
                 {unbind(0, 0, 0)},
                 {unbind(0, 0, EINVAL_), unbind(0, 0, ESRCH_)},
                 ClauseId::UNBIND_4});
    // UNBIND-5: unbind after exit returns 0 and drops a reference.
    v.push_back({"UNBIND_5_after_exit",
                 kOne,
                 {enable(0), bind(0, 0, 1, 9), mm_exit(0, cbs({cb(0, 1, 9)}))},
                 {unbind(0, 1, ESRCH_), unbind(0, 1, EINVAL_), unbind_mm(0, 0, ESRCH_)},
                 {unbind(0, 1, 0), unbind_mm(0, 0, 0)},
                 ClauseId::UNBIND_5});
    v.push_back({"UNBIND_5_second_device_after_exit",
                 kTwo,
                 {enable(0), enable(1), bind(0, 0, 1), bind(1, 0, 1),
                  mm_exit(0, cbs({cb(0, 1), cb(1, 1)})), unbind(0, 1, 0)},
                 {unbind(1, 1, ESRCH_)},
                 {unbind(1, 1, 0)},
                 ClauseId::UNBIND_5});
    return v;
}

std::vector<Case> mmexit_cases() {
    std::vector<Case> v;
    // MMEXIT-1: exactly one callback per bond, with that bond's drvdata.
    v.push_back({"MMEXIT_1_one_callback_per_bond",
                 kOne,
                 {enable(0), bind(0, 0, 1, 77)},
                 {mm_exit(0, "[]"), mm_exit(0, cbs({cb(0, 1, 77), cb(0, 1, 77)})),
                  mm_exit(0, cbs({cb(0, 1, 99)})), mm_exit(0, cbs({cb(0, 1, 0)}))},
                 {mm_exit(0, cbs({cb(0, 1, 77)}))},
                 ClauseId::MMEXIT_1});
    v.push_back(
        {"MMEXIT_1_every_device",
         kTwo,
         {enable(0), enable(1), bind(0, 0, 1, 5), bind(1, 0, 1, 6)},
         {mm_exit(0, cbs({cb(0, 1, 5)})), mm_exit(0, cbs({cb(1, 1, 6)})),
          mm_exit(0, cbs({cb(0, 1, 6), cb(1, 1, 5)}))},
         {mm_exit(0, cbs({cb(0, 1, 5), cb(1, 1, 6)})), mm_exit(0, cbs({cb(1, 1, 6), cb(0, 1, 5)}))},
         ClauseId::MMEXIT_1});
    v.push_back({"MMEXIT_1_per_bond_not_per_reference",
                 kOne,
                 {enable(0), bind(0, 0, 1, 77), bind(0, 0, 1, 77)},
                 {mm_exit(0, cbs({cb(0, 1, 77), cb(0, 1, 77)}))},
                 {mm_exit(0, cbs({cb(0, 1, 77)}))},
                 ClauseId::MMEXIT_1});
    // MMEXIT-3: an exited mm keeps its PASID until all its bonds are unbound.
    v.push_back({"MMEXIT_3_exited_pasid_to_new_mm",
                 kOne,
                 {enable(0), bind(0, 0, 1), mm_exit(0, cbs({cb(0, 1)}))},
                 {bind(0, 1, 1)},
                 {bind(0, 1, 2)},
                 ClauseId::MMEXIT_3});
    // The only PASID is still the exited mm's: handing it out again is
    // MMEXIT-3, not merely a bind that should have failed (BIND-6).
    v.push_back({"MMEXIT_3_exhausted_range_reuses_exited_pasid",
                 kSingle,
                 {enable(0), bind(0, 0, 1), mm_exit(0, cbs({cb(0, 1)}))},
                 {bind(0, 1, 1)},
                 {bind_rc(0, 1, ENOSPC_)},
                 ClauseId::MMEXIT_3});
    v.push_back({"MMEXIT_3_partly_unbound_exited_mm",
                 kTwo,
                 {enable(0), enable(1), bind(0, 0, 1), bind(1, 0, 1),
                  mm_exit(0, cbs({cb(0, 1), cb(1, 1)})), unbind(0, 1, 0)},
                 {bind(0, 1, 1)},
                 {bind(0, 1, 2)},
                 ClauseId::MMEXIT_3});
    // After the last unbind the PASID is free again.
    v.push_back(
        {"MMEXIT_3_pasid_free_after_last_unbind",
         kTwo,
         {enable(0), enable(1), bind(0, 0, 1), bind(1, 0, 1), mm_exit(0, cbs({cb(0, 1), cb(1, 1)})),
          unbind(0, 1, 0), unbind(1, 1, 0), bind(0, 1, 2)},
         {bind(0, 2, 2)},
         {bind(0, 2, 1)},
         ClauseId::BIND_5});
    // MMEXIT-4: no callback for an mm without bonds, an unbound bond, at unbind.
    v.push_back({"MMEXIT_4_unbound_bond",
                 kTwo,
                 {enable(0), enable(1), bind(0, 0, 1), bind(1, 0, 1), unbind(0, 1, 0)},
                 {mm_exit(0, cbs({cb(0, 1), cb(1, 1)}))},
                 {mm_exit(0, cbs({cb(1, 1)}))},
                 ClauseId::MMEXIT_4});
    v.push_back({"MMEXIT_4_mm_without_bonds",
                 kTwo,
                 {enable(0), bind(0, 0, 1)},
                 {mm_exit(1, cbs({cb(0, 1)})), mm_exit(1, cbs({cb(0, 2)}))},
                 {mm_exit(1, "[]")},
                 ClauseId::MMEXIT_4});
    v.push_back({"MMEXIT_4_callback_at_unbind",
                 kOne,
                 {enable(0), bind(0, 0, 1, 3), mm_exit(0, cbs({cb(0, 1, 3)}))},
                 {unbind(0, 1, 0, cbs({cb(0, 1, 3)}))},
                 {unbind(0, 1, 0, "[]"), unbind(0, 1, 0)},
                 ClauseId::MMEXIT_4});
    v.push_back({"MMEXIT_4_callback_at_bind",
                 kOne,
                 {enable(0)},
                 {with_callbacks(bind(0, 0, 1), cbs({cb(0, 1)}))},
                 {with_callbacks(bind(0, 0, 1), "[]")},
                 ClauseId::MMEXIT_4});
    return v;
}

std::vector<Case> pasid_cases() {
    std::vector<Case> v;
    // PASID-2: 0 and IOMMU_PASID_INVALID are never handed out.
    v.push_back({"PASID_2_new_mm",
                 kOne,
                 {enable(0)},
                 {bind(0, 0, 0), bind(0, 0, kPasidInvalid)},
                 {bind(0, 0, 1)},
                 ClauseId::PASID_2});
    v.push_back({"PASID_2_rebind",
                 kOne,
                 {enable(0), bind(0, 0, 1)},
                 {bind(0, 0, 0), bind(0, 0, kPasidInvalid)},
                 {bind(0, 0, 1)},
                 ClauseId::PASID_2});
    // PASID-3: hi is inclusive. mm 0 holds PASID 7 == hi of dev 1.
    v.push_back({"PASID_3_existing_pasid_equal_to_hi",
                 kWideNarrow,
                 {enable(0), enable(1), param(0, 7, 7, 0), bind(0, 0, 7)},
                 {bind_rc(1, 0, ERANGE_), bind_rc(1, 0, EOVERFLOW_)},
                 {bind(1, 0, 7)},
                 ClauseId::PASID_3});
    v.push_back({"PASID_3_last_free_pasid_is_hi",
                 kTiny,
                 {enable(0), bind(0, 0, 1), bind(0, 1, 2)},
                 {bind_rc(0, 2, ENOSPC_), bind_rc(0, 2, ENOMEM_)},
                 {bind(0, 2, 3)},
                 ClauseId::PASID_3});
    v.push_back({"PASID_3_last_free_pasid_is_param_max",
                 kOne,
                 {enable(0), param(0, 2, 3, 0), bind(0, 0, 2)},
                 {bind_rc(0, 1, ENOSPC_)},
                 {bind(0, 1, 3)},
                 ClauseId::PASID_3});
    // PASID-4: an errno is never stored as a PASID.
    v.push_back({"PASID_4_errno_as_pasid",
                 kOne,
                 {enable(0)},
                 {bind(0, 0, kErrnoEinvalAsPasid), bind(0, 0, kErrnoEnospcAsPasid),
                  bind(0, 0, 0xfffff001u)},
                 {bind(0, 0, 1), bind(0, 0, (1u << 20) - 1)},
                 ClauseId::PASID_4});
    v.push_back({"PASID_4_errno_as_pasid_on_rebind",
                 kOne,
                 {enable(0), bind(0, 0, 1)},
                 {bind(0, 0, kErrnoEinvalAsPasid)},
                 {bind(0, 0, 1)},
                 ClauseId::PASID_4});
    // PASID-5: n free PASIDs hold n mms (only BIND-6 after them).
    // PASID-1: one global space: mm 1 gets on dev 0 the PASID mm 0 holds through dev 1.
    v.push_back({"PASID_1_per_device_space",
                 kTwo,
                 {enable(0), enable(1), bind(1, 0, 1)},
                 {bind(0, 1, 1)},
                 {bind(0, 1, 2)},
                 ClauseId::PASID_1});
    v.push_back({"PASID_5_spurious_enospc",
                 kTiny,
                 {enable(0), bind(0, 0, 3)},
                 {bind_rc(0, 1, ENOSPC_), bind_rc(0, 1, ENOMEM_)},
                 {bind(0, 1, 1), bind(0, 1, 2)},
                 ClauseId::PASID_5});
    v.push_back({"PASID_5_full_range",
                 kTiny,
                 {enable(0), bind(0, 0, 3), bind(0, 1, 1)},
                 {bind_rc(0, 2, ENOSPC_)},
                 {bind(0, 2, 2)},
                 ClauseId::PASID_5});
    v.push_back({"PASID_5_first_bind",
                 kOne,
                 {enable(0)},
                 {bind_rc(0, 0, ENOSPC_), bind_rc(0, 0, ENOMEM_)},
                 {bind(0, 0, 1)},
                 ClauseId::PASID_5});
    return v;
}

std::vector<Case> all_cases() {
    std::vector<Case> all;
    for (auto part :
         {feat_cases(), param_cases(), bind_cases(), unbind_cases(), mmexit_cases(), pasid_cases()})
        all.insert(all.end(), part.begin(), part.end());
    return all;
}

std::optional<engine::Finding> judge_text(const std::string &text) {
    engine::Trace t = engine::parse_trace(text, "case.json");
    engine::RunStats stats;
    return engine::check_recorded(t, stats);
}

class ClauseCase : public ::testing::TestWithParam<Case> {};

TEST_P(ClauseCase, BrokenOutcomeIsFoundAllowedOutcomeIsNot) {
    const Case &c = GetParam();
    ASSERT_FALSE(c.bad.empty());
    ASSERT_FALSE(c.good.empty());
    for (const auto &last : c.bad) {
        std::string text = trace_text(c.topology, c.prefix, last);
        SCOPED_TRACE("broken: " + last);
        auto f = judge_text(text);
        ASSERT_TRUE(f.has_value()) << "no finding for\n" << text;
        EXPECT_EQ(ref::clause_id(f->clause), ref::clause_id(c.clause)) << f->message;
        EXPECT_EQ(f->step, c.prefix.size()) << f->message;
        EXPECT_EQ(f->trace.ops.size(), c.prefix.size() + 1);
    }
    for (const auto &last : c.good) {
        std::string text = trace_text(c.topology, c.prefix, last);
        SCOPED_TRACE("allowed: " + last);
        auto f = judge_text(text);
        EXPECT_FALSE(f.has_value())
            << ref::clause_id(f->clause) << " at step " << f->step << ": " << f->message;
    }
}

INSTANTIATE_TEST_SUITE_P(Clauses, ClauseCase, ::testing::ValuesIn(all_cases()),
                         [](const ::testing::TestParamInfo<Case> &p) { return p.param.name; });

// Every clause of the groups this file covers has a case (PASID-1: see
// ClauseAttribution.PasidOfAnotherDevicesMmIsPasid1).
TEST(ClauseTable, CoversEveryClause) {
    const ClauseId required[] = {
        ClauseId::FEAT_1,   ClauseId::FEAT_2,   ClauseId::FEAT_3,   ClauseId::FEAT_4,
        ClauseId::FEAT_5,   ClauseId::FEAT_6,   ClauseId::FEAT_7,   ClauseId::FEAT_8,
        ClauseId::FEAT_9,   ClauseId::FEAT_10,  ClauseId::PARAM_1,  ClauseId::PARAM_2,
        ClauseId::PARAM_3,  ClauseId::PARAM_4,  ClauseId::BIND_1,   ClauseId::BIND_2,
        ClauseId::BIND_3,   ClauseId::BIND_4,   ClauseId::BIND_5,   ClauseId::BIND_6,
        ClauseId::BIND_7,   ClauseId::BIND_8,   ClauseId::UNBIND_1, ClauseId::UNBIND_3,
        ClauseId::UNBIND_4, ClauseId::UNBIND_5, ClauseId::MMEXIT_1, ClauseId::MMEXIT_3,
        ClauseId::MMEXIT_4, ClauseId::PASID_2,  ClauseId::PASID_3,  ClauseId::PASID_4,
        ClauseId::PASID_5,  ClauseId::PASID_1,
    };
    auto cases = all_cases();
    for (ClauseId c : required)
        EXPECT_TRUE(
            std::any_of(cases.begin(), cases.end(), [&](const Case &k) { return k.clause == c; }))
            << ref::clause_id(c) << " has no case";
}

// The counters say which rules were evaluated: a clean trace that binds
// evaluates the PASID invariants, and a finding's clause was evaluated.
TEST(ClauseTable, CheckCountersCountTheRulesEvaluated) {
    engine::Trace t =
        engine::parse_trace(trace_text(kOne, {enable(0), bind(0, 0, 1)}, unbind(0, 1, 0)), "c");
    engine::RunStats stats;
    ASSERT_FALSE(engine::check_recorded(t, stats).has_value());
    EXPECT_EQ(stats.steps, 3u);
    EXPECT_EQ(stats.checks[ClauseId::FEAT_3], 1u);
    EXPECT_EQ(stats.checks[ClauseId::BIND_5], 1u);
    EXPECT_EQ(stats.checks[ClauseId::PASID_4], 1u);
    EXPECT_EQ(stats.checks[ClauseId::UNBIND_1], 1u);
    EXPECT_EQ(stats.checks[ClauseId::BIND_1], 0u);
}

// --- attributions where two clauses could be named ----------------------------
// Each states the clause reference/clauses.def points at.

// A driver whose PASID space is per device (mm 1 gets on dev 0 the PASID mm 0
// holds through dev 1) breaks the global space: PASID-1, not BIND-5.
TEST(ClauseAttribution, PasidOfAnotherDevicesMmIsPasid1) {
    auto f = judge_text(trace_text(kTwo, {enable(0), enable(1), bind(1, 0, 1)}, bind(0, 1, 1)));
    ASSERT_TRUE(f.has_value());
    EXPECT_EQ(std::string(ref::clause_id(f->clause)), "PASID-1");
}

// A failed disable that changed the state breaks FEAT-9 ("a failed enable or
// disable is atomic").
TEST(ClauseAttribution, FailedDisableIsFeat9) {
    auto f = judge_text(
        trace_text(kOne, {enable(0), bind(0, 0, 1), disable(0, EBUSY_)}, enabled(0, false)));
    ASSERT_TRUE(f.has_value());
    EXPECT_EQ(std::string(ref::clause_id(f->clause)), "FEAT-9");
}

// An errno stored as the PASID with rc 0 when the space is exhausted (the
// `ret < min` bug PASID-4 is written for) is PASID-4, not BIND-6.
TEST(ClauseAttribution, ErrnoStoredAtExhaustionIsPasid4) {
    auto f = judge_text(
        trace_text(kSingle, {enable(0), bind(0, 0, 1)}, bind(0, 1, kErrnoEnospcAsPasid)));
    ASSERT_TRUE(f.has_value());
    EXPECT_EQ(std::string(ref::clause_id(f->clause)), "PASID-4");
}

// A bind of an mm whose PASID equals the device's hi, failing with an errno
// that has nothing to do with the range (-ENODEV), breaks BIND-3 (the rc
// promise); PASID-3 is for -ERANGE / -EOVERFLOW only.
TEST(ClauseAttribution, UnrelatedFailureAtHiIsNotPasid3) {
    auto f =
        judge_text(trace_text(kWideNarrow, {enable(0), enable(1), param(0, 7, 7, 0), bind(0, 0, 7)},
                              bind_rc(1, 0, ENODEV_)));
    ASSERT_TRUE(f.has_value());
    EXPECT_EQ(std::string(ref::clause_id(f->clause)), "BIND-3");
}

} // namespace
