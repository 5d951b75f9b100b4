// The Bochs VBE dispi interface (devices/vga/vbe.h) against vbe_display_api.txt and what Linux's
// bochs-drm does with it: ID negotiation, GETCAPS, mode set and readback, the A0000 bank window,
// the linear frame buffer rendered in every depth, the PCI function (config space, BAR0/BAR2,
// the MMIO register window), guest values that try to leave video memory (CVE-2016-3710), and
// the whole PC after POST with the function at 00:02.0.
#include "devices/vga/vbe.h"

#include <doctest/doctest.h>

#include <cstdio>
#include <random>
#include <string>

#include "core/guest_log.h"
#include "core/serializer.h"
#include "devices/pc/pc_machine.h"
#include "devices/pci/pci_bus.h"
#include "devices/vga/vga.h"
#include "devices/vga/vga_renderer.h"
#include "posted_pc.h"
#include "translator/interpreter.h"

using namespace emu;

namespace {

struct Card {
  Timeline timeline;
  Vga vga{timeline};
  VbeDispi& vbe = vga.vbe();

  void write(u16 index, u16 value) {
    vbe.port_write(vbe::kIndexPort, 2, index);
    vbe.port_write(vbe::kDataPort, 2, value);
  }
  u16 read(u16 index) {
    vbe.port_write(vbe::kIndexPort, 2, index);
    return static_cast<u16>(vbe.port_read(vbe::kDataPort, 2));
  }
  // The sequence bochs-drm's bochs_hw_setmode() writes.
  void set_mode(u16 xres, u16 yres, u16 bpp, u16 extra = vbe::kLfbEnabled) {
    write(vbe::kIndexEnable, 0);
    write(vbe::kIndexBpp, bpp);
    write(vbe::kIndexXres, xres);
    write(vbe::kIndexYres, yres);
    write(vbe::kIndexBank, 0);
    write(vbe::kIndexEnable, vbe::kEnabled | extra);
  }
  void window_write(u32 offset, u8 value) { vga.mmio_write(offset, 1, value); }  // offset from A0000
  u8 window_read(u32 offset) { return static_cast<u8>(vga.mmio_read(offset, 1)); }
  void lfb_write(u32 offset, unsigned size, u32 value) { vbe.mmio_write(offset, size, value); }
  u8 memory(u32 at) const { return vga.memory()[at]; }
  void dac(u8 index, u8 r, u8 g, u8 b) {
    vga.port_write(0x3C8, 1, index);
    vga.port_write(0x3C9, 1, r), vga.port_write(0x3C9, 1, g), vga.port_write(0x3C9, 1, b);
  }
  // Every byte the visible rectangle covers lies inside the 16 MiB.
  bool rectangle_inside() const {
    const VbeRegisters& r = vbe.registers();
    const u64 last_line = u64{r.y_offset} + r.yres;  // exclusive
    return r.virt_width >= r.xres && u64{r.x_offset} + r.xres <= r.virt_width &&
           last_line * vbe.line_bytes() <= vbe::kMemorySize && vbe.virt_height() >= r.yres;
  }
};

// Captures what the guest log prints while it lives.
struct LogCapture {
  std::FILE* file = std::tmpfile();
  LogCapture() {
    GuestLog::instance().reset_counts();
    GuestLog::instance().set_stream(file);
    GuestLog::instance().set_enabled(true);
  }
  ~LogCapture() {
    GuestLog::instance().set_enabled(false);
    GuestLog::instance().set_stream(stderr);
    std::fclose(file);
  }
  std::string text() {
    std::fflush(file);
    std::rewind(file);
    std::string out;
    for (int c; (c = std::fgetc(file)) != EOF;) out.push_back(static_cast<char>(c));
    return out;
  }
  bool has(const std::string& what) { return text().find(what) != std::string::npos; }
};

}  // namespace

