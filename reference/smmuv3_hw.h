// The Arm SMMUv3 hardware model (docs/hardware-model.md, "Arm SMMUv3"):
// registers, a command queue applied at CMD_SYNC, the stream table -> CD ->
// TTB0 walk, and the configuration, TLB and ATC caches that only the
// architecture's invalidation commands drop.
#pragma once

#include "reference/hw_model.h"

#include <array>
#include <cstdint>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

namespace svac::ref {

class Smmuv3Model final : public IommuModel {
public:
    // index: this IOMMU's position in the topology (Device::iommu). Nothing
    // of desc changes what the model does yet.
    Smmuv3Model(const Iommu &desc, uint32_t index);

    void write_reg(uint32_t offset, uint64_t val) override;
    uint64_t read_reg(uint32_t offset) const override;
    int submit(const MemoryView &mem, const uint64_t *cmd, uint32_t qwords) override;
    std::size_t unsynced() const override { return queue_.size(); }
    const std::vector<std::string> &command_log() const override { return log_; }
    DmaResult dma(const MemoryView &mem, const DmaRequest &req) override;
    ModelDump dump(const MemoryView &mem, const Topology &topo) const override;
    void live_entries(const MemoryView &mem, const Topology &topo, std::span<const uint64_t> pas,
                      bool scan, std::vector<LiveEntry> &out) const override;

    // ssid of non-PASID traffic in the ATC's tags.
    static constexpr uint32_t kNoSsid = 0xffffffffu;

private:
    using Words = std::array<uint64_t, 8>;
    struct Cmd {
        uint64_t q[2];
    };
    // What is cached for one StreamID: the STE (and its L1STD), the L1CDs
    // and CDs reached through it. Raw words as read from memory.
    struct StreamCache {
        bool has_ste = false;
        bool two_level = false;
        uint64_t l1std = 0;
        uint64_t ste_pa = 0;
        Words ste{};
        std::unordered_map<uint32_t, uint64_t> l1cd; // l1cd_key() -> L1CD
        std::unordered_map<uint32_t, Words> cd;      // ssid -> CD
    };
    struct Translation {
        uint64_t pa_page = 0; // output address of the page
        uint8_t perms = 0;
    };
    struct AtcKey {
        uint32_t sid, ssid;
        uint64_t page;
        bool operator==(const AtcKey &) const = default;
    };
    struct AtcHash {
        std::size_t operator()(const AtcKey &k) const {
            uint64_t h = (uint64_t(k.sid) << 32 | k.ssid) * 0x9e3779b97f4a7c15ull;
            return std::size_t(h ^ (k.page + 0x7f4a7c159e3779b9ull + (h << 6) + (h >> 2)));
        }
    };

    static uint32_t l1cd_key(unsigned split, uint32_t idx) { return idx << 1 | (split == 10); }

    // Each returns nullptr and fills r when the walk ends at that level.
    StreamCache *fetch_ste(const MemoryView &mem, uint32_t sid, DmaResult &r);
    const Words *fetch_cd(const MemoryView &mem, uint32_t sid, StreamCache &sc, uint32_t ssid,
                          DmaResult &r);
    void apply(const Cmd &c);
    std::string describe(const Cmd &c) const;

    uint32_t index_;
    std::unordered_map<uint32_t, uint64_t> regs_;
    bool strtab_written_ = false;

    std::vector<Cmd> queue_;
    std::vector<std::string> log_;

    std::unordered_map<uint32_t, StreamCache> streams_;
    std::unordered_map<uint64_t, Translation> tlb_; // ASID << 48 | va page
    std::unordered_map<AtcKey, Translation, AtcHash> atc_;
};

std::unique_ptr<IommuModel> make_smmuv3_model(const Iommu &desc, uint32_t index);

} // namespace svac::ref
