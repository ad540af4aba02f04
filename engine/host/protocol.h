// The driver host's protocol (docs/host-protocol.md): framed messages
// between the kit, which judges, and a host, which runs the driver.
//
// A frame is a 12-byte header, little-endian — payload length (u32), type
// (u8), three zero bytes, sequence number (u32, from 0 in each direction,
// one more per frame) — and the payload, at most kMaxPayload bytes.
//
// The host speaks first (ready), then runs one sequence per `run` frame: a
// `step` frame before each op (its index; the op count before destroy),
// `events` frames with what the driver did, and `done` at the end. Events
// are records of a tag byte and fixed fields: the entry points the host
// called and what they returned, and each platform call the driver made
// that changes the platform (reads are not sent: the kit has the memory).
#pragma once

#include "engine/driver_calls.h"

#include <atomic>
#include <cstdint>
#include <cstring>
#include <optional>
#include <string>
#include <string_view>

namespace svac::engine::host {

// 2: `leave` carries pasid_overrun.
// 3: driver ABI 4: calls carry a handle and with_exit, `leave` the handle a
// call returned; the ready frame says the driver's contracts; the core's
// alloc_mm_pasid is an event.
// 4: driver ABI 5: calls carry the domain set_dev_pasid replaces (old).
inline constexpr uint32_t kProtocolVersion = 4;
inline constexpr std::size_t kHeaderBytes = 12;
inline constexpr uint32_t kMaxPayload = 4u << 20;

enum class FrameType : uint8_t {
    // host -> kit
    ready = 1,  // JSON: {"protocol", "name", "version", "abi_version", "arch_mask", "contracts"}
    step = 2,   // u32: the op the host begins (the op count: destroy)
    events = 3, // event records
    done = 4,   // JSON: {"leak": bool} — the sequence is over
    error = 5,  // JSON: {"message"} — the host's own failure, not the driver's
    ended = 6,  // JSON: {"how", "stderr"} — from a listener: the host ended before its time
    // kit -> host
    run = 16,  // JSON: {"trace", "update_rules", "table_rules", "fail_alloc_nth", "leak_check"}
    quit = 17, // no payload
};

std::string_view frame_type_name(FrameType t);

// A forked host's progress, in memory it shares with the kit: the run it is
// in (counted from 1) and where in it (0: create; i + 1: op i; the op count
// + 1: destroy). A forked host sets it in place of sending step frames, so
// that it sends a sequence's events in one go and still the kit knows,
// without a message, which op a host that died or hung was in.
struct HostStatus {
    std::atomic<uint32_t> run{0};
    std::atomic<uint32_t> step{0};
};

struct Frame {
    FrameType type;
    uint32_t seq = 0;
    std::string payload;
};

// The header of a frame of `payload_bytes`, appended to `out`.
void append_header(std::string &out, FrameType type, uint32_t seq, std::size_t payload_bytes);

// Frames out of a byte stream, in order: feed it what was read, take
// whole frames off. A header that breaks the protocol (a length over the
// limit, an unknown type, non-zero reserved bytes, a sequence number out of
// order) is an error, and the stream is not read further.
class FrameReader {
public:
    void feed(const char *data, std::size_t n);
    // The next whole frame, or nullopt: more bytes are needed, or error() says why not.
    std::optional<Frame> next();
    const std::string &error() const { return error_; }
    std::size_t buffered() const { return buf_.size() - pos_; }
    uint32_t frames() const { return seq_; } // taken so far

private:
    std::string buf_;
    std::size_t pos_ = 0;
    uint32_t seq_ = 0;
    std::string error_;
};

// ---- events ----

enum class EventTag : uint8_t {
    create = 1,           // the host calls create
    created = 2,          // u8 ok: create returned non-NULL
    enter = 3,            // an EntryCall
    leave = 4,            // i32 rc, u32 pasid, u8 pasid_overrun, u64 handle
    alloc = 5,            // u64 bytes, u64 align, u64 pa returned
    free = 6,             // u64 pa
    write64 = 7,          // u64 pa, u64 val
    write_reg = 8,        // u32 iommu, u32 offset, u64 val
    submit_cmd = 9,       // u32 iommu, u32 qwords, u8 has_cmd, 4 x u64 (the first 4 qwords), i32 rc
    report_fault = 10,    // u32 dev, u8 has_fault, svac_fault; nested calls; then `returned`
    flush_faults = 11,    // u32 dev, u32 pasid; nested calls; then `returned`
    discard_partial = 12, // u32 iommu
    mm_exit = 13,         // u32 dev, u32 pasid, u64 drvdata: the driver fired a callback
    returned = 14,        // i32 rc: the platform call of the latest report_fault/flush_faults
    alloc_mm_pasid = 15,  // u32 mm, u32 min, u32 max, i32 rc, u32 pasid: the core's allocator
};

// Appends records to an event buffer.
class EventWriter {
public:
    explicit EventWriter(std::string &out) : out_(out) {}
    void tag(EventTag t) { u8(static_cast<uint8_t>(t)); }
    void u8(uint8_t v) { out_.push_back(static_cast<char>(v)); }
    void u32(uint32_t v) { raw(&v, sizeof v); }
    void i32(int32_t v) { raw(&v, sizeof v); }
    void u64(uint64_t v) { raw(&v, sizeof v); }
    void call(const EntryCall &c);
    void fault(const svac_fault &f);

private:
    void raw(const void *p, std::size_t n) { out_.append(static_cast<const char *>(p), n); }
    std::string &out_;
};

std::string_view event_tag_name(EventTag t);

} // namespace svac::engine::host
