#!/bin/bash
# The insight proxy side by side, in one run, on loopback, with the same nginx and the same
# client (curl): direct (no proxy), kagami (mirroring to pcap), sslsplit (pcap log), mitmdump
# and squid with ssl-bump. Two figures each: bulk throughput of one large HTTPS download, and
# new connections per second for a small object without keep-alive (bench/tls_load: 32
# threads, each a full handshake and one "Connection: close" request per connection). Peak memory of each proxy from /proc. Prints a Markdown table.
#
#   bench/proxy_bench.sh [bulk-MiB] [connections] [runs]
#
# Installs sslsplit, squid-openssl and mitmproxy with apt-get when they are missing.
set -euo pipefail
cd "$(dirname "$0")/.."
bulk_mib=${1:-512}
conns=${2:-2000}
runs=${3:-3}
[ -x build/src/app/kagami ] && [ -x build/bench/tls_load ] || ./scripts/build.sh
missing=()
for p in sslsplit squid-openssl mitmproxy nginx-light curl; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  SUDO=""
  [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

BENCH_NAME=proxy-bench
# shellcheck source=bench/common.sh
source bench/common.sh
make_origin_pki
build/src/app/kagami ca init --dir "$w/ca" 2>/dev/null
cat "$w/ca/ca.key" "$w/ca/ca.crt" >"$w/ca-both.pem"  # one CA for every proxy
mkdir -p "$w/www" "$w/mitm" "$w/mirror" "$w/sslsplit"
cp "$w/ca-both.pem" "$w/mitm/mitmproxy-ca.pem"
head -c $((bulk_mib << 20)) /dev/urandom >"$w/www/big.bin"

origin=$(free_port)
cat >"$w/nginx.conf" <<EOF
daemon off; pid $w/nginx.pid; error_log $w/nginx.err; worker_processes 1;
events { worker_connections 4096; }
http { access_log off; client_body_temp_path $w/b; proxy_temp_path $w/p; fastcgi_temp_path $w/f;
  uwsgi_temp_path $w/u; scgi_temp_path $w/s; sendfile on;
  server { listen 127.0.0.1:$origin ssl backlog=4096; ssl_protocols TLSv1.2 TLSv1.3;
    ssl_certificate $w/site.pem; ssl_certificate_key $w/site.key; root $w/www;
    location = /small { return 200 "ok\n"; } } }
EOF
chmod -R a+rX "$w"
nginx -p "$w" -c "$w/nginx.conf" &
nginx_pid=$!
pids+=("$nginx_pid")
wait_port "$origin"

peak_kib() { awk '/VmHWM/{print $2}' "/proc/$1/status" 2>/dev/null || echo 0; }
# CPU seconds (user + system) used so far by a process and all its descendants (squid's
# workers and certificate helpers, nginx's worker).
tree_cpu() {
  python3 - "$1" <<'PY'
import os, sys
tick = os.sysconf("SC_CLK_TCK")
kids, cpu = {}, {}
for d in os.listdir("/proc"):
    if not d.isdigit():
        continue
    try:
        f = open(f"/proc/{d}/stat").read().rsplit(")", 1)[1].split()
    except OSError:
        continue
    kids.setdefault(int(f[1]), []).append(int(d))
    cpu[int(d)] = (int(f[11]) + int(f[12])) / tick
todo, total = [int(sys.argv[1])], 0.0
while todo:
    p = todo.pop()
    total += cpu.get(p, 0.0)
    todo += kids.get(p, [])
print(f"{total:.3f}")
PY
}

# measure LABEL CA-FILE CURL-ARGS... -> "label MB/s conn/s peak-KiB" (best of $runs); the
# connection test takes its target from $load_args.
proxy_pid=""
measure() {
  local label=$1 ca=$2
  shift 2
  local best_bulk=0 best_cps=0 proxy_cpu=0 ends_cpu=0
  for _ in $(seq "$runs"); do
    local speed p0=0 p1=0 n0 n1 curl_cpu
    [ -n "$proxy_pid" ] && p0=$(tree_cpu "$proxy_pid")
    n0=$(tree_cpu "$nginx_pid")
    local TIMEFORMAT="%U %S"
    { time curl -sS --no-progress-meter --max-time 300 --cacert "$ca" "$@" -o /dev/null \
      -w "%{speed_download}" "https://bench.test:$origin/big.bin" >"$w/speed"; } 2>"$w/curl.time"
    speed=$(cat "$w/speed")
    curl_cpu=$(tail -1 "$w/curl.time" | awk '{print $1 + $2}')
    [ -n "$proxy_pid" ] && p1=$(tree_cpu "$proxy_pid")
    n1=$(tree_cpu "$nginx_pid")
    proxy_cpu=$(awk -v a="$proxy_cpu" -v d="$p0" -v e="$p1" 'BEGIN{print a + e - d}')
    ends_cpu=$(awk -v a="$ends_cpu" -v d="$n0" -v e="$n1" -v c="$curl_cpu" 'BEGIN{print a + e - d + c}')
    best_bulk=$(awk -v a="$best_bulk" -v b="$speed" 'BEGIN{print (b>a)?b:a}')
    local line cps
    line=$(build/bench/tls_load --ca "$ca" --host bench.test --path /small --parallel 32 \
      --total "$conns" "${load_args[@]}" || true)
    cps=$(echo "$line" | awk '{print $NF}')
    if ! echo "$line" | grep -q "failed 0 "; then
      echo "$label: $line" >&2
      [ -n "${proxy_log:-}" ] && tail -5 "$proxy_log" >&2
    fi
    best_cps=$(awk -v a="$best_cps" -v b="$cps" 'BEGIN{print (b>a)?b:a}')
  done
  local peak=0
  [ -n "$proxy_pid" ] && peak=$(peak_kib "$proxy_pid")
  # CPU seconds per GiB relayed, over all the bulk runs: the proxy's, and nginx's plus curl's.
  local gib
  gib=$(awk -v m="$bulk_mib" -v r="$runs" 'BEGIN{print m * r / 1024}')
  echo "$label $(awk -v b="$best_bulk" 'BEGIN{printf "%.0f", b/1e6}') $best_cps $peak" \
    "$(awk -v p="$proxy_cpu" -v e="$ends_cpu" -v g="$gib" 'BEGIN{printf "%.2f %.2f", p/g, e/g}')"
}
via() { echo "--connect-to bench.test:$origin:127.0.0.1:$origin"; }

results=()
# direct: curl to nginx.
proxy_pid=""
load_args=(--connect "127.0.0.1:$origin")
results+=("$(measure direct "$w/root.pem" $(via))")

# kagami: explicit proxy, mirror to rotating pcap files.
kport=$(free_port)
build/src/app/kagami proxy -q --listen "127.0.0.1:$kport" --ca "$w/ca" --upstream-ca "$w/root.pem" --allow-destination 127.0.0.1 \
  --mirror "pcap:$w/mirror" 2>"$w/kagami.err" &
proxy_pid=$!
pids+=("$proxy_pid")
wait_port "$kport"
load_args=(--connect "127.0.0.1:$origin" --proxy "127.0.0.1:$kport")
results+=("$(measure kagami "$w/ca/ca.crt" --proxy "http://127.0.0.1:$kport" $(via))")
kill -INT "$proxy_pid"
wait "$proxy_pid" 2>/dev/null || true
mirror_bytes=$(du -sb "$w/mirror" | cut -f1)
rm -rf "$w/mirror"/*

# sslsplit: a fixed upstream (it has no HTTP proxy mode), pcap log of the plaintext.
sport=$(free_port)
sslsplit -D -k "$w/ca/ca.key" -c "$w/ca/ca.crt" -X "$w/sslsplit/log.pcap" \
  ssl 127.0.0.1 "$sport" 127.0.0.1 "$origin" >"$w/sslsplit.err" 2>&1 &
proxy_pid=$!
pids+=("$proxy_pid")
wait_port "$sport"
load_args=(--connect "127.0.0.1:$sport")
results+=("$(measure sslsplit "$w/ca/ca.crt" --connect-to "bench.test:$origin:127.0.0.1:$sport")")
kill "$proxy_pid"
wait "$proxy_pid" 2>/dev/null || true
rm -f "$w/sslsplit/log.pcap"

# mitmdump: regular (explicit) proxy, upstream verified against the bench root.
mport=$(free_port)
mitmdump -q --listen-host 127.0.0.1 --listen-port "$mport" --set confdir="$w/mitm" \
  --set ssl_verify_upstream_trusted_ca="$w/root.pem" --set stream_large_bodies=1 \
  >"$w/mitm.err" 2>&1 &
proxy_pid=$!
pids+=("$proxy_pid")
wait_port "$mport"
load_args=(--connect "127.0.0.1:$origin" --proxy "127.0.0.1:$mport")
results+=("$(measure mitmdump "$w/ca/ca.crt" --proxy "http://127.0.0.1:$mport" $(via))")
kill "$proxy_pid"
wait "$proxy_pid" 2>/dev/null || true

# squid with ssl-bump: peek at the SNI, bump, verify the upstream against the bench root.
qport=$(free_port)
/usr/lib/squid/security_file_certgen -c -s "$w/ssl_db" -M 16MB >/dev/null
chown -R proxy:proxy "$w/ssl_db"
cat >"$w/squid.conf" <<EOF
http_port 127.0.0.1:$qport ssl-bump tls-cert=$w/ca-both.pem generate-host-certificates=on dynamic_cert_mem_cache_size=16MB
sslcrtd_program /usr/lib/squid/security_file_certgen -s $w/ssl_db -M 16MB
acl step1 at_step SslBump1
ssl_bump peek step1
ssl_bump bump all
tls_outgoing_options cafile=$w/root.pem
http_access allow all
cache deny all
access_log none
cache_log $w/squid.log
pid_filename $w/squid.pid
coredump_dir $w
cache_effective_user proxy
EOF
chmod a+r "$w/ca-both.pem"
squid -N -f "$w/squid.conf" >"$w/squid.err" 2>&1 &
proxy_pid=$!
pids+=("$proxy_pid")
wait_port "$qport"
load_args=(--connect "127.0.0.1:$origin" --proxy "127.0.0.1:$qport")
proxy_log=$w/squid.log
results+=("$(measure squid "$w/ca/ca.crt" --proxy "http://127.0.0.1:$qport" $(via))")
kill "$proxy_pid"
wait "$proxy_pid" 2>/dev/null || true

read -r _ direct_bulk direct_cps _ <<<"${results[0]}"
echo
echo "Bulk: one ${bulk_mib} MiB HTTPS download with curl; connections: $conns HTTPS requests for 3 bytes by bench/tls_load, 32 at a time, each on a new connection with a full handshake. Best of $runs."
echo "Kagami mirrored every relayed byte to pcap ($((mirror_bytes >> 20)) MiB written in its run); sslsplit wrote its pcap log (-X); mitmdump and squid keep no copy."
echo "Machine: $(nproc) cores ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)), $(free -g | awk '/Mem:/{print $2}') GiB; everything on loopback."
echo
echo "CPU s/GiB: CPU seconds (user + system) per GiB downloaded in the bulk runs, of the proxy (all its processes) and of nginx and curl together."
echo
echo "| contender | bulk MB/s | vs direct | new conn/s | vs direct | peak RSS | proxy CPU s/GiB | nginx+curl CPU s/GiB |"
echo "|---|---:|---:|---:|---:|---:|---:|---:|"
for r in "${results[@]}"; do
  read -r label bulk cps kib pcpu ecpu <<<"$r"
  awk -v l="$label" -v b="$bulk" -v c="$cps" -v k="$kib" -v db="$direct_bulk" -v dc="$direct_cps" \
    -v p="$pcpu" -v e="$ecpu" \
    'BEGIN{printf "| %s | %d | %.0f%% | %d | %.0f%% | %s | %s | %s |\n", l, b, 100*b/db, c, 100*c/dc, (k>0? sprintf("%.0f MiB", k/1024) : "-"), (k>0? p : "-"), e}'
done
