#!/bin/bash
# HTTP/2 through the insight proxy, side by side in one run with the same nginx (h2 over TLS)
# and the same client (h2load): direct, kagami (transparent, mirroring to pcap files) and
# mitmdump (transparent, bodies streamed). Three figures each: requests per second with many
# streams per connection (a 3-byte object), h2 bulk throughput (one large object at a time on
# one connection), and, beside it, the same bulk over HTTP/1.1 (h2load --h1). Then the bridge:
# h2load offering only h2 (--npn-list=h2) to a second nginx server that speaks only HTTP/1.1,
# through kagami and mitmdump (both translate; direct cannot). Prints Markdown tables.
#
#   bench/h2_bench.sh [bulk-MiB] [requests] [runs]
#
# Runs in a network namespace of its own (iptables REDIRECT of the client's connections, made
# as user nobody, to the proxy under test), so it needs root. Installs nghttp2-client,
# mitmproxy and nginx-light with apt-get when they are missing.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ -z "${KAGAMI_BENCH_NETNS:-}" ]; then
  [ "$(id -u)" -eq 0 ] || { echo "h2_bench: needs root (network namespace, iptables)" >&2; exit 1; }
  exec env KAGAMI_BENCH_NETNS=1 unshare -n "$0" "$@"
fi
bulk_mib=${1:-256}
requests=${2:-200000}
runs=${3:-3}
[ -x build/src/app/kagami ] || ./scripts/build.sh
missing=()
for p in nghttp2-client mitmproxy nginx-light iptables; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
ip link set lo up

BENCH_NAME=h2-bench
# shellcheck source=bench/common.sh
source bench/common.sh
make_origin_pki
build/src/app/kagami ca init --dir "$w/ca" 2>/dev/null
mkdir -p "$w/www" "$w/mitm" "$w/mirror"
cat "$w/ca/ca.key" "$w/ca/ca.crt" >"$w/mitm/mitmproxy-ca.pem"
head -c $((bulk_mib << 20)) /dev/urandom >"$w/www/big.bin"

origin=$(free_port)
origin1=$(free_port)  # the same site without http2
{
  echo "daemon off; pid $w/nginx.pid; error_log $w/nginx.err; worker_processes 1;"
  echo "events { worker_connections 4096; }"
  echo "http { access_log off; client_body_temp_path $w/b; proxy_temp_path $w/p;"
  echo "  fastcgi_temp_path $w/f; uwsgi_temp_path $w/u; scgi_temp_path $w/s; sendfile on;"
  echo "  keepalive_requests 100000000;"
  echo "  server { listen 127.0.0.1:$origin ssl http2 backlog=4096; ssl_protocols TLSv1.2 TLSv1.3;"
  echo "    ssl_certificate $w/site.pem; ssl_certificate_key $w/site.key; root $w/www;"
  echo "    location = /small { return 200 \"ok\\n\"; } }"
  echo "  server { listen 127.0.0.1:$origin1 ssl backlog=4096; ssl_protocols TLSv1.2 TLSv1.3;"
  echo "    ssl_certificate $w/site.pem; ssl_certificate_key $w/site.key; root $w/www;"
  echo "    location = /small { return 200 \"ok\\n\"; } } }"
} >"$w/nginx.conf"
chmod -R a+rX "$w"
nginx -p "$w" -c "$w/nginx.conf" &
pids+=("$!")
wait_port "$origin"
wait_port "$origin1"

# The client runs as nobody and only its connections to the origin are redirected, so the
# proxies' own connections to the origin are not.
redirect_to() {
  iptables -t nat -F OUTPUT
  [ -z "$1" ] && return
  for port in "$origin" "$origin1"; do
    iptables -t nat -A OUTPUT -p tcp -d 127.0.0.1 --dport "$port" \
      -m owner --uid-owner nobody -j REDIRECT --to-ports "$1"
  done
}

# best WANT H2LOAD-ARGS... PATH: the best of $runs runs, req/s (WANT=req) or MB/s (WANT=MB),
# from h2load's "finished in" line, against $target (the h2 server unless set); a run with
# failed or errored requests is reported.
best() {
  local want=$1 best=0 out line value port=${target:-$origin}
  shift
  local path=${*: -1}
  for _ in $(seq "$runs"); do
    out=$(runuser -u nobody -- h2load --connect-to "127.0.0.1:$port" "${@:1:$#-1}" \
      "https://bench.test:$port$path" 2>&1 || true)
    echo "$out" >>"$w/h2load.out"
    line=$(echo "$out" | grep "requests:" || true)
    echo "$line" | grep -q " 0 failed, 0 errored" || echo "h2load $*: $line" >&2
    # Not one request answered 2xx: the path does not work at all (its speed means nothing).
    if echo "$line" | grep -q " 0 succeeded"; then
      echo "failed"
      return
    fi
    value=$(echo "$out" | grep "finished in" |
      sed -E 's/.*finished in [^,]+, ([0-9.]+) req\/s, ([0-9.]+)([KMG]?B)\/s.*/\1 \2 \3/')
    best=$(awk -v a="$best" -v v="$value" -v want="$want" 'BEGIN{
      split(v, f, " ");
      unit = (f[3] == "GB") ? 1024 : (f[3] == "KB") ? 1 / 1024 : (f[3] == "B") ? 1 / 1048576 : 1;
      x = (want == "req") ? f[1] : f[2] * unit;
      print (x > a) ? x : a }')
  done
  echo "$best"
}
measure() {
  echo "$1 $(best req -n "$requests" -c 8 -m 100 -t 1 /small)" \
    "$(best MB -n 2 -c 1 -m 1 -t 1 /big.bin) $(best MB --h1 -n 2 -c 1 -t 1 /big.bin)"
}
# The bridge: a client that offers only h2, a server that speaks only HTTP/1.1.
measure_bridged() {
  echo "$1 $(target=$origin1 best req --npn-list=h2 -n "$requests" -c 8 -m 100 -t 1 /small)" \
    "$(target=$origin1 best MB --npn-list=h2 -n 2 -c 1 -m 1 -t 1 /big.bin)"
}

