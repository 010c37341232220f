#!/bin/bash
# What masking credentials costs an export, side by side in one run: `kagami export` of every
# TCP session of a generated capture, as captured (--raw) and masked (the default),
# alternating, best of N. The scanner reads every TCP payload byte whether or not it finds a
# secret (the generated traffic holds none), so this is the cost of looking. Prints a
# Markdown table for BENCHMARKS.md.
#
#   bench/export_bench.sh [capture-bytes] [runs]
set -euo pipefail
cd "$(dirname "$0")/.."
bytes=${1:-300000000}
runs=${2:-3}
out=bench/out
mkdir -p "$out"
[ -x build/src/app/kagami ] || ./scripts/build.sh
pcap="$out/mixed-$bytes.pcap"
[ -f "$pcap" ] || build/bench/gen_traffic --bytes "$bytes" --out "$pcap"
BENCH_NAME=export-bench
# shellcheck source=bench/common.sh
source bench/common.sh
build/src/app/kagami record -q --read "$pcap" --store "$w/store"

# export_once [--raw]: wall seconds of one export of every TCP session
export_once() {
  /usr/bin/time -f "%e" -o "$w/time.txt" build/src/app/kagami export --store "$w/store" \
    --proto tcp "$@" -o "$w/out.pcap" 2>"$w/stderr.txt"
  cat "$w/time.txt"
}
best_raw="" best_masked=""
for _ in $(seq "$runs"); do
  r=$(export_once --raw)
  m=$(export_once)
  best_raw=$(awk -v a="$best_raw" -v b="$r" 'BEGIN{print (a == "" || b < a) ? b : a}')
  best_masked=$(awk -v a="$best_masked" -v b="$m" 'BEGIN{print (a == "" || b < a) ? b : a}')
done
summary=$(tail -1 "$w/stderr.txt")
size=$(stat -c %s "$w/out.pcap")
echo "## Exports with credentials masked: \`bench/export_bench.sh $bytes $runs\`"
echo "machine: $(nproc) cores, $(awk '/MemTotal/{printf "%.0f GiB", $2/1048576}' /proc/meminfo);" \
  "export of every TCP session: $((size >> 20)) MiB; $summary"
echo
echo "| export | best wall s | MB/s |"
echo "|---|---:|---:|"
for row in "raw $best_raw" "masked $best_masked"; do
  read -r label secs <<<"$row"
  echo "| $label | $secs | $(awk -v s="$size" -v t="$secs" 'BEGIN{printf "%.0f", s / 1e6 / t}') |"
done
echo
echo "masked / raw: $(awk -v a="$best_masked" -v b="$best_raw" 'BEGIN{printf "%.2f", a / b}')x the time"
