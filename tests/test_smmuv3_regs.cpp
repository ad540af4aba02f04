// The SMMUv3 hardware model's register interface, the path a kernel driver
// takes: the ID registers as the topology describes them, the command queue
// in memory consumed when CMDQ_PROD moves (wrap, a full queue, CMD_SYNC
// completion by MSI write or by CONS, CERROR_ILL and its acknowledgement),
// and the rules of the interface (SMMU-REG-1..3), hand-written queue by
// queue. Then the same through the platform: what the queue consumed is what
// the call record holds, and a misuse reaches the judge.
#include "engine/platform.h"
#include "reference/reference.h"
#include "reference/smmuv3_format.h"
#include "reference/smmuv3_hw.h"
#include "support/test_bus.h"

#include <gtest/gtest.h>

#include <array>
#include <cerrno>

using namespace svac::ref;
namespace sm = svac::ref::smmuv3;
using svac::test::TestBus;

namespace {

using Command = std::array<uint64_t, 2>;

Command command(uint8_t op, std::initializer_list<std::pair<Field, uint64_t>> fields = {}) {
    Command c{};
    set(c.data(), sm::cmd::Opcode, op);
    for (const auto &[f, v] : fields) set(c.data(), f, v);
    return c;
}
Command cfgi_ste(uint32_t sid) {
    return command(sm::cmd::CFGI_STE, {{sm::cmd::SID, sid}});
}
Command sync_cs(uint64_t cs, uint64_t msiaddr = 0, uint32_t data = 0) {
    return command(sm::cmd::SYNC,
                   {{sm::cmd::CS, cs}, {sm::cmd::MSIADDR, msiaddr >> 2}, {sm::cmd::MSIDATA, data}});
}

uint64_t field(uint64_t reg, const Field &f) {
    return get(&reg, f);
}

// An SMMU with its command queue of 2^log2 entries set up and enabled, as
// Linux's arm_smmu_device_reset does: BASE, PROD and CONS, then CMDQEN.
struct Queue {
    TestBus mem;
    std::unique_ptr<IommuModel> model = make_smmuv3_model(Iommu{}, 0);
    unsigned log2;
    uint64_t base;
    uint32_t prod = 0; // software's index, with its wrap bit

