// The VGA's registers and memory paths against the IBM VGA reference, including the sequences
// the BIOS (mode 03h) and Linux's vgacon (font load through plane 2) use.
#include "devices/vga/vga.h"

#include <doctest/doctest.h>

#include <vector>

#include "core/serializer.h"

using namespace emu;

namespace {

struct Bench {
  Timeline timeline;
  Vga vga{timeline};
  void out(u16 port, u8 value) { vga.port_write(port, 1, value); }
  u8 in(u16 port) { return static_cast<u8>(vga.port_read(port, 1)); }
  void seq(u8 index, u8 value) { vga.port_write(0x3C4, 2, index | (value << 8)); }  // word OUT
  void gc(u8 index, u8 value) { vga.port_write(0x3CE, 2, index | (value << 8)); }
  void crtc(u8 index, u8 value) { vga.port_write(0x3D4, 2, index | (value << 8)); }
  u8 crtc_read(u8 index) {
    out(0x3D4, index);
    return in(0x3D5);
  }
  void poke(u32 paddr, u8 value) { vga.mmio_write(paddr - Vga::kMemoryBase, 1, value); }
  u8 peek(u32 paddr) { return static_cast<u8>(vga.mmio_read(paddr - Vga::kMemoryBase, 1)); }
  // Planar 16-colour addressing at A0000/64K (mode 12h's memory setup).
  void planar() {
    out(0x3C2, 0x63);
    seq(2, 0x0F);
    seq(4, 0x06);
    gc(5, 0x00);
    gc(6, 0x05);
    gc(8, 0xFF);
  }
};

}  // namespace

TEST_CASE("vga: power-on is unprogrammed; Misc Output selects the CRTC ports and enables RAM") {
  Bench b;
  CHECK(b.in(0x3CC) == 0x00);
  CHECK(b.in(0x3D4) == 0xFF);  // colour CRTC not decoded while I/OAS = 0
  b.out(0x3B4, 0x0E);
  CHECK(b.in(0x3B4) == 0x0E);
  CHECK(b.peek(0xB8000) == 0xFF);  // RAM disabled
  b.out(0x3C2, 0x67);
  CHECK(b.in(0x3CC) == 0x67);
  CHECK(b.in(0x3B4) == 0xFF);
  b.out(0x3D4, 0x0F);
  CHECK(b.in(0x3D4) == 0x0F);
  // Feature control: written at 3DA (with I/OAS = 1), read at 3CA.
  b.out(0x3DA, 0x03);
  CHECK(b.in(0x3CA) == 0x03);
}

TEST_CASE("vga: attribute controller index/data flip-flop, reset by Input Status 1; PAS") {
  Bench b;
  b.out(0x3C2, 0x67);
  b.in(0x3DA);
  b.out(0x3C0, 0x11);  // index: overscan, PAS = 0
  b.out(0x3C0, 0x0E);  // data
  CHECK(b.in(0x3C0) == 0x11);
  CHECK(b.in(0x3C1) == 0x0E);
  b.out(0x3C0, 0x02);  // the flip-flop is back at "index"
  b.out(0x3C0, 0x3A);
  CHECK(b.vga.state().attribute[2] == 0x3A);
  b.out(0x3C0, 0x13);  // index written, data next...
  b.in(0x3DA);         // ...but reading 3DA resets the flip-flop
  b.out(0x3C0, 0x12);  // so this is an index again
  b.out(0x3C0, 0x0F);
  CHECK(b.vga.state().attribute[0x12] == 0x0F);
  CHECK(b.vga.state().attribute[0x13] == 0x00);
  // With PAS = 1 the palette belongs to the display: host writes are ignored.
  b.out(0x3C0, 0x20 | 0x02);
  b.out(0x3C0, 0x15);
  CHECK(b.vga.state().attribute[2] == 0x3A);
  CHECK(b.in(0x3C0) == 0x22);
  // Non-palette registers take writes with PAS = 1; reserved bits are dropped (AR13 has 4 bits).
  b.out(0x3C0, 0x20 | 0x13);
  b.out(0x3C0, 0xF8);
  CHECK(b.vga.state().attribute[0x13] == 0x08);
}

