#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""Check every installed program: version, man page, bash completion.

Installs the build tree into a scratch prefix (cmake --install) and, for
each program in its bin/ directory -- whatever programs there are:

  - `PROG --version` prints "PROG VERSION (libvuc VERSION, ... vfio-user
    M.N)" with the project's version;
  - share/man/man1/PROG.1 exists, groff reads it without a warning, and it
    names every long option that `PROG --help` lists;
  - where share/bash-completion/completions/PROG exists (it must for the
    programs given with --need-completion), completing "PROG --" offers
    exactly the long options of --help (those that take a value with a
    trailing '='); for vuctl, completing the text of -c offers exactly the
    commands of its help, and after each command its sub-commands; for
    vuc-bench, --only offers the measurements its help lists.
"""

import argparse
import glob
import os
import re
import shutil
import subprocess
import sys
import tempfile


class Failure(Exception):
    pass


def run(argv, env, check=True):
    p = subprocess.run(argv, env=env, stdin=subprocess.DEVNULL,
                       capture_output=True, text=True, timeout=60)
    if check and p.returncode != 0:
        raise Failure("%s exited with status %d:\n%s%s"
                      % (" ".join(argv), p.returncode, p.stdout, p.stderr))
    return p


def help_options(text):
    """{long option: takes a value} from the help's option lines."""
    opts = {}
    for line in text.splitlines():
        if not re.match(r"^ {1,8}-", line):
            continue
        spec = re.split(r"\s{2,}", line.strip())[0]
        takes = re.search(r"[= ][A-Z]", spec) is not None
        for o in re.findall(r"(?<![\w-])--[A-Za-z0-9][\w-]*", spec):
            opts[o] = takes
    return opts


def vuctl_commands(text):
    """{command: set of sub-commands} from vuctl's Commands section."""
    cmds, inside = {}, False
    for line in text.splitlines():
        if re.match(r"^[A-Z]", line):
            inside = line.startswith("Commands")
            continue
        m = re.match(r"^  ([a-z][a-z-]*)(?: ([a-z][a-z-]*))?(?:\s|$)", line)
        if inside and m:
            cmds.setdefault(m.group(1), set())
            if m.group(2):
                cmds[m.group(1)].add(m.group(2))
    return cmds


def check_version(prog, name, version, env):
    out = run([prog, "--version"], env).stdout
    rx = (r"^%s %s \(libvuc %s, (?:.*, )?vfio-user \d+\.\d+\)\n$"
          % (re.escape(name), re.escape(version), re.escape(version)))
    if not re.match(rx, out):
        raise Failure("%s --version printed %r; expected '%s %s (libvuc %s, "
                      "... vfio-user M.N)'" % (name, out, name, version,
                                                version))


def check_man(page, name, opts, env):
    if not os.path.exists(page):
        raise Failure("%s has no man page (%s)" % (name, page))
    warn = run(["groff", "-man", "-ww", "-z", "-Tutf8", page], env)
    if warn.stderr.strip():
        raise Failure("groff warns about %s:\n%s" % (page, warn.stderr))
    text = run(["groff", "-man", "-Tascii", "-P-cbou", "-rLL=300n",
                "-rHY=0", page], env).stdout
    missing = [o for o in sorted(opts) if o not in text]
    if missing:
        raise Failure("%s.1 does not mention %s" % (name, ", ".join(missing)))


def complete(script, words, env):
    """COMPREPLY for the command line WORDS, the last being completed."""
    harness = r'''
source "$1"; shift
COMP_WORDS=("$@"); COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
COMP_LINE="$*"; COMP_POINT=${#COMP_LINE}
compopt() { :; }  # only readline's display; not under test
_vuc_complete "${COMP_WORDS[0]}" "${COMP_WORDS[COMP_CWORD]}" \
    "${COMP_WORDS[COMP_CWORD - 1]}"
printf '%s\n' "${COMPREPLY[@]}"
'''
    p = run(["bash", "--norc", "--noprofile", "-c", harness, "check",
             script] + words, env)
    return [w for w in p.stdout.split("\n") if w]


