#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""Golden tests of vuctl's script mode against vuc-testdev.

Each case in cases.json runs vuctl once, against a vuc-testdev of its own
listening on a socket in a fresh temporary directory, and compares exit
status, stdout and stderr with what the case expects. In the arguments, the
stdin text and the expected text, @SOCK@ stands for the socket path and @TMP@
for the temporary directory; vuctl runs in the cases directory, so that -f
names (and the file:line in its messages) are relative.

Case fields:
  name      test name
  args      vuctl arguments
  stdin     file (in the cases directory) to feed on stdin; default: nothing
  status    expected exit status
  stdout    expected stdout: a file name in the cases directory, or
  stdout_text   the expected stdout inline
  stderr    expected stderr, inline (default: empty), or
  stderr_re     a regular expression the whole of stderr must match, for
                text that names things vuctl does not choose (message ids)
  server    false to run without a test device (default: true)
"""

import argparse
import difflib
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time

SOCKET_DEADLINE = 10.0  # seconds for vuc-testdev to create its socket
RUN_DEADLINE = 60.0  # seconds for one vuctl run


class Failure(Exception):
    pass


def read_log(path):
    try:
        with open(path, errors="replace") as f:
            return f.read()
    except OSError:
        return ""


def start_server(testdev, sock, log):
    # The server's messages go to a file: a pipe nobody reads could fill up
    # and stall it.
    with open(log, "wb") as logf:
        proc = subprocess.Popen(
            [testdev, "--socket-path=" + sock],
            stdin=subprocess.DEVNULL,
            stdout=logf,
            stderr=subprocess.STDOUT,
        )
    deadline = time.monotonic() + SOCKET_DEADLINE
    while not os.path.exists(sock):
        if proc.poll() is not None:
            raise Failure(
                "vuc-testdev exited with status %d before creating its "
                "socket:\n%s" % (proc.returncode, read_log(log))
            )
        if time.monotonic() > deadline:
            stop_server(proc)
            raise Failure(
                "vuc-testdev did not create %s within %.0f s"
                % (sock, SOCKET_DEADLINE)
            )
        time.sleep(0.01)
    return proc


def stop_server(proc):
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def subst(text, tmp, sock):
    return text.replace("@SOCK@", sock).replace("@TMP@", tmp)


def unsubst(text, tmp, sock):
    # The socket lives in tmp, so replace the longer string first.
    return text.replace(sock, "@SOCK@").replace(tmp, "@TMP@")


def diff(what, want, got):
    lines = difflib.unified_diff(
        want.splitlines(keepends=True),
        got.splitlines(keepends=True),
        "expected " + what,
        "actual " + what,
    )
    return "".join(lines)


def run_case(case, vuctl, testdev, cases_dir):
    tmp = tempfile.mkdtemp(prefix="vuctl-golden-")
    sock = os.path.join(tmp, "dev.sock")
    log = os.path.join(tmp, "testdev.log")
    server = None
    try:
        if case.get("server", True):
            server = start_server(testdev, sock, log)
        args = [vuctl] + [subst(a, tmp, sock) for a in case["args"]]
        stdin = b""
        if "stdin" in case:
            with open(os.path.join(cases_dir, case["stdin"])) as f:
                stdin = subst(f.read(), tmp, sock).encode()
        env = dict(os.environ, HOME=tmp)
        try:
            res = subprocess.run(
                args,
                input=stdin,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                cwd=cases_dir,
                env=env,
                timeout=RUN_DEADLINE,
            )
        except subprocess.TimeoutExpired:
            raise Failure("vuctl did not finish within %.0f s" % RUN_DEADLINE)
        out = unsubst(res.stdout.decode(errors="replace"), tmp, sock)
        err = unsubst(res.stderr.decode(errors="replace"), tmp, sock)

        if "stdout" in case:
            with open(os.path.join(cases_dir, case["stdout"])) as f:
                want_out = f.read()
        else:
            want_out = case.get("stdout_text", "")
        want_err = case.get("stderr", "")

        problems = []
        if res.returncode != case["status"]:
            problems.append(
                "exit status %d, expected %d" % (res.returncode, case["status"])
            )
        if out != want_out:
            problems.append(diff("stdout", want_out, out))
        if "stderr_re" in case:
            if not re.fullmatch(case["stderr_re"], err):
                problems.append(
                    "stderr %r does not match %r" % (err, case["stderr_re"])
                )
        elif err != want_err:
            problems.append(diff("stderr", want_err, err))
        if case.get("server", True) and server.poll() is not None:
            problems.append(
                "vuc-testdev died (status %d)" % server.returncode
            )
        if problems:
            if server:
                problems.append("vuc-testdev said:\n" + read_log(log))
            raise Failure("\n".join(problems))
    finally:
        if server:
            stop_server(server)
        shutil.rmtree(tmp, ignore_errors=True)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--vuctl", required=True)
    ap.add_argument("--testdev", required=True)
    ap.add_argument("--cases", required=True, help="directory of cases.json")
    ap.add_argument("--only", help="run only the case of this name")
    opts = ap.parse_args()

    cases_dir = os.path.abspath(opts.cases)
    with open(os.path.join(cases_dir, "cases.json")) as f:
        cases = json.load(f)
    names = [c["name"] for c in cases]
    if len(set(names)) != len(names):
        print("duplicate case names in cases.json", file=sys.stderr)
        return 1
    if opts.only:
        cases = [c for c in cases if c["name"] == opts.only]
        if not cases:
            print("no case named %r" % opts.only, file=sys.stderr)
            return 1

    failed = 0
    for case in cases:
        try:
            run_case(case, opts.vuctl, opts.testdev, cases_dir)
            print("ok - %s" % case["name"])
        except Failure as e:
            failed += 1
            print("not ok - %s" % case["name"])
            for line in str(e).splitlines():
                print("  " + line)
    print("%d of %d cases failed" % (failed, len(cases)))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
