#!/usr/bin/env python3
"""Builds the BIOS's 8x16 ROM font from Debian's Terminus console fonts.

usage: make_font.py OUTPUT [FONT_DIR=/usr/share/consolefonts]

Writes 4096 bytes: 256 glyphs of 16 bytes (one byte a scan line, bit 7 the leftmost pixel) in
IBM code page 437 order, the layout int 10h AX=1130h hands out and the VGA's plane 2 holds.
The glyphs come from Terminus Font (SIL Open Font License 1.1) as the `console-setup-linux`
package ships it: PSF1 files whose Unicode table says which code points each glyph draws.
Each CP437 character is looked up in Uni2-Terminus16.psf.gz first, then in the other
*-Terminus16.psf.gz files (Uni2 lacks a few of the 01h-1Fh symbols and the double-line box
drawing characters). A glyph's Unicode list starts with the character it was drawn for and goes
on with stand-ins (Uni2 lists ═ under ─ and ▶ under →), so a glyph drawn for the character is
preferred in every file before a stand-in in any.

PSF1 (kbd's psffontio / Linux Documentation/fb/fbcon): magic 36 04, a mode byte (bit 0: 512
glyphs, bit 1: a Unicode table follows the glyphs), the glyph height; then the glyphs; then per
glyph little-endian u16 code points ended by FFFF, where FFFE starts combining sequences that
are not single characters (skipped here).
"""
import glob
import gzip
import os
import sys

PACKAGE = "console-setup-linux"
HEIGHT = 16
PRIMARY = "Uni2-Terminus16.psf.gz"

# 00h is blank; 01h-1Fh and 7Fh are the IBM PC's graphic symbols, which Python's cp437 codec
# maps to control characters (the Unicode mapping of the glyphs: Unicode's "IBM PC" notes).
LOW_SYMBOLS = "☺☻♥♦♣♠•◘○◙♂♀♪♫☼►◄↕‼¶§▬↨↑↓→←∟↔▲▼"
# Characters some fonts draw under a neighbouring code point.
ALTERNATES = {"►": "►▶", "◄": "◄◀"}


def cp437_characters() -> list[str | None]:
    chars: list[str | None] = [None]  # 00h: blank
    chars += list(LOW_SYMBOLS)
    chars += [chr(c) for c in range(0x20, 0x7F)]
    chars.append("⌂")
    chars += list(bytes(range(0x80, 0x100)).decode("cp437"))
    assert len(chars) == 256
    return chars


def read_psf1(path: str) -> tuple[dict[int, bytes], dict[int, bytes]]:
    """Returns ({code point: the glyph drawn for it}, {code point: a glyph standing in for it})
    from a PSF1 file with a Unicode table."""
    data = gzip.open(path, "rb").read()
    if len(data) < 4 or data[0:2] != b"\x36\x04":
        raise ValueError(f"{path}: not a PSF1 font")
    mode, height = data[2], data[3]
    if height != HEIGHT:
        raise ValueError(f"{path}: glyphs are {height} lines high, want {HEIGHT}")
    count = 512 if mode & 1 else 256
    glyphs_end = 4 + count * height
    if not mode & 2:
        raise ValueError(f"{path}: no Unicode table")
    own: dict[int, bytes] = {}
    stand_in: dict[int, bytes] = {}
    pos = glyphs_end
    for glyph in range(count):
        bitmap = data[4 + glyph * height : 4 + (glyph + 1) * height]
        first = True
        in_sequence = False
        while True:
            if pos + 2 > len(data):
                raise ValueError(f"{path}: Unicode table ends early")
            code = data[pos] | data[pos + 1] << 8
            pos += 2
            if code == 0xFFFF:
                break
            if code == 0xFFFE:
                in_sequence = True
            elif not in_sequence:
                (own if first else stand_in).setdefault(code, bitmap)
                first = False
    return own, stand_in


def main() -> int:
    if len(sys.argv) not in (2, 3):
        print(__doc__, file=sys.stderr)
        return 2
    output = sys.argv[1]
    font_dir = sys.argv[2] if len(sys.argv) == 3 else "/usr/share/consolefonts"
    primary = os.path.join(font_dir, PRIMARY)
    if not os.path.isfile(primary):
        print(f"make_font.py: {primary} not found: install the Debian package {PACKAGE}",
              file=sys.stderr)
        return 1
    others = sorted(p for p in glob.glob(os.path.join(font_dir, "*-Terminus16.psf.gz"))
                    if p != primary)
    try:
        fonts = [read_psf1(p) for p in [primary] + others]
    except (OSError, ValueError) as e:
        print(f"make_font.py: {e} (from the Debian package {PACKAGE})", file=sys.stderr)
        return 1

    tables = [own for own, _ in fonts] + [stand_in for _, stand_in in fonts]
    font = bytearray()
    missing = []
    for index, char in enumerate(cp437_characters()):
        if char is None:
            font += bytes(HEIGHT)
            continue
        glyph = next((t[ord(c)] for t in tables for c in ALTERNATES.get(char, char)
                      if ord(c) in t), None)
        if glyph is None:
            missing.append(f"{index:02X}h U+{ord(char):04X}")
            glyph = bytes(HEIGHT)
        font += glyph
    if missing:
        print(f"make_font.py: no glyph for {', '.join(missing)} in {font_dir}/*-Terminus16.psf.gz:"
              f" install the Debian package {PACKAGE}", file=sys.stderr)
        return 1
    assert len(font) == 256 * HEIGHT
    with open(output, "wb") as f:
        f.write(font)
    return 0


if __name__ == "__main__":
    sys.exit(main())