TEST_CASE("vbe: ID negotiation, the index port and VIDEO_MEMORY_64K") {
  Card c;
  LogCapture log;
  CHECK(c.read(vbe::kIndexId) == 0xB0C5);  // power-on: the newest interface
  CHECK(c.vbe.port_read(vbe::kIndexPort, 2) == vbe::kIndexId);
  // A VBE BIOS writes the ID it speaks and reads it back.
  for (u16 id = 0xB0C0; id <= 0xB0C5; ++id) {
    c.write(vbe::kIndexId, id);
    CHECK(c.read(vbe::kIndexId) == id);
  }
  c.write(vbe::kIndexId, 0xB0C2);
  c.write(vbe::kIndexId, 0xB0C6);  // not an interface we have
  c.write(vbe::kIndexId, 0x1234);
  CHECK(c.read(vbe::kIndexId) == 0xB0C2);
  CHECK(log.has("unknown interface ID b0c6"));
  // bochs-drm: VIDEO_MEMORY_64K x 64 KiB must equal BAR0's size.
  CHECK(c.read(vbe::kIndexVideoMemory64k) == 256);
  c.write(vbe::kIndexVideoMemory64k, 1);
  CHECK(c.read(vbe::kIndexVideoMemory64k) == 256);
  // No register 0Bh: reads 0, writes logged.
  CHECK(c.read(0x0B) == 0);
  c.write(0x0B, 0x55);
  CHECK(log.has("dispi register b"));
  // 1D0h is a data alias; a dword OUT to 1CEh is index then data (1D0h).
  c.vbe.port_write(vbe::kIndexPort, 4, (u32{800} << 16) | vbe::kIndexXres);
  CHECK(c.vbe.port_read(vbe::kIndexPort, 2) == vbe::kIndexXres);
  CHECK(c.vbe.port_read(vbe::kDataAliasPort, 2) == 800);
  CHECK(c.vbe.port_read(vbe::kDataPort, 1) == (800 & 0xFF));
}

TEST_CASE("vbe: GETCAPS reads the maxima instead of the mode") {
  Card c;
  c.write(vbe::kIndexXres, 800);
  c.write(vbe::kIndexYres, 600);
  c.write(vbe::kIndexBpp, 16);
  c.write(vbe::kIndexEnable, vbe::kGetCaps);
  CHECK(c.read(vbe::kIndexXres) == 2560);
  CHECK(c.read(vbe::kIndexYres) == 1600);
  CHECK(c.read(vbe::kIndexBpp) == 32);
  CHECK(c.read(vbe::kIndexEnable) == vbe::kGetCaps);
  CHECK_FALSE(c.vbe.enabled());
  c.write(vbe::kIndexEnable, 0);
  CHECK(c.read(vbe::kIndexXres) == 800);
  CHECK(c.read(vbe::kIndexYres) == 600);
  CHECK(c.read(vbe::kIndexBpp) == 16);
  c.write(vbe::kIndexBpp, 0);  // 0 means 8
  CHECK(c.read(vbe::kIndexBpp) == 8);
}

