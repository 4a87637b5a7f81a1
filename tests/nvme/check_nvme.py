#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""vuc-nvme against vuc-testdev --device=nvme, one group of cases per run.

  check_nvme.py --nvme VUC_NVME --testdev VUC_TESTDEV [--vuctl VUCTL
                --script nvme-identify.vuc] GROUP

GROUP is one of:
  identify  identify, text and --json, against what the device was given
  modes     verify in every mode: fd and no-share maps, interrupts and
            polling, 1 and 4 queue pairs; and on a device with another
            doorbell stride, 4 KiB blocks and a file behind the namespace
  rw        write a file, read it back (to a file and to stdout), and the
            data outlives the client that wrote it
  perf      short perf runs of each kind print sane JSON
  errors    LBA out of range, a device that never completes (Abort finds
            the command, or does not), a connection lost mid-I/O, a device
            that is not NVMe, bad command lines; the device serves the next
            client after each
  vuctl     examples/nvme-identify.vuc runs green; the controller keeps its
            queues across a client's reconnect (reconnect.vuc)

Every failure must be a clear message and exit status 1 (2 for usage),
never a crash, a sanitizer report or a hang.
"""

import argparse
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time


class Failure(Exception):
    pass


def run(args, timeout=60, ok=(0,)):
    res = subprocess.run(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                         timeout=timeout)
    out, err = res.stdout.decode(errors="replace"), res.stderr.decode(
        errors="replace")
    if res.returncode not in ok:
        raise Failure("%s: exit %d (wanted %s)\nstdout:\n%s\nstderr:\n%s" %
                      (" ".join(args), res.returncode, ok, out, err))
    for bad in ("Sanitizer", "runtime error", "Segmentation"):
        if bad in err:
            raise Failure("%s: %s in stderr:\n%s" % (" ".join(args), bad, err))
    return res.returncode, out, err


class Device:
    def __init__(self, testdev, tmp, extra=()):
        self.sock = os.path.join(tmp, "nvme-%d.sock" % time.monotonic_ns())
        self.log = self.sock + ".log"
        with open(self.log, "wb") as logf:
            self.proc = subprocess.Popen(
                [testdev, "--device=nvme", "--socket-path=" + self.sock] +
                list(extra), stdin=subprocess.DEVNULL, stdout=logf,
                stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 20
        while not os.path.exists(self.sock):
            if self.proc.poll() is not None or time.monotonic() > deadline:
                self.stop()
                raise Failure("vuc-testdev %s did not start:\n%s" %
                              (" ".join(extra), self.read_log()))
            time.sleep(0.01)

    def read_log(self):
        with open(self.log, errors="replace") as f:
            return f.read()

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
                raise Failure("vuc-testdev ignored SIGTERM")
        if self.proc.returncode not in (0, -signal.SIGTERM):
            raise Failure("vuc-testdev exited with %d:\n%s" %
                          (self.proc.returncode, self.read_log()))


def expect_in(what, text, needle):
    if needle not in text:
        raise Failure("%s: wanted %r in:\n%s" % (what, needle, text))


# ---- Groups ------------------------------------------------------------------

def g_identify(a, tmp):
    dev = Device(a.testdev, tmp, ["--nvme-size=8M"])
    try:
        _, out, _ = run([a.nvme, dev.sock, "identify"])
        for needle in ("mn       : vuc-testdev NVMe controller",
                       "sqes     : 0x66", "nsze     : 0x4000",
                       "lbaf  0 : ms:0   lbads:9   rp:0 (in use)"):
            expect_in("identify", out, needle)
        _, out, _ = run([a.nvme, "--json", "--queues", "4", dev.sock,
                         "identify"])
        j = json.loads(out)
        c, n, d = j["controller"], j["namespace"], j["driver"]
        if (c["sn"] != "VUCNVME0001" or c["mdts"] != 9 or c["nn"] != 1 or
                n["nsze"] != 8 * 1024 * 1024 // 512 or n["lba_size"] != 512 or
                d["queues"] != 4 or d["vectors"] != 5):
            raise Failure("identify --json: %s" % out)
        if a.vuctl:
            # The driver left the controller shut down (CSTS.SHST 10b),
            # which the device keeps for the next client to see.
            run([a.vuctl, "-c", "expect peek BAR0 0x1c & 0xc == 0x8",
                 dev.sock])
    finally:
        dev.stop()


MODES = [[], ["--noshare"], ["--poll"], ["--noshare", "--poll"], ["--intx"]]

# The test device's MSI-X capability (tests/testdev/dev_nvme.c): its
# message control register.
MSIX_CTRL = 0x52


def g_modes(a, tmp):
    dev = Device(a.testdev, tmp, ["--nvme-size=16M"])
    try:
        for mode in MODES:
            if mode == ["--intx"] and a.vuctl:
                # MSI-X left enabled, as by a driver that did not clean up:
                # INTx is then not used until the driver turns it off.
                run([a.vuctl, "-c", "poke CONFIG %#x 0x8000 2" % MSIX_CTRL,
                     dev.sock])
            for queues in ("1", "4"):
                args = [a.nvme] + mode + ["--queues", queues, dev.sock,
                                          "verify"]
                _, out, _ = run(args)
                expect_in(" ".join(args), out,
                          "%s queue pair" % queues)
                expect_in(" ".join(args), out, "write zeroes, flush passed")
    finally:
        dev.stop()
    # What the driver must take from the controller, not assume.
    backing = os.path.join(tmp, "ns.img")
    for extra in (["--nvme-dstrd=3", "--nvme-ready-ms=700"],
                  ["--nvme-lba-size=4096"],
                  ["--nvme-backing=" + backing, "--nvme-size=8M"]):
        dev = Device(a.testdev, tmp, extra)
        try:
            run([a.nvme, "--queues", "4", dev.sock, "verify"])
        finally:
            dev.stop()
    if os.path.getsize(backing) != 8 << 20:
        raise Failure("the backing file is %d bytes" %
                      os.path.getsize(backing))


def g_rw(a, tmp):
    src = os.path.join(tmp, "in.bin")
    data = bytes((i * 7 + 3) & 0xff for i in range(5000))
    with open(src, "wb") as f:
        f.write(data)
    backing = os.path.join(tmp, "ns.img")
    dev = Device(a.testdev, tmp, ["--nvme-backing=" + backing,
                                  "--nvme-size=4M"])
    try:
        _, out, _ = run([a.nvme, dev.sock, "write", "100", src])
        expect_in("write", out, "wrote 10 blocks at LBA 100")
        dst = os.path.join(tmp, "out.bin")
        run([a.nvme, "--noshare", dev.sock, "read", "100", "10", "-o", dst])
        with open(dst, "rb") as f:
            back = f.read()
        # The last block was padded with zeroes.
        if back != data + bytes(5120 - 5000):
            raise Failure("read back differs from what was written")
        res = subprocess.run([a.nvme, dev.sock, "read", "101", "2"],
                             stdout=subprocess.PIPE, timeout=60, check=True)
        if res.stdout != data[512:1536]:
            raise Failure("read to stdout differs")
    finally:
        dev.stop()
    # The file holds it after the device is gone.
    with open(backing, "rb") as f:
        f.seek(100 * 512)
        if f.read(5000) != data:
            raise Failure("the backing file does not hold the data")


def g_perf(a, tmp):
    dev = Device(a.testdev, tmp, ["--nvme-size=16M"])
    try:
        for rw, extra in (("randread", ["--qd", "8"]),
                          ("read", ["--qd", "1", "--bs", "64k"]),
                          ("write", ["--qd", "4", "--noshare"]),
                          ("randread", ["--qd", "16", "--queues", "4",
                                        "--poll"])):
            args = [a.nvme] + extra + [dev.sock, "perf", "--rw", rw,
                                       "--seconds", "0.2", "--json"]
            _, out, _ = run(args)
            j = json.loads(out)
            if (j["rw"] != rw or j["ios"] <= 0 or j["iops"] <= 0 or
                    not j["p50_us"] <= j["p99_us"] <= j["p999_us"]):
                raise Failure("%s: %s" % (" ".join(args), out))
    finally:
        dev.stop()


def doorbells(dev):
    """The doorbell writes a verbose device has taken so far."""
    return dev.read_log().count("NVMe queues")


def wait_for_io(dev, n, limit=60):
    """Until the device has taken n doorbell writes."""
    deadline = time.monotonic() + limit
    while doorbells(dev) < n:
        if dev.proc.poll() is not None or time.monotonic() > deadline:
            raise Failure("no I/O reached the device:\n" + dev.read_log())
        time.sleep(0.02)


def g_errors(a, tmp):
    dev = Device(a.testdev, tmp, ["--nvme-size=1M", "-v"])
    try:
        _, _, err = run([a.nvme, dev.sock, "read", "2048", "1"], ok=(1,))
        expect_in("read past the end", err, "LBA Out of Range")
        _, _, err = run([a.nvme, dev.sock, "read", "2040", "9"], ok=(1,))
        expect_in("read across the end", err, "LBA Out of Range")
        run([a.nvme, dev.sock, "read", "2047", "1"])
        for args in (["read", "x", "1"], ["read", "0", "0"],
                     ["perf", "--rw", "sideways"], ["bogus"]):
            run([a.nvme, dev.sock] + args, ok=(2,))
        run([a.nvme, "--queues", "0", dev.sock, "identify"], ok=(2,))
        # Connection lost mid-I/O: the device goes away under perf.
        before = doorbells(dev)
        p = subprocess.Popen([a.nvme, "--qd", "16", dev.sock, "perf",
                              "--seconds", "30"], stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE)
        # Bring-up takes ten doorbell writes; beyond them, I/O runs.
        wait_for_io(dev, before + 40)
        dev.proc.kill()
        dev.proc.wait()
        out, err = p.communicate(timeout=30)
        err = err.decode(errors="replace")
        if p.returncode != 1 or "connection to the controller was lost" \
                not in err or "Sanitizer" in err:
            raise Failure("perf with the device killed: exit %d\n%s" %
                          (p.returncode, err))
    finally:
        if dev.proc.poll() is None:
            dev.stop()
    for quirk, needle in (("stall-io", "the controller aborted it"),
                          ("lose-io", "Abort did not bring it back")):
        dev = Device(a.testdev, tmp, ["--nvme-size=1M",
                                      "--nvme-quirk=" + quirk])
        try:
            t0 = time.monotonic()
            _, _, err = run([a.nvme, "--timeout", "200", dev.sock, "read",
                             "0", "1"], ok=(1,))
            expect_in(quirk, err, "no completion within 200 ms; " + needle)
            if time.monotonic() - t0 > 20:
                raise Failure("%s: the timeout took too long" % quirk)
            # Admin commands still work, and the next client is served.
            run([a.nvme, dev.sock, "identify"])
        finally:
            dev.stop()
    # A device that is not NVMe.
    sock = os.path.join(tmp, "plain.sock")
    proc = subprocess.Popen([a.testdev, "--socket-path=" + sock],
                            stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 20
        while not os.path.exists(sock) and time.monotonic() < deadline:
            time.sleep(0.01)
        _, _, err = run([a.nvme, sock, "identify"], ok=(1,))
        expect_in("plain testdev", err, "not an NVMe controller")
    finally:
        proc.terminate()
        proc.wait()
    _, _, err = run([a.nvme, os.path.join(tmp, "nothing.sock"), "identify"],
                    ok=(1,))
    expect_in("no server", err, "nothing.sock")


def g_vuctl(a, tmp):
    if not a.vuctl:
        raise Failure("vuctl is not built (VUC_BUILD_VUCTL=OFF)")
    dev = Device(a.testdev, tmp, [])
    try:
        _, out, _ = run([a.vuctl, "-f", a.script, dev.sock])
        expect_in("nvme-identify.vuc", out, "VUCNVME0001")
        expect_in("nvme-identify.vuc", out, "shutdown complete")
        # The controller keeps its state for the next client: the script
        # left it shut down and enabled.
        run([a.vuctl, "-c", "expect peek BAR0 0x1c & 0xd == 0x9", dev.sock])
    finally:
        dev.stop()
    dev = Device(a.testdev, tmp, [])
    try:
        script = os.path.join(os.path.dirname(os.path.abspath(__file__)),
                              "reconnect.vuc")
        for share in ([], ["--no-share"]):
            _, out, _ = run([a.vuctl] + share + ["-f", script, dev.sock])
            expect_in("reconnect.vuc", out, "reconnected and served")
    finally:
        dev.stop()


GROUPS = {"identify": g_identify, "modes": g_modes, "rw": g_rw,
          "perf": g_perf, "errors": g_errors, "vuctl": g_vuctl}


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--nvme", required=True)
    p.add_argument("--testdev", required=True)
    p.add_argument("--vuctl")
    p.add_argument("--script")
    p.add_argument("group", choices=sorted(GROUPS))
    a = p.parse_args()
    tmp = tempfile.mkdtemp(prefix="vuc-nvme-")
    try:
        GROUPS[a.group](a, tmp)
    except (Failure, subprocess.TimeoutExpired) as e:
        print("FAIL %s: %s" % (a.group, e))
        return 1
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    print("ok %s" % a.group)
    return 0


if __name__ == "__main__":
    sys.exit(main())
