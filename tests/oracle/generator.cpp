#include "tests/oracle/generator.h"

#include <algorithm>
#include <array>
#include <bit>
#include <cstring>

namespace emu::oracle {

namespace {

using enum Operand;

constexpr u32 kEflagsCF = 0x001, kEflagsOF = 0x800, kEflagsDF = 0x400, kEflagsAC = 1u << 18;
constexpr u32 kDataEnd = ORACLE_DATA_BASE + ORACLE_DATA_SIZE;

bool is_memory_operand(Operand o) {
  switch (o) {
    case M:
    case Ma:
    case Mp:
    case Mq:
    case Mf32:
    case Mf64:
    case Mf80:
    case Mi16:
    case Mi32:
    case Mi64:
    case Mbcd:
    case Menv:
    case Mstate:
    case M2: return true;
    default: return false;
  }
}

bool is_rm_operand(Operand o) { return o == Eb || o == Ew || o == Ed || o == Ev || is_memory_operand(o); }

bool has_operand(const OpcodeEntry& row, Operand o) {
  return std::find(row.operands.begin(), row.operands.end(), o) != row.operands.end();
}

// The size in bytes of the row's memory operand (an upper bound where the SDM leaves it to the
// operation, e.g. LEA, which does not access memory at all).
u32 memory_operand_size(const OpcodeEntry& row, bool op16) {
  for (Operand o : row.operands) {
    switch (o) {
      case Eb: return 1;
      case Ew:
      case M2:
      case Mi16: return 2;
      case Ed:
      case Mf32:
      case Mi32: return 4;
      case Ev: return op16 ? 2 : 4;
      case M: return 6;
      case Ma: return op16 ? 4 : 8;
      case Mp: return op16 ? 4 : 6;
      case Mq:
      case Mf64:
      case Mi64: return 8;
      case Mf80:
      case Mbcd: return 10;
      case Menv: return op16 ? 14 : 28;
      case Mstate: return op16 ? 94 : 108;
      default: break;
    }
  }
  return 4;
}

// The operand width in bits of the row's first operand that has one (for shifts, divides, ...).
unsigned operand_width(const OpcodeEntry& row, bool op16) {
  for (Operand o : row.operands) {
    switch (o) {
      case Eb:
      case Gb:
      case AL:
      case Zb:
      case Xb:
      case Yb:
      case Ob: return 8;
      case Ew:
      case Gw:
      case AX: return 16;
      case Ed:
      case Gd: return 32;
      case Ev:
      case Gv:
      case eAX:
      case Zv:
      case Xv:
      case Yv:
      case Ov: return op16 ? 16 : 32;
      default: break;
    }
  }
  return op16 ? 16 : 32;
}

u32 width_mask(unsigned bits) { return bits == 32 ? 0xFFFFFFFFu : (1u << bits) - 1; }

// Modular inverse of an odd number mod 2^32 (Newton's iteration doubles the correct bits).
u32 inverse_odd(u32 k) {
  u32 x = k;
  for (int i = 0; i < 5; ++i) x *= 2 - k * x;
  return x;
}

// Bits of the x87 status word the SDM leaves undefined after `op`: C0 (bit 8), C2 (10), C3 (14)
// for most operations, which define only C1; all four for the control instructions.
u16 undefined_condition_codes(Op op) {
  constexpr u16 C0 = 0x0100, C1 = 0x0200, C2 = 0x0400, C3 = 0x4000;
  switch (op) {
    case Op::Fcom:
    case Op::Fcomp:
    case Op::Fcompp:
    case Op::Fucom:
    case Op::Fucomp:
    case Op::Fucompp:
    case Op::Ficom:
    case Op::Ficomp:
    case Op::Ftst:
    case Op::Fxam:
    case Op::Fprem:
    case Op::Fprem1:
    case Op::Fcomi:
    case Op::Fcomip:
    case Op::Fucomi:
    case Op::Fucomip:
    case Op::Frstor:
    case Op::Fldenv:
    case Op::Fninit:
    case Op::Fnsave: return 0;
    case Op::Fptan:
    case Op::Fsin:
    case Op::Fcos:
    case Op::Fsincos: return C0 | C3;
    case Op::Ffree:
    case Op::Ffreep:
    case Op::Fnclex:
    case Op::Fldcw:
    case Op::Fnstcw:
    case Op::Fnstsw:
    case Op::Fnstenv: return C0 | C1 | C2 | C3;
    default: return C0 | C2 | C3;
  }
}

void put_le(u8* p, u64 v, unsigned bytes) {
  for (unsigned k = 0; k < bytes; ++k) p[k] = static_cast<u8>(v >> (8 * k));
}

void append_le(std::string& s, u64 v, unsigned bytes) {
  for (unsigned k = 0; k < bytes; ++k) s.push_back(static_cast<char>(v >> (8 * k)));
}

}  // namespace

bool is_string_op(Op op) {
  switch (op) {
    case Op::Movs:
    case Op::Cmps:
    case Op::Stos:
    case Op::Lods:
    case Op::Scas:
    case Op::Ins:
    case Op::Outs: return true;
    default: return false;
  }
}

bool is_stack_op(Op op) {
  switch (op) {
    case Op::Push:
    case Op::Pop:
    case Op::Pusha:
    case Op::Popa:
    case Op::Pushf:
    case Op::Popf:
    case Op::Enter:
    case Op::Leave:
    case Op::PushSeg:
    case Op::PopSeg:
    case Op::Call:
    case Op::CallIndirect:
    case Op::Ret: return true;
    default: return false;
  }
}

bool is_shift_op(Op op) {
  switch (op) {
    case Op::Rol:
    case Op::Ror:
    case Op::Rcl:
    case Op::Rcr:
    case Op::Shl:
    case Op::Shr:
    case Op::Sar:
    case Op::Shld:
    case Op::Shrd: return true;
    default: return false;
  }
}

Testability classify(const OpcodeEntry& row) {
  switch (row.op) {
    case Op::PopSeg:
    case Op::MovToSeg:
    case Op::Lds:
    case Op::Les:
    case Op::Lss:
    case Op::Lfs:
    case Op::Lgs: return {false, "loads a segment register of the host process"};
    case Op::JmpFar:
    case Op::JmpFarIndirect:
    case Op::CallFar:
    case Op::CallFarIndirect:
    case Op::RetFar:
    case Op::Iret: return {false, "far transfer: would load CS of the host process"};
    case Op::Int1: return {false, "INT1 raises #DB, indistinguishable from the runner's single-step trap"};
    case Op::Sgdt:
    case Op::Sidt:
    case Op::Sldt:
    case Op::Str:
    case Op::Smsw: return {false, "the host kernel emulates it for user mode (UMIP)"};
    case Op::Lar:
    case Op::Lsl:
    case Op::Verr:
    case Op::Verw: return {false, "the answer depends on the host kernel's descriptor tables"};
    case Op::Cpuid: return {false, "reports the host CPU, not the emulated P6"};
    case Op::Rdtsc: return {false, "the time-stamp counter differs between runs"};
    case Op::Rdpmc: return {false, "depends on the host kernel's CR4.PCE"};
    case Op::Sysenter: return {false, "enters the host kernel"};
    default: return {};
  }
}

FormsApplicable applicable_forms(const OpcodeEntry& row) {
  FormsApplicable f;
  const bool modrm = opcode_has_modrm(row.code);
  bool rm_operand = false, memory_only_operand = false;
  for (Operand o : row.operands) {
    rm_operand |= is_rm_operand(o);
    memory_only_operand |= is_memory_operand(o);
  }
  const bool string = is_string_op(row.op);
  f.reg =
      modrm && !(row.attrs & attr::kMemOnly) && !memory_only_operand && (rm_operand || (row.attrs & attr::kRegOnly));
  f.mem = (modrm && !(row.attrs & attr::kRegOnly) && rm_operand) || string || has_operand(row, Ob) ||
          has_operand(row, Ov) || row.op == Op::Xlat;
  f.addr16 = f.mem || row.op == Op::Loop || row.op == Op::Loope || row.op == Op::Loopne || row.op == Op::Jcxz;
  if (row.op == Op::Lea || row.op == Op::Nop) f.addr16 = f.mem;
  bool sized = false;
  for (Operand o : row.operands) {
    switch (o) {
      case Ev:
      case Gv:
      case Iv:
      case Ibs:
      case Jz:
      case Jb:
      case Ov:
      case eAX:
      case Zv:
      case Xv:
      case Yv:
      case Ma:
      case Mp:
      case Menv:
      case Mstate: sized = true; break;
      default: break;
    }
  }
  switch (row.op) {
    case Op::Pusha:
    case Op::Popa:
    case Op::Pushf:
    case Op::Popf:
    case Op::Cbw:
    case Op::Cwd:
    case Op::Enter:
    case Op::Leave:
    case Op::Ret:
    case Op::PushSeg:
    case Op::Iret:
    case Op::Loop:
    case Op::Loope:
    case Op::Loopne:
    case Op::Jcxz: sized = true; break;
    case Op::Bswap: sized = false; break;  // BSWAP r16 is undefined (SDM Vol. 2A, BSWAP)
    default: break;
  }
  f.op16 = sized && (!(row.attrs & attr::kNoOp16) || has_operand(row, Menv) || has_operand(row, Mstate));
  return f;
}

struct Generator::Regs {
  std::array<u32, 8> v{};
  u8 pinned = 0;
  u8 addressing = 0;  // registers the memory operand's address depends on
  void pin(u8 r, u32 value) {
    v[r] = value;
    pinned |= static_cast<u8>(1u << r);
  }
  bool is_pinned(u8 r) const { return (pinned >> r) & 1; }
  bool touches(u8 r) const { return ((pinned | addressing) >> r) & 1; }
};

u32 Generator::random_value() {
  static constexpr std::array<u32, 18> kSpecial = {
      0,      1,       2,          0x7F,       0x80,       0xFF,       0x100,      0x7FFF,     0x8000,
      0xFFFF, 0x10000, 0x7FFFFFFF, 0x80000000, 0x80000001, 0xFFFFFFFF, 0xFFFFFFFE, 0xFFFF8000, 0xFFFFFF80};
  const u32 pick = random_below(100);
  if (pick < 30) return kSpecial[random_below(kSpecial.size())];
  if (pick < 45) return random_below(256);
  return static_cast<u32>(rng_());
}

void Generator::random_fp80(u8 out[10]) {
  u64 mantissa = rng_();
  u32 exponent;
  const bool negative = coin(50);
  const u32 kind = random_below(100);
  if (kind < 12) {  // zero
    mantissa = 0;
    exponent = 0;
  } else if (kind < 24) {  // a small integer, exactly
    const u64 n = 1 + random_below(1000);
    const int top = 63 - std::countl_zero(n);
    mantissa = n << (63 - top);
    exponent = 16383 + top;
  } else if (kind < 58) {  // an ordinary number
    mantissa |= 1ull << 63;
    exponent = 16383 - 70 + random_below(140);
  } else if (kind < 68) {  // any normal number
    mantissa |= 1ull << 63;
    exponent = 1 + random_below(0x7FFE);
  } else if (kind < 73) {  // denormal
    mantissa &= ~(1ull << 63);
    if (!mantissa) mantissa = 1;
    exponent = 0;
  } else if (kind < 78) {  // infinity
    mantissa = 1ull << 63;
    exponent = 0x7FFF;
  } else if (kind < 84) {  // quiet NaN
    mantissa |= 3ull << 62;
    exponent = 0x7FFF;
  } else if (kind < 87) {  // signalling NaN
    mantissa = (mantissa & ~(3ull << 62)) | (1ull << 63) | 1;
    exponent = 0x7FFF;
  } else if (kind < 89) {  // pseudo-denormal: exponent 0 with the integer bit set
    mantissa |= 1ull << 63;
    exponent = 0;
  } else if (kind < 91) {  // unnormal / pseudo-NaN: integer bit clear, exponent non-zero
    mantissa &= ~(1ull << 63);
    exponent = coin(70) ? 1 + random_below(0x7FFE) : 0x7FFF;
  } else {  // integer-valued or boundary magnitudes: 2^15, 2^31, 2^63 and their neighbours
    static constexpr std::array<u32, 6> kBoundary = {15, 16, 31, 32, 63, 64};
    mantissa = (1ull << 63) | (coin(50) ? 0 : (rng_() & 0xFF));
    exponent = 16383 + kBoundary[random_below(kBoundary.size())] - (coin(50) ? 1 : 0);
  }
  put_le(out, mantissa, 8);
  put_le(out + 8, exponent | (negative ? 0x8000u : 0), 2);
}

namespace {

// The tag of an 80-bit value as FNSAVE reports it: 00 valid, 01 zero, 10 special (SDM Vol. 1, 8.1.7).
u16 tag_of(const u8 v[10]) {
  u64 mantissa;
  std::memcpy(&mantissa, v, 8);
  const u32 exponent = (v[8] | v[9] << 8) & 0x7FFF;
  if (exponent == 0x7FFF) return 2;
  if (exponent == 0) return mantissa == 0 ? 1 : 2;
  return (mantissa >> 63) ? 0 : 2;
}

u16 random_control_word(u32 masks_choice, u32 pc_choice, u32 rc) {
  const u16 masks = masks_choice < 85 ? 0x3F : static_cast<u16>(masks_choice & 0x3F);
  const u16 pc = pc_choice < 60 ? 3 : pc_choice < 85 ? 2 : 0;
  return static_cast<u16>(masks | 0x40 | pc << 8 | rc << 10);
}

}  // namespace

void Generator::random_fpu_image(u8 image[ORACLE_FPU_IMAGE]) {
  std::memset(image, 0, ORACLE_FPU_IMAGE);
  const u16 control = random_control_word(random_below(100), random_below(100), random_below(4));
  const u32 top = random_below(8);
  u16 tag = 0;
  u8 regs[8][10];
  for (u32 phys = 0; phys < 8; ++phys) {
    random_fp80(regs[phys]);
    const u16 t = coin(25) ? 3 : tag_of(regs[phys]);
    tag |= static_cast<u16>(t << (2 * phys));
  }
  u16 exceptions = coin(25) ? static_cast<u16>(random_below(64)) : 0;
  const bool pending = (exceptions & ~control & 0x3F) != 0;
  u16 status = exceptions | static_cast<u16>(top << 11);
  if (pending) status |= 0x8080;                          // ES and B
  status |= static_cast<u16>(random_below(16) & 7) << 8;  // C0-C2
  if (coin(50)) status |= 0x4000;                         // C3
  put_le(image + 0, 0xFFFF0000u | control, 4);
  put_le(image + 4, 0xFFFF0000u | status, 4);
  put_le(image + 8, 0xFFFF0000u | tag, 4);
  for (u32 i = 0; i < 8; ++i) std::memcpy(image + 28 + 10 * i, regs[(top + i) & 7], 10);
}

// Encodes a ModRM memory operand (with SIB and displacement) whose effective address is `ea`,
// choosing a random addressing form and solving for one of its registers (or the displacement).
bool Generator::encode_memory(bool addr32, u8 reg_field, Regs& regs, u32 ea, u32 size, std::string& out, u32& ea_out) {
  (void)size;
  out.clear();
  std::array<u32, 8> coef{};
  u32 disp = 0;
  unsigned disp_bytes = 0;
  const u32 mod = random_below(3), rm = random_below(8);
  std::string tail;
  if (addr32) {
    disp_bytes = mod == 1 ? 1 : mod == 2 ? 4 : 0;
    bool sib = false;
    u8 sib_byte = 0;
    if (rm == 4) {
      sib = true;
      const u32 scale = random_below(4), index = random_below(8), base = random_below(8);
      if (index != 4) coef[index] += 1u << scale;
      if (base == 5 && mod == 0)
        disp_bytes = 4;
      else
        coef[base] += 1;
      sib_byte = static_cast<u8>(scale << 6 | index << 3 | base);
    } else if (rm == 5 && mod == 0) {
      disp_bytes = 4;
    } else {
      coef[rm] += 1;
    }
    out.push_back(static_cast<char>(mod << 6 | reg_field << 3 | rm));
    if (sib) out.push_back(static_cast<char>(sib_byte));
  } else {
    static constexpr int kBase[8] = {EBX, EBX, EBP, EBP, -1, -1, EBP, EBX};
    static constexpr int kIndex[8] = {ESI, EDI, ESI, EDI, ESI, EDI, -1, -1};
    disp_bytes = mod == 1 ? 1 : mod == 2 ? 2 : 0;
    if (mod == 0 && rm == 6) {
      disp_bytes = 2;
    } else {
      if (kBase[rm] >= 0) coef[kBase[rm]] += 1;
      if (kIndex[rm] >= 0) coef[kIndex[rm]] += 1;
    }
    out.push_back(static_cast<char>(mod << 6 | reg_field << 3 | rm));
  }
  const u32 addr_mask = addr32 ? 0xFFFFFFFFu : 0xFFFFu;
  if (disp_bytes == 1)
    disp = static_cast<u32>(static_cast<i32>(static_cast<i8>(rng_())));
  else if (disp_bytes)
    disp = random_value();

  // Pick a register of the form that nothing else constrains and solve for it.
  std::array<u8, 8> free_regs{};
  unsigned nfree = 0;
  for (u8 r = 0; r < 8; ++r)
    if (coef[r] && !regs.is_pinned(r)) free_regs[nfree++] = r;
  if (nfree) {
    const u8 r = free_regs[random_below(nfree)];
    u32 rest = disp;
    for (u8 o = 0; o < 8; ++o)
      if (o != r) rest += coef[o] * regs.v[o];
    const unsigned twos = std::countr_zero(coef[r]);
    u32 need = (ea - rest) & addr_mask;
    need &= ~((1u << twos) - 1);  // an even coefficient reaches only multiples of its power of two
    ea = (rest + need) & addr_mask;
    u32 value = (need >> twos) * inverse_odd(coef[r] >> twos);
    if (twos) value = (value & (0xFFFFFFFFu >> twos)) | static_cast<u32>(rng_() << (32 - twos));
    if (!addr32) value = (static_cast<u32>(rng_()) & 0xFFFF0000u) | (value & 0xFFFF);
    regs.v[r] = value;
  } else {
    u32 terms = 0;
    for (u8 o = 0; o < 8; ++o) terms += coef[o] * regs.v[o];
    const u32 need = (ea - terms) & addr_mask;
    if (disp_bytes == 1) {
      const i32 d = addr32 ? static_cast<i32>(need) : static_cast<i16>(need);
      if (d < -128 || d > 127) return false;
      disp = static_cast<u32>(d);
    } else if (disp_bytes) {
      disp = need;
    } else if (need != 0) {
      return false;
    }
  }
  u32 check = disp;
  for (u8 o = 0; o < 8; ++o) check += coef[o] * regs.v[o];
  ea_out = check & addr_mask;
  for (u8 o = 0; o < 8; ++o)
    if (coef[o]) regs.addressing |= static_cast<u8>(1u << o);
  append_le(out, disp, disp_bytes);
  return true;
}

GeneratedCase Generator::generate(const OpcodeEntry& row) {
  GeneratedCase g;
  g.row = &row;
  oracle_case& w = g.wire;
  Regs regs;
  for (u32& v : regs.v) v = random_value();
  w.eflags = static_cast<u32>(rng_()) & 0x8D5u;
  if (coin(50)) w.eflags |= kEflagsDF;
  w.mem_seed = static_cast<u32>(rng_()) | 1;
  const Op op = row.op;
  const FormsApplicable forms = applicable_forms(row);
  g.op16 = forms.op16 ? coin(50) : (op != Op::Bswap && coin(4));
  g.addr16 = forms.addr16 ? coin(50) : coin(3);
  const bool op32 = !g.op16, addr32 = !g.addr16;
  const bool modrm = opcode_has_modrm(row.code);
  const bool x87 = row.attrs & attr::kX87;
  bool mem = false;
  if (modrm) {
    if (!forms.reg)
      mem = forms.mem;
    else if (!forms.mem)
      mem = false;
    else
      mem = coin(50);
  }
  const bool string = is_string_op(op);
  const bool moffs = has_operand(row, Ob) || has_operand(row, Ov);
  g.mem_form = mem || string || moffs || op == Op::Xlat;
  const unsigned width = operand_width(row, g.op16);
  u8 reg_field = row.reg >= 0 ? static_cast<u8>(row.reg) : static_cast<u8>(random_below(8));
  u8 rm_field = row.rm >= 0 ? static_cast<u8>(row.rm) : static_cast<u8>(random_below(8));
  if (op == Op::MovFromSeg && coin(90)) reg_field = static_cast<u8>(random_below(6));  // 6, 7: #UD

  // Registers some operations need inside the data region.
  auto region_address = [&](u32 lo_margin, u32 hi_margin) {
    return ORACLE_DATA_BASE + lo_margin + random_below(ORACLE_DATA_SIZE - lo_margin - hi_margin);
  };
  auto address_register = [&](u32 address) {
    return addr32 ? address : ((static_cast<u32>(rng_()) & 0xFFFF0000u) | address);
  };
  if (is_stack_op(op) || op == Op::Pushf || op == Op::Popf) {
    u32 sp = region_address(0xA00, 0xA00);
    if (coin(90)) sp &= ~3u;
    regs.pin(ESP, sp);
  }
  if (op == Op::Enter || op == Op::Leave) regs.pin(EBP, region_address(0x300, 0x300));
  u32 rep_count = 0;
  RepPrefix rep = RepPrefix::None;
  if (string) {
    regs.pin(ESI, address_register(region_address(0x400, 0x400)));
    regs.pin(EDI, address_register(region_address(0x400, 0x400)));
    const u32 r = random_below(100);
    if (r < 45)
      rep = RepPrefix::Rep;
    else if (r < 65 && (op == Op::Cmps || op == Op::Scas))
      rep = RepPrefix::Repne;
    rep_count = coin(20) ? random_below(3) : coin(90) ? random_below(20) : random_below(65);
    const u32 upper = static_cast<u32>(rng_()) & 0xFFFF0000u;
    regs.pin(ECX, addr32 ? rep_count : upper | rep_count);
  }
  if (op == Op::Xlat) regs.pin(EBX, address_register(region_address(0x40, 0x140)));
  // Shift counts: the interesting ones are 0, 1, the width and its neighbours.
  u32 count = 0;
  const bool count_in_cl = is_shift_op(op) && has_operand(row, CL);
  if (is_shift_op(op)) {
    static constexpr std::array<u32, 12> kCounts = {0, 1, 1, 2, 7, 8, 9, 15, 16, 17, 31, 32};
    count = coin(60) ? kCounts[random_below(kCounts.size())] : random_below(256);
    if (has_operand(row, One)) count = 1;
    if ((op == Op::Shld || op == Op::Shrd) && g.op16 && (count & 0x1F) > 16)
      count = random_below(17);  // SDM: result undefined for counts above 16
    if (count_in_cl) regs.pin(ECX, (regs.v[ECX] & ~0xFFu) | count);
  }
  // BT family with a register bit offset into memory: keep the offset within the region.
  const bool bit_offset_reg =
      (op == Op::Bt || op == Op::Bts || op == Op::Btr || op == Op::Btc) && has_operand(row, Gv) && mem;
  if (bit_offset_reg) {
    const u32 offset = static_cast<u32>(static_cast<i32>(random_below(2048)) - 1024);
    regs.pin(reg_field, g.op16 ? (static_cast<u32>(rng_()) & 0xFFFF0000u) | (offset & 0xFFFF) : offset);
  }

  // Prefixes, in random order.
  std::string prefixes;
  if (g.op16) prefixes.push_back('\x66');
  if (g.addr16) prefixes.push_back('\x67');
  if (rep == RepPrefix::Rep) prefixes.push_back('\xF3');
  if (rep == RepPrefix::Repne) prefixes.push_back('\xF2');
  if ((mem || (string && op != Op::Stos && op != Op::Scas && op != Op::Ins)) && coin(25)) {
    static constexpr char kSeg[4] = {'\x26', '\x2E', '\x36', '\x3E'};
    prefixes.push_back(kSeg[random_below(4)]);
  }
  const bool lockable = (row.attrs & attr::kLockable) && mem;
  // LOCK MOV CRn is #UD on Intel processors, the P6 we model, but AMD processors (this host)
  // read it as MOV CR8 (the AltMovCr8 feature): the host cannot stand in for a P6 there.
  const bool amd_alt_cr8 = op == Op::MovToCr || op == Op::MovFromCr;
  if (!amd_alt_cr8 && coin(lockable ? 30 : 2)) prefixes.push_back('\xF0');
  std::shuffle(prefixes.begin(), prefixes.end(), rng_);

  std::string body;
  if (row.code > 0xFF) body.push_back('\x0F');
  body.push_back(static_cast<char>(row.code & 0xFF));

  u32 ea = 0, msize = 0;
  if (modrm) {
    if (mem) {
      msize = memory_operand_size(row, g.op16);
      const bool edge = coin(2);
      std::string encoded;
      bool ok = false;
      for (int attempt = 0; attempt < 32 && !ok; ++attempt) {
        Regs trial = regs;
        u32 target;
        if (edge) {
          target = coin(50) ? kDataEnd - 1 - random_below(msize) : ORACLE_DATA_BASE - 1 - random_below(msize);
        } else if (bit_offset_reg) {
          target = region_address(0x200, 0x200);
        } else {
          target = region_address(0x20, 0x20 + msize);
        }
        if (coin(50)) target &= ~(std::min<u32>(msize, 8) - 1);
        u32 got;
        if (encode_memory(addr32, reg_field, trial, target, msize, encoded, got)) {
          ok = true;
          regs = trial;
          ea = got;
        }
      }
      if (!ok) {  // [disp] alone always reaches the target
        encoded.clear();
        ea = region_address(0x20, 0x20 + msize);
        encoded.push_back(static_cast<char>((reg_field << 3) | (addr32 ? 5 : 6)));
        append_le(encoded, ea, addr32 ? 4 : 2);
      }
      body += encoded;
    } else {
      body.push_back(static_cast<char>(0xC0 | reg_field << 3 | rm_field));
    }
  }

  // Immediates, in operand order (as the decoder reads them).
  bool first_imm = true;
  for (Operand o : row.operands) {
    switch (o) {
      case Ib: {
        u32 v = static_cast<u32>(rng_()) & 0xFF;
        if (is_shift_op(op))
          v = count;
        else if (op == Op::IntN) {
          if (v == 0x80) v = 0x81;  // INT 0x80 is the host's system call
        } else if (op == Op::Aam || op == Op::Aad) {
          v = coin(60) ? 10 : coin(15) ? 0 : v;
        } else if (op == Op::Enter) {
          v = coin(40) ? 0 : coin(50) ? 1 : coin(70) ? 2 + random_below(4) : random_below(32);
        }
        body.push_back(static_cast<char>(v));
        break;
      }
      case Ibs:
      case Jb: body.push_back(static_cast<char>(random_value())); break;
      case Iw: {
        u32 v = random_value() & 0xFFFF;
        if (op == Op::Enter && first_imm) v = coin(50) ? random_below(64) & ~3u : random_below(0x100);
        append_le(body, v, 2);
        break;
      }
      case Iv:
      case Jz: append_le(body, random_value(), op32 ? 4 : 2); break;
      case Ob:
      case Ov: {
        msize = o == Ob ? 1 : (op32 ? 4 : 2);
        ea = region_address(0x20, 0x20 + msize);
        append_le(body, ea, addr32 ? 4 : 2);
        break;
      }
      default: continue;
    }
    first_imm = false;
  }
  const std::string bytes = prefixes + body;
  std::memcpy(w.code, bytes.data(), std::min<std::size_t>(bytes.size(), ORACLE_MAX_INSN));
  w.code_len = static_cast<u8>(std::min<std::size_t>(bytes.size(), ORACLE_MAX_INSN));
  if (string && rep != RepPrefix::None) w.flags |= ORACLE_REP_STRING;
  g.mem_address = ea;
  g.mem_size = msize;
  if (string) {
    g.mem_address = (op == Op::Stos || op == Op::Scas || op == Op::Ins) ? regs.v[EDI] : regs.v[ESI];
    if (!addr32) g.mem_address &= 0xFFFF;
    g.mem_size = width / 8;
  }
  if (op == Op::Xlat) g.mem_address = ((regs.v[EBX] + (regs.v[EAX] & 0xFF)) & (addr32 ? ~0u : 0xFFFFu));

  // Operand values worth testing, written where the instruction will read them.
  unsigned npatch = 0;
  auto patch = [&](u32 address, u64 value, unsigned len) {
    if (npatch >= ORACLE_MAX_PATCHES || address < ORACLE_DATA_BASE || address + len > kDataEnd) return;
    oracle_patch& p = w.patch[npatch++];
    p.offset = static_cast<u16>(address - ORACLE_DATA_BASE);
    p.len = static_cast<u8>(len);
    put_le(p.bytes, value, std::min(len, 8u));
  };
  auto patch_bytes = [&](u32 address, const u8* data, unsigned len) {
    if (npatch >= ORACLE_MAX_PATCHES || address < ORACLE_DATA_BASE || address + len > kDataEnd) return;
    oracle_patch& p = w.patch[npatch++];
    p.offset = static_cast<u16>(address - ORACLE_DATA_BASE);
    p.len = static_cast<u8>(len);
    std::memcpy(p.bytes, data, len);
  };
  auto rm_value = [&](unsigned bits) -> u32 {  // the register operand named by ModRM.rm
    if (bits == 8) return rm_field < 4 ? regs.v[rm_field] & 0xFF : (regs.v[rm_field - 4] >> 8) & 0xFF;
    return regs.v[rm_field] & width_mask(bits);
  };

  if (x87) {
    w.flags |= ORACLE_HAS_FPU;
    random_fpu_image(w.fpu);
    g.undefined_fsw = undefined_condition_codes(op);
    g.c1_only_on_stack_fault =
        op == Op::Fcmovcc || op == Op::Fcomi || op == Op::Fcomip || op == Op::Fucomi || op == Op::Fucomip;
    if (mem && coin(85)) {
      u8 value[12] = {};
      const Operand kind = row.operands[0];
      switch (kind) {
        case Mf32: {
          static constexpr std::array<u32, 10> k = {0,          0x80000000, 0x3F800000, 0xBFC00000, 0x7F800000,
                                                    0x7FC00000, 0x7F800001, 0x00000001, 0x7F7FFFFF, 0x4B000000};
          patch(ea, coin(50) ? k[random_below(k.size())] : static_cast<u32>(rng_()), 4);
          break;
        }
        case Mf64: {
          static constexpr std::array<u64, 9> k = {
              0, 0x8000000000000000, 0x3FF0000000000000, 0x7FF0000000000000, 0x7FF8000000000000, 0x7FF0000000000001,
              1, 0x7FEFFFFFFFFFFFFF, 0x4330000000000000};
          patch(ea, coin(50) ? k[random_below(k.size())] : rng_(), 8);
          break;
        }
        case Mi16:
        case Mi32:
        case Mi64: {
          const unsigned len = kind == Mi16 ? 2 : kind == Mi32 ? 4 : 8;
          u64 v = coin(50) ? static_cast<u64>(static_cast<i64>(static_cast<i32>(random_value()))) : rng_();
          patch(ea, v, len);
          break;
        }
        case Mf80:
          random_fp80(value);
          patch_bytes(ea, value, 10);
          break;
        case Mbcd:
          for (int k = 0; k < 9; ++k)
            value[k] = static_cast<u8>(coin(3) ? rng_() : (random_below(10) << 4 | random_below(10)));
          value[9] = coin(50) ? 0x80 : 0;
          patch_bytes(ea, value, 10);
          break;
        case M2: patch(ea, random_control_word(random_below(100), random_below(100), random_below(4)), 2); break;
        case Menv:
        case Mstate: {
          // A plausible header (control, status, tag); the registers stay random bytes.
          u8 image[ORACLE_FPU_IMAGE];
          random_fpu_image(image);
          if (g.op16) {
            put_le(value, image[0] | image[1] << 8, 2);
            put_le(value + 2, image[4] | image[5] << 8, 2);
            put_le(value + 4, image[8] | image[9] << 8, 2);
            patch_bytes(ea, value, 6);
          } else {
            patch_bytes(ea, image, 12);
          }
          if (kind == Mstate) {
            const u32 regs_at = ea + (g.op16 ? 14 : 28);
            for (int k = 0; k < 2; ++k) {
              random_fp80(value);
              patch_bytes(regs_at + 10 * random_below(8), value, 10);
            }
          }
          break;
        }
        default: break;
      }
    }
  } else if (mem && coin(50) && !bit_offset_reg) {
    patch(ea, (static_cast<u64>(random_value()) << 32) | random_value(), std::min(msize, 8u));
  }

  const bool reg_form = modrm && !mem;
  auto can_set = [&](u8 r) { return !regs.touches(r) && !(reg_form && (rm_field == r || rm_field == r + 4)); };
  switch (op) {
    case Op::Div:
    case Op::Idiv: {
      // Mostly dividends whose quotient fits, so the result (not only #DE) gets compared.
      u32 divisor;
      if (mem) {
        divisor = random_value() & width_mask(width);
        if (coin(90) && divisor == 0) divisor = 1 + random_below(width_mask(width));
        patch(ea, divisor, width / 8);
      } else {
        divisor = rm_value(width);
      }
      if (!coin(75)) break;
      const u8 high = width == 8 ? EAX : EDX;
      if (width != 8 && !can_set(EDX)) break;
      if (width == 8 && (regs.addressing & 1 || (reg_form && rm_field == 4))) break;
      const u32 low = regs.v[EAX] & width_mask(width == 8 ? 8 : width);
      u32 high_value;
      if (op == Op::Div)
        high_value = divisor ? static_cast<u32>(rng_() % divisor) : 0;
      else
        high_value = (low >> ((width == 8 ? 8 : width) - 1)) & 1 ? width_mask(width) : 0;
      if (width == 8)
        regs.v[EAX] = (regs.v[EAX] & 0xFFFF00FFu) | (high_value & 0xFF) << 8;
      else if (width == 16)
        regs.v[high] = (regs.v[high] & 0xFFFF0000u) | (high_value & 0xFFFF);
      else
        regs.v[high] = high_value;
      break;
    }
    case Op::Cmpxchg:
      if (coin(50)) {
        const u32 acc = regs.v[EAX] & width_mask(width);
        if (mem)
          patch(ea, acc, width / 8);
        else if (can_set(EAX))
          regs.v[EAX] = (regs.v[EAX] & ~width_mask(width)) | rm_value(width);
      }
      break;
    case Op::Cmpxchg8b:
      if (coin(50)) patch(ea, (u64{regs.v[EDX]} << 32) | regs.v[EAX], 8);
      break;
    case Op::Bound: {
      const unsigned bytes = g.op16 ? 2 : 4;
      const u32 a = random_value(), b = random_value();
      const i32 lo = g.op16 ? static_cast<i16>(std::min<i32>(static_cast<i16>(a), static_cast<i16>(b)))
                            : std::min(static_cast<i32>(a), static_cast<i32>(b));
      const i32 hi = g.op16 ? static_cast<i16>(std::max<i32>(static_cast<i16>(a), static_cast<i16>(b)))
                            : std::max(static_cast<i32>(a), static_cast<i32>(b));
      patch(ea,
            (static_cast<u64>(static_cast<u32>(hi) & width_mask(bytes * 8)) << (bytes * 8)) |
                (static_cast<u32>(lo) & width_mask(bytes * 8)),
            bytes * 2);
      if (coin(60) && !regs.touches(reg_field)) {
        const i64 span = static_cast<i64>(hi) - lo + 1;
        const i32 inside = static_cast<i32>(lo + static_cast<i64>(rng_() % static_cast<u64>(span)));
        regs.v[reg_field] =
            (regs.v[reg_field] & ~width_mask(bytes * 8)) | (static_cast<u32>(inside) & width_mask(bytes * 8));
      }
      break;
    }
    case Op::Popf: {
      // Never pop AC: the runner's signal handler would then take #AC on its own unaligned
      // accesses (Linux sets CR0.AM and keeps EFLAGS.AC across signal delivery).
      const u32 value = (static_cast<u32>(rng_()) & ~kEflagsAC) | 0x2;
      patch(regs.v[ESP], value, 4);
      break;
    }
    default: break;
  }

  if (op == Op::PushSeg && op32) {
    g.loose_address = regs.v[ESP] - 2;
    g.loose_len = 2;
  }
  w.gpr[0] = regs.v[EAX];
  for (int r = 1; r < 8; ++r) w.gpr[r] = regs.v[r];

  // The flags the SDM leaves undefined for this instance.
  g.undefined_flags = row.undefined_flags;
  if (is_shift_op(op)) {
    const u32 masked = count & 0x1F;
    g.undefined_flags &= ~kEflagsOF;
    if (masked >= 2) g.undefined_flags |= kEflagsOF;  // OF is defined for 1-bit shifts only
    if ((op == Op::Shl || op == Op::Shr) && masked >= width) g.undefined_flags |= kEflagsCF;
    if ((op == Op::Shld || op == Op::Shrd) && masked > width) g.undefined_flags |= kEflagsCF;
    if (masked == 0) g.undefined_flags = 0;  // a zero count changes no flag
  }
  return g;
}

}  // namespace emu::oracle
