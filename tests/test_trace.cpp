// Traces ("sva-trace/1"): print -> parse and JSON -> parse round trips, and
// malformed input rejected with the source, the exact place and a reason.
#include "engine/generator.h"
#include "engine/trace.h"

#include <gtest/gtest.h>

#include <cerrno>
#include <string>

using namespace svac;
using engine::InputError;
using engine::Trace;
using ref::OpKind;

namespace {

// Both round trips: the person-readable text and the JSON value.
void expect_round_trip(const Trace &t) {
    std::string text = engine::print_trace(t);
    Trace back = engine::parse_trace(text, "printed.json");
    EXPECT_EQ(back, t) << text;
    std::string dumped = engine::trace_to_json(t).dump();
    Trace back2 = engine::parse_trace(dumped, "dumped.json");
    EXPECT_EQ(back2, t) << dumped;
    // Printing is stable: the parsed trace prints to the same text.
    EXPECT_EQ(engine::print_trace(back), text);
}

// The calls of the SVA API and mm_exit: they record rc/result, pasid, callbacks.
bool is_api_call(OpKind k) {
    switch (k) {
    case OpKind::has_feature:
    case OpKind::feature_enabled:
    case OpKind::enable_feature:
    case OpKind::disable_feature:
    case OpKind::set_sva_param:
    case OpKind::bind:
    case OpKind::unbind:
    case OpKind::mm_exit:
        return true;
    default:
        return false;
    }
}

ref::Op make(OpKind kind) {
    ref::Op op;
    op.kind = kind;
    return op;
}

// Every op kind, every optional recorded field.
Trace hand_written() {
    Trace t;
    ref::Iommu a; // one architecture per topology: the CPU's page-table format follows it
    a.arch = ref::Arch::vtd;
    a.pasid_bits = 16;
    ref::Iommu b;
    b.arch = ref::Arch::vtd;
    b.pasid_bits = 20;
    b.sva = false;
    t.topology.iommus = {a, b};
    ref::Device d0; // defaults
    ref::Device d1;
    d1.iommu = 1;
    d1.pasid_bits = 0;
    d1.pri = false;
    d1.stall = true;
    d1.ats = true;
    ref::Device d2;
    d2.pasid_bits = 3;
    t.topology.devices = {d0, d1, d2};
    t.topology.mms = 4;

    auto add = [&](ref::Op op) { t.ops.push_back(op); };
    ref::Op op;
    op = make(OpKind::has_feature);
    op.dev = 1;
    op.feat = SVAC_FEAT_SVA;
    op.recorded.rc = 1; // "result": true
    add(op);
    op = make(OpKind::has_feature);
    op.dev = 2;
    op.feat = 77; // an unknown feature, as an integer
    op.recorded.rc = 0;
    add(op);
    op = make(OpKind::has_feature);
    op.feat = 0; // feature 0 is not "sva"
    add(op);     // nothing recorded
    op = make(OpKind::feature_enabled);
    op.dev = 2;
    op.feat = SVAC_FEAT_SVA;
    op.recorded.rc = 0;
    op.recorded.callbacks = std::vector<ref::Callback>{};
    add(op);
    op = make(OpKind::enable_feature);
    op.feat = SVAC_FEAT_SVA;
    op.recorded.rc = 0;
    add(op);
    op = make(OpKind::enable_feature);
    op.dev = 1;
    op.feat = UINT32_MAX;
    op.recorded.rc = -EINVAL;
    add(op);
    op = make(OpKind::disable_feature);
    op.dev = 2;
    op.feat = SVAC_FEAT_SVA;
    op.recorded.rc = -EBUSY;
    add(op);
    op = make(OpKind::set_sva_param);
    op.min = 1;
    op.max = 0xffff;
    op.recorded.rc = 0;
    add(op);
    op = make(OpKind::set_sva_param);
    op.dev = 2;
    op.min = 0;
    op.max = UINT32_MAX;
    add(op);
    op = make(OpKind::bind);
    op.mm = 3;
    op.drvdata = UINT64_MAX;
    op.recorded.rc = 0;
    op.recorded.pasid = 5;
    op.recorded.callbacks = std::vector<ref::Callback>{};
    add(op);
    op = make(OpKind::bind);
    op.dev = 2;
    op.mm = 1;
    op.drvdata = 0;
    op.recorded.rc = INT32_MIN; // the extremes of a 32-bit return code
    op.recorded.pasid = UINT32_MAX;
    add(op);
    op = make(OpKind::bind);
    op.recorded.rc = INT32_MAX;
    add(op);
    op = make(OpKind::unbind);
    op.pasid = {false, 5}; // a literal PASID
    op.recorded.rc = 0;
    add(op);
    op = make(OpKind::unbind);
    op.dev = 2;
    op.pasid = {true, 3}; // {"mm": 3}
    op.recorded.rc = -ESRCH;
    add(op);
    op = make(OpKind::unbind);
    op.pasid = {false, 0};
    add(op);
    op = make(OpKind::mm_map);
    op.mm = 3;
    op.va = 0x40'0000;
    op.pages = 4;
    op.perms = ref::kRead | ref::kWrite | ref::kExec;
    op.recorded.stray_stores = 2; // HW-8 evidence, as a finding records it
    add(op);
    op = make(OpKind::mm_protect);
    op.mm = 3;
    op.va = 0x40'1000;
    op.pages = 1;
    op.perms = ref::kRead;
    op.recorded.unsynced_commands = 1; // HW-9 evidence
    op.recorded.callbacks = std::vector<ref::Callback>{};
    add(op);
    op = make(OpKind::mm_unmap);
    op.mm = 3;
    op.va = (uint64_t{1} << 48) - ref::kPageSize; // the last page of the address space
    op.pages = 1;
    add(op);
    op = make(OpKind::dma);
    op.dev = 2;
    op.pasid = {true, 3};
    op.va = 0x40'0123;
    op.perms = ref::kWrite;
    op.recorded.dma = ref::DmaObservation{0, 0x10'0000'0123, 0}; // translated
    add(op);
    op = make(OpKind::dma);
    op.no_pasid = true;
    op.va = UINT64_MAX;
    op.perms = ref::kExec;
    op.recorded.dma = ref::DmaObservation{1, 0, 5}; // fault, bad_substream
    add(op);
    op = make(OpKind::dma);
    op.pasid = {false, 9};
    op.perms = ref::kRead;
    add(op); // nothing recorded
    op = make(OpKind::mm_exit);
    op.mm = 3;
    op.recorded.callbacks =
        std::vector<ref::Callback>{{0, 5, UINT64_MAX}, {2, UINT32_MAX, 0}, {1, 7, 42}};
    add(op);
    op = make(OpKind::mm_exit);
    op.mm = 0;
    add(op);
    return t;
}

} // namespace

