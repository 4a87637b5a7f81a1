#!/usr/bin/env bash
# Installs what libvuc needs to build and test on Debian (bookworm or later).
set -euo pipefail
packages=(build-essential cmake pkg-config libevent-dev libjansson-dev
          libedit-dev libcmocka-dev python3 perl)
missing=()
for p in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" ||
        missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0
sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
