#!/usr/bin/env python3
"""Writes a bcryptprimitives.dll for Wine 8.0, which lacks one.

Since Go 1.22 every Windows Go program takes its random bytes from
bcryptprimitives.dll!ProcessPrng and stops at start-up without it
("fatal error: bcryptprimitives.dll not found"). Wine added the DLL in
9.x; Debian 12 ships 8.0. This DLL holds no code: its one export is a
forwarder to advapi32.SystemFunction036 (RtlGenRandom), the system's
CSPRNG, whose arguments (buffer, length) and boolean result match what
the Go runtime needs (it tests only the low byte of the result).
Only the Wine CI uses it; nothing of it ships.

usage: bcryptprimitives.py OUT.dll
"""
import struct
import sys

RVA = 0x1000  # the one section, .rdata, holds the export directory


def build():
    forward = b"advapi32.SystemFunction036\0"
    name = b"ProcessPrng\0"
    dllname = b"bcryptprimitives.dll\0"
    # Layout of the export data from RVA: directory (40), EAT (4),
    # name pointers (4), ordinals (2), then the strings.
    eat = RVA + 40
    enpt = eat + 4
    eot = enpt + 4
    s_dll = eot + 2
    s_name = s_dll + len(dllname)
    s_fwd = s_name + len(name)
    end = s_fwd + len(forward)
    exp = struct.pack("<IIHHIIIIIII", 0, 0, 0, 0, s_dll, 1, 1, 1, eat, enpt, eot)
    exp += struct.pack("<I", s_fwd) + struct.pack("<I", s_name) + struct.pack("<H", 0)
    exp += dllname + name + forward
    assert len(exp) == end - RVA
    size = len(exp)

    dos = bytearray(64)
    dos[0:2] = b"MZ"
    struct.pack_into("<I", dos, 0x3C, 64)
    coff = struct.pack("<HHIIIHH", 0x8664, 1, 0, 0, 0, 240, 0x2022)  # x64; executable, large-address, DLL
    opt = struct.pack("<HBBIIIII", 0x20B, 14, 0, 0, 0x200, 0, 0, RVA)  # PE32+, no code, no entry point
    opt += struct.pack("<QII", 0x180000000, 0x1000, 0x200)  # image base, section and file alignment
    opt += struct.pack("<HHHHHHI", 6, 0, 0, 0, 6, 0, 0)  # OS, image, subsystem versions
    opt += struct.pack("<IIIHH", 0x2000, 0x200, 0, 3, 0x100)  # image size, headers size, checksum, console, NX
    opt += struct.pack("<QQQQII", 0x100000, 0x1000, 0x100000, 0x1000, 0, 16)
    dirs = [(0, 0)] * 16
    dirs[0] = (RVA, size)  # exports; a function RVA inside this range is a forwarder
    opt += b"".join(struct.pack("<II", a, b) for a, b in dirs)
    assert len(opt) == 240
    sect = struct.pack("<8sIIIIIIHHI", b".rdata", 0x1000, RVA, 0x200, 0x200, 0, 0, 0, 0, 0x40000040)
    head = bytes(dos) + b"PE\0\0" + coff + opt + sect
    head += bytes(0x200 - len(head))
    body = exp + bytes(0x200 - len(exp))
    return head + body


if __name__ == "__main__":
    with open(sys.argv[1], "wb") as f:
        f.write(build())
