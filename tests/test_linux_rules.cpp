// Rules of the kit that Linux's own SMMUv3 driver, run under kshim, showed
// too strict for the generations without a has_feature query (linux-6.1,
// linux-6.12: docs/linux-drivers.md), each with the case that still binds:
// - SVA on a master without recoverable faults may be enabled, and needs no
//   IOPF first ("Others have device-specific fault handlers and don't need
//   IOPF": arm_smmu_master_sva_enable_iopf); a stall master still does.
// - IOPF on a PCIe PRI master may be refused (the driver takes no page
//   requests); on a stall master it may be enabled even where SVA cannot be.
// - Disabling SVA that was never enabled is FEAT-7's, bonds or not.
// - A CMD_PREFETCH_CONFIG needs no CMD_SYNC.
#include "reference/reference.h"
#include "reference/smmuv3_format.h"
#include "reference/smmuv3_hw.h"
#include "support/test_bus.h"

#include <gtest/gtest.h>

#include <cerrno>

using namespace svac::ref;

namespace {

Topology one_device(Device d, bool sva = true) {
    Topology t;
    t.iommus = {Iommu{Arch::smmuv3, 20, sva}};
    t.devices = {d};
    return t;
}

Device pcie(bool pri) {
    Device d;
    d.pri = pri;
    d.stall = false;
    return d;
}

Device stall_master() {
    Device d;
    d.pri = false;
    d.stall = true;
    return d;
}

Op feature(OpKind kind, uint32_t feat) {
    Op op;
    op.kind = kind;
    op.dev = 0;
    op.feat = feat;
    return op;
}

ErrnoSet allowed(const Reference &ref, const Op &op) {
    return ref.expect(op).rc;
}

const Profile &profile(const char *name) {
    const Profile *p = find_profile(name);
    EXPECT_NE(p, nullptr) << name;
    return *p;
}

TEST(LinuxRules, SvaWithoutRecoverableFaultsMayBeEnabledUnderLinux612) {
    const Topology t = one_device(pcie(false));
    Reference ref(t, profile("linux-6.12"));
    const ErrnoSet rc = allowed(ref, feature(OpKind::enable_feature, SVAC_FEAT_SVA));
    EXPECT_TRUE(rc.contains(0));
    EXPECT_TRUE(rc.contains(-EINVAL));
    // rfc2019 keeps FEAT-1's rule: no recoverable faults, no SVA.
    Reference old(t, profile("rfc2019"));
    EXPECT_FALSE(allowed(old, feature(OpKind::enable_feature, SVAC_FEAT_SVA)).contains(0));
}

TEST(LinuxRules, IopfFirstBindsStallMastersAndNotPriMasters) {
    Reference stall(one_device(stall_master()), profile("linux-6.12"));
    Expectation e = stall.expect(feature(OpKind::enable_feature, SVAC_FEAT_SVA));
    EXPECT_EQ(e.rc_clause, ClauseId::FEAT_11);
    EXPECT_FALSE(e.rc.contains(0));
    Reference pri(one_device(pcie(true)), profile("linux-6.12"));
    e = pri.expect(feature(OpKind::enable_feature, SVAC_FEAT_SVA));
    EXPECT_TRUE(e.rc.contains(0)) << clause_id(e.rc_clause);
    // IOPF on the PRI master may be refused; on the stall master it may not.
    EXPECT_TRUE(allowed(pri, feature(OpKind::enable_feature, SVAC_FEAT_IOPF)).contains(-EINVAL));
    const ErrnoSet s = allowed(stall, feature(OpKind::enable_feature, SVAC_FEAT_IOPF));
    EXPECT_TRUE(s.contains(0));
    EXPECT_FALSE(s.contains(-EINVAL));
}

TEST(LinuxRules, StallMastersMayTakeIopfWhereSvaIsImpossible) {
    Reference ref(one_device(stall_master(), /*sva=*/false), profile("linux-6.12"));
    const ErrnoSet rc = allowed(ref, feature(OpKind::enable_feature, SVAC_FEAT_IOPF));
    EXPECT_TRUE(rc.contains(0));
    EXPECT_TRUE(rc.contains(-EINVAL));
    // A PCIe master of that IOMMU gets no IOPF.
    Reference pci(one_device(pcie(false), false), profile("linux-6.12"));
    EXPECT_FALSE(allowed(pci, feature(OpKind::enable_feature, SVAC_FEAT_IOPF)).contains(0));
}

TEST(LinuxRules, DisablingSvaNeverEnabledIsFeat7UnderLinux612) {
    Reference ref(one_device(pcie(true)), profile("linux-6.12"));
    const Expectation e = ref.expect(feature(OpKind::disable_feature, SVAC_FEAT_SVA));
    EXPECT_EQ(e.rc_clause, ClauseId::FEAT_7);
    EXPECT_TRUE(e.rc.contains(-EINVAL));
}

TEST(LinuxRules, APrefetchNeedsNoSync) {
    svac::test::TestBus mem;
    auto model = make_smmuv3_model(Iommu{}, 0);
    uint64_t cmd[2] = {};
    set(cmd, smmuv3::cmd::Opcode, smmuv3::cmd::PREFETCH_CONFIG);
    ASSERT_EQ(model->submit(mem, cmd, 2), 0);
    EXPECT_EQ(model->unsynced(), 0u);
    uint64_t cfgi[2] = {};
    set(cfgi, smmuv3::cmd::Opcode, smmuv3::cmd::CFGI_STE);
    ASSERT_EQ(model->submit(mem, cfgi, 2), 0);
    EXPECT_EQ(model->unsynced(), 1u); // an invalidation still waits for its sync
}

} // namespace
