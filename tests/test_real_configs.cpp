// The table configurations a real kernel writes for ordinary devices (not
// SVA), walked by the hardware models: entries built with the formats'
// setters exactly as Linux v6.1 writes them, probed with dma(), and decoded
// by dump().
//
// SMMUv3 (Arm IHI 0070 5.2, 5.4): drivers/iommu/arm/arm-smmu-v3/arm-smmu-v3.c
// arm_smmu_write_strtab_ent, arm_smmu_write_ctx_desc,
// arm_smmu_domain_finalise_s1/_s2; drivers/iommu/io-pgtable-arm.c
// arm_64_lpae_alloc_pgtable_s1/_s2, arm_lpae_prot_to_pte.
// VT-d (VT-d 3.6-3.8, 9.1-9.8): drivers/iommu/intel/iommu.c
// domain_context_mapping_one, __domain_mapping; drivers/iommu/intel/pasid.c
// intel_pasid_setup_second_level, intel_pasid_setup_pass_through.
#include "reference/hw_model.h"
#include "reference/invariants.h"
#include "reference/pagetable.h"
#include "reference/smmuv3_format.h"
#include "reference/smmuv3_hw.h"
#include "reference/vtd_format.h"
#include "reference/vtd_hw.h"

#include <gtest/gtest.h>

#include <array>
#include <map>
#include <optional>
#include <string>

using namespace svac::ref;

namespace {

namespace sm = smmuv3;
namespace vt = vtd;
using Kind = DmaResult::Kind;
using Reason = DmaResult::Reason;

class Mem : public MemoryView {
public:
    uint64_t read64(uint64_t pa) const override {
        auto it = words.find(pa);
        return it == words.end() ? 0 : it->second;
    }
    void put(uint64_t pa, uint64_t v) { words[pa] = v; }
    template <std::size_t N> void put(uint64_t pa, const std::array<uint64_t, N> &e) {
        for (std::size_t i = 0; i < N; ++i) words[pa + 8 * i] = e[i];
    }
    uint64_t page() { return next += 0x1000; }
    std::map<uint64_t, uint64_t> words;
    uint64_t next = 0x100000;
};

void expect_pa(const DmaResult &r, uint64_t pa) {
    EXPECT_EQ(r.kind, Kind::translated) << r.why;
    EXPECT_EQ(r.pa, pa) << r.why;
}

void expect_fault(const DmaResult &r, Reason reason, uint32_t event = 0) {
    EXPECT_EQ(r.kind, Kind::fault) << r.why;
    EXPECT_EQ(r.reason, reason) << r.why;
    EXPECT_EQ(r.event, event) << r.why;
}

const DecodedEntry *find(const ModelDump &d, const std::string &table, const std::string &key) {
    for (const DecodedEntry &e : d.entries)
        if (e.table == table && e.key == key) return &e;
    return nullptr;
}

// The first formula of format f that entry e breaks, read by an IOMMU with
// caps (check-tables passes a snapshot's CAP_REG.SAGAW).
std::optional<inv::Breach> breach(const Format &f, const uint64_t *e, const inv::Caps &caps) {
    for (const inv::Formula &fm : inv::formulas_of(f))
        if (auto b = inv::check(fm, e, caps)) return b;
    return std::nullopt;
}

// QEMU 7.2's intel-iommu (aw-bits=39, its default): CAP_REG.SAGAW lists 39 bits.
inv::Caps qemu_caps() {
    inv::Caps c;
    c.vtd_sagaw = uint64_t{1} << vtd::pasid_entry::kAw39;
    return c;
}

uint64_t field(const DecodedEntry &e, const std::string &name) {
    for (const auto &[n, v] : e.fields)
        if (n == name) return v;
    ADD_FAILURE() << "no field " << name << " in " << e.table;
    return 0;
}

// ============================================================== SMMUv3

// io-pgtable-arm.c (v6.1) descriptor bits.
constexpr uint64_t kLpaeTable = 3, kLpaePage = 3, kLpaeBlock = 1;
constexpr uint64_t kLpaeAf = 1ull << 10, kLpaeShIs = 3ull << 8, kLpaeNg = 1ull << 11;
constexpr uint64_t kLpaeApUnpriv = 1ull << 6, kLpaeApRdonly = 1ull << 7;
constexpr uint64_t kLpaeAttrCache = 1ull << 2;       // ATTRINDX 1 (IDX_CACHE)
constexpr uint64_t kLpaeS2MemattrOiwb = 0xfull << 2; // ARM_LPAE_PTE_MEMATTR_OIWB
constexpr uint64_t kLpaeHapRead = 1ull << 6, kLpaeHapWrite = 1ull << 7;
// ARM_LPAE_MAIR_ATTR_{NC, WBRWA, DEVICE, INC_OWBRWA} at indices 0..3.
constexpr uint64_t kLinuxMair = 0xf404ff44;

// A stage 1 leaf as arm_lpae_prot_to_pte + __arm_lpae_init_pte write it for
// a coherent DMA mapping (IOMMU_READ [| IOMMU_WRITE] | IOMMU_CACHE).
uint64_t s1_leaf(uint64_t pa, bool write, bool block) {
    uint64_t d = kLpaeNg | kLpaeApUnpriv | kLpaeAttrCache | kLpaeAf | kLpaeShIs | pa;
    if (!write) d |= kLpaeApRdonly;
    return d | (block ? kLpaeBlock : kLpaePage);
}
// A stage 2 leaf (IOMMU_CACHE: MEMATTR_OIWB; HAP_READ/HAP_WRITE).
uint64_t s2_leaf(uint64_t pa, bool write, bool block, bool af = true) {
    uint64_t d = kLpaeHapRead | kLpaeS2MemattrOiwb | kLpaeShIs | pa;
    if (af) d |= kLpaeAf;
    if (write) d |= kLpaeHapWrite;
    return d | (block ? kLpaeBlock : kLpaePage);
}

struct SmmuWorld {
    Mem mem;
    std::unique_ptr<IommuModel> model = make_smmuv3_model(Iommu{}, 0);
    Device dev{0, 0, false, false, false}; // a plain PCI device: no PASID, PRI or ATS
    uint64_t strtab = 0x10000;