TEST(TraceRoundTrip, HandWrittenEveryOpAndField) {
    Trace t = hand_written();
    bool seen[static_cast<std::size_t>(OpKind::count_)] = {};
    for (const auto &op : t.ops) seen[static_cast<std::size_t>(op.kind)] = true;
    for (std::size_t k = 0; k < std::size(seen); ++k)
        ASSERT_TRUE(seen[k]) << "add op " << ref::op_name(static_cast<OpKind>(k))
                             << ", with every field it records, to hand_written()";
    expect_round_trip(t);

    // The text carries the documented spellings.
    std::string text = engine::print_trace(t);
    EXPECT_NE(text.find(R"("result":true)"), std::string::npos) << text;
    EXPECT_NE(text.find(R"("result":false)"), std::string::npos) << text;
    EXPECT_NE(text.find(R"("pasid":{"mm":3})"), std::string::npos) << text;
    EXPECT_NE(text.find(R"("feat":"sva")"), std::string::npos) << text;
    EXPECT_NE(text.find(R"("feat":77)"), std::string::npos) << text;
    EXPECT_NE(text.find(R"("feat":0)"), std::string::npos) << text;
    EXPECT_NE(text.find(R"("rc":-2147483648)"), std::string::npos) << text;
    EXPECT_NE(text.find(R"("arch":"vtd")"), std::string::npos) << text;
}

