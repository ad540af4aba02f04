// Checks 1 and 2: the field tables (G1, G3) and the codec (G2) of every
// layout of reference/smmuv3_format.h, reference/vtd_format.h and
// reference/pagetable.h (G1 of docs/formal.md).
#include "properties/formal/check_support.h"
#include "properties/formal/checks.h"
#include "properties/formal/word_ops.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

namespace svac::formal {

namespace {

// The absolute bit a field starts at, and one past its end.
unsigned abs_lo(const ref::Field &f) {
    return 64u * f.qword + f.lo;
}
unsigned abs_end(const ref::Field &f) {
    return abs_lo(f) + f.width;
}

std::string bit_name(unsigned b) {
    return fmt::format("q{}[{}] (bit {})", b / 64, b % 64, b);
}

// Names of the fields claiming absolute bit b (by their declared range,
// not the truncated mask).
std::vector<std::string> claimants(const ref::Format &f, unsigned b) {
    std::vector<std::string> names;
    for (const ref::Field &fl : f.fields)
        if (b >= abs_lo(fl) && b < abs_end(fl)) names.emplace_back(fl.name);
    return names;
}

} // namespace

CheckResult check_layouts(const std::string &name, const std::string &format,
                          std::span<const ref::Format *const> formats, const Options &opt) {
    CheckResult r = start_check(name, format, {"G1", "G3"},
                                "every field inside its qword and the entry, no bit claimed by two "
                                "fields, the reserved mask exactly the bits no field claims");
    for (const ref::Format *f : formats) {
        const unsigned n = f->qwords, bits = 64 * n;
        // b: any bit position, inside the entry or past it.
        Expr b = Expr::var(fresh_name("bit"), 16);
        Expr count = Expr::bv(0, 8);
        for (const ref::Field &fl : f->fields) {
            Expr in = b.uge(abs_lo(fl)) && b.ult(abs_end(fl));
            count = count + Expr::ite(in, Expr::bv(1, 8), Expr::bv(0, 8));
        }
        // The reserved mask as the format states it, one qword at a time.
        Expr reserved = Expr::boolean(false);
        for (unsigned q = 0; q < n; ++q) {
            Expr in_q = b.lshr(6) == q;
            Expr bit = Expr::bv(f->reserved_mask(q), 64).lshr((b & 63).zext(64)) & 1;
            reserved = reserved || (in_q && bit == 1);
        }
        count = count + Expr::ite(reserved, Expr::bv(1, 8), Expr::bv(0, 8));
        // Fields inside their own qword (the codec reads one word per field).
        std::vector<Expr> inside;
        for (const ref::Field &fl : f->fields)
            inside.push_back(Expr::boolean(fl.width >= 1 && fl.lo + fl.width <= 64));
        Expr claim = Expr::ite(b.ult(bits), count == 1, count == 0) && Expr::all(inside);
        Answer a = prove(claim, opt.timeout_s);
        if (!record(r, a)) {
            if (a.verdict == Verdict::counterexample) {
                const auto bit = static_cast<unsigned>(a.model.value(b));
                std::vector<std::string> who = claimants(*f, bit);
                const bool res = bit < bits && (f->reserved_mask(bit / 64) >> (bit % 64)) & 1;
                std::string line = std::string(f->name) + ": ";
                for (const ref::Field &fl : f->fields)
                    if (fl.width < 1 || fl.lo + fl.width > 64)
                        line += fmt::format("field {} [{}+{}] spills out of q{}; ", fl.name, fl.lo,
                                            fl.width, fl.qword);
                if (bit >= bits)
                    line += fmt::format("{} lies past the {}-qword entry but is claimed by {}",
                                        bit_name(bit), n, fmt::join(who, ", "));
                else if (who.empty() && !res)
                    line +=
                        fmt::format("{} is claimed by no field and not reserved", bit_name(bit));
                else
                    line += fmt::format(
                        "{} is claimed by {}{}", bit_name(bit), fmt::join(who, ", "),
                        res ? (who.empty() ? "the reserved mask" : " and the reserved mask") : "");
                r.counterexample.push_back(line);
            }
            return finish(r);
        }
    }
    return finish(r);
}

Codec kit_codec() {
    return {[](const Expr *e, const ref::Field &f) { return ref::get<Expr>(e, f); },
            [](Expr *e, const ref::Field &f, const Expr &v) { ref::set<Expr>(e, f, v); }};
}

CheckResult check_codecs(const std::string &name, const std::string &format,
                         std::span<const ref::Format *const> formats, const Codec &codec,
                         const Options &opt) {
    CheckResult r = start_check(name, format, {"G2"},
                                "decode(encode(v)) = v for every value of every field, and "
                                "encode(decode(E)) = E for every E with its reserved bits zero");
    for (const ref::Format *f : formats) {
        const unsigned n = f->qwords;
        // decode(encode(v)) = v.
        std::vector<Expr> values, fits, back;
        std::vector<Expr> enc(n, Expr::bv(0));
        for (const ref::Field &fl : f->fields) {
            Expr v = Expr::var(fresh_name(std::string(f->name) + "." + std::string(fl.name)));
            values.push_back(v);
            if (fl.width < 64) fits.push_back(v.ult(uint64_t{1} << fl.width));
            codec.set(enc.data(), fl, v);
        }
        for (std::size_t i = 0; i < f->fields.size(); ++i)
            back.push_back(codec.get(enc.data(), f->fields[i]) == values[i]);
        Answer a = prove(Expr::all(back), opt.timeout_s, fits);
        if (!record(r, a)) {
            if (a.verdict == Verdict::counterexample) {
                for (std::size_t i = 0; i < f->fields.size(); ++i) {
                    const ref::Field &fl = f->fields[i];
                    uint64_t v = a.model.value(values[i]);
                    uint64_t got = a.model.value(codec.get(enc.data(), fl));
                    if (v != got)
                        r.counterexample.push_back(
                            fmt::format("{}: field {} encoded as {:#x} decodes to {:#x}", f->name,
                                        fl.name, v, got));
                }
            }
            return finish(r);
        }
        // encode(decode(E)) = E.
        std::vector<Expr> e, zero_reserved, same;
        for (unsigned q = 0; q < n; ++q) {
            e.push_back(Expr::var(fresh_name(std::string(f->name) + ".q" + std::to_string(q))));
            zero_reserved.push_back((e[q] & f->reserved_mask(q)) == 0);
        }
        std::vector<Expr> re(n, Expr::bv(0));
        for (const ref::Field &fl : f->fields) codec.set(re.data(), fl, codec.get(e.data(), fl));
        for (unsigned q = 0; q < n; ++q) same.push_back(re[q] == e[q]);
        a = prove(Expr::all(same), opt.timeout_s, zero_reserved);
        if (!record(r, a)) {
            if (a.verdict == Verdict::counterexample) {
                std::vector<uint64_t> ev = values_of(a.model, e), rv = values_of(a.model, re);
                r.counterexample.push_back(
                    fmt::format("{}: entry     {}", f->name, decode(*f, ev.data())));
                r.counterexample.push_back(
                    fmt::format("{}: re-encoded {}", f->name, decode(*f, rv.data())));
                for (unsigned q = 0; q < n; ++q)
                    if (ev[q] != rv[q])
                        r.counterexample.push_back(fmt::format("{}: q{} differs in bits {:#x}",
                                                               f->name, q, ev[q] ^ rv[q]));
            }
            return finish(r);
        }
    }
    return finish(r);
}

} // namespace svac::formal
