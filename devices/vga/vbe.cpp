#include "devices/vga/vbe.h"

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <stdexcept>

#include "core/guest_log.h"
#include "core/serializer.h"
#include "devices/vga/vga.h"

namespace emu {

namespace {

bool valid_bpp(u16 bpp) {
  switch (bpp) {
    case 4:
    case 8:
    case 15:
    case 16:
    case 24:
    case 32: return true;
    default: return false;
  }
}

}  // namespace

VbeDispi::VbeDispi(std::span<u8> memory) : memory_(memory) {
  if (memory_.size() != vbe::kMemorySize) throw std::logic_error("vbe: video memory must be 16 MiB");
  reset();
}

void VbeDispi::reset() { regs_ = VbeRegisters{}; }

// ---- geometry ------------------------------------------------------------------------------

unsigned VbeDispi::bytes_per_pixel() const {
  switch (regs_.bpp) {
    case 4: return 0;
    case 15:
    case 16: return 2;
    case 24: return 3;
    case 32: return 4;
    default: return 1;
  }
}

u32 VbeDispi::line_bytes_for(u32 virt_width) const {
  // 4 bpp is the VGA's planar layout: ceil(width / 8) addresses per line, four bytes (one per
  // plane) at each address.
  if (regs_.bpp == 4) return 4 * ((virt_width + 7) / 8);
  return virt_width * bytes_per_pixel();
}

u16 VbeDispi::max_virt_width() const {
  // The widest line of which YRES lines still fit in video memory.
  const u32 per_line = vbe::kMemorySize / std::max<u32>(regs_.yres, 1);
  const u32 width = regs_.bpp == 4 ? per_line / 4 * 8 : per_line / bytes_per_pixel();
  return static_cast<u16>(std::min<u32>(width, 0xFFFF));
}

u16 VbeDispi::virt_height() const {
  return static_cast<u16>(std::min<u32>(vbe::kMemorySize / std::max<u32>(line_bytes(), 1), 0xFFFF));
}

void VbeDispi::fix_geometry() {
  // XRES x YRES always fits (kMaxXres x kMaxYres x 4 <= 16 MiB), so XRES <= max_virt_width().
  regs_.virt_width = std::clamp(regs_.virt_width, regs_.xres, std::max(regs_.xres, max_virt_width()));
  regs_.x_offset = std::min<u16>(regs_.x_offset, regs_.virt_width - regs_.xres);
  regs_.y_offset = std::min<u16>(regs_.y_offset, virt_height() - regs_.yres);
}

bool VbeDispi::registers_valid() const {
  if (regs_.id < vbe::kId0 || regs_.id > vbe::kId5) return false;
  if (regs_.xres == 0 || regs_.xres > vbe::kMaxXres || regs_.yres == 0 || regs_.yres > vbe::kMaxYres) return false;
  if (!valid_bpp(regs_.bpp) || (regs_.enable & ~vbe::kEnableBits) || regs_.bank >= vbe::kBankCount) return false;
  if (regs_.virt_width < regs_.xres || regs_.virt_width > max_virt_width()) return false;
  return regs_.x_offset <= regs_.virt_width - regs_.xres && regs_.y_offset <= virt_height() - regs_.yres;
}

// ---- registers -----------------------------------------------------------------------------

u16 VbeDispi::read_register(u16 index) const {
  const bool caps = regs_.enable & vbe::kGetCaps;
  switch (index) {
    case vbe::kIndexId: return regs_.id;
    case vbe::kIndexXres: return caps ? vbe::kMaxXres : regs_.xres;
    case vbe::kIndexYres: return caps ? vbe::kMaxYres : regs_.yres;
    case vbe::kIndexBpp: return caps ? vbe::kMaxBpp : regs_.bpp;
    case vbe::kIndexEnable: return regs_.enable;
    case vbe::kIndexBank: return regs_.bank;
    case vbe::kIndexVirtWidth: return regs_.virt_width;
    case vbe::kIndexVirtHeight: return virt_height();
    case vbe::kIndexXOffset: return regs_.x_offset;
    case vbe::kIndexYOffset: return regs_.y_offset;
    case vbe::kIndexVideoMemory64k: return vbe::kBankCount;
    default: return 0;
  }
}

void VbeDispi::write_register(u16 index, u16 value) {
  GuestLog& log = GuestLog::instance();
  switch (index) {
    case vbe::kIndexId:
      if (value < vbe::kId0 || value > vbe::kId5) {
        log.log("vbe", "unknown interface ID %04x written: ignored", value);
        return;
      }
      regs_.id = value;
      return;
    case vbe::kIndexXres:
      if (value == 0 || value > vbe::kMaxXres) {
        log.log("vbe", "XRES %u outside 1..%u: clamped", value, vbe::kMaxXres);
        value = std::clamp<u16>(value, 1, vbe::kMaxXres);
      }
      regs_.xres = value;
      fix_geometry();
      return;
    case vbe::kIndexYres:
      if (value == 0 || value > vbe::kMaxYres) {
        log.log("vbe", "YRES %u outside 1..%u: clamped", value, vbe::kMaxYres);
        value = std::clamp<u16>(value, 1, vbe::kMaxYres);
      }
      regs_.yres = value;
      fix_geometry();
      return;
    case vbe::kIndexBpp:
      if (value == 0) value = 8;  // "a value of 0 is treated the same as 8" (vbe_display_api.txt)
      if (!valid_bpp(value)) {
        log.log("vbe", "BPP %u is not 4, 8, 15, 16, 24 or 32: using 8", value);
        value = 8;
      }
      regs_.bpp = value;
      fix_geometry();
      return;
    case vbe::kIndexEnable: write_enable(value); return;
    case vbe::kIndexBank:
      if (value >= vbe::kBankCount) {
        log.log("vbe", "BANK %04x beyond the %u banks of video memory: upper bits dropped", value, vbe::kBankCount);
        value &= vbe::kBankCount - 1;
      }
      regs_.bank = value;
      return;
    case vbe::kIndexVirtWidth: {
      // Below XRES is raised to XRES ("adjusted if current setting is not possible"); a width
      // whose YRES lines do not fit in memory is clamped.
      const u16 widest = max_virt_width();
      if (value > widest) {
        log.log("vbe", "VIRT_WIDTH %u: %u lines do not fit in video memory; clamped to %u", value, regs_.yres, widest);
        value = widest;
      }
      regs_.virt_width = value;
      fix_geometry();
      return;
    }
    case vbe::kIndexVirtHeight:
      // Derived from the memory and the line length (drivers write it anyway: ignored).
      return;
    case vbe::kIndexXOffset: {
      const u16 limit = regs_.virt_width - regs_.xres;
      if (value > limit) {
        log.log("vbe", "X_OFFSET %u beyond the virtual width: clamped to %u", value, limit);
        value = limit;
      }
      regs_.x_offset = value;
      return;
    }
    case vbe::kIndexYOffset: {
      const u16 limit = virt_height() - regs_.yres;
      if (value > limit) {
        log.log("vbe", "Y_OFFSET %u beyond the virtual height: clamped to %u", value, limit);
        value = limit;
      }
      regs_.y_offset = value;
      return;
    }
    case vbe::kIndexVideoMemory64k:
      log.log("vbe", "write %04x to the read-only VIDEO_MEMORY_64K register", value);
      return;
    default: log.log("vbe", "write %04x to dispi register %x, which does not exist", value, index); return;
  }
}

void VbeDispi::write_enable(u16 value) {
  if (value & ~vbe::kEnableBits) {
    GuestLog::instance().log("vbe", "ENABLE %04x has undefined bits: dropped", value);
    value &= vbe::kEnableBits;
  }
  const bool was_enabled = enabled();
  regs_.enable = value;
  if (!enabled() || was_enabled) return;
  // Enabling a mode starts with the virtual screen as wide as the mode and no panning, and
  // clears the screen unless NOCLEARMEM asks to keep it.
  regs_.virt_width = regs_.xres;
  regs_.x_offset = regs_.y_offset = 0;
  fix_geometry();
  if (!(value & vbe::kNoClearMem)) {
    const std::size_t bytes = std::min<std::size_t>(std::size_t{regs_.yres} * line_bytes(), memory_.size());
    std::fill_n(memory_.begin(), bytes, u8{0});
  }
}

// ---- ports -----------------------------------------------------------------------------------

u16 VbeDispi::read16(u16 port) const {
  switch (port) {
    case vbe::kIndexPort: return regs_.index;
    case vbe::kDataPort:
    case vbe::kDataAliasPort: return read_register(regs_.index);
    default: return 0xFFFF;
  }
}

void VbeDispi::write16(u16 port, u16 value) {
  switch (port) {
    case vbe::kIndexPort: regs_.index = value; return;
    case vbe::kDataPort:
    case vbe::kDataAliasPort: write_register(regs_.index, value); return;
    default: return;
  }
}

u32 VbeDispi::port_read(u16 port, unsigned size) {
  if (size == 4) return read16(port) | u32{read16(static_cast<u16>(port + 2))} << 16;
  if (size == 1) return read16(port) & 0xFFu;
  return read16(port);
}

void VbeDispi::port_write(u16 port, unsigned size, u32 value) {
  if (size == 4) {
    write16(port, static_cast<u16>(value));
    write16(static_cast<u16>(port + 2), static_cast<u16>(value >> 16));
    return;
  }
  write16(port, static_cast<u16>(size == 1 ? value & 0xFF : value & 0xFFFF));
}

// ---- memory ----------------------------------------------------------------------------------

u32 VbeDispi::mmio_read(u32 offset, unsigned size) {
  u32 value = 0;
  for (unsigned k = 0; k < size && k < 4; ++k) {
    const u64 at = u64{offset} + k;
    value |= u32{at < memory_.size() ? memory_[at] : u8{0xFF}} << (8 * k);
  }
  return value;
}

void VbeDispi::mmio_write(u32 offset, unsigned size, u32 value) {
  for (unsigned k = 0; k < size && k < 4; ++k) {
    const u64 at = u64{offset} + k;
    if (at < memory_.size()) memory_[at] = static_cast<u8>(value >> (8 * k));
  }
}

u8 VbeDispi::bank_read(u32 window_offset) const {
  // BANK < kBankCount and the window is 64 KiB, so this stays below 16 MiB; checked anyway.
  const u64 at = u64{bank_offset()} + (window_offset & (vbe::kBankSize - 1));
  return at < memory_.size() ? memory_[at] : u8{0xFF};
}

void VbeDispi::bank_write(u32 window_offset, u8 value) {
  const u64 at = u64{bank_offset()} + (window_offset & (vbe::kBankSize - 1));
  if (at < memory_.size()) memory_[at] = value;
}

// ---- views and state -------------------------------------------------------------------------

std::string VbeDispi::describe() const {
  char line[200];
  std::snprintf(
      line, sizeof line, "vbe: id=%04x %s %ux%ux%u virtual %ux%u offset %u,%u bank %u enable=%02x%s%s%s index=%x\n",
      regs_.id, enabled() ? "enabled" : "disabled", regs_.xres, regs_.yres, regs_.bpp, regs_.virt_width, virt_height(),
      regs_.x_offset, regs_.y_offset, regs_.bank, regs_.enable, (regs_.enable & vbe::kLfbEnabled) ? " lfb" : "",
      dac_8bit() ? " 8-bit-dac" : "", regs_.big_endian ? " big-endian" : "", regs_.index);
  return line;
}

void VbeDispi::serialize(StateVisitor& v) {
  v.field("vbe_index", regs_.index);
  v.field("vbe_id", regs_.id);
  v.field("vbe_xres", regs_.xres);
  v.field("vbe_yres", regs_.yres);
  v.field("vbe_bpp", regs_.bpp);
  v.field("vbe_enable", regs_.enable);
  v.field("vbe_bank", regs_.bank);
  v.field("vbe_virt_width", regs_.virt_width);
  v.field("vbe_x_offset", regs_.x_offset);
  v.field("vbe_y_offset", regs_.y_offset);
  v.field("vbe_big_endian", regs_.big_endian);
  if (v.loading() && !registers_valid()) v.reject("vbe: dispi registers out of range");
}

// ---- the PCI function --------------------------------------------------------------------------

namespace {

PciIdentity stdvga_identity() {
  PciIdentity id;
  id.vendor_id = StdVgaPci::kVendor;
  id.device_id = StdVgaPci::kDevice;
  id.revision = StdVgaPci::kRevisionId;
  id.class_code = StdVgaPci::kClass;
  id.subsystem_vendor_id = 0x1AF4;  // Red Hat / Qumranet, QEMU's subsystem IDs
  id.subsystem_id = 0x1100;
  return id;
}

}  // namespace

StdVgaPci::StdVgaPci(Vga& vga, std::vector<u8> option_rom)
    : PciFunction("stdvga", stdvga_identity()), option_rom_(std::move(option_rom)), mmio_(vga) {
  define_memory_bar(0, vbe::kMemorySize, &vga.vbe(), /*prefetchable=*/true);
  define_memory_bar(2, kMmioSize, &mmio_);
  if (option_rom_.size()) {
    u32 window = 2048;  // PCI Local Bus 3.0 §6.2.5.2: a power of two, at least 2 KiB
    while (window < option_rom_.size() && window < (1u << 24)) window <<= 1;
    define_rom_bar(window, &option_rom_);
  }
}

u8 StdVgaPci::Mmio::read_byte(u32 offset) {
  if (offset >= kMmioVgaPorts && offset < kMmioVgaPorts + 0x20)
    return static_cast<u8>(vga_.port_read(static_cast<u16>(0x3C0 + offset - kMmioVgaPorts), 1));
  if (offset >= kMmioDispi && offset < kMmioDispi + 2 * vbe::kIndexCount) {
    const u16 reg = vga_.vbe().read_register(static_cast<u16>((offset - kMmioDispi) / 2));
    return static_cast<u8>((offset & 1) ? reg >> 8 : reg);
  }
  if (offset >= kMmioQext && offset < kMmioQext + kQextSize) {
    const u32 reg = offset < kMmioQext + 4                ? kQextSize
                    : vga_.vbe().big_endian_framebuffer() ? kQextBigEndian
                                                          : kQextLittleEndian;
    return static_cast<u8>(reg >> (8 * (offset & 3)));
  }
  return 0x00;  // no EDID at 000h-3FFh; nothing else decoded
}

u32 StdVgaPci::Mmio::mmio_read(u32 offset, unsigned size) {
  u32 value = 0;
  for (unsigned k = 0; k < size && k < 4; ++k) value |= u32{read_byte(offset + k)} << (8 * k);
  return value;
}

void StdVgaPci::Mmio::mmio_write(u32 offset, unsigned size, u32 value) {
  VbeDispi& vbe = vga_.vbe();
  if (offset >= kMmioVgaPorts && offset < kMmioVgaPorts + 0x20) {
    // The VGA's ports as byte cycles (Vga splits wider accesses at consecutive ports).
    vga_.port_write(static_cast<u16>(0x3C0 + offset - kMmioVgaPorts), size, value);
    return;
  }
  if (offset >= kMmioDispi && offset < kMmioDispi + 2 * vbe::kIndexCount) {
    const u32 rel = offset - kMmioDispi;
    if (size == 2 && !(rel & 1)) return vbe.write_register(static_cast<u16>(rel / 2), static_cast<u16>(value));
    if (size == 4 && !(rel & 1)) {
      vbe.write_register(static_cast<u16>(rel / 2), static_cast<u16>(value));
      vbe.write_register(static_cast<u16>(rel / 2 + 1), static_cast<u16>(value >> 16));
      return;
    }
    // A byte (or misaligned) write merges into the register's current value.
    for (unsigned k = 0; k < size && k < 4; ++k) {
      const u32 at = rel + k;
      const u16 index = static_cast<u16>(at / 2);
      const u16 old = vbe.read_register(index);
      const u16 byte = static_cast<u8>(value >> (8 * k));
      vbe.write_register(index, static_cast<u16>((at & 1) ? (old & 0x00FF) | (byte << 8) : (old & 0xFF00) | byte));
    }
    return;
  }
  if (offset == kMmioQext + 4 && size == 4) {
    if (value == kQextBigEndian || value == kQextLittleEndian) {
      vbe.set_big_endian_framebuffer(value == kQextBigEndian);
      return;
    }
    GuestLog::instance().log("vbe", "frame buffer byte order %08x is neither 1e1e1e1e nor bebebebe: ignored", value);
    return;
  }
  GuestLog::instance().log("vbe", "write %08x (%u bytes) to stdvga MMIO offset %03x, which does not decode it", value,
                           size, offset);
}

}  // namespace emu
