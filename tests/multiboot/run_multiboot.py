#!/usr/bin/env python3
"""Boots the Multiboot test kernel with modules and checks its report and exit status.

usage: run_multiboot.py EMU KERNEL [MODULE...] [--deadline S] [--extra-args "ARGS"]
                        [--claim-mods N --expect-code C]
       run_multiboot.py --qemu KERNEL [MODULE...]   (qemu-system-i386: proves the harness)

Runs, QEMU's spelling (-initrd is the comma-separated module list, each "path arguments"):
  EMU -nographic -m 64 -no-reboot -kernel KERNEL -initrd "M1 idx=0 alpha,M2 idx=1 beta"
      -append "mods=2 mem_mib=64 multiboot test words" -debugcon file:TMP/debugcon.txt
QEMU also gets -device isa-debug-exit,iobase=0xf4,iosize=0x04 (emu has the exit port).

Passes when the kernel's report (between MB-BEGIN and MB-END) is the same on COM1 (stdout) and
on the debug console (port 0xE9), the report shows the command line and every module string
exactly as given, every check says ok, and the exit status is (0x21 << 1) | 1 = 67.
--claim-mods N puts a wrong mods=N on the command line, and --expect-code C then requires the
kernel to fail with that check's code (exit status (C << 1) | 1): the failure path is tested too.
Exit status 0 pass, 1 fail.
"""
import argparse
import os
import re
import subprocess
import sys
import tempfile

PASS_CODE = 0x21
MEMORY_MIB = 64


def report(text: str) -> list[str] | None:
    """The kernel's report lines, MB-BEGIN to MB-END, or None if it is not all there."""
    start = text.find("MB-BEGIN")  # firmware may leave its last line unterminated before it
    if start < 0:
        return None
    lines = text[start:].replace("\r", "").splitlines()
    end = next((i for i, line in enumerate(lines) if line.startswith("MB-END")), None)
    return None if end is None else lines[:end + 1]