    SmmuWorld() {
        model->write_reg(SVAC_SMMU_STRTAB_BASE, strtab);
        model->write_reg(SVAC_SMMU_STRTAB_BASE_CFG, 8); // linear, 256 STEs
        model->write_reg(SVAC_SMMU_CR0, SVAC_SMMU_CR0_SMMUEN);
    }
    // A table walk from root over levels, each index (va >> shift) & mask,
    // building tables; stores desc at the slot of the last level given.
    // first_bits: the root's index width (concatenated stage 2 roots).
    void map(uint64_t root, uint64_t va, unsigned levels, unsigned leaf_level, uint64_t desc,
             unsigned first_bits = 9) {
        uint64_t table = root;
        for (unsigned l = 0; l <= leaf_level; ++l) {
            const unsigned shift = 12 + 9 * (levels - 1 - l);
            const uint64_t mask = (uint64_t{1} << (l == 0 ? first_bits : 9)) - 1;
            const uint64_t slot = table + 8 * ((va >> shift) & mask);
            if (l == leaf_level) {
                mem.put(slot, desc);
                return;
            }
            uint64_t d = mem.read64(slot);
            if (!d) {
                d = mem.page() | kLpaeTable;
                mem.put(slot, d);
            }
            table = d & 0xfffffffff000ull;
        }
    }
    DmaResult dma(uint32_t sid, std::optional<uint32_t> ssid, uint64_t va, uint8_t access = kRead) {
        return model->dma(mem, dma_request(sid, ssid, va, access, &dev));
    }
    Topology topo(uint32_t devices) const {
        Topology t;
        t.iommus = {Iommu{}};
        t.devices.assign(devices, dev);
        return t;
    }
};

// arm_smmu_write_strtab_ent, S1 domain: V, Config=S1, S1Fmt, S1ContextPtr,
// S1CDMax; q1 S1DSS=SSID0, S1CIR=S1COR=WBRA, S1CSH=ISH, STRW=NSEL1 (no E2H);
// no S1STALLD on an SMMU without stalls.
std::array<uint64_t, 8> linux_s1_ste(uint64_t cdtab, uint64_t s1cdmax, uint64_t s1fmt) {
    std::array<uint64_t, 8> e{};
    set(e.data(), sm::ste::V, 1);
    set(e.data(), sm::ste::Config, sm::ste::CONFIG_S1_TRANS);
    set(e.data(), sm::ste::S1Fmt, s1fmt);
    set(e.data(), sm::ste::S1ContextPtr, cdtab >> 6);
    set(e.data(), sm::ste::S1CDMax, s1cdmax);
    set(e.data(), sm::ste::S1DSS, sm::ste::S1DSS_SSID0);
    set(e.data(), sm::ste::S1CIR, 1);
    set(e.data(), sm::ste::S1COR, 1);
    set(e.data(), sm::ste::S1CSH, 3);
    set(e.data(), sm::ste::STRW, 0);
    return e;
}

// arm_smmu_domain_finalise_s1 + arm_smmu_write_ctx_desc (case 1, SSID 0):
// the io-pgtable TCR (T0SZ = 64 - ias, TG0 4K, IRGN0/ORGN0 WBWA, SH0 IS,
// IPS of the OAS), EPD1, AA64, R, A, ASET (no mm), ASID, V; TTB0; MAIR.
std::array<uint64_t, 8> linux_dma_cd(uint64_t ttbr, uint64_t asid, unsigned ias = 48,
                                     uint64_t ips = 5) {
    std::array<uint64_t, 8> e{};
    set(e.data(), sm::cd::T0SZ, 64 - ias);
    set(e.data(), sm::cd::TG0, sm::cd::TG0_4K);
    set(e.data(), sm::cd::IR0, 1);
    set(e.data(), sm::cd::OR0, 1);
    set(e.data(), sm::cd::SH0, 3);
    set(e.data(), sm::cd::IPS, ips);
    set(e.data(), sm::cd::EPD1, 1);
    set(e.data(), sm::cd::AA64, 1);
    set(e.data(), sm::cd::R, 1);
    set(e.data(), sm::cd::A, 1);
    set(e.data(), sm::cd::ASET, 1);
    set(e.data(), sm::cd::ASID, asid);
    set(e.data(), sm::cd::V, 1);
    e[1] = ttbr & 0x000ffffffffffff0ull; // CTXDESC_CD_1_TTB0_MASK
    set(e.data(), sm::cd::MAIR0, kLinuxMair & 0xffffffff);
    set(e.data(), sm::cd::MAIR1, kLinuxMair >> 32);
    return e;
}

// arm_smmu_domain_finalise_s2 + arm_smmu_write_strtab_ent, S2 domain: q2
// S2VMID, VTCR (S2T0SZ = 64 - ias, S2SL0 = ~(start_level + 1) & 3, S2IR0 =
// S2OR0 = WBWA, S2SH0 = IS, S2TG = 4K, S2PS of the OAS), S2PTW, S2AA64,
// S2R; q3 S2TTB; q1 keeps SHCFG=incoming from the bypass STE before it.
std::array<uint64_t, 8> linux_s2_ste(uint64_t vttbr, uint64_t vmid, unsigned ias,
                                     unsigned start_level, uint64_t ps = 5) {
    std::array<uint64_t, 8> e{};
    set(e.data(), sm::ste::V, 1);
    set(e.data(), sm::ste::Config, sm::ste::CONFIG_S2_TRANS);
    set(e.data(), sm::ste::SHCFG, 1);
    set(e.data(), sm::ste::S2VMID, vmid);
    set(e.data(), sm::ste::S2T0SZ, 64 - ias);
    set(e.data(), sm::ste::S2SL0, ~uint64_t{start_level + 1} & 3);
    set(e.data(), sm::ste::S2IR0, 1);
    set(e.data(), sm::ste::S2OR0, 1);
    set(e.data(), sm::ste::S2SH0, 3);
    set(e.data(), sm::ste::S2TG, sm::s2::TG_4K);
    set(e.data(), sm::ste::S2PS, ps);
    set(e.data(), sm::ste::S2PTW, 1);
    set(e.data(), sm::ste::S2AA64, 1);
    set(e.data(), sm::ste::S2R, 1);
    e[3] = vttbr & 0x000ffffffffffff0ull; // STRTAB_STE_3_S2TTB_MASK
    return e;
}

constexpr uint64_t kIova = 0xfff00000; // where iommu-dma allocates, below 4 GiB
constexpr uint64_t kIovaRo = 0xfff01000;
constexpr uint64_t kIovaBlock = 0x40200000; // a 2 MiB block
constexpr uint64_t kPa = 0x4321000, kPaRo = 0x5555000, kPaBlock = 0x80000000;

// Linux's DMA domain on an SMMU whose master has no SSIDs: S1CDMax=0, one
// linear CD, S1DSS=SSID0; non-PASID traffic through CD[0].
TEST(RealConfigsSmmuv3, DmaDomainS1SingleCd) {
    SmmuWorld w;
    const uint64_t cdtab = w.mem.page(), pgd = w.mem.page();
    w.mem.put(w.strtab + 64 * 1, linux_s1_ste(cdtab, 0, sm::ste::S1FMT_LINEAR));
    w.mem.put(cdtab, linux_dma_cd(pgd, 1));
    w.map(pgd, kIova, 4, 3, s1_leaf(kPa, true, false));
    w.map(pgd, kIovaRo, 4, 3, s1_leaf(kPaRo, false, false));
    w.map(pgd, kIovaBlock, 4, 2, s1_leaf(kPaBlock, true, true));

    expect_pa(w.dma(1, std::nullopt, kIova + 0x18), kPa + 0x18);
    expect_pa(w.dma(1, std::nullopt, kIova, kWrite), kPa);
    expect_pa(w.dma(1, std::nullopt, kIovaRo + 8), kPaRo + 8);
    expect_pa(w.dma(1, std::nullopt, kIovaBlock + 0x12345, kWrite), kPaBlock + 0x12345);
    // Write to a read-only mapping, an unmapped IOVA, beyond 48 bits.
    expect_fault(w.dma(1, std::nullopt, kIovaRo, kWrite), Reason::permission,
                 sm::evt::F_PERMISSION);
    expect_fault(w.dma(1, std::nullopt, kIova + 0x10000), Reason::translation,
                 sm::evt::F_TRANSLATION);
    expect_fault(w.dma(1, std::nullopt, uint64_t{1} << 48), Reason::translation,
                 sm::evt::F_TRANSLATION);
    // S1CDMax=0: a SubstreamID has no CD to reach.
    expect_fault(w.dma(1, 0, kIova), Reason::bad_substream, sm::evt::C_BAD_SUBSTREAMID);

    const ModelDump d = w.model->dump(w.mem, w.topo(2));
    const DecodedEntry *ste = find(d, "STE", "sid 1");
    ASSERT_TRUE(ste);
    EXPECT_EQ(field(*ste, "Config"), sm::ste::CONFIG_S1_TRANS);
    EXPECT_EQ(field(*ste, "S1DSS"), sm::ste::S1DSS_SSID0);
    const DecodedEntry *cd = find(d, "CD", "sid 1 ssid 0");
    ASSERT_TRUE(cd);
    EXPECT_EQ(field(*cd, "T0SZ"), 16u);
    EXPECT_EQ(field(*cd, "TTB0"), pgd >> 4);
    EXPECT_EQ(field(*cd, "ASET"), 1u);
    EXPECT_FALSE(inv::check_entry(sm::ste::kFormat, ste->raw.data()));
    EXPECT_FALSE(inv::check_entry(sm::cd::kFormat, cd->raw.data()));
}

// A master with 20 SSID bits on an SMMU with 2-level CD tables: S1CDMax=20,
// S1Fmt=64K_L2; non-PASID traffic uses CD[0]; SSID 0 itself is refused
// with S1DSS=SSID0. A QEMU 7.2-like OAS of 44 bits (IPS 4); a 39-bit VA
// kernel (T0SZ 25, 3 levels) with a 1 GiB block at the root.
TEST(RealConfigsSmmuv3, DmaDomainS1TwoLevelCdTable) {
    SmmuWorld w;
    const uint64_t l1 = w.mem.page(), leaf = 0x200000, pgd = w.mem.page();
    w.mem.put(w.strtab + 64 * 2, linux_s1_ste(l1, 20, sm::ste::S1FMT_64K_L2));
    uint64_t l1d = 0;
    set(&l1d, sm::l1cd::V, 1);
    set(&l1d, sm::l1cd::L2Ptr, leaf >> 12);
    w.mem.put(l1, l1d);
    w.mem.put(leaf, linux_dma_cd(pgd, 2, 39, 4));
    w.map(pgd, kIova, 3, 1, s1_leaf(kPa & ~0x1fffffull, true, true)); // 2 MiB
    w.map(pgd, 0x40000000, 3, 0, s1_leaf(0xc0000000, false, true));   // 1 GiB at level 1

    expect_pa(w.dma(2, std::nullopt, kIova + 0x18),
              (kPa & ~0x1fffffull) + (kIova & 0x1fffff) + 0x18);
    expect_pa(w.dma(2, std::nullopt, 0x40000000 + 0x1234567), 0xc0000000 + 0x1234567);
    expect_fault(w.dma(2, std::nullopt, 0x40000000, kWrite), Reason::permission,
                 sm::evt::F_PERMISSION);
    expect_fault(w.dma(2, std::nullopt, uint64_t{1} << 39), Reason::translation,
                 sm::evt::F_TRANSLATION);
    expect_fault(w.dma(2, 0, kIova), Reason::bad_substream, sm::evt::C_BAD_SUBSTREAMID);
    // An SSID whose L1CD is not valid.
    expect_fault(w.dma(2, 5000, kIova), Reason::bad_substream, sm::evt::C_BAD_SUBSTREAMID);

    const ModelDump d = w.model->dump(w.mem, w.topo(3));
    ASSERT_TRUE(find(d, "L1CD", "sid 2 l1 0"));
    const DecodedEntry *cd = find(d, "CD", "sid 2 ssid 0");
    ASSERT_TRUE(cd);
    EXPECT_EQ(field(*cd, "IPS"), 4u);
    EXPECT_EQ(field(*cd, "T0SZ"), 25u);
}

// Linux's S2 domain (ARM_SMMU_DOMAIN_S2): a 48-bit IPA starts at level 0
// (512 entries: no concatenation), S2SL0 = 2.
TEST(RealConfigsSmmuv3, S2DomainWalks) {
    SmmuWorld w;
    const uint64_t vttbr = w.mem.page();
    const auto ste = linux_s2_ste(vttbr, 1, 48, 0);
    EXPECT_EQ(get(ste.data(), sm::ste::S2SL0), 2u);
    w.mem.put(w.strtab + 64 * 3, ste);
    w.map(vttbr, kIova, 4, 3, s2_leaf(kPa, true, false));
    w.map(vttbr, kIovaRo, 4, 3, s2_leaf(kPaRo, false, false));
    w.map(vttbr, kIovaBlock, 4, 2, s2_leaf(kPaBlock, true, true));
    w.map(vttbr, 0x7000, 4, 3, s2_leaf(0x9000, true, false, false)); // AF=0

    expect_pa(w.dma(3, std::nullopt, kIova + 0x40, kWrite), kPa + 0x40);
    expect_pa(w.dma(3, std::nullopt, kIovaRo + 0x40), kPaRo + 0x40);
    expect_pa(w.dma(3, std::nullopt, kIovaBlock + 0x1fffff), kPaBlock + 0x1fffff);
    expect_fault(w.dma(3, std::nullopt, kIovaRo, kWrite), Reason::permission,
                 sm::evt::F_PERMISSION);
    expect_fault(w.dma(3, std::nullopt, kIova + 0x3000), Reason::translation,
                 sm::evt::F_TRANSLATION);
    expect_fault(w.dma(3, std::nullopt, uint64_t{1} << 48), Reason::translation,
                 sm::evt::F_TRANSLATION);
    expect_fault(w.dma(3, std::nullopt, 0x7000), Reason::translation, sm::evt::F_ACCESS);
    // Stage 1 is disabled: a SubstreamID is C_BAD_SUBSTREAMID.
    expect_fault(w.dma(3, 0, kIova), Reason::bad_substream, sm::evt::C_BAD_SUBSTREAMID);

    // Execute: io-pgtable sets XN only for IOMMU_NOEXEC.
    expect_pa(w.dma(3, std::nullopt, kIova, kExec), kPa);
    // With XN[1] (IOMMU_NOEXEC) it faults; stage 2 translations are not
    // cached, so the new descriptor is seen at once.
    w.map(vttbr, kIova, 4, 3, s2_leaf(kPa, true, false) | (1ull << 54));
    expect_fault(w.dma(3, std::nullopt, kIova, kExec), Reason::permission, sm::evt::F_PERMISSION);

    const ModelDump d = w.model->dump(w.mem, w.topo(4));
    const DecodedEntry *e = find(d, "STE", "sid 3");
    ASSERT_TRUE(e);
    EXPECT_EQ(field(*e, "S2T0SZ"), 16u);
    EXPECT_EQ(field(*e, "S2SL0"), 2u);
    EXPECT_EQ(field(*e, "S2PS"), 5u);
    EXPECT_EQ(field(*e, "S2TTB"), vttbr >> 4);
    EXPECT_EQ(field(*e, "S2VMID"), 1u);
    EXPECT_FALSE(inv::check_entry(sm::ste::kFormat, e->raw.data()));
    bool cached = false;
    for (const std::string &line : d.caches)
        cached |=
            line.find("STE sid 3") != std::string::npos && line.find("S2TTB=") != std::string::npos;
    EXPECT_TRUE(cached);
}

// A 40-bit IPA: io-pgtable concatenates the two level-0 entries' tables into
// a 2-page root at level 1 (S2SL0 = 1), indexed by IPA[39:30].
TEST(RealConfigsSmmuv3, S2ConcatenatedRoot) {
    SmmuWorld w;
    const uint64_t vttbr = 0x400000; // 8 KiB, aligned to its size
    w.mem.put(w.strtab + 64 * 4, linux_s2_ste(vttbr, 2, 40, 1, 2));
    const uint64_t hi = (uint64_t{1} << 39) + kIova; // the second table of the root
    w.map(vttbr, hi, 3, 1, s2_leaf(0x20000000, true, true), 10);
    w.map(vttbr, kIova, 3, 1, s2_leaf(0x30000000, true, true), 10);
    expect_pa(w.dma(4, std::nullopt, hi + 0x10), 0x20000000 + (kIova & 0x1fffff) + 0x10);
    expect_pa(w.dma(4, std::nullopt, kIova + 0x10), 0x30000000 + (kIova & 0x1fffff) + 0x10);
    expect_fault(w.dma(4, std::nullopt, uint64_t{1} << 40), Reason::translation,
                 sm::evt::F_TRANSLATION);
    // An output address beyond S2PS (40 bits): F_ADDR_SIZE.
    w.map(vttbr, 0x600000, 3, 1, s2_leaf(uint64_t{1} << 41, true, true), 10);
    expect_fault(w.dma(4, std::nullopt, 0x600000), Reason::translation, sm::evt::F_ADDR_SIZE);
}

// What the model refuses, with the reason named: granules the SMMU does not
// implement, an inconsistent start level, nested.
TEST(RealConfigsSmmuv3, S2IllegalAndNested) {
    SmmuWorld w;
    const uint64_t vttbr = w.mem.page();
    auto ste = linux_s2_ste(vttbr, 1, 48, 0);
    set(ste.data(), sm::ste::S2TG, sm::s2::TG_64K);
    w.mem.put(w.strtab + 64 * 5, ste);
    DmaResult r = w.dma(5, std::nullopt, kIova);
    expect_fault(r, Reason::bad_config, sm::evt::C_BAD_STE);
    EXPECT_NE(r.why.find("64 KiB granule"), std::string::npos) << r.why;

    ste = linux_s2_ste(vttbr, 1, 48, 2); // 48 bits cannot start at level 2
    w.mem.put(w.strtab + 64 * 6, ste);
    r = w.dma(6, std::nullopt, kIova);
    expect_fault(r, Reason::bad_config, sm::evt::C_BAD_STE);
    EXPECT_NE(r.why.find("inconsistent"), std::string::npos) << r.why;

    ste = linux_s2_ste(vttbr, 1, 48, 0);
    set(ste.data(), sm::ste::Config, sm::ste::CONFIG_NESTED);
    w.mem.put(w.strtab + 64 * 7, ste);
    r = w.dma(7, std::nullopt, kIova);
    EXPECT_EQ(r.kind, Kind::fault);
    EXPECT_EQ(r.reason, Reason::bad_config);
    EXPECT_EQ(r.event, 0u); // no event record: not a fault of the STE
    EXPECT_NE(r.why.find("not modelled"), std::string::npos) << r.why;

    // An SMMU without stage 2 (QEMU 7.2's: SMMU_IDR0.S2P=0).
    Smmuv3Ids ids = smmuv3_ids(Iommu{}, 256, false);
    uint64_t idr0 = ids.idr[0];
    set(&idr0, sm::reg::idr0::S2P, 0);
    ids.idr[0] = static_cast<uint32_t>(idr0);
    w.model = make_smmuv3_model(Iommu{}, 0, ids);
    w.model->write_reg(SVAC_SMMU_STRTAB_BASE, w.strtab);
    w.model->write_reg(SVAC_SMMU_STRTAB_BASE_CFG, 8);
    w.model->write_reg(SVAC_SMMU_CR0, SVAC_SMMU_CR0_SMMUEN);
    w.mem.put(w.strtab + 64 * 5, linux_s2_ste(vttbr, 1, 48, 0));
    r = w.dma(5, std::nullopt, kIova);
    expect_fault(r, Reason::bad_config, sm::evt::C_BAD_STE);
    EXPECT_NE(r.why.find("S2P=0"), std::string::npos) << r.why;
}

// ============================================================== VT-d

constexpr uint64_t kDmaPteRead = 1, kDmaPteWrite = 2, kDmaPteLarge = 1ull << 7;

struct VtdWorld {
    Mem mem;
    VtdIds ids;
    std::unique_ptr<IommuModel> model;
    Device dev{0, 0, false, false, false};
    uint64_t root = 0x10000, ctx = 0x11000;