TEST_CASE("vbe: mode set and readback; enabling resets the virtual screen and clears it") {
  Card c;
  c.lfb_write(0, 4, 0xDEADBEEF);
  c.lfb_write(1024 * 768 * 4 - 4, 4, 0xCAFEF00D);
  c.lfb_write(1024 * 768 * 4, 4, 0x12345678);  // past the mode's screen
  c.write(vbe::kIndexVirtWidth, 2000);         // before enabling: ENABLE resets it to XRES
  c.set_mode(1024, 768, 32);
  CHECK(c.vbe.enabled());
  CHECK(c.read(vbe::kIndexXres) == 1024);
  CHECK(c.read(vbe::kIndexYres) == 768);
  CHECK(c.read(vbe::kIndexBpp) == 32);
  CHECK(c.read(vbe::kIndexEnable) == (vbe::kEnabled | vbe::kLfbEnabled));
  CHECK(c.read(vbe::kIndexVirtWidth) == 1024);
  CHECK(c.read(vbe::kIndexVirtHeight) == 4096);  // 16 MiB / 4096-byte lines
  CHECK(c.read(vbe::kIndexXOffset) == 0);
  CHECK(c.read(vbe::kIndexYOffset) == 0);
  CHECK(c.vbe.mmio_read(0, 4) == 0);  // the screen was cleared...
  CHECK(c.vbe.mmio_read(1024 * 768 * 4 - 4, 4) == 0);
  CHECK(c.vbe.mmio_read(1024 * 768 * 4, 4) == 0x12345678);  // ...and only the screen

  // bochs-drm's setbase: a wider virtual screen and a panned view (double buffering).
  c.write(vbe::kIndexVirtWidth, 1280);
  CHECK(c.read(vbe::kIndexVirtHeight) == (16u << 20) / (1280 * 4));
  c.write(vbe::kIndexXOffset, 256);
  c.write(vbe::kIndexYOffset, 768);
  CHECK(c.read(vbe::kIndexXOffset) == 256);
  CHECK(c.read(vbe::kIndexYOffset) == 768);
  c.write(vbe::kIndexVirtHeight, 5);  // derived: writes are ignored
  CHECK(c.read(vbe::kIndexVirtHeight) == (16u << 20) / (1280 * 4));
  // Narrower than XRES is raised to XRES.
  c.write(vbe::kIndexVirtWidth, 100);
  CHECK(c.read(vbe::kIndexVirtWidth) == 1024);
  CHECK(c.read(vbe::kIndexXOffset) == 0);  // no room to pan sideways any more

  // Re-enabling while enabled changes nothing; NOCLEARMEM keeps the memory on a new mode.
  c.lfb_write(0, 4, 0x01020304);
  c.write(vbe::kIndexEnable, vbe::kEnabled | vbe::kLfbEnabled);
  CHECK(c.vbe.mmio_read(0, 4) == 0x01020304);
  c.set_mode(800, 600, 16, vbe::kNoClearMem);
  CHECK(c.vbe.mmio_read(0, 4) == 0x01020304);
  CHECK(c.vbe.line_bytes() == 1600);
  c.write(vbe::kIndexEnable, 0);
  CHECK_FALSE(c.vbe.enabled());
}

TEST_CASE("vbe: bank switching through the A0000 window") {
  Card c;
  c.set_mode(640, 480, 8);
  c.window_write(0x0000, 0x11);
  c.window_write(0xFFFF, 0x22);
  c.write(vbe::kIndexBank, 3);
  CHECK(c.read(vbe::kIndexBank) == 3);
  c.window_write(0x0010, 0x33);
  CHECK(c.memory(0x00000) == 0x11);
  CHECK(c.memory(0x0FFFF) == 0x22);
  CHECK(c.memory(3 * 0x10000 + 0x10) == 0x33);
  CHECK(c.window_read(0x0010) == 0x33);
  c.vga.mmio_write(0x20, 4, 0xA1B2C3D4);  // a dword store: four bytes in order
  CHECK(c.vbe.mmio_read(3 * 0x10000 + 0x20, 4) == 0xA1B2C3D4);
  CHECK(c.vga.mmio_read(0x20, 2) == 0xC3D4);
  c.write(vbe::kIndexBank, 0);
  CHECK(c.window_read(0x0000) == 0x11);
  // B0000-BFFFF is not part of the window while dispi is on.
  c.vga.mmio_write(0x18000, 1, 0x44);
  CHECK(c.window_read(0x18000) == 0xFF);
  // The LFB and the window are the same memory.
  c.lfb_write(0x10005, 1, 0x55);
  c.write(vbe::kIndexBank, 1);
  CHECK(c.window_read(0x0005) == 0x55);

  // Dispi off: A0000 is the VGA's again (unprogrammed: RAM disabled, reads float).
  c.write(vbe::kIndexEnable, 0);
  CHECK(c.window_read(0x0005) == 0xFF);
}

