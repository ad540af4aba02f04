// Snapshots ("sva-snapshot/1"): the tables an IOMMU's driver left in memory,
// captured outside the kit (a test board, an emulator, a kernel's debugfs),
// with the registers that point at them. check-tables (check_tables.h)
// judges one by the same hardware model and invariants as a live run.
// docs/snapshots.md describes the format; reports/schema has its schema.
#pragma once

#include "reference/hw_model.h"
#include "reference/memory.h"
#include "reference/topology.h"

#include <nlohmann/json.hpp>

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace svac::engine {

inline constexpr std::string_view kSnapshotFormat = "sva-snapshot/1";

// A register a snapshot may give, by the architecture's name for it.
struct SnapshotRegister {
    ref::Arch arch;
    std::string_view name; // "SMMU_STRTAB_BASE", "RTADDR_REG"
    uint32_t offset;
    uint8_t bytes; // 4 or 8: a wider value is refused
};
// Every register a snapshot may give, architecture by architecture.
std::span<const SnapshotRegister> snapshot_registers();
const SnapshotRegister *find_snapshot_register(ref::Arch arch, std::string_view name);

// A run of memory: inline qwords, or a file of raw little-endian bytes (a RAM
// dump) mapped from `file_offset`.
struct Extent {
    uint64_t address = 0;
    std::vector<uint64_t> qwords; // inline
    std::string file;             // or a file, as the snapshot names it
    std::string file_path;        // ... resolved against the snapshot's folder
    uint64_t file_offset = 0;
    uint64_t bytes = 0; // the extent's size (inline: 8 * qwords)
    bool operator==(const Extent &) const = default;
};

// A device as the snapshot names it: its StreamID (SMMUv3) or requester ID
// (VT-d: bus << 8 | devfn).
struct SnapshotDevice {
    uint32_t sid = 0;
    std::optional<uint8_t> pasid_bits;
    std::string name;
    bool operator==(const SnapshotDevice &) const = default;
};

// A transaction to walk through the hardware model, and optionally what it
// must come to.
struct Probe {
    uint32_t sid = 0;
    std::optional<uint32_t> pasid;
    uint64_t address = 0;
    uint8_t access = 0; // one of ref::kRead, kWrite, kExec
    std::optional<ref::DmaResult::Kind> expect_kind;
    std::optional<uint64_t> expect_pa;
    std::string origin; // where the expectation came from ("mapped page of ...")
    bool operator==(const Probe &) const = default;
};

struct Snapshot {
    ref::Arch arch = ref::Arch::smmuv3;
    std::string source;                        // free text: what captured it
    std::map<std::string, uint64_t> registers; // by name (snapshot_registers)
    std::vector<Extent> memory;                // sorted by address, disjoint
    std::vector<SnapshotDevice> devices;       // empty: found by scanning the tables
    std::vector<Probe> probes;
    bool operator==(const Snapshot &) const = default;
};

// Limits that keep a hostile snapshot from exhausting the machine.
inline constexpr std::size_t kMaxExtents = 1'000'000;
inline constexpr uint64_t kMaxInlineQwords = uint64_t{1} << 27; // 1 GiB of inline words
inline constexpr uint64_t kMaxFileBytes = uint64_t{1} << 36;    // 64 GiB mapped
inline constexpr uint32_t kMaxSnapshotSid = (1u << 20) - 1;
inline constexpr std::size_t kMaxProbes = 1'000'000;

// Parses and validates a snapshot; `source` names it in errors and
// `base_dir` is where its file extents are found. Errors are InputError
// (trace.h) naming the source, a JSON pointer and the reason. File extents
// are checked to exist and to be as long as they say.
Snapshot parse_snapshot(std::string_view text, std::string_view source,
                        const std::string &base_dir = ".");
Snapshot load_snapshot(const std::string &path);

// The snapshot as JSON (every number as a "0x..." string). File extents
// stay file extents.
nlohmann::ordered_json snapshot_to_json(const Snapshot &s);

// The memory of a snapshot, as the hardware model reads it: a word no extent
// holds reads as 0 and is remembered as missing. Every word read is
// remembered too, so that a caller can tell which extents a walk reached.
class SnapshotMemory final : public ref::MemoryView {
public:
    explicit SnapshotMemory(const Snapshot &s); // maps file extents (InputError)
    ~SnapshotMemory() override;
    SnapshotMemory(const SnapshotMemory &) = delete;
    SnapshotMemory &operator=(const SnapshotMemory &) = delete;

    uint64_t read64(uint64_t pa) const override;
    bool holds(uint64_t pa) const { return find(pa) != nullptr; }

    // The words read that no extent holds, sorted, each once: the first
    // kMissingKept of them; missing_count() counts them all (with repeats).
    std::vector<uint64_t> missing() const;
    uint64_t missing_count() const { return missing_count_; }
    static constexpr std::size_t kMissingKept = 1u << 16;
    // The 4 KiB pages read, sorted, each once.
    std::vector<uint64_t> pages_read() const;
    // Extents none of whose words was read.
    std::vector<std::size_t> unread_extents() const;
    void forget_reads(); // start counting reads afresh

private:
    struct Mapped {
        uint64_t address, bytes;
        const unsigned char *data; // inline words or the mapping
        void *map = nullptr;       // munmap'ed at the end
        std::size_t map_bytes = 0;
        mutable bool read = false;
    };
    const Mapped *find(uint64_t pa) const;
    std::vector<Mapped> extents_;
    mutable std::vector<uint64_t> pages_;   // 4 KiB pages read (unsorted, may repeat)
    mutable std::vector<uint64_t> missing_; // words read outside every extent (kMissingKept)
    mutable uint64_t missing_count_ = 0;
    mutable uint64_t last_page_ = ~uint64_t{0};
};

// A snapshot of IOMMU `iommu` of a run: its registers as the model holds
// them and the memory's non-zero words as inline extents (dump-tables
// --snapshot).
Snapshot snapshot_of(const ref::IommuModel &model, ref::Arch arch,
                     const std::vector<std::pair<uint64_t, std::vector<uint64_t>>> &words,
                     std::string source);

} // namespace svac::engine
