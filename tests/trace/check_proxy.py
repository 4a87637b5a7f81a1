#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""vuc-trace against scripted peers on both sides.

A client and a server written here exchange exact bytes and fds through
vuc-trace, and check that each side receives exactly what the other sent:
fds with the message they were sent with (also when a sender attaches them
to a sendmsg holding several messages, as libvuc does), the twin socket of a
VERSION reply replaced by a working channel, a malformed reply and then a
stream that cannot be framed passed on unchanged (and reported as such),
one client after another, and a client that stops reading stalling its
server instead of growing the proxy's memory. The same runs with --json and
--pcap, whose outputs must be one JSON object per line and a pcapng file
with one packet per message.
"""

import argparse
import json
import os
import select
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import threading
import time

DEADLINE = 10.0
REPLY = 0x1
VERSION, DMA_MAP, REGION_READ, DMA_READ, DMA_WRITE = 1, 2, 9, 11, 12


class Failure(Exception):
    pass


def msg(msg_id, cmd, payload=b"", flags=0, err=0):
    return struct.pack("<HHIII", msg_id, cmd, 16 + len(payload), flags,
                       err) + payload


def recv_exact(sock, n, maxfds=0):
    """n bytes, header-first style: fds that come with them are kept."""
    data, fds = b"", []
    sock.settimeout(DEADLINE)
    while len(data) < n:
        if maxfds:
            chunk, got, _, _ = socket.recv_fds(sock, n - len(data), maxfds)
            fds += got
        else:
            chunk = sock.recv(n - len(data))
        if not chunk:
            raise Failure("connection closed after %d of %d bytes"
                          % (len(data), n))
        data += chunk
    return data, fds


def recv_msg(sock):
    head, fds = recv_exact(sock, 16, 8)
    size = struct.unpack_from("<I", head, 4)[0]
    body, more = recv_exact(sock, size - 16, 8)
    return head + body, fds, more


def expect(what, got, want):
    if got != want:
        raise Failure("%s: got %r, expected %r" % (what, got, want))


class Proxy:
    def __init__(self, exe, tmp, extra=()):
        self.listen = os.path.join(tmp, "trace.sock")
        self.server_path = os.path.join(tmp, "server.sock")
        self.out = os.path.join(tmp, "trace.out")
        self.srv = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.srv.bind(self.server_path)
        self.srv.listen(4)
        self.log = open(os.path.join(tmp, "proxy.log"), "w+")
        self.proc = subprocess.Popen(
            [exe, "--listen", self.listen, "--connect", self.server_path,
             "-o", self.out] + list(extra), stdout=self.log,
            stderr=subprocess.STDOUT)
        deadline = time.monotonic() + DEADLINE
        while not os.path.exists(self.listen):
            if self.proc.poll() is not None or time.monotonic() > deadline:
                raise Failure("vuc-trace did not start: %s" % self.said())
            time.sleep(0.01)

    def said(self):
        self.log.seek(0)
        return self.log.read()

    def pair(self):
        """A client connected through the proxy, and the server's end."""
        c = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        c.connect(self.listen)
        self.srv.settimeout(DEADLINE)
        s, _ = self.srv.accept()
        return c, s

    def trace(self):
        with open(self.out) as f:
            return f.read()

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
                raise Failure("vuc-trace did not stop on SIGTERM")
        self.srv.close()
        self.log.close()
        if os.path.exists(self.listen):
            raise Failure("vuc-trace left its socket behind")
        return self.proc.returncode


