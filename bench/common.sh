# What the benchmark scripts share (sourced): a work directory removed at exit (KEEP=1 keeps
# it) with the processes in `pids` stopped, free ports, waiting for a listener, and an origin
# PKI (a root and a certificate for bench.test signed by it).
w=$(mktemp -d "/tmp/kagami-${BENCH_NAME:-bench}-XXXXXX")
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  sleep 0.5
  for p in "${pids[@]}"; do kill -9 "$p" 2>/dev/null || true; done
  [ -n "${KEEP:-}" ] || rm -rf "$w"
}
trap cleanup EXIT
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
wait_port() {
  for _ in $(seq 200); do
    (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0
    sleep 0.1
  done
  echo "nothing listens on $1" >&2
  return 1
}
# $w/root.pem and $w/root.key; $w/site.pem and $w/site.key for bench.test.
make_origin_pki() {
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 30 \
    -subj "/CN=Bench Root" -keyout "$w/root.key" -out "$w/root.pem" \
    -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign" 2>/dev/null
  openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj "/CN=bench.test" \
    -keyout "$w/site.key" -out "$w/site.csr" 2>/dev/null
  printf "subjectAltName=DNS:bench.test\nextendedKeyUsage=serverAuth\n" >"$w/ext.cnf"
  openssl x509 -req -in "$w/site.csr" -CA "$w/root.pem" -CAkey "$w/root.key" -CAcreateserial \
    -days 20 -extfile "$w/ext.cnf" -out "$w/site.pem" 2>/dev/null
}
# The port a `kagami record --pcap-over-ip-listen 127.0.0.1:0` took, read from its stderr file
# ($1) within 5 s; empty if it said none.
listening_port() {
  local port=""
  for _ in $(seq 100); do
    port=$(grep -o 'connect to port [0-9]*' "$1" | grep -o '[0-9]*$' || true)
    [ -n "$port" ] && break
    sleep 0.05
  done
  echo "$port"
}
