#include "engine/snapshot.h"

#include "engine/validator.h"
#include "reference/pagetable.h"
#include "reports/json_text.h"

#include <fmt/format.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <filesystem>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

namespace svac::engine {

namespace {

using detail::Validator;
using ref::Arch;

// The registers a snapshot may give: the architecture's names and offsets
// (Arm IHI 0070 section 6.3; Intel VT-d specification section 11.4).
constexpr SnapshotRegister kRegisters[] = {
    {Arch::smmuv3, "SMMU_IDR0", SVAC_SMMU_IDR0, 4},
    {Arch::smmuv3, "SMMU_IDR1", SVAC_SMMU_IDR1, 4},
    {Arch::smmuv3, "SMMU_IDR2", SVAC_SMMU_IDR2, 4},
    {Arch::smmuv3, "SMMU_IDR3", SVAC_SMMU_IDR3, 4},
    {Arch::smmuv3, "SMMU_IDR4", SVAC_SMMU_IDR4, 4},
    {Arch::smmuv3, "SMMU_IDR5", SVAC_SMMU_IDR5, 4},
    {Arch::smmuv3, "SMMU_CR0", SVAC_SMMU_CR0, 4},
    {Arch::smmuv3, "SMMU_STRTAB_BASE", SVAC_SMMU_STRTAB_BASE, 8},
    {Arch::smmuv3, "SMMU_STRTAB_BASE_CFG", SVAC_SMMU_STRTAB_BASE_CFG, 4},
    {Arch::vtd, "VER_REG", SVAC_VTD_VER, 4},
    {Arch::vtd, "CAP_REG", SVAC_VTD_CAP, 8},
    {Arch::vtd, "ECAP_REG", SVAC_VTD_ECAP, 8},
    {Arch::vtd, "GSTS_REG", SVAC_VTD_GSTS, 4},
    {Arch::vtd, "RTADDR_REG", SVAC_VTD_RTADDR, 8},
};

// A number as snapshots spell it: a "0x..." string (JSON numbers lose bits
// above 2^53 in many writers) or a JSON unsigned integer.
uint64_t number(const Validator &v, const json &j, const std::string &where, uint64_t max) {
    if (j.is_string()) {
        const std::string &s = j.get_ref<const std::string &>();
        if (s.size() < 3 || s.size() > 18 || (s.rfind("0x", 0) != 0 && s.rfind("0X", 0) != 0) ||
            s.find_first_not_of("0123456789abcdefABCDEF", 2) != std::string::npos)
            v.fail(where, "expected a hex number \"0x...\" of at most 16 digits, got " +
                              reports::excerpt(j));
        const uint64_t x = std::stoull(s.substr(2), nullptr, 16);
        if (x > max)
            v.fail(where, s + " is out of range (at most " + fmt::format("{:#x}", max) + ")");
        return x;
    }
    if (!j.is_number_unsigned())
        v.fail(where, "expected a hex string \"0x...\" or an unsigned integer, got " +
                          reports::excerpt(j));
    return v.unsigned_value(j, where, max);
}

std::string text_field(const Validator &v, const json &obj, const std::string &where,
                       const char *key) {
    const json &j = v.field(obj, where, key);
    if (!j.is_string())
        v.fail(where + "/" + key, "expected a string, got " + Validator::type_of(j));
    return j.get<std::string>();
}

void parse_memory(const Validator &v, const json &j, const std::string &base_dir, Snapshot &s) {
    if (!j.is_array() || j.size() > kMaxExtents)
        v.fail("/memory",
               "expected an array of at most " + std::to_string(kMaxExtents) + " extents");
    uint64_t inline_words = 0;
    for (std::size_t i = 0; i < j.size(); ++i) {
        const std::string w = "/memory/" + std::to_string(i);
        const json &e = j[i];
        v.object(e, w);
        v.only_keys(e, w, {"address", "qwords", "file", "offset", "bytes"});
        Extent x;
        x.address = number(v, v.field(e, w, "address"), w + "/address", UINT64_MAX);
        if (x.address % 8) v.fail(w + "/address", "an extent starts at a multiple of 8");
        if (e.contains("qwords") == e.contains("file"))
            v.fail(w, "an extent has either \"qwords\" or \"file\"");
        if (e.contains("qwords")) {
            v.only_keys(e, w, {"address", "qwords"});
            const json &q = e["qwords"];
            if (!q.is_array() || q.empty())
                v.fail(w + "/qwords", "expected a non-empty array of 64-bit words");
            inline_words += q.size();
            if (inline_words > kMaxInlineQwords)
                v.fail(w + "/qwords", "more than " + std::to_string(kMaxInlineQwords) +
                                          " inline words in all: give large memory as a file");
            x.qwords.reserve(q.size());
            for (std::size_t k = 0; k < q.size(); ++k)
                x.qwords.push_back(number(v, q[k], w + "/qwords/" + std::to_string(k), UINT64_MAX));
            x.bytes = 8 * x.qwords.size();
        } else {
            x.file = text_field(v, e, w, "file");
            if (x.file.empty()) v.fail(w + "/file", "an empty file name");
            std::filesystem::path p(x.file);
            x.file_path = p.is_absolute() ? x.file : (std::filesystem::path(base_dir) / p).string();
            struct stat st {};
            if (::stat(x.file_path.c_str(), &st) != 0)
                v.fail(w + "/file", x.file_path + ": " + std::strerror(errno));
            if (!S_ISREG(st.st_mode)) v.fail(w + "/file", x.file_path + ": not a regular file");
            const auto size = static_cast<uint64_t>(st.st_size);
            if (e.contains("offset"))
                x.file_offset = number(v, e["offset"], w + "/offset", UINT64_MAX);
            if (x.file_offset > size)
                v.fail(w + "/offset", fmt::format("{:#x} is past the end of {} ({} bytes)",
                                                  x.file_offset, x.file_path, size));
            x.bytes = e.contains("bytes") ? number(v, e["bytes"], w + "/bytes", UINT64_MAX)
                                          : (size - x.file_offset) & ~uint64_t{7};
            if (x.bytes == 0 || x.bytes % 8)
                v.fail(w + "/bytes", "an extent holds a positive multiple of 8 bytes");
            if (x.bytes > size - x.file_offset)
                v.fail(w + "/bytes", fmt::format("{} bytes from offset {:#x} run past the end of "
                                                 "{} ({} bytes)",
                                                 x.bytes, x.file_offset, x.file_path, size));
            if (x.bytes > kMaxFileBytes)
                v.fail(w + "/bytes", "more than " + std::to_string(kMaxFileBytes) + " bytes");
        }
        if (x.bytes - 1 > UINT64_MAX - x.address)
            v.fail(w, "the extent runs past the end of the physical address space");
        s.memory.push_back(std::move(x));
    }
    std::vector<std::size_t> order(s.memory.size());
    for (std::size_t i = 0; i < order.size(); ++i) order[i] = i;
    std::sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) {
        return s.memory[a].address < s.memory[b].address;
    });
    for (std::size_t k = 1; k < order.size(); ++k) {
        const Extent &a = s.memory[order[k - 1]], &b = s.memory[order[k]];
        if (b.address - a.address < a.bytes)
            v.fail("/memory/" + std::to_string(order[k]),
                   fmt::format("the extent at {:#x} overlaps /memory/{} ([{:#x}, {:#x}))",
                               b.address, order[k - 1], a.address, a.address + a.bytes));
    }
    std::vector<Extent> sorted;
    sorted.reserve(order.size());
    for (std::size_t i : order) sorted.push_back(std::move(s.memory[i]));
    s.memory = std::move(sorted);
}

