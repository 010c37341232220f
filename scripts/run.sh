#!/bin/bash
# The main job on the embedded default: install what is needed, build, and start `kagami up
# --demo` on ./demo-store — the insight proxy, the recorder in the same process and the web
# console, with local HTTPS and mail servers and an office's traffic driven through the proxy.
# It prints the console's address and the admin password; Ctrl-C stops it. Run it again and
# the store, the CA and the users are kept.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/setup.sh
./scripts/build.sh
exec build/src/app/kagami up --demo --store "${KAGAMI_STORE:-demo-store}" "$@"
