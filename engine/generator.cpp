#include "engine/generator.h"

#include <algorithm>
#include <map>
#include <stdexcept>

namespace svac::engine {

namespace {

using ref::Op;
using ref::OpKind;

// PASID widths: mostly the full 20 bits, often tiny so that exhaustion and
// the inclusive upper bound (PASID-3, PASID-5) are reached, sometimes none.
uint8_t pasid_width(Rng &rng) {
    uint64_t r = rng.below(100);
    if (r < 45) return 20;
    if (r < 80) return static_cast<uint8_t>(rng.between(1, 3));
    if (r < 90) return static_cast<uint8_t>(rng.between(4, 19));
    return 0;
}

ref::Arch pick_arch(Rng &rng, uint32_t mask) {
    ref::Arch choices[2];
    unsigned n = 0;
    if (mask & (1u << SVAC_ARCH_SMMUV3)) choices[n++] = ref::Arch::smmuv3;
    if (mask & (1u << SVAC_ARCH_VTD)) choices[n++] = ref::Arch::vtd;
    return n ? choices[rng.below(n)] : ref::Arch::smmuv3;
}

// SVA, now and then an unknown feature; where the profile has it, IOPF too.
uint32_t feature(Rng &rng, const ref::Profile &p) {
    if (p.iopf_feature && rng.percent(30)) return SVAC_FEAT_IOPF;
    return rng.percent(95) ? SVAC_FEAT_SVA : static_cast<uint32_t>(rng.between(2, 200));
}

} // namespace

uint32_t HandleNames::bind(uint32_t dev, uint32_t mm) {
    if (auto held = name_of(dev, mm)) {
        ++live[*held].refs;
        return *held;
    }
    const uint32_t name = ref::lowest_free_name(live);
    live[name] = {dev, mm, 1};
    return name;
}

std::optional<uint32_t> HandleNames::pick(Rng &rng) const {
    if (live.empty()) return std::nullopt;
    auto it = live.begin();
    std::advance(it, static_cast<long>(rng.below(live.size())));
    return it->first;
}

std::optional<uint32_t> HandleNames::name_of(uint32_t dev, uint32_t mm) const {
    for (const auto &[name, h] : live)
        if (h.dev == dev && h.mm == mm) return name;
    return std::nullopt;
}

void HandleNames::unbind(uint32_t name) {
    auto it = live.find(name);
    if (it != live.end() && --it->second.refs == 0) live.erase(it);
}

namespace {

// PASID limits around the interesting edges of the device's width.
void param_range(Rng &rng, uint32_t width_max, Op &op) {
    uint64_t r = rng.below(100);
    uint32_t w = std::max<uint32_t>(width_max, 1);
    if (r < 60) {
        op.min = static_cast<uint32_t>(rng.between(1, w));
        op.max = rng.percent(40) ? w : static_cast<uint32_t>(rng.between(op.min, w));
    } else if (r < 70) {
        op.min = 0; // PARAM-2
        op.max = static_cast<uint32_t>(rng.between(0, w));
    } else if (r < 80) {
        op.max = static_cast<uint32_t>(rng.between(1, w));
        op.min = op.max + 1; // min > max
    } else if (r < 90) {
        op.min = 1;
        op.max = width_max + 1; // beyond the width
    } else {
        op.min = op.max = static_cast<uint32_t>(rng.between(1, w));
    }
}

// Addresses cluster on a few pages so that DMA meets mapped, unmapped and
// write-protected pages; now and then one lands anywhere.
constexpr uint64_t kVaBase = 0x40'0000;
constexpr unsigned kVaPages = 12;

uint64_t page_va(Rng &rng) {
    return kVaBase + rng.below(kVaPages) * ref::kPageSize;
}

uint8_t mapping_perms(Rng &rng) {
    static constexpr uint8_t kChoices[] = {ref::kRead, ref::kRead | ref::kWrite,
                                           ref::kRead | ref::kExec,
                                           ref::kRead | ref::kWrite | ref::kExec};
    return kChoices[rng.below(std::size(kChoices))];
}

bool is_hardware(OpKind k) {
    return ref::op_is_mm_change(k) || k == OpKind::dma || k == OpKind::page_request ||
           k == OpKind::page_response || k == OpKind::register_fault_handler ||
           k == OpKind::unregister_fault_handler || k == OpKind::queue_overflow;
}

// A DMA's length: mostly one page, up to four.
uint32_t dma_pages(Rng &rng) {
    return rng.percent(75) ? 1 : static_cast<uint32_t>(rng.between(2, 4));
}

// The page request groups of each device: the next fresh PRG index, the
// group left open by a request without Last, the indices used lately.
struct PrgState {
    uint32_t next = 0;
    bool open = false;
    uint32_t open_group = 0;
    std::vector<uint32_t> recent; // most recent last, at most 4
    void used(uint32_t g) {
        std::erase(recent, g);
        recent.push_back(g);
        if (recent.size() > 4) recent.erase(recent.begin());
    }
};

void mm_range(Rng &rng, Op &op) {
    op.va = page_va(rng);
    uint64_t left = kVaPages - (op.va - kVaBase) / ref::kPageSize;
    op.pages = static_cast<uint32_t>(rng.between(1, std::min<uint64_t>(4, left)));
}

} // namespace

ref::Topology generate_topology(Rng &rng, const GenConfig &cfg) {
    ref::Topology t;
    auto n_iommus = rng.between(1, 2);
    ref::Arch arch = pick_arch(rng, cfg.arch_mask); // one kind of machine per topology
    for (uint64_t i = 0; i < n_iommus; ++i) {
        ref::Iommu iommu;
        iommu.arch = arch;
        iommu.pasid_bits = rng.percent(85) ? 20 : pasid_width(rng);
        iommu.sva = rng.percent(90);
        t.iommus.push_back(iommu);
    }
    auto n_devices = rng.between(1, 4);
    for (uint64_t i = 0; i < n_devices; ++i) {
        ref::Device d;
        d.iommu = static_cast<uint32_t>(rng.below(n_iommus));
        d.pasid_bits = pasid_width(rng);
        d.pri = rng.percent(70);
        d.stall = t.iommus[d.iommu].arch == ref::Arch::smmuv3 && rng.percent(30);
        d.ats = d.pri && rng.percent(60);
        t.devices.push_back(d);
    }
    t.mms = static_cast<uint32_t>(rng.between(1, 6));
    return t;
}

Trace generate_trace(Rng &rng, const GenConfig &cfg) {
    Trace trace;
    trace.profile = cfg.profile;
    trace.topology = generate_topology(rng, cfg);
    const ref::Profile *found = ref::find_profile(cfg.profile);
    const ref::Profile &profile = found ? *found : ref::default_profile();
    const bool by_handle = profile.contract != ref::Contract::rfc2019;
    const ref::Topology &t = trace.topology;
    const auto n_devs = static_cast<uint32_t>(t.devices.size());
    std::vector<bool> exited(t.mms, false), freed(t.mms, false);
    HandleNames handles;
    auto dev = [&] { return static_cast<uint32_t>(rng.below(n_devs)); };
    auto mm = [&] { return static_cast<uint32_t>(rng.below(t.mms)); };

    // Most sequences start with SVA enabled on every device (IOPF first where
    // the profile has it), so binds count.
    if (rng.percent(80) && profile.feature_api)
        for (uint32_t d = 0; d < n_devs && trace.ops.size() < cfg.ops; ++d) {
            Op op;
            op.kind = OpKind::enable_feature;
            op.dev = d;
            if (profile.iopf_feature) {
                op.feat = SVAC_FEAT_IOPF;
                trace.ops.push_back(op);
                if (trace.ops.size() == cfg.ops) break;
            }
            op.feat = SVAC_FEAT_SVA;
            trace.ops.push_back(op);
        }

    struct Weighted {
        OpKind kind;
        unsigned weight;
    };
    if (cfg.hardware) {
        // Most sequences give every device a fault handler early, so that
        // most faults are handled; the others leave some devices without.
        bool all_handlers = rng.percent(70);
        for (uint32_t d = 0; d < n_devs && trace.ops.size() < cfg.ops &&
                             ref::op_in_profile(OpKind::register_fault_handler, profile);
             ++d)
            if (all_handlers || rng.percent(50)) {
                Op op;
                op.kind = OpKind::register_fault_handler;
                op.dev = d;
                trace.ops.push_back(op);
            }
        // Most mms start with some pages mapped, so that DMA can translate;
        // half of those mappings are lazy, so that DMA faults.
        for (uint32_t m = 0; m < t.mms && trace.ops.size() < cfg.ops; ++m)
            if (rng.percent(75)) {
                Op op;
                op.kind = OpKind::mm_map;
                op.mm = m;
                op.va = kVaBase;
                op.pages = kVaPages;
                op.perms = mapping_perms(rng);
                op.lazy = rng.percent(25);
                trace.ops.push_back(op);
            }
    }
    std::vector<PrgState> prg(n_devs);

    // The I/O page fault ops (the last five) come in with the hardware: DMA
    // to lazy or missing pages raises faults, the responses answer them.
    static constexpr Weighted kMix[] = {
        {OpKind::has_feature, 4},
        {OpKind::feature_enabled, 5},
        {OpKind::enable_feature, 6},
        {OpKind::disable_feature, 5},
        {OpKind::set_sva_param, 6},
        {OpKind::bind, 34},
        {OpKind::unbind, 26},
        {OpKind::mm_exit, 4},
        {OpKind::mm_map, 4},
        {OpKind::mm_unmap, 4},
        {OpKind::mm_protect, 4},
        {OpKind::dma, 30},
        {OpKind::page_request, 6},
        {OpKind::page_response, 12},
        {OpKind::register_fault_handler, 3},
        {OpKind::unregister_fault_handler, 1},
        {OpKind::queue_overflow, 1},
        // later API generations (rfc2019's mix stays as it was)
        {OpKind::set_ops, 3},
        {OpKind::mm_free, 3},
    };
    unsigned total = 0;
    for (const auto &w : kMix)
        if (ref::op_in_profile(w.kind, profile)) total += w.weight;

    while (trace.ops.size() < cfg.ops) {
        auto pick = static_cast<unsigned>(rng.below(total));
        OpKind kind = kMix[0].kind;
        for (const auto &w : kMix) {
            if (!ref::op_in_profile(w.kind, profile)) continue;
            if (pick < w.weight) {
                kind = w.kind;
                break;
            }
            pick -= w.weight;
        }
        if (!cfg.hardware && is_hardware(kind)) continue;
        Op op;
        op.kind = kind;
        switch (kind) {
        case OpKind::has_feature:
        case OpKind::feature_enabled:
        case OpKind::enable_feature:
        case OpKind::disable_feature:
            op.dev = dev();
            op.feat = feature(rng, profile);
            break;
        case OpKind::set_sva_param:
            op.dev = dev();
            param_range(rng, ref::pasid_width_max(t.devices[op.dev].pasid_bits), op);
            break;
        case OpKind::bind:
            op.dev = dev();
            op.mm = mm();
            op.drvdata = rng.below(1000);
            if (!profile.mm_exit_callback) op.drvdata = 0; // no callback to pass it to
            if (by_handle && !exited[op.mm]) handles.bind(op.dev, op.mm);
            break;
        case OpKind::unbind:
            if (by_handle) { // a handle the caller holds
                auto name = handles.pick(rng);
                if (!name) continue;
                op.by_handle = true;
                op.handle = *name;
                handles.unbind(*name);
                break;
            }
            op.dev = dev();
            if (rng.percent(85)) {
                op.pasid = {true, mm()};
            } else { // a PASID nobody may hold: 0, small ones, the top of a width
                uint64_t r = rng.below(3);
                op.pasid.value =
                    r == 0   ? 0
                    : r == 1 ? static_cast<uint32_t>(rng.between(1, 8))
                             : ref::pasid_width_max(static_cast<uint32_t>(rng.between(1, 20)));
            }
            break;
        case OpKind::mm_exit: {
            op.mm = mm();
            if (exited[op.mm]) continue; // an mm exits once
            exited[op.mm] = true;
            break;
        }
        case OpKind::mm_map:
        case OpKind::mm_unmap:
        case OpKind::mm_protect:
            op.mm = mm();
            if (exited[op.mm]) continue; // its address space is gone
            mm_range(rng, op);
            op.perms = kind == OpKind::mm_unmap ? 0 : mapping_perms(rng);
            op.lazy = kind == OpKind::mm_map && rng.percent(25);
            break;
        case OpKind::dma: {
            op.dev = dev();
            uint64_t r = rng.below(100);
            if (r < 76)
                op.pasid = {true, mm()};
            else if (r < 88)
                op.no_pasid = true;
            else // a literal: mostly the first PASIDs handed out, which unbinds free
                op.pasid.value = rng.percent(70) ? static_cast<uint32_t>(rng.between(1, 2))
                                                 : static_cast<uint32_t>(rng.between(0, 8));
            op.va = rng.percent(90) ? page_va(rng) + rng.below(ref::kPageSize / 8) * 8
                                    : rng.below(uint64_t{1} << 48) & ~uint64_t{7};
            static constexpr uint8_t kAccess[] = {ref::kRead, ref::kRead, ref::kWrite, ref::kWrite,
                                                  ref::kExec};
            op.perms = kAccess[rng.below(std::size(kAccess))];
            op.pages = dma_pages(rng);
            // Every page within the 48-bit space.
            if (op.va + uint64_t{op.pages - 1} * ref::kPageSize >= uint64_t{1} << ref::kVaBits)
                op.pages = 1;
            break;
        }
        case OpKind::page_request: {
            op.dev = dev();
            PrgState &g = prg[op.dev];
            uint64_t r = rng.below(100);
            if (r < 82)
                op.pasid = {true, mm()};
            else if (r < 92)
                op.pasid.value = static_cast<uint32_t>(rng.between(0, 8));
            else
                op.no_pasid = true; // malformed for SVA: answered INVALID
            r = rng.below(100);
            op.va = r < 92   ? page_va(rng)
                    : r < 96 ? 0xffff'ffff'ffff'f000ull // an absurd page
                             : rng.below(uint64_t{1} << 36) << ref::kPageShift;
            op.perms = kPageRequestAccess[rng.below(std::size(kPageRequestAccess))];
            // Mostly the open group or a fresh index; sometimes one used
            // lately (reused while it may be outstanding) or any.
            r = rng.below(100);
            if (g.open && r < 80) {
                op.group = g.open_group;
            } else if (r < 88 || g.recent.empty()) {
                op.group = g.next;
                g.next = (g.next + 1) % (kMaxPrgIndex + 1);
            } else if (r < 96) {
                op.group = g.recent[rng.below(g.recent.size())];
            } else {
                op.group = static_cast<uint32_t>(rng.below(kMaxPrgIndex + 1));
            }
            op.last = rng.percent(70);
            if (rng.percent(4)) { // a Stop Marker: Last, no access, a PASID
                op.stop = op.last = true;
                op.perms = 0;
                if (op.no_pasid) {
                    op.no_pasid = false;
                    op.pasid = {true, mm()};
                }
            }
            op.bad_sid = rng.percent(3);
            g.used(op.group);
            g.open = !op.last;
            g.open_group = op.group;
            break;
        }
        case OpKind::page_response: {
            op.dev = dev();
            // Mostly the oldest pending group, by the handler; sometimes a
            // named group, pending or not; rarely FAILURE (it stops the
            // device's page requests).
            if (rng.percent(20)) {
                op.has_group = true;
                const auto &recent = prg[op.dev].recent;
                op.group = !recent.empty() && rng.percent(60)
                               ? recent[rng.below(recent.size())]
                               : static_cast<uint32_t>(rng.below(kMaxResponseGroup + 1));
            }
            uint64_t r = rng.below(100);
            op.answer = r < 86   ? Op::Answer::handler
                        : r < 98 ? Op::Answer::invalid
                                 : Op::Answer::failure;
            break;
        }
        case OpKind::register_fault_handler:
        case OpKind::unregister_fault_handler:
        case OpKind::queue_overflow:
            op.dev = dev();
            break;
        case OpKind::set_ops: { // mostly the ops it has, or its first
            auto name = handles.pick(rng);
            if (!name) continue;
            op.by_handle = true;
            op.handle = *name;
            op.ops = static_cast<uint32_t>(rng.between(1, 2));
            break;
        }
        case OpKind::mm_free: // the last mmdrop, once, after the mm's exit
            op.mm = mm();
            if (!exited[op.mm] || freed[op.mm]) continue;
            freed[op.mm] = true;
            break;
        case OpKind::count_:
            continue;
        }
        trace.ops.push_back(op);
    }
    return trace;
}

namespace {

std::map<std::string, Remake, std::less<>> &generators() {
    static std::map<std::string, Remake, std::less<>> registered;
    return registered;
}

Trace remake_plain(const json &recipe) {
    GenConfig cfg;
    cfg.ops = recipe.at("ops").get<uint32_t>();
    cfg.arch_mask = recipe.at("arch_mask").get<uint32_t>();
    cfg.profile = recipe.at("profile").get<std::string>();
    cfg.hardware = recipe.at("hardware").get<bool>();
    Rng rng(recipe.at("rng_state").get<uint64_t>());
    return generate_trace(rng, cfg);
}

[[maybe_unused]] const bool plain_registered = register_generator("plain", remake_plain);

} // namespace

Made plain_made(uint64_t rng_state, const GenConfig &cfg) {
    return {"plain",
            {{"rng_state", rng_state},
             {"ops", cfg.ops},
             {"arch_mask", cfg.arch_mask},
             {"profile", cfg.profile},
             {"hardware", cfg.hardware}}};
}

bool register_generator(const std::string &name, Remake remake) {
    return generators().insert_or_assign(name, remake).second;
}

std::optional<Trace> remake(const Made &made) {
    const auto it = generators().find(made.generator);
    if (it == generators().end()) return std::nullopt;
    try {
        return it->second(made.recipe);
    } catch (const json::exception &e) {
        throw std::runtime_error("generator " + made.generator + ": a recipe it cannot read (" +
                                 e.what() + ")");
    }
}

} // namespace svac::engine