uint8_t access_from(const Validator &v, const json &j, const std::string &where) {
    if (j.is_string()) {
        const std::string &a = j.get_ref<const std::string &>();
        if (a == "read") return ref::kRead;
        if (a == "write") return ref::kWrite;
        if (a == "exec") return ref::kExec;
    }
    v.fail(where, "expected \"read\", \"write\" or \"exec\", got " + reports::excerpt(j));
}

std::string_view access_name(uint8_t a) {
    return a == ref::kWrite ? "write" : a == ref::kExec ? "exec" : "read";
}

void parse_probes(const Validator &v, const json &j, Snapshot &s) {
    if (!j.is_array() || j.size() > kMaxProbes)
        v.fail("/probes", "expected an array of at most " + std::to_string(kMaxProbes) + " probes");
    for (std::size_t i = 0; i < j.size(); ++i) {
        const std::string w = "/probes/" + std::to_string(i);
        const json &e = j[i];
        v.object(e, w);
        v.only_keys(e, w, {"sid", "pasid", "address", "access", "expect", "origin"});
        Probe p;
        p.sid = static_cast<uint32_t>(number(v, v.field(e, w, "sid"), w + "/sid", kMaxSnapshotSid));
        if (e.contains("pasid"))
            p.pasid = static_cast<uint32_t>(
                number(v, e["pasid"], w + "/pasid", ref::pasid_width_max(SVAC_PASID_BITS_MAX)));
        p.address = number(v, v.field(e, w, "address"), w + "/address", UINT64_MAX);
        p.access =
            e.contains("access") ? access_from(v, e["access"], w + "/access") : uint8_t{ref::kRead};
        if (e.contains("origin")) p.origin = text_field(v, e, w, "origin");
        if (e.contains("expect")) {
            const json &x = e["expect"];
            const std::string xw = w + "/expect";
            v.object(x, xw);
            v.only_keys(x, xw, {"outcome", "pa"});
            ref::DmaResult::Kind k{};
            const std::string outcome = text_field(v, x, xw, "outcome");
            if (!ref::dma_kind_from_name(outcome, k))
                v.fail(xw + "/outcome", "unknown outcome " + reports::excerpt(x["outcome"]) +
                                            " (translated, fault, page_request, abort, failed)");
            p.expect_kind = k;
            if (x.contains("pa")) {
                if (k != ref::DmaResult::Kind::translated)
                    v.fail(xw + "/pa", "only a translated outcome has an address");
                p.expect_pa = number(v, x["pa"], xw + "/pa", UINT64_MAX);
            }
        }
        s.probes.push_back(std::move(p));
    }
}

} // namespace

