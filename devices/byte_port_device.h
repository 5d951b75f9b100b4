// An 8-bit ISA device's port interface. The PC's ISA bridge (PIIX3) splits a 16- or 32-bit I/O
// access to an 8-bit device into byte cycles at consecutive ports, so `IN AX, 0x40` reads 0x40
// and 0x41. A byte that falls on a port this device does not decode reads as the floating bus
// (0xFF) and its write is dropped.
#pragma once
#include "core/address_space.h"

namespace emu {

class BytePortDevice : public PortHandler {
 public:
  u32 port_read(u16 port, unsigned size) final {
    u32 value = 0;
    for (unsigned k = 0; k < size && k < 4; ++k) {
      const u16 p = static_cast<u16>(port + k);
      value |= u32{decodes(p) ? read_byte(p) : u8{0xFF}} << (8 * k);
    }
    return value;
  }
  void port_write(u16 port, unsigned size, u32 value) final {
    for (unsigned k = 0; k < size && k < 4; ++k) {
      const u16 p = static_cast<u16>(port + k);
      if (decodes(p)) write_byte(p, static_cast<u8>(value >> (8 * k)));
    }
  }

 protected:
  virtual bool decodes(u16 port) const = 0;
  virtual u8 read_byte(u16 port) = 0;
  virtual void write_byte(u16 port, u8 value) = 0;
};

}  // namespace emu
