#!/usr/bin/env python3
"""Boots the shared reference guest (shared/bench, built by its make-guest.sh) and checks that
its integer benchmark computes the right checksum and the machine powers off.

usage: bench_guest.py EMU [--deadline S] [--extra-args "ARGS"] [--append "WORDS"]
       bench_guest.py --qemu ...        (qemu-system-i386 instead of EMU: proves the harness)

EMU -nographic -m 256 -kernel out/guest/vmlinuz -initrd out/guest/initrd.img
    -append "console=ttyS0 quiet"
must print EMU-BOOT-OK, then BENCH-END checksum=f1d67f84, then exit with status 0 (the guest's
/init ends with `poweroff -f`), within the deadline. The guest is built first if it is missing
(make-guest.sh fetches Debian packages with apt-get; about 15 s). The bench folder is
$EMU_BENCH_DIR, or shared/bench beside the repository. Exit status 0 pass, 1 fail, 77 skip.
"""
import argparse
import os
import subprocess
import sys

from bootlib import REPO, Console, Timeout, emulator_command, skip, split_extra

EXPECTED_CHECKSUM = "f1d67f84"  # shared/bench/README.md: any other value is a miscomputation


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("emu", nargs="?", help="the emulator executable (build/emu)")
    ap.add_argument("--qemu", action="store_true", help="run qemu-system-i386 instead of EMU")
    ap.add_argument("--deadline", type=float, default=1800.0, help="seconds for the whole run")
    ap.add_argument("--extra-args", action="append", metavar="ARGS",
                    help="more emulator arguments, split like a shell (repeatable)")
    ap.add_argument("--append", default="",
                    help="more kernel parameters, e.g. emu_exit=reboot (see shared/bench/README)")
    ap.add_argument("--transcript", metavar="FILE", help="write the console output to FILE")
    args = ap.parse_args()

    bench = os.environ.get("EMU_BENCH_DIR") or os.path.join(os.path.dirname(REPO), "shared", "bench")
    make_guest = os.path.join(bench, "make-guest.sh")
    if not os.path.isfile(make_guest):
        return skip(f"no reference guest recipe at {make_guest} (set EMU_BENCH_DIR)")
    guest = os.path.join(bench, "out", "guest")
    kernel, initrd = os.path.join(guest, "vmlinuz"), os.path.join(guest, "initrd.img")
    if not (os.path.isfile(kernel) and os.path.isfile(initrd)):
        print(f"building the reference guest: {make_guest}", flush=True)
        built = subprocess.run(["bash", make_guest], stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT, text=True)
        if built.returncode != 0 or not (os.path.isfile(kernel) and os.path.isfile(initrd)):
            print(built.stdout)
            print(f"FAIL: {make_guest} failed (status {built.returncode})")
            return 1
    if not args.qemu and (not args.emu or not os.access(args.emu, os.X_OK)):
        print(f"FAIL: {args.emu!r} is not an executable emulator")
        return 1

    append = " ".join(["console=ttyS0 quiet", args.append]).strip()
    argv = emulator_command(args.emu, args.qemu) + [
        "-nographic", "-m", "256", "-kernel", kernel, "-initrd", initrd, "-append", append,
        "-no-reboot"] + split_extra(args.extra_args)
    con = Console(argv, args.deadline)
    step = "boot"
    try:
        con.expect(r"^EMU-BOOT-OK$", "EMU-BOOT-OK")
        print("ok: EMU-BOOT-OK", flush=True)
        step = "benchmark"
        con.expect(r"^BENCH-START", "BENCH-START")
        checksum = con.expect(r"^BENCH-END checksum=(\w+)", "BENCH-END").group(1).decode()
        if checksum != EXPECTED_CHECKSUM:
            con.report_failure(f"the benchmark printed checksum={checksum}, "
                               f"expected {EXPECTED_CHECKSUM}: the guest miscomputed")
            return 1
        print(f"ok: BENCH-END checksum={checksum}", flush=True)
        step = "power-off"
        status = con.wait_exit()
    except Timeout as e:
        con.report_failure(f"{step}: {e}")
        return 1
    finally:
        con.kill()
        con.save(args.transcript)
    if status != 0:
        con.report_failure(f"the emulator exited with status {status}, not 0")
        return 1
    print("ok: the emulator exited with status 0")
    print("PASS")
    return 0


if __name__ == "__main__":
    sys.exit(main())
