// Integer arithmetic and logic, moves and conversions (SDM Vol. 2: ADD ... XLAT).
#include "translator/semantics/semantics.h"

namespace emu::sem {

namespace {

enum class Alu : u8 { Add, Or, Adc, Sbb, And, Sub, Xor, Cmp, Test };

// The eight two-operand ALU operations share one body. Flags are recorded lazily (core/flags.h).
template <Alu K, typename T>
inline T alu_compute(Cpu& c, T dst, T src) {
  Flags& f = c.s.flags;
  constexpr u8 w = kBits<T>;
  T r;
  switch (K) {
    case Alu::Add:
      r = static_cast<T>(dst + src);
      f.set_lazy(FlagOp::Add, w, dst, src, r);
      break;
    case Alu::Adc: {
      const u8 cin = f.cf();
      r = static_cast<T>(dst + src + cin);
      f.set_lazy(FlagOp::Add, w, dst, src, r, cin);
      break;
    }
    case Alu::Sub:
    case Alu::Cmp:
      r = static_cast<T>(dst - src);
      f.set_lazy(FlagOp::Sub, w, dst, src, r);
      break;
    case Alu::Sbb: {
      const u8 cin = f.cf();
      r = static_cast<T>(dst - src - cin);
      f.set_lazy(FlagOp::Sub, w, dst, src, r, cin);
      break;
    }
    case Alu::And:
    case Alu::Test:
      r = dst & src;
      f.set_lazy(FlagOp::Logic, w, 0, 0, r);
      break;
    case Alu::Or:
      r = dst | src;
      f.set_lazy(FlagOp::Logic, w, 0, 0, r);
      break;
    case Alu::Xor:
      r = dst ^ src;
      f.set_lazy(FlagOp::Logic, w, 0, 0, r);
      break;
  }
  return r;
}

constexpr bool writes_result(Alu k) { return k != Alu::Cmp && k != Alu::Test; }

// ADD r/m, r   (and OR ADC SBB AND SUB XOR CMP TEST with the same form)
template <Alu K, typename T, bool Mem>
Status alu_rm_reg(Cpu& c, const DecodedInsn& i) {
  const T src = get_reg<T>(c, i.reg);
  if constexpr (!Mem) {
    const T r = alu_compute<K>(c, get_reg<T>(c, i.rm), src);
    if constexpr (writes_result(K)) set_reg<T>(c, i.rm, r);
  } else {
    const u32 ea = effective_address(c, i);
    T dst;
    const bool ok = writes_result(K) ? read_for_update<T>(c, i.seg, ea, dst) : c.read<T>(i.seg, ea, dst);
    if (!ok) return Status::Fault;
    if constexpr (writes_result(K)) {
      // Compute into a scratch flag record first so a faulting write leaves EFLAGS unchanged.
      const Flags saved = c.s.flags;
      const T r = alu_compute<K>(c, dst, src);
      if (!c.write<T>(i.seg, ea, r)) {
        c.s.flags = saved;
        return Status::Fault;
      }
    } else {
      alu_compute<K>(c, dst, src);
    }
  }
  return Status::Ok;
}

// ADD r, r/m
template <Alu K, typename T, bool Mem>
Status alu_reg_rm(Cpu& c, const DecodedInsn& i) {
  T src;
  if constexpr (Mem) {
    if (!c.read<T>(i.seg, effective_address(c, i), src)) return Status::Fault;
  } else {
    src = get_reg<T>(c, i.rm);
  }
  const T r = alu_compute<K>(c, get_reg<T>(c, i.reg), src);
  if constexpr (writes_result(K)) set_reg<T>(c, i.reg, r);
  return Status::Ok;
}

// ADD r/m, imm   ADD AL/eAX, imm
template <Alu K, typename T, bool Mem>
Status alu_rm_imm(Cpu& c, const DecodedInsn& i) {
  const T src = static_cast<T>(i.imm);
  if constexpr (!Mem) {
    const T r = alu_compute<K>(c, get_reg<T>(c, i.rm), src);
    if constexpr (writes_result(K)) set_reg<T>(c, i.rm, r);
  } else {
    const u32 ea = effective_address(c, i);
    T dst;
    const bool ok = writes_result(K) ? read_for_update<T>(c, i.seg, ea, dst) : c.read<T>(i.seg, ea, dst);
    if (!ok) return Status::Fault;
    if constexpr (writes_result(K)) {
      const Flags saved = c.s.flags;
      const T r = alu_compute<K>(c, dst, src);
      if (!c.write<T>(i.seg, ea, r)) {
        c.s.flags = saved;
        return Status::Fault;
      }
    } else {
      alu_compute<K>(c, dst, src);
    }
  }
  return Status::Ok;
}

template <Alu K, typename T>
Status alu_acc_imm(Cpu& c, const DecodedInsn& i) {
  const T r = alu_compute<K>(c, get_reg<T>(c, EAX), static_cast<T>(i.imm));
  if constexpr (writes_result(K)) set_reg<T>(c, EAX, r);
  return Status::Ok;
}

// Read-modify-write of the r/m operand with a unary function; flags set by `op` are restored if
// the write faults.
template <typename T, typename F>
Status modify_rm(Cpu& c, const DecodedInsn& i, F op) {
  if (i.mod == 3) {
    set_reg<T>(c, i.rm, op(get_reg<T>(c, i.rm)));
    return Status::Ok;
  }
  const u32 ea = effective_address(c, i);
  T v;
  if (!read_for_update<T>(c, i.seg, ea, v)) return Status::Fault;
  const Flags saved = c.s.flags;
  if (!c.write<T>(i.seg, ea, op(v))) {
    c.s.flags = saved;
    return Status::Fault;
  }
  return Status::Ok;
}

// INC r/m   — CF is preserved (SDM Vol. 2A, INC)
template <typename T>
Status inc_rm(Cpu& c, const DecodedInsn& i) {
  return modify_rm<T>(c, i, [&](T v) {
    const T r = static_cast<T>(v + 1);
    c.s.flags.set_lazy(FlagOp::Inc, kBits<T>, v, 1, r, c.s.flags.cf());
    return r;
  });
}
// DEC r/m
template <typename T>
Status dec_rm(Cpu& c, const DecodedInsn& i) {
  return modify_rm<T>(c, i, [&](T v) {
    const T r = static_cast<T>(v - 1);
    c.s.flags.set_lazy(FlagOp::Dec, kBits<T>, v, 1, r, c.s.flags.cf());
    return r;
  });
}
// INC r16/r32 (40+r)
template <typename T>
Status inc_reg(Cpu& c, const DecodedInsn& i) {
  const u8 r = i.opcode & 7;
  const T v = get_reg<T>(c, r);
  const T res = static_cast<T>(v + 1);
  c.s.flags.set_lazy(FlagOp::Inc, kBits<T>, v, 1, res, c.s.flags.cf());
  set_reg<T>(c, r, res);
  return Status::Ok;
}
// DEC r16/r32 (48+r)
template <typename T>
Status dec_reg(Cpu& c, const DecodedInsn& i) {
  const u8 r = i.opcode & 7;
  const T v = get_reg<T>(c, r);
  const T res = static_cast<T>(v - 1);
  c.s.flags.set_lazy(FlagOp::Dec, kBits<T>, v, 1, res, c.s.flags.cf());
  set_reg<T>(c, r, res);
  return Status::Ok;
}
// NEG r/m   — CF = (operand != 0)
template <typename T>
Status neg_rm(Cpu& c, const DecodedInsn& i) {
  return modify_rm<T>(c, i, [&](T v) {
    const T r = static_cast<T>(0 - v);
    c.s.flags.set_lazy(FlagOp::Sub, kBits<T>, 0, v, r);
    return r;
  });
}
// NOT r/m   — no flags
template <typename T>
Status not_rm(Cpu& c, const DecodedInsn& i) {
  return modify_rm<T>(c, i, [](T v) { return static_cast<T>(~v); });
}

// MOV r/m, r
template <typename T, bool Mem>
Status mov_rm_reg(Cpu& c, const DecodedInsn& i) {
  if constexpr (Mem)
    return c.write<T>(i.seg, effective_address(c, i), get_reg<T>(c, i.reg)) ? Status::Ok : Status::Fault;
  set_reg<T>(c, i.rm, get_reg<T>(c, i.reg));
  return Status::Ok;
}
// MOV r, r/m
template <typename T, bool Mem>
Status mov_reg_rm(Cpu& c, const DecodedInsn& i) {
  T v;
  if constexpr (Mem) {
    if (!c.read<T>(i.seg, effective_address(c, i), v)) return Status::Fault;
  } else {
    v = get_reg<T>(c, i.rm);
  }
  set_reg<T>(c, i.reg, v);
  return Status::Ok;
}
// MOV r/m, imm
template <typename T>
Status mov_rm_imm(Cpu& c, const DecodedInsn& i) {
  return write_rm<T>(c, i, static_cast<T>(i.imm)) ? Status::Ok : Status::Fault;
}
// MOV r, imm (B0+r, B8+r)
template <typename T>
Status mov_reg_imm(Cpu& c, const DecodedInsn& i) {
  set_reg<T>(c, i.opcode & 7, static_cast<T>(i.imm));
  return Status::Ok;
}
// MOV AL/eAX, moffs
template <typename T>
Status mov_acc_moffs(Cpu& c, const DecodedInsn& i) {
  T v;
  if (!c.read<T>(i.seg, i.disp, v)) return Status::Fault;
  set_reg<T>(c, EAX, v);
  return Status::Ok;
}
// MOV moffs, AL/eAX
template <typename T>
Status mov_moffs_acc(Cpu& c, const DecodedInsn& i) {
  return c.write<T>(i.seg, i.disp, get_reg<T>(c, EAX)) ? Status::Ok : Status::Fault;
}

// MOVZX r, r/m8 / r/m16     MOVSX r, r/m8 / r/m16
template <typename D, typename S, bool Signed>
Status movx(Cpu& c, const DecodedInsn& i) {
  S v;
  if (!read_rm<S>(c, i, v)) return Status::Fault;
  D r = Signed ? static_cast<D>(static_cast<std::make_signed_t<D>>(as_signed(v))) : static_cast<D>(v);
  set_reg<D>(c, i.reg, r);
  return Status::Ok;
}

// XCHG r/m, r  — with a memory operand the bus is locked whether or not LOCK is given.
template <typename T>
Status xchg_rm_reg(Cpu& c, const DecodedInsn& i) {
  const T rv = get_reg<T>(c, i.reg);
  if (i.mod == 3) {
    set_reg<T>(c, i.reg, get_reg<T>(c, i.rm));
    set_reg<T>(c, i.rm, rv);
    return Status::Ok;
  }
  const u32 ea = effective_address(c, i);
  T mv;
  if (!read_for_update<T>(c, i.seg, ea, mv) || !c.write<T>(i.seg, ea, rv)) return Status::Fault;
  set_reg<T>(c, i.reg, mv);
  return Status::Ok;
}
// XCHG r, eAX (90+r)
template <typename T>
Status xchg_acc(Cpu& c, const DecodedInsn& i) {
  const u8 r = i.opcode & 7;
  const T a = get_reg<T>(c, EAX);
  set_reg<T>(c, EAX, get_reg<T>(c, r));
  set_reg<T>(c, r, a);
  return Status::Ok;
}

// LEA r, m   — the offset only; with a 16-bit operand the low 16 bits.
template <typename T>
Status lea(Cpu& c, const DecodedInsn& i) {
  set_reg<T>(c, i.reg, static_cast<T>(effective_address(c, i)));
  return Status::Ok;
}

// CBW / CWDE
Status cbw(Cpu& c, const DecodedInsn& i) {
  if (i.op32)
    c.s.gpr[EAX] = static_cast<u32>(static_cast<i32>(static_cast<i16>(c.s.gpr[EAX])));
  else
    set_reg<u16>(c, EAX, static_cast<u16>(static_cast<i16>(static_cast<i8>(c.s.gpr[EAX]))));
  return Status::Ok;
}
// CWD / CDQ
Status cwd(Cpu& c, const DecodedInsn& i) {
  if (i.op32)
    c.s.gpr[EDX] = (c.s.gpr[EAX] & 0x80000000u) ? 0xFFFFFFFFu : 0;
  else
    set_reg<u16>(c, EDX, (c.s.gpr[EAX] & 0x8000) ? 0xFFFF : 0);
  return Status::Ok;
}

// BSWAP r32. With a 16-bit operand the result is undefined (SDM); P6 processors clear the low
// word, which is what we do.
Status bswap(Cpu& c, const DecodedInsn& i) {
  const u8 r = i.opcode & 7;
  if (i.op32)
    c.s.gpr[r] = __builtin_bswap32(c.s.gpr[r]);
  else
    set_reg<u16>(c, r, 0);
  return Status::Ok;
}

// XADD r/m, r
template <typename T>
Status xadd(Cpu& c, const DecodedInsn& i) {
  const T src = get_reg<T>(c, i.reg);
  if (i.mod == 3) {
    const T dst = get_reg<T>(c, i.rm);
    const T r = alu_compute<Alu::Add>(c, dst, src);
    set_reg<T>(c, i.reg, dst);
    set_reg<T>(c, i.rm, r);
    return Status::Ok;
  }
  const u32 ea = effective_address(c, i);
  T dst;
  if (!read_for_update<T>(c, i.seg, ea, dst)) return Status::Fault;
  const Flags saved = c.s.flags;
  const T r = alu_compute<Alu::Add>(c, dst, src);
  if (!c.write<T>(i.seg, ea, r)) {
    c.s.flags = saved;
    return Status::Fault;
  }
  set_reg<T>(c, i.reg, dst);
  return Status::Ok;
}

// CMPXCHG r/m, r   — compare eAX with r/m; equal: r/m = r; else eAX = r/m. The destination is
// written in both cases (with its own value when unequal), as the processor does.
template <typename T>
Status cmpxchg(Cpu& c, const DecodedInsn& i) {
  T dst;
  if (!read_rm_for_update<T>(c, i, dst)) return Status::Fault;
  const T acc = get_reg<T>(c, EAX);
  const bool equal = acc == dst;
  const T new_dst = equal ? get_reg<T>(c, i.reg) : dst;
  if (!write_rm<T>(c, i, new_dst)) return Status::Fault;
  alu_compute<Alu::Cmp>(c, acc, dst);
  if (!equal) set_reg<T>(c, EAX, dst);
  return Status::Ok;
}

// CMPXCHG8B m64   — compare EDX:EAX with m64; equal: m64 = ECX:EBX, ZF = 1; else EDX:EAX = m64.
Status cmpxchg8b(Cpu& c, const DecodedInsn& i) {
  const u32 ea = effective_address(c, i);
  u32 lo, hi;
  if (!c.check_segment(i.seg, ea, 8, true)) return Status::Fault;
  if (!c.read<u32>(i.seg, ea, lo) || !c.read<u32>(i.seg, ea + 4, hi)) return Status::Fault;
  const bool equal = lo == c.s.gpr[EAX] && hi == c.s.gpr[EDX];
  const u32 nlo = equal ? c.s.gpr[EBX] : lo;
  const u32 nhi = equal ? c.s.gpr[ECX] : hi;
  if (!c.probe_write(i.seg, ea, 8)) return Status::Fault;
  if (!c.write<u32>(i.seg, ea, nlo) || !c.write<u32>(i.seg, ea + 4, nhi)) return Status::Fault;
  if (!equal) {
    c.s.gpr[EAX] = lo;
    c.s.gpr[EDX] = hi;
  }
  c.s.flags.set_arith(eflags::ZF, equal ? eflags::ZF : 0);
  return Status::Ok;
}

// CMOVcc r, r/m   — the source is read (and may fault) even when the condition is false.
template <typename T>
Status cmovcc(Cpu& c, const DecodedInsn& i) {
  T v;
  if (!read_rm<T>(c, i, v)) return Status::Fault;
  if (c.s.flags.condition(i.cc())) set_reg<T>(c, i.reg, v);
  return Status::Ok;
}

// SETcc r/m8
Status setcc(Cpu& c, const DecodedInsn& i) {
  return write_rm<u8>(c, i, c.s.flags.condition(i.cc()) ? 1 : 0) ? Status::Ok : Status::Fault;
}

// SALC   — AL = CF ? FF : 00 (undocumented, present on every IA-32 processor)
Status salc(Cpu& c, const DecodedInsn&) {
  set_r8(c, 0, c.s.flags.cf() ? 0xFF : 0);
  return Status::Ok;
}

// XLAT m8   — AL = [seg:eBX + AL]
Status xlat(Cpu& c, const DecodedInsn& i) {
  u32 off = c.s.gpr[EBX] + (c.s.gpr[EAX] & 0xFF);
  if (!i.addr32) off &= 0xFFFF;
  u8 v;
  if (!c.read<u8>(i.seg_override ? i.seg : Seg::DS, off, v)) return Status::Fault;
  set_r8(c, 0, v);
  return Status::Ok;
}

// NOP, and the multi-byte NOP r/m (which does not access memory).
Status nop(Cpu&, const DecodedInsn&) { return Status::Ok; }

template <Alu K>
Handler pick_alu(const DecodedInsn& i) {
  using enum Operand;
  const Operand a = i.entry->operands[0], b = i.entry->operands[1];
  const bool mem = i.is_mem();
  auto by_width = [&](auto h8, auto h16, auto h32) -> Handler {
    return a == Eb || a == Gb || a == AL ? h8 : (i.op32 ? h32 : h16);
  };
  if (a == AL || a == eAX) return by_width(alu_acc_imm<K, u8>, alu_acc_imm<K, u16>, alu_acc_imm<K, u32>);
  if (b == Ib || b == Iv || b == Ibs) {
    return mem ? by_width(alu_rm_imm<K, u8, true>, alu_rm_imm<K, u16, true>, alu_rm_imm<K, u32, true>)
               : by_width(alu_rm_imm<K, u8, false>, alu_rm_imm<K, u16, false>, alu_rm_imm<K, u32, false>);
  }
  if (a == Gb || a == Gv) {
    return mem ? by_width(alu_reg_rm<K, u8, true>, alu_reg_rm<K, u16, true>, alu_reg_rm<K, u32, true>)
               : by_width(alu_reg_rm<K, u8, false>, alu_reg_rm<K, u16, false>, alu_reg_rm<K, u32, false>);
  }
  return mem ? by_width(alu_rm_reg<K, u8, true>, alu_rm_reg<K, u16, true>, alu_rm_reg<K, u32, true>)
             : by_width(alu_rm_reg<K, u8, false>, alu_rm_reg<K, u16, false>, alu_rm_reg<K, u32, false>);
}

}  // namespace

unsigned operand_width(const DecodedInsn& i) {
  using enum Operand;
  switch (i.entry->operands[0]) {
    case Eb:
    case Gb:
    case AL:
    case Zb:
    case Ob:
    case Xb:
    case Yb: return 1;
    case Ew:
    case Gw:
    case Sw:
    case Iw: return 2;
    case Ed:
    case Gd:
    case Rd:
    case Cd:
    case Dd: return 4;
    default: break;
  }
  if (i.entry->operands[1] == Xb || i.entry->operands[1] == Yb || i.entry->operands[1] == AL) return 1;
  return i.op32 ? 4 : 2;
}

Handler select_alu(const DecodedInsn& i) {
  using enum Operand;
  const bool w8 = operand_width(i) == 1;
  const bool mem = i.is_mem();
  auto sized = [&](Handler h8, Handler h16, Handler h32) { return w8 ? h8 : (i.op32 ? h32 : h16); };
  const Operand a = i.entry->operands[0], b = i.entry->operands[1];
  switch (i.entry->op) {
    case Op::Add: return pick_alu<Alu::Add>(i);
    case Op::Or: return pick_alu<Alu::Or>(i);
    case Op::Adc: return pick_alu<Alu::Adc>(i);
    case Op::Sbb: return pick_alu<Alu::Sbb>(i);
    case Op::And: return pick_alu<Alu::And>(i);
    case Op::Sub: return pick_alu<Alu::Sub>(i);
    case Op::Xor: return pick_alu<Alu::Xor>(i);
    case Op::Cmp: return pick_alu<Alu::Cmp>(i);
    case Op::Test: return pick_alu<Alu::Test>(i);
    case Op::Inc:
      return a == Zv ? sized(nullptr, inc_reg<u16>, inc_reg<u32>) : sized(inc_rm<u8>, inc_rm<u16>, inc_rm<u32>);
    case Op::Dec:
      return a == Zv ? sized(nullptr, dec_reg<u16>, dec_reg<u32>) : sized(dec_rm<u8>, dec_rm<u16>, dec_rm<u32>);
    case Op::Neg: return sized(neg_rm<u8>, neg_rm<u16>, neg_rm<u32>);
    case Op::Not: return sized(not_rm<u8>, not_rm<u16>, not_rm<u32>);
    case Op::Mov:
      if (a == Zb || a == Zv) return sized(mov_reg_imm<u8>, mov_reg_imm<u16>, mov_reg_imm<u32>);
      if (b == Ob || b == Ov) return sized(mov_acc_moffs<u8>, mov_acc_moffs<u16>, mov_acc_moffs<u32>);
      if (a == Ob || a == Ov) return sized(mov_moffs_acc<u8>, mov_moffs_acc<u16>, mov_moffs_acc<u32>);
      if (b == Ib || b == Iv) return sized(mov_rm_imm<u8>, mov_rm_imm<u16>, mov_rm_imm<u32>);
      if (a == Gb || a == Gv)
        return mem ? sized(mov_reg_rm<u8, true>, mov_reg_rm<u16, true>, mov_reg_rm<u32, true>)
                   : sized(mov_reg_rm<u8, false>, mov_reg_rm<u16, false>, mov_reg_rm<u32, false>);
      return mem ? sized(mov_rm_reg<u8, true>, mov_rm_reg<u16, true>, mov_rm_reg<u32, true>)
                 : sized(mov_rm_reg<u8, false>, mov_rm_reg<u16, false>, mov_rm_reg<u32, false>);
    case Op::MovZx:
      if (b == Eb) return i.op32 ? movx<u32, u8, false> : movx<u16, u8, false>;
      return i.op32 ? movx<u32, u16, false> : movx<u16, u16, false>;
    case Op::MovSx:
      if (b == Eb) return i.op32 ? movx<u32, u8, true> : movx<u16, u8, true>;
      return i.op32 ? movx<u32, u16, true> : movx<u16, u16, true>;
    case Op::Xchg:
      if (a == Zv) return sized(nullptr, xchg_acc<u16>, xchg_acc<u32>);
      return sized(xchg_rm_reg<u8>, xchg_rm_reg<u16>, xchg_rm_reg<u32>);
    case Op::Lea: return i.op32 ? lea<u32> : lea<u16>;
    case Op::Cbw: return cbw;
    case Op::Cwd: return cwd;
    case Op::Bswap: return bswap;
    case Op::Xadd: return sized(xadd<u8>, xadd<u16>, xadd<u32>);
    case Op::Cmpxchg: return sized(cmpxchg<u8>, cmpxchg<u16>, cmpxchg<u32>);
    case Op::Cmpxchg8b: return cmpxchg8b;
    case Op::Cmovcc: return i.op32 ? cmovcc<u32> : cmovcc<u16>;
    case Op::Setcc: return setcc;
    case Op::Salc: return salc;
    case Op::Xlat: return xlat;
    case Op::Nop: return nop;
    default: return nullptr;
  }
}

}  // namespace emu::sem
