#!/bin/bash
# Installs every Debian package Kagami needs to build, test and benchmark.
# Idempotent: packages already present are skipped, so a second run is quick.
set -euo pipefail

PACKAGES=(
  # toolchain
  build-essential cmake ninja-build pkg-config ccache git
  clang libclang-rt-14-dev clang-format
  # libraries
  libpcap-dev libssl-dev libsqlite3-dev libzstd-dev libxxhash-dev
  libspdlog-dev libfmt-dev libcli11-dev nlohmann-json3-dev libtomlplusplus-dev
  libgmime-3.0-dev libmagic-dev libbrotli-dev zlib1g-dev libicu-dev
  libhyperscan-dev libarchive-dev libpoppler-cpp-dev libyara-dev libclamav-dev libcpp-httplib-dev
  libnghttp2-dev
  # CID fonts PDFs name without embedding them (Japanese tools' HeiseiKakuGo-W5) map to text with
  # poppler's CMaps; legacy Office files are compound files (libgsf reads the container)
  poppler-data libgsf-1-dev
  libgtest-dev libgmock-dev libbenchmark-dev
  # independent tools the tests and benchmarks compare against
  tshark tcpdump python3 time
  # the soak bench plots what it sampled (bench/soak.sh); the live rate bench replays captures
  # into a veth (bench/live_rate.sh)
  gnuplot-nox tcpreplay
  # real servers and clients the end-to-end tests start on loopback
  nginx-light curl postfix swaks dovecot-imapd dovecot-pop3d python3-pyftpdlib python3-openssl
  # file shares: smbd run unprivileged on a loopback port, driven by smbclient (and net,
  # rpcclient for remote administration over DCE/RPC); slapd for LDAP StartTLS; a throwaway
  # Kerberos realm (MIT's KDC, kadmin.local, kinit) for SMB logons with tickets
  samba smbclient slapd ldap-utils krb5-kdc krb5-admin-server krb5-user
  # the alert sinks' end-to-end test sends to a real syslog receiver
  rsyslog
  # the service units are checked with systemd-analyze (verify, security); setpriv (util-linux)
  # runs capture with capabilities only
  systemd util-linux
  # the transparent proxy test redirects inside network namespaces it makes
  iproute2 iptables openssl
  # the console's browser test drives Debian's chromium; its test unzips evidence; the
  # console's screenshots (docs/console) show Japanese in a Japanese font
  chromium unzip fonts-ipafont-gothic
  # the browser through the proxy trusts the organisation's CA from an NSS database (certutil)
  libnss3-tools
  # HTTP/2, gRPC and WebSocket peers for the proxy's and the recorder's tests (nghttpd, h2load)
  nghttp2-server nghttp2-client python3-grpcio python3-websockets python3-h2
)

missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
# Node.js (for the browser test's driver, playwright-core from npm): the machine's own if it
# has one, else Debian's.
command -v node >/dev/null || missing+=(nodejs npm)

# Tools from npm, each directory pinned by its package-lock.json: playwright-core for the
# browser test (tests/e2e), eslint and prettier for the console's JavaScript (scripts/js).
# Installed again only when a pinned version is not the one in node_modules.
install_npm_pins() {
  local dir
  for rel in tests/e2e scripts/js; do
    dir="$(cd "$(dirname "$0")/.." && pwd)/$rel"
    if ! (cd "$dir" && node -e '
        const want = require("./package.json").devDependencies;
        for (const [name, version] of Object.entries(want))
          if (require(`./node_modules/${name}/package.json`).version !== version) process.exit(1);
      ' 2>/dev/null); then
      (cd "$dir" && npm ci --no-audit --no-fund --loglevel=error)
    fi
  done
}

if [ ${#missing[@]} -eq 0 ]; then
  echo "setup: all ${#PACKAGES[@]} packages present"
  install_npm_pins
  exit 0
fi

SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
export DEBIAN_FRONTEND=noninteractive
# tshark asks whether non-root users may capture; answer for it.
echo "wireshark-common wireshark-common/install-setuid boolean false" | $SUDO debconf-set-selections
# Postfix is only ever started by the tests, with a private configuration on loopback.
echo "postfix postfix/main_mailer_type select No configuration" | $SUDO debconf-set-selections
echo "setup: installing ${missing[*]}"
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
# Packages that start their daemon on installation: the tests start their own instances.
for svc in nginx postfix dovecot rsyslog smbd nmbd; do
  if command -v systemctl >/dev/null && systemctl is-active --quiet "$svc" 2>/dev/null; then
    $SUDO systemctl stop "$svc" || true
  fi
  proc=${svc/postfix/master}
  $SUDO pkill -x "${proc/rsyslog/rsyslogd}" 2>/dev/null || true
done
install_npm_pins
