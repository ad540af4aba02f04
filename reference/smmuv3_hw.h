// The Arm SMMUv3 hardware model (docs/hardware-model.md, "Arm SMMUv3"):
// registers, a command queue applied at CMD_SYNC, the stream table -> CD ->
// TTB0 walk, and the configuration, TLB and ATC caches that only the
// architecture's invalidation commands drop. The fault side: the event
// queue (stall records, and records of terminated transactions) and the PRI
// queue, with their overflow rules (SMMU 7.4, 8.1, 8.2), and the page
// responses CMD_PRI_RESP and CMD_RESUME deliver.
#pragma once

#include "reference/hw_model.h"

#include <array>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace svac::ref {

// The ID registers an SMMU reports (SMMU 6.3.1-6.3.7): IDR0..IDR5, IIDR, AIDR.
struct Smmuv3Ids {
    std::array<uint32_t, 6> idr{};
    uint32_t iidr = 0, aidr = 0;
};
// What this model implements, for an SMMU with `streams` StreamIDs behind it
// (SIDSIZE covers them) that stalls or not (STALL_MODEL), and desc's PASID
// width (SSIDSIZE).
Smmuv3Ids smmuv3_ids(const Iommu &desc, uint32_t streams, bool stalls);

class Smmuv3Model final : public IommuModel {
public:
    // index: this IOMMU's position in the topology (Device::iommu).
    Smmuv3Model(const Iommu &desc, uint32_t index, const Smmuv3Ids &ids);

    void write_reg(uint32_t offset, uint64_t val) override;
    uint64_t read_reg(uint32_t offset) const override;
    std::vector<Consumed> run_command_queue(MemoryBus &mem) override;
    void observe_store(uint64_t pa) override;
    std::vector<Misuse> take_misuse() override;
    int submit(const MemoryView &mem, const uint64_t *cmd, uint32_t qwords) override;
    std::size_t unsynced() const override { return queue_.size(); }
    const std::vector<std::string> &command_log() const override;
    std::string describe_command(const uint64_t *cmd, uint32_t qwords) const override;
    // The walk. When mem is also a MemoryBus (the harness's memory), a
    // terminated transaction's fault (Kind::fault) is recorded in the event
    // queue as well, with Stall=0 (record_event).
    DmaResult dma(const MemoryView &mem, const DmaRequest &req) override;
    Queued queue_fault(MemoryBus &mem, PageRequest &req) override;
    void overflow_queue() override;
    bool irq_pending() const override;
    std::vector<PageResponse> take_responses() override;
    ModelDump dump(const MemoryView &mem, const Topology &topo) const override;
    void live_entries(const MemoryView &mem, const Topology &topo, std::span<const uint64_t> pas,
                      bool scan, std::vector<LiveEntry> &out) const override;

    // Writes the event record of a terminated transaction (Stall=0, the
    // fault's event ID) into the event queue, if it is enabled. A full queue
    // drops it and enters the overflow condition (SMMU 7.4). Returns whether
    // it was written.
    bool record_event(MemoryBus &mem, const DmaRequest &req, const DmaResult &r);
    // STAGs of the stalled transactions not yet resumed (CMD_RESUME).
    std::size_t stalls_outstanding() const { return stalled_.size(); }

    // ssid of non-PASID traffic in the ATC's tags.
    static constexpr uint32_t kNoSsid = 0xffffffffu;

private:
    // An output queue the SMMU writes and the driver consumes. PROD is the
    // model's; BASE and CONS are the driver's registers (regs_).
    struct OutQueue {
        uint32_t base_reg, cons_reg;
        uint64_t enable;   // the CR0 bit
        unsigned qwords;   // per entry
        uint64_t prod = 0; // WR, WR_WRAP and OVFLG, as PROD reads
    };
    // A DMA that stalled, remembered until queue_fault records it, to give
    // its event record the walk's event ID.
    struct StallMemo {
        uint32_t sid = 0;
        bool has_pasid = false;
        uint32_t pasid = 0;
        uint64_t va = 0;
        uint32_t event = 0;
    };
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
    DmaResult walk_dma(const MemoryView &mem, const DmaRequest &req);
    void apply(const Cmd &c);
    void respond(const Cmd &c); // CMD_PRI_RESP, CMD_RESUME
    std::string describe(const Cmd &c) const;

