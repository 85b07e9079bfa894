#!/usr/bin/env bash
# Renders the pictures in docs/ from the code: the resource graph of the
# quickstart topology, as crosslink prints it, and its Graphviz drawing.
#
#   docs/images/quickstart.dot   `crosslink graph -f examples/quickstart.yaml`
#   docs/images/quickstart.svg   `dot -Tsvg docs/images/quickstart.dot`
#
# Usage: scripts/render-docs.sh [CROSSLINK_BINARY]   (default: build/bin/crosslink)
#
# `crosslink graph` runs in an empty environment: the picture depends on the
# topology file and the code only, never on the caller's ${env:NAME}
# variables (graph works without them and says which ones it skipped).
# The golden test DocsPictureTest (tests/engine/cli/docs_picture_test.cc)
# fails when these files are out of date; CROSSLINK_UPDATE_GOLDEN=1 makes
# it rewrite them the same way.
set -euo pipefail
cd "$(dirname "$0")/.."

CROSSLINK=${1:-build/bin/crosslink}
TOPOLOGY=examples/quickstart.yaml
OUT=docs/images

if [ ! -x "$CROSSLINK" ]; then
  echo "render-docs: $CROSSLINK is not built; run scripts/build.sh first" >&2
  exit 1
fi
if ! command -v dot >/dev/null; then
  echo "render-docs: Graphviz's dot is not installed; run scripts/setup.sh (Debian package graphviz)" >&2
  exit 1
fi

mkdir -p "$OUT"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# Only PATH and HOME survive: the graph must not depend on the caller's variables.
if ! env -i PATH="$PATH" HOME="${HOME:-/}" "$CROSSLINK" graph -f "$TOPOLOGY" --no-color \
    >"$tmp/quickstart.dot" 2>"$tmp/graph.err"; then
  cat "$tmp/graph.err" >&2
  echo "render-docs: crosslink graph -f $TOPOLOGY failed; docs/images was not changed" >&2
  exit 1
fi
dot -Tsvg "$tmp/quickstart.dot" -o "$tmp/quickstart.svg"

mv "$tmp/quickstart.dot" "$OUT/quickstart.dot"
mv "$tmp/quickstart.svg" "$OUT/quickstart.svg"
chmod 0644 "$OUT/quickstart.dot" "$OUT/quickstart.svg"
echo "render-docs: wrote $OUT/quickstart.dot and $OUT/quickstart.svg ($(dot -V 2>&1))"
