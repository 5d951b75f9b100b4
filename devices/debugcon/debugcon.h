// The Bochs/QEMU debug console: bytes written to port 0xE9 go to a host stream; reading the port
// returns 0xE9, so software can detect it.
#pragma once
#include <cstdio>

#include "core/address_space.h"

namespace emu {

class DebugCon : public PortHandler {
 public:
  explicit DebugCon(std::FILE* out) : out_(out) {}
  static constexpr u16 kPort = 0xE9;

  u32 port_read(u16, unsigned) override { return kPort; }
  void port_write(u16, unsigned, u32 value) override {
    if (!out_) return;
    std::fputc(static_cast<int>(value & 0xFF), out_);
    if ((value & 0xFF) == '\n') std::fflush(out_);
  }

 private:
  std::FILE* out_;
};

}  // namespace emu
