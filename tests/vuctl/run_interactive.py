#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""Drive vuctl's interactive mode through a pseudo-terminal.

Checks the prompt (with and without a connection), tab completion of command,
sub-command, region, irq index, file and option names, posting modes and
migration states (also inside set and expect), that an error does not end
the session, reconnecting after the server dropped the connection, `quit`,
and that history is saved.
vuc-testdev serves a socket in a temporary directory.
"""

import argparse
import os
import pty
import re
import select
import shutil
import subprocess
import sys
import tempfile
import time

# Importing the sibling script must not leave __pycache__ in the source tree.
sys.dont_write_bytecode = True
from run_golden import Failure, read_log, start_server, stop_server  # noqa: E402

EXPECT_DEADLINE = 10.0


class Pty:
    def __init__(self, argv, env, cwd):
        self.master, slave = pty.openpty()
        self.proc = subprocess.Popen(
            argv,
            stdin=slave,
            stdout=slave,
            stderr=slave,
            env=env,
            cwd=cwd,
            start_new_session=True,
        )
        os.close(slave)
        self.seen = ""  # everything read, for failure messages
        self.pending = ""  # what no expect() has consumed yet

    def send(self, text):
        os.write(self.master, text.encode())

    def expect(self, what):
        """Wait until what appears in the output; consume up to its end."""
        deadline = time.monotonic() + EXPECT_DEADLINE
        while what not in self.pending:
            left = deadline - time.monotonic()
            if left <= 0:
                raise Failure(
                    "expected %r; the terminal showed:\n%s"
                    % (what, self.seen.replace("\r", ""))
                )
            ready, _, _ = select.select([self.master], [], [], left)
            if not ready:
                continue
            try:
                data = os.read(self.master, 4096)
            except OSError:  # EIO: the child closed the terminal
                data = b""
            if not data:
                raise Failure(
                    "vuctl closed the terminal while %r was expected; it "
                    "showed:\n%s" % (what, self.seen.replace("\r", ""))
                )
            text = data.decode(errors="replace")
            self.seen += text
            self.pending += text
        self.pending = self.pending[self.pending.index(what) + len(what):]

    def drain(self):
        """What is left to read after the child exited."""
        out = b""
        while select.select([self.master], [], [], 0.1)[0]:
            try:
                data = os.read(self.master, 4096)
            except OSError:
                break
            if not data:
                break
            out += data
        return out.decode(errors="replace")

    def close(self):
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait()
        os.close(self.master)


def run(vuctl, testdev):
    tmp = tempfile.mkdtemp(prefix="vuctl-interactive-")
    sock = os.path.join(tmp, "dev.sock")
    log = os.path.join(tmp, "testdev.log")
    server = term = None
    try:
        server = start_server(testdev, sock, log)
        # A dumb terminal keeps libedit's output free of cursor motion.
        env = dict(os.environ, TERM="dumb", HOME=tmp)
        env.pop("EDITRC", None)
        term = Pty([vuctl], env, tmp)

        term.expect("vuctl> ")
        # Completion of a command name, then of a file name ("dev.s" is
        # unique in tmp, the current directory).
        term.send("conn\t")
        term.expect("connect ")
        term.send("dev.s\t")
        term.expect("dev.sock ")
        term.send("\n")
        term.expect("connected to dev.sock")
        term.expect("vuctl(dev.sock)> ")

        # Region names complete whatever case was typed; "b" is ambiguous
        # among the BARs the device has, so only the common part is added.
        term.send("peek b\t")
        term.expect("peek BAR")
        term.send("0 0\n")
        term.expect("0x56554344")
        term.expect("vuctl(dev.sock)> ")

        # Several candidates and nothing to add: they are listed.
        term.send("p\t")
        term.expect("peek  poke")
        term.send("oke cfg 4 6 2\n")
        term.expect("vuctl(dev.sock)> ")
        term.send("peek config 4 2\n")
        term.expect("0x0006")

        # Sub-commands complete after their group; several are listed.
        term.send("dma a\t")
        term.expect("dma alloc ")
        term.send("4k\n")
        term.expect("iova 0x100000000 size 0x1000 rw fd shared")
        term.expect("vuctl(dev.sock)> ")
        term.send("dma \t")
        term.expect("alloc  map  unmap  list  read  write  dump  fill")
        term.send("li\t")
        term.expect("dma list ")
        term.send("\n")
        term.expect("0x100000000               0x1000  rw       shared  -")
        term.expect("vuctl(dev.sock)> ")
        # The file of dma map.
        term.send("dma m\t")
        term.expect("dma map ")
        term.send("dev.s\t")
        term.expect("dma map dev.sock ")
        term.send("\n")
        term.expect("vuctl: dma map: expected 3 to 6 arguments, got 1")
        term.expect("vuctl(dev.sock)> ")
        # help completes a group and then its sub-commands.
        term.send("help dm\t")
        term.expect("help dma ")
        term.send("re\t")
        term.expect("help dma read ")
        term.send("\n")
        term.expect("dma read - read a 1, 2, 4 or 8 byte value from DMA memory")
        term.expect("vuctl(dev.sock)> ")
        # set NAME = and expect take a command line, completed as one.
        term.send("set v = pe\t")
        term.expect("set v = peek ")
        term.send("b\t")
        term.expect("set v = peek BAR")
        term.send("0 0\n")
        term.expect("vuctl(dev.sock)> ")
        term.send("expect dma r\t")
        term.expect("expect dma read ")
        term.send("0x100000000 == 0\n")
        term.expect("vuctl(dev.sock)> ")
        term.send("echo v is $v\n")
        term.expect("v is 0x56554344")
        term.expect("vuctl(dev.sock)> ")
        term.send("expect peek BAR0 0 == 1\n")
        term.expect(
            "vuctl: expect failed: peek BAR0 0 = 0x56554344, expected == 0x1"
        )
        term.expect("vuctl(dev.sock)> ")

        # The irq group, and irq index names from the device, in any case.
        term.send("irq \t")
        term.expect(
            "info  enable  disable  wait  mask  unmask  trigger  count"
        )
        term.send("en\t")
        term.expect("irq enable ")
        term.send("ms\t")
        term.expect("irq enable MSI")
        term.send("X\t")
        term.expect("irq enable MSIX ")
        term.send("\n")
        term.expect("vuctl(dev.sock)> ")
        term.send("irq tr\t")
        term.expect("irq trigger ")
        term.send("MSIX 4\n")
        term.expect("vuctl(dev.sock)> ")
        term.send("irq wait \t")
        term.expect("INTX  MSI  MSIX  ERR  REQ  any")
        term.send("msix 4 2s\n")
        term.expect("MSIX vector 4: 1 event")
        term.expect("vuctl(dev.sock)> ")
        # Modes and states, and the options of a command.
        term.send("set p\t")
        term.expect("set posting ")
        term.send("f\t")
        term.expect("set posting fenced ")
        term.send("\n")
        term.expect("vuctl(dev.sock)> ")
        term.send("migrate state st\t")
        term.expect("migrate state STOP")
        term.send("\n")
        term.expect("vuctl(dev.sock)> ")
        term.send("migrate state r\t")
        term.expect("RUNNING  RESUMING")
        term.send("u\t")
        term.expect("migrate state RUNNING ")
        term.send("\n")
        term.expect("vuctl(dev.sock)> ")
        term.send("migrate state\n")
        term.expect("RUNNING")
        term.expect("vuctl(dev.sock)> ")
        term.send("dirty report 0 4k --p\t")
        term.expect("dirty report 0 4k --page-size ")
        term.send("4k\n")
        term.expect("vuctl: dirty report: logging is not running")
        term.expect("vuctl(dev.sock)> ")
        term.send("cfg -\t")
        term.expect("cfg --raw ")
        term.send("\n")
        term.expect("ff0: 00 00")
        term.expect("vuctl(dev.sock)> ")

        # Errors are reported and the shell goes on.
        term.send("frob\n")
        term.expect("vuctl: frob: unknown command 'frob' (try 'help')")
        term.expect("vuctl(dev.sock)> ")
        term.send("peek 12 0\n")
        term.expect("vuctl: peek: region 12 does not exist")
        term.expect("vuctl(dev.sock)> ")

        # The server drops the connection (vuc-testdev's CRASH register):
        # the prompt says so, and reconnect sets the session up again. Not
        # posted, the write itself fails.
        term.send("set posting strict\n")
        term.expect("vuctl(dev.sock)> ")
        term.send("poke BAR0 0x34 0xdead\n")
        term.expect("vuctl: poke: ")
        term.expect("vuctl> ")
        term.send("peek BAR0 0\n")
        term.expect(
            "vuctl: peek: not connected: the connection to dev.sock was "
            "lost (use 'reconnect')"
        )
        term.expect("vuctl> ")
        term.send("reconn\t")
        term.expect("reconnect ")
        term.send("\n")
        term.expect(
            "reconnected to dev.sock: 1 DMA map and 16 vectors set up again"
        )
        term.expect("vuctl(dev.sock)> ")
        term.send("irq trigger MSIX 4\n")
        term.expect("vuctl(dev.sock)> ")
        term.send("irq wait MSIX 4 2s\n")
        term.expect("MSIX vector 4: 1 event")
        term.expect("vuctl(dev.sock)> ")

        term.send("quit\n")
        try:
            status = term.proc.wait(timeout=EXPECT_DEADLINE)
        except subprocess.TimeoutExpired:
            raise Failure("vuctl did not exit after quit")
        if status != 0:
            raise Failure(
                "vuctl exited with status %d after quit; it showed:\n%s"
                % (status, (term.seen + term.drain()).replace("\r", ""))
            )

        hist = os.path.join(tmp, ".vuctl_history")
        try:
            with open(hist) as f:
                saved = f.read()
        except OSError as e:
            raise Failure("no history file: %s" % e)
        # libedit writes its history with strvis(3): octal escapes.
        lines = [
            re.sub(r"\\([0-7]{3})", lambda m: chr(int(m.group(1), 8)), l)
            for l in saved.splitlines()
        ]
        for line in ("peek BAR0 0\n", "frob\n"):
            if line not in lines:
                raise Failure("%r missing from the history:\n%s" % (line, saved))
    except Failure as e:
        if server:
            raise Failure("%s\nvuc-testdev said:\n%s" % (e, read_log(log)))
        raise
    finally:
        if term:
            term.close()
        if server:
            stop_server(server)
        shutil.rmtree(tmp, ignore_errors=True)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--vuctl", required=True)
    ap.add_argument("--testdev", required=True)
    opts = ap.parse_args()
    try:
        run(os.path.abspath(opts.vuctl), os.path.abspath(opts.testdev))
    except Failure as e:
        print("not ok - interactive")
        for line in str(e).splitlines():
            print("  " + line)
        return 1
    print("ok - interactive")
    return 0


if __name__ == "__main__":
    sys.exit(main())
