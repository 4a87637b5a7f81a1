#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""vuc-vnet, the virtio-net driver example, against vuc-testdev's
virtio-net personality, end to end.

Each case starts its own device in a fresh directory and runs the driver
as a user would; --case picks one (ctest runs each as its own test):

  info      features, MAC, link and queues as the device offers them
  ping      ARP and ICMP echo against the responder, with fd maps and
            message DMA, MSI-X, INTx and polling, doorbells by ioeventfd
            and by region write
  socket    frames both ways through the socket backend, byte for byte:
            what `send` transmits arrives on the peer's socket, what the
            peer sends is in the pcap file `recv -o` writes
  perf      the loopback perf run, 64 and 1500 bytes, both DMA kinds
  errors    a device that never returns buffers, one that raises
            DEVICE_NEEDS_RESET, a link that is down, a connection that is
            lost, and bad command lines: each a clear error, exit status 1
            (2 for usage)
"""

import argparse
import os
import random
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import time

MODES = [[], ["--noshare"], ["--poll"], ["--noshare", "--poll"], ["--intx"]]


class Failure(Exception):
    pass


class Device:
    """vuc-testdev --device=virtio-net on a socket in @p tmp."""

    def __init__(self, testdev, tmp, *options, device="virtio-net"):
        self.path = os.path.join(tmp, "dev.sock")
        # A server killed by an earlier case leaves its socket file, which
        # must not pass for the new server's.
        if os.path.exists(self.path):
            os.unlink(self.path)
        self.log = open(os.path.join(tmp, "testdev.log"), "w+")
        self.proc = subprocess.Popen(
            [testdev, "--device=" + device, "--socket-path=" + self.path]
            + list(options),
            stdout=self.log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 10
        while not os.path.exists(self.path):
            if self.proc.poll() is not None or time.monotonic() > deadline:
                raise Failure("vuc-testdev did not start:\n" + self.text())
            time.sleep(0.02)

    def text(self):
        self.log.flush()
        self.log.seek(0)
        return self.log.read()

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.log.close()


def vnet(args, vnet_bin, dev, *cmd, expect=0, timeout=60):
    """Run vuc-vnet; check its exit status; return (stdout, stderr)."""
    argv = [vnet_bin] + list(cmd[:0]) + [dev.path] + list(cmd)
    res = subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                         text=True, timeout=timeout)
    if res.returncode != expect:
        raise Failure("%s: exit status %d, expected %d\nstdout:\n%s\nstderr:\n"
                      "%s\ndevice log:\n%s" %
                      (" ".join(argv), res.returncode, expect, res.stdout,
                       res.stderr, dev.text()))
    return res.stdout, res.stderr


def need(cond, what, out=""):
    if not cond:
        raise Failure(what + ("\n" + out if out else ""))


def case_info(a, tmp):
    dev = Device(a.testdev, tmp)
    try:
        out, _ = vnet(a, a.vnet, dev, "info")
        for want in ["device      1af4:1041", "VERSION_1", "RING_EVENT_IDX",
                     "RING_INDIRECT_DESC", "mac         52:54:00:12:34:56",
                     "link        up", "rx 0 size 256 of max 256",
                     "MSI-X, 3 vectors", "multiplier 4"]:
            need(want in out, "info lacks '%s'" % want, out)
        out, _ = vnet(a, a.vnet, dev, "--poll", "--noshare",
                      "--queue-size", "64", "info")
        need("rx 0 size 64" in out and "polling" in out and "messages" in out,
             "info with --poll --noshare --queue-size 64", out)
        out, _ = vnet(a, a.vnet, dev, "--intx", "info")
        need("INTx with ISR" in out, "info with --intx", out)
    finally:
        dev.stop()
    # Without EVENT_IDX and indirect descriptors the driver does without.
    dev = Device(a.testdev, tmp, "--net-no-event-idx", "--net-no-indirect",
                 "--net-mac=02:00:00:00:00:01")
    try:
        out, _ = vnet(a, a.vnet, dev, "info")
        need("EVENT_IDX" not in out and "INDIRECT" not in out and
             "02:00:00:00:00:01" in out, "info of a plainer device", out)
        out, _ = vnet(a, a.vnet, dev, "ping", "10.0.2.2", "--count", "2",
                      "--interval", "50")
        need("2 received" in out, "ping without EVENT_IDX or indirect", out)
    finally:
        dev.stop()


def case_ping(a, tmp):
    dev = Device(a.testdev, tmp, "--net-ip=192.168.7.1")
    try:
        for mode in MODES:
            out, _ = vnet(a, a.vnet, dev, *mode, "ping", "192.168.7.1",
                          "--count", "3", "--interval", "50", "--my-ip",
                          "192.168.7.2")
            need("PING 192.168.7.1" in out and
                 "3 packets transmitted, 3 received, 0% packet loss" in out
                 and "rtt median = " in out and
                 out.count("64 bytes from 192.168.7.1: icmp_seq=") == 3,
                 "ping %s" % mode, out)
        # Nobody answers for another address: no ARP reply, exit 1.
        _, err = vnet(a, a.vnet, dev, "ping", "192.168.7.9", "--count", "1",
                      expect=1)
        need("no ARP reply from 192.168.7.9" in err, "ping to nobody", err)
    finally:
        dev.stop()
    # Without ioeventfds the doorbells travel as posted region writes.
    dev = Device(a.testdev, tmp, "--no-io-fds")
    try:
        for mode in [[], ["--noshare"]]:
            out, _ = vnet(a, a.vnet, dev, *mode, "ping", "10.0.2.2", "--count",
                          "3", "--interval", "50")
            need("3 received" in out, "ping without ioeventfds %s" % mode, out)
    finally:
        dev.stop()


PCAP_HDR = struct.Struct("<IHHiIII")
PCAP_REC = struct.Struct("<IIII")


def write_pcap(path, frames):
    with open(path, "wb") as f:
        f.write(PCAP_HDR.pack(0xa1b2c3d4, 2, 4, 0, 0, 65535, 1))
        for fr in frames:
            f.write(PCAP_REC.pack(0, 0, len(fr), len(fr)))
            f.write(fr)


def read_pcap(path):
    with open(path, "rb") as f:
        data = f.read()
    magic, major, minor, _, _, _, link = PCAP_HDR.unpack_from(data)
    need(magic == 0xa1b2c3d4 and (major, minor) == (2, 4) and link == 1,
         "pcap header of %s" % path)
    frames, pos = [], PCAP_HDR.size
    while pos < len(data):
        _, _, incl, orig = PCAP_REC.unpack_from(data, pos)
        pos += PCAP_REC.size
        need(incl == orig and pos + incl <= len(data), "a pcap record")
        frames.append(data[pos:pos + incl])
        pos += incl
    return frames


def make_frames(rng, n):
    """Frames of sizes from 14 to 1514 with random contents."""
    sizes = [14, 60, 64, 1514, 1513, 100] + [rng.randint(14, 1514)
                                             for _ in range(n - 6)]
    return [bytes(rng.getrandbits(8) for _ in range(s)) for s in sizes[:n]]


def case_socket(a, tmp):
    rng = random.Random(16)
    peer_path = os.path.join(tmp, "peer.sock")
    peer = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    peer.bind(peer_path)
    peer.settimeout(10)
    dev = Device(a.testdev, tmp, "--net-backend=socket",
                 "--net-socket=" + os.path.join(tmp, "net.sock"),
                 "--net-peer=" + peer_path)
    try:
        for mode in MODES:
            # Driver to wire, read as it comes (the peer's queue is short).
            frames = make_frames(rng, 24)
            pcap_in = os.path.join(tmp, "in.pcap")
            write_pcap(pcap_in, frames)
            proc = subprocess.Popen([a.vnet] + mode + [dev.path, "send",
                                                       pcap_in],
                                    stdout=subprocess.PIPE,
                                    stderr=subprocess.PIPE, text=True)
            got = []
            try:
                while len(got) < len(frames):
                    got.append(peer.recv(2048))
            except socket.timeout:
                pass
            out, err = proc.communicate(timeout=30)
            need(proc.returncode == 0 and "sent 24 frames" in out,
                 "send %s: exit %d" % (mode, proc.returncode), out + err)
            need(len(got) == len(frames), "send %s: %d of %d frames arrived"
                 % (mode, len(got), len(frames)), dev.text())
            for i, fr in enumerate(frames):
                need(got[i] == fr, "send %s: frame %d differs (%d bytes, sent "
                     "%d)" % (mode, i, len(got[i]), len(fr)))
            # Wire to driver.
            frames = make_frames(rng, 24)
            pcap_out = os.path.join(tmp, "out.pcap")
            proc = subprocess.Popen(
                [a.vnet] + mode + [dev.path, "recv", "--count",
                                   str(len(frames)), "-o", pcap_out],
                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
            line = proc.stderr.readline()
            need("receiving" in line, "recv %s did not start: %s%s" %
                 (mode, line, dev.text()))
            for fr in frames:
                peer.sendto(fr, os.path.join(tmp, "net.sock"))
            try:
                out, err = proc.communicate(timeout=30)
            except subprocess.TimeoutExpired:
                proc.kill()
                raise Failure("recv %s: no end; device log:\n%s" %
                              (mode, dev.text()))
            need(proc.returncode == 0, "recv %s: exit %d: %s" %
                 (mode, proc.returncode, err))
            need(out.count(" bytes ") == len(frames), "recv %s output" % mode,
                 out)
            got = read_pcap(pcap_out)
            need(got == frames, "recv %s: the pcap holds %d frames, not the "
                 "%d sent, or other bytes" % (mode, len(got), len(frames)))
        # A file that is neither pcap nor one frame.
        bad = os.path.join(tmp, "bad.bin")
        with open(bad, "wb") as f:
            f.write(b"x" * 3000)
        _, err = vnet(a, a.vnet, dev, "send", bad, expect=1)
        need("not a pcap file" in err, "send of a bad file", err)
    finally:
        dev.stop()
        peer.close()


def case_perf(a, tmp):
    dev = Device(a.testdev, tmp, "--net-backend=loopback")
    try:
        for mode in [[], ["--noshare"], ["--poll"], ["--intx"]]:
            for size in ["64", "1500"]:
                out, _ = vnet(a, a.vnet, dev, *mode, "perf", "--seconds", "1",
                              "--size", size)
                lines = {l.split()[0]: l.split() for l in out.splitlines()
                         if l.startswith(("tx ", "rx "))}
                need("tx" in lines and "rx" in lines, "perf output", out)
                tx, rx = int(lines["tx"][1]), int(lines["rx"][1])
                need(tx > 0 and rx == tx,
                     "perf %s %s: %d sent, %d back" % (mode, size, tx, rx), out)
                # None when polling. (That interrupts come when they are
                # due shows in every other mode: the driver then sleeps
                # until one comes.)
                if "--poll" in mode:
                    irqs = int(out.split("interrupts ")[-1].split()[0])
                    need(irqs == 0, "perf %s %s: %d interrupts" %
                         (mode, size, irqs), out)
    finally:
        dev.stop()


def case_errors(a, tmp):
    # Buffers never come back: the first transmit times out.
    dev = Device(a.testdev, tmp, "--net-quirk=no-used")
    try:
        for mode in [[], ["--poll"]]:
            _, err = vnet(a, a.vnet, dev, *mode, "--timeout", "500", "ping",
                          "10.0.2.2", expect=1)
            need("has not returned 1 transmit buffer(s) within 500 ms" in err,
                 "no-used quirk %s" % mode, err)
    finally:
        dev.stop()
    # The device gives up at the first transmit.
    dev = Device(a.testdev, tmp, "--net-quirk=needs-reset")
    try:
        for mode in [[], ["--noshare", "--poll"]]:
            _, err = vnet(a, a.vnet, dev, *mode, "ping", "10.0.2.2",
                          expect=1)
            need("the device needs a reset (DEVICE_NEEDS_RESET" in err,
                 "needs-reset quirk %s" % mode, err)
        need("DEVICE_NEEDS_RESET: the needs-reset quirk" in dev.text(),
             "the device's log of the reset", dev.text())
        # The driver's reset at exit brought the device back.
        out, _ = vnet(a, a.vnet, dev, "info")
    finally:
        dev.stop()
    dev = Device(a.testdev, tmp, "--net-quirk=link-down")
    try:
        out, _ = vnet(a, a.vnet, dev, "info")
        need("link        down" in out, "info of a link down", out)
        _, err = vnet(a, a.vnet, dev, "ping", "10.0.2.2", expect=1)
        need("the link is down" in err, "ping on a link down", err)
    finally:
        dev.stop()
    # The device does not accept the features the driver asks for.
    dev = Device(a.testdev, tmp, "--net-quirk=refuse-features")
    try:
        _, err = vnet(a, a.vnet, dev, "info", expect=1)
        need("the device refused features" in err, "refused features", err)
    finally:
        dev.stop()
    # The server goes away while the driver waits for frames.
    for mode in [[], ["--poll"]]:
        dev = Device(a.testdev, tmp, "--net-backend=loopback")
        try:
            proc = subprocess.Popen([a.vnet] + mode + [dev.path, "recv"],
                                    stdout=subprocess.PIPE,
                                    stderr=subprocess.PIPE, text=True)
            line = proc.stderr.readline()
            if "receiving" not in line:
                proc.kill()
                out, err = proc.communicate()
                raise Failure("recv %s did not start: %s%s\ndevice log:\n%s"
                              % (mode, line, err, dev.text()))
            dev.proc.send_signal(signal.SIGKILL)
            dev.proc.wait()
            try:
                _, err = proc.communicate(timeout=30)
            except subprocess.TimeoutExpired:
                proc.kill()
                raise Failure("recv %s did not notice the lost connection" %
                              mode)
            need(proc.returncode == 1 and
                 "lost the connection to the device" in err,
                 "recv %s after the server died: exit %d" %
                 (mode, proc.returncode), err)
        finally:
            dev.stop()
    # Not a virtio network device: refused before anything is touched.
    dev = Device(a.testdev, tmp, device="testdev")
    try:
        _, err = vnet(a, a.vnet, dev, "info", expect=1)
        need("device 1b36:0005 is not a virtio network device" in err,
             "vuc-vnet on another device", err)
    finally:
        dev.stop()
    # Nothing listens on the socket.
    res = subprocess.run([a.vnet, os.path.join(tmp, "none.sock"), "info"],
                         stderr=subprocess.PIPE, text=True)
    need(res.returncode == 1 and "none.sock" in res.stderr,
         "a socket nobody serves", res.stderr)
    # Usage errors: exit status 2, saying what was wrong.
    for argv, want in [
            (["s", "ping"], "ping takes 1 argument"),
            (["s", "ping", "1.2.3"], "must be an IPv4 address"),
            (["s", "info", "--count", "3"], "--count is not an option of info"),
            (["s", "perf"], "perf needs --seconds"),
            (["s", "perf", "--seconds", "1", "--size", "9"], "--size must be"),
            (["s", "--queue-size", "100", "info"], "power of two"),
            (["s", "fly"], "unknown command 'fly'")]:
        res = subprocess.run([a.vnet] + argv, stderr=subprocess.PIPE,
                             stdout=subprocess.DEVNULL, text=True)
        need(res.returncode == 2 and want in res.stderr,
             "vuc-vnet %s: exit %d" % (" ".join(argv), res.returncode),
             res.stderr)


CASES = {"info": case_info, "ping": case_ping, "socket": case_socket,
         "perf": case_perf, "errors": case_errors}


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--vnet", required=True)
    p.add_argument("--testdev", required=True)
    p.add_argument("--case", required=True, choices=sorted(CASES))
    a = p.parse_args()
    with tempfile.TemporaryDirectory(prefix="vuc-vnet-") as tmp:
        try:
            CASES[a.case](a, tmp)
        except Failure as e:
            print("FAIL:", e)
            return 1
    print("ok:", a.case)
    return 0


if __name__ == "__main__":
    sys.exit(main())
