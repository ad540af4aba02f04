// libFuzzer target: an arbitrary memory image and register set under the
// hardware models of both architectures. Every walk ends in a defined
// outcome, with no crash, no undefined behaviour and bounded steps: tables
// that point at themselves included.
//
// The input decodes (FuzzedDataProvider) into: the architecture; up to 8
// regions (4 KiB-aligned bases); up to 96 words written into them, plain or
// pointing back into a region (self-references); up to 12 register writes;
// then up to 24 actions: DMA walks, commands, page requests, queue
// overflows, memory and register changes. dump() and live_entries() run at
// the end.
#include "reference/hw_model.h"
#include "reference/pagetable.h"
#include "reference/smmuv3_format.h"
#include "reference/vtd_format.h"

#include <fuzzer/FuzzedDataProvider.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <vector>

namespace {

using namespace svac;

constexpr uint64_t kRegionBytes = 64 * 1024; // what counts as allocated past a base

// Sparse simulated memory: 8-byte words; the regions' words are
// "allocated" (the hardware may write its queue records there).
class Memory final : public ref::MemoryBus {
public:
    std::vector<uint64_t> bases;
    std::map<uint64_t, uint64_t> words;

    uint64_t read64(uint64_t pa) const override {
        auto it = words.find(pa & ~uint64_t{7});
        return it == words.end() ? 0 : it->second;
    }
    bool hw_write64(uint64_t pa, uint64_t val) override {
        if (pa % 8) return false;
        for (uint64_t b : bases)
            if (pa - b < kRegionBytes) {
                words[pa] = val;
                return true;
            }
        return false;
    }
};

constexpr uint32_t kSmmuRegs[] = {
    SVAC_SMMU_CR0,         SVAC_SMMU_STRTAB_BASE, SVAC_SMMU_STRTAB_BASE_CFG,
    SVAC_SMMU_EVENTQ_BASE, SVAC_SMMU_EVENTQ_PROD, SVAC_SMMU_EVENTQ_CONS,
    SVAC_SMMU_PRIQ_BASE,   SVAC_SMMU_PRIQ_PROD,   SVAC_SMMU_PRIQ_CONS,
};
constexpr uint32_t kVtdRegs[] = {SVAC_VTD_GCMD, SVAC_VTD_RTADDR, SVAC_VTD_PQH,
                                 SVAC_VTD_PQT,  SVAC_VTD_PQA,    SVAC_VTD_PRS};
constexpr uint8_t kSmmuOpcodes[] = {ref::smmuv3::cmd::PREFETCH_CONFIG,
                                    ref::smmuv3::cmd::CFGI_STE,
                                    ref::smmuv3::cmd::CFGI_STE_RANGE,
                                    ref::smmuv3::cmd::CFGI_CD,
                                    ref::smmuv3::cmd::CFGI_CD_ALL,
                                    ref::smmuv3::cmd::TLBI_NH_ALL,
                                    ref::smmuv3::cmd::TLBI_NH_ASID,
                                    ref::smmuv3::cmd::TLBI_NH_VA,
                                    ref::smmuv3::cmd::TLBI_NSNH_ALL,
                                    ref::smmuv3::cmd::ATC_INV,
                                    ref::smmuv3::cmd::PRI_RESP,
                                    ref::smmuv3::cmd::RESUME,
                                    ref::smmuv3::cmd::SYNC};
constexpr uint8_t kAccess[] = {ref::kRead, ref::kWrite, ref::kExec};

class Input {
public:
    Input(const uint8_t *data, size_t size) : fdp_(data, size) {}
    uint64_t range(uint64_t lo, uint64_t hi) {
        return fdp_.ConsumeIntegralInRange<uint64_t>(lo, hi);
    }
    bool flag() { return fdp_.ConsumeBool(); }
    bool more() { return fdp_.remaining_bytes() > 0; }

