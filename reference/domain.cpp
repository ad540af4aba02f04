// ATTACH, DOMAIN: what the core asked of the driver during a bind or an
// unbind of the domain-based contract (linux-6.12 on), as the op's calls
// record them (clauses ATTACH-*, DOMAIN-*). The same walk judges an op and
// commits it.
#include "reference/reference.h"
#include "reference/text.h"

#include <algorithm>
#include <cerrno>
#include <string>

namespace svac::ref {

namespace {

std::string domain_text(uint32_t d) {
    if (d == DriverCall::kBlocked) return "the blocked domain";
    if (d == DriverCall::kNone) return "none";
    return "domain " + std::to_string(d);
}

std::string call_text(const DriverCall &c) {
    std::string s{call_name(c.kind)};
    switch (c.kind) {
    case DriverCall::Kind::domain_alloc_sva:
        return s + "(dev " + std::to_string(c.dev) + ", mm " + std::to_string(c.mm) + ")";
    case DriverCall::Kind::set_dev_pasid:
        return s + "(" + domain_text(c.domain) + ", dev " + std::to_string(c.dev) + ", pasid " +
               std::to_string(c.pasid) + ", old " + domain_text(c.old) + ")";
    case DriverCall::Kind::remove_dev_pasid:
        return s + "(dev " + std::to_string(c.dev) + ", pasid " + std::to_string(c.pasid) + ", " +
               domain_text(c.domain) + ")";
    case DriverCall::Kind::domain_free:
        return s + "(" + domain_text(c.domain) + ")";
    }
    return s;
}

// The domain attached at (dev, pasid), or kNone.
uint32_t attached_at(const Reference::SvaDomains &ds, uint32_t dev, uint32_t pasid) {
    for (const auto &[name, d] : ds)
        if (std::find(d.attached.begin(), d.attached.end(), std::pair{dev, pasid}) !=
            d.attached.end())
            return name;
    return DriverCall::kNone;
}

void detach(Reference::SvaDomains &ds, uint32_t domain, uint32_t dev, uint32_t pasid) {
    if (auto it = ds.find(domain); it != ds.end())
        std::erase(it->second.attached, std::pair{dev, pasid});
}

} // namespace

std::size_t Reference::sva_domains_of(uint32_t mm, uint32_t iommu) const {
    std::size_t n = 0;
    for (const auto &[name, d] : domains_) n += d.mm == mm && d.iommu == iommu;
    return n;
}

std::optional<Violation> Reference::walk_calls(const Op &op, const Observation &obs, SvaDomains &ds,
                                               ClauseCounters *counters) const {
    const std::vector<DriverCall> &calls = *obs.calls;
    auto hit = [&](ClauseId c) {
        if (counters) counters->hit(c);
    };
    auto fail = [&](ClauseId c, std::size_t i, const std::string &why) {
        return Violation{c, describe(op, *this) + ": call " + std::to_string(i) + ", " +
                                call_text(calls[i]) + ": " + why};
    };
    std::optional<Violation> v;
    auto note = [&](Violation found) {
        if (!v) v = std::move(found);
    };
    std::vector<uint32_t> allocated; // domains this op allocated
    std::vector<std::pair<uint32_t, uint32_t>> attached;
    // set_dev_pasid of an mm's domain that failed, by domain: DOMAIN-1.
    std::map<uint32_t, std::size_t> refused;
    for (std::size_t i = 0; i < calls.size(); ++i) {
        const DriverCall &c = calls[i];
        switch (c.kind) {
        case DriverCall::Kind::domain_alloc_sva: {
            hit(ClauseId::DOMAIN_1);
            if (c.rc != 0) break;
            if (ds.count(c.domain)) {
                note(fail(ClauseId::ATTACH_4, i, domain_text(c.domain) + " is live already"));
                break;
            }
            ds[c.domain] = SvaDomain{c.mm, topo_.devices[c.dev].iommu, {}};
            allocated.push_back(c.domain);
            break;
        }
        case DriverCall::Kind::set_dev_pasid: {
            const uint32_t now = attached_at(ds, c.dev, c.pasid);
            if (c.domain == DriverCall::kBlocked) { // the detach of linux-6.16
                hit(ClauseId::DOMAIN_3);
                hit(ClauseId::ATTACH_3);
                if (c.old == DriverCall::kNone || c.old != now)
                    note(fail(ClauseId::ATTACH_3, i,
                              "old is not the domain attached there (" + domain_text(now) + ")"));
                if (c.rc != 0)
                    note(fail(ClauseId::DOMAIN_3, i,
                              "returned " + errno_name(c.rc) +
                                  "; attaching the blocked domain never fails"));
                detach(ds, now, c.dev, c.pasid);
                break;
            }
            hit(ClauseId::ATTACH_2);
            uint32_t lo = 0, hi = 0;
            if (c.dev < topo_.devices.size()) effective_range(c.dev, lo, hi);
            if (c.pasid == 0 || c.pasid > hi)
                note(fail(ClauseId::ATTACH_2, i,
                          "PASID " + std::to_string(c.pasid) + " is not one of the device's [1, " +
                              std::to_string(hi) + "]: the core refuses it (-EINVAL)"));
            else if (now != DriverCall::kNone && now != c.old)
                note(
                    fail(ClauseId::ATTACH_2, i,
                         "the PASID holds " + domain_text(now) + ": the core refuses it (-EBUSY)"));
            auto d = ds.find(c.domain);
            if (d == ds.end()) {
                note(fail(ClauseId::ATTACH_4, i, "no live domain has that name"));
                break;
            }
            if (c.rc != 0) {
                if (std::find(allocated.begin(), allocated.end(), c.domain) == allocated.end())
                    refused[c.domain] = i;
                break;
            }
            hit(ClauseId::ATTACH_1);
            if (c.old != DriverCall::kNone) {
                hit(ClauseId::ATTACH_3);
                detach(ds, c.old, c.dev, c.pasid);
            }
            d->second.attached.emplace_back(c.dev, c.pasid);
            attached.emplace_back(c.dev, c.pasid);
            break;
        }
        case DriverCall::Kind::remove_dev_pasid:
            detach(ds, c.domain, c.dev, c.pasid);
            break;
        case DriverCall::Kind::domain_free: {
            hit(ClauseId::DOMAIN_2);
            auto d = ds.find(c.domain);
            if (d == ds.end()) {
                note(fail(ClauseId::DOMAIN_2, i, "no live domain has that name"));
                break;
            }
            if (!d->second.attached.empty())
                note(fail(ClauseId::DOMAIN_2, i,
                          "freed while attached to dev " +
                              std::to_string(d->second.attached.front().first) + " PASID " +
                              std::to_string(d->second.attached.front().second)));
            ds.erase(d);
            break;
        }
        }
    }
    // ATTACH-4: a failed bind leaves no domain it allocated and no attach.
    if (op.kind == OpKind::bind && obs.rc && *obs.rc != 0) {
        hit(ClauseId::ATTACH_4);
        for (uint32_t d : allocated)
            if (ds.count(d))
                note(Violation{ClauseId::ATTACH_4, describe(op, *this) + " failed and left " +
                                                       domain_text(d) + ", which it allocated"});
        for (const auto &[dev, pasid] : attached)
            if (attached_at(ds, dev, pasid) != DriverCall::kNone)
                note(Violation{ClauseId::ATTACH_4, describe(op, *this) + " failed and left dev " +
                                                       std::to_string(dev) + " PASID " +
                                                       std::to_string(pasid) + " attached"});
    }
    // DOMAIN-1: one SVA domain per mm and IOMMU, judged on the domains this
    // op allocated (earlier pairs were judged when they were made). The core
    // allocates another when the driver could not attach the mm's domain
    // (iommu_sva_bind_device tries it first): allowed when the platform
    // refused memory during the op and the attach failed -ENOMEM (ROBUST-4:
    // the bind may still succeed).
    auto mine = [&](uint32_t d) {
        return std::find(allocated.begin(), allocated.end(), d) != allocated.end();
    };
    for (auto a = ds.begin(); a != ds.end(); ++a)
        for (auto b = std::next(a); b != ds.end(); ++b) {
            if (a->second.mm != b->second.mm || a->second.iommu != b->second.iommu) continue;
            if (!mine(a->first) && !mine(b->first)) continue;
            auto r = refused.find(a->first);
            if (r != refused.end() && obs.alloc_failed && calls[r->second].rc == -ENOMEM) continue;
            note(Violation{ClauseId::DOMAIN_1,
                           describe(op, *this) + ": mm " + std::to_string(a->second.mm) + " has " +
                               domain_text(a->first) + " and " + domain_text(b->first) +
                               " on IOMMU " + std::to_string(a->second.iommu) +
                               (r == refused.end()
                                    ? std::string()
                                    : " (call " + std::to_string(r->second) + ", " +
                                          call_text(calls[r->second]) + ", returned " +
                                          errno_name(calls[r->second].rc) +
                                          ": the driver refused the mm's domain)")});
        }
    // DOMAIN-2: a domain goes with its last device.
    for (const auto &[name, d] : ds)
        if (d.attached.empty())
            note(Violation{ClauseId::DOMAIN_2, describe(op, *this) + " left " + domain_text(name) +
                                                   " of mm " + std::to_string(d.mm) +
                                                   " allocated with no device attached"});
    return v;
}

} // namespace svac::ref
