#!/usr/bin/env bash
# Soak: a recorder fed at a fixed rate for a long time (default an hour) with retention keeping
# a small store. Every minute: its resident memory, what it dropped (analysis, archive), the
# store's size and what retention evicted. All must stay flat. The samples go to a TSV and a
# PNG (gnuplot) next to BENCHMARKS.md's numbers.
#   bench/soak.sh [MINUTES] [MBIT_PER_S] [STORE_LIMIT]     (defaults 60, 100, 2G)
# RECORD_ARGS adds to the recorder's command line (say "--retain-metadata-age 15m": without a
# metadata horizon the index grows for as long as the soak runs, as it is meant to).
# The input is gen_traffic --apps (HTTP, mail, FTP, DNS with files), sent over pcap-over-IP in
# a loop, each frame stamped with the time the rate sends it (packet time runs with the wall);
# each loop rewrites the second octet of both IPv4 addresses so its connections are new ones.
set -euo pipefail
cd "$(dirname "$0")/.."
BENCH_NAME=soak . bench/common.sh
K=$PWD/build/src/app/kagami
G=$PWD/build/bench/gen_traffic
[ -x "$K" ] && [ -x "$G" ] || { echo "build kagami and gen_traffic first" >&2; exit 2; }
command -v gnuplot >/dev/null || { echo "gnuplot is needed (scripts/setup.sh installs it)" >&2; exit 2; }
minutes=${1:-60}
mbit=${2:-100}
limit=${3:-2G}
out=${OUT:-$PWD/bench/out}  # BENCHMARKS.md's plot is kept in docs/bench
mkdir -p "$out"

"$G" --bytes 300000000 --out "$w/in.pcap" --apps --concurrency 1000 >/dev/null
cat >"$w/send.py" <<'PY'
import socket, struct, sys, time
port, path, bps, seconds = int(sys.argv[1]), sys.argv[2], float(sys.argv[3]) * 1e6 / 8, float(sys.argv[4])
d = open(path, "rb").read()
recs, at = [], 24
while at + 16 <= len(d):
    n = struct.unpack_from("<I", d, at + 8)[0]
    recs.append((at, n))
    at += 16 + n
frac = 1e9 if d[:4] == b"\x4d\x3c\xb2\xa1" else 1e6  # nanosecond or microsecond pcap
s = socket.create_connection(("127.0.0.1", port))
s.sendall(d[:24])
# Each frame is stamped with the moment the rate sends it, as a capture on a link at that rate
# would stamp it: the recorder's clock (idle timeouts, file ages) runs with the wall's.
start, sent, loop = time.time(), 0, 0
while time.time() - start < seconds:
    buf = bytearray()
    for off, n in recs:
        head = bytearray(d[off:off + 16])
        ts = start + (sent + len(buf)) / bps
        struct.pack_into("<II", head, 0, int(ts), int((ts % 1) * frac))
        frame = bytearray(d[off + 16:off + 16 + n])
        if n >= 34 and frame[12:14] == b"\x08\x00":
            frame[27] = loop % 256  # second octet of the source and destination
            frame[31] = loop % 256
        buf += head + frame
        if len(buf) >= 1 << 18:
            s.sendall(buf)
            sent += len(buf)
            buf = bytearray()
            ahead = sent / bps - (time.time() - start)
            if ahead > 0:
                time.sleep(ahead)
            if time.time() - start >= seconds:
                break
    if buf:
        s.sendall(buf)
        sent += len(buf)
    loop += 1
s.close()
PY

store=$w/store
# shellcheck disable=SC2086  # RECORD_ARGS is words
"$K" record --pcap-over-ip-listen 127.0.0.1:0 --store "$store" --retain-bytes "$limit" \
  ${RECORD_ARGS:-} 2>"$w/rec.err" &
rec=$!
pids+=("$rec")
port=$(listening_port "$w/rec.err")
[ -n "$port" ] || { cat "$w/rec.err" >&2; exit 1; }
python3 "$w/send.py" "$port" "$w/in.pcap" "$mbit" $((minutes * 60)) &
sender=$!
pids+=("$sender")

tsv=$out/soak.tsv
printf "minute\trss_mib\tanalysis_drops\tarchive_dropped\tstore_mib\tfiles_evicted\tpackets\tanon_mib\tflows\tcontent_mib\n" >"$tsv"
sleep 5  # the recorder's first status
for m in $(seq 0 "$minutes"); do
  [ "$m" -gt 0 ] && sleep 60
  rss=$(awk '/VmRSS/ {print int($2 / 1024)}' "/proc/$rec/status")
  # The process's own memory; the rest of RSS is file pages (the index, mapped libraries).
  anon=$(awk '/RssAnon/ {print int($2 / 1024)}' "/proc/$rec/status")
  size=$( (du -sm "$store" 2>/dev/null || true) | cut -f1)  # files come and go meanwhile
  python3 - "$store/status/recorder.json" "$m" "$rss" "$size" "$anon" >>"$tsv" <<'PY'
import json, sys
try:
    c = json.load(open(sys.argv[1])).get("recorder", {})
except (OSError, ValueError):
    c = {}  # not written yet
print("\t".join([sys.argv[2], sys.argv[3], str(c.get("capture.internal_drops", 0)),
                 str(c.get("archive.dropped", 0)), sys.argv[4],
                 str(c.get("retention.files_evicted", 0)), str(c.get("capture.packets", 0)),
                 sys.argv[5], str(c.get("flow.active", 0)),
                 str(c.get("content.memory_bytes", 0) >> 20)]))
PY
done
wait "$sender" || true
kill -INT "$rec"
wait "$rec" || true
"$K" verify --store "$store" | tail -1

gnuplot <<GP
set terminal pngcairo size 1000,600 font ",10"
set output "$out/soak.png"
set title "kagami record: ${mbit} Mbit/s for ${minutes} min, store limited to ${limit} ${RECORD_ARGS:-}"
set xlabel "minute"
set ylabel "MiB"
set y2label "packets dropped"
set y2tics
set ytics nomirror
set key left top
plot "$tsv" using 1:2 with linespoints title "recorder RSS (MiB)", \
     "$tsv" using 1:8 with linespoints title "of which anonymous (MiB)", \
     "$tsv" using 1:5 with linespoints title "store size (MiB)", \
     "$tsv" using 1:3 axes x1y2 with lines title "analysis drops", \
     "$tsv" using 1:4 axes x1y2 with lines title "archive drops"
GP
echo "soak: $tsv and $out/soak.png"
column -t "$tsv" | tail -n +1
