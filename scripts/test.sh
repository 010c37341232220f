#!/bin/bash
# Every test: set-up, build, unit and integration tests (real tshark, loopback capture),
# unit tests again under ASan/UBSan (clang), then each libFuzzer target for a bounded time.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/setup.sh
./scripts/format.sh --check
./scripts/build.sh
(cd build && ctest --output-on-failure -j2 --timeout 900)
./scripts/sanitize.sh
./scripts/fuzz.sh "${KAGAMI_FUZZ_SECONDS:-20}"
echo "test.sh: all passed"
