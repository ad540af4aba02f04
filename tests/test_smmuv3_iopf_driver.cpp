// The bundled SMMUv3 driver's fault side, against the SMMUv3 hardware model
// through a small platform of its own (no engine): the queues it programs,
// what service_irq reports to the core, the commands page_response sends,
// the overflow protocol, the fault flush at unbind, and the seeded bugs of
// that side.
#include "models/registry.h"
#include "reference/pagetable.h"
#include "reference/smmuv3_format.h"
#include "reference/smmuv3_hw.h"

#include <gtest/gtest.h>

#include <cerrno>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

using namespace svac::ref;
namespace sm = svac::ref::smmuv3;

namespace {

constexpr uint64_t kVa = 0x7f0012345000;
constexpr uint32_t kPri = 0;   // dev 0: a PCIe function with PRI (sid 0)
constexpr uint32_t kStall = 1; // dev 1: a stall master (sid 1)

struct Reported {
    uint32_t dev;
    svac_fault f;
};

// Simulated memory, one SMMUv3 model, and the core's fault API as hooks.
class Rig : public MemoryBus {
public:
    explicit Rig(const char *mutant = nullptr) {
        ops = mutant ? svac_smmuv3_mutant(mutant) : svac_smmuv3_entry();
        iommus_[0] = {SVAC_ARCH_SMMUV3, 20, 1};
        devices_[kPri] = {0, 20, 1, 0, 0, 0};
        devices_[kStall] = {0, 20, 0, 1, 0, 1};
        topo_ = {1, iommus_, 2, devices_, 2};
        plat_.abi_version = SVAC_ABI_VERSION;
        plat_.size = sizeof(svac_platform);
        plat_.ctx = this;
        plat_.alloc = [](void *c, uint64_t bytes, uint64_t align) {
            return R(c).alloc(bytes, align);
        };
        plat_.free = [](void *c, uint64_t pa) { R(c).blocks_.erase(pa); };
        plat_.read64 = [](void *c, uint64_t pa) { return R(c).read64(pa); };
        plat_.write64 = [](void *c, uint64_t pa, uint64_t v) { R(c).store(pa, v); };
        plat_.write_reg = [](void *c, uint32_t, uint32_t off, uint64_t v) {
            R(c).model->write_reg(off, v);
        };
        plat_.read_reg = [](void *c, uint32_t, uint32_t off) { return R(c).model->read_reg(off); };
        plat_.submit_cmd = [](void *c, uint32_t, const uint64_t *cmd, uint32_t n) {
            return R(c).model->submit(R(c), cmd, n);
        };
        plat_.mm_info = [](void *c, uint32_t mm, svac_mm_info *info) {
            Rig &r = R(c);
            if (mm >= 2) return -EINVAL;
            if (!r.pgd_[mm]) r.pgd_[mm] = r.alloc(kPageSize, kPageSize);
            *info = {r.pgd_[mm], 10 + mm, SVAC_PGTABLE_AARCH64_4K, 48, 48, 0x44ff04};
            return 0;
        };
        plat_.report_fault = [](void *c, uint32_t dev, const svac_fault *f) {
            Rig &r = R(c);
            r.reported.push_back({dev, *f});
            return r.on_report ? r.on_report(dev, *f) : 0;
        };
        plat_.flush_faults = [](void *c, uint32_t dev, uint32_t pasid) {
            Rig &r = R(c);
            r.flushed.emplace_back(dev, pasid);
            r.events.push_back("flush");
            if (r.on_flush) r.on_flush(dev, pasid);
        };
        plat_.discard_partial = [](void *c, uint32_t iommu) { R(c).discarded.push_back(iommu); };
        drv = ops->create(&plat_, &topo_);
    }
    ~Rig() override {
        if (drv) ops->destroy(drv);
    }

    // MemoryBus
    uint64_t read64(uint64_t pa) const override {
        auto it = words_.find(pa);
        return it == words_.end() ? 0 : it->second;
    }
    bool hw_write64(uint64_t pa, uint64_t val) override {
        if (!owned(pa) || (pa & 7)) return false;
        words_[pa] = val;
        return true;
    }

