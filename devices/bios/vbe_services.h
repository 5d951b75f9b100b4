// int 10h AX=4Fxxh, the VESA BIOS Extensions (VBE 3.0 core functions 00h-0Ah), done by emu's
// C++ half of the BIOS (FW_VBE_SERVICE) over the Bochs "dispi" interface of the VGA (ports
// 1CEh/1CFh) and the linear framebuffer behind PCI 00:02.0's BAR0 — the shape of QEMU's
// `-vga std` with its vgabios, so Linux's `vga=0x318`, vesafb, GRUB and SYSLINUX find the modes
// they ask for. Reference: VESA BIOS Extension Core Functions Standard 3.0 (VbeInfoBlock and
// ModeInfoBlock layouts, function numbers and status codes).
//
// Everything goes through the machine's own buses: the dispi registers and the DAC by port I/O,
// BAR0 from PCI configuration space, the caller's buffers in guest memory through the checked
// DMA API. The caller's AX (and DX) come and go on the stack, as with int 13h (disk_services.h).
#pragma once
#include <array>
#include <string>
#include <vector>

#include "core/cpu.h"
#include "core/dma.h"

namespace emu {

struct VbeMode {
  u16 number;
  u16 width, height;
  u8 bpp;
};

// The modes offered: VESA's numbers for 8, 15, 16 and 24 bpp, and Bochs's 0x140+ for 32 bpp.
inline constexpr std::array<VbeMode, 26> kVbeModes = {{
    {0x100, 640, 400, 8},   {0x101, 640, 480, 8},    {0x103, 800, 600, 8},    {0x105, 1024, 768, 8},
    {0x107, 1280, 1024, 8}, {0x10D, 320, 200, 15},   {0x10E, 320, 200, 16},   {0x10F, 320, 200, 24},
    {0x110, 640, 480, 15},  {0x111, 640, 480, 16},   {0x112, 640, 480, 24},   {0x113, 800, 600, 15},
    {0x114, 800, 600, 16},  {0x115, 800, 600, 24},   {0x116, 1024, 768, 15},  {0x117, 1024, 768, 16},
    {0x118, 1024, 768, 24}, {0x119, 1280, 1024, 15}, {0x11A, 1280, 1024, 16}, {0x11B, 1280, 1024, 24},
    {0x140, 320, 200, 32},  {0x141, 640, 400, 32},   {0x142, 640, 480, 32},   {0x143, 800, 600, 32},
    {0x144, 1024, 768, 32}, {0x145, 1280, 1024, 32},
}};

class BiosVbeServices {
 public:
  BiosVbeServices(Cpu& cpu, Dma& dma) : cpu_(cpu), dma_(dma) {}

  // FW_VBE_SERVICE: int 10h with AH=4Fh; the caller's AX and DX at SS:SP.
  void int10();
  std::string describe() const;
  void reset() { current_mode_ = 0x03; }

 private:
  u16 stacked(unsigned slot) const;
  void set_stacked(unsigned slot, u16 value);
  void answer(u8 status) { set_stacked(0, static_cast<u16>(status << 8 | 0x4F)); }  // AL = 4Fh: supported
  u32 es_di() const;
  const VbeMode* find(u16 number) const;
  u32 framebuffer_address();
  u16 dispi_read(u16 index);
  void dispi_write(u16 index, u16 value);

  void controller_info();
  void mode_info();
  void set_mode();
  void scanline_length();
  void display_start();
  void dac_format();
  void palette();
  void window();
  void save_restore_state();
  std::vector<u8> capture_state(u16 states);
  void restore_state(u16 states, const std::vector<u8>& image);

  Cpu& cpu_;
  Dma& dma_;
  u16 current_mode_ = 0x03;  // what 4F03h reports: a VGA mode number until a VBE mode is set
};

}  // namespace emu
