#!/usr/bin/env python3
"""Writes the seed inputs of platform_fuzz into corpus/platform_fuzz/ (one per device, each a
short plausible driver session), in platform_fuzz.cpp's operation encoding.

usage: make_platform_seeds.py [OUTPUT_DIRECTORY]
"""
import os
import struct
import sys

SIZE = {1: 0, 2: 1, 4: 2}


class Seed:
    def __init__(self):
        self.b = bytearray()

    def out(self, port, value, size=1):  # operation 0: port write, "any port" selector F0h
        self.b += bytes([0, SIZE[size], 0xF0]) + struct.pack("<HI", port, value)

    def inp(self, port, size=1):  # operation 3: port read
        self.b += bytes([3, SIZE[size], 0xF0]) + struct.pack("<H", port)

    def pci(self, device, function, reg, size=4, value=None):  # operation 5
        sel = (device & 1) | (function << 1) if device < 2 else 0x80 | device | (function << 1)
        self.b += bytes([5, sel, reg])
        how = SIZE[size] | (0x80 if value is not None else 0)
        self.b += bytes([how])
        if value is not None:
            self.b += struct.pack("<I", value)

    def mem_write(self, addr, value, size=1):  # operation 7, raw address selector 7
        self.b += bytes([7, SIZE[size], 7]) + struct.pack("<II", addr, value)

    def mem_read(self, addr, size=1):  # operation 9
        self.b += bytes([9, SIZE[size], 7]) + struct.pack("<I", addr)

    def burst(self, port, data):  # operation 10
        self.b += bytes([10, 0xF0]) + struct.pack("<H", port) + bytes([len(data) - 1]) + bytes(data)

    def wait(self, power, extra=0, instructions=False):  # operation 11: 2^power + extra ns
        self.b += bytes([11, power | (0x80 if instructions else 0)]) + struct.pack("<H", extra)

    def inta(self):  # operation 13
        self.b += bytes([13])

    def post_tables(self):  # operation 14: FW_BUILD_TABLES with POST's registers
        # ES = EBDA (9FC0h), DI = 104h, CX = 32, EBX = F0000h + anchor, ESI = 1024 (raw form)
        self.b += bytes([14, 0]) + struct.pack("<IIIII", 0x9FC00, 0x104, 32, 0xFE000, 1024)

    def hypercall(self, service):
        self.b += bytes([14, 3, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, service])

    def reset(self):
        self.b += bytes([0xFF])


def pic_seed():
    s = Seed()
    for base, vector, icw3 in ((0x20, 0x08, 0x04), (0xA0, 0x70, 0x02)):
        s.out(base, 0x11)
        s.out(base + 1, vector)
        s.out(base + 1, icw3)
        s.out(base + 1, 0x01)
    s.out(0x21, 0xF8)
    s.out(0xA1, 0xFF)
    s.out(0x4D1, 0x0E)
    s.out(0x43, 0x34)  # PIT channel 0, mode 2
    s.out(0x40, 0x10)
    s.out(0x40, 0x00)
    s.wait(16)
    s.inta()
    s.out(0x20, 0x0B)  # OCW3: read ISR
    s.inp(0x20)
    s.out(0x20, 0x20)  # EOI
    s.out(0x20, 0x0A)
    s.inp(0x20)
    return s


def pit_seed():
    s = Seed()
    s.out(0x43, 0x36)
    s.out(0x40, 0x00)
    s.out(0x40, 0x00)
    s.out(0x43, 0xB6)  # channel 2, square wave (the speaker)
    s.out(0x42, 0x33)
    s.out(0x42, 0x05)
    s.out(0x61, 0x03)
    s.wait(20, instructions=True)
    s.out(0x43, 0xC2)  # read-back: status and count of channel 0
    s.inp(0x40)
    s.inp(0x40)
    s.inp(0x40)
    s.inp(0x61)
    s.out(0x43, 0x74)  # channel 1, mode 2
    s.out(0x41, 0x12)
    s.out(0x41, 0x00)
    s.wait(12)
    s.inp(0x61)
    return s


def rtc_seed():
    s = Seed()
    s.out(0x70, 0x0A)
    s.out(0x71, 0x26)
    s.out(0x70, 0x0B)
    s.out(0x71, 0x72)  # periodic, alarm, update-ended interrupts; 24 h
    s.out(0x70, 0x01)
    s.out(0x71, 0x01)  # alarm seconds
    s.out(0x70, 0x0A)
    s.out(0x71, 0x2F)  # fastest periodic rate
    s.out(0x21, 0xFB)
    s.out(0xA1, 0xFE)
    s.wait(30)  # about a second: the update cycle
    s.wait(28)
    s.out(0x70, 0x0C)
    s.inp(0x71)
    for index in (0x00, 0x02, 0x04, 0x07, 0x08, 0x09, 0x32, 0x0D, 0x8F):
        s.out(0x70, index)
        s.inp(0x71)
    return s