TEST_CASE("vbe: the VGA's own modes render as before while dispi is disabled") {
  Card c;
  c.vga.set_mode3_registers();
  c.vga.mmio_write(0xB8000 - Vga::kMemoryBase, 2, 0x1F41);  // 'A' white on blue
  const VgaFrame text = VgaRenderer::render(c.vga);
  const TextScreen screen = c.vga.text_screen();
  CHECK(text.width == 720);
  // Programmed but not enabled: nothing changes.
  c.write(vbe::kIndexXres, 1024);
  c.write(vbe::kIndexYres, 768);
  c.write(vbe::kIndexBpp, 32);
  CHECK((VgaRenderer::render(c.vga) == text));
  // On (keeping memory), the dispi mode shows; off again, the text screen is back.
  c.write(vbe::kIndexEnable, vbe::kEnabled | vbe::kNoClearMem);
  const VgaFrame vbe_frame = VgaRenderer::render(c.vga);
  CHECK(vbe_frame.width == 1024);
  CHECK(vbe_frame.height == 768);
  c.write(vbe::kIndexEnable, 0);
  CHECK((VgaRenderer::render(c.vga) == text));
  CHECK(c.vga.text_screen().characters == screen.characters);
  CHECK(c.vga.text_screen().row_text(0).substr(0, 1) == "A");
}

TEST_CASE("vbe: LFB pixels in 8, 15, 16, 24 and 32 bpp render where and as they should") {
  Card c;
  auto pixel = [&](unsigned x, unsigned y) { return VgaRenderer::render(c.vga).pixel(x, y); };

  SUBCASE("8 bpp through the 6-bit DAC and the 8-bit DAC") {
    c.set_mode(16, 8, 8);
    c.dac(5, 0x3F, 0x20, 0x00);
    c.lfb_write(2 * 16 + 3, 1, 5);  // (3, 2)
    CHECK(pixel(3, 2) == 0xFF8200);
    CHECK(pixel(2, 3) == 0x000000);
    c.write(vbe::kIndexEnable, vbe::kEnabled | vbe::kLfbEnabled | vbe::k8BitDac);
    c.dac(5, 0xAB, 0xCD, 0xEF);  // 8-bit components, stored as written
    CHECK(c.vga.state().dac[15] == 0xAB);
    CHECK(pixel(3, 2) == 0xABCDEF);
  }
  SUBCASE("15 bpp x:5:5:5") {
    c.set_mode(16, 8, 15);
    c.lfb_write((2 * 16 + 3) * 2, 2, 0x7C00);
    c.lfb_write((2 * 16 + 4) * 2, 2, 0x03E0);
    c.lfb_write((2 * 16 + 5) * 2, 2, 0x4210);  // 10h in each: 84h
    CHECK(pixel(3, 2) == 0xFF0000);
    CHECK(pixel(4, 2) == 0x00FF00);
    CHECK(pixel(5, 2) == 0x848484);
  }
  SUBCASE("16 bpp 5:6:5") {
    c.set_mode(16, 8, 16);
    c.lfb_write((7 * 16 + 15) * 2, 2, 0xF800);  // the last pixel
    c.lfb_write((0 * 16 + 0) * 2, 2, 0x001F);
    c.lfb_write((1 * 16 + 1) * 2, 2, 0x8410);  // r 10h, g 20h, b 10h
    CHECK(pixel(15, 7) == 0xFF0000);
    CHECK(pixel(0, 0) == 0x0000FF);
    CHECK(pixel(1, 1) == 0x848284);
  }
  SUBCASE("24 bpp B, G, R") {
    c.set_mode(16, 8, 24);
    const u32 at = (2 * 16 + 3) * 3;
    c.lfb_write(at, 1, 0x11), c.lfb_write(at + 1, 1, 0x22), c.lfb_write(at + 2, 1, 0x33);
    CHECK(pixel(3, 2) == 0x332211);
    CHECK(pixel(4, 2) == 0x000000);
  }
  SUBCASE("32 bpp with a virtual width and panning") {
    c.set_mode(16, 8, 32);
    c.lfb_write((2 * 16 + 3) * 4, 4, 0xFF123456);  // the x byte is ignored
    CHECK(pixel(3, 2) == 0x123456);
    c.write(vbe::kIndexVirtWidth, 32);
    c.write(vbe::kIndexXOffset, 4);
    c.write(vbe::kIndexYOffset, 2);
    c.lfb_write(((2 + 1) * 32 + (4 + 5)) * 4, 4, 0x00ABCDEF);  // virtual (9, 3) = screen (5, 1)
    CHECK(pixel(5, 1) == 0xABCDEF);
    CHECK(pixel(0, 0) == 0x000000);
    const VgaFrame frame = VgaRenderer::render(c.vga);
    CHECK(frame.width == 16);
    CHECK(frame.height == 8);
  }
}

