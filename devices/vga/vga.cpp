#include "devices/vga/vga.h"

#include <algorithm>
#include <cstdio>

#include "core/guest_log.h"
#include "core/serializer.h"

namespace emu {

namespace {

// Ports (IBM VGA Technical Reference, "Register addresses").
constexpr u16 kAttributeAddressData = 0x3C0, kAttributeDataRead = 0x3C1;
constexpr u16 kMiscOutputWriteStatus0 = 0x3C2;  // write: Misc Output; read: Input Status 0
constexpr u16 kSequencerIndex = 0x3C4, kSequencerData = 0x3C5;
constexpr u16 kDacMask = 0x3C6, kDacReadIndexState = 0x3C7, kDacWriteIndex = 0x3C8, kDacData = 0x3C9;
constexpr u16 kFeatureControlRead = 0x3CA, kMiscOutputRead = 0x3CC;
constexpr u16 kGraphicsIndex = 0x3CE, kGraphicsData = 0x3CF;
// CRTC index/data and Input Status 1 / Feature Control write: 3Bx (mono) or 3Dx (colour).
constexpr u16 kMonoCrtcIndex = 0x3B4, kMonoCrtcData = 0x3B5, kMonoStatus1 = 0x3BA;
constexpr u16 kColorCrtcIndex = 0x3D4, kColorCrtcData = 0x3D5, kColorStatus1 = 0x3DA;

// Implemented bits of each register (reserved bits read 0).
constexpr std::array<u8, 5> kSequencerMask = {0x03, 0x3D, 0x0F, 0x3F, 0x0E};
constexpr std::array<u8, 9> kGraphicsMask = {0x0F, 0x0F, 0x0F, 0x1F, 0x03, 0x7B, 0x0F, 0x0F, 0xFF};
constexpr std::array<u8, 21> kAttributeMask = {0x3F, 0x3F, 0x3F, 0x3F, 0x3F, 0x3F, 0x3F, 0x3F, 0x3F, 0x3F, 0x3F,
                                               0x3F, 0x3F, 0x3F, 0x3F, 0x3F, 0xEF, 0xFF, 0x3F, 0x0F, 0x0F};
constexpr u8 kFeatureControlMask = 0x0B;

// Register indexes and bits.
constexpr unsigned kSrClocking = 1, kSrMapMask = 2, kSrMemoryMode = 4;
constexpr u8 kSr1EightDot = 0x01, kSr1HalfDotClock = 0x08;
constexpr u8 kSr4OddEvenDisable = 0x04, kSr4Chain4 = 0x08;
constexpr unsigned kGrSetReset = 0, kGrEnableSetReset = 1, kGrColorCompare = 2, kGrRotate = 3, kGrReadMap = 4,
                   kGrMode = 5, kGrMisc = 6, kGrColorDontCare = 7, kGrBitMask = 8;
constexpr u8 kGr5ReadMode1 = 0x08, kGr5HostOddEven = 0x10;
constexpr u8 kGr6Graphics = 0x01;
constexpr unsigned kCrHorizontalTotal = 0x00, kCrHorizontalDisplayEnd = 0x01, kCrVerticalTotal = 0x06,
                   kCrOverflow = 0x07, kCrMaxScanLine = 0x09, kCrCursorStart = 0x0A, kCrCursorEnd = 0x0B,
                   kCrStartHigh = 0x0C, kCrStartLow = 0x0D, kCrCursorHigh = 0x0E, kCrCursorLow = 0x0F,
                   kCrVerticalRetraceStart = 0x10, kCrVerticalRetraceEnd = 0x11, kCrVerticalDisplayEnd = 0x12,
                   kCrOffset = 0x13, kCrUnderline = 0x14, kCrModeControl = 0x17;
constexpr u8 kCr11Protect = 0x80, kCr07LineCompare8 = 0x10;
constexpr u8 kCr14DoubleWord = 0x40, kCr17ByteMode = 0x40, kCr17AddressWrap = 0x20;
constexpr u8 kCr09ScanDoubling = 0x80, kCr0ACursorOff = 0x20;
constexpr unsigned kArModeControl = 0x10;
constexpr u8 kArPaletteAddressSource = 0x20, kAr10Graphics = 0x01;
constexpr u8 kMiscRamEnable = 0x02;

// Dot clocks selected by Misc Output bits 3-2 (0: 25.175 MHz for 640/320 dots, 1: 28.322 MHz
// for 720/360). 2 and 3 are external clocks on a VGA; taken as 25.175 MHz here.
constexpr u64 kDotClock25 = 25'175'000, kDotClock28 = 28'322'000;

}  // namespace

std::string TextScreen::row_text(unsigned row) const {
  std::string text;
  if (row >= rows) return text;
  for (unsigned c = 0; c < columns; ++c) {
    const u8 ch = character(c, row);
    text.push_back(ch >= 0x20 && ch < 0x7F ? static_cast<char>(ch) : '.');
  }
  return text;
}

Vga::Vga(Timeline& timeline) : timeline_(timeline), vram_(vbe::kMemorySize, 0), vbe_(vram_) { reset(); }

void Vga::reset() {
  state_ = VgaState{};
  std::fill(vram_.begin(), vram_.end(), u8{0});
  vbe_.reset();
}

void Vga::program_mode(const VgaModeRegisters& mode) {
  write_byte(kMiscOutputWriteStatus0, mode.misc_output);
  const u16 crtc_index = color_addressing() ? kColorCrtcIndex : kMonoCrtcIndex;
  // Sequencer: synchronous reset while the clocking changes, then run (SR0 from the table).
  write_byte(kSequencerIndex, 0);
  write_byte(kSequencerData, 0x01);
  for (u8 i = 1; i < mode.sequencer.size(); ++i) {
    write_byte(kSequencerIndex, i);
    write_byte(kSequencerData, mode.sequencer[i]);
  }
  write_byte(kSequencerIndex, 0);
  write_byte(kSequencerData, mode.sequencer[0]);
  // CRTC: clear the protect bit first, then every register (CR11 last sets it again).
  write_byte(crtc_index, kCrVerticalRetraceEnd);
  write_byte(crtc_index + 1, mode.crtc[kCrVerticalRetraceEnd] & static_cast<u8>(~kCr11Protect));
  for (u8 i = 0; i < mode.crtc.size(); ++i) {
    write_byte(crtc_index, i);
    write_byte(crtc_index + 1, mode.crtc[i]);
  }
  write_byte(crtc_index, kCrVerticalRetraceEnd);
  write_byte(crtc_index + 1, mode.crtc[kCrVerticalRetraceEnd]);
  for (u8 i = 0; i < mode.graphics.size(); ++i) {
    write_byte(kGraphicsIndex, i);
    write_byte(kGraphicsData, mode.graphics[i]);
  }
  // Attribute controller: reset the flip-flop, load with PAS = 0, then PAS = 1 to show them.
  read_byte(crtc_index + 6);
  for (u8 i = 0; i < mode.attribute.size(); ++i) {
    write_byte(kAttributeAddressData, i);
    write_byte(kAttributeAddressData, mode.attribute[i]);
  }
  write_byte(kAttributeAddressData, kArPaletteAddressSource);
  // DAC: the EGA palette in entries 0-63 (what the attribute palette points at).
  write_byte(kDacMask, 0xFF);
  write_byte(kDacWriteIndex, 0);
  for (unsigned i = 0; i < 64; ++i)
    for (u8 component : vga_ega_palette_entry(i)) write_byte(kDacData, component);
}

// ---- ports -------------------------------------------------------------------------------

bool Vga::decodes(u16 port) const {
  switch (port) {
    case kAttributeAddressData:
    case kAttributeDataRead:
    case kMiscOutputWriteStatus0:
    case kSequencerIndex:
    case kSequencerData:
    case kDacMask:
    case kDacReadIndexState:
    case kDacWriteIndex:
    case kDacData:
    case kFeatureControlRead:
    case kMiscOutputRead:
    case kGraphicsIndex:
    case kGraphicsData: return true;
    // Misc Output I/OAS picks which CRTC/status block answers; the other floats.
    case kMonoCrtcIndex:
    case kMonoCrtcData:
    case kMonoStatus1: return !color_addressing();
    case kColorCrtcIndex:
    case kColorCrtcData:
    case kColorStatus1: return color_addressing();
    default: return false;
  }
}

u8 Vga::input_status_0() const {
  // Bit 4 (switch sense, the monitor-detect comparator) and bit 7 (vertical retrace interrupt
  // pending) are not modelled: no monitor sense, and the PC wires no IRQ for the VGA.
  return 0x00;
}

u8 Vga::input_status_1() const {
  // Bit 0 (DD): 1 outside the active display (horizontal or vertical blanking). Bit 3 (VR): 1
  // during vertical retrace. Both follow the raster position that the CRTC timing registers
  // and the dot clock give at the timeline's current virtual time — 70 Hz in mode 03h
  // (28.322 MHz / (100 x 9 dots) / 449 lines), 60 Hz in mode 12h.
  const auto& cr = state_.crtc;
  u64 dot_hz = ((state_.misc_output >> 2) & 3) == 1 ? kDotClock28 : kDotClock25;
  if (state_.sequencer[kSrClocking] & kSr1HalfDotClock) dot_hz /= 2;
  const u64 char_dots = (state_.sequencer[kSrClocking] & kSr1EightDot) ? 8 : 9;
  const u64 horizontal_total = cr[kCrHorizontalTotal] + 5u;  // in characters
  const u64 horizontal_display = cr[kCrHorizontalDisplayEnd] + 1u;
  const u8 overflow = cr[kCrOverflow];
  const u64 vertical_total =
      (cr[kCrVerticalTotal] | ((overflow & 0x01) << 8) | ((overflow & 0x20) << 4)) + 2u;  // lines
  const u64 vertical_display = (cr[kCrVerticalDisplayEnd] | ((overflow & 0x02) << 7) | ((overflow & 0x40) << 3)) + 1u;
  const u64 retrace_start = cr[kCrVerticalRetraceStart] | ((overflow & 0x04) << 6) | ((overflow & 0x80) << 2);
  // Retrace ends when the line counter's low 4 bits match CR11 bits 3-0: 1 to 16 lines.
  u64 retrace_lines = ((cr[kCrVerticalRetraceEnd] & 0x0F) - (retrace_start & 0x0F)) & 0x0F;
  if (retrace_lines == 0) retrace_lines = 16;

  const u64 line_dots = horizontal_total * char_dots;
  const unsigned __int128 dots = static_cast<unsigned __int128>(timeline_.now()) * dot_hz / Timeline::kNsPerSecond;
  const u64 position = static_cast<u64>(dots % (line_dots * vertical_total));
  const u64 line = position / line_dots, character = (position % line_dots) / char_dots;
  const bool display = line < vertical_display && character < horizontal_display;
  const bool retrace = (line + vertical_total - retrace_start % vertical_total) % vertical_total < retrace_lines;
  return static_cast<u8>((display ? 0 : 0x01) | (retrace ? 0x08 : 0));
}

u8 Vga::read_byte(u16 port) {
  switch (port) {
    case kAttributeAddressData: return state_.attribute_address;
    case kAttributeDataRead: {
      const unsigned index = state_.attribute_address & 0x1F;
      return index < state_.attribute.size() ? state_.attribute[index] : 0x00;
    }
    case kMiscOutputWriteStatus0: return input_status_0();
    case kSequencerIndex: return state_.sequencer_index;
    case kSequencerData:
      return state_.sequencer_index < state_.sequencer.size() ? state_.sequencer[state_.sequencer_index] : 0xFF;
    case kDacMask: return state_.dac_mask;
    case kDacReadIndexState: return state_.dac_reading ? 0x03 : 0x00;
    case kDacWriteIndex: return state_.dac_write_index;
    case kDacData: return read_dac_data();
    case kFeatureControlRead: return state_.feature_control;
    case kMiscOutputRead: return state_.misc_output;
    case kGraphicsIndex: return state_.graphics_index;
    case kGraphicsData:
      return state_.graphics_index < state_.graphics.size() ? state_.graphics[state_.graphics_index] : 0xFF;
    case kMonoCrtcIndex:
    case kColorCrtcIndex: return state_.crtc_index;
    case kMonoCrtcData:
    case kColorCrtcData: return state_.crtc_index < state_.crtc.size() ? state_.crtc[state_.crtc_index] : 0xFF;
    case kMonoStatus1:
    case kColorStatus1:
      // Reading Input Status 1 resets the attribute flip-flop to "index next".
      state_.attribute_data_next = false;
      return input_status_1();
    default: return 0xFF;
  }
}

void Vga::write_byte(u16 port, u8 value) {
  switch (port) {
    case kAttributeAddressData: write_attribute(value); return;
    case kAttributeDataRead:
      GuestLog::instance().log("vga", "write %02x to the read-only attribute data port 3C1", value);
      return;
    case kMiscOutputWriteStatus0: state_.misc_output = value; return;
    case kSequencerIndex: state_.sequencer_index = value & 0x07; return;
    case kSequencerData:
      if (state_.sequencer_index >= state_.sequencer.size()) {
        GuestLog::instance().log("vga", "write %02x to sequencer register %u, which does not exist", value,
                                 state_.sequencer_index);
        return;
      }
      state_.sequencer[state_.sequencer_index] = value & kSequencerMask[state_.sequencer_index];
      return;
    case kDacMask: state_.dac_mask = value; return;
    case kDacReadIndexState:
      state_.dac_read_index = value;
      state_.dac_component = 0;
      state_.dac_reading = true;
      return;
    case kDacWriteIndex:
      state_.dac_write_index = value;
      state_.dac_component = 0;
      state_.dac_reading = false;
      return;
    case kDacData: write_dac_data(value); return;
    case kGraphicsIndex: state_.graphics_index = value & 0x0F; return;
    case kGraphicsData:
      if (state_.graphics_index >= state_.graphics.size()) {
        GuestLog::instance().log("vga", "write %02x to graphics register %u, which does not exist", value,
                                 state_.graphics_index);
        return;
      }
      state_.graphics[state_.graphics_index] = value & kGraphicsMask[state_.graphics_index];
      return;
    case kMonoCrtcIndex:
    case kColorCrtcIndex: state_.crtc_index = value & 0x3F; return;
    case kMonoCrtcData:
    case kColorCrtcData: write_crtc(value); return;
    case kMonoStatus1:
    case kColorStatus1: state_.feature_control = value & kFeatureControlMask; return;
    default: GuestLog::instance().log("vga", "write %02x to read-only port %03x", value, port); return;
  }
}

void Vga::write_attribute(u8 value) {
  if (!state_.attribute_data_next) {
    // Address register: index in bits 4-0, PAS in bit 5.
    state_.attribute_address = value & 0x3F;
    state_.attribute_data_next = true;
    return;
  }
  state_.attribute_data_next = false;
  const unsigned index = state_.attribute_address & 0x1F;
  if (index >= state_.attribute.size()) {
    GuestLog::instance().log("vga", "write %02x to attribute register %02x, which does not exist", value, index);
    return;
  }
  // The palette registers (00-0F) are dual-ported with the display: the host can load them only
  // with PAS = 0 (which blanks the screen); with PAS = 1 the display owns them.
  if (index < 0x10 && (state_.attribute_address & kArPaletteAddressSource)) {
    GuestLog::instance().log("vga", "palette register %x written with PAS set: ignored", index);
    return;
  }
  state_.attribute[index] = value & kAttributeMask[index];
}

void Vga::write_crtc(u8 value) {
  const unsigned index = state_.crtc_index;
  if (index >= state_.crtc.size()) {
    GuestLog::instance().log("vga", "write %02x to CRTC register %02x, which does not exist", value, index);
    return;
  }
  // CR11 bit 7 protects CR00-CR07, except CR07 bit 4 (line compare bit 8).
  if (index <= kCrOverflow && (state_.crtc[kCrVerticalRetraceEnd] & kCr11Protect)) {
    if (index == kCrOverflow)
      state_.crtc[kCrOverflow] = (state_.crtc[kCrOverflow] & ~kCr07LineCompare8) | (value & kCr07LineCompare8);
    else
      GuestLog::instance().log("vga", "write %02x to protected CRTC register %u ignored", value, index);
    return;
  }
  state_.crtc[index] = value;
}

void Vga::write_dac_data(u8 value) {
  // The DAC takes red, green, blue (6 bits each, or 8 with the dispi's 8BIT_DAC) and stores
  // the colour after the third, then steps the write index (wrapping at 256).
  if (!vbe_.dac_8bit()) {
    if (value & 0xC0) GuestLog::instance().log("vga", "DAC component %02x has more than 6 bits", value);
    value &= 0x3F;
  }
  state_.dac_pending[state_.dac_component] = value;
  if (++state_.dac_component < 3) return;
  state_.dac_component = 0;
  std::copy(state_.dac_pending.begin(), state_.dac_pending.end(), state_.dac.begin() + state_.dac_write_index * 3);
  ++state_.dac_write_index;
}

u8 Vga::read_dac_data() {
  const u8 value = state_.dac[state_.dac_read_index * 3 + state_.dac_component];
  if (++state_.dac_component == 3) {
    state_.dac_component = 0;
    ++state_.dac_read_index;
  }
  return value;
}

// ---- memory ------------------------------------------------------------------------------

bool Vga::window_offset(u32 offset, u32& in_window) const {
  // Misc Output bit 1 enables the CPU's access to display memory.
  if (!(state_.misc_output & kMiscRamEnable)) return false;
  // GR6 bits 3-2, memory map select: A0000/128K, A0000/64K, B0000/32K, B8000/32K.
  switch ((state_.graphics[kGrMisc] >> 2) & 3) {
    case 0: in_window = offset; return offset < 0x20000;
    case 1: in_window = offset; return offset < 0x10000;
    case 2: in_window = offset - 0x10000; return offset >= 0x10000 && offset < 0x18000;
    default: in_window = offset - 0x18000; return offset >= 0x18000 && offset < 0x20000;
  }
}

u8 Vga::memory_read(u32 in_window) {
  const auto& gr = state_.graphics;
  unsigned plane;
  u32 address;
  if (vbe_planar()) {
    // A dispi 4 bpp mode: planar addressing in the bank (planes of 4 MiB here, not 64 KiB).
    plane = gr[kGrReadMap] & 3;
    address = (vbe_.bank_offset() + in_window) & (kVbePlaneSpace - 1);
  } else if (state_.sequencer[kSrMemoryMode] & kSr4Chain4) {
    // Chain-4: address bits 1-0 select the plane; the address goes to the planes unchanged, so
    // each plane holds every fourth byte (what the CRTC's doubleword mode scans).
    plane = in_window & 3;
    address = in_window & ~3u;
  } else if (gr[kGrMode] & kGr5HostOddEven) {
    // Odd/even: A0 picks plane 0/1 (2/3 with read map select bit 1); the address loses A0.
    plane = (gr[kGrReadMap] & 2) | (in_window & 1);
    address = in_window & ~1u;
  } else {
    plane = gr[kGrReadMap] & 3;
    address = in_window;
  }
  if (!vbe_planar()) address &= kPlaneSize - 1;  // planes are 64 KiB; the 128K window's upper half aliases
  std::copy_n(vram_.begin() + address * kPlanes, kPlanes, state_.latches.begin());
  if (!(gr[kGrMode] & kGr5ReadMode1)) return state_.latches[plane];
  // Read mode 1, color compare: a 1 for each pixel whose colour (over the planes that color
  // don't care includes) equals the color compare register.
  u8 result = 0xFF;
  for (unsigned p = 0; p < kPlanes; ++p) {
    if (!(gr[kGrColorDontCare] & (1u << p))) continue;
    const u8 expected = (gr[kGrColorCompare] & (1u << p)) ? 0xFF : 0x00;
    result &= static_cast<u8>(~(state_.latches[p] ^ expected));
  }
  return result;
}

void Vga::memory_write(u32 in_window, u8 value) {
  const auto& gr = state_.graphics;
  const u8 memory_mode = state_.sequencer[kSrMemoryMode];
  unsigned planes;
  u32 address;
  if (vbe_planar()) {
    planes = 0x0F;
    address = (vbe_.bank_offset() + in_window) & (kVbePlaneSpace - 1);
  } else if (memory_mode & kSr4Chain4) {
    planes = 1u << (in_window & 3);
    address = in_window & ~3u;
  } else if (!(memory_mode & kSr4OddEvenDisable)) {
    // Odd/even writes: even addresses to planes 0 and 2, odd to 1 and 3.
    planes = (in_window & 1) ? 0x0A : 0x05;
    address = in_window & ~1u;
  } else {
    planes = 0x0F;
    address = in_window;
  }
  planes &= state_.sequencer[kSrMapMask];
  if (!vbe_planar()) address &= kPlaneSize - 1;

  const unsigned rotate = gr[kGrRotate] & 7;
  const unsigned function = (gr[kGrRotate] >> 3) & 3;
  const u8 rotated = static_cast<u8>((value >> rotate) | (value << ((8 - rotate) & 7)));
  const unsigned write_mode = gr[kGrMode] & 3;
  u8 bit_mask = gr[kGrBitMask];
  if (write_mode == 3) bit_mask &= rotated;  // write mode 3: the rotated data masks the bit mask
  u8* cell = &vram_[address * kPlanes];
  for (unsigned p = 0; p < kPlanes; ++p) {
    if (!(planes & (1u << p))) continue;
    const u8 latch = state_.latches[p];
    const u8 set_reset = (gr[kGrSetReset] & (1u << p)) ? 0xFF : 0x00;
    u8 data;
    switch (write_mode) {
      case 0: data = (gr[kGrEnableSetReset] & (1u << p)) ? set_reset : rotated; break;
      case 1: cell[p] = latch; continue;  // the latches as they are: no function, no bit mask
      case 2: data = (value & (1u << p)) ? 0xFF : 0x00; break;
      default: data = set_reset; break;
    }
    switch (function) {  // GR3 bits 4-3: replace, AND, OR, XOR with the latch
      case 1: data &= latch; break;
      case 2: data |= latch; break;
      case 3: data ^= latch; break;
      default: break;
    }
    cell[p] = static_cast<u8>((data & bit_mask) | (latch & ~bit_mask));
  }
}

// While the dispi interface is enabled the window is A0000-AFFFF whatever GR6 and Misc Output
// say (QEMU reprograms them to that on enable), showing 64 KiB of video memory from the bank.
u8 Vga::vbe_window_read(u32 offset) {
  if (offset >= vbe::kBankSize) return 0xFF;
  return vbe_planar() ? memory_read(offset) : vbe_.bank_read(offset);
}

void Vga::vbe_window_write(u32 offset, u8 value) {
  if (offset >= vbe::kBankSize) return;
  if (vbe_planar())
    memory_write(offset, value);
  else
    vbe_.bank_write(offset, value);
}

u32 Vga::mmio_read(u32 offset, unsigned size) {
  u32 value = 0;
  for (unsigned k = 0; k < size && k < 4; ++k) {
    u32 in_window = 0;
    u8 byte;
    if (vbe_.enabled())
      byte = vbe_window_read(offset + k);
    else
      byte = window_offset(offset + k, in_window) ? memory_read(in_window) : u8{0xFF};
    value |= u32{byte} << (8 * k);
  }
  return value;
}

void Vga::mmio_write(u32 offset, unsigned size, u32 value) {
  for (unsigned k = 0; k < size && k < 4; ++k) {
    const u8 byte = static_cast<u8>(value >> (8 * k));
    u32 in_window = 0;
    if (vbe_.enabled())
      vbe_window_write(offset + k, byte);
    else if (window_offset(offset + k, in_window))
      memory_write(in_window, byte);
  }
}

// ---- views -------------------------------------------------------------------------------

u32 Vga::crtc_scan_address(u32 ma) const {
  const auto& cr = state_.crtc;
  if (cr[kCrUnderline] & kCr14DoubleWord) return (ma << 2) & (kPlaneSize - 1);
  if (cr[kCrModeControl] & kCr17ByteMode) return ma & (kPlaneSize - 1);
  // Word mode: MA shifted left, with MA13 (or MA15, CR17 bit 5) into bit 0.
  const unsigned wrap_bit = (cr[kCrModeControl] & kCr17AddressWrap) ? 15 : 13;
  return ((ma << 1) | ((ma >> wrap_bit) & 1)) & (kPlaneSize - 1);
}

TextScreen Vga::text_screen() const {
  const auto& cr = state_.crtc;
  TextScreen screen;
  screen.text_mode = !(state_.graphics[kGrMisc] & kGr6Graphics) && !(state_.attribute[kArModeControl] & kAr10Graphics);
  screen.columns = cr[kCrHorizontalDisplayEnd] + 1u;
  screen.char_height = (cr[kCrMaxScanLine] & 0x1F) + 1u;
  const u8 overflow = cr[kCrOverflow];
  unsigned lines = (cr[kCrVerticalDisplayEnd] | ((overflow & 0x02) << 7) | ((overflow & 0x40) << 3)) + 1u;
  if (cr[kCrMaxScanLine] & kCr09ScanDoubling) lines /= 2;
  screen.rows = lines / screen.char_height;
  // The memory address counter advances 2 x CR13 per character row, whatever the address mode.
  const u32 pitch = 2u * cr[kCrOffset];
  const u32 start = (u32{cr[kCrStartHigh]} << 8) | cr[kCrStartLow];
  screen.characters.resize(std::size_t{screen.rows} * screen.columns);
  screen.attributes.resize(screen.characters.size());
  for (unsigned r = 0; r < screen.rows; ++r)
    for (unsigned c = 0; c < screen.columns; ++c) {
      const u32 address = crtc_scan_address(start + r * pitch + c);
      screen.characters[r * screen.columns + c] = plane_byte(0, address);
      screen.attributes[r * screen.columns + c] = plane_byte(1, address);
    }
  screen.cursor_start = cr[kCrCursorStart] & 0x1F;
  screen.cursor_end = cr[kCrCursorEnd] & 0x1F;
  const u32 cursor = (u32{cr[kCrCursorHigh]} << 8) | cr[kCrCursorLow];
  if (cursor >= start && pitch != 0) {
    screen.cursor_row = (cursor - start) / pitch;
    screen.cursor_column = (cursor - start) % pitch;
  }
  // The cursor shows when CR0A bit 5 is clear, its start line is not below its end line (the
  // VGA then draws none), and it lies on the screen.
  screen.cursor_visible = screen.text_mode && !(cr[kCrCursorStart] & kCr0ACursorOff) && cursor >= start &&
                          screen.cursor_start <= screen.cursor_end && screen.cursor_row < screen.rows &&
                          screen.cursor_column < screen.columns && pitch != 0;
  return screen;
}

std::string Vga::describe() const {
  std::string out;
  char line[160];
  auto hex_row = [&](const char* name, const u8* regs, std::size_t n) {
    out += name;
    for (std::size_t i = 0; i < n; ++i) {
      std::snprintf(line, sizeof line, " %02x", regs[i]);
      out += line;
    }
    out += '\n';
  };
  std::snprintf(line, sizeof line, "vga: misc=%02x (crtc at %s, ram %s) feature=%02x dac mask=%02x\n",
                state_.misc_output, color_addressing() ? "3d4" : "3b4",
                (state_.misc_output & kMiscRamEnable) ? "on" : "off", state_.feature_control, state_.dac_mask);
  out += line;
  hex_row("  seq ", state_.sequencer.data(), state_.sequencer.size());
  hex_row("  crtc", state_.crtc.data(), state_.crtc.size());
  hex_row("  gc  ", state_.graphics.data(), state_.graphics.size());
  hex_row("  attr", state_.attribute.data(), state_.attribute.size());
  static constexpr const char* kWindows[] = {"a0000/128k", "a0000/64k", "b0000/32k", "b8000/32k"};
  const TextScreen screen = text_screen();
  std::snprintf(line, sizeof line,
                "  window %s, %s, %ux%u cells of %u lines, start=%04x, cursor %u,%u %s, attr index=%02x%s\n",
                kWindows[(state_.graphics[kGrMisc] >> 2) & 3], screen.text_mode ? "text" : "graphics", screen.columns,
                screen.rows, screen.char_height, (state_.crtc[kCrStartHigh] << 8) | state_.crtc[kCrStartLow],
                screen.cursor_column, screen.cursor_row, screen.cursor_visible ? "shown" : "hidden",
                state_.attribute_address, state_.attribute_data_next ? " (data next)" : "");
  out += line;
  out += "  " + vbe_.describe();
  return out;
}

void Vga::serialize(StateVisitor& v) {
  v.field("misc_output", state_.misc_output);
  v.field("feature_control", state_.feature_control);
  v.field("sequencer_index", state_.sequencer_index);
  v.field("sequencer", state_.sequencer);
  v.field("crtc_index", state_.crtc_index);
  v.field("crtc", state_.crtc);
  v.field("graphics_index", state_.graphics_index);
  v.field("graphics", state_.graphics);
  v.field("attribute_address", state_.attribute_address);
  v.field("attribute_data_next", state_.attribute_data_next);
  v.field("attribute", state_.attribute);
  v.field("dac_mask", state_.dac_mask);
  v.field("dac_read_index", state_.dac_read_index);
  v.field("dac_write_index", state_.dac_write_index);
  v.field("dac_component", state_.dac_component);
  v.field("dac_reading", state_.dac_reading);
  v.field("dac_pending", state_.dac_pending);
  v.field("dac", state_.dac);
  v.field("latches", state_.latches);
  // The planes keep their field (and size) of before the VBE; the rest of the memory is its own.
  v.bytes("vram", std::span<u8>(vram_).first(kVramSize));
  v.bytes("vbe_memory", std::span<u8>(vram_).subspan(kVramSize));
  vbe_.serialize(v);
  if (!v.loading()) return;
  // Indexes are masked on use, but a loaded state must look like one the registers can hold.
  if (state_.sequencer_index > 7 || state_.graphics_index > 15 || state_.crtc_index > 0x3F ||
      state_.attribute_address > 0x3F || state_.dac_component > 2)
    v.reject("vga: register index out of range");
  for (std::size_t i = 0; i < state_.sequencer.size(); ++i)
    if (state_.sequencer[i] & ~kSequencerMask[i]) v.reject("vga: sequencer register has reserved bits");
  for (std::size_t i = 0; i < state_.graphics.size(); ++i)
    if (state_.graphics[i] & ~kGraphicsMask[i]) v.reject("vga: graphics register has reserved bits");
  for (std::size_t i = 0; i < state_.attribute.size(); ++i)
    if (state_.attribute[i] & ~kAttributeMask[i]) v.reject("vga: attribute register has reserved bits");
  // DAC entries may hold 8 bits: written in the dispi's 8-bit DAC mode, they stay when it ends
  // (6-bit scan-out uses their low 6 bits), so any byte is a state a guest can reach.
  if (state_.feature_control & ~kFeatureControlMask) v.reject("vga: feature control has reserved bits");
  if (!v.ok()) reset();
}

}  // namespace emu
