// The Intel VT-d scalable-mode hardware model (docs/hardware-model.md,
// "Intel VT-d"): root -> scalable context -> PASID directory -> PASID entry
// -> first-stage x86-64 walk or pass-through, with the context cache, PASID
// cache, IOTLB and device TLB, dropped only by invalidation descriptors that
// an invalidation wait descriptor completes. The fault side: the page
// request queue (PQA, PQH, PQT, PRS) the hardware fills, and the page group
// responses the driver sends back to devices.
#pragma once

#include "reference/hw_model.h"

#include <array>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

namespace svac::ref {

class VtdModel : public IommuModel {
public:
    VtdModel(const Iommu &desc, uint32_t index);

    void write_reg(uint32_t offset, uint64_t val) override;
    uint64_t read_reg(uint32_t offset) const override;
    int submit(const MemoryView &mem, const uint64_t *cmd, uint32_t qwords) override;
    std::size_t unsynced() const override { return pending_.size(); }
    const std::vector<std::string> &command_log() const override;
    std::string describe_command(const uint64_t *cmd, uint32_t qwords) const override;
    DmaResult dma(const MemoryView &mem, const DmaRequest &req) override;
    Queued queue_fault(MemoryBus &mem, PageRequest &req) override;
    void overflow_queue() override;
    bool irq_pending() const override;
    std::vector<PageResponse> take_responses() override;
    ModelDump dump(const MemoryView &mem, const Topology &topo) const override;
    void live_entries(const MemoryView &mem, const Topology &topo, std::span<const uint64_t> pas,
                      bool scan, std::vector<LiveEntry> &out) const override;

    // Bounds: a cache that reaches its limit is emptied (hardware may evict
    // at any time; this keeps runs deterministic and memory bounded).
    static constexpr std::size_t kMaxCacheEntries = std::size_t{1} << 16;
    static constexpr std::size_t kMaxLogLines = std::size_t{1} << 16;
    static constexpr std::size_t kMaxDumpPasidEntries = 4096; // per device
    // The device-TLB key of requests without a PASID.
    static constexpr uint32_t kNoPasid = 0xffffffffu;

private:
    using Desc = std::array<uint64_t, 4>;
    using ContextEntry = std::array<uint64_t, 4>;
    using PasidEntry = std::array<uint64_t, 8>;
    struct PasidCached {
        uint64_t pde = 0;
        PasidEntry pe{};
    };
    struct Translation {
        uint64_t pa_page = 0; // output address of the page
        uint8_t perms = 0;
    };
    using IotlbKey = std::tuple<uint32_t, uint32_t, uint64_t>;  // did, pasid, va page
    using DevtlbKey = std::tuple<uint32_t, uint32_t, uint64_t>; // rid, pasid or kNoPasid, va page

    void apply(const Desc &d);
    void respond(const Desc &d);
    void auto_respond(const PageRequest &req);
    uint64_t prq_bytes() const; // 0: the page request queue is not programmed
    template <typename Map, typename K, typename V> static void insert(Map &m, const K &k, V v);

    Iommu desc_;
    uint32_t index_;
    RegisterFile regs_;
    std::vector<Desc> pending_;
    // The descriptors accepted (at most kMaxLogLines), raw; command_log()
    // decodes them when asked, so that a run that never reads the log never
    // formats it.
    std::vector<Desc> accepted_;
    bool log_truncated_ = false;
    mutable std::vector<std::string> log_;
    std::vector<PageResponse> responses_; // sent, not yet taken

    std::map<uint32_t, ContextEntry> context_cache_;                   // rid
    std::map<std::pair<uint32_t, uint32_t>, PasidCached> pasid_cache_; // rid, pasid; tag DID
    std::map<IotlbKey, Translation> iotlb_;
    std::map<DevtlbKey, Translation> devtlb_;

    // live_entries: the PDE last seen pointing at each PASID table, a hint
    // checked against memory before use (saves scanning the directory).
    mutable std::map<uint64_t, uint64_t> table_pde_;
};

std::unique_ptr<IommuModel> make_vtd_model(const Iommu &desc, uint32_t index);

} // namespace svac::ref
