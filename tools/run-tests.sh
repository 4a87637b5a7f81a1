#!/usr/bin/env bash
# The whole test suite, as CI runs it:
#  1. a warnings-as-errors build and every test (unit, integration, vuctl);
#  2. the same tests under AddressSanitizer and UndefinedBehaviorSanitizer;
#  3. an install into a scratch prefix, and an example built against it;
#  4. the Debian packages: built (with the API reference, whose Doxygen
#     warnings are errors), linted, installed and run (tools/check-debian.sh).
# A test may skip only for missing hardware support (tools/check-skips.py).
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
out=${VUC_TEST_DIR:-$top/build-test}
jobs=$(nproc 2>/dev/null || echo 2)

"$top/tools/setup-debian.sh"

echo "== build (warnings are errors) and test"
cmake -S "$top" -B "$out/release" -DVUC_WERROR=ON -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build "$out/release" -j "$jobs"
# The whole output of every test is kept for check-skips.py.
ctest_args=(--output-on-failure -j "$jobs" --test-output-size-passed 4194304
            --test-output-size-failed 4194304)
ctest --test-dir "$out/release" "${ctest_args[@]}" \
    --output-junit "$out/release/junit.xml"
python3 "$top/tools/check-skips.py" "$out/release/junit.xml"

echo "== build and test with ASan and UBSan"
cmake -S "$top" -B "$out/asan" -DVUC_WERROR=ON -DVUC_SANITIZE=ON -DCMAKE_BUILD_TYPE=Debug >/dev/null
cmake --build "$out/asan" -j "$jobs"
ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1 \
    ctest --test-dir "$out/asan" "${ctest_args[@]}" \
    --output-junit "$out/asan/junit.xml"
python3 "$top/tools/check-skips.py" "$out/asan/junit.xml"

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

echo "== Debian packages: build, lintian, install, run"
"$top/tools/check-debian.sh" "$out/debian"
echo "== all tests passed"
