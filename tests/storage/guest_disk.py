#!/usr/bin/env python3
"""The default Debian guest uses an IDE disk through Linux's ata_piix, in DMA, and what it writes
reaches the host image (issue 4's first acceptance items).

usage: guest_disk.py EMU [--overlay] [--deadline S] [--emu-img EMU_IMG]

An ext2 filesystem made on the host with `mke2fs -d` (holding hello.txt) is the guest's
/dev/sda. The guest (the default guest's unattended mode, emu_cmd=) mounts it, reads hello.txt,
prints the transfer mode Linux chose (a DMA mode in /sys/class/ata_device/*/xfer_mode), writes a
~10 MiB file of known contents, syncs, unmounts and powers off; meanwhile the monitor socket's
`info block` must show bus-master transfers. On the host, `debugfs` reads the file back from the image and its sha256 must
be the one the test computed.

--overlay: the guest's disk is a qcow2 overlay (made by emu-img, backing file the raw ext2
image). Then also: the base image is byte-for-byte unchanged, `qemu-img check` finds no errors
in the overlay, the file is read back through `qemu-img convert` of the overlay — and the same
session run under `-icount shift=0` against a raw copy of the base yields an image that
`qemu-img compare` finds identical to the overlay written under `-icount shift=0` too.
"""
import argparse
import hashlib
import os
import re
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "boot"))
import bootlib  # noqa: E402

HELLO = "EMU-DISK-FILE hello from an ext2 filesystem on the IDE disk"
BIG_LINES = 1_400_000  # `seq 1 1400000` is 9.9 MB


def expected_big() -> str:
    data = "".join(f"{k}\n" for k in range(1, BIG_LINES + 1)).encode()
    return hashlib.sha256(data).hexdigest()


def make_ext2(path: str, tmp: str) -> None:
    root = os.path.join(tmp, "ext2root")
    os.makedirs(root, exist_ok=True)
    with open(os.path.join(root, "hello.txt"), "w") as f:
        f.write(HELLO + "\n")
    # A fixed UUID and hash seed, and no timestamps from the host, so two images are equal.
    env = dict(os.environ, E2FSPROGS_FAKE_TIME="1700000000")
    subprocess.run(["mke2fs", "-q", "-F", "-t", "ext2", "-b", "1024", "-U", "12345678-1234-1234-1234-123456789abc",
                    "-E", "hash_seed=12345678-1234-1234-1234-123456789abc", "-d", root, path, "32M"],
                   check=True, env=env, capture_output=True)


# What the guest runs (the default guest's unattended mode, emu_cmd=): wait for the disk, mount
# it, read hello.txt, say which transfer mode Linux chose, write the big file, sync, print its
# sha256, unmount. The markers let the test read each answer.
GUEST_COMMANDS = (
    "i=0; while [ ! -b /dev/sda ] && [ $i -lt 200 ]; do sleep 0.1; i=$((i+1)); done; "
    "mount -t ext2 /dev/sda /mnt && cat /mnt/hello.txt; "
    "echo XFER $(cat /sys/class/ata_device/*/xfer_mode); dmesg | grep 'configured for'; "
    f"seq 1 {BIG_LINES} > /mnt/big && sync && echo SHA $(sha256sum /mnt/big); "
    "umount /mnt && sync && echo EMU-DISK-DONE; sleep 3"
)


def session(emu: str, drive: list[str], extra: list[str], deadline: float, transcript: str | None,
            monitor: str | None) -> dict:
    guest = bootlib.default_guest()
    argv = [emu, "-nographic", "-m", "256", "-kernel", guest["EMU_GUEST_KERNEL"], "-initrd",
            guest["EMU_GUEST_INITRD"], "-append", f'console=ttyS0 emu_cmd="{GUEST_COMMANDS}"'] + drive + extra
    if monitor:
        argv += ["-monitor", f"unix:{monitor},server,nowait"]
    con = bootlib.Console(argv, deadline)
    found = {}
    try:
        con.expect(r"^EMU-DISK-DONE$", "the guest's EMU-DISK-DONE marker")
        found["output"] = con.text()
        if monitor:
            # `info block` on the monitor socket while the guest still runs.
            found["info_block"] = bootlib.monitor_command(monitor, "info block")
        found["status"] = con.wait_exit()
    except (bootlib.Timeout, OSError) as e:
        con.report_failure(str(e))
        found["error"] = str(e)
    finally:
        con.save(transcript)
        con.kill()
    return found


