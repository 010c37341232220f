#!/bin/bash
# Builds every libFuzzer target with clang (ASan + UBSan) and runs each for a bounded time,
# seeded from ../shared/corpus. Usage: scripts/fuzz.sh [seconds-per-target]
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-30}
build=build-fuzz
CC=clang CXX=clang++ cmake -S . -B "$build" -G Ninja -DKAGAMI_FUZZERS=ON \
  -DCMAKE_BUILD_TYPE=Debug "-DCMAKE_CXX_FLAGS_DEBUG=-O1 -gline-tables-only" \
  "-DCMAKE_C_FLAGS_DEBUG=-O1 -gline-tables-only" >/dev/null
targets=$(cd tests/fuzz && ls fuzz_*.cc | sed 's/\.cc$//')
cmake --build "$build" --target $targets

# Leaks inside Debian's libraries are listed in lsan.supp; matching them needs whole stacks
# (GLib has no frame pointers), which costs little here.
export LSAN_OPTIONS="suppressions=$PWD/scripts/lsan.supp"
export ASAN_OPTIONS="fast_unwind_on_malloc=0"
seeds="$build/seeds"
rm -rf "$seeds"
if [ -d ../shared/corpus/pcap ]; then python3 scripts/fuzz_seeds.py ../shared/corpus/pcap "$seeds"; fi
status=0
for t in $targets; do
  work="$build/fuzz-work/$t"
  rm -rf "$work" && mkdir -p "$work/corpus"
  [ -d "$seeds/$t" ] && cp "$seeds/$t"/* "$work/corpus/"
  echo "fuzz: $t for ${seconds}s"
  if ! (cd "$work" && "../../tests/fuzz/$t" -max_total_time="$seconds" -rss_limit_mb=2048 \
          -timeout=10 -print_final_stats=1 corpus > log.txt 2>&1); then
    echo "fuzz: $t FAILED; crash input and log under $work" >&2
    tail -40 "$work/log.txt" >&2
    status=1
  else
    grep -E "stat::number_of_executed_units" "$work/log.txt" | sed "s/^/fuzz: $t /"
  fi
done
exit $status
