#!/usr/bin/env python3
"""emu's block layer against qemu-img, the reference nobody here wrote (issue 4's image items).

usage: qemu_interop.py EMU_IMG IMAGE_WRITER EMU

1. Images qemu-img made — qcow2 plain, compressed, with a raw backing file; VMDK
   streamOptimized, monolithicSparse, monolithicFlat — read back through emu-img identically.
2. Images emu-img made — create, convert, convert -c, backing files, resize, commit, rebase —
   pass `qemu-img check` and `qemu-img compare`.
3. Random writes through emu's qcow2 driver (64 KiB and 512-byte clusters, compat 0.10 and 1.1,
   lazy refcounts, over a backing file) give the same disk as the same writes on raw.
4. Crash consistency: the writer is killed with SIGKILL mid-way, repeatedly; afterwards both
   checkers find no corruption (leaks allowed), and after `emu-img check -r all` none at all.
5. Locking: a second emu opening an image another emu writes is refused with a clear message.
6. Bad images (truncated, absurd table sizes, backing loops, an unknown incompatible feature
   bit) get a one-line error, exit 1.
"""
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import time

problems: list[str] = []


def run(*argv, check=True, **kw) -> subprocess.CompletedProcess:
    r = subprocess.run([str(a) for a in argv], capture_output=True, text=True, **kw)
    if check and r.returncode != 0:
        problems.append(f"{' '.join(map(str, argv))}: status {r.returncode}: {r.stderr.strip() or r.stdout.strip()}")
    return r


def ok(what: str) -> None:
    print("ok", what)


def same(a: str, b: str, what: str) -> None:
    if open(a, "rb").read() == open(b, "rb").read():
        ok(what)
    else:
        problems.append(f"{what}: contents differ")


def qemu_clean(image: str, what: str) -> None:
    r = run("qemu-img", "check", image, check=False)
    if r.returncode == 0:
        ok(f"qemu-img check: {what}")
    else:
        problems.append(f"qemu-img check {what}: status {r.returncode}: {r.stdout.strip()} {r.stderr.strip()}")


