#!/bin/bash
# Two builds of Kagami side by side in one run, for a change that must not slow anything down
# (issue 15: no more than 5 %): the recorder with every analyzer on the mixed capture of
# record_bench.sh, the analyzers on one flow worker on the application capture of
# analyzers_bench.sh, and search_bench's queries on one store. Runs alternate between the two
# builds (before, after, before, ...) so drift in the machine hits both; each recording is
# given as the best of RUNS wall times and the median of RUNS CPU times (user + system: on a
# small shared machine the steadier of the two), each query as the median of its p50s.
# Stores are fresh directories removed only at the end (deleting thousands of files just
# before a run slows ext4's inode allocation, see analyzers_bench.sh). Prints a Markdown
# table with after/before ratios.
#
#   bench/compare_builds.sh BEFORE_BUILD_DIR AFTER_BUILD_DIR [runs] [apps-bytes] [sessions]
#                           [mixed-bytes]
set -euo pipefail
cd "$(dirname "$0")/.."
before=$(realpath "${1:?usage: $0 BEFORE_BUILD_DIR AFTER_BUILD_DIR [runs]}")
after=$(realpath "${2:?usage: $0 BEFORE_BUILD_DIR AFTER_BUILD_DIR [runs]}")
runs=${3:-5}
bytes=${4:-300000000}
sessions=${5:-1000000}
mixed_bytes=${6:-1100000000}
out=bench/out
mkdir -p "$out"
mixed="$out/mixed-$mixed_bytes.pcap"
apps="$out/apps-$bytes.pcap"
[ -f "$mixed" ] || "$after/bench/gen_traffic" --bytes "$mixed_bytes" --out "$mixed"
[ -f "$apps" ] || "$after/bench/gen_traffic" --apps --bytes "$bytes" --out "$apps" --concurrency 1000
cat "$mixed" "$apps" >/dev/null

stores=$(mktemp -d "$out/cmp-stores-XXXXXX")
trap 'rm -rf "$stores"' EXIT
# timed BUILD ARGS...: "wall cpu" seconds of `kagami ARGS` into a fresh store
timed() {
  local build=$1
  shift
  local store
  store=$(mktemp -d "$stores/s-XXXXXX")
  /usr/bin/time -f "%e %U %S" -o "$out/cmp-time.txt" "$build/src/app/kagami" "$@" --store "$store" \
    >/dev/null 2>"$out/cmp-stderr.txt" || {
    cat "$out/cmp-stderr.txt" >&2
    exit 1
  }
  awk '{printf "%s %.2f", $1, $2 + $3}' "$out/cmp-time.txt"
}
best() { sort -g | head -1; }
trim() { sed 's/^ *//; s/ *$//' <<<"$1"; }
median() { sort -g | awk '{v[NR]=$1} END {print v[int((NR+1)/2)]}'; }

declare -A wall cpu
for _ in $(seq "$runs"); do
  for side in before after; do
    build=${!side}
    read -r w c <<<"$(timed "$build" record -q --read "$mixed")"
    wall[record-$side]+="$w"$'\n'
    cpu[record-$side]+="$c"$'\n'
    read -r w c <<<"$(timed "$build" record -q --workers 1 --read "$apps")"
    wall[analyzers-$side]+="$w"$'\n'
    cpu[analyzers-$side]+="$c"$'\n'
  done
done

store="$out/cmp-search-$sessions"
if [ ! -f "$store/populated" ]; then
  rm -rf "$store" && mkdir -p "$store"
  "$after/bench/search_bench" populate "$store" "$sessions" >/dev/null 2>&1
  touch "$store/populated"
fi
declare -A p50
for _ in $(seq "$runs"); do
  for side in before after; do
    build=${!side}
    while IFS='|' read -r _ name _ _ p _; do
      name=$(trim "$name")
      p50["$name|$side"]+="$(trim "$p")"$'\n'
    done < <("$build/bench/search_bench" query "$store" 20 | grep '^| ' | tail -n +2)
  done
done

echo "machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo), $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)"
echo "before: $(git -C "$before/.." rev-parse --short HEAD 2>/dev/null || echo "$before"); after: $(git -C "$after/.." rev-parse --short HEAD 2>/dev/null || echo "$after"); best of $runs alternating runs"
echo
echo "| measure | before | after | after / before |"
echo "|---|---:|---:|---:|"
row() {
  awk -v n="$1" -v b="$2" -v a="$3" -v u="$4" \
    'BEGIN {printf "| %s | %s %s | %s %s | %s |\n", n, b, u, a, u, (b > 0 ? sprintf("%.3f", a / b) : "-")}'
}
for m in record analyzers; do
  label=$([ $m = record ] && echo "kagami record, all analyzers, mixed $((mixed_bytes / 1000000)) MB" ||
    echo "kagami record --workers 1, apps $((bytes / 1000000)) MB")
  row "$label: best wall" "$(printf '%s' "${wall[$m-before]}" | best)" \
    "$(printf '%s' "${wall[$m-after]}" | best)" s
  row "$label: median CPU" "$(printf '%s' "${cpu[$m-before]}" | median)" \
    "$(printf '%s' "${cpu[$m-after]}" | median)" s
done
for key in "${!p50[@]}"; do
  [[ $key == *"|before" ]] || continue
  name=${key%|before}
  b=$(printf '%s' "${p50[$name|before]}" | median)
  a=$(printf '%s' "${p50[$name|after]}" | median)
  row "search p50: $name ($sessions sessions)" "$b" "$a" ms
done | sort