TEST(TraceRoundTrip, EmptyOpsAndProfileDefault) {
    Trace t;
    t.topology.iommus = {ref::Iommu{}};
    t.topology.mms = 0;
    expect_round_trip(t);
    // The profile and every optional topology field may be left out.
    Trace p = engine::parse_trace(
        R"({"format":"sva-trace/1","topology":{"iommus":[{"arch":"smmuv3"}],"devices":[{"iommu":0}],"mms":2},"ops":[]})",
        "min.json");
    EXPECT_EQ(p.profile, "rfc2019");
    ASSERT_EQ(p.topology.devices.size(), 1u);
    EXPECT_EQ(p.topology.devices[0], ref::Device{});
    EXPECT_EQ(p.topology.iommus[0], ref::Iommu{});
    EXPECT_EQ(p.topology.mms, 2u);
    EXPECT_TRUE(p.ops.empty());
}

TEST(TraceRoundTrip, HandWrittenJsonText) {
    const char *text = R"({
  "format": "sva-trace/1",
  "profile": "rfc2019",
  "topology": {"iommus": [{"arch": "vtd", "pasid_bits": 8, "sva": true}],
               "devices": [{"iommu": 0, "pasid_bits": 8, "pri": true, "stall": false, "ats": true}],
               "mms": 2},
  "ops": [
    {"op": "has_feature", "dev": 0, "feat": "sva", "result": true},
    {"op": "feature_enabled", "dev": 0, "feat": 9, "result": false, "callbacks": []},
    {"op": "enable_feature", "dev": 0, "feat": "sva", "rc": 0},
    {"op": "disable_feature", "dev": 0, "feat": 12, "rc": -22},
    {"op": "set_sva_param", "dev": 0, "min": 2, "max": 200, "rc": 0},
    {"op": "bind", "dev": 0, "mm": 1, "drvdata": 9, "rc": 0, "pasid": 2},
    {"op": "bind", "dev": 0, "mm": 0},
    {"op": "unbind", "dev": 0, "pasid": {"mm": 1}, "rc": 0},
    {"op": "unbind", "dev": 0, "pasid": 2, "rc": -3},
    {"op": "mm_exit", "mm": 1, "callbacks": [{"dev": 0, "pasid": 2, "drvdata": 9}]}
  ]
})";
    Trace t = engine::parse_trace(text, "hand.json");
    ASSERT_EQ(t.ops.size(), 10u);
    EXPECT_EQ(t.topology.iommus[0].arch, ref::Arch::vtd);
    EXPECT_EQ(t.topology.iommus[0].pasid_bits, 8);
    EXPECT_TRUE(t.topology.devices[0].ats);
    EXPECT_EQ(t.ops[0].recorded.rc, 1);
    EXPECT_EQ(t.ops[0].feat, SVAC_FEAT_SVA);
    EXPECT_EQ(t.ops[1].recorded.rc, 0);
    EXPECT_EQ(t.ops[1].feat, 9u);
    ASSERT_TRUE(t.ops[1].recorded.callbacks.has_value());
    EXPECT_TRUE(t.ops[1].recorded.callbacks->empty());
    EXPECT_EQ(t.ops[3].recorded.rc, -22);
    EXPECT_EQ(t.ops[4].min, 2u);
    EXPECT_EQ(t.ops[4].max, 200u);
    EXPECT_EQ(t.ops[5].drvdata, 9u);
    EXPECT_EQ(t.ops[5].recorded.pasid, 2u);
    EXPECT_FALSE(t.ops[6].recorded.rc.has_value());
    EXPECT_FALSE(t.ops[6].recorded.pasid.has_value());
    EXPECT_FALSE(t.ops[6].recorded.callbacks.has_value());
    EXPECT_EQ(t.ops[7].pasid, (ref::PasidArg{true, 1}));
    EXPECT_EQ(t.ops[8].pasid, (ref::PasidArg{false, 2}));
    ASSERT_TRUE(t.ops[9].recorded.callbacks.has_value());
    EXPECT_EQ(*t.ops[9].recorded.callbacks, (std::vector<ref::Callback>{{0, 2, 9}}));
    expect_round_trip(t);
}

// A driver that returns garbage from a query: its finding trace records the
// raw return code, and that trace must load again to be replayed.
TEST(TraceRoundTrip, QueryWithNonBooleanReturnCode) {
    Trace t;
    t.topology.iommus = {ref::Iommu{}};
    t.topology.devices = {ref::Device{}};
    ref::Op op = make(OpKind::has_feature);
    op.feat = SVAC_FEAT_SVA;
    op.recorded.rc = -ENODEV;
    op.recorded.callbacks = std::vector<ref::Callback>{};
    t.ops.push_back(op);
    op.kind = OpKind::feature_enabled;
    op.recorded.rc = 7;
    t.ops.push_back(op);
    expect_round_trip(t);
}

