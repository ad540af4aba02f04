// The clause catalog: the rules of the SVA contract, by ID. Data, not code:
// the list lives in clauses.def.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "reference/profile.h"
#include "reference/topology.h"

namespace svac::ref {

enum class ClauseGroup : uint8_t {
    FEAT,
    PARAM,
    BIND,
    HANDLE,
    ATTACH,
    DOMAIN,
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
#define SVAC_CLAUSE(ident, id, group, profiles, statement, source) ident,
#include "reference/clauses.def"
#undef SVAC_CLAUSE
    count_
};

inline constexpr std::size_t kClauseCount = static_cast<std::size_t>(ClauseId::count_);

struct Clause {
    ClauseId ident;
    std::string_view id; // "BIND-4"
    ClauseGroup group;
    uint8_t profiles; // the profiles it binds: ProfileBit of each
    std::string_view statement;
    std::string_view source;
};

std::span<const Clause> clause_catalog();
const Clause &clause(ClauseId c);
std::string_view clause_id(ClauseId c);
std::string_view group_name(ClauseGroup g);
std::optional<ClauseId> find_clause(std::string_view id);
// A rule about what the hardware sees (HW, SMMU, VTD groups): its findings
// carry the stores and commands of the call, and the tables decoded.
bool hardware_rule(ClauseId c);
// Does clause c bind drivers of profile p?
bool binds(ClauseId c, const Profile &p);
// The clause that states rule c in profile p: c itself, or its successor
// there (SMMU-CD-1, the CD with the mm's ASID, is SMMU-CD-6 with the SVA
// domain's from linux-6.12).
ClauseId clause_in(ClauseId c, const Profile &p);

// What a campaign put before the driver, as far as the clauses care: the
// architectures of its topologies' IOMMUs, and those behind which a device
// has PRI or stalls (device_stalls). A run adds the topology it ran on.
struct ClauseScope {
    uint8_t profile = 0; // ProfileBit of the campaign's profile; 0: not known
    uint64_t topologies = 0;
    uint32_t archs = 0;       // bit 1u << Arch per architecture seen
    uint32_t pri_archs = 0;   // ... with a PRI device behind it
    uint32_t stall_archs = 0; // ... with a device that stalls behind it
    void add(const Topology &t);
    ClauseScope &operator|=(const ClauseScope &o);
};

// Why clause c cannot apply to a campaign of that scope ("SMMUv3 rule; the
// campaign's topologies had VT-d IOMMUs only"), or "" if it can. A rule binds
// the profiles its catalog entry names and no other. A rule about
// an architecture needs one of its IOMMUs (SMMU-*: SMMUv3, VTD-*: VT-d); a
// stall rule needs a device that stalls, a PRI rule a device with PRI, on an
// architecture the rule is about. With no topology run, nothing is known:
// every clause can apply. Reports show such a clause "not applicable", apart
// from "untested" (it can apply, and no check of it ran).
std::string not_applicable(ClauseId c, const ClauseScope &scope);

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
