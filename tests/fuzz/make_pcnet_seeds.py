#!/usr/bin/env python3
"""Writes the seed inputs of pcnet_fuzz into corpus/pcnet_fuzz/, in pcnet_fuzz.cpp's operation
encoding: a driver session per software style (init block, rings, transmit, receive, echo), and
the shapes of QEMU's pcnet CVEs (a ring length of 0, chained descriptors with huge counts, a
loopback frame at the buffer's end).

usage: make_pcnet_seeds.py [OUTPUT_DIRECTORY]
"""
import os
import struct
import sys

RAM_ADDRESS = 2  # guest_address(): raw & 3 == 2 picks (raw >> 2) inside RAM


def addr(a: int) -> bytes:
    return struct.pack("<I", (a << 2) | RAM_ADDRESS)


class Seed:
    def __init__(self):
        self.b = bytearray()

    def csr(self, n, v):  # operation 2
        self.b += bytes([2, n]) + struct.pack("<H", v)

    def bcr(self, n, v):  # operation 3
        self.b += bytes([3, n]) + struct.pack("<H", v)

    def ring(self, count, buffer, size, flags, style32):  # the ring bytes write_ring() reads
        for k in range(count):
            self.b += addr(buffer + k * 0x800) + struct.pack("<H", size - 1) + bytes([flags, 1])
            if style32:
                self.b += struct.pack("<I", 0)  # TMD2/RMD2

    def init(self, style, mode, rx_log, tx_log, block=0x1000, rx=0x2000, tx=0x3000, size=1514, flags=0x03):
        self.b += bytes([5, style]) + addr(block) + struct.pack("<H", mode) + bytes([rx_log, tx_log])
        self.b += addr(rx) + addr(tx) + bytes(8)
        self.ring(min(1 << rx_log, 32), 0x10000, size, 0, style != 0)
        self.ring(min(1 << tx_log, 32), 0x40000, size, flags, style != 0)
        self.b += bytes([0x40, 0x40])

    def transmit(self):
        self.b += bytes([7, 0x40])

    def arrive(self, length, kind=0):
        self.b += bytes([8]) + struct.pack("<H", length) + bytes([kind, 0]) + bytes([0x01, 0, 0x5E, 0, 0, 1])
        self.b += bytes(range(58))

    def echo(self):
        self.b += bytes([9])

    def irq_handler(self):
        self.b += bytes([13])

    def snapshot(self):
        self.b += bytes([12])


def main() -> int:
    out = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(os.path.abspath(__file__)), "corpus",
                                                              "pcnet_fuzz")
    os.makedirs(out, exist_ok=True)
    seeds = {}
    for style in (0, 2, 3):
        s = Seed()
        s.init(style, 0, 2, 2)
        s.transmit()
        s.arrive(100, 0)
        s.arrive(600, 1)
        s.irq_handler()
        s.echo()
        s.snapshot()
        seeds[f"session-swstyle{style}"] = s
    s = Seed()  # internal loopback (CSR15 LOOP|INTL), as the CVE-2015-7504 reproducer sets it
    s.init(2, 0x0044, 2, 2)
    s.transmit()
    s.echo()
    seeds["internal-loopback"] = s
    s = Seed()  # a ring length field of 0 (512 descriptors) and chains of maximal byte counts
    s.init(2, 0, 0, 0, size=4096, flags=0x02)
    s.transmit()
    s.echo()
    seeds["ring-length-zero"] = s
    s = Seed()  # promiscuous mode and a multicast frame
    s.init(3, 0x8000, 3, 3)
    s.arrive(1514, 2)
    s.arrive(1700, 3)
    seeds["promiscuous"] = s
    for name, seed in seeds.items():
        with open(os.path.join(out, name), "wb") as f:
            f.write(seed.b)
    print(f"{len(seeds)} seeds in {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
