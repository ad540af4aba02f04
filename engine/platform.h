// The platform the harness lends a driver (include/svac/driver_abi.h):
// simulated physical memory, the IOMMUs' registers and command queues (each
// backed by a hardware model), and the CPU side of the mms (page tables the
// mm model writes). Every driver store is seen: one outside memory the
// driver allocated is counted as stray (HW-8).
#pragma once

#include "reference/hw_model.h"
#include "reference/hw_view.h"
#include "reference/memory.h"
#include "reference/reference.h"
#include "reference/topology.h"

#include <svac/driver_abi.h>

#include <array>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <unordered_map>
#include <utility>
#include <vector>

namespace svac::engine {

class SimMemory : public ref::MemoryBus {
public:
    enum class Owner : uint8_t {
        driver,
        harness
    };

    uint64_t alloc(uint64_t bytes, uint64_t align, Owner owner);
    // Frees a block the owner allocated; false if pa starts no such block.
    bool free(uint64_t pa, Owner owner);
    uint64_t read64(uint64_t pa) const override;
    void read_range(uint64_t pa, uint64_t *out, std::size_t n) const override;
    // A store by `who`: true if it landed in an aligned word of a block `who` owns.
    bool write64(uint64_t pa, uint64_t val, Owner who);
    // The hardware's own store (a queue record): any allocated word.
    bool hw_write64(uint64_t pa, uint64_t val) override;
    // Stores 0 in every word of the block at pa, which `who` must own.
    bool zero_block(uint64_t pa, Owner who);
    // The blocks `who` holds now, and their bytes (ROBUST-5: none after destroy).
    struct Usage {
        uint64_t blocks = 0, bytes = 0;
    };
    Usage owned(Owner who) const;
    // Every non-zero word, as runs of consecutive words (address, words), by address.
    std::vector<std::pair<uint64_t, std::vector<uint64_t>>> nonzero_runs() const;

    // Memory the harness lends at most, per driver instance.
    static constexpr uint64_t kLimit = uint64_t{1} << 30;
    static constexpr uint64_t kBase = 0x1000'0000;

private:
    struct Block {
        uint64_t base;
        uint64_t size;
        Owner owner;
        bool freed = false; // freed, and still in blocks_ until the next sweep
        bool holds(uint64_t pa) const { return !freed && pa - base < size; }
    };
    // Words are kept in chunks, each made at the first non-zero store into
    // it: tables are mostly zero (a PASID directory for 20 bits is 128 KiB),
    // so only the parts ever written take room. Only allocated words are ever
    // stored, and a block's words are zeroed when it is freed, so a chunk
    // reads right without asking which block holds the address.
    static constexpr uint64_t kChunkWords = 64;
    static constexpr uint64_t kChunkBytes = 8 * kChunkWords;
    using Chunk = std::array<uint64_t, kChunkWords>;

    const Block *find(uint64_t pa) const; // the block holding pa, if any
    bool store(const Block *b, uint64_t pa, uint64_t val);
    const Chunk *chunk(uint64_t n) const; // chunk number n (pa / kChunkBytes), if made
    void zero(const Block &b);

    // Addresses are handed out in increasing order, so appending keeps the
    // blocks sorted by base. Freed blocks stay (marked) until they are half
    // of them: a free costs amortised O(1) in any order.
    std::vector<Block> blocks_;
    std::size_t freed_ = 0;              // blocks_ marked freed
    mutable std::size_t last_block_ = 0; // the block the latest lookup found
    std::unordered_map<uint64_t, Chunk> chunks_;
    mutable uint64_t last_chunk_no_ = 0; // the chunk the latest lookup found
    mutable const Chunk *last_chunk_ = nullptr;
    uint64_t next_ = kBase; // physical addresses handed out grow from here
    uint64_t bytes_ = 0;
};

// The CPU side: each mm's page table, written by the harness into its own
// memory, as the mm's pages change in the reference.
class MmModel {
public:
    MmModel(SimMemory &mem, uint32_t pgtable, uint32_t n_mms);
    svac_mm_info info(uint32_t mm) const;
    // Rewrites the PTEs of pages [first_vpn, first_vpn + count) from the reference's view.
    void sync(uint32_t mm, uint64_t first_vpn, uint64_t count,
              const std::map<uint64_t, ref::Reference::Page> &pages);
    // exit_mmap: the page table goes away (every entry of the root cleared).
    void teardown(uint32_t mm);

private:
    uint64_t table_for(uint32_t mm, uint64_t va); // the last-level table, allocated on demand
    SimMemory &mem_;
    uint32_t pgtable_;
    std::vector<uint64_t> roots_;
};

class Platform {
public:
    // api: the API generation the kit plays (SVAC_API_*).
    explicit Platform(const ref::Topology &topology, uint32_t api = SVAC_API_RFC2019);
    Platform(const Platform &) = delete;
    Platform &operator=(const Platform &) = delete;

    const svac_platform *abi() const { return &abi_; }
    SimMemory &memory() { return mem_; }
    const SimMemory &memory() const { return mem_; }
    MmModel &mms() { return mms_; }
    ref::IommuModel &iommu(uint32_t i) { return *iommus_[i]; }
    const ref::IommuModel &iommu(uint32_t i) const { return *iommus_[i]; }
    std::size_t iommu_count() const { return iommus_.size(); }

