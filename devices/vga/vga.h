// The IBM VGA: registers, the four 64 KiB planes and the CPU's access paths into them.
//
// References: IBM VGA Technical Reference (Personal System/2 Display Adapter / "Video
// Subsystem" chapter of the PS/2 Hardware Interface Technical Reference: register tables, the
// graphics controller's read and write modes), FreeVGA (osdever.net/FreeVGA) register pages,
// Linux drivers/video/console/vgacon.c (the font load through plane 2). Compare QEMU
// hw/display/vga.c and Bochs iodev/display/vgacore.cc.
//
// Memory: 256 KiB as four planes, the first 256 KiB of the 16 MiB of video memory that the
// Bochs VBE extension (vbe.h) shows through its linear frame buffer. The CPU window at
// A0000-BFFFF (an MmioHandler) follows the graphics controller's Miscellaneous register (memory
// map select) and the Miscellaneous Output register's RAM-enable bit; while the dispi interface
// is enabled it shows the VBE's 64 KiB bank at A0000 instead. A CPU byte access reaches the
// planes through the sequencer (map mask, chain-4, odd/even write addressing) and the graphics
// controller (read map select, read modes 0/1 with color compare, write modes 0-3 with
// set/reset, rotate, logical function and bit mask). Every read loads the four 8-bit latches.
//
// Nothing is programmed at power-on — a real VGA comes up with its registers undefined and the
// BIOS sets mode 03h through the ports. `kVgaMode3Registers` is the standard table for that.
//
// `VgaRenderer` (vga_renderer.h) draws the screen; `text_screen()` is the text view a debugger,
// a test or a headless frontend reads.
#pragma once
#include <array>
#include <span>
#include <string>
#include <vector>

#include "core/timeline.h"
#include "devices/byte_port_device.h"
#include "devices/vga/vbe.h"

