#!/bin/bash
# Installs Kagami for production, idempotently: the binary, the systemd units
# (packaging/systemd), default configuration in /etc/kagami (kept if present), the `kagami`
# system user owning /var/lib/kagami, and the organisation's CA for the proxy (made once).
# Builds first if there is no build. Then:
#   systemctl enable --now kagami-record@eth1      # record a mirror port
#   systemctl enable --now kagami-proxy             # the insight proxy (edit /etc/kagami/proxy.toml)
#   systemctl enable --now kagami-serve@eth1        # the console on that store
#
#   scripts/install.sh [--destdir DIR] [--prefix /usr/local] [--no-user] [--no-systemctl]
# --destdir stages everything under DIR (packaging, tests): no user, no CA, no systemctl.
set -euo pipefail
cd "$(dirname "$0")/.."

destdir="" prefix=/usr/local make_user=1 run_systemctl=1
while [ $# -gt 0 ]; do
  case "$1" in
    --destdir) destdir="$2"; shift 2 ;;
    --prefix) prefix="$2"; shift 2 ;;
    --no-user) make_user=0; shift ;;
    --no-systemctl) run_systemctl=0; shift ;;
    *) echo "install.sh: unknown option $1" >&2; exit 2 ;;
  esac
done
if [ -n "$destdir" ]; then make_user=0; run_systemctl=0; fi
if [ -z "$destdir" ] && [ "$(id -u)" -ne 0 ]; then
  echo "install.sh: run as root (or give --destdir)" >&2
  exit 1
fi

[ -x build/src/app/kagami ] || ./scripts/build.sh

bin="$destdir$prefix/bin" doc="$destdir$prefix/share/doc/kagami"
etc="$destdir/etc/kagami" units="$destdir/etc/systemd/system" state="$destdir/var/lib/kagami"
install -d -m 0755 "$bin" "$doc" "$units"
install -d -m 0750 "$etc"
install -d -m 0700 "$state"
install -m 0755 build/src/app/kagami "$bin/kagami"
install -m 0644 README.md "$doc/README.md"
for unit in packaging/systemd/*.service; do
  # The units name /usr/local/bin/kagami; another prefix is written into them.
  sed "s|/usr/local/bin/kagami|$prefix/bin/kagami|g" "$unit" >"$units/$(basename "$unit")"
  chmod 0644 "$units/$(basename "$unit")"
done
# Configuration: every setting with its default, written once; an administrator's edits stay.
[ -e "$etc/record.toml" ] || "$bin/kagami" record --print-config >"$etc/record.toml"
if [ ! -e "$etc/proxy.toml" ]; then
  cat >"$etc/proxy.toml" <<'TOML'
# The insight proxy (see docs/proxy.md): where it listens and what it decrypts.
[proxy]
listen = "0.0.0.0:3128"

[policy]
default = "decrypt"
TOML
fi

if [ "$make_user" = 1 ]; then
  getent group kagami >/dev/null || groupadd --system kagami
  getent passwd kagami >/dev/null ||
    useradd --system --gid kagami --home-dir /var/lib/kagami --no-create-home \
      --shell /usr/sbin/nologin kagami
  chown kagami:kagami "$state"
  chgrp kagami "$etc"
  chmod 0640 "$etc"/*.toml
  chgrp kagami "$etc"/*.toml
  # The organisation's CA for the proxy, made once and readable by the proxy only.
  if [ ! -e "$state/ca" ]; then
    runuser -u kagami -- "$bin/kagami" ca init --dir "$state/ca" >/dev/null
  fi
fi
if [ "$run_systemctl" = 1 ] && [ -d /run/systemd/system ]; then
  systemctl daemon-reload
fi
echo "installed: $bin/kagami, units in $units, configuration in $etc, state in $state"
