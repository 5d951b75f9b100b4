// Far control transfers, interrupts and segment-register loads (SDM Vol. 2A/2B: JMP, CALL, RET,
// IRET, INT n/INTO/INT3/INT1, BOUND, MOV to/from Sreg, LDS/LES/LFS/LGS/LSS; Vol. 3A, chapter 5
// "Protection" and 7.3 "Task Switching").
//
// In real and V86 mode a far transfer loads CS as base = selector << 4. In protected mode the
// target selector may name a code segment, a call gate, a TSS or a task gate, and every CS load
// sets the CPL. Each handler checks everything first and commits last, so a fault leaves the
// state as before the instruction; the exception is a task switch, whose later faults belong to
// the new task (core/task_switch.cpp).
#include "translator/semantics/semantics.h"

namespace emu::sem {

namespace {

constexpr u16 index_error(u16 selector) { return selector & 0xFFFC; }
bool is_null(u16 selector) { return (selector & 0xFFFC) == 0; }
bool real_or_v86(const Cpu& c) { return !c.s.protected_mode() || c.s.v86(); }
bool conforming(const SegmentCache& cs) { return cs.attrs & desc::kExpandDown; }
bool present(u64 d) { return d & (u64{1} << 47); }
u8 system_type(u64 d) { return (d >> 40) & 0x1F; }  // S bit and type: 0x0X for system descriptors
u8 descriptor_dpl(u64 d) { return (d >> 45) & 3; }

// EIP of the next instruction, wrapped to the code segment's size (not the operand size: a
// 16-bit far call in 32-bit code still returns to a 32-bit EIP, of which it pushes the low half).
u32 next_ip(const Cpu& c, const DecodedInsn& i) {
  const u32 n = c.s.eip + i.len;
  return c.s.code32() ? n : n & 0xFFFF;
}

// System descriptor types (SDM Vol. 3A, Table 3-2), with S = 0.
enum : u8 {
  kTss16Available = 0x01,
  kTss16Busy = 0x03,
  kCallGate16 = 0x04,
  kTaskGate = 0x05,
  kTss32Available = 0x09,
  kTss32Busy = 0x0B,
  kCallGate32 = 0x0C,
};

// Makes `cs` the code segment at privilege `cpl`: the selector's RPL becomes the CPL.
void commit_cs(Cpu& c, SegmentCache cs, u16 selector, u8 cpl) {
  cs.selector = static_cast<u16>((selector & 0xFFFC) | cpl);
  cs.attrs |= desc::kAccessed;
  c.s.sreg(Seg::CS) = cs;
  c.set_cpl(cpl);
}

// After a return to an outer privilege level, data segment registers the new CPL may not use
// are loaded with null, so that the less privileged code cannot use them (SDM Vol. 2B, RET,
// "RETURN-TO-OUTER-PRIVILEGE-LEVEL"; IRET likewise).
void null_inaccessible_segments(Cpu& c) {
  for (Seg s : {Seg::ES, Seg::DS, Seg::FS, Seg::GS}) {
    SegmentCache& sc = c.s.sreg(s);
    if (!sc.usable) continue;
    const bool conforming_code = sc.is_code() && conforming(sc);
    if (!conforming_code && sc.dpl() < c.s.cpl) {
      sc.selector = 0;
      sc.usable = false;
      sc.refresh_bounds();
    }
  }
}

// ---- JMP/CALL to a TSS or through a task gate ----------------------------------------------------

// SDM Vol. 2A, JMP and CALL, "TASK-GATE" and "TASK-STATE-SEGMENT".
Status far_task_switch(Cpu& c, u16 selector, u64 d, Cpu::TaskSwitchSource source, u32 return_eip) {
  const u8 type = system_type(d);
  const u8 dpl = descriptor_dpl(d);
  if (dpl < c.s.cpl || dpl < (selector & 3)) return c.raise(kGP, index_error(selector));
  if (type == kTaskGate) {
    if (!present(d)) return c.raise(kNP, index_error(selector));
    const u16 tss = static_cast<u16>(d >> 16);
    if (tss & 4) return c.raise(kGP, index_error(tss));  // a TSS descriptor lives in the GDT
    if (!c.read_descriptor(tss, d)) return Status::Fault;
    selector = tss;
    if (system_type(d) != kTss16Available && system_type(d) != kTss32Available)
      return c.raise(kGP, index_error(selector));
  } else if (type != kTss16Available && type != kTss32Available) {
    return c.raise(kGP, index_error(selector));  // busy: a task cannot be re-entered
  }
  if (!present(d)) return c.raise(kNP, index_error(selector));
  return c.task_switch(selector, d, source, return_eip) ? Status::Jumped : Status::Fault;
}

// ---- JMP far ---------------------------------------------------------------------------------

// The checks on a code segment named directly by a far JMP or CALL (not through a gate): it
// must be code, present, and at the current privilege — any DPL <= CPL for conforming code,
// DPL = CPL and RPL <= CPL otherwise (SDM Vol. 2A, JMP/CALL "far" operation).
bool check_direct_code_target(Cpu& c, u16 selector, const SegmentCache& cs) {
  const u8 cpl = c.s.cpl;
  if (!cs.is_code()) return c.fault(kGP, index_error(selector));
  if (conforming(cs) ? cs.dpl() > cpl : ((selector & 3) > cpl || cs.dpl() != cpl))
    return c.fault(kGP, index_error(selector));
  if (!(cs.attrs & desc::kPresent)) return c.fault(kNP, index_error(selector));
  return true;
}

// The common part of JMP ptr16:16/32 and JMP m16:16/32: `offset` is already cut to the operand
// size (SDM Vol. 2A, JMP, far jumps).
Status jump_far(Cpu& c, const DecodedInsn& i, u16 selector, u32 offset) {
  if (real_or_v86(c)) {
    if (offset > c.s.sreg(Seg::CS).limit) return c.raise(kGP, 0);
    c.load_segment_real(Seg::CS, selector);
    c.s.eip = offset;
    return Status::Jumped;
  }
  if (is_null(selector)) return c.raise(kGP, 0);
  u64 d;
  if (!c.read_descriptor(selector, d)) return Status::Fault;
  const u8 cpl = c.s.cpl;
  if (d & (u64{1} << 44)) {
    // Code or data segment.
    SegmentCache cs = Cpu::cache_from_descriptor(selector, d);
    if (!check_direct_code_target(c, selector, cs)) return Status::Fault;
    if (offset > cs.limit) return c.raise(kGP, 0);
    if (!c.mark_accessed(selector, d)) return Status::Fault;
    commit_cs(c, cs, selector, cpl);
    c.s.eip = offset;
    return Status::Jumped;
  }
  const u8 type = system_type(d);
  if (type == kCallGate16 || type == kCallGate32) {
    // Through a call gate: no privilege change for JMP (SDM Vol. 2A, JMP, "CALL-GATE").
    const u8 gate_dpl = descriptor_dpl(d);
    if (gate_dpl < cpl || gate_dpl < (selector & 3)) return c.raise(kGP, index_error(selector));
    if (!present(d)) return c.raise(kNP, index_error(selector));
    const u16 target_sel = static_cast<u16>(d >> 16);
    u32 target = static_cast<u32>(d & 0xFFFF);
    if (type == kCallGate32) target |= static_cast<u32>(d >> 32) & 0xFFFF0000u;
    if (is_null(target_sel)) return c.raise(kGP, 0);
    u64 td;
    if (!c.read_descriptor(target_sel, td)) return Status::Fault;
    SegmentCache cs = Cpu::cache_from_descriptor(target_sel, td);
    if (!cs.is_code() || (conforming(cs) ? cs.dpl() > cpl : cs.dpl() != cpl))
      return c.raise(kGP, index_error(target_sel));
    if (!(cs.attrs & desc::kPresent)) return c.raise(kNP, index_error(target_sel));
    if (target > cs.limit) return c.raise(kGP, 0);
    if (!c.mark_accessed(target_sel, td)) return Status::Fault;
    commit_cs(c, cs, target_sel, cpl);
    c.s.eip = target;
    return Status::Jumped;
  }
  if (type == kTaskGate || type == kTss16Available || type == kTss32Available || type == kTss16Busy ||
      type == kTss32Busy)
    return far_task_switch(c, selector, d, Cpu::TaskSwitchSource::Jump, next_ip(c, i));
  return c.raise(kGP, index_error(selector));
}

// JMP ptr16:16 / JMP ptr16:32 (EA)
Status jmp_far_direct(Cpu& c, const DecodedInsn& i) { return jump_far(c, i, static_cast<u16>(i.imm2), i.imm); }

// Reads a far pointer m16:16 / m16:32: the offset, then the selector.
template <typename T>
bool read_far_pointer(Cpu& c, const DecodedInsn& i, u16& selector, u32& offset) {
  const u32 ea = effective_address(c, i);
  const u32 sel_at = i.addr32 ? ea + sizeof(T) : (ea + sizeof(T)) & 0xFFFF;
  T off;
  if (!c.read<T>(i.seg, ea, off) || !c.read<u16>(i.seg, sel_at, selector)) return false;
  offset = off;
  return true;
}

// JMP m16:16 / JMP m16:32 (FF /5)
template <typename T>
Status jmp_far_indirect(Cpu& c, const DecodedInsn& i) {
  u16 selector;
  u32 offset;
  if (!read_far_pointer<T>(c, i, selector, offset)) return Status::Fault;
  return jump_far(c, i, selector, offset);
}

// ---- CALL far --------------------------------------------------------------------------------

// CALL through a call gate (SDM Vol. 2A, CALL, "CALL-GATE"). To a more privileged non-conforming
// segment the stack switches to the TSS's stack for the new CPL, the gate's parameter count of
// words or dwords is copied from the old stack, and the old SS:ESP are pushed before CS:EIP.
Status call_gate(Cpu& c, const DecodedInsn& i, u16 gate_sel, u64 gate) {
  const u8 cpl = c.s.cpl;
  const bool gate32 = system_type(gate) == kCallGate32;
  const u8 gate_dpl = descriptor_dpl(gate);
  if (gate_dpl < cpl || gate_dpl < (gate_sel & 3)) return c.raise(kGP, index_error(gate_sel));
  if (!present(gate)) return c.raise(kNP, index_error(gate_sel));
  const u16 target_sel = static_cast<u16>(gate >> 16);
  u32 target = static_cast<u32>(gate & 0xFFFF);
  if (gate32) target |= static_cast<u32>(gate >> 32) & 0xFFFF0000u;
  const unsigned params = static_cast<unsigned>(gate >> 32) & 0x1F;
  if (is_null(target_sel)) return c.raise(kGP, 0);
  u64 td;
  if (!c.read_descriptor(target_sel, td)) return Status::Fault;
  SegmentCache cs = Cpu::cache_from_descriptor(target_sel, td);
  if (!cs.is_code() || cs.dpl() > cpl) return c.raise(kGP, index_error(target_sel));
  if (!(cs.attrs & desc::kPresent)) return c.raise(kNP, index_error(target_sel));

  const unsigned width = gate32 ? 4 : 2;
  const u32 return_eip = next_ip(c, i);
  const u16 old_cs = c.s.sreg(Seg::CS).selector;
  if (conforming(cs) || cs.dpl() == cpl) {
    // Same privilege: push the return address with the gate's size.
    const u32 frame[2] = {old_cs, return_eip};
    u32 new_esp;
    if (!c.push_frame(c.s.sreg(Seg::SS), c.s.gpr[ESP], frame, 2, width, c.user(), 0, new_esp)) return Status::Fault;
    if (target > cs.limit) return c.raise(kGP, 0);
    if (!c.mark_accessed(target_sel, td)) return Status::Fault;
    // Nothing written above is visible until ESP moves: the frame lies below the stack pointer.
    c.s.gpr[ESP] = new_esp;
    commit_cs(c, cs, target_sel, cpl);
    c.s.eip = target;
    return Status::Jumped;
  }

  // More privilege: new stack from the TSS.
  const u8 new_cpl = cs.dpl();
  u16 ss_sel;
  u32 esp;
  if (!c.tss_stack(new_cpl, ss_sel, esp)) return Status::Fault;
  SegmentCache ss;
  if (!c.check_stack_selector(ss_sel, new_cpl, kTS, 0, ss)) return Status::Fault;
  u32 frame[4 + 31];
  unsigned count = 0;
  frame[count++] = c.s.sreg(Seg::SS).selector;
  frame[count++] = c.s.gpr[ESP];
  // Parameters keep their order: the one at the highest address of the old stack goes highest.
  const u32 old_sp = c.sp();
  const u32 mask = c.sp_mask();
  for (unsigned k = params; k-- > 0;) {
    const u32 at = (old_sp + k * width) & mask;
    if (gate32) {
      if (!c.read<u32>(Seg::SS, at, frame[count])) return Status::Fault;
    } else {
      u16 w;
      if (!c.read<u16>(Seg::SS, at, w)) return Status::Fault;
      frame[count] = w;
    }
    ++count;
  }
  frame[count++] = old_cs;
  frame[count++] = return_eip;
  if (target > cs.limit) return c.raise(kGP, 0);
  u32 new_esp;
  if (!c.push_frame(ss, esp, frame, count, width, new_cpl == 3, index_error(ss_sel), new_esp)) return Status::Fault;
  if (!c.mark_accessed(target_sel, td)) return Status::Fault;
  c.s.sreg(Seg::SS) = ss;
  c.s.gpr[ESP] = new_esp;
  commit_cs(c, cs, target_sel, new_cpl);
  c.s.eip = target;
  return Status::Jumped;
}

// The common part of CALL ptr16:16/32 and CALL m16:16/32 (SDM Vol. 2A, CALL, far calls).
template <typename T>
Status call_far(Cpu& c, const DecodedInsn& i, u16 selector, u32 offset) {
  const u32 return_eip = next_ip(c, i);
  const u16 old_cs = c.s.sreg(Seg::CS).selector;
  const u32 frame[2] = {old_cs, return_eip};
  u32 new_esp;
  if (real_or_v86(c)) {
    if (!c.push_frame(c.s.sreg(Seg::SS), c.s.gpr[ESP], frame, 2, sizeof(T), c.user(), 0, new_esp)) return Status::Fault;
    if (offset > c.s.sreg(Seg::CS).limit) return c.raise(kGP, 0);
    c.s.gpr[ESP] = new_esp;
    c.load_segment_real(Seg::CS, selector);
    c.s.eip = offset;
    return Status::Jumped;
  }
  if (is_null(selector)) return c.raise(kGP, 0);
  u64 d;
  if (!c.read_descriptor(selector, d)) return Status::Fault;
  const u8 cpl = c.s.cpl;
  if (d & (u64{1} << 44)) {
    SegmentCache cs = Cpu::cache_from_descriptor(selector, d);
    if (!check_direct_code_target(c, selector, cs)) return Status::Fault;
    if (!c.push_frame(c.s.sreg(Seg::SS), c.s.gpr[ESP], frame, 2, sizeof(T), c.user(), 0, new_esp)) return Status::Fault;
    if (offset > cs.limit) return c.raise(kGP, 0);
    if (!c.mark_accessed(selector, d)) return Status::Fault;
    c.s.gpr[ESP] = new_esp;
    commit_cs(c, cs, selector, cpl);
    c.s.eip = offset;
    return Status::Jumped;
  }
  const u8 type = system_type(d);
  if (type == kCallGate16 || type == kCallGate32) return call_gate(c, i, selector, d);
  if (type == kTaskGate || type == kTss16Available || type == kTss32Available || type == kTss16Busy ||
      type == kTss32Busy)
    return far_task_switch(c, selector, d, Cpu::TaskSwitchSource::Call, return_eip);
  return c.raise(kGP, index_error(selector));
}

// CALL ptr16:16 / CALL ptr16:32 (9A)
template <typename T>
Status call_far_direct(Cpu& c, const DecodedInsn& i) {
  return call_far<T>(c, i, static_cast<u16>(i.imm2), i.imm);
}

// CALL m16:16 / CALL m16:32 (FF /3)
template <typename T>
Status call_far_indirect(Cpu& c, const DecodedInsn& i) {
  u16 selector;
  u32 offset;
  if (!read_far_pointer<T>(c, i, selector, offset)) return Status::Fault;
  return call_far<T>(c, i, selector, offset);
}

// ---- RETF and IRET -------------------------------------------------------------------------

// Reads `count` stack slots of type T starting at SP (with 16-bit wrap on a 16-bit stack).
template <typename T>
bool read_stack(Cpu& c, unsigned first, unsigned count, u32* out) {
  for (unsigned k = 0; k < count; ++k) {
    T v;
    if (!c.read<T>(Seg::SS, (c.sp() + (first + k) * sizeof(T)) & c.sp_mask(), v)) return false;
    out[k] = v;
  }
  return true;
}

// The checks on the CS popped by RETF or IRET in protected mode (SDM Vol. 2B, RET and IRET,
// "PROTECTED-MODE-RETURN"): not null, a code segment, RPL >= CPL, DPL = RPL (non-conforming) or
// DPL <= RPL (conforming), present.
bool check_return_cs(Cpu& c, u16 selector, u64& d, SegmentCache& cs) {
  if (is_null(selector)) return c.fault(kGP, 0);
  if (!c.read_descriptor(selector, d)) return false;
  cs = Cpu::cache_from_descriptor(selector, d);
  const u8 rpl = selector & 3;
  if (!cs.is_code() || rpl < c.s.cpl || (conforming(cs) ? cs.dpl() > rpl : cs.dpl() != rpl))
    return c.fault(kGP, index_error(selector));
  if (!(cs.attrs & desc::kPresent)) return c.fault(kNP, index_error(selector));
  return true;
}

// Sets ESP after a return onto the stack `ss`: SP only when that stack is 16-bit.
void set_stack_pointer(Cpu& c, u32 value) {
  if (c.s.stack32())
    c.s.gpr[ESP] = value;
  else
    c.s.gpr[ESP] = (c.s.gpr[ESP] & 0xFFFF0000u) | (value & 0xFFFF);
}

// RETF / RETF imm16 (CB, CA)
template <typename T>
Status ret_far(Cpu& c, const DecodedInsn& i) {
  const u32 release = i.imm & 0xFFFF;
  u32 popped[4];
  if (!read_stack<T>(c, 0, 2, popped)) return Status::Fault;
  const u32 offset = popped[0];
  const u16 selector = static_cast<u16>(popped[1]);
  if (real_or_v86(c)) {
    if (offset > c.s.sreg(Seg::CS).limit) return c.raise(kGP, 0);
    c.load_segment_real(Seg::CS, selector);
    c.s.eip = offset;
    c.set_sp(c.sp() + 2 * sizeof(T) + release);
    return Status::Jumped;
  }
  u64 d;
  SegmentCache cs;
  if (!check_return_cs(c, selector, d, cs)) return Status::Fault;
  const u8 rpl = selector & 3;
  if (rpl == c.s.cpl) {
    if (offset > cs.limit) return c.raise(kGP, 0);
    if (!c.mark_accessed(selector, d)) return Status::Fault;
    commit_cs(c, cs, selector, rpl);
    c.s.eip = offset;
    c.set_sp(c.sp() + 2 * sizeof(T) + release);
    return Status::Jumped;
  }
  // To an outer level: the caller's SS:ESP lie above the released parameters.
  u32 outer[2];
  for (unsigned k = 0; k < 2; ++k) {
    T v;
    if (!c.read<T>(Seg::SS, (c.sp() + (2 + k) * sizeof(T) + release) & c.sp_mask(), v)) return Status::Fault;
    outer[k] = v;
  }
  SegmentCache ss;
  if (!c.check_stack_selector(static_cast<u16>(outer[1]), rpl, kGP, 0, ss)) return Status::Fault;
  if (offset > cs.limit) return c.raise(kGP, 0);
  if (!c.mark_accessed(selector, d)) return Status::Fault;
  commit_cs(c, cs, selector, rpl);
  c.s.eip = offset;
  c.s.sreg(Seg::SS) = ss;
  set_stack_pointer(c, outer[0] + release);
  null_inaccessible_segments(c);
  return Status::Jumped;
}

// IRET / IRETD (CF) — SDM Vol. 2A, IRET/IRETD.
template <typename T>
Status iret(Cpu& c, const DecodedInsn& i) {
  constexpr unsigned w = sizeof(T);
  constexpr u32 size_mask = w == 4 ? 0xFFFFFFFFu : 0xFFFFu;
  if (c.s.protected_mode() && !c.s.v86() && (c.s.flags.bits & eflags::NT)) {
    // Return from a nested task: switch back to the task named by this TSS's back link.
    u32 link;
    if (!c.read_system(c.s.tr.base, 2, link)) return Status::Fault;
    const u16 selector = static_cast<u16>(link);
    if (selector & 4) return c.raise(kTS, index_error(selector));
    u64 d;
    if (!c.read_descriptor(selector, d, kTS)) return Status::Fault;
    if (system_type(d) != kTss16Busy && system_type(d) != kTss32Busy) return c.raise(kTS, index_error(selector));
    if (!present(d)) return c.raise(kNP, index_error(selector));
    return c.task_switch(selector, d, Cpu::TaskSwitchSource::Iret, next_ip(c, i)) ? Status::Jumped : Status::Fault;
  }

  u32 frame[3];
  if (!read_stack<T>(c, 0, 3, frame)) return Status::Fault;
  const u32 offset = frame[0];
  const u16 selector = static_cast<u16>(frame[1]);
  const u32 new_flags = frame[2];

  if (!c.s.protected_mode()) {
    // Real mode: EFLAGS ← (tempEFLAGS AND 257FD5H) OR (EFLAGS AND 1A0000H) for IRETD.
    if (offset > c.s.sreg(Seg::CS).limit) return c.raise(kGP, 0);
    c.load_segment_real(Seg::CS, selector);
    c.s.eip = offset;
    c.set_sp(c.sp() + 3 * w);
    c.set_eflags(new_flags, 0x257FD5u & size_mask);
    return Status::Jumped;
  }
  if (c.s.v86()) {
    // V86 mode: allowed only with IOPL = 3; VM, IOPL, VIF and VIP do not change.
    if (c.s.iopl() < 3) return c.raise(kGP, 0);
    if (offset > c.s.sreg(Seg::CS).limit) return c.raise(kGP, 0);
    c.load_segment_real(Seg::CS, selector);
    c.s.eip = offset;
    c.set_sp(c.sp() + 3 * w);
    c.set_eflags(new_flags, eflags::kWritable & ~(eflags::VM | eflags::IOPL | eflags::VIF | eflags::VIP) & size_mask);
    return Status::Jumped;
  }

  if constexpr (w == 4) {
    if ((new_flags & eflags::VM) && c.s.cpl == 0) {
      // Return to V86 mode: ESP, SS, ES, DS, FS, GS follow on the stack (SDM Vol. 2A, IRET,
      // "RETURN-TO-VIRTUAL-8086-MODE").
      u32 rest[6];
      if (!read_stack<u32>(c, 3, 6, rest)) return Status::Fault;
      c.set_eflags(new_flags, eflags::kWritable);  // VM = 1: now CPL 3 (Cpu::mode_changed)
      c.load_segment_real(Seg::CS, selector);
      c.load_segment_real(Seg::SS, static_cast<u16>(rest[1]));
      c.load_segment_real(Seg::ES, static_cast<u16>(rest[2]));
      c.load_segment_real(Seg::DS, static_cast<u16>(rest[3]));
      c.load_segment_real(Seg::FS, static_cast<u16>(rest[4]));
      c.load_segment_real(Seg::GS, static_cast<u16>(rest[5]));
      c.s.gpr[ESP] = rest[0];
      c.s.eip = offset & 0xFFFF;
      return Status::Jumped;
    }
  }

  u64 d;
  SegmentCache cs;
  if (!check_return_cs(c, selector, d, cs)) return Status::Fault;
  const u8 rpl = selector & 3;
  const u8 old_cpl = c.s.cpl;
  // Which EFLAGS bits IRET may change depends on the CPL before the return (SDM Vol. 2A, IRET).
  u32 mask = eflags::kArith | eflags::TF | eflags::DF | eflags::NT;
  if constexpr (w == 4) mask |= eflags::RF | eflags::AC | eflags::ID;
  if (old_cpl <= c.s.iopl()) mask |= eflags::IF;
  if (old_cpl == 0) {
    mask |= eflags::IOPL;
    if constexpr (w == 4) mask |= eflags::VIF | eflags::VIP;
  }
  if (rpl == old_cpl) {
    if (offset > cs.limit) return c.raise(kGP, 0);
    if (!c.mark_accessed(selector, d)) return Status::Fault;
    commit_cs(c, cs, selector, rpl);
    c.s.eip = offset;
    c.set_sp(c.sp() + 3 * w);
    c.set_eflags(new_flags, mask);
    return Status::Jumped;
  }
  // Return to an outer privilege level: SS:ESP follow.
  u32 outer[2];
  if (!read_stack<T>(c, 3, 2, outer)) return Status::Fault;
  SegmentCache ss;
  if (!c.check_stack_selector(static_cast<u16>(outer[1]), rpl, kGP, 0, ss)) return Status::Fault;
  if (offset > cs.limit) return c.raise(kGP, 0);
  if (!c.mark_accessed(selector, d)) return Status::Fault;
  c.set_eflags(new_flags, mask);
  commit_cs(c, cs, selector, rpl);
  c.s.eip = offset;
  c.s.sreg(Seg::SS) = ss;
  set_stack_pointer(c, outer[0]);
  null_inaccessible_segments(c);
  return Status::Jumped;
}

// ---- software interrupts -------------------------------------------------------------------

Status software_interrupt(Cpu& c, const DecodedInsn& i, u8 vector, EventKind kind) {
  if (!c.deliver(vector, kind, false, 0, next_ip(c, i))) return Status::Fault;
  return Status::Jumped;
}

// INT imm8 (CD) — IOPL-sensitive in V86 mode (no VME): #GP(0) unless IOPL = 3.
Status int_n(Cpu& c, const DecodedInsn& i) {
  if (c.s.protected_mode() && c.s.v86() && c.s.iopl() < 3) return c.raise(kGP, 0);
  return software_interrupt(c, i, static_cast<u8>(i.imm), EventKind::Software);
}
// INT3 (CC) — the breakpoint trap; not IOPL-sensitive, but the gate DPL is checked.
Status int3(Cpu& c, const DecodedInsn& i) { return software_interrupt(c, i, kBP, EventKind::Software); }
// INTO (CE) — #OF trap when OF = 1.
Status into(Cpu& c, const DecodedInsn& i) {
  if (!c.s.flags.of()) return Status::Ok;
  return software_interrupt(c, i, kOF, EventKind::Software);
}
// INT1 / ICEBP (F1) — #DB delivered like a hardware event: no gate DPL check.
Status int1(Cpu& c, const DecodedInsn& i) { return software_interrupt(c, i, kDB, EventKind::Icebp); }

// BOUND r16, m16&16 / BOUND r32, m32&32 (62) — #BR when the index is outside [lower, upper].
template <typename T>
Status bound(Cpu& c, const DecodedInsn& i) {
  const u32 ea = effective_address(c, i);
  const u32 upper_at = i.addr32 ? ea + sizeof(T) : (ea + sizeof(T)) & 0xFFFF;
  T lower, upper;
  if (!c.read<T>(i.seg, ea, lower) || !c.read<T>(i.seg, upper_at, upper)) return Status::Fault;
  const auto index = as_signed(get_reg<T>(c, i.reg));
  if (index < as_signed(lower) || index > as_signed(upper)) return c.raise(kBR);
  return Status::Ok;
}

// ---- segment register moves ----------------------------------------------------------------

// MOV Sreg, r/m16 (8E) — MOV CS is #UD; MOV SS holds off interrupts for one instruction so that
// "mov ss, ax / mov esp, x" cannot be interrupted between the two (SDM Vol. 3A, 6.8.3).
Status mov_to_seg(Cpu& c, const DecodedInsn& i) {
  if (i.reg == static_cast<u8>(Seg::CS) || i.reg >= kSegCount) return c.raise(kUD);
  u16 selector;
  if (!read_rm<u16>(c, i, selector)) return Status::Fault;
  const Seg s = static_cast<Seg>(i.reg);
  if (!c.load_segment(s, selector)) return Status::Fault;
  if (s != Seg::SS) return Status::Ok;
  c.s.interrupt_shadow = true;
  c.need_attention();
  c.s.eip += i.len;
  return Status::EndBlock;
}

// MOV r/m16, Sreg / MOV r32, Sreg (8C) — a memory destination takes 16 bits; a 32-bit register
// gets the selector zero-extended (P6 and later, SDM Vol. 2B, MOV).
Status mov_from_seg(Cpu& c, const DecodedInsn& i) {
  if (i.reg >= kSegCount) return c.raise(kUD);
  const u16 selector = c.s.sreg(static_cast<Seg>(i.reg)).selector;
  if (i.mod == 3) {
    if (i.op32)
      c.s.gpr[i.rm] = selector;
    else
      set_reg<u16>(c, i.rm, selector);
    return Status::Ok;
  }
  return c.write<u16>(i.seg, effective_address(c, i), selector) ? Status::Ok : Status::Fault;
}

// LDS/LES/LFS/LGS/LSS r16, m16:16 / r32, m16:32 — the segment is loaded (and checked) first, so
// a fault leaves the register unchanged.
template <typename T, Seg S>
Status load_far_pointer(Cpu& c, const DecodedInsn& i) {
  u16 selector;
  u32 offset;
  if (!read_far_pointer<T>(c, i, selector, offset)) return Status::Fault;
  if (!c.load_segment(S, selector)) return Status::Fault;
  set_reg<T>(c, i.reg, static_cast<T>(offset));
  return Status::Ok;
}

template <typename T>
Handler load_far_pointer_for(Op op) {
  switch (op) {
    case Op::Lds: return load_far_pointer<T, Seg::DS>;
    case Op::Les: return load_far_pointer<T, Seg::ES>;
    case Op::Lss: return load_far_pointer<T, Seg::SS>;
    case Op::Lfs: return load_far_pointer<T, Seg::FS>;
    default: return load_far_pointer<T, Seg::GS>;
  }
}

}  // namespace

Handler select_farcontrol(const DecodedInsn& i) {
  const bool o32 = i.op32;
  switch (i.entry->op) {
    case Op::JmpFar: return jmp_far_direct;
    case Op::JmpFarIndirect: return o32 ? jmp_far_indirect<u32> : jmp_far_indirect<u16>;
    case Op::CallFar: return o32 ? call_far_direct<u32> : call_far_direct<u16>;
    case Op::CallFarIndirect: return o32 ? call_far_indirect<u32> : call_far_indirect<u16>;
    case Op::RetFar: return o32 ? ret_far<u32> : ret_far<u16>;
    case Op::Iret: return o32 ? iret<u32> : iret<u16>;
    case Op::Int3: return int3;
    case Op::IntN: return int_n;
    case Op::Into: return into;
    case Op::Int1: return int1;
    case Op::Bound: return o32 ? bound<u32> : bound<u16>;
    case Op::MovToSeg: return mov_to_seg;
    case Op::MovFromSeg: return mov_from_seg;
    case Op::Lds:
    case Op::Les:
    case Op::Lss:
    case Op::Lfs:
    case Op::Lgs: return o32 ? load_far_pointer_for<u32>(i.entry->op) : load_far_pointer_for<u16>(i.entry->op);
    default: return nullptr;
  }
}

}  // namespace emu::sem
