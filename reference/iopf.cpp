// IOPF: I/O page faults (clauses IOPF-*, UNBIND-6, MMEXIT-2, SMMU-CMD-3/4,
// VTD-PRQ-1). The hardware raises page requests (PRI) or stalls; the driver
// drains its queues and reports each to the core; the core groups them, its
// handler resolves each group against the mm, and the driver turns the answer
// into the architecture's command; the device retries or gives up.
#include "reference/hw_model.h"
#include "reference/pagetable.h"
#include "reference/reference.h"
#include "reference/text.h"

#include <algorithm>
#include <string>

namespace svac::ref {

namespace {
using Kind = DmaResult::Kind;
constexpr uint8_t bit(Kind k) {
    return uint8_t(1u << static_cast<unsigned>(k));
}
constexpr uint32_t kAccess = SVAC_FAULT_PERM_READ | SVAC_FAULT_PERM_WRITE | SVAC_FAULT_PERM_EXEC;

FaultRecord request(uint32_t dev, bool has_pasid, uint32_t pasid, uint64_t addr, uint32_t perm,
                    bool last, bool stall) {
    PageRequest r;
    r.has_pasid = has_pasid;
    r.pasid = has_pasid ? pasid : 0;
    r.addr = addr;
    r.perm = static_cast<uint8_t>(perm);
    r.last = last;
    r.stall = stall;
    return raised_record(dev, r);
}

std::string fault_text(const FaultRecord &f) {
    std::string s = "{dev " + std::to_string(f.dev);
    s += (f.flags & SVAC_FAULT_PASID_VALID) ? ", pasid " + std::to_string(f.pasid) : ", no pasid";
    s += ", group " + std::to_string(f.grpid) + ", addr " + hex(f.addr) + ", " +
         perms_name(static_cast<uint8_t>(f.perm & kAccess));
    if (f.perm & SVAC_FAULT_PERM_PRIV) s += " priv";
    if (f.flags & SVAC_FAULT_LAST_PAGE) s += ", last";
    if (f.flags & SVAC_FAULT_NEEDS_PASID) s += ", needs pasid";
    return s + "}";
}

const char *code_name(uint32_t code) {
    return code == SVAC_RESP_SUCCESS   ? "SUCCESS"
           : code == SVAC_RESP_INVALID ? "INVALID"
                                       : "FAILURE";
}

// What the device must receive for the core's code (PCIe 4.0 10.4.2):
// the PCIe response code, or the CMD_RESUME action of a stall (Arm IHI 0070).
uint8_t wire_code(uint32_t code, bool stall) {
    if (stall) return code == SVAC_RESP_SUCCESS ? 1 : 2; // RETRY, ABORT
    return code == SVAC_RESP_SUCCESS ? 0x0 : code == SVAC_RESP_INVALID ? 0x1 : 0xf;
}
} // namespace

Answer answer_to(const FaultGroup &g, uint32_t code, ClauseId why) {
    return Answer{g.dev, g.grpid, g.stall, g.needs_pasid(), g.pasid(), code, why};
}

bool Reference::device_stalls(uint32_t dev) const {
    return ref::device_stalls(topo_, dev);
}

int Reference::bond_owner(uint32_t dev, uint32_t pasid, uint64_t &gen) const {
    int mm = bond_mm_of(dev, pasid);
    gen = mm < 0 ? 0 : bond(dev, static_cast<uint32_t>(mm)).gen;
    return mm;
}

// IOPF-1: the pages of a DMA that fault recoverably raise one group of page
// requests, the last with Last (PRI), or one stall each (IOPF-8).
void Reference::expect_raise(const Op &op, Expectation &e) const {
    e.stall = device_stalls(op.dev);
    std::vector<uint32_t> faulting;
    for (uint32_t k = 0; k < e.dma.size(); ++k)
        if (e.dma[k].kinds == bit(Kind::page_request)) faulting.push_back(k);
    uint32_t pasid = resolve(op.pasid);
    for (std::size_t i = 0; i < faulting.size(); ++i) {
        uint64_t va = dma_page_va(op, faulting[i]);
        uint64_t addr = e.stall ? va : va & ~(kPageSize - 1);
        e.raise.push_back(request(op.dev, true, pasid, addr, request_perm(op.perms),
                                  i + 1 == faulting.size(), e.stall));
    }
}

Expectation Reference::expect_page_request(const Op &op) const {
    Expectation e;
    e.rc_clause = ClauseId::IOPF_1;
    e.raise_grpid = true;
    const Device &d = topo_.devices[op.dev];
    if (!d.pri) return e; // no PRI capability: the function sends nothing
    if (devs_[op.dev].pri_stopped) {
        e.rc_clause = ClauseId::IOPF_6; // Response Failure stopped it
        return e;
    }
    uint32_t pasid = op.no_pasid ? 0 : resolve(op.pasid);
    FaultRecord f = request(op.dev, !op.no_pasid, pasid, op.va, page_request_perm(op),
                            op.last || op.stop, false);
    f.grpid = op.group;
    if (op.bad_sid) f.dev = ResponseRecord::kNoDevice;
    e.raise.push_back(f);
    return e;
}

Expectation Reference::expect_fault_handler(const Op &op) const {
    Expectation e;
    e.rc_clause = ClauseId::IOPF_9;
    if (op.kind == OpKind::register_fault_handler)
        e.rc = {faults_.has_handler(op.dev) ? -EBUSY : 0};
    else
        e.rc = {faults_.pending(op.dev).empty() ? 0 : -EBUSY};
    return e;
}

Expectation Reference::expect_queue_overflow(const Op &) const {
    Expectation e;
    e.rc_clause = ClauseId::IOPF_3;
    e.discard = true; // the lost Last requests leave partial groups behind
    return e;
}

// UNBIND-6: the groups the core holds for the bond are answered INVALID.
void Reference::expect_unbind_flush(const Op &op, Expectation &e) const {
    e.flush = true;
    uint32_t pasid = resolve(op.pasid);
    for (const FaultGroup &g : faults_.pending(op.dev))
        if (g.has_pasid() && g.pasid() == pasid)
            e.answers.push_back(answer_to(g, SVAC_RESP_INVALID, ClauseId::UNBIND_6));
}

// The IOPF handler (iommu_queue_iopf / iopf_handle_group): each request in
// order, the first error sticks (IOPF-4).
uint32_t Reference::handle_group(const FaultGroup &g, ClauseId &why,
                                 std::vector<uint64_t> &populate) const {
    for (std::size_t i = 0; i < g.requests.size(); ++i) {
        const FaultRecord &r = g.requests[i];
        ClauseId error = i == 0 ? ClauseId::IOPF_2 : ClauseId::IOPF_4;
        if (!(r.flags & SVAC_FAULT_PASID_VALID)) {
            why = ClauseId::IOPF_5;
            return SVAC_RESP_INVALID;
        }
        uint64_t gen = 0;
        int mm = bond_owner(g.dev, r.pasid, gen);
        if (mm < 0) {
            why = ClauseId::IOPF_5; // no bond for the PASID on this device
            return SVAC_RESP_INVALID;
        }
        if (mm != g.mm || gen != g.bond_gen) {
            why = ClauseId::UNBIND_6; // the PASID has another owner since the fault
            return SVAC_RESP_INVALID;
        }
        if (mms_[mm].exited) {
            why = ClauseId::MMEXIT_2;
            return SVAC_RESP_INVALID;
        }
        const auto &pages = mms_[mm].pages;
        uint64_t vpn = r.addr >> kPageShift;
        auto p = pages.find(vpn);
        uint8_t access = static_cast<uint8_t>(r.perm & kAccess);
        if (p == pages.end() || !p->second.mapped || (p->second.perms & access) != access) {
            why = error; // no mapping, or it does not allow the access
            return SVAC_RESP_INVALID;
        }
        if (!p->second.present &&
            std::find(populate.begin(), populate.end(), vpn) == populate.end())
            populate.push_back(vpn);
    }
    why = ClauseId::IOPF_2;
    return SVAC_RESP_SUCCESS;
}

Expectation Reference::expect_page_response(const Op &op) const {
    Expectation e;
    std::optional<uint32_t> grpid;
    if (op.has_group) grpid = op.group;
    const FaultGroup *g = faults_.find_pending(op.dev, grpid);
    e.rc_clause = ClauseId::IOPF_10;
    if (!g) {
        e.rc = {-EINVAL};
        // A group answered at an unbind is gone for good: answering it now
        // would answer for the PASID's next owner (UNBIND-6).
        for (const FaultGroup &f : flushed_)
            if (op.has_group && f.dev == op.dev && f.grpid == op.group)
                e.rc_clause = ClauseId::UNBIND_6;
        return e;
    }
    e.rc = {0};
    e.respond = true;
    e.stall = g->stall;
    ClauseId why = ClauseId::IOPF_2;
    std::vector<uint64_t> populate;
    uint32_t code = handle_group(*g, why, populate);
    if (op.answer == Op::Answer::invalid) {
        code = SVAC_RESP_INVALID;
        why = ClauseId::IOPF_3;
    } else if (op.answer == Op::Answer::failure) {
        code = SVAC_RESP_FAILURE;
        why = ClauseId::IOPF_6;
    }
    if (code == SVAC_RESP_SUCCESS) {
        e.populate_mm = static_cast<uint32_t>(g->mm);
        e.populate = populate;
    }
    e.code_clause = why;
    e.answers.push_back(answer_to(*g, code, why));
    // What the device does next, request by request (IOPF-6, IOPF-7, IOPF-8).
    uint64_t frame = next_frame_;
    for (const FaultRecord &r : g->requests) {
        uint8_t access = static_cast<uint8_t>(r.perm & kAccess);
        if (!access) continue; // a Stop Marker, or a request for nothing: no transaction
        PageExpectation p;
        if (code == SVAC_RESP_SUCCESS) {
            const Page &page = mms_[g->mm].pages.at(r.addr >> kPageShift);
            uint64_t pa = page.pa;
            if (!page.present) {
                auto at = std::find(populate.begin(), populate.end(), r.addr >> kPageShift);
                pa = frame + static_cast<uint64_t>(at - populate.begin()) * kPageSize;
            }
            p.kinds = bit(Kind::translated);
            p.pa = pa | (r.addr & (kPageSize - 1));
            p.clause = ClauseId::IOPF_7;
        } else {
            p.kinds = g->stall ? bit(Kind::abort) : bit(Kind::failed);
            p.clause = g->stall ? ClauseId::IOPF_8 : ClauseId::IOPF_6;
        }
        e.retries.push_back(p);
    }
    return e;
}

namespace {
struct Due {
    Answer answer;
    std::vector<PageExpectation> retries;
    bool matched = false;
};

// The core answers g INVALID: each request with an access fails at the
// device (a stall is aborted).
Due answered_invalid(const FaultGroup &g, ClauseId why) {
    Due d{answer_to(g, SVAC_RESP_INVALID, why), {}};
    for (const FaultRecord &r : g.requests) {
        if (!(r.perm & kAccess)) continue;
        PageExpectation p;
        p.kinds = g.stall ? bit(Kind::abort) : bit(Kind::failed);
        p.clause = why;
        d.retries.push_back(p);
    }
    return d;
}

ClauseId encoding_clause(const Topology &t, uint32_t dev, bool stall) {
    if (stall) return ClauseId::SMMU_CMD_4;
    if (dev >= t.devices.size()) return ClauseId::IOPF_3;
    return t.iommus[t.devices[dev].iommu].arch == Arch::vtd ? ClauseId::VTD_PRQ_1
                                                            : ClauseId::SMMU_CMD_3;
}

std::string response_text(const ResponseRecord &r) {
    std::string s = r.stall ? "CMD_RESUME" : "PRG response";
    s += " {dev " + (r.dev == ResponseRecord::kNoDevice ? std::string("?") : std::to_string(r.dev));
    s += r.has_pasid ? ", pasid " + std::to_string(r.pasid) : ", no pasid";
    s += ", group " + std::to_string(r.group) + ", code " + hex(r.code) + " (encoded " +
         hex(r.raw) + ")}";
    return s;
}
} // namespace

std::optional<Violation> Reference::judge_faults(const Op &op, const Expectation &exp,
                                                 const Observation &obs) const {
    auto what = [&] { return describe(op, *this); }; // only for a finding's message
    // The core's answer, as a recorded trace has it (IOPF-2, 4, 5, 6, MMEXIT-2, UNBIND-6).
    if (op.kind == OpKind::page_response && obs.code) {
        if (!exp.respond)
            return Violation{exp.rc_clause, what() + ": the core answered " + code_name(*obs.code) +
                                                " for a group it does not hold"};
        if (*obs.code != exp.answers[0].code)
            return Violation{exp.code_clause,
                             what() + ": the core answered " + code_name(*obs.code) +
                                 "; the handler's answer is " + code_name(exp.answers[0].code)};
    }
    // What the hardware raised (IOPF-1, IOPF-8).
    if (obs.raised && (op.kind == OpKind::dma || op.kind == OpKind::page_request)) {
        const auto &got = *obs.raised;
        ClauseId c = exp.stall ? ClauseId::IOPF_8 : ClauseId::IOPF_1;
        bool same = got.size() == exp.raise.size();
        for (std::size_t i = 0; same && i < got.size(); ++i) {
            FaultRecord want = exp.raise[i];
            if (!exp.raise_grpid) want.grpid = got[i].grpid;
            same = got[i] == want;
            // One group: every PRI request of a DMA carries the same index (IOPF-3).
            if (!exp.stall && !exp.raise_grpid && got[i].grpid != got[0].grpid) same = false;
        }
        if (!same) {
            std::string g, w;
            for (const auto &f : got) g += " " + fault_text(f);
            for (const auto &f : exp.raise) w += " " + fault_text(f);
            return Violation{c, what() + ": the hardware raised" + (g.empty() ? " nothing" : g) +
                                    "; expected" + (w.empty() ? " nothing" : w)};
        }
    }
    if (obs.lost && *obs.lost && op.kind != OpKind::queue_overflow)
        return Violation{ClauseId::IOPF_1,
                         what() + ": " + std::to_string(*obs.lost) +
                             " page request(s) lost: the hardware queue was in overflow (was the "
                             "overflow acknowledged?) or disabled"};
    // What the driver reported against what the hardware raised (IOPF-1,
    // IOPF-3, IOPF-8, IOPF-11).
    if (obs.raised && obs.faults) {
        std::vector<FaultRecord> due, got;
        for (const FaultRecord &f : *obs.raised)
            if (f.dev != ResponseRecord::kNoDevice && !is_stop_marker(f)) due.push_back(f);
        for (const FaultRecord &f : *obs.faults)
            if (!is_stop_marker(f) || f.dev >= topo_.devices.size()) got.push_back(f);
        for (std::size_t i = 0; i < std::max(due.size(), got.size()); ++i) {
            if (i < due.size() && i < got.size() && due[i] == got[i]) continue;
            if (i >= got.size())
                return Violation{profile_->feature_api ? ClauseId::IOPF_1 : ClauseId::IOPF_12,
                                 what() + ": the hardware raised " + fault_text(due[i]) +
                                     " but the driver never reported it" +
                                     (profile_->feature_api
                                          ? std::string()
                                          : " (from linux-6.16 the attach enables I/O page "
                                            "faults)")};
            if (i >= due.size())
                return Violation{ClauseId::IOPF_1, what() + ": the driver reported " +
                                                       fault_text(got[i]) +
                                                       ", which the hardware did not raise"};
            const FaultRecord &a = due[i], &b = got[i];
            bool stall = a.dev < topo_.devices.size() && device_stalls(a.dev);
            ClauseId c = ClauseId::IOPF_1;
            if (a.grpid != b.grpid ||
                (a.flags & SVAC_FAULT_LAST_PAGE) != (b.flags & SVAC_FAULT_LAST_PAGE))
                c = stall ? ClauseId::IOPF_8 : ClauseId::IOPF_3;
            return Violation{c, what() + ": the hardware raised " + fault_text(a) +
                                    ", the driver reported " + fault_text(b)};
        }
    }
    // The answers that must reach the devices, in the core's order: groups
    // closed without a handler (IOPF-9), the bond's groups at unbind
    // (UNBIND-6), the page_response's own.
    const bool reported = obs.faults && !obs.faults->empty();
    const bool flushing = op.kind == OpKind::unbind && exp.flush;
    if (!reported && !flushing && !exp.respond && !obs.responses && !obs.retries)
        return judge_discard(op, exp, obs);
    std::vector<Due> due;
    // The core as the op left it (copied only when the op touched it).
    std::optional<FaultCore> copy;
    if (reported || (flushing && faults_.holds(op.dev, resolve(op.pasid)))) copy = faults_;
    if (reported)
        for (const FaultRecord &f : *obs.faults) {
            FaultCore &core = *copy;
            if (f.dev >= topo_.devices.size()) continue;
            auto r = core.report(f, device_stalls(f.dev), -1, 0);
            if (r.rc == 0 || !r.closed) continue;
            due.push_back(answered_invalid(*r.closed, ClauseId::IOPF_9));
        }
    if (flushing && copy)
        for (const FaultGroup &g : copy->flush(op.dev, resolve(op.pasid)))
            due.push_back(answered_invalid(g, ClauseId::UNBIND_6));
    if (op.kind == OpKind::page_response && exp.respond && (!obs.rc || *obs.rc == 0))
        due.push_back(Due{exp.answers[0], exp.retries});
    std::vector<PageExpectation> retries;
    static const std::vector<ResponseRecord> kNone;
    if (!obs.responses) // not recorded: the answers are taken as delivered, in order
        for (const Due &d : due) retries.insert(retries.end(), d.retries.begin(), d.retries.end());
    for (const ResponseRecord &r : obs.responses ? *obs.responses : kNone) {
        if (r.automatic || r.dev == ResponseRecord::kNoDevice) continue; // the hardware's own
        auto it = std::find_if(due.begin(), due.end(), [&](const Due &d) {
            return !d.matched && d.answer.dev == r.dev && d.answer.grpid == r.group &&
                   d.answer.stall == r.stall;
        });
        if (it == due.end()) {
            // The answer of a group the core did send, at the wrong requester:
            // the command named another device (RID / StreamID).
            auto elsewhere = std::find_if(due.begin(), due.end(), [&](const Due &d) {
                return !d.matched && d.answer.dev != r.dev && d.answer.grpid == r.group &&
                       d.answer.stall == r.stall;
            });
            if (elsewhere != due.end())
                return Violation{encoding_clause(topo_, elsewhere->answer.dev, r.stall),
                                 what() + ": " + response_text(r) + " went to dev " +
                                     std::to_string(r.dev) + "; the core answered dev " +
                                     std::to_string(elsewhere->answer.dev) + "'s group"};
            bool stop = false;
            if (obs.raised)
                for (const FaultRecord &f : *obs.raised)
                    stop |= is_stop_marker(f) && f.dev == r.dev && f.grpid == r.group;
            ClauseId c = stop      ? ClauseId::IOPF_11
                         : r.stall ? ClauseId::SMMU_CMD_4
                                   : ClauseId::IOPF_3;
            if (op.kind == OpKind::unbind && !exp.flush && exp.rc.contains(0)) {
                // The driver flushed the bond's faults while a reference
                // remains: it dropped the bond too early.
                int mm = bond_mm_of(op.dev, resolve(op.pasid));
                c = mm >= 0 && bond(op.dev, static_cast<uint32_t>(mm)).rebound ? ClauseId::BIND_4
                                                                               : ClauseId::UNBIND_1;
            }
            return Violation{c, what() + ": " + response_text(r) +
                                    " reached the device, but the core " +
                                    (stop ? "gives no response to a Stop Marker"
                                          : "sent no answer for that group in this call (a request "
                                            "without Last, or a second response)")};
        }
        it->matched = true;
        const Answer &a = it->answer;
        ClauseId enc = encoding_clause(topo_, a.dev, a.stall);
        uint8_t want = wire_code(a.code, a.stall);
        if (r.code != want)
            return Violation{enc, what() + ": " + response_text(r) + " for the core's " +
                                      code_name(a.code) + "; the device must receive code " +
                                      hex(want)};
        if (a.has_pasid && (!r.has_pasid || r.pasid != a.pasid))
            return Violation{enc, what() + ": " + response_text(r) + " must carry PASID " +
                                      std::to_string(a.pasid) + " (PRG Response PASID Required)"};
        retries.insert(retries.end(), it->retries.begin(), it->retries.end());
    }
    for (const Due &d : due)
        if (obs.responses && !d.matched) {
            const Answer &a = d.answer;
            ClauseId c = a.clause == ClauseId::UNBIND_6 ? ClauseId::UNBIND_6
                                                        : encoding_clause(topo_, a.dev, a.stall);
            if (a.clause == ClauseId::IOPF_9) c = ClauseId::IOPF_3;
            // The last unbind as the reference counts: a driver that kept a
            // reference from a bind refused memory does not flush (BIND-7).
            if (c == ClauseId::UNBIND_6 && op.kind == OpKind::unbind) {
                int mm = bond_mm_of(op.dev, resolve(op.pasid));
                if (mm >= 0 && bind_refused(op.dev, static_cast<uint32_t>(mm)))
                    return Violation{ClauseId::BIND_7,
                                     what() + ": the core answered " + code_name(a.code) +
                                         " for dev " + std::to_string(a.dev) + " group " +
                                         std::to_string(a.grpid) +
                                         " but no response reached the device: the driver "
                                         "still counts a reference from a bind of mm " +
                                         std::to_string(mm) +
                                         " that failed when the platform refused it memory"};
            }
            return Violation{c, what() + ": the core answered " + code_name(a.code) + " for dev " +
                                    std::to_string(a.dev) + " group " + std::to_string(a.grpid) +
                                    " but no response reached the device"};
        }
    if (obs.retries) {
        const auto &got = *obs.retries;
        for (std::size_t i = 0; i < std::max(got.size(), retries.size()); ++i) {
            if (i >= retries.size())
                return Violation{ClauseId::IOPF_3,
                                 what() + ": the device retried " + std::to_string(got.size()) +
                                     " request(s); expected " + std::to_string(retries.size())};
            if (i >= got.size())
                return Violation{retries[i].clause,
                                 what() + ": the device retried " + std::to_string(got.size()) +
                                     " request(s); expected " + std::to_string(retries.size())};
            if (auto v = judge_access(op, retries[i], got[i], i, "retry " + std::to_string(i)))
                return v;
        }
    }
    return judge_discard(op, exp, obs);
}

std::optional<Violation> Reference::judge_discard(const Op &op, const Expectation &exp,
                                                  const Observation &obs) const {
    if (exp.discard && obs.discarded && *obs.discarded == 0)
        return Violation{ClauseId::IOPF_3,
                         describe(op, *this) +
                             ": the queue overflowed and the driver kept the core's partial "
                             "groups (no discard_partial): their Last may be lost"};
    return std::nullopt;
}

void Reference::commit_faults(const Op &op, const Expectation &exp, const Observation &obs,
                              int rc) {
    if (obs.faults)
        for (const FaultRecord &f : *obs.faults) {
            if (f.dev >= topo_.devices.size()) continue;
            uint64_t gen = 0;
            int mm = (f.flags & SVAC_FAULT_PASID_VALID) ? bond_owner(f.dev, f.pasid, gen) : -1;
            faults_.report(f, device_stalls(f.dev), mm, gen);
        }
    switch (op.kind) {
    case OpKind::register_fault_handler:
        if (rc == 0) faults_.register_handler(op.dev);
        break;
    case OpKind::unregister_fault_handler:
        if (rc == 0) faults_.unregister_handler(op.dev);
        break;
    case OpKind::queue_overflow:
        for (uint32_t d = 0; d < topo_.devices.size(); ++d)
            if (topo_.devices[d].iommu == topo_.devices[op.dev].iommu) faults_.discard_partial(d);
        break;
    case OpKind::page_response: {
        if (!exp.respond || rc != 0) break;
        const Answer &a = exp.answers[0];
        uint32_t code = obs.code ? *obs.code : a.code;
        if (code == SVAC_RESP_SUCCESS) populate(exp);
        if (code == SVAC_RESP_FAILURE && !a.stall) devs_[op.dev].pri_stopped = true;
        faults_.consume(op.dev, a.grpid);
        break;
    }
    case OpKind::unbind:
        if (exp.flush && rc == 0) {
            // commit_unbind flushes the core; keep what it answered for blame.
            for (const FaultGroup &g : faults_.pending(op.dev))
                if (g.has_pasid() && g.pasid() == resolve(op.pasid)) flushed_.push_back(g);
            if (flushed_.size() > 64) flushed_.erase(flushed_.begin(), flushed_.end() - 64);
        }
        break;
    default:
        break;
    }
}

void Reference::count_fault_checks(const Op &op, const Expectation &exp, const Observation &obs,
                                   ClauseCounters &n) const {
    if (obs.raised && !exp.raise.empty()) n.hit(exp.stall ? ClauseId::IOPF_8 : ClauseId::IOPF_1);
    if (obs.raised && obs.faults && !obs.faults->empty()) {
        n.hit(ClauseId::IOPF_1);
        if (!profile_->feature_api) n.hit(ClauseId::IOPF_12);
    }
    if (obs.faults)
        for (const FaultRecord &f : *obs.faults)
            if (is_stop_marker(f)) n.hit(ClauseId::IOPF_11);
    if (obs.raised)
        for (const FaultRecord &f : *obs.raised) {
            if (is_stop_marker(f)) n.hit(ClauseId::IOPF_11);
            if (!(f.flags & SVAC_FAULT_LAST_PAGE)) n.hit(ClauseId::IOPF_3);
        }
    if (op.kind == OpKind::unbind && exp.flush && obs.responses) n.hit(ClauseId::UNBIND_6);
    if (op.kind == OpKind::queue_overflow && obs.discarded) n.hit(ClauseId::IOPF_3);
    if (op.kind == OpKind::page_response && exp.respond) {
        const Answer &a = exp.answers[0];
        n.hit(exp.code_clause);
        n.hit(ClauseId::IOPF_3);
        if (a.stall) {
            n.hit(ClauseId::IOPF_8);
            n.hit(ClauseId::SMMU_CMD_4);
        }
        if (obs.responses && !a.stall)
            n.hit(topo_.iommus[topo_.devices[op.dev].iommu].arch == Arch::vtd
                      ? ClauseId::VTD_PRQ_1
                      : ClauseId::SMMU_CMD_3);
        if (exp.code_clause == ClauseId::IOPF_4 || exp.retries.size() > 1) n.hit(ClauseId::IOPF_4);
        if (a.code == SVAC_RESP_SUCCESS && obs.retries) n.hit(ClauseId::IOPF_7);
        if (a.code == SVAC_RESP_FAILURE) n.hit(ClauseId::IOPF_6);
        if (exp.code_clause == ClauseId::IOPF_5 || exp.code_clause == ClauseId::MMEXIT_2 ||
            exp.code_clause == ClauseId::UNBIND_6)
            n.hit(ClauseId::IOPF_5);
    }
    if (op.kind == OpKind::page_response && obs.rc) n.hit(ClauseId::IOPF_10);
}

} // namespace svac::ref