TEST_CASE("vga: CRTC protect bit guards CR00-CR07 except the line compare bit") {
  Bench b;
  b.vga.set_mode3_registers();
  CHECK(b.crtc_read(0x11) == 0x8E);
  b.crtc(0x00, 0x12);
  CHECK(b.crtc_read(0x00) == 0x5F);
  b.crtc(0x07, 0x00);  // only bit 4 (line compare bit 8) is writable: 1F -> 0F
  CHECK(b.crtc_read(0x07) == 0x0F);
  b.crtc(0x09, 0x47);  // CR08 and above are not protected
  CHECK(b.crtc_read(0x09) == 0x47);
  b.crtc(0x11, 0x0E);  // clear protect
  b.crtc(0x00, 0x12);
  CHECK(b.crtc_read(0x00) == 0x12);
  b.out(0x3D4, 0x30);  // no such register
  CHECK(b.in(0x3D5) == 0xFF);
}

TEST_CASE("vga: DAC write/read sequences auto-increment; a colour is stored after its third byte") {
  Bench b;
  b.out(0x3C8, 0x05);
  for (u8 v : {0x01, 0x02, 0x03, 0x3F, 0x20, 0x10}) b.out(0x3C9, v);
  b.out(0x3C9, 0x11);  // first component of entry 7: not stored yet
  CHECK(b.in(0x3C8) == 0x07);
  CHECK(b.in(0x3C7) == 0x00);  // write mode
  b.out(0x3C7, 0x05);
  CHECK(b.in(0x3C7) == 0x03);  // read mode
  std::vector<u8> got;
  for (int k = 0; k < 9; ++k) got.push_back(b.in(0x3C9));
  CHECK(got == std::vector<u8>{0x01, 0x02, 0x03, 0x3F, 0x20, 0x10, 0x00, 0x00, 0x00});
  // 6-bit components; the index wraps at 255.
  b.out(0x3C8, 0xFF);
  for (u8 v : {0xFF, 0x40, 0x3F}) b.out(0x3C9, v);
  CHECK(b.in(0x3C8) == 0x00);
  b.out(0x3C7, 0xFF);
  CHECK(b.in(0x3C9) == 0x3F);
  CHECK(b.in(0x3C9) == 0x00);
  // The mode-3 programming loads the EGA palette: entry 0x14 is brown, 0x3F white.
  b.vga.set_mode3_registers();
  CHECK(b.vga.state().dac[0x14 * 3 + 0] == 0x2A);
  CHECK(b.vga.state().dac[0x14 * 3 + 1] == 0x15);
  CHECK(b.vga.state().dac[0x14 * 3 + 2] == 0x00);
  CHECK(b.vga.state().dac[0x3F * 3 + 1] == 0x3F);
}

TEST_CASE("vga: text mode memory in odd/even mode, the text screen view and the cursor") {
  Bench b;
  b.vga.set_mode3_registers();
  CHECK(b.peek(0xA0000) == 0xFF);  // mode 3 decodes only B8000-BFFFF
  // A word store of character + attribute, as BIOS and vgacon do.
  b.vga.mmio_write(0xB8000 - Vga::kMemoryBase, 2, 0x1F48);  // 'H' white on blue
  b.vga.mmio_write(0xB8002 - Vga::kMemoryBase, 2, 0x1F69);  // 'i'
  b.poke(0xB8000 + 160, 'x');                               // row 1, column 0
  CHECK(b.vga.plane_byte(0, 0) == 'H');
  CHECK(b.vga.plane_byte(1, 0) == 0x1F);
  CHECK(b.vga.plane_byte(0, 2) == 'i');
  CHECK(b.vga.plane_byte(1, 2) == 0x1F);
  CHECK(b.vga.plane_byte(2, 0) == 0x00);  // map mask 03h: planes 2 and 3 untouched
  CHECK(b.vga.mmio_read(0xB8000 - Vga::kMemoryBase, 4) == 0x1F691F48u);

  TextScreen screen = b.vga.text_screen();
  CHECK(screen.text_mode);
  CHECK(screen.columns == 80);
  CHECK(screen.rows == 25);
  CHECK(screen.char_height == 16);
  CHECK(screen.row_text(0).substr(0, 3) == "Hi.");
  CHECK(screen.attribute(1, 0) == 0x1F);
  CHECK(screen.character(0, 1) == 'x');
  CHECK(screen.cursor_visible);
  CHECK(screen.cursor_column == 0);
  b.crtc(0x0E, 0x00);
  b.crtc(0x0F, 81);  // row 1, column 1
  screen = b.vga.text_screen();
  CHECK(screen.cursor_row == 1);
  CHECK(screen.cursor_column == 1);
  b.crtc(0x0A, 0x2D);  // cursor off
  CHECK(!b.vga.text_screen().cursor_visible);
  // Scrolling by start address: the screen begins at row 1.
  b.crtc(0x0C, 0x00);
  b.crtc(0x0D, 80);
  CHECK(b.vga.text_screen().character(0, 0) == 'x');
}

