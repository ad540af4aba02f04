#include "reference/pagetable.h"
#include "reference/vtd_format.h"
#include "reference/vtd_hw.h"

#include <gtest/gtest.h>

#include <cerrno>
#include <map>
#include <random>

using namespace svac::ref;
namespace v = svac::ref::vtd;
using Kind = DmaResult::Kind;
using Reason = DmaResult::Reason;

namespace {

// ---------------------------------------------------------------- codecs

uint64_t random_value(std::mt19937_64 &rng, const Field &f) {
    uint64_t x = rng();
    return f.width >= 64 ? x : x & ((uint64_t{1} << f.width) - 1);
}

TEST(VtdFormat, EveryLayoutIsAPartition) {
    for (const Format *f : v::kFormats) {
        SCOPED_TRACE(f->name);
        for (unsigned q = 0; q < f->qwords; ++q) {
            uint64_t used = 0;
            for (const Field &fld : f->fields) {
                if (fld.qword != q) continue;
                EXPECT_EQ(used & fld.mask(), 0u) << fld.name;
                used |= fld.mask();
            }
            EXPECT_EQ(f->reserved_mask(q), ~used);
            EXPECT_EQ(f->reserved_mask(q) | used, ~uint64_t{0});
        }
    }
}

TEST(VtdFormat, RandomFieldValuesRoundTrip) {
    std::mt19937_64 rng(1);
    for (const Format *f : v::kFormats) {
        SCOPED_TRACE(f->name);
        for (int iter = 0; iter < 200; ++iter) {
            uint64_t e[8] = {};
            std::vector<uint64_t> vals;
            for (const Field &fld : f->fields) {
                vals.push_back(random_value(rng, fld));
                set(e, fld, vals.back());
            }
            for (std::size_t i = 0; i < f->fields.size(); ++i)
                ASSERT_EQ(get(e, f->fields[i]), vals[i]) << f->fields[i].name;
            for (unsigned q = 0; q < f->qwords; ++q) EXPECT_EQ(e[q] & f->reserved_mask(q), 0u);
        }
    }
}

TEST(VtdFormat, DecodeEncodeIsIdentityWithoutReservedBits) {
    std::mt19937_64 rng(2);
    for (const Format *f : v::kFormats) {
        SCOPED_TRACE(f->name);
        for (int iter = 0; iter < 200; ++iter) {
            uint64_t e[8] = {};
            for (unsigned q = 0; q < f->qwords; ++q) e[q] = rng() & ~f->reserved_mask(q);
            uint64_t again[8] = {};
            for (const Field &fld : f->fields) set(again, fld, get(e, fld));
            for (unsigned q = 0; q < f->qwords; ++q) ASSERT_EQ(again[q], e[q]);
        }
    }
}

// Reserved masks the VT-d specification states outright (9.4, 6.5.2).
TEST(VtdFormat, KnownReservedMasks) {
    EXPECT_EQ(v::context::kFormat.reserved_mask(0), 0x1e0u);
    EXPECT_EQ(v::context::kFormat.reserved_mask(1), 0xffffffffffe00000u);
    EXPECT_EQ(v::context::kFormat.reserved_mask(2), ~uint64_t{0});
    EXPECT_EQ(v::pde::kFormat.reserved_mask(0), 0xffcu);
    // QEMU's P_IOTLB masks, plus Type[6:4] at [11:9] which is 0 for type 6.
    EXPECT_EQ(v::inv_piotlb::kFormat.reserved_mask(0), 0xfff000000000f1c0u | 0xe00u);
    EXPECT_EQ(v::inv_piotlb::kFormat.reserved_mask(1), 0xf80u);
    EXPECT_EQ(v::pasid_entry::FLPTR.mask(), 0xfffffffffffff000u);
    EXPECT_EQ(v::pasid_entry::PGTT.mask(), 0x1c0u);
    EXPECT_EQ(v::inv_wait::kFormat.reserved_mask(1), 0x3u);
}

// ---------------------------------------------------------------- model

class TestMemory : public MemoryView {
public:
    uint64_t read64(uint64_t pa) const override {
        auto it = words.find(pa);
        return it == words.end() ? 0 : it->second;
    }
    void write(uint64_t pa, const uint64_t *w, unsigned n) {
        for (unsigned i = 0; i < n; ++i) words[pa + 8 * i] = w[i];
    }
    std::map<uint64_t, uint64_t> words;
};

constexpr uint64_t kRoot = 0x10000;
constexpr uint64_t kCtxLower = 0x11000;
constexpr uint64_t kCtxUpper = 0x12000;
constexpr uint64_t kDir = 0x20000;
constexpr uint64_t kPasidTable = 0x21000; // PASIDs 0..63
constexpr uint64_t kFlRoot = 0x30000;
constexpr uint16_t kDid = 7;
constexpr uint32_t kPasid = 5;
constexpr uint64_t kVa = 0x400000;
constexpr uint64_t kPa = 0x800000;
constexpr uint64_t kVaRo = 0x401000;
constexpr uint64_t kPaRo = 0x901000;
constexpr uint64_t kVaUnmapped = 0x402000;

struct CtxOpts {
    bool p = true, pasid_e = true, pre = true, dte = false;
    uint64_t pdts = 0;
    uint32_t rid_pasid = 0;
};

class VtdHw : public ::testing::Test {
protected:
    void SetUp() override {
        model = make_vtd_model(Iommu{Arch::vtd, 20, true}, 0);
        // The first-stage table: PML4 -> PDPT -> PD -> PT at fixed pages.
        uint64_t pdpt = kFlRoot + 0x1000, pd = kFlRoot + 0x2000, pt = kFlRoot + 0x3000;
        put(kFlRoot + 8 * pt_index(kVa, 0), make_table(SVAC_PGTABLE_X86_64_4L, pdpt));
        put(pdpt + 8 * pt_index(kVa, 1), make_table(SVAC_PGTABLE_X86_64_4L, pd));
        put(pd + 8 * pt_index(kVa, 2), make_table(SVAC_PGTABLE_X86_64_4L, pt));
        map(kVa, kPa, kRead | kWrite);
        map(kVaRo, kPaRo, kRead);
    }

