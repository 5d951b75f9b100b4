#!/usr/bin/env python3
"""`vga=0x318` on the default guest (issue 7): the kernel's setup code asks our BIOS's VBE for
mode 118h (1024x768, 24 bpp, linear framebuffer at the stdvga's BAR0), vesafb takes it, and the
console is drawn there. The kernel log must report the mode, and `screendump` must save a
1024x768 picture with the shell's text on it.

usage: vesa_console.py EMU [--deadline S] [--keep FILE]
"""
import argparse
import os
import struct
import sys
import tempfile
import zlib

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "boot"))
import bootlib  # noqa: E402


def read_png(path: str) -> tuple[int, int, bytes]:
    """Width, height and RGB rows of an 8-bit RGB PNG written by emu (filter 0 on every row)."""
    data = open(path, "rb").read()
    at, width, height, packed = 8, 0, 0, b""
    while at < len(data):
        length, kind = struct.unpack(">I4s", data[at:at + 8])
        body = data[at + 8:at + 8 + length]
        if kind == b"IHDR":
            width, height = struct.unpack(">II", body[:8])
        elif kind == b"IDAT":
            packed += body
        at += 12 + length
    raw = zlib.decompress(packed)
    stride = 1 + 3 * width
    return width, height, b"".join(raw[y * stride + 1:(y + 1) * stride] for y in range(height))


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("emu")
    ap.add_argument("--deadline", type=float, default=240)
    ap.add_argument("--keep")
    args = ap.parse_args()
    guest = bootlib.default_guest()
    if not os.path.exists(guest["EMU_GUEST_KERNEL"]):
        return bootlib.skip("the default guest is not built (images/guests/build-default.sh)")
    with tempfile.TemporaryDirectory() as tmp:
        sock = os.path.join(tmp, "monitor.sock")
        dump = args.keep or os.path.join(tmp, "screen.png")
        con = bootlib.Console([args.emu, "-display", "none", "-m", "256", "-kernel", guest["EMU_GUEST_KERNEL"],
                               "-initrd", guest["EMU_GUEST_INITRD"], "-append",
                               "vga=0x318 console=tty0 console=ttyS0", "-monitor", f"unix:{sock},server,nowait"],
                              args.deadline)
        try:
            mode = con.expect(r"vesafb: mode is (\d+x\d+x\d+)", "vesafb's mode line").group(1).decode()
            con.expect(r"emu# ", "the shell prompt")
            # Something on tty1 (the VGA console's foreground) to find in the picture's bottom rows.
            con.type("echo VESA-CONSOLE-OK > /dev/tty1")
            con.expect(r"emu# ", "the prompt after the echo")
            bootlib.monitor_command(sock, f"screendump {dump}")
            width, height, pixels = read_png(dump)
        except (bootlib.Timeout, OSError) as e:
            con.report_failure(str(e))
            return 1
        finally:
            con.kill()
    problems = []
    if mode != "1024x768x24":
        problems.append(f"vesafb chose {mode}, want 1024x768x24")
    if (width, height) != (1024, 768):
        problems.append(f"screendump is {width}x{height}, want 1024x768")
    else:
        # Text on a black console: a fair share of the lower half's pixels are lit.
        lower = pixels[len(pixels) // 2:]
        lit = sum(1 for k in range(0, len(lower), 3) if lower[k] | lower[k + 1] | lower[k + 2])
        if lit < 2000:
            problems.append(f"only {lit} lit pixels in the lower half of the screen: no console text")
    return bootlib.report(problems, f"ok vga=0x318: vesafb {mode}, a {width}x{height} screen with the console on it")


if __name__ == "__main__":
    sys.exit(main())