    // QEMU 7.2's intel-iommu by default: SAGAW 39-bit only, 2 MiB and 1 GiB
    // second-stage pages, pass-through, no first stage.
    explicit VtdWorld(bool qemu = true) {
        ids = vtd_ids(Iommu{Arch::vtd, 20, false}, false, false);
        if (qemu) {
            set(&ids.cap, vt::cap::SAGAW, uint64_t{1} << vt::pasid_entry::kAw39);
            set(&ids.cap, vt::cap::SLLPS, vt::ss_pte::kSllps2M | vt::ss_pte::kSllps1G);
        }
        model = make_vtd_model(Iommu{Arch::vtd, 20, false}, 0, ids);
    }
    void enable(uint64_t ttm) {
        model->write_reg(SVAC_VTD_RTADDR, root | ttm << vt::rtaddr::TTM.lo);
        model->write_reg(SVAC_VTD_GCMD, SVAC_VTD_GCMD_TE);
    }
    // __domain_mapping / pfn_to_dma_pte: non-leaf entries phys | READ | WRITE.
    void map(uint64_t pgd, uint64_t va, unsigned levels, unsigned leaf_level, uint64_t pte) {
        uint64_t table = pgd;
        for (unsigned l = 0; l <= leaf_level; ++l) {
            const uint64_t slot = table + 8 * ((va >> (12 + 9 * (levels - 1 - l))) & 511);
            if (l == leaf_level) {
                mem.put(slot, pte);
                return;
            }
            uint64_t d = mem.read64(slot);
            if (!d) {
                d = mem.page() | kDmaPteRead | kDmaPteWrite;
                mem.put(slot, d);
            }
            table = d & 0x000ffffffffff000ull;
        }
    }
    DmaResult dma(uint32_t rid, std::optional<uint32_t> pasid, uint64_t va,
                  uint8_t access = kRead) {
        return model->dma(mem, dma_request(rid, pasid, va, access, &dev));
    }
    Topology topo(uint32_t devices) const {
        Topology t;
        t.iommus = {Iommu{Arch::vtd, 20, false}};
        t.devices.assign(devices, dev);
        return t;
    }
    int submit(std::array<uint64_t, 4> d) { return model->submit(mem, d.data(), 4); }
    void wait() {
        std::array<uint64_t, 4> d{};
        set(d.data(), vt::inv_wait::Type, vt::inv_wait::kType);
        ASSERT_EQ(submit(d), 0);
    }
};

constexpr uint32_t kRid = 8, kRidPt = 16;

// Scalable mode on QEMU 7.2 (no first stage): Linux's DMA domain is a
// second-stage only PASID entry at RID_PASID (0), AW=1 (39 bits, 3 levels).
struct ScalableSetup {
    uint64_t dir = 0, table = 0, pgd = 0;
};

ScalableSetup linux_scalable(VtdWorld &w, uint16_t did, uint64_t aw) {
    ScalableSetup s;
    s.dir = w.mem.page();
    s.table = w.mem.page();
    s.pgd = w.mem.page();
    w.enable(vt::rtaddr::kTtmScalable);
    std::array<uint64_t, 2> re{};
    set(re.data(), vt::root::LP, 1);
    set(re.data(), vt::root::LCTP, w.ctx >> 12);
    w.mem.put(w.root, re);
    // domain_context_mapping_one, sm_supported: PASIDDIRPTR | PDTS (a
    // one-page directory: pds 2), RID_PASID = PASID_RID2PASID (0), FPD
    // cleared, P. A device without PASID/ATS/PRI: no PASIDE, DTE, PRE.
    std::array<uint64_t, 4> ce{};
    set(ce.data(), vt::context::PASIDDIRPTR, s.dir >> 12);
    set(ce.data(), vt::context::PDTS, 2);
    set(ce.data(), vt::context::RID_PASID, 0);
    set(ce.data(), vt::context::P, 1);
    w.mem.put(w.ctx + 32 * kRid, ce);
    // intel_pasid_get_entry: the directory entry, phys | PRESENT.
    uint64_t pde = 0;
    set(&pde, vt::pde::P, 1);
    set(&pde, vt::pde::PTPTR, s.table >> 12);
    w.mem.put(s.dir, pde);
    // intel_pasid_setup_second_level: DID, SLPTPTR, AW = agaw, PGTT=2, FPD
    // cleared, PWSNP = ECAP.SMPWC, no SRE for RID2PASID, P.
    std::array<uint64_t, 8> pe{};
    set(pe.data(), vt::pasid_entry::DID, did);
    set(pe.data(), vt::pasid_entry::SSPTPTR, s.pgd >> 12);
    set(pe.data(), vt::pasid_entry::AW, aw);
    set(pe.data(), vt::pasid_entry::PGTT, vt::pasid_entry::kPgttSecondStage);
    set(pe.data(), vt::pasid_entry::PWSNP, get(&w.ids.ecap, vt::ecap::SMPWCS));
    set(pe.data(), vt::pasid_entry::P, 1);
    w.mem.put(s.table, pe);
    return s;
}

TEST(RealConfigsVtd, ScalableSecondStageAtRidPasid) {
    VtdWorld w;
    const ScalableSetup s = linux_scalable(w, 2, vt::pasid_entry::kAw39);
    w.map(s.pgd, kIova, 3, 2, kPa | kDmaPteRead | kDmaPteWrite);
    w.map(s.pgd, kIovaRo, 3, 2, kPaRo | kDmaPteRead);
    w.map(s.pgd, kIovaBlock, 3, 1, kPaBlock | kDmaPteRead | kDmaPteWrite | kDmaPteLarge);
    w.map(s.pgd, 0x40000000ull * 5, 3, 0, 0x1c0000000 | kDmaPteRead | kDmaPteLarge); // 1 GiB

    expect_pa(w.dma(kRid, std::nullopt, kIova + 0x18, kWrite), kPa + 0x18);
    expect_pa(w.dma(kRid, std::nullopt, kIovaRo + 0x18), kPaRo + 0x18);
    expect_pa(w.dma(kRid, std::nullopt, kIovaBlock + 0x1234), kPaBlock + 0x1234);
    expect_pa(w.dma(kRid, std::nullopt, 0x40000000ull * 5 + 0x3456789), 0x1c0000000 + 0x3456789);
    expect_fault(w.dma(kRid, std::nullopt, kIovaRo, kWrite), Reason::permission);
    expect_fault(w.dma(kRid, std::nullopt, kIova + 0x10000), Reason::translation);
    expect_fault(w.dma(kRid, std::nullopt, uint64_t{1} << 39), Reason::translation);
    // Execute requests: SSEE=0.
    expect_fault(w.dma(kRid, std::nullopt, kIova, kExec), Reason::permission);
    // No PASIDE: a request with a PASID is refused.
    expect_fault(w.dma(kRid, 1, kIova), Reason::bad_substream);

    const ModelDump d = w.model->dump(w.mem, w.topo(kRid + 1));
    const DecodedEntry *ce = find(d, "context", "rid 8");
    ASSERT_TRUE(ce);
    EXPECT_EQ(field(*ce, "RID_PASID"), 0u);
    const DecodedEntry *pe = find(d, "PASID", "rid 8 pasid 0");
    ASSERT_TRUE(pe);
    EXPECT_EQ(field(*pe, "PGTT"), vt::pasid_entry::kPgttSecondStage);
    EXPECT_EQ(field(*pe, "SSPTPTR"), s.pgd >> 12);
    EXPECT_EQ(field(*pe, "AW"), 1u);
    EXPECT_FALSE(inv::check_entry(vt::context::kFormat, ce->raw.data()));
    // AW=1 is in this IOMMU's SAGAW, not in the model's own (the default Caps).
    EXPECT_FALSE(breach(vt::pasid_entry::kFormat, pe->raw.data(), qemu_caps()));
    auto b = inv::check_entry(vt::pasid_entry::kFormat, pe->raw.data());
    ASSERT_TRUE(b);
    EXPECT_EQ(b->formula->name, "vtd.pasid.aw-sagaw");
}

// The same on an IOMMU with SAGAW 48/57 (the model's own CAP): AW=2, four
// levels; a 1 GiB page is refused where CAP.SLLPS lists 2 MiB only; the
// IOTLB keeps a translation until a page-selective IOTLB invalidation.
TEST(RealConfigsVtd, ScalableSecondStageFourLevelsAndIotlb) {
    VtdWorld w(false);
    const ScalableSetup s = linux_scalable(w, 3, vt::pasid_entry::kAw48);
    w.map(s.pgd, kIova, 4, 3, kPa | kDmaPteRead | kDmaPteWrite);
    w.map(s.pgd, uint64_t{1} << 40, 4, 1, kPaBlock | kDmaPteRead | kDmaPteLarge);
    expect_pa(w.dma(kRid, std::nullopt, kIova + 4), kPa + 4);
    expect_fault(w.dma(kRid, std::nullopt, uint64_t{1} << 40), Reason::translation);
    expect_fault(w.dma(kRid, std::nullopt, uint64_t{1} << 48), Reason::translation);

    // Remapped without invalidation: the IOTLB still answers.
    w.map(s.pgd, kIova, 4, 3, kPaRo | kDmaPteRead | kDmaPteWrite);
    expect_pa(w.dma(kRid, std::nullopt, kIova + 4), kPa + 4);
    // A P_IOTLB for another DID leaves it; an IOTLB PSI for the DID drops it.
    std::array<uint64_t, 4> inv{};
    set(inv.data(), vt::inv_iotlb::Type, vt::inv_iotlb::kType);
    set(inv.data(), vt::inv_iotlb::G, vt::inv_iotlb::kGranPage);
    set(inv.data(), vt::inv_iotlb::DID, 4);
    set(inv.data(), vt::inv_iotlb::ADDR, kIova >> 12);
    ASSERT_EQ(w.submit(inv), 0);
    w.wait();
    expect_pa(w.dma(kRid, std::nullopt, kIova + 4), kPa + 4);
    set(inv.data(), vt::inv_iotlb::DID, 3);
    ASSERT_EQ(w.submit(inv), 0);
    w.wait();
    expect_pa(w.dma(kRid, std::nullopt, kIova + 4), kPaRo + 4);

    // AW=1 on an IOMMU whose SAGAW lacks it: the PASID entry is refused.
    VtdWorld x(false);
    linux_scalable(x, 3, vt::pasid_entry::kAw39);
    DmaResult r = x.dma(kRid, std::nullopt, kIova);
    expect_fault(r, Reason::bad_context);
    EXPECT_NE(r.why.find("SAGAW"), std::string::npos) << r.why;
}

// Legacy mode (QEMU 7.2 without x-scalable-mode): root and context entries
// of VT-d 9.1 and 9.3, as domain_context_mapping_one writes them.
struct LegacySetup {
    uint64_t pgd = 0;
};

std::array<uint64_t, 2> legacy_context(uint64_t tt, uint64_t slptptr, uint64_t aw, uint16_t did) {
    std::array<uint64_t, 2> e{};
    set(e.data(), vt::context_legacy::DID, did);  // context_set_domain_id
    if (tt != vt::context_legacy::kTtPassThrough) // context_set_address_root
        set(e.data(), vt::context_legacy::SLPTPTR, slptptr >> 12);
    set(e.data(), vt::context_legacy::AW, aw); // agaw, or msagaw for pass-through
    set(e.data(), vt::context_legacy::TT, tt);
    set(e.data(), vt::context_legacy::FPD, 0); // context_set_fault_enable
    set(e.data(), vt::context_legacy::P, 1);
    return e;
}

LegacySetup linux_legacy(VtdWorld &w) {
    LegacySetup s;
    s.pgd = w.mem.page();
    w.enable(vt::rtaddr::kTtmLegacy);
    std::array<uint64_t, 2> re{};
    set(re.data(), vt::root_legacy::P, 1);
    set(re.data(), vt::root_legacy::CTP, w.ctx >> 12);
    w.mem.put(w.root, re);
    w.mem.put(w.ctx + 16 * kRid,
              legacy_context(vt::context_legacy::kTtSecondStage, s.pgd, vt::pasid_entry::kAw39, 2));
    w.mem.put(w.ctx + 16 * kRidPt,
              legacy_context(vt::context_legacy::kTtPassThrough, 0, vt::pasid_entry::kAw39, 1));
    return s;
}

TEST(RealConfigsVtd, LegacyModeWalks) {
    VtdWorld w;
    const LegacySetup s = linux_legacy(w);
    w.map(s.pgd, kIova, 3, 2, kPa | kDmaPteRead | kDmaPteWrite);
    w.map(s.pgd, kIovaRo, 3, 2, kPaRo | kDmaPteRead);
    w.map(s.pgd, kIovaBlock, 3, 1, kPaBlock | kDmaPteRead | kDmaPteWrite | kDmaPteLarge);

    expect_pa(w.dma(kRid, std::nullopt, kIova + 0x18, kWrite), kPa + 0x18);
    expect_pa(w.dma(kRid, std::nullopt, kIovaRo + 0x18), kPaRo + 0x18);
    expect_pa(w.dma(kRid, std::nullopt, kIovaBlock + 0x1234), kPaBlock + 0x1234);
    expect_fault(w.dma(kRid, std::nullopt, kIovaRo, kWrite), Reason::permission);
    expect_fault(w.dma(kRid, std::nullopt, kIova + 0x10000), Reason::translation);
    expect_fault(w.dma(kRid, std::nullopt, uint64_t{1} << 39), Reason::translation);
    expect_fault(w.dma(kRid, 0, kIova), Reason::bad_substream); // no PASIDs in legacy mode
    // Pass-through (TT=2).
    expect_pa(w.dma(kRidPt, std::nullopt, 0x123456789), 0x123456789);
    // No context entry for rid 9.
    expect_fault(w.dma(9, std::nullopt, kIova), Reason::bad_config);

    // TT=3 is reserved; a reserved bit set; AW outside SAGAW.
    auto bad = legacy_context(3, s.pgd, vt::pasid_entry::kAw39, 2);
    w.mem.put(w.ctx + 16 * 10, bad);
    expect_fault(w.dma(10, std::nullopt, kIova), Reason::bad_config);
    bad = legacy_context(0, s.pgd, vt::pasid_entry::kAw39, 2);
    bad[1] |= uint64_t{1} << 40;
    w.mem.put(w.ctx + 16 * 11, bad);
    expect_fault(w.dma(11, std::nullopt, kIova), Reason::bad_config);
    w.mem.put(w.ctx + 16 * 12, legacy_context(0, s.pgd, vt::pasid_entry::kAw48, 2));
    expect_fault(w.dma(12, std::nullopt, kIova), Reason::bad_config);

    const ModelDump d = w.model->dump(w.mem, w.topo(kRidPt + 1));
    ASSERT_TRUE(find(d, "root-legacy", "bus 0"));
    const DecodedEntry *ce = find(d, "context-legacy", "rid 8");
    ASSERT_TRUE(ce);
    EXPECT_EQ(field(*ce, "TT"), 0u);
    EXPECT_EQ(field(*ce, "SLPTPTR"), s.pgd >> 12);
    EXPECT_EQ(field(*ce, "AW"), 1u);
    EXPECT_EQ(field(*ce, "DID"), 2u);
    EXPECT_FALSE(breach(vt::context_legacy::kFormat, ce->raw.data(), qemu_caps()));
    const DecodedEntry *pt = find(d, "context-legacy", "rid 16");
    ASSERT_TRUE(pt);
    EXPECT_EQ(field(*pt, "TT"), 2u);
    EXPECT_FALSE(breach(vt::context_legacy::kFormat, pt->raw.data(), qemu_caps()));
    // The broken entries break the formulas that state them.
    const DecodedEntry *c10 = find(d, "context-legacy", "rid 10");
    ASSERT_TRUE(c10);
    auto b = breach(vt::context_legacy::kFormat, c10->raw.data(), qemu_caps());
    ASSERT_TRUE(b);
    EXPECT_EQ(b->formula->name, "vtd.context-legacy.tt");
    const DecodedEntry *c11 = find(d, "context-legacy", "rid 11");
    ASSERT_TRUE(c11);
    b = breach(vt::context_legacy::kFormat, c11->raw.data(), qemu_caps());
    ASSERT_TRUE(b);
    EXPECT_EQ(b->formula->name, "vtd.context-legacy.reserved-zero");
    auto nopt = legacy_context(0, 0, vt::pasid_entry::kAw39, 2);
    b = breach(vt::context_legacy::kFormat, nopt.data(), qemu_caps());
    ASSERT_TRUE(b);
    EXPECT_EQ(b->formula->name, "vtd.context-legacy.slptptr-nonzero");
    auto aw0 = legacy_context(0, s.pgd, 0, 2);
    b = breach(vt::context_legacy::kFormat, aw0.data(), qemu_caps());
    ASSERT_TRUE(b);
    EXPECT_EQ(b->formula->name, "vtd.context-legacy.aw");
    // AW=1 (39 bits) is judged against the IOMMU's SAGAW: the model's own
    // (48 and 57 bits) does not list it.
    b = inv::check_entry(vt::context_legacy::kFormat, ce->raw.data());
    ASSERT_TRUE(b);
    EXPECT_EQ(b->formula->name, "vtd.context-legacy.aw");
    // No scalable-mode entries in a legacy dump.
    EXPECT_FALSE(find(d, "context", "rid 8"));
}

// The legacy context cache holds an entry until a context-cache invalidation.
TEST(RealConfigsVtd, LegacyContextCache) {
    VtdWorld w;
    const LegacySetup s = linux_legacy(w);
    w.map(s.pgd, kIova, 3, 2, kPa | kDmaPteRead | kDmaPteWrite);
    expect_pa(w.dma(kRid, std::nullopt, kIova), kPa);
    w.mem.put(w.ctx + 16 * kRid, std::array<uint64_t, 2>{}); // cleared, not invalidated
    expect_pa(w.dma(kRid, std::nullopt, kIova), kPa);
    std::array<uint64_t, 4> cc{};
    set(cc.data(), vt::inv_cc::Type, vt::inv_cc::kType);
    set(cc.data(), vt::inv_cc::G, vt::inv_cc::kGranDomain);
    set(cc.data(), vt::inv_cc::DID, 2);
    ASSERT_EQ(w.submit(cc), 0);
    w.wait();
    expect_fault(w.dma(kRid, std::nullopt, kIova), Reason::bad_config);
    const ModelDump d = w.model->dump(w.mem, w.topo(kRid + 1));
    bool iotlb = false;
    for (const std::string &line : d.caches)
        iotlb |= line.find("IOTLB did 2 pasid -") != std::string::npos;
    EXPECT_TRUE(iotlb);
}

} // namespace
