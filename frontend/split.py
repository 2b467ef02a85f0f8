#!/usr/bin/env python3
"""Splits the release build of the browser app into a main module and modules loaded on
demand (frontend/src/split.rs explains the Rust side; the README, "How the release build
splits the app", the whole).

Run by Trunk's post-build hook (frontend/post_build.sh) when `CONFAB_SPLIT=1`, which
`just frontend` sets together with the compiler flags this needs:
`--cfg confab_split` (the split points) and `-Clink-arg=--emit-relocs` (the linker's
relocations, which tell the splitter what refers to what), on an unstripped build.

Trunk cannot split (trunk-rs/trunk#1022), so this redoes its last steps from the module
cargo built:

1. `wasm-split-cli` cuts the module: `confab-frontend.wasm` (main), one `split_NAME.wasm`
   per split point, `chunk_N.wasm` for code several of them share, and `__wasm_split.js`,
   which fetches and links them.
2. `wasm-bindgen --keep-lld-exports` makes the JS glue for the main module (the split
   modules import its memory and function table, which it must export).
3. `wasm-opt`, with the flags in frontend/index.html, on every module.
4. All of it goes into one directory named by a hash of its contents, `app-HASH/`: the
   files refer to each other by fixed relative names (`./confab-frontend.js`,
   `./chunk_5.wasm`), and the directory's name changes with any of them, so the
   backend can let browsers cache everything under it for good.
5. index.html loads the glue and the main module from there instead of Trunk's
   unsplit files, which are removed; integrity hashes are recomputed.
"""

import base64
import hashlib
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
NAME = "confab-frontend"


def run(*args: str | Path) -> None:
    subprocess.run([str(a) for a in args], check=True)


def integrity(path: Path) -> str:
    return "sha384-" + base64.b64encode(hashlib.sha384(path.read_bytes()).digest()).decode()


def wasm_opt_args() -> list[str]:
    """`-Oz` and the feature flags that frontend/index.html gives Trunk's wasm-opt."""
    html = (ROOT / "frontend" / "index.html").read_text(encoding="utf-8")
    level = re.search(r'data-wasm-opt="(\w+)"', html)
    params = re.search(r'data-wasm-opt-params="([^"]*)"', html)
    if not level or not params:
        sys.exit("split.py: frontend/index.html lacks data-wasm-opt / data-wasm-opt-params")
    return [f"-O{level.group(1)}", *params.group(1).split()]


def build(cargo_wasm: Path, out: Path, work: Path) -> None:
    """Steps 1-3: the split, optimised modules and their glue, into `out`."""
    split = work / "split"
    run("wasm-split-cli", "--out-name", NAME, cargo_wasm, split)
    run("wasm-bindgen", "--target", "web", "--keep-lld-exports", "--no-typescript",
        "--out-dir", out, split / f"{NAME}.wasm")
    opt = wasm_opt_args()
    modules = [out / f"{NAME}_bg.wasm"]
    for module in sorted(split.glob("*.wasm")):
        if module.name != f"{NAME}.wasm":
            shutil.copy(module, out / module.name)
            modules.append(out / module.name)
    for module in modules:
        run("wasm-opt", *opt, module, "-o", module)
    shutil.copy(split / "__wasm_split.js", out / "__wasm_split.js")


def content_hash(directory: Path) -> str:
    digest = hashlib.sha256()
    for path in sorted(directory.iterdir()):
        digest.update(path.name.encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()[:16]


def rewrite_index(staging: Path, app: str) -> None:
    """Step 5: index.html names `app/` instead of Trunk's unsplit glue and module."""
    index = staging / "index.html"
    html = index.read_text(encoding="utf-8")
    glue = re.search(rf"/({re.escape(NAME)}-[0-9a-f]+)\.js", html)
    if not glue:
        sys.exit("split.py: index.html does not load Trunk's JS glue")
    old_js, old_wasm = f"{glue.group(1)}.js", f"{glue.group(1)}_bg.wasm"
    new_js, new_wasm = f"{app}/{NAME}.js", f"{app}/{NAME}_bg.wasm"
    renamed = {old_js: new_js, old_wasm: new_wasm}

    def retarget(tag: re.Match[str]) -> str:
        text = tag.group(0)
        for old, new in renamed.items():
            if f"/{old}" in text:
                text = text.replace(f"/{old}", f"/{new}")
                text = re.sub(r"sha384-[A-Za-z0-9+/=]+", integrity(staging / new), text)
        return text

    html = re.sub(r"<link\b[^>]*>", retarget, html)
    for old, new in renamed.items():
        html = html.replace(f"/{old}", f"/{new}")
        (staging / old).unlink(missing_ok=True)
    # The glue imports the loader of the split modules: fetch it alongside, not after.
    loader = f'<link rel=modulepreload href=/{app}/__wasm_split.js crossorigin=anonymous integrity={integrity(staging / app / "__wasm_split.js")}>'
    html = html.replace("</head>", loader + "</head>", 1) if "</head>" in html else html.replace("<script", loader + "<script", 1)
    index.write_text(html, encoding="utf-8")


def main() -> None:
    staging = Path(os.environ["TRUNK_STAGING_DIR"])
    target = Path(os.environ.get("CARGO_TARGET_DIR", ROOT / "target"))
    cargo_wasm = target / "wasm32-unknown-unknown" / "wasm-release" / f"{NAME}.wasm"
    with tempfile.TemporaryDirectory(prefix="confab-split-") as tmp:
        work = Path(tmp)
        out = work / "app"
        build(cargo_wasm, out, work)
        app = f"app-{content_hash(out)}"
        shutil.copytree(out, staging / app)
    rewrite_index(staging, app)
    print(f"split.py: {app}/ holds {len(list((staging / app).iterdir()))} files")


if __name__ == "__main__":
    main()
