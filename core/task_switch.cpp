// Hardware task switching through the TSS (SDM Vol. 3A, 7.3 "Task Switching"; Vol. 2A, JMP,
// CALL, IRET and INT n, "SWITCH-TASKS"). JMP, CALL, IRET with NT = 1 and interrupts through task
// gates all arrive here after their own descriptor checks; Linux uses a task gate for #DF.
//
// The switch has a commit point (SDM Vol. 3A, 7.3, step 10 and Table 7-1): faults found before it
// (a bad or short TSS, a page fault on either TSS or the GDT) leave the old task untouched and are
// delivered in its context. After it, the new task's state is loaded, and a fault found while
// validating its segment registers is delivered in the new task's context, with EIP pointing at
// the new task's first instruction.
#include <array>

#include "core/cpu.h"

namespace emu {

namespace {

// Where the dynamic fields lie in a 32-bit TSS and in a 16-bit (80286) TSS (SDM Vol. 3A,
// Figures 7-2 and 7-11). A 16-bit TSS has no CR3, FS or GS.
struct TssLayout {
  bool big;
  u32 min_limit;  // a TSS limit below this is #TS(selector)
  u32 cr3, eip, eflags, gpr, seg, ldt;
  unsigned width;      // size of one register field
  unsigned seg_count;  // ES, CS, SS, DS (and FS, GS)
};
constexpr TssLayout kTss32{true, 0x67, 0x1C, 0x20, 0x24, 0x28, 0x48, 0x60, 4, 6};
constexpr TssLayout kTss16{false, 0x2B, 0, 0x0E, 0x10, 0x12, 0x22, 0x2A, 2, 4};

constexpr u64 kBusyBit = u64{1} << 41;  // type bit 1 of a TSS descriptor

struct TaskState {
  u32 cr3 = 0, eip = 0, eflags = 0;
  std::array<u32, 8> gpr{};
  std::array<u16, kSegCount> seg{};  // in Seg order: ES CS SS DS FS GS
  u16 ldt = 0;
};

SegmentCache null_segment(u16 selector) {
  SegmentCache c;
  c.selector = selector;
  c.base = 0;
  c.limit = 0;
  c.attrs = 0;
  c.usable = false;
  c.refresh_bounds();
  return c;
}

}  // namespace

bool Cpu::task_switch(u16 selector, u64 descriptor, TaskSwitchSource source, u32 return_eip, bool has_error,
                      u32 error) {
  const bool nesting = source == TaskSwitchSource::Call || source == TaskSwitchSource::Interrupt;
  SegmentCache new_tr = cache_from_descriptor(selector, descriptor);
  const TssLayout& nl = (desc::type(new_tr.attrs) & 0x8) ? kTss32 : kTss16;
  const TssLayout& ol = (desc::type(s.tr.attrs) & 0x8) ? kTss32 : kTss16;
  if (new_tr.limit < nl.min_limit) return fault(kTS, selector & 0xFFFC);
  if (s.tr.limit < ol.min_limit) return fault(kTS, s.tr.selector & 0xFFFC);

  // ---- before the commit point: read everything, probe every write ----
  TaskState next;
  auto rd = [&](u32 offset, unsigned width, u32& out) { return read_system(new_tr.base + offset, width, out); };
  u32 v;
  if (nl.big) {
    if (!rd(nl.cr3, 4, next.cr3)) return false;
  }
  if (!rd(nl.eip, nl.width, next.eip) || !rd(nl.eflags, nl.width, next.eflags)) return false;
  for (unsigned r = 0; r < 8; ++r) {
    if (!rd(nl.gpr + r * nl.width, nl.width, v)) return false;
    // A 16-bit TSS holds only the low halves; the upper halves keep their values.
    next.gpr[r] = nl.big ? v : (s.gpr[r] & 0xFFFF0000u) | v;
  }
  for (unsigned k = 0; k < nl.seg_count; ++k) {
    if (!rd(nl.seg + k * nl.width, 2, v)) return false;
    next.seg[k] = static_cast<u16>(v);
  }
  if (!rd(nl.ldt, 2, v)) return false;
  next.ldt = static_cast<u16>(v);

  u32 phys;
  const u32 old_first = s.tr.base + ol.eip, old_last = s.tr.base + ol.seg + ol.seg_count * ol.width - 1;
  if (!translate(old_first, Access::Write, false, phys) || !translate(old_last, Access::Write, false, phys))
    return false;
  if (nesting && !translate(new_tr.base, Access::Write, false, phys)) return false;
  const u32 old_desc_byte = s.gdtr.base + (s.tr.selector & 0xFFF8) + 5;
  const u32 new_desc_byte = s.gdtr.base + (selector & 0xFFF8) + 5;
  u32 old_access = 0;
  const bool release_old = source == TaskSwitchSource::Jump || source == TaskSwitchSource::Iret;
  if (release_old) {
    if (!read_system(old_desc_byte, 1, old_access) || !translate(old_desc_byte, Access::Write, false, phys))
      return false;
  }
  if (source != TaskSwitchSource::Iret && !translate(new_desc_byte, Access::Write, false, phys)) return false;

  // ---- commit: save the old task, mark busy bits, load TR ----
  // JMP and IRET leave the old task: it is no longer busy. IRET also clears NT in the saved image,
  // so a later switch back does not "return" again.
  if (release_old) write_system(old_desc_byte, 1, old_access & ~0x2u);
  u32 saved_flags = s.flags.value();
  if (source == TaskSwitchSource::Iret) saved_flags &= ~eflags::NT;
  auto wr = [&](u32 offset, unsigned width, u32 value) { write_system(s.tr.base + offset, width, value); };
  wr(ol.eip, ol.width, return_eip);
  wr(ol.eflags, ol.width, saved_flags);
  for (unsigned r = 0; r < 8; ++r) wr(ol.gpr + r * ol.width, ol.width, s.gpr[r]);
  for (unsigned k = 0; k < ol.seg_count; ++k) wr(ol.seg + k * ol.width, 2, s.seg[k].selector);

  // CALL and interrupts nest: the new task links back to the old one and runs with NT = 1.
  if (nesting) {
    next.eflags |= eflags::NT;
    write_system(new_tr.base, 2, s.tr.selector);
  }
  if (source != TaskSwitchSource::Iret) {
    write_system(new_desc_byte, 1, static_cast<u32>((descriptor | kBusyBit) >> 40) & 0xFF);
  }
  new_tr.attrs |= 0x2;  // busy
  s.tr = new_tr;
  s.cr0 |= cr0::TS;  // the FPU state now belongs to another task (SDM Vol. 3A, 2.5, CR0.TS)
  if (nl.big && s.paging()) set_cr3(next.cr3);

  // ---- load the new task's state; from here faults belong to the new task ----
  set_eflags(next.eflags, nl.big ? eflags::kWritable : 0xFFFFu);
  s.eip = next.eip;
  s.gpr = next.gpr;
  for (int k = 0; k < kSegCount; ++k) s.seg[k] = null_segment(next.seg[k]);
  s.ldtr = null_segment(next.ldt);
  s.ldtr.attrs = 0x2;

  // LDTR: null, or an LDT descriptor in the GDT (SDM Vol. 3A, Table 7-1).
  if (next.ldt & 0xFFFC) {
    u64 d;
    if (next.ldt & 4) return fault(kTS, next.ldt & 0xFFFC);
    if (!read_descriptor(next.ldt, d, kTS)) return false;
    const SegmentCache ldt = cache_from_descriptor(next.ldt, d);
    if ((ldt.attrs & 0x1F) != 0x02 || !(ldt.attrs & desc::kPresent)) return fault(kTS, next.ldt & 0xFFFC);
    s.ldtr = ldt;
  }

  if (s.v86()) {
    // A V86 task: every segment register is loaded as in real mode, at CPL 3 (set_eflags did that).
    for (int k = 0; k < kSegCount; ++k) load_segment_real(static_cast<Seg>(k), next.seg[k]);
  } else {
    // CS decides the new CPL.
    const u16 cs_sel = next.seg[static_cast<int>(Seg::CS)];
    const u16 cs_error = cs_sel & 0xFFFC;
    if (!cs_error) return fault(kTS, 0);
    u64 d;
    if (!read_descriptor(cs_sel, d, kTS)) return false;
    SegmentCache cs = cache_from_descriptor(cs_sel, d);
    const u8 rpl = cs_sel & 3;
    const bool conforming = cs.attrs & desc::kExpandDown;
    if (!cs.is_code() || (conforming ? cs.dpl() > rpl : cs.dpl() != rpl)) return fault(kTS, cs_error);
    if (!(cs.attrs & desc::kPresent)) return fault(kNP, cs_error);
    if (!mark_accessed(cs_sel, d)) return false;
    cs.attrs |= desc::kAccessed;
    s.sreg(Seg::CS) = cs;
    set_cpl(rpl);

    SegmentCache ss;
    if (!check_stack_selector(next.seg[static_cast<int>(Seg::SS)], rpl, kTS, 0, ss)) return false;
    s.sreg(Seg::SS) = ss;

    for (Seg sg : {Seg::DS, Seg::ES, Seg::FS, Seg::GS}) {
      const u16 sel = next.seg[static_cast<int>(sg)];
      if (!(sel & 0xFFFC)) continue;  // null stays null
      if (!read_descriptor(sel, d, kTS)) return false;
      SegmentCache c = cache_from_descriptor(sel, d);
      const bool system = !(c.attrs & desc::kNonSystem);
      const bool exec_only = c.is_code() && !(c.attrs & desc::kWritable);
      const bool conforming_code = c.is_code() && (c.attrs & desc::kExpandDown);
      if (system || exec_only) return fault(kTS, sel & 0xFFFC);
      if (!conforming_code && (c.dpl() < s.cpl || c.dpl() < (sel & 3))) return fault(kTS, sel & 0xFFFC);
      if (!(c.attrs & desc::kPresent)) return fault(kNP, sel & 0xFFFC);
      if (!mark_accessed(sel, d)) return false;
      c.attrs |= desc::kAccessed;
      s.sreg(sg) = c;
    }
  }

  // An exception delivered through a task gate pushes its error code on the new task's stack.
  if (has_error) {
    const bool pushed = nl.big ? push<u32>(error) : push<u16>(static_cast<u16>(error));
    if (!pushed) return false;
  }
  if (s.eip > s.sreg(Seg::CS).limit) return fault(kGP, 0);
  return true;
}

}  // namespace emu