TEST_CASE("vga: font upload and readback through plane 2, as vgacon_do_font_op does") {
  Bench b;
  b.vga.set_mode3_registers();
  b.poke(0xB8000, 'A');
  b.poke(0xB8001, 0x07);
  // Sequencer: reset, CPU writes only to map 2, sequential addressing, run.
  b.seq(0, 0x01);
  b.seq(2, 0x04);
  b.seq(4, 0x07);
  b.seq(0, 0x03);
  // Graphics controller: read map 2, no odd/even, A0000 128K window.
  b.gc(4, 0x02);
  b.gc(5, 0x00);
  b.gc(6, 0x00);
  std::vector<u8> font(8192);
  for (std::size_t i = 0; i < font.size(); ++i) font[i] = static_cast<u8>(i * 7 + (i >> 5));
  for (std::size_t i = 0; i < font.size(); ++i) b.poke(0xA0000 + static_cast<u32>(i), font[i]);
  std::vector<u8> readback(font.size());
  for (std::size_t i = 0; i < font.size(); ++i) readback[i] = b.peek(0xA0000 + static_cast<u32>(i));
  CHECK(readback == font);
  CHECK(b.vga.plane_byte(2, 'A' * 32 + 3) == font['A' * 32 + 3]);
  // Restore text mode addressing (vgacon: SR2 03, SR4 03, GR4 00, GR5 10, GR6 0E).
  b.seq(0, 0x01);
  b.seq(2, 0x03);
  b.seq(4, 0x03);
  b.seq(0, 0x03);
  b.gc(4, 0x00);
  b.gc(5, 0x10);
  b.gc(6, 0x0E);
  // The font upload left the text in planes 0 and 1 alone.
  CHECK(b.peek(0xB8000) == 'A');
  CHECK(b.peek(0xB8001) == 0x07);
  CHECK(b.vga.text_screen().character(0, 0) == 'A');
}

