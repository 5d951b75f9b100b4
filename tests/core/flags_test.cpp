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
