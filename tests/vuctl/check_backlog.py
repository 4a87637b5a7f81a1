#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""Check that `vuctl -t MS -c 'connect PATH'` returns when the server does
not accept.

A socket that is bound and listening but never accepts, with its backlog
full, is what a busy or hung server (or one that serves one client and has
it) looks like. vuctl must give up after its timeout with exit status 3 and
say that the server did not accept the connection, in text and in JSON.
The run itself is bounded far above the timeout, so a connect that blocks
fails the test instead of hanging it.
"""

import argparse
import json
import os
import socket
import subprocess
import sys
import tempfile

TEXT = "did not accept the connection within 300 ms"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--vuctl", required=True)
    opts = ap.parse_args()
    problems = []
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "jam.sock")
        listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        listener.bind(path)
        listener.listen(0)
        # listen(0) queues one connection; the next connect would wait.
        filler = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        filler.connect(path)
        probe = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        probe.setblocking(False)
        try:
            probe.connect(path)
            problems.append("the backlog is not full: the check proves nothing")
        except BlockingIOError:
            pass
        probe.close()

        for mode in ("text", "json"):
            args = [opts.vuctl, "-t", "300", "-c", "connect " + path]
            if mode == "json":
                args.insert(1, "--json")
            try:
                res = subprocess.run(args, capture_output=True, timeout=60)
            except subprocess.TimeoutExpired:
                problems.append("%s: vuctl still waits after 60 s" % mode)
                continue
            out = res.stdout.decode(errors="replace")
            err = res.stderr.decode(errors="replace")
            if res.returncode != 3:
                problems.append("%s: exit status %d, expected 3" %
                                (mode, res.returncode))
            if mode == "text" and TEXT not in err:
                problems.append("text: stderr %r lacks %r" % (err, TEXT))
            if mode == "json":
                try:
                    obj = json.loads(out.splitlines()[-1])
                    if TEXT not in obj.get("error", ""):
                        problems.append("json: error %r lacks %r" %
                                        (obj.get("error"), TEXT))
                    if obj.get("errno") != 110:
                        problems.append("json: errno %r, expected 110 "
                                        "(ETIMEDOUT)" % obj.get("errno"))
                except (ValueError, IndexError):
                    problems.append("json: stdout %r is not JSON" % out)
        filler.close()
        listener.close()
    for p in problems:
        print("not ok - " + p)
    if not problems:
        print("ok - vuctl gives up on a server that does not accept")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
