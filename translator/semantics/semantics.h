// Shared helpers for instruction semantics: operand access by width, and the per-class handler
// selectors. Each semantics file implements one class of instructions (Bochs's split: arith,
// shift, bit, string, ...) with the Intel syntax above each handler.
//
// Handlers are templates on operand width (u8/u16/u32) and, where it matters for speed, on
// whether the r/m operand is a register or memory, so each instantiation is straight-line code.
// The selector for a class picks the instantiation for a decoded instruction once, when its block
// is built.
#pragma once
#include <type_traits>

#include "translator/decoded_insn.h"

namespace emu::sem {

template <typename T>
constexpr u8 kBits = sizeof(T) * 8;

// ---- registers -------------------------------------------------------------------------------
// 8-bit register numbers 0-3 are AL CL DL BL, 4-7 are AH CH DH BH (SDM Vol. 2A, Table 2-1).
inline u8 get_r8(const Cpu& c, u8 r) { return r < 4 ? c.s.gpr[r] & 0xFF : (c.s.gpr[r - 4] >> 8) & 0xFF; }
inline void set_r8(Cpu& c, u8 r, u8 v) {
  if (r < 4)
    c.s.gpr[r] = (c.s.gpr[r] & 0xFFFFFF00u) | v;
  else
    c.s.gpr[r - 4] = (c.s.gpr[r - 4] & 0xFFFF00FFu) | (u32{v} << 8);
}

template <typename T>
T get_reg(const Cpu& c, u8 r) {
  if constexpr (sizeof(T) == 1)
    return get_r8(c, r);
  else
    return static_cast<T>(c.s.gpr[r]);
}
template <typename T>
void set_reg(Cpu& c, u8 r, T v) {
  if constexpr (sizeof(T) == 1)
    set_r8(c, r, v);
  else if constexpr (sizeof(T) == 2)
    c.s.gpr[r] = (c.s.gpr[r] & 0xFFFF0000u) | v;
  else
    c.s.gpr[r] = v;
}

// ---- the ModRM r/m operand -------------------------------------------------------------------
template <typename T>
bool read_rm(Cpu& c, const DecodedInsn& i, T& out) {
  if (i.mod == 3) {
    out = get_reg<T>(c, i.rm);
    return true;
  }
  return c.read<T>(i.seg, effective_address(c, i), out);
}
template <typename T>
bool write_rm(Cpu& c, const DecodedInsn& i, T v) {
  if (i.mod == 3) {
    set_reg<T>(c, i.rm, v);
    return true;
  }
  return c.write<T>(i.seg, effective_address(c, i), v);
}

// Reads the memory destination of a read-modify-write instruction. The segment must permit the
// write before anything is read: hardware checks a read-modify-write access as a write, so a
// RMW through a read-only segment (a CS override, say) is #GP even when the page is absent.
template <typename T>
bool read_for_update(Cpu& c, Seg seg, u32 offset, T& out) {
  if (!c.check_segment(seg, offset, sizeof(T), true)) return false;
  return c.read<T>(seg, offset, out);
}
// The same for the ModRM r/m operand.
template <typename T>
bool read_rm_for_update(Cpu& c, const DecodedInsn& i, T& out) {
  if (i.mod == 3) {
    out = get_reg<T>(c, i.rm);
    return true;
  }
  return read_for_update<T>(c, i.seg, effective_address(c, i), out);
}

// Sign extension helpers.
template <typename T>
constexpr std::make_signed_t<T> as_signed(T v) {
  return static_cast<std::make_signed_t<T>>(v);
}

// SF, ZF and PF of a result of type T as EFLAGS bits, for instructions that compute their flags
// eagerly (shifts, bit tests, BCD, multiply). PF is the parity of the low byte only.
template <typename T>
constexpr u32 szp_flags(T r) {
  u32 f = (r >> (kBits<T> - 1)) & 1 ? eflags::SF : 0;
  if (r == 0) f |= eflags::ZF;
  if (!__builtin_parity(static_cast<u8>(r))) f |= eflags::PF;
  return f;
}

// ---- handler selection -------------------------------------------------------------------------
// Each returns the handler for the decoded instruction, or nullptr if the op is not in its class.
Handler select_alu(const DecodedInsn& i);
Handler select_shift(const DecodedInsn& i);
Handler select_bit(const DecodedInsn& i);
Handler select_bcd(const DecodedInsn& i);
Handler select_muldiv(const DecodedInsn& i);
Handler select_string(const DecodedInsn& i);
Handler select_stack(const DecodedInsn& i);
Handler select_control(const DecodedInsn& i);
Handler select_farcontrol(const DecodedInsn& i);
Handler select_system(const DecodedInsn& i);
Handler select_x87(const DecodedInsn& i);

// The handler for any decoded instruction: the class selectors in turn, falling back to #UD.
Handler select_handler(const DecodedInsn& i);

// #UD, for undefined encodings and for rows a mode does not allow.
Status undefined_opcode(Cpu& c, const DecodedInsn& i);

// Width of the instruction's main operand: 1, 2 or 4 bytes, from its first operand kind.
unsigned operand_width(const DecodedInsn& i);

}  // namespace emu::sem
