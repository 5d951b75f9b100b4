#!/usr/bin/env python3
"""Boots mode13h_demo (a boot sector that draws in VGA mode 13h) and compares the screen with a golden PNG.

usage: mode13h_screendump.py EMU DEMO.bin [deadline-seconds]

The demo goes into sector 0 of a 1 MiB raw disk image (a temporary file). emu runs it headless
and deterministic (-display none -icount shift=0) with the debug console in a file and the
monitor on a unix socket. Once the demo has written EMU-MODE13H-DRAWN to the debug console (it
halts for good after that), the test sends `screendump OUT.png` to the monitor and compares the
image with golden/mode13h-demo.png pixel by pixel: same size (320x200), same RGB everywhere.
Both PNGs are decoded here with zlib (8-bit RGB, as devices/vga/png.cpp writes them).

EMU_UPDATE_GOLDEN=1 writes the screendump as the new golden image instead; look at it before
committing it (mode13h_demo.asm says what it should show).
"""
import os
import shutil
import socket
import struct
import subprocess
import sys
import tempfile
import time
import zlib

HERE = os.path.dirname(os.path.abspath(__file__))
GOLDEN = os.path.join(HERE, "golden", "mode13h-demo.png")
MARKER = b"EMU-MODE13H-DRAWN"
PROMPT = b"(emu) "
DISK_BYTES = 1 << 20


