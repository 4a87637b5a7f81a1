#!/usr/bin/env bash
# What vuc-trace adds to a round trip: vuc-bench's synchronous 4-byte read
# (libvuc, and vuc-bench's minimal blocking client) against vuc-testdev,
# directly and through vuc-trace, alternating, in one run.
#
#   tools/trace/bench-proxy.sh [BUILD_DIR [CPU]]
#
# BUILD_DIR defaults to build/. With CPU, the server, the proxy and the
# client all run pinned to that CPU, as the README's figures are taken (a
# cross-CPU wake-up costs more than the work on small machines).
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
build=${1:-$top/build}
pin=()
[ $# -ge 2 ] && pin=(taskset -c "$2")
runs=5

tmp=$(mktemp -d /tmp/vuc-trace-bench-XXXXXX)
pids=()
cleanup() {
    for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
    wait 2>/dev/null || true
    rm -rf "$tmp"
}
trap cleanup EXIT

wait_sock() {
    for _ in $(seq 200); do [ -S "$1" ] && return 0; sleep 0.05; done
    echo "bench-proxy: $1 did not appear" >&2
    exit 1
}

"${pin[@]}" "$build/tests/testdev/vuc-testdev" --socket-path="$tmp/dev.sock" \
    >"$tmp/dev.log" 2>&1 &
pids+=($!)
wait_sock "$tmp/dev.sock"
"${pin[@]}" "$build/tools/trace/vuc-trace" --listen "$tmp/trace.sock" \
    --connect "$tmp/dev.sock" -o /dev/null 2>"$tmp/trace.log" &
pids+=($!)
wait_sock "$tmp/trace.sock"

for i in $(seq "$runs"); do
    for way in direct proxied; do
        sock=$tmp/dev.sock
        [ "$way" = proxied ] && sock=$tmp/trace.sock
        "${pin[@]}" "$build/tools/bench/vuc-bench" --json --only read \
            --rounds 3 --iterations 2000 "$sock" >"$tmp/$way.$i.json"
    done
done

python3 - "$tmp" "$runs" "${2:-}" <<'PY'
import json, statistics, sys
tmp, runs, cpu = sys.argv[1], int(sys.argv[2]), sys.argv[3]
fig = {}
machine = date = None
for way in ("direct", "proxied"):
    lib, wire = [], []
    for i in range(1, runs + 1):
        with open("%s/%s.%d.json" % (tmp, way, i)) as f:
            d = json.load(f)
        machine, date = d["machine"], d["date"]
        r = next(x for x in d["results"] if x["id"] == "read.sync.latency")
        lib.append(r["libvuc"]["median"])
        wire.append(r["baseline"]["median"])
    fig[way] = (statistics.median(lib), statistics.median(wire))
print("%s, %s %s, %d CPUs%s" % (date, machine["cpu_model"],
      machine["release"], machine["nproc"],
      ", all pinned to CPU " + cpu if cpu else ", not pinned"))
print("sync 4 B read round trip, median of %d runs' medians (us):" % runs)
print("%-12s %10s %16s" % ("", "libvuc", "blocking client"))
for way in ("direct", "proxied"):
    print("%-12s %10.2f %16.2f" % (way, fig[way][0], fig[way][1]))
d, p = fig["direct"], fig["proxied"]
print("added by vuc-trace: %.2f us (libvuc, x%.2f), %.2f us (blocking "
      "client, x%.2f)" % (p[0] - d[0], p[0] / d[0], p[1] - d[1], p[1] / d[1]))
PY
