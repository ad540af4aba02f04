// The hardware model: walks the tables a driver wrote, the way the silicon
// would, and caches what it reads until an invalidation command drops it.
// One model per IOMMU. It never owns memory: each walk is lent a MemoryView.
#pragma once

#include "reference/clauses.h"
#include "reference/memory.h"
#include "reference/topology.h"

#include <array>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <utility>
#include <vector>

namespace svac::ref {

// One DMA transaction as a device issues it.
struct DmaRequest {
    uint32_t sid = 0;       // StreamID / requester ID (the device's index)
    bool has_pasid = false; // SSV / PASID prefix
    uint32_t pasid = 0;
    uint64_t va = 0;
    uint8_t access = 0;             // Perm mask: one of kRead, kWrite, kExec
    const Device *device = nullptr; // its capabilities (PRI, stall, ATS)
};

// A transaction of the device at sid (its capabilities: device), with a
// PASID or without one.
inline DmaRequest dma_request(uint32_t sid, std::optional<uint32_t> pasid, uint64_t va,
                              uint8_t access, const Device *device) {
    DmaRequest r;
    r.sid = sid;
    r.has_pasid = pasid.has_value();
    r.pasid = pasid.value_or(0);
    r.va = va;
    r.access = access;
    r.device = device;
    return r;
}

// What the transaction came to.
struct DmaResult {
    enum class Kind : uint8_t {
        translated,   // pa is the output address
        fault,        // a fault record (event / fault reason) was raised
        page_request, // a recoverable fault: PRI page request or stall
        abort,        // terminated quietly: no record, no request
        failed,       // the device gave up: its page request was answered other than
                      // SUCCESS, or its PRI is stopped (a device outcome, not a walk's)
    } kind = Kind::abort;
    uint64_t pa = 0;
    // Where the walk ended, in words both architectures share (fault,
    // page_request and abort outcomes).
    enum class Reason : uint8_t {
        none,
        disabled,        // translation off, or config abort (STE Config=0)
        bad_stream,      // SMMUv3 C_BAD_STREAMID / VT-d root or RTADDR invalid
        bad_config,      // SMMUv3 C_BAD_STE / VT-d context entry not present or invalid
        stream_disabled, // SMMUv3 F_STREAM_DISABLED (S1DSS terminate)
        bad_substream,   // SSID/PASID out of range, L1CD or PASID directory entry invalid
        bad_context,     // SMMUv3 C_BAD_CD / VT-d PASID entry not present or invalid
        translation,     // no valid mapping at some level (or EPD0)
        permission,      // the mapping lacks the access
    } reason = Reason::none;
    uint32_t event = 0; // SMMUv3: the event ID of a recorded fault (0x10 ...); VT-d: 0
    std::string why;    // a short human explanation of the walk's end
};

std::string_view dma_kind_name(DmaResult::Kind k);
std::string_view dma_reason_name(DmaResult::Reason r);
bool dma_kind_from_name(std::string_view name, DmaResult::Kind &k);

// A recoverable fault as the hardware records it in its queue: a PCIe page
// request a device sent (PRI), or a transaction the SMMU stalled.
struct PageRequest {
    uint32_t sid = 0; // the requester's StreamID / requester ID
    bool has_pasid = false;
    uint32_t pasid = 0;
    uint64_t addr = 0;  // the page address (PRI) or the faulting address (stall)
    uint8_t perm = 0;   // SVAC_FAULT_PERM_*: read, write, exec, priv
    uint32_t group = 0; // PRI: the PRG index; stall: the STAG (chosen by the model)
    bool last = false;  // Last / LPIG; always set for a stall
    bool stall = false;
    // A PCIe Stop Marker: Last with neither read nor write, with a PASID.
    bool stop_marker() const { return !stall && last && !(perm & 3) && has_pasid; }
    bool operator==(const PageRequest &) const = default;
};

// An answer to a page request or a stall as it reached the device, decoded
// from the command the driver submitted (or sent by the hardware itself).
struct PageResponse {
    uint32_t sid = 0;
    bool stall = false; // CMD_RESUME
    bool has_pasid = false;
    uint32_t pasid = 0;
    uint32_t group = 0; // PRG index, or STAG
    // PRI: the PCIe PRG response code the device receives (0 Success,
    // 1 Invalid Request, 0xf Response Failure; others are reserved).
    // Stall: the CMD_RESUME action (1 retry, 2 abort, 0 terminate).
    uint8_t code = 0;
    uint8_t raw = 0;        // the code field as the driver encoded it in its command
    bool automatic = false; // the hardware answered by itself (queue overflow)
    bool operator==(const PageResponse &) const = default;
};

// One table entry as the hardware reads it.
struct DecodedEntry {
    std::string table; // "STE", "L1CD", "CD", "root", "context", "PDE", "PASID"
    std::string key;   // "sid 3", "sid 3 ssid 5", "bus 0", "rid 3 pasid 5", ...
    uint64_t pa = 0;
    std::vector<uint64_t> raw;
    std::vector<std::pair<std::string, uint64_t>> fields; // every field of the format, by name
};

struct ModelDump {
    std::vector<DecodedEntry> entries; // reachable entries, walk order
    std::vector<std::string> caches;   // one line per cached item
};

// A table entry the hardware can reach now (IommuModel::live_entries).
struct LiveEntry {
    enum class Table : uint8_t {
        ste,
        l1std,
        l1cd,
        cd,
        root_lower, // VT-d root entry, LP/LCTP half
        root_upper, // ... UP/UCTP half
        context,
        pde,
        pasid,
    };
    Table table = Table::ste;
    uint8_t qwords = 0;
    uint64_t pa = 0;
    uint32_t id = 0;  // StreamID or requester ID; the bus for root entries
    uint32_t sub = 0; // SSID, PASID, or the index of an L1STD / L1CD / PDE
    // The pointer words the walk read to get here, outermost first; none for
    // a table a register points at. Each holds its pointer and valid bit.
    std::array<uint64_t, 3> via{};
    uint8_t via_count = 0;
};

// A model's registers: the offsets software wrote, with their values (one
// never written reads as 0). A handful of them, so a short sorted list,
// searched from the start, beats a hash table on the walk's path.
class RegisterFile {
public:
    const uint64_t *find(uint32_t offset) const {
        for (const auto &[off, val] : regs_)
            if (off >= offset) return off == offset ? &val : nullptr;
        return nullptr;
    }
    bool contains(uint32_t offset) const { return find(offset) != nullptr; }
    uint64_t get(uint32_t offset) const {
        const uint64_t *v = find(offset);
        return v ? *v : 0;
    }
    uint64_t &operator[](uint32_t offset); // inserted as 0 if absent

private:
    std::vector<std::pair<uint32_t, uint64_t>> regs_; // by offset
};

class IommuModel {
public:
    virtual ~IommuModel() = default;