    void put(uint64_t pa, uint64_t val) { mem.words[pa] = val; }
    void map(uint64_t va, uint64_t pa, uint8_t perms) {
        put(kFlRoot + 0x3000 + 8 * pt_index(va, 3), make_leaf(SVAC_PGTABLE_X86_64_4L, pa, perms));
    }
    void unmap(uint64_t va) { put(kFlRoot + 0x3000 + 8 * pt_index(va, 3), 0); }

    void enable() {
        model->write_reg(SVAC_VTD_RTADDR, kRoot | v::rtaddr::kTtmScalable << 10);
        model->write_reg(SVAC_VTD_GCMD, SVAC_VTD_GCMD_TE);
    }
    void root(uint32_t bus, bool lower, bool upper) {
        uint64_t e[2] = {};
        set(e, v::root::LP, lower);
        set(e, v::root::LCTP, kCtxLower >> 12);
        set(e, v::root::UP, upper);
        set(e, v::root::UCTP, kCtxUpper >> 12);
        mem.write(kRoot + 16 * bus, e, 2);
    }
    void context(uint32_t devfn, CtxOpts o = {}) {
        uint64_t e[4] = {};
        set(e, v::context::P, o.p);
        set(e, v::context::PASIDE, o.pasid_e);
        set(e, v::context::PRE, o.pre);
        set(e, v::context::DTE, o.dte);
        set(e, v::context::PDTS, o.pdts);
        set(e, v::context::PASIDDIRPTR, kDir >> 12);
        set(e, v::context::RID_PASID, o.rid_pasid);
        mem.write((devfn < 0x80 ? kCtxLower : kCtxUpper) + 32 * (devfn & 0x7f), e, 4);
    }
    void pde(uint64_t index, uint64_t table, bool p = true, bool fpd = false) {
        uint64_t e = 0;
        set(&e, v::pde::P, p);
        set(&e, v::pde::FPD, fpd);
        set(&e, v::pde::PTPTR, table >> 12);
        put(kDir + 8 * index, e);
    }
    void pasid_entry(uint32_t pasid, uint64_t pgtt, bool p = true, bool fpd = false,
                     uint64_t flpm = 0) {
        uint64_t e[8] = {};
        set(e, v::pasid_entry::P, p);
        set(e, v::pasid_entry::FPD, fpd);
        set(e, v::pasid_entry::AW, 2);
        set(e, v::pasid_entry::PGTT, pgtt);
        set(e, v::pasid_entry::DID, kDid);
        set(e, v::pasid_entry::FLPM, flpm);
        set(e, v::pasid_entry::FLPTR, kFlRoot >> 12);
        mem.write(kPasidTable + 64 * (pasid & 63), e, 8);
    }
    // A complete set-up for rid 3: PASID kPasid first stage, PASID 0 pass-through.
    void standard(CtxOpts o = {}) {
        enable();
        root(0, true, true);
        context(3, o);
        pde(0, kPasidTable);
        pasid_entry(kPasid, v::pasid_entry::kPgttFirstStage);
        pasid_entry(0, v::pasid_entry::kPgttPassThrough);
    }

