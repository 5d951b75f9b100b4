#!/usr/bin/env python3
"""The reference guest (../shared/bench/make-guest.sh --with-modules --disk) mounts its ext2 disk
through ata_piix and reads the file on it, booted with emu_disk=1 (issue 4's first acceptance
item, in the reference guest's own words: EMU-DISK-OK and the EMU-DISK-FILE line).

usage: reference_guest_disk.py EMU [--deadline S]

The guest is built (or found up to date) in the cache outside git, $EMU_CACHE/reference-guest.
"""
import argparse
import os
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "boot"))
import bootlib  # noqa: E402

MAKE_GUEST = os.path.join(bootlib.REPO, "..", "shared", "bench", "make-guest.sh")


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("emu")
    ap.add_argument("--deadline", type=float, default=400)
    args = ap.parse_args()
    if not os.path.exists(MAKE_GUEST):
        return bootlib.skip("../shared/bench/make-guest.sh is not beside the checkout")
    cache = os.path.join(os.path.dirname(bootlib.default_guest()["EMU_GUEST_DIR"]), "..", "reference-guest")
    cache = os.path.normpath(cache)
    os.makedirs(cache, exist_ok=True)
    build = subprocess.run(["bash", MAKE_GUEST, "--with-modules", "--disk", cache], capture_output=True, text=True)
    if build.returncode != 0:
        print(build.stdout[-2000:], build.stderr[-2000:])
        return 1
    with tempfile.TemporaryDirectory() as tmp:
        disk = os.path.join(tmp, "disk-ext2.img")
        shutil.copyfile(os.path.join(cache, "disk-ext2.img"), disk)
        argv = [args.emu, "-nographic", "-m", "256", "-kernel", os.path.join(cache, "vmlinuz"), "-initrd",
                os.path.join(cache, "initrd-modules.img"), "-append",
                "console=ttyS0 quiet emu_disk=1 emu_bench=0", "-drive", f"file={disk},format=raw"]
        con = bootlib.Console(argv, args.deadline)
        try:
            con.expect(r"^EMU-DISK-OK .*$", "EMU-DISK-OK")
            line = con.expect(r"^EMU-DISK-FILE .*$", "the file's line").group(0).decode()
            status = con.wait_exit()
        except bootlib.Timeout as e:
            con.report_failure(str(e))
            return 1
        finally:
            con.kill()
    if status != 0:
        print(f"FAIL: emu exited with status {status}")
        return 1
    print(f"ok the reference guest read its IDE disk: {line}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
