#!/bin/bash
# Formats every C++ source with the repo's .clang-format and the console's JavaScript with
# prettier, and lints the JavaScript with eslint (both pinned in scripts/js, installed by
# scripts/setup.sh); `--check` only reports.
set -euo pipefail
cd "$(dirname "$0")/.."
mapfile -t files < <(git ls-files --cached --others --exclude-standard '*.cc' '*.h')
js_tools=scripts/js/node_modules/.bin
if [ ! -x "$js_tools/prettier" ] || [ ! -x "$js_tools/eslint" ]; then
  echo "format: no prettier/eslint in scripts/js/node_modules; run scripts/setup.sh" >&2
  exit 1
fi
prettier=("$js_tools/prettier" --config scripts/js/.prettierrc.json --log-level warn)
eslint=("$js_tools/eslint" --config scripts/js/eslint.config.js --max-warnings 0)
if [ "${1:-}" = "--check" ]; then
  clang-format --dry-run --Werror "${files[@]}"
  "${prettier[@]}" --check web/assets
  "${eslint[@]}" web/assets
  echo "format: ${#files[@]} C++ files formatted; web/assets formatted and linted"
else
  clang-format -i "${files[@]}"
  "${prettier[@]}" --write web/assets
  "${eslint[@]}" web/assets
fi