results=()
bridged=()
redirect_to ""
results+=("$(measure direct)")
h1_rps=$(target=$origin1 best req --h1 -n "$requests" -c 8 -m 1 -t 1 /small)
bridged+=("direct-h1 $h1_rps $(target=$origin1 best MB --h1 -n 2 -c 1 -t 1 /big.bin)")

kport=$(free_port)
build/src/app/kagami proxy --transparent "127.0.0.1:$kport" --ca "$w/ca" --upstream-ca "$w/root.pem" \
  --allow-destination 127.0.0.1 --mirror "pcap:$w/mirror" 2>"$w/kagami.err" &
kagami_pid=$!
pids+=("$kagami_pid")
wait_port "$kport"
redirect_to "$kport"
results+=("$(measure kagami)")
bridged+=("$(measure_bridged kagami)")
kill -INT "$kagami_pid"
wait "$kagami_pid" 2>/dev/null || true
mirror_mib=$(du -sm "$w/mirror" | cut -f1)
rm -rf "${w:?}/mirror"/*

mport=$(free_port)
mitmdump -q --mode transparent --listen-host 127.0.0.1 --listen-port "$mport" \
  --set confdir="$w/mitm" --set ssl_verify_upstream_trusted_ca="$w/root.pem" \
  --set stream_large_bodies=1m >"$w/mitm.err" 2>&1 &
pids+=("$!")
wait_port "$mport"
redirect_to "$mport"
results+=("$(measure mitmdump)")
bridged+=("$(measure_bridged mitmdump)")
redirect_to ""

echo "## HTTP/2 through the proxy: $requests requests (8 connections x 100 streams), $bulk_mib MiB bulk, best of $runs"
echo "machine: $(nproc) cores, $(awk '/MemTotal/{printf "%.0f GiB", $2/1048576}' /proc/meminfo);" \
  "kagami mirrored $mirror_mib MiB of pcap"
echo
echo "| path | req/s (h2, 100 streams) | h2 bulk MB/s | HTTP/1.1 bulk MB/s |"
echo "|---|---:|---:|---:|"
for r in "${results[@]}"; do
  read -r label rps bulk h1 <<<"$r"
  echo "| $label | $rps | $bulk | $h1 |"
done
read -r _ k_rps k_bulk k_h1 <<<"${results[1]}"
read -r _ m_rps m_bulk _ <<<"${results[2]}"
echo
echo "kagami / mitmdump: req/s $(awk -v a="$k_rps" -v b="$m_rps" 'BEGIN{printf "%.1f", (b > 0) ? a / b : 0}')x," \
  "h2 bulk $(awk -v a="$k_bulk" -v b="$m_bulk" 'BEGIN{printf "%.1f", (b > 0) ? a / b : 0}')x;" \
  "kagami h2 bulk / kagami HTTP/1.1 bulk $(awk -v a="$k_bulk" -v b="$k_h1" 'BEGIN{printf "%.2f", (b > 0) ? a / b : 0}')"
echo
echo "### h2-only client, HTTP/1.1-only server (bridged; direct-h1 is the client speaking HTTP/1.1 itself)"
echo
echo "| path | req/s (8 connections) | bulk MB/s |"
echo "|---|---:|---:|"
for r in "${bridged[@]}"; do
  read -r label rps bulk <<<"$r"
  echo "| $label | $rps | $bulk |"
done
read -r _ kb_rps kb_bulk <<<"${bridged[1]}"
read -r _ mb_rps mb_bulk <<<"${bridged[2]}"
ratio() {
  if [ "$1" = failed ] || [ "$2" = failed ]; then echo "n/a (a path failed)"; else
    awk -v a="$1" -v b="$2" 'BEGIN{printf "%.1fx", (b > 0) ? a / b : 0}'; fi
}
echo
echo "bridged, kagami / mitmdump: req/s $(ratio "$kb_rps" "$mb_rps")," \
  "bulk $(ratio "$kb_bulk" "$mb_bulk");" \
  "kagami bridged bulk / kagami HTTP/1.1 bulk $(awk -v a="$kb_bulk" -v b="$k_h1" 'BEGIN{printf "%.2f", (b > 0) ? a / b : 0}')"
