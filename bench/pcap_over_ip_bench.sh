#!/bin/bash
# PCAP-over-IP in, side by side with the file import it should keep up with: the same capture
# (>= 1 GiB of mixed TCP, bench/gen_traffic) recorded by `kagami record --read FILE` and sent
# over loopback TCP to `kagami record --pcap-over-ip-listen` (the sender: `cat FILE` into a
# socket, as `tcpdump -w - | nc` does), both with --no-analyzers (the core: archive, flows,
# sessions) and with every analyzer. Best wall time of RUNS each; prints a Markdown table.
#
#   bench/pcap_over_ip_bench.sh [capture-bytes] [runs]
set -euo pipefail
cd "$(dirname "$0")/.."
BENCH_NAME=poip
source bench/common.sh
bytes=${1:-1100000000}
runs=${2:-3}
out=bench/out
mkdir -p "$out"
[ -x build/src/app/kagami ] || ./scripts/build.sh
pcap="$out/mixed-$bytes.pcap"
[ -f "$pcap" ] || build/bench/gen_traffic --bytes "$bytes" --out "$pcap"
size=$(stat -c %s "$pcap")
cat "$pcap" >/dev/null

# best SECONDS of $runs runs of the function given
best_of() {
  local best=""
  for _ in $(seq "$runs"); do
    rm -rf "$w/store"
    local t0 t1 secs
    t0=$(date +%s.%N)
    "$@"
    t1=$(date +%s.%N)
    secs=$(awk "BEGIN{print $t1 - $t0}")
    if [ -z "$best" ] || awk "BEGIN{exit !($secs < $best)}"; then best=$secs; fi
  done
  echo "$best"
}

import() { build/src/app/kagami record -q "$@" --read "$pcap" --store "$w/store" 2>/dev/null; }
# The recorder listens; the sender connects, sends the file and closes; the recorder is
# stopped once it has taken every packet (its summary line says how many).
streamed() {
  local port
  port=$(free_port)
  build/src/app/kagami record --stats "$@" --pcap-over-ip-listen "127.0.0.1:$port" \
    --store "$w/store" 2>"$w/rec.txt" &
  local rec=$!
  wait_port "$port"
  python3 -c '
import socket, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
with open(sys.argv[2], "rb") as f:
    while True:
        b = f.read(1 << 20)
        if not b:
            break
        s.sendall(b)
s.close()' "$port" "$pcap"
  # Taken when the recorder logs that the sender went away (everything read by then).
  for _ in $(seq 6000); do
    grep -q "went away" "$w/rec.txt" && break
    sleep 0.05
  done
  kill -INT "$rec"
  wait "$rec"
}

echo "| mode | file import (s) | pcap-over-IP (s) | pcap-over-IP MB/s | ratio to import |"
echo "|---|---|---|---|---|"
for mode in core analyzers; do
  args=()
  [ "$mode" = core ] && args=(--no-analyzers)
  a=$(best_of import "${args[@]}")
  b=$(best_of streamed "${args[@]}")
  awk -v m="$mode" -v a="$a" -v b="$b" -v s="$size" \
    'BEGIN{printf "| %s | %.2f | %.2f | %.0f | %.2f |\n", m, a, b, s / b / 1e6, a / b}'
done
