#include <doctest/doctest.h>

#include "core/cpu_state.h"

using namespace emu;

TEST_CASE("lazy flags: add/sub/logic/inc/dec agree with the SDM definitions") {
  Flags f;
  // 0x7F + 1 (8-bit): OF, SF, AF set; CF, ZF clear.
  f.set_lazy(FlagOp::Add, 8, 0x7F, 1, 0x80);
  CHECK(f.of());
  CHECK(f.sf());
  CHECK(f.af());
  CHECK_FALSE(f.cf());
  CHECK_FALSE(f.zf());
  CHECK_FALSE(f.pf());  // 0x80 has one bit set: odd parity
  // 0xFF + 1 (8-bit): CF, ZF, AF, PF.
  f.set_lazy(FlagOp::Add, 8, 0xFF, 1, 0x00);
  CHECK(f.cf());
  CHECK(f.zf());
  CHECK(f.pf());
  // ADC with carry-in: 0xFFFFFFFF + 0 + 1 = 0, CF set.
  f.set_lazy(FlagOp::Add, 32, 0xFFFFFFFF, 0, 0, 1);
  CHECK(f.cf());
  // SBB: 5 - 5 - 1 = -1, borrow.
  f.set_lazy(FlagOp::Sub, 32, 5, 5, 0xFFFFFFFF, 1);
  CHECK(f.cf());
  CHECK(f.sf());
  // SUB: 0x80000000 - 1 overflows.
  f.set_lazy(FlagOp::Sub, 32, 0x80000000u, 1, 0x7FFFFFFF);
  CHECK(f.of());
  CHECK_FALSE(f.cf());
  // INC keeps the CF it was given.
  f.set_lazy(FlagOp::Inc, 16, 0xFFFF, 1, 0, 1);
  CHECK(f.cf());
  CHECK(f.zf());
  // Logic clears CF and OF.
  f.set_lazy(FlagOp::Logic, 32, 0, 0, 0x80000000u);
  CHECK_FALSE(f.cf());
  CHECK_FALSE(f.of());
  CHECK(f.sf());
}

TEST_CASE("lazy flags: materialise, set_arith and condition codes") {
  Flags f;
  f.set_lazy(FlagOp::Sub, 32, 3, 5, static_cast<u32>(3 - 5));
  CHECK(f.condition(0x2));        // JB: 3 < 5 unsigned
  CHECK(f.condition(0xC));        // JL: 3 < 5 signed
  CHECK_FALSE(f.condition(0x4));  // JE
  const u32 v = f.value();
  f.materialise();
  CHECK(f.op == FlagOp::None);
  CHECK(f.value() == v);
  f.set_arith(eflags::ZF, eflags::ZF);
  CHECK(f.condition(0x4));
  CHECK(f.cf());  // untouched by set_arith(ZF)
}

namespace {

// SHL/SHR/SAR flags computed at once, as shift.cpp did before shifts recorded lazy flags: the
// definitions of SDM Vol. 2B (SAL/SAR/SHL/SHR) with the measured hardware's choices (OF by the
// count-1 formula for every count, AF set).
u32 eager_shift_flags(FlagOp op, u8 width, u32 dst, unsigned count, u32& result) {
  const u32 mask = width == 32 ? 0xFFFFFFFFu : (1u << width) - 1, sign = 1u << (width - 1);
  const i64 signed_dst = static_cast<i64>(static_cast<i32>(dst << (32 - width)) >> (32 - width));
  u32 cf, of;
  if (op == FlagOp::Shl) {
    const u64 wide = u64{dst} << count;
    result = static_cast<u32>(wide) & mask;
    cf = (wide >> width) & 1;
    of = cf ^ ((result & sign) ? 1 : 0);
  } else if (op == FlagOp::Shr) {
    result = static_cast<u32>(u64{dst} >> count) & mask;
    cf = (u64{dst} >> (count - 1)) & 1;
    of = ((result >> (width - 1)) ^ (result >> (width - 2))) & 1;
  } else {
    result = static_cast<u32>(signed_dst >> count) & mask;
    cf = (signed_dst >> (count - 1)) & 1;
    of = 0;
  }
  u32 parity = result & 0xFF;
  parity ^= parity >> 4;
  parity ^= parity >> 2;
  parity ^= parity >> 1;
  return (cf ? eflags::CF : 0) | (parity & 1 ? 0 : eflags::PF) | eflags::AF | (result == 0 ? eflags::ZF : 0) |
         (result & sign ? eflags::SF : 0) | (of ? eflags::OF : 0);
}

}  // namespace

TEST_CASE("lazy flags: shift records give the flags SHL/SHR/SAR define, for every width and count") {
  const u32 samples[] = {0,          1,          2,           0x40,        0x7F,       0x80,   0xC0,
                         0xFF,       0x100,      0x4000,      0x7FFF,      0x8000,     0xFFFF, 0x12345678,
                         0x40000000, 0x7FFFFFFF, 0x80000000u, 0xC0000001u, 0xFFFFFFFFu};
  int compared = 0;
  for (FlagOp op : {FlagOp::Shl, FlagOp::Shr, FlagOp::Sar})
    for (u8 width : {u8{8}, u8{16}, u8{32}})
      for (u32 sample : samples)
        for (unsigned count = 1; count < 32; ++count) {
          const u32 mask = width == 32 ? 0xFFFFFFFFu : (1u << width) - 1;
          const u32 dst = sample & mask;
          u32 result = 0;
          const u32 expected = eager_shift_flags(op, width, dst, count, result);
          Flags f;
          f.bits = 0x2 | eflags::DF;  // the non-arithmetic bits must survive
          f.set_lazy(op, width, dst, count, result);
          CAPTURE(static_cast<int>(op));
          CAPTURE(width);
          CAPTURE(dst);
          CAPTURE(count);
          // Read one flag at a time, as a Jcc does, and all at once, as PUSHF does.
          CHECK(f.cf() == bool(expected & eflags::CF));
          CHECK(f.of() == bool(expected & eflags::OF));
          CHECK(f.af());
          CHECK(f.zf() == bool(expected & eflags::ZF));
          CHECK(f.sf() == bool(expected & eflags::SF));
          CHECK(f.pf() == bool(expected & eflags::PF));
          CHECK(f.value() == (0x2 | eflags::DF | expected));
          ++compared;
        }
  CHECK(compared == 3 * 3 * 19 * 31);
}

TEST_CASE("lazy flags: set_arith of all six flags drops the pending record") {
  Flags f;
  f.set_lazy(FlagOp::Add, 32, 0xFFFFFFFF, 1, 0);  // CF, ZF, PF, AF pending
  f.set_arith(eflags::kArith, eflags::SF);
  CHECK(f.op == FlagOp::None);
  CHECK(f.value() == (0x2 | eflags::SF));
  // Fewer than six: the record is computed first, and the rest of it kept.
  f.set_lazy(FlagOp::Add, 32, 0xFFFFFFFF, 1, 0);
  f.set_arith(eflags::SF, eflags::SF);
  CHECK(f.value() == (0x2 | eflags::CF | eflags::ZF | eflags::PF | eflags::AF | eflags::SF));
}
