#!/usr/bin/env bash
# Sets everything up and runs the main job (the README's first command):
# installs the Debian packages, builds crosslink, validates the quickstart
# topology and prints its resource graph.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
echo "==> building crosslink (first build takes a few minutes on 2 cores)"
bash scripts/build.sh build >/dev/null
CROSSLINK=build/bin/crosslink
TOPOLOGY=examples/quickstart.yaml

echo
echo "==> crosslink validate -f $TOPOLOGY"
"$CROSSLINK" validate -f "$TOPOLOGY"

echo
echo "==> crosslink graph -f $TOPOLOGY   (DOT; render with: dot -Tsvg -o graph.svg)"
"$CROSSLINK" graph -f "$TOPOLOGY"
