#!/bin/bash
# Screenshots of the console's main pages in English and Japanese into docs/console/, taken on
# the investigation fixture with Debian's chromium (after ./scripts/build.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
cmake --build build --target kagami investigation_fixture
node tests/e2e/screenshots.mjs build/src/app/kagami build/tests/investigation_fixture docs/console