def exchange(p):
    """Messages, fds and the twin socket, both ways, byte for byte."""
    c, s = p.pair()
    caps = b'{"capabilities":{"twin_socket":{"supported":true}}}\0'
    req = msg(0, VERSION, struct.pack("<HH", 0, 0) + caps)
    c.sendall(req)
    got, fds, _ = recv_msg(s)
    expect("VERSION request at the server", (got, fds), (req, []))

    # The server's twin socket goes in its reply; the client gets another.
    twin_s, twin_far = socket.socketpair()
    rep = msg(0, VERSION, struct.pack("<HH", 0, 0) + caps, REPLY)
    socket.send_fds(s, [rep], [twin_far.fileno()])
    twin_far.close()
    got, fds, _ = recv_msg(c)
    expect("VERSION reply at the client", (got, len(fds)), (rep, 1))
    twin_c = socket.socket(fileno=fds[0])
    # The server's request on the twin, the client's reply back.
    dma = msg(0, DMA_READ, struct.pack("<QQ", 0x1000, 4))
    twin_s.sendall(dma)
    got, fds, _ = recv_msg(twin_c)
    expect("DMA_READ on the twin at the client", (got, fds), (dma, []))
    dma_rep = msg(0, DMA_READ, struct.pack("<QQ", 0x1000, 4) + b"\1\2\3\4",
                  REPLY)
    twin_c.sendall(dma_rep)
    got, fds, _ = recv_msg(twin_s)
    expect("DMA_READ reply on the twin at the server", (got, fds),
           (dma_rep, []))

    # Three messages, the second with an fd, sent as libvuc does: the
    # first alone, the fd with a sendmsg holding the second and third.
    r, w = os.pipe()
    m1 = msg(1, REGION_READ, struct.pack("<QII", 0, 0, 4))
    m2 = msg(2, DMA_MAP, struct.pack("<IIQQQ", 32, 3, 0, 0x100000, 4096))
    m3 = msg(3, REGION_READ, struct.pack("<QII", 4, 0, 4))
    c.sendall(m1)
    socket.send_fds(c, [m2 + m3], [w])
    os.close(w)
    for want, nfds in ((m1, 0), (m2, 1), (m3, 0)):
        got, fds, late = recv_msg(s)
        expect("message %d at the server" % struct.unpack_from("<H", want)[0],
               (got, len(fds), late), (want, nfds, []))
        for fd in fds:
            os.write(fd, b"through")  # the pipe the client sent
            os.close(fd)
    expect("data through the passed fd", os.read(r, 16), b"through")
    os.close(r)

    # The same towards the client, received the way libvuc does: in bulk,
    # the fds of a read belonging to the message holding its last byte.
    # Small messages first fill every buffer on the way, so that the proxy
    # holds the three at once when the client starts reading.
    filler = msg(0, REGION_READ, bytes(4080), REPLY)
    r1 = msg(1, REGION_READ, struct.pack("<QII", 0, 0, 4) + b"abcd", REPLY)
    r2 = msg(2, DMA_MAP, b"", REPLY)
    r3 = msg(3, REGION_READ, struct.pack("<QII", 4, 0, 4) + b"efgh", REPLY)
    s.setblocking(False)
    nfill = 0
    while True:
        try:
            s.send(filler)  # whole or not at all: 4 KiB fits any window
            nfill += 1
        except BlockingIOError:
            break
    s.setblocking(True)
    r, w = os.pipe()

    def server_rest():
        s.sendall(r1)
        socket.send_fds(s, [r2 + r3], [w])

    t = threading.Thread(target=server_rest)
    t.start()
    want = filler * nfill + r1 + r2 + r3
    stream, owner = b"", {}
    deadline = time.monotonic() + DEADLINE
    while len(stream) < len(want) and time.monotonic() < deadline:
        time.sleep(0.002)  # in bursts, so the proxy holds messages meanwhile
        chunk, fds, _, _ = socket.recv_fds(c, 1 << 16, 8)
        stream += chunk
        if fds:
            owner[len(stream) - 1] = fds
    t.join(DEADLINE)
    os.close(w)
    expect("replies at the client", stream == want, True)
    r2_last = len(want) - len(r3) - 1
    got_owner = ["r2" if k == r2_last else "byte %d" % k for k in owner]
    expect("the read that brought the fd ends in", got_owner, ["r2"])
    for fds in owner.values():
        for fd in fds:
            os.close(fd)
    os.close(r)
    for sock in (twin_c, twin_s, c, s):
        sock.close()


def malformed(p):
    """A reply the codec refuses, then a header that cannot be framed:
    passed on unchanged, and said to be."""
    c, s = p.pair()
    req = msg(7, REGION_READ, struct.pack("<QII", 0x10, 0, 4))
    c.sendall(req)
    expect("request", recv_msg(s)[0], req)
    bad = msg(7, REGION_READ, struct.pack("<QII", 0x10, 0, 8) + b"abcd",
              REPLY)
    s.sendall(bad)
    expect("malformed reply at the client", recv_msg(c)[0], bad)
    garbage = struct.pack("<HHIII", 9, 9, 8, 0, 0) + bytes(range(100))
    s.sendall(garbage)
    expect("unframable bytes at the client", recv_exact(c, len(garbage))[0],
           garbage)
    c.close()
    s.close()
    deadline = time.monotonic() + DEADLINE
    while "undecoded" not in p.trace() and time.monotonic() < deadline:
        time.sleep(0.01)
    t = p.trace()
    if "malformed" not in t or "count 8" not in t:
        raise Failure("the malformed reply was not reported:\n" + t)
    if "undecoded" not in t or "below the 16-byte header" not in t:
        raise Failure("the unframable stream was not reported:\n" + t)