namespace emu {

class StateVisitor;

// The register values of one video mode, in the order a BIOS programs them.
struct VgaModeRegisters {
  u8 misc_output;
  std::array<u8, 5> sequencer;   // SR0-SR4
  std::array<u8, 25> crtc;       // CR00-CR18
  std::array<u8, 9> graphics;    // GR0-GR8
  std::array<u8, 21> attribute;  // AR00-AR14
};

// Mode 03h, 80x25 colour text, 720x400 at 70 Hz (9-dot characters, 8x16 font, 28.322 MHz clock),
// text at B8000. The IBM VGA BIOS's parameter table values, as SeaBIOS's vgabios
// (vgasrc/stdvgamodes.c) and XFree86's saved mode-3 state carry them. CR11 has the protect bit
// set, so a BIOS writes CR11 without bit 7 before CR00-CR07.
inline constexpr VgaModeRegisters kVgaMode3Registers = {
    0x67,  // Misc: I/OAS=1 (3Dx), RAM enabled, 28.322 MHz, page bit, -hsync +vsync (400 lines)
    {0x03, 0x00, 0x03, 0x00, 0x02},                   // SR0 run, SR1 9-dot, SR2 planes 0-1, SR3 font 0, SR4 ext mem
    {0x5F, 0x4F, 0x50, 0x82, 0x55, 0x81, 0xBF, 0x1F,  // CR00-07 horizontal timing, vtotal, overflow
     0x00, 0x4F, 0x0D, 0x0E, 0x00, 0x00, 0x00, 0x00,  // CR08-0F max scan 15, cursor 13-14, start, cursor
     0x9C, 0x8E, 0x8F, 0x28, 0x1F, 0x96, 0xB9, 0xA3,  // CR10-17 vretrace, protect, vde, offset 40, mode
     0xFF},                                           // CR18 line compare
    {0x00, 0x00, 0x00, 0x00, 0x00, 0x10, 0x0E, 0x00, 0xFF},  // GR5 odd/even, GR6 B8000/32K text
    {0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x14, 0x07,         // AR00-0F: the EGA colour mapping
     0x38, 0x39, 0x3A, 0x3B, 0x3C, 0x3D, 0x3E, 0x3F,         //   into DAC entries 0-63
     0x0C, 0x00, 0x0F, 0x08, 0x00},                          // AR10 blink+line gfx, AR13 pan 8
};

// Mode 12h, 640x480 in 16 colours (four planes), 60 Hz at 25.175 MHz; the same sources as mode 03h.
inline constexpr VgaModeRegisters kVgaMode12hRegisters = {
    0xE3,                                             // Misc: 3Dx, RAM enabled, 25.175 MHz, -hsync -vsync (480 lines)
    {0x03, 0x01, 0x0F, 0x00, 0x06},                   // SR1 8-dot, SR2 all planes, SR4 no odd/even
    {0x5F, 0x4F, 0x50, 0x82, 0x54, 0x80, 0x0B, 0x3E,  // CR06 vtotal 20Bh, CR07 overflow
     0x00, 0x40, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,  // CR09 max scan 0 (one line per row)
     0xEA, 0x8C, 0xDF, 0x28, 0x00, 0xE3, 0x04, 0xE3,  // CR12 vde 1DFh (480 lines), CR13 80 bytes, CR17 byte mode
     0xFF},
    {0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x05, 0x0F, 0xFF},  // GR6 A0000/64K graphics
    {0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x14, 0x07, 0x38, 0x39, 0x3A,
     0x3B, 0x3C, 0x3D, 0x3E, 0x3F, 0x01, 0x00, 0x0F, 0x00, 0x00},  // AR10 graphics
};

// Mode 13h, 320x200 in 256 colours (chain-4: the CPU sees one byte per pixel at A0000), 70 Hz.
inline constexpr VgaModeRegisters kVgaMode13hRegisters = {
    0x63,                                             // Misc: 3Dx, RAM enabled, 25.175 MHz, -hsync +vsync (400 lines)
    {0x03, 0x01, 0x0F, 0x00, 0x0E},                   // SR4 chain-4
    {0x5F, 0x4F, 0x50, 0x82, 0x54, 0x80, 0xBF, 0x1F,  //
     0x00, 0x41, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,  // CR09 max scan 1: each line twice (200 of 400)
     0x9C, 0x8E, 0x8F, 0x28, 0x40, 0x96, 0xB9, 0xA3,  // CR13 40 (x 8 bytes in doubleword mode), CR14 doubleword
     0xFF},
    {0x00, 0x00, 0x00, 0x00, 0x00, 0x40, 0x05, 0x0F, 0xFF},  // GR5 256-colour shift, GR6 A0000/64K graphics
    {0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x09, 0x0A,
     0x0B, 0x0C, 0x0D, 0x0E, 0x0F, 0x41, 0x00, 0x0F, 0x00, 0x00},  // AR10 graphics, 8-bit colour
};

// DAC entry `index` (0-63) of the EGA-compatible palette a BIOS loads for the 16-colour modes:
// index bits are rgbRGB (bits 2-0 the 2/3-intensity R, G, B; bits 5-3 the 1/3-intensity ones),
// each component 6-bit: 2Ah for the primary bit plus 15h for the secondary.
constexpr std::array<u8, 3> vga_ega_palette_entry(unsigned index) {
  auto component = [index](unsigned primary_bit, unsigned secondary_bit) {
    return static_cast<u8>(((index >> primary_bit) & 1) * 0x2A + ((index >> secondary_bit) & 1) * 0x15);
  };
  return {component(2, 5), component(1, 4), component(0, 3)};
}

// What the screen shows in text mode, read through the CRTC (start address, offset, address
// mode) as the display would.
struct TextScreen {
  bool text_mode = false;  // GR6 and AR10 both say alphanumeric
  unsigned columns = 0, rows = 0;
  unsigned char_height = 0;                // scan lines per character row
  std::vector<u8> characters, attributes;  // rows * columns, row-major
  bool cursor_visible = false;
  unsigned cursor_column = 0, cursor_row = 0;
  unsigned cursor_start = 0, cursor_end = 0;  // scan lines (CR0A, CR0B)
  u8 character(unsigned column, unsigned row) const { return characters.at(row * columns + column); }
  u8 attribute(unsigned column, unsigned row) const { return attributes.at(row * columns + column); }
  // One row as text (bytes below 20h and above 7Eh shown as '.').
  std::string row_text(unsigned row) const;
};

struct VgaState {
  u8 misc_output = 0;      // 3C2 write / 3CC read
  u8 feature_control = 0;  // 3xA write / 3CA read
  u8 sequencer_index = 0;  // 3C4
  std::array<u8, 5> sequencer{};
  u8 crtc_index = 0;  // 3x4
  std::array<u8, 25> crtc{};
  u8 graphics_index = 0;  // 3CE
  std::array<u8, 9> graphics{};
  u8 attribute_address = 0;          // 3C0 index register: bits 0-4 index, bit 5 PAS
  bool attribute_data_next = false;  // the 3C0 flip-flop: false = next write is the index
  std::array<u8, 21> attribute{};
  u8 dac_mask = 0xFF;               // 3C6 pixel mask
  u8 dac_read_index = 0;            // 3C7 write
  u8 dac_write_index = 0;           // 3C8
  u8 dac_component = 0;             // 0-2: red, green, blue of the entry being read or written
  bool dac_reading = false;         // 3C7 read: the DAC state (last index written was 3C7)
  std::array<u8, 3> dac_pending{};  // a written colour, stored once all three components arrive
  std::array<u8, 768> dac{};        // 256 entries x RGB, 6 bits each
  std::array<u8, 4> latches{};
};

class Vga final : public BytePortDevice, public MmioHandler {
 public:
  static constexpr u32 kMemoryBase = 0xA0000, kMemorySize = 0x20000;
  static constexpr u16 kFirstPort = 0x3B0, kPortCount = 0x30;  // 3B0-3DF
  static constexpr u32 kPlaneSize = 0x10000, kPlanes = 4, kVramSize = kPlaneSize * kPlanes;
  static constexpr u32 kVbePlaneSpace = vbe::kMemorySize / kPlanes;  // plane addresses in dispi 4 bpp modes

