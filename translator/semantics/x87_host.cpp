// Guest x87 operations executed on the host's x87 unit (see x87_host.h for why).
#include "translator/semantics/x87_host.h"

#include <cstring>

#if !defined(__x86_64__) && !defined(__i386__)
#error "the x87 semantics run on the host's x87 unit: build on an x86 host"
#endif

namespace emu::x87 {

namespace {

// The control word the host runs with: the guest's precision control (bits 8-9) and rounding
// control (bits 10-11), all six exceptions masked so the host never traps (the guest's own masks
// are applied afterwards by x87.cpp), and reserved bit 6 set as FNINIT leaves it.
u16 host_cw(u16 guest) { return static_cast<u16>((guest & 0x0F00) | 0x007F); }

// The scratch a host operation works on: `a` and `b` are loaded with FLD m80, `m` is the memory
// operand of the host instruction (m16/m32/m64 integer or float, m80 BCD), read and written, and
// `env` is the environment the host starts from (FLDENV, 32-bit protected-mode layout, SDM Vol. 1,
// Figure 8-9): the host control word, the guest's incoming condition codes, every tag empty.
// Starting from the guest's condition codes matters where the hardware leaves some of them as
// they were, as FPREM does for a NaN.
struct Scratch {
  long double a = 0;
  long double b = 0;
  u8 m[16] = {};
  u8 env[28] = {};
  u16 saved = 0;  // the host's own control word, restored afterwards

