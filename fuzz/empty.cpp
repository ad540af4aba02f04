// libFuzzer target that does nothing: the benchmark's yardstick for the cost
// of libFuzzer itself, built exactly as the other targets.
#include <cstddef>
#include <cstdint>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    (void)data;
    (void)size;
    return 0;
}
