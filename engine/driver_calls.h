// The driver's entry points as a DriverInstance calls them: create, then
// one call at a time until destroy. abi_calls() calls a driver's ops table
// in this process. The driver host (engine/host/) puts its recorder between
// the instance and the driver on the host's side, and a replayer in place of
// the driver on the kit's side, so that one instance and one judge serve
// both a driver in this process and a driver in another.
#pragma once

#include <svac/driver_abi.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

namespace svac::engine {

// The entry points of struct svac_driver_ops after create.
enum class Entry : uint8_t {
    destroy,
    dev_has_feat,
    dev_enable_feat,
    dev_disable_feat,
    dev_feat_enabled,
    set_sva_param,
    bind_mm,
    unbind_mm,
    mm_release,
    mm_invalidate_range,
    service_irq,
    page_response,
    // ABI version 4: the handle-based contract
    sva_bind,
    sva_unbind,
    sva_get_pasid,
    // ABI version 5: the domain-based contract
    probe_device,
    domain_alloc_sva,
    domain_free,
    set_dev_pasid,
    remove_dev_pasid,
    count_
};

std::string_view entry_name(Entry e);
// "domain 0x3", "blocked", "none": a domain as the ABI names it.
std::string domain_name(uint64_t domain);

// One call of an entry point, its arguments by the ABI's names (those the
// entry point does not take stay 0).
struct EntryCall {
    Entry entry = Entry::destroy;
    uint32_t dev = 0;
    uint32_t feat = 0;
    uint32_t mm = 0;
    uint32_t pasid = 0;
    uint32_t min_pasid = 0, max_pasid = 0;
    uint32_t iommu = 0;
    uint64_t drvdata = 0;
    uint64_t start = 0, end = 0;
    svac_page_response resp{};
    uint64_t handle = 0;    // sva_unbind, sva_get_pasid; the domain of domain_free,
                            // set_dev_pasid and remove_dev_pasid
    bool with_exit = false; // sva_bind: with the handle's mm_exit (linux-5.3)
    uint64_t old = 0;       // set_dev_pasid: the domain replaced (SVAC_DOMAIN_NONE)

    bool operator==(const EntryCall &o) const;
    // "bind_mm(dev 0, mm 1, drvdata 0x7)": for messages.
    std::string to_string() const;
};

// What an entry point returned: its code (0 for the void ones), and for
// bind_mm the PASID it wrote through its out-parameter, and whether it
// stored past that u32 (HW-8: the words after it are the caller's); for
// sva_bind the handle it wrote, for sva_get_pasid the PASID it returned;
// for domain_alloc_sva the domain it wrote (handle), for probe_device the
// max_pasids it returned (pasid).
struct EntryReturn {
    int rc = 0;
    uint32_t pasid = SVAC_PASID_INVALID;
    bool pasid_overrun = false;
    uint64_t handle = 0;
};

class DriverCalls {
public:
    // The mm-exit callback of iommu_sva_bind, as the driver fires it.
    using MmExit = std::function<void(uint32_t dev, uint32_t pasid, uint64_t drvdata)>;

    virtual ~DriverCalls() = default;
    virtual std::string name() const = 0;
    // The ABI version the driver was built for: its platform says the same.
    virtual uint32_t abi_version() const { return SVAC_ABI_VERSION; }
    // create(): false when the driver returned NULL. The driver's mm-exit
    // callbacks reach `on_exit` until destroy.
    virtual bool create(const svac_platform *p, const svac_topology *t, MmExit on_exit) = 0;
    // Any other entry point; destroy ends the instance.
    virtual EntryReturn call(const EntryCall &c) = 0;
};

// The ops table's functions, called in this process (checked by
// check_driver_ops first).
std::unique_ptr<DriverCalls> abi_calls(const svac_driver_ops &ops);

// The contracts an ops table implements (SVAC_CONTRACT_*): a version 3
// table has no `contracts` member and implements the rfc2019 one; a
// version 4 table has no domain-based functions.
uint32_t driver_contracts(const svac_driver_ops &ops);

} // namespace svac::engine