    DmaResult dma(uint32_t rid, bool has_pasid, uint32_t pasid, uint64_t va,
                  uint8_t access = kRead) {
        return model->dma(mem, dma_request(rid, has_pasid ? std::optional(pasid) : std::nullopt, va,
                                           access, &device));
    }
    DmaResult pdma(uint64_t va, uint8_t access = kRead) { return dma(3, true, kPasid, va, access); }

    int submit(std::array<uint64_t, 4> d) { return model->submit(mem, d.data(), 4); }
    int wait() {
        std::array<uint64_t, 4> d{};
        set(d.data(), v::inv_wait::Type, v::inv_wait::kType);
        set(d.data(), v::inv_wait::SW, 1);
        set(d.data(), v::inv_wait::STATUS_DATA, 1);
        set(d.data(), v::inv_wait::STATUS_ADDR, 0x5000 >> 2);
        return submit(d);
    }
    int pc_inv(uint64_t g, uint64_t did, uint64_t pasid) {
        std::array<uint64_t, 4> d{};
        set(d.data(), v::inv_pc::Type, v::inv_pc::kType);
        set(d.data(), v::inv_pc::G, g);
        set(d.data(), v::inv_pc::DID, did);
        set(d.data(), v::inv_pc::PASID, pasid);
        return submit(d);
    }
    int piotlb(uint64_t g, uint64_t did, uint64_t pasid, uint64_t addr = 0, uint64_t am = 0) {
        std::array<uint64_t, 4> d{};
        set(d.data(), v::inv_piotlb::Type, v::inv_piotlb::kType);
        set(d.data(), v::inv_piotlb::G, g);
        set(d.data(), v::inv_piotlb::DID, did);
        set(d.data(), v::inv_piotlb::PASID, pasid);
        set(d.data(), v::inv_piotlb::ADDR, addr >> 12);
        set(d.data(), v::inv_piotlb::AM, am);
        return submit(d);
    }
    int pdevtlb(uint64_t sid, uint64_t pasid, uint64_t addr, bool s) {
        std::array<uint64_t, 4> d{};
        set(d.data(), v::inv_pdevtlb::Type, v::inv_pdevtlb::kType);
        set(d.data(), v::inv_pdevtlb::SID, sid);
        set(d.data(), v::inv_pdevtlb::PASID, pasid);
        set(d.data(), v::inv_pdevtlb::ADDR, addr >> 12);
        set(d.data(), v::inv_pdevtlb::S, s);
        return submit(d);
    }
    int devtlb(uint64_t sid, uint64_t addr, bool s) {
        std::array<uint64_t, 4> d{};
        set(d.data(), v::inv_devtlb::Type, v::inv_devtlb::kType);
        set(d.data(), v::inv_devtlb::SID, sid);
        set(d.data(), v::inv_devtlb::ADDR, addr >> 12);
        set(d.data(), v::inv_devtlb::S, s);
        return submit(d);
    }
    int cc_inv(uint64_t g, uint64_t sid = 0, uint64_t fm = 0) {
        std::array<uint64_t, 4> d{};
        set(d.data(), v::inv_cc::Type, v::inv_cc::kType);
        set(d.data(), v::inv_cc::G, g);
        set(d.data(), v::inv_cc::SID, sid);
        set(d.data(), v::inv_cc::FM, fm);
        return submit(d);
    }
    int iotlb_inv(uint64_t g, uint64_t did) {
        std::array<uint64_t, 4> d{};
        set(d.data(), v::inv_iotlb::Type, v::inv_iotlb::kType);
        set(d.data(), v::inv_iotlb::G, g);
        set(d.data(), v::inv_iotlb::DID, did);
        return submit(d);
    }