    explicit Queue(unsigned log2size = 2) : log2(log2size) {
        base = mem.alloc(16u << log2);
        model->write_reg(SVAC_SMMU_CMDQ_BASE, base | log2);
        model->write_reg(SVAC_SMMU_CMDQ_PROD, 0);
        model->write_reg(SVAC_SMMU_CMDQ_CONS, 0);
        model->write_reg(SVAC_SMMU_CR0, SVAC_SMMU_CR0_CMDQEN | SVAC_SMMU_CR0_SMMUEN);
    }
    uint64_t slot_pa(uint32_t index) const { return base + 16 * (index & ((1u << log2) - 1)); }
    void put(const Command &c) {
        mem.write64(slot_pa(prod), c[0]);
        mem.write64(slot_pa(prod) + 8, c[1]);
        prod = (prod + 1) & ((2u << log2) - 1);
    }
    // Moves PROD to software's index and lets the SMMU consume.
    std::vector<IommuModel::Consumed> kick() {
        model->write_reg(SVAC_SMMU_CMDQ_PROD, prod);
        return model->run_command_queue(mem);
    }
    uint64_t cons() const { return model->read_reg(SVAC_SMMU_CMDQ_CONS); }
};

TEST(Smmuv3Registers, IdRegistersDescribeTheTopology) {
    Topology t;
    t.iommus = {Iommu{Arch::smmuv3, 16, true}, Iommu{Arch::smmuv3, 20, true}};
    for (int i = 0; i < 5; ++i) t.devices.push_back(Device{});
    t.devices[4].iommu = 1;
    t.devices[4].pri = false;
    t.devices[4].stall = true;
    auto quiet = make_iommu_model(t, 0), stalling = make_iommu_model(t, 1);
    namespace i0 = sm::reg::idr0;
    namespace i1 = sm::reg::idr1;
    const uint64_t idr0 = quiet->read_reg(SVAC_SMMU_IDR0), idr1 = quiet->read_reg(SVAC_SMMU_IDR1);
    EXPECT_EQ(field(idr0, i0::STALL_MODEL), i0::STALL_MODEL_NONE);
    EXPECT_EQ(field(stalling->read_reg(SVAC_SMMU_IDR0), i0::STALL_MODEL), i0::STALL_MODEL_STALL);
    EXPECT_EQ(field(idr0, i0::TTF), i0::TTF_AARCH64);
    EXPECT_EQ(field(idr0, i0::TTENDIAN), i0::TTENDIAN_LE);
    EXPECT_EQ(field(idr0, i0::S1P), 1u);
    EXPECT_EQ(field(idr1, i1::SIDSIZE), 3u); // five StreamIDs: 0..4
    EXPECT_EQ(field(idr1, i1::SSIDSIZE), 16u);
    EXPECT_EQ(field(stalling->read_reg(SVAC_SMMU_IDR1), i1::SSIDSIZE), 20u);
    EXPECT_EQ(field(idr1, i1::CMDQS), sm::reg::kCmdqLog2Size);
    EXPECT_EQ(field(idr1, i1::TABLES_PRESET) | field(idr1, i1::QUEUES_PRESET), 0u);
    const uint64_t idr5 = quiet->read_reg(SVAC_SMMU_IDR5);
    EXPECT_EQ(field(idr5, sm::reg::idr5::GRAN4K), 1u);
    EXPECT_EQ(field(idr5, sm::reg::idr5::OAS), sm::reg::idr5::OAS_48);
    // Read-only: a write changes nothing.
    quiet->write_reg(SVAC_SMMU_IDR0, 0);
    EXPECT_EQ(quiet->read_reg(SVAC_SMMU_IDR0), idr0);
    // CR0ACK and IRQ_CTRLACK follow at once; a GBPA update completes at once.
    quiet->write_reg(SVAC_SMMU_CR0, SVAC_SMMU_CR0_CMDQEN);
    EXPECT_EQ(quiet->read_reg(SVAC_SMMU_CR0ACK), SVAC_SMMU_CR0_CMDQEN);
    quiet->write_reg(SVAC_SMMU_IRQ_CTRL, 5);
    EXPECT_EQ(quiet->read_reg(SVAC_SMMU_IRQ_CTRLACK), 5u);
    quiet->write_reg(SVAC_SMMU_GBPA, sm::reg::GBPA_UPDATE | 1u << 20);
    EXPECT_EQ(quiet->read_reg(SVAC_SMMU_GBPA), 1u << 20);
}

TEST(Smmuv3Registers, CommandsAreConsumedWhenProdMoves) {
    Queue q;
    q.put(cfgi_ste(1));
    q.put(sync_cs(sm::cmd::SYNC_SIG_NONE));
    // Written, not yet published: the SMMU has not seen them.
    EXPECT_TRUE(q.model->run_command_queue(q.mem).empty());
    auto taken = q.kick();
    ASSERT_EQ(taken.size(), 2u);
    EXPECT_EQ(taken[0].q[0], cfgi_ste(1)[0]);
    EXPECT_EQ(taken[0].rc, 0);
    EXPECT_EQ(q.cons(), 2u); // CONS caught up: the sync completed
    EXPECT_EQ(q.model->unsynced(), 0u);
    EXPECT_EQ(q.model->command_log().front(), "CMD_CFGI_STE sid=1 leaf=0");
    // A second kick without a new PROD consumes nothing.
    EXPECT_TRUE(q.kick().empty());
}

TEST(Smmuv3Registers, TheQueueWrapsAndMayBeFilledButNotOverrun) {
    Queue q(2); // four slots
    for (int round = 0; round < 3; ++round) {
        for (int i = 0; i < 4; ++i) q.put(cfgi_ste(uint32_t(round * 4 + i)));
        // Four ahead of CONS: full, and legal.
        ASSERT_EQ(q.kick().size(), 4u) << round;
        EXPECT_EQ(q.cons(), q.prod) << round; // index and wrap bit
    }
    EXPECT_TRUE(q.model->take_misuse().empty());
    // Five ahead: PROD would pass CONS + size. The write is ignored.
    for (int i = 0; i < 5; ++i) q.put(cfgi_ste(99));
    const uint64_t cons = q.cons();
    EXPECT_TRUE(q.kick().empty());
    EXPECT_EQ(q.cons(), cons);
    auto m = q.model->take_misuse();
    ASSERT_EQ(m.size(), 1u);
    EXPECT_EQ(m[0].clause, ClauseId::SMMU_REG_2);
    EXPECT_NE(m[0].what.find("5 commands past CMDQ_CONS"), std::string::npos) << m[0].what;
}

TEST(Smmuv3Registers, SyncCompletionWritesItsMsi) {
    Queue q;
    // Linux's MSI polling: the sync's MSI targets its own slot with data 0,
    // and the driver waits for the slot's first word to read 0.
    const uint64_t own = q.slot_pa(q.prod);
    q.put(sync_cs(sm::cmd::SYNC_SIG_IRQ, own, 0));
    ASSERT_NE(q.mem.read64(own) & 0xffffffffu, 0u);
    q.kick();
    EXPECT_EQ(q.mem.read64(own) & 0xffffffffu, 0u);
    EXPECT_EQ(q.mem.read64(own) >> 32, 0u); // MSIDATA itself was 0
    // Elsewhere, at the upper half of a word: only those 32 bits change.
    const uint64_t flag = q.mem.alloc(64);
    q.mem.write64(flag, 0x1111111122222222u);
    q.put(sync_cs(sm::cmd::SYNC_SIG_IRQ, flag + 4, 0xabcd));
    q.kick();
    EXPECT_EQ(q.mem.read64(flag), 0x0000abcd22222222u);
    // SIG_NONE writes nothing: the driver polls CONS.
    const unsigned stores = q.mem.hw_stores;
    q.put(sync_cs(sm::cmd::SYNC_SIG_NONE, flag, 7));
    q.kick();
    EXPECT_EQ(q.mem.hw_stores, stores);
    EXPECT_EQ(q.cons(), q.prod);
}

TEST(Smmuv3Registers, AnIllegalCommandStopsTheQueueUntilAcknowledged) {
    Queue q;
    q.model->write_reg(SVAC_SMMU_IRQ_CTRL, SVAC_SMMU_IRQ_CTRL_GERROR_IRQEN);
    q.put(command(0x7f)); // no such opcode: CERROR_ILL
    q.put(cfgi_ste(3));
    q.put(sync_cs(sm::cmd::SYNC_SIG_NONE));
    auto taken = q.kick();
    ASSERT_EQ(taken.size(), 1u);
    EXPECT_EQ(taken[0].rc, -EINVAL);
    const uint64_t cons = q.cons();
    EXPECT_EQ(cons & 7, 0u); // stopped at the bad command
    EXPECT_EQ(field(cons, sm::reg::CONS_ERR), sm::reg::CERROR_ILL);
    EXPECT_EQ(q.model->read_reg(SVAC_SMMU_GERROR) & sm::reg::GERROR_CMDQ_ERR, 1u);
    EXPECT_TRUE(q.model->irq_pending());
    EXPECT_TRUE(q.kick().empty()); // stopped: nothing more is consumed
    // Replacing the command at CONS is allowed (Linux puts a CMD_SYNC there);
    // writing a later slot the SMMU has not consumed is not.
    q.model->observe_store(q.slot_pa(0));
    EXPECT_TRUE(q.model->take_misuse().empty());
    q.model->observe_store(q.slot_pa(1) + 8);
    auto m = q.model->take_misuse();
    ASSERT_EQ(m.size(), 1u);
    EXPECT_EQ(m[0].clause, ClauseId::SMMU_REG_3);
    q.mem.write(q.slot_pa(0), sync_cs(sm::cmd::SYNC_SIG_NONE));
    // The acknowledgement: GERRORN takes GERROR's bit; consumption resumes at CONS.
    q.model->write_reg(SVAC_SMMU_GERRORN, q.model->read_reg(SVAC_SMMU_GERROR));
    taken = q.model->run_command_queue(q.mem);
    ASSERT_EQ(taken.size(), 3u);
    EXPECT_EQ(taken[0].rc, 0);
    EXPECT_EQ(q.cons(), 3u); // ERR cleared
    EXPECT_FALSE(q.model->irq_pending());
    EXPECT_EQ(q.model->unsynced(), 0u);
}

TEST(Smmuv3Registers, GuardedRegistersAreIgnoredWhileTheirEnableIsSet) {
    Queue q;
    const uint64_t base = q.model->read_reg(SVAC_SMMU_CMDQ_BASE);
    q.model->write_reg(SVAC_SMMU_CMDQ_BASE, 0x4000000);
    q.model->write_reg(SVAC_SMMU_CMDQ_CONS, 3);
    q.model->write_reg(SVAC_SMMU_STRTAB_BASE, 0x5000000);
    q.model->write_reg(SVAC_SMMU_EVENTQ_BASE, 0x6000000); // EVENTQEN is 0: fine
    EXPECT_EQ(q.model->read_reg(SVAC_SMMU_CMDQ_BASE), base);
    EXPECT_EQ(q.cons(), 0u);
    EXPECT_EQ(q.model->read_reg(SVAC_SMMU_STRTAB_BASE), 0u);
    EXPECT_EQ(q.model->read_reg(SVAC_SMMU_EVENTQ_BASE), 0x6000000u);
    auto m = q.model->take_misuse();
    ASSERT_EQ(m.size(), 3u);
    for (const auto &u : m) EXPECT_EQ(u.clause, ClauseId::SMMU_REG_1) << u.what;
    EXPECT_NE(m[0].what.find("SMMU_CMDQ_BASE"), std::string::npos) << m[0].what;
    EXPECT_NE(m[2].what.find("SMMUEN"), std::string::npos) << m[2].what;
    // Off again, the same writes take effect.
    q.model->write_reg(SVAC_SMMU_CR0, 0);
    q.model->write_reg(SVAC_SMMU_STRTAB_BASE, 0x5000000);
    EXPECT_EQ(q.model->read_reg(SVAC_SMMU_STRTAB_BASE), 0x5000000u);
    EXPECT_TRUE(q.model->take_misuse().empty());
}

// Through the platform, as a kernel driver's MMIO reaches it: the commands
// the queue consumed are the call's, as submit_cmd's are, and its misuses
// are the observation's.
TEST(Smmuv3Registers, ThePlatformRecordsQueuedCommandsAndMisuse) {
    Topology t;
    t.iommus = {Iommu{}};
    t.devices = {Device{}};
    svac::engine::Platform p(t);
    const svac_platform *abi = p.abi();
    EXPECT_FALSE(p.take_register_misuse().has_value()); // not used yet
    const uint64_t q = abi->alloc(abi->ctx, 64, 64);    // four slots
    abi->write_reg(abi->ctx, 0, SVAC_SMMU_CMDQ_BASE, q | 2);
    abi->write_reg(abi->ctx, 0, SVAC_SMMU_CR0, SVAC_SMMU_CR0_CMDQEN);
    const Command c = cfgi_ste(0), s = sync_cs(sm::cmd::SYNC_SIG_NONE);
    abi->write64(abi->ctx, q, c[0]);
    abi->write64(abi->ctx, q + 8, c[1]);
    abi->write64(abi->ctx, q + 16, s[0]);
    abi->write64(abi->ctx, q + 24, s[1]);
    p.call_record().clear();
    abi->write_reg(abi->ctx, 0, SVAC_SMMU_CMDQ_PROD, 2);
    ASSERT_EQ(p.call_record().commands.size(), 2u);
    EXPECT_EQ(p.call_record().commands[0].q[0], c[0]);
    EXPECT_EQ(p.unsynced_commands(), 0u);
    auto used = p.take_register_misuse();
    ASSERT_TRUE(used.has_value());
    EXPECT_TRUE(used->empty());
    abi->write_reg(abi->ctx, 0, SVAC_SMMU_CMDQ_BASE, q);
    auto misuse = p.take_register_misuse();
    ASSERT_TRUE(misuse.has_value());
    ASSERT_EQ(misuse->size(), 1u);
    EXPECT_EQ((*misuse)[0].clause, ClauseId::SMMU_REG_1);

    // The judge reports it under its clause.
    Reference ref(t, default_profile());
    Op op;
    op.kind = OpKind::has_feature;
    op.feat = SVAC_FEAT_SVA;
    Observation obs;
    obs.rc = 1; // the device has the feature: only the register rule is broken
    obs.register_misuse = misuse;
    auto v = ref.judge(op, ref.expect(op), obs, nullptr);
    ASSERT_TRUE(v.has_value());
    EXPECT_EQ(v->clause, ClauseId::SMMU_REG_1) << v->message;
    EXPECT_NE(v->message.find("CMDQ_BASE"), std::string::npos) << v->message;
}

} // namespace
