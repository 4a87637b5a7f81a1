#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""Run an example program against vuc-testdev and check what it prints.

    run_example.py --testdev PATH [--expect REGEX]... -- PROGRAM [ARG]...

Each {} in the arguments becomes the socket of a vuc-testdev started for
the run. The program must exit 0, and each REGEX must match a line of its
standard output, in the order given.
"""

import argparse
import os
import re
import subprocess
import sys
import tempfile

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "vuctl"))
from run_golden import Failure, read_log, start_server, stop_server  # noqa

RUN_DEADLINE = 60


def check_output(out, expects):
    lines = out.splitlines()
    at = 0
    for rx in expects:
        while at < len(lines) and not re.search(rx, lines[at]):
            at += 1
        if at == len(lines):
            raise Failure("no line matches %r (in order) in:\n%s" % (rx, out))
        at += 1


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--testdev", required=True)
    ap.add_argument("--expect", action="append", default=[])
    ap.add_argument("command", nargs="+")
    opts = ap.parse_args()
    name = os.path.basename(opts.command[0])
    with tempfile.TemporaryDirectory(prefix="vuc-example-") as tmp:
        sock, log = os.path.join(tmp, "dev.sock"), os.path.join(tmp, "dev.log")
        try:
            dev = start_server(os.path.abspath(opts.testdev), sock, log)
            try:
                argv = [a.replace("{}", sock) for a in opts.command]
                run = subprocess.run(argv, stdin=subprocess.DEVNULL,
                                     capture_output=True, text=True,
                                     timeout=RUN_DEADLINE)
            finally:
                stop_server(dev)
            sys.stdout.write(run.stdout)
            sys.stderr.write(run.stderr)
            if run.returncode != 0:
                raise Failure("%s exited with status %d; vuc-testdev said:\n%s"
                              % (name, run.returncode, read_log(log)))
            check_output(run.stdout, opts.expect)
        except (Failure, subprocess.TimeoutExpired) as e:
            print("not ok - %s against vuc-testdev: %s" % (name, e))
            return 1
    print("ok - %s against vuc-testdev" % name)
    return 0


if __name__ == "__main__":
    sys.exit(main())
