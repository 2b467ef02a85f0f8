#!/usr/bin/env bash
# Trunk's post-build hook (Trunk.toml), for release builds; debug builds skip it.
#
# 1. With CONFAB_SPLIT=1 (`just frontend` sets it), splits the app into a main module and
#    modules loaded on demand (frontend/split.py).
# 2. Next to each WASM, JS, CSS, HTML and SVG file, NAME.br (brotli -q 11) and NAME.gz
#    (gzip -9), which the backend sends to browsers that accept them
#    (backend/src/frontend.rs). Compressing once here gets the best ratios at no cost per
#    request.
set -euo pipefail
[ "${TRUNK_PROFILE:-}" = release ] || exit 0
if [ "${CONFAB_SPLIT:-}" = 1 ]; then
  python3 "$(dirname "$0")/split.py"
fi
cd "$TRUNK_STAGING_DIR"
find . -type f \( -name '*.wasm' -o -name '*.js' -o -name '*.css' -o -name '*.html' -o -name '*.svg' \) -print0 |
  while IFS= read -r -d '' file; do
    brotli --quality=11 --force --keep "$file"
    gzip -9 --force --keep --no-name "$file"
  done