TEST_CASE("vga: write modes 0-3 with set/reset, rotate, logical function, bit mask; read mode 1") {
  Bench b;
  b.planar();
  b.poke(0xA0000, 0x00);  // all four planes cleared at address 0
  // Write mode 0 with set/reset on all planes (colour 5 = planes 0 and 2) under bit mask F0.
  b.gc(1, 0x0F);
  b.gc(0, 0x05);
  b.gc(8, 0xF0);
  b.peek(0xA0000);  // load the latches
  b.poke(0xA0000, 0xAA);
  CHECK(b.vga.plane_byte(0, 0) == 0xF0);
  CHECK(b.vga.plane_byte(1, 0) == 0x00);
  CHECK(b.vga.plane_byte(2, 0) == 0xF0);
  CHECK(b.vga.plane_byte(3, 0) == 0x00);
  // Write mode 0 with data: rotate right by 4 and XOR with the latches.
  b.gc(1, 0x00);
  b.gc(8, 0xFF);
  b.gc(3, 0x18 | 4);
  b.peek(0xA0000);
  b.poke(0xA0000, 0x3C);  // rotated: C3
  CHECK(b.vga.plane_byte(0, 0) == (0xF0 ^ 0xC3));
  CHECK(b.vga.plane_byte(1, 0) == 0xC3);
  // The map mask still decides which planes are written.
  b.gc(3, 0x00);
  b.seq(2, 0x02);
  b.poke(0xA0000, 0x99);
  CHECK(b.vga.plane_byte(0, 0) == (0xF0 ^ 0xC3));
  CHECK(b.vga.plane_byte(1, 0) == 0x99);
  b.seq(2, 0x0F);
  // Write mode 1 copies the latches: address 0 to address 1 in one read and one write.
  b.gc(5, 0x01);
  b.peek(0xA0000);
  b.poke(0xA0001, 0x00);
  for (unsigned p = 0; p < 4; ++p) CHECK(b.vga.plane_byte(p, 1) == b.vga.plane_byte(p, 0));
  // Write mode 2: the CPU byte's low bits are the colour, spread over the bit mask.
  b.gc(5, 0x02);
  b.gc(8, 0x81);
  b.peek(0xA0002);
  b.poke(0xA0002, 0x03);
  CHECK(b.vga.plane_byte(0, 2) == 0x81);
  CHECK(b.vga.plane_byte(1, 2) == 0x81);
  CHECK(b.vga.plane_byte(2, 2) == 0x00);
  // Write mode 3: set/reset is the colour, the CPU byte (ANDed with the bit mask) the mask.
  b.gc(5, 0x03);
  b.gc(8, 0xFF);
  b.gc(0, 0x0C);
  b.peek(0xA0002);
  b.poke(0xA0002, 0x0F);
  CHECK(b.vga.plane_byte(0, 2) == 0x80);  // low nibble cleared, bit 7 kept from the latch
  CHECK(b.vga.plane_byte(2, 2) == 0x0F);
  CHECK(b.vga.plane_byte(3, 2) == 0x0F);
  // Read mode 1: pixels of colour 0Ch (planes 2 and 3 set, 0 and 1 clear).
  b.gc(5, 0x08);
  b.gc(2, 0x0C);
  b.gc(7, 0x0F);
  CHECK(b.peek(0xA0002) == 0x0F);
  b.gc(7, 0x0C);  // ignore planes 0-1: bit 7 (plane 0/1 set, planes 2/3 clear) still differs
  CHECK(b.peek(0xA0002) == 0x0F);
  // Read mode 0 with read map select.
  b.gc(5, 0x00);
  b.gc(4, 0x02);
  CHECK(b.peek(0xA0002) == 0x0F);
}

TEST_CASE("vga: chain-4 addressing puts byte n in plane n&3 at address n with bits 1-0 clear") {
  Bench b;
  b.out(0x3C2, 0x63);
  b.seq(2, 0x0F);
  b.seq(4, 0x0E);  // chain-4, odd/even off: mode 13h
  b.gc(5, 0x40);
  b.gc(6, 0x05);
  b.gc(8, 0xFF);
  for (u8 k = 0; k < 8; ++k) b.poke(0xA0000 + k, static_cast<u8>(0x10 + k));
  CHECK(b.vga.plane_byte(1, 0) == 0x11);
  CHECK(b.vga.plane_byte(1, 4) == 0x15);
  CHECK(b.vga.plane_byte(3, 4) == 0x17);
  CHECK(b.vga.plane_byte(0, 1) == 0x00);
  for (u8 k = 0; k < 8; ++k) CHECK(b.peek(0xA0000 + k) == 0x10 + k);
  // Unchained ("mode X") reads see the same bytes by plane and address.
  b.seq(4, 0x06);
  b.gc(4, 0x01);
  CHECK(b.peek(0xA0004) == 0x15);
}

