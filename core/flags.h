// Lazy EFLAGS. Most instructions set the six arithmetic flags, and most of those flags are never
// read before the next instruction overwrites them. So an arithmetic instruction records only what
// it did (the kind of operation, the operands and the result) and the flags are computed when a
// Jcc, PUSHF, ADC or similar asks for them. Bochs and QEMU do the same.
#pragma once
#include "core/types.h"

namespace emu {

// The operation whose flags are pending. Anything not listed computes its flags eagerly.
enum class FlagOp : u8 {
  None,   // arithmetic flags are materialised in Flags::bits
  Add,    // dst + src (+ carry_in for ADC)
  Sub,    // dst - src (- carry_in for SBB); CMP, NEG (dst = 0) too
  Logic,  // AND/OR/XOR/TEST: CF = OF = 0, AF undefined (0 here, as on P6)
  Inc,    // like Add with src = 1, CF kept in carry_in
  Dec,    // like Sub with src = 1, CF kept in carry_in
  // SHL/SAL, SHR and SAR by a masked count of 1-31 (src; a count of 0 changes no flag): dst is
  // the operand before the shift. CF is the last bit shifted out; OF is the count-1 formula
  // whatever the count; AF is set, as on the measured hardware (translator/semantics/shift.cpp).
  Shl,
  Shr,
  Sar,
};

struct Flags {
  // CF, PF, AF, ZF, SF and OF (eflags::kArith, which this header cannot include).
  static constexpr u32 kArithBits = 0x8D5;
  // EFLAGS. The bits CF, PF, AF, ZF, SF and OF are valid only when op == FlagOp::None.
  u32 bits = 0x2;
  FlagOp op = FlagOp::None;
  u8 width = 32;    // 8, 16 or 32
  u8 carry_in = 0;  // ADC/SBB carry-in; for INC/DEC the preserved CF
  u32 dst = 0, src = 0, result = 0;

  u32 mask() const { return width == 32 ? 0xFFFFFFFFu : (1u << width) - 1; }
  u32 sign_bit() const { return 1u << (width - 1); }

  void set_lazy(FlagOp o, u8 w, u32 d, u32 s, u32 r, u8 cin = 0) {
    op = o;
    width = w;
    dst = d;
    src = s;
    result = r;
    carry_in = cin;
  }

  bool cf() const {
    const u32 m = mask();
    switch (op) {
      case FlagOp::None: return bits & 1;
      case FlagOp::Add: return carry_in ? (result & m) <= (dst & m) : (result & m) < (dst & m);
      case FlagOp::Sub: return carry_in ? (dst & m) <= (src & m) : (dst & m) < (src & m);
      case FlagOp::Logic: return false;
      case FlagOp::Inc:
      case FlagOp::Dec: return carry_in;
      case FlagOp::Shl: return shl_cf();
      case FlagOp::Shr: return shr_cf();
      case FlagOp::Sar: return sar_cf();
    }
    return false;
  }
  bool zf() const { return op == FlagOp::None ? (bits >> 6) & 1 : (result & mask()) == 0; }
  bool sf() const { return op == FlagOp::None ? (bits >> 7) & 1 : (result & sign_bit()) != 0; }
  bool pf() const {
    if (op == FlagOp::None) return (bits >> 2) & 1;
    u8 v = static_cast<u8>(result);  // parity of the low byte only (SDM Vol. 1, 3.4.3.1)
    v ^= v >> 4;
    v ^= v >> 2;
    v ^= v >> 1;
    return !(v & 1);
  }
  bool af() const {
    switch (op) {
      case FlagOp::None: return (bits >> 4) & 1;
      case FlagOp::Logic: return false;
      case FlagOp::Shl:
      case FlagOp::Shr:
      case FlagOp::Sar: return true;
      default: return ((dst ^ src ^ result) >> 4) & 1;
    }
  }
  bool of() const {
    const u32 sb = sign_bit();
    switch (op) {
      case FlagOp::None: return (bits >> 11) & 1;
      case FlagOp::Add:
      case FlagOp::Inc: return ((dst ^ result) & (src ^ result) & sb) != 0;
      case FlagOp::Sub:
      case FlagOp::Dec: return ((dst ^ src) & (dst ^ result) & sb) != 0;
      case FlagOp::Logic:
      case FlagOp::Sar: return false;
      case FlagOp::Shl: return shl_cf() != ((result & sb) != 0);
      case FlagOp::Shr: return ((result ^ (result << 1)) & sb) != 0;  // the top two result bits
    }
    return false;
  }