    bool q_enabled(const OutQueue &q) const;
    unsigned q_log2size(const OutQueue &q) const;
    bool q_full(const OutQueue &q) const;
    bool q_empty(const OutQueue &q) const;
    bool q_overflowing(const OutQueue &q) const;
    void q_overflow(OutQueue &q);
    bool q_write(MemoryBus &mem, OutQueue &q, const uint64_t *entry);
    OutQueue *q_of_prod(uint32_t offset);
    const OutQueue *q_of_prod(uint32_t offset) const;
    Queued queue_stall(MemoryBus &mem, PageRequest &req);
    Queued queue_pri(MemoryBus &mem, const PageRequest &req);
    void auto_respond(const PageRequest &req, bool has_pasid, uint8_t code);

    // The command queue of the register interface (SMMU 3.5): CMDQ_BASE and
    // CMDQ_PROD are software's registers (regs_), CONS is the model's.
    static uint64_t q_address(uint64_t base_reg);
    bool cmdq_enabled() const;
    unsigned cmdq_log2size() const;
    bool cmdq_stopped() const; // at a command error not yet acknowledged (GERROR.CMDQ_ERR)
    void misuse(ClauseId clause, std::string what);
    // A write to a register only allowed while `enable` (a CR0 bit) is 0.
    bool guarded_write(uint32_t offset, std::string_view name, uint64_t enable,
                       std::string_view enable_name);

    uint32_t index_;
    Smmuv3Ids ids_;
    RegisterFile regs_;
    uint64_t cmdq_cons_ = 0;   // RD, RD_WRAP and ERR, as CMDQ_CONS reads
    uint64_t gerror_ = 0;      // GERROR: the model toggles, software acknowledges in GERRORN
    uint64_t gerrorn_ = 0;     // GERRORN, kept apart: every store asks it (observe_store)
    bool cmdq_kicked_ = false; // PROD moved or an error was acknowledged: consume
    std::vector<Misuse> misuse_;
    bool strtab_written_ = false;

    std::vector<Cmd> queue_;
    // Every command accepted, raw; command_log() decodes them when asked,
    // so that a run that never reads the log never formats it.
    std::vector<Cmd> accepted_;
    mutable std::vector<std::string> log_;

    std::unordered_map<uint32_t, StreamCache> streams_;
    std::unordered_map<uint64_t, Translation> tlb_; // ASID << 48 | va page
    std::unordered_map<AtcKey, Translation, AtcHash> atc_;

    OutQueue evtq_{SVAC_SMMU_EVENTQ_BASE, SVAC_SMMU_EVENTQ_CONS, SVAC_SMMU_CR0_EVENTQEN, 4};
    OutQueue priq_{SVAC_SMMU_PRIQ_BASE, SVAC_SMMU_PRIQ_CONS, SVAC_SMMU_CR0_PRIQEN, 2};
    std::unordered_map<uint16_t, uint32_t> stalled_; // STAG -> StreamID, awaiting CMD_RESUME
    uint16_t next_stag_ = 0;
    std::vector<StallMemo> stall_memos_; // the latest kStallMemos, oldest first
    static constexpr std::size_t kStallMemos = 64;
    std::vector<PageResponse> responses_;
};

std::unique_ptr<IommuModel> make_smmuv3_model(const Iommu &desc, uint32_t index,
                                              const Smmuv3Ids &ids);
// ... with the ID registers of 256 StreamIDs and no stall master.
std::unique_ptr<IommuModel> make_smmuv3_model(const Iommu &desc, uint32_t index);

} // namespace svac::ref
