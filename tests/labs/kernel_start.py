#!/usr/bin/env python3
"""`emu -debug -kernel K` stops first at the kernel's first instruction, the BIOS run through: for
a Multiboot kernel, its entry point in 32-bit protected mode with EAX = 2BADB002h (the Multiboot
magic) and EBX = the information structure (issue 7).

usage: kernel_start.py EMU MULTIBOOT_KERNEL
"""
import re
import subprocess
import sys


def main() -> int:
    emu, kernel = sys.argv[1:3]
    run = subprocess.run([emu, "-debug", "-icount", "shift=0", "-display", "none", "-kernel", kernel],
                         input="regs\nquit\n", capture_output=True, text=True, timeout=60)
    out = run.stdout
    problems = []
    if not out.startswith("stopped: at the kernel's first instruction (-kernel)\n"):
        problems.append(f"first line: {out.splitlines()[:1]}")
    if not re.search(r"^\(debug\) EAX 2badb002  EBX 00009000", out, re.M):
        problems.append("EAX/EBX are not the Multiboot magic and information address")
    if "mode protected  code 32-bit" not in out:
        problems.append("not in 32-bit protected mode")
    if run.returncode != 0:
        problems.append(f"exit status {run.returncode}")
    for p in problems:
        print("PROBLEM:", p)
    print(out[-1500:] if problems else "ok -debug -kernel stops at the Multiboot entry")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
