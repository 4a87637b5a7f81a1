#!/usr/bin/env python3
"""Tests of vuc-conform against vuc-testdev.

  outputs  the suite passes against the plain vuc-testdev, and each output
           format is checked: TAP 14 by a strict parser here (and by prove,
           when present), JUnit XML by a parser and its structure, JSON by
           its summary agreeing with its checks.
  matrix   for every quirk of vuc-testdev, exactly the checks that
           quirk_matrix.json names fail, and no other.
  usage    exit statuses 2 and 3, --list, --only/--skip, --fd.
"""
import argparse
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import xml.etree.ElementTree as ET

HERE = os.path.dirname(os.path.abspath(__file__))
failures = []


def check(cond, what):
    if not cond:
        failures.append(what)
        print("FAIL:", what, file=sys.stderr)


def run(cmd, **kw):
    return subprocess.run(cmd, capture_output=True, text=True, timeout=120,
                          **kw)


def spawn_arg(testdev, extra=()):
    return " ".join([testdev, *extra, "--socket-path={}"])


# ---- TAP 14 -----------------------------------------------------------------

TEST_LINE = re.compile(
    r"^(not ok|ok)( (\d+))?( - ([^#]*?))?( # (SKIP|TODO)\b ?(.*))?$")


def parse_tap(text):
    """A strict reader of what TAP 14 allows at the top level: the version,
    one plan, test points numbered in order, comments, and YAML blocks
    indented two spaces between '---' and '...' after a test point."""
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    if not lines or lines[0] != "TAP version 14":
        raise ValueError("the first line is not 'TAP version 14'")
    plan, tests, i = None, [], 1
    while i < len(lines):
        line = lines[i]
        i += 1
        if line.startswith("#"):
            continue
        m = re.match(r"^1\.\.(\d+)$", line)
        if m:
            if plan is not None:
                raise ValueError("two plans")
            plan = int(m.group(1))
            continue
        m = TEST_LINE.match(line)
        if not m:
            raise ValueError("line %d is not TAP: %r" % (i, line))
        num = int(m.group(3)) if m.group(3) else len(tests) + 1
        if num != len(tests) + 1:
            raise ValueError("test %d is numbered %d" % (len(tests) + 1, num))
        t = {"ok": m.group(1) == "ok", "name": m.group(5) or "",
             "directive": m.group(7), "reason": m.group(8) or "",
             "yaml": None}
        if i < len(lines) and lines[i] == "  ---":
            end = lines.index("  ...", i)
            block = lines[i + 1:end]
            if any(not b.startswith("  ") for b in block):
                raise ValueError("YAML block of test %d not indented" % num)
            t["yaml"] = {}
            for b in block:
                key, _, val = b[2:].partition(": ")
                t["yaml"][key] = json.loads(val) if val.startswith('"') else val
            i = end + 1
        tests.append(t)
    if plan is None or plan != len(tests):
        raise ValueError("plan %r for %d tests" % (plan, len(tests)))
    return tests


def check_prove(tap_text):
    """prove, when installed, reads the same stream. Debian 12's
    TAP::Parser (3.44) knows versions up to 13 and stops at the '14' line;
    the stream uses nothing TAP 14 added, so it is given the 13 header."""
    prove = shutil.which("prove")
    if not prove:
        print("prove not found: the TAP parser here is the only one")
        return
    with tempfile.TemporaryDirectory() as d:
        t = os.path.join(d, "conform.t")
        with open(os.path.join(d, "tap"), "w") as f:
            f.write(tap_text.replace("TAP version 14", "TAP version 13", 1))
        with open(t, "w") as f:
            f.write("#!/bin/sh\nexec cat '%s'\n" % os.path.join(d, "tap"))
        os.chmod(t, 0o755)
        r = run([prove, t])
        check(r.returncode == 0, "prove rejects the TAP stream:\n" + r.stdout)


# ---- outputs ----------------------------------------------------------------

