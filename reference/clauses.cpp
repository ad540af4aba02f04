#include "reference/clauses.h"

#include <algorithm>

namespace svac::ref {

namespace {
constexpr Clause kCatalog[] = {
#define SVAC_CLAUSE(ident, id, group, statement, source)                                           \
    {ClauseId::ident, id, ClauseGroup::group, statement, source},
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

std::optional<ClauseId> find_clause(std::string_view id) {
    auto it = std::find_if(std::begin(kCatalog), std::end(kCatalog),
                           [&](const Clause &c) { return c.id == id; });
    if (it == std::end(kCatalog)) return std::nullopt;
    return it->ident;
}

} // namespace svac::ref
