#include "engine/trace.h"

#include <cstring>
#include <fstream>
#include <set>
#include <sstream>

namespace svac::engine {

namespace {

using ref::OpKind;

// Validation walks the JSON with its pointer so every error can say where.
class Validator {
public:
    explicit Validator(std::string_view source) : source_(source) {}

    [[noreturn]] void fail(const std::string &where, const std::string &why) const {
        throw InputError(std::string(source_) + ": " + (where.empty() ? "/" : where) + ": " + why);
    }

    static std::string type_of(const json &j) { return j.type_name(); }

    const json &field(const json &obj, const std::string &where, const char *key) const {
        auto it = obj.find(key);
        if (it == obj.end()) fail(where, std::string("missing field \"") + key + "\"");
        return *it;
    }

    uint64_t unsigned_value(const json &j, const std::string &where, uint64_t max) const {
        if (!j.is_number_integer() ||
            (j.is_number_integer() && !j.is_number_unsigned() && j.get<int64_t>() < 0))
            fail(where,
                 "expected an unsigned integer, got " + (j.is_number() ? j.dump() : type_of(j)));
        uint64_t v = j.get<uint64_t>();
        if (v > max)
            fail(where,
                 std::to_string(v) + " is out of range (at most " + std::to_string(max) + ")");
        return v;
    }

    bool bool_value(const json &j, const std::string &where) const {
        if (!j.is_boolean()) fail(where, "expected true or false, got " + type_of(j));
        return j.get<bool>();
    }

    int int_value(const json &j, const std::string &where) const {
        if (!j.is_number_integer()) fail(where, "expected an integer, got " + type_of(j));
        if (j.is_number_unsigned() && j.get<uint64_t>() > uint64_t{INT32_MAX})
            fail(where, j.dump() + " is not a 32-bit return code");
        if (!j.is_number_unsigned() && j.get<int64_t>() < int64_t{INT32_MIN})
            fail(where, j.dump() + " is not a 32-bit return code");
        return static_cast<int>(j.get<int64_t>());
    }

    void only_keys(const json &obj, const std::string &where,
                   std::initializer_list<std::string_view> keys) const {
        for (auto it = obj.begin(); it != obj.end(); ++it) {
            bool known = false;
            for (auto k : keys) known = known || it.key() == k;
            if (!known) fail(where + "/" + it.key(), "unknown field \"" + it.key() + "\"");
        }
    }

