#!/usr/bin/env bash
# Builds libvuc, starts the bundled test device, and shows vuctl at work on
# it: negotiation, device info, regions, irqs, reads and writes.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
out=${VUC_DEMO_DIR:-$top/build}
"$top/tools/setup-debian.sh"
cmake -S "$top" -B "$out" -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build "$out" -j "$(nproc 2>/dev/null || echo 2)" >/dev/null

dir=$(mktemp -d)
trap 'kill $dev 2>/dev/null || true; wait $dev 2>/dev/null || true; rm -rf "$dir"' EXIT
"$out/tests/testdev/vuc-testdev" --socket-path="$dir/testdev.sock" &
dev=$!
for _ in $(seq 100); do [ -S "$dir/testdev.sock" ] && break; sleep 0.05; done

set -x
"$out/tools/vuctl/vuctl" -c "connect $dir/testdev.sock; info; regions; irqs;
    peek BAR0 0x0; poke BAR0 0x10 0xcafef00d; peek BAR0 0x10; peek BAR0 0xc;
    dump CONFIG 0 64; poke BAR1 0x1000 0x11223344; dump BAR1 0x1000 32"
