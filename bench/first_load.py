#!/usr/bin/env python3
"""Bytes on the wire for a first visit: index.html, every file it links (WASM, JS, CSS,
icon) and every module those scripts import, as sent raw, gzip'd and brotli'd, from the
precompressed files of a release build (`just frontend`). Then the modules split off from
the first download (frontend/split.py), which a screen fetches when it first opens.
Usage: bench/first_load.py [DIST_DIR]"""

import re
import sys
from pathlib import Path

BUDGET = 250 * 1000


def linked_files(dist: Path) -> list[Path]:
    """index.html, then each root-relative href, src or import it names, and each module
    a linked script imports by a relative name (sorted)."""
    html = (dist / "index.html").read_text(encoding="utf-8")
    names = set(re.findall(r"""(?:href=|src=|from\s*)["']?/([^"'\s>]+)""", html))
    found = {dist / name for name in names if (dist / name).is_file()}
    scripts = [path for path in found if path.suffix == ".js"]
    while scripts:
        script = scripts.pop()
        for name in re.findall(r"""(?:from|import)\s*["'](\.\.?/[^"']+)["']""", script.read_text(encoding="utf-8")):
            imported = (script.parent / name).resolve()
            if imported.is_file() and imported not in found:
                found.add(imported)
                scripts.append(imported)
    return [dist / "index.html"] + sorted(found)


def size(path: Path) -> int:
    return path.stat().st_size if path.is_file() else 0


def table(dist: Path, paths: list[Path]) -> tuple[int, int, int]:
    rows = []
    for path in paths:
        raw = size(path)
        # A file without a precompressed version goes out as it is.
        gzip = size(path.with_name(path.name + ".gz")) or raw
        brotli = size(path.with_name(path.name + ".br")) or raw
        rows.append((str(path.relative_to(dist)), raw, gzip, brotli))
    totals = tuple(sum(row[i] for row in rows) for i in (1, 2, 3))
    print("| file | raw | gzip -9 | brotli -q 11 |")
    print("| --- | ---: | ---: | ---: |")
    for name, raw, gzip, brotli in rows + [("**total**", *totals)]:
        print(f"| {name} | {raw:,} | {gzip:,} | {brotli:,} |")
    return totals


def main() -> None:
    dist = Path(sys.argv[1] if len(sys.argv) > 1 else "dist").resolve()
    first = linked_files(dist)
    totals = table(dist, first)
    verdict = "within" if totals[2] <= BUDGET else "OVER"
    print(f"\nFirst load with brotli: {totals[2]:,} bytes, {verdict} the {BUDGET:,}-byte budget.")

    first_set = {p.resolve() for p in first}
    later = sorted(p for p in dist.rglob("*.wasm") if p.resolve() not in first_set and not any(part.startswith(".") for part in p.relative_to(dist).parts))
    if later:
        print("\nDownloaded when a split-off screen first opens (or in the background after sign-in):\n")
        table(dist, later)


if __name__ == "__main__":
    main()
