// Near control transfers, flag instructions, HLT and port I/O (SDM Vol. 2: Jcc, JMP, CALL, RET,
// LOOP, CLC..STD, CLI/STI, SAHF/LAHF, HLT, IN/OUT, WAIT).
#include "translator/semantics/semantics.h"

namespace emu::sem {

namespace {

// A near branch target must lie within CS's limit, else #GP(0) (SDM Vol. 2A, JMP).
inline Status branch_to(Cpu& c, u32 target) {
  if (target > c.s.sreg(Seg::CS).limit) return c.raise(kGP, 0);
  c.s.eip = target;
  return Status::Jumped;
}

// Jcc rel8/rel32
Status jcc(Cpu& c, const DecodedInsn& i) {
  const u32 next = i.next_eip(c);
  if (!c.s.flags.condition(i.cc())) {
    c.s.eip = next;
    return Status::Jumped;
  }
  u32 target = next + i.imm;
  if (!i.op32) target &= 0xFFFF;
  return branch_to(c, target);
}

// JMP rel8/rel32
Status jmp_rel(Cpu& c, const DecodedInsn& i) {
  u32 target = i.next_eip(c) + i.imm;
  if (!i.op32) target &= 0xFFFF;
  return branch_to(c, target);
}

// JMP r/m16/32
template <typename T>
Status jmp_indirect(Cpu& c, const DecodedInsn& i) {
  T target;
  if (!read_rm<T>(c, i, target)) return Status::Fault;
  return branch_to(c, target);
}

// CALL rel16/rel32
template <typename T>
Status call_rel(Cpu& c, const DecodedInsn& i) {
  const u32 next = i.next_eip(c);
  u32 target = next + i.imm;
  if constexpr (sizeof(T) == 2) target &= 0xFFFF;
  if (target > c.s.sreg(Seg::CS).limit) return c.raise(kGP, 0);
  if (!c.push<T>(static_cast<T>(next))) return Status::Fault;
  c.s.eip = target;
  return Status::Jumped;
}

// CALL r/m16/32
template <typename T>
Status call_indirect(Cpu& c, const DecodedInsn& i) {
  T target;
  if (!read_rm<T>(c, i, target)) return Status::Fault;
  if (target > c.s.sreg(Seg::CS).limit) return c.raise(kGP, 0);
  if (!c.push<T>(static_cast<T>(i.next_eip(c)))) return Status::Fault;
  c.s.eip = target;
  return Status::Jumped;
}

// RET / RET imm16
template <typename T>
Status ret_near(Cpu& c, const DecodedInsn& i) {
  T target;
  if (!c.read(Seg::SS, c.sp(), target)) return Status::Fault;
  if (target > c.s.sreg(Seg::CS).limit) return c.raise(kGP, 0);
  c.set_sp(c.sp() + sizeof(T) + (i.imm & 0xFFFF));
  c.s.eip = target;
  return Status::Jumped;
}

// LOOP/LOOPE/LOOPNE/JCXZ: the counter is CX or ECX by address size.
enum class LoopKind : u8 { Loop, Loope, Loopne, Jcxz };
template <LoopKind K>
Status loop(Cpu& c, const DecodedInsn& i) {
  u32 count = i.addr32 ? c.s.gpr[ECX] : c.s.gpr[ECX] & 0xFFFF;
  bool take;
  if constexpr (K == LoopKind::Jcxz) {
    take = count == 0;
  } else {
    --count;
    take = count != 0;
    if constexpr (K == LoopKind::Loope) take = take && c.s.flags.zf();
    if constexpr (K == LoopKind::Loopne) take = take && !c.s.flags.zf();
  }
  const u32 next = i.next_eip(c);
  u32 target = next + i.imm;
  if (!i.op32) target &= 0xFFFF;
  if (take && target > c.s.sreg(Seg::CS).limit) return c.raise(kGP, 0);
  if constexpr (K != LoopKind::Jcxz) {
    if (i.addr32)
      c.s.gpr[ECX] = count;
    else
      set_reg<u16>(c, ECX, static_cast<u16>(count));
  }
  c.s.eip = take ? target : next;
  return Status::Jumped;
}

// CLC STC CMC CLD STD
Status clc(Cpu& c, const DecodedInsn&) { return c.s.flags.set_cf(false), Status::Ok; }
Status stc(Cpu& c, const DecodedInsn&) { return c.s.flags.set_cf(true), Status::Ok; }
Status cmc(Cpu& c, const DecodedInsn&) { return c.s.flags.set_cf(!c.s.flags.cf()), Status::Ok; }
Status cld(Cpu& c, const DecodedInsn&) { return c.s.flags.bits &= ~eflags::DF, Status::Ok; }
Status std_(Cpu& c, const DecodedInsn&) { return c.s.flags.bits |= eflags::DF, Status::Ok; }

// CLI   — IOPL-sensitive: in protected mode CPL <= IOPL, in V86 mode IOPL = 3 (SDM Vol. 2A, CLI;
// VME/PVI are not implemented, see core/cpu_state.h).
bool iopl_allows(const Cpu& c) {
  if (!c.s.protected_mode()) return true;
  if (c.s.v86()) return c.s.iopl() == 3;
  return c.s.cpl <= c.s.iopl();
}
Status cli(Cpu& c, const DecodedInsn&) {
  if (!iopl_allows(c)) return c.raise(kGP, 0);
  c.s.flags.bits &= ~eflags::IF;
  return Status::Ok;
}
// STI   — interrupts stay blocked until after the next instruction if IF was clear.
Status sti(Cpu& c, const DecodedInsn& i) {
  if (!iopl_allows(c)) return c.raise(kGP, 0);
  if (!(c.s.flags.bits & eflags::IF)) {
    c.s.interrupt_shadow = true;
    c.need_attention();
  }
  c.s.flags.bits |= eflags::IF;
  c.s.eip += i.len;
  return Status::EndBlock;
}

// SAHF   — SF ZF AF PF CF from AH
Status sahf(Cpu& c, const DecodedInsn&) {
  const u32 ah = (c.s.gpr[EAX] >> 8) & 0xFF;
  c.s.flags.set_arith(eflags::SF | eflags::ZF | eflags::AF | eflags::PF | eflags::CF, ah);
  return Status::Ok;
}
// LAHF   — AH = SF ZF 0 AF 0 PF 1 CF
Status lahf(Cpu& c, const DecodedInsn&) {
  const u32 f = c.s.flags.value() & 0xD7;
  set_r8(c, 4, static_cast<u8>(f | 0x02));
  return Status::Ok;
}

// HLT   — privileged (checked by the VMM gate). The CPU sleeps until an interrupt.
Status hlt(Cpu& c, const DecodedInsn& i) {
  c.s.eip += i.len;
  c.s.halted = true;
  c.need_attention();
  return Status::Halted;
}

// IN AL/AX/EAX, imm8 / DX
template <typename T, bool Dx>
Status in(Cpu& c, const DecodedInsn& i) {
  const u16 port = Dx ? static_cast<u16>(c.s.gpr[EDX]) : static_cast<u16>(i.imm & 0xFF);
  if (!c.io_allowed(port, sizeof(T))) return Status::Fault;
  set_reg<T>(c, EAX, static_cast<T>(c.bus.port_read(port, sizeof(T))));
  return Status::Ok;
}
// OUT imm8 / DX, AL/AX/EAX   — ends the block: a device may raise an interrupt or stop the machine.
template <typename T, bool Dx>
Status out(Cpu& c, const DecodedInsn& i) {
  const u16 port = Dx ? static_cast<u16>(c.s.gpr[EDX]) : static_cast<u16>(i.imm & 0xFF);
  if (!c.io_allowed(port, sizeof(T))) return Status::Fault;
  c.bus.port_write(port, sizeof(T), get_reg<T>(c, EAX));
  c.s.eip += i.len;
  return Status::EndBlock;
}

}  // namespace

Handler select_control(const DecodedInsn& i) {
  const bool w8 = operand_width(i) == 1;
  const bool dx = i.entry->operands[0] == Operand::DX || i.entry->operands[1] == Operand::DX;
  switch (i.entry->op) {
    case Op::Jcc: return jcc;
    case Op::Jmp: return jmp_rel;
    case Op::JmpIndirect: return i.op32 ? jmp_indirect<u32> : jmp_indirect<u16>;
    case Op::Call: return i.op32 ? call_rel<u32> : call_rel<u16>;
    case Op::CallIndirect: return i.op32 ? call_indirect<u32> : call_indirect<u16>;
    case Op::Ret: return i.op32 ? ret_near<u32> : ret_near<u16>;
    case Op::Loop: return loop<LoopKind::Loop>;
    case Op::Loope: return loop<LoopKind::Loope>;
    case Op::Loopne: return loop<LoopKind::Loopne>;
    case Op::Jcxz: return loop<LoopKind::Jcxz>;
    case Op::Clc: return clc;
    case Op::Stc: return stc;
    case Op::Cmc: return cmc;
    case Op::Cld: return cld;
    case Op::Std: return std_;
    case Op::Cli: return cli;
    case Op::Sti: return sti;
    case Op::Sahf: return sahf;
    case Op::Lahf: return lahf;
    case Op::Hlt: return hlt;
    case Op::In:
      if (dx) return w8 ? in<u8, true> : i.op32 ? in<u32, true> : in<u16, true>;
      return w8 ? in<u8, false> : i.op32 ? in<u32, false> : in<u16, false>;
    case Op::Out: {
      const bool b = i.entry->operands[1] == Operand::AL;
      if (dx) return b ? out<u8, true> : i.op32 ? out<u32, true> : out<u16, true>;
      return b ? out<u8, false> : i.op32 ? out<u32, false> : out<u16, false>;
    }
    default: return nullptr;
  }
}

}  // namespace emu::sem