    TestMemory mem;
    Device device{0, 20, true, false, false};
    std::unique_ptr<IommuModel> model;
};

void expect(const DmaResult &r, Kind k, Reason reason) {
    EXPECT_EQ(r.kind, k) << r.why;
    EXPECT_EQ(r.reason, reason) << r.why;
    EXPECT_EQ(r.event, 0u);
    EXPECT_FALSE(r.why.empty());
}

void expect_pa(const DmaResult &r, uint64_t pa) {
    EXPECT_EQ(r.kind, Kind::translated) << r.why;
    EXPECT_EQ(r.pa, pa) << r.why;
    EXPECT_EQ(r.reason, Reason::none);
}

TEST_F(VtdHw, TranslationDisabledIsIdentity) {
    standard();
    model->write_reg(SVAC_VTD_GCMD, 0);
    expect_pa(pdma(kVa + 0x10), kVa + 0x10);
    expect_pa(dma(3, false, 0, 0x1234), 0x1234);
    expect_pa(dma(99, true, 1, 0x5678), 0x5678); // nothing is read
}

TEST_F(VtdHw, RegistersReadBack) {
    model->write_reg(0x28, 0xabc);
    EXPECT_EQ(model->read_reg(0x28), 0xabcu);
    EXPECT_EQ(model->read_reg(0x30), 0u);
    enable();
    EXPECT_EQ(model->read_reg(SVAC_VTD_GCMD), SVAC_VTD_GCMD_TE);
}

TEST_F(VtdHw, NonScalableTtmFaults) {
    standard();
    model->write_reg(SVAC_VTD_RTADDR, kRoot); // TTM=00b: legacy mode
    expect(pdma(kVa), Kind::fault, Reason::bad_stream);
    expect(dma(3, false, 0, kVa), Kind::fault, Reason::bad_stream);
}

TEST_F(VtdHw, RootNotPresentIsBadStream) {
    standard();
    root(0, false, true);
    expect(pdma(kVa), Kind::fault, Reason::bad_stream);
    // Bus 1 has no root entry at all.
    expect(dma(0x103, true, kPasid, kVa), Kind::fault, Reason::bad_stream);
}

TEST_F(VtdHw, ContextNotPresentIsBadConfig) {
    standard(CtxOpts{.p = false});
    expect(pdma(kVa), Kind::fault, Reason::bad_config);
    expect(dma(3, false, 0, kVa), Kind::fault, Reason::bad_config);
}

TEST_F(VtdHw, PasidTrafficWithoutPasidEnableIsBadSubstream) {
    standard(CtxOpts{.pasid_e = false});
    expect(pdma(kVa), Kind::fault, Reason::bad_substream);
    expect_pa(dma(3, false, 0, kVa), kVa); // RID_PASID still works
}

TEST_F(VtdHw, DirectoryIndexBeyondPdtsIsBadSubstream) {
    standard(); // PDTS 0: 128 directory entries, PASIDs below 8192
    pde(128, kPasidTable);
    expect(dma(3, true, 128 << 6, kVa), Kind::fault, Reason::bad_substream);
    expect(dma(3, true, 0xfffff, kVa), Kind::fault, Reason::bad_substream);
    expect(dma(3, true, 0xffffffff, kVa), Kind::fault, Reason::bad_substream);
    // With PDTS 1 the same index is in range.
    context(3, CtxOpts{.pdts = 1});
    cc_inv(v::inv_cc::kGranGlobal);
    wait();
    pasid_entry((128 << 6) | 9, v::pasid_entry::kPgttFirstStage);
    expect_pa(dma(3, true, (128 << 6) | 9, kVa), kPa);
}

TEST_F(VtdHw, DirectoryEntryNotPresent) {
    standard();
    expect(dma(3, true, 64, kVa), Kind::fault, Reason::bad_substream);
    pde(1, 0x24000, false, true);
    expect(dma(3, true, 64, kVa), Kind::abort, Reason::bad_substream);
}

TEST_F(VtdHw, PasidEntryNotPresent) {
    standard();
    pasid_entry(kPasid, v::pasid_entry::kPgttFirstStage, false, false);
    expect(pdma(kVa), Kind::fault, Reason::bad_context);
    pasid_entry(kPasid, v::pasid_entry::kPgttFirstStage, false, true);
    expect(pdma(kVa), Kind::abort, Reason::bad_context);
}

TEST_F(VtdHw, UnsupportedPgttAndFlpmAreBadContext) {
    standard();
    pasid_entry(kPasid, v::pasid_entry::kPgttNested);
    expect(pdma(kVa), Kind::fault, Reason::bad_context);
    pasid_entry(9, 0);
    expect(dma(3, true, 9, kVa), Kind::fault, Reason::bad_context);
    pasid_entry(10, v::pasid_entry::kPgttFirstStage, true, false, 2); // FLPM 2: reserved
    auto r = dma(3, true, 10, kVa);
    expect(r, Kind::fault, Reason::bad_context);
    EXPECT_NE(r.why.find("FLPM=2 is reserved"), std::string::npos) << r.why;
}

// FLPM=1: 5-level first-stage paging (57-bit VA), walked from a PML5 table.
TEST_F(VtdHw, FivelevelFirstStageIsWalked) {
    standard();
    const uint64_t va = (uint64_t{0x1a5} << 48) | kVa; // bits 56:48 index the PML5
    const uint64_t pml5 = 0x40000;
    put(pml5 + 8 * ((va >> 48) & 511), make_table(SVAC_PGTABLE_X86_64_4L, kFlRoot));
    uint64_t e[8] = {};
    set(e, v::pasid_entry::P, 1);
    set(e, v::pasid_entry::AW, 2);
    set(e, v::pasid_entry::PGTT, v::pasid_entry::kPgttFirstStage);
    set(e, v::pasid_entry::DID, kDid);
    set(e, v::pasid_entry::FLPM, v::pasid_entry::kFlpm5Level);
    set(e, v::pasid_entry::FLPTR, pml5 >> 12);
    mem.write(kPasidTable + 64 * 12, e, 8);
    expect_pa(dma(3, true, 12, va + 0x40), kPa + 0x40);
    // A 4-level walk of the same VA faults: bits above 47 are not translated.
    expect(pdma(va), Kind::page_request, Reason::translation);
}

// Software writes GCMD; the hardware reports what is in force in GSTS, and
// the walk follows GSTS.TES. GSTS itself is read-only.
TEST_F(VtdHw, GstsReportsTranslationEnable) {
    EXPECT_EQ(model->read_reg(v::gsts::kOffset) & v::gsts::TES.mask(), 0u);
    standard();
    const uint64_t sts = model->read_reg(v::gsts::kOffset);
    EXPECT_EQ(get(&sts, v::gsts::TES), 1u);
    model->write_reg(v::gsts::kOffset, 0); // ignored
    expect_pa(pdma(kVa + 0x4), kPa + 0x4);
    model->write_reg(SVAC_VTD_GCMD, 0);
    EXPECT_EQ(model->read_reg(v::gsts::kOffset) & v::gsts::TES.mask(), 0u);
    expect_pa(pdma(kVa + 0x4), kVa + 0x4);
}

TEST_F(VtdHw, FirstStageWalkTranslates) {
    standard();
    expect_pa(pdma(kVa + 0x123), kPa + 0x123);
    expect_pa(pdma(kVa + 0x8, kWrite), kPa + 0x8);
    expect_pa(pdma(kVaRo + 0x10), kPaRo + 0x10);
}

TEST_F(VtdHw, NotPresentPageIsPageRequestOnlyWithPriAndPre) {
    standard();
    expect(pdma(kVaUnmapped), Kind::page_request, Reason::translation);
    expect(pdma(0x7f0000000000), Kind::page_request, Reason::translation);

    context(3, CtxOpts{.pre = false});
    cc_inv(v::inv_cc::kGranDevice, 3);
    wait();
    expect(pdma(kVaUnmapped), Kind::fault, Reason::translation);

    device.pri = false;
    context(3);
    cc_inv(v::inv_cc::kGranGlobal);
    wait();
    expect(pdma(kVaUnmapped), Kind::fault, Reason::translation);
}

TEST_F(VtdHw, TranslationFaultWithFpdIsQuiet) {
    standard(CtxOpts{.pre = false});
    pasid_entry(kPasid, v::pasid_entry::kPgttFirstStage, true, true);
    expect(pdma(kVaUnmapped), Kind::abort, Reason::translation);
    expect(pdma(kVaRo, kWrite), Kind::abort, Reason::permission);
}

TEST_F(VtdHw, WriteToReadOnlyIsPermission) {
    standard(CtxOpts{.pre = false});
    expect(pdma(kVaRo, kWrite), Kind::fault, Reason::permission);
    expect(pdma(kVaRo, kExec), Kind::fault, Reason::permission);
    context(3);
    cc_inv(v::inv_cc::kGranGlobal);
    wait();
    expect(pdma(kVaRo, kWrite), Kind::page_request, Reason::permission);
}

TEST_F(VtdHw, NoPasidTrafficUsesRidPasid) {
    standard();
    expect_pa(dma(3, false, 0, 0xdead000), 0xdead000);
    // RID_PASID 5 sends non-PASID traffic through the first-stage entry.
    context(3, CtxOpts{.rid_pasid = kPasid});
    cc_inv(v::inv_cc::kGranGlobal);
    wait();
    expect_pa(dma(3, false, 0, kVa + 4), kPa + 4);
}

TEST_F(VtdHw, UpperDevfnUsesUpperContextTable) {
    standard();
    // Lower entry 3 is present; upper entry 3 (devfn 0x83) is not.
    expect(dma(0x83, true, kPasid, kVa), Kind::fault, Reason::bad_config);
    context(0x83);
    expect_pa(dma(0x83, true, kPasid, kVa), kPa);
    root(0, true, false);
    expect(dma(0x84, true, kPasid, kVa), Kind::fault, Reason::bad_stream);
    expect_pa(dma(0x03, true, kPasid, kVa), kPa);
}

TEST_F(VtdHw, PasidCacheHoldsUntilInvalidatedAndSynced) {
    standard();
    expect_pa(pdma(kVaRo), kPaRo);
    pasid_entry(kPasid, v::pasid_entry::kPgttFirstStage, false); // P=0 in memory
    expect_pa(pdma(kVaRo), kPaRo);                               // cached entry still used

    ASSERT_EQ(pc_inv(v::inv_pc::kGranPasid, kDid, kPasid), 0);
    EXPECT_EQ(model->unsynced(), 1u);
    expect_pa(pdma(kVaRo), kPaRo); // not yet synced

    ASSERT_EQ(wait(), 0);
    EXPECT_EQ(model->unsynced(), 0u);
    expect(pdma(kVaRo), Kind::fault, Reason::bad_context);
}

TEST_F(VtdHw, PasidCacheInvalidationMatchesDidAndPasid) {
    standard();
    expect_pa(pdma(kVa), kPa);
    pasid_entry(kPasid, v::pasid_entry::kPgttFirstStage, false);
    pc_inv(v::inv_pc::kGranPasid, kDid + 1, kPasid); // other DID
    pc_inv(v::inv_pc::kGranPasid, kDid, kPasid + 1); // other PASID
    wait();
    expect_pa(pdma(kVa), kPa);
    pc_inv(v::inv_pc::kGranAllOfDid, kDid, 0);
    wait();
    expect(pdma(kVa), Kind::fault, Reason::bad_context);

    pasid_entry(kPasid, v::pasid_entry::kPgttFirstStage);
    pc_inv(v::inv_pc::kGranGlobal, 0, 0);
    wait();
    expect_pa(pdma(kVa), kPa);
}

TEST_F(VtdHw, IotlbStaleUntilPasidIotlbInvalidation) {
    standard();
    expect_pa(pdma(kVa), kPa);
    map(kVa, 0xa00000, kRead | kWrite);
    expect_pa(pdma(kVa), kPa); // IOTLB

    ASSERT_EQ(piotlb(v::inv_piotlb::kGranPage, kDid, kPasid, kVa + 0x1000, 0), 0);
    wait();
    expect_pa(pdma(kVa), kPa); // another page

    ASSERT_EQ(piotlb(v::inv_piotlb::kGranPage, kDid, kPasid, kVa, 0), 0);
    expect_pa(pdma(kVa), kPa); // not yet synced
    wait();
    expect_pa(pdma(kVa), 0xa00000);

    map(kVa, 0xb00000, kRead | kWrite);
    piotlb(v::inv_piotlb::kGranAllOfPasid, kDid, kPasid + 1);
    wait();
    expect_pa(pdma(kVa), 0xa00000);
    piotlb(v::inv_piotlb::kGranAllOfPasid, kDid, kPasid);
    wait();
    expect_pa(pdma(kVa), 0xb00000);

    // AM=2 covers four pages from an aligned base.
    unmap(kVa);
    piotlb(v::inv_piotlb::kGranPage, kDid, kPasid, kVa + 0x3000, 2);
    wait();
    expect(pdma(kVa), Kind::page_request, Reason::translation);
}

TEST_F(VtdHw, IotlbDomainAndGlobalInvalidation) {
    standard();
    expect_pa(pdma(kVa), kPa);
    map(kVa, 0xa00000, kRead);
    iotlb_inv(v::inv_iotlb::kGranDomain, kDid + 1);
    wait();
    expect_pa(pdma(kVa), kPa);
    iotlb_inv(v::inv_iotlb::kGranDomain, kDid);
    wait();
    expect_pa(pdma(kVa), 0xa00000);
    map(kVa, 0xb00000, kRead);
    iotlb_inv(v::inv_iotlb::kGranGlobal, 0);
    wait();
    expect_pa(pdma(kVa), 0xb00000);
}

TEST_F(VtdHw, CachedEntryWithoutTheAccessIsWalkedAgain) {
    standard();
    expect_pa(pdma(kVaRo), kPaRo);
    map(kVaRo, kPaRo, kRead | kWrite);
    expect_pa(pdma(kVaRo, kWrite), kPaRo);
}

TEST_F(VtdHw, DeviceTlbStaleUntilPasidDeviceTlbInvalidation) {
    device.ats = true;
    standard(CtxOpts{.dte = true});
    expect_pa(pdma(kVa), kPa);
    map(kVa, 0xa00000, kRead | kWrite);
    piotlb(v::inv_piotlb::kGranAllOfPasid, kDid, kPasid);
    wait();
    expect_pa(pdma(kVa), kPa); // the device's ATC still holds it

    ASSERT_EQ(pdevtlb(3, kPasid, kVa, false), 0);
    expect_pa(pdma(kVa), kPa);
    wait();
    expect_pa(pdma(kVa), 0xa00000);

    // S=1 with ADDR bit 12 set and bit 13 clear: 16 KiB from the aligned base.
    map(kVa, 0xb00000, kRead | kWrite);
    piotlb(v::inv_piotlb::kGranAllOfPasid, kDid, kPasid);
    pdevtlb(3, kPasid, kVa | 0x1000, true);
    wait();
    expect_pa(pdma(kVa), 0xb00000);
}

TEST_F(VtdHw, DeviceTlbOnlyWithAtsAndDte) {
    standard(); // DTE=0
    device.ats = true;
    expect_pa(pdma(kVa), kPa);
    map(kVa, 0xa00000, kRead | kWrite);
    piotlb(v::inv_piotlb::kGranAllOfPasid, kDid, kPasid);
    wait();
    expect_pa(pdma(kVa), 0xa00000);
    ModelDump d = model->dump(mem, Topology{{Iommu{Arch::vtd}}, {device, device, device, device}});
    for (const auto &line : d.caches) EXPECT_EQ(line.find("device-TLB"), std::string::npos);
}

TEST_F(VtdHw, NonPasidDeviceTlbUsesTheNonPasidDescriptor) {
    device.ats = true;
    standard(CtxOpts{.dte = true, .rid_pasid = kPasid});
    expect_pa(dma(3, false, 0, kVa), kPa);
    map(kVa, 0xa00000, kRead | kWrite);
    piotlb(v::inv_piotlb::kGranAllOfPasid, kDid, kPasid);
    pdevtlb(3, kPasid, kVa, false); // PASID-tagged: not the non-PASID entry
    wait();
    expect_pa(dma(3, false, 0, kVa), kPa);
    ASSERT_EQ(devtlb(3, kVa, false), 0);
    wait();
    expect_pa(dma(3, false, 0, kVa), 0xa00000);
}

TEST_F(VtdHw, ContextCacheInvalidation) {
    standard();
    expect_pa(pdma(kVa), kPa);
    context(3, CtxOpts{.p = false});
    expect_pa(pdma(kVa), kPa);
    cc_inv(v::inv_cc::kGranDevice, 4); // another device
    wait();
    expect_pa(pdma(kVa), kPa);
    cc_inv(v::inv_cc::kGranDevice, 7, 3); // function mask covers 3
    wait();
    expect(pdma(kVa), Kind::fault, Reason::bad_config);
}

TEST_F(VtdHw, IllFormedDescriptorsAreRejected) {
    standard();
    std::array<uint64_t, 4> d{};
    set(d.data(), v::inv_pc::Type, 0xb);
    EXPECT_EQ(submit(d), -EINVAL);
    d = {};
    set(d.data(), v::inv_pc::Type, 0x7);
    set(d.data(), v::kTypeHi, 1); // type 0x17
    EXPECT_EQ(submit(d), -EINVAL);
    d = {};
    EXPECT_EQ(submit(d), -EINVAL);                       // type 0
    EXPECT_EQ(model->submit(mem, d.data(), 2), -EINVAL); // not 256-bit
    EXPECT_EQ(pc_inv(2, kDid, kPasid), -EINVAL);         // reserved granularity
    EXPECT_EQ(piotlb(1, kDid, kPasid), -EINVAL);         // ECS-era granularity
    EXPECT_EQ(cc_inv(0), -EINVAL);
    EXPECT_EQ(iotlb_inv(0, kDid), -EINVAL);
    EXPECT_EQ(model->unsynced(), 0u);
    EXPECT_TRUE(model->command_log().empty());
}

TEST_F(VtdHw, CommandLogDecodes) {
    pc_inv(v::inv_pc::kGranPasid, 1, 5);
    piotlb(v::inv_piotlb::kGranAllOfPasid, 1, 5);
    std::array<uint64_t, 4> resp{};
    set(resp.data(), v::page_grp_resp::Type, v::page_grp_resp::kType);
    set(resp.data(), v::page_grp_resp::PP, 1);
    set(resp.data(), v::page_grp_resp::RID, 3);
    set(resp.data(), v::page_grp_resp::PASID, 5);
    set(resp.data(), v::page_grp_resp::PRG_INDEX, 9);
    set(resp.data(), v::page_grp_resp::RESP_CODE, v::page_grp_resp::kRespFailure);
    EXPECT_EQ(submit(resp), 0);
    EXPECT_EQ(model->unsynced(), 2u); // a response is sent at once, never pending
    wait();
    const auto &log = model->command_log();
    ASSERT_EQ(log.size(), 4u);
    EXPECT_EQ(log[0], "PASID-cache inv G=1 did=1 pasid=5");
    EXPECT_EQ(log[1], "P_IOTLB inv G=2 did=1 pasid=5");
    EXPECT_EQ(log[2], "page group response rid=3 pp=1 pasid=5 prg=9 code=0xf");
    EXPECT_NE(log[3].find("invalidation wait"), std::string::npos);
    EXPECT_EQ(model->unsynced(), 0u);
}

TEST_F(VtdHw, DumpDecodesTablesAndCaches) {
    standard();
    expect_pa(pdma(kVa), kPa);
    Topology topo;
    topo.iommus = {Iommu{Arch::vtd}, Iommu{Arch::vtd}};
    topo.devices.assign(5, Device{0});
    topo.devices[4].iommu = 1;
    context(4);
    ModelDump d = model->dump(mem, topo);

    auto find = [&](std::string_view table, std::string_view key) -> const DecodedEntry * {
        for (const auto &e : d.entries)
            if (e.table == table && e.key == key) return &e;
        return nullptr;
    };
    const DecodedEntry *r = find("root", "bus 0");
    ASSERT_NE(r, nullptr);
    EXPECT_EQ(r->pa, kRoot);
    EXPECT_EQ(r->fields.size(), std::size(v::root::kFields));
    const DecodedEntry *c = find("context", "rid 3");
    ASSERT_NE(c, nullptr);
    EXPECT_EQ(c->raw.size(), 4u);
    EXPECT_EQ(c->fields[0], (std::pair<std::string, uint64_t>{"P", 1}));
    EXPECT_EQ(find("context", "rid 4"), nullptr); // on the other IOMMU
    EXPECT_NE(find("PDE", "rid 3 dir 0"), nullptr);
    const DecodedEntry *pe = find("PASID", "rid 3 pasid 5");
    ASSERT_NE(pe, nullptr);
    EXPECT_EQ(pe->raw.size(), 8u);
    EXPECT_EQ(pe->fields.size(), std::size(v::pasid_entry::kFields));
    EXPECT_NE(find("PASID", "rid 3 pasid 0"), nullptr);
    EXPECT_EQ(find("PASID", "rid 3 pasid 6"), nullptr);

    bool ctx = false, pasid = false, tlb = false;
    for (const auto &line : d.caches) {
        ctx |= line.rfind("context rid 3", 0) == 0;
        pasid |= line.rfind("PASID rid 3 pasid 5", 0) == 0;
        tlb |= line.find("IOTLB did 7 pasid 5 va 0x400000 -> pa 0x800000 rw-") != std::string::npos;
    }
    EXPECT_TRUE(ctx && pasid && tlb);
}

TEST_F(VtdHw, SelfReferencingTablesTerminate) {
    enable();
    // Everything points at one page: root, context, directory and PASID table.
    uint64_t re[2] = {};
    set(re, v::root::LP, 1);
    set(re, v::root::LCTP, kRoot >> 12);
    mem.write(kRoot, re, 2);
    uint64_t ce[4] = {};
    set(ce, v::context::P, 1);
    set(ce, v::context::PASIDE, 1);
    set(ce, v::context::PDTS, 7);
    set(ce, v::context::PASIDDIRPTR, kRoot >> 12);
    mem.write(kRoot, ce, 4);
    DmaResult r = dma(0, true, 0, kVa);
    EXPECT_NE(r.kind, Kind::translated);
    ModelDump d = model->dump(mem, Topology{{Iommu{Arch::vtd}}, {Device{0}}});
    EXPECT_LE(d.entries.size(), 256u + 1 + (1u << 14) + VtdModel::kMaxDumpPasidEntries);
}

} // namespace
