#!/bin/bash
# Content inspection speed per core (issue 5): the scanner with every detector next to
# Hyperscan alone on the same pattern database and text (the limit), then whole objects
# (plain text, docx, xlsx, PDF) through text extraction and the scanner. Prints Markdown.
#
#   bench/inspect_bench.sh [text-MiB]
set -euo pipefail
cd "$(dirname "$0")/.."
[ -x build/bench/inspect_bench ] || cmake --build build --target inspect_bench
echo "Host: $(nproc) cores ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)); one thread measured."
build/bench/inspect_bench "${1:-64}"
