// The Bochs VBE "display interface" (dispi) and the PCI VGA function QEMU calls `-vga std`: the
// 16 MiB of video memory behind a linear frame buffer (PCI BAR0) and the 64 KiB banked window at
// A0000, and the register set a VBE BIOS, Linux's bochs-drm and vesafb program a mode through.
//
// References: Bochs VGABIOS `vbe_display_api.txt` (the register interface, interface IDs
// B0C0h-B0C5h), Linux `drivers/gpu/drm/tiny/bochs.c` (what a driver expects: the ID check, the
// VIDEO_MEMORY_64K size check against BAR0, the MMIO BAR's layout, the qemu extended registers).
// Compare QEMU hw/display/vga.c (`vbe_ioport_*`, `vbe_fixup_regs`) and hw/display/vga-pci.c.
//
// Registers (16 bits, index at port 1CEh, data at 1CFh; 1D0h is a data alias):
//   0 ID             interface version; writes of B0C0h-B0C5h are accepted (reset: B0C5h)
//   1 XRES, 2 YRES   the mode's size in pixels, 1..kMaxXres / 1..kMaxYres
//   3 BPP            4, 8, 15, 16, 24 or 32 (0 means 8)
//   4 ENABLE         ENABLED 01h, GETCAPS 02h, 8BIT_DAC 20h, LFB_ENABLED 40h, NOCLEARMEM 80h
//   5 BANK           the 64 KiB bank the A0000 window shows
//   6 VIRT_WIDTH     the line length in pixels (>= XRES)
//   7 VIRT_HEIGHT    read-only: how many lines of VIRT_WIDTH fit in video memory
//   8 X_OFFSET, 9 Y_OFFSET   the visible rectangle's top-left pixel in the virtual screen
//   A VIDEO_MEMORY_64K       read-only: 256 (16 MiB)
//
// Every value a guest writes is checked so that the visible rectangle, the bank window and the
// frame buffer always lie inside the 16 MiB (QEMU's CVE-2016-3710 was a guest-chosen mode whose
// scan-out and banked accesses ran past the end of video memory): out-of-range values are
// clamped to the nearest legal one and logged. Because kMaxXres x kMaxYres x 4 bytes fits in the
// memory, every legal XRES/YRES/BPP combination fits and the registers never depend on the order
// a guest writes them in.
#pragma once
#include <span>
#include <string>
#include <vector>

#include "core/address_space.h"
#include "devices/pci/pci_function.h"

namespace emu {

class StateVisitor;
class Vga;

namespace vbe {

constexpr u16 kIndexPort = 0x1CE, kDataPort = 0x1CF, kDataAliasPort = 0x1D0;

constexpr u16 kIndexId = 0x0, kIndexXres = 0x1, kIndexYres = 0x2, kIndexBpp = 0x3, kIndexEnable = 0x4, kIndexBank = 0x5,
              kIndexVirtWidth = 0x6, kIndexVirtHeight = 0x7, kIndexXOffset = 0x8, kIndexYOffset = 0x9,
              kIndexVideoMemory64k = 0xA;
constexpr u16 kIndexCount = 0xB;

constexpr u16 kId0 = 0xB0C0, kId5 = 0xB0C5;

constexpr u16 kEnabled = 0x01, kGetCaps = 0x02, k8BitDac = 0x20, kLfbEnabled = 0x40, kNoClearMem = 0x80;
constexpr u16 kEnableBits = kEnabled | kGetCaps | k8BitDac | kLfbEnabled | kNoClearMem;

constexpr u32 kMemorySize = 16u << 20;  // QEMU's default vgamem_mb=16
constexpr u32 kBankSize = 0x10000;      // the A0000 window
constexpr u16 kBankCount = kMemorySize / kBankSize;
constexpr u16 kMaxXres = 2560, kMaxYres = 1600, kMaxBpp = 32;  // what GETCAPS reports
static_assert(u64{kMaxXres} * kMaxYres * 4 <= kMemorySize, "every legal mode must fit in video memory");

}  // namespace vbe

struct VbeRegisters {
  u16 index = 0;
  u16 id = vbe::kId5;
  u16 xres = 640, yres = 480, bpp = 8;
  u16 enable = 0;
  u16 bank = 0;
  u16 virt_width = 640;
  u16 x_offset = 0, y_offset = 0;
  bool big_endian = false;  // the qemu extended register at BAR2 + 604h: frame buffer byte order
};

// The dispi registers and the two CPU paths into video memory they govern: the ports 1CEh-1D0h
// (PortHandler) and the linear frame buffer (MmioHandler, mapped by the PCI function's BAR0). The
// memory itself belongs to the Vga, whose first 256 KiB are also its four planes.
class VbeDispi final : public PortHandler, public MmioHandler {
 public:
  explicit VbeDispi(std::span<u8> memory);
  VbeDispi(const VbeDispi&) = delete;
  VbeDispi& operator=(const VbeDispi&) = delete;

  // Registers to their power-on values (dispi disabled; the memory is the Vga's to clear).
  void reset();

