#!/usr/bin/env python3
"""Bytes on the wire for a first visit: index.html and every file it links (WASM, JS, CSS,
icon), as sent raw, gzip'd and brotli'd, from the precompressed files of a release build
(`just frontend`). Usage: bench/first_load.py [DIST_DIR]"""

import re
import sys
from pathlib import Path

BUDGET = 250 * 1000


def linked_files(dist: Path) -> list[Path]:
    """index.html, then each root-relative href, src or import it names (sorted)."""
    html = (dist / "index.html").read_text(encoding="utf-8")
    names = set(re.findall(r"""(?:href=|src=|from\s*)["']?/([^"'\s>]+)""", html))
    return [dist / "index.html"] + sorted(dist / name for name in names if (dist / name).is_file())


def size(path: Path) -> int:
    return path.stat().st_size if path.is_file() else 0


def main() -> None:
    dist = Path(sys.argv[1] if len(sys.argv) > 1 else "dist")
    rows = []
    for path in linked_files(dist):
        raw = size(path)
        # A file without a precompressed version goes out as it is.
        gzip = size(path.with_name(path.name + ".gz")) or raw
        brotli = size(path.with_name(path.name + ".br")) or raw
        rows.append((path.name, raw, gzip, brotli))
    totals = tuple(sum(row[i] for row in rows) for i in (1, 2, 3))

    print("| file | raw | gzip -9 | brotli -q 11 |")
    print("| --- | ---: | ---: | ---: |")
    for name, raw, gzip, brotli in rows + [("**total**", *totals)]:
        print(f"| {name} | {raw:,} | {gzip:,} | {brotli:,} |")
    verdict = "within" if totals[2] <= BUDGET else "OVER"
    print(f"\nFirst load with brotli: {totals[2]:,} bytes, {verdict} the {BUDGET:,}-byte budget.")


if __name__ == "__main__":
    main()
