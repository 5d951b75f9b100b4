// Decimal arithmetic adjustments (SDM Vol. 2A: AAA, AAD, AAM, AAS, DAA, DAS).
//
// Packed BCD (DAA/DAS) adjusts AL after an 8-bit ADD/SUB; unpacked BCD (AAA/AAS/AAM/AAD) works on
// AX. Flags the SDM leaves undefined are computed as the measured hardware does (see shift.cpp):
// they are the flags of the ALU operation the processor uses to make the adjustment.
#include "translator/semantics/semantics.h"

namespace emu::sem {

namespace {

u8 al(const Cpu& c) { return c.s.gpr[EAX] & 0xFF; }
u8 ah(const Cpu& c) { return (c.s.gpr[EAX] >> 8) & 0xFF; }

// The OF of an 8-bit addition/subtraction a ± b = r.
u32 add_of(u8 a, u8 b, u8 r) { return ((a ^ r) & (b ^ r) & 0x80) ? eflags::OF : 0; }
u32 sub_of(u8 a, u8 b, u8 r) { return ((a ^ b) & (a ^ r) & 0x80) ? eflags::OF : 0; }

// DAA   — decimal adjust AL after addition
Status daa(Cpu& c, const DecodedInsn&) {
  const u8 old_al = al(c);
  const bool old_cf = c.s.flags.cf();
  u8 a = old_al;
  u32 f = 0;
  if ((a & 0x0F) > 9 || c.s.flags.af()) {
    a = static_cast<u8>(a + 6);
    f |= eflags::AF;
  }
  if (old_al > 0x99 || old_cf) {
    a = static_cast<u8>(a + 0x60);
    f |= eflags::CF;
  }
  f |= szp_flags(a) | add_of(old_al, static_cast<u8>(a - old_al), a);
  set_r8(c, 0, a);
  c.s.flags.set_arith(eflags::kArith, f);
  return Status::Ok;
}

// DAS   — decimal adjust AL after subtraction. Unlike DAA, a borrow out of the low-digit
// adjustment survives into CF even when the high digit needs no adjustment (SDM Vol. 2A, DAS).
Status das(Cpu& c, const DecodedInsn&) {
  const u8 old_al = al(c);
  const bool old_cf = c.s.flags.cf();
  u8 a = old_al;
  u32 f = 0;
  if ((a & 0x0F) > 9 || c.s.flags.af()) {
    if (a < 6) f |= eflags::CF;
    a = static_cast<u8>(a - 6);
    f |= eflags::AF;
  }
  if (old_al > 0x99 || old_cf) {
    a = static_cast<u8>(a - 0x60);
    f |= eflags::CF;
  }
  f |= szp_flags(a) | sub_of(old_al, static_cast<u8>(old_al - a), a);
  set_r8(c, 0, a);
  c.s.flags.set_arith(eflags::kArith, f);
  return Status::Ok;
}

// AAA / AAS: AX ± 106H when the low digit needs adjusting (P6 and later adjust AX as a whole,
// SDM Vol. 2A, AAA), then AL's high nibble is cleared. CF = AF = "adjusted"; the undefined SF,
// ZF, PF and OF are those of the 16-bit addition or subtraction, before the masking.
template <bool Add>
Status ascii_adjust(Cpu& c, const DecodedInsn&) {
  const u16 ax = c.s.gpr[EAX] & 0xFFFF;
  const bool adjust = (ax & 0x0F) > 9 || c.s.flags.af();
  const u16 delta = adjust ? 0x106 : 0;
  const u16 r = static_cast<u16>(Add ? ax + delta : ax - delta);
  const bool overflow = Add ? ((ax ^ r) & (delta ^ r) & 0x8000) : ((ax ^ delta) & (ax ^ r) & 0x8000);
  u32 f = szp_flags(r) | (overflow ? eflags::OF : 0);
  if (adjust) f |= eflags::AF | eflags::CF;
  set_reg<u16>(c, EAX, static_cast<u16>(r & 0xFF0F));
  c.s.flags.set_arith(eflags::kArith, f);
  return Status::Ok;
}

// AAM imm8   — AH = AL / imm8, AL = AL mod imm8; imm8 = 0 is #DE.
Status aam(Cpu& c, const DecodedInsn& i) {
  const u8 base = i.imm & 0xFF;
  if (base == 0) return c.raise(kDE);
  const u8 a = al(c);
  const u8 q = a / base, r = a % base;
  set_reg<u16>(c, EAX, static_cast<u16>((q << 8) | r));
  c.s.flags.set_arith(eflags::kArith, szp_flags(r));
  return Status::Ok;
}

// AAD imm8   — AL = AL + AH * imm8, AH = 0. The processor does this as an 8-bit ADD, whose
// CF/OF/AF it leaves in the (undefined) flags.
Status aad(Cpu& c, const DecodedInsn& i) {
  const u8 product = static_cast<u8>(ah(c) * (i.imm & 0xFF));
  const u8 a = al(c);
  const u8 r = static_cast<u8>(a + product);
  u32 f = szp_flags(r) | add_of(a, product, r);
  if (r < a) f |= eflags::CF;
  if ((a ^ product ^ r) & 0x10) f |= eflags::AF;
  set_reg<u16>(c, EAX, r);
  c.s.flags.set_arith(eflags::kArith, f);
  return Status::Ok;
}

}  // namespace

Handler select_bcd(const DecodedInsn& i) {
  switch (i.entry->op) {
    case Op::Daa: return daa;
    case Op::Das: return das;
    case Op::Aaa: return ascii_adjust<true>;
    case Op::Aas: return ascii_adjust<false>;
    case Op::Aam: return aam;
    case Op::Aad: return aad;
    default: return nullptr;
  }
}

}  // namespace emu::sem
