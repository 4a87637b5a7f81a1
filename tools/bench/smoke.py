#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""bench-smoke: vuc-bench runs against vuc-testdev and prints.

Starts vuc-testdev on a socket in a temporary directory, runs
`vuc-bench --quick` (text) and `vuc-bench --quick --json`, and once more on
a connected socket (--fd, where the blocking baseline is skipped). Then the
device-state measurements against servers without them (skipped, with the
reason) and with the legacy dirty-page command (no wire baseline). Checks
only that the runs succeed, print every measurement, and that the JSON
parses with the expected shape. No timing is ever compared with anything.
"""
import argparse
import json
import os
import socket
import subprocess
import sys
import tempfile
import time

# Every measurement vuc-bench reports, by id.
IDS = [
    "read.sync.latency", "read.sync.rate", "read.sync.busypoll",
    "pipeline.1", "pipeline.8", "pipeline.64",
    "write.sync.latency", "write.sync.rate", "write.confirmed.latency",
    "write.posted.rate", "write.multi.rate", "write.corked.rate",
    "bulk.read.4k", "bulk.write.4k", "bulk.read.64k", "bulk.write.64k",
    "bulk.read.1m", "bulk.write.1m",
    "dma.msg.4k", "dma.memcpy.4k", "dma.msg.1m", "dma.memcpy.1m",
    "map.pair.latency", "map.pair.rate",
    "irq.fire.latency", "irq.vs_eventfd",
    "dirty.report.latency", "dirty.report.rate", "dirty.report.written",
    "mig.read.latency", "mig.read.rate", "mig.save.latency", "mig.save.rate",
    "mig.load.latency", "mig.load.rate",
    "alloc.read.sync", "alloc.write.sync", "alloc.write.confirmed",
    "alloc.read.pipeline64",
]
WRITE_IDS = [i for i in IDS if i.startswith("write.")]
DIRTY_IDS = [i for i in IDS if i.startswith("dirty.")]
MIG_IDS = [i for i in IDS if i.startswith("mig.")]
# Need the allocation counter, which sanitizer builds do not have.
ALLOC = {i for i in IDS if i.startswith("alloc.")}
# Their baseline needs write_multiple, which a server may refuse.
MAY_SKIP_BASE = {"write.multi.rate", "write.corked.rate"}

failures = []


def check(cond, what):
    if not cond:
        failures.append(what)
        print(f"FAIL: {what}", file=sys.stderr)


def start_testdev(testdev, sock, *opts):
    proc = subprocess.Popen([testdev, f"--socket-path={sock}", *opts])
    # vuc-testdev renames its socket into place once it listens.
    deadline = time.monotonic() + 20
    while not os.path.exists(sock):
        if proc.poll() is not None:
            sys.exit(f"vuc-testdev exited with status {proc.returncode}")
        if time.monotonic() > deadline:
            proc.kill()
            sys.exit("vuc-testdev did not create its socket within 20 s")
        time.sleep(0.01)
    return proc


def run(cmd, **kw):
    print("+", " ".join(cmd), flush=True)
    r = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       text=True, timeout=240, **kw)
    sys.stdout.write(r.stdout)
    sys.stderr.write(r.stderr)
    return r


def check_doc(doc, where, wire_baselines):
    for key in ("tool", "libvuc_version", "date", "machine", "server",
                "method", "results", "targets", "alloc_counter"):
        check(key in doc, f"{where}: JSON has no '{key}'")
    machine = doc.get("machine", {})
    for key in ("sysname", "release", "machine", "cpu_model", "nproc"):
        check(key in machine, f"{where}: machine has no '{key}'")
    server = doc.get("server", {})
    check(server.get("testdev") is True,
          f"{where}: vuc-testdev was not recognised")
    check("version_json" in server, f"{where}: no server VERSION JSON")
    check(doc.get("method", {}).get("wire_baselines") is wire_baselines,
          f"{where}: wire_baselines is not {wire_baselines}")
    counter = doc.get("alloc_counter", {})
    ran_alloc = any(r.get("id", "").startswith("alloc.")
                    for r in doc.get("results", []))
    if counter.get("available") and ran_alloc:
        check(counter.get("checked") is True and counter.get("counts") is True,
              f"{where}: the allocation counter missed a deliberate malloc")

    results = {r.get("id"): r for r in doc.get("results", [])}
    return results, counter.get("available", False)


def check_results(results, ids, where, wire_baselines, alloc_available):
    for rid in ids:
        r = results.get(rid)
        check(r is not None, f"{where}: no result '{rid}'")
        if r is None:
            continue
        for key in ("label", "unit", "better", "libvuc", "baseline",
                    "ratio"):
            check(key in r, f"{where}: {rid} has no '{key}'")
        lib = r.get("libvuc") or {}
        base = r.get("baseline")
        if rid in ALLOC and not alloc_available:
            check(lib.get("state") == "skipped" and "note" in lib,
                  f"{where}: {rid} should be skipped with a reason")
            check("median" not in lib, f"{where}: {rid} shows a number")
            continue
        check(lib.get("state") == "ok",
              f"{where}: {rid} libvuc state {lib.get('state')}: "
              f"{lib.get('note')}")
        if lib.get("state") == "ok":
            for key in ("median", "p99", "samples"):
                check(isinstance(lib.get(key), (int, float)),
                      f"{where}: {rid} libvuc has no numeric '{key}'")
        if base is None:
            continue
        if base.get("kind") == "wire" and not wire_baselines:
            check(base.get("state") == "skipped" and "note" in base,
                  f"{where}: {rid} wire baseline should be skipped")
        elif rid in MAY_SKIP_BASE and base.get("state") == "skipped":
            check("note" in base, f"{where}: {rid} skipped without reason")
        else:
            check(base.get("state") == "ok",
                  f"{where}: {rid} baseline state {base.get('state')}: "
                  f"{base.get('note')}")
            check(isinstance(r.get("ratio"), (int, float)),
                  f"{where}: {rid} has no ratio")


def run_state(args, where, *opts):
    """--only dirty,mig against vuc-testdev started with opts: the JSON's
    results by id, or None."""
    with tempfile.TemporaryDirectory(prefix="vuc-bench-") as tmp:
        sock = os.path.join(tmp, "testdev.sock")
        dev = start_testdev(args.testdev, sock, *opts)
        try:
            r = run([args.bench, "--quick", "--json", "--only", "dirty,mig",
                     sock])
        finally:
            dev.terminate()
            dev.wait(timeout=20)
    check(r.returncode == 0, f"{where}: exited {r.returncode}")
    try:
        doc = json.loads(r.stdout)
    except ValueError as e:
        check(False, f"{where}: invalid JSON: {e}")
        return None
    results = {x.get("id"): x for x in doc.get("results", [])}
    check(set(results) == set(DIRTY_IDS + MIG_IDS),
          f"{where}: --only dirty,mig ran {sorted(results)}")
    return results


def check_skipped(results, ids, where, reason):
    for rid in ids:
        r = results.get(rid) or {}
        for side in ("libvuc", "baseline"):
            s = r.get(side)
            if s is None:
                continue
            check(s.get("state") == "skipped" and
                  reason in s.get("note", ""),
                  f"{where}: {rid} {side} is {s.get('state')} "
                  f"({s.get('note')}), expected skipped: {reason}")
            check("median" not in s, f"{where}: {rid} {side} shows a number")


def check_state_skips(args):
    where = "no migration, no dirty"
    results = run_state(args, where, "--no-migration", "--no-dirty")
    if results is not None:
        check_skipped(results, DIRTY_IDS, where,
                      "server has no DMA logging")
        check_skipped(results, MIG_IDS, where, "server has no migration")

    # Logging with the 0.9.1 command: libvuc measures, the baseline (DMA
    # logging only) says why it does not.
    where = "legacy dirty"
    results = run_state(args, where, "--legacy-dirty")
    if results is not None:
        for rid in DIRTY_IDS:
            r = results.get(rid) or {}
            lib, base = r.get("libvuc") or {}, r.get("baseline") or {}
            check(lib.get("state") == "ok",
                  f"{where}: {rid} libvuc {lib.get('state')}: "
                  f"{lib.get('note')}")
            check(base.get("state") == "skipped" and
                  "legacy DIRTY_PAGES" in base.get("note", ""),
                  f"{where}: {rid} baseline {base.get('state')}: "
                  f"{base.get('note')}")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bench", required=True)
    ap.add_argument("--testdev", required=True)
    args = ap.parse_args()

    with tempfile.TemporaryDirectory(prefix="vuc-bench-") as tmp:
        sock = os.path.join(tmp, "testdev.sock")
        dev = start_testdev(args.testdev, sock)
        try:
            r = run([args.bench, "--quick", sock])
            check(r.returncode == 0, f"text run exited {r.returncode}")
            check("measurement" in r.stdout and "targets" in r.stdout,
                  "text run printed no table")
            for label in ("sync: latency", "in flight", "message DMA copy",
                          "DMA map + unmap", "interrupt", "dirty report",
                          "MIG_DATA_READ", "migration save", "allocations"):
                check(label in r.stdout, f"text run lacks '{label}'")

            r = run([args.bench, "--quick", "--json", sock])
            check(r.returncode == 0, f"JSON run exited {r.returncode}")
            try:
                doc = json.loads(r.stdout)
            except ValueError as e:
                check(False, f"JSON run printed invalid JSON: {e}")
            else:
                results, alloc = check_doc(doc, "json", True)
                check_results(results, IDS, "json", True, alloc)
        finally:
            dev.terminate()
            dev.wait(timeout=20)

    # A connected socket: vuc-testdev --fd serves it, vuc-bench --fd uses
    # it; the blocking baseline has no connection of its own then.
    a, b = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
    dev = subprocess.Popen([args.testdev, f"--fd={a.fileno()}"],
                           pass_fds=[a.fileno()])
    a.close()
    try:
        r = run([args.bench, "--quick", "--json", "--only", "read,write,irq",
                 f"--fd={b.fileno()}"], pass_fds=[b.fileno()])
        b.close()
        check(r.returncode == 0, f"--fd run exited {r.returncode}")
        try:
            doc = json.loads(r.stdout)
        except ValueError as e:
            check(False, f"--fd run printed invalid JSON: {e}")
        else:
            results, alloc = check_doc(doc, "fd", False)
            ids = ["read.sync.latency", "read.sync.rate",
                   "read.sync.busypoll"] + WRITE_IDS + [
                "irq.fire.latency", "irq.vs_eventfd"]
            check_results(results, ids, "fd", False, alloc)
            check(set(results) == set(ids),
                  f"--only read,write,irq ran {sorted(results)}")
    finally:
        dev.wait(timeout=20)

    check_state_skips(args)

    if failures:
        print(f"bench-smoke: {len(failures)} check(s) failed", file=sys.stderr)
        return 1
    print("bench-smoke: ok")
    return 0


if __name__ == "__main__":
    sys.exit(main())
