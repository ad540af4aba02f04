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
    op.recorded.pasid_overrun = true; // HW-8 evidence of a bind
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
    op = make(OpKind::mm_map);
    op.mm = 2;
    op.va = 0x80'0000;
    op.pages = 2;
    op.perms = ref::kRead | ref::kWrite;
    op.lazy = true; // populated on first fault
    add(op);
    op = make(OpKind::dma);
    op.dev = 2;
    op.pasid = {true, 3};
    op.va = 0x40'0123;
    op.pages = 1;
    op.perms = ref::kWrite;
    op.recorded.dma = std::vector<ref::DmaObservation>{{0, 0x10'0000'0123, 0}}; // translated
    op.recorded.callbacks = std::vector<ref::Callback>{};
    add(op);
    op = make(OpKind::dma);
    op.no_pasid = true;
    op.va = UINT64_MAX; // one page may go anywhere
    op.pages = 1;
    op.perms = ref::kExec;
    op.recorded.dma = std::vector<ref::DmaObservation>{{1, 0, 5}}; // fault, bad_substream
    add(op);
    op = make(OpKind::dma);
    op.pasid = {false, 9};
    op.pages = 1;
    op.perms = ref::kRead;
    add(op);                // nothing recorded
    op = make(OpKind::dma); // four pages, each with its outcome, and the faults they raised
    op.dev = 1;
    op.pasid = {true, 2};
    op.va = 0x80'0800;
    op.pages = 4;
    op.perms = ref::kWrite;
    op.recorded.dma = std::vector<ref::DmaObservation>{
        {0, 0x10'0000'0800, 0}, {2, 0, 7}, {4, 0, 0}, {3, 0, 8}}; // translated, PRI, failed, abort
    op.recorded.raised =
        std::vector<ref::FaultRecord>{{1, SVAC_FAULT_PASID_VALID | SVAC_FAULT_LAST_PAGE, 4, 17,
                                       SVAC_FAULT_PERM_WRITE, 0x80'1000}};
    op.recorded.lost = 0;
    op.recorded.faults = std::vector<ref::FaultRecord>{
        {1, SVAC_FAULT_PASID_VALID | SVAC_FAULT_LAST_PAGE | SVAC_FAULT_NEEDS_PASID, 4, 17,
         SVAC_FAULT_PERM_WRITE | SVAC_FAULT_PERM_PRIV, 0x80'1000}};
    op.recorded.responses = std::vector<ref::ResponseRecord>{};
    op.recorded.retries = std::vector<ref::DmaObservation>{};
    op.recorded.discarded = 0;
    op.recorded.stray_stores = 1;
    add(op);
    op = make(OpKind::dma); // a single page recorded in the list form
    op.dev = 1;
    op.pasid = {false, UINT32_MAX};
    op.va = (uint64_t{1} << 48) - 2 * ref::kPageSize; // two pages up to the top of the space
    op.pages = 2;
    op.perms = ref::kRead;
    add(op);
    op = make(OpKind::register_fault_handler);
    op.dev = 1;
    op.recorded.rc = 0;
    add(op);
    op = make(OpKind::register_fault_handler);
    op.dev = 1;
    op.recorded.rc = -EBUSY;
    op.recorded.callbacks = std::vector<ref::Callback>{};
    add(op);
    op = make(OpKind::page_request); // a partial group
    op.dev = 1;
    op.pasid = {true, 2};
    op.va = 0x80'0000;
    op.perms = ref::kRead | ref::kWrite;
    op.group = 0;
    op.recorded.raised = std::vector<ref::FaultRecord>{
        {1, SVAC_FAULT_PASID_VALID, 4, 0, SVAC_FAULT_PERM_READ | SVAC_FAULT_PERM_WRITE, 0x80'0000}};
    op.recorded.lost = 0;
    op.recorded.faults = op.recorded.raised;
    add(op);
    op = make(OpKind::page_request); // its Last, the highest PRG index
    op.dev = 1;
    op.pasid = {false, 4};
    op.va = 0x80'1000;
    op.perms = ref::kRead | ref::kExec;
    op.group = 511;
    op.last = true;
    op.recorded.raised = std::vector<ref::FaultRecord>{};
    op.recorded.lost = 1;
    op.recorded.faults = std::vector<ref::FaultRecord>{};
    op.recorded.responses = std::vector<ref::ResponseRecord>{
        {1, false, true, 4, 511, 0, 0, true}}; // the hardware answered by itself
    add(op);
    op = make(OpKind::page_request); // no PASID, from a requester ID no device has
    op.no_pasid = true;
    op.va = 0xffff'ffff'ffff'f000; // an absurd page
    op.perms = ref::kExec;
    op.group = 3;
    op.bad_sid = true;
    op.recorded.raised =
        std::vector<ref::FaultRecord>{{ref::ResponseRecord::kNoDevice, SVAC_FAULT_LAST_PAGE, 0, 3,
                                       SVAC_FAULT_PERM_EXEC, 0xffff'ffff'ffff'f000}};
    add(op);
    op = make(OpKind::page_request); // a Stop Marker
    op.dev = 2;
    op.pasid = {true, 3};
    op.va = 0;
    op.perms = 0;
    op.group = 7;
    op.last = true;
    op.stop = true;
    // A driver that reports what no request said: a PASID without its flag,
    // flags and permissions beyond the named ones.
    op.recorded.faults = std::vector<ref::FaultRecord>{
        {2, SVAC_FAULT_LAST_PAGE | (1u << 2) | (1u << 31), 9, 7, (1u << 4) | SVAC_FAULT_PERM_PRIV,
         0},
        {UINT32_MAX - 1, SVAC_FAULT_PASID_VALID, 0, UINT32_MAX, 0, UINT64_MAX}};
    add(op);
    op = make(OpKind::page_response); // the oldest pending group, by the handler
    op.dev = 1;
    op.recorded.rc = 0;
    op.recorded.code = SVAC_RESP_SUCCESS;
    op.recorded.responses = std::vector<ref::ResponseRecord>{
        {1, false, true, 4, 0, 0, 0, false}, {0, true, false, 0, 65535, 1, 1, false}};
    op.recorded.retries = std::vector<ref::DmaObservation>{{0, 0x10'0000'0000, 0}, {4, 0, 0}};
    op.recorded.raised = std::vector<ref::FaultRecord>{};
    op.recorded.faults = std::vector<ref::FaultRecord>{};
    op.recorded.lost = 0;
    op.recorded.discarded = 0;
    op.recorded.unsynced_commands = 2;
    op.recorded.callbacks = std::vector<ref::Callback>{};
    add(op);
    op = make(OpKind::page_response); // a named group, given up on
    op.dev = 2;
    op.has_group = true;
    op.group = 65535;
    op.answer = ref::Op::Answer::invalid;
    op.recorded.rc = -EINVAL;
    op.recorded.code = SVAC_RESP_INVALID;
    op.recorded.responses = std::vector<ref::ResponseRecord>{
        {ref::ResponseRecord::kNoDevice, false, false, 12, 3, 15, 255, false}}; // stray PASID
    add(op);
    op = make(OpKind::page_response);
    op.has_group = true;
    op.group = 0;
    op.answer = ref::Op::Answer::failure;
    op.recorded.code = SVAC_RESP_FAILURE;
    add(op);
    op = make(OpKind::queue_overflow);
    op.dev = 1;
    op.recorded.discarded = 3;
    op.recorded.responses = std::vector<ref::ResponseRecord>{};
    op.recorded.lost = UINT32_MAX;
    add(op);
    op = make(OpKind::queue_overflow);
    add(op); // nothing recorded
    op = make(OpKind::unregister_fault_handler);
    op.dev = 1;
    op.recorded.rc = -EBUSY;
    add(op);
    op = make(OpKind::unregister_fault_handler);
    op.dev = 2;
    add(op);
    op = make(OpKind::unbind); // unbind flushes the PASID's pending groups
    op.dev = 1;
    op.pasid = {true, 2};
    op.recorded.rc = 0;
    op.recorded.responses = std::vector<ref::ResponseRecord>{{1, true, true, 4, 2, 2, 2, false}};
    op.recorded.faults = std::vector<ref::FaultRecord>{};
    op.recorded.raised = std::vector<ref::FaultRecord>{};
    op.recorded.retries = std::vector<ref::DmaObservation>{};
    op.recorded.lost = 0;
    op.recorded.discarded = 0;
    op.recorded.callbacks = std::vector<ref::Callback>{};
    add(op);
    op = make(OpKind::mm_exit);
    op.mm = 3;
    op.recorded.callbacks =
        std::vector<ref::Callback>{{0, 5, UINT64_MAX}, {2, UINT32_MAX, 0}, {1, 7, 42}};
    add(op);
    op = make(OpKind::mm_exit);
    op.mm = 0;
    op.recorded.responses = std::vector<ref::ResponseRecord>{};
    op.recorded.faults = std::vector<ref::FaultRecord>{};
    add(op);
    return t;
}

} // namespace

TEST(TraceRoundTrip, HandWrittenEveryOpAndField) {
    Trace t = hand_written();
    // The rfc2019 vocabulary: up to queue_overflow (the later generations' below).
    bool seen[static_cast<std::size_t>(OpKind::queue_overflow) + 1] = {};
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
    // ... and the fault vocabulary's.
    for (const char *spelling :
         {R"("lazy":true)", R"("pages":4,"access":"w","outcomes":[{"outcome":"translated")",
          R"({"outcome":"failed"})", R"("group":511,"last":true)", R"("stop":true)",
          R"("bad_sid":true)", R"("pasid":null)", R"("answer":"handler","rc":0,"code":0)",
          R"("group":65535,"answer":"invalid")", R"("answer":"failure")",
          R"({"dev":null,"stall":false,"pasid":12,"pasid_valid":false,"group":3,"code":15)",
          R"("access":"w","priv":true,"addr":8392704})", R"("other_flags":2147483652)",
          R"("other_perm":16)", R"("automatic":true)", R"("discarded":3)", R"("lost":4294967295)",
          R"("retries":[{"outcome":"translated","pa":68719476736},{"outcome":"failed"}])"})
        EXPECT_NE(text.find(spelling), std::string::npos) << spelling << "\n" << text;
    // One page prints its outcome flat; an unset length reads as one page.
    EXPECT_NE(text.find(R"("access":"w","outcome":"translated","pa":)"), std::string::npos);
    EXPECT_EQ(text.find(R"("pages":1,"access")"), std::string::npos) << text;
}

// A DMA built without a length (pages 0) is one page: it prints and reads as such.
TEST(TraceRoundTrip, DmaWithoutLengthIsOnePage) {
    Trace t;
    t.topology.iommus = {ref::Iommu{}};
    t.topology.devices = {ref::Device{}};
    t.topology.mms = 1;
    ref::Op op = make(OpKind::dma);
    op.pasid = {true, 0};
    op.perms = ref::kRead;
    op.recorded.dma = std::vector<ref::DmaObservation>{{2, 0, 7}};
    t.ops.push_back(op);
    Trace back = engine::parse_trace(engine::print_trace(t), "one.json");
    ASSERT_EQ(back.ops.size(), 1u);
    EXPECT_EQ(back.ops[0].pages, 1u);
    back.ops[0].pages = 0;
    EXPECT_EQ(back, t);
}

// A driver's observation may hold parts an op kind does not record (rc on a
// dma, code off page_response): the trace leaves them out, so a finding's
// trace always reads back. Callbacks and the fault parts go on any op.
TEST(TraceRoundTrip, PartsAnOpDoesNotRecordAreLeftOut) {
    Trace t;
    t.topology.iommus = {ref::Iommu{}};
    t.topology.devices = {ref::Device{}};
    t.topology.mms = 2;
    ref::Observation all;
    all.rc = 0;
    all.pasid = 1;
    all.callbacks = std::vector<ref::Callback>{};
    all.dma = std::vector<ref::DmaObservation>{{3, 0, 0}};
    all.raised = std::vector<ref::FaultRecord>{};
    all.lost = 0;
    all.faults = std::vector<ref::FaultRecord>{{0, 0, 0, 1, 0, 4096}};
    all.code = 1;
    all.responses = std::vector<ref::ResponseRecord>{};
    all.retries = std::vector<ref::DmaObservation>{};
    all.discarded = 0;
    // The rfc2019 vocabulary (the trace's profile): up to queue_overflow.
    for (std::size_t k = 0; k <= static_cast<std::size_t>(OpKind::queue_overflow); ++k) {
        ref::Op op = make(static_cast<OpKind>(k));
        op.feat = SVAC_FEAT_SVA;
        op.mm = op.kind == OpKind::mm_exit ? 1 : 0; // the mm ops come after it
        op.pages = 1;
        op.perms = ref::kRead;
        op.recorded = all;
        t.ops.push_back(op);
    }
    Trace back = engine::parse_trace(engine::print_trace(t), "all.json");
    ASSERT_EQ(back.ops.size(), t.ops.size());
    auto op = [&](OpKind k) -> const ref::Observation & {
        return back.ops[static_cast<std::size_t>(k)].recorded;
    };
    for (const auto &o : back.ops) {
        SCOPED_TRACE(std::string(ref::op_name(o.kind)));
        EXPECT_EQ(o.recorded.callbacks, all.callbacks);
        EXPECT_EQ(o.recorded.raised, all.raised);
        EXPECT_EQ(o.recorded.lost, all.lost);
        EXPECT_EQ(o.recorded.faults, all.faults);
        EXPECT_EQ(o.recorded.responses, all.responses);
        EXPECT_EQ(o.recorded.retries, all.retries);
        EXPECT_EQ(o.recorded.discarded, all.discarded);
        EXPECT_EQ(o.recorded.pasid.has_value(), o.kind == OpKind::bind);
        EXPECT_EQ(o.recorded.dma.has_value(), o.kind == OpKind::dma);
        EXPECT_EQ(o.recorded.code.has_value(), o.kind == OpKind::page_response);
        EXPECT_EQ(o.recorded.rc.has_value(), ref::op_returns(o.kind));
    }
    EXPECT_EQ(op(OpKind::dma).dma, all.dma);
    EXPECT_EQ(op(OpKind::page_response).code, all.code);
    EXPECT_EQ(op(OpKind::register_fault_handler).rc, all.rc);
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

namespace {

// What the fault machinery would record on op, made up from its arguments.
void record_faults(ref::Op &op) {
    ref::FaultRecord f{op.dev,    SVAC_FAULT_PASID_VALID | SVAC_FAULT_LAST_PAGE,
                       op.mm + 1, op.group,
                       op.perms,  op.va & ~uint64_t{0xfff}};
    ref::ResponseRecord resp{op.dev, op.dev % 2 == 1, op.dev % 2 == 0, 5, op.group, 1, 1, false};
    switch (op.kind) {
    case OpKind::dma:
        op.recorded.dma = std::vector<ref::DmaObservation>(
            op.pages, ref::DmaObservation{2, 0, 7}); // page_request, translation
        op.recorded.raised = std::vector<ref::FaultRecord>{f};
        op.recorded.lost = 0;
        op.recorded.faults = std::vector<ref::FaultRecord>{f};
        break;
    case OpKind::page_request:
        op.recorded.raised = std::vector<ref::FaultRecord>{f};
        op.recorded.faults = std::vector<ref::FaultRecord>{};
        op.recorded.responses = std::vector<ref::ResponseRecord>{resp};
        op.recorded.lost = 1;
        break;
    case OpKind::page_response:
        op.recorded.rc = 0;
        op.recorded.code = static_cast<uint8_t>(op.answer);
        op.recorded.responses = std::vector<ref::ResponseRecord>{resp};
        op.recorded.retries = std::vector<ref::DmaObservation>{{0, 0x10'0000'0000, 0}, {4, 0, 0}};
        break;
    case OpKind::register_fault_handler:
    case OpKind::unregister_fault_handler:
        op.recorded.rc = -EBUSY;
        break;
    case OpKind::queue_overflow:
        op.recorded.discarded = 2;
        op.recorded.responses = std::vector<ref::ResponseRecord>{};
        break;
    default:
        break;
    }
}

} // namespace

TEST(TraceRoundTrip, GeneratedTraces) {
    std::size_t ops = 0;
    std::size_t seen[static_cast<std::size_t>(OpKind::count_)] = {};
    std::size_t lazy = 0, multi_page = 0, stop = 0, named_group = 0;
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
                for (const auto &op : t.ops) {
                    ++seen[static_cast<std::size_t>(op.kind)];
                    lazy += op.lazy;
                    multi_page += op.kind == OpKind::dma && op.pages > 1;
                    stop += op.stop;
                    named_group += op.has_group;
                }
                SCOPED_TRACE("seed " + std::to_string(seed) + " sequence " + std::to_string(i));
                expect_round_trip(t);
                // With outcomes recorded as a driver would report them.
                for (auto &op : t.ops) {
                    record_faults(op);
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
    // Every op kind of the generators' rfc2019 vocabulary comes up, and the fault ops' variants.
    for (std::size_t k = 0; k <= static_cast<std::size_t>(OpKind::queue_overflow); ++k)
        EXPECT_GT(seen[k], 0u) << ref::op_name(static_cast<OpKind>(k));
    EXPECT_GT(lazy, 0u);
    EXPECT_GT(multi_page, 0u);
    EXPECT_GT(stop, 0u);
    EXPECT_GT(named_group, 0u);
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

// Found by trace_parse: a number no double holds escaped as nlohmann's
// out_of_range (an internal error in the command, a crash in the target).
TEST(TraceErrors, NumberOutOfRangeNamesItsPlace) {
    expect_error("{\n  \"format\": \"sva-trace/1\",\n  \"mms\": 1e3219851382760696\n}\n",
                 "line 3, column 10", "number out of range: 1e3219851382760696");
    expect_error(R"({"format":"sva-trace/1","ops":[{"op":"dma","va":-1e999}]})",
                 "line 1, column 49", "number out of range");
}

TEST(TraceErrors, TopLevel) {
    expect_error("[]", "/", "expected an object, got array");
    expect_error(R"({"format":"sva-trace/2","topology":{},"ops":[]})", "/format",
                 "expected \"sva-trace/1\", got \"sva-trace/2\"");
    expect_error(R"({"format":1,"topology":{},"ops":[]})", "/format", "expected \"sva-trace/1\"");
    expect_error(R"({"topology":{},"ops":[]})", "/", "missing field \"format\"");
    expect_error(R"({"format":"sva-trace/1","profile":"linux6","topology":{},"ops":[]})",
                 "/profile",
                 "unknown profile \"linux6\" (known: rfc2019, linux-5.3, linux-6.1, linux-6.12, "
                 "linux-6.16)");
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

// The ops and fields of the later API generations: handles (linux-5.3 on),
// set_ops (linux-5.3), mm_free and the IOPF feature (linux-6.1).
TEST(TraceRoundTrip, LaterGenerationsOpsAndFields) {
    Trace t;
    t.profile = "linux-5.3";
    t.topology.iommus.push_back({ref::Arch::vtd, 20, true});
    t.topology.devices.push_back(ref::Device{});
    t.topology.mms = 2;
    ref::Op op = make(OpKind::bind);
    op.mm = 1;
    op.drvdata = 9;
    op.recorded.rc = 0;
    op.recorded.pasid = 3;
    op.recorded.handle = 65535;
    t.ops.push_back(op);
    op = make(OpKind::set_ops);
    op.by_handle = true;
    op.handle = 65535;
    op.ops = 4;
    op.recorded.rc = -EEXIST;
    t.ops.push_back(op);
    op = make(OpKind::unbind);
    op.by_handle = true;
    op.handle = 65535;
    t.ops.push_back(op);
    expect_round_trip(t);
    const std::string text = engine::print_trace(t);
    for (const char *spelling : {R"("handle":65535})", R"("op":"set_ops","handle":65535,"ops":4)",
                                 R"({"op":"unbind","handle":65535})"})
        EXPECT_NE(text.find(spelling), std::string::npos) << spelling << "\n" << text;

    Trace m;
    m.profile = "linux-6.1";
    m.topology = t.topology;
    op = make(OpKind::enable_feature);
    op.feat = SVAC_FEAT_IOPF;
    op.recorded.rc = 0;
    m.ops.push_back(op);
    op = make(OpKind::mm_exit);
    m.ops.push_back(op);
    op = make(OpKind::mm_free);
    m.ops.push_back(op);
    expect_round_trip(m);
    EXPECT_NE(engine::print_trace(m).find(R"("feat":"iopf")"), std::string::npos);
    EXPECT_NE(engine::print_trace(m).find(R"({"op":"mm_free","mm":0})"), std::string::npos);
}

// mm_free is the mm's last mmdrop: after its exit, once (a replayed trace
// is refused as check-trace refuses it).
TEST(TraceErrors, MmFreeComesOnceAfterTheExit) {
    const std::string head = R"({"format":"sva-trace/1","profile":"linux-6.1","topology":)"
                             R"({"iommus":[{"arch":"smmuv3"}],"devices":[{"iommu":0}],"mms":2})"
                             R"(,"ops":[)";
    expect_error(head + R"({"op":"mm_free","mm":1}]})", "/ops/0",
                 "mm_free of mm 1, which has not exited");
    expect_error(head + R"({"op":"mm_exit","mm":1},{"op":"mm_free","mm":1},)"
                        R"({"op":"mm_free","mm":1}]})",
                 "/ops/2", "mm 1 is freed a second time (at /ops/1 first)");
    EXPECT_EQ(error_of(head + R"({"op":"mm_exit","mm":1},{"op":"mm_free","mm":1}]})"), "");
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

namespace {

// n copies of `item`, comma separated.
std::string repeat(const std::string &item, int n) {
    std::string s;
    for (int i = 0; i < n; ++i) s += (i ? "," : "") + item;
    return s;
}

} // namespace

TEST(TraceErrors, Dma) {
    const std::string dma = R"({"op":"dma","dev":0,"pasid":{"mm":1},"va":4096,"access":"r")";
    const std::string ok = R"({"outcome":"abort"})";
    // Valid: one page (flat or listed), sixteen, the last pages of the space.
    EXPECT_EQ(error_of(trace_text(dma + R"(,"outcome":"failed"})")), "");
    EXPECT_EQ(error_of(trace_text(dma + R"(,"pages":1,"outcomes":[)" + ok + "]}")), "");
    EXPECT_EQ(error_of(trace_text(dma + R"(,"pages":16,"outcomes":[)" + repeat(ok, 16) + "]}")),
              "");
    EXPECT_EQ(
        error_of(trace_text(
            R"({"op":"dma","dev":0,"pasid":null,"va":281474976706560,"pages":1,"access":"w"},)"
            R"({"op":"dma","dev":0,"pasid":null,"va":281474976702464,"pages":2,"access":"w"})")),
        "");
    expect_error(trace_text(dma + R"(,"pages":0})"), "/ops/0/pages", "must be at least 1");
    expect_error(trace_text(dma + R"(,"pages":17})"), "/ops/0/pages",
                 "17 is out of range (at most 16)");
    expect_error(trace_text(dma + R"(,"pages":true})"), "/ops/0/pages",
                 "expected an unsigned integer, got boolean");
    expect_error(
        trace_text(
            R"({"op":"dma","dev":0,"pasid":null,"va":281474976702464,"pages":3,"access":"w"})"),
        "/ops/0/pages", "the range ends beyond the 48-bit address space");
    expect_error(
        trace_text(
            R"({"op":"dma","dev":0,"pasid":null,"va":18446744073709547520,"pages":2,"access":"w"})"),
        "/ops/0/pages", "the range ends beyond the 48-bit address space");
    expect_error(trace_text(dma + R"(,"outcome":"stalled"})"), "/ops/0/outcome",
                 "expected translated, fault, page_request, abort or failed, got \"stalled\"");
    expect_error(trace_text(dma + R"(,"pages":2,"outcomes":[)" + ok + "]}"), "/ops/0/outcomes",
                 "expected 2 outcomes (one per page), got 1");
    expect_error(trace_text(dma + R"(,"outcomes":[)" + ok + "," + ok + "]}"), "/ops/0/outcomes",
                 "expected 1 outcomes (one per page), got 2");
    expect_error(trace_text(dma + R"(,"outcomes":[]})"), "/ops/0/outcomes",
                 "expected 1 outcomes (one per page), got 0");
    expect_error(trace_text(dma + R"(,"pages":2,"outcome":"abort"})"), "/ops/0/outcome",
                 "a DMA of 2 pages records \"outcomes\", one per page");
    expect_error(trace_text(dma + R"(,"outcome":"abort","outcomes":[)" + ok + "]}"),
                 "/ops/0/outcomes", "not both");
    expect_error(trace_text(dma + R"(,"outcomes":[)" + ok + R"(],"reason":"none"})"), "/ops/0",
                 "go inside each of \"outcomes\"");
    expect_error(trace_text(dma + R"(,"outcomes":{}})"), "/ops/0/outcomes",
                 "expected an array of outcomes, got object");
    expect_error(trace_text(dma + R"(,"pages":2,"outcomes":[)" + ok + R"(,"abort"]})"),
                 "/ops/0/outcomes/1", "expected an object, got string");
    expect_error(
        trace_text(dma + R"(,"pages":2,"outcomes":[)" + ok + R"(,{"outcome":"translated"}]})"),
        "/ops/0/outcomes/1", "missing field \"pa\"");
    expect_error(trace_text(dma + R"(,"outcomes":[{"outcome":"fault","pa":4}]})"),
                 "/ops/0/outcomes/0/pa", "only a translated outcome has an output address");
    expect_error(trace_text(dma + R"(,"outcomes":[{"outcome":"fault","reason":"bad"}]})"),
                 "/ops/0/outcomes/0/reason", "unknown reason \"bad\"");
    expect_error(trace_text(dma + R"(,"outcomes":[{"outcome":"fault","pages":1}]})"),
                 "/ops/0/outcomes/0/pages", "unknown field \"pages\"");
    expect_error(trace_text(dma + R"(,"outcomes":[{"reason":"none"}]})"), "/ops/0/outcomes/0",
                 "missing field \"outcome\"");
    expect_error(trace_text(dma + R"(,"pa":4})"), "/ops/0",
                 "\"pa\" and \"reason\" record an outcome: give \"outcome\" too");
    expect_error(trace_text(dma + R"(,"lazy":true})"), "/ops/0/lazy", "unknown field \"lazy\"");
    expect_error(trace_text(dma + R"(,"code":0})"), "/ops/0/code", "unknown field \"code\"");
    expect_error(trace_text(dma + R"(,"rc":0})"), "/ops/0/rc", "unknown field \"rc\"");
}

TEST(TraceErrors, MmMapLazy) {
    const std::string map = R"({"op":"mm_map","mm":0,"va":4096,"pages":1,"perms":"rw")";
    EXPECT_EQ(error_of(trace_text(map + R"(,"lazy":false})")), "");
    expect_error(trace_text(map + R"(,"lazy":"yes"})"), "/ops/0/lazy",
                 "expected true or false, got string");
    expect_error(
        trace_text(R"({"op":"mm_protect","mm":0,"va":4096,"pages":1,"perms":"r","lazy":true})"),
        "/ops/0/lazy", "unknown field \"lazy\"");
    expect_error(trace_text(R"({"op":"mm_unmap","mm":0,"va":4096,"pages":1,"lazy":true})"),
                 "/ops/0/lazy", "unknown field \"lazy\"");
}

// A CPU mapping reads: no write-only or execute-only pages (fuzzing found the
// reference and the page tables disagreeing on them).
TEST(TraceErrors, MappingWithoutRead) {
    const std::string map = R"({"op":"mm_map","mm":0,"va":4096,"pages":1,"perms":)";
    EXPECT_EQ(error_of(trace_text(map + R"("-"})")), "");
    EXPECT_EQ(error_of(trace_text(map + R"("rx"})")), "");
    expect_error(trace_text(map + R"("w"})"), "/ops/0/perms",
                 "a CPU mapping always allows read: expected permissions with r, or \"-\" (no "
                 "access), got \"w\"");
    expect_error(
        trace_text(R"({"op":"mm_protect","mm":0,"va":4096,"pages":1,"perms":"wx"})"),
        "/ops/0/perms",
        "a CPU mapping always allows read: expected permissions with r, or \"-\" (no access), "
        "got \"wx\"");
}

TEST(TraceErrors, PageRequest) {
    const std::string pr = R"({"op":"page_request","dev":1,"pasid":{"mm":0},"va":8192,)";
    EXPECT_EQ(error_of(trace_text(pr + R"("access":"rw","group":511,"last":true})")), "");
    EXPECT_EQ(error_of(trace_text(pr + R"("access":"-","group":0,"stop":true,"last":true})")), "");
    EXPECT_EQ(
        error_of(trace_text(
            R"({"op":"page_request","dev":0,"pasid":null,"va":18446744073709547520,"access":"x","group":0,"bad_sid":true})")),
        "");
    expect_error(trace_text(pr + R"("access":"r","group":512})"), "/ops/0/group",
                 "512 is out of range (at most 511)");
    expect_error(trace_text(pr + R"("access":"r"})"), "/ops/0", "missing field \"group\"");
    expect_error(trace_text(R"({"op":"page_request","dev":1,"va":8192,"access":"r","group":1})"),
                 "/ops/0", "missing field \"pasid\"");
    expect_error(trace_text(pr + R"("access":"r","group":1,"grup":1})"), "/ops/0/grup",
                 "unknown field \"grup\"");
    expect_error(
        trace_text(R"({"op":"page_request","dev":1,"pasid":3,"va":8200,"access":"r","group":1})"),
        "/ops/0/va", "must be 4 KiB aligned (a page request names a page), got 8200");
    expect_error(trace_text(pr + R"("access":"rr","group":1})"), "/ops/0/access",
                 "expected permissions such as");
    expect_error(trace_text(pr + R"("access":"r","group":1,"last":1})"), "/ops/0/last",
                 "expected true or false, got number");
    expect_error(trace_text(pr + R"("access":"r","group":1,"stop":true})"), "/ops/0/access",
                 "a Stop Marker requests no access: expected \"-\", got \"r\"");
    expect_error(
        trace_text(
            R"({"op":"page_request","dev":1,"pasid":null,"va":0,"access":"-","group":1,"stop":true})"),
        "/ops/0/pasid", "a Stop Marker carries a PASID, got null");
    expect_error(trace_text(pr + R"("access":"-","group":1,"stop":true,"last":false})"),
                 "/ops/0/last", "a Stop Marker is the last request of its group");
    expect_error(trace_text(pr + R"("access":"r","group":1,"bad_sid":null})"), "/ops/0/bad_sid",
                 "expected true or false, got null");
    expect_error(
        trace_text(R"({"op":"page_request","dev":2,"pasid":1,"va":0,"access":"r","group":1})"),
        "/ops/0/dev", "device 2 does not exist");
    expect_error(trace_text(pr + R"("access":"r","group":1,"outcome":"abort"})"), "/ops/0/outcome",
                 "unknown field \"outcome\"");
    expect_error(trace_text(pr + R"("access":"r","group":1,"rc":0})"), "/ops/0/rc",
                 "unknown field \"rc\"");
    // A stop marker reads with Last set, whether the trace says so or not.
    Trace t = engine::parse_trace(trace_text(pr + R"("access":"-","group":5,"stop":true})"), "s");
    ASSERT_EQ(t.ops.size(), 1u);
    EXPECT_TRUE(t.ops[0].stop);
    EXPECT_TRUE(t.ops[0].last);
    EXPECT_EQ(t.ops[0].perms, 0);
    EXPECT_EQ(t.ops[0].group, 5u);
    EXPECT_EQ(t.ops[0].pasid, (ref::PasidArg{true, 0}));
}

TEST(TraceErrors, PageResponseAndHandlers) {
    EXPECT_EQ(
        error_of(trace_text(
            R"({"op":"page_response","dev":0},{"op":"page_response","dev":1,"group":65535,"answer":"failure","rc":-22,"code":2})")),
        "");
    expect_error(trace_text(R"({"op":"page_response","dev":0,"answer":"retry"})"), "/ops/0/answer",
                 "expected \"handler\", \"invalid\" or \"failure\", got \"retry\"");
    expect_error(trace_text(R"({"op":"page_response","dev":0,"answer":1})"), "/ops/0/answer",
                 "expected \"handler\", \"invalid\" or \"failure\", got 1");
    expect_error(trace_text(R"({"op":"page_response","dev":0,"group":65536})"), "/ops/0/group",
                 "65536 is out of range (at most 65535)");
    expect_error(trace_text(R"({"op":"page_response","dev":0,"group":null})"), "/ops/0/group",
                 "expected an unsigned integer, got null");
    expect_error(trace_text(R"({"op":"page_response","dev":0,"code":3})"), "/ops/0/code",
                 "3 is out of range (at most 2)");
    expect_error(trace_text(R"({"op":"page_response"})"), "/ops/0", "missing field \"dev\"");
    expect_error(trace_text(R"({"op":"register_fault_handler","dev":0,"group":1})"), "/ops/0/group",
                 "unknown field \"group\"");
    expect_error(trace_text(R"({"op":"unregister_fault_handler","dev":0,"code":0})"), "/ops/0/code",
                 "unknown field \"code\"");
    expect_error(trace_text(R"({"op":"unregister_fault_handler","dev":5})"), "/ops/0/dev",
                 "device 5 does not exist");
    expect_error(trace_text(R"({"op":"queue_overflow","dev":0,"rc":0})"), "/ops/0/rc",
                 "unknown field \"rc\"");
    expect_error(trace_text(R"({"op":"queue_overflow"})"), "/ops/0", "missing field \"dev\"");
}

TEST(TraceErrors, FaultObservations) {
    const std::string op = R"({"op":"queue_overflow","dev":0,)";
    const std::string fault =
        R"({"dev":0,"pasid":1,"group":2,"last":true,"needs_pasid":false,"access":"rw","priv":false,"addr":4096})";
    EXPECT_EQ(error_of(trace_text(op + R"("raised":[)" + fault + R"(],"faults":[)" + fault +
                                  R"(],"lost":0,"discarded":1})")),
              "");
    // Only the place of a fault, its group, its access and its address are required.
    EXPECT_EQ(
        error_of(trace_text(op + R"("faults":[{"dev":null,"group":0,"access":"-","addr":0}]})")),
        "");
    expect_error(trace_text(op + R"("faults":{}})"), "/ops/0/faults",
                 "expected an array of faults, got object");
    expect_error(trace_text(op + R"("raised":[3]})"), "/ops/0/raised/0",
                 "expected an object, got number");
    expect_error(
        trace_text(op + R"("faults":[)" + fault + R"(,{"group":0,"access":"r","addr":0}]})"),
        "/ops/0/faults/1", "missing field \"dev\"");
    expect_error(trace_text(op + R"("faults":[{"dev":0,"access":"r","addr":0}]})"),
                 "/ops/0/faults/0", "missing field \"group\"");
    expect_error(trace_text(op + R"("faults":[{"dev":0,"group":0,"addr":0}]})"), "/ops/0/faults/0",
                 "missing field \"access\"");
    expect_error(trace_text(op + R"("faults":[{"dev":0,"group":0,"access":"r"}]})"),
                 "/ops/0/faults/0", "missing field \"addr\"");
    expect_error(trace_text(op + R"("faults":[{"dev":0,"group":0,"access":"q","addr":0}]})"),
                 "/ops/0/faults/0/access", "expected permissions such as");
    expect_error(trace_text(op + R"("faults":[{"dev":0,"group":0,"access":"r","addr":-1}]})"),
                 "/ops/0/faults/0/addr", "expected an unsigned integer, got -1");
    expect_error(
        trace_text(op + R"("faults":[{"dev":0,"group":4294967296,"access":"r","addr":0}]})"),
        "/ops/0/faults/0/group", "out of range");
    expect_error(trace_text(op + R"("faults":[{"dev":"0","group":0,"access":"r","addr":0}]})"),
                 "/ops/0/faults/0/dev", "expected an unsigned integer, got string");
    expect_error(
        trace_text(op + R"("faults":[{"dev":0,"group":0,"access":"r","addr":0,"last":"no"}]})"),
        "/ops/0/faults/0/last", "expected true or false, got string");
    expect_error(
        trace_text(op + R"("faults":[{"dev":0,"group":0,"access":"r","addr":0,"perm":1}]})"),
        "/ops/0/faults/0/perm", "unknown field \"perm\"");
    expect_error(
        trace_text(op +
                   R"("faults":[{"dev":0,"group":0,"access":"r","addr":0,"pasid_valid":true}]})"),
        "/ops/0/faults/0/pasid_valid", "give the \"pasid\" it qualifies");
    expect_error(
        trace_text(op + R"("faults":[{"dev":0,"group":0,"access":"r","addr":0,"other_flags":2}]})"),
        "/ops/0/faults/0/other_flags", "holds flags that");
    expect_error(
        trace_text(op + R"("faults":[{"dev":0,"group":0,"access":"r","addr":0,"other_perm":8}]})"),
        "/ops/0/faults/0/other_perm", "holds permissions that");
    expect_error(trace_text(op + R"("lost":-1})"), "/ops/0/lost",
                 "expected an unsigned integer, got -1");
    expect_error(trace_text(op + R"("discarded":4294967296})"), "/ops/0/discarded", "out of range");
    expect_error(trace_text(op + R"("code":0})"), "/ops/0/code", "unknown field \"code\"");
    expect_error(trace_text(op + R"("retries":[{"outcome":"retried"}]})"),
                 "/ops/0/retries/0/outcome", "expected translated, fault, page_request");
    expect_error(trace_text(op + R"("retries":7})"), "/ops/0/retries",
                 "expected an array of outcomes, got number");
    // On any op: faults may be reported, and responses sent, during any call.
    EXPECT_EQ(
        error_of(trace_text(
            R"({"op":"bind","dev":0,"mm":0,"faults":[],"responses":[],"lost":0},{"op":"mm_map","mm":0,"va":0,"pages":1,"perms":"r","raised":[],"retries":[],"discarded":0})")),
        "");
    expect_error(trace_text(R"({"op":"bind","dev":0,"mm":0,"faults":[{}]})"), "/ops/0/faults/0",
                 "missing field \"dev\"");
}

TEST(TraceErrors, ResponseObservations) {
    const std::string op = R"({"op":"page_response","dev":0,"responses":[)";
    const std::string resp =
        R"({"dev":1,"stall":false,"pasid":3,"group":2,"code":0,"raw":0,"automatic":false})";
    EXPECT_EQ(error_of(trace_text(op + resp + R"(,{"dev":null,"group":0,"code":15,"raw":255}]})")),
              "");
    expect_error(trace_text(R"({"op":"page_response","dev":0,"responses":{}})"), "/ops/0/responses",
                 "expected an array of responses, got object");
    expect_error(trace_text(op + resp + R"(,{"group":0,"code":0,"raw":0}]})"), "/ops/0/responses/1",
                 "missing field \"dev\"");
    expect_error(trace_text(op + R"({"dev":0,"code":0,"raw":0}]})"), "/ops/0/responses/0",
                 "missing field \"group\"");
    expect_error(trace_text(op + R"({"dev":0,"group":0,"raw":0}]})"), "/ops/0/responses/0",
                 "missing field \"code\"");
    expect_error(trace_text(op + R"({"dev":0,"group":0,"code":0}]})"), "/ops/0/responses/0",
                 "missing field \"raw\"");
    expect_error(trace_text(op + R"({"dev":0,"group":0,"code":256,"raw":0}]})"),
                 "/ops/0/responses/0/code", "256 is out of range (at most 255)");
    expect_error(trace_text(op + R"({"dev":0,"group":0,"code":0,"raw":0,"stall":1}]})"),
                 "/ops/0/responses/0/stall", "expected true or false, got number");
    expect_error(trace_text(op + R"({"dev":0,"group":0,"code":0,"raw":0,"addr":0}]})"),
                 "/ops/0/responses/0/addr", "unknown field \"addr\"");
    expect_error(trace_text(op + R"({"dev":0,"group":0,"code":0,"raw":0,"pasid":-2}]})"),
                 "/ops/0/responses/0/pasid", "expected an unsigned integer, got -2");
}
