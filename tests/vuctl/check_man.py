#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""Check vuctl's generated man page against vuctl itself.

The page is generated from the command and option tables at build time, so
it cannot drift; this checks that the generator leaves nothing out and that
roff accepts what it writes: the built page is what `vuctl --man` prints,
every command that `help` lists (in JSON) has an entry with its arguments,
every option of --help is described, and groff (when installed) renders the
page without a warning.
"""

import argparse
import json
import re
import shutil
import subprocess
import sys


def roff_plain(text):
    """The text of roff source without font changes and escapes."""
    text = re.sub(r"\\f[BIRP]", "", text)
    return text.replace("\\-", "-").replace("\\e", "\\").replace("\\&", "")


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--vuctl", required=True)
    ap.add_argument("--page", required=True, help="the built vuctl.1")
    opts = ap.parse_args()
    problems = []

    with open(opts.page) as f:
        page = f.read()
    fresh = subprocess.run(
        [opts.vuctl, "--man"], stdout=subprocess.PIPE, check=True
    ).stdout.decode()
    if fresh != page:
        problems.append("%s differs from what vuctl --man prints" % opts.page)

    lines = page.splitlines()
    tags = [
        roff_plain(lines[i + 1])
        for i, line in enumerate(lines[:-1])
        if line == ".TP"
    ]
    helped = json.loads(
        subprocess.run(
            [opts.vuctl, "--json", "-c", "help"],
            stdout=subprocess.PIPE,
            check=True,
        ).stdout
    )
    for cmd in helped["commands"]:
        synopsis = (cmd["name"] + " " + cmd["args"]).strip()
        if synopsis not in tags:
            problems.append("no entry for the command '%s'" % synopsis)

    usage = subprocess.run(
        [opts.vuctl, "--help"], stdout=subprocess.PIPE, check=True
    ).stdout.decode()
    for opt in re.findall(r"^  (?:-\w, |    )(--[\w-]+)", usage, re.M):
        if not any(t.startswith(opt) or (", " + opt) in t for t in tags):
            problems.append("no entry for the option '%s'" % opt)
    if not re.search(r"^  3  ", usage, re.M) or ".B 3" not in page:
        problems.append("exit status 3 is missing from --help or the page")

    if shutil.which("groff"):
        res = subprocess.run(
            ["groff", "-man", "-Tutf8", "-ww", "-z", opts.page],
            stderr=subprocess.PIPE,
        )
        if res.returncode != 0 or res.stderr:
            problems.append(
                "groff complains:\n" + res.stderr.decode(errors="replace")
            )
    else:
        print("# groff not found: the page is not rendered")

    if problems:
        print("not ok - man page")
        for p in problems:
            print("  " + p)
        return 1
    print("ok - man page (%d commands)" % len(helped["commands"]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
