// Capstone disassembly for people: traces, the debugger, the monitor (DESIGN §3). Capstone is not
// the execution decoder; the decoder differential test compares the two.
#pragma once
#include <string>

#include "core/cpu.h"

namespace emu {

struct Disassembly {
  bool ok = false;
  u32 length = 0;
  std::string mnemonic;  // "mov"
  std::string operands;  // "eax, dword ptr [ebx + 4]"
  std::string text() const { return operands.empty() ? mnemonic : mnemonic + " " + operands; }
};

class Disassembler {
 public:
  Disassembler();
  ~Disassembler();
  Disassembler(const Disassembler&) = delete;
  Disassembler& operator=(const Disassembler&) = delete;

  // Disassembles one instruction from `bytes` as 16- or 32-bit code at `address`.
  Disassembly one(const u8* bytes, std::size_t size, u32 address, bool code32) const;
  // The instruction at CS:EIP (or any linear address) of a running CPU, read without side
  // effects. Returns "(unmapped)" text when the bytes cannot be read.
  Disassembly at(const Cpu& cpu, u32 linear, bool code32) const;

 private:
  std::size_t handle16_ = 0, handle32_ = 0;  // csh
};

}  // namespace emu
