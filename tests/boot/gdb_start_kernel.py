#!/usr/bin/env python3
"""gdb attaches to emu started with -s -S and stops the default guest at start_kernel.

usage: gdb_start_kernel.py EMU GDB [--deadline S]

emu boots the default guest's kernel with `nokaslr` (so it runs at its link address) and waits
for gdb before the first instruction (-S). gdb connects to tcp::1234 (-s), sets a breakpoint at
start_kernel's address from the kernel's System.map, continues, and must stop there with EIP at
that address; then it kills the machine. This is the way to debug a boot: the breakpoint is a
linear address, checked by emu before each instruction, in whatever mode the CPU is in.

Exit status 0 pass, 1 fail, 77 skip (the guest or its System.map is not built:
images/guests/build-default.sh without --no-system-map).
"""
import argparse
import os
import socket
import subprocess
import sys

from bootlib import default_guest, skip


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("emu")
    ap.add_argument("gdb")
    ap.add_argument("--deadline", type=float, default=300.0)
    args = ap.parse_args()

    guest = default_guest()
    system_map = guest["EMU_GUEST_SYSTEM_MAP"]
    if not os.path.exists(guest["EMU_GUEST_KERNEL"]) or not os.path.exists(system_map):
        return skip(f"no default guest with System.map ({system_map}): run images/guests/build-default.sh")
    address = None
    with open(system_map) as f:
        for line in f:
            fields = line.split()
            if len(fields) == 3 and fields[2] == "start_kernel":
                address = int(fields[0], 16)
    if address is None:
        print("FAIL: start_kernel is not in System.map")
        return 1

    port = free_port()
    emu = subprocess.Popen([args.emu, "-nographic", "-m", "256", "-kernel", guest["EMU_GUEST_KERNEL"],
                            "-initrd", guest["EMU_GUEST_INITRD"], "-append", "console=ttyS0 nokaslr",
                            "-gdb", f"tcp::{port}", "-S", "-serial", "null", "-no-reboot"],
                           stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        # emu says on stderr when it listens and waits (-S); gdb is its first client.
        line = emu.stderr.readline()
        if "waiting for gdb" not in line:
            print(f"FAIL: emu did not wait for gdb: {line.strip()}")
            return 1
        commands = ["set confirm off", f"target remote 127.0.0.1:{port}", f"break *{address:#x}", "continue",
                    "printf \"stopped-at %#x\\n\", $eip", "kill"]
        gdb = subprocess.run([args.gdb, "-batch", "-nx"] + [a for c in commands for a in ("-ex", c)],
                             capture_output=True, text=True, timeout=args.deadline)
        out = gdb.stdout + gdb.stderr
        print(out)
        if f"stopped-at {address:#x}" not in out:
            print(f"FAIL: gdb did not stop at start_kernel ({address:#x})")
            return 1
        print(f"PASS: stopped at start_kernel {address:#x}")
        return 0
    except subprocess.TimeoutExpired:
        print("FAIL: gdb did not finish within the deadline")
        return 1
    finally:
        emu.kill()
        emu.wait()


if __name__ == "__main__":
    sys.exit(main())
