// POST-code capture: every byte written to the chosen ports (80h, the PC's POST-code port, and
// any other a test ROM names) is appended to a file as "PORT VALUE" in hex, one per line, so a
// hang in firmware can be located the way a POST card locates it on a real PC.
#pragma once
#include <cstdio>
#include <vector>

#include "core/address_space.h"

namespace emu {

class PortCapture final : public PortHandler {
 public:
  static constexpr u16 kPostCodePort = 0x80;

  explicit PortCapture(std::FILE* out) : out_(out) {}

  // Port 80h reads back the last code written (as on the PIIX3, which forwards it to ISA).
  u32 port_read(u16, unsigned size) override {
    return size == 1 ? last_ : (size == 2 ? 0xFF00u | last_ : 0xFFFFFF00u | last_);
  }
  void port_write(u16 port, unsigned size, u32 value) override {
    last_ = static_cast<u8>(value);
    if (!out_) return;
    std::fprintf(out_, "%04x %0*x\n", port, static_cast<int>(size * 2), value);
    std::fflush(out_);
  }

 private:
  std::FILE* out_;
  u8 last_ = 0;
};

}  // namespace emu