def cmd_outputs(a):
    spawn = spawn_arg(a.testdev, ["--max-dma-maps=16"])
    with tempfile.TemporaryDirectory() as d:
        junit = os.path.join(d, "conform.xml")
        t0 = time.monotonic()
        r = run([a.conform, "--tap", "--junit", junit, "--spawn", spawn])
        secs = time.monotonic() - t0
        print("whole suite against vuc-testdev: %.2f s" % secs)
        check(r.returncode == 0, "vuc-conform exit status %d against the plain "
              "vuc-testdev:\n%s%s" % (r.returncode, r.stdout, r.stderr))
        tests = parse_tap(r.stdout)
        check(len(tests) >= 60, "only %d checks" % len(tests))
        ids = [t["name"] for t in tests]
        check(len(set(ids)) == len(ids), "check ids are not unique")
        for t in tests:
            check(t["ok"], "check %s failed: %s" % (t["name"], t["yaml"]))
            if t["directive"] == "SKIP":
                check(t["reason"].strip() != "",
                      "check %s skipped without a reason" % t["name"])
        check_prove(r.stdout)
        check_junit(junit, tests)
    r = run([a.conform, "--json", "--spawn", spawn])
    doc = json.loads(r.stdout)
    s = doc["summary"]
    res = [c["result"] for c in doc["checks"]]
    check(s["total"] == len(res) == len(tests), "JSON total disagrees")
    check(s["passed"] == res.count("pass") and s["failed"] ==
          res.count("fail") and s["skipped"] == res.count("skip"),
          "JSON summary disagrees with its checks")
    check(all(c["level"] in ("MUST", "SHOULD") and c["section"] and c["rule"]
              for c in doc["checks"]), "a JSON check lacks level/section/rule")
    # A failing run in every format: the quirk that fails a MUST check.
    q = ["--max-dma-maps=16", "--quirk=overlap-einval"]
    r = run([a.conform, "--tap", "--spawn", spawn_arg(a.testdev, q)])
    check(r.returncode == 1, "a failed MUST check gives status %d" %
          r.returncode)
    bad = [t for t in parse_tap(r.stdout) if not t["ok"]]
    check([t["name"] for t in bad] == ["dma.map-overlap"] and
          bad[0]["yaml"]["level"] == "MUST" and "EEXIST" in
          bad[0]["yaml"]["message"] and bad[0]["directive"] is None,
          "the failed check's TAP: %r" % bad)
    # A failed SHOULD check is TODO in TAP and leaves the status 0.
    q = ["--max-dma-maps=16", "--quirk=mask-anything"]
    r = run([a.conform, "--tap", "--spawn", spawn_arg(a.testdev, q)])
    bad = [t for t in parse_tap(r.stdout) if not t["ok"]]
    check(r.returncode == 0 and len(bad) == 1 and bad[0]["directive"] ==
          "TODO", "a failed SHOULD check: status %d, %r" % (r.returncode, bad))
    with tempfile.TemporaryDirectory() as d:
        junit = os.path.join(d, "fail.xml")
        q = ["--max-dma-maps=16", "--quirk=no-unmap-echo"]
        run([a.conform, "--junit", junit, "--spawn", spawn_arg(a.testdev, q)])
        suite = ET.parse(junit).getroot().find("testsuite")
        fails = [c.get("name") for c in suite.iter("testcase")
                 if c.find("failure") is not None]
        check(fails == ["dma.unmap-echo"] and suite.get("failures") == "1",
              "JUnit of a failing run names %r" % fails)


def check_junit(path, tests):
    root = ET.parse(path).getroot()
    check(root.tag == "testsuites", "JUnit root is %s" % root.tag)
    suites = root.findall("testsuite")
    check(len(suites) == 1, "JUnit has %d testsuites" % len(suites))
    s = suites[0]
    cases = s.findall("testcase")
    check(int(s.get("tests")) == len(cases) == len(tests),
          "JUnit tests=%s for %d cases" % (s.get("tests"), len(cases)))
    check(int(s.get("failures")) == sum(c.find("failure") is not None
                                        for c in cases), "JUnit failures")
    check(int(s.get("skipped")) == sum(c.find("skipped") is not None
                                       for c in cases), "JUnit skipped")
    for c, t in zip(cases, tests):
        check(c.get("name") == t["name"] and
              c.get("classname", "").startswith("vfio-user.") and
              float(c.get("time")) >= 0, "JUnit testcase %r" % c.attrib)
        sk = c.find("skipped")
        check((sk is not None) == (t["directive"] == "SKIP"),
              "JUnit and TAP disagree on skipping %s" % t["name"])


# ---- matrix -----------------------------------------------------------------

def failing(conform, spawn):
    r = run([conform, "--tap", "--spawn", spawn])
    tests = parse_tap(r.stdout)
    bad = [t for t in tests if not t["ok"]]
    musts = [t for t in bad if t["yaml"]["level"] == "MUST"]
    check(r.returncode == (1 if musts else 0),
          "%s: exit status %d with %d MUST failures" %
          (spawn, r.returncode, len(musts)))
    return sorted(t["name"] for t in bad), {t["name"]: t["yaml"]["message"]
                                           for t in bad}


