#!/usr/bin/env python3
"""Boots the default guest (images/guests/build-default.sh) to its shell and drives it.

usage: boot_default.py EMU [--deadline S] [--extra-args "ARGS"] [--poweroff CMD]
       boot_default.py EMU --determinism [--deadline S] [--extra-args "ARGS"] [--run-args N "ARGS"]
       boot_default.py --qemu ...        (qemu-system-i386 instead of EMU: proves the harness)

Interactive run: EMU -nographic -m 256 -kernel vmlinuz -initrd initrd.img -append console=ttyS0
-no-reboot.
It waits for EMU-GUEST-READY and the `emu# ` prompt on the serial console, types `uname -a`,
`cat /proc/cpuinfo`, `ls /proc` and `dmesg | tail`, checks each answer, types `poweroff -f` and
requires the emulator to exit with status 0 (ACPI power-off), all within the deadline.

--determinism: two runs with `-icount shift=0` (deterministic virtual time) of the guest's
unattended mode (kernel parameter emu_cmd=..., run by /init, which then powers off by itself);
the two serial outputs must be identical byte for byte. --run-args N "ARGS" gives run N (1 or 2)
arguments of its own, e.g. "-jit off" against "-jit on": the tiers must not change what a
deterministic guest prints, nor when.

Exit status 0 pass, 1 fail (the last 60 console lines are printed), 77 skip (guest not built).
"""
import argparse
import difflib
import os
import re
import sys

from bootlib import Console, Timeout, default_guest, emulator_command, skip, split_extra

PROMPT = r"emu# "

# (command, regex its answer must match, what the regex means)
CHECKS = [
    ("uname -a", r"^Linux emu \S+ .* i686", "a Linux i686 uname line"),
    ("cat /proc/cpuinfo", r"^processor\s*: 0$(?s:.*)^flags\s*:.*\bfpu\b.*\bcx8\b.*\bcmov\b",
     "processor 0 with fpu, cx8 and cmov flags"),
    ("ls /proc", r"\bcpuinfo\b(?s:.*)\bmeminfo\b", "cpuinfo and meminfo in /proc"),
    ("dmesg | tail", r"^\[\s*\d+\.\d{6}\] ", "kernel log lines"),
]

# What the determinism runs execute in the guest (no quotes inside: it is a kernel parameter).
DETERMINISM_CMD = "uname -a; cat /proc/cpuinfo; ls /proc; cat /proc/interrupts; dmesg | tail -n 5"


def base_argv(args, guest, append: str) -> list[str]:
    return emulator_command(args.emu, args.qemu) + [
        "-nographic", "-m", "256", "-kernel", guest["EMU_GUEST_KERNEL"],
        "-initrd", guest["EMU_GUEST_INITRD"], "-append", append,
        "-no-reboot",  # a guest that resets has failed: end the run instead of booting again
    ] + split_extra(args.extra_args)


def interactive(args, guest) -> int:
    con = Console(base_argv(args, guest, "console=ttyS0"), args.deadline)
    step = "boot"
    try:
        con.expect(r"^EMU-GUEST-READY$", "the EMU-GUEST-READY marker")
        step = "first prompt"
        con.expect(PROMPT, "the shell prompt")
        for command, answer, meaning in CHECKS:
            step = command
            con.type(command)
            con.expect(re.escape(command) + r"$", f"the echo of {command!r}")
            start = con.cursor
            end = con.expect(PROMPT, f"the prompt after {command!r}").start()
            reply = con.text_bytes()[start:end].decode(errors="replace")
            if not re.search(answer, reply, re.MULTILINE):
                con.report_failure(f"{command!r}: expected {meaning} (/{answer}/), got:\n{reply}")
                return 1
            print(f"ok: {command}: {meaning}")
        step = args.poweroff
        con.type(args.poweroff)
        status = con.wait_exit()
    except Timeout as e:
        con.report_failure(f"{step}: {e}")
        return 1
    finally:
        con.kill()
        con.save(args.transcript)
    if status != 0:
        con.report_failure(f"{args.poweroff!r}: the emulator exited with status {status}, not 0")
        return 1
    print(f"ok: {args.poweroff}: the emulator exited with status 0")
    print("PASS")
    return 0


def determinism_run(args, guest, n: int) -> bytes | None:
    flags = (["-icount", "shift=0,sleep=off", "-rtc", "base=2000-01-01,clock=vm"] if args.qemu
             else ["-icount", "shift=0"])
    append = f'console=ttyS0 emu_cmd="{DETERMINISM_CMD}"'
    own = [words for k, words in (args.run_args or []) if int(k) == n]
    con = Console(base_argv(args, guest, append) + flags + split_extra(own), args.deadline)
    try:
        con.expect(r"^EMU-CMD-EXIT status=0$", "EMU-CMD-EXIT status=0")
        status = con.wait_exit()
    except Timeout as e:
        con.report_failure(f"determinism run {n}: {e}")
        return None
    finally:
        con.kill()
        con.save(args.transcript and f"{args.transcript}.{n}")
    if status != 0:
        con.report_failure(f"determinism run {n}: the emulator exited with status {status}, not 0")
        return None
    print(f"ok: determinism run {n}: {len(con.output)} bytes of console output, exit status 0")
    return bytes(con.output)


def determinism(args, guest) -> int:
    first = determinism_run(args, guest, 1)
    if first is None:
        return 1
    second = determinism_run(args, guest, 2)
    if second is None:
        return 1
    if first != second:
        a = first.decode(errors="replace").splitlines()
        b = second.decode(errors="replace").splitlines()
        print("FAIL: the two runs' serial outputs differ")
        for line in list(difflib.unified_diff(a, b, "run 1", "run 2", lineterm="", n=2))[:80]:
            print(line)
        return 1
    print(f"ok: both runs printed the same {len(first)} bytes")
    print("PASS")
    return 0


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("emu", nargs="?", help="the emulator executable (build/emu)")
    ap.add_argument("--qemu", action="store_true", help="run qemu-system-i386 instead of EMU")
    ap.add_argument("--deadline", type=float, default=900.0,
                    help="seconds for the whole run (each run with --determinism)")
    ap.add_argument("--extra-args", action="append", metavar="ARGS",
                    help="more emulator arguments, split like a shell (repeatable)")
    ap.add_argument("--run-args", nargs=2, action="append", metavar=("N", "ARGS"),
                    help="with --determinism: more arguments for run N only (1 or 2)")
    ap.add_argument("--poweroff", default="poweroff -f",
                    help="the command that ends the interactive run (default: poweroff -f)")
    ap.add_argument("--transcript", metavar="FILE",
                    help="write the console output to FILE (run N's to FILE.N with --determinism)")
    ap.add_argument("--determinism", action="store_true",
                    help="two -icount runs of the unattended mode, compared byte for byte")
    args = ap.parse_args()
    guest = default_guest()
    for key in ("EMU_GUEST_KERNEL", "EMU_GUEST_INITRD"):
        if not os.path.isfile(guest[key]):
            return skip(f"the default guest is not built ({guest[key]} missing): "
                        "run images/guests/build-default.sh")
    if not args.qemu and (not args.emu or not os.access(args.emu, os.X_OK)):
        print(f"FAIL: {args.emu!r} is not an executable emulator")
        return 1
    return determinism(args, guest) if args.determinism else interactive(args, guest)


if __name__ == "__main__":
    sys.exit(main())