std::span<const SnapshotRegister> snapshot_registers() {
    return kRegisters;
}

const SnapshotRegister *find_snapshot_register(Arch arch, std::string_view name) {
    for (const SnapshotRegister &r : kRegisters)
        if (r.arch == arch && r.name == name) return &r;
    return nullptr;
}

Snapshot parse_snapshot(std::string_view text, std::string_view source,
                        const std::string &base_dir) {
    std::string error;
    auto parsed = reports::parse_json_text(text, &error);
    if (!parsed) throw InputError(std::string(source) + ": " + error);
    const json &j = *parsed;
    Validator v(source);
    v.object(j, "");
    v.only_keys(j, "", {"format", "arch", "source", "registers", "memory", "devices", "probes"});
    const json &format = v.field(j, "", "format");
    if (!format.is_string() || format.get<std::string>() != kSnapshotFormat)
        v.fail("/format", "expected \"" + std::string(kSnapshotFormat) + "\", got " +
                              reports::excerpt(format));
    Snapshot s;
    const json &arch = v.field(j, "", "arch");
    if (!arch.is_string() || !ref::arch_from_name(arch.get<std::string>(), s.arch))
        v.fail("/arch", "expected \"smmuv3\" or \"vtd\", got " + reports::excerpt(arch));
    if (j.contains("source")) s.source = text_field(v, j, "", "source");

    const json &regs = v.field(j, "", "registers");
    v.object(regs, "/registers");
    for (auto it = regs.begin(); it != regs.end(); ++it) {
        const std::string w = "/registers/" + reports::excerpt_text(it.key());
        const SnapshotRegister *r = find_snapshot_register(s.arch, it.key());
        if (!r) {
            std::string known;
            for (const SnapshotRegister &k : kRegisters)
                if (k.arch == s.arch) known += (known.empty() ? "" : ", ") + std::string(k.name);
            v.fail(w, "not a register of " + std::string(ref::arch_name(s.arch)) +
                          " a snapshot gives (known: " + known + ")");
        }
        s.registers[it.key()] =
            number(v, it.value(), w, r->bytes == 8 ? UINT64_MAX : uint64_t{UINT32_MAX});
    }
    const char *needed = s.arch == Arch::smmuv3 ? "SMMU_STRTAB_BASE" : "RTADDR_REG";
    if (!s.registers.count(needed))
        v.fail("/registers", std::string("missing ") + needed + ": the tables are walked from it");
    if (s.arch == Arch::smmuv3 && !s.registers.count("SMMU_STRTAB_BASE_CFG"))
        v.fail("/registers", "missing SMMU_STRTAB_BASE_CFG: the stream table's format and size");

    parse_memory(v, v.field(j, "", "memory"), base_dir, s);

    if (j.contains("devices")) {
        const json &d = j["devices"];
        if (!d.is_array() || d.size() > kMaxSnapshotSid + 1)
            v.fail("/devices", "expected an array of devices");
        for (std::size_t i = 0; i < d.size(); ++i) {
            const std::string w = "/devices/" + std::to_string(i);
            v.object(d[i], w);
            v.only_keys(d[i], w, {"sid", "pasid_bits", "name"});
            SnapshotDevice dev;
            dev.sid = static_cast<uint32_t>(
                number(v, v.field(d[i], w, "sid"), w + "/sid", kMaxSnapshotSid));
            if (d[i].contains("pasid_bits"))
                dev.pasid_bits = static_cast<uint8_t>(
                    number(v, d[i]["pasid_bits"], w + "/pasid_bits", SVAC_PASID_BITS_MAX));
            if (d[i].contains("name")) dev.name = text_field(v, d[i], w, "name");
            for (std::size_t k = 0; k < s.devices.size(); ++k)
                if (s.devices[k].sid == dev.sid)
                    v.fail(
                        w + "/sid",
                        fmt::format("StreamID/requester ID {:#x} is also /devices/{}", dev.sid, k));
            s.devices.push_back(std::move(dev));
        }
    }
    if (j.contains("probes")) parse_probes(v, j["probes"], s);
    return s;
}