TEST_CASE("vga: the CPU window follows GR6 memory map select") {
  Bench b;
  b.planar();
  b.gc(6, 0x01);  // map 0: A0000-BFFFF, 128K (the plane address wraps at 64K)
  b.poke(0xB8010, 0x5A);
  CHECK(b.vga.plane_byte(0, 0x8010) == 0x5A);
  CHECK(b.peek(0xA8010) == 0x5A);
  b.gc(6, 0x05);  // map 1: A0000-AFFFF
  CHECK(b.peek(0xB8010) == 0xFF);
  CHECK(b.peek(0xA8010) == 0x5A);
  b.gc(6, 0x09);  // map 2: B0000-B7FFF
  CHECK(b.peek(0xA8010) == 0xFF);
  CHECK(b.peek(0xB0000 + 0x8010) == 0xFF);  // B8010 is outside B0000/32K
  b.poke(0xB0010, 0x66);
  CHECK(b.vga.plane_byte(0, 0x10) == 0x66);
  b.gc(6, 0x0D);  // map 3: B8000-BFFFF
  CHECK(b.peek(0xB8010) == 0x66);
  CHECK(b.peek(0xB0010) == 0xFF);
  b.out(0x3C2, 0x61);  // RAM disable
  CHECK(b.peek(0xB8010) == 0xFF);
}

TEST_CASE("vga: Input Status 1 display-enable and vertical retrace follow virtual time") {
  Bench b;
  b.vga.set_mode3_registers();
  // Mode 03h: 28.322 MHz, 100 characters of 9 dots per line, 449 lines (70 Hz); 400 lines
  // shown; retrace from line 412 for 2 lines.
  const double line_ns = 900.0 * 1e9 / 28'322'000.0;
  auto at_line = [&](double line) {
    b.timeline.advance_to(static_cast<u64>(line * line_ns));
    return b.in(0x3DA);
  };
  CHECK((at_line(0.1) & 0x09) == 0x00);          // active display
  CHECK((at_line(100.95) & 0x09) == 0x01);       // horizontal blanking at the end of a line
  CHECK((at_line(405.5) & 0x09) == 0x01);        // vertical blanking, before retrace
  CHECK((at_line(412.5) & 0x09) == 0x09);        // vertical retrace
  CHECK((at_line(414.5) & 0x09) == 0x01);        // retrace over
  CHECK((at_line(449 + 412.5) & 0x08) == 0x08);  // next frame: the period is 449 lines
  CHECK((at_line(2 * 449 + 10.1) & 0x09) == 0x00);
}

TEST_CASE("vga: serialize round trip and rejection") {
  Bench a;
  a.vga.set_mode3_registers();
  a.vga.mmio_write(0xB8000 - Vga::kMemoryBase, 2, 0x0741);
  a.out(0x3C8, 0x10);
  a.out(0x3C9, 0x2A);  // a colour half written
  a.in(0x3DA);
  a.out(0x3C0, 0x31);  // overscan index with PAS; the flip-flop now at "data"
  StateWriter w;
  w.section("vga", 1, [&](StateVisitor& v) { a.vga.serialize(v); });
  const std::vector<u8> saved = w.finish();

  Bench b;
  StateReader r(saved);
  r.section("vga", 1, [&](StateVisitor& v, u32) { b.vga.serialize(v); });
  REQUIRE(r.ok());
  CHECK(b.vga.describe() == a.vga.describe());
  CHECK(b.vga.text_screen().characters == a.vga.text_screen().characters);
  b.out(0x3C9, 0x15);
  b.out(0x3C9, 0x00);
  CHECK(b.vga.state().dac[0x10 * 3] == 0x2A);
  b.out(0x3C0, 0x0B);  // the data half of the pending attribute write
  CHECK(b.vga.state().attribute[0x11] == 0x0B);

  Bench bad;
  StateWriter w2;
  w2.section("vga", 1, [&](StateVisitor& v) {
    std::array<u8, 9> graphics{0, 0, 0, 0, 0, 0xFF, 0, 0, 0};  // GR5 reserved bits
    v.field("graphics", graphics);
  });
  const std::vector<u8> corrupt = w2.finish();
  StateReader r2(corrupt);
  r2.section("vga", 1, [&](StateVisitor& v, u32) { bad.vga.serialize(v); });
  CHECK(!r2.ok());
  CHECK(bad.vga.state().graphics[5] == 0x00);
}
