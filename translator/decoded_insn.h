// One decoded instruction: everything the semantics need, computed once when a block is built.
#pragma once
#include "core/cpu.h"
#include "core/status.h"
#include "translator/opcode_table.h"

namespace emu {

struct DecodedInsn;

// An instruction handler. It reads its operands from the DecodedInsn and the Cpu, and returns a
// Status; it never throws or longjmps, so LLVM-compiled code can call it too.
using Handler = Status (*)(Cpu&, const DecodedInsn&);

inline constexpr u8 kNoReg = 0xFF;

enum class RepPrefix : u8 { None, Rep /* F3: REP, REPE */, Repne /* F2 */ };

struct DecodedInsn {
  Handler fn = nullptr;    // what the interpreter calls: the semantics, or the VMM gate for
  Handler impl = nullptr;  // sensitive/privileged rows, which then calls `impl`
  const OpcodeEntry* entry = nullptr;
  u32 disp = 0;  // displacement, or the moffs address
  u32 imm = 0;   // first immediate (sign-extended where the operand is Ibs, Jb, Jz)
  u32 imm2 = 0;  // second immediate: ENTER's nesting level, a far pointer's selector
  u8 len = 0;
  u8 opcode = 0;  // the final opcode byte (Jcc/SETcc/CMOVcc condition, Zv register)
  u8 modrm = 0;
  u8 mod = 0, reg = 0, rm = 0;  // ModRM fields
  u8 base = kNoReg, index = kNoReg, scale = 0;
  Seg seg = Seg::DS;  // segment of the memory operand: the override, or the default for the base
  bool has_modrm = false;
  bool op32 = false;    // operand size is 32 bits
  bool addr32 = false;  // address size is 32 bits
  bool lock = false;
  bool seg_override = false;
  RepPrefix rep = RepPrefix::None;
  u8 prefix_count = 0;

  bool is_mem() const { return has_modrm && mod != 3; }
  u8 cc() const { return opcode & 0xF; }
  u32 next_eip(const Cpu& cpu) const {
    const u32 n = cpu.s.eip + len;
    return op32 ? n : n & 0xFFFF;
  }
};

// The offset of the ModRM memory operand (or moffs), wrapped to the address size.
inline u32 effective_address(const Cpu& cpu, const DecodedInsn& i) {
  u32 a = i.disp;
  if (i.base != kNoReg) a += cpu.s.gpr[i.base];
  if (i.index != kNoReg) a += cpu.s.gpr[i.index] << i.scale;
  return i.addr32 ? a : a & 0xFFFF;
}

}  // namespace emu
