// Inputs made to size, for the tests and benchmarks of input limits and of
// the reference's bookkeeping: JSON nested n levels deep, and a trace that
// binds n mms one after another.
#pragma once

#include <cstdint>
#include <string>

namespace svac::test_support {

// {"deep": [[[...]]], "after": 1}: an object holding `depth` - 1 nested
// arrays, then another key (about 2 * depth bytes).
inline std::string deep_json(std::size_t depth) {
    return "{\"deep\":" + std::string(depth - 1, '[') + std::string(depth - 1, ']') +
           ",\"after\":1}";
}

// The byte column (1-based) of the bracket that opens level `level` of
// deep_json: the object is level 1 at column 1, its key takes 7 more.
inline std::size_t deep_json_column(std::size_t level) {
    return level == 1 ? 1 : 8 + (level - 1);
}

// A trace ("sva-trace/1") in which one device with SVA enabled binds mms 0 to
// n - 1 in turn; the binds record no PASID, so the reference's policy picks
// the lowest free one for each (mm + 1).
inline std::string bind_trace_text(uint32_t n) {
    std::string t = R"({"format": "sva-trace/1", "profile": "rfc2019", "topology": {)"
                    R"("iommus": [{"arch": "smmuv3", "pasid_bits": 20, "sva": true}], )"
                    R"("devices": [{"iommu": 0, "pasid_bits": 20, "pri": true, "stall": false, )"
                    R"("ats": true}], "mms": )" +
                    std::to_string(n) +
                    R"(}, "ops": [{"op": "enable_feature", "dev": 0, "feat": "sva", "rc": 0})";
    for (uint32_t mm = 0; mm < n; ++mm)
        t += ",\n{\"op\": \"bind\", \"dev\": 0, \"mm\": " + std::to_string(mm) +
             ", \"drvdata\": " + std::to_string(100 + mm) + ", \"rc\": 0}";
    return t + "]}\n";
}

} // namespace svac::test_support
