#!/bin/bash
# Makes tests/fixtures/legacy_office/{ledger.xls,memo.doc,slides.ppt.gz} again from their flat
# ODF sources with LibreOffice (Debian's libreoffice-{calc,writer,impress}-nogui), the way a
# Japanese office's files come from Office: binary BIFF8, Word 97 and PowerPoint 97. Not run by
# the tests (LibreOffice is large); the outputs are committed. The presentation is gzipped: its
# thumbnail makes it 450 KB.
set -euo pipefail
cd "$(dirname "$0")/../tests/fixtures/legacy_office"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
export HOME="$work"
soffice --headless --convert-to 'xls:MS Excel 97' --outdir "$work" ledger.fods >/dev/null
soffice --headless --convert-to 'doc:MS Word 97' --outdir "$work" memo.fodt >/dev/null
soffice --headless --convert-to 'ppt:MS PowerPoint 97' --outdir "$work" slides.fodp >/dev/null
cp "$work/ledger.xls" "$work/memo.doc" .
gzip -9 -n -c "$work/slides.ppt" > slides.ppt.gz
ls -l ledger.xls memo.doc slides.ppt.gz
