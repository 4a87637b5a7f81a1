#!/usr/bin/env bash
# Builds libvuc's Debian packages the way CI does, lints them, installs
# them, and runs what they installed:
#
#   tools/check-debian.sh OUTDIR
#
#  1. copies the source tree (tracked and new files, no build trees) to
#     OUTDIR/src, because dpkg-buildpackage writes into the tree and into
#     its parent directory;
#  2. dpkg-source -b, then dpkg-buildpackage -us -uc -b without the test
#     suite (tools/run-tests.sh has just run it) and with the API
#     reference's Doxygen warnings as errors;
#  3. lintian on the source and binary packages: any error fails; warnings
#     and notes are printed;
#  4. installs the four packages with apt-get, runs the installed
#     vuctl --spawn 'vuc-testdev --socket-path={}' -c info, checks the man
#     pages, bash completion, pkg-config and CMake files, builds the async
#     example against the installed library and runs it against the
#     installed vuc-testdev; then removes the packages it installed.
#
# Step 4 holds a lock, so that two runs on one machine do not swap each
# other's packages.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
out=${1:?usage: tools/check-debian.sh OUTDIR}
jobs=$(nproc 2>/dev/null || echo 2)
sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"

rm -rf "$out"
mkdir -p "$out/src"
out=$(cd "$out" && pwd)
if git -C "$top" rev-parse --is-inside-work-tree >/dev/null 2>&1; then
    (cd "$top" && git ls-files -z --cached --others --exclude-standard |
        tar --null -T - --ignore-failed-read -cf -) | tar -C "$out/src" -xf -
else
    tar -C "$top" --exclude='./build*' --exclude='./obj-*' -cf - . |
        tar -C "$out/src" -xf -
fi

echo "-- dpkg-source -b, dpkg-buildpackage -us -uc -b"
(cd "$out" && dpkg-source -b src >"$out/source.log" 2>&1) ||
    { cat "$out/source.log"; exit 1; }
(cd "$out/src" &&
    DEB_BUILD_OPTIONS="nocheck parallel=$jobs" VUC_DOCS_WERROR=ON \
        dpkg-buildpackage -us -uc -b -Pnocheck >"$out/build.log" 2>&1) ||
    { tail -n 60 "$out/build.log"; exit 1; }

echo "-- lintian"
lint=0
lintian --fail-on error --display-info "$out"/libvuc_*.dsc \
    "$out"/libvuc_*_*.changes >"$out/lintian.log" 2>&1 || lint=$?
grep -v '^running with root privileges' "$out/lintian.log" || true
[ "$lint" -eq 0 ] || { echo "lintian reports errors"; exit 1; }
echo "lintian: $(grep -c '^E:' "$out/lintian.log" || true) errors," \
    "$(grep -c '^W:' "$out/lintian.log" || true) warnings," \
    "$(grep -c '^I:' "$out/lintian.log" || true) notes"

packages=(libvuc0 libvuc-dev vuctl vuc-testdev)
debs=()
for p in "${packages[@]}"; do
    debs+=("$(ls "$out/${p}"_*.deb)")
done
version=$(dpkg-deb -f "${debs[0]}" Version)

check_installed() {
    local tmp=$out/installed
    mkdir -p "$tmp"
    # Only what the packages installed: /usr/bin, never a build tree.
    export PATH=/usr/bin:/bin
    echo "-- the installed vuctl and vuc-testdev"
    vuctl --spawn 'vuc-testdev --socket-path={}' -c 'info' >"$tmp/info.out"
    grep -q '^device flags .* 9 regions, 5 irqs$' "$tmp/info.out" ||
        { cat "$tmp/info.out"; echo "vuctl info: unexpected output"; return 1; }
    # Every program the packages hold has its man page and --version;
    # bash-completion finds the completion of each that ships one (vuctl
    # and vuc-bench must) by the program's name.
    local progs
    progs=$(dpkg -L vuctl vuc-testdev | sed -n 's|^/usr/bin/||p')
    for prog in $progs; do
        "$prog" --version | grep -q "^$prog $version (libvuc $version, " ||
            { echo "$prog --version does not say $version"; return 1; }
        man -w "$prog" >/dev/null
        local comp=/usr/share/bash-completion/completions/$prog
        [ -e "$comp" ] || case $prog in
        vuctl | vuc-bench) echo "$prog has no bash completion"; return 1 ;;
        *) continue ;;
        esac
        # (The loader returns 124: "loaded, try again".)
        bash -c 'source /usr/share/bash-completion/bash_completion
                 _completion_loader "$1"; complete -p "$1"' _ "$prog" |
            grep -q "_vuc_complete $prog\$" ||
            { echo "bash-completion does not complete $prog"; return 1; }
    done
    man -w 3 vuc_connect_path_async vuc_vuc.h vfio_user_header >/dev/null
    echo "-- the async example against the installed library"
    [ "$(pkg-config --modversion libvuc)" = "$version" ]
    local ex=/usr/share/doc/libvuc-dev/examples
    cc -Wall -Wextra -Werror "$ex/async.c" -o "$tmp/async-pc" \
        $(pkg-config --cflags --libs libvuc)
    cmake -S "$ex" -B "$tmp/examples" -DCMAKE_C_FLAGS="-Wall -Wextra -Werror" \
        >/dev/null
    cmake --build "$tmp/examples" -j "$jobs" >/dev/null
    python3 "$top/tests/examples/run_example.py" --testdev /usr/bin/vuc-testdev \
        --expect '^DMA memory unmapped, 0 map\(s\) left$' -- "$tmp/async-pc" {}
    python3 "$top/tests/examples/run_example.py" --testdev /usr/bin/vuc-testdev \
        --expect '^PCI id 1b36:0005' -- "$tmp/examples/vuc-async" {}
}

echo "-- install ${packages[*]} $version"
exec 9>"${TMPDIR:-/tmp}/vuc-check-debian.lock"
flock -w 900 9
installed_before=()
for p in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null |
        grep -q "install ok installed" && installed_before+=("$p")
done
remove_ours() {
    local remove=()
    for p in "${packages[@]}"; do
        [[ " ${installed_before[*]} " == *" $p "* ]] || remove+=("$p")
    done
    [ ${#remove[@]} -eq 0 ] ||
        $sudo apt-get purge -y -qq -o DPkg::Lock::Timeout=300 "${remove[@]}" \
            >/dev/null
}
trap remove_ours EXIT
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq \
    --no-install-recommends --allow-downgrades -o DPkg::Lock::Timeout=300 \
    "${debs[@]}" >"$out/install.log" 2>&1 || { cat "$out/install.log"; exit 1; }
(check_installed)
echo "-- Debian packages built, lint-free of errors, installed and working"
