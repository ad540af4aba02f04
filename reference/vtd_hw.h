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

// The identification registers a driver's probe reads, derived from the
// topology: VER, CAP (48-bit, 4-level second stage, 2^16 domain IDs, PSI,
// ESRTPS) and ECAP (queued invalidation, pass-through, scalable mode, both
// translation stages; PASIDs of the IOMMU's width; device TLBs and page
// requests when a device behind it has ATS or PRI; first-stage translation
// only where it can walk the CPU's tables, its sva).
struct VtdIds {
    uint32_t ver = 0;
    uint64_t cap = 0, ecap = 0;
};
VtdIds vtd_ids(const Iommu &desc, bool ats, bool pri);

class VtdModel : public IommuModel {
public:
    VtdModel(const Iommu &desc, uint32_t index);
    VtdModel(const Iommu &desc, uint32_t index, const VtdIds &ids);

    void write_reg(uint32_t offset, uint64_t val) override;
    uint64_t read_reg(uint32_t offset) const override;
    std::vector<Consumed> run_command_queue(MemoryBus &mem) override;
    void observe_store(uint64_t pa) override;
    std::vector<Misuse> take_misuse() override;
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
        bool second_stage = false; // IOTLB: from a second-stage walk (PGTT=2, legacy mode)
    };
    using LegacyContext = std::array<uint64_t, 2>;
    using IotlbKey = std::tuple<uint32_t, uint32_t, uint64_t>;  // did, pasid, va page
    using DevtlbKey = std::tuple<uint32_t, uint32_t, uint64_t>; // rid, pasid or kNoPasid, va page

    void apply(const Desc &d);
    // Legacy mode (RTADDR.TTM = 00b): root and context entries of VT-d 9.1
    // and 9.3, then the second stage or pass-through.
    DmaResult dma_legacy(const MemoryView &mem, const DmaRequest &req, uint64_t rtaddr);
    // A second-stage walk (VT-d 3.7, 9.8) of the table at root with AW, the
    // IOTLB tagged (did, tag_pasid). False (and reason, why) on a fault.
    bool second_stage(const MemoryView &mem, const DmaRequest &req, uint64_t root, uint64_t aw,
                      bool exec, uint32_t did, uint32_t tag_pasid, Translation &t,
                      DmaResult::Reason &reason, std::string &why);
    // The invalidation queue's registers (a kernel driver's path).
    uint64_t iq_base() const;
    uint64_t iq_bytes() const; // the queue's size in bytes
    uint64_t iq_step() const;  // a descriptor's: 16, or 32 with IQA.DW
    bool iq_stopped() const;   // at an Invalidation Queue Error
    void write_iqt(uint64_t val);
    void misuse(ClauseId clause, std::string what);
    void respond(const Desc &d);
    void auto_respond(const PageRequest &req);
    uint64_t prq_bytes() const; // 0: the page request queue is not programmed
    template <typename Map, typename K, typename V> static void insert(Map &m, const K &k, V v);

    Iommu desc_;
    uint32_t index_;
    VtdIds ids_;
    RegisterFile regs_;
    uint64_t iqh_ = 0;       // IQH: the next descriptor the hardware fetches
    bool iq_kicked_ = false; // IQT moved, or an error cleared, since the last run
    std::vector<Misuse> misuse_;
    std::vector<Desc> pending_;
    // The descriptors accepted (at most kMaxLogLines), raw; command_log()
    // decodes them when asked, so that a run that never reads the log never
    // formats it.
    std::vector<Desc> accepted_;
    bool log_truncated_ = false;
    mutable std::vector<std::string> log_;
    std::vector<PageResponse> responses_; // sent, not yet taken

    std::map<uint32_t, ContextEntry> context_cache_;                   // rid
    std::map<uint32_t, LegacyContext> legacy_context_cache_;           // rid (legacy mode)
    std::map<std::pair<uint32_t, uint32_t>, PasidCached> pasid_cache_; // rid, pasid; tag DID
    std::map<IotlbKey, Translation> iotlb_;
    std::map<DevtlbKey, Translation> devtlb_;

    // live_entries: the PDE last seen pointing at each PASID table, a hint
    // checked against memory before use (saves scanning the directory).
    mutable std::map<uint64_t, uint64_t> table_pde_;
};

std::unique_ptr<IommuModel> make_vtd_model(const Iommu &desc, uint32_t index);
std::unique_ptr<IommuModel> make_vtd_model(const Iommu &desc, uint32_t index, const VtdIds &ids);

} // namespace svac::ref
