#!/bin/bash
# SMB analysis throughput (issue 18): a file written to and read back from a Samba share with
# smbclient (SMB 3.1.1, signing on) on loopback, captured with tcpdump, then imported by
# `kagami record` side by side with the HTTP capture of analyzers_bench.sh of about the same
# size (every analyzer and file extraction on, one run after the other, best of RUNS). Also
# records the transfer live (`kagami record --interface lo`) and checks that both files came
# out whole. Prints the machine and a Markdown table for BENCHMARKS.md.
#
#   bench/smb_bench.sh [file-MiB] [runs]
set -euo pipefail
cd "$(dirname "$0")/.."
mib=${1:-1024}
runs=${2:-3}
out=bench/out
mkdir -p "$out"
[ -x build/src/app/kagami ] || ./scripts/build.sh
work=$(realpath "$(mktemp -d "$out/smb-XXXXXX")")  # smbd reads its paths from /
smbd_pid=""
cleanup() {
  if [ -n "$smbd_pid" ]; then
    kill "$smbd_pid" 2>/dev/null || true
    wait "$smbd_pid" 2>/dev/null || true
  fi
  rm -rf "$work"
}
trap cleanup EXIT
mkdir -p "$work"/{lock,state,cache,private,run,ncalrpc,share,local}
port=$(python3 -c "import socket;s=socket.socket();s.bind(('127.0.0.1',0));print(s.getsockname()[1])")
cat >"$work/smb.conf" <<EOF
[global]
  workgroup = OFFICE
  server role = standalone server
  smb ports = $port
  bind interfaces only = yes
  interfaces = 127.0.0.1
  lock directory = $work/lock
  state directory = $work/state
  cache directory = $work/cache
  private dir = $work/private
  pid directory = $work/run
  ncalrpc dir = $work/ncalrpc
  log file = $work/log.%m
  passdb backend = tdbsam:$work/private/passdb.tdb
  username map = $work/users.map
  disable netbios = yes
  load printers = no
  printing = bsd
  printcap name = /dev/null
  disable spoolss = yes
[share]
  path = $work/share
  read only = no
EOF
echo "root = tanaka" >"$work/users.map"
printf 'secret\nsecret\n' | smbpasswd -c "$work/smb.conf" -a -s root >/dev/null
head -c "$((mib << 20))" /dev/urandom >"$work/local/big.bin"
# In a session of its own: smbd signals its whole process group when it stops.
setsid smbd -F --no-process-group -s "$work/smb.conf" >/dev/null 2>&1 &
smbd_pid=$!
for _ in $(seq 100); do (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && break; sleep 0.1; done

transfer() {  # put then get the file once
  smbclient //127.0.0.1/share -p "$port" -U tanaka%secret -m SMB3_11 --client-protection=sign \
    -c "put $work/local/big.bin big.bin; get big.bin $work/local/back.bin; del big.bin" >/dev/null
}

# The capture both imports read, and the live recording of a second transfer.
tcpdump -i lo -B 262144 -s 0 -w "$work/smb.pcap" "tcp port $port" 2>/dev/null &
dump=$!
sleep 1
transfer
sleep 1
kill -INT $dump
wait $dump 2>/dev/null || true
build/src/app/kagami record -q --interface lo --filter "tcp port $port" --store "$work/live" \
  2>"$work/live.err" &
live=$!
sleep 2
start=$(date +%s.%N)
transfer
live_secs=$(awk "BEGIN{printf \"%.1f\", $(date +%s.%N) - $start}")
sleep 1
kill -INT $live
wait $live || true
sha=$(sha256sum "$work/local/big.bin" | cut -d' ' -f1)
live_files=$(build/src/app/kagami files --store "$work/live" --sha256 "$sha" --json | wc -l)

size=$(stat -c %s "$work/smb.pcap")
http="$out/apps-$size-smb.pcap"
[ -f "$http" ] || build/bench/gen_traffic --apps --bytes "$size" --out "$http" --concurrency 1000 >/dev/null
best() {  # PCAP -> best wall seconds of RUNS imports with every analyzer
  local b=""
  for _ in $(seq "$runs"); do
    rm -rf "$work/store"
    /usr/bin/time -f "%e" -o "$work/t" build/src/app/kagami record -q --read "$1" \
      --store "$work/store" >/dev/null 2>&1
    s=$(cat "$work/t")
    if [ -z "$b" ] || awk "BEGIN{exit !($s < $b)}"; then b=$s; fi
  done
  echo "$b"
}
cat "$work/smb.pcap" "$http" >/dev/null
smb_secs=$(best "$work/smb.pcap")
smb_files=$(build/src/app/kagami files --store "$work/store" --sha256 "$sha" --json | wc -l)
http_secs=$(best "$http")
http_size=$(stat -c %s "$http")
gbit() { awk "BEGIN{printf \"%.2f\", $1 * 8 / $2 / 1e9}"; }
echo "machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo), $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)"
echo "file: $mib MiB written and read back (SMB 3.1.1, signed); smbclient alone took $live_secs s with the live recorder running"
echo
echo "| capture | bytes | import s (best of $runs) | Gbit/s | / HTTP |"
echo "|---|---:|---:|---:|---:|"
echo "| SMB put + get | $size | $smb_secs | $(gbit "$size" "$smb_secs") | $(awk "BEGIN{printf \"%.2f\", ($size / $smb_secs) / ($http_size / $http_secs)}") |"
echo "| HTTP/SMTP apps (gen_traffic --apps) | $http_size | $http_secs | $(gbit "$http_size" "$http_secs") | 1.00 |"
echo
echo "whole copies of the file extracted: import $smb_files of 2, live $live_files of 2"