    // An address: mostly inside a region (a word of it), sometimes anywhere.
    uint64_t address(const Memory &m) {
        if (m.bases.empty() || range(0, 7) == 0) return range(0, UINT64_MAX);
        uint64_t b = m.bases[range(0, m.bases.size() - 1)];
        return b + range(0, kRegionBytes / 8 - 1) * 8;
    }
    // A word: plain, or an address in a region with low bits (valid bits,
    // sizes, formats) set, or one with high bits too.
    uint64_t word(const Memory &m) {
        switch (range(0, 3)) {
        case 0:
            return range(0, UINT64_MAX);
        case 1:
            return (address(m) & ~uint64_t{0xfff}) | range(0, 0xfff);
        case 2:
            return address(m) | range(0, 0x3f);
        default:
            return address(m) | range(0, 0xfff) | (range(0, 0xffff) << 48);
        }
    }

private:
    FuzzedDataProvider fdp_;
};

void check(const ref::DmaResult &r) {
    if (r.kind > ref::DmaResult::Kind::failed || r.reason > ref::DmaResult::Reason::permission) {
        std::fprintf(stderr, "hw_walk: undefined DMA outcome %u/%u (%s)\n",
                     static_cast<unsigned>(r.kind), static_cast<unsigned>(r.reason), r.why.c_str());
        std::abort();
    }
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    Input in(data, size);
    const bool vtd = in.flag();
    ref::Iommu desc;
    desc.arch = vtd ? ref::Arch::vtd : ref::Arch::smmuv3;
    desc.pasid_bits = static_cast<uint8_t>(in.range(0, 20));
    auto model = ref::make_iommu_model(desc, 0);

    ref::Topology topo;
    topo.iommus.push_back(desc);
    for (unsigned i = 0, n = static_cast<unsigned>(in.range(1, 4)); i < n; ++i) {
        ref::Device d;
        d.pasid_bits = static_cast<uint8_t>(in.range(0, 20));
        d.pri = in.flag();
        d.stall = in.flag();
        d.ats = in.flag();
        topo.devices.push_back(d);
    }

    Memory mem;
    for (unsigned i = 0, n = static_cast<unsigned>(in.range(1, 8)); i < n; ++i)
        mem.bases.push_back(in.range(0, (uint64_t{1} << 40) - 1) << 12);
    for (unsigned i = 0, n = static_cast<unsigned>(in.range(0, 96)); i < n && in.more(); ++i) {
        uint64_t pa = in.address(mem) & ~uint64_t{7};
        mem.words[pa] = in.word(mem);
    }
    auto reg_write = [&] {
        uint32_t offset;
        switch (in.range(0, 3)) {
        case 0:
            offset = static_cast<uint32_t>(in.range(0, UINT32_MAX));
            break;
        default:
            offset = vtd ? kVtdRegs[in.range(0, std::size(kVtdRegs) - 1)]
                         : kSmmuRegs[in.range(0, std::size(kSmmuRegs) - 1)];
        }
        model->write_reg(offset, in.flag() ? in.word(mem) : in.range(0, 0xff));
        (void)model->read_reg(offset);
    };
    for (unsigned i = 0, n = static_cast<unsigned>(in.range(0, 12)); i < n; ++i) reg_write();

    for (unsigned i = 0, n = static_cast<unsigned>(in.range(1, 24)); i < n; ++i) {
        switch (in.range(0, 6)) {
        case 0:
        case 1: { // a DMA
            ref::DmaRequest req;
            req.sid = static_cast<uint32_t>(in.range(0, 7));
            req.has_pasid = in.flag();
            req.pasid = static_cast<uint32_t>(in.range(0, in.flag() ? 0xfffff : UINT32_MAX));
            req.va = in.flag() ? in.range(0, 0xffff) << 12 | in.range(0, 0xfff)
                               : in.range(0, UINT64_MAX);
            req.access = kAccess[in.range(0, 2)];
            if (req.sid < topo.devices.size() && in.flag()) req.device = &topo.devices[req.sid];
            check(model->dma(mem, req));
            break;
        }
        case 2: { // a command
            uint64_t cmd[4] = {in.range(0, UINT64_MAX), in.word(mem), in.word(mem), in.word(mem)};
            if (in.flag()) {
                cmd[0] &= ~uint64_t{0xff};
                cmd[0] |=
                    vtd ? in.range(0, 15) : kSmmuOpcodes[in.range(0, std::size(kSmmuOpcodes) - 1)];
            }
            uint32_t qwords = vtd ? ref::vtd::kDescQwords : 2;
            if (in.range(0, 15) == 0) qwords = static_cast<uint32_t>(in.range(0, 4));
            (void)model->submit(mem, cmd, qwords);
            (void)model->unsynced();
            break;
        }
        case 3: { // a page request or a stall
            ref::PageRequest req;
            req.sid = static_cast<uint32_t>(in.range(0, 7));
            req.has_pasid = in.flag();
            req.pasid = static_cast<uint32_t>(in.range(0, 0xfffff));
            req.addr = in.range(0, UINT64_MAX);
            req.perm = static_cast<uint8_t>(in.range(0, 15));
            req.group = static_cast<uint32_t>(in.range(0, 511));
            req.last = in.flag();
            req.stall = !vtd && in.flag();
            (void)model->queue_fault(mem, req);
            break;
        }
        case 4:
            if (in.flag()) model->overflow_queue();
            (void)model->irq_pending();
            (void)model->take_responses();
            break;
        case 5: { // the image changes between walks
            uint64_t pa = in.address(mem) & ~uint64_t{7};
            mem.words[pa] = in.word(mem);
            break;
        }
        default:
            reg_write();
        }
    }

    (void)model->dump(mem, topo);
    std::vector<uint64_t> pas;
    for (const auto &kv : mem.words) pas.push_back(kv.first);
    std::vector<ref::LiveEntry> live;
    model->live_entries(mem, topo, pas, false, live);
    model->live_entries(mem, topo, pas, true, live);
    (void)model->command_log();
    return 0;
}
