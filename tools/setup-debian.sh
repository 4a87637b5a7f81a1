#!/usr/bin/env bash
# Installs what libvuc needs to build and test on Debian (bookworm or later).
set -euo pipefail
# tshark checks the Wireshark dissector (tools/wireshark) in the tests.
packages=(build-essential cmake pkg-config libevent-dev libjansson-dev
          libedit-dev libcmocka-dev python3 tshark)
missing=()
for p in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" ||
        missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0
sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
export DEBIAN_FRONTEND=noninteractive
# wireshark-common (for tshark) asks whether non-root users may capture;
# the tests read files only, so answer no without asking.
echo "wireshark-common wireshark-common/install-setuid boolean false" |
    $sudo debconf-set-selections
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
