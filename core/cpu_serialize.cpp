// The CPU's state description for the serializer (DESIGN §10). Loaded state is untrusted: it is
// checked against what the architecture allows before the CPU runs it.
#include "core/cpu.h"
#include "core/serializer.h"

namespace emu {

namespace {

void describe_segment(StateVisitor& v, const std::string& prefix, SegmentCache& c) {
  v.field(prefix + ".selector", c.selector);
  v.field(prefix + ".base", c.base);
  v.field(prefix + ".limit", c.limit);
  v.field(prefix + ".attrs", c.attrs);
  v.field(prefix + ".usable", c.usable);
}

constexpr const char* kSegNames[kSegCount] = {"es", "cs", "ss", "ds", "fs", "gs"};

}  // namespace

void Cpu::serialize(StateVisitor& v) {
  if (!v.loading()) s.flags.materialise();
  v.field("gpr", s.gpr);
  v.field("eip", s.eip);
  v.field("eflags", s.flags.bits);
  for (int k = 0; k < kSegCount; ++k) describe_segment(v, kSegNames[k], s.seg[k]);
  describe_segment(v, "ldtr", s.ldtr);
  describe_segment(v, "tr", s.tr);
  v.field("gdtr.base", s.gdtr.base);
  v.field("gdtr.limit", s.gdtr.limit);
  v.field("idtr.base", s.idtr.base);
  v.field("idtr.limit", s.idtr.limit);
  v.field("cr0", s.cr0);
  v.field("cr2", s.cr2);
  v.field("cr3", s.cr3);
  v.field("cr4", s.cr4);
  v.field("dr", s.dr);
  v.field("tsc", s.tsc);
  v.field("msr.sysenter_cs", s.msr.sysenter_cs);
  v.field("msr.sysenter_esp", s.msr.sysenter_esp);
  v.field("msr.sysenter_eip", s.msr.sysenter_eip);
  v.field("msr.apic_base", s.msr.apic_base);
  v.field("msr.pat", s.msr.pat);
  v.field("msr.mtrr_def_type", s.msr.mtrr_def_type);
  v.field("msr.mtrr_var", s.msr.mtrr_var);
  v.field("msr.mtrr_fixed", s.msr.mtrr_fixed);
  v.field("msr.misc_enable", s.msr.misc_enable);
  v.field("msr.mcg_status", s.msr.mcg_status);
  v.field("msr.mcg_ctl", s.msr.mcg_ctl);
  v.field("msr.mc_ctl", s.msr.mc_ctl);
  v.field("msr.mc_status", s.msr.mc_status);
  v.field("msr.perf_evtsel", s.msr.perf_evtsel);
  v.field("msr.perf_count", s.msr.perf_count);
  v.field("msr.perf_origin", s.msr.perf_origin);
  for (int k = 0; k < 8; ++k) v.field("fpu.r" + std::to_string(k), s.fpu.regs[k]);
  v.field("fpu.control", s.fpu.control);
  v.field("fpu.status", s.fpu.status);
  v.field("fpu.tag", s.fpu.tag);
  v.field("fpu.last_opcode", s.fpu.last_opcode);
  v.field("fpu.last_ip", s.fpu.last_ip);
  v.field("fpu.last_cs", s.fpu.last_cs);
  v.field("fpu.last_dp", s.fpu.last_dp);
  v.field("fpu.last_ds", s.fpu.last_ds);
  v.field("cpl", s.cpl);
  v.field("halted", s.halted);
  v.field("interrupt_shadow", s.interrupt_shadow);
  v.field("nmi_pending", nmi_pending);
  v.field("instructions", counters.instructions);
  if (!v.loading()) return;

  // Validate what was loaded (SDM Vol. 3A: the combinations a real CPU can be in).
  s.flags.op = FlagOp::None;
  s.flags.bits = (s.flags.bits & eflags::kWritable) | eflags::kReserved1;
  if (s.cpl > 3) v.reject("cpl out of range");
  if ((s.cr0 & cr0::PG) && !(s.cr0 & cr0::PE)) v.reject("CR0.PG set without CR0.PE");
  if (s.cr4 & ~cr4::kSupported) v.reject("CR4 has bits this CPU model does not implement");
  if (s.v86() && !s.protected_mode()) v.reject("EFLAGS.VM set outside protected mode");
  if (s.v86() && s.cpl != 3) v.reject("V86 mode requires CPL 3");
  if (!s.protected_mode() && s.cpl != 0) v.reject("real mode requires CPL 0");
  for (auto& c : s.seg) c.refresh_bounds();
  s.ldtr.refresh_bounds();
  s.tr.refresh_bounds();
  pending = {};
  triple_fault = false;
  user_ = s.cpl == 3;
  tlb_set_offset_ = user_ ? sizeof(tlb_[0]) : 0;
  tlb_flush_all();
}

}  // namespace emu