TEST(TraceRoundTrip, GeneratedTraces) {
    std::size_t ops = 0;
    for (uint64_t seed : {1ull, 7ull, 0xdeadbeefull}) {
        for (uint32_t arch_mask :
             {1u << SVAC_ARCH_SMMUV3, (1u << SVAC_ARCH_SMMUV3) | (1u << SVAC_ARCH_VTD)}) {
            for (int i = 0; i < 10; ++i) {
                engine::Rng rng(engine::Rng::derive(seed, static_cast<uint64_t>(i)));
                engine::GenConfig cfg;
                cfg.ops = 64;
                cfg.arch_mask = arch_mask;
                Trace t = engine::generate_trace(rng, cfg);
                ASSERT_EQ(t.ops.size(), 64u);
                ops += t.ops.size();
                SCOPED_TRACE("seed " + std::to_string(seed) + " sequence " + std::to_string(i));
                expect_round_trip(t);
                // With outcomes recorded as a driver would report them.
                for (auto &op : t.ops) {
                    if (!is_api_call(op.kind)) continue; // their outcomes differ
                    op.recorded.callbacks = std::vector<ref::Callback>{{op.dev, 3, op.drvdata}};
                    if (op.kind == OpKind::mm_exit) continue; // no return code
                    op.recorded.rc = ref::op_is_query(op.kind) ? 1 : -EINVAL;
                    if (op.kind == OpKind::bind) op.recorded.pasid = op.mm + 1;
                }
                expect_round_trip(t);
            }
        }
    }
    EXPECT_GT(ops, 1000u);
}

// ---------------------------------------------------------------------------
// Malformed traces.

namespace {

constexpr const char *kSource = "traces/broken.json";

// A valid trace with `ops` (a JSON array's body) and `topology`.
std::string
trace_text(const std::string &ops,
           const std::string &topology =
               R"({"iommus":[{"arch":"smmuv3"}],"devices":[{"iommu":0},{"iommu":0}],"mms":2})") {
    return R"({"format":"sva-trace/1","profile":"rfc2019","topology":)" + topology + R"(,"ops":[)" +
           ops + "]}";
}

// The message of the InputError parsing `text` throws ("" if none).
std::string error_of(const std::string &text) {
    try {
        engine::parse_trace(text, kSource);
    } catch (const InputError &e) {
        return e.what();
    } catch (const std::exception &e) {
        return std::string("NOT AN InputError: ") + e.what();
    }
    return "";
}

// The error names the source, the place (a JSON pointer, or line and column)
// and a reason: "traces/broken.json: /ops/1/dev: device 5 does not exist ...".
void expect_error(const std::string &text, const std::string &place, const std::string &reason) {
    std::string msg = error_of(text);
    ASSERT_FALSE(msg.empty()) << "accepted: " << text;
    EXPECT_EQ(msg.rfind(std::string(kSource) + ": " + place + ": ", 0), 0u)
        << "message: " << msg << "\nwanted place: " << place;
    EXPECT_NE(msg.find(reason), std::string::npos) << "message: " << msg << "\nwanted: " << reason;
}

} // namespace

TEST(TraceErrors, ValidBaseIsAccepted) {
    // The templates below differ from a valid trace in one place only.
    EXPECT_EQ(error_of(trace_text(R"({"op":"bind","dev":1,"mm":1})")), "");
    EXPECT_EQ(error_of(trace_text("")), "");
}

TEST(TraceErrors, BadJsonNamesLineAndColumn) {
    // The stray comma is on line 3, column 11.
    expect_error("{\n  \"format\": \"sva-trace/1\",\n  \"ops\": [,]\n}\n", "line 3, column 11",
                 "not valid JSON");
    // On line 1: a missing value at column 11 ('}' after the colon).
    expect_error(R"({"format":})", "line 1, column 11", "not valid JSON");
    // A truncated document fails at its end.
    expect_error("{\n\"format\"", "line 2, column 9", "not valid JSON");
    expect_error("", "line 1, column 1", "not valid JSON");
}

