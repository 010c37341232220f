#!/bin/bash
# Unit tests built with clang: all of them under AddressSanitizer + UndefinedBehaviorSanitizer,
# and the threaded parts (queues, recorder pipeline, mirror) under ThreadSanitizer.
set -euo pipefail
cd "$(dirname "$0")/.."
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
export LSAN_OPTIONS="suppressions=$PWD/scripts/lsan.supp"
export TSAN_OPTIONS=halt_on_error=1

run_units() {  # build dir, sanitizer, units...
  local build=$1 kind=$2
  shift 2
  # -O1 with line tables only: a third of the compile time of -O2 -g, fast enough to test,
  # and reports still name file and line.
  CC=clang CXX=clang++ cmake -S . -B "$build" -G Ninja -DKAGAMI_SANITIZE="$kind" \
    -DKAGAMI_BENCH=OFF -DCMAKE_BUILD_TYPE=Debug "-DCMAKE_CXX_FLAGS_DEBUG=-O1 -gline-tables-only" \
    "-DCMAKE_C_FLAGS_DEBUG=-O1 -gline-tables-only" >/dev/null
  cmake --build "$build" --target "$@"
  for u in "$@"; do
    echo "sanitize ($kind): $u"
    "$build/tests/$u" --gtest_brief=1
  done
}

mapfile -t units < <(cd tests/unit && ls -d */ | tr -d / | sed 's/^/unit_/')
run_units build-asan address "${units[@]}"
run_units build-tsan thread unit_base unit_recorder unit_mirror