def judge(found: dict, want_sha: str, check_monitor: bool) -> list[str]:
    if "error" in found:
        return [found["error"]]
    problems = []
    out = found.get("output", "")
    if HELLO not in out:
        problems.append("the guest did not read hello.txt")
    m = re.search(r"^XFER (.*)$", out, re.MULTILINE)
    if not m or not re.search(r"(UDMA|MW_?DMA)", m.group(1)):
        problems.append(f"the disk is not in a DMA mode: {m.group(1) if m else 'no XFER line'!r}")
    if f"SHA {want_sha}" not in out:
        problems.append(f"the guest's sha256 of /mnt/big is not {want_sha}")
    if check_monitor:
        m = re.search(r"bus-master transfers: (\d+)", found.get("info_block", ""))
        if not m or int(m.group(1)) == 0:
            problems.append(f"info block shows no bus-master transfers: {found.get('info_block')!r}")
        else:
            print(f"ok info block: {m.group(1)} bus-master transfers")
    if found.get("status") != 0:
        problems.append(f"emu exited with status {found.get('status')} after poweroff -f")
    return problems


def host_file_sha(image: str, tmp: str) -> str:
    out = os.path.join(tmp, "big.out")
    if os.path.exists(out):
        os.remove(out)
    subprocess.run(["debugfs", "-R", f"dump /big {out}", image], check=True, capture_output=True)
    return hashlib.sha256(open(out, "rb").read()).hexdigest() if os.path.exists(out) else "(no file)"


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("emu")
    ap.add_argument("--overlay", action="store_true")
    ap.add_argument("--emu-img")
    ap.add_argument("--deadline", type=float, default=900)
    ap.add_argument("--transcript")
    args = ap.parse_args()
    guest = bootlib.default_guest()
    if not os.path.exists(guest["EMU_GUEST_KERNEL"]):
        return bootlib.skip("the default guest is not built (images/guests/build-default.sh)")
    for tool in ("mke2fs", "debugfs") + (("qemu-img",) if args.overlay else ()):
        if not shutil.which(tool):
            return bootlib.skip(f"{tool} is not installed (tools/setup.sh installs it)")
    want = expected_big()
    problems = []
    with tempfile.TemporaryDirectory() as tmp:
        base = os.path.join(tmp, "base.img")
        make_ext2(base, tmp)
        if not args.overlay:
            found = session(args.emu, ["-drive", f"file={base},format=raw"], [], args.deadline, args.transcript,
                            os.path.join(tmp, "monitor.sock"))
            problems += judge(found, want, True)
            got = host_file_sha(base, tmp)
            if got != want:
                problems.append(f"debugfs reads /big from the host image with sha256 {got}, want {want}")
        else:
            emu_img = args.emu_img or os.path.join(os.path.dirname(os.path.abspath(args.emu)), "emu-img")
            base_sha = hashlib.sha256(open(base, "rb").read()).hexdigest()
            overlay = os.path.join(tmp, "overlay.qcow2")
            subprocess.run([emu_img, "create", "-f", "qcow2", "-b", base, "-F", "raw", overlay], check=True)
            det = ["-icount", "shift=0", "-rtc", "base=2020-01-01"]
            found = session(args.emu, ["-drive", f"file={overlay},format=qcow2"], det, args.deadline,
                            args.transcript, None)
            problems += judge(found, want, False)
            if hashlib.sha256(open(base, "rb").read()).hexdigest() != base_sha:
                problems.append("the base image changed under its qcow2 overlay")
            check = subprocess.run(["qemu-img", "check", overlay], capture_output=True, text=True)
            if check.returncode != 0:
                problems.append(f"qemu-img check of the overlay: status {check.returncode}: {check.stdout}")
            flat = os.path.join(tmp, "flat.img")
            subprocess.run(["qemu-img", "convert", "-O", "raw", overlay, flat], check=True)
            got = host_file_sha(flat, tmp)
            if got != want:
                problems.append(f"debugfs reads /big through the overlay with sha256 {got}, want {want}")
            # The same session, deterministic, on a raw copy of the base.
            copy = os.path.join(tmp, "copy.img")
            shutil.copyfile(base, copy)
            again = session(args.emu, ["-drive", f"file={copy},format=raw"], det, args.deadline, None, None)
            problems += [f"raw copy run: {p}" for p in judge(again, want, False)]
            compare = subprocess.run(["qemu-img", "compare", "-f", "qcow2", "-F", "raw", overlay, copy],
                                     capture_output=True, text=True)
            if compare.returncode != 0:
                problems.append(f"qemu-img compare overlay vs raw copy: {compare.stdout.strip()}")
            else:
                print("ok qemu-img compare: the overlay and the raw copy are identical")
    return bootlib.report(problems, "ok the guest read and wrote the IDE disk in DMA; the host image has the file")


if __name__ == "__main__":
    sys.exit(main())