TEST(TraceErrors, TopLevel) {
    expect_error("[]", "/", "expected an object, got array");
    expect_error(R"({"format":"sva-trace/2","topology":{},"ops":[]})", "/format",
                 "expected \"sva-trace/1\", got \"sva-trace/2\"");
    expect_error(R"({"format":1,"topology":{},"ops":[]})", "/format", "expected \"sva-trace/1\"");
    expect_error(R"({"topology":{},"ops":[]})", "/", "missing field \"format\"");
    expect_error(R"({"format":"sva-trace/1","profile":"linux6","topology":{},"ops":[]})",
                 "/profile", "unknown profile \"linux6\" (known: rfc2019)");
    expect_error(R"({"format":"sva-trace/1","ops":[]})", "/", "missing field \"topology\"");
    expect_error(
        R"({"format":"sva-trace/1","topology":{"iommus":[{"arch":"smmuv3"}],"devices":[],"mms":1}})",
        "/", "missing field \"ops\"");
    expect_error(
        R"({"format":"sva-trace/1","topology":{"iommus":[{"arch":"smmuv3"}],"devices":[],"mms":1},"ops":{}})",
        "/ops", "expected an array of ops, got object");
    expect_error(
        R"({"format":"sva-trace/1","topology":{"iommus":[{"arch":"smmuv3"}],"devices":[],"mms":1},"ops":[],"extra":1})",
        "/extra", "unknown field \"extra\"");
}

TEST(TraceErrors, Topology) {
    const std::string ok_dev = R"("devices":[{"iommu":0}])";
    expect_error(trace_text("", "[]"), "/topology", "expected an object, got array");
    expect_error(trace_text("", R"({"iommus":[],)" + ok_dev + R"(,"mms":1})"), "/topology/iommus",
                 "expected an array of 1 to 64 IOMMUs");
    expect_error(trace_text("", R"({)" + ok_dev + R"(,"mms":1})"), "/topology",
                 "missing field \"iommus\"");
    expect_error(trace_text("", R"({"iommus":[{"arch":"smmuv3"},{"arch":"amd"}],)" + ok_dev +
                                    R"(,"mms":1})"),
                 "/topology/iommus/1/arch", "expected \"smmuv3\" or \"vtd\", got \"amd\"");
    expect_error(trace_text("", R"({"iommus":[{"arch":"smmuv3","pasid_bits":21}],)" + ok_dev +
                                    R"(,"mms":1})"),
                 "/topology/iommus/0/pasid_bits", "21 is out of range (at most 20)");
    expect_error(
        trace_text(
            "",
            R"({"iommus":[{"arch":"smmuv3"}],"devices":[{"iommu":0,"pasid_bits":21}],"mms":1})"),
        "/topology/devices/0/pasid_bits", "21 is out of range (at most 20)");
    expect_error(
        trace_text("",
                   R"({"iommus":[{"arch":"smmuv3"}],"devices":[{"iommu":0},{"iommu":1}],"mms":1})"),
        "/topology/devices/1/iommu", "IOMMU 1 does not exist (1 IOMMUs)");
    expect_error(trace_text("", R"({"iommus":[{"arch":"smmuv3"}],)" + ok_dev + R"(,"mms":"3"})"),
                 "/topology/mms", "expected an unsigned integer, got string");
    expect_error(trace_text("", R"({"iommus":[{"arch":"smmuv3"}],)" + ok_dev + R"(,"mms":1.5})"),
                 "/topology/mms", "expected an unsigned integer, got 1.5");
    expect_error(trace_text("", R"({"iommus":[{"arch":"smmuv3"}],)" + ok_dev + R"(,"mms":4097})"),
                 "/topology/mms", "4097 is out of range (at most 4096)");
    expect_error(
        trace_text("", R"({"iommus":[{"arch":"smmuv3","sva":1}],)" + ok_dev + R"(,"mms":1})"),
        "/topology/iommus/0/sva", "expected true or false, got number");
    expect_error(
        trace_text("",
                   R"({"iommus":[{"arch":"smmuv3"}],"devices":[{"iommu":0,"pri":"yes"}],"mms":1})"),
        "/topology/devices/0/pri", "expected true or false, got string");
    expect_error(trace_text("", R"({"iommus":[{"arch":"smmuv3"}],"devices":[{"iomu":0}],"mms":1})"),
                 "/topology/devices/0/iomu", "unknown field \"iomu\"");
}

