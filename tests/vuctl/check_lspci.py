#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""Check that `lspci -F` reads what `vuctl cfg --raw` writes.

vuctl dumps vuc-testdev's config space in the layout of lspci -xxxx; lspci
(pciutils) must then decode the same device from the file: its ids and
revision, each capability vuc-testdev has, and the very same bytes when
asked to dump them again. The JSON form of cfg --raw must hold the same
bytes. The same goes for two config spaces of cfgdev.py: one of 256 bytes
(the layout of lspci -xxx), one with capabilities vuc-testdev lacks.
Without lspci on the machine the test is skipped (exit status 77) with a
"vuc-skip: package pciutils" line, which CI refuses (tools/check-skips.py):
tools/setup-debian.sh installs pciutils, and the package build does not
run this test.
"""

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile

sys.dont_write_bytecode = True
from run_golden import Failure, read_log, start_server, stop_server  # noqa

SKIP = 77

# What lspci says about vuc-testdev (tests/testdev/testdev_regs.h).
EXPECTED = [
    r"^00:00\.0 .*\[1b36:0005\] \(rev 01\)$",
    r"Subsystem: .*\[1af4:1100\]",
    r"Capabilities: \[40\] Power Management version 3",
    r"Capabilities: \[50\] MSI: Enable- Count=1/1 Maskable- 64bit\+",
    r"Capabilities: \[70\] MSI-X: Enable- Count=16 Masked-",
    r"Vector table: BAR=0 offset=00000800",
    r"Capabilities: \[90\] Express \(v2\) Endpoint",
    r"Capabilities: \[100 v1\] Device Serial Number 1b-36-00-05-56-55-43-44",
]


HEX_LINE = re.compile(r"([0-9a-f]{2,3}): ((?:[0-9a-f]{2} ?)+)")


def hex_lines(text):
    """offset -> bytes of every "NN: xx xx ..." line."""
    data = {}
    for line in text.splitlines():
        m = HEX_LINE.fullmatch(line.strip())
        if m:
            data[int(m.group(1), 16)] = bytes.fromhex(m.group(2))
    return data


def vuctl_run(vuctl, target, json_mode):
    """cfg --raw of the device that target (vuctl arguments) names."""
    args = [vuctl] + (["--json"] if json_mode else []) + target
    res = subprocess.run(
        args + ["-c", "cfg --raw"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        timeout=60,
    )
    if res.returncode != 0:
        raise Failure(
            "vuctl exited with %d: %s" % (res.returncode, res.stderr.decode())
        )
    return res.stdout.decode()


def check(vuctl, testdev, lspci):
    tmp = tempfile.mkdtemp(prefix="vuctl-lspci-")
    sock = os.path.join(tmp, "dev.sock")
    log = os.path.join(tmp, "testdev.log")
    server = None
    try:
        server = start_server(testdev, sock, log)
        out = vuctl_run(vuctl, [sock], False)
        # Only the dump: the lines that connect prints first are not part
        # of it.
        dump = out[out.index("00:00.0 ") :]
        if not dump.endswith("\n\n"):
            raise Failure("the dump does not end in a blank line")
        ours = hex_lines(dump)
        if sorted(ours) != list(range(0, 4096, 16)):
            raise Failure("the dump is not 256 lines of 16 bytes")
        path = os.path.join(tmp, "cfg.txt")
        with open(path, "w") as f:
            f.write(dump)

        decoded = subprocess.run(
            [lspci, "-F", path, "-nn", "-vvv"],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        text = decoded.stdout.decode()
        if decoded.returncode != 0:
            raise Failure("lspci -F failed: " + decoded.stderr.decode())
        for pattern in EXPECTED:
            if not re.search(pattern, text, re.M):
                raise Failure(
                    "lspci's decoding lacks %r:\n%s" % (pattern, text)
                )

        again = subprocess.run(
            [lspci, "-F", path, "-xxxx"],
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
        ).stdout.decode()
        if hex_lines(again) != ours:
            raise Failure("lspci -xxxx of the file gives other bytes")

        obj = json.loads(vuctl_run(vuctl, [sock], True).splitlines()[-1])
        raw = bytes.fromhex(obj["data"])
        if obj.get("size") != 4096 or raw != b"".join(
            ours[o] for o in sorted(ours)
        ):
            raise Failure("cfg --raw in JSON holds other bytes")
    finally:
        if server:
            stop_server(server)
        if server and server.returncode not in (0, -15):
            print("# vuc-testdev said:\n" + read_log(log))
        shutil.rmtree(tmp, ignore_errors=True)


# cfgdev.py's odd config spaces: a 256-byte one (lspci -xxx) of a bridge,
# and one with AER, DSN and capabilities lspci knows better than vuctl.
CFGDEV = {
    "small": (
        16,
        [
            r"^00:00\.0 PCI bridge \[0604\]: .*\[1234:5678\] \(rev 02\)",
            r"Capabilities: \[f8\] MSI-X",
        ],
    ),
    "rich": (
        256,
        [
            r"Region 0: I/O ports at c000",
            r"Region 1: Memory at 1fe000000 \(64-bit, prefetchable\)",
            r"Capabilities: \[60\] MSI: Enable\+ Count=4/8 Maskable\+ 64bit-",
            r"Capabilities: \[78\] Express \(v2\) Root Port",
            r"Capabilities: \[b0\] MSI-X: Enable\+ Count=64 Masked\+",
            r"Capabilities: \[100 v2\] Advanced Error Reporting",
            r"Capabilities: \[1c0 v1\] Device Serial Number "
            r"01-23-45-67-89-ab-cd-ef",
        ],
    ),
}


def check_cfgdev(vuctl, lspci):
    here = os.path.dirname(os.path.abspath(__file__))
    cfgdev = os.path.join(here, "cfgdev.py")
    for profile, (lines, expected) in CFGDEV.items():
        cmd = "exec %s %s --fd={fd} --profile=%s" % (
            sys.executable,
            cfgdev,
            profile,
        )
        out = vuctl_run(vuctl, ["--spawn", cmd], False)
        dump = out[out.index("00:00.0 ") :]
        if len(hex_lines(dump)) != lines:
            raise Failure("%s: the dump is not %d lines" % (profile, lines))
        with tempfile.NamedTemporaryFile("w", suffix=".txt") as f:
            f.write(dump)
            f.flush()
            text = subprocess.run(
                [lspci, "-F", f.name, "-nn", "-vvv"],
                stdout=subprocess.PIPE,
                stderr=subprocess.DEVNULL,
            ).stdout.decode()
        for pattern in expected:
            if not re.search(pattern, text, re.M):
                raise Failure(
                    "%s: lspci's decoding lacks %r:\n%s"
                    % (profile, pattern, text)
                )


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--vuctl", required=True)
    ap.add_argument("--testdev", required=True)
    opts = ap.parse_args()
    lspci = shutil.which("lspci") or next(
        (p for p in ("/usr/bin/lspci", "/sbin/lspci", "/usr/sbin/lspci")
         if os.access(p, os.X_OK)),
        None,
    )
    if not lspci:
        print("vuc-skip: package pciutils: lspci is not installed")
        print("ok - # SKIP lspci (pciutils) is not installed")
        return SKIP
    try:
        vuctl = os.path.abspath(opts.vuctl)
        check(vuctl, os.path.abspath(opts.testdev), lspci)
        check_cfgdev(vuctl, lspci)
    except Failure as e:
        print("not ok - lspci -F decodes cfg --raw")
        for line in str(e).splitlines():
            print("  " + line)
        return 1
    print("ok - lspci -F decodes cfg --raw")
    return 0


if __name__ == "__main__":
    sys.exit(main())
