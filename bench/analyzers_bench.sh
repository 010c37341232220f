#!/bin/bash
# Analyzer throughput, side by side in one run on one generated capture of application
# traffic (bench/gen_traffic --apps: HTTP/1.1 downloads and uploads, SMTP with attachments):
# `kagami record --no-analyzers` (the core: archive, flows, reassembly, sessions) against
# `kagami record` with every analyzer, file extraction (SHA-256, MD5, libmagic type, zstd
# store) and MIME parsing: into a fresh store and into one whose object directories exist
# (a store in service), on the default threads and on one flow worker.
# Prints a Markdown table for BENCHMARKS.md.
#
#   bench/analyzers_bench.sh [capture-bytes] [runs]
set -euo pipefail
cd "$(dirname "$0")/.."
bytes=${1:-500000000}
runs=${2:-3}
out=bench/out
mkdir -p "$out"
[ -x build/src/app/kagami ] || ./scripts/build.sh
pcap="$out/apps-$bytes.pcap"
[ -f "$pcap" ] || build/bench/gen_traffic --apps --bytes "$bytes" --out "$pcap" --concurrency 1000
packets=$(build/bench/pcap_bare_read "$pcap" | awk '{print $2}')
size=$(stat -c %s "$pcap")
cat "$pcap" >/dev/null

# Stores are made fresh for every run and removed only at the end: deleting thousands of
# files just before a run makes ext4 slow to allocate inodes (it skips inodes deleted in the
# last one to five minutes, reading their table blocks), which would charge the analyzers for
# the benchmark's own clean-up. Leave five minutes between two invocations.
stores=$(mktemp -d "$out/stores-XXXXXX")
# A store that has run for a while has all 65,536 object directories (files/ab/cd); a fresh
# one makes them as objects arrive, one or two mkdir per object at first.
warm_store() {
  local store=$1
  python3 -c "import os,sys; [os.makedirs(f'{sys.argv[1]}/files/{a:02x}/{b:02x}') for a in range(256) for b in range(256)]" "$store"
}

time_cmd() {  # LABEL ARGS... -> "label secs kib"; the last run's store stays as $stores/last
  local label=$1 best="" rss="" store warm=0
  shift
  if [ "${1:-}" = --warm ]; then
    warm=1
    shift
  fi
  for _ in $(seq "$runs"); do
    store=$(mktemp -d "$stores/run-XXXXXX")
    [ $warm = 1 ] && warm_store "$store"
    /usr/bin/time -f "%e %M" -o "$out/time.txt" build/src/app/kagami record -q "$@" \
      --read "$pcap" --store "$store" >/dev/null 2>"$out/stderr.txt" || {
      cat "$out/stderr.txt" >&2
      exit 1
    }
    read -r secs kib <"$out/time.txt"
    if [ -z "$best" ] || awk "BEGIN{exit !($secs < $best)}"; then best=$secs rss=$kib; fi
  done
  ln -sfn "$store" "$stores/last"
  echo "$label $best $rss"
}

results=()
results+=("$(time_cmd core --no-analyzers)")
results+=("$(time_cmd analyzers)")
store=$(readlink "$stores/last")
results+=("$(time_cmd analyzers-warm-store --warm)")
results+=("$(time_cmd analyzers-1-worker --workers 1)")
http=$(build/src/app/kagami http --store "$store" --json | wc -l)
mail=$(build/src/app/kagami mail --store "$store" --json | wc -l)
files=$(build/src/app/kagami files --store "$store" --json | wc -l)
file_bytes=$(du -sb "$store/files" | cut -f1)

core=$(echo "${results[0]}" | awk '{print $2}')
echo
echo "Capture: $size bytes, $packets packets (bench/gen_traffic --apps): $http HTTP transactions, $mail mail messages, $files file sightings ($((file_bytes >> 20)) MiB stored, compressed)."
echo "Machine: $(nproc) cores ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)), $(free -g | awk '/Mem:/{print $2}') GiB; best of $runs runs."
echo
echo "| contender | seconds | Gbit/s | peak RSS | vs core |"
echo "|---|---:|---:|---:|---:|"
for r in "${results[@]}"; do
  read -r label secs kib <<<"$r"
  awk -v l="$label" -v s="$secs" -v k="$kib" -v b="$size" -v core="$core" \
    'BEGIN{printf "| %s | %.2f | %.2f | %.0f MiB | %.0f%% |\n", l, s, b*8/s/1e9, k/1024, 100*core/s}'
done
rm -rf "$stores"