Snapshot load_snapshot(const std::string &path) {
    std::string error;
    auto text = reports::read_json_file(path, &error);
    if (!text) throw InputError(path + ": " + error);
    const std::filesystem::path dir = std::filesystem::path(path).parent_path();
    return parse_snapshot(*text, path, dir.empty() ? std::string(".") : dir.string());
}

nlohmann::ordered_json snapshot_to_json(const Snapshot &s) {
    auto hex = [](uint64_t x) { return fmt::format("{:#x}", x); };
    json j;
    j["format"] = kSnapshotFormat;
    j["arch"] = ref::arch_name(s.arch);
    if (!s.source.empty()) j["source"] = s.source;
    j["registers"] = json::object();
    for (const SnapshotRegister &r : kRegisters) // in the architecture's order
        if (r.arch == s.arch && s.registers.count(std::string(r.name)))
            j["registers"][std::string(r.name)] = hex(s.registers.at(std::string(r.name)));
    j["memory"] = json::array();
    for (const Extent &x : s.memory) {
        json e;
        e["address"] = hex(x.address);
        if (x.file.empty()) {
            e["qwords"] = json::array();
            for (uint64_t q : x.qwords) e["qwords"].push_back(hex(q));
        } else {
            e["file"] = x.file;
            if (x.file_offset) e["offset"] = hex(x.file_offset);
            e["bytes"] = hex(x.bytes);
        }
        j["memory"].push_back(std::move(e));
    }
    if (!s.devices.empty()) {
        j["devices"] = json::array();
        for (const SnapshotDevice &d : s.devices) {
            json e;
            e["sid"] = hex(d.sid);
            if (d.pasid_bits) e["pasid_bits"] = hex(*d.pasid_bits);
            if (!d.name.empty()) e["name"] = d.name;
            j["devices"].push_back(std::move(e));
        }
    }
    if (!s.probes.empty()) {
        j["probes"] = json::array();
        for (const Probe &p : s.probes) {
            json e;
            e["sid"] = hex(p.sid);
            if (p.pasid) e["pasid"] = hex(*p.pasid);
            e["address"] = hex(p.address);
            e["access"] = access_name(p.access);
            if (p.expect_kind) {
                e["expect"]["outcome"] = ref::dma_kind_name(*p.expect_kind);
                if (p.expect_pa) e["expect"]["pa"] = hex(*p.expect_pa);
            }
            if (!p.origin.empty()) e["origin"] = p.origin;
            j["probes"].push_back(std::move(e));
        }
    }
    return j;
}

// ---- SnapshotMemory ----

