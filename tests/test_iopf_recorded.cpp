// The IOPF rules against recorded traces (check-trace): each trace records
// one thing a kernel's core, a driver or a device got wrong about a page
// fault, and must be found under the clause that rule has; the same trace
// with the right outcome recorded passes. These are the core's own rules
// (the handler's answer, registration, response matching), which a
// differential run cannot break because the bench lends the reference's core.
#include "engine/engine.h"
#include "tests/support/ops.h"

#include <gtest/gtest.h>

#include <optional>
#include <vector>

using namespace svac;
using namespace svac::test_support;
using ref::ClauseId;
using ref::Op;
using ref::OpKind;

namespace {

constexpr uint64_t kVa = 0x10'0000;
constexpr uint32_t kPasid = 1; // the lowest free PASID: mm 0's
constexpr uint8_t kR = ref::kRead, kW = ref::kWrite;

ref::Topology topology(ref::Arch arch = ref::Arch::smmuv3, bool stall = false) {
    ref::Topology t;
    t.iommus = {ref::Iommu{arch, 20, true}};
    ref::Device d;
    d.pri = !stall;
    d.stall = stall;
    t.devices = {d};
    t.mms = 2;
    return t;
}

Op with(Op op, ref::Observation obs) {
    op.recorded = std::move(obs);
    return op;
}
ref::Observation rc(int v) {
    ref::Observation o;
    o.rc = v;
    return o;
}
ref::Observation bound(uint32_t pasid) {
    ref::Observation o;
    o.rc = 0;
    o.pasid = pasid;
    return o;
}

ref::FaultRecord fault(uint64_t addr, uint32_t group, bool last, uint32_t perm = kR,
                       bool has_pasid = true, bool stall = false) {
    ref::FaultRecord f;
    f.dev = 0;
    if (has_pasid) {
        f.flags |= SVAC_FAULT_PASID_VALID | (stall ? 0u : SVAC_FAULT_NEEDS_PASID);
        f.pasid = kPasid;
    }
    if (last || stall) f.flags |= SVAC_FAULT_LAST_PAGE;
    f.grpid = group;
    f.perm = perm;
    f.addr = addr;
    return f;
}

ref::Observation reported(std::vector<ref::FaultRecord> faults) {
    ref::Observation o;
    o.faults = std::move(faults);
    return o;
}

ref::Observation answered(uint8_t code, int result = 0) {
    ref::Observation o;
    o.rc = result;
    o.code = code;
    return o;
}

// SVA on, a fault handler, mm 0 bound with PASID 1, two lazily mapped pages.
std::vector<Op> prologue(bool handler = true) {
    std::vector<Op> ops = {with(enable(0), rc(0))};
    if (handler) ops.push_back(with(dev_op(OpKind::register_fault_handler, 0), rc(0)));
    ops.push_back(with(bind(0, 0), bound(kPasid)));
    ops.push_back(mm_map(0, kVa, 2, kR | kW, true));
    return ops;
}

std::optional<engine::Finding> check(std::vector<Op> ops, ref::Topology t = topology()) {
    engine::Trace trace;
    trace.topology = std::move(t);
    trace.ops = std::move(ops);
    engine::RunStats stats;
    return engine::check_recorded(trace, stats);
}

void expect_found(const std::vector<Op> &ops, ClauseId clause, ref::Topology t = topology()) {
    auto f = check(ops, t);
    ASSERT_TRUE(f.has_value()) << "expected " << ref::clause_id(clause);
    EXPECT_EQ(f->clause, clause) << f->message;
    EXPECT_EQ(f->step, ops.size() - 1) << f->message;
}

void expect_clean(const std::vector<Op> &ops, ref::Topology t = topology()) {
    auto f = check(ops, t);
    EXPECT_FALSE(f.has_value()) << ref::clause_id(f->clause) << ": " << f->message;
}

// A fault on the first page, reported as one group (index 3).
std::vector<Op> one_fault(bool handler = true) {
    auto ops = prologue(handler);
    ops.push_back(with(page_request(0, 0, kVa, kR, 3, true), reported({fault(kVa, 3, true)})));
    return ops;
}

TEST(IopfRecorded, HandlerAnswersSuccessForAMappedPage) {
    auto ops = one_fault();
    ops.push_back(with(page_response(0), answered(SVAC_RESP_SUCCESS)));
    expect_clean(ops);
    ops.back().recorded = answered(SVAC_RESP_INVALID);
    expect_found(ops, ClauseId::IOPF_2); // the mapping allows the read
}

TEST(IopfRecorded, Iopf2SuccessForAnUnmappedAddress) {
    auto ops = prologue();
    ops.push_back(
        with(page_request(0, 0, 0x90'0000, kR, 3, true), reported({fault(0x90'0000, 3, true)})));
    ops.push_back(with(page_response(0), answered(SVAC_RESP_INVALID)));
    expect_clean(ops);
    ops.back().recorded = answered(SVAC_RESP_SUCCESS);
    expect_found(ops, ClauseId::IOPF_2);
}