def cmd_matrix(a):
    with open(os.path.join(HERE, "quirk_matrix.json")) as f:
        m = json.load(f)
    r = run([a.testdev, "--quirk=help"])
    quirks = [l.split()[0] for l in r.stdout.splitlines() if l.strip()]
    check(len(quirks) >= 15, "only %d quirks" % len(quirks))
    check(sorted(quirks) == sorted(m["quirks"]),
          "quirk_matrix.json covers %s, vuc-testdev has %s" %
          (sorted(m["quirks"]), sorted(quirks)))
    opts = m["server_options"]
    got, _ = failing(a.conform, spawn_arg(a.testdev, opts))
    check(got == [], "the plain vuc-testdev fails %s" % got)
    caught = set()
    for q in quirks:
        want = sorted(m["quirks"].get(q, []))
        got, why = failing(a.conform,
                           spawn_arg(a.testdev, opts + ["--quirk=" + q]))
        print("%-24s caught by %s" % (q, ", ".join(got) or "nothing"))
        check(want and got == want, "quirk %s: failed %s, expected %s\n%s" %
              (q, got, want, json.dumps(why, indent=1)))
        caught.update(got)
    print("%d quirks caught by %d distinct checks" % (len(quirks),
                                                       len(caught)))


# ---- usage ------------------------------------------------------------------

def cmd_usage(a):
    r = run([a.conform, "--bogus"])
    check(r.returncode == 2 and "unknown option" in r.stderr,
          "unknown option: %d %s" % (r.returncode, r.stderr))
    r = run([a.conform, "--timeout", "0", "/x"])
    check(r.returncode == 2, "--timeout 0: status %d" % r.returncode)
    r = run([a.conform, "--spawn", "server-without-placeholder"])
    check(r.returncode == 2 and "{}" in r.stderr,
          "--spawn without {}: %d %s" % (r.returncode, r.stderr))
    r = run([a.conform, "/a.sock", "--fd", "3"])
    check(r.returncode == 2, "two targets: status %d" % r.returncode)
    with tempfile.TemporaryDirectory() as d:
        r = run([a.conform, os.path.join(d, "none.sock")])
        check(r.returncode == 3 and "cannot reach" in r.stderr,
              "absent socket: %d %s" % (r.returncode, r.stderr))
    r = run([a.conform, "--spawn", "exit 0 {}"])
    check(r.returncode == 3, "a server that never listens: status %d" %
          r.returncode)
    r = run([a.conform, "--list", "--json"])
    lst = json.loads(r.stdout)
    check(len(lst) >= 60 and len({c["id"] for c in lst}) == len(lst),
          "--list --json: %d checks" % len(lst))
    r = run([a.conform, "--list", "--only", "dma.*", "--skip", "dma.map-*"])
    ids = [l.split()[0] for l in r.stdout.splitlines()]
    check(ids and all(i.startswith("dma.") and not i.startswith("dma.map-")
                      for i in ids), "--only/--skip: %s" % ids)
    # --fd: one connection, so the checks that need their own skip.
    a_sock, b_sock = socket.socketpair()
    srv = subprocess.Popen([a.testdev, "--fd=%d" % b_sock.fileno()],
                           pass_fds=[b_sock.fileno()],
                           stderr=subprocess.DEVNULL)
    b_sock.close()
    r = run([a.conform, "--tap", "--fd", str(a_sock.fileno())],
            pass_fds=[a_sock.fileno()])
    a_sock.close()
    srv.wait(timeout=30)
    tests = parse_tap(r.stdout)
    skips = [t for t in tests if t["directive"] == "SKIP"]
    check(r.returncode == 0 and all(t["ok"] for t in tests),
          "--fd run: status %d" % r.returncode)
    check(any("--fd" in t["reason"] for t in skips),
          "--fd run skips nothing for want of a connection")


def main():
    p = argparse.ArgumentParser()
    p.add_argument("what", choices=["outputs", "matrix", "usage"])
    p.add_argument("--conform", required=True)
    p.add_argument("--testdev", required=True)
    a = p.parse_args()
    {"outputs": cmd_outputs, "matrix": cmd_matrix, "usage": cmd_usage}[a.what](a)
    if failures:
        print("%d failure(s)" % len(failures), file=sys.stderr)
        return 1
    print("ok")
    return 0


if __name__ == "__main__":
    sys.exit(main())
