#!/bin/bash
# The main job on the embedded default: install what is needed, build, record public captures
# (../shared/corpus, or a capture generated here when that is absent) into ./demo-store, and
# show what was recorded.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/setup.sh
./scripts/build.sh
kagami=build/src/app/kagami
store=${KAGAMI_STORE:-demo-store}
rm -rf "$store"
if [ -d ../shared/corpus/pcap ]; then
  mapfile -t inputs < <(find ../shared/corpus/pcap -name '*.pcap' | sort)
else
  build/bench/gen_traffic --bytes 20000000 --out build/demo.pcap
  inputs=(build/demo.pcap)
fi
"$kagami" record --read "${inputs[@]}" --store "$store"
"$kagami" sessions --store "$store" --limit 40
"$kagami" http --store "$store" --limit 20
"$kagami" mail --store "$store" --limit 20
"$kagami" files --store "$store" --limit 20
"$kagami" verify --store "$store"
echo
echo "Recorded into $store. Try:"
echo "  $kagami sessions --store $store                  # every session"
echo "  $kagami tls --store $store ; $kagami dns --store $store ; $kagami ftp --store $store"
echo "  $kagami sessions --store $store --proto tcp --port 25 --json"
echo "  $kagami export --store $store --session 1 -o session1.pcap"
echo "  $kagami follow --store $store --session 1 --c2s c2s.bin --s2c s2c.bin"
