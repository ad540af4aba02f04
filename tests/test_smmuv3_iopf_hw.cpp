// The SMMUv3 hardware model's fault side: the event and PRI queues the
// model writes (registers, records, overflow), the automatic answers, and
// the responses CMD_PRI_RESP and CMD_RESUME deliver. The model is driven
// directly, over a small test memory the hardware may write into.
#include "reference/pagetable.h"
#include "reference/smmuv3_format.h"
#include "reference/smmuv3_hw.h"
#include "support/test_bus.h"

#include <gtest/gtest.h>

#include <array>
#include <cerrno>
#include <map>
#include <optional>
#include <utility>
#include <vector>

using namespace svac::ref;
namespace sm = svac::ref::smmuv3;
using Kind = DmaResult::Kind;
using Queued = IommuModel::Queued;

using svac::test::TestBus;

namespace {

using Entry = std::array<uint64_t, 8>;
using Command = std::array<uint64_t, 2>;

constexpr uint64_t kVa = 0x7f0012345000;

Command command(uint8_t op, std::initializer_list<std::pair<Field, uint64_t>> fields = {}) {
    Command c{};
    set(c.data(), sm::cmd::Opcode, op);
    for (const auto &[f, v] : fields) set(c.data(), f, v);
    return c;
}

Command pri_resp(uint32_t sid, std::optional<uint32_t> ssid, uint32_t prg, uint64_t resp) {
    return command(sm::cmd::PRI_RESP, {{sm::cmd::SID, sid},
                                       {sm::cmd::SSV, ssid.has_value()},
                                       {sm::cmd::SSID, ssid.value_or(0)},
                                       {sm::cmd::PRGIndex, prg},
                                       {sm::cmd::PriResp, resp}});
}

Command resume(uint32_t sid, uint32_t stag, uint64_t resp) {
    return command(sm::cmd::RESUME,
                   {{sm::cmd::SID, sid}, {sm::cmd::STAG, stag}, {sm::cmd::ResumeResp, resp}});
}

PageRequest pri(uint32_t sid, std::optional<uint32_t> pasid, uint32_t prg, bool last,
                uint8_t perm = SVAC_FAULT_PERM_READ, uint64_t addr = kVa) {
    PageRequest r;
    r.sid = sid;
    r.has_pasid = pasid.has_value();
    r.pasid = pasid.value_or(0);
    r.addr = addr;
    r.perm = perm;
    r.group = prg;
    r.last = last;
    return r;
}

PageRequest stop_marker(uint32_t sid, uint32_t pasid, uint32_t prg) {
    return pri(sid, pasid, prg, true, 0);
}

PageRequest stall(uint32_t sid, std::optional<uint32_t> pasid, uint64_t addr,
                  uint8_t perm = SVAC_FAULT_PERM_READ) {
    PageRequest r = pri(sid, pasid, 0, true, perm, addr);
    r.stall = true;
    return r;
}

struct World {
    TestBus mem;
    std::unique_ptr<IommuModel> model = make_smmuv3_model(Iommu{}, 0);
    uint64_t evtq = 0, priq = 0;
    unsigned evtq_log2 = 0, priq_log2 = 0;

