#!/usr/bin/env bash
# Builds rdconnect and runs every test through ctest: the one test command
# that the README documents and .ci/run calls. Run from anywhere.
set -euo pipefail
cd "$(dirname "$0")/.."
cmake -S . -B build && cmake --build build -j"$(nproc)" && (cd build && ctest --output-on-failure -j2 --timeout 300)