  explicit Vga(Timeline& timeline);
  Vga(const Vga&) = delete;
  Vga& operator=(const Vga&) = delete;

  // MmioHandler: the A0000-BFFFF window (offset from A0000). Wider accesses are byte cycles in
  // ascending address order, as the VGA's 8-bit memory path does.
  u32 mmio_read(u32 offset, unsigned size) override;
  void mmio_write(u32 offset, unsigned size, u32 value) override;

  // Power-on: registers unprogrammed (zero), dispi disabled, all video memory cleared.
  void reset();
  // Programs `kVgaMode3Registers` and the EGA palette through the ports, as a BIOS's int 10h
  // AH=00h does (no font and no memory clear). For tests and for a machine without a BIOS.
  void program_mode(const VgaModeRegisters& mode);
  void set_mode3_registers() { program_mode(kVgaMode3Registers); }

  TextScreen text_screen() const;
  std::string describe() const;
  void serialize(StateVisitor& v);
  const VgaState& state() const { return state_; }
  // Plane `plane`'s byte at `address` (0-FFFF).
  u8 plane_byte(unsigned plane, u32 address) const { return vram_[(address & 0xFFFF) * kPlanes + (plane & 3)]; }
  // The Bochs VBE registers (ports 1CEh-1D0h, the linear frame buffer) and all 16 MiB of video
  // memory (the planes are its first 256 KiB: byte address x 4 + plane).
  VbeDispi& vbe() { return vbe_; }
  const VbeDispi& vbe() const { return vbe_; }
  std::span<const u8> memory() const { return vram_; }
  // The plane address the CRTC scans for memory address counter value `ma` (byte, word or
  // doubleword address mode); the renderer walks the screen with it.
  u32 crtc_scan_address(u32 ma) const;

 protected:
  bool decodes(u16 port) const override;
  u8 read_byte(u16 port) override;
  void write_byte(u16 port, u8 value) override;

 private:
  bool color_addressing() const { return state_.misc_output & 0x01; }  // I/OAS: CRTC at 3Dx
  // The window offset for a CPU address offset from A0000, or false outside the window.
  bool window_offset(u32 offset, u32& in_window) const;
  u8 memory_read(u32 in_window);
  void memory_write(u32 in_window, u8 value);
  // The dispi's 4 bpp modes use the planar path with plane addresses beyond 64 KiB (the bank
  // added); the other depths reach memory directly through the bank.
  bool vbe_planar() const { return vbe_.enabled() && vbe_.registers().bpp == 4; }
  u8 vbe_window_read(u32 offset);
  void vbe_window_write(u32 offset, u8 value);
  void write_attribute(u8 value);
  void write_crtc(u8 value);
  void write_dac_data(u8 value);
  u8 read_dac_data();
  u8 input_status_0() const;
  u8 input_status_1() const;

  Timeline& timeline_;
  VgaState state_;
  std::vector<u8> vram_;  // byte (address * 4 + plane): one address's four plane bytes together
  VbeDispi vbe_;          // after vram_: it keeps a view of it
};

}  // namespace emu