SnapshotMemory::SnapshotMemory(const Snapshot &s) {
    extents_.reserve(s.memory.size());
    try {
        for (const Extent &x : s.memory) {
            Mapped m{x.address, x.bytes, nullptr};
            if (x.file.empty()) {
                m.data = reinterpret_cast<const unsigned char *>(x.qwords.data());
            } else {
                const int fd = ::open(x.file_path.c_str(), O_RDONLY | O_CLOEXEC);
                if (fd < 0) throw InputError(x.file_path + ": " + std::strerror(errno));
                m.map_bytes = static_cast<std::size_t>(x.file_offset + x.bytes);
                void *p = ::mmap(nullptr, m.map_bytes, PROT_READ, MAP_PRIVATE, fd, 0);
                const int err = errno;
                ::close(fd);
                if (p == MAP_FAILED)
                    throw InputError(x.file_path + ": mmap: " + std::strerror(err));
                m.map = p;
                m.data = static_cast<const unsigned char *>(p) + x.file_offset;
            }
            extents_.push_back(m);
        }
    } catch (...) {
        for (Mapped &m : extents_)
            if (m.map) ::munmap(m.map, m.map_bytes);
        throw;
    }
}

SnapshotMemory::~SnapshotMemory() {
    for (Mapped &m : extents_)
        if (m.map) ::munmap(m.map, m.map_bytes);
}

const SnapshotMemory::Mapped *SnapshotMemory::find(uint64_t pa) const {
    auto it = std::upper_bound(extents_.begin(), extents_.end(), pa,
                               [](uint64_t a, const Mapped &m) { return a < m.address; });
    if (it == extents_.begin()) return nullptr;
    --it;
    return pa - it->address < it->bytes ? &*it : nullptr;
}

uint64_t SnapshotMemory::read64(uint64_t pa) const {
    const uint64_t page = pa >> 12;
    if (page != last_page_) {
        pages_.push_back(page);
        last_page_ = page;
    }
    const Mapped *m = find(pa);
    if (!m || pa - m->address > m->bytes - 8) {
        if (missing_.size() < kMissingKept) missing_.push_back(pa);
        ++missing_count_;
        return 0;
    }
    m->read = true;
    uint64_t v;
    std::memcpy(&v, m->data + (pa - m->address), 8); // little-endian host, as the formats
    return v;
}

namespace {
std::vector<uint64_t> sorted_unique(std::vector<uint64_t> v) {
    std::sort(v.begin(), v.end());
    v.erase(std::unique(v.begin(), v.end()), v.end());
    return v;
}
} // namespace

std::vector<uint64_t> SnapshotMemory::missing() const {
    return sorted_unique(missing_);
}

std::vector<uint64_t> SnapshotMemory::pages_read() const {
    std::vector<uint64_t> p = sorted_unique(pages_);
    for (uint64_t &x : p) x <<= 12;
    return p;
}

std::vector<std::size_t> SnapshotMemory::unread_extents() const {
    std::vector<std::size_t> out;
    for (std::size_t i = 0; i < extents_.size(); ++i)
        if (!extents_[i].read) out.push_back(i);
    return out;
}

void SnapshotMemory::forget_reads() {
    pages_.clear();
    missing_.clear();
    missing_count_ = 0;
    last_page_ = ~uint64_t{0};
    for (Mapped &m : extents_) m.read = false;
}

Snapshot snapshot_of(const ref::IommuModel &model, Arch arch,
                     const std::vector<std::pair<uint64_t, std::vector<uint64_t>>> &words,
                     std::string source) {
    Snapshot s;
    s.arch = arch;
    s.source = std::move(source);
    for (const SnapshotRegister &r : kRegisters)
        if (r.arch == arch) {
            uint64_t v = model.read_reg(r.offset);
            if (r.bytes == 4) v &= UINT32_MAX;
            s.registers[std::string(r.name)] = v;
        }
    for (const auto &[pa, q] : words) {
        Extent x;
        x.address = pa;
        x.qwords = q;
        x.bytes = 8 * q.size();
        s.memory.push_back(std::move(x));
    }
    std::sort(s.memory.begin(), s.memory.end(),
              [](const Extent &a, const Extent &b) { return a.address < b.address; });
    return s;
}

} // namespace svac::engine
