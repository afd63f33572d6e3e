#!/usr/bin/env bash
# Installs what rdconnect needs to build, run and test, from Debian's
# packages (Debian 12). Used by the README's two commands and by .ci/run.
set -euo pipefail

packages=(
  build-essential cmake pkg-config git
  librdkafka-dev libmicrohttpd-dev libjson-c-dev libinih-dev libcmocka-dev
  python3 python3-pytest python3-requests python3-confluent-kafka
  kcat curl valgrind
  clang libclang-rt-14-dev
)

# libcurl's headers: either flavour (the two conflict); OpenSSL's if none.
if ! dpkg-query -W -f='${Status}' libcurl4-gnutls-dev 2>/dev/null |
    grep -q "ok installed"; then
  packages+=(libcurl4-openssl-dev)
fi

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" ||
    missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

sudo=()
[ "$(id -u)" -ne 0 ] && sudo=(sudo)
export DEBIAN_FRONTEND=noninteractive
"${sudo[@]}" apt-get update
"${sudo[@]}" env DEBIAN_FRONTEND=noninteractive \
  apt-get install -y --no-install-recommends "${missing[@]}"