  // CF of a shift record: the last bit shifted out of dst (SDM Vol. 2B, SAL/SAR/SHL/SHR). An 8-
  // or 16-bit SHL/SHR by more than its width has shifted every bit out (CF = 0); SAR has shifted
  // in copies of the sign.
  bool shl_cf() const { return ((u64{dst} << src) >> width) & 1; }
  bool shr_cf() const { return (u64{dst} >> (src - 1)) & 1; }
  bool sar_cf() const {
    const i32 signed_dst = static_cast<i32>(dst << (32 - width)) >> (32 - width);
    return (signed_dst >> (src - 1)) & 1;
  }

  // Computes the pending arithmetic flags into `bits` and forgets the lazy record.
  void materialise() {
    if (op == FlagOp::None) return;
    // One pass per operation kind rather than six calls that each switch on it: ROL/BT/IMUL and
    // friends materialise the record of the ALU instruction before them on every execution.
    const u32 m = mask(), sb = sign_bit();
    const u32 r = result & m;
    u8 low = static_cast<u8>(r);  // PF: parity of the low byte only (SDM Vol. 1, 3.4.3.1)
    low ^= low >> 4;
    low ^= low >> 2;
    low ^= low >> 1;
    u32 a = (r == 0 ? 0x040 : 0) | (r & sb ? 0x080 : 0) | (low & 1 ? 0 : 0x004);
    switch (op) {
      case FlagOp::Logic: break;
      case FlagOp::Add:
        a |= (carry_in ? r <= (dst & m) : r < (dst & m)) ? 0x001 : 0;
        a |= ((dst ^ src ^ result) & 0x10) | (((dst ^ result) & (src ^ result) & sb) ? 0x800 : 0);
        break;
      case FlagOp::Inc:
        a |= carry_in | ((dst ^ src ^ result) & 0x10) | (((dst ^ result) & (src ^ result) & sb) ? 0x800 : 0);
        break;
      case FlagOp::Sub:
        a |= (carry_in ? (dst & m) <= (src & m) : (dst & m) < (src & m)) ? 0x001 : 0;
        a |= ((dst ^ src ^ result) & 0x10) | (((dst ^ src) & (dst ^ result) & sb) ? 0x800 : 0);
        break;
      case FlagOp::Dec:
        a |= carry_in | ((dst ^ src ^ result) & 0x10) | (((dst ^ src) & (dst ^ result) & sb) ? 0x800 : 0);
        break;
      case FlagOp::Shl: {
        const bool cf = shl_cf();
        a |= (cf ? 0x001 : 0) | 0x010 | ((cf != ((r & sb) != 0)) ? 0x800 : 0);
        break;
      }
      case FlagOp::Shr: a |= (shr_cf() ? 0x001 : 0) | 0x010 | (((r ^ (r << 1)) & sb) ? 0x800 : 0); break;
      case FlagOp::Sar: a |= (sar_cf() ? 0x001 : 0) | 0x010; break;
      case FlagOp::None: break;
    }
    bits = (bits & ~kArithBits) | a;
    op = FlagOp::None;
  }

  // The full EFLAGS value as PUSHF would see it.
  u32 value() const {
    Flags copy = *this;
    copy.materialise();
    return copy.bits | 0x2;
  }

  // Replaces the arithmetic flags given in `which` with those of `values`. When `which` names all
  // six the pending record is simply dropped: computing flags only to overwrite them would cost
  // every BCD or bit-test instruction the previous instruction's flags.
  void set_arith(u32 which, u32 values) {
    if ((which & kArithBits) == kArithBits)
      op = FlagOp::None;
    else
      materialise();
    bits = (bits & ~which) | (values & which);
  }
  void set_cf(bool v) { set_arith(1, v ? 1 : 0); }

  // Evaluates condition code cc (the low nibble of Jcc/SETcc/CMOVcc; SDM Vol. 1, Appendix B).
  bool condition(u8 cc) const {
    bool r;
    switch (cc >> 1) {
      case 0: r = of(); break;
      case 1: r = cf(); break;
      case 2: r = zf(); break;
      case 3: r = cf() || zf(); break;
      case 4: r = sf(); break;
      case 5: r = pf(); break;
      case 6: r = sf() != of(); break;
      default: r = zf() || (sf() != of()); break;
    }
    return (cc & 1) ? !r : r;
  }
};

}  // namespace emu
