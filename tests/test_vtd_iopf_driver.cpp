// The VT-d driver model's I/O page fault path, on a small platform of its own
// (the hardware model and a stand-in for the core's fault API), without the
// engine: the page request queue it programs and drains, what it reports,
// the page group responses it sends, unbind's drain and flush, and what each
// IOPF mutant changes.
#include "models/registry.h"
#include "reference/hw_model.h"
#include "reference/topology.h"
#include "reference/vtd_format.h"

#include <gtest/gtest.h>

#include <cerrno>
#include <map>
#include <memory>
#include <vector>

using namespace svac;
namespace v = svac::ref::vtd;

namespace {

class Memory : public ref::MemoryBus {
public:
    uint64_t read64(uint64_t pa) const override {
        auto it = words.find(pa);
        return it == words.end() ? 0 : it->second;
    }
    bool hw_write64(uint64_t pa, uint64_t val) override {
        if ((pa & 7) || !owned(pa)) return false;
        words[pa] = val;
        return true;
    }
    uint64_t alloc(uint64_t bytes, uint64_t align) {
        next = (next + align - 1) & ~(align - 1);
        uint64_t pa = next;
        next += bytes;
        allocs[pa] = bytes;
        return pa;
    }
    void free(uint64_t pa) {
        auto it = allocs.find(pa);
        if (it == allocs.end()) return;
        words.erase(words.lower_bound(pa), words.lower_bound(pa + it->second));
        allocs.erase(it);
    }
    bool owned(uint64_t pa) const {
        auto it = allocs.upper_bound(pa);
        if (it == allocs.begin()) return false;
        --it;
        return pa - it->first < it->second;
    }
    std::map<uint64_t, uint64_t> words;
    std::map<uint64_t, uint64_t> allocs;
    uint64_t next = 0x100000;
};

struct Reported {
    uint32_t dev;
    svac_fault fault;
};

class Bench {
public:
    explicit Bench(const char *mutant = nullptr, uint32_t n_devices = 2) {
        topo_.iommus = {ref::Iommu{ref::Arch::vtd, 20, true}};
        topo_.devices.assign(n_devices, ref::Device{0, 20, true, false, false});
        topo_.mms = 2;
        abi_topo_ = std::make_unique<ref::AbiTopology>(topo_);
        model = ref::make_iommu_model(topo_.iommus[0], 0);
        for (uint32_t mm = 0; mm < topo_.mms; ++mm) pgds_.push_back(mem.alloc(4096, 4096));

        p_.abi_version = SVAC_ABI_VERSION;
        p_.size = sizeof(svac_platform);
        p_.ctx = this;
        p_.alloc = [](void *c, uint64_t bytes, uint64_t align) {
            return self(c).mem.alloc(bytes, align);
        };
        p_.free = [](void *c, uint64_t pa) { self(c).mem.free(pa); };
        p_.read64 = [](void *c, uint64_t pa) { return self(c).mem.read64(pa); };
        p_.write64 = [](void *c, uint64_t pa, uint64_t val) { self(c).mem.words[pa] = val; };
        p_.write_reg = [](void *c, uint32_t, uint32_t off, uint64_t val) {
            self(c).model->write_reg(off, val);
        };
        p_.read_reg = [](void *c, uint32_t, uint32_t off) { return self(c).model->read_reg(off); };
        p_.submit_cmd = [](void *c, uint32_t, const uint64_t *cmd, uint32_t n) {
            Bench &b = self(c);
            b.commands++;
            return b.model->submit(b.mem, cmd, n);
        };
        p_.mm_info = [](void *c, uint32_t mm, svac_mm_info *info) {
            Bench &b = self(c);
            if (mm >= b.pgds_.size()) return -EINVAL;
            *info = svac_mm_info{b.pgds_[mm], mm + 1, SVAC_PGTABLE_X86_64_4L, 48, 52, 0};
            return 0;
        };
        p_.report_fault = [](void *c, uint32_t dev, const svac_fault *f) {
            return self(c).report(dev, *f);
        };
        p_.flush_faults = [](void *c, uint32_t dev, uint32_t pasid) { self(c).flush(dev, pasid); };
        p_.discard_partial = [](void *c, uint32_t) { self(c).discards++; };

        ops = mutant ? svac_vtd_mutant(mutant) : svac_vtd_entry();
        EXPECT_NE(ops, nullptr) << mutant;
        drv = ops->create(&p_, abi_topo_->get());
        EXPECT_NE(drv, nullptr);
    }
    ~Bench() {
        if (drv) ops->destroy(drv);
    }
    Bench(const Bench &) = delete;
    Bench &operator=(const Bench &) = delete;