TEST_CASE("vbe: 4 bpp is planar, through the graphics controller and the palette") {
  Card c;
  c.vga.program_mode(kVgaMode12hRegisters);  // palette, DAC, write mode 0, all planes
  c.set_mode(64, 16, 4);
  CHECK(c.vbe.line_bytes() == 4 * 8);  // 8 plane addresses per line
  c.vga.port_write(0x3C4, 2, 0x0202);  // SR2 map mask: plane 1 only
  c.window_write(1 * 8 + 0, 0x80);     // line 1, pixel 0
  CHECK(c.memory((1 * 8) * 4 + 1) == 0x80);
  CHECK(c.memory((1 * 8) * 4 + 0) == 0x00);
  // Colour 2 -> AR02 = 02h -> DAC 2, EGA green (0, 2Ah, 0).
  CHECK(VgaRenderer::render(c.vga).pixel(0, 1) == 0x00AA00);
  CHECK(VgaRenderer::render(c.vga).pixel(1, 1) == 0x000000);
  // A bank reaches plane addresses past the VGA's 64 KiB.
  c.write(vbe::kIndexBank, 2);
  c.window_write(0x10, 0xFF);
  CHECK(c.memory((2 * 0x10000 + 0x10) * 4 + 1) == 0xFF);
  CHECK(c.window_read(0x10) == 0x00);  // read map select GR4 = plane 0
}