    // Queues of 2^log2 entries; CR0 with the SMMU and both queues on.
    explicit World(unsigned evt_log2 = 3, unsigned pri_log2 = 2) {
        evtq_log2 = evt_log2;
        priq_log2 = pri_log2;
        evtq = mem.alloc(uint64_t{sm::evt::kBytes} << evt_log2);
        priq = mem.alloc(uint64_t{sm::priq::kBytes} << pri_log2);
        model->write_reg(SVAC_SMMU_EVENTQ_BASE, evtq | evt_log2);
        model->write_reg(SVAC_SMMU_PRIQ_BASE, priq | pri_log2);
        model->write_reg(SVAC_SMMU_EVENTQ_CONS, 0);
        model->write_reg(SVAC_SMMU_PRIQ_CONS, 0);
        enable(true);
    }
    // The stream table, set while the SMMU is off (SMMU-REG-1), then back on.
    void set_strtab(uint64_t base, uint64_t cfg) {
        model->write_reg(SVAC_SMMU_CR0, 0);
        model->write_reg(SVAC_SMMU_STRTAB_BASE, base);
        model->write_reg(SVAC_SMMU_STRTAB_BASE_CFG, cfg);
        enable(true);
    }
    void enable(bool on) {
        model->write_reg(SVAC_SMMU_CR0,
                         on ? SVAC_SMMU_CR0_SMMUEN | SVAC_SMMU_CR0_EVENTQEN | SVAC_SMMU_CR0_PRIQEN
                            : SVAC_SMMU_CR0_SMMUEN);
    }
    uint64_t prod(uint32_t reg) const { return model->read_reg(reg); }
    uint64_t priq_prod() const { return prod(SVAC_SMMU_PRIQ_PROD); }
    uint64_t evtq_prod() const { return prod(SVAC_SMMU_EVENTQ_PROD); }
    // The driver's side: consume up to PROD, acknowledging an overflow or not.
    void consume_priq(bool ack = true) {
        uint64_t p = priq_prod(), c = model->read_reg(SVAC_SMMU_PRIQ_CONS);
        uint64_t v = (p & ~SVAC_SMMU_Q_OVF) | ((ack ? p : c) & SVAC_SMMU_Q_OVF);
        model->write_reg(SVAC_SMMU_PRIQ_CONS, v);
    }
    void consume_evtq(bool ack = true) {
        uint64_t p = evtq_prod(), c = model->read_reg(SVAC_SMMU_EVENTQ_CONS);
        uint64_t v = (p & ~SVAC_SMMU_Q_OVF) | ((ack ? p : c) & SVAC_SMMU_Q_OVF);
        model->write_reg(SVAC_SMMU_EVENTQ_CONS, v);
    }
    std::vector<uint64_t> priq_entry(unsigned idx) const {
        return mem.words(priq + sm::priq::kBytes * idx, 2);
    }
    std::vector<uint64_t> evtq_record(unsigned idx) const {
        return mem.words(evtq + sm::evt::kBytes * idx, 4);
    }
    Queued queue(PageRequest r) { return model->queue_fault(mem, r); }
    int submit(const Command &c) { return model->submit(mem, c.data(), 2); }
};

// ---- layouts ----

TEST(Smmuv3IopfFormat, QueueLayouts) {
    EXPECT_EQ(sm::evt::kFormat.qwords * 8u, sm::evt::kBytes);
    EXPECT_EQ(sm::priq::kFormat.qwords * 8u, sm::priq::kBytes);
    EXPECT_EQ(sm::evt::Stall.qword * 64 + sm::evt::Stall.lo, 95);
    EXPECT_EQ(sm::evt::RnW.qword * 64 + sm::evt::RnW.lo, 99);
    EXPECT_EQ(sm::evt::InputAddr.qword, 2);
    EXPECT_EQ(sm::priq::Last.lo, 62);
    EXPECT_EQ(sm::priq::PRGIndex.width, 9);
    EXPECT_EQ(sm::priq::Addr.lo, 12);
    EXPECT_EQ(sm::cmd::PriResp.qword * 64 + sm::cmd::PriResp.lo, 76);
    EXPECT_EQ(sm::cmd::ResumeResp.qword * 64 + sm::cmd::ResumeResp.lo, 12);
    EXPECT_EQ(sm::reg::Q_ADDR.mask(), ((uint64_t{1} << 52) - 1) & ~uint64_t{31});
    EXPECT_EQ(sm::reg::Q_OVFLG.mask(), SVAC_SMMU_Q_OVF);
    EXPECT_EQ(sm::reg::PRIQEN.mask(), SVAC_SMMU_CR0_PRIQEN);
    EXPECT_EQ(sm::reg::EVENTQEN.mask(), SVAC_SMMU_CR0_EVENTQEN);
}

// ---- registers ----

TEST(Smmuv3IopfModel, ProdIsTheModels) {
    World w;
    EXPECT_EQ(w.priq_prod(), 0u);
    w.model->write_reg(SVAC_SMMU_PRIQ_PROD, 3); // ignored while the queue is enabled
    EXPECT_EQ(w.priq_prod(), 0u);
    w.model->write_reg(SVAC_SMMU_PRIQ_CONS, 2 | SVAC_SMMU_Q_OVF);
    EXPECT_EQ(w.model->read_reg(SVAC_SMMU_PRIQ_CONS), 2 | SVAC_SMMU_Q_OVF);
    w.model->write_reg(SVAC_SMMU_PRIQ_CONS, 0);
    w.enable(false);
    w.model->write_reg(SVAC_SMMU_PRIQ_PROD, 1); // a disabled queue's index is software's
    EXPECT_EQ(w.priq_prod(), 1u);
    EXPECT_FALSE(w.model->irq_pending()); // a disabled queue raises nothing
}

// ---- the PRI queue ----

TEST(Smmuv3IopfModel, PriEntryAtProd) {
    World w;
    EXPECT_FALSE(w.model->irq_pending());
    ASSERT_EQ(w.queue(pri(3, 5, 0x1a5, false,
                          SVAC_FAULT_PERM_WRITE | SVAC_FAULT_PERM_EXEC | SVAC_FAULT_PERM_PRIV)),
              Queued::queued);
    ASSERT_EQ(w.queue(pri(4, std::nullopt, 7, true, SVAC_FAULT_PERM_READ | SVAC_FAULT_PERM_EXEC,
                          kVa + 0x3000)),
              Queued::queued);
    EXPECT_EQ(w.priq_prod(), 2u);
    EXPECT_TRUE(w.model->irq_pending());

    std::vector<uint64_t> e = w.priq_entry(0);
    EXPECT_EQ(get(e.data(), sm::priq::SID), 3u);
    EXPECT_EQ(get(e.data(), sm::priq::SSV), 1u);
    EXPECT_EQ(get(e.data(), sm::priq::SSID), 5u);
    EXPECT_EQ(get(e.data(), sm::priq::Read), 0u);
    EXPECT_EQ(get(e.data(), sm::priq::Write), 1u);
    EXPECT_EQ(get(e.data(), sm::priq::Exec), 1u);
    EXPECT_EQ(get(e.data(), sm::priq::Priv), 1u);
    EXPECT_EQ(get(e.data(), sm::priq::Last), 0u);
    EXPECT_EQ(get(e.data(), sm::priq::PRGIndex), 0x1a5u);
    EXPECT_EQ(get(e.data(), sm::priq::Addr) << 12, kVa);

    e = w.priq_entry(1);
    EXPECT_EQ(get(e.data(), sm::priq::SID), 4u);
    EXPECT_EQ(get(e.data(), sm::priq::SSV), 0u);
    EXPECT_EQ(get(e.data(), sm::priq::Read), 1u);
    // SMMU 8: without a PASID, X and Priv are 0.
    EXPECT_EQ(get(e.data(), sm::priq::Exec), 0u);
    EXPECT_EQ(get(e.data(), sm::priq::Last), 1u);
    EXPECT_EQ(get(e.data(), sm::priq::Addr) << 12, kVa + 0x3000);

    w.consume_priq();
    EXPECT_FALSE(w.model->irq_pending());
    EXPECT_TRUE(w.model->take_responses().empty());
}

TEST(Smmuv3IopfModel, PriQueueWrapsAround) {
    World w(3, 2); // 4 PRI entries
    for (unsigned i = 0; i < 6; ++i) {
        ASSERT_EQ(w.queue(pri(1, 2, i, true)), Queued::queued) << i;
        uint64_t slot = i & 3;
        EXPECT_EQ(get(w.priq_entry(unsigned(slot)).data(), sm::priq::PRGIndex), i);
        w.consume_priq();
    }
    EXPECT_EQ(w.priq_prod(), 6u); // index 2 with the wrap bit (bit 2) set
}

TEST(Smmuv3IopfModel, DisabledPriQueueAnswersFailure) {
    World w;
    w.enable(false);
    unsigned stores = w.mem.hw_stores;
    EXPECT_EQ(w.queue(pri(1, 9, 3, true)), Queued::dropped);
    EXPECT_EQ(w.queue(stop_marker(1, 9, 4)), Queued::dropped);
    EXPECT_EQ(w.mem.hw_stores, stores);
    // SMMU 8.2: PRIQEN == 0 answers every page request Response Failure,
    // without a PASID; a Stop Marker gets nothing.
    auto rs = w.model->take_responses();
    ASSERT_EQ(rs.size(), 1u);
    EXPECT_EQ(rs[0].sid, 1u);
    EXPECT_EQ(rs[0].group, 3u);
    EXPECT_EQ(rs[0].code, 0xf);
    EXPECT_FALSE(rs[0].has_pasid);
    EXPECT_TRUE(rs[0].automatic);
    EXPECT_FALSE(rs[0].stall);
}

TEST(Smmuv3IopfModel, PriOverflow) {
    World w(3, 2); // 4 PRI entries
    for (unsigned i = 0; i < 4; ++i) ASSERT_EQ(w.queue(pri(1, 2, i, false)), Queued::queued);
    uint64_t prod = w.priq_prod();
    EXPECT_EQ(prod & SVAC_SMMU_Q_OVF, 0u);

    // Full: the request that finds it so enters the overflow condition; a
    // Last one is answered Success, with its PASID (SMMU 8.1, PPS == 1).
    EXPECT_EQ(w.queue(pri(1, 2, 0x105, true)), Queued::overflow);
    EXPECT_EQ(w.priq_prod(), prod | SVAC_SMMU_Q_OVF);
    auto rs = w.model->take_responses();
    ASSERT_EQ(rs.size(), 1u);
    EXPECT_EQ(rs[0].code, 0x0);
    EXPECT_TRUE(rs[0].has_pasid);
    EXPECT_EQ(rs[0].pasid, 2u);
    EXPECT_EQ(rs[0].group, 0x105u);
    EXPECT_TRUE(rs[0].automatic);

    // Consumed but not acknowledged: the overflow stays active and inhibits
    // new entries, even with room in the queue.
    w.consume_priq(false);
    EXPECT_TRUE(w.model->irq_pending());
    unsigned stores = w.mem.hw_stores;
    EXPECT_EQ(w.queue(pri(1, 2, 9, false)), Queued::dropped);            // ignored
    EXPECT_EQ(w.queue(stop_marker(1, 2, 10)), Queued::dropped);          // discarded
    EXPECT_EQ(w.queue(pri(1, std::nullopt, 11, true)), Queued::dropped); // auto Success
    EXPECT_EQ(w.mem.hw_stores, stores);
    EXPECT_EQ(w.priq_prod(), prod | SVAC_SMMU_Q_OVF);
    rs = w.model->take_responses();
    ASSERT_EQ(rs.size(), 1u);
    EXPECT_EQ(rs[0].group, 11u);
    EXPECT_FALSE(rs[0].has_pasid);
    EXPECT_EQ(rs[0].code, 0x0);

    // Acknowledged: queuing resumes.
    w.consume_priq(true);
    EXPECT_FALSE(w.model->irq_pending());
    EXPECT_EQ(w.queue(pri(1, 2, 12, true)), Queued::queued);
    EXPECT_TRUE(w.model->take_responses().empty());
}

TEST(Smmuv3IopfModel, OverflowQueueNow) {
    World w;
    w.model->overflow_queue();
    EXPECT_EQ(w.priq_prod(), SVAC_SMMU_Q_OVF);
    EXPECT_TRUE(w.model->irq_pending());
    w.model->overflow_queue(); // already present: no second toggle
    EXPECT_EQ(w.priq_prod(), SVAC_SMMU_Q_OVF);
    EXPECT_EQ(w.queue(pri(1, 2, 3, true)), Queued::dropped);
    EXPECT_EQ(w.model->take_responses().size(), 1u);
    w.consume_priq(true);
    EXPECT_FALSE(w.model->irq_pending());
    EXPECT_EQ(w.queue(pri(1, 2, 3, true)), Queued::queued);
}

TEST(Smmuv3IopfModel, UnwritableQueueMemory) {
    World w;
    // The queue's base points at memory nobody allocated: the write aborts.
    w.enable(false); // PRIQ_BASE is written while the queue is off (SMMU-REG-1)
    w.model->write_reg(SVAC_SMMU_PRIQ_BASE, 0x40000000 | 2);
    w.enable(true);
    EXPECT_EQ(w.queue(pri(1, 2, 3, true)), Queued::dropped);
    EXPECT_EQ(w.priq_prod(), 0u);
    auto rs = w.model->take_responses();
    ASSERT_EQ(rs.size(), 1u);
    EXPECT_EQ(rs[0].code, 0xf);
}

// ---- stalls ----

TEST(Smmuv3IopfModel, StallRecord) {
    World w;
    PageRequest a = stall(2, 7, kVa + 0x123, SVAC_FAULT_PERM_WRITE);
    ASSERT_EQ(w.model->queue_fault(w.mem, a), Queued::queued);
    PageRequest b = stall(2, std::nullopt, kVa, SVAC_FAULT_PERM_EXEC | SVAC_FAULT_PERM_PRIV);
    ASSERT_EQ(w.model->queue_fault(w.mem, b), Queued::queued);
    EXPECT_NE(a.group, b.group);
    EXPECT_TRUE(a.last && b.last);
    EXPECT_EQ(w.evtq_prod(), 2u);
    EXPECT_TRUE(w.model->irq_pending());

    std::vector<uint64_t> r = w.evtq_record(0);
    EXPECT_EQ(get(r.data(), sm::evt::EventID), sm::evt::F_TRANSLATION);
    EXPECT_EQ(get(r.data(), sm::evt::Stall), 1u);
    EXPECT_EQ(get(r.data(), sm::evt::STAG), a.group);
    EXPECT_EQ(get(r.data(), sm::evt::StreamID), 2u);
    EXPECT_EQ(get(r.data(), sm::evt::SSV), 1u);
    EXPECT_EQ(get(r.data(), sm::evt::SubstreamID), 7u);
    EXPECT_EQ(get(r.data(), sm::evt::RnW), 0u);
    EXPECT_EQ(get(r.data(), sm::evt::InD), 0u);
    EXPECT_EQ(get(r.data(), sm::evt::PnU), 0u);
    EXPECT_EQ(get(r.data(), sm::evt::InputAddr), kVa + 0x123);

    r = w.evtq_record(1);
    EXPECT_EQ(get(r.data(), sm::evt::STAG), b.group);
    EXPECT_EQ(get(r.data(), sm::evt::SSV), 0u);
    EXPECT_EQ(get(r.data(), sm::evt::RnW), 1u); // an instruction fetch reads
    EXPECT_EQ(get(r.data(), sm::evt::InD), 1u);
    EXPECT_EQ(get(r.data(), sm::evt::PnU), 1u);

    // The STAG of a stall outstanding is never handed out again; a resumed one can be.
    auto *m = static_cast<Smmuv3Model *>(w.model.get());
    EXPECT_EQ(m->stalls_outstanding(), 2u);
    ASSERT_EQ(w.submit(resume(2, a.group, sm::cmd::RESUME_RETRY)), 0);
    EXPECT_EQ(m->stalls_outstanding(), 1u);
    // A RESUME naming another StreamID resumes nothing.
    ASSERT_EQ(w.submit(resume(3, b.group, sm::cmd::RESUME_ABORT)), 0);
    EXPECT_EQ(m->stalls_outstanding(), 1u);
}

TEST(Smmuv3IopfModel, StagsStayUnique) {
    World w(6, 2); // 64 records
    std::vector<uint32_t> stags;
    for (unsigned i = 0; i < 40; ++i) {
        PageRequest r = stall(1, 1, kVa + 0x1000 * i);
        ASSERT_EQ(w.model->queue_fault(w.mem, r), Queued::queued);
        for (uint32_t s : stags) ASSERT_NE(s, r.group);
        stags.push_back(r.group);
        if (i % 2 == 0) { // resume every other one
            ASSERT_EQ(w.submit(resume(1, r.group, sm::cmd::RESUME_ABORT)), 0);
            stags.pop_back();
        }
        w.consume_evtq();
    }
}

TEST(Smmuv3IopfModel, StallEventIdFromTheWalk) {
    World w;
    // sid 1: S1 with a stall CD at ssid 5; the page is mapped read-only.
    uint64_t strtab = w.mem.alloc(64 * 16), cdtab = w.mem.alloc(64 * 16);
    uint64_t pgd = w.mem.alloc(kPageSize);
    w.set_strtab(strtab, 4);
    Entry ste{};
    set(ste.data(), sm::ste::V, 1);
    set(ste.data(), sm::ste::Config, sm::ste::CONFIG_S1_TRANS);
    set(ste.data(), sm::ste::S1ContextPtr, cdtab >> 6);
    set(ste.data(), sm::ste::S1CDMax, 4);
    set(ste.data(), sm::ste::S1DSS, sm::ste::S1DSS_BYPASS);
    w.mem.write(strtab + 64, ste);
    Entry cd{};
    set(cd.data(), sm::cd::T0SZ, 16);
    set(cd.data(), sm::cd::EPD1, 1);
    set(cd.data(), sm::cd::V, 1);
    set(cd.data(), sm::cd::AA64, 1);
    set(cd.data(), sm::cd::S, 1);
    set(cd.data(), sm::cd::R, 1);
    set(cd.data(), sm::cd::A, 1);
    set(cd.data(), sm::cd::ASET, 1);
    set(cd.data(), sm::cd::ASID, 9);
    set(cd.data(), sm::cd::TTB0, pgd >> 4);
    w.mem.write(cdtab + 64 * 5, cd);
    // Map kVa read-only through fresh tables.
    uint64_t table = pgd;
    for (unsigned level = 0; level + 1 < kLevels; ++level) {
        uint64_t next = w.mem.alloc(kPageSize);
        w.mem.write64(table + 8 * pt_index(kVa, level), make_table(SVAC_PGTABLE_AARCH64_4K, next));
        table = next;
    }
    w.mem.write64(table + 8 * pt_index(kVa, kLevels - 1),
                  make_leaf(SVAC_PGTABLE_AARCH64_4K, 0xabc000, kRead));

    Device dev;
    dev.pri = false;
    dev.stall = true;
    DmaRequest d{1, true, 5, kVa + 8, kWrite, &dev};
    DmaResult r = w.model->dma(w.mem, d);
    ASSERT_EQ(r.kind, Kind::page_request) << r.why;
    EXPECT_EQ(w.evtq_prod(), 0u); // the stall is recorded by queue_fault, not the walk

    PageRequest req = stall(1, 5, kVa + 8, SVAC_FAULT_PERM_WRITE);
    ASSERT_EQ(w.model->queue_fault(w.mem, req), Queued::queued);
    EXPECT_EQ(get(w.evtq_record(0).data(), sm::evt::EventID), sm::evt::F_PERMISSION);

    // A page that is not mapped at all: F_TRANSLATION.
    d.va = kVa + 0x200000;
    ASSERT_EQ(w.model->dma(w.mem, d).kind, Kind::page_request);
    req = stall(1, 5, kVa + 0x200000, SVAC_FAULT_PERM_WRITE);
    ASSERT_EQ(w.model->queue_fault(w.mem, req), Queued::queued);
    EXPECT_EQ(get(w.evtq_record(1).data(), sm::evt::EventID), sm::evt::F_TRANSLATION);
}

TEST(Smmuv3IopfModel, StallWithNoRoomIsAborted) {
    World w(1, 2); // 2 records
    for (unsigned i = 0; i < 2; ++i) {
        PageRequest r = stall(1, 1, kVa);
        ASSERT_EQ(w.model->queue_fault(w.mem, r), Queued::queued);
    }
    PageRequest r = stall(1, 1, kVa + 0x1000);
    EXPECT_EQ(w.model->queue_fault(w.mem, r), Queued::dropped);
    // A stall record never causes an overflow (SMMU 7.4).
    EXPECT_EQ(w.evtq_prod() & SVAC_SMMU_Q_OVF, 0u);
    auto rs = w.model->take_responses();
    ASSERT_EQ(rs.size(), 1u);
    EXPECT_TRUE(rs[0].stall);
    EXPECT_TRUE(rs[0].automatic);
    EXPECT_EQ(rs[0].code, 2);
    EXPECT_EQ(rs[0].group, r.group);

    w.enable(false);
    r = stall(1, 1, kVa + 0x2000);
    EXPECT_EQ(w.model->queue_fault(w.mem, r), Queued::dropped);
    rs = w.model->take_responses();
    ASSERT_EQ(rs.size(), 1u);
    EXPECT_EQ(rs[0].code, 2);
}

// ---- records of terminated transactions ----

TEST(Smmuv3IopfModel, TerminatedTransactionsRecordedWithoutStall) {
    World w(1, 2); // 2 records
    uint64_t strtab = w.mem.alloc(64 * 16);
    w.set_strtab(strtab, 4);
    Device dev;
    DmaRequest d{3, true, 4, kVa, kWrite, &dev};
    // STE of sid 3 invalid: C_BAD_STE, recorded through a MemoryBus.
    DmaResult r = w.model->dma(w.mem, d);
    ASSERT_EQ(r.kind, Kind::fault);
    ASSERT_EQ(w.evtq_prod(), 1u);
    std::vector<uint64_t> e = w.evtq_record(0);
    EXPECT_EQ(get(e.data(), sm::evt::EventID), sm::evt::C_BAD_STE);
    EXPECT_EQ(get(e.data(), sm::evt::Stall), 0u);
    EXPECT_EQ(get(e.data(), sm::evt::StreamID), 3u);
    EXPECT_EQ(get(e.data(), sm::evt::SSV), 1u);
    EXPECT_EQ(get(e.data(), sm::evt::SubstreamID), 4u);
    EXPECT_TRUE(w.model->irq_pending());

    // A plain view (no bus): the walk records nothing.
    const MemoryView &view = w.mem;
    struct Plain : MemoryView {
        const MemoryView &m;
        explicit Plain(const MemoryView &v) : m(v) {}
        uint64_t read64(uint64_t pa) const override { return m.read64(pa); }
    } plain(view);
    ASSERT_EQ(w.model->dma(plain, d).kind, Kind::fault);
    EXPECT_EQ(w.evtq_prod(), 1u);

    // Full: the record is lost, OVFLG toggles once; unlike the PRI queue the
    // overflow does not inhibit later records (SMMU 7.4).
    w.model->dma(w.mem, d);
    EXPECT_EQ(w.evtq_prod(), 2u);
    w.model->dma(w.mem, d);
    EXPECT_EQ(w.evtq_prod(), 2u | SVAC_SMMU_Q_OVF);
    w.model->dma(w.mem, d);
    EXPECT_EQ(w.evtq_prod(), 2u | SVAC_SMMU_Q_OVF);
    w.consume_evtq(false);
    w.model->dma(w.mem, d);
    EXPECT_EQ(w.evtq_prod(), 3u | SVAC_SMMU_Q_OVF);
    // Without EVENTQEN nothing is recorded and nothing overflows.
    w.consume_evtq(true);
    w.enable(false);
    w.model->dma(w.mem, d);
    EXPECT_EQ(w.evtq_prod(), 3u | SVAC_SMMU_Q_OVF);
    EXPECT_FALSE(w.model->irq_pending());
}

// ---- responses ----

TEST(Smmuv3IopfModel, PriRespDecoding) {
    World w;
    ASSERT_EQ(w.submit(pri_resp(1, 5, 0x1ff, sm::cmd::PRI_RESP_SUCCESS)), 0);
    ASSERT_EQ(w.submit(pri_resp(2, std::nullopt, 3, sm::cmd::PRI_RESP_INVALID)), 0);
    ASSERT_EQ(w.submit(pri_resp(3, 6, 4, sm::cmd::PRI_RESP_FAILURE)), 0);
    EXPECT_EQ(w.submit(pri_resp(4, 6, 4, sm::cmd::PRI_RESP_ILLEGAL)), -EINVAL);
    EXPECT_EQ(w.model->unsynced(), 0u); // responses wait for no sync
    EXPECT_EQ(w.model->command_log().size(), 3u);
    EXPECT_NE(w.model->command_log()[0].find("CMD_PRI_RESP"), std::string::npos);
    EXPECT_NE(w.model->command_log()[0].find("(Success)"), std::string::npos);

    auto rs = w.model->take_responses();
    ASSERT_EQ(rs.size(), 3u);
    EXPECT_EQ(rs[0].sid, 1u);
    EXPECT_TRUE(rs[0].has_pasid);
    EXPECT_EQ(rs[0].pasid, 5u);
    EXPECT_EQ(rs[0].group, 0x1ffu);
    EXPECT_EQ(rs[0].code, 0x0);
    EXPECT_EQ(rs[0].raw, 2);
    EXPECT_FALSE(rs[0].stall);
    EXPECT_FALSE(rs[0].automatic);
    EXPECT_FALSE(rs[1].has_pasid);
    EXPECT_EQ(rs[1].code, 0x1);
    EXPECT_EQ(rs[1].raw, 1);
    EXPECT_EQ(rs[2].code, 0xf);
    EXPECT_EQ(rs[2].raw, 0);
    EXPECT_TRUE(w.model->take_responses().empty());
}

TEST(Smmuv3IopfModel, ResumeDecoding) {
    World w;
    for (uint64_t resp : {1, 2, 0, 3}) ASSERT_EQ(w.submit(resume(7, 0x1234, resp)), 0);
    EXPECT_EQ(w.model->unsynced(), 0u);
    auto rs = w.model->take_responses();
    ASSERT_EQ(rs.size(), 4u);
    const uint8_t code[] = {1, 2, 0, 1}, raw[] = {1, 2, 0, 3};
    for (unsigned i = 0; i < 4; ++i) {
        EXPECT_TRUE(rs[i].stall);
        EXPECT_EQ(rs[i].sid, 7u);
        EXPECT_EQ(rs[i].group, 0x1234u);
        EXPECT_FALSE(rs[i].has_pasid);
        EXPECT_EQ(rs[i].code, code[i]) << i;
        EXPECT_EQ(rs[i].raw, raw[i]) << i;
    }
    EXPECT_NE(w.model->command_log()[1].find("(abort)"), std::string::npos);
}

TEST(Smmuv3IopfModel, ResponsesDoNotCountAsUnsynced) {
    World w;
    ASSERT_EQ(w.submit(command(sm::cmd::CFGI_STE, {{sm::cmd::SID, 1}})), 0);
    ASSERT_EQ(w.submit(pri_resp(1, 5, 1, sm::cmd::PRI_RESP_SUCCESS)), 0);
    ASSERT_EQ(w.submit(resume(1, 1, sm::cmd::RESUME_RETRY)), 0);
    EXPECT_EQ(w.model->unsynced(), 1u);
    EXPECT_EQ(w.model->take_responses().size(), 2u); // delivered before any sync
    ASSERT_EQ(w.submit(command(sm::cmd::SYNC)), 0);
    EXPECT_EQ(w.model->unsynced(), 0u);
    EXPECT_TRUE(w.model->take_responses().empty());
}

} // namespace
