#include "reference/clauses.h"

#include <algorithm>
#include <string>

namespace svac::ref {

namespace {
// The profile masks clauses.def names.
namespace pm {
constexpr uint8_t RFC = kRfc2019, L53 = kLinux53, L616 = kLinux616;
constexpr uint8_t UPTO_53 = kRfc2019 | kLinux53, UPTO_61 = UPTO_53 | kLinux61;
constexpr uint8_t FEATURES = UPTO_61 | kLinux612, FEAT_IOPF = kLinux61 | kLinux612;
constexpr uint8_t DOMAINS = kLinux612 | kLinux616, MM_PASID = kLinux61 | DOMAINS;
constexpr uint8_t HANDLES = kLinux53 | MM_PASID, ALL = kRfc2019 | HANDLES;
} // namespace pm

constexpr Clause kCatalog[] = {
#define SVAC_CLAUSE(ident, id, group, profiles, statement, source)                                 \
    {ClauseId::ident, id, ClauseGroup::group, pm::profiles, statement, source},
#include "reference/clauses.def"
#undef SVAC_CLAUSE
};
static_assert(std::size(kCatalog) == kClauseCount);
} // namespace

std::span<const Clause> clause_catalog() {
    return kCatalog;
}

const Clause &clause(ClauseId c) {
    return kCatalog[static_cast<std::size_t>(c)];
}

std::string_view clause_id(ClauseId c) {
    return clause(c).id;
}

std::string_view group_name(ClauseGroup g) {
    switch (g) {
    case ClauseGroup::FEAT:
        return "FEAT";
    case ClauseGroup::PARAM:
        return "PARAM";
    case ClauseGroup::BIND:
        return "BIND";
    case ClauseGroup::HANDLE:
        return "HANDLE";
    case ClauseGroup::ATTACH:
        return "ATTACH";
    case ClauseGroup::DOMAIN:
        return "DOMAIN";
    case ClauseGroup::UNBIND:
        return "UNBIND";
    case ClauseGroup::MMEXIT:
        return "MMEXIT";
    case ClauseGroup::PASID:
        return "PASID";
    case ClauseGroup::IOPF:
        return "IOPF";
    case ClauseGroup::HW:
        return "HW";
    case ClauseGroup::SMMU:
        return "SMMU";
    case ClauseGroup::VTD:
        return "VTD";
    case ClauseGroup::ROBUST:
        return "ROBUST";
    }
    return "?";
}

namespace {

uint32_t arch_bit(Arch a) {
    return 1u << static_cast<uint32_t>(a);
}

constexpr Arch kArchs[] = {Arch::smmuv3, Arch::vtd};

// "SMMUv3", "VT-d", "SMMUv3 or VT-d": the architectures of a mask as the specs name them.
std::string arch_names(uint32_t mask, std::string_view sep) {
    std::string s;
    for (Arch a : kArchs)
        if (mask & arch_bit(a))
            s += (s.empty() ? "" : std::string(sep)) + (a == Arch::smmuv3 ? "SMMUv3" : "VT-d");
    return s;
}

// What a clause needs of a campaign to apply: an IOMMU of the architecture
// its group is about, and for a few rules a kind of device behind it.
enum class DeviceNeed : uint8_t {
    any,
    pri,  // the rule judges PRI page responses
    stall // the rule judges stalls and CMD_RESUME
};
struct Needs {
    uint32_t archs;
    DeviceNeed device;
};

Needs needs_of(ClauseId c) {
    const ClauseGroup g = clause(c).group;
    const uint32_t archs = g == ClauseGroup::SMMU  ? arch_bit(Arch::smmuv3)
                           : g == ClauseGroup::VTD ? arch_bit(Arch::vtd)
                                                   : ~0u;
    switch (c) {
    case ClauseId::FEAT_11:
        return {arch_bit(Arch::smmuv3), DeviceNeed::any};
    case ClauseId::IOPF_8:
    case ClauseId::SMMU_CMD_4:
        return {archs, DeviceNeed::stall};
    case ClauseId::SMMU_CMD_3:
    case ClauseId::VTD_PRQ_1:
        return {archs, DeviceNeed::pri};
    default:
        return {archs, DeviceNeed::any};
    }
}

} // namespace

void ClauseScope::add(const Topology &t) {
    ++topologies;
    for (const Iommu &io : t.iommus) archs |= arch_bit(io.arch);
    for (uint32_t d = 0; d < t.devices.size(); ++d) {
        if (t.devices[d].iommu >= t.iommus.size()) continue;
        const uint32_t a = arch_bit(t.iommus[t.devices[d].iommu].arch);
        if (t.devices[d].pri) pri_archs |= a;
        if (device_stalls(t, d)) stall_archs |= a;
    }
}

ClauseScope &ClauseScope::operator|=(const ClauseScope &o) {
    profile |= o.profile;
    topologies += o.topologies;
    archs |= o.archs;
    pri_archs |= o.pri_archs;
    stall_archs |= o.stall_archs;
    return *this;
}

bool binds(ClauseId c, const Profile &p) {
    return (clause(c).profiles & p.bit) != 0;
}

ClauseId clause_in(ClauseId c, const Profile &p) {
    if (c == ClauseId::SMMU_CD_1 && !binds(c, p)) return ClauseId::SMMU_CD_6;
    return c;
}

std::string not_applicable(ClauseId c, const ClauseScope &scope) {
    if (scope.profile != 0 && !(clause(c).profiles & scope.profile))
        return "not a clause of profile " + profile_names(scope.profile) + " (it binds " +
               profile_names(clause(c).profiles) + ")";
    if (scope.topologies == 0) return "";
    const Needs n = needs_of(c);
    const bool one_arch = n.archs != ~0u;
    if (!(n.archs & scope.archs))
        return arch_names(n.archs, " or ") + " rule; the campaign's topologies had " +
               arch_names(scope.archs, " and ") + " IOMMUs only";
    const std::string devices = one_arch
                                    ? "no device behind the campaign's " +
                                          arch_names(n.archs & scope.archs, " and ") + " IOMMUs"
                                    : "no device of the campaign's topologies";
    if (n.device == DeviceNeed::stall && !(n.archs & scope.stall_archs))
        return "stall rule; " + devices + " stalls, as only an SMMUv3 master without PRI does";
    if (n.device == DeviceNeed::pri && !(n.archs & scope.pri_archs))
        return "PRI rule; " + devices + " has PRI";
    return "";
}

bool hardware_rule(ClauseId c) {
    const ClauseGroup g = clause(c).group;
    return g == ClauseGroup::HW || g == ClauseGroup::SMMU || g == ClauseGroup::VTD;
}

std::optional<ClauseId> find_clause(std::string_view id) {
    auto it = std::find_if(std::begin(kCatalog), std::end(kCatalog),
                           [&](const Clause &c) { return c.id == id; });
    if (it == std::end(kCatalog)) return std::nullopt;
    return it->ident;
}

} // namespace svac::ref
