#!/usr/bin/env bash
# Installs every build and test dependency of crosslink from Debian packages.
# Idempotent: when everything is already installed it prints nothing and exits 0.
set -euo pipefail

PACKAGES=(
  g++ cmake ninja-build pkg-config git ca-certificates
  libyaml-cpp-dev nlohmann-json3-dev libssl-dev libboost-graph-dev libspdlog-dev
  libgtest-dev libgmock-dev libcli11-dev libcurl4-openssl-dev libcpp-httplib-dev
  libvalijson-dev libpq-dev openssl curl
  # docs/images (scripts/render-docs.sh, DocsPictureTest): Graphviz's dot, and
  # the fonts it measures text with, so that every machine draws the same SVG
  graphviz fonts-liberation2
)

missing=()
for p in "${PACKAGES[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done
[ ${#missing[@]} -eq 0 ] && exit 0

SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
echo "setup: installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq >/dev/null
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