TEST_CASE("vbe: hostile register values never take an access outside video memory") {
  // CVE-2016-3710 / -3712 territory: a guest picks BANK, offsets and sizes so that the banked
  // window or the scan-out would address past the end of VRAM.
  Card c;
  LogCapture log;
  c.set_mode(640, 480, 8);

  c.write(vbe::kIndexBank, 0xFFFF);
  CHECK(c.read(vbe::kIndexBank) == 0xFF);
  CHECK(log.has("BANK ffff"));
  c.window_write(0xFFFF, 0x5A);  // the last byte of the last bank
  CHECK(c.memory(vbe::kMemorySize - 1) == 0x5A);
  CHECK(c.window_read(0xFFFF) == 0x5A);
  c.vga.mmio_write(0xFFFE, 4, 0x01020304);  // straddling the window's end: two bytes land
  CHECK(c.memory(vbe::kMemorySize - 2) == 0x04);
  CHECK(c.memory(vbe::kMemorySize - 1) == 0x03);

  c.write(vbe::kIndexEnable, 0);
  c.write(vbe::kIndexXres, 0xFFFF);
  c.write(vbe::kIndexYres, 0xFFFF);
  c.write(vbe::kIndexBpp, 7);
  CHECK(c.read(vbe::kIndexXres) == 2560);
  CHECK(c.read(vbe::kIndexYres) == 1600);
  CHECK(c.read(vbe::kIndexBpp) == 8);
  CHECK(log.has("XRES 65535"));
  CHECK(log.has("YRES 65535"));
  CHECK(log.has("BPP 7"));
  c.write(vbe::kIndexXres, 0);
  CHECK(c.read(vbe::kIndexXres) == 1);
  c.write(vbe::kIndexXres, 2560);
  c.write(vbe::kIndexBpp, 32);
  c.write(vbe::kIndexEnable, vbe::kEnabled | vbe::kNoClearMem | 0x0100);
  CHECK(log.has("ENABLE 0181"));
  CHECK(c.read(vbe::kIndexEnable) == (vbe::kEnabled | vbe::kNoClearMem));

  c.write(vbe::kIndexVirtWidth, 0xFFFF);
  CHECK(log.has("VIRT_WIDTH 65535"));
  CHECK(c.read(vbe::kIndexVirtWidth) == (16u << 20) / 1600 / 4);
  c.write(vbe::kIndexXOffset, 0xFFFF);
  c.write(vbe::kIndexYOffset, 0xFFFF);
  CHECK(log.has("X_OFFSET 65535"));
  CHECK(log.has("Y_OFFSET 65535"));
  CHECK(c.rectangle_inside());
  const VgaFrame frame = VgaRenderer::render(c.vga);
  CHECK(frame.width == 2560);
  CHECK(frame.height == 1600);
  // The frame buffer's last dword: the bytes past 16 MiB read as floating and are dropped.
  c.lfb_write(vbe::kMemorySize - 1, 4, 0xAABBCCDD);
  CHECK(c.memory(vbe::kMemorySize - 1) == 0xDD);
  CHECK(c.vbe.mmio_read(vbe::kMemorySize - 1, 4) == 0xFFFFFFDD);

  // 4 bpp planar with the top bank: plane addresses wrap inside the 4 MiB of each plane.
  c.set_mode(640, 480, 4);
  c.write(vbe::kIndexBank, 0xFF);
  c.vga.port_write(0x3C4, 2, 0x0F02);  // SR2: all planes
  c.vga.port_write(0x3CE, 2, 0xFF08);  // GR8: every bit from the CPU
  c.window_write(0xFFFF, 0x77);
  CHECK(c.memory(vbe::kMemorySize - 1) == 0x77);  // plane 3 at plane address 3FFFFFh

  // Garbage in any order: every state keeps the rectangle inside and renders.
  std::mt19937 rng(7);
  for (unsigned i = 0; i < 20000; ++i) {
    const u16 index = static_cast<u16>(rng() % 12);
    u16 value = (rng() & 1) ? static_cast<u16>(rng()) : static_cast<u16>(rng() % 4096);
    if (index == vbe::kIndexEnable) value |= vbe::kNoClearMem;  // (clearing up to 16 MiB: slow)
    c.write(index, value);
    c.window_write(rng() % 0x20000, static_cast<u8>(rng()));
    REQUIRE(c.rectangle_inside());
    if (i % 2000 == 0) VgaRenderer::render(c.vga);
  }
}

TEST_CASE("vbe: serialize round trip; out-of-range registers are rejected") {
  Card a;
  a.set_mode(800, 600, 16);
  a.write(vbe::kIndexVirtWidth, 1024);
  a.write(vbe::kIndexYOffset, 600);
  a.write(vbe::kIndexBank, 9);
  a.lfb_write(0x00123456, 4, 0x89ABCDEF);
  a.vga.mmio_write(0x10, 1, 0x42);  // bank 9
  StateWriter w;
  w.section("vga", 1, [&](StateVisitor& v) { a.vga.serialize(v); });
  const std::vector<u8> saved = w.finish();

  Card b;
  StateReader r(saved);
  r.section("vga", 1, [&](StateVisitor& v, u32) { b.vga.serialize(v); });
  REQUIRE(r.ok());
  CHECK(b.vga.describe() == a.vga.describe());
  CHECK(b.vbe.enabled());
  CHECK(b.read(vbe::kIndexYOffset) == 600);
  CHECK(b.vbe.mmio_read(0x00123456, 4) == 0x89ABCDEF);
  CHECK(b.memory(9 * 0x10000 + 0x10) == 0x42);
  CHECK((VgaRenderer::render(b.vga) == VgaRenderer::render(a.vga)));

  Card bad;
  StateWriter w2;
  w2.section("vga", 1, [&](StateVisitor& v) {
    u16 yoffset = 0xFFFF;  // past the end of video memory
    v.field("vbe_y_offset", yoffset);
  });
  const std::vector<u8> corrupt = w2.finish();
  StateReader r2(corrupt);
  r2.section("vga", 1, [&](StateVisitor& v, u32) { bad.vga.serialize(v); });
  CHECK(!r2.ok());
  CHECK(bad.read(vbe::kIndexYOffset) == 0);
}

