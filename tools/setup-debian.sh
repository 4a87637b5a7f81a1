#!/usr/bin/env bash
# Installs what libvuc needs to build and test on Debian (bookworm or later):
# every package a test needs is here, because CI refuses a test that skips
# for a missing package (tools/check-skips.py).
set -euo pipefail
packages=(build-essential cmake pkg-config libevent-dev libjansson-dev
          libedit-dev libcmocka-dev python3 perl
          # the Wireshark dissector's check (tools/wireshark)
          tshark
          # vuctl-lspci reads vuctl's config dumps back with lspci
          pciutils
          # the API reference, the man page and bash completion checks
          doxygen groff-base man-db bash-completion
          # the Debian packages (tools/check-debian.sh)
          debhelper dpkg-dev fakeroot lintian git)
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
