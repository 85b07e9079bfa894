#!/usr/bin/env bash
# The README's main job, on a fresh Debian machine: installs what crosslink
# needs, builds it, starts the sandbox (a simulated ECK + Elastic Cloud +
# self-managed world on loopback), then runs the whole crosslink cycle on
# examples/quickstart.yaml as shipped: plan, apply, the verified connections,
# plan again (nothing to do), destroy. The sandbox is stopped at the end, on
# failure too. Exits non-zero as soon as a step does not do what it should.
#
#   bash scripts/quickstart.sh
#   BUILD_DIR=build-qs bash scripts/quickstart.sh   # another build directory
set -euo pipefail
cd "$(dirname "$0")/.."

BUILD_DIR=${BUILD_DIR:-build}
TOPOLOGY=examples/quickstart.yaml
SANDBOX_CONFIG=sandbox/configs/quickstart.yaml
CROSSLINK=$BUILD_DIR/bin/crosslink
SANDBOX=$BUILD_DIR/bin/crosslink-sandbox
STEPS=8
step_no=0
summary=()  # one line per step that did what it should, printed at the end

if [ -t 1 ]; then BOLD=$'\e[1m'; RED=$'\e[31m'; GREEN=$'\e[32m'; RESET=$'\e[0m'; else
  BOLD=; RED=; GREEN=; RESET=; fi

# step "title" "why, in a few words"
step() {
  step_no=$((step_no + 1))
  echo
  echo "${BOLD}==> [$step_no/$STEPS] $1${RESET}"
  [ -n "${2:-}" ] && echo "    $2"
  return 0
}
fail() {
  echo "${RED}${BOLD}quickstart failed:${RESET} $*" >&2
  exit 1
}
# expect CODE what command...: runs the command (its output also kept in
# $RUN_DIR/last.out), fails unless it exits CODE.
expect() {
  local want=$1 what=$2 code=0
  shift 2
  set +e
  "$@" 2>&1 | tee "$RUN_DIR/last.out"
  code=${PIPESTATUS[0]}
  set -e
  [ "$code" -eq "$want" ] || fail "$what exited $code (expected $want)"
}
# The line of the last command's output that starts with $1, e.g. "Plan:".
result_line() { grep -m1 "^$1" "$RUN_DIR/last.out" || echo "$1 (not printed)"; }

