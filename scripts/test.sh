#!/usr/bin/env bash
# Sets everything up and runs the whole test suite (the README's test command).
#   scripts/test.sh            install deps, build, run every test
#   CROSSLINK_SANITIZE=1 scripts/test.sh   the same under ASan+UBSan (build-asan/)
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
BUILD_DIR=build
[ "${CROSSLINK_SANITIZE:-0}" = 1 ] && BUILD_DIR=build-asan
[ "${CROSSLINK_TSAN:-0}" = 1 ] && BUILD_DIR=build-tsan
bash scripts/build.sh "$BUILD_DIR"
cd "$BUILD_DIR"
ctest --output-on-failure -j2 --timeout 300