    // A transaction from device dev, through its IOMMU's hardware model.
    ref::DmaResult dma(uint32_t dev, bool has_pasid, uint32_t pasid, uint64_t va, uint8_t access);

    // ---- I/O page faults: the devices' side ----
    // What the hardware did about faults during one op; the engine clears it.
    struct FaultLog {
        std::vector<ref::FaultRecord> raised; // queued for the driver
        uint32_t lost = 0;                    // dropped by a queue
        std::vector<ref::ResponseRecord> responses;
        std::vector<ref::DmaObservation> retries;
    };
    FaultLog &fault_log() { return log_; }
    // A DMA of `pages` pages: each page walks the tables; the pages that fault
    // recoverably raise one PRI group (the last request with Last) or one stall
    // each. One outcome per page.
    std::vector<ref::DmaObservation> issue_dma(uint32_t dev, bool has_pasid, uint32_t pasid,
                                               uint64_t va, uint32_t pages, uint8_t access);
    // The device sends one page request (or Stop Marker) as the op gives it.
    void send_page_request(const ref::Op &op, uint32_t pasid);
    // The page request queue of dev's IOMMU overflows: the Last requests of
    // groups still open at its devices are lost and answered by the hardware.
    void overflow_queue(uint32_t dev);
    // The responses the IOMMUs sent since the last call reach the devices,
    // which retry or give up (into fault_log()).
    void deliver_responses();
    // The PASID stops at the device (its unbind flushed the core): the
    // device drops the requests of that PASID from groups it has not closed.
    void stop_pasid(uint32_t dev, uint32_t pasid);
    bool irq_pending(uint32_t iommu) const { return iommus_[iommu]->irq_pending(); }

    // The core's fault API as the driver calls it (platform->report_fault,
    // flush_faults, discard_partial), and its PASID allocator
    // (alloc_mm_pasid): the driver instance routes them.
    struct CoreHooks {
        std::function<int(uint32_t dev, const svac_fault &f)> report;
        std::function<void(uint32_t dev, uint32_t pasid)> flush;
        std::function<void(uint32_t iommu)> discard;
        std::function<int(uint32_t mm, uint32_t min, uint32_t max, uint32_t *pasid)> alloc_pasid;
    } core;

    // What the current driver call stored and submitted; the engine clears it
    // before each call.
    ref::CallRecord &call_record() { return call_; }
    // The CPU side of every mm, as mm_info reports it.
    const std::vector<svac_mm_info> &mm_infos() const { return mm_infos_; }
    const std::vector<const ref::IommuModel *> &iommu_models() const { return model_ptrs_; }

    // Allocations (svac_platform.alloc): the driver's Nth is refused when
    // set (1-based, over the instance's life; 0: none), for a fail-nth sweep.
    void fail_alloc_nth(uint64_t n) { fail_alloc_nth_ = n; }
    uint64_t allocs() const { return allocs_; } // asked for so far, a refused one included
    // Whether the refused allocation was asked for since the last call.
    bool take_alloc_refused() { return std::exchange(alloc_refused_, false); }

    // Counters the engine reads after each driver call and then clears.
    uint32_t take_stray_stores();
    uint32_t take_rejected_commands();
    uint32_t take_bad_frees(); // frees of blocks the driver did not hold (not of 0)
    // The register interface since the last call: nullopt if the driver did
    // not use it, else the misuses the models saw (RegisterMisuse).
    std::optional<std::vector<ref::RegisterMisuse>> take_register_misuse();
    uint32_t unsynced_commands() const;

private:
    const ref::Topology &topo_;
    SimMemory mem_;
    MmModel mms_;
    std::vector<std::unique_ptr<ref::IommuModel>> iommus_;
    svac_platform abi_{};
    ref::CallRecord call_;
    std::vector<svac_mm_info> mm_infos_; // fixed once the page tables exist
    std::vector<const ref::IommuModel *> model_ptrs_;
    uint32_t stray_ = 0;
    uint32_t bad_frees_ = 0;
    uint32_t rejected_ = 0;
    bool register_traffic_ = false; // a queue's commands consumed, or a misuse seen
    void record_command(uint32_t iommu, const uint64_t *cmd, uint32_t qwords, int rc);
    uint64_t allocs_ = 0;
    uint64_t fail_alloc_nth_ = 0;
    bool alloc_refused_ = false;

    // A PCIe function's PRI state, or a stall master's stalled transactions.
    struct Request {
        bool has_pasid = false;
        uint32_t pasid = 0;
        uint64_t va = 0;
        uint8_t access = 0;
    };
    struct OpenGroup {
        std::vector<Request> requests;
        bool last = false; // its Last request was sent
    };
    struct DeviceState {
        bool pri_stopped = false; // a Response Failure reached it (PCIe PRI Status.RF)
        uint32_t next_prg = 0;
        // By PRG index, awaiting their response, oldest first: a device that
        // reuses an index while its group is pending (malformed) starts another.
        std::map<uint32_t, std::vector<OpenGroup>> groups;
        std::map<uint32_t, Request> stalls;  // by STAG
        OpenGroup &open_group(uint32_t prg); // the group a new request of index prg joins
    };
    bool queue(uint32_t dev, ref::PageRequest &req);
    void retry(uint32_t dev, const Request &r);
    std::vector<DeviceState> devices_;
    FaultLog log_;
};

} // namespace svac::engine
