// The host's x87 unit as the guest's arithmetic engine. On x86-64 the host has the very FPU the
// guest expects (80-bit registers, the same rounding, NaN propagation, denormal handling and
// transcendental microcode), so each guest operation runs the matching host instruction with the
// guest's precision and rounding control and every exception masked, and hands back the result
// together with the host status word: exception flags (IE DE ZE OE UE PE) and condition codes
// (C1 round-up, C2 incomplete/out of range, C0 C3 comparisons and FPREM quotient bits).
// The guest's exception policy (masked/unmasked responses, the stack) is applied by x87.cpp.
#pragma once
#include "core/types.h"

namespace emu::x87 {

// FPU status word bits (SDM Vol. 1, Figure 8-4).
namespace sw {
inline constexpr u16 IE = 1 << 0, DE = 1 << 1, ZE = 1 << 2, OE = 1 << 3, UE = 1 << 4, PE = 1 << 5;
inline constexpr u16 SF = 1 << 6, ES = 1 << 7, C0 = 1 << 8, C1 = 1 << 9, C2 = 1 << 10, C3 = 1 << 14;
inline constexpr u16 B = 1 << 15;
inline constexpr u16 kTopShift = 11, kTopMask = 7 << kTopShift;
inline constexpr u16 kExceptions = IE | DE | ZE | OE | UE | PE;
inline constexpr u16 kConditions = C0 | C1 | C2 | C3;
}  // namespace sw

// A result of up to two stack registers (ST(0) and ST(1) of the host after the operation) and
// the host status word.
struct HostResult {
  long double st0 = 0;
  long double st1 = 0;
  u16 status = 0;
};

// The two-operand arithmetic, in the order of the ModRM.reg field of opcodes D8/DC
// (SDM Vol. 2D, Table A-7): result = a op b, reversed for Subr/Divr; Com/Ucom compare a with b.
enum class Arith : u8 { Add, Mul, Com, Ucom, Sub, Subr, Div, Divr };

// `a` is the destination's value, `b` the source in its own format: a register (long double),
// m32fp (its bits as u32) or m64fp (its bits as u64). Memory formats are converted by the host
// instruction itself so SNaN, denormal and NaN-selection rules are exactly the hardware's.
HostResult arith(Arith op, u16 cw, long double a, long double b);
HostResult arith(Arith op, u16 cw, long double a, u32 b_f32);
HostResult arith(Arith op, u16 cw, long double a, u64 b_f64);

// One-operand instructions on ST(0). For Ptan/Sincos/Xtract the host leaves two results:
// Ptan st0 = 1.0, st1 = tan; Sincos st0 = cos, st1 = sin; Xtract st0 = significand, st1 = exponent.
enum class Unary : u8 { Sqrt, Sin, Cos, Sincos, Ptan, F2xm1, Rndint, Xtract, Tst, Xam };
HostResult unary(Unary op, u16 cw, long double a);

// Two-operand instructions on ST(0) = a and ST(1) = b. Prem/Prem1/Scale leave st0 = result
// (st1 = b); Yl2x/Yl2xp1/Patan pop, leaving the result in st0. The host starts from the guest's
// condition codes `conditions`: FPREM/FPREM1 with a NaN result clear C1 and C2 but leave C0 and
// C3 as they were (observed on the host; the SDM defines the quotient bits only for a number).
enum class Binary : u8 { Prem, Prem1, Scale, Yl2x, Yl2xp1, Patan };
HostResult binary(Binary op, u16 cw, long double a, long double b, u16 conditions = 0);

// Loads: m32fp/m64fp to extended (IE on SNaN, DE on a denormal), m80bcd (FBLD), constants.
HostResult load_f32(u16 cw, u32 bits);
HostResult load_f64(u16 cw, u64 bits);
HostResult load_bcd(u16 cw, const u8 (&bcd)[10]);
enum class Constant : u8 { One, L2t, L2e, Pi, Lg2, Ln2, Zero };  // D9 E8..EE order
HostResult load_constant(Constant k, u16 cw);

// Stores: the converted bits and the host status word (IE OE UE PE, C1 round-up).
u16 store_f32(u16 cw, long double a, u32& out);
u16 store_f64(u16 cw, long double a, u64& out);
u16 store_i16(u16 cw, long double a, u16& out);
u16 store_i32(u16 cw, long double a, u32& out);
u16 store_i64(u16 cw, long double a, u64& out);
u16 store_bcd(u16 cw, long double a, u8 (&out)[10]);

}  // namespace emu::x87
