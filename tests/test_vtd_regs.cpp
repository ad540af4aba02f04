// The VT-d hardware model's register interface, the path a kernel driver
// takes: VER, CAP and ECAP as the topology describes them, GCMD and GSTS
// (SRTP latched, QIE enabling the invalidation queue, WBF done at once), the
// invalidation queue in memory fetched when IQT moves (wrap, the wait
// descriptor's status write and ICS.IWC, an invalid descriptor stopping the
// queue at IQH until FSTS.IQE is cleared), and the rules of the interface
// (VTD-REG-1, VTD-REG-2), hand-written queue by queue.
#include "reference/vtd_format.h"
#include "reference/vtd_hw.h"
#include "support/test_bus.h"

#include <gtest/gtest.h>

#include <array>

using namespace svac::ref;
namespace v = svac::ref::vtd;
using svac::test::TestBus;

namespace {

using Desc = std::array<uint64_t, 4>;

Desc iotlb_global() {
    Desc d{};
    set(d.data(), v::inv_iotlb::Type, v::inv_iotlb::kType);
    set(d.data(), v::inv_iotlb::G, v::inv_iotlb::kGranGlobal);
    return d;
}
Desc wait(uint64_t status_addr, uint32_t data, bool irq = false) {
    Desc d{};
    set(d.data(), v::inv_wait::Type, v::inv_wait::kType);
    set(d.data(), v::inv_wait::SW, 1);
    set(d.data(), v::inv_wait::IF, irq ? 1 : 0);
    set(d.data(), v::inv_wait::STATUS_DATA, data);
    set(d.data(), v::inv_wait::STATUS_ADDR, status_addr >> 2);
    return d;
}
Desc invalid() {
    Desc d{};
    set(d.data(), v::inv_cc::Type, 0xf); // no such descriptor type
    return d;
}

uint64_t field(uint64_t reg, const Field &f) {
    return get(&reg, f);
}

// A VT-d unit with a one-page queue of 256-bit descriptors, set up as
// Linux's __dmar_enable_qi does: IQT 0, IQA (DW=1), then GCMD.QIE.
struct Queue {
    TestBus mem;
    std::unique_ptr<IommuModel> model;
    uint64_t base, status;
    uint64_t tail = 0; // software's IQT, in bytes

