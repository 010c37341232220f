#!/bin/bash
# `kagami reanalyze` against the import it repeats, side by side in one run on one generated
# capture of application traffic (bench/gen_traffic --apps): the import with every analyzer;
# an import with --no-analyzers filled by `reanalyze` (what a sensor that dropped does); and a
# second `reanalyze` of the analysed store (a hunt over everything, every record replaced).
# Each: wall seconds, MB/s of capture, the ratio to the import, peak RSS, and whether the
# sessions and HTTP records equal the import's. Prints a Markdown table for BENCHMARKS.md.
#
#   bench/reanalyze_bench.sh [capture-bytes] [runs]
set -euo pipefail
cd "$(dirname "$0")/.."
bytes=${1:-500000000}
runs=${2:-3}
BENCH_NAME=reanalyze
source bench/common.sh
out=bench/out
mkdir -p "$out"
[ -x build/src/app/kagami ] || ./scripts/build.sh
k=build/src/app/kagami
pcap="$out/apps-$bytes.pcap"
[ -f "$pcap" ] || build/bench/gen_traffic --apps --bytes "$bytes" --out "$pcap" --concurrency 1000
size=$(stat -c %s "$pcap")
cat "$pcap" >/dev/null

best() {  # CMD... -> "secs kib" of the fastest of $runs (the command prepares its own store)
  local b="" r=""
  for _ in $(seq "$runs"); do
    "$@"
    local s m
    read -r s m <"$w/t"
    if [ -z "$b" ] || awk "BEGIN{exit !($s < $b)}"; then b=$s r=$m; fi
  done
  echo "$b $r"
}
timed() { /usr/bin/time -f "%e %M" -o "$w/t" "$@" >/dev/null 2>"$w/err"; }

do_import() {
  rm -rf "$w/import"
  timed $k record -q --read "$pcap" --store "$w/import"
}
do_fill() {
  rm -rf "$w/fill"
  $k record -q --no-analyzers --read "$pcap" --store "$w/fill" 2>/dev/null
  timed $k reanalyze -q --store "$w/fill"
}
do_again() {  # the analysed import, reanalysed whole
  timed $k reanalyze -q --store "$w/import"
}
counts() {
  echo "$($k sessions --store "$1" --json | wc -l) $($k http --store "$1" --json | wc -l)"
}

read -r imp_s imp_m < <(best do_import)
want=$(counts "$w/import")
read -r fill_s fill_m < <(best do_fill)
fill_counts=$(counts "$w/fill")
read -r again_s again_m < <(best do_again)
again_counts=$(counts "$w/import")

mbs() { awk "BEGIN{printf \"%.1f\", $size/1e6/$1}"; }
ratio() { awk "BEGIN{printf \"%.2f\", $imp_s/$1}"; }
same() { [ "$1" = "$want" ] && echo "yes ($1)" || echo "NO ($1 vs $want)"; }
echo "capture: $((size / 1000000)) MB, $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs); best of $runs"
echo
echo "| run | seconds | MB/s | vs import | peak RSS MiB | sessions, HTTP as the import |"
echo "|---|---|---|---|---|---|"
echo "| import, every analyzer | $imp_s | $(mbs "$imp_s") | 1.00 | $((imp_m / 1024)) | ($want) |"
echo "| reanalyze after --no-analyzers | $fill_s | $(mbs "$fill_s") | $(ratio "$fill_s") | $((fill_m / 1024)) | $(same "$fill_counts") |"
echo "| reanalyze of the analysed store | $again_s | $(mbs "$again_s") | $(ratio "$again_s") | $((again_m / 1024)) | $(same "$again_counts") |"