def qemu_module_list(items: list[str]) -> str:
    """QEMU's -initrd: items separated by commas, a comma inside an item written twice."""
    return ",".join(item.replace(",", ",,") for item in items)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--qemu", action="store_true", help="run qemu-system-i386 instead of EMU")
    ap.add_argument("--deadline", type=float, default=60.0)
    ap.add_argument("--extra-args", action="append", default=[], metavar="ARGS")
    ap.add_argument("--claim-mods", type=int, help="put this (wrong) count in mods=")
    ap.add_argument("--expect-code", type=lambda s: int(s, 0), default=PASS_CODE,
                    help="the exit-port code to require (default 0x21: every check passed)")
    ap.add_argument("files", nargs="+", help="EMU KERNEL [MODULE...] (no EMU with --qemu)")
    args = ap.parse_args()
    if args.qemu:
        emu, (kernel, *modules) = "qemu-system-i386", args.files
    else:
        if len(args.files) < 2:
            ap.error("EMU and KERNEL are required")
        emu, kernel, *modules = args.files
    for path in [kernel] + modules:
        if not os.path.isfile(path):
            print(f"FAIL: {path} does not exist")
            return 1

    # Module strings: the path, then words naming the module's position (module 0 gets none,
    # so a string that is just a path is covered too).
    items = [m if i == 0 else f"{m} idx={i} word{i}" for i, m in enumerate(modules)]
    claimed = len(modules) if args.claim_mods is None else args.claim_mods
    append = f"mods={claimed} mem_mib={MEMORY_MIB} multiboot test words"

    with tempfile.TemporaryDirectory(prefix="multiboot-") as tmp:
        debugcon = os.path.join(tmp, "debugcon.txt")
        argv = [emu, "-nographic", "-m", str(MEMORY_MIB), "-no-reboot", "-kernel", kernel]
        if items:
            argv += ["-initrd", qemu_module_list(items)]
        argv += ["-append", append, "-debugcon", f"file:{debugcon}"]
        if args.qemu:
            argv += ["-device", "isa-debug-exit,iobase=0xf4,iosize=0x04"]
        argv += [w for chunk in args.extra_args for w in chunk.split()]
        try:
            run = subprocess.run(argv, stdin=subprocess.DEVNULL, capture_output=True,
                                 timeout=args.deadline)
            stdout, stderr, status = run.stdout, run.stderr, run.returncode
        except subprocess.TimeoutExpired as e:
            stdout, stderr, status = e.stdout or b"", e.stderr or b"", None
        e9 = open(debugcon, "rb").read() if os.path.exists(debugcon) else b""

    com1_text = stdout.decode(errors="replace")
    e9_text = e9.decode(errors="replace")
    com1, port_e9 = report(com1_text), report(e9_text)
    problems = []
    if status is None:
        problems.append(f"no exit within {args.deadline:g} s")
    elif status != (args.expect_code << 1) | 1:
        problems.append(f"exit status {status}, expected {(args.expect_code << 1) | 1} "
                        f"(code 0x{args.expect_code:x}); the kernel wrote code "
                        + (f"0x{(status - 1) >> 1:x}" if status & 1 else "nothing (even status)"))
    if com1 is None:
        problems.append("no complete report (MB-BEGIN .. MB-END) on COM1")
    if port_e9 is None:
        problems.append("no complete report (MB-BEGIN .. MB-END) on the debug console (0xE9)")
    if com1 is not None and port_e9 is not None and com1 != port_e9:
        problems.append("the COM1 and port 0xE9 reports differ")
    lines = com1 or port_e9 or []
    text = "\n".join(lines)

    def expect(regex: str, meaning: str) -> None:
        if not re.search(regex, text, re.MULTILINE):
            problems.append(f"report lacks {meaning}")

    if args.expect_code == PASS_CODE:
        expect(r"^MB-END PASS", "MB-END PASS")
        fails = [line for line in lines if line.startswith("FAIL")]
        if fails:
            problems.append("failed checks: " + "; ".join(fails))
        # Multiboot loaders (GRUB, QEMU) pass the kernel's path as the command line's first word.
        cmdline = re.search(r'^cmdline "(.*)"$', text, re.MULTILINE)
        if not cmdline or cmdline.group(1) not in (append, f"{kernel} {append}"):
            problems.append(f'cmdline should be "{append}" (optionally after the kernel path), '
                            f'got {cmdline.group(1) if cmdline else "none"!r}')
        if modules:
            expect(rf"^mods_count {len(modules)} ", f"mods_count {len(modules)}")
        else:  # no modules: flags bit 3 with a count of 0 (QEMU) or bit 3 clear (emu) are both right
            expect(r"^(mods_count 0 |ok modules: flags bit 3 is clear$)", "mods_count 0 or flags bit 3 clear")
        for i, item in enumerate(items):
            expect(rf'^module {i} start=0x[0-9a-f]{{8}} end=0x[0-9a-f]{{8}} size \d+ string "{re.escape(item)}"$',
                   f'module {i} with the string "{item}"')
        oks = sum(1 for line in lines if line.startswith("ok module text"))
        if oks != len(modules):
            problems.append(f"{oks} modules' text checked ok, expected {len(modules)}")
    else:
        expect(rf"^FAIL .*\(exit code 0x{args.expect_code:x}\)$",
               f"a FAIL line for exit code 0x{args.expect_code:x}")

    print(f"command: {subprocess.list2cmdline(argv)}")
    print("--- report (COM1) ---" if com1 else "--- COM1 output (last 40 lines) ---")
    print("\n".join(com1 or com1_text.replace("\r", "").splitlines()[-40:]))
    if stderr:
        print("--- emulator stderr ---")
        print(stderr.decode(errors="replace").rstrip())
    if problems:
        for p in problems:
            print(f"FAIL: {p}")
        return 1
    print(f"PASS (exit status {status})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