TEST_CASE("stdvga: PCI identity, BAR sizes, and the frame buffer and MMIO windows") {
  Timeline timeline;
  Vga vga(timeline);
  AddressSpace space(1u << 20);
  PciBus bus(space);
  StdVgaPci f(vga);
  bus.attach(2, 0, &f);
  CHECK(f.config_read(0x00, 2) == 0x1234);
  CHECK(f.config_read(0x02, 2) == 0x1111);
  CHECK(f.config_read(0x08, 1) == 0x02);             // revision 2: the qemu extended registers
  CHECK((f.config_read(0x08, 4) >> 8) == 0x030000);  // VGA-compatible display controller
  CHECK(f.config_read(0x0E, 1) == 0x00);
  CHECK(f.config_read(0x2C, 2) == 0x1AF4);
  CHECK(f.config_read(0x2E, 2) == 0x1100);
  CHECK(f.config_read(0x3D, 1) == 0);  // no interrupt pin
  // Sizing: all ones in, the size mask and type bits out.
  for (u8 bar = 0x10; bar < 0x28; bar += 4) f.config_write(bar, 4, 0xFFFFFFFF);
  CHECK(f.config_read(0x10, 4) == 0xFF000008);  // 16 MiB, 32-bit, prefetchable
  CHECK(f.config_read(0x14, 4) == 0);
  CHECK(f.config_read(0x18, 4) == 0xFFFFF000);  // 4 KiB, not prefetchable
  CHECK(f.config_read(0x1C, 4) == 0);
  f.config_write(0x30, 4, 0xFFFFFFFF);
  CHECK(f.config_read(0x30, 4) == 0);  // no option ROM
  CHECK(f.bar_size(0) == vbe::kMemorySize);
  CHECK(f.bar_size(2) == StdVgaPci::kMmioSize);

  f.config_write(0x10, 4, 0xE0000000);
  f.config_write(0x18, 4, 0xE1000000);
  f.config_write(0x04, 2, PciFunction::kCommandMemory);
  REQUIRE(f.bar_window(0) == 0xE0000000u);
  REQUIRE(f.bar_window(2) == 0xE1000000u);
  space.write(0xE0000000u + 0x123450, 4, 0x11223344);
  CHECK(vga.memory()[0x123450] == 0x44);
  CHECK(vga.memory()[0x123453] == 0x11);
  CHECK(space.read(0xE0FFFFFCu, 4) == 0);

  // BAR2: the dispi registers at 500h + 2 x index, as bochs-drm uses them.
  constexpr u32 mmio = 0xE1000000u;
  CHECK(space.read(mmio + 0x500, 2) == 0xB0C5);
  CHECK(space.read(mmio + 0x500 + 2 * vbe::kIndexVideoMemory64k, 2) == 256);
  space.write(mmio + 0x500 + 2 * vbe::kIndexEnable, 2, 0);
  space.write(mmio + 0x500 + 2 * vbe::kIndexBpp, 2, 32);
  space.write(mmio + 0x500 + 2 * vbe::kIndexXres, 4, (u32{8} << 16) | 16);  // XRES 16, YRES 8 at once
  space.write(mmio + 0x500 + 2 * vbe::kIndexEnable, 2, vbe::kEnabled | vbe::kLfbEnabled);
  CHECK(vga.vbe().registers().xres == 16);
  CHECK(vga.vbe().registers().yres == 8);
  CHECK(vga.vbe().enabled());
  space.write(mmio + 0x500 + 2 * vbe::kIndexXres, 1, 0x20);  // a byte write merges
  CHECK(space.read(mmio + 0x500 + 2 * vbe::kIndexXres, 2) == 0x20);
  space.write(mmio + 0x500 + 2 * vbe::kIndexXres, 2, 16);
  // 400h-41Fh: the VGA's ports 3C0h-3DFh.
  space.write(mmio + 0x400 + (0x3C8 - 0x3C0), 1, 7);
  space.write(mmio + 0x400 + (0x3C9 - 0x3C0), 1, 0x3F);
  CHECK(vga.state().dac_write_index == 7);
  CHECK(vga.state().dac_component == 1);
  CHECK(space.read(mmio + 0x400 + (0x3C8 - 0x3C0), 1) == 7);
  // No EDID: the header reads as zeros, so drivers fall back to their own mode list.
  CHECK(space.read(mmio + 0x000, 4) == 0);
  // 600h: the extended registers' size; 604h: frame buffer byte order.
  CHECK(space.read(mmio + 0x600, 4) == 8);
  CHECK(space.read(mmio + 0x604, 4) == 0x1E1E1E1E);
  space.write(0xE0000000u, 4, 0x00123456);
  CHECK(VgaRenderer::render(vga).pixel(0, 0) == 0x123456);
  space.write(mmio + 0x604, 4, 0xBEBEBEBE);
  CHECK(space.read(mmio + 0x604, 4) == 0xBEBEBEBE);
  space.write(0xE0000000u, 4, 0x56341200);  // bytes 00 12 34 56: x, R, G, B
  CHECK(VgaRenderer::render(vga).pixel(0, 0) == 0x123456);
  space.write(mmio + 0x604, 4, 0x12345678);  // neither: ignored
  CHECK(space.read(mmio + 0x604, 4) == 0xBEBEBEBE);

  // Memory decoding off: both windows close.
  f.config_write(0x04, 2, 0);
  CHECK_FALSE(f.bar_window(0));
  CHECK(space.read(0xE0000000u, 4) == 0xFFFFFFFFu);
}

