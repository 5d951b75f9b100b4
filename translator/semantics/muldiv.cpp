// Multiplication and division (SDM Vol. 2A/2B: MUL, IMUL, DIV, IDIV).
//
// The one-operand forms use the accumulator pair of twice the operand width: AX = AL * r/m8,
// DX:AX = AX * r/m16, EDX:EAX = EAX * r/m32; DIV/IDIV divide that pair and leave the quotient in
// the low half and the remainder in the high half. Division by zero and a quotient that does not
// fit (including IDIV of the most negative dividend by -1) raise #DE with nothing changed.
//
// CF and OF are defined: set when the product does not fit the destination. SF, ZF, AF and PF
// after a multiply, and all six after a divide, are undefined; they are computed as the measured
// hardware does (see shift.cpp): a multiply leaves SF/ZF/AF/PF unchanged; a divide leaves CF and
// OF, clears SF, ZF and PF and sets AF. (Intel parts are reported to set SF/ZF/PF from the low
// half of a product; Cyrix parts leave every flag unchanged by DIV, which is how Linux tells a
// Cyrix apart, so a divide must change the flags.)
#include <cstdint>
#include <limits>

#include "translator/semantics/semantics.h"

namespace emu::sem {

namespace {

// The double-width accumulator: AX for bytes, DX:AX for words, EDX:EAX for dwords.
template <typename T>
u64 read_pair(const Cpu& c) {
  if constexpr (sizeof(T) == 1)
    return c.s.gpr[EAX] & 0xFFFF;
  else if constexpr (sizeof(T) == 2)
    return ((c.s.gpr[EDX] & 0xFFFF) << 16) | (c.s.gpr[EAX] & 0xFFFF);
  else
    return (u64{c.s.gpr[EDX]} << 32) | c.s.gpr[EAX];
}
// Stores `low` into AL/AX/EAX and `high` into AH/DX/EDX.
template <typename T>
void write_pair(Cpu& c, T low, T high) {
  if constexpr (sizeof(T) == 1) {
    set_reg<u16>(c, EAX, static_cast<u16>((high << 8) | low));
  } else {
    set_reg<T>(c, EAX, low);
    set_reg<T>(c, EDX, high);
  }
}

template <typename T>
using Wide = std::conditional_t<sizeof(T) == 4, u64, u32>;

// Flags after a multiply; `overflow` is CF = OF.
void multiply_flags(Cpu& c, bool overflow) {
  c.s.flags.set_arith(eflags::CF | eflags::OF, overflow ? eflags::CF | eflags::OF : 0);
}
void divide_flags(Cpu& c) { c.s.flags.set_arith(eflags::SF | eflags::ZF | eflags::PF | eflags::AF, eflags::AF); }

// MUL r/m   — unsigned; CF = OF = (upper half != 0)
template <typename T>
Status mul(Cpu& c, const DecodedInsn& i) {
  T src;
  if (!read_rm<T>(c, i, src)) return Status::Fault;
  const Wide<T> product = static_cast<Wide<T>>(get_reg<T>(c, EAX)) * src;
  const T low = static_cast<T>(product), high = static_cast<T>(product >> kBits<T>);
  write_pair<T>(c, low, high);
  multiply_flags(c, high != 0);
  return Status::Ok;
}

// IMUL r/m   — signed; CF = OF = (the product is not the sign extension of its lower half)
template <typename T>
Status imul1(Cpu& c, const DecodedInsn& i) {
  T src;
  if (!read_rm<T>(c, i, src)) return Status::Fault;
  const i64 product = i64{as_signed(get_reg<T>(c, EAX))} * as_signed(src);
  const T low = static_cast<T>(product), high = static_cast<T>(static_cast<u64>(product) >> kBits<T>);
  write_pair<T>(c, low, high);
  multiply_flags(c, product != as_signed(low));
  return Status::Ok;
}

// IMUL r, r/m   IMUL r, r/m, imm   — the product is truncated to the destination width.
template <typename T, bool Imm>
Status imul_truncating(Cpu& c, const DecodedInsn& i) {
  T src;
  if (!read_rm<T>(c, i, src)) return Status::Fault;
  const T factor = Imm ? static_cast<T>(i.imm) : get_reg<T>(c, i.reg);
  const i64 product = i64{as_signed(src)} * as_signed(factor);
  const T low = static_cast<T>(product);
  set_reg<T>(c, i.reg, low);
  multiply_flags(c, product != as_signed(low));
  return Status::Ok;
}

// DIV r/m   — unsigned
template <typename T>
Status div(Cpu& c, const DecodedInsn& i) {
  T src;
  if (!read_rm<T>(c, i, src)) return Status::Fault;
  if (src == 0) return c.raise(kDE);
  const u64 dividend = read_pair<T>(c);
  const u64 quotient = dividend / src;
  if (quotient > static_cast<T>(~T{0})) return c.raise(kDE);
  write_pair<T>(c, static_cast<T>(quotient), static_cast<T>(dividend % src));
  divide_flags(c);
  return Status::Ok;
}

// IDIV r/m   — signed; the quotient is truncated toward zero and the remainder has the sign of
// the dividend.
template <typename T>
Status idiv(Cpu& c, const DecodedInsn& i) {
  using S = std::make_signed_t<T>;
  T src;
  if (!read_rm<T>(c, i, src)) return Status::Fault;
  if (src == 0) return c.raise(kDE);
  // Sign-extend the double-width dividend to 64 bits.
  constexpr unsigned pair_bits = 2 * kBits<T>;
  const u64 raw = read_pair<T>(c);
  const i64 dividend =
      pair_bits == 64 ? static_cast<i64>(raw) : static_cast<i64>(raw << (64 - pair_bits)) >> (64 - pair_bits);
  const i64 divisor = as_signed(src);
  // INT64_MIN / -1 cannot occur for 8/16-bit operands; for 32-bit it would overflow the host
  // division, and its quotient is out of range anyway.
  if (dividend == INT64_MIN && divisor == -1) return c.raise(kDE);
  const i64 quotient = dividend / divisor;
  if (quotient > std::numeric_limits<S>::max() || quotient < std::numeric_limits<S>::min()) return c.raise(kDE);
  write_pair<T>(c, static_cast<T>(quotient), static_cast<T>(dividend % divisor));
  divide_flags(c);
  return Status::Ok;
}

}  // namespace

Handler select_muldiv(const DecodedInsn& i) {
  const bool w8 = operand_width(i) == 1;
  auto sized = [&](Handler h8, Handler h16, Handler h32) { return w8 ? h8 : (i.op32 ? h32 : h16); };
  switch (i.entry->op) {
    case Op::Mul: return sized(mul<u8>, mul<u16>, mul<u32>);
    case Op::Imul1: return sized(imul1<u8>, imul1<u16>, imul1<u32>);
    case Op::Imul2: return i.op32 ? imul_truncating<u32, false> : imul_truncating<u16, false>;
    case Op::Imul3: return i.op32 ? imul_truncating<u32, true> : imul_truncating<u16, true>;
    case Op::Div: return sized(div<u8>, div<u16>, div<u32>);
    case Op::Idiv: return sized(idiv<u8>, idiv<u16>, idiv<u32>);
    default: return nullptr;
  }
}

}  // namespace emu::sem
