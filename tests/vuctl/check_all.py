#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""Run cases/all.vuc, the script that uses every vuctl command, against
vuc-testdev, in text and in JSON mode.

Passes when both runs exit 0, every line of the JSON run is one JSON object
naming its command, and every command that `vuctl --json -c help` lists is
used in the script (as a command of its own, or after 'set NAME =' or
'expect'), so that a new command cannot be left out of it. The script runs
in a fresh directory holding the server's socket, dev.sock, and a 64 KiB
data.bin of zeros for dma map. A vuctl built without the benchmark module
has no bench command (nor conform without the conformance module); the
script's lines of such a command are then left out.
"""

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile

sys.dont_write_bytecode = True
from run_golden import Failure, read_log, start_server, stop_server  # noqa


RUN_DEADLINE = 120.0


def parse_words(text):
    """Words as vuctl splits them: blanks separate, "..." quotes, and \\"
    and \\\\ inside quotes stand for " and \\."""
    words, word, quoted, i = [], None, False, 0
    while i < len(text):
        ch = text[i]
        if quoted:
            if ch == "\\" and i + 1 < len(text) and text[i + 1] in "\"\\":
                word += text[i + 1]
                i += 1
            elif ch == '"':
                quoted = False
            else:
                word += ch
        elif ch == '"':
            quoted, word = True, word or ""
        elif ch.isspace():
            if word is not None:
                words.append(word)
            word = None
        else:
            word = (word or "") + ch
        i += 1
    if word is not None:
        words.append(word)
    return words


def commands_used(script):
    """The command names ("peek", "dma alloc") the script runs."""
    used = set()
    for line in script.splitlines():
        for cmd in line.split("#", 1)[0].split(";"):
            words = parse_words(cmd)
            while words:
                used.add(words[0])
                if len(words) > 1:
                    used.add(words[0] + " " + words[1])
                # The command line inside set NAME = ... and expect ...
                if words[0] == "set" and len(words) > 3 and words[2] == "=":
                    words = words[3:]
                elif words[0] == "expect":
                    words = words[1:]
                else:
                    break
    return used


def run(vuctl, testdev, script, json_mode):
    tmp = tempfile.mkdtemp(prefix="vuctl-all-")
    sock = os.path.join(tmp, "dev.sock")
    log = os.path.join(tmp, "testdev.log")
    server = None
    try:
        server = start_server(testdev, sock, log)
        with open(os.path.join(tmp, "data.bin"), "wb") as f:
            f.write(bytes(64 * 1024))
        args = [vuctl] + (["--json"] if json_mode else []) + ["-f", script]
        try:
            res = subprocess.run(
                args,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                cwd=tmp,
                env=dict(os.environ, HOME=tmp, TMPDIR=tmp),
                timeout=RUN_DEADLINE,
            )
        except subprocess.TimeoutExpired:
            raise Failure("vuctl did not finish within %.0f s" % RUN_DEADLINE)
        out = res.stdout.decode(errors="replace")
        err = res.stderr.decode(errors="replace")
        if res.returncode != 0:
            raise Failure(
                "exit status %d\nstderr:\n%s\nvuc-testdev said:\n%s"
                % (res.returncode, err, read_log(log))
            )
        if err:
            raise Failure("unexpected stderr:\n" + err)
        if json_mode:
            for n, line in enumerate(out.splitlines(), 1):
                try:
                    obj = json.loads(line)
                except ValueError as e:
                    raise Failure(
                        "line %d is not JSON (%s): %r" % (n, e, line)
                    )
                if not isinstance(obj, dict) or "cmd" not in obj:
                    raise Failure("line %d names no command: %r" % (n, line))
                if "error" in obj:
                    raise Failure("line %d is an error: %r" % (n, line))
        return out
    finally:
        if server:
            stop_server(server)
        shutil.rmtree(tmp, ignore_errors=True)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--vuctl", required=True)
    ap.add_argument("--testdev", required=True)
    ap.add_argument("--script", required=True, help="cases/all.vuc")
    opts = ap.parse_args()
    vuctl = os.path.abspath(opts.vuctl)
    testdev = os.path.abspath(opts.testdev)
    script = os.path.abspath(opts.script)

    failed = 0
    helped = json.loads(
        subprocess.run(
            [vuctl, "--json", "-c", "help"], stdout=subprocess.PIPE, check=True
        ).stdout
    )
    names = {c["name"] for c in helped["commands"]}
    filtered = None
    with open(script) as f:
        text = f.read()
    used = commands_used(text)
    missing = [c["name"] for c in helped["commands"] if c["name"] not in used]
    # vuctl has bench and conform only when their modules were built.
    absent = [c for c in ("bench", "conform") if c not in names]
    if absent:
        print("# vuctl was built without %s: its lines are left out"
              % ", ".join(absent))
        text = "".join(
            line
            for line in text.splitlines(keepends=True)
            if parse_words(line.split("#", 1)[0])[:1] not in [[c] for c in absent]
        )
        filtered = tempfile.mkdtemp(prefix="vuctl-all-")
        script = os.path.join(filtered, "all.vuc")
        with open(script, "w") as f:
            f.write(text)
    if missing:
        failed += 1
        print("not ok - all.vuc uses every command")
        print("  missing: " + ", ".join(missing))
    else:
        print("ok - all.vuc uses all %d commands" % len(helped["commands"]))

    for json_mode in (False, True):
        name = "all.vuc, %s" % ("JSON" if json_mode else "text")
        try:
            out = run(vuctl, testdev, script, json_mode)
            print("ok - %s (%d lines)" % (name, len(out.splitlines())))
        except Failure as e:
            failed += 1
            print("not ok - " + name)
            for line in str(e).splitlines():
                print("  " + line)
    if filtered:
        shutil.rmtree(filtered, ignore_errors=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
