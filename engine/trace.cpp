#include "engine/trace.h"

#include "engine/validator.h"
#include "reports/json_text.h"

#include <optional>
#include <set>
#include <span>

namespace svac::engine {

namespace {

using detail::Validator;
using ref::OpKind;

ref::Topology parse_topology(const Validator &v, const json &j) {
    const std::string at = "/topology";
    v.object(j, at);
    v.only_keys(j, at, {"iommus", "devices", "mms"});
    ref::Topology t;
    const json &iommus = v.field(j, at, "iommus");
    if (!iommus.is_array() || iommus.empty() || iommus.size() > kMaxIommus)
        v.fail(at + "/iommus",
               "expected an array of 1 to " + std::to_string(kMaxIommus) + " IOMMUs");
    for (std::size_t i = 0; i < iommus.size(); ++i) {
        std::string w = at + "/iommus/" + std::to_string(i);
        const json &e = iommus[i];
        v.object(e, w);
        v.only_keys(e, w, {"arch", "pasid_bits", "sva"});
        ref::Iommu iommu;
        const json &arch = v.field(e, w, "arch");
        if (!arch.is_string() || !ref::arch_from_name(arch.get<std::string>(), iommu.arch))
            v.fail(w + "/arch", "expected \"smmuv3\" or \"vtd\", got " + reports::excerpt(arch));
        if (e.contains("pasid_bits"))
            iommu.pasid_bits = static_cast<uint8_t>(
                v.unsigned_value(e["pasid_bits"], w + "/pasid_bits", SVAC_PASID_BITS_MAX));
        if (e.contains("sva")) iommu.sva = v.bool_value(e["sva"], w + "/sva");
        t.iommus.push_back(iommu);
    }
    for (std::size_t i = 1; i < t.iommus.size(); ++i)
        if (t.iommus[i].arch != t.iommus[0].arch)
            v.fail(at + "/iommus/" + std::to_string(i) + "/arch",
                   "every IOMMU of a topology has the same architecture (the CPU's page-table "
                   "format follows it)");
    const json &devices = v.field(j, at, "devices");
    if (!devices.is_array() || devices.size() > kMaxDevices)
        v.fail(at + "/devices",
               "expected an array of at most " + std::to_string(kMaxDevices) + " devices");
    for (std::size_t i = 0; i < devices.size(); ++i) {
        std::string w = at + "/devices/" + std::to_string(i);
        const json &e = devices[i];
        v.object(e, w);
        v.only_keys(e, w, {"iommu", "pasid_bits", "pri", "stall", "ats"});
        ref::Device d;
        d.iommu = static_cast<uint32_t>(
            v.unsigned_value(v.field(e, w, "iommu"), w + "/iommu", UINT32_MAX));
        if (d.iommu >= t.iommus.size())
            v.fail(w + "/iommu", "IOMMU " + std::to_string(d.iommu) + " does not exist (" +
                                     std::to_string(t.iommus.size()) + " IOMMUs)");
        if (e.contains("pasid_bits"))
            d.pasid_bits = static_cast<uint8_t>(
                v.unsigned_value(e["pasid_bits"], w + "/pasid_bits", SVAC_PASID_BITS_MAX));
        if (e.contains("pri")) d.pri = v.bool_value(e["pri"], w + "/pri");
        if (e.contains("stall")) d.stall = v.bool_value(e["stall"], w + "/stall");
        if (e.contains("ats")) d.ats = v.bool_value(e["ats"], w + "/ats");
        t.devices.push_back(d);
    }
    t.mms = static_cast<uint32_t>(v.unsigned_value(v.field(j, at, "mms"), at + "/mms", kMaxMms));
    return t;
}

uint32_t parse_feature(const Validator &v, const json &j, const std::string &where,
                       const ref::Profile &profile) {
    if (j.is_string()) {
        if (j.get<std::string>() == "sva") return SVAC_FEAT_SVA;
        if (j.get<std::string>() == "iopf" && profile.iopf_feature) return SVAC_FEAT_IOPF;
        v.fail(where, "unknown feature name " + reports::excerpt(j) + " (profile " +
                          std::string(profile.name) + " names " +
                          (profile.iopf_feature ? "\"sva\" and \"iopf\"" : "\"sva\"") +
                          "; give an integer for an unknown feature)");
    }
    return static_cast<uint32_t>(v.unsigned_value(j, where, UINT32_MAX));
}

// A domain's name in "calls": a small index, or "blocked" (where allowed).
uint32_t parse_domain(const Validator &v, const json &j, const std::string &w, bool blocked) {
    if (blocked && j.is_string() && j.get<std::string>() == "blocked")
        return ref::DriverCall::kBlocked;
    return static_cast<uint32_t>(v.unsigned_value(j, w, kMaxDomainName));
}

// "calls": the core's calls into the driver during a bind or an unbind of
// the domain-based contract (ref::DriverCall).
std::vector<ref::DriverCall> parse_calls(const Validator &v, const json &j, const std::string &w,
                                         const ref::Topology &t, const ref::Profile &profile) {
    if (!j.is_array()) v.fail(w, "expected an array of calls, got " + std::string(j.type_name()));
    std::vector<ref::DriverCall> out;
    for (std::size_t i = 0; i < j.size(); ++i) {
        const std::string at = w + "/" + std::to_string(i);
        v.object(j[i], at);
        ref::DriverCall c;
        const json &name = v.field(j[i], at, "call");
        if (!name.is_string() || !ref::call_from_name(name.get<std::string>(), c.kind))
            v.fail(at + "/call", "unknown call " + reports::excerpt(name) +
                                     " (domain_alloc_sva, set_dev_pasid, remove_dev_pasid, "
                                     "domain_free)");
        auto dev = [&] {
            c.dev = static_cast<uint32_t>(
                v.unsigned_value(v.field(j[i], at, "dev"), at + "/dev", UINT32_MAX));
            if (c.dev >= t.devices.size())
                v.fail(at + "/dev", "device " + std::to_string(c.dev) + " does not exist");
        };
        auto pasid = [&] {
            c.pasid = static_cast<uint32_t>(
                v.unsigned_value(v.field(j[i], at, "pasid"), at + "/pasid", UINT32_MAX));
        };
        auto rc = [&] { c.rc = v.int_value(v.field(j[i], at, "rc"), at + "/rc"); };
        switch (c.kind) {
        case ref::DriverCall::Kind::domain_alloc_sva:
            v.only_keys(j[i], at, {"call", "dev", "mm", "domain", "rc"});
            dev();
            c.mm = static_cast<uint32_t>(
                v.unsigned_value(v.field(j[i], at, "mm"), at + "/mm", UINT32_MAX));
            if (c.mm >= t.mms) v.fail(at + "/mm", "mm " + std::to_string(c.mm) + " does not exist");
            rc();
            if (c.rc == 0)
                c.domain = parse_domain(v, v.field(j[i], at, "domain"), at + "/domain", false);
            else if (j[i].contains("domain"))
                v.fail(at + "/domain", "a failed domain_alloc_sva names no domain");
            break;
        case ref::DriverCall::Kind::set_dev_pasid: {
            v.only_keys(j[i], at, {"call", "domain", "dev", "pasid", "old", "rc"});
            c.domain = parse_domain(v, v.field(j[i], at, "domain"), at + "/domain",
                                    profile.blocked_domain);
            dev();
            pasid();
            const json &old = v.field(j[i], at, "old");
            c.old =
                old.is_null() ? ref::DriverCall::kNone : parse_domain(v, old, at + "/old", false);
            rc();
            break;
        }
        case ref::DriverCall::Kind::remove_dev_pasid:
            if (profile.blocked_domain)
                v.fail(at + "/call", "profile " + std::string(profile.name) +
                                         " has no remove_dev_pasid (the blocked domain detaches)");
            v.only_keys(j[i], at, {"call", "dev", "pasid", "domain"});
            dev();
            pasid();
            c.domain = parse_domain(v, v.field(j[i], at, "domain"), at + "/domain", false);
            break;
        case ref::DriverCall::Kind::domain_free:
            v.only_keys(j[i], at, {"call", "domain"});
            c.domain = parse_domain(v, v.field(j[i], at, "domain"), at + "/domain", false);
            break;
        }
        out.push_back(c);
    }
    return out;
}

std::vector<ref::Callback> parse_callbacks(const Validator &v, const json &j, const std::string &w,
                                           const ref::Topology &t) {
    if (!j.is_array())
        v.fail(w, "expected an array of callbacks, got " + std::string(j.type_name()));
    std::vector<ref::Callback> out;
    for (std::size_t i = 0; i < j.size(); ++i) {
        std::string at = w + "/" + std::to_string(i);
        v.object(j[i], at);
        v.only_keys(j[i], at, {"dev", "pasid", "drvdata"});
        ref::Callback c;
        c.dev = static_cast<uint32_t>(
            v.unsigned_value(v.field(j[i], at, "dev"), at + "/dev", UINT32_MAX));
        if (c.dev >= t.devices.size())
            v.fail(at + "/dev", "device " + std::to_string(c.dev) + " does not exist");
        c.pasid = static_cast<uint32_t>(
            v.unsigned_value(v.field(j[i], at, "pasid"), at + "/pasid", UINT32_MAX));
        c.drvdata = v.unsigned_value(v.field(j[i], at, "drvdata"), at + "/drvdata", UINT64_MAX);
        out.push_back(c);
    }
    return out;
}

// The fields each op may carry: its arguments and its recorded outcomes.
// "callbacks" (the mm_exit callbacks fired during the op) and the fault
// parts (what the hardware raised, the driver reported, the devices
// received) may be recorded on any op: driver code may run, and faults
// happen, during any of them.
#define SVAC_ANY_OP "callbacks", "raised", "lost", "faults", "responses", "retries", "discarded"
std::span<const std::string_view> allowed_keys(OpKind k) {
    // "rc" on a query: a driver's non-boolean answer, as op_to_json writes it.
    static constexpr std::string_view query[] = {"op", "dev", "feat", "result", "rc", SVAC_ANY_OP};
    static constexpr std::string_view feature[] = {"op", "dev", "feat", "rc", SVAC_ANY_OP};
    static constexpr std::string_view param[] = {"op", "dev", "min", "max", "rc", SVAC_ANY_OP};
    static constexpr std::string_view bind[] = {"op",    "dev",    "mm",    "drvdata",  "rc",
                                                "pasid", "handle", "calls", SVAC_ANY_OP};
    static constexpr std::string_view unbind[] = {"op", "dev",   "pasid",    "handle",
                                                  "rc", "calls", SVAC_ANY_OP};
    static constexpr std::string_view set_ops[] = {"op", "handle", "ops", "rc", SVAC_ANY_OP};
    static constexpr std::string_view mm_free[] = {"op", "mm", SVAC_ANY_OP};
    static constexpr std::string_view mm_exit[] = {"op", "mm", SVAC_ANY_OP};
    static constexpr std::string_view mm_map[] = {"op",    "mm",   "va",       "pages",
                                                  "perms", "lazy", SVAC_ANY_OP};
    static constexpr std::string_view mm_unmap[] = {"op", "mm", "va", "pages", SVAC_ANY_OP};
    static constexpr std::string_view mm_protect[] = {"op",    "mm",    "va",
                                                      "pages", "perms", SVAC_ANY_OP};
    static constexpr std::string_view dma[] = {"op",     "dev",      "pasid",    "va",
                                               "pages",  "access",   "outcome",  "pa",
                                               "reason", "outcomes", SVAC_ANY_OP};
    static constexpr std::string_view page_request[] = {
        "op", "dev", "pasid", "va", "access", "group", "last", "stop", "bad_sid", SVAC_ANY_OP};
    static constexpr std::string_view page_response[] = {"op", "dev",  "group",    "answer",
                                                         "rc", "code", SVAC_ANY_OP};
    static constexpr std::string_view fault_handler[] = {"op", "dev", "rc", SVAC_ANY_OP};
    static constexpr std::string_view queue_overflow[] = {"op", "dev", SVAC_ANY_OP};
    switch (k) {
    case OpKind::has_feature:
    case OpKind::feature_enabled:
        return query;
    case OpKind::enable_feature:
    case OpKind::disable_feature:
        return feature;
    case OpKind::set_sva_param:
        return param;
    case OpKind::bind:
        return bind;
    case OpKind::unbind:
        return unbind;
    case OpKind::mm_exit:
        return mm_exit;
    case OpKind::mm_map:
        return mm_map;
    case OpKind::mm_unmap:
        return mm_unmap;
    case OpKind::mm_protect:
        return mm_protect;
    case OpKind::dma:
        return dma;
    case OpKind::page_request:
        return page_request;
    case OpKind::page_response:
        return page_response;
    case OpKind::register_fault_handler:
    case OpKind::unregister_fault_handler:
        return fault_handler;
    case OpKind::queue_overflow:
        return queue_overflow;
    case OpKind::set_ops:
        return set_ops;
    case OpKind::mm_free:
        return mm_free;
    case OpKind::count_:
        break;
    }
    return {};
}
#undef SVAC_ANY_OP

// May op kind k carry this field? (op_to_json writes only those.)
bool allows(OpKind k, std::string_view key) {
    for (auto a : allowed_keys(k))
        if (a == key) return true;
    return false;
}

ref::PasidArg parse_pasid_arg(const Validator &v, const json &p, const std::string &w,
                              const ref::Topology &t) {
    ref::PasidArg arg;
    if (p.is_object()) {
        v.only_keys(p, w, {"mm"});
        arg.of_mm = true;
        arg.value =
            static_cast<uint32_t>(v.unsigned_value(v.field(p, w, "mm"), w + "/mm", UINT32_MAX));
        if (arg.value >= t.mms)
            v.fail(w + "/mm", "mm " + std::to_string(arg.value) +
                                  " does not exist (the topology has " + std::to_string(t.mms) +
                                  ")");
    } else {
        arg.value = static_cast<uint32_t>(v.unsigned_value(p, w, UINT32_MAX));
    }
    return arg;
}

// "rw", "r", "rwx", "-": a Perm mask; an access is exactly one of r, w, x.
uint8_t parse_perms(const Validator &v, const json &j, const std::string &w, bool access) {
    uint8_t perms = 0;
    if (!j.is_string() || !ref::perms_from_name(j.get<std::string>(), perms) ||
        (access && perms != ref::kRead && perms != ref::kWrite && perms != ref::kExec))
        v.fail(w, access ? "expected \"r\", \"w\" or \"x\", got " + reports::excerpt(j)
                         : "expected permissions such as \"rw\", \"r\", \"rwx\" or \"-\", got " +
                               reports::excerpt(j));
    return perms;
}

ref::Op parse_op(const Validator &v, const json &j, const std::string &w, const ref::Topology &t,
                 const ref::Profile &profile);

// What one page of a DMA (or one retried request) came to: "outcome", "pa"
// when translated, "reason" (informational), as fields of obj at w.
ref::DmaObservation parse_outcome(const Validator &v, const json &obj, const std::string &w) {
    ref::DmaObservation d;
    const json &o = v.field(obj, w, "outcome");
    ref::DmaResult::Kind kind{};
    if (!o.is_string() || !ref::dma_kind_from_name(o.get<std::string>(), kind))
        v.fail(w + "/outcome", "expected translated, fault, page_request, abort or failed, got " +
                                   reports::excerpt(o));
    d.kind = static_cast<uint8_t>(kind);
    if (kind == ref::DmaResult::Kind::translated)
        d.pa = v.unsigned_value(v.field(obj, w, "pa"), w + "/pa", UINT64_MAX);
    else if (obj.contains("pa"))
        v.fail(w + "/pa", "only a translated outcome has an output address");
    if (obj.contains("reason")) {
        const json &r = obj["reason"];
        bool known = false;
        for (unsigned i = 0;
             r.is_string() && i <= static_cast<unsigned>(ref::DmaResult::Reason::permission); ++i)
            if (ref::dma_reason_name(static_cast<ref::DmaResult::Reason>(i)) ==
                r.get<std::string>()) {
                d.reason = static_cast<uint8_t>(i);
                known = true;
            }
        if (!known) v.fail(w + "/reason", "unknown reason " + reports::excerpt(r));
    }
    return d;
}

// "outcomes" / "retries": [{"outcome", "pa"?, "reason"?}, ...].
std::vector<ref::DmaObservation> parse_outcomes(const Validator &v, const json &j,
                                                const std::string &w) {
    if (!j.is_array()) v.fail(w, "expected an array of outcomes, got " + Validator::type_of(j));
    std::vector<ref::DmaObservation> out;
    for (std::size_t i = 0; i < j.size(); ++i) {
        std::string at = w + "/" + std::to_string(i);
        v.object(j[i], at);
        v.only_keys(j[i], at, {"outcome", "pa", "reason"});
        out.push_back(parse_outcome(v, j[i], at));
    }
    return out;
}

// A device in a recorded fault or response: a number (any: a driver may
// name one the topology lacks), or null for a requester ID no device has.
uint32_t parse_observed_dev(const Validator &v, const json &j, const std::string &w) {
    if (j.is_null()) return ref::ResponseRecord::kNoDevice;
    return static_cast<uint32_t>(v.unsigned_value(j, w, UINT32_MAX));
}

bool optional_bool(const Validator &v, const json &obj, const std::string &w, const char *key) {
    return obj.contains(key) && v.bool_value(obj[key], w + "/" + key);
}

// "pasid" (and "pasid_valid": false for a PASID recorded without its valid
// flag): whether the record carries a PASID, and which.
bool parse_observed_pasid(const Validator &v, const json &obj, const std::string &w,
                          uint32_t &pasid) {
    if (!obj.contains("pasid")) {
        if (obj.contains("pasid_valid"))
            v.fail(w + "/pasid_valid", "give the \"pasid\" it qualifies");
        return false;
    }
    pasid = static_cast<uint32_t>(v.unsigned_value(obj["pasid"], w + "/pasid", UINT32_MAX));
    return !obj.contains("pasid_valid") || v.bool_value(obj["pasid_valid"], w + "/pasid_valid");
}

constexpr uint32_t kNamedFaultFlags =
    SVAC_FAULT_PASID_VALID | SVAC_FAULT_LAST_PAGE | SVAC_FAULT_NEEDS_PASID;
constexpr uint32_t kNamedFaultPerms =
    SVAC_FAULT_PERM_READ | SVAC_FAULT_PERM_WRITE | SVAC_FAULT_PERM_EXEC | SVAC_FAULT_PERM_PRIV;
static_assert(SVAC_FAULT_PERM_READ == ref::kRead && SVAC_FAULT_PERM_WRITE == ref::kWrite &&
              SVAC_FAULT_PERM_EXEC == ref::kExec);

// "raised" / "faults": [{"dev", "pasid"?, "group", "last", "needs_pasid",
// "access", "priv", "addr"}, ...]; "other_flags" / "other_perm" hold bits
// beyond the named ones (a driver may report anything).
std::vector<ref::FaultRecord> parse_faults(const Validator &v, const json &j,
                                           const std::string &w) {
    if (!j.is_array()) v.fail(w, "expected an array of faults, got " + Validator::type_of(j));
    std::vector<ref::FaultRecord> out;
    for (std::size_t i = 0; i < j.size(); ++i) {
        std::string at = w + "/" + std::to_string(i);
        const json &e = j[i];
        v.object(e, at);
        v.only_keys(e, at,
                    {"dev", "pasid", "pasid_valid", "group", "last", "needs_pasid", "access",
                     "priv", "addr", "other_flags", "other_perm"});
        ref::FaultRecord f;
        f.dev = parse_observed_dev(v, v.field(e, at, "dev"), at + "/dev");
        if (parse_observed_pasid(v, e, at, f.pasid)) f.flags |= SVAC_FAULT_PASID_VALID;
        f.grpid = static_cast<uint32_t>(
            v.unsigned_value(v.field(e, at, "group"), at + "/group", UINT32_MAX));
        if (optional_bool(v, e, at, "last")) f.flags |= SVAC_FAULT_LAST_PAGE;
        if (optional_bool(v, e, at, "needs_pasid")) f.flags |= SVAC_FAULT_NEEDS_PASID;
        f.perm = parse_perms(v, v.field(e, at, "access"), at + "/access", false);
        if (optional_bool(v, e, at, "priv")) f.perm |= SVAC_FAULT_PERM_PRIV;
        f.addr = v.unsigned_value(v.field(e, at, "addr"), at + "/addr", UINT64_MAX);
        if (e.contains("other_flags")) {
            auto x = static_cast<uint32_t>(
                v.unsigned_value(e["other_flags"], at + "/other_flags", UINT32_MAX));
            if (x & kNamedFaultFlags)
                v.fail(at + "/other_flags",
                       "holds flags that \"pasid\", \"last\" or \"needs_pasid\" name");
            f.flags |= x;
        }
        if (e.contains("other_perm")) {
            auto x = static_cast<uint32_t>(
                v.unsigned_value(e["other_perm"], at + "/other_perm", UINT32_MAX));
            if (x & kNamedFaultPerms)
                v.fail(at + "/other_perm", "holds permissions that \"access\" or \"priv\" name");
            f.perm |= x;
        }
        out.push_back(f);
    }
    return out;
}

// "responses": [{"dev", "stall", "pasid"?, "group", "code", "raw", "automatic"}, ...].
std::vector<ref::ResponseRecord> parse_responses(const Validator &v, const json &j,
                                                 const std::string &w) {
    if (!j.is_array()) v.fail(w, "expected an array of responses, got " + Validator::type_of(j));
    std::vector<ref::ResponseRecord> out;
    for (std::size_t i = 0; i < j.size(); ++i) {
        std::string at = w + "/" + std::to_string(i);
        const json &e = j[i];
        v.object(e, at);
        v.only_keys(e, at,
                    {"dev", "stall", "pasid", "pasid_valid", "group", "code", "raw", "automatic"});
        ref::ResponseRecord r;
        r.dev = parse_observed_dev(v, v.field(e, at, "dev"), at + "/dev");
        r.stall = optional_bool(v, e, at, "stall");
        r.has_pasid = parse_observed_pasid(v, e, at, r.pasid);
        r.group = static_cast<uint32_t>(
            v.unsigned_value(v.field(e, at, "group"), at + "/group", UINT32_MAX));
        r.code = static_cast<uint8_t>(v.unsigned_value(v.field(e, at, "code"), at + "/code", 255));
        r.raw = static_cast<uint8_t>(v.unsigned_value(v.field(e, at, "raw"), at + "/raw", 255));
        r.automatic = optional_bool(v, e, at, "automatic");
        out.push_back(r);
    }
    return out;
}

// The fault parts of an observation (any op; "code": page_response).
void parse_fault_parts(const Validator &v, const json &j, const std::string &w,
                       ref::Observation &r) {
    if (j.contains("raised")) r.raised = parse_faults(v, j["raised"], w + "/raised");
    if (j.contains("lost"))
        r.lost = static_cast<uint32_t>(v.unsigned_value(j["lost"], w + "/lost", UINT32_MAX));
    if (j.contains("faults")) r.faults = parse_faults(v, j["faults"], w + "/faults");
    if (j.contains("code"))
        r.code = static_cast<uint8_t>(v.unsigned_value(j["code"], w + "/code", SVAC_RESP_FAILURE));
    if (j.contains("responses")) r.responses = parse_responses(v, j["responses"], w + "/responses");
    if (j.contains("retries")) r.retries = parse_outcomes(v, j["retries"], w + "/retries");
    if (j.contains("discarded"))
        r.discarded =
            static_cast<uint32_t>(v.unsigned_value(j["discarded"], w + "/discarded", UINT32_MAX));
}

constexpr std::string_view kAnswers[] = {"handler", "invalid", "failure"};

// dma and page_request: a number, {"mm": K}, or null for no PASID.
void parse_request_pasid(const Validator &v, const json &j, const std::string &w,
                         const ref::Topology &t, ref::Op &op) {
    const json &p = v.field(j, w, "pasid");
    if (p.is_null())
        op.no_pasid = true;
    else
        op.pasid = parse_pasid_arg(v, p, w + "/pasid", t);
}

// What the platform saw during an op (HW-8, HW-9, a refused allocation:
// ROBUST-4), recorded on any op.
ref::Op parse_op_with_platform(const Validator &v, const json &in, const std::string &w,
                               const ref::Topology &t, const ref::Profile &profile) {
    v.object(in, w);
    if (!in.contains("stray_stores") && !in.contains("unsynced_commands") &&
        !in.contains("bad_frees") && !in.contains("refused_commands") &&
        !in.contains("alloc_failed") && !in.contains("pasid_overrun") &&
        !in.contains("register_misuse"))
        return parse_op(v, in, w, t, profile);
    json j = in;
    auto flag = [&](const char *key) {
        if (!j.contains(key)) return false;
        const bool b = v.bool_value(j[key], w + "/" + key);
        j.erase(key);
        return b;
    };
    const bool alloc_failed = flag("alloc_failed"), pasid_overrun = flag("pasid_overrun");
    auto count = [&](const char *key) -> std::optional<uint32_t> {
        if (!j.contains(key)) return std::nullopt;
        const auto n = static_cast<uint32_t>(v.unsigned_value(j[key], w + "/" + key, UINT32_MAX));
        j.erase(key);
        return n;
    };
    const auto stray = count("stray_stores"), unsynced = count("unsynced_commands");
    const auto bad_frees = count("bad_frees"), refused = count("refused_commands");
    std::optional<std::vector<ref::RegisterMisuse>> misuse;
    if (j.contains("register_misuse")) {
        const std::string mw = w + "/register_misuse";
        const json &list = j["register_misuse"];
        if (!list.is_array()) v.fail(mw, "expected an array, got " + Validator::type_of(list));
        misuse.emplace();
        for (std::size_t k = 0; k < list.size(); ++k) {
            const std::string at = mw + "/" + std::to_string(k);
            v.object(list[k], at);
            v.only_keys(list[k], at, {"clause", "what"});
            const json &id = v.field(list[k], at, "clause"), &what = v.field(list[k], at, "what");
            if (!id.is_string() || !what.is_string()) v.fail(at, "clause and what are strings");
            const auto c = ref::find_clause(id.get<std::string>());
            if (!c) v.fail(at + "/clause", reports::excerpt(id) + " is no clause of the catalog");
            misuse->push_back({*c, what.get<std::string>()});
        }
        j.erase("register_misuse");
    }
    ref::Op op = parse_op(v, j, w, t, profile);
    op.recorded.register_misuse = std::move(misuse);
    op.recorded.stray_stores = stray;
    op.recorded.unsynced_commands = unsynced;
    op.recorded.bad_frees = bad_frees;
    op.recorded.refused_commands = refused;
    op.recorded.alloc_failed = alloc_failed;
    op.recorded.pasid_overrun = pasid_overrun;
    return op;
}

// An op that the trace's API generation does not have is refused, naming the
// profile (ref::op_in_profile).
void refuse_outside_profile(const Validator &v, const json &j, const std::string &w,
                            const ref::Op &op, const ref::Profile &p) {
    if (!ref::op_in_profile(op.kind, p))
        v.fail(w + "/op",
               "profile " + std::string(p.name) + " has no " + std::string(ref::op_name(op.kind)));
    if (op.kind == OpKind::unbind && op.by_handle && (j.contains("dev") || j.contains("pasid")))
        v.fail(w, "profile " + std::string(p.name) +
                      " unbinds a handle: name it (\"handle\"), not the device and PASID");
    if (op.kind == OpKind::unbind && !op.by_handle && j.contains("handle"))
        v.fail(w + "/handle", "profile " + std::string(p.name) + " unbinds by device and PASID");
    if (op.kind == OpKind::bind && p.contract == ref::Contract::rfc2019 && j.contains("handle"))
        v.fail(w + "/handle", "profile " + std::string(p.name) + " binds without a handle");
}

ref::Op parse_op(const Validator &v, const json &j, const std::string &w, const ref::Topology &t,
                 const ref::Profile &profile) {
    v.object(j, w);
    const json &name = v.field(j, w, "op");
    ref::Op op;
    if (!name.is_string() || !ref::op_from_name(name.get<std::string>(), op.kind))
        v.fail(w + "/op", "unknown op " + reports::excerpt(name));
    // Unknown fields first: a typo ("devv") is named as such, not as a missing "dev".
    v.only_keys(j, w, allowed_keys(op.kind));
    auto index = [&](const char *key, uint32_t count, const char *what) {
        uint32_t i =
            static_cast<uint32_t>(v.unsigned_value(v.field(j, w, key), w + "/" + key, UINT32_MAX));
        if (i >= count)
            v.fail(w + "/" + key, std::string(what) + " " + std::to_string(i) +
                                      " does not exist (the topology has " + std::to_string(count) +
                                      ")");
        return i;
    };
    // From linux-5.3 an unbind names the handle a bind returned.
    op.by_handle = op.kind == OpKind::unbind && profile.contract != ref::Contract::rfc2019;
    refuse_outside_profile(v, j, w, op, profile);
    if (ref::op_has_dev(op.kind) && !op.by_handle)
        op.dev = index("dev", static_cast<uint32_t>(t.devices.size()), "device");
    if (ref::op_has_mm(op.kind)) op.mm = index("mm", t.mms, "mm");
    if (ref::op_has_feat(op.kind))
        op.feat = parse_feature(v, v.field(j, w, "feat"), w + "/feat", profile);
    switch (op.kind) {
    case OpKind::has_feature:
    case OpKind::feature_enabled:
        // "rc": a driver's non-boolean answer, as op_to_json writes it
        if (j.contains("result")) op.recorded.rc = v.bool_value(j["result"], w + "/result") ? 1 : 0;
        break;
    case OpKind::enable_feature:
    case OpKind::disable_feature:
        break;
    case OpKind::set_sva_param:
        op.min =
            static_cast<uint32_t>(v.unsigned_value(v.field(j, w, "min"), w + "/min", UINT32_MAX));
        op.max =
            static_cast<uint32_t>(v.unsigned_value(v.field(j, w, "max"), w + "/max", UINT32_MAX));
        break;
    case OpKind::bind:
        if (j.contains("drvdata"))
            op.drvdata = v.unsigned_value(j["drvdata"], w + "/drvdata", UINT64_MAX);
        if (op.drvdata != 0 && !profile.mm_exit_callback)
            v.fail(w + "/drvdata", "profile " + std::string(profile.name) +
                                       " binds without drvdata (no mm_exit callback)");
        if (j.contains("pasid"))
            op.recorded.pasid =
                static_cast<uint32_t>(v.unsigned_value(j["pasid"], w + "/pasid", UINT32_MAX));
        if (j.contains("handle"))
            op.recorded.handle =
                static_cast<uint32_t>(v.unsigned_value(j["handle"], w + "/handle", kMaxHandleName));
        break;
    case OpKind::unbind:
        if (op.by_handle)
            op.handle = static_cast<uint32_t>(
                v.unsigned_value(v.field(j, w, "handle"), w + "/handle", kMaxHandleName));
        else
            op.pasid = parse_pasid_arg(v, v.field(j, w, "pasid"), w + "/pasid", t);
        break;
    case OpKind::set_ops:
        op.by_handle = true;
        op.handle = static_cast<uint32_t>(
            v.unsigned_value(v.field(j, w, "handle"), w + "/handle", kMaxHandleName));
        op.ops =
            static_cast<uint32_t>(v.unsigned_value(v.field(j, w, "ops"), w + "/ops", UINT32_MAX));
        if (op.ops == 0) v.fail(w + "/ops", "must be at least 1 (0 names no ops)");
        break;
    case OpKind::mm_free:
        break;
    case OpKind::mm_exit:
        break;
    case OpKind::mm_map:
    case OpKind::mm_protect:
    case OpKind::mm_unmap: {
        op.va = v.unsigned_value(v.field(j, w, "va"), w + "/va", (uint64_t{1} << ref::kVaBits) - 1);
        if (op.va % ref::kPageSize)
            v.fail(w + "/va", "must be 4 KiB aligned, got " + std::to_string(op.va));
        op.pages = static_cast<uint32_t>(
            v.unsigned_value(v.field(j, w, "pages"), w + "/pages", kMaxPagesPerOp));
        if (op.pages == 0) v.fail(w + "/pages", "must be at least 1");
        if (op.va + uint64_t{op.pages} * ref::kPageSize > (uint64_t{1} << ref::kVaBits))
            v.fail(w + "/pages", "the range ends beyond the 48-bit address space");
        if (op.kind != OpKind::mm_unmap) {
            op.perms = parse_perms(v, v.field(j, w, "perms"), w + "/perms", false);
            // The CPU page tables modelled (AArch64 user pages, x86-64) have
            // no write-only or execute-only mapping: a present page reads.
            if (op.perms && !(op.perms & ref::kRead))
                v.fail(w + "/perms",
                       "a CPU mapping always allows read: expected permissions with r, or \"-\" "
                       "(no access), got \"" +
                           ref::perms_name(op.perms) + "\"");
        }
        if (op.kind == OpKind::mm_map) op.lazy = optional_bool(v, j, w, "lazy");
        break;
    }
    case OpKind::dma: {
        parse_request_pasid(v, j, w, t, op);
        op.va = v.unsigned_value(v.field(j, w, "va"), w + "/va", UINT64_MAX);
        op.pages = 1;
        if (j.contains("pages")) {
            op.pages =
                static_cast<uint32_t>(v.unsigned_value(j["pages"], w + "/pages", kMaxDmaPages));
            if (op.pages == 0) v.fail(w + "/pages", "must be at least 1");
            // Every page's address within the 48-bit space (one page may go anywhere).
            if (op.pages > 1 &&
                (op.va >= (uint64_t{1} << ref::kVaBits) ||
                 (uint64_t{1} << ref::kVaBits) - op.va <= uint64_t{op.pages - 1} * ref::kPageSize))
                v.fail(w + "/pages", "the range ends beyond the 48-bit address space");
        }
        op.perms = parse_perms(v, v.field(j, w, "access"), w + "/access", true);
        if (j.contains("outcomes")) {
            if (j.contains("outcome"))
                v.fail(w + "/outcomes",
                       "give \"outcome\" (one page) or \"outcomes\" (one per page), not both");
            const json &o = j["outcomes"];
            op.recorded.dma = parse_outcomes(v, o, w + "/outcomes");
            if (op.recorded.dma->size() != op.pages)
                v.fail(w + "/outcomes", "expected " + std::to_string(op.pages) +
                                            " outcomes (one per page), got " +
                                            std::to_string(op.recorded.dma->size()));
            if (j.contains("pa") || j.contains("reason"))
                v.fail(w, "\"pa\" and \"reason\" go inside each of \"outcomes\"");
        } else if (j.contains("outcome")) {
            if (op.pages > 1)
                v.fail(w + "/outcome", "a DMA of " + std::to_string(op.pages) +
                                           " pages records \"outcomes\", one per page");
            op.recorded.dma = std::vector<ref::DmaObservation>{parse_outcome(v, j, w)};
        } else if (j.contains("pa") || j.contains("reason")) {
            v.fail(w, "\"pa\" and \"reason\" record an outcome: give \"outcome\" too");
        }
        break;
    }
    case OpKind::page_request: {
        parse_request_pasid(v, j, w, t, op);
        op.va = v.unsigned_value(v.field(j, w, "va"), w + "/va", UINT64_MAX);
        if (op.va % ref::kPageSize)
            v.fail(w + "/va", "must be 4 KiB aligned (a page request names a page), got " +
                                  std::to_string(op.va));
        op.perms = parse_perms(v, v.field(j, w, "access"), w + "/access", false);
        op.group = static_cast<uint32_t>(
            v.unsigned_value(v.field(j, w, "group"), w + "/group", kMaxPrgIndex));
        op.last = optional_bool(v, j, w, "last");
        op.stop = optional_bool(v, j, w, "stop");
        op.bad_sid = optional_bool(v, j, w, "bad_sid");
        if (op.stop) { // a Stop Marker: Last, no access, a PASID
            if (op.perms)
                v.fail(w + "/access", "a Stop Marker requests no access: expected \"-\", got " +
                                          reports::excerpt(j["access"]));
            if (op.no_pasid) v.fail(w + "/pasid", "a Stop Marker carries a PASID, got null");
            if (j.contains("last") && !op.last)
                v.fail(w + "/last", "a Stop Marker is the last request of its group");
            op.last = true;
        }
        break;
    }
    case OpKind::page_response: {
        if (j.contains("group")) {
            op.has_group = true;
            op.group = static_cast<uint32_t>(
                v.unsigned_value(j["group"], w + "/group", kMaxResponseGroup));
        }
        if (j.contains("answer")) {
            const json &a = j["answer"];
            std::size_t i = 0;
            while (i < std::size(kAnswers) &&
                   !(a.is_string() && a.get<std::string>() == kAnswers[i]))
                ++i;
            if (i == std::size(kAnswers))
                v.fail(w + "/answer", "expected \"handler\", \"invalid\" or \"failure\", got " +
                                          reports::excerpt(a));
            op.answer = static_cast<ref::Op::Answer>(i);
        }
        break;
    }
    case OpKind::register_fault_handler:
    case OpKind::unregister_fault_handler:
    case OpKind::queue_overflow:
        break;
    case OpKind::count_:
        break;
    }
    if (j.contains("rc") && op.by_handle && op.kind == OpKind::unbind)
        v.fail(w + "/rc", "from linux-5.3 unbind returns nothing");
    if (j.contains("rc")) op.recorded.rc = v.int_value(j["rc"], w + "/rc");
    if (j.contains("callbacks") && !profile.mm_exit_callback)
        v.fail(w + "/callbacks",
               "profile " + std::string(profile.name) + " has no mm_exit callback");
    if (j.contains("callbacks"))
        op.recorded.callbacks = parse_callbacks(v, j["callbacks"], w + "/callbacks", t);
    if (j.contains("calls") && profile.contract != ref::Contract::domain)
        v.fail(w + "/calls", "profile " + std::string(profile.name) +
                                 " has no domains: the driver makes no such calls");
    if (j.contains("calls"))
        op.recorded.calls = parse_calls(v, j["calls"], w + "/calls", t, profile);
    parse_fault_parts(v, j, w, op.recorded);
    return op;
}

// "finding": {"clause": "HW-7", "step": 3, "judged_from": "stores"}: the op
// is one of the trace's.
RecordedFinding parse_recorded_finding(Validator &v, const json &j, std::size_t ops) {
    v.object(j, "/finding");
    v.only_keys(j, "/finding", {"clause", "step", "judged_from"});
    const json &clause = v.field(j, "/finding", "clause");
    const auto id = clause.is_string() ? ref::find_clause(clause.get<std::string>()) : std::nullopt;
    if (!id) v.fail("/finding/clause", "expected a clause ID (sva-conform clauses)");
    if (ops == 0) v.fail("/finding", "a finding needs the op it was found at; the trace has none");
    const uint64_t step =
        v.unsigned_value(v.field(j, "/finding", "step"), "/finding/step", ops - 1);
    RecordedFinding f{*id, static_cast<std::size_t>(step)};
    if (j.contains("judged_from")) {
        const json &e = j["judged_from"];
        const auto evidence = e.is_string() ? find_evidence(e.get<std::string>()) : std::nullopt;
        if (!evidence)
            v.fail("/finding/judged_from", "expected outcomes, stores, tables, process or memory");
        f.judged_from = *evidence;
    }
    return f;
}

} // namespace

namespace {
constexpr std::pair<Evidence, std::string_view> kEvidence[] = {{Evidence::outcomes, "outcomes"},
                                                               {Evidence::stores, "stores"},
                                                               {Evidence::tables, "tables"},
                                                               {Evidence::process, "process"},
                                                               {Evidence::memory, "memory"}};
} // namespace

std::string_view evidence_name(Evidence e) {
    for (const auto &[k, name] : kEvidence)
        if (k == e) return name;
    return "outcomes";
}

std::optional<Evidence> find_evidence(std::string_view name) {
    for (const auto &[k, n] : kEvidence)
        if (n == name) return k;
    return std::nullopt;
}

std::string_view why_not_in_trace(Evidence e) {
    switch (e) {
    case Evidence::outcomes:
        return "";
    case Evidence::stores:
        return "it was judged from each store the driver made, in order, which a trace does not "
               "record";
    case Evidence::tables:
        return "it was judged from the tables the driver wrote and the commands it issued, which "
               "a trace does not record";
    case Evidence::process:
        return "it was judged from the driver's process (a crash, a hang, its memory)";
    case Evidence::memory:
        return "it was judged from what destroy did (the platform memory the driver still held "
               "after it, a callback it fired), which a trace does not record";
    }
    return "";
}

Trace parse_trace(std::string_view text, std::string_view source) {
    std::string error;
    auto parsed = reports::parse_json_text(text, &error);
    if (!parsed) throw InputError(std::string(source) + ": " + error);
    return trace_from_json(*parsed, source);
}

Trace trace_from_json(const json &j, std::string_view source) {
    Validator v(source);
    v.object(j, "");
    v.only_keys(j, "", {"format", "profile", "topology", "fail_alloc_nth", "finding", "ops"});
    const json &format = v.field(j, "", "format");
    if (!format.is_string() || format.get<std::string>() != kTraceFormat)
        v.fail("/format",
               "expected \"" + std::string(kTraceFormat) + "\", got " + reports::excerpt(format));
    Trace t;
    if (j.contains("profile")) {
        const json &p = j["profile"];
        if (!p.is_string() || !ref::find_profile(p.get<std::string>())) {
            std::string known;
            for (const auto &pr : ref::profiles())
                known += (known.empty() ? "" : ", ") + std::string(pr.name);
            v.fail("/profile",
                   "unknown profile " + reports::excerpt(p) + " (known: " + known + ")");
        }
        t.profile = p.get<std::string>();
    }
    const ref::Profile &profile = *ref::find_profile(t.profile);
    t.topology = parse_topology(v, v.field(j, "", "topology"));
    if (j.contains("fail_alloc_nth"))
        t.fail_alloc_nth = v.unsigned_value(j["fail_alloc_nth"], "/fail_alloc_nth", UINT64_MAX);
    const json &ops = v.field(j, "", "ops");
    if (!ops.is_array())
        v.fail("/ops", "expected an array of ops, got " + std::string(ops.type_name()));
    if (ops.size() > kMaxOps)
        v.fail("/ops", std::to_string(ops.size()) + " ops is more than " + std::to_string(kMaxOps));
    std::vector<std::size_t> exited_at(t.topology.mms, SIZE_MAX),
        freed_at(t.topology.mms, SIZE_MAX);
    t.ops.reserve(ops.size());
    for (std::size_t i = 0; i < ops.size(); ++i) {
        std::string w = "/ops/" + std::to_string(i);
        ref::Op op = parse_op_with_platform(v, ops[i], w, t.topology, profile);
        if (ref::op_is_mm_change(op.kind) && exited_at[op.mm] != SIZE_MAX)
            v.fail(w, "mm " + std::to_string(op.mm) + " has exited (at /ops/" +
                          std::to_string(exited_at[op.mm]) + "): its address space is gone");
        if (op.kind == OpKind::mm_exit) {
            if (exited_at[op.mm] != SIZE_MAX)
                v.fail(w, "mm " + std::to_string(op.mm) +
                              " exits a second time (it exited at /ops/" +
                              std::to_string(exited_at[op.mm]) + ")");
            exited_at[op.mm] = i;
        }
        // The last mmdrop comes after the mm's exit, once.
        if (op.kind == OpKind::mm_free) {
            if (exited_at[op.mm] == SIZE_MAX)
                v.fail(w, "mm_free of mm " + std::to_string(op.mm) + ", which has not exited");
            if (freed_at[op.mm] != SIZE_MAX)
                v.fail(w, "mm " + std::to_string(op.mm) + " is freed a second time (at /ops/" +
                              std::to_string(freed_at[op.mm]) + " first)");
            freed_at[op.mm] = i;
        }
        t.ops.push_back(op);
    }
    if (j.contains("finding")) t.finding = parse_recorded_finding(v, j["finding"], t.ops.size());
    return t;
}

Trace load_trace(const std::string &path, const std::optional<std::string> &profile) {
    std::string error;
    auto text = reports::read_json_file(path, &error);
    if (!text) throw InputError(path + ": " + error);
    if (!profile) return parse_trace(*text, path);
    auto parsed = reports::parse_json_text(*text, &error);
    if (!parsed) throw InputError(path + ": " + error);
    if (parsed->is_object()) (*parsed)["profile"] = *profile;
    return trace_from_json(*parsed, path);
}

const ref::Profile &profile_of(const Trace &t) {
    const ref::Profile *p = ref::find_profile(t.profile);
    return p ? *p : ref::default_profile();
}

json topology_to_json(const ref::Topology &t) {
    json j;
    j["iommus"] = json::array();
    for (const auto &i : t.iommus)
        j["iommus"].push_back(
            {{"arch", ref::arch_name(i.arch)}, {"pasid_bits", i.pasid_bits}, {"sva", i.sva}});
    j["devices"] = json::array();
    for (const auto &d : t.devices)
        j["devices"].push_back({{"iommu", d.iommu},
                                {"pasid_bits", d.pasid_bits},
                                {"pri", d.pri},
                                {"stall", d.stall},
                                {"ats", d.ats}});
    j["mms"] = t.mms;
    return j;
}

namespace {

json pasid_arg_json(const ref::PasidArg &p) {
    if (p.of_mm) return {{"mm", p.value}};
    return p.value;
}

// "outcome", "pa", "reason" into obj.
void outcome_json(const ref::DmaObservation &d, json &obj) {
    auto kind = static_cast<ref::DmaResult::Kind>(d.kind);
    obj["outcome"] = ref::dma_kind_name(kind);
    if (kind == ref::DmaResult::Kind::translated) obj["pa"] = d.pa;
    if (d.reason)
        obj["reason"] = ref::dma_reason_name(static_cast<ref::DmaResult::Reason>(d.reason));
}

json outcomes_json(const std::vector<ref::DmaObservation> &v) {
    json a = json::array();
    for (const auto &d : v) {
        json o = json::object();
        outcome_json(d, o);
        a.push_back(std::move(o));
    }
    return a;
}

json observed_dev_json(uint32_t dev) {
    return dev == ref::ResponseRecord::kNoDevice ? json(nullptr) : json(dev);
}

// "pasid" when the record carries one (or holds a stray value), with
// "pasid_valid": false for the latter.
void observed_pasid_json(bool valid, uint32_t pasid, json &obj) {
    if (!valid && pasid == 0) return;
    obj["pasid"] = pasid;
    if (!valid) obj["pasid_valid"] = false;
}

json faults_json(const std::vector<ref::FaultRecord> &v) {
    json a = json::array();
    for (const auto &f : v) {
        json o;
        o["dev"] = observed_dev_json(f.dev);
        observed_pasid_json(f.flags & SVAC_FAULT_PASID_VALID, f.pasid, o);
        o["group"] = f.grpid;
        o["last"] = (f.flags & SVAC_FAULT_LAST_PAGE) != 0;
        o["needs_pasid"] = (f.flags & SVAC_FAULT_NEEDS_PASID) != 0;
        o["access"] = ref::perms_name(static_cast<uint8_t>(
            f.perm & (SVAC_FAULT_PERM_READ | SVAC_FAULT_PERM_WRITE | SVAC_FAULT_PERM_EXEC)));
        o["priv"] = (f.perm & SVAC_FAULT_PERM_PRIV) != 0;
        o["addr"] = f.addr;
        if (uint32_t x = f.flags & ~kNamedFaultFlags) o["other_flags"] = x;
        if (uint32_t x = f.perm & ~kNamedFaultPerms) o["other_perm"] = x;
        a.push_back(std::move(o));
    }
    return a;
}

json responses_json(const std::vector<ref::ResponseRecord> &v) {
    json a = json::array();
    for (const auto &r : v) {
        json o;
        o["dev"] = observed_dev_json(r.dev);
        o["stall"] = r.stall;
        observed_pasid_json(r.has_pasid, r.pasid, o);
        o["group"] = r.group;
        o["code"] = r.code;
        o["raw"] = r.raw;
        o["automatic"] = r.automatic;
        a.push_back(std::move(o));
    }
    return a;
}

} // namespace

json misuse_json(const std::vector<ref::RegisterMisuse> &v) {
    json a = json::array();
    for (const ref::RegisterMisuse &m : v)
        a.push_back({{"clause", std::string(ref::clause_id(m.clause))}, {"what", m.what}});
    return a;
}

json op_to_json(const ref::Op &op, const ref::Profile &profile) {
    json j;
    j["op"] = ref::op_name(op.kind);
    if (ref::op_has_dev(op.kind)) j["dev"] = op.dev;
    if (ref::op_has_mm(op.kind)) j["mm"] = op.mm;
    if (ref::op_has_feat(op.kind)) {
        if (op.feat == SVAC_FEAT_SVA)
            j["feat"] = "sva";
        else if (op.feat == SVAC_FEAT_IOPF && profile.iopf_feature)
            j["feat"] = "iopf";
        else
            j["feat"] = op.feat;
    }
    switch (op.kind) {
    case OpKind::set_sva_param:
        j["min"] = op.min;
        j["max"] = op.max;
        break;
    case OpKind::bind:
        j["drvdata"] = op.drvdata;
        break;
    case OpKind::unbind:
        if (op.by_handle) {
            j.erase("dev");
            j["handle"] = op.handle;
        } else {
            j["pasid"] = pasid_arg_json(op.pasid);
        }
        break;
    case OpKind::set_ops:
        j["handle"] = op.handle;
        j["ops"] = op.ops;
        break;
    case OpKind::mm_map:
    case OpKind::mm_protect:
    case OpKind::mm_unmap:
        j["va"] = op.va;
        j["pages"] = op.pages;
        if (op.kind != OpKind::mm_unmap) j["perms"] = ref::perms_name(op.perms);
        if (op.kind == OpKind::mm_map && op.lazy) j["lazy"] = true;
        break;
    case OpKind::dma:
        j["pasid"] = op.no_pasid ? json(nullptr) : pasid_arg_json(op.pasid);
        j["va"] = op.va;
        if (op.pages > 1) j["pages"] = op.pages; // 0 (unset) reads as 1
        j["access"] = ref::perms_name(op.perms);
        break;
    case OpKind::page_request:
        j["pasid"] = op.no_pasid ? json(nullptr) : pasid_arg_json(op.pasid);
        j["va"] = op.va;
        j["access"] = ref::perms_name(op.perms);
        j["group"] = op.group;
        if (op.last) j["last"] = true;
        if (op.stop) j["stop"] = true;
        if (op.bad_sid) j["bad_sid"] = true;
        break;
    case OpKind::page_response:
        if (op.has_group) j["group"] = op.group;
        if (static_cast<std::size_t>(op.answer) < std::size(kAnswers))
            j["answer"] = kAnswers[static_cast<std::size_t>(op.answer)];
        break;
    default:
        break;
    }
    // The recorded outcomes. rc, pasid, the DMA outcomes and code only on the
    // op kinds that have them: a driver's observation may hold more, and a
    // finding's trace must read back.
    const ref::Observation &r = op.recorded;
    auto has = [&](std::string_view key) { return allows(op.kind, key); };
    if (r.rc) {
        if (ref::op_is_query(op.kind) && (*r.rc == 0 || *r.rc == 1))
            j["result"] = *r.rc == 1;
        else if (has("rc") && !(op.by_handle && op.kind == OpKind::unbind))
            j["rc"] = *r.rc;
    }
    if (r.pasid && op.kind == OpKind::bind) j["pasid"] = *r.pasid;
    if (r.handle && op.kind == OpKind::bind) j["handle"] = *r.handle;
    if (r.dma && has("outcome")) {
        if (r.dma->size() == 1 && op.pages <= 1)
            outcome_json(r.dma->front(), j);
        else
            j["outcomes"] = outcomes_json(*r.dma);
    }
    if (r.code && has("code")) j["code"] = *r.code;
    if (r.raised) j["raised"] = faults_json(*r.raised);
    if (r.lost) j["lost"] = *r.lost;
    if (r.faults) j["faults"] = faults_json(*r.faults);
    if (r.responses) j["responses"] = responses_json(*r.responses);
    if (r.retries) j["retries"] = outcomes_json(*r.retries);
    if (r.discarded) j["discarded"] = *r.discarded;
    if (r.stray_stores && *r.stray_stores) j["stray_stores"] = *r.stray_stores;
    if (r.unsynced_commands && *r.unsynced_commands) j["unsynced_commands"] = *r.unsynced_commands;
    if (r.bad_frees && *r.bad_frees) j["bad_frees"] = *r.bad_frees;
    if (r.refused_commands && *r.refused_commands) j["refused_commands"] = *r.refused_commands;
    if (r.register_misuse && !r.register_misuse->empty())
        j["register_misuse"] = misuse_json(*r.register_misuse);
    if (r.pasid_overrun) j["pasid_overrun"] = true;
    if (r.alloc_failed) j["alloc_failed"] = true;
    if (r.calls && profile.contract == ref::Contract::domain) {
        auto domain = [](uint32_t d) -> json {
            if (d == ref::DriverCall::kBlocked) return "blocked";
            if (d == ref::DriverCall::kNone) return nullptr;
            return d;
        };
        j["calls"] = json::array();
        for (const ref::DriverCall &c : *r.calls) {
            json k = {{"call", ref::call_name(c.kind)}};
            switch (c.kind) {
            case ref::DriverCall::Kind::domain_alloc_sva:
                k["dev"] = c.dev;
                k["mm"] = c.mm;
                if (c.rc == 0) k["domain"] = c.domain;
                k["rc"] = c.rc;
                break;
            case ref::DriverCall::Kind::set_dev_pasid:
                k["domain"] = domain(c.domain);
                k["dev"] = c.dev;
                k["pasid"] = c.pasid;
                k["old"] = domain(c.old);
                k["rc"] = c.rc;
                break;
            case ref::DriverCall::Kind::remove_dev_pasid:
                k["dev"] = c.dev;
                k["pasid"] = c.pasid;
                k["domain"] = c.domain;
                break;
            case ref::DriverCall::Kind::domain_free:
                k["domain"] = c.domain;
                break;
            }
            j["calls"].push_back(std::move(k));
        }
    }
    if (r.callbacks && profile.mm_exit_callback) { // none exist from linux-6.1
        j["callbacks"] = json::array();
        for (const auto &c : *r.callbacks)
            j["callbacks"].push_back({{"dev", c.dev}, {"pasid", c.pasid}, {"drvdata", c.drvdata}});
    }
    return j;
}

namespace {
json recorded_finding_json(const RecordedFinding &f) {
    return {{"clause", ref::clause_id(f.clause)},
            {"step", f.step},
            {"judged_from", evidence_name(f.judged_from)}};
}
} // namespace

json trace_to_json(const Trace &t) {
    json j;
    j["format"] = kTraceFormat;
    j["profile"] = t.profile;
    j["topology"] = topology_to_json(t.topology);
    if (t.fail_alloc_nth) j["fail_alloc_nth"] = t.fail_alloc_nth;
    if (t.finding) j["finding"] = recorded_finding_json(*t.finding);
    j["ops"] = json::array();
    for (const auto &op : t.ops) j["ops"].push_back(op_to_json(op, profile_of(t)));
    return j;
}

std::string print_trace(const Trace &t) {
    std::string s = "{\n  \"format\": \"" + std::string(kTraceFormat) +
                    "\",\n  \"profile\": " + json(t.profile).dump() +
                    ",\n  \"topology\": " + topology_to_json(t.topology).dump() + ",\n  ";
    if (t.fail_alloc_nth) s += "\"fail_alloc_nth\": " + std::to_string(t.fail_alloc_nth) + ",\n  ";
    if (t.finding) s += "\"finding\": " + recorded_finding_json(*t.finding).dump() + ",\n  ";
    s += "\"ops\": [";
    for (std::size_t i = 0; i < t.ops.size(); ++i)
        s += (i ? ",\n    " : "\n    ") + op_to_json(t.ops[i], profile_of(t)).dump();
    s += t.ops.empty() ? "]\n}\n" : "\n  ]\n}\n";
    return s;
}

} // namespace svac::engine
