// QEMU's isa-debug-exit device at port 0xF4: a write of V ends the emulator with exit status
// (V << 1) | 1, so a test program can report success or failure without a serial parser.
#pragma once
#include <functional>

#include "core/address_space.h"

namespace emu {

class DebugExit : public PortHandler {
 public:
  static constexpr u16 kPort = 0xF4;
  explicit DebugExit(std::function<void(int)> on_exit) : on_exit_(std::move(on_exit)) {}

  u32 port_read(u16, unsigned size) override { return size == 4 ? 0xFFFFFFFFu : (1u << (8 * size)) - 1; }
  void port_write(u16, unsigned, u32 value) override {
    // Only the low byte matters for an 8-bit OUT; QEMU uses the full access width. The exit
    // status is truncated by the host to 8 bits anyway.
    exit_status_ = static_cast<int>(((value << 1) | 1) & 0xFF);
    requested_ = true;
    if (on_exit_) on_exit_(exit_status_);
  }

  bool requested() const { return requested_; }
  int exit_status() const { return exit_status_; }

 private:
  std::function<void(int)> on_exit_;
  bool requested_ = false;
  int exit_status_ = 0;
};

}  // namespace emu
