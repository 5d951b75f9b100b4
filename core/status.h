// What an instruction handler tells the dispatcher. Faults travel by return value, never by C++
// exception or longjmp, so the same handlers can later be called from LLVM-compiled code.
#pragma once
#include "core/types.h"

namespace emu {

enum class Status : u8 {
  Ok,        // instruction retired; the dispatcher adds its length to EIP and goes on
  Jumped,    // instruction retired and set EIP itself; the block ends here
  EndBlock,  // instruction retired and advanced EIP itself; mode or code may have changed
  Fault,     // an exception is pending in Cpu::pending; architectural state is as before the insn
  Halted,    // HLT retired (EIP past it); the CPU waits for an interrupt
};

}  // namespace emu
