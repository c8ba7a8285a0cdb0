#!/usr/bin/env bash
# The project's test command (README "Test"; `.ci/run` runs exactly this).
#   1. build every canister wasm: integration tests load <target-dir>/canisters/<name>.wasm.gz
#   2. run every test of the workspace with nextest (timeouts in .config/nextest.toml)
#   3. compile the end-to-end tests against the real PocketIC API (feature `pocket-ic`), so the emulator's
#      PocketIC-shaped API cannot drift from the real one unnoticed
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

step() { printf '\n==> %s\n' "$*"; }

step "cargo run -p release -- build"
cargo run -p release -- build

step "cargo nextest run --workspace"
cargo nextest run --workspace

# The fleet_tests crate and its `pocket-ic` feature are written by another stream of work; until both exist
# there is nothing to check.
metadata=$(cargo metadata --no-deps --format-version 1)
if grep -q '"name":"fleet_tests"' <<<"$metadata" && grep -q '"pocket-ic":\[' <<<"$metadata"; then
    step "cargo check -p fleet_tests --features pocket-ic --tests"
    cargo check -p fleet_tests --features pocket-ic --tests
else
    step "skipped: cargo check -p fleet_tests --features pocket-ic --tests (no fleet_tests crate with a pocket-ic feature yet)"
fi
