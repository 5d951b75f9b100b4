// The x87 floating-point unit (SDM Vol. 1, chapter 8; Vol. 2 instruction pages FLD ... FYL2XP1,
// WAIT). The register stack, tags, exception flags, masked and unmasked responses and the saved
// environment are kept here; the arithmetic itself runs on the host's x87 unit with the guest's
// precision and rounding control (x87_host.cpp), so results, NaN choices, condition codes and the
// transcendentals match the hardware bit for bit.
//
// Every handler has the same shape: the device-not-available and pending-error checks, then
// every memory operand is read (or its write probed) so a fault leaves the FPU untouched, then the
// last-instruction pointers are recorded, then the stack checks and the operation.
#include <algorithm>
#include <cmath>
#include <cstring>

#include "translator/semantics/semantics.h"
#include "translator/semantics/x87_host.h"

namespace emu::sem {

namespace {

using x87::Arith;
using x87::Binary;
using x87::HostResult;
using x87::Unary;
namespace sw = x87::sw;

// ---- values ------------------------------------------------------------------------------------

// An 80-bit register's fields: the 64-bit significand (with the explicit integer bit 63) and the
// sign/exponent word (SDM Vol. 1, Figure 4-3).
struct Bits {
  u64 significand;
  u16 sign_exponent;
};
Bits bits_of(long double v) {
  Bits b;
  std::memcpy(&b.significand, &v, 8);
  std::memcpy(&b.sign_exponent, reinterpret_cast<const u8*>(&v) + 8, 2);
  return b;
}
long double from_bits(u64 significand, u16 sign_exponent) {
  long double v = 0;
  std::memcpy(&v, &significand, 8);
  std::memcpy(reinterpret_cast<u8*>(&v) + 8, &sign_exponent, 2);
  return v;
}
long double from_bytes(const u8 (&b)[10]) {
  long double v = 0;
  std::memcpy(&v, b, 10);
  return v;
}
void to_bytes(long double v, u8 (&b)[10]) { std::memcpy(b, &v, 10); }

// The QNaN floating-point indefinite: the masked response to an invalid operation (SDM Vol. 1,
// Table 4-3).
long double indefinite() { return from_bits(0xC000000000000000ull, 0xFFFF); }
constexpr u32 kIndefiniteF32 = 0xFFC00000u;
constexpr u64 kIndefiniteF64 = 0xFFF8000000000000ull;

// ---- tags and the register stack (SDM Vol. 1, 8.1.2 and 8.1.7) --------------------------------------

enum Tag : u8 { kValid = 0, kZero = 1, kSpecial = 2, kEmpty = 3 };

// The tag a value gets when written: special covers NaNs, infinities, denormals and the
// unsupported encodings (unnormals, pseudo-NaNs), whose integer bit disagrees with the exponent.
Tag tag_for(long double v) {
  const Bits b = bits_of(v);
  const unsigned exponent = b.sign_exponent & 0x7FFF;
  if (exponent == 0) return b.significand == 0 ? kZero : kSpecial;
  if (exponent == 0x7FFF || !(b.significand >> 63)) return kSpecial;
  return kValid;
}

unsigned top(const FpuState& f) { return (f.status & sw::kTopMask) >> sw::kTopShift; }
void set_top(FpuState& f, unsigned t) {
  f.status = static_cast<u16>((f.status & ~sw::kTopMask) | ((t & 7) << sw::kTopShift));
}
unsigned physical(const FpuState& f, unsigned i) { return (top(f) + i) & 7; }
Tag physical_tag(const FpuState& f, unsigned r) { return static_cast<Tag>((f.tag >> (2 * r)) & 3); }
void set_physical_tag(FpuState& f, unsigned r, Tag t) {
  f.tag = static_cast<u16>((f.tag & ~(3u << (2 * r))) | (unsigned{t} << (2 * r)));
}
bool empty(const FpuState& f, unsigned i) { return physical_tag(f, physical(f, i)) == kEmpty; }
long double st(const FpuState& f, unsigned i) { return f.regs[physical(f, i)]; }
void set_st(FpuState& f, unsigned i, long double v) {
  const unsigned r = physical(f, i);
  f.regs[r] = v;
  set_physical_tag(f, r, tag_for(v));
}
void push(FpuState& f, long double v) {
  set_top(f, top(f) - 1);
  set_st(f, 0, v);
}
void pop(FpuState& f) {
  set_physical_tag(f, physical(f, 0), kEmpty);
  set_top(f, top(f) + 1);
}
// A push needs ST(7) — the register that becomes ST(0) — to be empty.
bool can_push(const FpuState& f) { return empty(f, 7); }

// Rebuilds the tags of the non-empty registers from their contents, as FLDENV/FRSTOR do: only
// "empty" is taken from a loaded tag word (SDM Vol. 1, 8.1.7).
void load_tag_word(FpuState& f, u16 loaded) {
  for (unsigned r = 0; r < 8; ++r)
    set_physical_tag(f, r, ((loaded >> (2 * r)) & 3) == kEmpty ? kEmpty : tag_for(f.regs[r]));
}

void set_c1(FpuState& f, bool v) { f.status = static_cast<u16>(v ? f.status | sw::C1 : f.status & ~sw::C1); }

// ---- exceptions (SDM Vol. 1, 8.4-8.7) --------------------------------------------------------------

// FERR# follows ES while CR0.NE = 0 (Vol. 1, Appendix D.2.2: on P6 it is asserted when the
// instruction that raised the unmasked exception completes); the platform routes it to IRQ 13.
void update_ferr(Cpu& c) {
  const bool level = !(c.s.cr0 & cr0::NE) && (c.s.fpu.status & sw::ES);
  if (level == c.ferr) return;
  c.ferr = level;
  if (c.ferr_changed) c.ferr_changed(level);
}

// ES and B summarise "some exception flag is set whose mask bit is clear" (Vol. 1, 8.1.3.1).
void recompute_summary(Cpu& c) {
  FpuState& f = c.s.fpu;
  if (f.status & ~f.control & sw::kExceptions)
    f.status |= sw::ES | sw::B;
  else
    f.status &= static_cast<u16>(~(sw::ES | sw::B));
  update_ferr(c);
}

// Sets exception flags (and SF); an unmasked one sets ES and B, to be reported at the next
// waiting instruction.
void raise_flags(Cpu& c, u16 flags) {
  FpuState& f = c.s.fpu;
  f.status |= flags & (sw::kExceptions | sw::SF);
  if (flags & ~f.control & sw::kExceptions) {
    f.status |= sw::ES | sw::B;
    update_ferr(c);
  }
}

// Stack overflow (C1 = 1) or underflow (C1 = 0): #IS, reported as IE with SF (Vol. 1, 8.5.1.1).
// Returns true when IE is masked, i.e. the caller applies the masked response.
bool stack_fault(Cpu& c, bool overflow) {
  set_c1(c.s.fpu, overflow);
  raise_flags(c, sw::IE | sw::SF);
  return c.s.fpu.control & sw::IE;
}
bool stack_underflow(Cpu& c) { return stack_fault(c, false); }
bool stack_overflow(Cpu& c) { return stack_fault(c, true); }

enum class Dest : u8 { Register, Memory };

// What to do with a host result after the guest's exception masks are applied.
enum class Outcome : u8 {
  Discard,        // an unmasked pre-computation exception (or OE/UE to memory): no change
  Deliver,        // the masked response, or no exception, or an unmasked PE
  DeliverScaled,  // unmasked OE/UE to a register: the result with its exponent rebiased
};

// Applies the guest's masks to the exceptions a host operation reported and copies the
// condition codes the instruction defines (`conditions`). SDM Vol. 1, 4.9.2 and 8.5: IE, DE and
// ZE are detected before the operation, so when unmasked nothing is stored; OE and UE unmasked
// store a rebiased result in a register, nothing in memory (then PE is not reported and C1 is
// cleared); PE unmasked still stores the result.
Outcome apply_status(Cpu& c, u16 host_status, u16 conditions, Dest dest, long double result = 0,
                     bool can_rebias = false) {
  FpuState& f = c.s.fpu;
  const u16 masks = f.control & sw::kExceptions;
  u16 ex = host_status & sw::kExceptions;
  if (ex & sw::IE)
    ex = sw::IE;  // an invalid operation produces no other exception
  else if ((ex & sw::DE) && !(masks & sw::DE))
    ex = sw::DE;
  else if (ex & sw::ZE)
    ex &= sw::ZE | sw::DE;
  // Masked underflow is signalled only for an inexact tiny result; unmasked, for any tiny one
  // (Vol. 1, 4.9.1.5). A denormal register result is tiny — also when a masked denormal operand
  // produced it (an unmasked DE stops the operation before any result exists).
  if (!(masks & sw::UE) && dest == Dest::Register && !(ex & (sw::IE | sw::ZE)) && !(ex & ~masks & sw::DE) &&
      tag_for(result) == kSpecial && (bits_of(result).sign_exponent & 0x7FFF) == 0)
    ex |= sw::UE;
  if (ex & ~masks & (sw::IE | sw::DE | sw::ZE)) {
    set_c1(f, false);
    raise_flags(c, ex);
    return Outcome::Discard;
  }
  if (ex & ~masks & (sw::OE | sw::UE)) {
    if (dest == Dest::Memory) {
      set_c1(f, false);
      raise_flags(c, ex & ~sw::PE);
      return Outcome::Discard;
    }
    // The caller computes the rebiased value and its flags. Where it cannot (FCOS, FSQRT,
    // FRNDINT, FPATAN: results that never or only in theory leave the range), the flagged masked
    // result stands.
    if (can_rebias) return Outcome::DeliverScaled;
  }
  f.status = static_cast<u16>((f.status & ~conditions) | (host_status & conditions));
  raise_flags(c, ex);
  return Outcome::Deliver;
}

// The unmasked overflow/underflow response for a register destination: the exact result
// multiplied by 2^-24576 (overflow) or 2^+24576 (underflow) and rounded (Vol. 1, 4.9.1.4/5).
// The host computes it from operands scaled by half of that each, which keeps them normal.
constexpr int kBias = 24576;
HostResult rebiased_arith(Arith op, u16 cw, long double a, long double b, bool overflow) {
  const int half = overflow ? -kBias / 2 : kBias / 2;
  switch (op) {
    case Arith::Add:
    case Arith::Sub:
    case Arith::Subr: return x87::arith(op, cw, std::ldexp(a, 2 * half), std::ldexp(b, 2 * half));
    case Arith::Mul: return x87::arith(op, cw, std::ldexp(a, half), std::ldexp(b, half));
    case Arith::Div: return x87::arith(op, cw, std::ldexp(a, half), std::ldexp(b, -half));
    case Arith::Divr: return x87::arith(op, cw, std::ldexp(a, -half), std::ldexp(b, half));
    default: return {};
  }
}
// Delivers an unmasked OE/UE result (Outcome::DeliverScaled): the flags of the rebiased
// computation (its PE and C1) with OE or UE, and DE when a denormal operand was seen (it is
// masked, or apply_status would have discarded the result: Vol. 1, 8.5.2, a masked DE lets the
// operation go on and stays flagged).
long double deliver_scaled(Cpu& c, u16 host_status, const HostResult& scaled) {
  FpuState& f = c.s.fpu;
  const u16 which = host_status & sw::OE ? sw::OE : sw::UE;
  set_c1(f, scaled.status & sw::C1);
  raise_flags(c, which | (host_status & sw::DE) | (scaled.status & sw::PE));
  return scaled.st0;
}

// Rounds the exact value `hi + lo` (two extended values, as from a 113-bit product) once per the
// guest's RC, with 64-bit precision: the host FADD rounds the exact sum.
HostResult round_sum(u16 cw, long double hi, long double lo) {
  return x87::arith(Arith::Add, static_cast<u16>(cw | 0x0300), hi, lo);
}
HostResult round_product(u16 cw, __float128 product) {
  const long double hi = static_cast<long double>(product);
  return round_sum(cw, hi, static_cast<long double>(product - static_cast<__float128>(hi)));
}

// The unmasked-underflow result of FSIN, FSINCOS (the sine), FPTAN and F2XM1, rebiased by
// 2^24576. Their results are tiny only for a denormal argument x, where to far more than 64 bits
// sin x = x - (a little toward zero), tan x = x and 2^x - 1 = x * ln 2. As observed on the host:
//  - the sine is x rounded per RC as if just below |x| (X - X*2^-80 stands in for the exact
//    value: any amount under half an ulp rounds alike);
//  - the tangent is x itself, with the precision flag and C1 of the masked computation;
//  - F2XM1 is the product rounded per RC, formed in 113-bit precision.
// Precision control does not apply to the transcendentals (SDM Vol. 1, 8.1.5.2): the helper
// operations run with 64-bit precision.
constexpr bool rebiases(Unary op) {
  return op == Unary::Sin || op == Unary::Ptan || op == Unary::Sincos || op == Unary::F2xm1;
}
HostResult rebiased_unary(Unary op, u16 cw, long double x, u16 masked_status) {
  const long double scaled = std::ldexp(x, kBias);  // exact: a denormal becomes a normal
  const u16 cw64 = static_cast<u16>(cw | 0x0300);
  if (op == Unary::Ptan) return {scaled, 0, static_cast<u16>(masked_status & (sw::PE | sw::C1))};
  if (op != Unary::F2xm1) return x87::arith(Arith::Sub, cw64, scaled, std::ldexp(scaled, -80));
  // ln 2 to 128 bits, as two extended values (hi rounded to nearest, lo the rest).
  const long double ln2_hi = from_bits(0xB17217F7D1CF79ACull, 0x3FFE);
  const long double ln2_lo = from_bits(0xD871319FF0342543ull, 0xBFBC);
  return round_product(cw, static_cast<__float128>(scaled) * static_cast<__float128>(ln2_hi) +
                               static_cast<__float128>(scaled) * static_cast<__float128>(ln2_lo));
}

// The unmasked-OE/UE result of FYL2X, FYL2XP1 (ST(0) = x, ST(1) = y: y log2 x, y log2(1 + x))
// and FPATAN (atan(y / x)), rebiased by 2^`bias`.
//  - FYL2X/FYL2XP1 are y times a function of x: when y * 2^bias is in range, the host computes
//    the rebiased result from it exactly, with the single rounding the hardware does. Otherwise
//    (FYL2XP1 with a tiny x and a moderate y) log2(1 + x) = x log2(e) to far beyond 113 bits,
//    and the product is formed in 113-bit precision from y and x scaled into range.
//  - FPATAN is tiny only for a tiny y / x with x > 0, where atan(y / x) = y / x minus a little
//    toward zero: the host divides y and x scaled into range, and when that quotient is exact the
//    little is accounted for as for the sine (see rebiased_unary).
HostResult rebiased_log_or_atan(Binary op, u16 cw, long double x, long double y, int bias) {
  const u16 cw64 = static_cast<u16>(cw | 0x0300);
  const int y_shift = -std::ilogb(y);  // brings y near 1; x takes the rest of the bias
  if (op == Binary::Patan) {
    const HostResult q = x87::arith(Arith::Div, cw64, std::ldexp(y, y_shift), std::ldexp(x, y_shift - bias));
    if (q.status & sw::PE) return q;
    return x87::arith(Arith::Sub, cw64, q.st0, std::ldexp(q.st0, -80));
  }
  if (op == Binary::Yl2x || std::ilogb(y) + bias <= 16383) return x87::binary(op, cw, x, std::ldexp(y, bias));
  const long double log2e_hi = from_bits(0xB8AA3B295C17F0BCull, 0x3FFF);
  const long double log2e_lo = from_bits(0x82F0025F2DC582EEull, 0xBFBE);
  const __float128 yx =
      static_cast<__float128>(std::ldexp(y, y_shift)) * static_cast<__float128>(std::ldexp(x, bias - y_shift));
  return round_product(cw, yx * static_cast<__float128>(log2e_hi) + yx * static_cast<__float128>(log2e_lo));
}

// ---- entry checks (SDM Vol. 3A, 2.5 CR0 and 6.15 #NM/#MF; Vol. 1, 8.7) ----------------------------

enum class Waits : u8 { No, Yes };

// A pending unmasked exception at a waiting instruction: #MF with CR0.NE = 1; otherwise the PC
// way — FERR# is asserted and the processor freezes before the instruction until an interrupt
// (IRQ 13) arrives, unless IGNNE# says to carry on. The freeze is modelled as a halt with EIP on
// the instruction, so the interrupt handler returns to it and it runs again.
Status report_pending(Cpu& c) {
  if (c.s.cr0 & cr0::NE) return c.raise(kMF);
  update_ferr(c);
  if (c.ignne) return Status::Ok;
  c.s.halted = true;
  c.need_attention();
  return Status::Halted;
}

// CR0.EM or CR0.TS: #NM for every escape opcode, so the OS can emulate the FPU or switch its
// state lazily. Then a waiting instruction reports a pending unmasked exception.
Status enter(Cpu& c, Waits waits) {
  if (c.s.cr0 & (cr0::EM | cr0::TS)) return c.raise(kNM);
  if (waits == Waits::Yes && (c.s.fpu.status & sw::ES)) return report_pending(c);
  return Status::Ok;
}

// FOP, the instruction pointer and the data pointer of the last non-control instruction, for
// exception handlers (Vol. 1, 8.1.8-8.1.9). In protected mode the offsets and selectors are kept;
// the real-mode environment layout turns them into linear addresses when stored.
void record(Cpu& c, const DecodedInsn& i) {
  FpuState& f = c.s.fpu;
  f.last_opcode = static_cast<u16>(((i.opcode & 7) << 8) | i.modrm);
  f.last_ip = c.s.eip;
  f.last_cs = c.s.sreg(Seg::CS).selector;
  if (i.is_mem()) {
    f.last_dp = effective_address(c, i);
    f.last_ds = c.s.sreg(i.seg).selector;
  }
}

// ---- memory operands -----------------------------------------------------------------------------

bool read_m16(Cpu& c, const DecodedInsn& i, u16& v) { return c.read<u16>(i.seg, effective_address(c, i), v); }
bool read_m32(Cpu& c, const DecodedInsn& i, u32& v) { return c.read<u32>(i.seg, effective_address(c, i), v); }
bool read_m64(Cpu& c, const DecodedInsn& i, u64& v) {
  const u32 ea = effective_address(c, i);
  u32 lo, hi;
  if (!c.read<u32>(i.seg, ea, lo) || !c.read<u32>(i.seg, ea + 4, hi)) return false;
  v = (u64{hi} << 32) | lo;
  return true;
}
bool read_bytes(Cpu& c, Seg s, u32 offset, u8* out, unsigned n) {
  if (!c.check_segment(s, offset, n, false)) return false;
  for (unsigned k = 0; k < n; ++k)
    if (!c.read<u8>(s, offset + k, out[k])) return false;
  return true;
}
// Writes after a successful probe_write of the whole operand, so they cannot fault halfway.
void write_bytes(Cpu& c, Seg s, u32 offset, const u8* in, unsigned n) {
  for (unsigned k = 0; k < n; ++k) (void)c.write<u8>(s, offset + k, in[k]);
}
// Probes a store of `n` bytes at `offset` before anything changes (precise exceptions). The pages
// are probed in ascending order, so a store that runs into a missing page faults with CR2 on the
// first byte of that page, as the host reports for x87 stores (the SDM leaves the order of a split
// access open; Cpu::probe_write alone would name the operand's last byte).
// `element` is the size of the stores that follow (for the alignment check at CPL 3).
bool probe_range(Cpu& c, Seg seg, u32 offset, unsigned n, unsigned element = 1) {
  if (!c.check_segment(seg, offset, n, true)) return false;
  const u32 lin = c.s.sreg(seg).base + offset;
  const unsigned first_page = std::min<u32>(n, 0x1000 - (lin & 0xFFF));
  if (!c.probe_write(seg, offset, first_page, element)) return false;
  return first_page == n || c.probe_write(seg, offset + first_page, n - first_page);
}
// Probes an operand that write_m16/m32/m64 store as 2- or 4-byte pieces, or write_bytes as bytes.
bool probe(Cpu& c, const DecodedInsn& i, unsigned n) {
  const unsigned element = n == 2 ? 2 : (n == 4 || n == 8) ? 4 : 1;
  return probe_range(c, i.seg, effective_address(c, i), n, element);
}

// FLDENV, FRSTOR, FNSTENV and FNSAVE touch their image in this order on the host: the first field
// (the control word: 2 bytes in the 16-bit layout, 4 in the 32-bit one), then the image's last
// byte, then all of it. The order decides CR2 when an image runs into a missing page (the SDM
// does not define it); afterwards the whole image is known to be accessible.
bool check_image(Cpu& c, const DecodedInsn& i, unsigned n, bool write) {
  const u32 ea = effective_address(c, i);
  const unsigned first_field = i.op32 ? 4 : 2;
  if (!c.check_segment(i.seg, ea, n, write)) return false;
  if (write)
    return probe_range(c, i.seg, ea, first_field) && probe_range(c, i.seg, ea + n - 1, 1) &&
           probe_range(c, i.seg, ea, n);
  u8 scratch[4];
  return read_bytes(c, i.seg, ea, scratch, first_field) && read_bytes(c, i.seg, ea + n - 1, scratch, 1);
}
void write_m16(Cpu& c, const DecodedInsn& i, u16 v) { (void)c.write<u16>(i.seg, effective_address(c, i), v); }
void write_m32(Cpu& c, const DecodedInsn& i, u32 v) { (void)c.write<u32>(i.seg, effective_address(c, i), v); }
void write_m64(Cpu& c, const DecodedInsn& i, u64 v) {
  const u32 ea = effective_address(c, i);
  (void)c.write<u32>(i.seg, ea, static_cast<u32>(v));
  (void)c.write<u32>(i.seg, ea + 4, static_cast<u32>(v >> 32));
}

// The source operand of an arithmetic or compare instruction.
enum class Src : u8 {
  St0Sti,     // ST(0) op= ST(i)
  StiSt0,     // ST(i) op= ST(0)
  StiSt0Pop,  // ST(i) op= ST(0), then pop
  F32,
  F64,
  I16,
  I32,
};
constexpr bool is_memory(Src s) { return s >= Src::F32; }

// An operand read from memory, converted where the conversion is exact (integers).
struct MemSource {
  u32 f32 = 0;
  u64 f64 = 0;
  long double integer = 0;
};
template <Src S>
bool read_source(Cpu& c, const DecodedInsn& i, MemSource& m) {
  if constexpr (S == Src::F32) return read_m32(c, i, m.f32);
  if constexpr (S == Src::F64) return read_m64(c, i, m.f64);
  if constexpr (S == Src::I16) {
    u16 v;
    if (!read_m16(c, i, v)) return false;
    m.integer = static_cast<i16>(v);  // every 16- and 32-bit integer is exact in 64 bits
    return true;
  }
  if constexpr (S == Src::I32) {
    u32 v;
    if (!read_m32(c, i, v)) return false;
    m.integer = static_cast<i32>(v);
    return true;
  }
  return true;
}
template <Src S>
HostResult host_arith(Arith op, u16 cw, long double a, long double b_reg, const MemSource& m) {
  if constexpr (S == Src::F32) return x87::arith(op, cw, a, m.f32);
  if constexpr (S == Src::F64) return x87::arith(op, cw, a, m.f64);
  if constexpr (S == Src::I16 || S == Src::I32) return x87::arith(op, cw, a, m.integer);
  return x87::arith(op, cw, a, b_reg);
}
// The source as an extended value (for the rebiased recomputation; a NaN never gets there).
template <Src S>
long double source_value(long double b_reg, const MemSource& m) {
  if constexpr (S == Src::F32) return x87::load_f32(0x037F, m.f32).st0;
  if constexpr (S == Src::F64) return x87::load_f64(0x037F, m.f64).st0;
  if constexpr (S == Src::I16 || S == Src::I32) return m.integer;
  return b_reg;
}

// ---- arithmetic ------------------------------------------------------------------------------------

// FADD/FSUB/FSUBR/FMUL/FDIV/FDIVR ST(0), m32fp|m64fp|ST(i);  ... ST(i), ST(0);  F...P ST(i), ST(0);
// FIADD/FISUB/FISUBR/FIMUL/FIDIV/FIDIVR m16int|m32int
template <Arith Op, Src S>
Status arith(Cpu& c, const DecodedInsn& i) {
  if (Status s = enter(c, Waits::Yes); s != Status::Ok) return s;
  MemSource m;
  if (!read_source<S>(c, i, m)) return Status::Fault;
  record(c, i);
  FpuState& f = c.s.fpu;
  constexpr bool kToSti = S == Src::StiSt0 || S == Src::StiSt0Pop;
  constexpr bool kPop = S == Src::StiSt0Pop;
  const unsigned dst = kToSti ? i.rm : 0;
  const unsigned src = S == Src::St0Sti ? i.rm : 0;
  if (empty(f, dst) || (!is_memory(S) && empty(f, src))) {
    if (stack_underflow(c)) {
      set_st(f, dst, indefinite());
      if (kPop) pop(f);
    }
    return Status::Ok;
  }
  const long double a = st(f, dst), b = is_memory(S) ? 0 : st(f, src);
  const HostResult r = host_arith<S>(Op, f.control, a, b, m);
  long double result = r.st0;
  constexpr bool kCanRebias = Op != Arith::Com && Op != Arith::Ucom;
  switch (apply_status(c, r.status, sw::C1, Dest::Register, r.st0, kCanRebias)) {
    case Outcome::Discard: return Status::Ok;
    case Outcome::Deliver: break;
    case Outcome::DeliverScaled: {
      const bool overflow = r.status & sw::OE;
      result = deliver_scaled(c, r.status, rebiased_arith(Op, f.control, a, source_value<S>(b, m), overflow));
      break;
    }
  }
  set_st(f, dst, result);
  if (kPop) pop(f);
  return Status::Ok;
}

// ---- compares -------------------------------------------------------------------------------------

// FCOM/FCOMP ST(i)|m32fp|m64fp, FCOMPP, FUCOM/FUCOMP ST(i), FUCOMPP, FICOM/FICOMP m16int|m32int
// — C3 C2 C0 = 000 (>), 001 (<), 100 (=), 111 (unordered); C1 = 0. FUCOM raises IE only for
// SNaN operands, FCOM for any NaN.
// The condition codes are the whole result of a compare, and the hardware sets them even when
// the exception is unmasked: an empty register or a NaN gives "unordered" (SDM Vol. 2A, FCOM:
// "the condition code flags are set to unordered" for an invalid operand; the host does so with
// IE masked or not). Only the pops are skipped for an unmasked exception, as for any instruction
// whose operation does not complete (Vol. 1, 8.5.1).
template <Arith Op, Src S, int Pops>
Status compare(Cpu& c, const DecodedInsn& i) {
  if (Status s = enter(c, Waits::Yes); s != Status::Ok) return s;
  MemSource m;
  if (!read_source<S>(c, i, m)) return Status::Fault;
  record(c, i);
  FpuState& f = c.s.fpu;
  const unsigned src = is_memory(S) ? 0 : i.rm;
  constexpr u16 kCodes = sw::C0 | sw::C1 | sw::C2 | sw::C3;
  if (empty(f, 0) || (!is_memory(S) && empty(f, src))) {
    const bool masked = stack_underflow(c);
    f.status |= sw::C0 | sw::C2 | sw::C3;
    if (masked)
      for (int k = 0; k < Pops; ++k) pop(f);
    return Status::Ok;
  }
  const HostResult r = host_arith<S>(Op, f.control, st(f, 0), is_memory(S) ? 0 : st(f, src), m);
  f.status = static_cast<u16>((f.status & ~kCodes) | (r.status & kCodes));
  if (apply_status(c, r.status, 0, Dest::Memory) == Outcome::Discard) return Status::Ok;
  for (int k = 0; k < Pops; ++k) pop(f);
  return Status::Ok;
}

// FCOMI/FCOMIP/FUCOMI/FUCOMIP ST(0), ST(i) — ZF PF CF = 000 (>), 001 (<), 100 (=), 111
// (unordered); OF SF AF cleared (SDM Vol. 2A, FCOMI); C1 = 0. As with FCOM, the flags are set
// even when the invalid-operation exception is unmasked: an empty register or a NaN gives
// "unordered" and only the pop is skipped.
template <Arith Op, bool Pop>
Status compare_eflags(Cpu& c, const DecodedInsn& i) {
  if (Status s = enter(c, Waits::Yes); s != Status::Ok) return s;
  record(c, i);
  FpuState& f = c.s.fpu;
  constexpr u32 kAffected = eflags::ZF | eflags::PF | eflags::CF | eflags::OF | eflags::SF | eflags::AF;
  constexpr u32 kUnordered = eflags::ZF | eflags::PF | eflags::CF;
  set_c1(f, false);
  if (empty(f, 0) || empty(f, i.rm)) {
    const bool masked = stack_underflow(c);
    c.s.flags.set_arith(kAffected, kUnordered);
    if (Pop && masked) pop(f);
    return Status::Ok;
  }
  const HostResult r = x87::arith(Op, f.control, st(f, 0), st(f, i.rm));
  u32 flags = 0;
  if (r.status & sw::C3) flags |= eflags::ZF;
  if (r.status & sw::C2) flags |= eflags::PF;
  if (r.status & sw::C0) flags |= eflags::CF;
  c.s.flags.set_arith(kAffected, flags);
  if (apply_status(c, r.status, 0, Dest::Memory) == Outcome::Discard) return Status::Ok;
  if (Pop) pop(f);
  return Status::Ok;
}

// FTST — compares ST(0) with 0.0.   FXAM — classifies ST(0) into C3 C2 C0, its sign into C1.
template <Unary Op>
Status examine(Cpu& c, const DecodedInsn& i) {
  if (Status s = enter(c, Waits::Yes); s != Status::Ok) return s;
  record(c, i);
  FpuState& f = c.s.fpu;
  constexpr u16 kCodes = sw::C0 | sw::C1 | sw::C2 | sw::C3;
  if (empty(f, 0)) {
    if constexpr (Op == Unary::Xam) {
      // Empty: 101, with the sign of whatever the register holds (SDM Vol. 2A, FXAM).
      const bool sign = bits_of(st(f, 0)).sign_exponent >> 15;
      f.status = static_cast<u16>((f.status & ~kCodes) | sw::C3 | sw::C0 | (sign ? sw::C1 : 0));
    } else {
      // FTST of an empty register: "unordered", whether IE is masked or not (see compare()).
      (void)stack_underflow(c);
      f.status |= sw::C0 | sw::C2 | sw::C3;
    }
    return Status::Ok;
  }
  const HostResult r = x87::unary(Op, f.control, st(f, 0));
  f.status = static_cast<u16>((f.status & ~kCodes) | (r.status & kCodes));
  (void)apply_status(c, r.status, 0, Dest::Memory);
  return Status::Ok;
}

// FCMOVB/E/BE/U ST(0), ST(i) (DA C0-DF) and FCMOVNB/NE/NBE/NU (DB C0-DF): ModRM.reg picks the
// condition (CF, ZF, CF|ZF, PF), opcode DB negates it.
Status fcmov(Cpu& c, const DecodedInsn& i) {
  if (Status s = enter(c, Waits::Yes); s != Status::Ok) return s;
  record(c, i);
  FpuState& f = c.s.fpu;
  set_c1(f, false);
  if (empty(f, 0) || empty(f, i.rm)) {
    if (stack_underflow(c)) set_st(f, 0, indefinite());
    return Status::Ok;
  }
  static constexpr u8 kConditionCode[4] = {0x2 /*B*/, 0x4 /*E*/, 0x6 /*BE*/, 0xA /*P*/};
  const bool negate = i.opcode == 0xDB;
  if (c.s.flags.condition(static_cast<u8>(kConditionCode[i.reg & 3] | (negate ? 1 : 0)))) set_st(f, 0, st(f, i.rm));
  return Status::Ok;
}

// ---- loads ------------------------------------------------------------------------------------------

enum class Load : u8 { F32, F64, F80, I16, I32, I64, Bcd, Sti };

// FLD m32fp|m64fp|m80fp|ST(i), FILD m16int|m32int|m64int, FBLD m80bcd — push. Conversions from
// m32/m64 raise IE for an SNaN and DE for a denormal; the others are exact.
template <Load L>
Status load(Cpu& c, const DecodedInsn& i) {
  if (Status s = enter(c, Waits::Yes); s != Status::Ok) return s;
  u32 m32 = 0;
  u64 m64 = 0;
  u16 m16 = 0;
  u8 m80[10] = {};
  if constexpr (L == Load::F32 || L == Load::I32) {
    if (!read_m32(c, i, m32)) return Status::Fault;
  } else if constexpr (L == Load::F64 || L == Load::I64) {
    if (!read_m64(c, i, m64)) return Status::Fault;
  } else if constexpr (L == Load::I16) {
    if (!read_m16(c, i, m16)) return Status::Fault;
  } else if constexpr (L == Load::F80 || L == Load::Bcd) {
    if (!read_bytes(c, i.seg, effective_address(c, i), m80, 10)) return Status::Fault;
  }
  record(c, i);
  FpuState& f = c.s.fpu;
  set_c1(f, false);
  // FLD ST(i) reads its source before it pushes: an empty ST(i) is a stack underflow (C1 = 0)
  // even when ST(7) is full too, which the host reports as the underflow alone. Either way the
  // masked response pushes the indefinite.
  const bool source_underflow = L == Load::Sti && empty(f, i.rm);
  if (!can_push(f) || source_underflow) {
    if (stack_fault(c, !source_underflow)) push(f, indefinite());
    return Status::Ok;
  }
  long double v = 0;
  if constexpr (L == Load::F32 || L == Load::F64 || L == Load::Bcd) {
    const HostResult r = L == Load::F32   ? x87::load_f32(f.control, m32)
                         : L == Load::F64 ? x87::load_f64(f.control, m64)
                                          : x87::load_bcd(f.control, m80);
    // A denormal m32fp/m64fp is a normal number in extended format: with DE unmasked the host
    // still pushes it and only flags DE (pending, reported by the next waiting instruction).
    if ((r.status & sw::kExceptions) == sw::DE)
      raise_flags(c, sw::DE);
    else if (apply_status(c, r.status, 0, Dest::Register) == Outcome::Discard)
      return Status::Ok;
    v = r.st0;
  } else if constexpr (L == Load::F80) {
    v = from_bytes(m80);  // loaded as is: no conversion, no exception
  } else if constexpr (L == Load::I16) {
    v = static_cast<i16>(m16);
  } else if constexpr (L == Load::I32) {
    v = static_cast<i32>(m32);
  } else if constexpr (L == Load::I64) {
    v = static_cast<i64>(m64);  // 64-bit significand: exact
  } else {
    v = st(f, i.rm);  // a register copy, SNaN included, raises nothing
  }
  push(f, v);
  return Status::Ok;
}

// FLD1, FLDL2T, FLDL2E, FLDPI, FLDLG2, FLDLN2, FLDZ
template <x87::Constant K>
Status load_constant(Cpu& c, const DecodedInsn& i) {
  if (Status s = enter(c, Waits::Yes); s != Status::Ok) return s;
  record(c, i);
  FpuState& f = c.s.fpu;
  set_c1(f, false);
  if (!can_push(f)) {
    if (stack_overflow(c)) push(f, indefinite());
    return Status::Ok;
  }
  push(f, x87::load_constant(K, f.control).st0);
  return Status::Ok;
}

// ---- stores -----------------------------------------------------------------------------------------

enum class Store : u8 { F32, F64, F80, I16, I32, I64, Bcd, Sti };

constexpr unsigned store_bytes(Store s) {
  switch (s) {
    case Store::I16: return 2;
    case Store::F32:
    case Store::I32: return 4;
    case Store::F64:
    case Store::I64: return 8;
    case Store::F80:
    case Store::Bcd: return 10;
    case Store::Sti: return 0;
  }
  return 0;
}

// The image of ST(0) in the destination format, or of the indefinite of that format when the
// register is empty (the masked stack-underflow response stores it too).
struct Image {
  u64 integer = 0;  // m16/m32/m64 integers and m32/m64 floats
  u8 bytes[10] = {};
};

// FST/FSTP m32fp|m64fp|m80fp|ST(i), FIST/FISTP m16int|m32int, FISTP m64int, FBSTP m80bcd.
// Conversions round per RC; out-of-range integers and NaNs give the integer (or BCD) indefinite
// under a masked IE; an unmasked IE, OE or UE stores nothing and does not pop.
template <Store S, bool Pop>
Status store(Cpu& c, const DecodedInsn& i) {
  if (Status s = enter(c, Waits::Yes); s != Status::Ok) return s;
  constexpr unsigned kBytes = store_bytes(S);
  if constexpr (kBytes != 0)
    if (!probe(c, i, kBytes)) return Status::Fault;
  record(c, i);
  FpuState& f = c.s.fpu;
  set_c1(f, false);
  Image out;
  if (empty(f, 0)) {
    if (!stack_underflow(c)) return Status::Ok;
    switch (S) {
      case Store::F32: out.integer = kIndefiniteF32; break;
      case Store::F64: out.integer = kIndefiniteF64; break;
      case Store::I16: out.integer = 0x8000; break;
      case Store::I32: out.integer = 0x80000000u; break;
      case Store::I64: out.integer = 0x8000000000000000ull; break;
      case Store::F80: to_bytes(indefinite(), out.bytes); break;
      case Store::Bcd: {
        static constexpr u8 kBcdIndefinite[10] = {0, 0, 0, 0, 0, 0, 0, 0xC0, 0xFF, 0xFF};
        std::memcpy(out.bytes, kBcdIndefinite, 10);
        break;
      }
      case Store::Sti: set_st(f, i.rm, indefinite()); break;
    }
  } else {
    const long double v = st(f, 0);
    u16 status = 0;
    switch (S) {
      case Store::F32: {
        u32 bits;
        status = x87::store_f32(f.control, v, bits);
        out.integer = bits;
        break;
      }
      case Store::F64: status = x87::store_f64(f.control, v, out.integer); break;
      case Store::I16: {
        u16 bits;
        status = x87::store_i16(f.control, v, bits);
        out.integer = bits;
        break;
      }
      case Store::I32: {
        u32 bits;
        status = x87::store_i32(f.control, v, bits);
        out.integer = bits;
        break;
      }
      case Store::I64: status = x87::store_i64(f.control, v, out.integer); break;
      case Store::Bcd: status = x87::store_bcd(f.control, v, out.bytes); break;
      case Store::F80: to_bytes(v, out.bytes); break;  // exact copy, no exception
      case Store::Sti: set_st(f, i.rm, v); break;      // register copy, no exception
    }
    if (apply_status(c, status, sw::C1, Dest::Memory) == Outcome::Discard) return Status::Ok;
  }
  switch (S) {
    case Store::I16: write_m16(c, i, static_cast<u16>(out.integer)); break;
    case Store::F32:
    case Store::I32: write_m32(c, i, static_cast<u32>(out.integer)); break;
    case Store::F64:
    case Store::I64: write_m64(c, i, out.integer); break;
    case Store::F80:
    case Store::Bcd: write_bytes(c, i.seg, effective_address(c, i), out.bytes, 10); break;
    case Store::Sti: break;
  }
  if (Pop) pop(f);
  return Status::Ok;
}

// FSTP1 ST(i) — D9 D8+i, an undocumented alias of FSTP ST(i) (DD D8+i). Unlike FSTP it raises no
// stack underflow for an empty ST(0): ST(i) is left as it was and the pop still happens
// (observed on the host; the other aliases, DF D0+i and DF D8+i, behave exactly like FSTP).
Status fstp1(Cpu& c, const DecodedInsn& i) {
  if (Status s = enter(c, Waits::Yes); s != Status::Ok) return s;
  record(c, i);
  FpuState& f = c.s.fpu;
  set_c1(f, false);
  if (!empty(f, 0)) set_st(f, i.rm, st(f, 0));  // a register copy, SNaN included, raises nothing
  pop(f);
  return Status::Ok;
}

// ---- register operations --------------------------------------------------------------------------

// FXCH ST(i) — C1 = 0. An empty register takes part as the indefinite (masked response).
Status fxch(Cpu& c, const DecodedInsn& i) {
  if (Status s = enter(c, Waits::Yes); s != Status::Ok) return s;
  record(c, i);
  FpuState& f = c.s.fpu;
  set_c1(f, false);
  long double a = st(f, 0), b = st(f, i.rm);
  if (empty(f, 0) || empty(f, i.rm)) {
    if (!stack_underflow(c)) return Status::Ok;
    if (empty(f, 0)) a = indefinite();
    if (empty(f, i.rm)) b = indefinite();
  }
  set_st(f, 0, b);
  set_st(f, i.rm, a);
  return Status::Ok;
}

// FCHS, FABS — sign operations on ST(0): never an exception other than #IS, even for an SNaN.
template <bool Negate>
Status sign_op(Cpu& c, const DecodedInsn& i) {
  if (Status s = enter(c, Waits::Yes); s != Status::Ok) return s;
  record(c, i);
  FpuState& f = c.s.fpu;
  set_c1(f, false);
  if (empty(f, 0)) {
    if (stack_underflow(c)) set_st(f, 0, indefinite());
    return Status::Ok;
  }
  Bits b = bits_of(st(f, 0));
  b.sign_exponent = Negate ? b.sign_exponent ^ 0x8000 : b.sign_exponent & 0x7FFF;
  set_st(f, 0, from_bits(b.significand, b.sign_exponent));
  return Status::Ok;
}

// FSQRT, FSIN, FCOS, F2XM1, FRNDINT — ST(0) = f(ST(0)). FSIN/FCOS set C2 and leave ST(0) alone
// when |ST(0)| >= 2^63.
template <Unary Op>
Status unary_op(Cpu& c, const DecodedInsn& i) {
  if (Status s = enter(c, Waits::Yes); s != Status::Ok) return s;
  record(c, i);
  FpuState& f = c.s.fpu;
  constexpr bool kRangeChecked = Op == Unary::Sin || Op == Unary::Cos;
  constexpr u16 kCodes = kRangeChecked ? sw::C1 | sw::C2 : sw::C1;
  set_c1(f, false);
  if (kRangeChecked) f.status &= static_cast<u16>(~sw::C2);
  if (empty(f, 0)) {
    if (stack_underflow(c)) set_st(f, 0, indefinite());
    return Status::Ok;
  }
  const long double a = st(f, 0);
  const HostResult r = x87::unary(Op, f.control, a);
  long double result = r.st0;
  switch (apply_status(c, r.status, kCodes, Dest::Register, r.st0, rebiases(Op))) {
    case Outcome::Discard: return Status::Ok;
    case Outcome::Deliver: break;
    case Outcome::DeliverScaled:
      result = deliver_scaled(c, r.status, rebiased_unary(Op, f.control, a, r.status));
      break;
  }
  set_st(f, 0, result);
  return Status::Ok;
}

// FPTAN (ST(0) = tan, push 1.0), FSINCOS (ST(0) = sin, push cos), FXTRACT (ST(0) = exponent,
// push significand). FPTAN/FSINCOS out of range: C2 = 1, nothing changes.
template <Unary Op>
Status unary_push(Cpu& c, const DecodedInsn& i) {
  if (Status s = enter(c, Waits::Yes); s != Status::Ok) return s;
  record(c, i);
  FpuState& f = c.s.fpu;
  constexpr bool kRangeChecked = Op != Unary::Xtract;
  set_c1(f, false);
  if (kRangeChecked) f.status &= static_cast<u16>(~sw::C2);
  if (empty(f, 0) || !can_push(f)) {
    if (stack_fault(c, !empty(f, 0))) {
      set_st(f, 0, indefinite());
      push(f, indefinite());
    }
    return Status::Ok;
  }
  const long double a = st(f, 0);
  const HostResult r = x87::unary(Op, f.control, a);
  if (kRangeChecked && (r.status & sw::C2)) {
    f.status |= sw::C2;
    return Status::Ok;
  }
  // The value that can underflow is the one left in ST(0): the tangent or the sine.
  long double kept = r.st1;
  switch (apply_status(c, r.status, sw::C1, Dest::Register, kept, rebiases(Op))) {
    case Outcome::Discard: return Status::Ok;
    case Outcome::Deliver: break;
    case Outcome::DeliverScaled: kept = deliver_scaled(c, r.status, rebiased_unary(Op, f.control, a, r.status)); break;
  }
  set_st(f, 0, kept);
  push(f, r.st0);
  return Status::Ok;
}

// FPREM, FPREM1, FSCALE — ST(0) = f(ST(0), ST(1)); FPREM/FPREM1 put the low quotient bits in
// C0 C3 C1 and C2 = 1 for a partial remainder.
// FYL2X, FYL2XP1, FPATAN — ST(1) = f(ST(1), ST(0)), then pop.
template <Binary Op>
Status binary_op(Cpu& c, const DecodedInsn& i) {
  if (Status s = enter(c, Waits::Yes); s != Status::Ok) return s;
  record(c, i);
  FpuState& f = c.s.fpu;
  constexpr bool kRemainder = Op == Binary::Prem || Op == Binary::Prem1;
  constexpr bool kPops = Op == Binary::Yl2x || Op == Binary::Yl2xp1 || Op == Binary::Patan;
  constexpr u16 kCodes = kRemainder ? sw::C0 | sw::C1 | sw::C2 | sw::C3 : sw::C1;
  set_c1(f, false);
  if (kRemainder) f.status &= static_cast<u16>(~sw::C2);
  const unsigned dst = kPops ? 1 : 0;
  if (empty(f, 0) || empty(f, 1)) {
    if (stack_underflow(c)) {
      set_st(f, dst, indefinite());
      if (kPops) pop(f);
    }
    return Status::Ok;
  }
  const long double a = st(f, 0), b = st(f, 1);
  const HostResult r = x87::binary(Op, f.control, a, b, f.status);
  long double result = r.st0;
  switch (apply_status(c, r.status, kCodes, Dest::Register, r.st0, true)) {
    case Outcome::Discard: return Status::Ok;
    case Outcome::Deliver: break;
    case Outcome::DeliverScaled: {
      const bool overflow = r.status & sw::OE;
      const int bias = overflow ? -kBias : kBias;
      HostResult scaled;
      if constexpr (Op == Binary::Scale) {
        // FSCALE by trunc(ST(1)) -/+ 24576 gives the rebiased result exactly. When even that is
        // out of range the host delivers an infinity (C1 = 1) or a zero (C1 = 0), whatever RC.
        scaled = x87::binary(Op, f.control, a, std::trunc(b) + bias);
        const bool still_out =
            overflow ? (scaled.status & sw::OE) != 0 : (scaled.status & sw::UE) != 0 || tag_for(scaled.st0) != kValid;
        if (still_out) {
          const bool negative = bits_of(a).sign_exponent >> 15;
          const u16 sign = negative ? 0x8000 : 0;
          scaled = overflow ? HostResult{from_bits(0x8000000000000000ull, sign | 0x7FFF), 0, sw::PE | sw::C1}
                            : HostResult{from_bits(0, sign), 0, sw::PE};
        }
      } else if constexpr (kRemainder) {
        // A partial remainder is exact, and so is its rebias; the condition codes are still the
        // quotient bits (C1 = Q0 included) and C2.
        f.status = static_cast<u16>((f.status & ~kCodes) | (r.status & kCodes));
        scaled = {std::ldexp(r.st0, bias), 0, static_cast<u16>(r.status & sw::C1)};
      } else {
        scaled = rebiased_log_or_atan(Op, f.control, a, b, bias);
      }
      result = deliver_scaled(c, r.status, scaled);
      break;
    }
  }
  set_st(f, dst, result);
  if (kPops) pop(f);
  return Status::Ok;
}

// FINCSTP, FDECSTP — rotate TOP; tags unchanged; C1 = 0.
template <int Delta>
Status rotate(Cpu& c, const DecodedInsn& i) {
  if (Status s = enter(c, Waits::Yes); s != Status::Ok) return s;
  record(c, i);
  set_top(c.s.fpu, top(c.s.fpu) + Delta);
  set_c1(c.s.fpu, false);
  return Status::Ok;
}

// FFREE ST(i) — tag ST(i) empty.   FFREEP ST(i) — the same, then pop (undocumented, P6).
template <bool Pop>
Status ffree(Cpu& c, const DecodedInsn& i) {
  if (Status s = enter(c, Waits::Yes); s != Status::Ok) return s;
  record(c, i);
  FpuState& f = c.s.fpu;
  set_physical_tag(f, physical(f, i.rm), kEmpty);
  if (Pop) pop(f);
  return Status::Ok;
}

// FNOP (D9 D0) — a waiting no-op that still updates the last-instruction pointers.
Status fnop(Cpu& c, const DecodedInsn& i) {
  if (Status s = enter(c, Waits::Yes); s != Status::Ok) return s;
  record(c, i);
  return Status::Ok;
}

// FNENI, FNDISI (8087 interrupt mask), FNSETPM (80287 protected mode) — non-waiting no-ops on
// later processors (SDM Vol. 3A, 22.18.x); only the #NM check remains.
Status legacy_nop(Cpu& c, const DecodedInsn&) { return enter(c, Waits::No); }

// ---- control ------------------------------------------------------------------------------------------

// FLDCW m2byte — may unmask a pending flag, which then sets ES (reported at the next waiting
// instruction).
Status fldcw(Cpu& c, const DecodedInsn& i) {
  if (Status s = enter(c, Waits::Yes); s != Status::Ok) return s;
  u16 v;
  if (!read_m16(c, i, v)) return Status::Fault;
  c.s.fpu.control = static_cast<u16>((v & 0x1F3F) | 0x0040);  // bits 6 and 13-15 reserved (P6 reads 6 as 1)
  recompute_summary(c);
  return Status::Ok;
}

// FNSTCW m2byte
Status fnstcw(Cpu& c, const DecodedInsn& i) {
  if (Status s = enter(c, Waits::No); s != Status::Ok) return s;
  if (!probe(c, i, 2)) return Status::Fault;
  write_m16(c, i, c.s.fpu.control);
  return Status::Ok;
}

// FNSTSW m2byte / FNSTSW AX
template <bool ToAx>
Status fnstsw(Cpu& c, const DecodedInsn& i) {
  if (Status s = enter(c, Waits::No); s != Status::Ok) return s;
  if constexpr (ToAx) {
    set_reg<u16>(c, EAX, c.s.fpu.status);
  } else {
    if (!probe(c, i, 2)) return Status::Fault;
    write_m16(c, i, c.s.fpu.status);
  }
  return Status::Ok;
}

// FNCLEX — clears the exception flags, SF, ES and B (FERR# goes inactive).
Status fnclex(Cpu& c, const DecodedInsn&) {
  if (Status s = enter(c, Waits::No); s != Status::Ok) return s;
  c.s.fpu.status &= static_cast<u16>(~(sw::kExceptions | sw::SF | sw::ES | sw::B));
  update_ferr(c);
  return Status::Ok;
}

void initialise(Cpu& c) {
  FpuState& f = c.s.fpu;
  const auto regs = f.regs;  // FNINIT leaves the register contents; only the tags say empty
  f = FpuState{};
  f.regs = regs;
  update_ferr(c);
}

// FNINIT — CW = 037Fh, SW = 0, all tags empty, pointers and FOP zero (SDM Vol. 2A, FINIT).
Status fninit(Cpu& c, const DecodedInsn&) {
  if (Status s = enter(c, Waits::No); s != Status::Ok) return s;
  initialise(c);
  return Status::Ok;
}

// ---- the environment and the full state (SDM Vol. 1, 8.1.10, Figures 8-9 to 8-12) ------------------

// 32-bit operand size: 28 bytes; 16-bit: 14 bytes. Protected mode keeps offsets and selectors;
// real-address and virtual-8086 mode keep 20/32-bit linear addresses (selector * 16 + offset).
unsigned env_bytes(const DecodedInsn& i) { return i.op32 ? 28 : 14; }
bool real_layout(const Cpu& c) { return !c.s.protected_mode() || c.s.v86(); }

void put16(u8* p, u16 v) { std::memcpy(p, &v, 2); }
void put32(u8* p, u32 v) { std::memcpy(p, &v, 4); }
u16 get16(const u8* p) {
  u16 v;
  std::memcpy(&v, p, 2);
  return v;
}
u32 get32(const u8* p) {
  u32 v;
  std::memcpy(&v, p, 4);
  return v;
}

void store_env(const Cpu& c, const DecodedInsn& i, u8* out) {
  const FpuState& f = c.s.fpu;
  const u16 fop = f.last_opcode & 0x7FF;
  if (real_layout(c)) {
    const u32 ip = (u32{f.last_cs} << 4) + f.last_ip;
    const u32 dp = (u32{f.last_ds} << 4) + f.last_dp;
    if (i.op32) {
      // Reserved halves read as ones, as on the hardware.
      put32(out + 0, 0xFFFF0000u | f.control);
      put32(out + 4, 0xFFFF0000u | f.status);
      put32(out + 8, 0xFFFF0000u | f.tag);
      put32(out + 12, 0xFFFF0000u | (ip & 0xFFFF));
      put32(out + 16, ((ip & 0xFFFF0000u) >> 4) | fop);
      put32(out + 20, 0xFFFF0000u | (dp & 0xFFFF));
      put32(out + 24, (dp & 0xFFFF0000u) >> 4);
    } else {
      put16(out + 0, f.control);
      put16(out + 2, f.status);
      put16(out + 4, f.tag);
      put16(out + 6, static_cast<u16>(ip));
      put16(out + 8, static_cast<u16>(((ip >> 4) & 0xF000) | fop));
      put16(out + 10, static_cast<u16>(dp));
      put16(out + 12, static_cast<u16>((dp >> 4) & 0xF000));
    }
  } else if (i.op32) {
    put32(out + 0, 0xFFFF0000u | f.control);
    put32(out + 4, 0xFFFF0000u | f.status);
    put32(out + 8, 0xFFFF0000u | f.tag);
    put32(out + 12, f.last_ip);
    put32(out + 16, f.last_cs | (u32{fop} << 16));
    put32(out + 20, f.last_dp);
    put32(out + 24, 0xFFFF0000u | f.last_ds);
  } else {
    put16(out + 0, f.control);
    put16(out + 2, f.status);
    put16(out + 4, f.tag);
    put16(out + 6, static_cast<u16>(f.last_ip));
    put16(out + 8, f.last_cs);
    put16(out + 10, static_cast<u16>(f.last_dp));
    put16(out + 12, f.last_ds);
  }
}

void load_env(Cpu& c, const DecodedInsn& i, const u8* in) {
  FpuState& f = c.s.fpu;
  u16 tag;
  if (real_layout(c)) {
    if (i.op32) {
      f.control = get16(in + 0);
      f.status = get16(in + 4);
      tag = get16(in + 8);
      f.last_ip = (get32(in + 12) & 0xFFFF) | ((get32(in + 16) << 4) & 0xFFFF0000u);
      f.last_opcode = get32(in + 16) & 0x7FF;
      f.last_dp = (get32(in + 20) & 0xFFFF) | ((get32(in + 24) << 4) & 0xFFFF0000u);
    } else {
      f.control = get16(in + 0);
      f.status = get16(in + 2);
      tag = get16(in + 4);
      f.last_ip = get16(in + 6) | (u32{get16(in + 8) & 0xF000u} << 4);
      f.last_opcode = get16(in + 8) & 0x7FF;
      f.last_dp = get16(in + 10) | (u32{get16(in + 12) & 0xF000u} << 4);
    }
    f.last_cs = 0;  // the pointers are linear addresses now
    f.last_ds = 0;
  } else if (i.op32) {
    f.control = get16(in + 0);
    f.status = get16(in + 4);
    tag = get16(in + 8);
    f.last_ip = get32(in + 12);
    f.last_cs = get16(in + 16);
    f.last_opcode = get16(in + 18) & 0x7FF;
    f.last_dp = get32(in + 20);
    f.last_ds = get16(in + 24);
  } else {
    f.control = get16(in + 0);
    f.status = get16(in + 2);
    tag = get16(in + 4);
    f.last_ip = get16(in + 6);
    f.last_cs = get16(in + 8);
    f.last_dp = get16(in + 10);
    f.last_ds = get16(in + 12);
  }
  f.control = static_cast<u16>((f.control & 0x1F3F) | 0x0040);
  load_tag_word(f, tag);
}

// FLDENV m14/28byte
Status fldenv(Cpu& c, const DecodedInsn& i) {
  if (Status s = enter(c, Waits::Yes); s != Status::Ok) return s;
  u8 env[28];
  const unsigned n = env_bytes(i);
  if (!check_image(c, i, n, false) || !read_bytes(c, i.seg, effective_address(c, i), env, n)) return Status::Fault;
  load_env(c, i, env);
  recompute_summary(c);
  return Status::Ok;
}

// FNSTENV m14/28byte — then masks every exception.
Status fnstenv(Cpu& c, const DecodedInsn& i) {
  if (Status s = enter(c, Waits::No); s != Status::Ok) return s;
  const unsigned n = env_bytes(i);
  if (!check_image(c, i, n, true)) return Status::Fault;
  u8 env[28];
  store_env(c, i, env);
  write_bytes(c, i.seg, effective_address(c, i), env, n);
  // With every exception masked nothing is pending any more: ES and B clear (Vol. 1, 8.1.3.1;
  // the host does the same), and FERR# follows.
  c.s.fpu.control |= sw::kExceptions;
  recompute_summary(c);
  return Status::Ok;
}

// FRSTOR m94/108byte — the environment, then ST(0)..ST(7) as 10-byte values.
Status frstor(Cpu& c, const DecodedInsn& i) {
  if (Status s = enter(c, Waits::Yes); s != Status::Ok) return s;
  const unsigned env = env_bytes(i);
  u8 image[108];
  if (!check_image(c, i, env + 80, false) || !read_bytes(c, i.seg, effective_address(c, i), image, env + 80))
    return Status::Fault;
  FpuState& f = c.s.fpu;
  load_env(c, i, image);  // sets TOP first: the registers are stored in stack order
  for (unsigned k = 0; k < 8; ++k) {
    u8 reg[10];
    std::memcpy(reg, image + env + 10 * k, 10);
    f.regs[physical(f, k)] = from_bytes(reg);
  }
  load_tag_word(f, f.tag);
  recompute_summary(c);
  return Status::Ok;
}

// FNSAVE m94/108byte — stores what FRSTOR loads, then initialises the FPU like FNINIT.
Status fnsave(Cpu& c, const DecodedInsn& i) {
  if (Status s = enter(c, Waits::No); s != Status::Ok) return s;
  const unsigned env = env_bytes(i);
  if (!check_image(c, i, env + 80, true)) return Status::Fault;
  const FpuState& f = c.s.fpu;
  u8 image[108];
  store_env(c, i, image);
  for (unsigned k = 0; k < 8; ++k) {
    u8 reg[10];
    to_bytes(st(f, k), reg);
    std::memcpy(image + env + 10 * k, reg, 10);
  }
  write_bytes(c, i.seg, effective_address(c, i), image, env + 80);
  initialise(c);
  return Status::Ok;
}

// WAIT/FWAIT (9B) — checks for pending unmasked exceptions. #NM only when CR0.MP and CR0.TS
// are both set (SDM Vol. 3A, Table 2-2); CR0.EM does not affect it.
Status fwait(Cpu& c, const DecodedInsn&) {
  if ((c.s.cr0 & (cr0::MP | cr0::TS)) == (cr0::MP | cr0::TS)) return c.raise(kNM);
  if (c.s.fpu.status & sw::ES) return report_pending(c);
  return Status::Ok;
}

// ---- selection ------------------------------------------------------------------------------------------

// The source form of an arithmetic/compare row, from its operand kinds and the op.
template <Arith Op>
Handler select_arith(const DecodedInsn& i, bool pop) {
  using enum Operand;
  switch (i.entry->operands[0]) {
    case Mf32: return arith<Op, Src::F32>;
    case Mf64: return arith<Op, Src::F64>;
    case Mi16: return arith<Op, Src::I16>;
    case Mi32: return arith<Op, Src::I32>;
    case ST0: return arith<Op, Src::St0Sti>;
    case STi: return pop ? arith<Op, Src::StiSt0Pop> : arith<Op, Src::StiSt0>;
    default: return nullptr;
  }
}

template <Arith Op, int Pops>
Handler select_compare(const DecodedInsn& i) {
  using enum Operand;
  switch (i.entry->operands[0]) {
    case Mf32: return compare<Op, Src::F32, Pops>;
    case Mf64: return compare<Op, Src::F64, Pops>;
    case Mi16: return compare<Op, Src::I16, Pops>;
    case Mi32: return compare<Op, Src::I32, Pops>;
    default: return compare<Op, Src::St0Sti, Pops>;  // FCOM ST(i); FCOMPP/FUCOMPP encode rm = 1
  }
}

template <Store S>
Handler select_store(Op op) {
  return op == Op::Fst || op == Op::Fist ? store<S, false> : store<S, true>;
}

Handler select_store_form(const DecodedInsn& i) {
  using enum Operand;
  const Op op = i.entry->op;
  switch (i.entry->operands[0]) {
    case Mf32: return select_store<Store::F32>(op);
    case Mf64: return select_store<Store::F64>(op);
    case Mf80: return select_store<Store::F80>(op);
    case Mi16: return select_store<Store::I16>(op);
    case Mi32: return select_store<Store::I32>(op);
    case Mi64: return select_store<Store::I64>(op);
    case Mbcd: return select_store<Store::Bcd>(op);
    case STi: return i.opcode == 0xD9 ? fstp1 : select_store<Store::Sti>(op);
    default: return nullptr;
  }
}

Handler select_load_form(const DecodedInsn& i) {
  using enum Operand;
  switch (i.entry->operands[0]) {
    case Mf32: return load<Load::F32>;
    case Mf64: return load<Load::F64>;
    case Mf80: return load<Load::F80>;
    case Mi16: return load<Load::I16>;
    case Mi32: return load<Load::I32>;
    case Mi64: return load<Load::I64>;
    case Mbcd: return load<Load::Bcd>;
    case STi: return load<Load::Sti>;
    default: return nullptr;
  }
}

}  // namespace

Handler select_x87(const DecodedInsn& i) {
  using x87::Constant;
  switch (i.entry->op) {
    case Op::Wait: return fwait;
    case Op::Fld:
    case Op::Fild:
    case Op::Fbld: return select_load_form(i);
    case Op::Fst:
    case Op::Fstp:
    case Op::Fist:
    case Op::Fistp:
    case Op::Fbstp: return select_store_form(i);
    case Op::Fxch: return fxch;
    case Op::Fcmovcc: return fcmov;
    case Op::Fadd:
    case Op::Fiadd: return select_arith<Arith::Add>(i, false);
    case Op::Faddp: return select_arith<Arith::Add>(i, true);
    case Op::Fmul:
    case Op::Fimul: return select_arith<Arith::Mul>(i, false);
    case Op::Fmulp: return select_arith<Arith::Mul>(i, true);
    case Op::Fsub:
    case Op::Fisub: return select_arith<Arith::Sub>(i, false);
    case Op::Fsubp: return select_arith<Arith::Sub>(i, true);
    case Op::Fsubr:
    case Op::Fisubr: return select_arith<Arith::Subr>(i, false);
    case Op::Fsubrp: return select_arith<Arith::Subr>(i, true);
    case Op::Fdiv:
    case Op::Fidiv: return select_arith<Arith::Div>(i, false);
    case Op::Fdivp: return select_arith<Arith::Div>(i, true);
    case Op::Fdivr:
    case Op::Fidivr: return select_arith<Arith::Divr>(i, false);
    case Op::Fdivrp: return select_arith<Arith::Divr>(i, true);
    case Op::Fcom:
    case Op::Ficom: return select_compare<Arith::Com, 0>(i);
    case Op::Fcomp:
    case Op::Ficomp: return select_compare<Arith::Com, 1>(i);
    case Op::Fcompp: return compare<Arith::Com, Src::St0Sti, 2>;
    case Op::Fucom: return compare<Arith::Ucom, Src::St0Sti, 0>;
    case Op::Fucomp: return compare<Arith::Ucom, Src::St0Sti, 1>;
    case Op::Fucompp: return compare<Arith::Ucom, Src::St0Sti, 2>;
    case Op::Fcomi: return compare_eflags<Arith::Com, false>;
    case Op::Fcomip: return compare_eflags<Arith::Com, true>;
    case Op::Fucomi: return compare_eflags<Arith::Ucom, false>;
    case Op::Fucomip: return compare_eflags<Arith::Ucom, true>;
    case Op::Ftst: return examine<Unary::Tst>;
    case Op::Fxam: return examine<Unary::Xam>;
    case Op::Fld1: return load_constant<Constant::One>;
    case Op::Fldl2t: return load_constant<Constant::L2t>;
    case Op::Fldl2e: return load_constant<Constant::L2e>;
    case Op::Fldpi: return load_constant<Constant::Pi>;
    case Op::Fldlg2: return load_constant<Constant::Lg2>;
    case Op::Fldln2: return load_constant<Constant::Ln2>;
    case Op::Fldz: return load_constant<Constant::Zero>;
    case Op::Fchs: return sign_op<true>;
    case Op::Fabs: return sign_op<false>;
    case Op::Fsqrt: return unary_op<Unary::Sqrt>;
    case Op::Fsin: return unary_op<Unary::Sin>;
    case Op::Fcos: return unary_op<Unary::Cos>;
    case Op::F2xm1: return unary_op<Unary::F2xm1>;
    case Op::Frndint: return unary_op<Unary::Rndint>;
    case Op::Fptan: return unary_push<Unary::Ptan>;
    case Op::Fsincos: return unary_push<Unary::Sincos>;
    case Op::Fxtract: return unary_push<Unary::Xtract>;
    case Op::Fprem: return binary_op<Binary::Prem>;
    case Op::Fprem1: return binary_op<Binary::Prem1>;
    case Op::Fscale: return binary_op<Binary::Scale>;
    case Op::Fyl2x: return binary_op<Binary::Yl2x>;
    case Op::Fyl2xp1: return binary_op<Binary::Yl2xp1>;
    case Op::Fpatan: return binary_op<Binary::Patan>;
    case Op::Fincstp: return rotate<1>;
    case Op::Fdecstp: return rotate<-1>;
    case Op::Ffree: return ffree<false>;
    case Op::Ffreep: return ffree<true>;
    // D9 D0 is FNOP; DB E0/E1 (FNENI/FNDISI) share the op but are non-waiting 8087 relics.
    case Op::Fnop: return i.opcode == 0xDB ? legacy_nop : fnop;
    case Op::Fnsetpm: return legacy_nop;
    case Op::Fldcw: return fldcw;
    case Op::Fnstcw: return fnstcw;
    case Op::Fnstsw: return i.entry->operands[0] == Operand::AX ? fnstsw<true> : fnstsw<false>;
    case Op::Fldenv: return fldenv;
    case Op::Fnstenv: return fnstenv;
    case Op::Frstor: return frstor;
    case Op::Fnsave: return fnsave;
    case Op::Fnclex: return fnclex;
    case Op::Fninit: return fninit;
    default: return nullptr;
  }
}

}  // namespace emu::sem
