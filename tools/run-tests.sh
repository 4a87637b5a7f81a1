#!/usr/bin/env bash
# The whole test suite, as CI runs it:
#  1. a warnings-as-errors build and every test (unit, integration, vuctl);
#  2. the same tests under AddressSanitizer and UndefinedBehaviorSanitizer;
#  3. an install into a scratch prefix, and an example built against it.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
out=${VUC_TEST_DIR:-$top/build-test}
jobs=$(nproc 2>/dev/null || echo 2)

"$top/tools/setup-debian.sh"

echo "== build (warnings are errors) and test"
cmake -S "$top" -B "$out/release" -DVUC_WERROR=ON -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build "$out/release" -j "$jobs"
ctest --test-dir "$out/release" --output-on-failure -j "$jobs"

echo "== build and test with ASan and UBSan"
cmake -S "$top" -B "$out/asan" -DVUC_WERROR=ON -DVUC_SANITIZE=ON -DCMAKE_BUILD_TYPE=Debug >/dev/null
cmake --build "$out/asan" -j "$jobs"
ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1 \
    ctest --test-dir "$out/asan" --output-on-failure -j "$jobs"

echo "== install, then build an example against the installed library"
rm -rf "$out/prefix" "$out/example"
cmake --install "$out/release" --prefix "$out/prefix" >/dev/null
cmake -S "$top/examples" -B "$out/example" -DCMAKE_PREFIX_PATH="$out/prefix" \
    -DCMAKE_C_FLAGS="-Wall -Wextra -Werror" >/dev/null
cmake --build "$out/example" -j "$jobs"
# The same example through pkg-config, as a Makefile user would build it.
libdir=$(ls -d "$out/prefix"/lib*/pkgconfig | head -n 1)
PKG_CONFIG_PATH="$libdir" cc -Wall -Wextra -Werror "$top/examples/peek.c" \
    $(PKG_CONFIG_PATH="$libdir" pkg-config --cflags --libs libvuc) \
    -o "$out/example/vuc-peek-pc"
sock_dir=$(mktemp -d)
trap 'kill $dev 2>/dev/null || true; rm -rf "$sock_dir"' EXIT
"$out/prefix/bin/vuc-testdev" --socket-path="$sock_dir/dev.sock" &
dev=$!
for _ in $(seq 100); do [ -S "$sock_dir/dev.sock" ] && break; sleep 0.05; done
export LD_LIBRARY_PATH="$(dirname "$libdir")"
"$out/example/vuc-peek" "$sock_dir/dev.sock"
"$out/example/vuc-peek-pc" "$sock_dir/dev.sock" 7 0 >/dev/null
echo "== all tests passed"