    PageRequest pri(std::optional<uint32_t> pasid, uint32_t prg, bool last,
                    uint8_t perm = SVAC_FAULT_PERM_READ, uint32_t sid = kPri) {
        PageRequest r;
        r.sid = sid;
        r.has_pasid = pasid.has_value();
        r.pasid = pasid.value_or(0);
        r.addr = kVa;
        r.perm = perm;
        r.group = prg;
        r.last = last;
        return r;
    }
    IommuModel::Queued queue(PageRequest r) { return model->queue_fault(*this, r); }
    // A stall of dev 1; returns its STAG.
    uint32_t stall(uint32_t pasid, uint8_t perm) {
        PageRequest r = pri(pasid, 0, true, perm, kStall);
        r.stall = true;
        r.addr = kVa + 0x10;
        EXPECT_EQ(model->queue_fault(*this, r), IommuModel::Queued::queued);
        return r.group;
    }
    void irq() { ops->service_irq(drv, 0); }
    int respond(uint32_t dev, uint32_t flags, uint32_t pasid, uint32_t grpid, uint32_t code) {
        svac_page_response r{flags, pasid, grpid, code};
        return ops->page_response(drv, dev, &r);
    }
    std::vector<PageResponse> responses() { return model->take_responses(); }

    std::unique_ptr<IommuModel> model = make_smmuv3_model(Iommu{}, 0);
    const svac_driver_ops *ops = nullptr;
    void *drv = nullptr;
    std::vector<Reported> reported;
    std::vector<std::pair<uint32_t, uint32_t>> flushed;
    std::vector<uint32_t> discarded;
    std::vector<std::string> events;
    std::function<int(uint32_t, const svac_fault &)> on_report;
    std::function<void(uint32_t, uint32_t)> on_flush;

private:
    static Rig &R(void *c) { return *static_cast<Rig *>(c); }
    uint64_t alloc(uint64_t bytes, uint64_t align) {
        next_ = (next_ + align - 1) & ~(align - 1);
        uint64_t pa = next_;
        next_ += bytes;
        blocks_[pa] = bytes;
        return pa;
    }
    bool owned(uint64_t pa) const {
        auto it = blocks_.upper_bound(pa);
        if (it == blocks_.begin()) return false;
        --it;
        return pa - it->first < it->second;
    }
    void store(uint64_t pa, uint64_t v) {
        EXPECT_TRUE(owned(pa)) << "driver store outside its memory at " << pa;
        words_[pa] = v;
    }
    svac_iommu_desc iommus_[1];
    svac_device_desc devices_[2];
    svac_topology topo_{};
    svac_platform plat_{};
    std::map<uint64_t, uint64_t> words_;
    std::map<uint64_t, uint64_t> blocks_;
    uint64_t next_ = 0x100000;
    uint64_t pgd_[2] = {};
};

TEST(Smmuv3IopfDriver, QueuesProgrammedAtCreate) {
    Rig r;
    ASSERT_NE(r.drv, nullptr);
    uint64_t cr0 = r.model->read_reg(SVAC_SMMU_CR0);
    EXPECT_EQ(cr0, SVAC_SMMU_CR0_SMMUEN | SVAC_SMMU_CR0_EVENTQEN | SVAC_SMMU_CR0_PRIQEN);
    for (uint32_t base : {SVAC_SMMU_EVENTQ_BASE, SVAC_SMMU_PRIQ_BASE}) {
        uint64_t v = r.model->read_reg(base);
        EXPECT_NE(get(&v, sm::reg::Q_ADDR), 0u);
        EXPECT_EQ(get(&v, sm::reg::Q_LOG2SIZE), 5u);
    }
    EXPECT_EQ(r.model->read_reg(SVAC_SMMU_PRIQ_CONS), r.model->read_reg(SVAC_SMMU_PRIQ_PROD));
    EXPECT_FALSE(r.model->irq_pending());
}

TEST(Smmuv3IopfDriver, PageRequestsReportedAndAnswered) {
    Rig r;
    ASSERT_EQ(r.queue(r.pri(5, 0x1a5, false, SVAC_FAULT_PERM_WRITE)), IommuModel::Queued::queued);
    ASSERT_EQ(r.queue(r.pri(5, 0x1a5, true, SVAC_FAULT_PERM_READ | SVAC_FAULT_PERM_EXEC)),
              IommuModel::Queued::queued);
    ASSERT_EQ(r.queue(r.pri(std::nullopt, 3, true)), IommuModel::Queued::queued);
    ASSERT_TRUE(r.model->irq_pending());
    r.irq();
    EXPECT_FALSE(r.model->irq_pending());
    ASSERT_EQ(r.reported.size(), 3u);
    const svac_fault &a = r.reported[0].f, &b = r.reported[1].f, &c = r.reported[2].f;
    EXPECT_EQ(r.reported[0].dev, kPri);
    EXPECT_EQ(a.flags, SVAC_FAULT_PASID_VALID | SVAC_FAULT_NEEDS_PASID);
    EXPECT_EQ(a.pasid, 5u);
    EXPECT_EQ(a.grpid, 0x1a5u);
    EXPECT_EQ(a.perm, SVAC_FAULT_PERM_WRITE);
    EXPECT_EQ(a.addr, kVa);
    EXPECT_EQ(b.flags, SVAC_FAULT_PASID_VALID | SVAC_FAULT_NEEDS_PASID | SVAC_FAULT_LAST_PAGE);
    EXPECT_EQ(b.perm, SVAC_FAULT_PERM_READ | SVAC_FAULT_PERM_EXEC);
    EXPECT_EQ(c.flags, SVAC_FAULT_LAST_PAGE);
    EXPECT_EQ(c.grpid, 3u);
    EXPECT_TRUE(r.responses().empty()); // the driver answers nothing itself

    const uint32_t codes[] = {SVAC_RESP_SUCCESS, SVAC_RESP_INVALID, SVAC_RESP_FAILURE};
    const uint8_t pci[] = {0x0, 0x1, 0xf}, raw[] = {2, 1, 0};
    for (unsigned i = 0; i < 3; ++i) {
        ASSERT_EQ(r.respond(kPri, SVAC_FAULT_PASID_VALID, 5, 0x1a5, codes[i]), 0);
        auto rs = r.responses();
        ASSERT_EQ(rs.size(), 1u);
        EXPECT_EQ(rs[0].sid, 0u);
        EXPECT_FALSE(rs[0].stall);
        EXPECT_TRUE(rs[0].has_pasid);
        EXPECT_EQ(rs[0].pasid, 5u);
        EXPECT_EQ(rs[0].group, 0x1a5u);
        EXPECT_EQ(rs[0].code, pci[i]);
        EXPECT_EQ(rs[0].raw, raw[i]);
    }
    ASSERT_EQ(r.respond(kPri, 0, 0, 3, SVAC_RESP_SUCCESS), 0);
    EXPECT_FALSE(r.responses()[0].has_pasid);
    EXPECT_EQ(r.model->unsynced(), 0u);
}

TEST(Smmuv3IopfDriver, PageResponseRejects) {
    Rig r;
    EXPECT_EQ(r.respond(7, 0, 0, 1, SVAC_RESP_SUCCESS), -EINVAL);
    EXPECT_EQ(r.respond(kPri, 0, 0, 1, 3), -EINVAL);
    EXPECT_EQ(r.ops->page_response(r.drv, kPri, nullptr), -EINVAL);
    EXPECT_TRUE(r.responses().empty());
}

TEST(Smmuv3IopfDriver, StopMarkersAndStrangers) {
    Rig r;
    ASSERT_EQ(r.queue(r.pri(5, 4, true, 0)), IommuModel::Queued::queued); // Stop Marker
    ASSERT_EQ(r.queue(r.pri(6, 9, false, SVAC_FAULT_PERM_READ, 0xffff)),
              IommuModel::Queued::queued);
    ASSERT_EQ(r.queue(r.pri(6, 9, true, SVAC_FAULT_PERM_READ, 0xffff)), IommuModel::Queued::queued);
    r.irq();
    EXPECT_TRUE(r.reported.empty());
    // The stranger's group is closed by the driver: Invalid Request.
    auto rs = r.responses();
    ASSERT_EQ(rs.size(), 1u);
    EXPECT_EQ(rs[0].sid, 0xffffu);
    EXPECT_EQ(rs[0].group, 9u);
    EXPECT_EQ(rs[0].code, 0x1);
    EXPECT_TRUE(rs[0].has_pasid);
    EXPECT_EQ(rs[0].pasid, 6u);
}

TEST(Smmuv3IopfDriver, StallsReportedAndResumed) {
    Rig r;
    uint32_t stag = r.stall(7, SVAC_FAULT_PERM_WRITE);
    r.irq();
    ASSERT_EQ(r.reported.size(), 1u);
    const svac_fault &f = r.reported[0].f;
    EXPECT_EQ(r.reported[0].dev, kStall);
    EXPECT_EQ(f.flags, SVAC_FAULT_PASID_VALID | SVAC_FAULT_LAST_PAGE);
    EXPECT_EQ(f.pasid, 7u);
    EXPECT_EQ(f.grpid, stag);
    EXPECT_EQ(f.perm, SVAC_FAULT_PERM_WRITE);
    EXPECT_EQ(f.addr, kVa + 0x10);

    ASSERT_EQ(r.respond(kStall, SVAC_FAULT_PASID_VALID, 7, stag, SVAC_RESP_SUCCESS), 0);
    ASSERT_EQ(r.respond(kStall, 0, 0, stag, SVAC_RESP_INVALID), 0);
    ASSERT_EQ(r.respond(kStall, 0, 0, stag, SVAC_RESP_FAILURE), 0);
    auto rs = r.responses();
    ASSERT_EQ(rs.size(), 3u);
    for (const auto &p : rs) {
        EXPECT_TRUE(p.stall);
        EXPECT_EQ(p.sid, 1u);
        EXPECT_EQ(p.group, stag);
    }
    EXPECT_EQ(rs[0].code, 1); // RETRY
    EXPECT_EQ(rs[1].code, 2); // ABORT
    EXPECT_EQ(rs[2].code, 2);

    // Exec and read decode back from RnW / InD.
    r.stall(7, SVAC_FAULT_PERM_EXEC);
    r.stall(7, SVAC_FAULT_PERM_READ);
    r.irq();
    ASSERT_EQ(r.reported.size(), 3u);
    EXPECT_EQ(r.reported[1].f.perm,
              SVAC_FAULT_PERM_READ | SVAC_FAULT_PERM_EXEC); // an instruction fetch is a read
    EXPECT_EQ(r.reported[2].f.perm, SVAC_FAULT_PERM_READ);
}

TEST(Smmuv3IopfDriver, TerminatedRecordsAreNotReported) {
    Rig r;
    // A DMA from dev 1 with a PASID while its STE bypasses: C_BAD_SUBSTREAMID,
    // recorded with Stall=0.
    Device dev;
    dev.pri = false;
    dev.stall = true;
    DmaRequest d{1, true, 3, kVa, kRead, &dev};
    ASSERT_EQ(r.model->dma(r, d).kind, DmaResult::Kind::fault);
    ASSERT_TRUE(r.model->irq_pending());
    r.irq();
    EXPECT_TRUE(r.reported.empty());
    EXPECT_FALSE(r.model->irq_pending());
}

TEST(Smmuv3IopfDriver, OverflowDiscardsPartialsAndAcks) {
    Rig r;
    ASSERT_EQ(r.queue(r.pri(5, 1, false)), IommuModel::Queued::queued);
    r.model->overflow_queue();
    EXPECT_EQ(r.queue(r.pri(5, 1, true)), IommuModel::Queued::dropped);
    EXPECT_EQ(r.responses().size(), 1u); // the SMMU answered the lost Last
    r.irq();
    EXPECT_EQ(r.reported.size(), 1u);
    ASSERT_EQ(r.discarded.size(), 1u);
    EXPECT_EQ(r.discarded[0], 0u);
    EXPECT_EQ(r.model->read_reg(SVAC_SMMU_PRIQ_CONS) & SVAC_SMMU_Q_OVF,
              r.model->read_reg(SVAC_SMMU_PRIQ_PROD) & SVAC_SMMU_Q_OVF);
    EXPECT_FALSE(r.model->irq_pending());
    EXPECT_EQ(r.queue(r.pri(5, 2, true)), IommuModel::Queued::queued);
}

TEST(Smmuv3IopfDriver, FullQueueOverflowsAndRecovers) {
    Rig r;
    for (unsigned i = 0; i < 32; ++i)
        ASSERT_EQ(r.queue(r.pri(5, i, false)), IommuModel::Queued::queued) << i;
    EXPECT_EQ(r.queue(r.pri(5, 40, true)), IommuModel::Queued::overflow);
    r.irq();
    EXPECT_EQ(r.reported.size(), 32u);
    EXPECT_EQ(r.discarded.size(), 1u);
    EXPECT_FALSE(r.model->irq_pending());
    EXPECT_EQ(r.queue(r.pri(5, 41, true)), IommuModel::Queued::queued);
}

// report_fault may answer from inside (no handler): the driver copes.
TEST(Smmuv3IopfDriver, AnswerFromInsideReport) {
    Rig r;
    r.on_report = [&](uint32_t dev, const svac_fault &f) {
        if (f.flags & SVAC_FAULT_LAST_PAGE) {
            EXPECT_EQ(r.respond(dev, f.flags & SVAC_FAULT_PASID_VALID, f.pasid, f.grpid,
                                SVAC_RESP_INVALID),
                      0);
        }
        return -EINVAL;
    };
    ASSERT_EQ(r.queue(r.pri(5, 1, false)), IommuModel::Queued::queued);
    ASSERT_EQ(r.queue(r.pri(5, 1, true)), IommuModel::Queued::queued);
    uint32_t stag = r.stall(2, SVAC_FAULT_PERM_READ);
    r.irq();
    EXPECT_EQ(r.reported.size(), 3u);
    auto rs = r.responses();
    ASSERT_EQ(rs.size(), 2u);
    EXPECT_TRUE(rs[0].stall); // the event queue is drained first
    EXPECT_EQ(rs[0].group, stag);
    EXPECT_EQ(rs[0].code, 2);
    EXPECT_FALSE(rs[1].stall);
    EXPECT_EQ(rs[1].code, 0x1);
    EXPECT_FALSE(r.model->irq_pending());
}

// The last unbind drains the queues, then flushes the core's faults for the
// PASID, before it returns.
TEST(Smmuv3IopfDriver, UnbindFlushesFaults) {
    Rig r;
    ASSERT_EQ(r.ops->dev_enable_feat(r.drv, kPri, SVAC_FEAT_SVA), 0);
    uint32_t pasid = 0;
    ASSERT_EQ(r.ops->bind_mm(r.drv, kPri, 0, &pasid, nullptr, nullptr, 0), 0);
    ASSERT_EQ(r.ops->bind_mm(r.drv, kPri, 0, &pasid, nullptr, nullptr, 0), 0);
    r.on_report = [&](uint32_t, const svac_fault &) {
        r.events.push_back("report");
        return 0;
    };
    r.on_flush = [&](uint32_t dev, uint32_t p) {
        EXPECT_EQ(r.respond(dev, SVAC_FAULT_PASID_VALID, p, 6, SVAC_RESP_INVALID), 0);
    };
    ASSERT_EQ(r.queue(r.pri(pasid, 6, true)), IommuModel::Queued::queued);
    ASSERT_EQ(r.ops->unbind_mm(r.drv, kPri, pasid), 0); // one reference left
    EXPECT_TRUE(r.flushed.empty());
    ASSERT_EQ(r.ops->unbind_mm(r.drv, kPri, pasid), 0);
    ASSERT_EQ(r.flushed.size(), 1u);
    EXPECT_EQ(r.flushed[0], std::make_pair(kPri, pasid));
    EXPECT_EQ(r.events, (std::vector<std::string>{"report", "flush"}));
    auto rs = r.responses();
    ASSERT_EQ(rs.size(), 1u);
    EXPECT_EQ(rs[0].code, 0x1);
    EXPECT_EQ(rs[0].pasid, pasid);
    EXPECT_EQ(r.model->unsynced(), 0u);
}

// ---- seeded bugs of the fault side ----

TEST(Smmuv3IopfMutants, ResponseEncodings) {
    {
        Rig r("pri-resp-core-code-raw");
        ASSERT_EQ(r.respond(kPri, 0, 0, 1, SVAC_RESP_SUCCESS), 0);
        EXPECT_EQ(r.responses()[0].code, 0xf);
    }
    {
        Rig r("pri-resp-drops-ssid");
        ASSERT_EQ(r.respond(kPri, SVAC_FAULT_PASID_VALID, 5, 1, SVAC_RESP_SUCCESS), 0);
        EXPECT_FALSE(r.responses()[0].has_pasid);
    }
    {
        Rig r("resume-retry-always");
        ASSERT_EQ(r.respond(kStall, 0, 0, 1, SVAC_RESP_INVALID), 0);
        EXPECT_EQ(r.responses()[0].code, 1);
    }
}

TEST(Smmuv3IopfMutants, QueueHandling) {
    {
        Rig r("pri-resp-every-request");
        ASSERT_EQ(r.queue(r.pri(5, 1, false)), IommuModel::Queued::queued);
        r.irq();
        EXPECT_EQ(r.responses().size(), 1u);
    }
    {
        Rig r("answer-stop-marker");
        ASSERT_EQ(r.queue(r.pri(5, 1, true, 0)), IommuModel::Queued::queued);
        r.irq();
        EXPECT_TRUE(r.reported.empty());
        EXPECT_EQ(r.responses().size(), 1u);
    }
    {
        Rig r("prg-index-8bit");
        ASSERT_EQ(r.queue(r.pri(5, 0x1a5, true)), IommuModel::Queued::queued);
        r.irq();
        ASSERT_EQ(r.reported.size(), 1u);
        EXPECT_EQ(r.reported[0].f.grpid, 0xa5u);
    }
    {
        Rig r("stall-reported-not-last");
        r.stall(1, SVAC_FAULT_PERM_READ);
        r.irq();
        ASSERT_EQ(r.reported.size(), 1u);
        EXPECT_EQ(r.reported[0].f.flags & SVAC_FAULT_LAST_PAGE, 0u);
    }
    {
        Rig r("priq-overflow-not-acked");
        r.model->overflow_queue();
        r.irq();
        EXPECT_EQ(r.discarded.size(), 1u);
        EXPECT_TRUE(r.model->irq_pending());
        EXPECT_EQ(r.queue(r.pri(5, 2, true)), IommuModel::Queued::dropped);
    }
    {
        Rig r("no-discard-partial");
        r.model->overflow_queue();
        r.irq();
        EXPECT_TRUE(r.discarded.empty());
        EXPECT_FALSE(r.model->irq_pending());
    }
    {
        Rig r("evtq-reports-terminated");
        Device dev;
        DmaRequest d{1, true, 3, kVa, kRead, &dev};
        ASSERT_EQ(r.model->dma(r, d).kind, DmaResult::Kind::fault);
        r.irq();
        EXPECT_EQ(r.reported.size(), 1u);
    }
}

TEST(Smmuv3IopfMutants, NoFlushAtUnbind) {
    Rig r("no-fault-flush-at-unbind");
    ASSERT_EQ(r.ops->dev_enable_feat(r.drv, kPri, SVAC_FEAT_SVA), 0);
    uint32_t pasid = 0;
    ASSERT_EQ(r.ops->bind_mm(r.drv, kPri, 0, &pasid, nullptr, nullptr, 0), 0);
    ASSERT_EQ(r.ops->unbind_mm(r.drv, kPri, pasid), 0);
    EXPECT_TRUE(r.flushed.empty());
}

} // namespace
