// Writes the seed corpora of the fuzz targets:
//   corpus_gen OUTDIR [TRACE.json ...]
// or, for the fuzz benchmark (bench/fuzz-bench), inputs of one size:
//   corpus_gen --bench OPS COUNT OUTDIR
// (OUTDIR/sva_diff: COUNT smmuv3 traces of OPS ops with the hardware ops;
// OUTDIR/trace_parse: the same as JSON; OUTDIR/hw_walk: COUNT 512-byte inputs).
// OUTDIR/sva_diff: generated traces (both architectures, with and without
// the hardware ops, 4 to 64 ops) and the given trace files, in the sva_diff
// encoding (trace_codec.h), each checked to decode back to its trace.
// OUTDIR/trace_parse: the same traces as JSON, and the traces of findings
// against a few mutants (with their recorded outcomes).
// OUTDIR/hw_walk: deterministic pseudo-random inputs of a few sizes.
// Deterministic: the same build writes the same files.
#include "engine/driver.h"
#include "engine/engine.h"
#include "engine/generator.h"
#include "fuzz/trace_codec.h"
#include "models/registry.h"

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>

namespace {

using namespace svac;
namespace fs = std::filesystem;

void write(const fs::path &p, const void *data, std::size_t size) {
    std::ofstream out(p, std::ios::binary);
    out.write(static_cast<const char *>(data), static_cast<std::streamsize>(size));
    if (!out) throw std::runtime_error("cannot write " + p.string());
}

uint32_t mask_of(const engine::Trace &t) {
    return 1u << static_cast<uint32_t>(t.topology.iommus.at(0).arch);
}

// The sva_diff seed of t, checked; false if t lies outside the encoding.
bool add_diff_seed(const fs::path &dir, const std::string &name, const engine::Trace &t) {
    auto bytes = fuzz::encode_trace(t, mask_of(t));
    if (!bytes) return false;
    engine::Trace back = fuzz::decode_trace(bytes->data(), bytes->size(), mask_of(t));
    if (!(back == t)) {
        std::cerr << "corpus_gen: " << name << " does not decode back to its trace:\n"
                  << engine::trace_to_json(t).dump() << "\n"
                  << engine::trace_to_json(back).dump() << "\n";
        std::exit(1);
    }
    write(dir / name, bytes->data(), bytes->size());
    return true;
}

void add_parse_seed(const fs::path &dir, const std::string &name, const engine::Trace &t) {
    std::string text = engine::trace_to_json(t).dump(1);
    write(dir / name, text.data(), text.size());
}

int write_bench_inputs(uint32_t ops, unsigned count, const fs::path &out) {
    fs::path diff = out / "sva_diff", parse = out / "trace_parse", hw = out / "hw_walk";
    for (const auto &d : {diff, parse, hw}) fs::create_directories(d);
    engine::Rng bytes_rng(0xbe7c);
    for (unsigned i = 0; i < count; ++i) {
        engine::GenConfig cfg;
        cfg.arch_mask = 1u << SVAC_ARCH_SMMUV3;
        cfg.hardware = true;
        cfg.ops = ops;
        engine::Rng rng(engine::Rng::derive(0xbe7c0000, i));
        engine::Trace t = engine::generate_trace(rng, cfg);
        std::string name = "bench-" + std::to_string(i);
        if (!add_diff_seed(diff, name, t)) {
            std::cerr << "corpus_gen: " << name << " lies outside the encoding\n";
            return 1;
        }
        add_parse_seed(parse, name + ".json", t);
        std::vector<uint8_t> bytes(512);
        for (auto &b : bytes) b = static_cast<uint8_t>(bytes_rng.next());
        write(hw / name, bytes.data(), bytes.size());
    }
    std::cout << "corpus_gen: " << count << " inputs of " << ops << " ops per target in "
              << out.string() << "\n";
    return 0;
}

} // namespace