    Queue() {
        Iommu desc{Arch::vtd, 20, true};
        model = make_vtd_model(desc, 0, vtd_ids(desc, true, true));
        base = mem.alloc(4096);
        status = mem.alloc(64);
        model->write_reg(v::reg::kIqt, 0);
        uint64_t iqa = base;
        set(&iqa, v::iqa::DW, 1);
        model->write_reg(v::reg::kIqa, iqa);
        model->write_reg(SVAC_VTD_GCMD, v::gcmd::QIE.mask());
    }
    // Writes d at the tail (without moving IQT).
    void put(const Desc &d) {
        mem.write(base + tail, d);
        tail = (tail + 32) % 4096;
    }
    // Moves IQT to the tail and lets the hardware run.
    std::vector<IommuModel::Consumed> kick() {
        model->write_reg(v::reg::kIqt, tail);
        return model->run_command_queue(mem);
    }
    uint64_t iqh() const { return model->read_reg(v::reg::kIqh); }
    uint64_t fsts() const { return model->read_reg(v::reg::kFsts); }
};

TEST(VtdRegs, IdentificationRegistersDescribeTheTopology) {
    Iommu desc{Arch::vtd, 20, true};
    auto m = make_vtd_model(desc, 0, vtd_ids(desc, true, false));
    const uint64_t cap = m->read_reg(v::reg::kCap), ecap = m->read_reg(v::reg::kEcap);
    EXPECT_EQ(field(cap, v::cap::MGAW), 56u);  // 57-bit
    EXPECT_EQ(field(cap, v::cap::SAGAW), 12u); // 4- and 5-level
    EXPECT_EQ(field(cap, v::cap::FL5LP), 1u);
    EXPECT_EQ(field(ecap, v::ecap::QI), 1u);
    EXPECT_EQ(field(ecap, v::ecap::SMTS), 1u);
    EXPECT_EQ(field(ecap, v::ecap::PASID), 1u);
    EXPECT_EQ(field(ecap, v::ecap::PSS), 19u); // 20-bit PASIDs
    EXPECT_EQ(field(ecap, v::ecap::DT), 1u);   // an ATS device behind it
    EXPECT_EQ(field(ecap, v::ecap::PRS), 0u);  // no PRI device behind it
    EXPECT_EQ(field(ecap, v::ecap::FLTS), 1u);
    m->write_reg(v::reg::kEcap, 0); // read-only
    EXPECT_EQ(m->read_reg(v::reg::kEcap), ecap);
    // An IOMMU that cannot walk the CPU's tables has no first stage.
    Iommu no_sva{Arch::vtd, 20, false};
    EXPECT_EQ(
        field(make_vtd_model(no_sva, 0, vtd_ids(no_sva, false, true))->read_reg(v::reg::kEcap),
              v::ecap::FLTS),
        0u);
}

TEST(VtdRegs, GlobalCommandsReportInStatus) {
    Queue q;
    const uint64_t gsts = q.model->read_reg(v::gsts::kOffset);
    EXPECT_EQ(field(gsts, v::gsts::QIES), 1u);
    EXPECT_EQ(field(gsts, v::gsts::RTPS), 0u);
    q.model->write_reg(SVAC_VTD_GCMD, v::gcmd::QIE.mask() | v::gcmd::SRTP.mask());
    EXPECT_EQ(field(q.model->read_reg(v::gsts::kOffset), v::gsts::RTPS), 1u);
    q.model->write_reg(SVAC_VTD_GCMD, v::gcmd::QIE.mask() | v::gcmd::WBF.mask());
    EXPECT_EQ(field(q.model->read_reg(v::gsts::kOffset), v::gsts::WBFS), 0u); // done at once
    q.model->write_reg(SVAC_VTD_GCMD, v::gcmd::QIE.mask() | v::gcmd::TE.mask());
    EXPECT_EQ(field(q.model->read_reg(v::gsts::kOffset), v::gsts::TES), 1u);
}

TEST(VtdRegs, QueueFetchedWhenIqtMovesAndWaitWritesItsStatus) {
    Queue q;
    q.put(iotlb_global());
    q.put(wait(q.status + 4, 0xd0e, true));
    EXPECT_TRUE(q.model->run_command_queue(q.mem).empty()); // IQT not moved yet
    auto c = q.kick();
    ASSERT_EQ(c.size(), 2u);
    EXPECT_EQ(c[0].rc, 0);
    EXPECT_EQ(q.iqh(), 64u);
    EXPECT_EQ(q.mem.read64(q.status) >> 32, 0xd0eu); // the upper half: status + 4
    EXPECT_EQ(field(q.model->read_reg(v::reg::kIcs), v::ics::IWC), 1u);
    q.model->write_reg(v::reg::kIcs, v::ics::IWC.mask());
    EXPECT_EQ(q.model->read_reg(v::reg::kIcs), 0u);
    EXPECT_EQ(q.model->unsynced(), 0u);
    EXPECT_TRUE(q.model->take_misuse().empty());
}

TEST(VtdRegs, QueueWraps) {
    Queue q;
    for (int i = 0; i < 126; ++i) q.put(iotlb_global());
    q.put(wait(q.status, 1));
    q.kick(); // 127 of 128 slots
    EXPECT_EQ(q.iqh(), 127u * 32);
    q.put(iotlb_global());
    q.put(wait(q.status, 2)); // slot 0 again
    auto c = q.kick();
    EXPECT_EQ(c.size(), 2u);
    EXPECT_EQ(q.iqh(), 32u);
    EXPECT_EQ(q.mem.read64(q.status) & 0xffffffff, 2u);
    EXPECT_TRUE(q.model->take_misuse().empty());
}

TEST(VtdRegs, InvalidDescriptorStopsTheQueueUntilIqeIsCleared) {
    Queue q;
    q.put(invalid());
    q.put(wait(q.status, 7));
    auto c = q.kick();
    ASSERT_EQ(c.size(), 1u);
    EXPECT_NE(c[0].rc, 0);
    EXPECT_EQ(field(q.fsts(), v::fsts::IQE), 1u);
    EXPECT_EQ(q.iqh(), 0u); // at the faulting descriptor
    EXPECT_EQ(q.mem.read64(q.status), 0u);
    // Software may replace the descriptor at IQH (Linux copies its wait
    // over it), but not the one after it, which the hardware still owns.
    q.model->observe_store(q.base);
    EXPECT_TRUE(q.model->take_misuse().empty());
    q.model->observe_store(q.base + 32);
    auto misuse = q.model->take_misuse();
    ASSERT_EQ(misuse.size(), 1u);
    EXPECT_EQ(misuse[0].clause, ClauseId::VTD_REG_2);
    q.mem.write(q.base, wait(q.status, 6));
    q.model->write_reg(v::reg::kFsts, v::fsts::IQE.mask()); // write 1 to clear
    c = q.model->run_command_queue(q.mem);
    EXPECT_EQ(c.size(), 2u);
    EXPECT_EQ(q.iqh(), 64u);
    EXPECT_EQ(q.mem.read64(q.status) & 0xffffffff, 7u);
}

TEST(VtdRegs, MisusedTailIsCaught) {
    Queue q;
    q.model->write_reg(v::reg::kIqt, 0x10); // half a 256-bit descriptor
    auto misuse = q.model->take_misuse();
    ASSERT_EQ(misuse.size(), 1u);
    EXPECT_EQ(misuse[0].clause, ClauseId::VTD_REG_1);
    // Stopped at an error, IQT moved back over what the hardware holds.
    Queue s;
    s.put(invalid());
    s.put(iotlb_global());
    s.put(wait(s.status, 1));
    s.kick();
    ASSERT_EQ(field(s.fsts(), v::fsts::IQE), 1u);
    s.model->write_reg(v::reg::kIqt, 32);
    misuse = s.model->take_misuse();
    ASSERT_EQ(misuse.size(), 1u);
    EXPECT_EQ(misuse[0].clause, ClauseId::VTD_REG_2);
}

} // namespace
