#!/usr/bin/env bash
# Builds libvuc, starts the bundled test device, and shows vuctl at work on
# it: negotiation, device info, regions, irqs, reads and writes, DMA and a
# reconnect.
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

# What a driver author does first: look at the device, poke registers,
# give it memory and let its DMA engine copy (into a buffer it can reach
# only by message), take its completion interrupt, check its migration
# state; then reconnect, which gives the server the maps and eventfds
# again, and run the job once more. Register offsets are those of
# tests/testdev/testdev_regs.h.
cat >"$dir/demo.vuc" <<SCRIPT
connect $dir/testdev.sock
info
regions
irqs
cfg
peek BAR0 0x0
poke BAR0 0x10 0xcafef00d
peek BAR0 0x10
dump CONFIG 0 64
set src = dma alloc 64k
set dst = dma alloc 64k noshare
dma write \$src 0x600dcafe
irq enable MSIX
poke BAR0 0x100 \$src 8
poke BAR0 0x108 \$dst 8
poke BAR0 0x110 4k
poke BAR0 0x114 0x0005
irq wait MSIX 0 2s
dma dump \$dst 32
dma list
migrate state
reconnect
poke BAR0 0x114 0x0005
irq wait MSIX 0 2s
SCRIPT
(set -x; "$out/tools/vuctl/vuctl" -f "$dir/demo.vuc")

cat <<EOF

The programs are in $out:
  vuctl        $out/tools/vuctl/vuctl
  vuc-testdev  $out/tests/testdev/vuc-testdev  (--device=testdev|nvme|virtio-net)
  vuc-conform  $out/tools/conform/vuc-conform
  vuc-trace    $out/tools/trace/vuc-trace
  vuc-bench    $out/tools/bench/vuc-bench
  vuc-nvme     $out/examples/vuc-nvme
  vuc-vnet     $out/examples/vuc-vnet
Install them, with their man pages: sudo cmake --install $out
EOF
