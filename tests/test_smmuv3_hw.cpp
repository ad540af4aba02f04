// The SMMUv3 layouts (codec round trips) and the hardware model, walked
// over hand-built tables in a small test memory.
#include "reference/pagetable.h"
#include "reference/smmuv3_format.h"
#include "reference/smmuv3_hw.h"

#include <gtest/gtest.h>

#include <array>
#include <cerrno>
#include <map>
#include <optional>
#include <random>
#include <utility>

using namespace svac::ref;
namespace sm = svac::ref::smmuv3;
using Kind = DmaResult::Kind;
using Reason = DmaResult::Reason;

namespace {

// ---- codec ----

uint64_t random_field(std::mt19937_64 &rng, const Field &f) {
    return rng() & (f.mask() >> f.lo);
}

TEST(Smmuv3Format, LayoutsArePartitions) {
    for (const Format *f : sm::kAllFormats) {
        SCOPED_TRACE(f->name);
        EXPECT_TRUE(sm::layout_ok(*f));
        for (unsigned q = 0; q < f->qwords; ++q) {
            uint64_t used = 0;
            for (const Field &a : f->fields)
                if (a.qword == q) {
                    EXPECT_EQ(used & a.mask(), 0u) << a.name;
                    used |= a.mask();
                }
            EXPECT_EQ(f->reserved_mask(q), ~used) << "qword " << q;
        }
    }
}

TEST(Smmuv3Format, LayoutCheckCatchesOverlapAndOverflow) {
    static constexpr Field overlap[] = {{"A", 0, 0, 4}, {"B", 0, 3, 2}};
    static constexpr Field outside[] = {{"A", 0, 60, 8}};
    static constexpr Field beyond[] = {{"A", 2, 0, 1}};
    static_assert(!sm::layout_ok(Format{"x", 1, overlap}));
    static_assert(!sm::layout_ok(Format{"x", 1, outside}));
    static_assert(!sm::layout_ok(Format{"x", 2, beyond}));
}

TEST(Smmuv3Format, EncodeDecodeRoundTrip) {
    std::mt19937_64 rng(1);
    for (const Format *f : sm::kAllFormats) {
        SCOPED_TRACE(f->name);
        for (int iter = 0; iter < 200; ++iter) {
            std::array<uint64_t, 8> e{};
            std::vector<uint64_t> vals;
            for (const Field &fld : f->fields) {
                vals.push_back(random_field(rng, fld));
                set(e.data(), fld, vals.back());
            }
            for (std::size_t i = 0; i < f->fields.size(); ++i)
                ASSERT_EQ(get(e.data(), f->fields[i]), vals[i]) << f->fields[i].name;
            for (unsigned q = 0; q < f->qwords; ++q) ASSERT_EQ(e[q] & f->reserved_mask(q), 0u);
        }
    }
}

TEST(Smmuv3Format, DecodeEncodeIdentity) {
    std::mt19937_64 rng(2);
    for (const Format *f : sm::kAllFormats) {
        SCOPED_TRACE(f->name);
        for (int iter = 0; iter < 200; ++iter) {
            std::array<uint64_t, 8> e{}, out{};
            for (unsigned q = 0; q < f->qwords; ++q) e[q] = rng() & ~f->reserved_mask(q);
            for (const Field &fld : f->fields) set(out.data(), fld, get(e.data(), fld));
            ASSERT_EQ(out, e);
        }
    }
}

TEST(Smmuv3Format, SpecPositions) {
    // A few anchors from Arm IHI 0070 chapter 5, by absolute bit.
    EXPECT_EQ(sm::ste::S1ContextPtr.mask(), ((uint64_t{1} << 56) - 1) & ~uint64_t{63});
    EXPECT_EQ(sm::ste::S1CDMax.lo, 59);
    EXPECT_EQ(sm::ste::EATS.qword * 64 + sm::ste::EATS.lo, 92);
    EXPECT_EQ(sm::ste::S2TTB.qword * 64 + sm::ste::S2TTB.lo, 196);
    EXPECT_EQ(sm::cd::TTB0.qword * 64 + sm::cd::TTB0.lo + sm::cd::TTB0.width - 1, 119);
    EXPECT_EQ(sm::cd::V.lo, 31);
    EXPECT_EQ(sm::cd::ASID.lo, 48);
    EXPECT_EQ(sm::l1cd::L2Ptr.lo, 12);
    EXPECT_EQ(sm::cmd::CFGI_ALL, sm::cmd::CFGI_STE_RANGE);
    EXPECT_EQ(sm::evt::kFormat.qwords, 4);
    EXPECT_EQ(sm::priq::SSV.lo, 63);
    // Opcodes are unique and an unlisted one is unknown.
    for (const auto &a : sm::cmd::kCommands)
        for (const auto &b : sm::cmd::kCommands)
            if (&a != &b) {
                EXPECT_NE(a.opcode, b.opcode);
            }
    EXPECT_EQ(sm::cmd::find_command(0x07), nullptr);
    EXPECT_EQ(sm::cmd::find_command(0x00), nullptr);
}

// ---- the model ----

class TestMem : public MemoryView {
public:
    uint64_t read64(uint64_t pa) const override {
        auto it = words_.find(pa);
        return it == words_.end() ? 0 : it->second;
    }
    void write64(uint64_t pa, uint64_t v) { words_[pa] = v; }
    template <std::size_t N> void write(uint64_t pa, const std::array<uint64_t, N> &w) {
        for (std::size_t i = 0; i < N; ++i) write64(pa + 8 * i, w[i]);
    }
    uint64_t alloc_page() { return next_ += kPageSize; }

private:
    std::map<uint64_t, uint64_t> words_;
    uint64_t next_ = 0x1000000;
};

using Entry = std::array<uint64_t, 8>;
using Command = std::array<uint64_t, 2>;

constexpr uint64_t kStrtab = 0x10000;
constexpr uint64_t kCdTable = 0x20000;
constexpr uint64_t kVa = 0x7f0012345000;

Entry ste_abort() {
    Entry e{};
    set(e.data(), sm::ste::V, 1);
    set(e.data(), sm::ste::Config, sm::ste::CONFIG_ABORT);
    return e;
}

Entry ste_bypass() {
    Entry e = ste_abort();
    set(e.data(), sm::ste::Config, sm::ste::CONFIG_BYPASS);
    return e;
}

Entry ste_s1(uint64_t cdtab, unsigned cdmax, uint64_t fmt = sm::ste::S1FMT_LINEAR,
             uint64_t s1dss = sm::ste::S1DSS_BYPASS, bool eats = false) {
    Entry e = ste_abort();
    set(e.data(), sm::ste::Config, sm::ste::CONFIG_S1_TRANS);
    set(e.data(), sm::ste::S1Fmt, fmt);
    set(e.data(), sm::ste::S1ContextPtr, cdtab >> 6);
    set(e.data(), sm::ste::S1CDMax, cdmax);
    set(e.data(), sm::ste::S1DSS, s1dss);
    set(e.data(), sm::ste::EATS, eats ? sm::ste::EATS_TRANS : sm::ste::EATS_ABORT);
    return e;
}

Entry cd_sva(uint64_t ttb0, uint16_t asid, bool stall = false) {
    Entry e{};
    set(e.data(), sm::cd::T0SZ, 16);
    set(e.data(), sm::cd::TG0, sm::cd::TG0_4K);
    set(e.data(), sm::cd::IR0, 1);
    set(e.data(), sm::cd::OR0, 1);
    set(e.data(), sm::cd::SH0, 3);
    set(e.data(), sm::cd::EPD1, 1);
    set(e.data(), sm::cd::V, 1);
    set(e.data(), sm::cd::IPS, 5);
    set(e.data(), sm::cd::AA64, 1);
    set(e.data(), sm::cd::S, stall);
    set(e.data(), sm::cd::R, 1);
    set(e.data(), sm::cd::A, 1);
    set(e.data(), sm::cd::ASET, 1);
    set(e.data(), sm::cd::ASID, asid);
    set(e.data(), sm::cd::TTB0, ttb0 >> 4);
    set(e.data(), sm::cd::MAIR0, 0x44ff04);
    return e;
}

// The SVA release CD: V=1, EPD0=1, no TCR0 fields, S=R=0.
Entry cd_release(uint16_t asid) {
    Entry e{};
    set(e.data(), sm::cd::EPD0, 1);
    set(e.data(), sm::cd::EPD1, 1);
    set(e.data(), sm::cd::V, 1);
    set(e.data(), sm::cd::IPS, 5);
    set(e.data(), sm::cd::AA64, 1);
    set(e.data(), sm::cd::A, 1);
    set(e.data(), sm::cd::ASET, 1);
    set(e.data(), sm::cd::ASID, asid);
    return e;
}

Command command(uint8_t op, std::initializer_list<std::pair<Field, uint64_t>> fields = {}) {
    Command c{};
    set(c.data(), sm::cmd::Opcode, op);
    for (const auto &[f, v] : fields) set(c.data(), f, v);
    return c;
}

struct World {
    TestMem mem;
    std::unique_ptr<IommuModel> model = make_smmuv3_model(Iommu{}, 0);
    Device dev; // pri by default
    uint64_t pgd;

