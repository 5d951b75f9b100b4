// The BIOS's ROM font on the whole PC: POST sets mode 03h, and the mode set copies the 8x16
// font (devices/vga/make_font.py, built into bios.bin) into plane 2, 32 bytes a character,
// where the VGA's character generator reads it. Runs emu's own BIOS on the interpreter until
// it halts with nothing to boot.
#include <doctest/doctest.h>

#include <vector>

#include "devices/pc/pc_machine.h"
#include "posted_pc.h"

using namespace emu;

TEST_CASE("vga font: POST loads the ROM's 8x16 font into plane 2") {
  test::PostedPc pc;
  REQUIRE(pc.result.outcome == PcMachine::Outcome::Quit);
  PcMachine& machine = pc.machine;

  // Plane 2, block 0: 256 slots of 32 bytes, the glyph in the first 16.
  std::vector<u8> glyphs;
  for (unsigned ch = 0; ch < 256; ++ch)
    for (unsigned row = 0; row < 16; ++row) glyphs.push_back(machine.vga().plane_byte(2, ch * 32 + row));
  auto glyph = [&](unsigned ch) { return std::vector<u8>(glyphs.begin() + ch * 16, glyphs.begin() + ch * 16 + 16); };
  CHECK(glyph(0x00) == std::vector<u8>(16, 0));  // NUL and space are blank
  CHECK(glyph(0x20) == std::vector<u8>(16, 0));
  CHECK(glyph('A') != std::vector<u8>(16, 0));
  CHECK(glyph('A') != glyph('B'));
  CHECK(glyph(0xDB) == std::vector<u8>(16, 0xFF));  // CP437 full block
  CHECK(glyph(0xCD) != glyph(0xC4));                // ═ is not ─: the double-line glyphs are there
  for (unsigned ch = 0; ch < 256; ++ch)
    for (unsigned row = 16; row < 32; ++row) REQUIRE(machine.vga().plane_byte(2, ch * 32 + row) == 0);

  // The same 4 KiB sit in the ROM (F0000-FFFFF) on a 16-byte boundary: int 10h AX=1130h BH=06h
  // hands that address out.
  bool in_rom = false;
  for (u32 at = 0xF0000; at + glyphs.size() <= 0x100000 && !in_rom; at += 16) {
    std::size_t k = 0;
    while (k < glyphs.size() && machine.bus().read(at + static_cast<u32>(k), 1) == glyphs[k]) ++k;
    in_rom = k == glyphs.size();
  }
  CHECK(in_rom);
}