TEST(TraceErrors, Ops) {
    expect_error(trace_text(R"({"op":"bind","dev":0,"mm":0},{"op":"bnid","dev":0,"mm":0})"),
                 "/ops/1/op", "unknown op \"bnid\"");
    expect_error(trace_text(R"({"op":7,"dev":0})"), "/ops/0/op", "unknown op 7");
    expect_error(trace_text(R"({"dev":0})"), "/ops/0", "missing field \"op\"");
    expect_error(trace_text(R"(3)"), "/ops/0", "expected an object, got number");
    expect_error(trace_text(R"({"op":"enable_feature","dev":0,"feat":"sva"},{"op":"bind","mm":0})"),
                 "/ops/1", "missing field \"dev\"");
    expect_error(trace_text(R"({"op":"bind","dev":0,"mm":0},{"op":"bind","dev":2,"mm":0})"),
                 "/ops/1/dev", "device 2 does not exist (the topology has 2)");
    expect_error(trace_text(R"({"op":"bind","dev":0,"mm":2})"), "/ops/0/mm",
                 "mm 2 does not exist (the topology has 2)");
    expect_error(trace_text(R"({"op":"mm_exit","mm":9})"), "/ops/0/mm", "mm 9 does not exist");
    expect_error(trace_text(R"({"op":"bind","dev":"0","mm":0})"), "/ops/0/dev",
                 "expected an unsigned integer, got string");
    expect_error(trace_text(R"({"op":"bind","dev":0,"mm":0,"rc":true})"), "/ops/0/rc",
                 "expected an integer, got boolean");
    expect_error(trace_text(R"({"op":"bind","dev":0,"mm":0,"rc":0,"pasid":-1})"), "/ops/0/pasid",
                 "expected an unsigned integer, got -1");
    expect_error(trace_text(R"({"op":"set_sva_param","dev":0,"min":1.0,"max":4})"), "/ops/0/min",
                 "expected an unsigned integer, got 1.0");
    expect_error(trace_text(R"({"op":"set_sva_param","dev":0,"min":1})"), "/ops/0",
                 "missing field \"max\"");
    expect_error(trace_text(R"({"op":"bind","dev":0,"mm":0,"drvdata":-5})"), "/ops/0/drvdata",
                 "expected an unsigned integer, got -5");
    // A typo next to the real field is named; one in its place is a missing field.
    expect_error(trace_text(R"({"op":"bind","dev":0,"devv":1,"mm":0})"), "/ops/0/devv",
                 "unknown field \"devv\"");
    // A typo that replaces a field is named as the typo, not as a missing field.
    expect_error(trace_text(R"({"op":"bind","devv":1,"mm":0})"), "/ops/0/devv", "unknown field");
    // Fields of another op kind are unknown here.
    expect_error(trace_text(R"({"op":"mm_exit","mm":0,"rc":0})"), "/ops/0/rc",
                 "unknown field \"rc\"");
    expect_error(trace_text(R"({"op":"enable_feature","dev":0,"feat":"sva","result":true})"),
                 "/ops/0/result", "unknown field \"result\"");
    expect_error(trace_text(R"({"op":"has_feature","dev":0,"feat":"sva","result":1})"),
                 "/ops/0/result", "expected true or false, got number");
}

TEST(TraceErrors, Features) {
    expect_error(trace_text(R"({"op":"has_feature","dev":0,"feat":"iopf"})"), "/ops/0/feat",
                 "unknown feature name \"iopf\"");
    expect_error(trace_text(R"({"op":"enable_feature","dev":0})"), "/ops/0",
                 "missing field \"feat\"");
    expect_error(trace_text(R"({"op":"enable_feature","dev":0,"feat":4294967296})"), "/ops/0/feat",
                 "4294967296 is out of range (at most 4294967295)");
    expect_error(trace_text(R"({"op":"enable_feature","dev":0,"feat":-1})"), "/ops/0/feat",
                 "expected an unsigned integer, got -1");
}

