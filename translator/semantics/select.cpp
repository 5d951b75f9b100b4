// Handler selection and the VMM gate for sensitive and privileged instructions.
#include "translator/semantics/select.h"

#include "translator/semantics/semantics.h"

namespace emu::sem {

static_assert(static_cast<unsigned>(Op::Count) <= CpuCounters::kOpSlots, "enlarge CpuCounters::kOpSlots");

Status undefined_opcode(Cpu& c, const DecodedInsn& i) {
  // An undefined x87 escape (D8-DF with ModRM) is #NM, not #UD, while CR0.EM or CR0.TS is set, so
  // an FPU emulator sees it (SDM Vol. 3A, 22.18.x "FPU ... undefined opcodes"). The 0F map has no
  // ModRM rows at D8-DF on this CPU model, so has_modrm singles out the one-byte escapes.
  if (i.has_modrm && (i.opcode & 0xF8) == 0xD8 && (c.s.cr0 & (cr0::EM | cr0::TS))) return c.raise(kNM);
  return c.raise(kUD);
}

Handler select_handler(const DecodedInsn& i) {
  if (i.entry->op == Op::Invalid) return undefined_opcode;
  for (auto select : {select_alu, select_shift, select_bit, select_bcd, select_muldiv, select_string, select_stack,
                      select_control, select_farcontrol, select_system, select_x87})
    if (Handler h = select(i)) return h;
  return undefined_opcode;
}

}  // namespace emu::sem

namespace emu {

namespace {

bool undefined_here(const Cpu& c, const DecodedInsn& i) {
  switch (i.entry->op) {
    case Op::MovToCr:
    case Op::MovFromCr: return i.reg == 1 || i.reg >= 5;
    case Op::MovToDr:
    case Op::MovFromDr: return (i.reg == 4 || i.reg == 5) && (c.s.cr4 & cr4::DE);
    // "Not recognized in real-address mode / virtual-8086 mode": #UD, not #GP (SDM Vol. 2,
    // the LLDT, LTR, SLDT, STR, LAR, LSL, VERR, VERW and ARPL pages).
    case Op::Lldt:
    case Op::Ltr:
    case Op::Sldt:
    case Op::Str:
    case Op::Lar:
    case Op::Lsl:
    case Op::Verr:
    case Op::Verw:
    case Op::Arpl: return !c.s.protected_mode() || c.s.v86();
    default: return false;
  }
}

}  // namespace

// Every sensitive or privileged instruction enters here (DESIGN §3). A binary translator must
// never run these as plain host code: the 17 sensitive ones (Robin & Irvine, 2000) behave
// differently outside ring 0 without trapping, and the privileged ones must #GP there. The gate
// counts each execution, separately those outside ring 0 where the distinction matters, applies
// the privilege rule, and then runs the semantics.
Status vmm_gate(Cpu& c, const DecodedInsn& i) {
  const auto op = static_cast<unsigned>(i.entry->op);
  ++c.counters.vmm_total[op];
  const bool outside_ring0 = c.s.cpl > 0 || c.s.v86();
  if (outside_ring0) ++c.counters.vmm_outside_ring0[op];
  // An encoding that does not exist, or is not recognized in this mode, is #UD before any
  // privilege check: MOV to or from CR1 and CR5-CR7, DR4/DR5 while CR4.DE is set (SDM Vol. 2B,
  // MOV—Move to/from Control/Debug Registers: hardware reports #UD for these even at CPL 3),
  // and the protected-mode-only descriptor instructions in real and V86 mode.
  if (undefined_here(c, i)) return c.raise(kUD);
  // Privileged instructions: #GP(0) unless CPL = 0 (SDM Vol. 3A, 2.8). V86 code runs at CPL 3.
  if ((i.entry->attrs & attr::kPrivileged) && c.s.protected_mode() && outside_ring0) return c.raise(kGP, 0);
  return i.impl(c, i);
}

void bind_handler(DecodedInsn& i) {
  const Handler h = sem::select_handler(i);
  if (i.entry->attrs & (attr::kPrivileged | attr::kSensitive)) {
    i.impl = h;
    i.fn = vmm_gate;
  } else {
    i.fn = h;
    i.impl = h;
  }
}

}  // namespace emu
