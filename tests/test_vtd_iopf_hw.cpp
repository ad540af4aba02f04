// The fault side of the VT-d hardware model, driven directly: the page
// request queue (PQA, PQH, PQT, PRS), its overflow and the hardware's own
// answers, and the page group response descriptors the driver submits.
#include "reference/vtd_format.h"
#include "reference/vtd_hw.h"

#include <gtest/gtest.h>

#include <array>
#include <map>

using namespace svac::ref;
namespace v = svac::ref::vtd;
using Queued = IommuModel::Queued;

namespace {

// Simulated memory the hardware may write into: one allocated range.
class BusMemory : public MemoryBus {
public:
    uint64_t read64(uint64_t pa) const override {
        auto it = words.find(pa);
        return it == words.end() ? 0 : it->second;
    }
    bool hw_write64(uint64_t pa, uint64_t val) override {
        if ((pa & 7) || pa < lo || pa >= hi) return false;
        words[pa] = val;
        ++hw_writes;
        return true;
    }
    uint64_t lo = 0, hi = 0;
    std::map<uint64_t, uint64_t> words;
    unsigned hw_writes = 0;
};

constexpr uint64_t kQueue = 0x40000;
constexpr uint64_t kDesc = 32;
constexpr uint32_t kEntries = 128; // one 4 KiB page

class VtdIopfHw : public ::testing::Test {
protected:
    void SetUp() override {
        model = make_vtd_model(Iommu{Arch::vtd, 20, true}, 0);
        mem.lo = kQueue;
        mem.hi = kQueue + (uint64_t{8} << 12); // room for PQS up to 3
    }

    void program(uint64_t pqs = 0) {
        model->write_reg(SVAC_VTD_PQH, 0);
        model->write_reg(SVAC_VTD_PQT, 0);
        uint64_t pqa = 0;
        set(&pqa, v::pqa::PQA, kQueue >> 12);
        set(&pqa, v::pqa::PQS, pqs);
        model->write_reg(SVAC_VTD_PQA, pqa);
    }

    static PageRequest request(uint32_t group, bool last, uint8_t perm = SVAC_FAULT_PERM_READ) {
        PageRequest r;
        r.sid = 3;
        r.has_pasid = true;
        r.pasid = 5;
        r.addr = 0x400000 + 0x1000 * group;
        r.perm = perm;
        r.group = group;
        r.last = last;
        return r;
    }
    static PageRequest stop_marker(uint32_t group) {
        PageRequest r = request(group, true, 0);
        EXPECT_TRUE(r.stop_marker());
        return r;
    }
    Queued queue(PageRequest r) { return model->queue_fault(mem, r); }

    uint64_t prs() const { return model->read_reg(SVAC_VTD_PRS); }
    uint64_t pqt() const { return model->read_reg(SVAC_VTD_PQT); }

    // Software consumes everything: PQH = PQT.
    void consume() { model->write_reg(SVAC_VTD_PQH, pqt()); }

    std::array<uint64_t, 4> desc_at(uint64_t offset) const {
        std::array<uint64_t, 4> d{};
        for (unsigned i = 0; i < 4; ++i) d[i] = mem.read64(kQueue + offset + 8 * i);
        return d;
    }

    int submit(std::array<uint64_t, 4> d) { return model->submit(mem, d.data(), 4); }
    static std::array<uint64_t, 4> grp_resp(uint32_t rid, bool pp, uint32_t pasid, uint32_t prg,
                                            uint64_t code) {
        std::array<uint64_t, 4> d{};
        set(d.data(), v::page_grp_resp::Type, v::page_grp_resp::kType);
        set(d.data(), v::page_grp_resp::PP, pp);
        set(d.data(), v::page_grp_resp::RID, rid);
        set(d.data(), v::page_grp_resp::PASID, pasid);
        set(d.data(), v::page_grp_resp::PRG_INDEX, prg);
        set(d.data(), v::page_grp_resp::RESP_CODE, code);
        return d;
    }
    int wait() {
        std::array<uint64_t, 4> d{};
        set(d.data(), v::inv_wait::Type, v::inv_wait::kType);
        return submit(d);
    }

    // The hardware's own answer to request r.
    static PageResponse automatic(const PageRequest &r) {
        PageResponse a;
        a.sid = r.sid;
        a.has_pasid = r.has_pasid;
        a.pasid = r.pasid;
        a.group = r.group;
        a.code = a.raw = 0x0; // Success: the device retries
        a.automatic = true;
        return a;
    }

