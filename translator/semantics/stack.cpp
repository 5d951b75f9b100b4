// Stack instructions (SDM Vol. 2: PUSH, POP, PUSHA, POPA, PUSHF, POPF, ENTER, LEAVE).
#include "translator/semantics/semantics.h"

namespace emu::sem {

namespace {

// PUSH r16/r32 (50+r)   — PUSH ESP pushes the value before the push.
template <typename T>
Status push_reg(Cpu& c, const DecodedInsn& i) {
  return c.push<T>(get_reg<T>(c, i.opcode & 7)) ? Status::Ok : Status::Fault;
}
// PUSH imm
template <typename T>
Status push_imm(Cpu& c, const DecodedInsn& i) {
  return c.push<T>(static_cast<T>(i.imm)) ? Status::Ok : Status::Fault;
}
// PUSH r/m
template <typename T>
Status push_rm(Cpu& c, const DecodedInsn& i) {
  T v;
  if (!read_rm<T>(c, i, v)) return Status::Fault;
  return c.push<T>(v) ? Status::Ok : Status::Fault;
}
// POP r16/r32 (58+r)   — POP ESP loads the popped value into ESP.
template <typename T>
Status pop_reg(Cpu& c, const DecodedInsn& i) {
  T v;
  if (!c.pop<T>(v)) return Status::Fault;
  set_reg<T>(c, i.opcode & 7, v);
  return Status::Ok;
}
// POP r/m   — an ESP-based destination address is computed after ESP is incremented.
template <typename T>
Status pop_rm(Cpu& c, const DecodedInsn& i) {
  T v;
  if (!c.read<T>(Seg::SS, c.sp(), v)) return Status::Fault;
  const u32 old_esp = c.s.gpr[ESP];
  c.set_sp(c.sp() + sizeof(T));
  if (!write_rm<T>(c, i, v)) {
    c.s.gpr[ESP] = old_esp;
    return Status::Fault;
  }
  return Status::Ok;
}

// PUSHA / PUSHAD
template <typename T>
Status pusha(Cpu& c, const DecodedInsn&) {
  const u32 top = (c.sp() - 8 * sizeof(T)) & c.sp_mask();
  if (!c.probe_write(Seg::SS, top, 8 * sizeof(T), sizeof(T))) return Status::Fault;
  const T original_sp = get_reg<T>(c, ESP);
  for (u8 r = EAX; r <= EDI; ++r) c.push<T>(r == ESP ? original_sp : get_reg<T>(c, r));
  return Status::Ok;
}
// POPA / POPAD   — the saved eSP is discarded.
template <typename T>
Status popa(Cpu& c, const DecodedInsn&) {
  T v[8];
  const u32 base = c.sp();
  for (int k = 0; k < 8; ++k)
    if (!c.read<T>(Seg::SS, (base + k * sizeof(T)) & c.sp_mask(), v[k])) return Status::Fault;
  for (int k = 0; k < 8; ++k)
    if (7 - k != ESP) set_reg<T>(c, static_cast<u8>(7 - k), v[k]);
  c.set_sp(base + 8 * sizeof(T));
  return Status::Ok;
}

// PUSHF / PUSHFD   — VM and RF are cleared in the image. In V86 mode IOPL must be 3.
template <typename T>
Status pushf(Cpu& c, const DecodedInsn&) {
  if (c.s.v86() && c.s.iopl() < 3) return c.raise(kGP, 0);
  const u32 f = c.s.flags.value() & ~(eflags::VM | eflags::RF);
  return c.push<T>(static_cast<T>(f)) ? Status::Ok : Status::Fault;
}

// POPF / POPFD   — which bits change depends on mode, CPL and IOPL (SDM Vol. 2B, POPF).
template <typename T>
Status popf(Cpu& c, const DecodedInsn& i) {
  if (c.s.v86() && c.s.iopl() < 3) return c.raise(kGP, 0);
  T v;
  if (!c.pop<T>(v)) return Status::Fault;
  u32 mask = eflags::kWritable & ~(eflags::VM | eflags::VIP | eflags::VIF | eflags::RF);
  if (c.s.protected_mode()) {
    if (c.s.v86() || c.s.cpl > 0) mask &= ~eflags::IOPL;
    if (!c.s.v86() && c.s.cpl > c.s.iopl()) mask &= ~eflags::IF;
  }
  if constexpr (sizeof(T) == 2) mask &= 0xFFFF;
  c.set_eflags(v, mask);
  // End the block so the dispatcher sees a new IF or TF at once.
  c.s.eip += i.len;
  return Status::EndBlock;
}

// ENTER imm16, imm8   (SDM Vol. 2A, ENTER: nesting level taken modulo 32)
template <typename T>
Status enter(Cpu& c, const DecodedInsn& i) {
  const u32 size = i.imm & 0xFFFF;
  const u32 level = i.imm2 & 31;
  const u32 mask = c.sp_mask();
  const u32 sp = c.sp();
  // First pass: read the display entries and check the whole area that will be written, so a
  // fault leaves everything unchanged.
  T display[32];
  u32 ebp = c.s.gpr[EBP] & mask;
  for (u32 k = 1; k < level; ++k) {
    ebp = (ebp - sizeof(T)) & mask;
    if (!c.read<T>(Seg::SS, ebp, display[k])) return Status::Fault;
  }
  const u32 pushes = 1 + (level > 0 ? level : 0);
  const u32 frame_temp = (sp - sizeof(T)) & mask;
  const u32 new_sp = (sp - pushes * sizeof(T) - size) & mask;
  if (!c.probe_write(Seg::SS, (sp - pushes * sizeof(T)) & mask, pushes * sizeof(T), sizeof(T))) return Status::Fault;
  // The final ESP must also be a valid stack address (the SDM's "IF ... #SS(0)" check).
  if (size && !c.check_segment(Seg::SS, new_sp, 1, true)) return Status::Fault;
  // Commit in the processor's order: each display entry is read just before it is pushed, so
  // when the new frame overlaps the old display the copies see the pushes before them. The
  // first pass above already proved every read and write succeeds.
  c.push<T>(get_reg<T>(c, EBP));
  ebp = c.s.gpr[EBP] & mask;
  for (u32 k = 1; k < level; ++k) {
    ebp = (ebp - sizeof(T)) & mask;
    c.read<T>(Seg::SS, ebp, display[k]);
    c.push<T>(display[k]);
  }
  if (level > 0) c.push<T>(static_cast<T>(frame_temp));
  if (c.s.stack32())
    c.s.gpr[EBP] = frame_temp;
  else
    set_reg<u16>(c, EBP, static_cast<u16>(frame_temp));
  c.set_sp(new_sp);
  return Status::Ok;
}

// LEAVE   — eSP = eBP; pop eBP
template <typename T>
Status leave(Cpu& c, const DecodedInsn&) {
  const u32 frame = c.s.gpr[EBP] & c.sp_mask();
  T v;
  if (!c.read<T>(Seg::SS, frame, v)) return Status::Fault;
  c.set_sp(frame + sizeof(T));
  set_reg<T>(c, EBP, v);
  return Status::Ok;
}

Seg fixed_segment(const DecodedInsn& i) {
  switch (i.entry->operands[0]) {
    case Operand::ES: return Seg::ES;
    case Operand::CS: return Seg::CS;
    case Operand::SS: return Seg::SS;
    case Operand::DS: return Seg::DS;
    case Operand::FS: return Seg::FS;
    default: return Seg::GS;
  }
}

// PUSH ES/CS/SS/DS/FS/GS   — with a 32-bit operand, ESP moves by 4 but only the selector's 16
// bits are written, as current Intel processors do (SDM Vol. 2B, PUSH).
template <typename T>
Status push_seg(Cpu& c, const DecodedInsn& i) {
  const u16 sel = c.s.sreg(fixed_segment(i)).selector;
  const u32 nsp = (c.sp() - sizeof(T)) & c.sp_mask();
  if (!c.probe_write(Seg::SS, nsp, sizeof(T), sizeof(T))) return Status::Fault;
  c.write<u16>(Seg::SS, nsp, sel);
  c.set_sp(nsp);
  return Status::Ok;
}
// POP ES/SS/DS/FS/GS   — POP SS holds off interrupts for one instruction.
template <typename T>
Status pop_seg(Cpu& c, const DecodedInsn& i) {
  T v;
  const u32 sp = c.sp();
  const u32 mask = c.sp_mask();
  if (!c.read<T>(Seg::SS, sp, v)) return Status::Fault;
  const Seg s = fixed_segment(i);
  if (!c.load_segment(s, static_cast<u16>(v))) return Status::Fault;
  if (mask == 0xFFFFFFFFu)
    c.s.gpr[ESP] = sp + sizeof(T);
  else
    c.s.gpr[ESP] = (c.s.gpr[ESP] & 0xFFFF0000u) | ((sp + sizeof(T)) & 0xFFFF);
  if (s == Seg::SS) {
    c.s.interrupt_shadow = true;
    c.need_attention();
    c.s.eip += i.len;
    return Status::EndBlock;
  }
  return Status::Ok;
}

}  // namespace

Handler select_stack(const DecodedInsn& i) {
  using enum Operand;
  const Operand a = i.entry->operands[0];
  const bool o32 = i.op32;
  switch (i.entry->op) {
    case Op::Push:
      if (a == Zv) return o32 ? push_reg<u32> : push_reg<u16>;
      if (a == Iv || a == Ibs) return o32 ? push_imm<u32> : push_imm<u16>;
      return o32 ? push_rm<u32> : push_rm<u16>;
    case Op::Pop:
      if (a == Zv) return o32 ? pop_reg<u32> : pop_reg<u16>;
      return o32 ? pop_rm<u32> : pop_rm<u16>;
    case Op::Pusha: return o32 ? pusha<u32> : pusha<u16>;
    case Op::Popa: return o32 ? popa<u32> : popa<u16>;
    case Op::Pushf: return o32 ? pushf<u32> : pushf<u16>;
    case Op::Popf: return o32 ? popf<u32> : popf<u16>;
    case Op::Enter: return o32 ? enter<u32> : enter<u16>;
    case Op::Leave: return o32 ? leave<u32> : leave<u16>;
    case Op::PushSeg: return o32 ? push_seg<u32> : push_seg<u16>;
    case Op::PopSeg: return o32 ? pop_seg<u32> : pop_seg<u16>;
    default: return nullptr;
  }
}

}  // namespace emu::sem