    uint32_t bind(uint32_t dev, uint32_t mm) {
        EXPECT_EQ(ops->dev_enable_feat(drv, dev, SVAC_FEAT_SVA), 0);
        uint32_t pasid = 0;
        EXPECT_EQ(ops->bind_mm(drv, dev, mm, &pasid, nullptr, nullptr, 0), 0);
        return pasid;
    }

    // A page request from device dev (its requester ID is its index).
    ref::IommuModel::Queued request(uint32_t sid, bool has_pasid, uint32_t pasid, uint32_t group,
                                    bool last, uint8_t perm = SVAC_FAULT_PERM_READ,
                                    uint64_t addr = 0x400000) {
        ref::PageRequest r;
        r.sid = sid;
        r.has_pasid = has_pasid;
        r.pasid = pasid;
        r.group = group;
        r.last = last;
        r.perm = perm;
        r.addr = addr;
        return model->queue_fault(mem, r);
    }
    void irq() { ops->service_irq(drv, 0); }
    int respond(uint32_t dev, uint32_t flags, uint32_t pasid, uint32_t grpid, uint32_t code) {
        svac_page_response r{flags, pasid, grpid, code};
        return ops->page_response(drv, dev, &r);
    }
    std::vector<ref::PageResponse> responses() { return model->take_responses(); }

    // The core's side: with a handler it keeps each group's last request
    // until page_response answers it; without one it answers INVALID at once.
    int report(uint32_t dev, const svac_fault &f) {
        reported.push_back({dev, f});
        if (!(f.flags & SVAC_FAULT_LAST_PAGE)) return handler ? 0 : -EINVAL;
        if (handler) {
            held.push_back({dev, f});
            return 0;
        }
        EXPECT_EQ(respond(dev, f.flags & SVAC_FAULT_NEEDS_PASID ? SVAC_FAULT_PASID_VALID : 0,
                          f.pasid, f.grpid, SVAC_RESP_INVALID),
                  0);
        return -EINVAL;
    }
    void flush(uint32_t dev, uint32_t pasid) {
        flushed.emplace_back(dev, pasid);
        std::vector<Reported> keep;
        for (const Reported &r : held) {
            if (r.dev == dev && r.fault.pasid == pasid)
                EXPECT_EQ(
                    respond(dev, SVAC_FAULT_PASID_VALID, pasid, r.fault.grpid, SVAC_RESP_INVALID),
                    0);
            else
                keep.push_back(r);
        }
        held = keep;
    }

    static Bench &self(void *c) { return *static_cast<Bench *>(c); }

