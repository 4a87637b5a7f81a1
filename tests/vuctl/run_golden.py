#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""Golden tests of vuctl's script mode against vuc-testdev.

Each case in cases.json runs vuctl once, against a vuc-testdev of its own
listening on a socket in a fresh temporary directory, and compares exit
status, stdout and stderr with what the case expects. In the arguments, the
stdin text and the expected text, @SOCK@ stands for the socket path, @TMP@
for the temporary directory, @TESTDEV@ for vuc-testdev and @PYTHON@ for
this Python (to run cfgdev.py, a server of odd config spaces); vuctl runs
in the cases directory, so that -f names (and the file:line in its
messages) are
relative, with TMPDIR set to the temporary directory, and the random part of
the directories --spawn makes there reads XXXXXX in what it prints. After
every case, no such directory may remain.

What vuc-testdev negotiates changes as it grows; only the cases about it
(basic, connect-options) spell it out. Elsewhere, @CAPS@ in an expected
output stands for the capabilities that connect and info print: the
"protocol ..." line and info's lines of negotiated values in text mode, the
"caps" object of JSON mode; and @SERVER@ for the JSON the server sent with
VERSION, as info shows it.

Case fields:
  name      test name
  args      vuctl arguments
  stdin     file (in the cases directory) to feed on stdin; default: nothing
  status    expected exit status
  stdout    expected stdout: a file name in the cases directory, or
  stdout_text   the expected stdout inline, or
  stdout_re     a regular expression the whole of stdout must match
  stderr    expected stderr, inline (default: empty), or
  stderr_re     a regular expression the whole of stderr must match, for
                text that names things vuctl does not choose (message ids)
  server    false to run without a test device (default: true)
  files     files to create in @TMP@ first: [{"name", "size", "byte"}],
            "size" bytes of the value "byte", or [{"name", "text"}]
  check_files  what those files hold afterwards: [{"name", "offset", "hex"}]
  absent_files  glob patterns in @TMP@ that must match nothing afterwards
                (what a failed command must not leave behind)
  server_args   extra arguments for vuc-testdev
  server_log_lacks  strings the server's log must not contain (with
                server_args ["-v"] it logs every message it handles: a
                check that a command sent nothing)
  server_log_has    strings it must contain (that the check can see them)
  pidfile   a file in @TMP@ where the case's --spawn command wrote its pid
            ($$): that process must be gone when vuctl has exited