    void object(const json &j, const std::string &where) const {
        if (!j.is_object()) fail(where, "expected an object, got " + type_of(j));
    }

private:
    std::string_view source_;
};

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
            v.fail(w + "/arch", "expected \"smmuv3\" or \"vtd\", got " + arch.dump());
        if (e.contains("pasid_bits"))
            iommu.pasid_bits = static_cast<uint8_t>(
                v.unsigned_value(e["pasid_bits"], w + "/pasid_bits", SVAC_PASID_BITS_MAX));
        if (e.contains("sva")) iommu.sva = v.bool_value(e["sva"], w + "/sva");
        t.iommus.push_back(iommu);
    }
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

uint32_t parse_feature(const Validator &v, const json &j, const std::string &where) {
    if (j.is_string()) {
        if (j.get<std::string>() == "sva") return SVAC_FEAT_SVA;
        v.fail(where, "unknown feature name " + j.dump() +
                          " (name \"sva\", or give an integer for an unknown feature)");
    }
    return static_cast<uint32_t>(v.unsigned_value(j, where, UINT32_MAX));
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

ref::Op parse_op(const Validator &v, const json &j, const std::string &w, const ref::Topology &t,
                 const ref::Profile &profile) {
    v.object(j, w);
    const json &name = v.field(j, w, "op");
    ref::Op op;
    if (!name.is_string() || !ref::op_from_name(name.get<std::string>(), op.kind))
        v.fail(w + "/op", "unknown op " + name.dump());
    auto index = [&](const char *key, uint32_t count, const char *what) {
        uint32_t i =
            static_cast<uint32_t>(v.unsigned_value(v.field(j, w, key), w + "/" + key, UINT32_MAX));
        if (i >= count)
            v.fail(w + "/" + key, std::string(what) + " " + std::to_string(i) +
                                      " does not exist (the topology has " + std::to_string(count) +
                                      ")");
        return i;
    };
    if (ref::op_has_dev(op.kind))
        op.dev = index("dev", static_cast<uint32_t>(t.devices.size()), "device");
    if (ref::op_has_mm(op.kind)) op.mm = index("mm", t.mms, "mm");
    if (ref::op_has_feat(op.kind)) op.feat = parse_feature(v, v.field(j, w, "feat"), w + "/feat");
    switch (op.kind) {
    case OpKind::has_feature:
    case OpKind::feature_enabled:
        v.only_keys(j, w, {"op", "dev", "feat", "result", "callbacks"});
        if (j.contains("result")) op.recorded.rc = v.bool_value(j["result"], w + "/result") ? 1 : 0;
        break;
    case OpKind::enable_feature:
    case OpKind::disable_feature:
        v.only_keys(j, w, {"op", "dev", "feat", "rc", "callbacks"});
        break;
    case OpKind::set_sva_param:
        if (!profile.sva_param)
            v.fail(w + "/op", "profile " + std::string(profile.name) + " has no set_sva_param");
        v.only_keys(j, w, {"op", "dev", "min", "max", "rc", "callbacks"});
        op.min =
            static_cast<uint32_t>(v.unsigned_value(v.field(j, w, "min"), w + "/min", UINT32_MAX));
        op.max =
            static_cast<uint32_t>(v.unsigned_value(v.field(j, w, "max"), w + "/max", UINT32_MAX));
        break;
    case OpKind::bind:
        v.only_keys(j, w, {"op", "dev", "mm", "drvdata", "rc", "pasid", "callbacks"});
        if (j.contains("drvdata"))
            op.drvdata = v.unsigned_value(j["drvdata"], w + "/drvdata", UINT64_MAX);
        if (j.contains("pasid"))
            op.recorded.pasid =
                static_cast<uint32_t>(v.unsigned_value(j["pasid"], w + "/pasid", UINT32_MAX));
        break;
    case OpKind::unbind: {
        v.only_keys(j, w, {"op", "dev", "pasid", "rc", "callbacks"});
        const json &p = v.field(j, w, "pasid");
        if (p.is_object()) {
            v.only_keys(p, w + "/pasid", {"mm"});
            op.pasid.of_mm = true;
            op.pasid.value = static_cast<uint32_t>(
                v.unsigned_value(v.field(p, w + "/pasid", "mm"), w + "/pasid/mm", UINT32_MAX));
            if (op.pasid.value >= t.mms)
                v.fail(w + "/pasid/mm", "mm " + std::to_string(op.pasid.value) +
                                            " does not exist (the topology has " +
                                            std::to_string(t.mms) + ")");
        } else {
            op.pasid.value = static_cast<uint32_t>(v.unsigned_value(p, w + "/pasid", UINT32_MAX));
        }
        break;
    }
    case OpKind::mm_exit:
        v.only_keys(j, w, {"op", "mm", "callbacks"});
        break;
    case OpKind::count_:
        break;
    }
    if (j.contains("rc")) op.recorded.rc = v.int_value(j["rc"], w + "/rc");
    if (j.contains("callbacks"))
        op.recorded.callbacks = parse_callbacks(v, j["callbacks"], w + "/callbacks", t);
    return op;
}

std::string line_col(std::string_view text, std::size_t byte) {
    std::size_t line = 1, col = 1;
    for (std::size_t i = 0; i < byte && i < text.size(); ++i) {
        if (text[i] == '\n') {
            ++line;
            col = 1;
        } else {
            ++col;
        }
    }
    return "line " + std::to_string(line) + ", column " + std::to_string(col);
}

} // namespace

Trace parse_trace(std::string_view text, std::string_view source) {
    json j;
    try {
        j = json::parse(text.begin(), text.end());
    } catch (const json::parse_error &e) {
        std::string what = e.what();
        // nlohmann says "[json.exception.parse_error.101] parse error at line 3, column 5: ..."
        auto colon = what.find(": ");
        std::string reason = colon == std::string::npos ? what : what.substr(colon + 2);
        std::size_t byte = e.byte > 0 ? e.byte - 1 : 0;
        throw InputError(std::string(source) + ": " + line_col(text, byte) +
                         ": not valid JSON: " + reason);
    }
    Validator v(source);
    v.object(j, "");
    v.only_keys(j, "", {"format", "profile", "topology", "ops"});
    const json &format = v.field(j, "", "format");
    if (!format.is_string() || format.get<std::string>() != kTraceFormat)
        v.fail("/format", "expected \"" + std::string(kTraceFormat) + "\", got " + format.dump());
    Trace t;
    if (j.contains("profile")) {
        const json &p = j["profile"];
        if (!p.is_string() || !ref::find_profile(p.get<std::string>())) {
            std::string known;
            for (const auto &pr : ref::profiles())
                known += (known.empty() ? "" : ", ") + std::string(pr.name);
            v.fail("/profile", "unknown profile " + p.dump() + " (known: " + known + ")");
        }
        t.profile = p.get<std::string>();
    }
    const ref::Profile &profile = *ref::find_profile(t.profile);
    t.topology = parse_topology(v, v.field(j, "", "topology"));
    const json &ops = v.field(j, "", "ops");
    if (!ops.is_array())
        v.fail("/ops", "expected an array of ops, got " + std::string(ops.type_name()));
    if (ops.size() > kMaxOps)
        v.fail("/ops", std::to_string(ops.size()) + " ops is more than " + std::to_string(kMaxOps));
    std::vector<std::size_t> exited_at(t.topology.mms, SIZE_MAX);
    t.ops.reserve(ops.size());
    for (std::size_t i = 0; i < ops.size(); ++i) {
        std::string w = "/ops/" + std::to_string(i);
        ref::Op op = parse_op(v, ops[i], w, t.topology, profile);
        if (op.kind == OpKind::mm_exit) {
            if (exited_at[op.mm] != SIZE_MAX)
                v.fail(w, "mm " + std::to_string(op.mm) +
                              " exits a second time (it exited at /ops/" +
                              std::to_string(exited_at[op.mm]) + ")");
            exited_at[op.mm] = i;
        }
        t.ops.push_back(op);
    }
    return t;
}

Trace load_trace(const std::string &path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) throw InputError(path + ": cannot open: " + std::strerror(errno));
    std::ostringstream s;
    s << in.rdbuf();
    if (in.bad()) throw InputError(path + ": cannot read");
    return parse_trace(s.str(), path);
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

json op_to_json(const ref::Op &op) {
    json j;
    j["op"] = ref::op_name(op.kind);
    if (ref::op_has_dev(op.kind)) j["dev"] = op.dev;
    if (ref::op_has_mm(op.kind)) j["mm"] = op.mm;
    if (ref::op_has_feat(op.kind)) {
        if (op.feat == SVAC_FEAT_SVA)
            j["feat"] = "sva";
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
        if (op.pasid.of_mm)
            j["pasid"] = {{"mm", op.pasid.value}};
        else
            j["pasid"] = op.pasid.value;
        break;
    default:
        break;
    }
    const ref::Observation &r = op.recorded;
    if (r.rc) {
        if (ref::op_is_query(op.kind) && (*r.rc == 0 || *r.rc == 1))
            j["result"] = *r.rc == 1;
        else
            j["rc"] = *r.rc;
    }
    if (r.pasid && op.kind == OpKind::bind) j["pasid"] = *r.pasid;
    if (r.callbacks) {
        j["callbacks"] = json::array();
        for (const auto &c : *r.callbacks)
            j["callbacks"].push_back({{"dev", c.dev}, {"pasid", c.pasid}, {"drvdata", c.drvdata}});
    }
    return j;
}

json trace_to_json(const Trace &t) {
    json j;
    j["format"] = kTraceFormat;
    j["profile"] = t.profile;
    j["topology"] = topology_to_json(t.topology);
    j["ops"] = json::array();
    for (const auto &op : t.ops) j["ops"].push_back(op_to_json(op));
    return j;
}

std::string print_trace(const Trace &t) {
    std::string s = "{\n  \"format\": \"" + std::string(kTraceFormat) +
                    "\",\n  \"profile\": " + json(t.profile).dump() +
                    ",\n  \"topology\": " + topology_to_json(t.topology).dump() + ",\n  \"ops\": [";
    for (std::size_t i = 0; i < t.ops.size(); ++i)
        s += (i ? ",\n    " : "\n    ") + op_to_json(t.ops[i]).dump();
    s += t.ops.empty() ? "]\n}\n" : "\n  ]\n}\n";
    return s;
}

} // namespace svac::engine
