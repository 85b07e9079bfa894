#!/usr/bin/env bash
# Sets everything up and runs the main job (the README's first command):
# installs the Debian packages, builds crosslink, validates the quickstart
# topology, prints its resource graph, then starts the sandbox of its three
# platforms, calls the simulated APIs and stops it.
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

# The sandbox: the three platforms of the quickstart topology, simulated on
# loopback. (The providers that let `crosslink plan/apply` drive it are the
# next issues; until then this shows the twin itself.)
SANDBOX=build/bin/crosslink-sandbox
SANDBOX_RUN_DIR=$(mktemp -d /tmp/crosslink-sandbox-XXXXXX)
trap '"$SANDBOX" stop --dir "$SANDBOX_RUN_DIR" >/dev/null 2>&1 || true; rm -rf "$SANDBOX_RUN_DIR"' EXIT

echo
echo "==> crosslink-sandbox serve --config sandbox/configs/quickstart.yaml --detach"
"$SANDBOX" serve --config sandbox/configs/quickstart.yaml --dir "$SANDBOX_RUN_DIR" --detach
set -a
# shellcheck disable=SC1091
. "$SANDBOX_RUN_DIR/sandbox.env"
set +a

echo
echo "==> the simulated clusters answer over HTTPS, e.g. GET / on logs (ECK) and onprem (self-managed):"
curl -fsS --cacert "$LOGS_CA_FILE" -u "elastic:$LOGS_PASSWORD" "$LOGS_URL/" | head -c 200; echo
curl -fsS --cacert "$ONPREM_CA_FILE" -u "elastic:$ONPREM_PASSWORD" "$ONPREM_URL/_cluster/health" | head -c 200; echo

echo
echo "==> the Elastic Cloud API twin lists the analytics deployment:"
curl -fsS --cacert "$CLOUD_CA_FILE" -H "Authorization: ApiKey $CLOUD_API_KEY" "$CLOUD_ENDPOINT/api/v1/deployments"; echo

echo
echo "==> inspection API: $SANDBOX_CONTROL_URL/_sandbox"
curl -fsS "$SANDBOX_CONTROL_URL/_sandbox" | head -c 400; echo

echo
echo "==> crosslink-sandbox stop"
"$SANDBOX" stop --dir "$SANDBOX_RUN_DIR"
