// The clause catalog: the rules of the SVA contract, by ID. Data, not code:
// the list lives in clauses.def.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <string_view>

namespace svac::ref {

enum class ClauseGroup : uint8_t {
    FEAT,
    PARAM,
    BIND,
    UNBIND,
    MMEXIT,
    PASID,
    IOPF,
    HW,
    SMMU,
    VTD,
    ROBUST
};

enum class ClauseId : uint16_t {
#define SVAC_CLAUSE(ident, id, group, statement, source) ident,
#include "reference/clauses.def"
#undef SVAC_CLAUSE
    count_
};

inline constexpr std::size_t kClauseCount = static_cast<std::size_t>(ClauseId::count_);

struct Clause {
    ClauseId ident;
    std::string_view id; // "BIND-4"
    ClauseGroup group;
    std::string_view statement;
    std::string_view source;
};

std::span<const Clause> clause_catalog();
const Clause &clause(ClauseId c);
std::string_view clause_id(ClauseId c);
std::string_view group_name(ClauseGroup g);
std::optional<ClauseId> find_clause(std::string_view id);

// How often each clause's rule was evaluated: a report's "checks" column.
class ClauseCounters {
public:
    void hit(ClauseId c) { ++n_[static_cast<std::size_t>(c)]; }
    void add(ClauseId c, uint64_t n) { n_[static_cast<std::size_t>(c)] += n; }
    uint64_t operator[](ClauseId c) const { return n_[static_cast<std::size_t>(c)]; }
    ClauseCounters &operator+=(const ClauseCounters &o) {
        for (std::size_t i = 0; i < kClauseCount; ++i) n_[i] += o.n_[i];
        return *this;
    }

private:
    std::array<uint64_t, kClauseCount> n_{};
};

} // namespace svac::ref
