# confab's tasks. `just` lists them; `just dev` runs the app, `just test` runs what CI runs.

set shell := ["bash", "-euo", "pipefail", "-c"]

# Tools installed by `.ci/setup` (cargo binaries, npm's binaryen) come first on PATH.
export PATH := justfile_directory() + "/.tools/node_modules/.bin:" + env_var("HOME") + "/.cargo/bin:" + env_var("PATH")
# Trunk uses npm's binaryen 132: Debian's binaryen 108 silently breaks the WASM bundle.
export TRUNK_TOOLS_WASM_OPT := "version_132"

# List the recipes.
default:
    @just --list --unsorted

# Install what this machine lacks (Rust wasm32 target, trunk, wasm-bindgen, wasm-split-cli, brotli, Redis, Chromium, npm packages, schemathesis).
setup:
    bash .ci/setup

# Run confab on http://127.0.0.1:8080 with PostgreSQL and Redis; Ctrl-C stops everything.
dev: setup frontend
    #!/usr/bin/env bash
    set -euo pipefail
    if docker info >/dev/null 2>&1; then
        echo "Docker engine found: PostgreSQL and Redis from docker-compose.yml"
        docker compose up -d --wait postgres redis
        trap 'docker compose stop postgres redis' EXIT
        DATABASE_URL=postgres://confab:confab@127.0.0.1:5432/confab REDIS_URL=redis://127.0.0.1:6379 \
            DIST_DIR=dist cargo run --release -p confab-backend --bin confab
    else
        echo "No Docker engine: local PostgreSQL and Redis with data under .data/"
        cargo run --release -p confab-test-support --bin confab-stack -- --port 8080 --dist dist --data-dir .data
    fi

# Two nodes (separate processes) on http://127.0.0.1:8080 and :8081, one PostgreSQL and one Redis.
dev-cluster: setup frontend
    cargo build --release -p confab-backend --bin confab -p confab-test-support --bin confab-stack
    target/release/confab-stack --nodes 2 --port 8080 --dist dist --data-dir .data

# A local OpenID provider on http://127.0.0.1:8092 for "Sign in with …" under `just dev` (README: Sign in with an identity provider).
oidc-demo: setup
    @echo 'Start confab with: OIDC_PROVIDERS=demo OIDC_DEMO_ISSUER=http://127.0.0.1:8092 OIDC_DEMO_CLIENT_ID=confab-demo OIDC_DEMO_CLIENT_SECRET=confab-demo-secret OIDC_DEMO_LABEL="Demo provider" just dev'
    cd crates/test-support/oidc && node provider.mjs --port 8092 --client confab-demo:confab-demo-secret:http://127.0.0.1:8080/api/auth/oidc/demo/callback

# Build the frontend into dist/ (release, size-optimised, split into modules loaded on demand).
frontend:
    CONFAB_SPLIT=1 CARGO_PROFILE_WASM_RELEASE_STRIP=false \
        CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUSTFLAGS="--cfg erase_components --cfg confab_split -Clink-arg=--emit-relocs" \
        trunk build --release --skip-version-check

# Everything CI runs (`.ci/run`): fmt check, clippy on host and wasm32, all tests, the API fuzzer, browser tests.
test: setup fmt-check lint frontend
    cargo test --workspace --no-fail-fast
    just fuzz
    just e2e
    just e2e-s3

# Fuzz the HTTP API (schemathesis, every check, signed in) on a throwaway stack; e.g. `just fuzz --seed 42`.
fuzz *ARGS:
    cargo build -p confab-test-support --bin confab-stack
    fuzz/run {{ARGS}}

# Browser tests (Playwright driving Debian's Chromium) against a throwaway stack.
e2e:
    cargo build -p confab-test-support --bin confab-stack
    cd e2e && npx playwright test

# The file-sharing browser specs with the files in a real S3-compatible server (moto).
e2e-s3:
    cargo build -p confab-test-support --bin confab-stack
    e2e/s3/run

# The same as `test` (fmt check + clippy on host and wasm32 + all tests).
ready: test

# Format all code.
fmt:
    cargo fmt --all

# Check formatting without changing files.
fmt-check:
    cargo fmt --all -- --check

# Clippy with warnings as errors, on the host crates and on the wasm32 frontend.
lint:
    cargo clippy --all-targets -- -D warnings
    cargo clippy -p confab-frontend --target wasm32-unknown-unknown -- -D warnings

# Load figures: its own durable PostgreSQL, Redis and nodes (server side pinned to CPU 0, the
# generator to CPU 1), the standard scenarios (message search over 100k messages last);
# writes bench/results/<date>.json and .md.
# Flags go to confab-load (`just bench --help`), e.g. `just bench --scenarios fanout --fanout-rates 1000`.
bench *ARGS:
    cargo build --release -p confab-backend --bin confab -p confab-loadtest --bin confab-load
    ulimit -n "$(ulimit -Hn)" 2>/dev/null || ulimit -n 20000 2>/dev/null || true; target="$(realpath "${CARGO_TARGET_DIR:-target}")"; \
        "$target/release/confab-load" --server-bin "$target/release/confab" --out bench/results {{ARGS}}

# Message-search figures alone: p50/p99 of GET /api/search over 100k messages (flags as for `bench`).
bench-search *ARGS:
    just bench --scenarios search --suffix -search {{ARGS}}

# Server RSS after N registrations and N logins (the password hasher's memory bound).
bench-logins N="1000":
    cargo build --release -p confab-backend --bin confab
    python3 bench/rss_after_logins.py {{N}} target/release/confab

# First-load bytes: index.html and every file it links, raw, gzip and brotli (release build).
bench-first-load: frontend
    python3 bench/first_load.py dist

# Retakes the README's screenshots (docs/screenshots/) from the real app in Chromium.
screenshots: frontend
    cd e2e && SCREENSHOTS=1 npx playwright test screenshots

# Lighthouse scores (npm lighthouse 12, Debian's Chromium) of the login page and a signed-in
# chat, mobile and desktop settings; the full reports go to target/lighthouse/.
lighthouse: frontend
    cd bench/lighthouse && ([ -d node_modules ] || npm ci --no-audit --no-fund)
    node bench/lighthouse/run.mjs

# Compare the chat view's Lighthouse performance across built apps, taking turns: `just lighthouse-compare dist /tmp/other-dist`.
lighthouse-compare +DISTS:
    cd bench/lighthouse && ([ -d node_modules ] || npm ci --no-audit --no-fund)
    node bench/lighthouse/compare.mjs {{DISTS}}

# Cache figures: latency percentiles and hit rate with and without Redis (release build).
bench-cache *ARGS:
    cargo run --release -p confab-loadtest --bin confab-bench -- {{ARGS}}
