// What the VGA's CRT controller would put on the monitor, as an RGB image: the frame the SDL
// window shows, `screendump` saves and the tests compare with golden images.
//
// The VGA has no frame buffer of the screen; the CRTC scans display memory every frame and the
// attribute controller and DAC turn bytes into colours (IBM VGA Technical Reference, "CRT
// Controller", "Attribute Controller", "Video DAC"). The renderer does the same walk once per
// call: text modes through the font in plane 2, the 16-colour planar modes (0Dh-12h) through the
// four planes, the 256-colour modes (13h and unchained "mode X") through the 256-colour shift.
#pragma once
#include <vector>

#include "devices/vga/vga.h"

namespace emu {

// An image, 0x00RRGGBB per pixel, row-major.
struct VgaFrame {
  unsigned width = 0, height = 0;
  std::vector<u32> pixels;
  u32 pixel(unsigned x, unsigned y) const { return pixels.at(std::size_t{y} * width + x); }
  bool operator==(const VgaFrame&) const = default;
};

class VgaRenderer {
 public:
  // Blinking (text attribute bit 7 with AR10 blink enable, and the cursor) follows `blink_on`:
  // the caller flips it at the VGA's rate (every 16 frames for the cursor, 32 for characters).
  static VgaFrame render(const Vga& vga, bool blink_on = true);

  // The 8-bit RGB of DAC entry `index` through the pixel mask (3C6).
  static u32 dac_colour(const VgaState& s, u8 index);

 private:
  static VgaFrame render_text(const Vga& vga, bool blink_on);
  static VgaFrame render_planar(const Vga& vga);
  static VgaFrame render_256(const Vga& vga);
};

}  // namespace emu
