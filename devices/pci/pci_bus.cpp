#include "devices/pci/pci_bus.h"

#include <cstdio>
#include <stdexcept>
#include <vector>

#include "core/guest_log.h"
#include "core/serializer.h"
#include "devices/pci/pci_function.h"

namespace emu {

namespace {

constexpr u32 all_ones(unsigned size) { return size >= 4 ? 0xFFFFFFFFu : (1u << (8 * size)) - 1; }

}  // namespace

PciBus::PciBus(AddressSpace& space) : space_(space) {}

PciBus::~PciBus() {
  // The address space outlives the bus (the machine declares it first): close the windows of
  // functions that are still attached and make them forget the bus.
  for (PciFunction* f : attached_) f->detached();
}

void PciBus::detach(PciFunction* function) {
  for (PciFunction*& slot : slots_)
    if (slot == function) slot = nullptr;
  std::erase(attached_, function);
  function->detached();
  // Silently: this happens while a machine is being torn down.
  update_pirqs(false);
}

void PciBus::attach(unsigned device, unsigned function_number, PciFunction* function) {
  if (!function || device >= kDevices || function_number >= kFunctions)
    throw std::logic_error("pci: attach outside 00:00.0-00:1f.7");
  PciFunction*& slot = slots_[device * kFunctions + function_number];
  if (slot) throw std::logic_error("pci: slot already taken");
  slot = function;
  attached_.push_back(function);
  function->attached(this, device, function_number);
  windows_changed(function);
  update_pirqs(true);
}

PciFunction* PciBus::function(unsigned device, unsigned function_number) const {
  if (device >= kDevices || function_number >= kFunctions) return nullptr;
  return slots_[device * kFunctions + function_number];
}

PciFunction* PciBus::decode(unsigned bus, unsigned device, unsigned function_number) const {
  if (bus != 0) return nullptr;  // no bridges: nobody claims a type 1 cycle
  PciFunction* f0 = function(device, 0);
  if (!f0) return nullptr;
  if (function_number == 0) return f0;
  // A single-function device decodes only function 0 (§6.2.1, Header Type bit 7); software
  // relies on that to avoid seeing one device eight times.
  if (!(f0->config_read(PciFunction::kHeaderType, 1) & PciFunction::kHeaderMultiFunction)) return nullptr;
  return function(device, function_number);
}

// --- Configuration cycles ------------------------------------------------------------------------

u32 PciBus::config_read(unsigned bus, unsigned device, unsigned function_number, u8 offset, unsigned size) const {
  const PciFunction* f = decode(bus, device, function_number);
  if (!f) return all_ones(size);  // master abort
  return f->config_read(offset, size);
}

void PciBus::config_write(unsigned bus, unsigned device, unsigned function_number, u8 offset, unsigned size,
                          u32 value) {
  if (PciFunction* f = decode(bus, device, function_number)) f->config_write(offset, size, value);
}

u32 PciBus::port_read(u16 port, unsigned size) {
  if (size == 0 || size > 4) return 0xFFFFFFFFu;
  if (port == kConfigAddressPort) {
    // CONFIG_ADDRESS answers only a full dword; narrower accesses pass to the bus as ordinary
    // I/O and find nobody.
    if (size == 4) return config_address_;
    return all_ones(size);
  }
  if (port < kConfigDataPort || port > kConfigDataPort + 3) return all_ones(size);
  const unsigned lane = port - kConfigDataPort;
  // Bytes beyond 0xCFF belong to other ports (nobody here): they float high.
  const unsigned inside = size <= 4 - lane ? size : 4 - lane;
  u32 value = all_ones(size);
  if (config_address_ & kConfigEnable) {
    const u32 a = config_address_;
    const u32 data =
        config_read((a >> 16) & 0xFF, (a >> 11) & 0x1F, (a >> 8) & 7, static_cast<u8>((a & 0xFC) + lane), inside);
    value = (value & ~all_ones(inside)) | (data & all_ones(inside));
  }
  // With the enable bit clear, CONFIG_DATA is an ordinary I/O port with nobody behind it.
  return value;
}

void PciBus::port_write(u16 port, unsigned size, u32 value) {
  if (size == 0 || size > 4) return;
  if (port == kConfigAddressPort) {
    if (size == 4) {
      config_address_ = value & kConfigAddressMask;
    } else {
      GuestLog::instance().log("pci", "%u-byte write to CONFIG_ADDRESS (0xCF8 takes dwords only) ignored", size);
    }
    return;
  }
  if (port < kConfigDataPort || port > kConfigDataPort + 3) return;
  if (!(config_address_ & kConfigEnable)) return;
  const unsigned lane = port - kConfigDataPort;
  const unsigned inside = size <= 4 - lane ? size : 4 - lane;
  const u32 a = config_address_;
  config_write((a >> 16) & 0xFF, (a >> 11) & 0x1F, (a >> 8) & 7, static_cast<u8>((a & 0xFC) + lane), inside, value);
}

// --- Interrupts and windows -----------------------------------------------------------------------

void PciBus::update_pirqs(bool notify) {
  std::array<bool, kPirqLines> levels{};
  for (const PciFunction* f : attached_)
    if (f->intx_asserted()) levels[pirq_of(f->device_number(), f->interrupt_pin())] = true;
  for (unsigned p = 0; p < kPirqLines; ++p) {
    if (levels[p] == pirq_levels_[p]) continue;
    pirq_levels_[p] = levels[p];
    if (notify && pirq_listener_) pirq_listener_(p, levels[p]);
  }
}

void PciBus::windows_changed(const PciFunction* origin) {
  if (updating_windows_) return;  // a function's own re-evaluation calls back here
  updating_windows_ = true;
  std::vector<std::optional<u32>> before;
  for (const PciFunction* f : attached_)
    for (unsigned bar = 0; bar <= PciFunction::kRomBar; ++bar) before.push_back(f->bar_window(bar));
  // The function that changed first, then the others: a window it gave up may let another
  // function's window (refused for overlapping it) open now.
  if (origin) const_cast<PciFunction*>(origin)->update_windows();
  for (PciFunction* f : attached_)
    if (f != origin) f->update_windows();
  std::size_t k = 0;
  bool changed = false;
  for (const PciFunction* f : attached_)
    for (unsigned bar = 0; bar <= PciFunction::kRomBar; ++bar) changed |= before[k++] != f->bar_window(bar);
  updating_windows_ = false;
  if (changed && map_listener_) map_listener_();
}

// --- Reset, state, debugger ----------------------------------------------------------------------

void PciBus::reset() {
  config_address_ = 0;
  for (PciFunction* f : attached_) f->reset();
  update_pirqs(true);
}

void PciBus::serialize(StateVisitor& v) {
  v.field("config_address", config_address_);
  if (!v.loading()) return;
  config_address_ &= kConfigAddressMask;
  // Functions restore their INTx# levels silently: the PIRQ levels are the PIIX3's and the
  // PIC's saved state, so nothing is re-driven here.
  update_pirqs(false);
}

std::string PciBus::describe() const {
  std::string out;
  char line[96];
  std::snprintf(line, sizeof line, "CONFIG_ADDRESS=%08x PIRQ A-D=%d%d%d%d\n", config_address_, pirq_levels_[0],
                pirq_levels_[1], pirq_levels_[2], pirq_levels_[3]);
  out += line;
  for (unsigned slot = 0; slot < slots_.size(); ++slot)
    if (slots_[slot]) out += slots_[slot]->describe() + "\n";
  return out;
}

}  // namespace emu
