#include "engine/host/protocol.h"

#include <fmt/format.h>

namespace svac::engine::host {

std::string_view frame_type_name(FrameType t) {
    switch (t) {
    case FrameType::ready:
        return "ready";
    case FrameType::step:
        return "step";
    case FrameType::events:
        return "events";
    case FrameType::done:
        return "done";
    case FrameType::error:
        return "error";
    case FrameType::ended:
        return "ended";
    case FrameType::run:
        return "run";
    case FrameType::quit:
        return "quit";
    }
    return "?";
}

namespace {

bool known(uint8_t t) {
    switch (static_cast<FrameType>(t)) {
    case FrameType::ready:
    case FrameType::step:
    case FrameType::events:
    case FrameType::done:
    case FrameType::error:
    case FrameType::ended:
    case FrameType::run:
    case FrameType::quit:
        return true;
    }
    return false;
}

} // namespace

void append_header(std::string &out, FrameType type, uint32_t seq, std::size_t payload_bytes) {
    char h[kHeaderBytes] = {};
    const auto len = static_cast<uint32_t>(payload_bytes);
    std::memcpy(h, &len, 4);
    h[4] = static_cast<char>(type);
    std::memcpy(h + 8, &seq, 4);
    out.append(h, sizeof h);
}

void FrameReader::feed(const char *data, std::size_t n) {
    if (pos_ > 0 && pos_ >= buf_.size() / 2) { // what was taken goes, now and then
        buf_.erase(0, pos_);
        pos_ = 0;
    }
    buf_.append(data, n);
}

std::optional<Frame> FrameReader::next() {
    if (!error_.empty() || buffered() < kHeaderBytes) return std::nullopt;
    const char *h = buf_.data() + pos_;
    uint32_t len = 0, seq = 0;
    std::memcpy(&len, h, 4);
    std::memcpy(&seq, h + 8, 4);
    const auto type = static_cast<uint8_t>(h[4]);
    if (len > kMaxPayload) {
        error_ = fmt::format("frame {} announces {} bytes, over the limit of {}", seq_, len,
                             kMaxPayload);
        return std::nullopt;
    }
    if (!known(type) || h[5] || h[6] || h[7]) {
        error_ = fmt::format("frame {} has a header that is not the protocol's (type {}, "
                             "reserved bytes {:#x} {:#x} {:#x})",
                             seq_, type, uint8_t(h[5]), uint8_t(h[6]), uint8_t(h[7]));
        return std::nullopt;
    }
    if (seq != seq_) {
        error_ = fmt::format("frame {} came with sequence number {}", seq_, seq);
        return std::nullopt;
    }
    if (buffered() < kHeaderBytes + len) return std::nullopt;
    Frame f{static_cast<FrameType>(type), seq, buf_.substr(pos_ + kHeaderBytes, len)};
    pos_ += kHeaderBytes + len;
    ++seq_;
    return f;
}

void EventWriter::call(const EntryCall &c) {
    u8(static_cast<uint8_t>(c.entry));
    for (uint32_t v : {c.dev, c.feat, c.mm, c.pasid, c.min_pasid, c.max_pasid, c.iommu}) u32(v);
    for (uint64_t v : {c.drvdata, c.start, c.end}) u64(v);
    for (uint32_t v : {c.resp.flags, c.resp.pasid, c.resp.grpid, c.resp.code}) u32(v);
    u64(c.handle);
    u8(c.with_exit);
    u64(c.old);
}

void EventWriter::fault(const svac_fault &f) {
    for (uint32_t v : {f.flags, f.pasid, f.grpid, f.perm}) u32(v);
    u64(f.addr);
}

std::string_view event_tag_name(EventTag t) {
    switch (t) {
    case EventTag::create:
        return "create";
    case EventTag::created:
        return "created";
    case EventTag::enter:
        return "enter";
    case EventTag::leave:
        return "leave";
    case EventTag::alloc:
        return "alloc";
    case EventTag::free:
        return "free";
    case EventTag::write64:
        return "write64";
    case EventTag::write_reg:
        return "write_reg";
    case EventTag::submit_cmd:
        return "submit_cmd";
    case EventTag::report_fault:
        return "report_fault";
    case EventTag::flush_faults:
        return "flush_faults";
    case EventTag::discard_partial:
        return "discard_partial";
    case EventTag::mm_exit:
        return "mm_exit";
    case EventTag::returned:
        return "returned";
    case EventTag::alloc_mm_pasid:
        return "alloc_mm_pasid";
    }
    return "?";
}

} // namespace svac::engine::host