TEST_CASE("stdvga: the PC's BIOS places BAR0 and BAR2 in the PCI window at 00:02.0") {
  test::PostedPc pc;
  REQUIRE(pc.result.outcome == PcMachine::Outcome::Quit);
  PcMachine& machine = pc.machine;
  StdVgaPci& f = machine.vga_pci();
  CHECK(f.device_number() == 2);
  CHECK(f.function_number() == 0);
  REQUIRE(f.bar_window(0));
  REQUIRE(f.bar_window(2));
  const u32 lfb = *f.bar_window(0), mmio = *f.bar_window(2);
  CHECK(lfb % vbe::kMemorySize == 0);
  CHECK(lfb >= 0xE0000000u);
  CHECK(u64{lfb} + vbe::kMemorySize <= 0xFEC00000u);
  CHECK(mmio >= 0xE0000000u);
  // The guest's view: ports 1CEh/1CFh and the frame buffer at BAR0.
  AddressSpace& bus = machine.bus();
  bus.port_write(vbe::kIndexPort, 2, vbe::kIndexId);
  CHECK(bus.port_read(vbe::kDataPort, 2) == 0xB0C5);
  bus.write(lfb + 0x400, 4, 0xCAFEBABE);
  CHECK(machine.vga().vbe().mmio_read(0x400, 4) == 0xCAFEBABE);
  CHECK(bus.read(mmio + 0x500, 2) == 0xB0C5);
  const std::string pci = *machine.describe_device("pci");
  CHECK(pci.find("1234:1111") != std::string::npos);
}
