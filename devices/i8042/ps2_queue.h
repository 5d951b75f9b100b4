// The small byte FIFO between a PS/2 device and the keyboard controller.
//
// A PS/2 keyboard or mouse holds the bytes it has not sent yet in an internal buffer of about
// 16 bytes (IBM Personal System/2 Hardware Interface Technical Reference, "Keyboard and
// Auxiliary Device Controller": the keyboard buffers up to 16 key codes). The controller takes
// one byte at a time into its output buffer when that is empty.
#pragma once
#include <array>

#include "core/types.h"

namespace emu {

struct Ps2Queue {
  static constexpr unsigned kCapacity = 16;

  std::array<u8, kCapacity> bytes{};
  u8 head = 0;   // index of the oldest byte
  u8 count = 0;  // bytes waiting

  bool empty() const { return count == 0; }
  unsigned free_space() const { return kCapacity - count; }
  // Appends a byte; false (and nothing stored) when the queue is full.
  bool push(u8 byte) {
    if (count >= kCapacity) return false;
    bytes[(head + count) % kCapacity] = byte;
    ++count;
    return true;
  }
  // Removes the oldest byte; the queue must not be empty.
  u8 pop() {
    const u8 byte = bytes[head];
    head = static_cast<u8>((head + 1) % kCapacity);
    --count;
    return byte;
  }
  void clear() { head = count = 0; }
  // A loaded queue is usable only with these bounds.
  bool valid() const { return head < kCapacity && count <= kCapacity; }
};

}  // namespace emu
