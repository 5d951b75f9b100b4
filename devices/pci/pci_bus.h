// PCI bus 0 behind the i440FX host bridge, reached through Configuration Mechanism #1 (PCI Local
// Bus Specification 3.0, §3.2.2.3.2):
//   CONFIG_ADDRESS, port 0xCF8, 32-bit accesses only:
//     bit 31 enable, 30:24 reserved (read 0), 23:16 bus, 15:11 device, 10:8 function,
//     7:2 register (dword), 1:0 read 0.
//   CONFIG_DATA, ports 0xCFC-0xCFF: byte, word or dword accesses; the byte lanes select bytes of
//     the addressed dword (an access at 0xCFE reaches register + 2).
// A byte or word access to 0xCF8-0xCFB is an ordinary I/O cycle, not CONFIG_ADDRESS: that is how
// the PIIX3's Reset Control Register at 0xCF9 coexists with it. So the machine maps only port
// 0xCF8 (one port: the address space dispatches an access by its first port) and 0xCFC-0xCFF
// here, and 0xCF9 to Piix3ResetControl.
//
// Only bus 0 exists (no PCI-to-PCI bridges): a configuration cycle for another bus, for an empty
// slot, or for function 1-7 of a device whose function 0 is absent or does not set the
// multi-function bit ends in master abort, which reads all ones (§6.1) and drops writes.
//
// Interrupts: each function's INTx# pin is wired to one of the four PIRQ lines of the PIIX3 with
// the i440FX board swizzle QEMU's `pc` machine uses (hw/i386/pc_piix.c, pc_pci_slot_get_pirq):
//   PIRQ index = (device + pin - 2) mod 4      (pin 1 = INTA# ... 4 = INTD#; PIRQA = 0)
// i.e. device 1 INTA# -> PIRQA, device 2 INTA# -> PIRQB, device 3 INTA# -> PIRQC, and INTB# of a
// device is one line further on. Lines are wired-OR: a PIRQ is asserted while any function on it
// asserts its pin.
#pragma once
#include <array>
#include <functional>
#include <string>
#include <vector>

#include "core/address_space.h"

namespace emu {

class PciFunction;
class StateVisitor;

class PciBus final : public PortHandler {
 public:
  static constexpr u16 kConfigAddressPort = 0xCF8;
  static constexpr u16 kConfigDataPort = 0xCFC;
  static constexpr unsigned kDevices = 32, kFunctions = 8, kPirqLines = 4;
  static constexpr u32 kConfigEnable = 0x80000000u;
  // CONFIG_ADDRESS bits that hold a value: enable, bus, device, function, register.
  static constexpr u32 kConfigAddressMask = 0x80FFFFFCu;

  // The bus maps its functions' BAR windows into `space`. It does not map its own ports: the
  // machine does `space.map_ports(0xCF8, 1, &bus); space.map_ports(0xCFC, 4, &bus);`.
  explicit PciBus(AddressSpace& space);
  ~PciBus() override;
  PciBus(const PciBus&) = delete;
  PciBus& operator=(const PciBus&) = delete;

  // Puts `function` at 00:device.function. Wiring errors (slot taken, number out of range) are
  // the machine builder's, not the guest's: they throw std::logic_error. The function must
  // may be destroyed before or after the bus; the address space must outlive both.
  void attach(unsigned device, unsigned function_number, PciFunction* function);
  PciFunction* function(unsigned device, unsigned function_number) const;
  // Removes a function (its destructor calls this): its windows close, its INTx# is released.
  void detach(PciFunction* function);
  // The function a configuration cycle reaches, honouring the multi-function rule; nullptr for
  // master abort.
  PciFunction* decode(unsigned bus, unsigned device, unsigned function_number) const;

  // PortHandler: CONFIG_ADDRESS at 0xCF8 (dword only) and CONFIG_DATA at 0xCFC-0xCFF.
  u32 port_read(u16 port, unsigned size) override;
  void port_write(u16 port, unsigned size, u32 value) override;

  // Direct configuration access for firmware helpers and tests: reads all ones when absent.
  u32 config_read(unsigned bus, unsigned device, unsigned function_number, u8 offset, unsigned size) const;
  void config_write(unsigned bus, unsigned device, unsigned function_number, u8 offset, unsigned size, u32 value);

  // PIRQ outputs: told whenever PIRQ[A-D] changes level (the machine forwards it to
  // Piix3IsaBridge::set_pirq_level).
  void set_pirq_listener(std::function<void(unsigned pirq, bool level)> listener) {
    pirq_listener_ = std::move(listener);
  }
  bool pirq_level(unsigned pirq) const { return pirq < kPirqLines && pirq_levels_[pirq]; }
  // The PIRQ line INTx pin `pin` (1-4) of `device` is wired to.
  static unsigned pirq_of(unsigned device, unsigned pin) { return (device + pin + 2) & 3; }

  // Told after any BAR window opened, moved or closed, so the machine can drop TLB entries that
  // cached the old physical map.
  void set_address_map_listener(std::function<void()> listener) { map_listener_ = std::move(listener); }

  // Called by functions: an INTx# level or mask changed / a window changed.
  void intx_changed() { update_pirqs(true); }
  // After a function loaded its state: the PIRQ levels follow without telling the listener (the
  // PIIX3 and the PIC restore their own input levels).
  void intx_restored() { update_pirqs(false); }
  void windows_changed(const PciFunction* origin);

  AddressSpace& address_space() const { return space_; }
  u32 config_address() const { return config_address_; }

  // Power-on: CONFIG_ADDRESS cleared and every attached function reset.
  void reset();
  // CONFIG_ADDRESS only; each function is saved in its own section.
  void serialize(StateVisitor& v);
  // `info pci`: every present function, one line each, and the PIRQ levels.
  std::string describe() const;

 private:
  void update_pirqs(bool notify);

  AddressSpace& space_;
  std::array<PciFunction*, kDevices * kFunctions> slots_{};
  std::vector<PciFunction*> attached_;
  u32 config_address_ = 0;
  std::array<bool, kPirqLines> pirq_levels_{};
  std::function<void(unsigned, bool)> pirq_listener_;
  std::function<void()> map_listener_;
  bool updating_windows_ = false;
};

}  // namespace emu