TEST(TraceErrors, Unbind) {
    expect_error(trace_text(R"({"op":"unbind","dev":0,"pasid":{"mm":99}})"), "/ops/0/pasid/mm",
                 "mm 99 does not exist (the topology has 2)");
    expect_error(trace_text(R"({"op":"unbind","dev":0,"pasid":{"mm":1,"dev":0}})"),
                 "/ops/0/pasid/dev", "unknown field \"dev\"");
    expect_error(trace_text(R"({"op":"unbind","dev":0,"pasid":{}})"), "/ops/0/pasid",
                 "missing field \"mm\"");
    expect_error(trace_text(R"({"op":"unbind","dev":0})"), "/ops/0", "missing field \"pasid\"");
    expect_error(trace_text(R"({"op":"unbind","dev":0,"pasid":"1"})"), "/ops/0/pasid",
                 "expected an unsigned integer, got string");
}

TEST(TraceErrors, MmExitsTwice) {
    expect_error(
        trace_text(
            R"({"op":"mm_exit","mm":1},{"op":"bind","dev":0,"mm":0},{"op":"mm_exit","mm":1})"),
        "/ops/2", "mm 1 exits a second time (it exited at /ops/0)");
    // Different mms may each exit once.
    EXPECT_EQ(error_of(trace_text(R"({"op":"mm_exit","mm":1},{"op":"mm_exit","mm":0})")), "");
}

TEST(TraceErrors, ReturnCodeMustFit32Bits) {
    expect_error(trace_text(R"({"op":"bind","dev":0,"mm":0,"rc":2147483648})"), "/ops/0/rc",
                 "2147483648 is not a 32-bit return code");
    expect_error(trace_text(R"({"op":"bind","dev":0,"mm":0,"rc":-2147483649})"), "/ops/0/rc",
                 "-2147483649 is not a 32-bit return code");
    expect_error(trace_text(R"({"op":"bind","dev":0,"mm":0,"rc":18446744073709551615})"),
                 "/ops/0/rc", "is not a 32-bit return code");
    expect_error(trace_text(R"({"op":"bind","dev":0,"mm":0,"rc":-1.0})"), "/ops/0/rc",
                 "expected an integer, got number");
    // The edges themselves fit.
    EXPECT_EQ(
        error_of(trace_text(
            R"({"op":"bind","dev":0,"mm":0,"rc":-2147483648},{"op":"bind","dev":0,"mm":0,"rc":2147483647})")),
        "");
}

TEST(TraceErrors, Callbacks) {
    expect_error(
        trace_text(
            R"({"op":"mm_exit","mm":0,"callbacks":[{"dev":0,"pasid":1,"drvdata":0},{"dev":2,"pasid":1,"drvdata":0}]})"),
        "/ops/0/callbacks/1/dev", "device 2 does not exist");
    expect_error(
        trace_text(
            R"({"op":"bind","dev":0,"mm":0},{"op":"mm_exit","mm":0,"callbacks":[{"dev":0,"pasid":1}]})"),
        "/ops/1/callbacks/0", "missing field \"drvdata\"");
    expect_error(
        trace_text(
            R"({"op":"mm_exit","mm":0,"callbacks":[{"dev":0,"pasid":1,"drvdata":0,"mm":0}]})"),
        "/ops/0/callbacks/0/mm", "unknown field \"mm\"");
    expect_error(trace_text(R"({"op":"mm_exit","mm":0,"callbacks":{}})"), "/ops/0/callbacks",
                 "expected an array of callbacks, got object");
    expect_error(trace_text(R"({"op":"mm_exit","mm":0,"callbacks":[1]})"), "/ops/0/callbacks/0",
                 "expected an object, got number");
    expect_error(
        trace_text(R"({"op":"mm_exit","mm":0,"callbacks":[{"dev":0,"pasid":-3,"drvdata":0}]})"),
        "/ops/0/callbacks/0/pasid", "expected an unsigned integer, got -3");
}

TEST(TraceErrors, LoadTraceNamesTheFile) {
    std::string path = testing::TempDir() + "svac_test_trace_no_such_file.json";
    try {
        engine::load_trace(path);
        FAIL() << "a missing file loaded";
    } catch (const InputError &e) {
        std::string msg = e.what();
        EXPECT_EQ(msg.rfind(path + ": cannot open", 0), 0u) << msg;
    }
}