  Scratch(u16 guest_cw, long double a_value = 0, long double b_value = 0, u16 conditions = 0) : a(a_value), b(b_value) {
    const u16 cw = host_cw(guest_cw), status = conditions & sw::kConditions, tags = 0xFFFF;
    std::memcpy(env + 0, &cw, 2);
    std::memcpy(env + 4, &status, 2);
    std::memcpy(env + 8, &tags, 2);
  }
};

}  // namespace

// Inline assembly takes only string literals, so the shared entry/exit sequence and operand lists
// cannot be constexpr values; this one macro splices an operation's instructions between them.
// Entry: save the host control word, FLDENV the scratch environment (empty stack, no exception
// flags, the guest's PC/RC with everything masked). Exit: FNSTSW first (the status of the operation
// alone), then store ST(0) and ST(1) (an empty register stores the indefinite, which callers that
// expect one result ignore), FNINIT to empty the stack whatever the operation left, and restore
// the host control word. All eight stack registers are clobbered, so the compiler keeps no
// long double of its own on the x87 stack across the statement.
#define EMU_X87_HOST(body)                                                                                     \
  asm volatile("fnstcw %[saved]\n\tfldenv %[env]\n\t" body                                                     \
               "\n\tfnstsw %[sw]\n\tfstpt %[r0]\n\tfstpt %[r1]\n\tfninit\n\tfldcw %[saved]"                    \
               : [r0] "=m"(r.st0), [r1] "=m"(r.st1), [sw] "=m"(r.status), [saved] "+m"(s.saved), [m] "+m"(s.m) \
               : [env] "m"(s.env), [a] "m"(s.a), [b] "m"(s.b)                                                  \
               : "st", "st(1)", "st(2)", "st(3)", "st(4)", "st(5)", "st(6)", "st(7)")

HostResult arith(Arith op, u16 cw, long double a, long double b) {
  Scratch s(cw, a, b);
  HostResult r;
  // ST(0) = a, ST(1) = b. The destination is always ST(0) here, which avoids the AT&T operand
  // order trap of FSUB/FDIV with an ST(i) destination.
  switch (op) {
    case Arith::Add: EMU_X87_HOST("fldt %[b]\n\tfldt %[a]\n\tfadd %%st(1), %%st"); break;
    case Arith::Mul: EMU_X87_HOST("fldt %[b]\n\tfldt %[a]\n\tfmul %%st(1), %%st"); break;
    case Arith::Com: EMU_X87_HOST("fldt %[b]\n\tfldt %[a]\n\tfcom %%st(1)"); break;
    case Arith::Ucom: EMU_X87_HOST("fldt %[b]\n\tfldt %[a]\n\tfucom %%st(1)"); break;
    case Arith::Sub: EMU_X87_HOST("fldt %[b]\n\tfldt %[a]\n\tfsub %%st(1), %%st"); break;
    case Arith::Subr: EMU_X87_HOST("fldt %[b]\n\tfldt %[a]\n\tfsubr %%st(1), %%st"); break;
    case Arith::Div: EMU_X87_HOST("fldt %[b]\n\tfldt %[a]\n\tfdiv %%st(1), %%st"); break;
    case Arith::Divr: EMU_X87_HOST("fldt %[b]\n\tfldt %[a]\n\tfdivr %%st(1), %%st"); break;
  }
  return r;
}

HostResult arith(Arith op, u16 cw, long double a, u32 b_f32) {
  Scratch s(cw, a);
  std::memcpy(s.m, &b_f32, 4);
  HostResult r;
  switch (op) {
    case Arith::Add: EMU_X87_HOST("fldt %[a]\n\tfadds %[m]"); break;
    case Arith::Mul: EMU_X87_HOST("fldt %[a]\n\tfmuls %[m]"); break;
    case Arith::Com: EMU_X87_HOST("fldt %[a]\n\tfcoms %[m]"); break;
    case Arith::Ucom:  // no FUCOM m32fp exists; load then compare registers (FLD raises IE on SNaN)
      EMU_X87_HOST("flds %[m]\n\tfldt %[a]\n\tfucom %%st(1)");
      break;
    case Arith::Sub: EMU_X87_HOST("fldt %[a]\n\tfsubs %[m]"); break;
    case Arith::Subr: EMU_X87_HOST("fldt %[a]\n\tfsubrs %[m]"); break;
    case Arith::Div: EMU_X87_HOST("fldt %[a]\n\tfdivs %[m]"); break;
    case Arith::Divr: EMU_X87_HOST("fldt %[a]\n\tfdivrs %[m]"); break;
  }
  return r;
}

HostResult arith(Arith op, u16 cw, long double a, u64 b_f64) {
  Scratch s(cw, a);
  std::memcpy(s.m, &b_f64, 8);
  HostResult r;
  switch (op) {
    case Arith::Add: EMU_X87_HOST("fldt %[a]\n\tfaddl %[m]"); break;
    case Arith::Mul: EMU_X87_HOST("fldt %[a]\n\tfmull %[m]"); break;
    case Arith::Com: EMU_X87_HOST("fldt %[a]\n\tfcoml %[m]"); break;
    case Arith::Ucom: EMU_X87_HOST("fldl %[m]\n\tfldt %[a]\n\tfucom %%st(1)"); break;
    case Arith::Sub: EMU_X87_HOST("fldt %[a]\n\tfsubl %[m]"); break;
    case Arith::Subr: EMU_X87_HOST("fldt %[a]\n\tfsubrl %[m]"); break;
    case Arith::Div: EMU_X87_HOST("fldt %[a]\n\tfdivl %[m]"); break;
    case Arith::Divr: EMU_X87_HOST("fldt %[a]\n\tfdivrl %[m]"); break;
  }
  return r;
}

HostResult unary(Unary op, u16 cw, long double a) {
  Scratch s(cw, a);
  HostResult r;
  switch (op) {
    case Unary::Sqrt: EMU_X87_HOST("fldt %[a]\n\tfsqrt"); break;
    case Unary::Sin: EMU_X87_HOST("fldt %[a]\n\tfsin"); break;
    case Unary::Cos: EMU_X87_HOST("fldt %[a]\n\tfcos"); break;
    case Unary::Sincos: EMU_X87_HOST("fldt %[a]\n\tfsincos"); break;
    case Unary::Ptan: EMU_X87_HOST("fldt %[a]\n\tfptan"); break;
    case Unary::F2xm1: EMU_X87_HOST("fldt %[a]\n\tf2xm1"); break;
    case Unary::Rndint: EMU_X87_HOST("fldt %[a]\n\tfrndint"); break;
    case Unary::Xtract: EMU_X87_HOST("fldt %[a]\n\tfxtract"); break;
    case Unary::Tst: EMU_X87_HOST("fldt %[a]\n\tftst"); break;
    case Unary::Xam: EMU_X87_HOST("fldt %[a]\n\tfxam"); break;
  }
  return r;
}

HostResult binary(Binary op, u16 cw, long double a, long double b, u16 conditions) {
  Scratch s(cw, a, b, conditions);
  HostResult r;
  switch (op) {
    case Binary::Prem: EMU_X87_HOST("fldt %[b]\n\tfldt %[a]\n\tfprem"); break;
    case Binary::Prem1: EMU_X87_HOST("fldt %[b]\n\tfldt %[a]\n\tfprem1"); break;
    case Binary::Scale: EMU_X87_HOST("fldt %[b]\n\tfldt %[a]\n\tfscale"); break;
    case Binary::Yl2x: EMU_X87_HOST("fldt %[b]\n\tfldt %[a]\n\tfyl2x"); break;
    case Binary::Yl2xp1: EMU_X87_HOST("fldt %[b]\n\tfldt %[a]\n\tfyl2xp1"); break;
    case Binary::Patan: EMU_X87_HOST("fldt %[b]\n\tfldt %[a]\n\tfpatan"); break;
  }
  return r;
}

HostResult load_f32(u16 cw, u32 bits) {
  Scratch s(cw);
  std::memcpy(s.m, &bits, 4);
  HostResult r;
  EMU_X87_HOST("flds %[m]");
  return r;
}

HostResult load_f64(u16 cw, u64 bits) {
  Scratch s(cw);
  std::memcpy(s.m, &bits, 8);
  HostResult r;
  EMU_X87_HOST("fldl %[m]");
  return r;
}

HostResult load_bcd(u16 cw, const u8 (&bcd)[10]) {
  Scratch s(cw);
  std::memcpy(s.m, bcd, 10);
  HostResult r;
  EMU_X87_HOST("fbld %[m]");
  return r;
}

HostResult load_constant(Constant k, u16 cw) {
  // Since the Intel486 the constants are rounded per RC from an internal 66-bit value, so FLDPI
  // rounded up differs from FLDPI rounded to nearest (SDM Vol. 1, 8.3.8).
  Scratch s(cw);
  HostResult r;
  switch (k) {
    case Constant::One: EMU_X87_HOST("fld1"); break;
    case Constant::L2t: EMU_X87_HOST("fldl2t"); break;
    case Constant::L2e: EMU_X87_HOST("fldl2e"); break;
    case Constant::Pi: EMU_X87_HOST("fldpi"); break;
    case Constant::Lg2: EMU_X87_HOST("fldlg2"); break;
    case Constant::Ln2: EMU_X87_HOST("fldln2"); break;
    case Constant::Zero: EMU_X87_HOST("fldz"); break;
  }
  return r;
}

u16 store_f32(u16 cw, long double a, u32& out) {
  Scratch s(cw, a);
  HostResult r;
  EMU_X87_HOST("fldt %[a]\n\tfstps %[m]");
  std::memcpy(&out, s.m, 4);
  return r.status;
}

u16 store_f64(u16 cw, long double a, u64& out) {
  Scratch s(cw, a);
  HostResult r;
  EMU_X87_HOST("fldt %[a]\n\tfstpl %[m]");
  std::memcpy(&out, s.m, 8);
  return r.status;
}

u16 store_i16(u16 cw, long double a, u16& out) {
  Scratch s(cw, a);
  HostResult r;
  EMU_X87_HOST("fldt %[a]\n\tfistps %[m]");
  std::memcpy(&out, s.m, 2);
  return r.status;
}

u16 store_i32(u16 cw, long double a, u32& out) {
  Scratch s(cw, a);
  HostResult r;
  EMU_X87_HOST("fldt %[a]\n\tfistpl %[m]");
  std::memcpy(&out, s.m, 4);
  return r.status;
}

u16 store_i64(u16 cw, long double a, u64& out) {
  Scratch s(cw, a);
  HostResult r;
  EMU_X87_HOST("fldt %[a]\n\tfistpll %[m]");
  std::memcpy(&out, s.m, 8);
  return r.status;
}

u16 store_bcd(u16 cw, long double a, u8 (&out)[10]) {
  Scratch s(cw, a);
  HostResult r;
  EMU_X87_HOST("fldt %[a]\n\tfbstp %[m]");
  std::memcpy(out, s.m, 10);
  return r.status;
}

#undef EMU_X87_HOST

}  // namespace emu::x87
