// Interrupt and exception delivery: the real-mode IVT, the protected-mode IDT with interrupt,
// trap and task gates, privilege changes with a stack switch (including out of V86 mode), and the
// double-fault / triple-fault rules. SDM Vol. 3A, chapter 6.
#include "core/cpu.h"

namespace emu {

namespace {

// Exception classes for the double-fault rule (SDM Vol. 3A, Table 6-4).
enum class FaultClass { Benign, Contributory, PageFault };
FaultClass classify(u8 vector) {
  switch (vector) {
    case kDE:
    case kTS:
    case kNP:
    case kSS:
    case kGP: return FaultClass::Contributory;
    case kPF: return FaultClass::PageFault;
    default: return FaultClass::Benign;
  }
}

// Table 6-5: which first/second pairs become #DF.
bool is_double_fault(u8 first, u8 second) {
  const FaultClass a = classify(first), b = classify(second);
  if (a == FaultClass::Contributory && b == FaultClass::Contributory) return true;
  if (a == FaultClass::PageFault && b != FaultClass::Benign) return true;
  return false;
}

// A selector error raised while delivering an external event or exception carries the EXT bit;
// a #PF raised on the way keeps its own error code.
void add_ext(PendingException& p, u32 ext) {
  if (p.active && p.has_error && p.vector != kPF) p.error |= ext;
}

}  // namespace

void Cpu::deliver_pending() {
  if (!pending.active) return;
  PendingException current = pending;
  // Exceptions raised while delivering are handled serially, combined into #DF, or end in a
  // triple fault. Benign ones can chain, so the loop is bounded explicitly.
  for (int round = 0; round < 8; ++round) {
    pending = {};
    if (current.vector < 32) ++counters.exceptions[current.vector];
    if (deliver(current.vector, EventKind::Exception, current.has_error, current.error, s.eip)) return;
    const PendingException next = pending;
    if (!next.active) return;
    if (current.vector == kDF) {
      // A fault while delivering #DF shuts the processor down (SDM Vol. 3A, 6.15, Interrupt 8).
      triple_fault = true;
      need_attention();
      ++counters.triple_faults;
      pending = {};
      return;
    }
    if (is_double_fault(current.vector, next.vector))
      current = {true, kDF, true, 0};
    else
      current = next;
  }
  triple_fault = true;
  need_attention();
  ++counters.triple_faults;
  pending = {};
}

bool Cpu::deliver(u8 vector, EventKind kind, bool has_error, u32 error, u32 return_eip) {
  s.halted = false;
  ++counters.events_delivered;
  if (!s.protected_mode()) {
    bool ok = true;
    deliver_real(vector, return_eip, ok);
    return ok;
  }
  return deliver_protected(vector, kind, has_error, error, return_eip);
}

// Real mode: the IVT at IDTR.base holds 4-byte CS:IP vectors; push FLAGS, CS, IP and clear IF,
// TF and AC (SDM Vol. 3A, 21.1.4; Vol. 2A INT n "REAL-ADDRESS-MODE" operation).
void Cpu::deliver_real(u8 vector, u32 return_eip, bool& ok) {
  ok = false;
  const u32 entry = u32{vector} * 4;
  if (entry + 3 > s.idtr.limit) {
    fault(kGP, 0);
    return;
  }
  u32 ivt;
  if (!read_system(s.idtr.base + entry, 4, ivt)) return;
  const u32 nsp = (sp() - 6) & sp_mask();
  if (!probe_write(Seg::SS, nsp, 6)) return;
  const u32 fl = s.flags.value();
  push<u16>(static_cast<u16>(fl));
  push<u16>(s.sreg(Seg::CS).selector);
  push<u16>(static_cast<u16>(return_eip));
  s.flags.bits &= ~(eflags::IF | eflags::TF | eflags::AC | eflags::RF);
  load_segment_real(Seg::CS, static_cast<u16>(ivt >> 16));
  s.eip = ivt & 0xFFFF;
  ok = true;
}

bool Cpu::deliver_protected(u8 vector, EventKind kind, bool has_error, u32 error, u32 return_eip) {
  // The EXT bit of error codes: set when the event came from outside the program (an external
  // interrupt, an exception, INT1), clear for INT n, INT3 and INTO (SDM Vol. 3A, 6.13).
  const u32 ext = (kind == EventKind::Software) ? 0 : 1;
  const u32 idt_error = u32{vector} * 8 + 2 + ext;
  if (u32{vector} * 8 + 7 > s.idtr.limit) return fault(kGP, idt_error);
  u32 lo, hi;
  if (!read_system(s.idtr.base + vector * 8, 4, lo) || !read_system(s.idtr.base + vector * 8 + 4, 4, hi)) return false;
  const u8 gate_type = (hi >> 8) & 0x1F;  // S bit and type: system descriptors have S = 0
  const u8 gate_dpl = (hi >> 13) & 3;
  const bool gate_present = hi & 0x8000;
  const bool gate32 = gate_type & 0x8;
  if (gate_type != 0x5 && gate_type != 0x6 && gate_type != 0x7 && gate_type != 0xE && gate_type != 0xF)
    return fault(kGP, idt_error);
  // Software interrupts may only use gates of DPL >= CPL; hardware events and INT1 skip the check.
  if (kind == EventKind::Software && gate_dpl < s.cpl) return fault(kGP, idt_error);
  if (!gate_present) return fault(kNP, idt_error);

  if (gate_type == 0x5) {
    // Task gate: the selector names an available TSS in the GDT (SDM Vol. 2A, INT n, TASK-GATE).
    const u16 tss_sel = static_cast<u16>(lo >> 16);
    const u32 tss_error = (tss_sel & 0xFFFC) | ext;
    if (tss_sel & 4) return fault(kGP, tss_error);
    u64 d;
    if (!read_descriptor(tss_sel, d)) {
      add_ext(pending, ext);
      return false;
    }
    const u8 type = (d >> 40) & 0x1F;
    if (type != 0x01 && type != 0x09) return fault(kGP, tss_error);  // busy or not a TSS
    if (!(d & (u64{1} << 47))) return fault(kNP, tss_error);
    return task_switch(tss_sel, d, TaskSwitchSource::Interrupt, return_eip, has_error, error);
  }

  const u16 cs_sel = static_cast<u16>(lo >> 16);
  const u32 cs_error = (cs_sel & 0xFFFC) | ext;
  u32 target = (lo & 0xFFFF) | (hi & 0xFFFF0000u);
  if (!gate32) target &= 0xFFFF;
  if ((cs_sel & 0xFFFC) == 0) return fault(kGP, ext);
  u64 cs_desc;
  if (!read_descriptor(cs_sel, cs_desc)) {
    add_ext(pending, ext);
    return false;
  }
  SegmentCache cs = cache_from_descriptor(cs_sel, cs_desc);
  if (!cs.is_code() || cs.dpl() > s.cpl) return fault(kGP, cs_error);
  if (!(cs.attrs & desc::kPresent)) return fault(kNP, cs_error);
  const bool conforming = cs.attrs & desc::kExpandDown;
  const bool from_v86 = s.v86();
  const bool inner = !conforming && cs.dpl() < s.cpl;
  // Out of V86 mode only to a non-conforming ring-0 segment (SDM Vol. 3A, 20.3.1.1).
  if (from_v86 && (!inner || cs.dpl() != 0)) return fault(kGP, cs_error);
  const u8 new_cpl = inner ? cs.dpl() : s.cpl;
  if (target > cs.limit) return fault(kGP, ext);

  const unsigned width = gate32 ? 4 : 2;
  SegmentCache ss = s.sreg(Seg::SS);
  u32 esp = s.gpr[ESP];
  u32 values[10];
  unsigned count = 0;
  if (inner) {
    // New stack from the TSS for the target privilege level (SDM Vol. 3A, 6.12.1).
    u16 nss;
    if (!tss_stack(new_cpl, nss, esp)) {
      add_ext(pending, ext);
      return false;
    }
    if (!check_stack_selector(nss, new_cpl, kTS, ext, ss)) return false;
    if (from_v86) {
      values[count++] = s.sreg(Seg::GS).selector;
      values[count++] = s.sreg(Seg::FS).selector;
      values[count++] = s.sreg(Seg::DS).selector;
      values[count++] = s.sreg(Seg::ES).selector;
    }
    values[count++] = s.sreg(Seg::SS).selector;
    values[count++] = s.gpr[ESP];
  }
  values[count++] = s.flags.value();
  values[count++] = s.sreg(Seg::CS).selector;
  values[count++] = return_eip;
  if (has_error) values[count++] = error;
  // #SS(new SS | EXT) for a new stack, #SS(EXT) for the current one.
  const u32 stack_error = inner ? (ss.selector & 0xFFFC) | ext : ext;
  u32 new_esp;
  if (!push_frame(ss, esp, values, count, width, new_cpl == 3, stack_error, new_esp)) return false;
  if (!mark_accessed(cs_sel, cs_desc)) return false;

  // Commit: nothing below can fault.
  if (inner) s.sreg(Seg::SS) = ss;
  if (from_v86) {
    // The V86 data segment values would mean nothing in protected mode: they become null.
    for (Seg sg : {Seg::ES, Seg::DS, Seg::FS, Seg::GS}) {
      SegmentCache& c = s.sreg(sg);
      c = SegmentCache{};
      c.selector = 0;
      c.usable = false;
      c.attrs = 0;
      c.limit = 0;
      c.refresh_bounds();
    }
  }
  s.gpr[ESP] = new_esp;
  cs.selector = static_cast<u16>((cs_sel & 0xFFFC) | new_cpl);
  cs.attrs |= desc::kAccessed;
  s.sreg(Seg::CS) = cs;
  s.eip = target;
  u32 clear = eflags::TF | eflags::NT | eflags::RF | eflags::VM;
  if (!(gate_type & 1)) clear |= eflags::IF;  // interrupt gate, not trap gate
  s.flags.bits &= ~clear;
  set_cpl(new_cpl);
  return true;
}

bool Cpu::tss_stack(u8 cpl, u16& ss, u32& esp) {
  // 32-bit TSS: ESPn at 4 + 8n, SSn at 8 + 8n; 16-bit TSS: SPn at 2 + 4n, SSn at 4 + 4n
  // (SDM Vol. 3A, Figures 7-2 and 7-11).
  const bool tss32 = desc::type(s.tr.attrs) & 0x8;
  const u32 off = tss32 ? 4 + cpl * 8 : 2 + cpl * 4;
  const u32 size = tss32 ? 8 : 4;
  if (off + size - 1 > s.tr.limit) return fault(kTS, s.tr.selector & 0xFFFC);
  u32 new_esp, new_ss;
  const unsigned width = tss32 ? 4 : 2;
  if (!read_system(s.tr.base + off, width, new_esp) || !read_system(s.tr.base + off + width, 2, new_ss)) return false;
  ss = static_cast<u16>(new_ss);
  esp = new_esp;
  return true;
}

bool Cpu::check_stack_selector(u16 selector, u8 cpl, u8 vector, u32 ext, SegmentCache& out) {
  const u32 error = (selector & 0xFFFC) | ext;
  if ((selector & 0xFFFC) == 0) return fault(vector, ext);
  u64 d;
  if (!read_descriptor(selector, d, vector)) {
    add_ext(pending, ext);
    return false;
  }
  out = cache_from_descriptor(selector, d);
  if ((selector & 3) != cpl || out.dpl() != cpl || !(out.attrs & desc::kNonSystem) || out.is_code() ||
      !(out.attrs & desc::kWritable))
    return fault(vector, error);
  if (!(out.attrs & desc::kPresent)) return fault(kSS, error);
  if (!mark_accessed(selector, d)) return false;
  out.attrs |= desc::kAccessed;
  return true;
}

bool Cpu::push_frame(const SegmentCache& ss, u32 esp, const u32* values, unsigned count, unsigned width, bool user,
                     u32 ss_error, u32& new_esp) {
  const u32 mask = ss.big() ? 0xFFFFFFFFu : 0xFFFFu;
  const u32 frame = count * width;
  const u32 top = (esp - frame) & mask;
  if (!ss.usable || top < ss.lo || top > ss.hi || ss.hi - top < frame - 1) return fault(kSS, ss_error);
  // Probe in push order, so a #PF reports (in CR2) the first slot the processor would write.
  u32 phys;
  if (!translate(ss.base + ((top + frame - width) & mask), Access::Write, user, phys) ||
      !translate(ss.base + top, Access::Write, user, phys))
    return false;
  u32 addr = top + frame;
  for (unsigned k = 0; k < count; ++k) {
    addr -= width;
    u32 v = values[k];
    if (!access_slow(ss.base + (addr & mask), width, Access::Write, &v, user)) return false;
  }
  new_esp = ss.big() ? top : (esp & 0xFFFF0000u) | top;
  return true;
}

bool Cpu::service_interrupts() {
  if (s.interrupt_shadow) return false;
  if (nmi_pending) {
    nmi_pending = false;
    ++counters.interrupts;
    if (!deliver(kNMI, EventKind::External, false, 0, s.eip)) deliver_pending();
    return true;
  }
  if ((s.flags.bits & eflags::IF) && pic && pic->intr_pending()) {
    const u8 vector = pic->acknowledge();
    ++counters.interrupts;
    if (!deliver(vector, EventKind::External, false, 0, s.eip)) deliver_pending();
    return true;
  }
  return false;
}

}  // namespace emu
