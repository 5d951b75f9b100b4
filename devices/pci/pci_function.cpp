#include "devices/pci/pci_function.h"

#include <bit>
#include <cstdio>
#include <stdexcept>

#include "core/guest_log.h"
#include "core/serializer.h"
#include "devices/pci/pci_bus.h"

namespace emu {

namespace {

// BAR flag bits (PCI 3.0 §6.2.5.1).
constexpr u32 kBarIoSpace = 0x1;              // bit 0 = 1: I/O space indicator
constexpr u32 kBarMemPrefetchable = 0x8;      // memory BAR bit 3
constexpr u32 kRomEnable = 0x1;               // Expansion ROM Base Address bit 0: address decode enable
constexpr u32 kRomAddressMask = 0xFFFFF800u;  // bits 31:11

}  // namespace

PciFunction::PciFunction(std::string name, const PciIdentity& id) : name_(std::move(name)) {
  // The identity registers are read-only (§6.2.1).
  define_register(kVendorId, 2, id.vendor_id, 0);
  define_register(kDeviceId, 2, id.device_id, 0);
  define_register(
      kCommand, 2, 0,
      kCommandIo | kCommandMemory | kCommandBusMaster | kCommandParity | kCommandSerr | kCommandIntxDisable);
  define_register(kStatus, 2, 0, 0, kStatusErrorBits);
  define_register(kRevision, 1, id.revision, 0);
  define_register(kClassCode, 1, id.class_code & 0xFF, 0);
  define_register(kClassCode + 1, 1, (id.class_code >> 8) & 0xFF, 0);
  define_register(kClassCode + 2, 1, (id.class_code >> 16) & 0xFF, 0);
  // Cache Line Size is read/write for every device that can be a master; we take it as storage.
  define_register(kCacheLineSize, 1, 0, 0xFF);
  define_register(kLatencyTimer, 1, 0, 0xFF);
  define_register(kHeaderType, 1, id.multi_function ? kHeaderMultiFunction : 0, 0);
  define_register(kBist, 1, 0, 0);  // no built-in self test
  for (unsigned bar = 0; bar < kBarCount; ++bar) define_register(bar_offset(bar), 4, 0, 0);
  define_register(0x28, 4, 0, 0);  // CardBus CIS pointer: none
  define_register(kSubsystemVendorId, 2, id.subsystem_vendor_id, 0);
  define_register(kSubsystemId, 2, id.subsystem_id, 0);
  define_register(kExpansionRom, 4, 0, 0);
  define_register(0x34, 4, 0, 0);  // Capabilities Pointer (Status bit 4 is clear: no list)
  define_register(0x38, 4, 0, 0);
  // Interrupt Line is scratch storage for the BIOS and the OS (§6.2.4); Interrupt Pin is fixed.
  define_register(kInterruptLine, 1, 0, 0xFF);
  define_register(kInterruptPin, 1, id.interrupt_pin <= 4 ? id.interrupt_pin : 0, 0);
  define_register(0x3E, 2, 0, 0);  // Min_Gnt, Max_Lat
  if (id.interrupt_pin > 4) GuestLog::instance().log("pci", "interrupt pin above INTD# ignored");
}

PciFunction::~PciFunction() {
  if (bus_) bus_->detach(this);
}

void PciFunction::detached() {
  for (unsigned bar = 0; bar < bars_.size(); ++bar) unmap_window(bar);
  bus_ = nullptr;
}

void PciFunction::define_register(u8 offset, unsigned size, u32 reset_value, u32 writable, u32 write_one_to_clear) {
  for (unsigned k = 0; k < size && offset + k < kConfigSize; ++k) {
    const unsigned o = offset + k;
    reset_[o] = config_[o] = static_cast<u8>(reset_value >> (8 * k));
    writable_[o] = static_cast<u8>(writable >> (8 * k));
    write_one_to_clear_[o] = static_cast<u8>(write_one_to_clear >> (8 * k));
    defined_[o] = true;
  }
}

void PciFunction::define_bar(unsigned bar, PciBarKind kind, u32 size, u32 flags, PortHandler* io, MmioHandler* mmio) {
  if (bar >= bars_.size() || !std::has_single_bit(size)) throw std::logic_error("pci: bad BAR definition");
  bars_[bar] = Bar{kind, size, io, mmio, std::nullopt};
  // The address bits below the size are hard-wired to zero, so they are not writable: writing
  // all ones reads back ~(size - 1) | flags, which is how software sizes a BAR (§6.2.5.1).
  u32 writable = ~(size - 1);
  if (kind == PciBarKind::Io) writable &= ~0x3u;
  if (kind == PciBarKind::Memory) writable &= ~0xFu;
  if (kind == PciBarKind::Rom) writable = (writable & kRomAddressMask) | kRomEnable;
  define_register(bar_offset(bar), 4, flags, writable);
}

void PciFunction::define_io_bar(unsigned bar, u32 size, PortHandler* handler) {
  if (bar >= kBarCount || size < 4 || size > 256) throw std::logic_error("pci: I/O BAR size must be 4..256");
  define_bar(bar, PciBarKind::Io, size, kBarIoSpace, handler, nullptr);
}

void PciFunction::define_memory_bar(unsigned bar, u32 size, MmioHandler* handler, bool prefetchable) {
  if (bar >= kBarCount || size < 16) throw std::logic_error("pci: memory BAR size must be at least 16");
  define_bar(bar, PciBarKind::Memory, size, prefetchable ? kBarMemPrefetchable : 0, nullptr, handler);
}

void PciFunction::define_rom_bar(u32 size, MmioHandler* handler) {
  if (size < 2048) throw std::logic_error("pci: expansion ROM size must be at least 2 KiB");
  define_bar(kRomBar, PciBarKind::Rom, size, 0, nullptr, handler);
}

u16 PciFunction::config16(u8 offset) const {
  return static_cast<u16>(config_[offset] | (offset + 1u < kConfigSize ? config_[offset + 1] << 8 : 0));
}

u32 PciFunction::config32(u8 offset) const {
  u32 v = 0;
  for (unsigned k = 0; k < 4 && offset + k < kConfigSize; ++k) v |= u32{config_[offset + k]} << (8 * k);
  return v;
}

void PciFunction::set_config16(u8 offset, u16 value) {
  config_[offset] = static_cast<u8>(value);
  if (offset + 1u < kConfigSize) config_[offset + 1] = static_cast<u8>(value >> 8);
}

AddressSpace* PciFunction::address_space() const { return bus_ ? &bus_->address_space() : nullptr; }

void PciFunction::attached(PciBus* bus, unsigned device, unsigned function) {
  bus_ = bus;
  device_ = device;
  function_ = function;
  update_windows();
}

// --- Configuration access ------------------------------------------------------------------------

u32 PciFunction::config_read(u8 offset, unsigned size) const {
  u32 v = 0;
  for (unsigned k = 0; k < size && k < 4 && offset + k < kConfigSize; ++k) {
    const unsigned o = offset + k;
    u8 b = config_[o];
    // Status bit 3, Interrupt Status: the function's INTx# level before the Interrupt Disable
    // mask (§6.2.3), so a driver can poll it with interrupts disabled.
    if (o == kStatus && intx_level_ && interrupt_pin() != 0) b |= kStatusInterrupt;
    v |= u32{b} << (8 * k);
  }
  return v;
}

void PciFunction::config_write(u8 offset, unsigned size, u32 value) {
  bool header_decode_touched = false;
  for (unsigned k = 0; k < size && k < 4 && offset + k < kConfigSize; ++k) {
    const unsigned o = offset + k;
    const u8 v = static_cast<u8>(value >> (8 * k));
    if (!defined_[o] && o >= kDeviceSpecific)
      GuestLog::instance().log("pci", "%s: write %02x to reserved configuration byte %02x", name_.c_str(), v, o);
    u8 b = static_cast<u8>((config_[o] & ~writable_[o]) | (v & writable_[o]));
    b &= static_cast<u8>(~(v & write_one_to_clear_[o]));
    config_[o] = b;
    if ((o >= kCommand && o < kCommand + 2) || (o >= kBar0 && o < kBar0 + 4 * kBarCount) ||
        (o >= kExpansionRom && o < kExpansionRom + 4))
      header_decode_touched = true;
  }
  if (header_decode_touched) {
    if (bus_)
      bus_->windows_changed(this);
    else
      update_windows();
  }
  // Interrupt Disable may have masked or unmasked INTx#.
  if (touches(offset, size, kCommand + 1) && bus_) bus_->intx_changed();
  config_written(offset, size);
}

// --- INTx# -----------------------------------------------------------------------------------------

void PciFunction::set_intx(bool level) {
  if (level == intx_level_) return;
  intx_level_ = level;
  if (bus_) bus_->intx_changed();
}

bool PciFunction::intx_asserted() const {
  return intx_level_ && interrupt_pin() != 0 && !(config16(kCommand) & kCommandIntxDisable);
}

// --- BAR windows -----------------------------------------------------------------------------------

u32 PciFunction::bar_address(unsigned bar) const {
  if (bar >= bars_.size() || bars_[bar].kind == PciBarKind::Unused) return 0;
  const u32 raw = config32(bar_offset(bar));
  switch (bars_[bar].kind) {
    case PciBarKind::Io: return raw & ~0x3u;
    case PciBarKind::Memory: return raw & ~0xFu;
    case PciBarKind::Rom: return raw & kRomAddressMask;
    case PciBarKind::Unused: break;
  }
  return 0;
}

std::optional<u32> PciFunction::bar_window(unsigned bar) const {
  return bar < bars_.size() ? bars_[bar].window : std::nullopt;
}

std::optional<u32> PciFunction::decoded_window(unsigned bar) const {
  const Bar& b = bars_[bar];
  const u32 base = bar_address(bar);
  const u64 end = u64{base} + b.size;  // exclusive
  switch (b.kind) {
    case PciBarKind::Unused: return std::nullopt;
    case PciBarKind::Io:
      // An I/O window must lie inside the x86's 64 KiB port space; address 0 means "not
      // assigned" to every BIOS and OS, as in QEMU's pci_bar_address().
      if (!io_space_enabled() || base == 0 || end > 0x10000) return std::nullopt;
      return base;
    case PciBarKind::Rom:
      if (!(config32(kExpansionRom) & kRomEnable)) return std::nullopt;
      [[fallthrough]];
    case PciBarKind::Memory:
      // A window reaching the last byte of the 4 GiB space is what a BAR holds while software
      // sizes it (all ones written): not decoded, as in QEMU.
      if (!memory_space_enabled() || base == 0 || end >= 0x100000000ull) return std::nullopt;
      return base;
  }
  return std::nullopt;
}

void PciFunction::map_window(unsigned bar, u32 base) {
  Bar& b = bars_[bar];
  AddressSpace* space = address_space();
  if (!space) return;
  if (b.kind == PciBarKind::Io) {
    // Refuse a window over ports another device answers: on a real bus both would drive the
    // data lines; here the other device would silently lose its ports.
    for (u32 p = base; p < base + b.size; ++p) {
      PortHandler* owner = space->port_handler(static_cast<u16>(p));
      if (owner && owner != b.io) {
        GuestLog::instance().log("pci", "%s: BAR%u at I/O %04x overlaps another device; not decoded", name_.c_str(),
                                 bar, base);
        return;
      }
    }
    if (b.io) space->map_ports(static_cast<u16>(base), static_cast<u16>(b.size), b.io);
  } else {
    // The i440FX forwards to PCI only what DRAM, the ROMs and other windows do not claim.
    if (!space->memory_range_free(base, b.size)) {
      GuestLog::instance().log("pci", "%s: BAR%u at %08x overlaps RAM, ROM or another window; not decoded",
                               name_.c_str(), bar, base);
      return;
    }
    if (b.mmio) space->map_mmio(base, b.size, b.mmio);
  }
  b.window = base;
}

void PciFunction::unmap_window(unsigned bar) {
  Bar& b = bars_[bar];
  if (!b.window) return;
  if (AddressSpace* space = address_space()) {
    if (b.kind == PciBarKind::Io && b.io)
      space->unmap_ports(static_cast<u16>(*b.window), static_cast<u16>(b.size), b.io);
    if (b.kind != PciBarKind::Io && b.mmio) space->unmap_mmio(*b.window, b.size, b.mmio);
  }
  b.window.reset();
}

void PciFunction::update_windows() {
  for (unsigned bar = 0; bar < bars_.size(); ++bar) {
    Bar& b = bars_[bar];
    if (b.kind == PciBarKind::Unused) continue;
    const std::optional<u32> old = b.window;
    const std::optional<u32> wanted = decoded_window(bar);
    if (old == wanted) continue;
    unmap_window(bar);
    if (wanted) map_window(bar, *wanted);
    if (b.window != old) bar_moved(bar, old, b.window);
  }
}

// --- Reset, state, debugger ------------------------------------------------------------------------

void PciFunction::reset() {
  config_ = reset_;
  intx_level_ = false;
  if (bus_) {
    bus_->windows_changed(this);
    bus_->intx_changed();
  } else {
    update_windows();
  }
}

void PciFunction::serialize(StateVisitor& v) {
  std::array<u8, kConfigSize> image = config_;
  v.bytes("config", image);
  v.field("intx_level", intx_level_);
  if (!v.loading()) return;
  // A state file is untrusted: it may only change what a guest could have written.
  for (unsigned o = 0; o < kConfigSize; ++o) {
    const u8 guest_bits = writable_[o] | write_one_to_clear_[o];
    config_[o] = static_cast<u8>((reset_[o] & ~guest_bits) | (image[o] & guest_bits));
  }
  if (bus_) {
    bus_->windows_changed(this);
    bus_->intx_restored();
  } else {
    update_windows();
  }
}

std::string PciFunction::describe() const {
  char line[200];
  std::snprintf(line, sizeof line, "00:%02x.%u %s %04x:%04x rev %02x class %06x cmd=%04x sts=%04x", device_, function_,
                name_.c_str(), config16(kVendorId), config16(kDeviceId), config_[kRevision], config32(kRevision) >> 8,
                config16(kCommand), config_read(kStatus, 2));
  std::string out = line;
  for (unsigned bar = 0; bar < bars_.size(); ++bar) {
    const Bar& b = bars_[bar];
    if (b.kind == PciBarKind::Unused) continue;
    const char* kind = b.kind == PciBarKind::Io ? "io" : b.kind == PciBarKind::Rom ? "rom" : "mem";
    if (b.window)
      std::snprintf(line, sizeof line, " %s%u=%08x+%x", kind, bar, *b.window, b.size);
    else
      std::snprintf(line, sizeof line, " %s%u=(%08x, off)+%x", kind, bar, bar_address(bar), b.size);
    out += line;
  }
  if (interrupt_pin()) {
    std::snprintf(line, sizeof line, " INT%c#=%u line=%u", 'A' + interrupt_pin() - 1, intx_level_ ? 1 : 0,
                  config_[kInterruptLine]);
    out += line;
  }
  return out;
}

}  // namespace emu
