#!/bin/bash -eu
# Builds sva-conform's libFuzzer targets the OSS-Fuzz way: compilers and
# flags from $CC $CXX $CFLAGS $CXXFLAGS, the fuzzing engine from
# $LIB_FUZZING_ENGINE, everything into $OUT: each target with
# <target>_seed_corpus.zip, <target>.dict and <target>.options.
# Runs in ClusterFuzzLite's image (Dockerfile) and, for the test suite, on
# this machine (fuzz/run-cfl-build-test).
SRC_DIR=${SVAC_SRC:-$(cd "$(dirname "$0")/.." && pwd)}
BUILD=${WORK:-/tmp}/sva-conform-build

# Only the libraries the targets need (SVAC_FUZZ_ONLY), fmt header-only; the
# sanitizer and coverage flags come in through CFLAGS/CXXFLAGS untouched.
cmake -S "$SRC_DIR" -B "$BUILD" -G Ninja \
    -DCMAKE_BUILD_TYPE=None \
    -DCMAKE_C_COMPILER="$CC" -DCMAKE_CXX_COMPILER="$CXX" \
    -DCMAKE_C_FLAGS="$CFLAGS" -DCMAKE_CXX_FLAGS="$CXXFLAGS" \
    -DSVAC_FUZZ_ONLY=ON -DSVAC_FUZZ_ENGINE="$LIB_FUZZING_ENGINE"
cmake --build "$BUILD" --target fuzz -j"$(nproc)"

for t in sva_diff hw_walk trace_parse; do
    cp "$BUILD/fuzz/$t" "$OUT/$t"
    cp "$SRC_DIR/fuzz/$t.dict" "$OUT/$t.dict"
    cp "$SRC_DIR/fuzz/$t.options" "$OUT/$t.options"
    rm -f "$OUT/${t}_seed_corpus.zip"
    # Flat zip of the seeds (python3: the image need not have zip).
    (cd "$SRC_DIR/corpus/$t" && python3 -m zipfile -c "$OUT/${t}_seed_corpus.zip" ./*)
done