TEST(IopfRecorded, Iopf2SuccessForAWriteToAReadOnlyMapping) {
    auto ops = prologue();
    ops.push_back(mm_map(0, 0x40'0000, 1, kR, true));
    ops.push_back(with(page_request(0, 0, 0x40'0000, kW, 3, true),
                       reported({fault(0x40'0000, 3, true, kW)})));
    ops.push_back(with(page_response(0), answered(SVAC_RESP_SUCCESS)));
    expect_found(ops, ClauseId::IOPF_2);
}

TEST(IopfRecorded, Iopf4FirstErrorSticks) {
    auto ops = prologue();
    // Group 5: a good page, then an unmapped one with Last.
    ops.push_back(with(page_request(0, 0, kVa, kR, 5, false), reported({fault(kVa, 5, false)})));
    ops.push_back(
        with(page_request(0, 0, 0x90'0000, kR, 5, true), reported({fault(0x90'0000, 5, true)})));
    ops.push_back(with(page_response(0), answered(SVAC_RESP_INVALID)));
    expect_clean(ops);
    ops.back().recorded = answered(SVAC_RESP_SUCCESS);
    expect_found(ops, ClauseId::IOPF_4);
}

TEST(IopfRecorded, Iopf5NoPasid) {
    auto ops = prologue();
    Op req = page_request(0, 0, kVa, kR, 3, true);
    req.no_pasid = true;
    ops.push_back(with(req, reported({fault(kVa, 3, true, kR, false)})));
    ops.push_back(with(page_response(0), answered(SVAC_RESP_SUCCESS)));
    expect_found(ops, ClauseId::IOPF_5);
}

TEST(IopfRecorded, Iopf5PasidWithNoBond) {
    auto ops = prologue();
    Op req = page_request(0, 0, kVa, kR, 3, true);
    req.pasid = {false, 77};
    auto f = fault(kVa, 3, true);
    f.pasid = 77;
    ops.push_back(with(req, reported({f})));
    ops.push_back(with(page_response(0), answered(SVAC_RESP_SUCCESS)));
    expect_found(ops, ClauseId::IOPF_5);
}

TEST(IopfRecorded, Mmexit2SuccessForAnExitedMm) {
    auto ops = one_fault();
    ops.push_back(mm_exit(0));
    ops.back().recorded.callbacks = std::vector<ref::Callback>{{0, kPasid, 100}};
    ops.push_back(with(page_response(0), answered(SVAC_RESP_INVALID)));
    expect_clean(ops);
    ops.back().recorded = answered(SVAC_RESP_SUCCESS);
    expect_found(ops, ClauseId::MMEXIT_2);
}

// The must-show: a fault for mm A, A's PASID unbound and handed to mm B, the
// old group then answered SUCCESS.
TEST(IopfRecorded, Unbind6OldGroupAnsweredForTheNextOwner) {
    auto ops = one_fault();
    ops.push_back(with(unbind(0, 0), rc(0)));
    ops.push_back(with(bind(0, 1), bound(kPasid)));
    ops.push_back(with(page_response(0, 3, Op::Answer::handler), answered(SVAC_RESP_SUCCESS)));
    expect_found(ops, ClauseId::UNBIND_6);
    // Answered by the core at unbind, the group is gone: -EINVAL now.
    ops.back().recorded = rc(-EINVAL);
    expect_clean(ops);
}

TEST(IopfRecorded, Unbind6PendingGroupNotAnsweredAtUnbind) {
    auto ops = one_fault();
    ref::Observation o = rc(0);
    o.responses = std::vector<ref::ResponseRecord>{}; // recorded: nothing reached the device
    ops.push_back(with(unbind(0, 0), o));
    expect_found(ops, ClauseId::UNBIND_6);
    ops.back().recorded.responses =
        std::vector<ref::ResponseRecord>{{0, false, true, kPasid, 3, 0x1, 0x1, false}};
    expect_clean(ops);
}

TEST(IopfRecorded, Iopf9OneHandlerPerDevice) {
    auto ops = prologue();
    ops.push_back(with(dev_op(OpKind::register_fault_handler, 0), rc(-EBUSY)));
    expect_clean(ops);
    ops.back().recorded = rc(0);
    expect_found(ops, ClauseId::IOPF_9);
}

TEST(IopfRecorded, Iopf9UnregisterWithUnansweredFaults) {
    auto ops = one_fault();
    ops.push_back(with(dev_op(OpKind::unregister_fault_handler, 0), rc(-EBUSY)));
    expect_clean(ops);
    ops.back().recorded = rc(0);
    expect_found(ops, ClauseId::IOPF_9);
}

TEST(IopfRecorded, Iopf9NoHandlerAnswersInvalidAtOnce) {
    auto ops = prologue(false);
    ref::Observation o = reported({fault(kVa, 3, true)});
    o.responses = std::vector<ref::ResponseRecord>{{0, false, true, kPasid, 3, 0x1, 0x1, false}};
    ops.push_back(with(page_request(0, 0, kVa, kR, 3, true), o));
    expect_clean(ops);
    // Nothing is pending: the group was answered when it was reported.
    ops.push_back(with(page_response(0), rc(0)));
    expect_found(ops, ClauseId::IOPF_10);
}

TEST(IopfRecorded, Iopf10ResponseWithNoPendingGroup) {
    auto ops = one_fault();
    ops.push_back(with(page_response(0, 9, Op::Answer::handler), rc(-EINVAL)));
    expect_clean(ops);
    ops.back().recorded = rc(0);
    expect_found(ops, ClauseId::IOPF_10);
}

TEST(IopfRecorded, Iopf10EachGroupConsumedOnce) {
    auto ops = one_fault();
    ops.push_back(with(page_response(0), answered(SVAC_RESP_SUCCESS)));
    ops.push_back(with(page_response(0, 3, Op::Answer::handler), answered(SVAC_RESP_SUCCESS)));
    expect_found(ops, ClauseId::IOPF_10);
}

TEST(IopfRecorded, Iopf3ResponseToANonLastRequest) {
    auto ops = prologue();
    ref::Observation o = reported({fault(kVa, 5, false)});
    o.responses = std::vector<ref::ResponseRecord>{{0, false, true, kPasid, 5, 0x0, 0x2, false}};
    ops.push_back(with(page_request(0, 0, kVa, kR, 5, false), o));
    expect_found(ops, ClauseId::IOPF_3);
}

TEST(IopfRecorded, Iopf11StopMarkerAnswered) {
    auto ops = prologue();
    Op stop = page_request(0, 0, kVa, 0, 4, true);
    stop.stop = true;
    ref::Observation o;
    auto marker = fault(kVa, 4, true, 0);
    o.raised = std::vector<ref::FaultRecord>{marker};
    o.faults = std::vector<ref::FaultRecord>{};
    o.responses = std::vector<ref::ResponseRecord>{};
    ops.push_back(with(stop, o));
    expect_clean(ops);
    ops.back().recorded.responses =
        std::vector<ref::ResponseRecord>{{0, false, true, kPasid, 4, 0x0, 0x2, false}};
    expect_found(ops, ClauseId::IOPF_11);
}

TEST(IopfRecorded, Iopf6FailureStopsThePri) {
    auto ops = one_fault();
    ops.push_back(with(page_response(0, Op::Answer::failure), answered(SVAC_RESP_FAILURE)));
    ref::Observation o;
    o.dma = std::vector<ref::DmaObservation>{{uint8_t(ref::DmaResult::Kind::failed), 0, 0}};
    ops.push_back(with(dma(0, 0, kVa + ref::kPageSize, kR), o));
    expect_clean(ops);
    ops.back().recorded.dma->front().kind = uint8_t(ref::DmaResult::Kind::page_request);
    expect_found(ops, ClauseId::IOPF_6);
}

TEST(IopfRecorded, Iopf7RetryAfterSuccessTranslates) {
    auto ops = one_fault();
    ref::Observation o = answered(SVAC_RESP_SUCCESS);
    // The handler populated the page at the first CPU frame.
    o.retries = std::vector<ref::DmaObservation>{
        {uint8_t(ref::DmaResult::Kind::translated), ref::Reference::kFrameBase, 0}};
    ops.push_back(with(page_response(0), o));
    expect_clean(ops);
    ops.back().recorded.retries->front() = {uint8_t(ref::DmaResult::Kind::failed), 0, 0};
    expect_found(ops, ClauseId::IOPF_7);
}

TEST(IopfRecorded, Iopf1FaultAbortedQuietly) {
    auto ops = prologue();
    ref::Observation o;
    o.dma = std::vector<ref::DmaObservation>{{uint8_t(ref::DmaResult::Kind::abort), 0, 0}};
    ops.push_back(with(dma(0, 0, kVa, kR), o));
    expect_found(ops, ClauseId::IOPF_1);
}

TEST(IopfRecorded, Iopf8StallRaisedWithoutLast) {
    auto t = topology(ref::Arch::smmuv3, true);
    auto ops = prologue();
    ref::Observation o;
    o.dma = std::vector<ref::DmaObservation>{{uint8_t(ref::DmaResult::Kind::page_request), 0, 0}};
    auto stall = fault(kVa + 0x10, 7, true, kR, true, true);
    o.raised = std::vector<ref::FaultRecord>{stall};
    ops.push_back(with(dma(0, 0, kVa + 0x10, kR), o));
    expect_clean(ops, t);
    ops.back().recorded.raised->front().flags &= ~SVAC_FAULT_LAST_PAGE;
    expect_found(ops, ClauseId::IOPF_8, t);
}

// The response's encoding, per architecture.
std::vector<Op> answered_with(uint8_t code, uint8_t raw, bool stall = false) {
    auto ops = prologue();
    auto f = fault(stall ? kVa + 0x10 : kVa, 3, true, kR, true, stall);
    Op req = page_request(0, 0, kVa, kR, 3, true);
    if (stall) {
        req = dma(0, 0, kVa + 0x10, kR);
        ref::Observation o;
        o.dma =
            std::vector<ref::DmaObservation>{{uint8_t(ref::DmaResult::Kind::page_request), 0, 0}};
        o.raised = std::vector<ref::FaultRecord>{f};
        o.faults = o.raised;
        ops.push_back(with(req, o));
    } else {
        ops.push_back(with(req, reported({f})));
    }
    ref::Observation o = answered(SVAC_RESP_SUCCESS);
    o.responses = std::vector<ref::ResponseRecord>{
        {0, stall, !stall, stall ? 0 : kPasid, 3, code, raw, false}};
    ops.push_back(with(page_response(0), o));
    return ops;
}

TEST(IopfRecorded, SmmuCmd3SuccessEncoded) {
    expect_clean(answered_with(0x0, 0b10));
    // The core's SUCCESS (0) written raw: Resp 0b00 is ResponseFailure.
    expect_found(answered_with(0xf, 0b00), ClauseId::SMMU_CMD_3);
}

TEST(IopfRecorded, VtdPrq1SuccessEncoded) {
    auto t = topology(ref::Arch::vtd);
    expect_clean(answered_with(0x0, 0x0), t);
    expect_found(answered_with(0x2, 0x2), ClauseId::VTD_PRQ_1, t);
}

TEST(IopfRecorded, SmmuCmd4StallResumedWithAbortAfterSuccess) {
    auto t = topology(ref::Arch::smmuv3, true);
    auto ops = answered_with(1, 1, true);
    ops.back().recorded.responses->front().group = 7;
    ops[ops.size() - 2].recorded.raised->front().grpid = 7;
    ops[ops.size() - 2].recorded.faults->front().grpid = 7;
    expect_clean(ops, t);
    ops.back().recorded.responses->front().code = 2;
    expect_found(ops, ClauseId::SMMU_CMD_4, t);
}

} // namespace
