#!/usr/bin/env bash
# kill -9 a recorder over and over, mid-stream: a live pcap-over-IP recording (paced), and an
# import. After each kill the next run on the store must recover (the open archive file cut to
# its last complete record and sealed `recovered`), `kagami verify --strict` must pass and the
# index must answer. For live capture the packets a sender had handed to TCP but the store
# lacks after recovery are the loss; divided by the rate, the loss window in milliseconds.
#   bench/crash_loop.sh [LIVE_RUNS] [IMPORT_RUNS]      (defaults 100 and 30)
set -euo pipefail
cd "$(dirname "$0")/.."
BENCH_NAME=crash . bench/common.sh
K=$PWD/build/src/app/kagami
G=$PWD/build/bench/gen_traffic
[ -x "$K" ] && [ -x "$G" ] || { echo "build kagami and gen_traffic first" >&2; exit 2; }
live_runs=${1:-100}
import_runs=${2:-30}
rate_mb=${RATE_MB:-20}

"$G" --bytes 120000000 --out "$w/in.pcap" --apps --concurrency 500 >/dev/null
tiny=$PWD/../shared/corpus/pcap/smtp/zeek-smtp.pcap
tiny_packets=$(python3 -c "
import struct,sys; d=open(sys.argv[1],'rb').read(); n=0; at=24
while at+16<=len(d): at+=16+struct.unpack_from('<I',d,at+8)[0]; n+=1
print(n)" "$tiny")

# Sends the capture paced, record by record in 64 KiB chunks, until killed off; prints how
# many records went whole into the socket and the packets per second it was sending.
cat >"$w/send.py" <<'PY'
import socket, struct, sys, time
port, path, rate = int(sys.argv[1]), sys.argv[2], float(sys.argv[3]) * 1024 * 1024
d = open(path, "rb").read()
s = socket.create_connection(("127.0.0.1", port))
sent, pending, at, start = 0, 0, 24, time.time()
chunk = bytearray(d[:24])
try:
    while at + 16 <= len(d):
        n = struct.unpack_from("<I", d, at + 8)[0]
        chunk += d[at:at + 16 + n]
        at += 16 + n
        pending += 1
        if len(chunk) >= 65536:
            s.sendall(chunk)
            sent, pending = sent + pending, 0
            chunk = bytearray()
            ahead = (at / rate) - (time.time() - start)
            if ahead > 0:
                time.sleep(ahead)
except OSError:
    pass
el = time.time() - start
print(sent, int(sent / el) if el > 0 else 0)
PY

manifest_packets() {  # packets of the store's kept archive files
  python3 - "$1" <<'PY'
import sys
n = 0
gone = set()
rows = [l.rstrip("\n").split("\t") for l in open(sys.argv[1] + "/packets/MANIFEST") if not l.startswith("#")]
for r in rows:
    if r[10].startswith("evicted"): gone.add(r[1])
print(sum(int(r[5]) for r in rows if not r[10].startswith("evicted") and r[1] not in gone))
PY
}

fail=0
: >"$w/live.tsv"
for i in $(seq "$live_runs"); do
  store=$w/live-$i
  "$K" record --pcap-over-ip-listen 127.0.0.1:0 --store "$store" 2>"$w/rec.err" &
  rec=$!
  pids+=("$rec")
  port=$(listening_port "$w/rec.err")
  [ -n "$port" ] || { echo "run $i: recorder did not listen" >&2; cat "$w/rec.err" >&2; exit 1; }
  python3 "$w/send.py" "$port" "$w/in.pcap" "$rate_mb" >"$w/sent" &
  sender=$!
  sleep "$(python3 -c 'import random; print(round(random.uniform(1.0, 3.0), 2))')"
  kill -9 "$rec"
  wait "$rec" 2>/dev/null || true
  wait "$sender" || true
  read -r sent pps <"$w/sent"
  # The next run recovers the file the killed one left open.
  "$K" record --quiet --read "$tiny" --store "$store" 2>"$w/next.err" || { echo "run $i: restart failed" >&2; fail=1; }
  grep -q "recovered unsealed archive file" "$w/next.err" || { echo "run $i: nothing recovered" >&2; fail=1; }
  "$K" verify --strict --store "$store" >"$w/verify" || { echo "run $i: verify failed" >&2; cat "$w/verify" >&2; fail=1; }
  "$K" sessions --store "$store" --limit 1 >/dev/null 2>&1 || { echo "run $i: index does not answer" >&2; fail=1; }
  kept=$(( $(manifest_packets "$store") - tiny_packets ))
  lost=$(( sent - kept ))
  ms=$(python3 -c "print(round(1000 * $lost / $pps, 1) if $pps else 0)")
  printf "%s\t%s\t%s\t%s\t%s\n" "$i" "$sent" "$kept" "$lost" "$ms" >>"$w/live.tsv"
  rm -rf "$store"
done

: >"$w/import.tsv"
printf "[archive]\nverbatim_import = false\nmax_file_mb = 32\n" >"$w/frames.toml"
for i in $(seq "$import_runs"); do
  store=$w/import-$i
  # Every other import archives frame by frame (rotating files, one left open by the kill);
  # the others copy the input verbatim and are mostly killed during the analysis.
  config=()
  [ $((i % 2)) = 1 ] && config=(--config "$w/frames.toml")
  "$K" record --quiet --read "$w/in.pcap" --store "$store" "${config[@]}" 2>/dev/null &
  rec=$!
  pids+=("$rec")
  sleep "$(python3 -c 'import random; print(round(random.uniform(0.3, 2.5), 2))')"
  kill -9 "$rec" 2>/dev/null || true
  wait "$rec" 2>/dev/null || true
  "$K" record --quiet --read "$tiny" --store "$store" 2>"$w/next.err" || { echo "import $i: restart failed" >&2; fail=1; }
  "$K" verify --strict --store "$store" >"$w/verify" || { echo "import $i: verify failed" >&2; cat "$w/verify" >&2; fail=1; }
  "$K" sessions --store "$store" --limit 1 >/dev/null 2>&1 || { echo "import $i: index does not answer" >&2; fail=1; }
  recovered=$(grep -c "recovered unsealed" "$w/next.err" || true)
  printf "%s\t%s\n" "$i" "$recovered" >>"$w/import.tsv"
  rm -rf "$store"
done

python3 - "$w/live.tsv" "$w/import.tsv" "$rate_mb" <<'PY'
import sys
live = [l.split("\t") for l in open(sys.argv[1]).read().split("\n") if l]
imp = [l.split("\t") for l in open(sys.argv[2]).read().split("\n") if l]
if live:
    lost = sorted(int(r[3]) for r in live)
    ms = sorted(float(r[4]) for r in live)
    pick = lambda v, q: v[min(len(v) - 1, int(q * len(v)))]
    print(f"live kill -9 x{len(live)} at {sys.argv[3]} MiB/s: lost packets median {pick(lost, .5)}, "
          f"p95 {pick(lost, .95)}, max {lost[-1]}; loss window median {pick(ms, .5)} ms, "
          f"p95 {pick(ms, .95)} ms, max {ms[-1]} ms")
if imp:
    rec = sum(1 for r in imp if int(r[1]) > 0)
    print(f"import kill -9 x{len(imp)}: every restart verified; {rec} left an open file that was recovered")
PY
[ "$fail" = 0 ] && echo "crash loop: every restart recovered, verify --strict passed, the index answered"
exit "$fail"