def uart_seed():
    s = Seed()
    base = 0x3F8
    s.out(base + 3, 0x80)  # DLAB
    s.out(base + 0, 0x01)
    s.out(base + 1, 0x00)
    s.out(base + 3, 0x03)
    s.out(base + 2, 0xC7)  # FIFO on, cleared, trigger 14
    s.out(base + 1, 0x0F)
    s.out(base + 4, 0x1B)  # loopback, OUT2, RTS, DTR
    s.burst(base, list(b"hello, fuzzing world!"))
    s.wait(20)
    for offset in (5, 2, 6, 0, 0, 0, 5, 2):
        s.inp(base + offset)
    s.out(0x2F8 + 7, 0x5A)
    s.inp(0x2F8 + 7)
    return s


def vga_seed():
    s = Seed()
    s.out(0x3C2, 0x67)
    s.out(0x3C4, 0x0100, size=2)
    s.out(0x3C4, 0x0402, size=2)  # map mask: plane 2
    s.out(0x3C4, 0x0704, size=2)  # memory mode: chain-4 off, odd/even off
    s.out(0x3C4, 0x0300, size=2)
    s.out(0x3CE, 0x0204, size=2)  # read map 2
    s.out(0x3CE, 0x0005, size=2)
    s.out(0x3CE, 0x0406, size=2)  # A0000-AFFFF
    s.mem_write(0xA0000, 0x12345678, size=4)
    s.mem_read(0xA0000, size=4)
    s.out(0x3CE, 0x0305, size=2)  # write mode 3
    s.mem_write(0xA0010, 0xFF)
    s.out(0x3D4, 0x0011, size=2)
    s.out(0x3D4, 0x000E, size=2)
    s.inp(0x3DA)
    s.out(0x3C0, 0x10)
    s.out(0x3C0, 0x0C)
    s.out(0x3C0, 0x20)
    s.out(0x3C8, 0x00)
    s.burst(0x3C9, list(range(48)))
    s.out(0x3C7, 0x05)
    s.inp(0x3C9)
    s.wait(14)
    s.inp(0x3DA)
    s.mem_write(0xB8000, 0x0741, size=2)
    s.mem_read(0xBFFFF)
    return s


def pci_seed():
    s = Seed()
    s.pci(0, 0, 0x00)
    s.pci(0, 0, 0x59, size=1, value=0x30)  # PAM0: F segment read/write RAM
    s.mem_write(0xF0000, 0xDEADBEEF, size=4)
    s.pci(0, 0, 0x59, size=1, value=0x10)
    s.mem_read(0xF0000, size=4)
    s.pci(1, 0, 0x60, size=4, value=0x0B0A0B0A)  # PIRQRC
    s.pci(1, 3, 0x40, size=4, value=0x0601)  # PMBA
    s.pci(1, 3, 0x80, size=1, value=0x01)  # PMIOSE
    s.out(0x604, 0x2001, size=2)  # PM1_CNT: SCI_EN
    s.out(0x602, 0x0001, size=2)  # PM1_EN: TMR_EN
    s.wait(26)
    s.inp(0x608, size=4)
    s.inp(0x600, size=2)
    s.out(0xB2, 0xF1)
    s.pci(3, 0, 0x00)  # an absent device
    s.pci(1, 0, 0x3C, size=1, value=0x0B)
    s.pci(0, 0, 0x10, size=4, value=0xFFFFFFFF)
    return s


def kbc_seed():
    s = Seed()
    s.out(0x64, 0xAA)
    s.inp(0x60)
    s.out(0x64, 0x60)
    s.out(0x60, 0x65)
    s.out(0x64, 0xAE)
    s.out(0x64, 0xA8)
    s.out(0x60, 0xFF)  # keyboard reset
    s.wait(20)
    s.inp(0x64)
    s.inp(0x60)
    s.inp(0x60)
    s.out(0x60, 0xED)  # LEDs
    s.out(0x60, 0x07)
    s.out(0x64, 0xD4)  # to the mouse
    s.out(0x60, 0xF4)
    s.inp(0x60)
    s.out(0x64, 0xD0)
    s.inp(0x60)
    s.out(0x64, 0xD1)
    s.out(0x60, 0xDD)
    s.out(0x64, 0xD2)
    s.out(0x60, 0x1C)
    s.inta()
    s.inp(0x60)
    return s


def firmware_seed():
    s = Seed()
    s.pci(0, 0, 0x59, size=1, value=0x30)
    s.post_tables()
    s.hypercall(2)  # FW_LOAD_KERNEL without a kernel
    s.hypercall(0x7F)  # an unknown service
    s.out(0x92, 0x00)
    s.out(0x92, 0x02)
    s.out(0xE9, ord("x"))
    s.out(0x80, 0x55)
    s.out(0xCF9, 0x02)
    s.reset()
    s.inp(0x92)
    return s


def main() -> int:
    out = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), "corpus", "platform_fuzz")
    os.makedirs(out, exist_ok=True)
    seeds = {"pic-pit-inta": pic_seed(), "pit-channels": pit_seed(), "rtc-interrupts": rtc_seed(),
             "uart-loopback": uart_seed(), "vga-planes-dac": vga_seed(), "pci-pam-pm": pci_seed(),
             "i8042-commands": kbc_seed(), "firmware-hypercall-reset": firmware_seed()}
    for name, seed in seeds.items():
        with open(os.path.join(out, name), "wb") as f:
            f.write(seed.b)
    print(f"wrote {len(seeds)} seeds to {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
