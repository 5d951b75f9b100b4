// The VGA's scan-out (devices/vga/vga_renderer) in the three kinds of mode — text through the
// font in plane 2, 16-colour planar, 256-colour chain-4 — checked pixel by pixel where the
// reference says what a pixel must be, and as whole images against golden PNGs in golden/
// (EMU_UPDATE_GOLDEN=1 rewrites them; look at them before committing). Also the PNG codec.
#include <doctest/doctest.h>

#include <cstdlib>
#include <string>

#include "devices/vga/png.h"
#include "devices/vga/vga_renderer.h"

using namespace emu;

namespace {

struct Screen {
  Timeline timeline;
  Vga vga{timeline};
  void out(u16 port, u8 value) { vga.port_write(port, 1, value); }
  void seq(u8 index, u8 value) { vga.port_write(0x3C4, 2, index | (value << 8)); }
  void gc(u8 index, u8 value) { vga.port_write(0x3CE, 2, index | (value << 8)); }
  void crtc(u8 index, u8 value) { vga.port_write(0x3D4, 2, index | (value << 8)); }
  void poke(u32 paddr, u8 value) { vga.mmio_write(paddr - Vga::kMemoryBase, 1, value); }
  void dac(u8 index, u8 r, u8 g, u8 b) {
    out(0x3C8, index);
    out(0x3C9, r), out(0x3C9, g), out(0x3C9, b);
  }
};

// A made-up font that shows what the renderer does with each bit: a frame around every cell
// except the top and bottom rows, the character code's bits across the middle, and box-drawing
// C4h as a full-width line (to see the ninth dot continue it).
u8 glyph_row(unsigned ch, unsigned row) {
  if (ch == 0xC4) return row == 7 ? 0xFF : 0x00;
  if (ch == ' ' || row == 0 || row == 15) return 0x00;
  if (row == 1 || row == 14) return 0x7E;
  if (row == 7 || row == 8) return static_cast<u8>(0x42 | ((ch & 0x0F) << 2));
  return 0x42;
}

// Mode 03h with the made-up font in plane 2, the way vgacon and a BIOS load one.
void text_screen(Screen& s) {
  s.vga.set_mode3_registers();
  s.seq(0, 0x01), s.seq(2, 0x04), s.seq(4, 0x07), s.seq(0, 0x03);
  s.gc(4, 0x02), s.gc(5, 0x00), s.gc(6, 0x00);
  for (unsigned ch = 0; ch < 256; ++ch)
    for (unsigned row = 0; row < 32; ++row) s.poke(0xA0000 + ch * 32 + row, row < 16 ? glyph_row(ch, row) : 0);
  s.seq(0, 0x01), s.seq(2, 0x03), s.seq(4, 0x02), s.seq(0, 0x03);
  s.gc(4, 0x00), s.gc(5, 0x10), s.gc(6, 0x0E);
  auto put = [&](unsigned column, unsigned row, u8 ch, u8 attr) {
    const u32 at = 0xB8000 + (row * 80 + column) * 2;
    s.poke(at, ch), s.poke(at + 1, attr);
  };
  const std::string hello = "emu: text through plane 2";
  for (unsigned k = 0; k < hello.size(); ++k) put(k, 0, static_cast<u8>(hello[k]), 0x1F);  // white on blue
  for (unsigned k = 0; k < 12; ++k) put(k, 1, 0xC4, 0x07);                                 // a joined line
  put(0, 2, 'B', 0x8E);                                                                    // blinking yellow on black
  for (unsigned c = 0; c < 16; ++c) put(c, 4, 'X', static_cast<u8>(c << 4 | (15 - c)));    // every colour
  put(0, 3, ' ', 0x07);
  s.crtc(0x0E, 0x00), s.crtc(0x0F, 80 * 3);  // the cursor at row 3, column 0
}

void compare_with_golden(const VgaFrame& frame, const std::string& name) {
  const std::string path = std::string(EMU_TEST_SOURCE_DIR) + "/devices/golden/" + name;
  std::string error;
  if (std::getenv("EMU_UPDATE_GOLDEN")) REQUIRE(write_png_file(path, frame, error));
  const auto golden = read_png_file(path, error);
  INFO(error);
  REQUIRE(golden);
  CHECK(golden->width == frame.width);
  CHECK(golden->height == frame.height);
  CHECK((*golden == frame));
}

}  // namespace

