#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""Golden traces of a vuctl session against vuc-testdev.

Runs session.vuc with vuctl --trace=FILE, in text and with --json, and
compares the trace with session.trace and session.jsonl. Latencies vary from
run to run and read (T) / "latency_ns":0; the capabilities of VERSION belong
to vuc-testdev, which grows, and read @CAPS@. The order of the messages in
each direction of each socket is compared; how the four interleave is the
scheduler's business (a proxy sees replies arrive while the client's
pipelined requests still come in), so each is compared on its own.

With --proxy, the same session also runs through vuc-trace: vuctl must
print and exit the same as without it, and the proxy's own trace must equal
the golden one (the proxy decodes with the same formatter). --update writes
the golden files from a direct run.
"""

import argparse
import difflib
import json
import os
import re
import subprocess
import sys
import tempfile
import time

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "..", "vuctl"))
from run_golden import stop_server as stop  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
DEADLINE = 10.0

LATENCY_TEXT = re.compile(r" \([0-9.]+ (µs|ms|s)\)$", re.M)
LATENCY_JSON = re.compile(r'"latency_ns":[0-9]+')
CAPS_TEXT = re.compile(r"^(\S+ #\d+ VERSION(?: reply)? \d+\.\d+) \{.*\}", re.M)
CAPS_JSON = re.compile(r'"caps":"(?:[^"\\]|\\.)*"')


class Failure(Exception):
    pass


def wait_for(path, proc, what):
    deadline = time.monotonic() + DEADLINE
    while not os.path.exists(path):
        if proc.poll() is not None:
            raise Failure("%s exited (%d) before creating %s"
                          % (what, proc.returncode, path))
        if time.monotonic() > deadline:
            raise Failure("%s did not create %s" % (what, path))
        time.sleep(0.01)


def normalize(text, json_mode):
    if json_mode:
        text = LATENCY_JSON.sub('"latency_ns":0', text)
        return CAPS_JSON.sub('"caps":"@CAPS@"', text)
    text = LATENCY_TEXT.sub(" (T)", text)
    return CAPS_TEXT.sub(r"\1 @CAPS@", text)


STREAMS = [(chan, way) for chan in ("main", "twin")
           for way in ("to_server", "to_client")]


def by_stream(text, json_mode):
    streams = {k: [] for k in STREAMS}
    for line in text.splitlines():
        if json_mode:
            j = json.loads(line)
            key = (j["chan"], j["dir"])
        else:
            words = line.split(" ", 2)
            key = ("twin" if words[1] == "twin" else "main",
                   "to_server" if words[0] == "→" else "to_client")
        streams[key].append(line)
    return streams


def compare(name, got, want, json_mode):
    problems = []
    g, w = by_stream(got, json_mode), by_stream(want, json_mode)
    for key in STREAMS:
        if g[key] != w[key]:
            diff = "\n".join(difflib.unified_diff(w[key], g[key], "expected",
                                                  "got", lineterm=""))
            problems.append("%s: %s %s differs:\n%s"
                            % (name, key[0], key[1], diff))
    return problems


def run_session(args, tmp, json_mode, proxy_trace=None, pcap=None):
    """One session (through the proxy when proxy_trace names its trace
    file, and with --pcap when pcap is given); returns (status, stdout,
    stderr, vuctl's trace, the proxy's trace or None)."""
    sock = os.path.join(tmp, "dev.sock")
    script = os.path.join(tmp, "session.vuc")
    with open(os.path.join(HERE, "session.vuc")) as f:
        text = f.read().replace("@TMP@", tmp)
    with open(script, "w") as f:
        f.write(text)
    log = open(os.path.join(tmp, "dev.log"), "wb")
    proxied = proxy_trace is not None
    dev_sock = sock + ".server" if proxied else sock
    dev = subprocess.Popen([args.testdev, "--socket-path=" + dev_sock],
                           stdout=log, stderr=subprocess.STDOUT)
    proxy = None
    try:
        wait_for(dev_sock, dev, "vuc-testdev")
        if proxied:
            cmd = [args.proxy, "--listen", sock, "--connect", dev_sock,
                   "-o", proxy_trace]
            if json_mode:
                cmd.append("--json")
            if pcap:
                cmd += ["--pcap", pcap]
            proxy = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT)
            wait_for(sock, proxy, "vuc-trace")
        trace = os.path.join(tmp, "vuctl.trace")
        cmd = [args.vuctl, "--trace=" + trace, "-c", "connect " + sock, "-f",
               script]
        if json_mode:
            cmd.insert(1, "--json")
        r = subprocess.run(cmd, capture_output=True, text=True, timeout=60)
        out = r.stdout.replace(tmp, "@TMP@")
        err = r.stderr.replace(tmp, "@TMP@")
        with open(trace) as f:
            vtrace = f.read()
    finally:
        if proxy is not None:
            stop(proxy)
        stop(dev)
        log.close()
    ptrace = None
    if proxy_trace is not None:
        with open(proxy_trace) as f:
            ptrace = f.read()
    return r.returncode, out, err, vtrace, ptrace


def check(args, json_mode):
    name = "session.jsonl" if json_mode else "session.trace"
    problems = []
    with tempfile.TemporaryDirectory(prefix="vuc-trace-test-") as tmp:
        status, out, err, vtrace, _ = run_session(args, tmp, json_mode)
    if json_mode:
        for line in vtrace.splitlines():
            json.loads(line)  # each line one JSON value, or this throws
    if status != 1 or "poke" not in err:
        problems.append("vuctl exited %d (expected 1, for the refused poke)"
                        ", stderr:\n%s" % (status, err))
    got = normalize(vtrace, json_mode)
    if args.update:
        with open(os.path.join(HERE, name), "w") as f:
            f.write(got)
        return problems
    with open(os.path.join(HERE, name)) as f:
        want = f.read()
    problems += compare(name, got, want, json_mode)
    if not args.proxy:
        return problems

    # Through the proxy: the same for vuctl, and the same trace from it.
    with tempfile.TemporaryDirectory(prefix="vuc-trace-test-") as tmp:
        p_status, p_out, p_err, p_vtrace, p_trace = run_session(
            args, tmp, json_mode, os.path.join(tmp, "proxy.trace"))
    if (p_status, p_out, p_err) != (status, out, err):
        problems.append("through vuc-trace vuctl said otherwise: status %d "
                        "(direct %d)\n%s"
                        % (p_status, status, "\n".join(difflib.unified_diff(
                            (out + err).splitlines(),
                            (p_out + p_err).splitlines(), "direct", "proxied",
                            lineterm=""))))
    problems += compare(name + " (vuctl, proxied)",
                        normalize(p_vtrace, json_mode), want, json_mode)
    problems += compare(name + " (vuc-trace)", normalize(p_trace, json_mode),
                        want, json_mode)
    return problems


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--vuctl", required=True)
    ap.add_argument("--testdev", required=True)
    ap.add_argument("--proxy")
    ap.add_argument("--update", action="store_true")
    args = ap.parse_args()
    problems = []
    for json_mode in (False, True):
        try:
            problems += check(args, json_mode)
        except (Failure, OSError, ValueError,
                subprocess.TimeoutExpired) as e:
            problems.append("%s: %s" % ("json" if json_mode else "text", e))
    for p in problems:
        print(p)
    print("%s: %s" % (os.path.basename(sys.argv[0]),
                      "FAILED" if problems else "ok"))
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
