#!/usr/bin/env python3
"""SeaBIOS runs its VGA BIOS from our stdvga's Expansion ROM (issue 4 item 6, issue 7): with
`-bios /usr/share/seabios/bios.bin` and no disks, SeaBIOS finds 00:02.0 as the primary VGA,
runs Debian's vgabios-stdvga.bin from the ROM BAR, and prints its banner and "No bootable
device" on the screen, which `screendump` must show.

usage: seabios_vga.py EMU
"""
import os
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "boot"))
import bootlib  # noqa: E402

SEABIOS = "/usr/share/seabios/bios.bin"
VGA_ROM = "/usr/share/seabios/vgabios-stdvga.bin"


def main() -> int:
    emu = sys.argv[1]
    if not os.path.exists(SEABIOS) or not os.path.exists(VGA_ROM):
        return bootlib.skip("Debian's seabios package is not installed (tools/setup.sh installs it)")
    with tempfile.TemporaryDirectory() as tmp:
        log, sock, dump = (os.path.join(tmp, n) for n in ("seabios.log", "monitor.sock", "screen.png"))
        proc = subprocess.Popen([emu, "-bios", SEABIOS, "-display", "none", "-m", "64", "-serial", "null",
                                 "-debugcon", f"file:{log},iobase=0x402", "-monitor", f"unix:{sock},server,nowait"],
                                stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        try:
            text = ""
            give_up = time.monotonic() + 120
            while "No bootable device" not in text and time.monotonic() < give_up:
                time.sleep(0.5)
                text = open(log, errors="replace").read() if os.path.exists(log) else ""
            bootlib.monitor_command(sock, f"screendump {dump}")
            size = subprocess.run(["identify", "-format", "%wx%h", dump], capture_output=True, text=True).stdout
            lit = subprocess.run(["convert", dump, "-threshold", "50%", "-format", "%[fx:mean*w*h]", "info:"],
                                 capture_output=True, text=True).stdout
        finally:
            proc.kill()
            proc.wait()
    problems = []
    for needle in ("Running option rom at c000:0003", "Start SeaVGABIOS", "No bootable device"):
        if needle not in text:
            problems.append(f"SeaBIOS's log lacks {needle!r}")
    if size != "720x400":
        problems.append(f"screendump is {size!r}, want 720x400 (text mode)")
    if not lit or float(lit) < 1000:
        problems.append(f"only {lit!r} lit pixels: SeaBIOS's messages are not on the screen")
    return bootlib.report(problems, f"ok SeaBIOS ran SeaVGABIOS from the option ROM; the screen shows its text ({lit.strip()} lit pixels)")


if __name__ == "__main__":
    sys.exit(main())
