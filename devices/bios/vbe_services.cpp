#include "devices/bios/vbe_services.h"

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <span>
#include <vector>

#include "core/guest_log.h"

namespace emu {

namespace {

// The Bochs VBE ("dispi") interface (devices/vga/README.md): an index port and a data port.
constexpr u16 kDispiIndex = 0x1CE, kDispiData = 0x1CF;
constexpr u16 kDispiId = 0, kDispiXres = 1, kDispiYres = 2, kDispiBpp = 3, kDispiEnable = 4, kDispiBank = 5,
              kDispiVirtWidth = 6, kDispiVirtHeight = 7, kDispiXOffset = 8, kDispiYOffset = 9,
              kDispiVideoMemory64K = 0xA;
constexpr u16 kDispiEnabled = 0x01, kDispiLfbEnabled = 0x40, kDispiNoClearMem = 0x80;
constexpr u16 kDispiIdFirst = 0xB0C0, kDispiIdLast = 0xB0C5;

// VBE status in AH (VBE 3.0, "VBE Return Status").
constexpr u8 kOk = 0x00, kFailed = 0x01, kNotSupportedHere = 0x02;

// PCI 00:02.0, QEMU's stdvga slot: BAR0 is the linear framebuffer.
constexpr u32 kVgaConfigAddress = 0x80000000u | (2u << 11);
constexpr u16 kStdVgaVendor = 0x1234;

void put16(std::vector<u8>& b, std::size_t at, u16 v) {
  b[at] = static_cast<u8>(v), b[at + 1] = static_cast<u8>(v >> 8);
}
void put32(std::vector<u8>& b, std::size_t at, u32 v) {
  put16(b, at, static_cast<u16>(v));
  put16(b, at + 2, static_cast<u16>(v >> 16));
}

unsigned bytes_per_pixel(u8 bpp) { return (bpp + 7) / 8; }

// The colour channels of a direct-colour mode: mask size and field position for R, G, B and the
// reserved bits (VBE 3.0, ModeInfoBlock "Direct Color fields").
struct Channels {
  u8 red_size, red_pos, green_size, green_pos, blue_size, blue_pos, rsvd_size, rsvd_pos;
};
Channels channels(u8 bpp) {
  switch (bpp) {
    case 15: return {5, 10, 5, 5, 5, 0, 1, 15};
    case 16: return {5, 11, 6, 5, 5, 0, 0, 0};
    case 24: return {8, 16, 8, 8, 8, 0, 0, 0};
    case 32: return {8, 16, 8, 8, 8, 0, 8, 24};
    default: return {};
  }
}

}  // namespace

u16 BiosVbeServices::stacked(unsigned slot) const {
  const u32 at = cpu_.s.sreg(Seg::SS).base + ((cpu_.sp() + 2 * slot) & cpu_.sp_mask());
  u16 v = 0;
  dma_.read_u16(at, v);
  return v;
}

void BiosVbeServices::set_stacked(unsigned slot, u16 value) {
  dma_.write_u16(cpu_.s.sreg(Seg::SS).base + ((cpu_.sp() + 2 * slot) & cpu_.sp_mask()), value);
}

u32 BiosVbeServices::es_di() const { return cpu_.s.sreg(Seg::ES).base + (cpu_.s.gpr[EDI] & 0xFFFF); }

const VbeMode* BiosVbeServices::find(u16 number) const {
  for (const VbeMode& m : kVbeModes)
    if (m.number == number) return &m;
  return nullptr;
}

u16 BiosVbeServices::dispi_read(u16 index) {
  cpu_.bus.port_write(kDispiIndex, 2, index);
  return static_cast<u16>(cpu_.bus.port_read(kDispiData, 2));
}

void BiosVbeServices::dispi_write(u16 index, u16 value) {
  cpu_.bus.port_write(kDispiIndex, 2, index);
  cpu_.bus.port_write(kDispiData, 2, value);
}

// BAR0 of the VGA's PCI function, as the BIOS's enumeration placed it (0 if there is none). The
// guest's CONFIG_ADDRESS latch is put back as it was.
u32 BiosVbeServices::framebuffer_address() {
  const u32 saved = cpu_.bus.port_read(0xCF8, 4);
  cpu_.bus.port_write(0xCF8, 4, kVgaConfigAddress);
  const u32 ids = cpu_.bus.port_read(0xCFC, 4);
  cpu_.bus.port_write(0xCF8, 4, kVgaConfigAddress | 0x10);
  const u32 bar0 = cpu_.bus.port_read(0xCFC, 4);
  cpu_.bus.port_write(0xCF8, 4, saved);
  return (ids & 0xFFFF) == kStdVgaVendor ? (bar0 & ~0xFu) : 0;
}

void BiosVbeServices::int10() {
  const u16 ax = stacked(0);
  const u16 id = dispi_read(kDispiId);
  if (id < kDispiIdFirst || id > kDispiIdLast) {
    answer(kNotSupportedHere);  // no dispi: a VGA without the extension
    return;
  }
  switch (static_cast<u8>(ax)) {
    case 0x00: controller_info(); break;
    case 0x01: mode_info(); break;
    case 0x02: set_mode(); break;
    case 0x03:
      cpu_.s.gpr[EBX] = (cpu_.s.gpr[EBX] & 0xFFFF0000u) | current_mode_;
      answer(kOk);
      break;
    case 0x04: save_restore_state(); break;
    case 0x05: window(); break;
    case 0x06: scanline_length(); break;
    case 0x07: display_start(); break;
    case 0x08: dac_format(); break;
    case 0x09: palette(); break;
    default:
      // 0Ah (the protected-mode interface, optional in VBE 3.0), 10h (power), 15h (DDC): not here.
      answer(kNotSupportedHere);
  }
}

// 4F00h: the VbeInfoBlock at ES:DI — 512 bytes when the caller wrote "VBE2" there, else 256. The
// mode list and the strings go in the block's own reserved area (offset 34 on), so every far
// pointer stays valid as long as the caller's buffer does.
void BiosVbeServices::controller_info() {
  const u32 at = es_di();
  std::array<u8, 4> signature{};
  const bool vbe2 = dma_.read(at, signature) == DmaResult::Ok && std::memcmp(signature.data(), "VBE2", 4) == 0;
  std::vector<u8> block(vbe2 ? 512 : 256, 0);
  std::memcpy(block.data(), "VESA", 4);
  put16(block, 4, 0x0300);  // VBE 3.0
  const u16 segment = cpu_.s.sreg(Seg::ES).selector, offset = static_cast<u16>(cpu_.s.gpr[EDI]);
  auto far_pointer = [&](std::size_t field, std::size_t where) {
    put16(block, field, static_cast<u16>(offset + where));
    put16(block, field + 2, segment);
  };
  put32(block, 10, 0);  // capabilities: a 6-bit DAC, VGA-compatible, normal RAMDAC
  std::size_t cursor = 34;
  far_pointer(14, cursor);  // the mode list
  const u32 memory = u32{dispi_read(kDispiVideoMemory64K)} * 0x10000u;
  for (const VbeMode& m : kVbeModes)
    if (u32{m.width} * m.height * bytes_per_pixel(m.bpp) <= memory) put16(block, cursor, m.number), cursor += 2;
  put16(block, cursor, 0xFFFF), cursor += 2;
  put16(block, 18, static_cast<u16>(memory / 0x10000u));  // TotalMemory in 64 KiB blocks
  put16(block, 20, 0x0001);                               // OemSoftwareRev
  auto string = [&](std::size_t field, const char* text) {
    far_pointer(field, cursor);
    std::memcpy(&block[cursor], text, std::strlen(text) + 1);
    cursor += std::strlen(text) + 1;
  };
  string(6, "emu VBE (Bochs dispi)");  // OemStringPtr
  string(22, "emu");                   // OemVendorNamePtr
  string(26, "emu stdvga");            // OemProductNamePtr
  string(30, "1");                     // OemProductRevPtr
  answer(dma_.write(at, block) == DmaResult::Ok ? kOk : kFailed);
}

// 4F01h: CX = the mode; the ModeInfoBlock (256 bytes) at ES:DI.
void BiosVbeServices::mode_info() {
  const VbeMode* m = find(static_cast<u16>(cpu_.s.gpr[ECX] & 0x1FF));
  if (!m) {
    answer(kFailed);
    return;
  }
  const u32 pitch = u32{m->width} * bytes_per_pixel(m->bpp);
  const u32 memory = u32{dispi_read(kDispiVideoMemory64K)} * 0x10000u;
  const u32 pages = std::min<u32>(255, memory / (pitch * m->height) - 1);
  const u32 lfb = framebuffer_address();
  std::vector<u8> info(256, 0);
  // Supported, (VBE 1.2 extended info), colour, graphics; a linear framebuffer if BAR0 is there.
  put16(info, 0, static_cast<u16>(0x001B | (lfb ? 0x0080 : 0)));
  info[2] = 0x07;      // window A: present, readable, writable
  put16(info, 4, 64);  // granularity and size: 64 KiB banks at A000h (dispi BANK)
  put16(info, 6, 64);
  put16(info, 8, 0xA000);
  put16(info, 16, static_cast<u16>(pitch));
  put16(info, 18, m->width);
  put16(info, 20, m->height);
  info[22] = 8, info[23] = 16;  // character cell
  info[24] = 1;                 // planes
  info[25] = m->bpp;
  info[26] = 1;                          // banks
  info[27] = m->bpp == 8 ? 0x04 : 0x06;  // packed pixel, or direct colour
  info[29] = static_cast<u8>(pages);
  info[30] = 1;
  const Channels c = channels(m->bpp);
  const u8 colour[8] = {c.red_size,  c.red_pos,  c.green_size, c.green_pos,
                        c.blue_size, c.blue_pos, c.rsvd_size,  c.rsvd_pos};
  std::memcpy(&info[31], colour, 8);
  put32(info, 40, lfb);                      // PhysBasePtr
  put16(info, 50, static_cast<u16>(pitch));  // LinBytesPerScanLine (VBE 3.0)
  info[52] = info[53] = static_cast<u8>(pages);
  std::memcpy(&info[54], colour, 8);  // the Lin* colour fields
  answer(dma_.write(es_di(), info) == DmaResult::Ok ? kOk : kFailed);
}

// 4F02h: BX = the mode, bit 14 the linear framebuffer, bit 15 keep memory. VGA modes (below 100h)
// never get here: the assembly half hands them to AH=00h (video.asm).
void BiosVbeServices::set_mode() {
  const u16 bx = static_cast<u16>(cpu_.s.gpr[EBX]);
  const VbeMode* m = find(bx & 0x1FF);
  const bool linear = bx & 0x4000, keep = bx & 0x8000;
  if (!m || (linear && !framebuffer_address())) {
    GuestLog::instance().log("vbe", "4F02h: mode %04x is not offered", bx);
    answer(kFailed);
    return;
  }
  dispi_write(kDispiEnable, 0);
  dispi_write(kDispiBpp, m->bpp);
  dispi_write(kDispiXres, m->width);
  dispi_write(kDispiYres, m->height);
  dispi_write(kDispiBank, 0);
  dispi_write(kDispiVirtWidth, m->width);
  dispi_write(kDispiVirtHeight, m->height);
  dispi_write(kDispiXOffset, 0);
  dispi_write(kDispiYOffset, 0);
  dispi_write(kDispiEnable,
              static_cast<u16>(kDispiEnabled | (linear ? kDispiLfbEnabled : 0) | (keep ? kDispiNoClearMem : 0)));
  if (dispi_read(kDispiXres) != m->width || dispi_read(kDispiYres) != m->height || dispi_read(kDispiBpp) != m->bpp) {
    dispi_write(kDispiEnable, 0);
    answer(kFailed);
    return;
  }
  current_mode_ = static_cast<u16>(m->number | (linear ? 0x4000 : 0));
  answer(kOk);
}

// 4F05h: the 64 KiB bank in the A000h window. BH = 0 set (DX = bank), 1 get; BL = 0 (window A).
void BiosVbeServices::window() {
  const u8 bh = static_cast<u8>(cpu_.s.gpr[EBX] >> 8), bl = static_cast<u8>(cpu_.s.gpr[EBX]);
  if (bl != 0 || bh > 1) {
    answer(kFailed);
    return;
  }
  if (bh == 0)
    dispi_write(kDispiBank, stacked(1));
  else
    set_stacked(1, dispi_read(kDispiBank));
  answer(kOk);
}

// 4F06h: the logical scan line. BL = 0 set in pixels (CX), 1 get, 2 set in bytes (CX), 3 get
// the maximum. Returns BX = bytes per line, CX = pixels, DX = the lines memory holds.
void BiosVbeServices::scanline_length() {
  const u8 bl = static_cast<u8>(cpu_.s.gpr[EBX]);
  const u16 bpp = dispi_read(kDispiBpp);
  const unsigned bytes = bytes_per_pixel(static_cast<u8>(bpp ? bpp : 8));
  const u32 memory = u32{dispi_read(kDispiVideoMemory64K)} * 0x10000u;
  const u16 cx = static_cast<u16>(cpu_.s.gpr[ECX]);
  switch (bl) {
    case 0: dispi_write(kDispiVirtWidth, cx); break;
    case 2: dispi_write(kDispiVirtWidth, static_cast<u16>(cx / bytes)); break;
    case 1: break;
    case 3: {
      const u32 max_pixels = std::min<u32>(0xFFFF, memory / bytes / std::max<u16>(1, dispi_read(kDispiYres)));
      cpu_.s.gpr[EBX] = (cpu_.s.gpr[EBX] & 0xFFFF0000u) | static_cast<u16>(std::min<u32>(0xFFFF, max_pixels * bytes));
      cpu_.s.gpr[ECX] = (cpu_.s.gpr[ECX] & 0xFFFF0000u) | static_cast<u16>(max_pixels);
      answer(kOk);
      return;
    }
    default: answer(kFailed); return;
  }
  const u32 width = dispi_read(kDispiVirtWidth), line_bytes = width * bytes;
  cpu_.s.gpr[EBX] = (cpu_.s.gpr[EBX] & 0xFFFF0000u) | static_cast<u16>(std::min<u32>(0xFFFF, line_bytes));
  cpu_.s.gpr[ECX] = (cpu_.s.gpr[ECX] & 0xFFFF0000u) | static_cast<u16>(width);
  set_stacked(1, static_cast<u16>(line_bytes ? std::min<u32>(0xFFFF, memory / line_bytes) : 0));
  answer(kOk);
}

// 4F07h: the display start. BL = 0 or 80h set (CX = first pixel, DX = first line), 1 get.
void BiosVbeServices::display_start() {
  const u8 bl = static_cast<u8>(cpu_.s.gpr[EBX]);
  if (bl == 0x00 || bl == 0x80) {
    dispi_write(kDispiXOffset, static_cast<u16>(cpu_.s.gpr[ECX]));
    dispi_write(kDispiYOffset, stacked(1));
  } else if (bl == 0x01) {
    cpu_.s.gpr[EBX] &= 0xFFFF00FFu;  // BH = 0
    cpu_.s.gpr[ECX] = (cpu_.s.gpr[ECX] & 0xFFFF0000u) | dispi_read(kDispiXOffset);
    set_stacked(1, dispi_read(kDispiYOffset));
  } else {
    answer(kFailed);
    return;
  }
  answer(kOk);
}

// 4F08h: the DAC's width. The VGA's DAC is 6 bits; a request for 8 gets 6 back in BH, as the
// standard allows ("the closest width the hardware supports").
void BiosVbeServices::dac_format() {
  const u8 bl = static_cast<u8>(cpu_.s.gpr[EBX]);
  if (bl > 1) {
    answer(kFailed);
    return;
  }
  cpu_.s.gpr[EBX] = (cpu_.s.gpr[EBX] & 0xFFFF00FFu) | (6u << 8);
  answer(kOk);
}

// 4F09h: DAC entries from/to the table at ES:DI (4 bytes each: blue, green, red, alignment).
// BL = 0 or 80h set, 1 get; CX entries from DX.
void BiosVbeServices::palette() {
  const u8 bl = static_cast<u8>(cpu_.s.gpr[EBX]);
  const u32 count = cpu_.s.gpr[ECX] & 0xFFFF, first = stacked(1);
  if ((bl != 0x00 && bl != 0x80 && bl != 0x01) || first > 255 || count > 256 - first) {
    answer(kFailed);
    return;
  }
  std::vector<u8> table(count * 4);
  if (bl == 0x01) {
    cpu_.bus.port_write(0x3C7, 1, first);
    for (u32 k = 0; k < count; ++k) {
      table[4 * k + 2] = static_cast<u8>(cpu_.bus.port_read(0x3C9, 1));
      table[4 * k + 1] = static_cast<u8>(cpu_.bus.port_read(0x3C9, 1));
      table[4 * k + 0] = static_cast<u8>(cpu_.bus.port_read(0x3C9, 1));
    }
    answer(dma_.write(es_di(), table) == DmaResult::Ok ? kOk : kFailed);
    return;
  }
  if (dma_.read(es_di(), table) != DmaResult::Ok) {
    answer(kFailed);
    return;
  }
  cpu_.bus.port_write(0x3C8, 1, first);
  for (u32 k = 0; k < count; ++k)
    for (const unsigned c : {2u, 1u, 0u}) cpu_.bus.port_write(0x3C9, 1, table[4 * k + c] & 0x3F);
  answer(kOk);
}

// 4F04h: save/restore the video state. CX = which parts (bit 0 the VGA's registers, bit 1 the
// BIOS's video data, bit 2 the DAC, bit 3 the extension's registers); DL = 0 the buffer size in
// 64-byte blocks (BX), 1 save to ES:BX, 2 restore from ES:BX.
void BiosVbeServices::save_restore_state() {
  const u16 states = static_cast<u16>(cpu_.s.gpr[ECX] & 0x0F);
  const u8 dl = static_cast<u8>(stacked(1));
  const u32 buffer = cpu_.s.sreg(Seg::ES).base + (cpu_.s.gpr[EBX] & 0xFFFF);
  if (dl > 2) {
    answer(kFailed);
    return;
  }
  if (dl == 0) {
    const std::size_t bytes = capture_state(states).size();
    cpu_.s.gpr[EBX] = (cpu_.s.gpr[EBX] & 0xFFFF0000u) | static_cast<u16>((bytes + 63) / 64);
    answer(kOk);
    return;
  }
  if (dl == 1) {
    answer(dma_.write(buffer, capture_state(states)) == DmaResult::Ok ? kOk : kFailed);
    return;
  }
  std::vector<u8> image(capture_state(states).size());
  if (dma_.read(buffer, image) != DmaResult::Ok) {
    answer(kFailed);
    return;
  }
  restore_state(states, image);
  answer(kOk);
}

namespace {
// The VGA registers 4F04h keeps, read and written through the ports (IBM VGA Technical
// Reference): Misc Output, SR0-4, CR00-18, GR0-8, AR00-14, and the index registers.
constexpr unsigned kSequencer = 5, kCrtc = 25, kGraphics = 9, kAttribute = 21;
constexpr unsigned kVgaStateBytes = 1 + kSequencer + kCrtc + kGraphics + kAttribute + 4;
constexpr unsigned kBiosDataFirst = 0x449, kBiosDataCount = 0x466 - 0x449 + 1, kBiosData2First = 0x484,
                   kBiosData2Count = 0x48A - 0x484 + 1;
constexpr unsigned kDispiSaved = 9;  // XRES (1) .. Y_OFFSET (9); VIDEO_MEMORY_64K is read-only
}  // namespace

std::vector<u8> BiosVbeServices::capture_state(u16 states) {
  AddressSpace& bus = cpu_.bus;
  std::vector<u8> out;
  if (states & 1) {
    const u8 misc = static_cast<u8>(bus.port_read(0x3CC, 1));
    const u16 crtc = (misc & 1) ? 0x3D4 : 0x3B4;
    const u8 seq_index = static_cast<u8>(bus.port_read(0x3C4, 1)), crtc_index = static_cast<u8>(bus.port_read(crtc, 1));
    const u8 gc_index = static_cast<u8>(bus.port_read(0x3CE, 1));
    out.push_back(misc);
    for (unsigned k = 0; k < kSequencer; ++k)
      bus.port_write(0x3C4, 1, k), out.push_back(static_cast<u8>(bus.port_read(0x3C5, 1)));
    for (unsigned k = 0; k < kCrtc; ++k)
      bus.port_write(crtc, 1, k), out.push_back(static_cast<u8>(bus.port_read(crtc + 1, 1)));
    for (unsigned k = 0; k < kGraphics; ++k)
      bus.port_write(0x3CE, 1, k), out.push_back(static_cast<u8>(bus.port_read(0x3CF, 1)));
    bus.port_read(crtc + 6, 1);  // the attribute flip-flop to "index"
    const u8 ar_index = static_cast<u8>(bus.port_read(0x3C0, 1));
    for (unsigned k = 0; k < kAttribute; ++k) {
      bus.port_read(crtc + 6, 1);
      bus.port_write(0x3C0, 1, k | (ar_index & 0x20));
      out.push_back(static_cast<u8>(bus.port_read(0x3C1, 1)));
    }
    bus.port_read(crtc + 6, 1);
    bus.port_write(0x3C0, 1, ar_index);
    bus.port_write(0x3C4, 1, seq_index), bus.port_write(crtc, 1, crtc_index), bus.port_write(0x3CE, 1, gc_index);
    out.insert(out.end(), {seq_index, crtc_index, gc_index, ar_index});
  }
  if (states & 2) {
    std::vector<u8> data(kBiosDataCount + kBiosData2Count);
    dma_.read(kBiosDataFirst, std::span(data).first(kBiosDataCount));
    dma_.read(kBiosData2First, std::span(data).subspan(kBiosDataCount));
    out.insert(out.end(), data.begin(), data.end());
  }
  if (states & 4) {
    out.push_back(static_cast<u8>(bus.port_read(0x3C6, 1)));
    bus.port_write(0x3C7, 1, 0);
    for (unsigned k = 0; k < 768; ++k) out.push_back(static_cast<u8>(bus.port_read(0x3C9, 1)));
  }
  if (states & 8) {
    for (u16 index = kDispiXres; index < kDispiXres + kDispiSaved; ++index) {
      const u16 v = dispi_read(index);
      out.push_back(static_cast<u8>(v)), out.push_back(static_cast<u8>(v >> 8));
    }
  }
  return out;
}

void BiosVbeServices::restore_state(u16 states, const std::vector<u8>& image) {
  AddressSpace& bus = cpu_.bus;
  std::size_t at = 0;
  if (states & 1) {
    const u8 misc = image[at++];
    bus.port_write(0x3C2, 1, misc);
    const u16 crtc = (misc & 1) ? 0x3D4 : 0x3B4;
    for (unsigned k = 0; k < kSequencer; ++k) bus.port_write(0x3C4, 1, k), bus.port_write(0x3C5, 1, image[at++]);
    bus.port_write(crtc, 1, 0x11), bus.port_write(crtc + 1, 1, image[at + 0x11] & 0x7F);  // CR11 unprotected first
    for (unsigned k = 0; k < kCrtc; ++k) bus.port_write(crtc, 1, k), bus.port_write(crtc + 1, 1, image[at++]);
    for (unsigned k = 0; k < kGraphics; ++k) bus.port_write(0x3CE, 1, k), bus.port_write(0x3CF, 1, image[at++]);
    bus.port_read(crtc + 6, 1);
    for (unsigned k = 0; k < kAttribute; ++k) bus.port_write(0x3C0, 1, k), bus.port_write(0x3C0, 1, image[at++]);
    const u8 seq_index = image[at++], crtc_index = image[at++], gc_index = image[at++], ar_index = image[at++];
    bus.port_write(0x3C0, 1, ar_index);
    bus.port_write(0x3C4, 1, seq_index), bus.port_write(crtc, 1, crtc_index), bus.port_write(0x3CE, 1, gc_index);
  }
  if (states & 2) {
    dma_.write(kBiosDataFirst, std::span(image).subspan(at, kBiosDataCount));
    dma_.write(kBiosData2First, std::span(image).subspan(at + kBiosDataCount, kBiosData2Count));
    at += kBiosDataCount + kBiosData2Count;
  }
  if (states & 4) {
    bus.port_write(0x3C6, 1, image[at++]);
    bus.port_write(0x3C8, 1, 0);
    for (unsigned k = 0; k < 768; ++k) bus.port_write(0x3C9, 1, image[at++]);
  }
  if (states & 8) {
    // The mode registers with the extension off, then ENABLE (with "keep memory": a restore must
    // not clear the picture it brings back).
    u16 regs[kDispiSaved];
    for (unsigned k = 0; k < kDispiSaved; ++k)
      regs[k] = static_cast<u16>(image[at + 2 * k] | image[at + 2 * k + 1] << 8);
    const unsigned enable = kDispiEnable - kDispiXres;
    dispi_write(kDispiEnable, 0);
    for (unsigned k = 0; k < kDispiSaved; ++k)
      if (k != enable) dispi_write(static_cast<u16>(kDispiXres + k), regs[k]);
    if (regs[enable] & kDispiEnabled) dispi_write(kDispiEnable, static_cast<u16>(regs[enable] | kDispiNoClearMem));
    // Registers that enabling resets (virtual size, offsets, bank) go back once more.
    for (unsigned k = 0; k < kDispiSaved; ++k)
      if (k != enable) dispi_write(static_cast<u16>(kDispiXres + k), regs[k]);
  }
}

std::string BiosVbeServices::describe() const {
  char line[64];
  std::snprintf(line, sizeof line, "vbe: mode %04x\n", current_mode_);
  return line;
}

}  // namespace emu
