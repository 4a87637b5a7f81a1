#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""The Wireshark dissector (tools/wireshark/vfio_user.lua), checked by tshark
on a capture made here: session.vuc runs through vuc-trace --json --pcap,
and for every packet the dissector must agree with libvuc's formatter (the
proxy's JSON line for the same message) on the id, command, kind, socket and
fd count, and on region, offset and count of region accesses; no packet may
be flagged malformed. Exits 77 (skipped) where tshark is not installed;
tools/setup-debian.sh installs it for CI.
"""

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from check_trace import Failure, run_session  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
LUA = os.path.join(HERE, "..", "..", "tools", "wireshark", "vfio_user.lua")
SKIP = 77
COMMANDS = {1: "VERSION", 2: "DMA_MAP", 3: "DMA_UNMAP", 4: "DEVICE_GET_INFO",
            5: "DEVICE_GET_REGION_INFO", 6: "DEVICE_GET_REGION_IO_FDS",
            7: "DEVICE_GET_IRQ_INFO", 8: "DEVICE_SET_IRQS", 9: "REGION_READ",
            10: "REGION_WRITE", 11: "DMA_READ", 12: "DMA_WRITE",
            13: "DEVICE_RESET", 14: "DIRTY_PAGES", 15: "REGION_WRITE_MULTI",
            16: "DEVICE_FEATURE", 17: "MIG_DATA_READ", 18: "MIG_DATA_WRITE"}
REGIONS = ["BAR0", "BAR1", "BAR2", "BAR3", "BAR4", "BAR5", "ROM", "CONFIG",
           "VGA"]
FIELDS = ["vfio_user.msg_id", "vfio_user.cmd", "vfio_user.type",
          "vfio_user.error", "vfio_user.fds", "vfio_user.chan",
          "vfio_user.region", "vfio_user.offset", "vfio_user.count",
          "_ws.expert.group"]


def capture(args, tmp):
    """session.vuc through vuc-trace --json --pcap: the capture, and the
    proxy's JSON line of each decoded message."""
    pcap, trace = os.path.join(tmp, "c.pcapng"), os.path.join(tmp, "t.jsonl")
    run_session(args, tmp, True, trace, pcap)
    with open(trace) as f:
        lines = [json.loads(line) for line in f]
    return pcap, [j for j in lines if j.get("kind") != "undecoded"]


def check(args):
    tshark = shutil.which("tshark")
    if tshark is None:
        print("tshark not found: skipped (tools/setup-debian.sh installs it)")
        return SKIP
    with tempfile.TemporaryDirectory(prefix="vuc-trace-ws-") as tmp:
        pcap, msgs = capture(args, tmp)
        r = subprocess.run([tshark, "-r", pcap, "-X", "lua_script:" + LUA,
                            "-T", "fields", "-E", "separator=/t",
                            "-E", "occurrence=a", "-E", "aggregator=,"] +
                           sum((["-e", f] for f in FIELDS), []),
                           capture_output=True, text=True, timeout=120)
    if r.returncode != 0:
        raise Failure("tshark failed (%d):\n%s" % (r.returncode, r.stderr))
    rows = [line.split("\t") for line in r.stdout.splitlines()]
    if len(rows) != len(msgs) or len(msgs) < 50:
        raise Failure("%d packets, %d messages traced" % (len(rows), len(msgs)))
    problems = []
    for n, (row, j) in enumerate(zip(rows, msgs), 1):
        cells = row + [""] * len(FIELDS)
        v = {f: c.split(",")[0] for f, c in zip(FIELDS, cells)}
        groups = set(cells[FIELDS.index("_ws.expert.group")].split(","))
        kind = ("error" if v["vfio_user.error"] in ("1", "True") else
                "reply" if v["vfio_user.type"] == "1" else "request")
        got = {"id": v["vfio_user.msg_id"],
               "cmd": COMMANDS.get(int(v["vfio_user.cmd"] or -1), "UNKNOWN"),
               "kind": kind, "fds": v["vfio_user.fds"],
               "chan": v["vfio_user.chan"]}
        want = {"id": str(j["id"]), "cmd": j["cmd"], "kind": j["kind"],
                "fds": str(j["fds"]), "chan": j["chan"]}
        if j["cmd"] in ("REGION_READ", "REGION_WRITE") and \
                j["kind"] == "request":
            got["region"] = REGIONS[int(v["vfio_user.region"])]
            got["offset"] = int(v["vfio_user.offset"], 0)
            want["region"], want["offset"] = j["region"], j["offset"]
            if "count" in j:
                got["count"] = int(v["vfio_user.count"])
                want["count"] = j["count"]
        # PI_MALFORMED, as tshark prints expert groups.
        if {"117440512", "0x07000000"} & groups:
            problems.append("packet %d flagged malformed" % n)
        if got != want:
            problems.append("packet %d: dissector %s, formatter %s"
                            % (n, got, want))
    if problems:
        raise Failure("\n".join(problems[:20]))
    print("ok - %d packets decoded alike by the dissector and libvuc"
          % len(rows))
    return 0


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--vuctl", required=True)
    ap.add_argument("--testdev", required=True)
    ap.add_argument("--proxy", required=True)
    args = ap.parse_args()
    try:
        return check(args)
    except (Failure, OSError, ValueError, subprocess.TimeoutExpired) as e:
        print("not ok - %s" % e)
        return 1


if __name__ == "__main__":
    sys.exit(main())
