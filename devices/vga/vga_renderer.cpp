#include "devices/vga/vga_renderer.h"

#include <algorithm>
#include <array>
#include <span>

namespace emu {

namespace {

// Register indexes and bits the scan-out reads (IBM VGA Technical Reference).
constexpr unsigned kSrClocking = 1, kSrCharacterMap = 3;
constexpr u8 kSr1EightDot = 0x01, kSr1HalfDotClock = 0x08;
constexpr unsigned kGrMode = 5;
constexpr u8 kGr5Shift256 = 0x40;
constexpr unsigned kCrHorizontalDisplayEnd = 0x01, kCrOverflow = 0x07, kCrMaxScanLine = 0x09, kCrStartHigh = 0x0C,
                   kCrStartLow = 0x0D, kCrVerticalDisplayEnd = 0x12, kCrOffset = 0x13;
constexpr u8 kCr09ScanDoubling = 0x80;
constexpr unsigned kArModeControl = 0x10, kArColorPlaneEnable = 0x12, kArColorSelect = 0x14;
constexpr u8 kAr10LineGraphics = 0x04, kAr10Blink = 0x08, kAr10Palette54 = 0x80;

constexpr unsigned kMaxWidth = 2048, kMaxHeight = 2048;  // guards against absurd CRTC values

// A 16-colour index through the attribute controller's palette to a DAC index (AR00-0F, then
// AR10 P5,4 select and AR14 colour select for bits 7-4).
u8 attribute_to_dac(const VgaState& s, unsigned colour) {
  const u8 palette = s.attribute[colour & 0x0F] & 0x3F;
  const u8 select = s.attribute[kArColorSelect];
  u8 dac = (s.attribute[kArModeControl] & kAr10Palette54) ? static_cast<u8>((palette & 0x0F) | ((select & 0x03) << 4))
                                                          : palette;
  return static_cast<u8>(dac | ((select & 0x0C) << 4));
}

unsigned displayed_lines(const VgaState& s) {
  const auto& cr = s.crtc;
  const u8 overflow = cr[kCrOverflow];
  unsigned lines = (cr[kCrVerticalDisplayEnd] | ((overflow & 0x02) << 7) | ((overflow & 0x40) << 3)) + 1u;
  if (cr[kCrMaxScanLine] & kCr09ScanDoubling) lines /= 2;
  return lines;
}

// Where character map `select` (0-7, SR3's encoding) starts in plane 2: 16 KiB blocks, the second
// four interleaved at 8 KiB offsets (the VGA's eight 8 KiB font slots).
u32 font_base(unsigned select) { return select < 4 ? select * 0x4000u : (select - 4) * 0x4000u + 0x2000u; }

// The size of a graphics screen: 8 pixels per character clock (SR1's half dot clock doubles
// each pixel on the monitor, not in the image), lines repeated CR09's maximum scan line + 1 times.
void graphics_size(const VgaState& s, unsigned pixels_per_clock, unsigned& width, unsigned& height, unsigned& repeat) {
  width = std::min((s.crtc[kCrHorizontalDisplayEnd] + 1u) * pixels_per_clock, kMaxWidth);
  repeat = (s.crtc[kCrMaxScanLine] & 0x1F) + 1u;
  height = std::min(displayed_lines(s) / repeat, kMaxHeight);
}

// DAC entry `index` through the pixel mask as 8-bit RGB: 6-bit components widened, or taken as
// they are while the dispi's 8BIT_DAC is set.
u32 colour(const Vga& vga, u8 index) {
  const VgaState& s = vga.state();
  if (!vga.vbe().dac_8bit()) return VgaRenderer::dac_colour(s, index);
  const unsigned entry = (index & s.dac_mask) * 3u;
  return u32{s.dac[entry]} << 16 | u32{s.dac[entry + 1]} << 8 | s.dac[entry + 2];
}

// 5- and 6-bit colour components to 8 bits, the top bits repeated below (1Fh -> FFh).
u32 widen5(u32 v) { return ((v & 0x1F) << 3) | ((v & 0x1F) >> 2); }
u32 widen6(u32 v) { return ((v & 0x3F) << 2) | ((v & 0x3F) >> 4); }

// The dispi's mode, scanned from video memory as the frame buffer holds it: XRES x YRES pixels
// from (X_OFFSET, Y_OFFSET) of a virtual screen VIRT_WIDTH pixels wide. 8 bpp goes through the
// DAC; 15/16 bpp are x:5:5:5 / 5:6:5 words, 24 bpp B,G,R bytes, 32 bpp B,G,R,x bytes
// (little-endian; the qemu extended register can make the frame buffer big-endian: words and
// dwords high byte first, 24 bpp R,G,B). 4 bpp is planar, as modes 0Dh-12h, through the palette.
// The registers keep the rectangle inside video memory; each line is checked again here.
VgaFrame render_vbe(const Vga& vga) {
  const VbeDispi& vbe = vga.vbe();
  const VbeRegisters& r = vbe.registers();
  const VgaState& s = vga.state();
  const std::span<const u8> memory = vga.memory();
  const unsigned width = std::min<unsigned>(r.xres, vbe::kMaxXres), height = std::min<unsigned>(r.yres, vbe::kMaxYres);
  VgaFrame frame{width, height, std::vector<u32>(std::size_t{width} * height)};
  const u64 line_bytes = vbe.line_bytes();
  const bool big = vbe.big_endian_framebuffer();
  if (r.bpp == 4) {
    const u64 pitch = line_bytes / 4;  // plane addresses per line
    const u8 plane_enable = s.attribute[kArColorPlaneEnable] & 0x0F;
    std::array<u32, 16> palette;
    for (unsigned c = 0; c < 16; ++c) palette[c] = colour(vga, attribute_to_dac(s, c & plane_enable));
    for (unsigned y = 0; y < height; ++y) {
      const u64 row = (u64{r.y_offset} + y) * pitch;
      for (unsigned x = 0; x < width; ++x) {
        const u64 pixel = u64{r.x_offset} + x;
        const u64 address = (row + pixel / 8) * Vga::kPlanes;
        if (address + Vga::kPlanes > memory.size()) continue;
        const unsigned bit = 7 - static_cast<unsigned>(pixel & 7);
        unsigned c = 0;
        for (unsigned p = 0; p < Vga::kPlanes; ++p) c |= ((memory[address + p] >> bit) & 1u) << p;
        frame.pixels[std::size_t{y} * width + x] = palette[c];
      }
    }
    return frame;
  }
  const unsigned bytes = vbe.bytes_per_pixel();
  std::array<u32, 256> palette{};
  if (r.bpp == 8)
    for (unsigned c = 0; c < 256; ++c) palette[c] = colour(vga, static_cast<u8>(c));
  for (unsigned y = 0; y < height; ++y) {
    const u64 start = (u64{r.y_offset} + y) * line_bytes + u64{r.x_offset} * bytes;
    if (start + u64{width} * bytes > memory.size()) continue;  // never, with checked registers
    const u8* in = memory.data() + start;
    u32* out = &frame.pixels[std::size_t{y} * width];
    for (unsigned x = 0; x < width; ++x, in += bytes) {
      switch (r.bpp) {
        case 8: out[x] = palette[in[0]]; break;
        case 15:
        case 16: {
          const u32 w = big ? (u32{in[0]} << 8 | in[1]) : (u32{in[1]} << 8 | in[0]);
          out[x] = r.bpp == 15 ? widen5(w >> 10) << 16 | widen5(w >> 5) << 8 | widen5(w)
                               : widen5(w >> 11) << 16 | widen6(w >> 5) << 8 | widen5(w);
          break;
        }
        case 24:
          out[x] = big ? (u32{in[0]} << 16 | u32{in[1]} << 8 | in[2]) : (u32{in[2]} << 16 | u32{in[1]} << 8 | in[0]);
          break;
        default:
          out[x] = big ? (u32{in[1]} << 16 | u32{in[2]} << 8 | in[3]) : (u32{in[2]} << 16 | u32{in[1]} << 8 | in[0]);
          break;
      }
    }
  }
  return frame;
}

}  // namespace

u32 VgaRenderer::dac_colour(const VgaState& s, u8 index) {
  const unsigned entry = (index & s.dac_mask) * 3u;
  // 6-bit components to 8 bits: the top bits repeat in the bottom so 3Fh becomes FFh.
  auto expand = [](u8 v) { return static_cast<u32>(((v & 0x3F) << 2) | ((v & 0x3F) >> 4)); };
  return expand(s.dac[entry]) << 16 | expand(s.dac[entry + 1]) << 8 | expand(s.dac[entry + 2]);
}

VgaFrame VgaRenderer::render(const Vga& vga, bool blink_on) {
  const VgaState& s = vga.state();
  if (vga.vbe().enabled()) return render_vbe(vga);
  if (vga.text_screen().text_mode) return render_text(vga, blink_on);
  if (s.graphics[kGrMode] & kGr5Shift256) return render_256(vga);
  return render_planar(vga);
}

// Text: each cell is a glyph from plane 2 (32 bytes per character, the map chosen by SR3 and
// attribute bit 3), 8 or 9 dots wide, in the attribute's foreground and background colours.
VgaFrame VgaRenderer::render_text(const Vga& vga, bool blink_on) {
  const VgaState& s = vga.state();
  const TextScreen screen = vga.text_screen();
  const unsigned cell_width = (s.sequencer[kSrClocking] & kSr1EightDot) ? 8 : 9;
  const unsigned cell_height = std::max(1u, screen.char_height);
  const bool double_dots = s.sequencer[kSrClocking] & kSr1HalfDotClock;  // 40-column modes
  const bool double_lines = s.crtc[kCrMaxScanLine] & kCr09ScanDoubling;
  VgaFrame frame;
  frame.width = std::min(screen.columns * cell_width * (double_dots ? 2 : 1), kMaxWidth);
  frame.height = std::min(screen.rows * cell_height * (double_lines ? 2 : 1), kMaxHeight);
  frame.pixels.assign(std::size_t{frame.width} * frame.height, 0);
  if (!frame.width || !frame.height) return frame;

  const u8 sr3 = s.sequencer[kSrCharacterMap];
  const unsigned map_a = ((sr3 >> 3) & 4) | ((sr3 >> 2) & 3), map_b = ((sr3 >> 2) & 4) | (sr3 & 3);
  const u8 mode = s.attribute[kArModeControl];
  const u8 plane_enable = s.attribute[kArColorPlaneEnable] & 0x0F;
  std::vector<u32> line(screen.columns * cell_width);
  for (unsigned row = 0; row < screen.rows; ++row) {
    for (unsigned scan = 0; scan < cell_height; ++scan) {
      for (unsigned column = 0; column < screen.columns; ++column) {
        const u8 ch = screen.character(column, row), attr = screen.attribute(column, row);
        unsigned fg = attr & 0x0F, bg = attr >> 4;
        if (mode & kAr10Blink) {
          bg &= 7;
          if ((attr & 0x80) && !blink_on) fg = bg;
        }
        const u32 glyph = font_base((attr & 0x08) ? map_a : map_b) + ch * 32u + scan;
        unsigned bits = vga.plane_byte(2, glyph);
        const bool cursor_here = screen.cursor_visible && blink_on && row == screen.cursor_row &&
                                 column == screen.cursor_column && scan >= screen.cursor_start &&
                                 scan <= screen.cursor_end;
        if (cursor_here) bits = 0xFF;
        // The ninth dot repeats the eighth for the line-drawing characters C0h-DFh (AR10 bit 2),
        // so box lines join; otherwise it is background.
        const bool ninth = cell_width == 9 && (mode & kAr10LineGraphics) && ch >= 0xC0 && ch <= 0xDF && (bits & 1);
        const u32 fg_rgb = colour(vga, attribute_to_dac(s, fg & plane_enable));
        const u32 bg_rgb = colour(vga, attribute_to_dac(s, bg & plane_enable));
        u32* out = &line[column * cell_width];
        for (unsigned dot = 0; dot < 8; ++dot) out[dot] = (bits & (0x80 >> dot)) ? fg_rgb : bg_rgb;
        if (cell_width == 9) out[8] = (ninth || cursor_here) ? fg_rgb : bg_rgb;
      }
      const unsigned y0 = (row * cell_height + scan) * (double_lines ? 2 : 1);
      for (unsigned repeat = 0; repeat < (double_lines ? 2u : 1u); ++repeat) {
        const unsigned y = y0 + repeat;
        if (y >= frame.height) continue;
        u32* out = &frame.pixels[std::size_t{y} * frame.width];
        for (unsigned x = 0; x < frame.width; ++x) out[x] = line[double_dots ? x / 2 : x];
      }
    }
  }
  return frame;
}

// 16 colours from four planes (modes 0Dh-12h): one bit per plane per pixel, the planes' bits
// forming the colour index, through the colour plane enable mask and the palette.
VgaFrame VgaRenderer::render_planar(const Vga& vga) {
  const VgaState& s = vga.state();
  unsigned width, height, repeat;
  graphics_size(s, 8, width, height, repeat);
  VgaFrame frame{width, height, std::vector<u32>(std::size_t{width} * height)};
  const u32 start = (u32{s.crtc[kCrStartHigh]} << 8) | s.crtc[kCrStartLow];
  const u32 pitch = 2u * s.crtc[kCrOffset];
  const u8 plane_enable = s.attribute[kArColorPlaneEnable] & 0x0F;
  std::array<u32, 16> palette;
  for (unsigned c = 0; c < 16; ++c) palette[c] = colour(vga, attribute_to_dac(s, c));
  for (unsigned y = 0; y < height; ++y) {
    const u32 line_start = start + y * pitch;
    for (unsigned x = 0; x < width; ++x) {
      const u32 address = vga.crtc_scan_address(line_start + x / 8);
      const unsigned bit = 7 - (x & 7);
      unsigned colour = 0;
      for (unsigned p = 0; p < 4; ++p) colour |= ((vga.plane_byte(p, address) >> bit) & 1u) << p;
      frame.pixels[std::size_t{y} * width + x] = palette[colour & plane_enable];
    }
  }
  return frame;
}

// 256 colours (mode 13h, and the unchained "mode X"): each character clock shows the four planes'
// bytes at one scan address as four pixels, each byte a DAC index. Chain-4 writes pixel 4k+p to
// plane p at address 4k, which the doubleword address mode (CR14 bit 6: MA x 4) scans.
VgaFrame VgaRenderer::render_256(const Vga& vga) {
  const VgaState& s = vga.state();
  unsigned width, height, repeat;
  graphics_size(s, 4, width, height, repeat);
  VgaFrame frame{width, height, std::vector<u32>(std::size_t{width} * height)};
  const u32 start = (u32{s.crtc[kCrStartHigh]} << 8) | s.crtc[kCrStartLow];
  const u32 pitch = 2u * s.crtc[kCrOffset];
  for (unsigned y = 0; y < height; ++y) {
    for (unsigned x = 0; x < width; ++x) {
      const u32 ma = start + y * pitch + x / 4;
      frame.pixels[std::size_t{y} * width + x] = colour(vga, vga.plane_byte(x & 3, vga.crtc_scan_address(ma)));
    }
  }
  return frame;
}

}  // namespace emu
