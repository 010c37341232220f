#!/usr/bin/env bash
# Writes corpus_listings.tsv: for every trace of ../shared/corpus, the digest of each listing
# Kagami prints for it (the JSON and text of `kagami KIND`, the JSON of `kagami search -k
# KIND`). integration_golden_listings_test compares against it, so a refactor that changes
# one byte of any listing fails. Run it only when a listing is meant to change, and say why in
# the commit.
#   tests/golden/update_corpus_listings.sh build/src/app/kagami
set -euo pipefail
export TZ=UTC LC_ALL=C
kagami=$(realpath "${1:?usage: $0 path/to/kagami}")
here=$(cd "$(dirname "$0")" && pwd)
corpus=$(cd "$here/../../../shared/corpus" && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
out="$here/corpus_listings.tsv"
kinds="sessions http dns tls mail ftp smb dcerpc websocket files findings alerts"
{
  printf 'trace\tlisting\tlines\tsha256\n'
  for trace in $(cd "$corpus/pcap" && find . -type f | sed 's|^\./||' | LC_ALL=C sort); do
    store="$work/store"
    rm -rf "$store"
    "$kagami" record -q -w 0 --sensor golden --read "$corpus/pcap/$trace" --store "$store" \
      >/dev/null 2>&1
    for kind in $kinds; do
      for form in json text search; do
        case $form in
          json) "$kagami" "$kind" --store "$store" --json >"$work/out" 2>/dev/null ;;
          text) "$kagami" "$kind" --store "$store" >"$work/out" 2>/dev/null ;;
          search) "$kagami" search --store "$store" -k "$kind" --json -n 10000 --oldest-first \
            >"$work/out" 2>/dev/null ;;
        esac
        printf '%s\t%s.%s\t%s\t%s\n' "$trace" "$kind" "$form" "$(wc -l <"$work/out")" \
          "$(sha256sum "$work/out" | cut -d' ' -f1)"
      done
    done
  done
  "$kagami" search --fields >"$work/out" 2>/dev/null
  printf '%s\t%s\t%s\t%s\n' "-" "search.fields" "$(wc -l <"$work/out")" \
    "$(sha256sum "$work/out" | cut -d' ' -f1)"
} >"$out.tmp"
mv "$out.tmp" "$out"
echo "wrote $out ($(($(wc -l <"$out") - 1)) digests)"