def main() -> int:
    emu_img, writer, emu = (os.path.abspath(a) for a in sys.argv[1:4])
    if not shutil.which("qemu-img"):
        print("SKIP: qemu-img is not installed (tools/setup.sh installs qemu-utils)")
        return 77
    rng = random.Random(4)
    with tempfile.TemporaryDirectory() as tmp:
        os.chdir(tmp)
        # A 32 MiB disk: random data, compressible text, and holes.
        data = bytearray(32 << 20)
        for k in range(0, len(data), 65536):
            kind = rng.random()
            if kind < 0.3:
                data[k:k + 65536] = rng.randbytes(65536)
            elif kind < 0.6:
                data[k:k + 65536] = (b"compressible line %08d\n" % k * 3000)[:65536]
        open("base.raw", "wb").write(data)

        # 1. qemu-img's images read by emu-img.
        for name, args in [("qcow2", []), ("qcow2 compressed", ["-c"])]:
            run("qemu-img", "convert", *args, "-O", "qcow2", "base.raw", "q.qcow2")
            run(emu_img, "convert", "-O", "raw", "q.qcow2", "back.raw")
            same("base.raw", "back.raw", f"qemu-img's {name} reads back identically")
        run("qemu-img", "create", "-q", "-f", "qcow2", "-b", "base.raw", "-F", "raw", "ov.qcow2")
        run("qemu-io", "-c", "write -P 0x5a 1M 3M", "-c", "write -P 0x11 20M 64k", "ov.qcow2")
        run("qemu-img", "convert", "-O", "raw", "ov.qcow2", "want.raw")
        run(emu_img, "convert", "-O", "raw", "ov.qcow2", "back.raw")
        same("want.raw", "back.raw", "qemu-img's qcow2 overlay over raw reads back identically")
        for sub in ("streamOptimized", "monolithicSparse", "monolithicFlat"):
            run("qemu-img", "convert", "-O", "vmdk", "-o", f"subformat={sub}", "base.raw", f"{sub}.vmdk")
            run(emu_img, "convert", f"{sub}.vmdk", "back.raw")
            same("base.raw", "back.raw", f"VMDK {sub} reads back identically")

        # 2. emu-img's images checked by qemu-img.
        run(emu_img, "convert", "-O", "qcow2", "base.raw", "e.qcow2")
        qemu_clean("e.qcow2", "convert -O qcow2")
        if run("qemu-img", "compare", "base.raw", "e.qcow2", check=False).returncode == 0:
            ok("qemu-img compare: convert -O qcow2")
        else:
            problems.append("convert -O qcow2 differs from its source")
        run(emu_img, "convert", "-c", "-p", "-O", "qcow2", "base.raw", "ec.qcow2")
        qemu_clean("ec.qcow2", "convert -c")
        if run("qemu-img", "compare", "base.raw", "ec.qcow2", check=False).returncode == 0:
            ok("qemu-img compare: convert -c")
        if os.path.getsize("ec.qcow2") >= os.path.getsize("e.qcow2"):
            problems.append("convert -c did not make the image smaller")
        run(emu_img, "create", "-f", "qcow2", "-b", "base.raw", "-F", "raw", "eo.qcow2")
        run(writer, "eo.qcow2", "qcow2", 7, 300)
        shutil.copyfile("base.raw", "mirror.raw")
        run(writer, "mirror.raw", "raw", 7, 300)
        qemu_clean("eo.qcow2", "random writes over a backing file")
        if run("qemu-img", "compare", "-f", "raw", "-F", "qcow2", "mirror.raw", "eo.qcow2", check=False).returncode == 0:
            ok("random writes over a backing file match the same writes on raw")
        else:
            problems.append("random writes over a backing file differ from raw")
        before = open("base.raw", "rb").read()
        run(emu_img, "commit", "eo.qcow2")
        same("mirror.raw", "base.raw", "commit writes the overlay into its backing file")
        open("base.raw", "wb").write(before)
        run(emu_img, "resize", "e.qcow2", "+16M")
        qemu_clean("e.qcow2", "resize +16M")
        info = run("qemu-img", "info", "e.qcow2").stdout
        if "48 MiB" in info:
            ok("resize: qemu-img sees 48 MiB")
        else:
            problems.append(f"resize: qemu-img info says {info!r}")
        # Rebase onto a different base: the guest-visible disk must not change.
        data2 = bytearray(data)
        data2[0:1 << 20] = b"\x77" * (1 << 20)
        open("base2.raw", "wb").write(data2)
        run(emu_img, "create", "-f", "qcow2", "-b", "base.raw", "-F", "raw", "rb.qcow2")
        run(writer, "rb.qcow2", "qcow2", 9, 50)
        run("qemu-img", "convert", "-O", "raw", "rb.qcow2", "rb_before.raw")
        run(emu_img, "rebase", "-b", "base2.raw", "-F", "raw", "rb.qcow2")
        run("qemu-img", "convert", "-O", "raw", "rb.qcow2", "rb_after.raw")
        same("rb_before.raw", "rb_after.raw", "rebase keeps the guest's disk")
        qemu_clean("rb.qcow2", "rebase")

        # 3. Random writes in every flavour, against raw.
        for opts in ["cluster_size=512", "compat=0.10", "lazy_refcounts=on", "cluster_size=4096"]:
            run(emu_img, "create", "-f", "qcow2", "-o", opts, "w.qcow2", "32M")
            run(writer, "w.qcow2", "qcow2", 11, 400, 65536)
            open("mirror.raw", "wb").write(bytes(32 << 20))
            run(writer, "mirror.raw", "raw", 11, 400, 65536)
            qemu_clean("w.qcow2", f"random writes, {opts}")
            if run("qemu-img", "compare", "mirror.raw", "w.qcow2", check=False).returncode == 0:
                ok(f"random writes, {opts}: same disk as raw")
            else:
                problems.append(f"random writes, {opts}: differs from raw")
            c = run(emu_img, "check", "w.qcow2", check=False)
            if c.returncode != 0:
                problems.append(f"emu-img check after random writes, {opts}: {c.returncode}: {c.stdout}{c.stderr}")

        # 4. Crash consistency.
        for attempt in range(6):
            run(emu_img, "create", "-f", "qcow2", "-o", "cluster_size=4096", "crash.qcow2", "32M")
            p = subprocess.Popen([writer, "crash.qcow2", "qcow2", str(100 + attempt), "100000", "65536"])
            time.sleep(0.05 + 0.1 * attempt)
            p.send_signal(signal.SIGKILL)
            p.wait()
            for checker in (["qemu-img", "check", "crash.qcow2"], [emu_img, "check", "crash.qcow2"]):
                r = run(*checker, check=False)
                if r.returncode not in (0, 3):
                    problems.append(f"after SIGKILL #{attempt}: {' '.join(checker)}: status {r.returncode}: {r.stdout}{r.stderr}")
            r = run(emu_img, "check", "-r", "all", "crash.qcow2", check=False)
            if r.returncode != 0:
                problems.append(f"after SIGKILL #{attempt}: check -r all left status {r.returncode}: {r.stdout}")
            qemu_clean("crash.qcow2", f"after SIGKILL #{attempt} and check -r all")

        # 5. Two writers.
        run(emu_img, "create", "-f", "qcow2", "locked.qcow2", "16M")
        first = subprocess.Popen([emu, "-display", "none", "-serial", "null", "-S", "-monitor", "none",
                                  "-drive", "file=locked.qcow2,format=qcow2"], stdout=subprocess.DEVNULL,
                                 stderr=subprocess.PIPE)
        time.sleep(1.0)
        second = run(emu, "-display", "none", "-serial", "null", "-drive", "file=locked.qcow2,format=qcow2",
                     check=False, timeout=20)
        first.kill()
        first.wait()
        if second.returncode != 0 and "lock" in second.stderr and "locked.qcow2" in second.stderr:
            ok("a second emu writing the same image is refused: " + second.stderr.strip().splitlines()[-1])
        else:
            problems.append(f"a second writer was not refused clearly: {second.returncode} {second.stderr!r}")

        # 6. Bad images.
        open("short.qcow2", "wb").write(open("e.qcow2", "rb").read()[:50])
        bad_l1 = bytearray(open("e.qcow2", "rb").read()[:65536 * 4])
        bad_l1[36:40] = (0x7FFFFFFF).to_bytes(4, "big")
        open("badl1.qcow2", "wb").write(bad_l1)
        run(emu_img, "create", "-f", "qcow2", "loop_b.qcow2", "1M")
        run(emu_img, "create", "-f", "qcow2", "-b", "loop_b.qcow2", "-F", "qcow2", "loop.qcow2")
        run(emu_img, "rebase", "-u", "-b", "loop.qcow2", "-F", "qcow2", "loop_b.qcow2")
        feature = bytearray(open("e.qcow2", "rb").read())
        feature[72:80] = (1 << 5).to_bytes(8, "big")  # an incompatible feature bit emu does not know
        open("feature.qcow2", "wb").write(feature)
        for name in ("short.qcow2", "badl1.qcow2", "loop.qcow2", "feature.qcow2"):
            r = run(emu_img, "info", name, check=False)
            if r.returncode == 1 and r.stderr.strip() and len(r.stderr.strip().splitlines()) == 1:
                ok(f"bad image {name}: {r.stderr.strip()}")
            else:
                problems.append(f"bad image {name}: status {r.returncode}, stderr {r.stderr!r}")
    for p in problems:
        print("PROBLEM:", p)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