def expect_same(what, got, want):
    got, want = set(got), set(want)
    if got != want:
        raise Failure("completing %s: %s%s" % (
            what,
            "missing %s; " % sorted(want - got) if want - got else "",
            "extra %s" % sorted(got - want) if got - want else ""))


def check_completion(script, prog, name, helptext, opts, env):
    want = [o + "=" if takes else o for o, takes in opts.items()]
    got = [w for w in complete(script, [prog, "--"], env) if w[:2] == "--"]
    expect_same("'%s --'" % name, got, want)
    if name == "vuctl":
        cmds = vuctl_commands(helptext)
        if not cmds:
            raise Failure("no commands found in vuctl --help")
        expect_same("vuctl -c ''", complete(script, [prog, "-c", ""], env),
                    cmds)
        # After help, the command to explain; after set, the one word that
        # is not a variable name, and then its policies.
        cmds["help"] = set(cmds)
        cmds["set"] = {"posting"}
        policies = {"strict", "fenced", "posted"}
        sethelp = run([prog, "-c", "help set"], env).stdout
        if not all(re.search(r"\b%s \(" % p, sethelp) for p in policies):
            raise Failure("vuctl's help set does not explain %s"
                          % sorted(policies))
        lines = [(cmd, subs) for cmd, subs in cmds.items()]
        lines.append(("set posting", policies))
        for text, subs in sorted(lines):
            # Inside an open quote, as a user types a script; a unique match
            # comes back twice, with one and two trailing blanks.
            head = "'echo x; %s " % text
            got = {w[len(head):].rstrip()
                   for w in complete(script, [prog, "-c", head], env)}
            expect_same("vuctl -c %s" % head, got, subs)
    if name == "vuc-bench":
        m = re.search(r"--only LIST.*\n\s+([a-z,]+)\n", helptext)
        if not m:
            raise Failure("vuc-bench --help lists no measurements")
        got = complete(script, [prog, "--only", "read,"], env)
        expect_same("vuc-bench --only read,", got,
                    ["read," + w for w in m.group(1).split(",")])


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--cmake", required=True)
    ap.add_argument("--build", required=True)
    ap.add_argument("--version", required=True)
    ap.add_argument("--need-completion", default="")
    opts = ap.parse_args()
    need = set(filter(None, opts.need_completion.split(",")))
    for tool in ("bash", "groff"):
        if not shutil.which(tool):
            print("not ok - %s is not installed (tools/setup-debian.sh "
                  "installs it)" % tool)
            return 1
    failures = 0
    with tempfile.TemporaryDirectory(prefix="vuc-installed-") as prefix:
        env = dict(os.environ, LC_ALL="C.UTF-8")
        try:
            run([opts.cmake, "--install", opts.build, "--prefix", prefix],
                env)
        except Failure as e:
            print("not ok - cmake --install: %s" % e)
            return 1
        libs = glob.glob(os.path.join(prefix, "lib*", "libvuc.so*"))
        env["LD_LIBRARY_PATH"] = ":".join(
            sorted({os.path.dirname(p) for p in libs}))
        progs = sorted(glob.glob(os.path.join(prefix, "bin", "*")))
        if not progs:
            print("not ok - nothing installed in bin/")
            return 1
        for prog in progs:
            name = os.path.basename(prog)
            script = os.path.join(prefix, "share", "bash-completion",
                                  "completions", name)
            try:
                check_version(prog, name, opts.version, env)
                helptext = run([prog, "--help"], env).stdout
                hopts = help_options(helptext)
                if not hopts:
                    raise Failure("%s --help lists no options" % name)
                check_man(os.path.join(prefix, "share", "man", "man1",
                                       name + ".1"), name, hopts, env)
                if os.path.exists(script):
                    check_completion(script, prog, name, helptext, hopts,
                                     env)
                elif name in need:
                    raise Failure("%s has no bash completion" % name)
                print("ok - %s" % name)
            except (Failure, subprocess.TimeoutExpired) as e:
                print("not ok - %s: %s" % (name, e))
                failures += 1
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
