// libFuzzer target: arbitrary bytes into the trace parser. Either a located
// InputError, or a trace that prints and parses back to an equal trace.
#include "engine/trace.h"

#include <cstdio>
#include <cstdlib>
#include <string_view>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    using namespace svac::engine;
    std::string_view text(reinterpret_cast<const char *>(data), size);
    Trace trace;
    try {
        trace = parse_trace(text, "fuzz");
    } catch (const InputError &e) {
        // A located error names its source first.
        if (std::string_view(e.what()).substr(0, 6) != "fuzz: ") {
            std::fprintf(stderr, "trace_parse: an error without its place: %s\n", e.what());
            std::abort();
        }
        return 0;
    }
    std::string printed = trace_to_json(trace).dump(2);
    Trace back;
    try {
        back = parse_trace(printed, "printed");
    } catch (const InputError &e) {
        std::fprintf(stderr, "trace_parse: the printed trace does not parse: %s\n%s\n", e.what(),
                     printed.c_str());
        std::abort();
    }
    if (!(back == trace)) {
        std::fprintf(stderr, "trace_parse: the printed trace parses to another trace:\n%s\n%s\n",
                     printed.c_str(), trace_to_json(back).dump(2).c_str());
        std::abort();
    }
    (void)print_trace(trace);
    return 0;
}