    World() {
        pgd = mem.alloc_page();
        model->write_reg(SVAC_SMMU_STRTAB_BASE, kStrtab);
        model->write_reg(SVAC_SMMU_STRTAB_BASE_CFG, 4); // linear, 16 STEs
        model->write_reg(SVAC_SMMU_CR0, SVAC_SMMU_CR0_SMMUEN);
    }
    void ste(uint32_t sid, const Entry &e) { mem.write(kStrtab + 64 * sid, e); }
    void cd(uint64_t table, uint32_t ssid, const Entry &e) { mem.write(table + 64 * ssid, e); }
    // The page-table slot of va at the last level, building tables on the way.
    uint64_t pte_slot(uint64_t root, uint64_t va) {
        uint64_t table = root;
        for (unsigned level = 0; level + 1 < kLevels; ++level) {
            uint64_t slot = table + 8 * pt_index(va, level);
            uint64_t d = mem.read64(slot);
            if (!get(&d, aarch64_pte::Valid)) {
                d = make_table(SVAC_PGTABLE_AARCH64_4K, mem.alloc_page());
                mem.write64(slot, d);
            }
            table = get(&d, aarch64_pte::OA) << kPageShift;
        }
        return table + 8 * pt_index(va, kLevels - 1);
    }
    void map(uint64_t va, uint64_t pa, uint8_t perms = kRead | kWrite, uint64_t root = 0) {
        mem.write64(pte_slot(root ? root : pgd, va), make_leaf(SVAC_PGTABLE_AARCH64_4K, pa, perms));
    }
    void unmap(uint64_t va) { mem.write64(pte_slot(pgd, va), 0); }
    int submit(const Command &c) { return model->submit(mem, c.data(), 2); }
    void sync() { ASSERT_EQ(submit(command(sm::cmd::SYNC)), 0); }
    DmaResult dma(uint32_t sid, std::optional<uint32_t> pasid, uint64_t va,
                  uint8_t access = kRead) {
        return model->dma(mem, dma_request(sid, pasid, va, access, &dev));
    }
    // sid 1: S1 with a linear table of 2^4 CDs; ssid 5 is an SVA CD on pgd.
    void sva_setup(uint16_t asid = 7, bool eats = false) {
        ste(1, ste_s1(kCdTable, 4, sm::ste::S1FMT_LINEAR, sm::ste::S1DSS_BYPASS, eats));
        cd(kCdTable, 5, cd_sva(pgd, asid));
    }
};

void expect_fault(const DmaResult &r, Reason reason, uint32_t event) {
    EXPECT_EQ(r.kind, Kind::fault) << r.why;
    EXPECT_EQ(r.reason, reason) << r.why;
    EXPECT_EQ(r.event, event) << r.why;
}

void expect_pa(const DmaResult &r, uint64_t pa) {
    EXPECT_EQ(r.kind, Kind::translated) << r.why;
    EXPECT_EQ(r.pa, pa) << r.why;
}

TEST(Smmuv3Model, DisabledSmmuAborts) {
    World w;
    w.ste(1, ste_bypass());
    w.model->write_reg(SVAC_SMMU_CR0, 0);
    auto r = w.dma(1, std::nullopt, kVa);
    EXPECT_EQ(r.kind, Kind::abort);
    EXPECT_EQ(r.reason, Reason::disabled);
}

TEST(Smmuv3Model, StreamTableBounds) {
    World w;
    w.ste(1, ste_bypass());
    expect_fault(w.dma(16, std::nullopt, kVa), Reason::bad_stream, sm::evt::C_BAD_STREAMID);
    World fresh;
    fresh.model = make_smmuv3_model(Iommu{}, 0);
    fresh.model->write_reg(SVAC_SMMU_CR0, 1);
    expect_fault(fresh.dma(0, std::nullopt, kVa), Reason::bad_stream, sm::evt::C_BAD_STREAMID);
}

TEST(Smmuv3Model, BypassAbortInvalidAndReservedStes) {
    World w;
    w.ste(1, ste_bypass());
    w.ste(2, ste_abort());
    Entry s2 = ste_abort();
    set(s2.data(), sm::ste::Config, sm::ste::CONFIG_S2_TRANS);
    w.ste(4, s2);
    expect_pa(w.dma(1, std::nullopt, kVa + 0x12), kVa + 0x12);
    // SMMU 5.2 (S1Fmt): a SubstreamID with stage 1 disabled is C_BAD_SUBSTREAMID.
    expect_fault(w.dma(1, 3, kVa), Reason::bad_substream, sm::evt::C_BAD_SUBSTREAMID);
    auto r = w.dma(2, std::nullopt, kVa);
    EXPECT_EQ(r.kind, Kind::abort);
    EXPECT_EQ(r.event, 0u);
    expect_fault(w.dma(3, std::nullopt, kVa), Reason::bad_config, sm::evt::C_BAD_STE);
    expect_fault(w.dma(4, std::nullopt, kVa), Reason::bad_config, sm::evt::C_BAD_STE);
}

TEST(Smmuv3Model, TwoLevelStreamTable) {
    World w;
    w.model->write_reg(SVAC_SMMU_CR0, 0); // STRTAB_BASE_CFG only while SMMUEN is 0
    w.model->write_reg(SVAC_SMMU_STRTAB_BASE_CFG, 16 | 8 << 6 | 1 << 16); // SPLIT 8, 2-level
    w.model->write_reg(SVAC_SMMU_CR0, SVAC_SMMU_CR0_SMMUEN);
    uint64_t l2 = w.mem.alloc_page();
    uint64_t l1 = 0;
    set(&l1, sm::l1std::Span, 2); // two STEs
    set(&l1, sm::l1std::L2Ptr, l2 >> 6);
    w.mem.write64(kStrtab + 8 * 1, l1); // sids 256..511
    w.mem.write(l2 + 64 * 1, ste_bypass());
    expect_pa(w.dma(257, std::nullopt, kVa), kVa);
    expect_fault(w.dma(258, std::nullopt, kVa), Reason::bad_stream, sm::evt::C_BAD_STREAMID);
    expect_fault(w.dma(1, std::nullopt, kVa), Reason::bad_stream, sm::evt::C_BAD_STREAMID);
    expect_fault(w.dma(256, std::nullopt, kVa), Reason::bad_config, sm::evt::C_BAD_STE);
}

TEST(Smmuv3Model, S1TranslatesThroughLinearCdTable) {
    World w;
    w.sva_setup();
    w.map(kVa, 0xabc000);
    expect_pa(w.dma(1, 5, kVa + 0x10), 0xabc010);
    expect_pa(w.dma(1, 5, kVa + 0x10, kWrite), 0xabc010);
}

TEST(Smmuv3Model, TranslationFaultOutcomes) {
    World w;
    w.sva_setup();
    // PRI device: the device asks for the page.
    auto r = w.dma(1, 5, kVa);
    EXPECT_EQ(r.kind, Kind::page_request) << r.why;
    EXPECT_EQ(r.reason, Reason::translation);
    // Neither PRI nor stall, CD.R=1: a recorded F_TRANSLATION.
    w.dev.pri = false;
    expect_fault(w.dma(1, 5, kVa), Reason::translation, sm::evt::F_TRANSLATION);
    // Stall-capable, CD.S=0: still recorded; CD.S=1: recoverable.
    w.dev.stall = true;
    expect_fault(w.dma(1, 5, kVa), Reason::translation, sm::evt::F_TRANSLATION);
    w.cd(kCdTable, 6, cd_sva(w.pgd, 7, true));
    EXPECT_EQ(w.dma(1, 6, kVa).kind, Kind::page_request);
    // CD.R=0: a quiet abort.
    w.dev.stall = false;
    Entry quiet = cd_sva(w.pgd, 7);
    set(quiet.data(), sm::cd::R, 0);
    w.cd(kCdTable, 8, quiet);
    r = w.dma(1, 8, kVa);
    EXPECT_EQ(r.kind, Kind::abort);
    EXPECT_EQ(r.reason, Reason::translation);
}

TEST(Smmuv3Model, PermissionFault) {
    World w;
    w.dev.pri = false;
    w.sva_setup();
    w.map(kVa, 0xabc000, kRead);
    expect_pa(w.dma(1, 5, kVa, kRead), 0xabc000);
    expect_fault(w.dma(1, 5, kVa, kWrite), Reason::permission, sm::evt::F_PERMISSION);
    w.dev.pri = true;
    EXPECT_EQ(w.dma(1, 5, kVa, kWrite).kind, Kind::page_request);
}

TEST(Smmuv3Model, ReleaseCdAbortsQuietly) {
    World w;
    w.ste(1, ste_s1(kCdTable, 4));
    w.cd(kCdTable, 5, cd_release(7));
    for (bool pri : {true, false}) {
        w.dev.pri = pri;
        auto r = w.dma(1, 5, kVa);
        EXPECT_EQ(r.kind, Kind::abort) << r.why;
        EXPECT_EQ(r.reason, Reason::translation);
        EXPECT_EQ(r.event, 0u);
    }
    // A stalling master with S=1 under EPD0 is recoverable.
    Entry stall = cd_release(7);
    set(stall.data(), sm::cd::S, 1);
    w.cd(kCdTable, 6, stall);
    w.dev.pri = false;
    w.dev.stall = true;
    EXPECT_EQ(w.dma(1, 6, kVa).kind, Kind::page_request);
}

// T0SZ = 25: a 39-bit VA space, three levels from the root (SMMU 5.4 and
// the VMSAv8-64 4 KiB-granule walk).
TEST(Smmuv3Model, T0szSelectsTheWalkLevels) {
    World w;
    w.dev.pri = false;
    w.ste(1, ste_s1(kCdTable, 4));
    Entry cd39 = cd_sva(w.pgd, 7);
    set(cd39.data(), sm::cd::T0SZ, 25);
    w.cd(kCdTable, 5, cd39);
    const uint64_t va = 0x4012345000; // below 2^39
    uint64_t table = w.pgd;
    for (unsigned shift : {30u, 21u}) {
        const uint64_t next = w.mem.alloc_page();
        w.mem.write64(table + 8 * ((va >> shift) & 511), make_table(SVAC_PGTABLE_AARCH64_4K, next));
        table = next;
    }
    w.mem.write64(table + 8 * ((va >> 12) & 511),
                  make_leaf(SVAC_PGTABLE_AARCH64_4K, 0xabc000, kRead | kWrite));
    expect_pa(w.dma(1, 5, va + 0x10), 0xabc010);
    expect_pa(w.dma(1, 5, va + 0x18, kWrite), 0xabc018);
    // At or above 2^39 the VA is outside TTB0's region: a translation fault.
    expect_fault(w.dma(1, 5, uint64_t{1} << 39), Reason::translation, sm::evt::F_TRANSLATION);
}

// A DMA domain of a kernel maps large ranges with blocks: Type 0 at level 1
// (1 GiB) or level 2 (2 MiB). Type 0 at level 0 or as a page is invalid.
TEST(Smmuv3Model, BlockDescriptorsTranslate) {
    World w;
    w.dev.pri = false;
    w.ste(1, ste_s1(kCdTable, 4));
    w.cd(kCdTable, 5, cd_sva(w.pgd, 7));
    auto block = [](uint64_t pa, uint8_t perms) {
        uint64_t d = make_leaf(SVAC_PGTABLE_AARCH64_4K, pa, perms);
        set(&d, aarch64_pte::Type, 0);
        return d;
    };
    const uint64_t l1 = w.mem.alloc_page(), l2 = w.mem.alloc_page();
    w.mem.write64(w.pgd, make_table(SVAC_PGTABLE_AARCH64_4K, l1));
    // VA [1 GiB, 2 GiB) -> PA [3 GiB, 4 GiB), read-only.
    w.mem.write64(l1 + 8 * 1, block(uint64_t{3} << 30, kRead));
    expect_pa(w.dma(1, 5, (uint64_t{1} << 30) + 0x123456), (uint64_t{3} << 30) + 0x123456);
    auto ro = w.dma(1, 5, (uint64_t{1} << 30) + 8, kWrite);
    EXPECT_EQ(ro.reason, Reason::permission) << ro.why;
    // VA [0, 2 MiB) through a level-2 block -> PA 0x40200000.
    w.mem.write64(l1, make_table(SVAC_PGTABLE_AARCH64_4K, l2));
    w.mem.write64(l2, block(0x40200000, kRead | kWrite));
    expect_pa(w.dma(1, 5, 0x1ff008, kWrite), 0x403ff008);
    // A block where none may be: at level 0.
    w.mem.write64(w.pgd + 8, block(0, kRead));
    expect_fault(w.dma(1, 5, uint64_t{1} << 39), Reason::translation, sm::evt::F_TRANSLATION);
}

TEST(Smmuv3Model, SubstreamRangeAndBadCds) {
    World w;
    w.sva_setup();
    w.map(kVa, 0xabc000);
    expect_fault(w.dma(1, 16, kVa), Reason::bad_substream, sm::evt::C_BAD_SUBSTREAMID);
    expect_fault(w.dma(1, 1u << 20, kVa), Reason::bad_substream, sm::evt::C_BAD_SUBSTREAMID);
    expect_fault(w.dma(1, 4, kVa), Reason::bad_context, sm::evt::C_BAD_CD); // V=0
    Entry no_aa64 = cd_sva(w.pgd, 7);
    set(no_aa64.data(), sm::cd::AA64, 0);
    w.cd(kCdTable, 9, no_aa64);
    expect_fault(w.dma(1, 9, kVa), Reason::bad_context, sm::evt::C_BAD_CD);
    Entry tg64k = cd_sva(w.pgd, 7);
    set(tg64k.data(), sm::cd::TG0, sm::cd::TG0_64K);
    w.cd(kCdTable, 10, tg64k);
    // The model's SMMU implements the 4 KiB granule only (SMMU_IDR5): a
    // 64 KiB one is ILLEGAL there, and the event says so.
    auto r = w.dma(1, 10, kVa);
    expect_fault(r, Reason::bad_context, sm::evt::C_BAD_CD);
    EXPECT_NE(r.why.find("64 KiB granule, which this SMMU does not implement"), std::string::npos)
        << r.why;
    // T0SZ beyond 39 is ILLEGAL (SMMU 5.4).
    Entry t0sz = cd_sva(w.pgd, 7);
    set(t0sz.data(), sm::cd::T0SZ, 40);
    w.cd(kCdTable, 11, t0sz);
    r = w.dma(1, 11, kVa);
    expect_fault(r, Reason::bad_context, sm::evt::C_BAD_CD);
    EXPECT_NE(r.why.find("T0SZ=40 is outside 16..39"), std::string::npos) << r.why;
    // S1CDMax = 0: substreams disabled.
    w.ste(2, ste_s1(kCdTable, 0));
    expect_fault(w.dma(2, 0, kVa), Reason::bad_substream, sm::evt::C_BAD_SUBSTREAMID);
}

TEST(Smmuv3Model, NonPasidTraffic) {
    World w;
    w.sva_setup(); // S1DSS bypass
    expect_pa(w.dma(1, std::nullopt, kVa + 3), kVa + 3);
    w.ste(2, ste_s1(kCdTable, 4, sm::ste::S1FMT_LINEAR, sm::ste::S1DSS_TERMINATE));
    expect_fault(w.dma(2, std::nullopt, kVa), Reason::stream_disabled, sm::evt::F_STREAM_DISABLED);
    // S1DSS=SSID0: CD[0] translates non-PASID traffic; ssid 0 with a PASID is refused.
    uint64_t root0 = w.mem.alloc_page();
    w.map(kVa, 0x555000, kRead, root0);
    w.cd(kCdTable, 0, cd_sva(root0, 3));
    w.ste(3, ste_s1(kCdTable, 4, sm::ste::S1FMT_LINEAR, sm::ste::S1DSS_SSID0));
    expect_pa(w.dma(3, std::nullopt, kVa), 0x555000);
    expect_fault(w.dma(3, 0, kVa), Reason::bad_substream, sm::evt::C_BAD_SUBSTREAMID);
    // S1CDMax = 0: the one CD serves non-PASID traffic whatever S1DSS says.
    w.ste(4, ste_s1(kCdTable, 0, sm::ste::S1FMT_LINEAR, sm::ste::S1DSS_TERMINATE));
    expect_pa(w.dma(4, std::nullopt, kVa), 0x555000);
}

TEST(Smmuv3Model, TwoLevelCdTable) {
    for (uint64_t fmt : {sm::ste::S1FMT_64K_L2, sm::ste::S1FMT_4K_L2}) {
        SCOPED_TRACE(fmt);
        World w;
        unsigned split = fmt == sm::ste::S1FMT_64K_L2 ? 10 : 6;
        w.ste(1, ste_s1(kCdTable, 20, fmt));
        uint32_t ssid = (3u << split) + 5;
        w.map(kVa, 0xabc000);
        expect_fault(w.dma(1, ssid, kVa), Reason::bad_substream, sm::evt::C_BAD_SUBSTREAMID);
        uint64_t leaf = 0x400000;
        w.cd(leaf, 5, cd_sva(w.pgd, 9));
        uint64_t l1 = 0;
        set(&l1, sm::l1cd::V, 1);
        set(&l1, sm::l1cd::L2Ptr, leaf >> 12);
        w.mem.write64(kCdTable + 8 * 3, l1);
        // An invalid L1CD is never cached: the new one is seen without a CFGI.
        expect_pa(w.dma(1, ssid, kVa), 0xabc000);
        expect_fault(w.dma(1, ssid + 1, kVa), Reason::bad_context, sm::evt::C_BAD_CD);
    }
}

TEST(Smmuv3Model, L1CdCacheDroppedByNonLeafCfgiCd) {
    World w;
    w.ste(1, ste_s1(kCdTable, 20, sm::ste::S1FMT_64K_L2));
    w.map(kVa, 0xabc000);
    uint64_t root2 = w.mem.alloc_page();
    w.map(kVa, 0xdef000, kRead, root2);
    uint64_t leaf_a = 0x400000, leaf_b = 0x410000;
    w.cd(leaf_a, 1, cd_sva(w.pgd, 9));
    w.cd(leaf_b, 1, cd_sva(root2, 10));
    w.cd(leaf_b, 2, cd_sva(root2, 10));
    uint64_t l1 = 0;
    set(&l1, sm::l1cd::V, 1);
    set(&l1, sm::l1cd::L2Ptr, leaf_a >> 12);
    w.mem.write64(kCdTable + 8 * 2, l1);
    uint32_t ssid = 2048 + 1;
    expect_pa(w.dma(1, ssid, kVa), 0xabc000);
    set(&l1, sm::l1cd::L2Ptr, leaf_b >> 12);
    w.mem.write64(kCdTable + 8 * 2, l1);
    // The old L1CD is cached: ssid 2050 is still looked up in leaf_a.
    expect_fault(w.dma(1, ssid + 1, kVa), Reason::bad_context, sm::evt::C_BAD_CD);
    ASSERT_EQ(w.submit(command(sm::cmd::CFGI_CD,
                               {{sm::cmd::SID, 1}, {sm::cmd::SSID, 2048 + 7}, {sm::cmd::Leaf, 0}})),
              0);
    w.sync();
    // The L1CD went (any ssid in its span), the CD of ssid 2049 did not.
    expect_pa(w.dma(1, ssid, kVa), 0xabc000);
    expect_pa(w.dma(1, ssid + 1, kVa), 0xdef000);
    ASSERT_EQ(w.submit(command(sm::cmd::CFGI_CD_ALL, {{sm::cmd::SID, 1}})), 0);
    w.sync();
    expect_pa(w.dma(1, ssid, kVa), 0xdef000);
}

TEST(Smmuv3Model, CdCacheNeedsCfgiAndSync) {
    World w;
    w.sva_setup();
    w.map(kVa, 0xabc000);
    uint64_t root2 = w.mem.alloc_page();
    w.map(kVa, 0xdef000, kRead, root2);
    expect_pa(w.dma(1, 5, kVa), 0xabc000);
    w.cd(kCdTable, 5, cd_sva(root2, 8));
    expect_pa(w.dma(1, 5, kVa), 0xabc000); // no CFGI: the cached CD
    ASSERT_EQ(w.submit(command(sm::cmd::CFGI_CD,
                               {{sm::cmd::SID, 1}, {sm::cmd::SSID, 5}, {sm::cmd::Leaf, 1}})),
              0);
    EXPECT_EQ(w.model->unsynced(), 1u);
    expect_pa(w.dma(1, 5, kVa), 0xabc000); // CFGI without SYNC
    w.sync();
    EXPECT_EQ(w.model->unsynced(), 0u);
    expect_pa(w.dma(1, 5, kVa), 0xdef000);
    // A CFGI for another ssid or sid drops nothing.
    w.cd(kCdTable, 5, cd_sva(w.pgd, 7));
    w.submit(command(sm::cmd::CFGI_CD, {{sm::cmd::SID, 1}, {sm::cmd::SSID, 6}}));
    w.submit(command(sm::cmd::CFGI_CD, {{sm::cmd::SID, 2}, {sm::cmd::SSID, 5}}));
    w.sync();
    expect_pa(w.dma(1, 5, kVa), 0xdef000);
    // CFGI_STE drops the CDs reached through the STE.
    w.submit(command(sm::cmd::CFGI_STE, {{sm::cmd::SID, 1}, {sm::cmd::Leaf, 1}}));
    w.sync();
    expect_pa(w.dma(1, 5, kVa), 0xabc000);
}

TEST(Smmuv3Model, SteCacheAndInvalidEntriesNotCached) {
    World w;
    expect_fault(w.dma(1, std::nullopt, kVa), Reason::bad_config, sm::evt::C_BAD_STE);
    w.ste(1, ste_bypass());
    expect_pa(w.dma(1, std::nullopt, kVa), kVa); // the invalid STE was not cached
    w.ste(1, ste_abort());
    expect_pa(w.dma(1, std::nullopt, kVa), kVa); // the bypass STE is
    w.submit(command(sm::cmd::CFGI_STE_RANGE, {{sm::cmd::SID, 2}, {sm::cmd::Range, 0}}));
    w.sync(); // sids 2..3 only
    expect_pa(w.dma(1, std::nullopt, kVa), kVa);
    w.submit(command(sm::cmd::CFGI_STE_RANGE, {{sm::cmd::SID, 1}, {sm::cmd::Range, 0}}));
    w.sync(); // sids 0..1
    EXPECT_EQ(w.dma(1, std::nullopt, kVa).kind, Kind::abort);
    w.ste(1, ste_bypass());
    w.submit(command(sm::cmd::CFGI_ALL, {{sm::cmd::Range, sm::cmd::CFGI_ALL_RANGE}}));
    w.sync();
    expect_pa(w.dma(1, std::nullopt, kVa), kVa);
}

TEST(Smmuv3Model, TlbNeedsTlbi) {
    World w;
    w.sva_setup(7);
    w.map(kVa, 0xabc000);
    expect_pa(w.dma(1, 5, kVa), 0xabc000);
    w.map(kVa, 0x123000);
    expect_pa(w.dma(1, 5, kVa), 0xabc000); // stale
    w.submit(command(sm::cmd::TLBI_NH_ASID, {{sm::cmd::ASID, 8}}));
    w.sync();
    expect_pa(w.dma(1, 5, kVa), 0xabc000); // another ASID
    w.submit(command(sm::cmd::TLBI_NH_ASID, {{sm::cmd::ASID, 7}}));
    expect_pa(w.dma(1, 5, kVa), 0xabc000); // not synced
    w.sync();
    expect_pa(w.dma(1, 5, kVa), 0x123000);
    // TLBI_NH_VA: the page only.
    w.map(kVa, 0x456000);
    w.submit(command(sm::cmd::TLBI_NH_VA, {{sm::cmd::ASID, 7}, {sm::cmd::VA, (kVa >> 12) + 1}}));
    w.sync();
    expect_pa(w.dma(1, 5, kVa), 0x123000);
    w.submit(command(sm::cmd::TLBI_NH_VA, {{sm::cmd::ASID, 7}, {sm::cmd::VA, kVa >> 12}}));
    w.sync();
    expect_pa(w.dma(1, 5, kVa), 0x456000);
    // A range TLBI: TG=4K, NUM=1, SCALE=1: 4 pages from kVa - 2 pages.
    w.map(kVa, 0x789000);
    w.submit(command(sm::cmd::TLBI_NH_VA, {{sm::cmd::ASID, 7},
                                           {sm::cmd::VA, (kVa >> 12) - 2},
                                           {sm::cmd::TG, 1},
                                           {sm::cmd::NUM, 1},
                                           {sm::cmd::SCALE, 1}}));
    w.sync();
    expect_pa(w.dma(1, 5, kVa), 0x789000);
    // An unmapped page is still served from the TLB until invalidated.
    w.unmap(kVa);
    expect_pa(w.dma(1, 5, kVa), 0x789000);
    w.submit(command(sm::cmd::TLBI_NSNH_ALL));
    w.sync();
    EXPECT_EQ(w.dma(1, 5, kVa).kind, Kind::page_request);
}

TEST(Smmuv3Model, AtcNeedsAtcInv) {
    World w;
    w.dev.ats = true;
    w.sva_setup(7, /*eats=*/true);
    w.map(kVa, 0xabc000);
    expect_pa(w.dma(1, 5, kVa), 0xabc000);
    w.map(kVa, 0x123000);
    w.submit(command(sm::cmd::TLBI_NH_ASID, {{sm::cmd::ASID, 7}}));
    w.sync();
    expect_pa(w.dma(1, 5, kVa), 0xabc000); // the device's ATC
    w.submit(command(sm::cmd::ATC_INV, {{sm::cmd::SID, 1},
                                        {sm::cmd::SSV, 1},
                                        {sm::cmd::SSID, 6},
                                        {sm::cmd::Size, sm::cmd::ATC_INV_SIZE_ALL}}));
    w.sync();
    expect_pa(w.dma(1, 5, kVa), 0xabc000); // another ssid
    w.submit(command(sm::cmd::ATC_INV, {{sm::cmd::SID, 1},
                                        {sm::cmd::SSV, 1},
                                        {sm::cmd::SSID, 5},
                                        {sm::cmd::Addr, kVa >> 12},
                                        {sm::cmd::Size, 0}}));
    expect_pa(w.dma(1, 5, kVa), 0xabc000); // not synced
    w.sync();
    expect_pa(w.dma(1, 5, kVa), 0x123000);
    // SSV=0 drops every ssid's entries of the range.
    w.map(kVa, 0x456000);
    w.submit(command(sm::cmd::TLBI_NH_ALL));
    w.submit(command(
        sm::cmd::ATC_INV,
        {{sm::cmd::SID, 1}, {sm::cmd::Addr, (kVa >> 12) & ~uint64_t{15}}, {sm::cmd::Size, 4}}));
    w.sync();
    expect_pa(w.dma(1, 5, kVa), 0x456000);
    // Without EATS nothing is kept in the ATC.
    w.ste(2, ste_s1(kCdTable, 4));
    w.map(kVa, 0xabc000);
    w.submit(command(sm::cmd::TLBI_NH_ALL));
    w.sync();
    expect_pa(w.dma(2, 5, kVa), 0xabc000);
    w.map(kVa, 0x123000);
    w.submit(command(sm::cmd::TLBI_NH_ALL));
    w.sync();
    expect_pa(w.dma(2, 5, kVa), 0x123000);
    auto d = w.model->dump(w.mem, Topology{{Iommu{}}, {Device{}, Device{}, Device{}}, 1});
    bool atc_line = false;
    for (const auto &l : d.caches) atc_line |= l.rfind("ATC sid 1 ssid 5", 0) == 0;
    EXPECT_TRUE(atc_line);
}

TEST(Smmuv3Model, CommandQueue) {
    World w;
    Command bad = command(0x07);
    EXPECT_EQ(w.submit(bad), -EINVAL);
    EXPECT_EQ(w.model->submit(w.mem, command(sm::cmd::SYNC).data(), 4), -EINVAL);
    EXPECT_EQ(w.submit(command(sm::cmd::PRI_RESP, {{sm::cmd::PriResp, 3}})), -EINVAL);
    EXPECT_EQ(w.model->unsynced(), 0u);
    EXPECT_TRUE(w.model->command_log().empty());
    EXPECT_EQ(w.submit(command(sm::cmd::CFGI_CD,
                               {{sm::cmd::SID, 3}, {sm::cmd::SSID, 5}, {sm::cmd::Leaf, 1}})),
              0);
    EXPECT_EQ(w.submit(command(sm::cmd::CFGI_ALL, {{sm::cmd::Range, 31}})), 0);
    EXPECT_EQ(w.submit(command(sm::cmd::TLBI_NH_VA, {{sm::cmd::ASID, 7}, {sm::cmd::VA, 0x12}})), 0);
    EXPECT_EQ(w.submit(command(sm::cmd::PRI_RESP, {{sm::cmd::SID, 3},
                                                   {sm::cmd::SSV, 1},
                                                   {sm::cmd::SSID, 5},
                                                   {sm::cmd::PRGIndex, 9},
                                                   {sm::cmd::PriResp, 2}})),
              0);
    // A response leaves at submit: it waits for no sync.
    EXPECT_EQ(w.model->unsynced(), 3u);
    EXPECT_EQ(w.model->take_responses().size(), 1u);
    w.sync();
    EXPECT_EQ(w.model->unsynced(), 0u);
    const auto &log = w.model->command_log();
    ASSERT_EQ(log.size(), 5u);
    EXPECT_EQ(log[0], "CMD_CFGI_CD sid=3 ssid=5 leaf=1");
    EXPECT_EQ(log[1], "CMD_CFGI_ALL");
    EXPECT_EQ(log[2], "CMD_TLBI_NH_VA asid=7 vmid=0 va=0x12000 leaf=0 num=0 scale=0 ttl=0 tg=0");
    EXPECT_EQ(log[3], "CMD_PRI_RESP sid=3 ssv=1 ssid=5 prgindex=9 resp=2 (Success)");
    EXPECT_EQ(log[4].rfind("CMD_SYNC cs=0", 0), 0u);
}

TEST(Smmuv3Model, Registers) {
    World w;
    w.model->write_reg(0x1234, 0xfeed);
    EXPECT_EQ(w.model->read_reg(0x1234), 0xfeedu);
    EXPECT_EQ(w.model->read_reg(0x4000), 0u);
    EXPECT_EQ(w.model->read_reg(SVAC_SMMU_STRTAB_BASE), kStrtab);
    EXPECT_EQ(w.model->read_reg(SVAC_SMMU_CR0 + 4), SVAC_SMMU_CR0_SMMUEN); // CR0ACK
}

TEST(Smmuv3Model, SelfReferencingTablesTerminate) {
    World w;
    // A page table whose every level points back at the root.
    uint64_t loop = w.mem.alloc_page();
    for (unsigned l = 0; l < kLevels; ++l)
        w.mem.write64(loop + 8 * pt_index(kVa, l), make_table(SVAC_PGTABLE_AARCH64_4K, loop));
    w.ste(1, ste_s1(kCdTable, 4));
    w.cd(kCdTable, 5, cd_sva(loop, 7));
    auto r = w.dma(1, 5, kVa);
    EXPECT_NE(r.kind, Kind::fault) << r.why; // ends somewhere, bounded
    // A CD table that is the stream table, and an L1STD pointing at itself.
    w.ste(2, ste_s1(kStrtab, 4));
    w.dev.pri = false;
    w.dma(2, 2, kVa);
    World t;
    t.model->write_reg(SVAC_SMMU_STRTAB_BASE_CFG, 16 | 6 << 6 | 1 << 16);
    uint64_t l1 = 0;
    set(&l1, sm::l1std::Span, 7);
    set(&l1, sm::l1std::L2Ptr, kStrtab >> 6);
    t.mem.write64(kStrtab, l1);
    auto r2 = t.dma(0, std::nullopt, kVa);
    EXPECT_EQ(r2.kind, Kind::fault) << r2.why; // the L1STD read as an STE: V=1, Config reserved
}

TEST(Smmuv3Model, DumpDecodesReachableEntries) {
    World w;
    w.sva_setup();
    w.ste(0, ste_bypass());
    w.map(kVa, 0xabc000);
    expect_pa(w.dma(1, 5, kVa), 0xabc000);
    Topology topo{{Iommu{}, Iommu{}}, {Device{}, Device{}, Device{}}, 1};
    topo.devices[2].iommu = 1; // another IOMMU's device: not dumped here
    auto d = w.model->dump(w.mem, topo);
    std::vector<std::string> keys;
    for (const auto &e : d.entries) keys.push_back(e.table + " " + e.key);
    EXPECT_EQ(keys, (std::vector<std::string>{"STE sid 0", "STE sid 1", "CD sid 1 ssid 5"}));
    const DecodedEntry &cd = d.entries[2];
    EXPECT_EQ(cd.pa, kCdTable + 64 * 5);
    EXPECT_EQ(cd.fields.size(), sm::cd::kFormat.fields.size());
    bool asid = false;
    for (const auto &[n, v] : cd.fields) asid |= n == "ASID" && v == 7;
    EXPECT_TRUE(asid);
    std::vector<std::string> prefixes;
    for (const auto &l : d.caches) prefixes.push_back(l.substr(0, l.find(' ')));
    EXPECT_EQ(prefixes, (std::vector<std::string>{"STE", "CD", "TLB"}));
}

} // namespace