def decode_png(path: str) -> tuple[int, int, bytes]:
    """(width, height, RGB bytes row by row) of an 8-bit RGB or RGBA PNG without interlace."""
    data = open(path, "rb").read()
    if data[:8] != b"\x89PNG\r\n\x1a\n":
        raise ValueError(f"{path}: not a PNG")
    pos, idat, header = 8, b"", None
    while pos + 8 <= len(data):
        length, kind = struct.unpack(">I4s", data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + length]
        crc = struct.unpack(">I", data[pos + 8 + length:pos + 12 + length])[0]
        if zlib.crc32(kind + body) != crc:
            raise ValueError(f"{path}: bad CRC in {kind!r}")
        if kind == b"IHDR":
            header = struct.unpack(">IIBBBBB", body)
        elif kind == b"IDAT":
            idat += body
        elif kind == b"IEND":
            break
        pos += 12 + length
    if header is None:
        raise ValueError(f"{path}: no IHDR")
    width, height, depth, colour, _, _, interlace = header
    if depth != 8 or colour not in (2, 6) or interlace:
        raise ValueError(f"{path}: not 8-bit RGB/RGBA without interlace")
    channels = 3 if colour == 2 else 4
    stride = width * channels
    raw = zlib.decompress(idat)
    if len(raw) != height * (stride + 1):
        raise ValueError(f"{path}: {len(raw)} bytes of image data, want {height * (stride + 1)}")
    rows, previous = [], bytearray(stride)
    for y in range(height):
        start = y * (stride + 1)
        kind, line = raw[start], bytearray(raw[start + 1:start + 1 + stride])
        for i in range(stride):  # PNG specification 9.2: the five filter types
            left = line[i - channels] if i >= channels else 0
            up = previous[i]
            corner = previous[i - channels] if i >= channels else 0
            if kind == 1:
                line[i] = (line[i] + left) & 0xFF
            elif kind == 2:
                line[i] = (line[i] + up) & 0xFF
            elif kind == 3:
                line[i] = (line[i] + (left + up) // 2) & 0xFF
            elif kind == 4:
                p = left + up - corner
                pa, pb, pc = abs(p - left), abs(p - up), abs(p - corner)
                line[i] = (line[i] + (left if pa <= pb and pa <= pc else up if pb <= pc else corner)) & 0xFF
            elif kind != 0:
                raise ValueError(f"{path}: row {y} has filter type {kind}")
        previous = line
        rows.append(bytes(line) if channels == 3 else bytes(b for i, b in enumerate(line) if i % 4 != 3))
    return width, height, b"".join(rows)


def read_until_prompt(s: socket.socket, deadline: float) -> bytes:
    data = b""
    while not data.endswith(PROMPT):
        s.settimeout(max(0.01, deadline - time.monotonic()))
        chunk = s.recv(65536)
        if not chunk:
            break
        data += chunk
    return data


def run(emu: str, demo: str, tmp: str, deadline_s: float) -> tuple[list[str], str | None]:
    """Boots the demo and takes the screendump: (problems, the PNG's path)."""
    image = os.path.join(tmp, "disk.img")
    log = os.path.join(tmp, "debugcon.txt")
    sock = os.path.join(tmp, "monitor.sock")
    out_png = os.path.join(tmp, "out.png")
    sector = open(demo, "rb").read()
    if len(sector) != 512 or sector[510:] != b"\x55\xaa":
        return [f"{demo} is not a 512-byte boot sector ending in 55AAh"], None
    with open(image, "wb") as f:
        f.write(sector + bytes(DISK_BYTES - len(sector)))
    with open(os.path.join(tmp, "emu.out"), "wb") as output:
        proc = subprocess.Popen([emu, "-display", "none", "-hda", image, "-debugcon", "file:" + log,
                                 "-monitor", f"unix:{sock},server,nowait", "-icount", "shift=0"],
                                stdin=subprocess.DEVNULL, stdout=output, stderr=subprocess.STDOUT)
    problems = []
    deadline = time.monotonic() + deadline_s
    try:
        while time.monotonic() < deadline and proc.poll() is None:
            if os.path.exists(log) and MARKER in open(log, "rb").read():
                break
            time.sleep(0.1)
        else:
            state = "exited with status %s" % proc.returncode if proc.poll() is not None else "still running"
            return [f"no {MARKER.decode()} on the debug console within {deadline_s} s (emu {state})"], None
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.connect(sock)
        read_until_prompt(s, deadline)  # the greeting
        s.sendall(f"screendump {out_png}\n".encode())
        reply = read_until_prompt(s, deadline)
        if reply.strip() != PROMPT.strip() or not os.path.exists(out_png):
            problems.append(f"screendump answered {reply!r}")
        s.sendall(b"quit\n")
        proc.wait(timeout=max(1.0, deadline - time.monotonic()))
        s.close()
    except (OSError, subprocess.TimeoutExpired) as e:
        problems.append(f"monitor: {e}")
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    return problems, None if problems else out_png


def compare(actual: str) -> list[str]:
    width, height, pixels = decode_png(actual)
    if (width, height) != (320, 200):
        return [f"the screen is {width}x{height}, want 320x200"]
    golden_width, golden_height, golden = decode_png(GOLDEN)
    if (golden_width, golden_height) != (width, height):
        return [f"the golden image is {golden_width}x{golden_height}, the screen {width}x{height}"]
    different = [i // 3 for i in range(0, len(pixels), 3) if pixels[i:i + 3] != golden[i:i + 3]]
    if not different:
        return []
    examples = ", ".join(f"({p % width},{p // width}) {pixels[3 * p:3 * p + 3].hex()} want "
                         f"{golden[3 * p:3 * p + 3].hex()}" for p in different[:5])
    return [f"{len(different)} pixels differ from {GOLDEN}: {examples}"]


def main() -> int:
    emu, demo = sys.argv[1], sys.argv[2]
    deadline = float(sys.argv[3]) if len(sys.argv) > 3 else 60.0
    with tempfile.TemporaryDirectory() as tmp:
        problems, png = run(emu, demo, tmp, deadline)
        if png and os.environ.get("EMU_UPDATE_GOLDEN"):
            os.makedirs(os.path.dirname(GOLDEN), exist_ok=True)
            shutil.copyfile(png, GOLDEN)
            print(f"wrote {GOLDEN}: look at it before committing it")
        elif png:
            problems += compare(png)
        for name in ("debugcon.txt", "emu.out"):
            path = os.path.join(tmp, name)
            if problems and os.path.exists(path):
                sys.stdout.write(f"--- {name}\n" + open(path, encoding="latin-1").read() + "\n")
    for p in problems:
        print("FAIL: " + p)
    if problems:
        return 1
    if not os.environ.get("EMU_UPDATE_GOLDEN"):
        print("PASS: the mode 13h demo's screen matches the golden image")
    return 0


if __name__ == "__main__":
    sys.exit(main())
