#!/usr/bin/env bash
# Live capture at increasing rates: Debian's tcpreplay sends a generated office capture
# (gen_traffic --apps: HTTP, mail, FTP, DNS with files) into one end of a veth pair, looped with
# --unique-ip so every loop's connections are new, while `kagami record --interface` captures
# the other end inside a network namespace. Per rate, with the analyzers on and off: what
# tcpreplay sent, what the kernel dropped, what the archive kept, what the analysis dropped
# (capture.internal_drops), what it analysed late from its backlog and how far behind it fell,
# and whether the index caught up (sessions, against the offline import's times the loops) —
# next to the same capture's offline import rate on this machine, as ratios of it. WORKERS
# (default 1) flow workers: with none (a 2-core default) the capture thread analyses itself and
# there is no backlog. BACKLOG_MB (default 4096): the backlog per worker (0: drop, as before it
# existed). Needs root (veth, netns).
#   bench/live_rate.sh [RATES_MBIT] [LOOPS] [CAPTURE_BYTES]   (defaults "100 200 300 400 600 800", 3, 200000000)
set -euo pipefail
cd "$(dirname "$0")/.."
BENCH_NAME=live-rate . bench/common.sh
K=$PWD/build/src/app/kagami
G=$PWD/build/bench/gen_traffic
[ -x "$K" ] && [ -x "$G" ] || { echo "build kagami and gen_traffic first" >&2; exit 2; }
command -v tcpreplay >/dev/null || { echo "tcpreplay is needed (scripts/setup.sh installs it)" >&2; exit 2; }
[ "$(id -u)" = 0 ] || { echo "needs root (a veth pair in a network namespace)" >&2; exit 2; }
rates=${1:-100 200 300 400 600 800}
loops=${2:-3}
bytes=${3:-200000000}
ns=kagami-rate-$$
cleanup_net() {
  ip link del kgr-a-$$ 2>/dev/null || true
  ip netns del "$ns" 2>/dev/null || true
}
trap 'cleanup_net; cleanup' EXIT

"$G" --bytes "$bytes" --out "$w/in.pcap" --apps --concurrency 200 >/dev/null
size=$(stat -c %s "$w/in.pcap")
packets=$(python3 - "$w/in.pcap" <<'PY'
import struct, sys
d = open(sys.argv[1], "rb").read()
at, n = 24, 0
while at + 16 <= len(d):
    at += 16 + struct.unpack_from("<I", d, at + 8)[0]
    n += 1
print(n)
PY
)

# The offline rate: the same capture imported from the page cache, analyzers on and off, less
# what starting takes (an empty capture imported: the rules and detectors loaded).
head -c 24 "$w/in.pcap" >"$w/empty.pcap"
import_secs() {
  rm -rf "$w/offline"
  /usr/bin/time -f "%e" -o "$w/t" "$K" record --quiet --config "$w/k.toml" "${@:2}" --read "$1" \
    --store "$w/offline" >/dev/null 2>&1
  cat "$w/t"
}
offline() {
  local full empty
  full=$(import_secs "$w/in.pcap" "$@")
  sqlite3 "$w/offline/index.sqlite" "select count(*) from sessions" >"$w/offline-sessions"
  empty=$(import_secs "$w/empty.pcap" "$@")
  awk -v b="$size" -v f="$full" -v e="$empty" 'BEGIN {printf "%.0f", b * 8 / (f - e) / 1e6}'
}
printf "[recorder]\nworkers = %s\nworker_backlog_mb = %s\n" "${WORKERS:-1}" "${BACKLOG_MB:-4096}" >"$w/k.toml"
cat "$w/in.pcap" >/dev/null
off_on=$(offline)
off_sessions=$(cat "$w/offline-sessions")
off_off=$(offline --no-analyzers)

ip netns add "$ns"
ip link add "kgr-a-$$" type veth peer name kgr-b netns "$ns"
# Generated frames are ordinary Ethernet; a large MTU keeps any jumbo one from being refused.
ip link set "kgr-a-$$" mtu 65535 up
ip netns exec "$ns" ip link set kgr-b mtu 65535 up
ip netns exec "$ns" ip link set lo up

counter() { awk -v k="$1" '$1 == k {print $2; f=1} END {if (!f) print 0}' "$2"; }

run_rate() {  # RATE ANALYZERS(on|off) -> one table row
  local rate=$1 mode=$2 extra=()
  [ "$mode" = off ] && extra=(--no-analyzers)
  rm -rf "$w/store"
  ip netns exec "$ns" "$K" record --interface kgr-b --store "$w/store" --stats \
    --config "$w/k.toml" "${extra[@]}" 2>"$w/rec.err" &
  local rec=$!
  pids+=("$rec")
  for _ in $(seq 100); do grep -q "recording kgr-b" "$w/rec.err" && break; sleep 0.1; done
  local sent
  sent=$(tcpreplay -i "kgr-a-$$" --mbps "$rate" --loop "$loops" --unique-ip "$w/in.pcap" 2>&1 |
    awk '/Actual:/ {print $2; exit}')
  # The capture's idle timeout ends the last sessions; then the recorder stops and counts.
  sleep 3
  kill -INT "$rec"
  wait "$rec" || true
  local kernel archived analysis late lag sessions
  kernel=$(counter source.kernel_dropped "$w/rec.err")
  archived=$(counter archive.packets "$w/rec.err")
  analysis=$(counter capture.internal_drops "$w/rec.err")
  late=$(counter analysis.backlogged "$w/rec.err")
  lag=$(counter analysis.lag_peak_ms "$w/rec.err")
  sessions=$(sqlite3 "$w/store/index.sqlite" "select count(*) from sessions" 2>/dev/null || echo 0)
  local offline_rate=$off_on
  [ "$mode" = off ] && offline_rate=$off_off
  awk -v r="$rate" -v m="$mode" -v s="$sent" -v k="$kernel" -v a="$archived" -v d="$analysis" \
    -v l="$late" -v g="$lag" -v n="$sessions" -v x="$((off_sessions * loops))" -v o="$offline_rate" 'BEGIN {
      printf "| %d | %s | %.2f | %d | %d | %d (%.2f%%) | %d | %d | %.1f | %d of %d |\n", r, m, r / o, s,
        k, a, s ? 100 * a / s : 0, d, l, g / 1000, n, x }'
}

echo "Capture: $size bytes, $packets packets, looped $loops times with --unique-ip."
echo "Offline import (page cache, all cores, start-up excluded): analyzers on $off_on Mbit/s, off $off_off Mbit/s."
echo
echo "| Mbit/s | analyzers | of offline | sent | kernel dropped | archived | analysis dropped | analysed late | lag peak (s) | sessions |"
echo "|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|"
for rate in $rates; do
  for mode in on off; do run_rate "$rate" "$mode"; done
done
