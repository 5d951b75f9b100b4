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
            (["-rtc", "base=yesterday", "-kernel", multiboot_kernel], "-rtc: base='yesterday'"),
            (["-kernel", "/nonexistent/vmlinuz"], "cannot open '/nonexistent/vmlinuz'"),
            (["-kernel", text_file], "is neither a Linux bzImage nor a Multiboot kernel"),
            (["-kernel", multiboot_kernel, "-initrd", "/nonexistent/module arg"], "cannot open '/nonexistent/module'"),
            (["-initrd", text_file], "-initrd needs -kernel"),
            (["-kernel", multiboot_kernel, "-bios", small_rom], "-bios:"),
            (["-kernel", multiboot_kernel, "-debugcon", "file:/nonexistent/dir/log"], "-debugcon: cannot open"),
            (["-gdb", "udp::1"], "-gdb:"),
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
