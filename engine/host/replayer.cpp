#include "engine/host/replayer.h"

#include <fmt/format.h>

#include <array>

namespace svac::engine::host {

void Replayer::disagree(const std::string &what) {
    broken_ = true;
    throw CallLost(ref::ClauseId::ROBUST_6, "the host's account of the call broke", what);
}

template <class T> T Replayer::read() {
    while (buf_.size() - pos_ < sizeof(T)) {
        if (pos_ > 0) {
            buf_.erase(0, pos_);
            pos_ = 0;
        }
        try {
            source_.more(buf_);
        } catch (...) {
            broken_ = true;
            throw;
        }
    }
    T v;
    std::memcpy(&v, buf_.data() + pos_, sizeof v);
    pos_ += sizeof v;
    return v;
}

EventTag Replayer::next_tag() {
    const auto t = read<uint8_t>();
    if (t < static_cast<uint8_t>(EventTag::create) ||
        t > static_cast<uint8_t>(EventTag::alloc_mm_pasid))
        disagree(fmt::format("an event with the unknown tag {}", t));
    return static_cast<EventTag>(t);
}

EntryCall Replayer::read_call() {
    EntryCall c;
    const auto e = read<uint8_t>();
    if (e >= static_cast<uint8_t>(Entry::count_))
        disagree(fmt::format("a call of the unknown entry point {}", e));
    c.entry = static_cast<Entry>(e);
    for (uint32_t *v : {&c.dev, &c.feat, &c.mm, &c.pasid, &c.min_pasid, &c.max_pasid, &c.iommu})
        *v = read<uint32_t>();
    for (uint64_t *v : {&c.drvdata, &c.start, &c.end}) *v = read<uint64_t>();
    for (uint32_t *v : {&c.resp.flags, &c.resp.pasid, &c.resp.grpid, &c.resp.code})
        *v = read<uint32_t>();
    c.handle = read<uint64_t>();
    c.with_exit = read<uint8_t>() != 0;
    c.old = read<uint64_t>();
    return c;
}

svac_fault Replayer::read_fault() {
    svac_fault f{};
    for (uint32_t *v : {&f.flags, &f.pasid, &f.grpid, &f.perm}) *v = read<uint32_t>();
    f.addr = read<uint64_t>();
    return f;
}

EventTag Replayer::replay() {
    for (;;) {
        const EventTag t = next_tag();
        switch (t) {
        case EventTag::alloc: {
            const auto bytes = read<uint64_t>(), align = read<uint64_t>(), pa = read<uint64_t>();
            const uint64_t got = p_->alloc(p_->ctx, bytes, align);
            if (got != pa)
                disagree(fmt::format("alloc({}, {}) returned {:#x} in the host, {:#x} here", bytes,
                                     align, pa, got));
            break;
        }
        case EventTag::free:
            p_->free(p_->ctx, read<uint64_t>());
            break;
        case EventTag::write64: {
            const auto pa = read<uint64_t>(), val = read<uint64_t>();
            p_->write64(p_->ctx, pa, val);
            break;
        }
        case EventTag::write_reg: {
            const auto iommu = read<uint32_t>(), offset = read<uint32_t>();
            p_->write_reg(p_->ctx, iommu, offset, read<uint64_t>());
            break;
        }
        case EventTag::submit_cmd: {
            const auto iommu = read<uint32_t>(), qwords = read<uint32_t>();
            const bool has = read<uint8_t>() != 0;
            std::array<uint64_t, 4> q{};
            for (auto &w : q) w = read<uint64_t>();
            const auto rc = read<int32_t>();
            const int got = p_->submit_cmd(p_->ctx, iommu, has ? q.data() : nullptr, qwords);
            if (got != rc)
                disagree(fmt::format("a command to IOMMU {} returned {} in the host, {} here",
                                     iommu, rc, got));
            break;
        }
        case EventTag::report_fault: {
            const auto dev = read<uint32_t>();
            const bool has = read<uint8_t>() != 0;
            const svac_fault f = read_fault();
            const int got = p_->report_fault(p_->ctx, dev, has ? &f : nullptr);
            if (next_tag() != EventTag::returned)
                disagree("report_fault: the host's core called the driver back, the kit's did not");
            if (const auto rc = read<int32_t>(); rc != got)
                disagree(fmt::format("report_fault returned {} in the host, {} here", rc, got));
            break;
        }
        case EventTag::flush_faults: {
            const auto dev = read<uint32_t>(), pasid = read<uint32_t>();
            p_->flush_faults(p_->ctx, dev, pasid);
            if (next_tag() != EventTag::returned)
                disagree("flush_faults: the host's core called the driver back, the kit's did not");
            read<int32_t>();
            break;
        }
        case EventTag::discard_partial:
            p_->discard_partial(p_->ctx, read<uint32_t>());
            break;
        case EventTag::alloc_mm_pasid: {
            const auto mm = read<uint32_t>(), min = read<uint32_t>(), max = read<uint32_t>();
            const auto rc = read<int32_t>();
            const auto pasid = read<uint32_t>();
            uint32_t got_pasid = SVAC_PASID_INVALID;
            const int got = p_->alloc_mm_pasid(p_->ctx, mm, min, max, &got_pasid);
            if (got != rc || (rc == 0 && got_pasid != pasid))
                disagree(fmt::format("alloc_mm_pasid(mm {}, {}..{}) gave {} (PASID {}) in the "
                                     "host, {} (PASID {}) here",
                                     mm, min, max, rc, pasid, got, got_pasid));
            break;
        }
        case EventTag::mm_exit: {
            const auto dev = read<uint32_t>(), pasid = read<uint32_t>();
            const auto drvdata = read<uint64_t>();
            if (on_exit_) on_exit_(dev, pasid, drvdata);
            break;
        }
        case EventTag::leave:
        case EventTag::created:
        case EventTag::returned:
            return t;
        case EventTag::create:
        case EventTag::enter:
            disagree(fmt::format("the host called the driver ({}) inside a call, where the kit's "
                                 "instance did not",
                                 event_tag_name(t)));
        }
    }
}

bool Replayer::create(const svac_platform *p, const svac_topology *, MmExit on_exit) {
    p_ = p;
    on_exit_ = std::move(on_exit);
    if (next_tag() != EventTag::create) disagree("the host's account does not begin with create");
    if (replay() != EventTag::created) disagree("create did not end with its result");
    return read<uint8_t>() != 0;
}

EntryReturn Replayer::call(const EntryCall &c) {
    if (broken_) return {};
    const EventTag t = next_tag();
    if (t != EventTag::enter)
        disagree(fmt::format("the kit called {} where the host's account has {}", c.to_string(),
                             event_tag_name(t)));
    const EntryCall h = read_call();
    if (!(h == c))
        disagree(fmt::format("the kit called {} where the host called {}", c.to_string(),
                             h.to_string()));
    if (const EventTag end = replay(); end != EventTag::leave)
        disagree(fmt::format("{} ended with {}, not with its return", c.to_string(),
                             event_tag_name(end)));
    EntryReturn r;
    r.rc = read<int32_t>();
    r.pasid = read<uint32_t>();
    r.pasid_overrun = read<uint8_t>() != 0;
    r.handle = read<uint64_t>();
    return r;
}

} // namespace svac::engine::host
