# sva-conform: the two commands a newcomer needs.
#   make run    set up, build, run a conformance campaign on the bundled drivers
#   make test   set up, build (and a sanitizer build), run every test
# Also: make capture, make linux-drivers, make fuzz-linux, make linux-coverage, make build, make stress-tests, make bench, make bench-fuzz, make fuzz, make fuzz-corpus, make format, make clean,
#   make install PREFIX=DIR (the SDK: sva-conform, the ABI header, the CMake package, the docs).

DRIVERS ?= smmuv3 vtd
SEED ?= 1
SEQUENCES ?= 20000
OUT ?= reports/latest
PREFIX ?= $(HOME)/.local
BUILD := build/default
ASAN := build/asan
CLI := $(BUILD)/sva-conform

.PHONY: all deps capture-deps capture linux-src linux-drivers build build-asan run test test-default test-asan stress-tests install bench bench-fuzz fuzz fuzz-corpus fuzz-linux linux-coverage format format-check clean

all: build

deps:
	@scripts/install-deps

# Debian's linux-source packages, the part the kernel plugins compile
# unpacked once into build/linux-src/ (docs/linux-drivers.md).
LINUX_VERSIONS := 6.12 6.1
linux-src: deps
	@scripts/linux-sources build/linux-src $(LINUX_VERSIONS)

$(BUILD)/build.ninja: | deps linux-src
	cmake --preset default

# Linux's own SVA drivers as plugins: $(BUILD)/kshim/linux-<version>-<driver>.so.
linux-drivers: deps linux-src $(BUILD)/build.ninja
	cmake --build --preset default --target linux-drivers

build: deps linux-src $(BUILD)/build.ninja
	cmake --build --preset default

$(ASAN)/build.ninja: | deps linux-src
	cmake --preset asan

build-asan: deps linux-src $(ASAN)/build.ninja
	cmake --build --preset asan

# One campaign per bundled driver; each writes $(OUT)/<driver>/report.{json,
# html,xml,md,sarif} (and findings/), and the first driver's are also in $(OUT)/.
REPORT_FILES := report.json report.html report.xml report.md report.sarif
run: build
	@status=0; first=1; \
	for d in $(DRIVERS); do \
	  echo "== $$d"; \
	  $(CLI) run --driver $$d --seed $(SEED) --sequences $(SEQUENCES) --out $(OUT)/$$d || status=$$?; \
	  if [ $$first = 1 ]; then \
	    for f in $(REPORT_FILES); do cp $(OUT)/$$d/$$f $(OUT)/$$f || status=3; done; \
	    rm -rf $(OUT)/findings; \
	    if [ -d $(OUT)/$$d/findings ]; then cp -r $(OUT)/$$d/findings $(OUT)/findings; fi; \
	    first=0; \
	  fi; \
	done; \
	echo "reports in $(OUT)/: $(REPORT_FILES); open $(OUT)/report.html"; exit $$status

test: test-default test-asan format-check

test-default: build capture-deps
	ctest --preset default

# What tools/capture-qemu boots: Debian's QEMU, and Debian's Linux 6.1 kernels
# and busybox-static for arm64 and amd64, cached in build/capture-cache/
# (docs/capture.md). The tests capture.qemu-* use them.
capture-deps: deps
	@scripts/capture-deps all build/capture-cache

# Boots Linux under QEMU with each emulated IOMMU, captures its tables and
# judges them (check-tables --probe-mapped): reports/capture/<mode>/.
CAPTURE_MODES := smmuv3 vtd vtd-legacy
capture: build capture-deps
	@status=0; for m in $(CAPTURE_MODES); do \
	  echo "== $$m"; \
	  tools/capture-qemu $$m reports/capture/$$m --trace --check $(CLI) || status=$$?; \
	done; exit $$status

test-asan: build-asan
	ctest --preset asan

# The tests labelled "timing" (time limits, signals, children, budgets),
# STRESS_RUNS times in a row under a saturating CPU load, both builds.
STRESS_RUNS ?= 20
stress-tests: build build-asan
	scripts/stress-tests default $(STRESS_RUNS)
	scripts/stress-tests asan $(STRESS_RUNS)

# The SDK a vendor builds a driver against (README, "Writing and testing your
# own driver"): $(PREFIX)/bin/sva-conform, include/svac/driver_abi.h and
# lib/cmake/sva-conform/ (find_package(sva-conform)).
install: build
	cmake --install $(BUILD) --prefix "$(PREFIX)"

bench: build
	$(BUILD)/bench/svac_bench --benchmark_min_time=1

# Executions/s of the fuzz targets against an empty target, both build modes.
bench-fuzz: deps
	bench/fuzz-bench

# The libFuzzer targets (clang-14, ASan+UBSan): $(ASAN)/fuzz/{sva_diff,hw_walk,trace_parse}.
fuzz: deps $(ASAN)/build.ninja
	cmake --build --preset asan --target fuzz

# Linux's SMMUv3 driver under libFuzzer (the fuzz preset: no sanitizers, the
# plugin's own code instrumented): FUZZ_TIME seconds into FUZZ_LINUX_OUT.
# Findings are a verdict (exit 1), not a failure of the target.
FUZZ_TIME ?= 600
FUZZ_LINUX_OUT ?= reports/fuzz-linux-6.12
fuzz-linux: deps linux-src
	cmake --preset fuzz
	cmake --build --preset fuzz --target sva-conform sva_diff linux-6.12-arm-smmu-v3
	build/fuzz/sva-conform fuzz --target sva_diff --profile linux-6.12 --time $(FUZZ_TIME) \
	  --driver-lib build/fuzz/kshim/linux-6.12-arm-smmu-v3.so --out $(FUZZ_LINUX_OUT) || [ $$? = 1 ]

# The lines of the driver's files that corpus reaches (clang source-based coverage).
linux-coverage: deps linux-src
	scripts/linux-coverage $(FUZZ_LINUX_OUT)/corpus $(FUZZ_LINUX_OUT)/coverage

# Rewrites the committed seed corpora (corpus/<target>/).
fuzz-corpus: fuzz
	rm -rf corpus
	$(ASAN)/fuzz/corpus_gen corpus examples/traces/*.json

format:
	git ls-files '*.cpp' '*.h' '*.c' | xargs clang-format-14 -i

format-check:
	@git ls-files '*.cpp' '*.h' '*.c' | xargs clang-format-14 --dry-run --Werror

clean:
	rm -rf build
