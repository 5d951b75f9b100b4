// Helpers shared by the integer-instruction tests: catching exceptions in a TestMachine and
// reading the arithmetic flags.
#pragma once
#include "support/test_machine.h"

namespace emu::test {

// Every exception vector 0-31 gets a handler that is a lone HLT at kExceptionHandlers + vector,
// so after a run the CPU halts one byte past the handler of the exception it took.
inline constexpr u32 kExceptionHandlers = 0x30000;

// Protected mode: 32-bit interrupt gates to the HLTs (flat ring-0 code selector 0x08).
inline void catch_exceptions(TestMachine& m) {
  for (u8 v = 0; v < 32; ++v) {
    m.set_idt_gate(v, 0x08, kExceptionHandlers + v, 0xE);
    m.bus.ram()[kExceptionHandlers + v] = 0xF4;
  }
}

// Real mode: IVT entries 3000:vector.
inline void catch_exceptions_real(TestMachine& m) {
  for (u8 v = 0; v < 32; ++v) {
    m.write16(v * 4u, v);
    m.write16(v * 4u + 2, static_cast<u16>(kExceptionHandlers >> 4));
    m.bus.ram()[kExceptionHandlers + v] = 0xF4;
  }
}

// The vector whose handler the CPU halted in, or -1 if it halted elsewhere.
inline int exception_taken(const TestMachine& m) {
  const u32 lin = m.cpu.s.sreg(Seg::CS).base + m.cpu.s.eip;
  if (lin > kExceptionHandlers && lin <= kExceptionHandlers + 32) return static_cast<int>(lin - kExceptionHandlers - 1);
  return -1;
}

// The six arithmetic flags (CF PF AF ZF SF OF) as EFLAGS bits.
inline u32 arith_flags(const TestMachine& m) { return m.cpu.s.flags.value() & eflags::kArith; }

inline u32 reg(const TestMachine& m, Reg r) { return m.cpu.s.gpr[r]; }

}  // namespace emu::test