    Memory mem;
    std::unique_ptr<ref::IommuModel> model;
    const svac_driver_ops *ops = nullptr;
    void *drv = nullptr;
    bool handler = true;
    std::vector<Reported> reported, held;
    std::vector<std::pair<uint32_t, uint32_t>> flushed;
    unsigned discards = 0;
    unsigned commands = 0;

private:
    ref::Topology topo_;
    std::unique_ptr<ref::AbiTopology> abi_topo_;
    std::vector<uint64_t> pgds_;
    svac_platform p_{};
};

ref::PageResponse want(uint32_t sid, bool pp, uint32_t pasid, uint32_t group, uint8_t code) {
    ref::PageResponse r;
    r.sid = sid;
    r.has_pasid = pp;
    r.pasid = pp ? pasid : 0;
    r.group = group;
    r.code = r.raw = code;
    return r;
}

using Queued = ref::IommuModel::Queued;

// ------------------------------------------------------------- the driver

TEST(VtdIopfDriver, CreateProgramsAnEmptyQueue) {
    Bench b;
    const uint64_t pqa = b.model->read_reg(SVAC_VTD_PQA);
    EXPECT_NE(get(&pqa, v::pqa::PQA), 0u);
    EXPECT_TRUE(b.mem.owned(get(&pqa, v::pqa::PQA) << 12));
    EXPECT_TRUE(
        b.mem.owned((get(&pqa, v::pqa::PQA) << 12) + (4096u << get(&pqa, v::pqa::PQS)) - 8));
    EXPECT_EQ(b.model->read_reg(SVAC_VTD_PQH), 0u);
    EXPECT_EQ(b.model->read_reg(SVAC_VTD_PQT), 0u);
    EXPECT_FALSE(b.model->irq_pending());
    EXPECT_EQ(b.model->unsynced(), 0u);
}

TEST(VtdIopfDriver, DestroyClearsTheQueueRegisters) {
    auto b = std::make_unique<Bench>();
    b->ops->destroy(b->drv);
    b->drv = nullptr;
    EXPECT_EQ(b->model->read_reg(SVAC_VTD_PQA), 0u);
    EXPECT_EQ(b->request(0, true, 1, 1, true), Queued::dropped);
}

TEST(VtdIopfDriver, ServiceIrqReportsEachRequestInOrder) {
    Bench b;
    const uint32_t pasid = b.bind(1, 0);
    ASSERT_EQ(b.request(1, true, pasid, 5, false), Queued::queued);
    ASSERT_EQ(b.request(1, true, pasid, 5, true,
                        SVAC_FAULT_PERM_WRITE | SVAC_FAULT_PERM_EXEC | SVAC_FAULT_PERM_PRIV,
                        0x7f0000123000),
              Queued::queued);
    ASSERT_EQ(b.request(1, true, pasid, 6, true, 0), Queued::queued); // a Stop Marker
    ASSERT_EQ(b.request(0, false, 0, 7, true), Queued::queued);       // no PASID
    EXPECT_TRUE(b.model->irq_pending());
    b.irq();
    EXPECT_FALSE(b.model->irq_pending());
    EXPECT_EQ(b.model->read_reg(SVAC_VTD_PQH), b.model->read_reg(SVAC_VTD_PQT));
    EXPECT_EQ(b.model->read_reg(SVAC_VTD_PRS), 0u);

    ASSERT_EQ(b.reported.size(), 3u);
    const svac_fault &a = b.reported[0].fault;
    EXPECT_EQ(b.reported[0].dev, 1u);
    EXPECT_EQ(a.flags, SVAC_FAULT_PASID_VALID | SVAC_FAULT_NEEDS_PASID);
    EXPECT_EQ(a.pasid, pasid);
    EXPECT_EQ(a.grpid, 5u);
    EXPECT_EQ(a.perm, SVAC_FAULT_PERM_READ);
    EXPECT_EQ(a.addr, 0x400000u);
    const svac_fault &l = b.reported[1].fault;
    EXPECT_EQ(l.flags, SVAC_FAULT_PASID_VALID | SVAC_FAULT_NEEDS_PASID | SVAC_FAULT_LAST_PAGE);
    EXPECT_EQ(l.perm, SVAC_FAULT_PERM_WRITE | SVAC_FAULT_PERM_EXEC | SVAC_FAULT_PERM_PRIV);
    EXPECT_EQ(l.addr, 0x7f0000123000u);
    const svac_fault &n = b.reported[2].fault;
    EXPECT_EQ(b.reported[2].dev, 0u);
    EXPECT_EQ(n.flags, SVAC_FAULT_LAST_PAGE);
    EXPECT_EQ(n.pasid, 0u);
    EXPECT_EQ(n.grpid, 7u);
    EXPECT_TRUE(b.responses().empty()); // the core answers, later
    EXPECT_EQ(b.model->unsynced(), 0u);

    // A second interrupt with nothing queued does nothing.
    b.irq();
    EXPECT_EQ(b.reported.size(), 3u);
}

TEST(VtdIopfDriver, PageResponseSpeaksPcie) {
    Bench b;
    const uint32_t pasid = b.bind(1, 0);
    EXPECT_EQ(b.respond(1, SVAC_FAULT_PASID_VALID, pasid, 5, SVAC_RESP_SUCCESS), 0);
    EXPECT_EQ(b.respond(1, SVAC_FAULT_PASID_VALID, pasid, 6, SVAC_RESP_INVALID), 0);
    EXPECT_EQ(b.respond(1, SVAC_FAULT_PASID_VALID, pasid, 0x1ff, SVAC_RESP_FAILURE), 0);
    EXPECT_EQ(b.respond(0, 0, 0, 8, SVAC_RESP_SUCCESS), 0);
    EXPECT_EQ(b.model->unsynced(), 0u);
    auto rs = b.responses();
    ASSERT_EQ(rs.size(), 4u);
    EXPECT_EQ(rs[0], want(1, true, pasid, 5, 0x0));
    EXPECT_EQ(rs[1], want(1, true, pasid, 6, 0x1));
    EXPECT_EQ(rs[2], want(1, true, pasid, 0x1ff, 0xf));
    EXPECT_EQ(rs[3], want(0, false, 0, 8, 0x0));

    EXPECT_EQ(b.respond(1, SVAC_FAULT_PASID_VALID, pasid, 5, 3), -EINVAL);
    EXPECT_EQ(b.respond(2, 0, 0, 5, SVAC_RESP_SUCCESS), -EINVAL);
    EXPECT_EQ(b.ops->page_response(b.drv, 1, nullptr), -EINVAL);
    EXPECT_TRUE(b.responses().empty());
}

TEST(VtdIopfDriver, RequesterWithoutADeviceIsAnsweredInvalid) {
    Bench b;
    ASSERT_EQ(b.request(0x55, true, 9, 3, false), Queued::queued);
    ASSERT_EQ(b.request(0x55, true, 9, 3, true), Queued::queued);
    ASSERT_EQ(b.request(0x56, true, 9, 4, true, 0), Queued::queued); // Stop Marker: nothing
    b.irq();
    EXPECT_TRUE(b.reported.empty());
    auto rs = b.responses();
    ASSERT_EQ(rs.size(), 1u);
    EXPECT_EQ(rs[0], want(0x55, true, 9, 3, 0x1));
    EXPECT_EQ(b.model->unsynced(), 0u);
}

TEST(VtdIopfDriver, CoreAnswersFromInsideReport) {
    Bench b;
    b.handler = false;
    const uint32_t pasid = b.bind(0, 0);
    ASSERT_EQ(b.request(0, true, pasid, 2, false), Queued::queued);
    ASSERT_EQ(b.request(0, true, pasid, 2, true), Queued::queued);
    b.irq();
    EXPECT_EQ(b.reported.size(), 2u);
    auto rs = b.responses();
    ASSERT_EQ(rs.size(), 1u); // the core's, and none from the driver
    EXPECT_EQ(rs[0], want(0, true, pasid, 2, 0x1));
    EXPECT_FALSE(b.model->irq_pending());
}

TEST(VtdIopfDriver, OverflowDiscardsPartialGroupsAndClearsPro) {
    Bench b;
    const uint32_t pasid = b.bind(0, 0);
    ASSERT_EQ(b.request(0, true, pasid, 1, false), Queued::queued);
    b.model->overflow_queue();
    EXPECT_EQ(b.request(0, true, pasid, 1, true), Queued::dropped);
    ASSERT_EQ(b.responses().size(), 1u); // the hardware's own
    b.irq();
    EXPECT_EQ(b.reported.size(), 1u);
    EXPECT_EQ(b.discards, 1u);
    EXPECT_EQ(b.model->read_reg(SVAC_VTD_PRS), 0u);
    EXPECT_FALSE(b.model->irq_pending());
    EXPECT_EQ(b.request(0, true, pasid, 2, true), Queued::queued);
    b.irq();
    EXPECT_EQ(b.discards, 1u);
    EXPECT_EQ(b.reported.size(), 2u);
}

TEST(VtdIopfDriver, RealOverflowFromAFullQueue) {
    Bench b;
    const uint32_t pasid = b.bind(0, 0);
    Queued q = Queued::queued;
    uint32_t n = 0;
    for (; q == Queued::queued && n < 1000; ++n) q = b.request(0, true, pasid, n % 512, false);
    EXPECT_EQ(q, Queued::overflow);
    EXPECT_EQ(n, 128u); // 127 queued, the 128th overflows
    b.irq();
    EXPECT_EQ(b.reported.size(), 127u);
    EXPECT_EQ(b.discards, 1u);
    EXPECT_FALSE(b.model->irq_pending());
}

TEST(VtdIopfDriver, UnbindDrainsTheQueueThenFlushes) {
    Bench b;
    const uint32_t pasid = b.bind(0, 0);
    const uint32_t other = b.bind(1, 1);
    ASSERT_EQ(b.request(1, true, other, 4, true), Queued::queued);
    b.irq(); // held by the core for device 1
    ASSERT_EQ(b.request(0, true, pasid, 1, false), Queued::queued);
    ASSERT_EQ(b.request(0, true, pasid, 1, true), Queued::queued);
    EXPECT_EQ(b.ops->unbind_mm(b.drv, 0, pasid), 0);
    EXPECT_EQ(b.reported.size(), 3u); // drained before the flush
    ASSERT_EQ(b.flushed.size(), 1u);
    EXPECT_EQ(b.flushed[0], (std::pair<uint32_t, uint32_t>{0, pasid}));
    auto rs = b.responses();
    ASSERT_EQ(rs.size(), 1u); // answered INVALID from inside the flush
    EXPECT_EQ(rs[0], want(0, true, pasid, 1, 0x1));
    EXPECT_EQ(b.held.size(), 1u); // device 1's group is not touched
    EXPECT_FALSE(b.model->irq_pending());
    EXPECT_EQ(b.model->unsynced(), 0u);
    // A second reference: only the last unbind flushes.
    const uint32_t again = b.bind(1, 1);
    EXPECT_EQ(again, other);
    EXPECT_EQ(b.ops->unbind_mm(b.drv, 1, other), 0);
    EXPECT_EQ(b.flushed.size(), 1u);
    EXPECT_EQ(b.ops->unbind_mm(b.drv, 1, other), 0);
    EXPECT_EQ(b.flushed.size(), 2u);
    rs = b.responses();
    ASSERT_EQ(rs.size(), 1u);
    EXPECT_EQ(rs[0], want(1, true, other, 4, 0x1));
}

// ------------------------------------------------------------- mutants

TEST(VtdIopfMutants, RespCoreCodeRaw) {
    Bench b("resp-core-code-raw");
    EXPECT_EQ(b.respond(0, SVAC_FAULT_PASID_VALID, 3, 1, SVAC_RESP_FAILURE), 0);
    EXPECT_EQ(b.respond(0, SVAC_FAULT_PASID_VALID, 3, 2, SVAC_RESP_INVALID), 0);
    auto rs = b.responses();
    ASSERT_EQ(rs.size(), 2u);
    EXPECT_EQ(rs[0].code, 0x2); // reserved, not Response Failure
    EXPECT_EQ(rs[1].code, 0x1);
}

TEST(VtdIopfMutants, RespDropsPasid) {
    Bench b("resp-drops-pasid");
    EXPECT_EQ(b.respond(0, SVAC_FAULT_PASID_VALID, 3, 1, SVAC_RESP_SUCCESS), 0);
    auto rs = b.responses();
    ASSERT_EQ(rs.size(), 1u);
    EXPECT_FALSE(rs[0].has_pasid);
}

TEST(VtdIopfMutants, RespWrongRid) {
    Bench b("resp-wrong-rid");
    EXPECT_EQ(b.respond(1, SVAC_FAULT_PASID_VALID, 3, 1, SVAC_RESP_SUCCESS), 0);
    auto rs = b.responses();
    ASSERT_EQ(rs.size(), 1u);
    EXPECT_EQ(rs[0].sid, 0u); // device 0's requester ID, not device 1's
}

TEST(VtdIopfMutants, RespEveryRequest) {
    Bench b("resp-every-request");
    const uint32_t pasid = b.bind(0, 0);
    ASSERT_EQ(b.request(0, true, pasid, 1, false), Queued::queued);
    ASSERT_EQ(b.request(0, true, pasid, 1, true), Queued::queued);
    b.irq();
    auto rs = b.responses();
    ASSERT_EQ(rs.size(), 1u); // for the request that was not the last
    EXPECT_EQ(rs[0], want(0, true, pasid, 1, 0x0));
}

TEST(VtdIopfMutants, AnswerStopMarker) {
    Bench b("answer-stop-marker");
    const uint32_t pasid = b.bind(0, 0);
    ASSERT_EQ(b.request(0, true, pasid, 6, true, 0), Queued::queued);
    b.irq();
    EXPECT_TRUE(b.reported.empty());
    auto rs = b.responses();
    ASSERT_EQ(rs.size(), 1u);
    EXPECT_EQ(rs[0], want(0, true, pasid, 6, 0x0));
}

TEST(VtdIopfMutants, PrqOverflowNotCleared) {
    Bench b("prq-overflow-not-cleared");
    b.model->overflow_queue();
    b.irq();
    EXPECT_EQ(b.discards, 1u); // the partial groups go, the overflow stays
    EXPECT_TRUE(b.model->read_reg(SVAC_VTD_PRS) & SVAC_VTD_PRS_PRO);
    EXPECT_EQ(b.request(0, true, 1, 1, false), Queued::dropped);
}

TEST(VtdIopfMutants, NoDiscardPartial) {
    Bench b("no-discard-partial");
    b.model->overflow_queue();
    b.irq();
    EXPECT_EQ(b.discards, 0u);
    EXPECT_EQ(b.model->read_reg(SVAC_VTD_PRS), 0u);
}

TEST(VtdIopfMutants, NoFaultFlushAtUnbind) {
    Bench b("no-fault-flush-at-unbind");
    const uint32_t pasid = b.bind(0, 0);
    ASSERT_EQ(b.request(0, true, pasid, 1, true), Queued::queued);
    b.irq();
    EXPECT_EQ(b.ops->unbind_mm(b.drv, 0, pasid), 0);
    EXPECT_TRUE(b.flushed.empty());
    EXPECT_TRUE(b.responses().empty());
}

} // namespace