  // Ports: 16-bit accesses as Bochs and QEMU define them; a byte access reads the low byte or
  // writes the byte zero-extended, a dword access is two word accesses (port, port + 2).
  u32 port_read(u16 port, unsigned size) override;
  void port_write(u16 port, unsigned size, u32 value) override;

  // The linear frame buffer: offset 0 is video memory byte 0, little-endian.
  u32 mmio_read(u32 offset, unsigned size) override;
  void mmio_write(u32 offset, unsigned size, u32 value) override;

  // One register, as the data port (and the PCI MMIO BAR at 500h + 2 x index) sees it.
  u16 read_register(u16 index) const;
  void write_register(u16 index, u16 value);

  const VbeRegisters& registers() const { return regs_; }
  bool enabled() const { return regs_.enable & vbe::kEnabled; }
  bool dac_8bit() const { return regs_.enable & vbe::k8BitDac; }
  bool big_endian_framebuffer() const { return regs_.big_endian; }
  void set_big_endian_framebuffer(bool big) { regs_.big_endian = big; }

  // The banked window: `window_offset` (0-FFFF) within the current bank, for 8 bpp and up.
  u8 bank_read(u32 window_offset) const;
  void bank_write(u32 window_offset, u8 value);
  u32 bank_offset() const { return u32{regs_.bank} * vbe::kBankSize; }

  // The current mode's geometry (always consistent: see the validation above). For 4 bpp the
  // memory is the VGA's planar layout (address x 4 + plane), so a line takes 4 x ceil(width / 8)
  // bytes of memory and `line_bytes() / 4` plane addresses.
  u32 line_bytes() const { return line_bytes_for(regs_.virt_width); }
  u16 virt_height() const;
  unsigned bytes_per_pixel() const;  // 0 for 4 bpp (planar)

  std::span<const u8> memory() const { return memory_; }
  std::string describe() const;
  // Registers only (the Vga saves the memory). A loaded image must satisfy every check a guest
  // write gets, or it is rejected.
  void serialize(StateVisitor& v);

 private:
  u16 read16(u16 port) const;
  void write16(u16 port, u16 value);
  u32 line_bytes_for(u32 virt_width) const;
  u16 max_virt_width() const;
  // Re-derives VIRT_WIDTH and the offsets after XRES, YRES, BPP or VIRT_WIDTH changed.
  void fix_geometry();
  void write_enable(u16 value);
  bool registers_valid() const;

  std::span<u8> memory_;
  VbeRegisters regs_;
};

// QEMU's stdvga as a PCI function: 1234:1111 rev 02, class 030000 (VGA-compatible), no interrupt
// pin, no option ROM. BAR0: the 16 MiB frame buffer, prefetchable. BAR2: 4 KiB of MMIO, QEMU's
// "bochs mmio": 000h-3FFh EDID (none: reads 0), 400h-41Fh the VGA ports 3C0h-3DFh (byte cycles),
// 500h-515h the dispi registers (500h + 2 x index), 600h-607h the qemu extended registers
// (600h: their size, 8; 604h: frame buffer byte order, 1E1E1E1Eh little / BEBEBEBEh big).
// The VGA's ISA ports and the A0000 window stay decoded whatever the Command register says, as
// on QEMU's pc machine.
class StdVgaPci final : public PciFunction {
 public:
  static constexpr u16 kVendor = 0x1234, kDevice = 0x1111;
  static constexpr u8 kRevisionId = 0x02;  // 2: the qemu extended registers are present
  static constexpr u32 kClass = 0x030000;
  static constexpr u32 kMmioSize = 0x1000;
  static constexpr u32 kMmioVgaPorts = 0x400, kMmioDispi = 0x500, kMmioQext = 0x600;
  static constexpr u32 kQextSize = 8;
  static constexpr u32 kQextLittleEndian = 0x1E1E1E1E, kQextBigEndian = 0xBEBEBEBE;

  // `option_rom`: the VGA BIOS a foreign system BIOS runs from the Expansion ROM BAR (SeaBIOS
  // wants Debian's vgabios-stdvga.bin); empty for emu's BIOS, whose int 10h is built in.
  StdVgaPci(Vga& vga, std::vector<u8> option_rom = {});

 private:
  // The Expansion ROM window: the image, all ones past its end (the ROM's size is a power of two).
  class OptionRom final : public MmioHandler {
   public:
    explicit OptionRom(std::vector<u8> image) : image_(std::move(image)) {}
    u32 mmio_read(u32 offset, unsigned size) override {
      u32 v = 0;
      for (unsigned k = 0; k < size; ++k)
        v |= u32{offset + k < image_.size() ? image_[offset + k] : u8{0xFF}} << (8 * k);
      return v;
    }
    void mmio_write(u32, unsigned, u32) override {}  // a ROM
    std::size_t size() const { return image_.size(); }

   private:
    std::vector<u8> image_;
  };
  OptionRom option_rom_;

  class Mmio final : public MmioHandler {
   public:
    explicit Mmio(Vga& vga) : vga_(vga) {}
    u32 mmio_read(u32 offset, unsigned size) override;
    void mmio_write(u32 offset, unsigned size, u32 value) override;

   private:
    u8 read_byte(u32 offset);
    Vga& vga_;
  };
  Mmio mmio_;
};

}  // namespace emu
