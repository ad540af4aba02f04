// The live-table invariants as data (invariants.h), and their concrete use.
#include "reference/invariants.h"

#include "reference/smmuv3_format.h"
#include "reference/text.h"
#include "reference/vtd_format.h"

#include <vector>

namespace svac::ref::inv {

namespace {

namespace sm = smmuv3;
namespace v = vtd;

constexpr Atom eq(const Field &f, uint64_t x) {
    return {Test::eq, &f, x};
}
constexpr Atom ne(const Field &f, uint64_t x) {
    return {Test::ne, &f, x};
}
template <typename... T> constexpr Atom in(const Field &f, T... xs) {
    return {Test::in, &f, ((uint64_t{1} << xs) | ...)};
}
constexpr Atom aligned_by(const Field &f, const Field &by, int shift) {
    return {Test::aligned_by, &f, 0, &by, shift};
}
constexpr Atom aligned(const Field &f, unsigned log2) {
    return {Test::aligned, &f, log2};
}
constexpr Atom kReservedZero{Test::reserved_zero};

// Guards.
constexpr Atom kSteS1[] = {eq(sm::ste::V, 1), eq(sm::ste::Config, sm::ste::CONFIG_S1_TRANS)};
constexpr Atom kSteS1Linear[] = {eq(sm::ste::V, 1), eq(sm::ste::Config, sm::ste::CONFIG_S1_TRANS),
                                 eq(sm::ste::S1Fmt, sm::ste::S1FMT_LINEAR)};
constexpr Atom kSteS1L2[] = {eq(sm::ste::V, 1), eq(sm::ste::Config, sm::ste::CONFIG_S1_TRANS),
                             eq(sm::ste::S1Fmt, sm::ste::S1FMT_64K_L2)};
constexpr Atom kSteValid[] = {eq(sm::ste::V, 1)};
constexpr Atom kCdLive[] = {eq(sm::cd::V, 1), eq(sm::cd::EPD0, 0)};
constexpr Atom kL1cdValid[] = {eq(sm::l1cd::V, 1)};
constexpr Atom kCtxPasid[] = {eq(v::context::P, 1), eq(v::context::PASIDE, 1)};
constexpr Atom kPdePresent[] = {eq(v::pde::P, 1)};
constexpr Atom kPePresent[] = {eq(v::pasid_entry::P, 1)};
constexpr Atom kPeFirstStage[] = {eq(v::pasid_entry::P, 1),
                                  eq(v::pasid_entry::PGTT, v::pasid_entry::kPgttFirstStage)};
// The second stage walks: second-stage only or nested.
constexpr Atom kPeSecondStage[] = {
    eq(v::pasid_entry::P, 1),
    in(v::pasid_entry::PGTT, v::pasid_entry::kPgttSecondStage, v::pasid_entry::kPgttNested)};

constexpr Atom kCtxLegacyPresent[] = {eq(v::context_legacy::P, 1)};
// A legacy context entry whose second stage walks: TT 00b or 01b.
constexpr Atom kCtxLegacySecondStage[] = {
    eq(v::context_legacy::P, 1),
    in(v::context_legacy::TT, v::context_legacy::kTtSecondStage, v::context_legacy::kTtDeviceTlb)};

// A7: CDs sharing an ASID share the translation regime the ASID tags.
constexpr const Field *kAsidRegime[] = {&sm::cd::TTB0, &sm::cd::T0SZ,  &sm::cd::TG0,
                                        &sm::cd::IR0,  &sm::cd::OR0,   &sm::cd::SH0,
                                        &sm::cd::IPS,  &sm::cd::MAIR0, &sm::cd::MAIR1};

using C = ClauseId;

const Formula kFormulas[] = {
    // SMMUv3 STE (SMMU-STE-1)
    {"smmuv3.ste.config", "A1", C::SMMU_STE_1, &sm::ste::kFormat, kSteValid,
     in(sm::ste::Config, 0, 4, 5, 6, 7)},
    {"smmuv3.ste.s1fmt", "A2", C::SMMU_STE_1, &sm::ste::kFormat, kSteS1,
     in(sm::ste::S1Fmt, 0, 1, 2)},
    {"smmuv3.ste.ctxptr-nonzero", "G4", C::SMMU_STE_1, &sm::ste::kFormat, kSteS1,
     ne(sm::ste::S1ContextPtr, 0)},
    // The linear table's size, 64 << S1CDMax; the 64 KiB-leaf L1 table's,
    // 8 << (S1CDMax - 10).
    {"smmuv3.ste.ctxptr-aligned-linear", "A3", C::SMMU_STE_1, &sm::ste::kFormat, kSteS1Linear,
     aligned_by(sm::ste::S1ContextPtr, sm::ste::S1CDMax, 6)},
    {"smmuv3.ste.ctxptr-aligned-2level", "A3", C::SMMU_STE_1, &sm::ste::kFormat, kSteS1L2,
     aligned_by(sm::ste::S1ContextPtr, sm::ste::S1CDMax, -7)},
    {"smmuv3.ste.reserved-zero", "G3", C::SMMU_STE_1, &sm::ste::kFormat, {}, kReservedZero},
    // MECID is RES0 "for STEs fetched for Non-secure or Secure streams" (SMMU
    // 5.2): the model's stream table is the Non-secure one.
    {"smmuv3.ste.mecid-non-secure",
     "G3",
     C::SMMU_STE_1,
     &sm::ste::kFormat,
     {},
     eq(sm::ste::MECID, 0)},
    // SMMUv3 L1STD (SMMU-STE-1): Span 12..31 is reserved and behaves as 0
    // (SMMU 5.1), so the STEs it should cover are unreachable.
    {"smmuv3.l1std.span",
     "A5",
     C::SMMU_STE_1,
     &sm::l1std::kFormat,
     {},
     in(sm::l1std::Span, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11)},
    // SMMUv3 L1CD (SMMU-CD-4)
    {"smmuv3.l1cd.l2ptr-aligned", "A3", C::SMMU_CD_4, &sm::l1cd::kFormat, kL1cdValid,
     aligned(sm::l1cd::L2Ptr, 16)},
    // SMMUv3 CD (SMMU-CD-1, SMMU-ASID-1)
    {"smmuv3.cd.asid-nonzero", "A6", C::SMMU_CD_1, &sm::cd::kFormat, kCdLive, ne(sm::cd::ASID, 0)},
    {"smmuv3.cd.reserved-zero", "G3", C::SMMU_CD_1, &sm::cd::kFormat, {}, kReservedZero},
    {"smmuv3.cd.asid-regime", "A7", C::SMMU_ASID_1, &sm::cd::kFormat, kCdLive, Atom{Test::eq},
     &sm::cd::ASID, kAsidRegime},
    // VT-d context entry (VTD-CTX-1)
    {"vtd.context.dir-nonzero", "G4", C::VTD_CTX_1, &v::context::kFormat, kCtxPasid,
     ne(v::context::PASIDDIRPTR, 0)},
    {"vtd.context.reserved-zero", "G3", C::VTD_CTX_1, &v::context::kFormat, {}, kReservedZero},
    // VT-d legacy-mode context entry (VTD-CTX-1; VT-d 9.3): TT 11b is
    // reserved; where the second stage walks, a table and an address width
    // the specification defines (39, 48 or 57 bits: whether this IOMMU's
    // CAP.SAGAW lists it is the walk's check, the formula sees no register).
    {"vtd.context-legacy.tt", "I1", C::VTD_CTX_1, &v::context_legacy::kFormat, kCtxLegacyPresent,
     in(v::context_legacy::TT, 0, 1, 2)},
    {"vtd.context-legacy.slptptr-nonzero", "G4", C::VTD_CTX_1, &v::context_legacy::kFormat,
     kCtxLegacySecondStage, ne(v::context_legacy::SLPTPTR, 0)},
    {"vtd.context-legacy.aw",
     "I1",
     C::VTD_CTX_1,
     &v::context_legacy::kFormat,
     kCtxLegacySecondStage,
     {Test::in_sagaw, &v::context_legacy::AW}},
    {"vtd.context-legacy.reserved-zero",
     "G3",
     C::VTD_CTX_1,
     &v::context_legacy::kFormat,
     {},
     kReservedZero},
    // VT-d PASID directory entry (VTD-PDE-1); its reserved bits are those
    // below the 4 KiB table pointer.
    {"vtd.pde.ptr-nonzero", "G4", C::VTD_PDE_1, &v::pde::kFormat, kPdePresent,
     ne(v::pde::PTPTR, 0)},
    {"vtd.pde.reserved-zero", "G3", C::VTD_PDE_1, &v::pde::kFormat, {}, kReservedZero},
    {"vtd.pde.ptr-distinct", "I3", C::VTD_PDE_1, &v::pde::kFormat, kPdePresent, Atom{Test::eq},
     &v::pde::PTPTR},
    // VT-d PASID entry (VTD-PE-1)
    {"vtd.pasid.pgtt", "I1", C::VTD_PE_1, &v::pasid_entry::kFormat, kPePresent,
     in(v::pasid_entry::PGTT, 1, 2, 3, 4)},
    {"vtd.pasid.flpm", "I1", C::VTD_PE_1, &v::pasid_entry::kFormat, kPeFirstStage,
     in(v::pasid_entry::FLPM, 0, 1)},
    // Where the second stage walks, AW must be a width CAP_REG.SAGAW lists.
    {"vtd.pasid.aw-sagaw",
     "I1",
     C::VTD_PE_1,
     &v::pasid_entry::kFormat,
     kPeSecondStage,
     {Test::in_sagaw, &v::pasid_entry::AW}},
    {"vtd.pasid.did-nonzero", "I8", C::VTD_PE_1, &v::pasid_entry::kFormat, kPePresent,
     ne(v::pasid_entry::DID, 0)},
    {"vtd.pasid.reserved-zero", "G3", C::VTD_PE_1, &v::pasid_entry::kFormat, {}, kReservedZero},
};

std::string atom_text(const Atom &a) {
    const std::string f = a.field ? std::string(a.field->name) : std::string();
    switch (a.test) {
    case Test::eq:
        return f + "=" + std::to_string(a.value);
    case Test::ne:
        return f + "!=" + std::to_string(a.value);
    case Test::in: {
        std::string s = f + " in {";
        for (unsigned k = 0; k < 64; ++k)
            if (a.value >> k & 1) s += (s.back() == '{' ? "" : ",") + std::to_string(k);
        return s + "}";
    }
    case Test::aligned:
        return f + " aligned to " + hex(uint64_t{1} << a.value);
    case Test::aligned_by:
        return f + " aligned to 2^(" + std::string(a.other->name) + (a.shift < 0 ? "-" : "+") +
               std::to_string(a.shift < 0 ? -a.shift : a.shift) + ")";
    case Test::reserved_zero:
        return "reserved bits 0";
    case Test::in_sagaw:
        return f + " in CAP.SAGAW";
    }
    return "?";
}

// The values of the fields a formula reads, as e holds them.
std::string values(const Formula &fm, const uint64_t *e) {
    std::vector<const Field *> read;
    auto add = [&](const Field *f) {
        if (!f) return;
        for (const Field *x : read)
            if (x == f) return;
        read.push_back(f);
    };
    for (const Atom &a : fm.when) add(a.field);
    add(fm.then.field);
    add(fm.then.other);
    add(fm.key);
    std::string s;
    for (const Field *f : read) {
        const uint64_t x = get(e, *f);
        s += (s.empty() ? "" : " ") + std::string(f->name) + "=" +
             (x < 10 ? std::to_string(x) : hex(x));
    }
    if (fm.then.test == Test::reserved_zero)
        for (unsigned q = 0; q < fm.format->qwords; ++q)
            if (uint64_t bad = e[q] & fm.format->reserved_mask(q))
                s += (s.empty() ? "" : " ") + std::string("reserved q") + std::to_string(q) + "=" +
                     hex(bad);
    return s;
}

} // namespace

std::span<const Formula> all_formulas() {
    return kFormulas;
}

std::span<const Formula> formulas_of(const Format &f) {
    std::size_t lo = 0;
    while (lo < std::size(kFormulas) && kFormulas[lo].format != &f) ++lo;
    std::size_t hi = lo;
    while (hi < std::size(kFormulas) && kFormulas[hi].format == &f) ++hi;
    return std::span<const Formula>(kFormulas).subspan(lo, hi - lo);
}

const Formula *find_formula(std::string_view name) {
    for (const Formula &f : kFormulas)
        if (f.name == name) return &f;
    return nullptr;
}

std::string text(const Formula &f) {
    std::string g;
    for (const Atom &a : f.when) g += (g.empty() ? "" : " && ") + atom_text(a);
    if (!f.pairwise()) return g.empty() ? atom_text(f.then) : g + " -> " + atom_text(f.then);
    std::string s = (g.empty() ? std::string("any two entries") : g + " on two entries") + ": " +
                    std::string(f.key->name) + " equal -> ";
    if (f.same.empty()) return s + "impossible (" + std::string(f.key->name) + " distinct)";
    std::string same;
    for (const Field *x : f.same) same += (same.empty() ? "" : ", ") + std::string(x->name);
    return s + same + " equal";
}

std::string describe(const Formula &f) {
    return std::string(f.name) + " [" + std::string(f.spec) + "]: " + text(f);
}

std::string Breach::message() const {
    return "breaks " + describe(*formula) + " (" + detail + ")";
}

std::optional<Breach> check_entry(const Format &f, const uint64_t *e) {
    for (const Formula &fm : formulas_of(f))
        if (auto b = check(fm, e)) return b;
    return std::nullopt;
}

std::optional<Breach> check_pair(const Format &f, const uint64_t *a, const uint64_t *b) {
    for (const Formula &fm : formulas_of(f))
        if (auto br = check(fm, a, b)) return br;
    return std::nullopt;
}

std::optional<Breach> check(const Formula &fm, const uint64_t *e, const Caps &caps) {
    if (fm.pairwise() || entry_holds(fm, e, caps)) return std::nullopt;
    return Breach{&fm, values(fm, e)};
}

std::optional<Breach> check(const Formula &fm, const uint64_t *a, const uint64_t *b,
                            const Caps &caps) {
    if (!fm.pairwise() || pair_holds(fm, a, b, caps)) return std::nullopt;
    std::string d = values(fm, a) + " vs " + values(fm, b);
    for (const Field *x : fm.same)
        if (get(a, *x) != get(b, *x)) {
            d += "; " + std::string(x->name) + " differs: " + hex(get(a, *x)) + " vs " +
                 hex(get(b, *x));
            break;
        }
    return Breach{&fm, d};
}

} // namespace svac::ref::inv
