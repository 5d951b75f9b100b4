// Bit tests and bit scans (SDM Vol. 2A: BT, BTS, BTR, BTC, BSF, BSR).
//
// Flags the SDM leaves undefined are computed as the measured hardware does (the project's host,
// see shift.cpp): BT/BTS/BTR/BTC change only CF; BSF/BSR with a zero source leave the
// destination unchanged and set ZF.
#include "translator/semantics/semantics.h"

namespace emu::sem {

namespace {

enum class BitOp : u8 { Test, Set, Reset, Complement };

template <BitOp K, typename T>
T apply(T v, T mask) {
  switch (K) {
    case BitOp::Test: return v;
    case BitOp::Set: return v | mask;
    case BitOp::Reset: return v & static_cast<T>(~mask);
    case BitOp::Complement: return v ^ mask;
  }
  return v;
}

// BT r/m, r   BT r/m, imm8   (and BTS BTR BTC)
//
// With an imm8 the offset is taken mod the operand width. With a register and a register
// destination, likewise. With a register and a memory destination the register is a signed bit
// index relative to the operand's address: the operand actually accessed is the word or dword
// that holds that bit, which may lie far before or after the addressed one (SDM Vol. 2A, BT,
// "bit base" addressing).
template <BitOp K, typename T, bool ImmOffset>
Status bit_test(Cpu& c, const DecodedInsn& i) {
  constexpr unsigned w = kBits<T>;
  const T offset = ImmOffset ? static_cast<T>(i.imm) : get_reg<T>(c, i.reg);
  const T mask = static_cast<T>(T{1} << (offset & (w - 1)));
  T value;
  u32 ea = 0;
  if (i.mod == 3) {
    value = get_reg<T>(c, i.rm);
  } else {
    ea = effective_address(c, i);
    if constexpr (!ImmOffset) {
      // Arithmetic shift: a negative index selects an operand below the address.
      const i32 unit = static_cast<i32>(as_signed(offset)) >> (w == 16 ? 4 : 5);
      ea += static_cast<u32>(unit) * sizeof(T);
      if (!i.addr32) ea &= 0xFFFF;
    }
    const bool ok = K == BitOp::Test ? c.read<T>(i.seg, ea, value) : read_for_update<T>(c, i.seg, ea, value);
    if (!ok) return Status::Fault;
  }
  if constexpr (K != BitOp::Test) {
    const T updated = apply<K, T>(value, mask);
    if (i.mod == 3)
      set_reg<T>(c, i.rm, updated);
    else if (!c.write<T>(i.seg, ea, updated))
      return Status::Fault;
  }
  c.s.flags.set_cf((value & mask) != 0);
  return Status::Ok;
}

// BSF r, r/m   BSR r, r/m
template <bool Forward, typename T>
Status bit_scan(Cpu& c, const DecodedInsn& i) {
  T src;
  if (!read_rm<T>(c, i, src)) return Status::Fault;
  if (src == 0) {
    // The destination keeps its value; Intel documents it as undefined, but every P6 and later
    // processor (and AMD, who document it) leaves it alone, and software relies on that.
    // ZF = 1; of the undefined flags PF reads 1 and the others 0 on the measured hardware.
    c.s.flags.set_arith(eflags::kArith, eflags::ZF | eflags::PF);
    return Status::Ok;
  }
  const unsigned index = Forward ? __builtin_ctz(src) : 31 - __builtin_clz(src);
  set_reg<T>(c, i.reg, static_cast<T>(index));
  // ZF = 0; CF, OF, SF and AF cleared and PF from the index, as the measured hardware does.
  c.s.flags.set_arith(eflags::kArith, szp_flags(static_cast<u8>(index)) & eflags::PF);
  return Status::Ok;
}

template <BitOp K>
Handler pick_bit_test(const DecodedInsn& i) {
  if (i.entry->operands[1] == Operand::Ib) return i.op32 ? bit_test<K, u32, true> : bit_test<K, u16, true>;
  return i.op32 ? bit_test<K, u32, false> : bit_test<K, u16, false>;
}

}  // namespace

Handler select_bit(const DecodedInsn& i) {
  switch (i.entry->op) {
    case Op::Bt: return pick_bit_test<BitOp::Test>(i);
    case Op::Bts: return pick_bit_test<BitOp::Set>(i);
    case Op::Btr: return pick_bit_test<BitOp::Reset>(i);
    case Op::Btc: return pick_bit_test<BitOp::Complement>(i);
    case Op::Bsf: return i.op32 ? bit_scan<true, u32> : bit_scan<true, u16>;
    case Op::Bsr: return i.op32 ? bit_scan<false, u32> : bit_scan<false, u16>;
    default: return nullptr;
  }
}

}  // namespace emu::sem