With --proxy VUC_TRACE, every case's vuc-testdev sits behind the vuc-trace
proxy (vuctl connects to @SOCK@, the proxy's socket): each case must pass
unchanged, and the proxy must stay up and report no malformed message.
  signal    {"after": TEXT, "sig": "TERM"}: send vuctl the signal once its
            stdout holds TEXT; an expected status -15 means "killed by it"
"""

import argparse
import difflib
import errno
import glob
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


def start_server(testdev, sock, log, extra=()):
    # The server's messages go to a file: a pipe nobody reads could fill up
    # and stall it.
    with open(log, "wb") as logf:
        proc = subprocess.Popen(
            [testdev, "--socket-path=" + sock] + list(extra),
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


def subst(text, tmp, sock, testdev=""):
    return (
        text.replace("@SOCK@", sock)
        .replace("@TMP@", tmp)
        .replace("@TESTDEV@", testdev)
        .replace("@PYTHON@", sys.executable)
    )


SPAWN_DIR = re.compile(r"vuctl-[A-Za-z0-9]{6}")
CAPS_TEXT = re.compile(r"^protocol [0-9]+\.[0-9]+; .*$", re.M)
CAPS_JSON = re.compile(r'"caps":\{[^{}]*\}')
# The lines of info that say what was negotiated, and what the server sent.
INFO_CAPS = re.compile(
    r"^(max_msg_fds|max_data_xfer_size|max_dma_maps|pgsizes|"
    r"migration_pgsize|write_multiple)( +).*$",
    re.M,
)
SERVER_TEXT = re.compile(r"^server json( +).*$", re.M)
SERVER_JSON = re.compile(r'"server":\{.*\}\}$', re.M)


def hide_caps(text):
    text = INFO_CAPS.sub(r"\1\2@CAPS@", CAPS_TEXT.sub("@CAPS@", text))
    return CAPS_JSON.sub('"caps":@CAPS@', text)


def hide_server(text):
    text = SERVER_TEXT.sub(r"server json\1@SERVER@", text)
    return SERVER_JSON.sub('"server":@SERVER@}', text)


def unsubst(text, tmp, sock):
    # The socket lives in tmp, so replace the longer string first.
    text = text.replace(sock, "@SOCK@").replace(tmp, "@TMP@")
    return SPAWN_DIR.sub("vuctl-XXXXXX", text)


def make_files(case, tmp):
    for f in case.get("files", []):
        if "text" in f:
            data = f["text"].encode()
        else:
            data = bytes([f["byte"]]) * f["size"]
        with open(os.path.join(tmp, f["name"]), "wb") as out:
            out.write(data)


def check_files(case, tmp):
    problems = []
    for f in case.get("check_files", []):
        want = bytes.fromhex(f["hex"])
        with open(os.path.join(tmp, f["name"]), "rb") as inp:
            inp.seek(f["offset"])
            got = inp.read(len(want))
        if got != want:
            problems.append(
                "%s at %d holds %s, expected %s"
                % (f["name"], f["offset"], got.hex(), want.hex())
            )
    return problems


def process_gone(pid):
    try:
        os.kill(pid, 0)
    except OSError as e:
        return e.errno == errno.ESRCH
    return False


def check_spawn_cleanup(case, tmp):
    problems = []
    left = [n for n in os.listdir(tmp) if SPAWN_DIR.fullmatch(n)]
    if left:
        problems.append("vuctl left %s behind in TMPDIR" % ", ".join(left))
    if "pidfile" in case:
        try:
            with open(os.path.join(tmp, case["pidfile"])) as f:
                pid = int(f.read().split()[0])
        except (OSError, ValueError, IndexError) as e:
            problems.append("no pid in %s: %s" % (case["pidfile"], e))
        else:
            if not process_gone(pid):
                problems.append("the spawned server (pid %d) still runs" % pid)
                os.kill(pid, signal.SIGKILL)
    return problems


def run_vuctl(args, stdin, env, cwd, sig):
    """Run vuctl; with sig, send it the signal once stdout holds its text."""
    if not sig:
        return subprocess.run(
            args,
            input=stdin,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            cwd=cwd,
            env=env,
            timeout=RUN_DEADLINE,
        )
    with tempfile.TemporaryFile() as errf:
        proc = subprocess.Popen(
            args,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=errf,
            cwd=cwd,
            env=env,
        )
        proc.stdin.write(stdin)
        proc.stdin.close()
        proc.stdin = None  # so that communicate() leaves it alone
        out = b""
        deadline = time.monotonic() + RUN_DEADLINE
        while sig["after"].encode() not in out:
            line = proc.stdout.readline()
            if not line or time.monotonic() > deadline:
                proc.kill()
                proc.wait()
                raise Failure(
                    "vuctl ended before printing %r; it printed %r"
                    % (sig["after"], out.decode(errors="replace"))
                )
            out += line
        proc.send_signal(getattr(signal, "SIG" + sig["sig"]))
        try:
            rest, _ = proc.communicate(timeout=RUN_DEADLINE)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
            raise Failure("vuctl did not end after SIG%s" % sig["sig"])
        errf.seek(0)
        return subprocess.CompletedProcess(
            args, proc.returncode, out + rest, errf.read()
        )


def diff(what, want, got):
    lines = difflib.unified_diff(
        want.splitlines(keepends=True),
        got.splitlines(keepends=True),
        "expected " + what,
        "actual " + what,
    )
    return "".join(lines)


def start_proxy(proxy, sock, server_sock, tmp):
    with open(os.path.join(tmp, "proxy.log"), "wb") as logf:
        proc = subprocess.Popen(
            [proxy, "--listen", sock, "--connect", server_sock, "-o",
             os.path.join(tmp, "proxy.trace")],
            stdin=subprocess.DEVNULL, stdout=logf, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + SOCKET_DEADLINE
    while not os.path.exists(sock):
        if proc.poll() is not None or time.monotonic() > deadline:
            stop_server(proc)
            raise Failure("vuc-trace did not start:\n%s"
                          % read_log(os.path.join(tmp, "proxy.log")))
        time.sleep(0.01)
    return proc


def proxy_problems(proxy, tmp):
    problems = []
    if proxy.poll() is not None:
        problems.append("vuc-trace died (status %d)" % proxy.returncode)
    trace = read_log(os.path.join(tmp, "proxy.trace"))
    bad = [line for line in trace.splitlines() if "malformed" in line]
    if bad:
        problems.append("vuc-trace saw malformed messages:\n" +
                        "\n".join(bad))
    return problems


def run_case(case, vuctl, testdev, cases_dir, proxy_exe=None):
    tmp = tempfile.mkdtemp(prefix="vuctl-golden-")
    sock = os.path.join(tmp, "dev.sock")
    log = os.path.join(tmp, "testdev.log")
    server = None
    proxy = None
    try:
        if case.get("server", True):
            server = start_server(
                testdev, sock + ".server" if proxy_exe else sock, log,
                case.get("server_args", [])
            )
            if proxy_exe:
                proxy = start_proxy(proxy_exe, sock, sock + ".server", tmp)
        make_files(case, tmp)
        args = [vuctl] + [subst(a, tmp, sock, testdev) for a in case["args"]]
        stdin = b""
        if "stdin" in case:
            with open(os.path.join(cases_dir, case["stdin"])) as f:
                stdin = subst(f.read(), tmp, sock, testdev).encode()
        env = dict(os.environ, HOME=tmp, TMPDIR=tmp)
        try:
            res = run_vuctl(args, stdin, env, cases_dir, case.get("signal"))
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

        if "@CAPS@" in want_out:
            out = hide_caps(out)
        if "@SERVER@" in want_out:
            out = hide_server(out)

        problems = []
        if res.returncode != case["status"]:
            problems.append(
                "exit status %d, expected %d" % (res.returncode, case["status"])
            )
        if "stdout_re" in case:
            if not re.fullmatch(case["stdout_re"], out):
                problems.append(
                    "stdout %r does not match %r" % (out, case["stdout_re"])
                )
        elif out != want_out:
            problems.append(diff("stdout", want_out, out))
        if "stderr_re" in case:
            if not re.fullmatch(case["stderr_re"], err):
                problems.append(
                    "stderr %r does not match %r" % (err, case["stderr_re"])
                )
        elif err != want_err:
            problems.append(diff("stderr", want_err, err))
        problems += check_files(case, tmp)
        for pattern in case.get("absent_files", []):
            left = glob.glob(os.path.join(tmp, pattern))
            if left:
                problems.append(
                    "left behind: %s"
                    % ", ".join(unsubst(p, tmp, sock) for p in left)
                )
        problems += check_spawn_cleanup(case, tmp)
        if proxy:
            problems += proxy_problems(proxy, tmp)
        if case.get("server", True) and server.poll() is not None:
            problems.append(
                "vuc-testdev died (status %d)" % server.returncode
            )
        if server and ("server_log_lacks" in case or "server_log_has" in case):
            said = read_log(log)
            for text in case.get("server_log_lacks", []):
                if text in said:
                    problems.append("the server's log mentions %r" % text)
            for text in case.get("server_log_has", []):
                if text not in said:
                    problems.append("the server's log lacks %r" % text)
        if problems:
            if server:
                problems.append("vuc-testdev said:\n" + read_log(log))
            raise Failure("\n".join(problems))
    finally:
        if proxy:
            stop_server(proxy)
        if server:
            stop_server(server)
        shutil.rmtree(tmp, ignore_errors=True)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--vuctl", required=True)
    ap.add_argument("--testdev", required=True)
    ap.add_argument("--cases", required=True, help="directory of cases.json")
    ap.add_argument("--only", help="run only the case of this name")
    ap.add_argument("--proxy", help="run every case through this vuc-trace")
    opts = ap.parse_args()

    cases_dir = os.path.abspath(opts.cases)
    opts.vuctl = os.path.abspath(opts.vuctl)
    opts.testdev = os.path.abspath(opts.testdev)
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
            run_case(case, opts.vuctl, opts.testdev, cases_dir,
                     opts.proxy and os.path.abspath(opts.proxy))
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
