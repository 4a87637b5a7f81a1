#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""Fail when a test skipped for any reason but missing hardware support.

    check-skips.py JUNIT.xml...

Reads ctest's JUnit output (ctest --output-junit, with the output of passed
tests kept whole: --test-output-size-passed) and finds every skip:

  - a test ctest reports as skipped (its SKIP_RETURN_CODE);
  - a cmocka test inside a program ("[  SKIPPED ] name");
  - a TAP line "ok ... # SKIP ...".

Each skip must come with a line that says why, in one of two kinds:

    vuc-skip: hardware: REASON          the machine lacks support the test
                                        needs (huge pages, a byte order)
    vuc-skip: package NAME: REASON      a program or library is missing

Only the hardware kind is accepted. A package skip fails the run, because
tools/setup-debian.sh installs every package a test needs; so does a skip
that gives no reason, or a reason of another kind. The skips accepted are
listed, so that a CI log shows what did not run.
"""

import re
import sys
import xml.etree.ElementTree as ET

REASON = re.compile(r"vuc-skip: ([^:]*): (.*)$")
CMOCKA_SKIP = re.compile(r"^\[  SKIPPED \] (\S+)$")
CMOCKA_SUMMARY = re.compile(r"^\[  SKIPPED \] \d+ test\(s\), listed below:$")
TAP_SKIP = re.compile(r"^ok\b.*#\s*SKIP\b", re.IGNORECASE)


def skips_of(output, ctest_skipped):
    """(number of skips, [(kind, reason)]) in one test program's output."""
    skips, reasons, seen, summary = 0, [], set(), False
    for line in output.splitlines():
        m = REASON.search(line)
        if m:
            reasons.append((m.group(1).strip(), m.group(2).strip()))
            continue
        if CMOCKA_SUMMARY.match(line):
            summary = True  # the names that follow were counted already
            continue
        m = CMOCKA_SKIP.match(line)
        if m and not summary and m.group(1) not in seen:
            seen.add(m.group(1))
            skips += 1
        elif TAP_SKIP.match(line):
            skips += 1
    if ctest_skipped and skips == 0:
        skips = 1  # the whole program skipped (exit status 77)
    return skips, reasons


def main(paths):
    if not paths:
        print(__doc__.strip(), file=sys.stderr)
        return 2
    accepted, refused, tests = [], [], 0
    for path in paths:
        try:
            root = ET.parse(path).getroot()
        except (OSError, ET.ParseError) as e:
            print("check-skips: cannot read %s: %s" % (path, e))
            return 1
        for case in root.iter("testcase"):
            tests += 1
            name = case.get("name")
            out = case.find("system-out")
            skipped = (case.get("status") == "skipped" or
                       case.find("skipped") is not None)
            n, reasons = skips_of(out.text if out is not None and out.text
                                  else "", skipped)
            for kind, why in reasons:
                if kind == "hardware":
                    accepted.append("%s: %s" % (name, why))
                else:
                    refused.append("%s: skipped for '%s': %s"
                                   % (name, kind, why))
            if n > len(reasons):
                refused.append("%s: %d skip(s) without a 'vuc-skip: KIND: "
                               "REASON' line" % (name, n - len(reasons)))
    if tests == 0:
        print("check-skips: no test results in %s" % ", ".join(paths))
        return 1
    for a in accepted:
        print("check-skips: allowed, missing hardware support: %s" % a)
    for r in refused:
        print("check-skips: NOT ALLOWED: %s" % r)
    if refused:
        print("check-skips: only missing hardware support may skip a test; "
              "install what tools/setup-debian.sh lists")
        return 1
    print("check-skips: %d tests, %d skip(s), all for missing hardware "
          "support" % (tests, len(accepted)))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