    BusMemory mem;
    std::unique_ptr<IommuModel> model;
};

// ------------------------------------------------------------- formats

TEST(VtdPrqFormat, RegistersMatchTheAbi) {
    EXPECT_EQ(v::prs::PPR.mask(), SVAC_VTD_PRS_PPR);
    EXPECT_EQ(v::prs::PRO.mask(), SVAC_VTD_PRS_PRO);
    EXPECT_EQ(v::pqa::PQA.mask(), 0xfffffffffffff000u);
    EXPECT_EQ(v::pqa::PQS.mask(), 0x7u);
    EXPECT_EQ(v::pq_offset::QH.mask(), 0x7ffe0u); // [18:5]
    EXPECT_EQ(v::prq::kType, 1u);
    // VT-d chapter 7 and 6.5.2.
    EXPECT_EQ(v::prq::PRG_INDEX.mask(), 0xff8u);
    EXPECT_EQ(v::prq::RID.mask(), 0xffff0000u);
    EXPECT_EQ(v::page_grp_resp::RESP_CODE.mask(), 0xf000u);
    EXPECT_EQ(v::page_grp_resp::PRG_INDEX.mask(), 0xff8u);
}

// ------------------------------------------------------------- queueing

TEST_F(VtdIopfHw, NothingQueuesBeforePqaIsProgrammed) {
    EXPECT_EQ(queue(request(1, false)), Queued::dropped);
    EXPECT_TRUE(model->take_responses().empty()); // not the last of its group
    PageRequest last = request(2, true);
    EXPECT_EQ(queue(last), Queued::dropped);
    EXPECT_EQ(queue(stop_marker(3)), Queued::dropped);
    auto rs = model->take_responses();
    ASSERT_EQ(rs.size(), 1u); // the Stop Marker gets none
    EXPECT_EQ(rs[0], automatic(last));
    EXPECT_EQ(mem.hw_writes, 0u);
    EXPECT_FALSE(model->irq_pending());
    EXPECT_EQ(prs(), 0u);
}

TEST_F(VtdIopfHw, StallsAreNotAVtdThing) {
    program();
    PageRequest r = request(1, true);
    r.stall = true;
    EXPECT_EQ(queue(r), Queued::dropped);
    EXPECT_TRUE(model->take_responses().empty());
    EXPECT_EQ(mem.hw_writes, 0u);
    EXPECT_FALSE(model->irq_pending());
}

TEST_F(VtdIopfHw, DescriptorIsWrittenAtTheTail) {
    program();
    EXPECT_FALSE(model->irq_pending());
    PageRequest r = request(0x1ab, true,
                            SVAC_FAULT_PERM_READ | SVAC_FAULT_PERM_WRITE | SVAC_FAULT_PERM_EXEC |
                                SVAC_FAULT_PERM_PRIV);
    r.sid = 0x1234;
    r.pasid = 0xabcde;
    r.addr = 0x7f0000123000;
    EXPECT_EQ(queue(r), Queued::queued);
    auto d = desc_at(0);
    EXPECT_EQ(get(d.data(), v::prq::Type), v::prq::kType);
    EXPECT_EQ(get(d.data(), v::prq::PP), 1u);
    EXPECT_EQ(get(d.data(), v::prq::PDP), 0u);
    EXPECT_EQ(get(d.data(), v::prq::RID), 0x1234u);
    EXPECT_EQ(get(d.data(), v::prq::PASID), 0xabcdeu);
    EXPECT_EQ(get(d.data(), v::prq::EXE), 1u);
    EXPECT_EQ(get(d.data(), v::prq::PM), 1u);
    EXPECT_EQ(get(d.data(), v::prq::RD), 1u);
    EXPECT_EQ(get(d.data(), v::prq::WR), 1u);
    EXPECT_EQ(get(d.data(), v::prq::LPIG), 1u);
    EXPECT_EQ(get(d.data(), v::prq::PRG_INDEX), 0x1abu);
    EXPECT_EQ(get(d.data(), v::prq::ADDR) << 12, 0x7f0000123000u);
    EXPECT_EQ(d[2], 0u);
    EXPECT_EQ(d[3], 0u);
    for (unsigned q = 0; q < 4; ++q) EXPECT_EQ(d[q] & v::prq::kFormat.reserved_mask(q), 0u);
    EXPECT_EQ(pqt(), kDesc);
    EXPECT_EQ(prs(), SVAC_VTD_PRS_PPR);
    EXPECT_TRUE(model->irq_pending());
    EXPECT_TRUE(model->take_responses().empty());

    // The next one lands behind it: a read without PASID, not the last.
    PageRequest n = request(7, false, SVAC_FAULT_PERM_WRITE);
    n.has_pasid = false;
    n.pasid = 9; // not written without PASID present
    EXPECT_EQ(queue(n), Queued::queued);
    d = desc_at(kDesc);
    EXPECT_EQ(get(d.data(), v::prq::PP), 0u);
    EXPECT_EQ(get(d.data(), v::prq::PASID), 0u);
    EXPECT_EQ(get(d.data(), v::prq::RD), 0u);
    EXPECT_EQ(get(d.data(), v::prq::WR), 1u);
    EXPECT_EQ(get(d.data(), v::prq::LPIG), 0u);
    EXPECT_EQ(get(d.data(), v::prq::PRG_INDEX), 7u);
    EXPECT_EQ(pqt(), 2 * kDesc);

    // Software consumes both: the line drops (PPR stays until cleared).
    consume();
    EXPECT_FALSE(model->irq_pending());
    model->write_reg(SVAC_VTD_PRS, SVAC_VTD_PRS_PPR);
    EXPECT_EQ(prs(), 0u);
}

TEST_F(VtdIopfHw, StopMarkersAreQueuedLikeRequests) {
    program();
    EXPECT_EQ(queue(stop_marker(4)), Queued::queued);
    auto d = desc_at(0);
    EXPECT_EQ(get(d.data(), v::prq::LPIG), 1u);
    EXPECT_EQ(get(d.data(), v::prq::RD) | get(d.data(), v::prq::WR), 0u);
    EXPECT_EQ(get(d.data(), v::prq::PP), 1u);
    EXPECT_TRUE(model->take_responses().empty());
}

TEST_F(VtdIopfHw, TailWrapsAround) {
    program();
    const uint64_t last_slot = kDesc * (kEntries - 1);
    model->write_reg(SVAC_VTD_PQH, last_slot);
    model->write_reg(SVAC_VTD_PQT, last_slot);
    EXPECT_EQ(queue(request(1, false)), Queued::queued);
    EXPECT_EQ(get(desc_at(last_slot).data(), v::prq::PRG_INDEX), 1u);
    EXPECT_EQ(pqt(), 0u);
    EXPECT_EQ(queue(request(2, false)), Queued::queued);
    EXPECT_EQ(get(desc_at(0).data(), v::prq::PRG_INDEX), 2u);
    EXPECT_EQ(pqt(), kDesc);
}

TEST_F(VtdIopfHw, OffsetRegistersHoldBits18To5) {
    model->write_reg(SVAC_VTD_PQH, 0xffffffffffffffffu);
    EXPECT_EQ(model->read_reg(SVAC_VTD_PQH), 0x7ffe0u);
    model->write_reg(SVAC_VTD_PQT, 0x1f);
    EXPECT_EQ(model->read_reg(SVAC_VTD_PQT), 0u);
}

// ------------------------------------------------------------- overflow

TEST_F(VtdIopfHw, FullQueueOverflowsAndTheHardwareAnswersTheLast) {
    program();
    // One slot stays empty: PQT + 32 == PQH means full.
    for (uint32_t i = 0; i < kEntries - 1; ++i)
        ASSERT_EQ(queue(request(i % 512, false)), Queued::queued) << i;
    EXPECT_EQ(pqt(), kDesc * (kEntries - 1));
    const unsigned writes = mem.hw_writes;

    PageRequest last = request(200, true);
    EXPECT_EQ(queue(last), Queued::overflow);
    EXPECT_EQ(prs(), SVAC_VTD_PRS_PPR | SVAC_VTD_PRS_PRO);
    EXPECT_EQ(pqt(), kDesc * (kEntries - 1)); // not written
    EXPECT_EQ(mem.hw_writes, writes);
    auto rs = model->take_responses();
    ASSERT_EQ(rs.size(), 1u);
    EXPECT_EQ(rs[0], automatic(last));

    // While PRO is set everything is dropped, even after software drains:
    // the last of a group is answered by the hardware, Stop Markers and
    // other requests are not.
    consume();
    EXPECT_TRUE(model->irq_pending()); // PRO holds the line up
    EXPECT_EQ(queue(request(201, false)), Queued::dropped);
    EXPECT_EQ(queue(stop_marker(202)), Queued::dropped);
    PageRequest nopasid = request(203, true);
    nopasid.has_pasid = false;
    nopasid.pasid = 77;
    EXPECT_EQ(queue(nopasid), Queued::dropped);
    EXPECT_EQ(mem.hw_writes, writes);
    rs = model->take_responses();
    ASSERT_EQ(rs.size(), 1u);
    PageResponse want = automatic(nopasid);
    want.pasid = 0;
    EXPECT_EQ(rs[0], want);
    EXPECT_TRUE(model->take_responses().empty()); // taken

    // Clearing PRO (write 1) restores queuing.
    model->write_reg(SVAC_VTD_PRS, SVAC_VTD_PRS_PRO);
    EXPECT_EQ(prs(), SVAC_VTD_PRS_PPR);
    EXPECT_FALSE(model->irq_pending());
    EXPECT_EQ(queue(request(204, true)), Queued::queued);
    EXPECT_TRUE(model->take_responses().empty());
    EXPECT_TRUE(model->irq_pending());
}

TEST_F(VtdIopfHw, OverflowQueueSetsProNow) {
    program();
    model->overflow_queue();
    EXPECT_EQ(prs(), SVAC_VTD_PRS_PRO);
    EXPECT_TRUE(model->irq_pending());
    PageRequest last = request(9, true);
    EXPECT_EQ(queue(last), Queued::dropped);
    auto rs = model->take_responses();
    ASSERT_EQ(rs.size(), 1u);
    EXPECT_EQ(rs[0], automatic(last));
    model->write_reg(SVAC_VTD_PRS, SVAC_VTD_PRS_PRO);
    EXPECT_FALSE(model->irq_pending());
    EXPECT_EQ(queue(last), Queued::queued);
}

TEST_F(VtdIopfHw, PrsBitsAreWriteOneToClear) {
    program();
    model->write_reg(SVAC_VTD_PRS, SVAC_VTD_PRS_PPR | SVAC_VTD_PRS_PRO); // cannot set
    EXPECT_EQ(prs(), 0u);
    ASSERT_EQ(queue(request(1, false)), Queued::queued);
    model->overflow_queue();
    EXPECT_EQ(prs(), SVAC_VTD_PRS_PPR | SVAC_VTD_PRS_PRO);
    model->write_reg(SVAC_VTD_PRS, 0); // writing 0 changes nothing
    EXPECT_EQ(prs(), SVAC_VTD_PRS_PPR | SVAC_VTD_PRS_PRO);
    model->write_reg(SVAC_VTD_PRS, SVAC_VTD_PRS_PPR);
    EXPECT_EQ(prs(), SVAC_VTD_PRS_PRO);
    model->write_reg(SVAC_VTD_PRS, SVAC_VTD_PRS_PRO);
    EXPECT_EQ(prs(), 0u);
}

TEST_F(VtdIopfHw, PqsSizesTheQueue) {
    program(1); // two pages: 256 descriptors
    for (uint32_t i = 0; i < 2 * kEntries - 1; ++i)
        ASSERT_EQ(queue(request(i % 512, false)), Queued::queued) << i;
    EXPECT_EQ(pqt(), kDesc * (2 * kEntries - 1));
    EXPECT_EQ(queue(request(1, false)), Queued::overflow);
    EXPECT_TRUE(model->take_responses().empty());
}

TEST_F(VtdIopfHw, QueueOutsideMemoryDropsTheRequest) {
    mem.hi = mem.lo; // nothing is allocated
    program();
    PageRequest last = request(3, true);
    EXPECT_EQ(queue(last), Queued::dropped);
    EXPECT_EQ(pqt(), 0u);
    EXPECT_FALSE(model->irq_pending());
    auto rs = model->take_responses();
    ASSERT_EQ(rs.size(), 1u);
    EXPECT_EQ(rs[0], automatic(last));
}

// ------------------------------------------------------------- responses

TEST_F(VtdIopfHw, PageGroupResponsesAreDeliveredAsWritten) {
    EXPECT_EQ(submit(grp_resp(3, true, 5, 9, v::page_grp_resp::kRespSuccess)), 0);
    EXPECT_EQ(submit(grp_resp(4, true, 6, 10, v::page_grp_resp::kRespInvalid)), 0);
    EXPECT_EQ(submit(grp_resp(5, true, 7, 0x1ff, v::page_grp_resp::kRespFailure)), 0);
    // The core's FAILURE written raw: the device gets the reserved code 2.
    EXPECT_EQ(submit(grp_resp(6, true, 8, 0, 0x2)), 0);
    // No PASID present: the PCIe response carries none.
    EXPECT_EQ(submit(grp_resp(7, false, 9, 11, v::page_grp_resp::kRespSuccess)), 0);
    EXPECT_EQ(model->unsynced(), 0u);

    auto rs = model->take_responses();
    ASSERT_EQ(rs.size(), 5u);
    auto expect = [](const PageResponse &r, uint32_t sid, bool pp, uint32_t pasid, uint32_t group,
                     uint8_t code) {
        EXPECT_EQ(r.sid, sid);
        EXPECT_FALSE(r.stall);
        EXPECT_EQ(r.has_pasid, pp);
        EXPECT_EQ(r.pasid, pasid);
        EXPECT_EQ(r.group, group);
        EXPECT_EQ(r.code, code);
        EXPECT_EQ(r.raw, code);
        EXPECT_FALSE(r.automatic);
    };
    expect(rs[0], 3, true, 5, 9, 0x0);
    expect(rs[1], 4, true, 6, 10, 0x1);
    expect(rs[2], 5, true, 7, 0x1ff, 0xf);
    expect(rs[3], 6, true, 8, 0, 0x2);
    expect(rs[4], 7, false, 0, 11, 0x0);
    EXPECT_TRUE(model->take_responses().empty());

    const auto &log = model->command_log();
    ASSERT_EQ(log.size(), 5u);
    EXPECT_EQ(log[2], "page group response rid=5 pp=1 pasid=7 prg=511 code=0xf");
    EXPECT_EQ(log[3], "page group response rid=6 pp=1 pasid=8 prg=0 code=0x2");
}

TEST_F(VtdIopfHw, ResponsesNeverWaitForASync) {
    std::array<uint64_t, 4> pc{};
    set(pc.data(), v::inv_pc::Type, v::inv_pc::kType);
    set(pc.data(), v::inv_pc::G, v::inv_pc::kGranPasid);
    EXPECT_EQ(submit(pc), 0);
    EXPECT_EQ(submit(grp_resp(3, true, 5, 1, v::page_grp_resp::kRespSuccess)), 0);
    EXPECT_EQ(model->unsynced(), 1u);              // the invalidation only
    EXPECT_EQ(model->take_responses().size(), 1u); // already sent
    EXPECT_EQ(wait(), 0);
    EXPECT_EQ(model->unsynced(), 0u);
    EXPECT_TRUE(model->take_responses().empty());
    // A response after the last wait leaves nothing unsynced either.
    EXPECT_EQ(submit(grp_resp(3, true, 5, 2, v::page_grp_resp::kRespInvalid)), 0);
    EXPECT_EQ(model->unsynced(), 0u);
}

TEST_F(VtdIopfHw, RequestsAndResponsesInterleave) {
    program();
    ASSERT_EQ(queue(request(1, false)), Queued::queued);
    ASSERT_EQ(queue(request(1, true)), Queued::queued);
    EXPECT_EQ(submit(grp_resp(3, true, 5, 1, v::page_grp_resp::kRespSuccess)), 0);
    model->overflow_queue();
    PageRequest dropped = request(2, true);
    EXPECT_EQ(queue(dropped), Queued::dropped);
    auto rs = model->take_responses();
    ASSERT_EQ(rs.size(), 2u); // in the order they reached the device
    EXPECT_FALSE(rs[0].automatic);
    EXPECT_EQ(rs[0].group, 1u);
    EXPECT_EQ(rs[1], automatic(dropped));
}

// ------------------------------------------------------------- dump

TEST_F(VtdIopfHw, DumpListsUnconsumedRequests) {
    program();
    ASSERT_EQ(queue(request(1, false)), Queued::queued);
    ASSERT_EQ(queue(request(2, true)), Queued::queued);
    ModelDump d = model->dump(mem, Topology{{Iommu{Arch::vtd}}, {Device{0}}});
    std::vector<const DecodedEntry *> prq;
    for (const auto &e : d.entries)
        if (e.table == "PRQ") prq.push_back(&e);
    ASSERT_EQ(prq.size(), 2u);
    EXPECT_EQ(prq[0]->key, "offset 0x0");
    EXPECT_EQ(prq[0]->pa, kQueue);
    EXPECT_EQ(prq[1]->key, "offset 0x20");
    EXPECT_EQ(prq[1]->raw.size(), 4u);
    EXPECT_EQ(prq[1]->fields.size(), std::size(v::prq::kFields));
    model->write_reg(SVAC_VTD_PQH, kDesc);
    d = model->dump(mem, Topology{{Iommu{Arch::vtd}}, {Device{0}}});
    unsigned left = 0;
    for (const auto &e : d.entries) left += e.table == "PRQ";
    EXPECT_EQ(left, 1u);
}

} // namespace