# Builds the two programs, printing one progress line every few seconds
# instead of ninja's hundreds of lines (errors and warnings are shown).
build() {
  cmake -S . -B "$BUILD_DIR" -G Ninja -DCMAKE_BUILD_TYPE="${CROSSLINK_BUILD_TYPE:-RelWithDebInfo}" \
    >/dev/null || fail "CMake could not configure $BUILD_DIR (its errors are above)"
  local last=-100 line what
  cmake --build "$BUILD_DIR" -j"${CROSSLINK_JOBS:-2}" --target crosslink crosslink-sandbox 2>&1 |
    while IFS= read -r line; do
      if [[ $line =~ ^\[([0-9]+)/([0-9]+)\]\ (.*)$ ]]; then
        if [ $((SECONDS - last)) -ge 5 ] || [ "${BASH_REMATCH[1]}" = "${BASH_REMATCH[2]}" ]; then
          last=$SECONDS
          # "Building CXX object engine/cli/CMakeFiles/x.dir/run.cc.o" -> "engine/cli/run.cc"
          what=${BASH_REMATCH[3]#Building CXX object }
          what=${what/CMakeFiles\/*.dir\//}
          printf '    %3d%%  [%s/%s] %s  (%dm%02ds)\n' \
            $((BASH_REMATCH[1] * 100 / BASH_REMATCH[2])) "${BASH_REMATCH[1]}" "${BASH_REMATCH[2]}" \
            "${what%.o}" $((SECONDS / 60)) $((SECONDS % 60))
        fi
      elif [[ $line == "ninja: no work to do." ]]; then
        echo "    already built"
      else
        echo "    $line"
      fi
    done || fail "the build failed (its errors are above)"
  [ -x "$CROSSLINK" ] && [ -x "$SANDBOX" ] || fail "the build did not produce $CROSSLINK"
}

# The local clusters of the topology's connections ("- local: NAME" lines).
local_clusters() {
  sed -n 's/^[[:space:]]*-[[:space:]]*local:[[:space:]]*\([a-z0-9_-]*\).*/\1/p' "$TOPOLOGY" |
    sort -u
}

# GET _remote/info on a cluster of the sandbox, with its URL, CA and the
# elastic user's password from sandbox.env (as you would with curl).
remote_info() {
  local prefix
  prefix=$(echo "$1" | tr 'a-z-' 'A-Z_')
  local url_var=${prefix}_URL ca_var=${prefix}_CA_FILE pw_var=${prefix}_PASSWORD
  # The password goes to curl on stdin (-K -), never on its command line.
  printf 'user = "elastic:%s"\n' "${!pw_var}" |
    curl -fsS -K - --cacert "${!ca_var}" "${!url_var}/_remote/info"
}

# One row per remote cluster alias of every local cluster; fails when one is
# not connected. _remote/info entries are flat JSON objects.
show_connections() {
  local cluster info entry alias connected mode address creds bad=0 rows=0
  printf '    %-11s %-11s %-10s %-6s %-12s %s\n' LOCAL ALIAS CONNECTED MODE CREDENTIALS "REMOTE ADDRESS"
  for cluster in $(local_clusters); do
    info=$(remote_info "$cluster") || fail "GET _remote/info on $cluster failed"
    while IFS= read -r entry; do
      [ -n "$entry" ] || continue
      alias=$(sed 's/^"\([^"]*\)".*/\1/' <<<"$entry")
      connected=$(grep -o '"connected":[a-z]*' <<<"$entry" | cut -d: -f2)
      mode=$(grep -o '"mode":"[a-z]*"' <<<"$entry" | cut -d'"' -f4)
      address=$(grep -o '"proxy_address":"[^"]*"' <<<"$entry" | cut -d'"' -f4)
      [ -n "$address" ] || address=$(grep -o '"seeds":\["[^"]*"' <<<"$entry" | cut -d'"' -f4)
      creds="certificates"
      grep -q '"cluster_credentials"' <<<"$entry" && creds="API key"
      printf '    %-11s %-11s %-10s %-6s %-12s %s\n' "$cluster" "$alias" \
        "$([ "$connected" = true ] && echo "${GREEN}yes${RESET}   " || echo "${RED}NO${RESET}    ")" \
        "$mode" "$creds" "$address"
      [ "$connected" = true ] || bad=1
      rows=$((rows + 1))
    done < <(grep -o '"[^"]*":{[^{}]*}' <<<"$info" || true)
  done
  [ "$bad" -eq 0 ] || fail "a connection is not connected (see the table above)"
  [ "$rows" -gt 0 ] || fail "no remote cluster at all on $(local_clusters | paste -sd' ')"
  summary+=("verify   $rows connections, every one connected (GET _remote/info)")
}

# After destroy: no remote cluster left on any local cluster.
expect_no_connections() {
  local cluster info
  for cluster in $(local_clusters); do
    info=$(remote_info "$cluster") || fail "GET _remote/info on $cluster failed"
    [ "$info" = "{}" ] || fail "$cluster still has remote clusters after destroy: $info"
  done
  echo "    no remote cluster left on $(local_clusters | paste -sd, | sed 's/,/, /g')"
}

RUN_DIR=$(mktemp -d /tmp/crosslink-quickstart-XXXXXX)
cleanup() {
  local code=$?
  if [ -f "$RUN_DIR/sandbox/sandbox.pid" ] && [ -x "$SANDBOX" ]; then
    echo
    echo "${BOLD}==> stopping the sandbox${RESET}"
    "$SANDBOX" stop --dir "$RUN_DIR/sandbox" >/dev/null 2>&1 || true
  fi
  if [ "$code" -ne 0 ]; then
    # Kept for a look: the sandbox log, the last command's output, the state.
    echo "    kept for inspection: $RUN_DIR (sandbox/sandbox.log, last.out, the state)" >&2
    return
  fi
  rm -rf "$RUN_DIR"
  if [ "$code" -eq 0 ]; then
    echo
    echo "${BOLD}==> Summary${RESET}"
    printf '    %s\n' "${summary[@]}"
    echo
    echo "${GREEN}${BOLD}Done.${RESET} Next: docs/getting-started.md, the examples/ (one per scenario, each"
    echo "runs against its sandbox config the same way) and docs/topology.md."
  fi
}
trap cleanup EXIT

step "Installing build tools and libraries" \
  "Debian packages only (scripts/setup.sh); silent when everything is there."
bash scripts/setup.sh
summary+=("setup    Debian packages in place")

step "Building crosslink and crosslink-sandbox" \
  "C++ with CMake + Ninja: a few minutes the first time on 2 cores, seconds afterwards."
build
summary+=("build    $CROSSLINK, $SANDBOX")

step "Starting the sandbox: ECK on Kubernetes, Elastic Cloud Hosted, a self-managed cluster" \
  "A digital twin of the three platforms on loopback ($SANDBOX_CONFIG); no real cluster needed."
"$SANDBOX" serve --config "$SANDBOX_CONFIG" --dir "$RUN_DIR/sandbox" --detach ||
  fail "the sandbox did not start (log: $RUN_DIR/sandbox/sandbox.log)"
# Where each simulated cluster and API listens, its CA and credentials: the
# ${env:NAME} values of the topology file.
set -a
# shellcheck disable=SC1091
. "$RUN_DIR/sandbox/sandbox.env"
set +a
# crosslink's state file and the key that encrypts its secrets, in a temp dir.
export CROSSLINK_STATE=$RUN_DIR/quickstart.state.json
export CROSSLINK_STATE_KEY_FILE=$RUN_DIR/state.key
echo "    logs (ECK): $LOGS_URL   analytics (ECH): $ANALYTICS_URL"
echo "    onprem (self-managed, 2 nodes): $ONPREM_URL"
summary+=("sandbox  ECK + Elastic Cloud Hosted + self-managed, from $SANDBOX_CONFIG")

step "crosslink plan -f $TOPOLOGY" \
  "Reads the live clusters and shows, in order, what apply will do. Nothing changes yet."
expect 2 "crosslink plan (changes expected)" "$CROSSLINK" plan -f "$TOPOLOGY" -detailed-exitcode
summary+=("plan     $(result_line "Plan:") (exit code 2)")

step "crosslink apply -f $TOPOLOGY -auto-approve" \
  "Creates keys, certificates, trust and settings on each cluster, in dependency order."
expect 0 "crosslink apply" "$CROSSLINK" apply -f "$TOPOLOGY" -auto-approve
summary+=("apply    $(result_line "Apply complete!")")

step "The connections, as Elasticsearch reports them (GET _remote/info)" \
  "connected = the local cluster reached the remote one over TLS and was let in."
show_connections

step "crosslink plan again" \
  "Everything is as the file says: the plan is empty (exit code 0 with -detailed-exitcode)."
expect 0 "the second crosslink plan (no changes expected)" \
  "$CROSSLINK" plan -f "$TOPOLOGY" -detailed-exitcode
summary+=("plan     no changes (exit code 0)")

step "crosslink destroy -f $TOPOLOGY -auto-approve" \
  "Removes everything crosslink made, and only that, in reverse order."
expect 0 "crosslink destroy" "$CROSSLINK" destroy -f "$TOPOLOGY" -auto-approve
expect_no_connections
summary+=("destroy  $(result_line "Destroy complete!") No remote cluster left.")
