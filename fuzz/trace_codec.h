// The byte encoding of the sva_diff fuzz target: FuzzedDataProvider choices
// that decode into a topology and up to kMaxFuzzOps ops. Every input decodes
// to a valid trace (indices are drawn within their counts, limits respected),
// and encode_trace writes the bytes a trace decodes from, for seed corpora.
//
// Every choice is one ConsumeIntegralInRange (FuzzedDataProvider reads those
// from the end of the input, most significant byte first), so the encoder
// mirrors it exactly; decoding stops when the input is used up.
#pragma once

#include "engine/trace.h"

#include <fuzzer/FuzzedDataProvider.h>

#include <algorithm>
#include <cstdint>
#include <functional>
#include <optional>
#include <vector>

namespace svac::fuzz {

inline constexpr std::size_t kMaxFuzzOps = 64;
inline constexpr uint32_t kMaxFuzzIommus = 2;
inline constexpr uint32_t kMaxFuzzDevices = 4;
inline constexpr uint32_t kMaxFuzzMms = 6;
inline constexpr uint32_t kMaxFuzzPasidBits = 20;
inline constexpr uint64_t kFuzzPages = 4096;     // page-local addresses: pages 0..4095 (16 MiB)
inline constexpr uint32_t kMaxFuzzMapPages = 16; // mm_map/unmap/protect length
inline constexpr uint64_t kMaxFuzzDrvdata = 65535;
inline constexpr uint32_t kMaxFuzzFeature = 255;
inline constexpr uint32_t kMaxFuzzLiteralPasid = 0xfffff;
inline constexpr uint32_t kMaxFuzzParam = (1u << 21) - 1;
inline constexpr uint32_t kMaxFuzzHandle = 15;  // handle names (unbind, set_ops) from linux-5.3
inline constexpr uint32_t kMaxFuzzOpsValue = 3; // set_ops: which ops (1..3)

// The two sides of the encoding share the same sequence of choices.
class Decoder {
public:
    explicit Decoder(FuzzedDataProvider &fdp) : fdp_(fdp) {}
    uint64_t range(uint64_t lo, uint64_t hi) {
        return fdp_.ConsumeIntegralInRange<uint64_t>(lo, hi);
    }
    bool flag() { return range(0, 1) != 0; }
    bool more() { return fdp_.remaining_bytes() > 0; }

private:
    FuzzedDataProvider &fdp_;
};

class Encoder {
public:
    // Emits v as the choice range(lo, hi) reads it. lo <= v <= hi.
    void put(uint64_t v, uint64_t lo, uint64_t hi) {
        uint64_t span = hi - lo, r = v - lo;
        unsigned n = 0;
        while (n < 8 && (span >> (8 * n)) > 0) ++n;
        for (unsigned i = 0; i < n; ++i)
            read_order_.push_back(static_cast<uint8_t>(r >> (8 * (n - 1 - i))));
    }
    void flag(bool b) { put(b ? 1 : 0, 0, 1); }
    // The input: FuzzedDataProvider reads integers from the end.
    std::vector<uint8_t> bytes() const { return {read_order_.rbegin(), read_order_.rend()}; }

private:
    std::vector<uint8_t> read_order_;
};

namespace detail {

constexpr uint8_t kAccess[] = {ref::kRead, ref::kWrite, ref::kExec};
constexpr uint64_t kVaLimit = uint64_t{1} << ref::kVaBits;

// The mms that have not exited, in index order.
inline std::vector<uint32_t> alive(const std::vector<bool> &exited) {
    std::vector<uint32_t> out;
    for (uint32_t m = 0; m < exited.size(); ++m)
        if (!exited[m]) out.push_back(m);
    return out;
}

} // namespace detail

// The op kinds of a profile's vocabulary, in OpKind order: an op's kind is
// its index here (rfc2019's are the kinds up to queue_overflow, so its
// inputs read as they always have).
inline std::vector<ref::OpKind> codec_kinds(const ref::Profile &p) {
    std::vector<ref::OpKind> v;
    for (uint8_t k = 0; k < static_cast<uint8_t>(ref::OpKind::count_); ++k)
        if (ref::op_in_profile(static_cast<ref::OpKind>(k), p))
            v.push_back(static_cast<ref::OpKind>(k));
    return v;
}

// The ranges each field is drawn from; the same function drives decoding and
// encoding, for the trace's profile. Codec: uint64_t field(uint64_t current,
// lo, hi) returning the value.
template <typename Field>
bool codec_trace(engine::Trace &t, uint32_t arch_mask, Field &&field, bool decoding,
                 const std::function<bool()> &more) {
    using ref::Op;
    using ref::OpKind;
    const ref::Profile *found = ref::find_profile(t.profile);
    if (!found) return false;
    const ref::Profile &profile = *found;
    const std::vector<OpKind> kinds = codec_kinds(profile);
    const bool handles = profile.contract != ref::Contract::rfc2019;
    auto f32 = [&](uint32_t &v, uint64_t lo, uint64_t hi) {
        v = static_cast<uint32_t>(field(v, lo, hi));
    };
    auto f8 = [&](uint8_t &v, uint64_t lo, uint64_t hi) {
        v = static_cast<uint8_t>(field(v, lo, hi));
    };
    auto fb = [&](bool &v) { v = field(v ? 1 : 0, 0, 1) != 0; };
    ref::Topology &topo = t.topology;
    // Topology.
    bool both = (arch_mask & (1u << SVAC_ARCH_SMMUV3)) && (arch_mask & (1u << SVAC_ARCH_VTD));
    ref::Arch only = (arch_mask & (1u << SVAC_ARCH_SMMUV3)) ? ref::Arch::smmuv3 : ref::Arch::vtd;
    uint32_t n_iommus = static_cast<uint32_t>(topo.iommus.size());
    f32(n_iommus, 1, kMaxFuzzIommus);
    if (n_iommus < 1 || n_iommus > kMaxFuzzIommus) return false;
    if (decoding) topo.iommus.resize(n_iommus);
    uint32_t arch = topo.iommus.empty() ? 0 : static_cast<uint32_t>(topo.iommus[0].arch);
    if (both)
        f32(arch, 0, 1);
    else if (!decoding && topo.iommus[0].arch != only)
        return false;
    else
        arch = static_cast<uint32_t>(only);
    for (auto &io : topo.iommus) {
        if (io.arch != static_cast<ref::Arch>(arch) && !decoding) return false;
        io.arch = static_cast<ref::Arch>(arch);
        if (io.pasid_bits > kMaxFuzzPasidBits) return false;
        f8(io.pasid_bits, 0, kMaxFuzzPasidBits);
        fb(io.sva);
    }
    uint32_t n_devs = static_cast<uint32_t>(topo.devices.size());
    f32(n_devs, 1, kMaxFuzzDevices);
    if (n_devs < 1 || n_devs > kMaxFuzzDevices) return false;
    if (decoding) topo.devices.resize(n_devs);
    for (auto &d : topo.devices) {
        if (d.pasid_bits > kMaxFuzzPasidBits) return false;
        f32(d.iommu, 0, n_iommus - 1);
        f8(d.pasid_bits, 0, kMaxFuzzPasidBits);
        fb(d.pri);
        fb(d.stall);
        fb(d.ats);
    }
    if (topo.mms < 1 || topo.mms > kMaxFuzzMms) return false;
    f32(topo.mms, 1, kMaxFuzzMms);

    // Ops.
    std::vector<bool> exited(topo.mms, false), freed(topo.mms, false);
    auto dev = [&](Op &op) { f32(op.dev, 0, n_devs - 1); };
    auto mm = [&](uint32_t &m) { f32(m, 0, topo.mms - 1); };
    // An mm that has not exited, by its rank among those; false if none.
    auto alive_mm = [&](Op &op) {
        auto live = detail::alive(exited);
        if (live.empty()) return false;
        uint32_t rank = 0;
        if (!decoding) {
            auto it = std::find(live.begin(), live.end(), op.mm);
            if (it == live.end()) return false;
            rank = static_cast<uint32_t>(it - live.begin());
        }
        f32(rank, 0, live.size() - 1);
        op.mm = live[rank];
        return true;
    };
    // dma and page_request: a PASID of an mm, none, or a literal.
    auto request_pasid = [&](Op &op) {
        uint32_t mode = op.pasid.of_mm ? 0 : op.no_pasid ? 1 : 2;
        f32(mode, 0, 2);
        op.pasid.of_mm = mode == 0;
        op.no_pasid = mode == 1;
        if (mode == 0)
            mm(op.pasid.value);
        else if (mode == 2) {
            if (op.pasid.value > kMaxFuzzLiteralPasid) return false;
            f32(op.pasid.value, 0, kMaxFuzzLiteralPasid);
        } else
            op.pasid.value = 0;
        return true;
    };
    std::size_t n = 0;
    while (decoding ? (t.ops.size() < kMaxFuzzOps && more()) : n < t.ops.size()) {
        if (!decoding && n >= kMaxFuzzOps) return false;
        Op scratch;
        Op &op = decoding ? scratch : t.ops[n++];
        if (!decoding && op.recorded != ref::Observation{}) return false;
        auto at = std::find(kinds.begin(), kinds.end(), op.kind);
        if (!decoding && at == kinds.end()) return false;
        uint32_t kind = static_cast<uint32_t>(at - kinds.begin());
        f32(kind, 0, kinds.size() - 1);
        op.kind = kinds[kind];
        switch (op.kind) {
        case OpKind::has_feature:
        case OpKind::feature_enabled:
        case OpKind::enable_feature:
        case OpKind::disable_feature: {
            dev(op);
            // 0: SVA; 1: any feature value.
            bool other = op.feat != SVAC_FEAT_SVA;
            if (decoding) other = false;
            fb(other);
            if (other) {
                if (op.feat > kMaxFuzzFeature) return false;
                f32(op.feat, 0, kMaxFuzzFeature);
            } else
                op.feat = SVAC_FEAT_SVA;
            break;
        }
        case OpKind::set_sva_param: {
            dev(op);
            // 0: literals; 1: around the device's width (max = width + d - 2).
            uint32_t mode = 0;
            f32(mode, 0, 1);
            if (mode == 0) {
                if (op.min > kMaxFuzzParam || op.max > kMaxFuzzParam) return false;
                f32(op.min, 0, kMaxFuzzParam);
                f32(op.max, 0, kMaxFuzzParam);
            } else {
                uint32_t w = ref::pasid_width_max(topo.devices[op.dev].pasid_bits);
                uint32_t a = 0, b = 0;
                f32(a, 0, 3);
                f32(b, 0, 3);
                op.min = a;
                op.max = w + b >= 2 ? w + b - 2 : 0;
            }
            break;
        }
        case OpKind::bind:
            dev(op);
            mm(op.mm);
            if (!profile.mm_exit_callback) { // no callback to pass drvdata to
                if (op.drvdata) return false;
                break;
            }
            if (op.drvdata > kMaxFuzzDrvdata) return false;
            op.drvdata = field(op.drvdata, 0, kMaxFuzzDrvdata);
            break;
        case OpKind::unbind: {
            if (handles) { // a handle by its name; one no live bind returned is not run
                if (!decoding && (!op.by_handle || op.handle > kMaxFuzzHandle)) return false;
                op.by_handle = true;
                f32(op.handle, 0, kMaxFuzzHandle);
                break;
            }
            dev(op);
            fb(op.pasid.of_mm);
            if (op.pasid.of_mm)
                mm(op.pasid.value);
            else {
                if (op.pasid.value > kMaxFuzzLiteralPasid) return false;
                f32(op.pasid.value, 0, kMaxFuzzLiteralPasid);
            }
            break;
        }
        case OpKind::mm_exit:
            if (!alive_mm(op)) {
                if (decoding) continue;
                return false;
            }
            exited[op.mm] = true;
            break;
        case OpKind::mm_map:
        case OpKind::mm_unmap:
        case OpKind::mm_protect: {
            if (!alive_mm(op)) {
                if (decoding) continue;
                return false;
            }
            if (op.va % ref::kPageSize || op.va / ref::kPageSize >= kFuzzPages) return false;
            uint64_t page = op.va / ref::kPageSize;
            page = field(page, 0, kFuzzPages - 1);
            op.va = page * ref::kPageSize;
            if (!decoding && (op.pages < 1 || op.pages > kMaxFuzzMapPages)) return false;
            f32(op.pages, 1, kMaxFuzzMapPages);
            // Read and any of write, exec: a present CPU page is readable on
            // both architectures (the generator's shapes).
            if (op.kind != OpKind::mm_unmap) {
                if (!decoding && !(op.perms & ref::kRead)) return false;
                uint32_t extra = op.perms >> 1;
                f32(extra, 0, 3);
                op.perms = static_cast<uint8_t>(ref::kRead | extra << 1);
            } else
                op.perms = 0;
            if (op.kind == OpKind::mm_map)
                fb(op.lazy);
            else
                op.lazy = false;
            break;
        }
        case OpKind::dma: {
            dev(op);
            if (!request_pasid(op)) return false;
            // 0: a page-local address, 8-byte aligned; 1: any address.
            bool local = op.va < kFuzzPages * ref::kPageSize && op.va % 8 == 0;
            fb(local);
            if (!local) {
                op.va = field(op.va, 0, UINT64_MAX);
            } else {
                uint64_t page = op.va / ref::kPageSize, word = op.va % ref::kPageSize / 8;
                page = field(page, 0, kFuzzPages - 1);
                word = field(word, 0, ref::kPageSize / 8 - 1);
                op.va = page * ref::kPageSize + word * 8;
            }
            uint32_t acc = 0;
            while (acc < 3 && detail::kAccess[acc] != op.perms) ++acc;
            if (!decoding && acc == 3) return false;
            f32(acc, 0, 2);
            op.perms = detail::kAccess[acc];
            if (!decoding && (op.pages < 1 || op.pages > engine::kMaxDmaPages)) return false;
            f32(op.pages, 1, engine::kMaxDmaPages);
            // Every page within the 48-bit space.
            if (op.pages > 1 &&
                (op.va >= detail::kVaLimit ||
                 detail::kVaLimit - op.va <= uint64_t{op.pages - 1} * ref::kPageSize)) {
                if (!decoding) return false;
                op.pages = 1;
            }
            break;
        }
        case OpKind::page_request: {
            dev(op);
            if (!request_pasid(op)) return false;
            if (op.va % ref::kPageSize) return false;
            uint64_t page = op.va / ref::kPageSize;
            page = field(page, 0, (uint64_t{1} << (64 - ref::kPageShift)) - 1);
            op.va = page << ref::kPageShift;
            f8(op.perms, 0, 7);
            f32(op.group, 0, engine::kMaxPrgIndex);
            fb(op.last);
            fb(op.stop);
            fb(op.bad_sid);
            if (op.stop) { // a Stop Marker: Last, no access, a PASID
                if (!decoding && (op.perms || op.no_pasid || !op.last)) return false;
                op.perms = 0;
                op.last = true;
                if (op.no_pasid) {
                    op.no_pasid = false;
                    op.pasid = {true, 0};
                }
            }
            break;
        }
        case OpKind::page_response: {
            dev(op);
            fb(op.has_group);
            if (op.has_group)
                f32(op.group, 0, engine::kMaxResponseGroup);
            else
                op.group = 0;
            uint32_t answer = static_cast<uint32_t>(op.answer);
            f32(answer, 0, 2);
            op.answer = static_cast<Op::Answer>(answer);
            break;
        }
        case OpKind::register_fault_handler:
        case OpKind::unregister_fault_handler:
        case OpKind::queue_overflow:
            dev(op);
            break;
        case OpKind::set_ops:
            if (!decoding && (!op.by_handle || op.handle > kMaxFuzzHandle || op.ops < 1 ||
                              op.ops > kMaxFuzzOpsValue))
                return false;
            op.by_handle = true;
            f32(op.handle, 0, kMaxFuzzHandle);
            f32(op.ops, 1, kMaxFuzzOpsValue);
            break;
        case OpKind::mm_free: { // an mm that exited and is not freed, by its rank
            std::vector<uint32_t> cands;
            for (uint32_t m = 0; m < topo.mms; ++m)
                if (exited[m] && !freed[m]) cands.push_back(m);
            auto it = std::find(cands.begin(), cands.end(), op.mm);
            if (cands.empty() || (!decoding && it == cands.end())) {
                if (decoding) continue;
                return false;
            }
            uint32_t rank = decoding ? 0 : static_cast<uint32_t>(it - cands.begin());
            f32(rank, 0, cands.size() - 1);
            op.mm = cands[rank];
            freed[op.mm] = true;
            break;
        }
        case OpKind::count_:
            return false;
        }
        if (decoding) t.ops.push_back(op);
    }
    return true;
}

// The trace an input decodes to, for a driver of these architectures, in
// the vocabulary of `profile` (one of ref::profiles()).
inline engine::Trace decode_trace(const uint8_t *data, std::size_t size, uint32_t arch_mask,
                                  const std::string &profile = "rfc2019") {
    FuzzedDataProvider fdp(data, size);
    Decoder d(fdp);
    engine::Trace t;
    t.profile = profile;
    t.ops.reserve(kMaxFuzzOps); // an Op is large: no regrowth per input
    codec_trace(
        t, arch_mask, [&](uint64_t, uint64_t lo, uint64_t hi) { return d.range(lo, hi); }, true,
        [&] { return d.more(); });
    return t;
}

// The input that decodes to t (under t's profile), or nothing when t lies
// outside the encoding (recorded outcomes, more ops, values beyond the
// ranges above).
inline std::optional<std::vector<uint8_t>> encode_trace(const engine::Trace &t,
                                                        uint32_t arch_mask) {
    Encoder e;
    engine::Trace copy = t;
    bool in_range = true;
    bool ok = codec_trace(
        copy, arch_mask,
        [&](uint64_t v, uint64_t lo, uint64_t hi) {
            if (v < lo || v > hi) {
                in_range = false;
                return lo;
            }
            e.put(v, lo, hi);
            return v;
        },
        false, [] { return false; });
    if (!ok || !in_range) return std::nullopt;
    return e.bytes();
}

} // namespace svac::fuzz
