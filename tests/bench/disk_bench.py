#!/usr/bin/env python3
"""Guest disk throughput, emu against QEMU TCG, side by side in one run (a benchmark, not a test).

usage: tests/bench/disk_bench.py [--emu build/emu] [--qemu qemu-system-i386] [--mib 128]

Both boot the default guest (images/guests/build-default.sh) with the same raw disk image on
the IDE controller and run, in the guest, busybox `dd` reading the disk sequentially (1 MiB
blocks) and writing it (1 MiB blocks, fsync at the end). Each prints MB/s as the guest measured
it; the ratio column is emu/QEMU (above 1: emu is faster). Machines here are shared: run it when
the host is quiet, and read the ratios, not the absolute numbers.
"""
import argparse
import os
import re
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "boot"))
import bootlib  # noqa: E402


def run(argv: list[str], deadline: float, mib: int) -> dict[str, float]:
    out = subprocess.run(argv, capture_output=True, text=True, timeout=deadline, stdin=subprocess.DEVNULL).stdout
    rates = {}
    for name in ("READ", "WRITE"):
        m = re.search(r"^" + name + r" ([0-9.]+) ([0-9.]+)\s*$", out.replace("\r", ""), re.MULTILINE)
        if m and float(m.group(2)) > float(m.group(1)):
            rates[name] = mib * 1.048576 / (float(m.group(2)) - float(m.group(1)))
    if len(rates) != 2:
        sys.stderr.write(out[-3000:])
    return rates


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--emu", default=os.path.join(bootlib.REPO, "build", "emu"))
    ap.add_argument("--qemu", default="qemu-system-i386")
    ap.add_argument("--mib", type=int, default=128)
    args = ap.parse_args()
    guest = bootlib.default_guest()
    if not os.path.exists(guest["EMU_GUEST_KERNEL"]):
        print("the default guest is not built: images/guests/build-default.sh")
        return 1
    n = args.mib
    # busybox dd prints no rate: the guest's /proc/uptime before and after each run gives it.
    up = "$(cut -d' ' -f1 /proc/uptime)"
    cmd = (f"i=0; while [ ! -b /dev/sda ] && [ $i -lt 200 ]; do sleep 0.1; i=$((i+1)); done; "
           f"a={up}; dd if=/dev/sda of=/dev/null bs=1M count={n} 2>/dev/null; b={up}; echo READ $a $b; "
           f"a={up}; dd if=/dev/zero of=/dev/sda bs=1M count={n} conv=fsync 2>/dev/null; b={up}; echo WRITE $a $b")
    with tempfile.TemporaryDirectory() as tmp:
        disk = os.path.join(tmp, "disk.img")
        with open(disk, "wb") as f:
            f.truncate((n + 16) << 20)
        common = ["-nographic", "-m", "256", "-kernel", guest["EMU_GUEST_KERNEL"], "-initrd",
                  guest["EMU_GUEST_INITRD"], "-append", f'console=ttyS0 quiet emu_cmd="{cmd}"', "-no-reboot"]
        emu = run([args.emu] + common + ["-drive", f"file={disk},format=raw"], 1800, n)
        qemu = run([args.qemu, "-accel", "tcg", "-cpu", "pentium3"] + common +
                   ["-drive", f"file={disk},format=raw,if=ide"], 1800, n)
    print(f"{'guest dd, MB/s':<16} {'emu':>10} {'QEMU TCG':>10} {'emu/QEMU':>10}")
    for name in ("READ", "WRITE"):
        e, q = emu.get(name), qemu.get(name)
        ratio = f"{e / q:.2f}" if e and q else "-"
        print(f"{name.lower():<16} {e or 0:>10.1f} {q or 0:>10.1f} {ratio:>10}")
    return 0 if len(emu) == 2 and len(qemu) == 2 else 1


if __name__ == "__main__":
    sys.exit(main())