TEST_CASE("vga render: mode 03h is 720x400 of 9x16 cells in the attribute's colours") {
  Screen s;
  text_screen(s);
  const VgaFrame frame = VgaRenderer::render(s.vga);
  REQUIRE(frame.width == 720);
  REQUIRE(frame.height == 400);
  // 'e' at the top left: row 1 of its glyph is 7Eh, white (EGA 3Fh) on blue (EGA 01h: 0000AAh).
  CHECK(frame.pixel(0, 1) == 0x0000AA);
  CHECK(frame.pixel(1, 1) == 0xFFFFFF);
  CHECK(frame.pixel(6, 1) == 0xFFFFFF);
  CHECK(frame.pixel(7, 1) == 0x0000AA);
  CHECK(frame.pixel(8, 1) == 0x0000AA);  // the ninth dot: background for letters
  // C4h's line continues through the ninth dot (AR10 line graphics), so the cells join.
  CHECK(frame.pixel(8, 16 + 7) == 0xAAAAAA);
  CHECK(frame.pixel(9, 16 + 7) == 0xAAAAAA);
  // Attribute 8Eh blinks: yellow (FFFF55h) in the on phase, background when off.
  CHECK(frame.pixel(1, 32 + 1) == 0xFFFF55);
  CHECK(VgaRenderer::render(s.vga, false).pixel(1, 32 + 1) == 0x000000);
  // The cursor (CR0A/0B: lines 13-14) at row 3 in the foreground colour, only while blinking on.
  CHECK(frame.pixel(4, 48 + 13) == 0xAAAAAA);
  CHECK(frame.pixel(4, 48 + 12) == 0x000000);
  CHECK(VgaRenderer::render(s.vga, false).pixel(4, 48 + 13) == 0x000000);
  compare_with_golden(frame, "vga-text-mode03.png");
}

TEST_CASE("vga render: mode 13h is 320x200, one DAC index per byte at A0000") {
  Screen s;
  s.vga.program_mode(kVgaMode13hRegisters);
  s.dac(15, 63, 63, 63);  // white, as the BIOS's 256-colour palette has it
  // A colour ramp in DAC entries 64-127 and a pattern that uses it: diagonal bands and a frame.
  for (unsigned k = 0; k < 64; ++k) s.dac(static_cast<u8>(64 + k), static_cast<u8>(k), static_cast<u8>(63 - k), 32);
  for (unsigned y = 0; y < 200; ++y)
    for (unsigned x = 0; x < 320; ++x) {
      const bool edge = x == 0 || y == 0 || x == 319 || y == 199;
      s.poke(0xA0000 + y * 320 + x, edge ? 15 : static_cast<u8>(64 + ((x + y) / 8) % 64));
    }
  const VgaFrame frame = VgaRenderer::render(s.vga);
  REQUIRE(frame.width == 320);
  REQUIRE(frame.height == 200);
  CHECK(frame.pixel(0, 0) == 0xFFFFFF);  // EGA white in entry 15
  CHECK(frame.pixel(319, 199) == 0xFFFFFF);
  CHECK(frame.pixel(1, 1) == 0x00FF82);  // entry 64: (0, 63, 32)
  CHECK(frame.pixel(9, 7) == 0x08F782);  // (9+7)/8 = 2 → entry 66: (2, 61, 32), 6 bits widened to 8
  compare_with_golden(frame, "vga-mode13h.png");
}

TEST_CASE("vga render: mode 12h is 640x480 in 16 colours from the four planes") {
  Screen s;
  s.vga.program_mode(kVgaMode12hRegisters);
  // Write mode 2: each CPU byte's low nibble is the colour of the 8 pixels the bit mask allows.
  s.gc(5, 0x02);
  for (unsigned y = 0; y < 480; ++y)
    for (unsigned byte = 0; byte < 80; ++byte) {
      const u32 at = 0xA0000 + y * 80 + byte;
      s.gc(8, 0xFF);
      s.vga.mmio_read(at - Vga::kMemoryBase, 1);  // load the latches
      s.poke(at, static_cast<u8>((byte / 5 + y / 30) & 15));
    }
  const VgaFrame frame = VgaRenderer::render(s.vga);
  REQUIRE(frame.width == 640);
  REQUIRE(frame.height == 480);
  CHECK(frame.pixel(0, 0) == 0x000000);       // colour 0
  CHECK(frame.pixel(40, 0) == 0x0000AA);      // byte 5: colour 1, blue
  CHECK(frame.pixel(0, 30) == 0x0000AA);      // row 30: colour 1
  CHECK(frame.pixel(40 * 6, 0) == 0xAA5500);  // byte 30: colour 6, brown (AR06 = 14h)
  compare_with_golden(frame, "vga-mode12h.png");
}

TEST_CASE("vga render: PNG round trip, and bad PNGs refused with a reason") {
  VgaFrame frame{3, 2, {0x102030, 0x405060, 0x708090, 0xA0B0C0, 0xD0E0F0, 0x010203}};
  const std::vector<u8> png = encode_png(frame);
  std::string error;
  const auto back = decode_png(png, error);
  REQUIRE(back);
  CHECK((*back == frame));
  std::vector<u8> broken = png;
  broken[20] ^= 1;  // inside IHDR: its CRC no longer matches
  CHECK_FALSE(decode_png(broken, error));
  CHECK(error.find("bad CRC") != std::string::npos);
  CHECK_FALSE(decode_png(std::vector<u8>(png.begin(), png.begin() + 40), error));
  CHECK_FALSE(decode_png(std::vector<u8>{1, 2, 3}, error));
  CHECK(error == "not a PNG file");
}
