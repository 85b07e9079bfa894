#!/usr/bin/env bash
# Configures and builds crosslink. Usage: scripts/build.sh [BUILD_DIR] [extra cmake args...]
#   CROSSLINK_SANITIZE=1 scripts/build.sh build-asan   -> ASan+UBSan build
#   CROSSLINK_TSAN=1     scripts/build.sh build-tsan   -> ThreadSanitizer build
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD_DIR=${1:-build}
shift || true
args=(-G Ninja -DCMAKE_BUILD_TYPE=${CROSSLINK_BUILD_TYPE:-RelWithDebInfo})
[ "${CROSSLINK_SANITIZE:-0}" = 1 ] && args+=(-DCROSSLINK_SANITIZE=ON -DCMAKE_BUILD_TYPE=Debug)
[ "${CROSSLINK_TSAN:-0}" = 1 ] && args+=(-DCROSSLINK_TSAN=ON -DCMAKE_BUILD_TYPE=Debug)
cmake -S . -B "$BUILD_DIR" "${args[@]}" "$@" >/dev/null
cmake --build "$BUILD_DIR" -j"${CROSSLINK_JOBS:-2}"
