// SPDX-License-Identifier: MIT

#include "models/driver_source.h"

#include "models/registry.h"

#include <dlfcn.h>

namespace svac::models {

namespace {

template <class Range, class Name> std::string names_of(const Range &range, Name name) {
    std::string s;
    for (const auto &x : range) s += (s.empty() ? "" : ", ") + std::string(name(x));
    return s;
}

} // namespace

DriverLookup find_driver(std::string_view spec) {
    std::size_t colon = spec.find(':');
    std::string_view base = spec.substr(0, colon);
    const BundledDriver *b = find_bundled(base);
    if (!b)
        return {nullptr, "no bundled driver called \"" + std::string(base) + "\" (bundled: " +
                             names_of(bundled_drivers(), [](auto &d) { return d.name; }) + ")"};
    if (colon == std::string_view::npos) return {b->entry(), {}};
    std::string_view mutant = spec.substr(colon + 1);
    const Mutant *m = find_mutant(*b, mutant);
    if (!m)
        return {nullptr, "driver " + std::string(base) + " has no mutant called \"" +
                             std::string(mutant) + "\" (its mutants: " +
                             names_of(b->mutants, [](auto &k) { return k.name; }) + ")"};
    return {mutant_ops(*b, *m), {}};
}

DriverLookup load_plugin(const std::string &path) {
    // dlopen searches the library path for a bare name: a plugin is a file.
    std::string file = path.find('/') == std::string::npos ? "./" + path : path;
    void *handle = ::dlopen(file.c_str(), RTLD_NOW | RTLD_LOCAL);
    if (!handle) {
        const char *why = ::dlerror();
        return {nullptr, "cannot load " + path + ": " + (why ? why : "unknown loader error")};
    }
    using Entry = const svac_driver_ops *(*)();
    ::dlerror();
    void *sym = ::dlsym(handle, kPluginEntry);
    if (!sym) {
        ::dlclose(handle);
        return {nullptr, path + " does not export " + std::string(kPluginEntry) +
                             " (the one symbol a driver plugin exports; see driver_abi.h)"};
    }
    const svac_driver_ops *ops = reinterpret_cast<Entry>(sym)();
    if (!ops) return {nullptr, path + ": " + kPluginEntry + "() returned NULL"};
    return {ops, {}};
}

} // namespace svac::models