def backpressure(p):
    """A client that stops reading stalls the server; nothing is lost."""
    c, s = p.pair()
    s.setblocking(False)
    one = msg(1, DMA_WRITE, struct.pack("<QQ", 0, 1 << 20) + bytes(1 << 20))
    sent = 0
    deadline = time.monotonic() + 1.5
    while time.monotonic() < deadline:
        try:
            sent += s.send(one[sent % len(one):])
        except BlockingIOError:
            select.select([], [s], [], 0.05)
    # Socket buffers on both sides of the proxy, and one message held.
    if sent > 16 * len(one):
        raise Failure("the server wrote %d bytes to a client that reads "
                      "nothing: the proxy buffers without bound" % sent)
    if p.proc.poll() is not None:
        raise Failure("vuc-trace died under backpressure")
    # The client reads everything, exactly, while the server finishes its
    # last message.
    whole = sent - sent % len(one) + (len(one) if sent % len(one) else 0)
    got = [0]

    def reader():
        c.settimeout(DEADLINE)
        while got[0] < whole:
            chunk = c.recv(1 << 20)
            if not chunk:
                break
            got[0] += len(chunk)

    t = threading.Thread(target=reader)
    t.start()
    s.setblocking(True)
    s.settimeout(DEADLINE)
    if sent % len(one):
        s.sendall(one[sent % len(one):])
    t.join(DEADLINE + 1)
    if got[0] != whole:
        raise Failure("the client got %d of %d bytes" % (got[0], whole))
    c.close()
    s.close()
    return sent


def run(exe, extra, checks):
    with tempfile.TemporaryDirectory(prefix="vuc-trace-proxy-") as tmp:
        p = Proxy(exe, tmp, extra)
        try:
            for check in checks:
                check(p)
            time.sleep(0.1)
            trace = p.trace()
        finally:
            status = p.stop()
        if status != 0:
            raise Failure("vuc-trace exited %d:\n%s" % (status, p.said()))
        return trace, tmp


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--proxy", required=True)
    args = ap.parse_args()
    problems = []

    def attempt(name, fn):
        try:
            fn()
            print("ok - %s" % name)
        except (Failure, OSError, ValueError) as e:
            problems.append(name)
            print("not ok - %s\n  %s" % (name, e))

    def text():
        trace, _ = run(args.proxy, [], [exchange, exchange, malformed])
        if trace.count("→ #0 VERSION 0.0") != 2:
            raise Failure("two clients one after the other, each traced:\n"
                          + trace)
        for line in ("← twin #0 DMA_READ iova 0x1000 count 4",
                     "→ twin #0 DMA_READ reply 4 bytes 01 02 03 04",
                     "→ #2 DMA_MAP iova 0x100000 size 0x1000 offset 0 "
                     "READ|WRITE +1 fd"):
            if line not in trace:
                raise Failure("no %r in the trace:\n%s" % (line, trace))

    def json_pcap():
        with tempfile.TemporaryDirectory() as keep:
            pcap = os.path.join(keep, "t.pcapng")
            trace, _ = run(args.proxy, ["--json", "--pcap", pcap],
                           [exchange, malformed])
            lines = trace.splitlines()
            for line in lines:
                if not isinstance(json.loads(line), dict):
                    raise Failure("not a JSON object: " + line)
            with open(pcap, "rb") as f:
                data = f.read()
        packets = count_epb(data)
        decoded = sum(1 for line in lines if '"kind":"undecoded"' not in line)
        expect("pcapng packets, one per decoded message", packets, decoded)

    def stall():
        run(args.proxy, [], [backpressure])

    attempt("bytes, fds and the twin socket pass unchanged; text trace", text)
    attempt("JSON lines and a pcapng packet per message", json_pcap)
    attempt("a client that stops reading stalls its server", stall)
    print("%d of 3 checks failed" % len(problems))
    return 1 if problems else 0


def count_epb(data):
    """Walk the pcapng blocks: a section header first, every length sane,
    and the Enhanced Packet Blocks counted."""
    at, n = 0, 0
    if struct.unpack_from("<I", data, 0)[0] != 0x0A0D0D0A:
        raise Failure("the pcapng file does not start with a section header")
    while at < len(data):
        btype, blen = struct.unpack_from("<II", data, at)
        if blen < 12 or blen % 4 or at + blen > len(data) or \
                struct.unpack_from("<I", data, at + blen - 4)[0] != blen:
            raise Failure("bad pcapng block at %d" % at)
        if btype == 1:
            expect("link type", struct.unpack_from("<H", data, at + 8)[0], 147)
        n += btype == 6
        at += blen
    return n


if __name__ == "__main__":
    sys.exit(main())
