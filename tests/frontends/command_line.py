#!/usr/bin/env python3
"""Bad command lines and bad files: emu must refuse each with exit status 2 and one line on
stderr that names the problem, before any guest code runs.

usage: command_line.py EMU MULTIBOOT_KERNEL
"""
import os
import subprocess
import sys
import tempfile


def main() -> int:
    emu, multiboot_kernel = sys.argv[1], sys.argv[2]
    with tempfile.TemporaryDirectory() as tmp:
        text_file = os.path.join(tmp, "notes.txt")
        with open(text_file, "w") as f:
            f.write("this is not a kernel\n" * 100)
        small_rom = os.path.join(tmp, "small.rom")
        with open(small_rom, "wb") as f:
            f.write(b"\xff" * 4096)
        cases = [
            (["-bogus"], "unknown option '-bogus'"),
            (["-m", "12Q"], "-m: invalid memory size suffix"),
            (["-m", "1"], "-m: memory size '1' out of range"),
            (["-machine", "q35"], "-machine: 'q35'"),
            (["-display", "gtk"], "-display: 'gtk'"),
            (["-serial", "bogus"], "-serial: 'bogus'"),
            (["-icount", "shift=99"], "-icount:"),
            (["-jit", "fast"], "-jit: unknown mode 'fast'"),
            (["-jit", "on,threshold=0"], "-jit: threshold '0'"),
            (["-jit", "on,cache=0"], "-jit: cache '0'"),
            (["-jit", "on,cache=1G"], "-jit: cache '1G'"),
            (["-jit", "on,reform=-1"], "-jit: reform '-1'"),
            (["-jit", "on,cash=1"], "-jit: unknown option 'cash=1'"),
            (["-d", "jit,bogus"], "-d: unknown item 'bogus'"),
            (["-rtc", "base=yesterday", "-kernel", multiboot_kernel], "-rtc: base='yesterday'"),
            (["-kernel", "/nonexistent/vmlinuz"], "cannot open '/nonexistent/vmlinuz'"),
            (["-kernel", text_file], "is neither a Linux bzImage nor a Multiboot kernel"),
            (["-kernel", multiboot_kernel, "-initrd", "/nonexistent/module arg"], "cannot open '/nonexistent/module'"),
            (["-initrd", text_file], "-initrd needs -kernel"),
            (["-kernel", multiboot_kernel, "-bios", small_rom], "-bios:"),
            (["-kernel", multiboot_kernel, "-debugcon", "file:/nonexistent/dir/log"], "-debugcon: cannot open"),
            (["-gdb", "udp::1"], "-gdb:"),
            # The network's options (issue 5): each bad one named.
            (["-nic", "bogus"], "-nic: 'bogus' is not a network backend"),
            (["-nic", "user,hostfwd=tcp::99999-:23"], "-nic: hostfwd="),
            (["-nic", "user,mac=01:00:00:00:00:01"], "-nic: mac='01:00:00:00:00:01'"),
            (["-nic", "user,model=e1000"], "-nic: model='e1000'"),
            (["-nic", "socket"], "-nic socket: give listen="),
            (["-nic", "socket,listen=:port"], "-nic socket: listen="),
            (["-nic", "socket,listen=:5000,connect=:5001"], "-nic socket: give one of"),
            (["-nic", "socket,udp=127.0.0.1:5000"], "-nic socket: udp= needs localaddr="),
            (["-nic", "socket,connect=127.0.0.1:1", "-kernel", multiboot_kernel],
             "-nic socket: connect=127.0.0.1:1: Connection refused"),
            (["-nic", "socket,mcast=10.0.0.1:5000", "-kernel", multiboot_kernel],
             "-nic socket: mcast=10.0.0.1:5000: not a multicast group"),
            (["-nic", "tap,bogus=1"], "-nic tap: unknown key 'bogus'"),
            (["-netdev", "socket,id=n0"], "-netdev socket: give listen="),
            (["-netdev", "user,id=n0"], "-netdev n0: no -device pcnet,netdev=n0"),
            (["-device", "pcnet"], "-device pcnet: give netdev=NAME"),
            (["-netdev", "user,id=n0", "-device", "pcnet,netdev=n1"], "-device pcnet: netdev 'n1' was not defined"),
            (["-device", "e1000,netdev=n0"], "-device: 'e1000' is not a device"),
        ]
        failures = 0
        for args, expected in cases:
            run = subprocess.run([emu] + args, capture_output=True, text=True, timeout=30, stdin=subprocess.DEVNULL)
            first = run.stderr.splitlines()[0] if run.stderr else ""
            if run.returncode != 2 or expected not in first:
                print(f"FAIL: emu {' '.join(args)}: status {run.returncode}, stderr {run.stderr!r}; "
                      f"wanted status 2 and {expected!r}")
                failures += 1
            else:
                print(f"ok: emu {' '.join(args)}: {first}")
    print("PASS" if failures == 0 else f"{failures} FAILED")
    return 0 if failures == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