int main(int argc, char **argv) {
    if (argc == 5 && std::string(argv[1]) == "--bench") {
        unsigned long ops = std::strtoul(argv[2], nullptr, 10),
                      count = std::strtoul(argv[3], nullptr, 10);
        if (ops == 0 || ops > fuzz::kMaxFuzzOps || count == 0) {
            std::cerr << "corpus_gen: --bench OPS COUNT: OPS in 1.." << fuzz::kMaxFuzzOps
                      << ", COUNT at least 1\n";
            return 2;
        }
        return write_bench_inputs(static_cast<uint32_t>(ops), static_cast<unsigned>(count),
                                  argv[4]);
    }
    if (argc < 2) {
        std::cerr
            << "usage: corpus_gen OUTDIR [TRACE.json ...] | corpus_gen --bench OPS COUNT OUTDIR\n";
        return 2;
    }
    fs::path out = argv[1];
    fs::path diff = out / "sva_diff", parse = out / "trace_parse", hw = out / "hw_walk";
    for (const auto &d : {diff, parse, hw}) fs::create_directories(d);

    // Generated traces.
    static constexpr uint32_t kOps[] = {4, 8, 16, 32, 48, 64};
    unsigned n = 0;
    for (uint32_t arch : {SVAC_ARCH_SMMUV3, SVAC_ARCH_VTD})
        for (bool hardware : {true, false})
            for (uint64_t i = 0; i < (hardware ? 12u : 4u); ++i) {
                engine::GenConfig cfg;
                cfg.arch_mask = 1u << arch;
                cfg.hardware = hardware;
                cfg.ops = kOps[i % std::size(kOps)];
                engine::Rng rng(engine::Rng::derive(0x5eed0000 + arch * 100 + hardware, i));
                engine::Trace t = engine::generate_trace(rng, cfg);
                char name[64];
                std::snprintf(name, sizeof name, "gen-%s-%s-%02u",
                              arch == SVAC_ARCH_VTD ? "vtd" : "smmuv3", hardware ? "hw" : "api",
                              static_cast<unsigned>(i));
                if (!add_diff_seed(diff, name, t)) {
                    std::cerr << "corpus_gen: " << name << " lies outside the encoding\n";
                    return 1;
                }
                if (i % 2 == 0) add_parse_seed(parse, std::string(name) + ".json", t);
                ++n;
            }

    // Trace files.
    for (int a = 2; a < argc; ++a) {
        engine::Trace t = engine::load_trace(argv[a]);
        std::string stem = fs::path(argv[a]).stem().string();
        add_parse_seed(parse, "file-" + stem + ".json", t);
        engine::Trace bare = t; // without its recorded outcomes
        for (auto &op : bare.ops) op.recorded = {};
        if (add_diff_seed(diff, "file-" + stem, bare)) ++n;
    }

    // Findings against mutants: traces with recorded outcomes.
    unsigned findings = 0;
    for (const auto &d : models::bundled_drivers()) {
        unsigned per_driver = 0;
        for (const auto &m : d.mutants) {
            if (per_driver >= 6) break;
            const svac_driver_ops *ops = models::mutant_ops(d, m);
            for (uint64_t i = 0; i < 200; ++i) {
                engine::GenConfig cfg;
                cfg.arch_mask = ops->arch_mask;
                engine::Rng rng(engine::Rng::derive(0xf1d, i));
                engine::Trace t = engine::generate_trace(rng, cfg);
                engine::RunStats stats;
                std::optional<engine::Finding> f;
                try {
                    f = engine::run_differential(*ops, t, stats);
                } catch (const engine::DriverError &) {
                    continue;
                }
                if (!f) continue;
                add_parse_seed(
                    parse, "finding-" + std::string(d.name) + "-" + std::string(m.name) + ".json",
                    f->trace);
                ++findings;
                ++per_driver;
                break;
            }
        }
    }

    // hw_walk: pseudo-random inputs.
    engine::Rng rng(0x4a11);
    static constexpr std::size_t kSizes[] = {16, 64, 128, 256, 512, 1024};
    for (unsigned i = 0; i < 24; ++i) {
        std::vector<uint8_t> bytes(kSizes[i % std::size(kSizes)]);
        for (auto &b : bytes) b = static_cast<uint8_t>(rng.next());
        char name[32];
        std::snprintf(name, sizeof name, "random-%02u", i);
        write(hw / name, bytes.data(), bytes.size());
    }
    std::cout << "corpus_gen: " << n << " sva_diff seeds, " << findings
              << " finding traces, 24 hw_walk seeds in " << out.string() << "\n";
    return 0;
}
