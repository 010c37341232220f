#!/bin/bash
# Investigator query latency on a large embedded store, against the issue's limit (p95 under
# 200 ms): fills bench/out/search-store once (10 million sessions, 20 million HTTP
# transactions with their URLs in the full-text index, a million file sightings), then runs
# each typical query RUNS times with different values through the console's code path (the
# search, its capped count and the page's 50 records), then what one console page asks for
# besides it. Prints the machine and two Markdown tables.
#
#   bench/search_bench.sh [sessions] [runs]
set -euo pipefail
cd "$(dirname "$0")/.."
sessions=${1:-10000000}
runs=${2:-50}
store=bench/out/search-store-$sessions
[ -x build/bench/search_bench ] || ./scripts/build.sh
mkdir -p "$store"
if [ ! -f "$store/populated" ]; then
  rm -f "$store"/index.sqlite*
  start=$(date +%s)
  build/bench/search_bench populate "$store" "$sessions"
  echo "populate: $(( $(date +%s) - start )) s, $(du -sh "$store" | cut -f1)" | tee "$store/populated"
fi
echo "machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo), $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)"
echo "store: $sessions sessions, $(cat "$store/populated")"
# Cold for the first query of each kind only in the sense of SQLite's own cache: the file
# system cache holds what fits, as on a console that has been up a while.
build/bench/search_bench query "$store" "$runs"
# What one console page asks for besides the search (the histogram, a sort, the field values,
# the talkers, a CSV export, the dashboard).
echo
build/bench/search_bench pages "$store" "$runs"