    virtual void write_reg(uint32_t offset, uint64_t val) = 0;
    virtual uint64_t read_reg(uint32_t offset) const = 0;

    // ---- The register interface's command queue (a kernel driver's path) ----
    // A command the IOMMU took from its queue in memory, with what submit()
    // would have returned for it.
    struct Consumed {
        std::array<uint64_t, 4> q{};
        uint32_t qwords = 0;
        int rc = 0;
    };
    // The hardware acts on the registers software wrote since the last call:
    // it consumes the commands queued in memory (SMMUv3 CMDQ_PROD moved, or
    // an error acknowledged), in order, each as submit() takes it, and writes
    // a sync's completion into memory. The platform calls it after each
    // write_reg. Returns what it consumed.
    virtual std::vector<Consumed> run_command_queue(MemoryBus & /*mem*/) { return {}; }
    // Software stored into memory at pa (a queue slot the hardware still owns
    // is a misuse).
    virtual void observe_store(uint64_t /*pa*/) {}
    // A rule of the register interface broken by software, as the model saw it.
    struct Misuse {
        ClauseId clause{};
        std::string what;
    };
    // Misuses since the last call, in order.
    virtual std::vector<Misuse> take_misuse() { return {}; }

    // One command in the architecture's format. Returns 0, or -EINVAL for
    // an ill-formed one. Commands take effect in order when a sync
    // completes (or at once, a model may choose; the sync is the promise).
    virtual int submit(const MemoryView &mem, const uint64_t *cmd, uint32_t qwords) = 0;
    // Commands submitted but not yet completed by a sync.
    virtual std::size_t unsynced() const = 0;
    // Every command accepted so far, decoded, for dump-tables and messages.
    virtual const std::vector<std::string> &command_log() const = 0;
    // One command as command_log() spells it ("CMD_CFGI_CD sid=1 ssid=3 ...");
    // accepted or not.
    virtual std::string describe_command(const uint64_t *cmd, uint32_t qwords) const = 0;

    // Translates one transaction, filling caches as it goes.
    virtual DmaResult dma(const MemoryView &mem, const DmaRequest &req) = 0;

    // ---- Recoverable faults (I/O page faults) ----
    enum class Queued : uint8_t {
        queued,  // written at the producer index; the interrupt is raised
        dropped, // the queue is disabled, or in an unacknowledged overflow
        overflow // the queue was full: this request entered the overflow condition
    };
    // Puts one page request (or, with req.stall, the stall event record with
    // a STAG the model picks, written back to req.group) in its queue.
    // A request dropped or overflowing with Last set (PRI, not a Stop
    // Marker) is answered by the hardware itself (PageResponse::automatic).
    virtual Queued queue_fault(MemoryBus &mem, PageRequest &req) = 0;
    // The page request queue overflows now, as if a request had arrived while
    // it was full (SMMUv3 PRIQ_PROD.OVFLG toggles; VT-d PRS.PRO is set).
    virtual void overflow_queue() = 0;
    // Records in a queue the driver has not consumed, or an unacknowledged
    // overflow: the interrupt line is up.
    virtual bool irq_pending() const = 0;
    // Responses sent since the last call, in order: decoded from the
    // driver's CMD_PRI_RESP / CMD_RESUME / page group response descriptors,
    // or automatic ones.
    virtual std::vector<PageResponse> take_responses() = 0;

    // The tables the driver wrote, decoded, and the caches' contents
    // (dump-tables).
    virtual ModelDump dump(const MemoryView &mem, const Topology &topo) const = 0;

    // The entries the hardware could read now, for the topology's devices,
    // that hold one of the addresses pas (8-byte aligned, sorted, unique):
    // appended to out. Without `scan`, only those found without scanning a
    // table of pointers (a PASID directory, an L1CD table): a cheap first
    // pass. A model that cannot tell reports none (HW-7).
    virtual void live_entries(const MemoryView & /*mem*/, const Topology & /*topo*/,
                              std::span<const uint64_t> /*pas*/, bool /*scan*/,
                              std::vector<LiveEntry> & /*out*/) const {}
};

// The model of IOMMU number `index` of a topology, for its architecture.
// Given the whole topology, its ID registers describe it (the StreamIDs
// behind it, stall masters); given only the IOMMU, the model assumes a
// topology of 256 StreamIDs without stall masters.
std::unique_ptr<IommuModel> make_iommu_model(const Iommu &desc, uint32_t index);
std::unique_ptr<IommuModel> make_iommu_model(const Topology &topo, uint32_t index);

} // namespace svac::ref
