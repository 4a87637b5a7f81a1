#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""A vfio-user server of one PCI config space, for vuctl's cfg tests.

vuc-testdev has one well-formed config space; this serves others, chosen by
--profile: BARs of every kind, capabilities vuctl decodes and some it only
names, lists that loop or point into the header, a 256-byte config space
whose last capability runs off its end. It serves the connected socket
given with --fd (vuctl --spawn '... --fd={fd}') until the client goes, and
knows only what connecting and reading need: VERSION, DEVICE_GET_INFO,
DEVICE_GET_REGION_INFO, DEVICE_GET_IRQ_INFO and REGION_READ; writes are
acknowledged and dropped; anything else gets ENOSYS. Not a test device for
anything but config space decoding.
"""

import argparse
import json
import socket
import struct
import sys

VERSION, GET_INFO, REGION_INFO, IRQ_INFO = 1, 4, 5, 7
REGION_READ, REGION_WRITE = 9, 10
F_REPLY, F_ERROR = 0x1, 0x20
ENOSYS, EINVAL = 38, 22
CONFIG = 7
NUM_REGIONS = 9
READ_WRITE = 0x3


class Config:
    def __init__(self, size):
        self.b = bytearray(size)

    def w8(self, off, v):
        self.b[off] = v & 0xFF

    def w16(self, off, v):
        struct.pack_into("<H", self.b, off, v)

    def w32(self, off, v):
        struct.pack_into("<I", self.b, off, v)


def header(c, vendor=0x1234, device=0x5678, rev=0x02, cls=0x010802,
           htype=0x00, status=0x0010, cap=0x40):
    c.w16(0x00, vendor)
    c.w16(0x02, device)
    c.w16(0x04, 0x0000)
    c.w16(0x06, status)
    c.w8(0x08, rev)
    c.w8(0x09, cls & 0xFF)
    c.w16(0x0A, cls >> 8)
    c.w8(0x0E, htype)
    c.w8(0x34, cap)
    c.w8(0x3C, 0x0B)
    c.w8(0x3D, 0x02)  # INTB#


def profile_rich():
    """Every kind of BAR and capability vuctl knows, in 4 KiB."""
    c = Config(4096)
    header(c)
    c.w16(0x2C, 0x8086)
    c.w16(0x2E, 0x0001)
    c.w16(0x04, 0x0147)  # I/O, Mem, BusMaster, ParErr, SERR
    c.w16(0x06, 0x0290 | 0x2000)  # Cap, FastB2B, DEVSEL medium, <MAbort
    c.w32(0x10, 0x0000C001)  # BAR0: I/O at 0xc000
    c.w32(0x14, 0xFE00000C)  # BAR1+2: 64-bit prefetchable memory
    c.w32(0x18, 0x00000001)  # high half: 0x1_fe000000
    c.w32(0x1C, 0xFD000000)  # BAR3: 32-bit memory
    # PM v3, D1 D2 supported, in D3hot, PME from D3hot and D3cold.
    c.w8(0x40, 0x01), c.w8(0x41, 0x50)
    c.w16(0x42, 0x0003 | 0x0200 | 0x0400 | (0x18 << 11))
    c.w16(0x44, 0x0003 | 0x0100)
    # Vendor specific, 8 bytes.
    c.w8(0x50, 0x09), c.w8(0x51, 0x58), c.w8(0x52, 0x08)
    # An id vuctl does not know.
    c.w8(0x58, 0x42), c.w8(0x59, 0x60)
    # MSI: 32-bit, per-vector masking, 8 capable, 4 enabled.
    c.w8(0x60, 0x05), c.w8(0x61, 0x78)
    c.w16(0x62, 0x0001 | (3 << 1) | (2 << 4) | 0x0100)
    c.w32(0x64, 0xFEE00000)
    c.w16(0x68, 0x4021)
    c.w32(0x6C, 0x0000000A)  # mask
    c.w32(0x70, 0x00000001)  # pending
    # PCI Express v2 root port, 5 GT/s x4 capable, at 2.5 GT/s x2.
    c.w8(0x78, 0x10), c.w8(0x79, 0xB0)
    c.w16(0x7A, 0x0042)
    c.w32(0x7C, 0x00000002)  # MaxPayload 512
    c.w16(0x80, 0x2020)  # MaxPayload 256, MaxReadReq 512
    c.w32(0x84, 0x00000042)
    c.w16(0x8A, 0x0021)
    # MSI-X: 64 vectors, table in BAR3, PBA in BAR3, enabled and masked.
    c.w8(0xB0, 0x11), c.w8(0xB1, 0x00)
    c.w16(0xB2, 0xC000 | 63)
    c.w32(0xB4, 0x00002003)
    c.w32(0xB8, 0x00003003)
    # Extended: AER v2 -> unknown 0x0042 v1 -> VSEC -> DSN -> ACS (last).
    c.w32(0x100, 0x0001 | (2 << 16) | (0x140 << 20))
    c.w32(0x104, 0x00100000)  # UESta: unsupported request
    c.w32(0x108, 0x00400000)
    c.w32(0x10C, 0x00462030)
    c.w32(0x110, 0x00002000)  # CESta: advisory non-fatal
    c.w32(0x114, 0x0000E000)
    c.w32(0x118, 0x00000014)  # first error pointer 20
    c.w32(0x140, 0x0042 | (1 << 16) | (0x180 << 20))
    c.w32(0x180, 0x000B | (1 << 16) | (0x1C0 << 20))
    c.w32(0x184, 0x0001 | (2 << 16) | (0x010 << 20))
    c.w32(0x1C0, 0x0003 | (1 << 16) | (0x200 << 20))
    c.w32(0x1C4, 0x89ABCDEF)
    c.w32(0x1C8, 0x01234567)
    c.w32(0x200, 0x000D | (1 << 16))
    return c


def profile_small():
    """256 bytes: a bridge, with an MSI-X capability cut off at the end."""
    c = Config(256)
    header(c, cls=0x060400, htype=0x81, cap=0xF8)
    c.w32(0x10, 0xF0000000)
    c.w8(0xF8, 0x11), c.w8(0xF9, 0x00)
    c.w16(0xFA, 0x0007)
    c.w32(0xFC, 0x00000000)
    return c


def profile_loop():
    """A standard list that comes back to where it began."""
    c = Config(4096)
    header(c, cap=0x40)
    c.w8(0x40, 0x01), c.w8(0x41, 0x50)
    c.w8(0x50, 0x05), c.w8(0x51, 0x40)
    return c


def profile_header():
    """A capability pointer into the header."""
    c = Config(4096)
    header(c, cap=0x40)
    c.w8(0x40, 0x10), c.w8(0x41, 0x20)
    return c


def profile_ext_loop():
    """An extended list whose second entry points back to the first."""
    c = Config(4096)
    header(c, cap=0x00, status=0x0000)
    c.w32(0x100, 0x0003 | (1 << 16) | (0x110 << 20))
    c.w32(0x110, 0x0001 | (1 << 16) | (0x100 << 20))
    return c


PROFILES = {
    "rich": profile_rich,
    "small": profile_small,
    "loop": profile_loop,
    "header": profile_header,
    "ext-loop": profile_ext_loop,
}

# Region sizes by index: BAR0 I/O 256 B, BAR1 (64-bit, so BAR2 is its
# upper half) 16 MiB, BAR3 64 KiB; the config space is added by profile.
BAR_SIZES = {0: 0x100, 1: 0x1000000, 3: 0x10000}


def region_size(cfg, index):
    return len(cfg.b) if index == CONFIG else BAR_SIZES.get(index, 0)


def recv_exact(sock, n):
    data = b""
    while len(data) < n:
        chunk = sock.recv(n - len(data))
        if not chunk:
            return None
        data += chunk
    return data


def reply(sock, msg_id, cmd, payload=b"", errno=0):
    flags = F_REPLY | (F_ERROR if errno else 0)
    hdr = struct.pack("<HHIII", msg_id, cmd, 16 + len(payload), flags, errno)
    sock.sendall(hdr + payload)


def serve(sock, cfg):
    while True:
        hdr = recv_exact(sock, 16)
        if hdr is None:
            return
        msg_id, cmd, size, flags, _ = struct.unpack("<HHIII", hdr)
        if size < 16 or size > 1 << 20:
            return
        body = recv_exact(sock, size - 16)
        if body is None:
            return
        if cmd == VERSION:
            caps = json.dumps({"capabilities": {"max_msg_fds": 1}})
            payload = struct.pack("<HH", 0, 0) + caps.encode() + b"\0"
            reply(sock, msg_id, cmd, payload)
        elif cmd == GET_INFO:
            info = struct.pack("<IIII", 16, 0x2, NUM_REGIONS, 1)
            reply(sock, msg_id, cmd, info)
        elif cmd == REGION_INFO and len(body) >= 32:
            index = struct.unpack_from("<I", body, 8)[0]
            rsize = region_size(cfg, index)
            rflags = READ_WRITE if rsize else 0
            reply(sock, msg_id, cmd,
                  struct.pack("<IIIIQQ", 32, rflags, index, 0, rsize, 0))
        elif cmd == IRQ_INFO and len(body) >= 16:
            index = struct.unpack_from("<I", body, 8)[0]
            reply(sock, msg_id, cmd, struct.pack("<IIII", 16, 0x1, index, 1))
        elif cmd in (REGION_READ, REGION_WRITE) and len(body) >= 16:
            off, region, count = struct.unpack_from("<QII", body)
            rsize = region_size(cfg, region)
            if off > rsize or count > rsize - off:
                reply(sock, msg_id, cmd, errno=EINVAL)
            elif cmd == REGION_WRITE:
                reply(sock, msg_id, cmd, body[:16])
            elif region == CONFIG:
                data = bytes(cfg.b[off : off + count])
                reply(sock, msg_id, cmd, body[:16] + data)
            else:
                reply(sock, msg_id, cmd, body[:16] + bytes(count))
        elif flags & 0x10:
            continue  # No_reply: nothing to say
        else:
            reply(sock, msg_id, cmd, errno=ENOSYS)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--fd", type=int, required=True)
    ap.add_argument("--profile", choices=sorted(PROFILES), required=True)
    opts = ap.parse_args()
    sock = socket.socket(fileno=opts.fd)
    try:
        serve(sock, PROFILES[opts.profile]())
    except (ConnectionError, OSError):
        pass
    finally:
        sock.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
