// System instructions (SDM Vol. 2: LGDT/LIDT/SGDT/SIDT, LLDT/SLDT, LTR/STR, LMSW/SMSW, INVLPG,
// LAR, LSL, VERR, VERW, ARPL, CLTS, MOV CRn/DRn, RDMSR/WRMSR, RDTSC, RDPMC, CPUID,
// SYSENTER/SYSEXIT, INVD/WBINVD, UD2).
//
// The CPL-0 rule of privileged rows is applied by the VMM gate (select.cpp) before these run.
#include <optional>

#include "translator/semantics/semantics.h"

namespace emu::sem {

namespace {

bool real_or_v86(const Cpu& c) { return !c.s.protected_mode() || c.s.v86(); }

// A 16-bit register or memory operand that a 32-bit register form zero-extends (SLDT, STR, SMSW
// store selectors this way on P6 and later; SDM Vol. 2B, SLDT/STR).
Status store_selector(Cpu& c, const DecodedInsn& i, u32 value) {
  if (i.mod == 3) {
    if (i.op32)
      c.s.gpr[i.rm] = value;
    else
      set_reg<u16>(c, i.rm, static_cast<u16>(value));
    return Status::Ok;
  }
  return c.write<u16>(i.seg, effective_address(c, i), static_cast<u16>(value)) ? Status::Ok : Status::Fault;
}

// The offset `delta` bytes after the ModRM memory operand, wrapped to the address size.
u32 operand_offset(const Cpu& c, const DecodedInsn& i, u32 delta) {
  const u32 a = effective_address(c, i) + delta;
  return i.addr32 ? a : a & 0xFFFF;
}

// ---- descriptor-table registers --------------------------------------------------------------

// LGDT m16&32 / LIDT m16&32 (0F 01 /2, /3) — with a 16-bit operand only 24 bits of base are used.
template <bool Idt>
Status load_table_register(Cpu& c, const DecodedInsn& i) {
  u16 limit;
  u32 base;
  if (!c.read<u16>(i.seg, effective_address(c, i), limit) || !c.read<u32>(i.seg, operand_offset(c, i, 2), base))
    return Status::Fault;
  if (!i.op32) base &= 0x00FFFFFFu;
  TableRegister& t = Idt ? c.s.idtr : c.s.gdtr;
  t.base = base;
  t.limit = limit;
  return Status::Ok;
}

// SGDT m / SIDT m (0F 01 /0, /1) — with a 16-bit operand the fourth base byte is stored as 0.
template <bool Idt>
Status store_table_register(Cpu& c, const DecodedInsn& i) {
  const TableRegister& t = Idt ? c.s.idtr : c.s.gdtr;
  const u32 ea = effective_address(c, i);
  // Probe the limit and base stores separately: each gets its own alignment check at CPL 3
  // (SDM Vol. 3A, 3.5.1: the limit at an address MOD 4 = 2 keeps both aligned).
  const u32 base_offset = operand_offset(c, i, 2);
  if (!c.probe_write(i.seg, ea, 2, 2) || !c.probe_write(i.seg, base_offset, 4, 4)) return Status::Fault;
  c.write<u16>(i.seg, ea, t.limit);
  c.write<u32>(i.seg, base_offset, i.op32 ? t.base : t.base & 0x00FFFFFFu);
  return Status::Ok;
}

// SLDT r/m16 (0F 00 /0) — #UD in real and V86 mode.
Status sldt(Cpu& c, const DecodedInsn& i) {
  if (real_or_v86(c)) return c.raise(kUD);
  return store_selector(c, i, c.s.ldtr.selector);
}
// STR r/m16 (0F 00 /1)
Status str(Cpu& c, const DecodedInsn& i) {
  if (real_or_v86(c)) return c.raise(kUD);
  return store_selector(c, i, c.s.tr.selector);
}

// Reads the 16-bit selector operand of LLDT, LTR, LAR, LSL, VERR, VERW.
bool read_selector(Cpu& c, const DecodedInsn& i, u16& out) { return read_rm<u16>(c, i, out); }

// LLDT r/m16 (0F 00 /2) — a null selector leaves LDTR unusable; otherwise an LDT descriptor in
// the GDT (SDM Vol. 2A, LLDT).
Status lldt(Cpu& c, const DecodedInsn& i) {
  if (real_or_v86(c)) return c.raise(kUD);
  u16 selector;
  if (!read_selector(c, i, selector)) return Status::Fault;
  if ((selector & 0xFFFC) == 0) {
    c.s.ldtr.selector = selector;
    c.s.ldtr.usable = false;
    c.s.ldtr.refresh_bounds();
    return Status::Ok;
  }
  if (selector & 4) return c.raise(kGP, selector & 0xFFFC);
  u64 d;
  if (!c.read_descriptor(selector, d)) return Status::Fault;
  const SegmentCache ldt = Cpu::cache_from_descriptor(selector, d);
  if ((ldt.attrs & 0x1F) != 0x02) return c.raise(kGP, selector & 0xFFFC);
  if (!(ldt.attrs & desc::kPresent)) return c.raise(kNP, selector & 0xFFFC);
  c.s.ldtr = ldt;
  return Status::Ok;
}

// LTR r/m16 (0F 00 /3) — an available TSS in the GDT, which LTR marks busy (SDM Vol. 2A, LTR).
Status ltr(Cpu& c, const DecodedInsn& i) {
  if (real_or_v86(c)) return c.raise(kUD);
  u16 selector;
  if (!read_selector(c, i, selector)) return Status::Fault;
  if ((selector & 0xFFFC) == 0) return c.raise(kGP, 0);
  if (selector & 4) return c.raise(kGP, selector & 0xFFFC);
  u64 d;
  if (!c.read_descriptor(selector, d)) return Status::Fault;
  SegmentCache tss = Cpu::cache_from_descriptor(selector, d);
  const u8 type = tss.attrs & 0x1F;
  if (type != 0x01 && type != 0x09) return c.raise(kGP, selector & 0xFFFC);
  if (!(tss.attrs & desc::kPresent)) return c.raise(kNP, selector & 0xFFFC);
  if (!c.write_system(c.s.gdtr.base + (selector & 0xFFF8) + 5, 1, (tss.attrs & 0xFF) | 0x2)) return Status::Fault;
  tss.attrs |= 0x2;
  c.s.tr = tss;
  return Status::Ok;
}

// ---- machine status word and control registers ------------------------------------------------

// Ends the block after an instruction that changed the mode or the address space.
Status end_block(Cpu& c, const DecodedInsn& i) {
  c.s.eip += i.len;
  return Status::EndBlock;
}

bool write_cr0(Cpu& c, u32 value) {
  if (!c.set_cr0(value)) return false;
  c.mode_changed();
  return true;
}

// LMSW r/m16 (0F 01 /6) — loads PE, MP, EM, TS; it can set PE but never clear it.
Status lmsw(Cpu& c, const DecodedInsn& i) {
  u16 msw;
  if (!read_rm<u16>(c, i, msw)) return Status::Fault;
  const u32 value = (c.s.cr0 & ~0xEu) | (msw & 0xFu) | (c.s.cr0 & cr0::PE);
  if (!write_cr0(c, value)) return Status::Fault;
  return end_block(c, i);
}

// SMSW r/m16 / SMSW r32 (0F 01 /4) — memory gets the low 16 bits of CR0; a 32-bit register gets
// all of CR0, as P6 processors do (the SDM calls the high half undefined).
Status smsw(Cpu& c, const DecodedInsn& i) {
  if (i.mod == 3 && i.op32) {
    c.s.gpr[i.rm] = c.s.cr0;
    return Status::Ok;
  }
  return store_selector(c, i, c.s.cr0 & 0xFFFF);
}

// CLTS (0F 06)
Status clts(Cpu& c, const DecodedInsn&) {
  c.s.cr0 &= ~cr0::TS;
  return Status::Ok;
}

// INVLPG m (0F 01 /7) — drops the translation of the page holding the operand's linear address.
Status invlpg(Cpu& c, const DecodedInsn& i) {
  c.tlb_flush_page(c.s.sreg(i.seg).base + effective_address(c, i));
  return Status::Ok;
}

// MOV r32, CR0/CR2/CR3/CR4 (0F 20) — CR1 and CR5-CR7 are #UD.
Status mov_from_cr(Cpu& c, const DecodedInsn& i) {
  u32 value;
  switch (i.reg) {
    case 0: value = c.s.cr0; break;
    case 2: value = c.s.cr2; break;
    case 3: value = c.s.cr3; break;
    case 4: value = c.s.cr4; break;
    default: return c.raise(kUD);
  }
  c.s.gpr[i.rm] = value;
  return Status::Ok;
}

// MOV CR0/CR2/CR3/CR4, r32 (0F 22) — always ends the block: CR0.PE/PG, CR3 and CR4 change how
// the next instruction is fetched.
Status mov_to_cr(Cpu& c, const DecodedInsn& i) {
  const u32 value = c.s.gpr[i.rm];
  bool ok = true;
  switch (i.reg) {
    case 0: ok = write_cr0(c, value); break;
    case 2: c.s.cr2 = value; break;
    case 3: ok = c.set_cr3(value); break;
    case 4: ok = c.set_cr4(value); break;
    default: return c.raise(kUD);
  }
  if (!ok) return Status::Fault;
  return end_block(c, i);
}

// DR4 and DR5 are aliases of DR6 and DR7 unless CR4.DE is set, when they are #UD (SDM Vol. 3A,
// 17.2.2). Returns -1 for #UD.
int debug_register(const Cpu& c, u8 n) {
  if (n == 4 || n == 5) return (c.s.cr4 & cr4::DE) ? -1 : n + 2;
  return n;
}

// MOV r32, DR0-DR7 (0F 21)
Status mov_from_dr(Cpu& c, const DecodedInsn& i) {
  const int n = debug_register(c, i.reg);
  if (n < 0) return c.raise(kUD);
  c.s.gpr[i.rm] = c.s.dr[n];
  return Status::Ok;
}

// MOV DR0-DR7, r32 (0F 23) — DR6 and DR7 keep their fixed bits (SDM Vol. 3A, 17.2.3 and 17.2.4).
Status mov_to_dr(Cpu& c, const DecodedInsn& i) {
  const int n = debug_register(c, i.reg);
  if (n < 0) return c.raise(kUD);
  u32 value = c.s.gpr[i.rm];
  if (n == 6) value = (value & 0x0000E00Fu) | 0xFFFF0FF0u;
  if (n == 7) value = (value & 0xFFFF2BFFu) | 0x400u;
  c.s.dr[n] = value;
  return end_block(c, i);
}

// ---- descriptor inspection: LAR, LSL, VERR, VERW, ARPL ----------------------------------------

// Reads the descriptor for `selector` for LAR/LSL/VERR/VERW. Unlike a segment load, a selector
// outside its table is not a fault: the instruction just clears ZF. Returns false with a fault
// pending only for a page fault on the table itself; `found` tells whether a descriptor exists.
bool inspect_descriptor(Cpu& c, u16 selector, u64& d, bool& found) {
  found = false;
  if ((selector & 0xFFFC) == 0) return true;
  const bool local = selector & 4;
  if (local && (!c.s.ldtr.usable || !(c.s.ldtr.attrs & desc::kPresent))) return true;
  const u32 base = local ? c.s.ldtr.base : c.s.gdtr.base;
  const u32 limit = local ? c.s.ldtr.limit : c.s.gdtr.limit;
  if (u32{selector & 0xFFF8u} + 7 > limit) return true;
  u32 lo, hi;
  if (!c.read_system(base + (selector & 0xFFF8), 4, lo) || !c.read_system(base + (selector & 0xFFF8) + 4, 4, hi))
    return false;
  d = (u64{hi} << 32) | lo;
  found = true;
  return true;
}

// The privilege rule shared by LAR, LSL, VERR and VERW: unless the descriptor is a conforming
// code segment, DPL must be >= CPL and >= RPL.
bool visible(const Cpu& c, u16 selector, const SegmentCache& s) {
  const bool conforming_code = s.is_code() && (s.attrs & desc::kExpandDown);
  return conforming_code || (s.dpl() >= c.s.cpl && s.dpl() >= (selector & 3));
}

// Which system descriptor types LAR and LSL accept (SDM Vol. 2A, LAR Table 3-55; LSL).
bool lar_type_ok(u8 type) {
  switch (type) {
    case 0x1:
    case 0x2:
    case 0x3:
    case 0x4:
    case 0x5:
    case 0x9:
    case 0xB:
    case 0xC: return true;
    default: return false;
  }
}
bool lsl_type_ok(u8 type) {
  switch (type) {
    case 0x1:
    case 0x2:
    case 0x3:
    case 0x9:
    case 0xB: return true;
    default: return false;
  }
}

enum class Inspect : u8 { Lar, Lsl };

// LAR r16/r32, r/m16 (0F 02) — access rights: bytes 5-6 of the descriptor, masked 00F0FF00H.
// LSL r16/r32, r/m16 (0F 03) — the segment limit, scaled by G.
template <typename T, Inspect K>
Status inspect(Cpu& c, const DecodedInsn& i) {
  if (real_or_v86(c)) return c.raise(kUD);
  u16 selector;
  if (!read_selector(c, i, selector)) return Status::Fault;
  u64 d = 0;
  bool found;
  if (!inspect_descriptor(c, selector, d, found)) return Status::Fault;
  bool ok = found;
  SegmentCache s;
  if (ok) {
    s = Cpu::cache_from_descriptor(selector, d);
    if (!(s.attrs & desc::kNonSystem)) {
      const u8 type = desc::type(s.attrs);
      ok = K == Inspect::Lar ? lar_type_ok(type) : lsl_type_ok(type);
    }
    ok = ok && visible(c, selector, s);
  }
  c.s.flags.set_arith(eflags::ZF, ok ? eflags::ZF : 0);
  if (!ok) return Status::Ok;
  if constexpr (K == Inspect::Lar)
    set_reg<T>(c, i.reg, static_cast<T>((d >> 32) & 0x00F0FF00u));
  else
    set_reg<T>(c, i.reg, static_cast<T>(s.limit));
  return Status::Ok;
}

// VERR r/m16 (0F 00 /4) — readable from the CPL: data or readable code.
// VERW r/m16 (0F 00 /5) — writable from the CPL: writable data.
template <bool Write>
Status verify(Cpu& c, const DecodedInsn& i) {
  if (real_or_v86(c)) return c.raise(kUD);
  u16 selector;
  if (!read_selector(c, i, selector)) return Status::Fault;
  u64 d = 0;
  bool found;
  if (!inspect_descriptor(c, selector, d, found)) return Status::Fault;
  bool ok = false;
  if (found) {
    const SegmentCache s = Cpu::cache_from_descriptor(selector, d);
    const bool segment = s.attrs & desc::kNonSystem;
    const bool rights =
        Write ? !s.is_code() && (s.attrs & desc::kWritable) : !s.is_code() || (s.attrs & desc::kWritable);
    ok = segment && rights && visible(c, selector, s);
  }
  c.s.flags.set_arith(eflags::ZF, ok ? eflags::ZF : 0);
  return Status::Ok;
}

// ARPL r/m16, r16 (63) — raises the destination's RPL to the source's; ZF tells whether it did.
Status arpl(Cpu& c, const DecodedInsn& i) {
  if (real_or_v86(c)) return c.raise(kUD);
  u16 dest;
  if (!read_rm<u16>(c, i, dest)) return Status::Fault;
  const u16 src = get_reg<u16>(c, i.reg);
  if ((dest & 3) < (src & 3)) {
    if (!write_rm<u16>(c, i, static_cast<u16>((dest & ~3u) | (src & 3)))) return Status::Fault;
    c.s.flags.set_arith(eflags::ZF, eflags::ZF);
  } else {
    c.s.flags.set_arith(eflags::ZF, 0);
  }
  return Status::Ok;
}

// ---- model-specific registers, time stamp, performance counters -------------------------------

// MSR numbers (SDM Vol. 4, Table 2-3 "MSRs in the P6 Family").
namespace msr {
constexpr u32 kTsc = 0x10;
constexpr u32 kPlatformId = 0x17;
constexpr u32 kApicBase = 0x1B;
constexpr u32 kBiosSignId = 0x8B;
constexpr u32 kMtrrCap = 0xFE;
constexpr u32 kSysenterCs = 0x174;
constexpr u32 kSysenterEsp = 0x175;
constexpr u32 kSysenterEip = 0x176;
constexpr u32 kMiscEnable = 0x1A0;
constexpr u32 kPerfCtr0 = 0xC1, kPerfCtr1 = 0xC2;
constexpr u32 kPerfEvtSel0 = 0x186, kPerfEvtSel1 = 0x187;
constexpr u32 kMcgCap = 0x179, kMcgStatus = 0x17A, kMcgCtl = 0x17B;
constexpr u32 kMc0Ctl = 0x400;  // MCi_CTL, MCi_STATUS, MCi_ADDR, MCi_MISC at 0x400 + 4i
// IA32_MCG_CAP: five banks, MCG_CTL present (bit 8), as on the P6.
constexpr u64 kMcgCapValue = 0x100 | MsrState::kMachineCheckBanks;
constexpr u32 kMtrrPhysBase0 = 0x200;  // 0x200-0x20F: eight base/mask pairs
constexpr u32 kMtrrFix64K = 0x250;
constexpr u32 kMtrrFix16K80000 = 0x258;
constexpr u32 kMtrrFix16KA0000 = 0x259;
constexpr u32 kMtrrFix4KC0000 = 0x268;  // 0x268-0x26F
constexpr u32 kPat = 0x277;
constexpr u32 kMtrrDefType = 0x2FF;
// IA32_MTRRCAP: 8 variable ranges, fixed ranges supported, write-combining supported.
constexpr u64 kMtrrCapValue = 0x508;
}  // namespace msr

// The slot of a fixed-range MTRR in MsrState::mtrr_fixed, or -1.
int fixed_mtrr_slot(u32 index) {
  if (index == msr::kMtrrFix64K) return 0;
  if (index == msr::kMtrrFix16K80000) return 1;
  if (index == msr::kMtrrFix16KA0000) return 2;
  if (index >= msr::kMtrrFix4KC0000 && index <= msr::kMtrrFix4KC0000 + 7)
    return 3 + static_cast<int>(index - msr::kMtrrFix4KC0000);
  return -1;
}

u64 time_stamp(const Cpu& c) { return c.s.tsc + c.tsc_source(); }

// ---- P6 performance counters -------------------------------------------------------------
// PerfEvtSel: event (7:0), unit mask (15:8), USR (16), OS (17), ... EN (22, in PerfEvtSel0 only:
// it starts and stops both counters). Two events are modelled: INST_RETIRED (C0h), counted from
// retired instructions, and CPU_CLK_UNHALTED (79h), counted from the 1 GHz virtual clock the
// TSC runs on. Other events never count; USR/OS both count everything (emu does not split the
// counts by privilege level). There is no local APIC, so no overflow interrupt.
namespace perf {
constexpr u32 kEnable = 1u << 22, kUsrOs = 3u << 16;
constexpr u64 kCounterMask = (u64{1} << 40) - 1;

std::optional<u64> event_source(const Cpu& c, unsigned n) {
  const MsrState& m = c.s.msr;
  if (!(m.perf_evtsel[0] & kEnable) || !(m.perf_evtsel[n] & kUsrOs)) return std::nullopt;
  switch (m.perf_evtsel[n] & 0xFF) {
    case 0xC0: return c.counters.instructions;
    case 0x79: return c.tsc_source();
    default: return std::nullopt;
  }
}
u64 read(const Cpu& c, unsigned n) {
  const MsrState& m = c.s.msr;
  u64 value = m.perf_count[n];
  if (const auto source = event_source(c, n)) value += *source - m.perf_origin[n];
  return value & kCounterMask;
}
// Before the configuration changes: fold what was counted so far into the stored counts.
void settle(Cpu& c) {
  for (unsigned n = 0; n < 2; ++n) c.s.msr.perf_count[n] = read(c, n);
}
// After it changed: count from now on.
void restart(Cpu& c) {
  for (unsigned n = 0; n < 2; ++n) c.s.msr.perf_origin[n] = event_source(c, n).value_or(0);
}
}  // namespace perf

// Reads MSR `index`; false for an MSR this CPU does not have.
bool read_msr(const Cpu& c, u32 index, u64& value) {
  const MsrState& m = c.s.msr;
  if (const int slot = fixed_mtrr_slot(index); slot >= 0) return value = m.mtrr_fixed[slot], true;
  if (index >= msr::kMtrrPhysBase0 && index < msr::kMtrrPhysBase0 + 16)
    return value = m.mtrr_var[index - msr::kMtrrPhysBase0], true;
  if (index >= msr::kMc0Ctl && index < msr::kMc0Ctl + 4 * MsrState::kMachineCheckBanks) {
    const unsigned bank = (index - msr::kMc0Ctl) / 4;
    switch (index & 3) {
      case 0: return value = m.mc_ctl[bank], true;
      case 1: return value = m.mc_status[bank], true;
      case 2: return value = 0, true;  // MCi_ADDR: valid only with MCi_STATUS.ADDRV, never set here
      default: return false;           // MCi_MISC is not implemented on the P6
    }
  }
  switch (index) {
    case msr::kTsc: value = time_stamp(c); return true;
    case msr::kPlatformId: value = 0; return true;  // platform ID 0 (bits 52:50)
    case msr::kApicBase: value = m.apic_base; return true;
    case msr::kBiosSignId: value = 0; return true;  // no microcode update loaded
    case msr::kMtrrCap: value = msr::kMtrrCapValue; return true;
    case msr::kSysenterCs: value = m.sysenter_cs; return true;
    case msr::kSysenterEsp: value = m.sysenter_esp; return true;
    case msr::kSysenterEip: value = m.sysenter_eip; return true;
    case msr::kMiscEnable: value = m.misc_enable; return true;
    case msr::kPerfCtr0:
    case msr::kPerfCtr1: value = perf::read(c, index - msr::kPerfCtr0); return true;
    case msr::kPerfEvtSel0:
    case msr::kPerfEvtSel1: value = m.perf_evtsel[index - msr::kPerfEvtSel0]; return true;
    case msr::kMcgCap: value = msr::kMcgCapValue; return true;
    case msr::kMcgStatus: value = m.mcg_status; return true;
    case msr::kMcgCtl: value = m.mcg_ctl; return true;
    case msr::kPat: value = m.pat; return true;
    case msr::kMtrrDefType: value = m.mtrr_def_type; return true;
    default: return false;
  }
}

// A PAT entry or MTRR type must be a defined memory type: UC, WC, WT, WP, WB (PAT adds UC-, 7).
bool valid_memory_type(u8 t, bool pat) { return t == 0 || t == 1 || t == 4 || t == 5 || t == 6 || (pat && t == 7); }

// Writes MSR `index`; false (#GP) for an unknown or read-only MSR or reserved bits.
bool write_msr(Cpu& c, u32 index, u64 value) {
  MsrState& m = c.s.msr;
  if (const int slot = fixed_mtrr_slot(index); slot >= 0) {
    for (int b = 0; b < 8; ++b)
      if (!valid_memory_type(static_cast<u8>(value >> (8 * b)), false)) return false;
    m.mtrr_fixed[slot] = value;
    return true;
  }
  if (index >= msr::kMc0Ctl && index < msr::kMc0Ctl + 4 * MsrState::kMachineCheckBanks) {
    const unsigned bank = (index - msr::kMc0Ctl) / 4;
    switch (index & 3) {
      case 0: m.mc_ctl[bank] = value; return true;
      case 1:  // MCi_STATUS and MCi_ADDR accept only zeros (SDM Vol. 3B, 15.3.2.2)
        if (value) return false;
        m.mc_status[bank] = 0;
        return true;
      case 2: return value == 0;
      default: return false;
    }
  }
  if (index >= msr::kMtrrPhysBase0 && index < msr::kMtrrPhysBase0 + 16) {
    // 36-bit physical addresses: bits 63:36 are reserved, and 11:8 (base) or 10:0 (mask).
    const bool mask_reg = index & 1;
    const u64 reserved = ~u64{0xFFFFFFFFF} | (mask_reg ? 0x7FFu : 0xF00u);
    if (value & reserved) return false;
    if (!mask_reg && !valid_memory_type(value & 0xFF, false)) return false;
    m.mtrr_var[index - msr::kMtrrPhysBase0] = value;
    return true;
  }
  switch (index) {
    case msr::kTsc: c.s.tsc = value - c.tsc_source(); return true;
    case msr::kApicBase: m.apic_base = value & 0xFFFFF900u; return true;
    case msr::kBiosSignId: return true;  // writes start a microcode update query; nothing to load
    case msr::kSysenterCs: m.sysenter_cs = static_cast<u32>(value); return true;
    case msr::kSysenterEsp: m.sysenter_esp = static_cast<u32>(value); return true;
    case msr::kSysenterEip: m.sysenter_eip = static_cast<u32>(value); return true;
    case msr::kMiscEnable: m.misc_enable = value; return true;
    case msr::kPerfCtr0:
    case msr::kPerfCtr1: {
      // A write sets bits 31:0 and sign-extends them through bit 39 (SDM Vol. 3B, 20.6.8.1).
      const unsigned n = index - msr::kPerfCtr0;
      perf::settle(c);
      m.perf_count[n] = static_cast<u64>(static_cast<i64>(static_cast<int32_t>(value))) & perf::kCounterMask;
      perf::restart(c);
      return true;
    }
    case msr::kPerfEvtSel0:
    case msr::kPerfEvtSel1:
      if (value >> 32) return false;
      perf::settle(c);
      m.perf_evtsel[index - msr::kPerfEvtSel0] = static_cast<u32>(value);
      perf::restart(c);
      return true;
    case msr::kMcgStatus:
      if (value) return false;  // only zeros may be written (SDM Vol. 3B, 15.3.1.2)
      m.mcg_status = 0;
      return true;
    case msr::kMcgCtl: m.mcg_ctl = value; return true;
    case msr::kPat:
      for (int b = 0; b < 8; ++b)
        if ((value >> (8 * b)) & 0xF8 || !valid_memory_type(static_cast<u8>(value >> (8 * b)), true)) return false;
      m.pat = value;
      return true;
    case msr::kMtrrDefType:
      if (value & ~u64{0xCFF} || !valid_memory_type(value & 0xFF, false)) return false;
      m.mtrr_def_type = value;
      return true;
    default: return false;
  }
}

// RDMSR (0F 32) — EDX:EAX = MSR[ECX]; #GP(0) for an MSR this model does not have.
Status rdmsr(Cpu& c, const DecodedInsn&) {
  u64 value;
  if (!read_msr(c, c.s.gpr[ECX], value)) return c.raise(kGP, 0);
  c.s.gpr[EAX] = static_cast<u32>(value);
  c.s.gpr[EDX] = static_cast<u32>(value >> 32);
  return Status::Ok;
}

// WRMSR (0F 30) — MSR[ECX] = EDX:EAX.
Status wrmsr(Cpu& c, const DecodedInsn& i) {
  const u64 value = (u64{c.s.gpr[EDX]} << 32) | c.s.gpr[EAX];
  if (!write_msr(c, c.s.gpr[ECX], value)) return c.raise(kGP, 0);
  return end_block(c, i);
}

bool ring0(const Cpu& c) { return !c.s.protected_mode() || (c.s.cpl == 0 && !c.s.v86()); }

// RDTSC (0F 31) — the TSC counts retired instructions, so a deterministic run reads the same
// values every time. CR4.TSD restricts it to ring 0.
Status rdtsc(Cpu& c, const DecodedInsn&) {
  if ((c.s.cr4 & cr4::TSD) && !ring0(c)) return c.raise(kGP, 0);
  const u64 t = time_stamp(c);
  c.s.gpr[EAX] = static_cast<u32>(t);
  c.s.gpr[EDX] = static_cast<u32>(t >> 32);
  return Status::Ok;
}

// RDPMC (0F 33) — P6 has two counters (ECX = 0, 1). No events are modelled, so they read 0.
Status rdpmc(Cpu& c, const DecodedInsn&) {
  if (!(c.s.cr4 & cr4::PCE) && !ring0(c)) return c.raise(kGP, 0);
  if (c.s.gpr[ECX] > 1) return c.raise(kGP, 0);
  const u64 count = perf::read(c, c.s.gpr[ECX]);
  c.s.gpr[EAX] = static_cast<u32>(count);
  c.s.gpr[EDX] = static_cast<u32>(count >> 32);
  return Status::Ok;
}

// ---- CPUID ---------------------------------------------------------------------------------

// CPUID.1:EDX feature bits (SDM Vol. 2A, CPUID, Table 3-11). Only what emu implements: a guest
// must never take a path we cannot run (DESIGN §2).
namespace feature {
constexpr u32 FPU = 1u << 0, DE = 1u << 2, PSE = 1u << 3, TSC = 1u << 4, MSR = 1u << 5, MCE = 1u << 7, CX8 = 1u << 8,
              SEP = 1u << 11, MTRR = 1u << 12, PGE = 1u << 13, MCA = 1u << 14, CMOV = 1u << 15, PAT = 1u << 16;
}
constexpr u32 kFeatures = feature::FPU | feature::DE | feature::PSE | feature::TSC | feature::MSR | feature::MCE |
                          feature::CX8 | feature::SEP | feature::MTRR | feature::PGE | feature::MCA | feature::CMOV |
                          feature::PAT;
// Family 6, model 3, stepping 3: a Pentium II (Klamath), matching EDX after RESET (cpu.cpp).
// Model 3 stepping 3 is also the first P6 whose SYSENTER works (SDM Vol. 2B, SYSENTER note).
constexpr u32 kSignature = 0x00000633;

// CPUID (0F A2)
Status cpuid(Cpu& c, const DecodedInsn&) {
  u32 leaf = c.s.gpr[EAX];
  // Beyond the highest basic leaf (extended leaves too: a P6 has none) Intel processors return
  // the highest basic leaf's data.
  constexpr u32 kMaxLeaf = 2;
  if (leaf > kMaxLeaf) leaf = kMaxLeaf;
  u32 a = 0, b = 0, cx = 0, d = 0;
  switch (leaf) {
    case 0:
      a = kMaxLeaf;
      b = 0x756E6547;   // "Genu"
      d = 0x49656E69;   // "ineI"
      cx = 0x6C65746E;  // "ntel"
      break;
    case 1:
      a = kSignature;
      d = kFeatures;
      break;
    case 2:
      // Cache and TLB descriptors of a Pentium II (SDM Vol. 2A, Table 3-12): AL = 1 (call once);
      // 01 ITLB 4K, 02 ITLB 4M, 03 DTLB 4K, 04 DTLB 4M, 08 16K L1 I, 0C 16K L1 D, 43 512K L2.
      a = 0x03020101;
      d = 0x0C040843;
      break;
  }
  c.s.gpr[EAX] = a;
  c.s.gpr[EBX] = b;
  c.s.gpr[ECX] = cx;
  c.s.gpr[EDX] = d;
  return Status::Ok;
}

// ---- fast system calls ------------------------------------------------------------------------

// A flat 4 GiB segment at privilege `dpl`: code (execute/read) or data (read/write), 32-bit,
// as SYSENTER and SYSEXIT load them whatever the GDT says (SDM Vol. 2B, SYSENTER).
SegmentCache flat_segment(u16 selector, bool code, u8 dpl) {
  SegmentCache s;
  s.selector = selector;
  s.base = 0;
  s.limit = 0xFFFFFFFFu;
  s.attrs = desc::kPresent | desc::kNonSystem | desc::kAccessed | desc::kWritable | desc::kBig | desc::kGranularity |
            static_cast<u16>(dpl << 5) | (code ? desc::kCode : 0);
  s.usable = true;
  s.refresh_bounds();
  return s;
}

// SYSENTER (0F 34) — to ring 0 at SYSENTER_CS:SYSENTER_EIP with SS = SYSENTER_CS + 8.
Status sysenter(Cpu& c, const DecodedInsn&) {
  const u16 cs = static_cast<u16>(c.s.msr.sysenter_cs);
  if (!c.s.protected_mode() || (cs & 0xFFFC) == 0) return c.raise(kGP, 0);
  c.s.flags.bits &= ~(eflags::VM | eflags::IF | eflags::RF);
  c.s.sreg(Seg::CS) = flat_segment(cs & 0xFFFC, true, 0);
  c.s.sreg(Seg::SS) = flat_segment(static_cast<u16>((cs & 0xFFFC) + 8), false, 0);
  c.set_cpl(0);
  c.mode_changed();
  c.s.gpr[ESP] = c.s.msr.sysenter_esp;
  c.s.eip = c.s.msr.sysenter_eip;
  return Status::Jumped;
}

// SYSEXIT (0F 35) — to ring 3 at (SYSENTER_CS + 16):EDX with SS = SYSENTER_CS + 24, ESP = ECX.
Status sysexit(Cpu& c, const DecodedInsn&) {
  const u16 cs = static_cast<u16>(c.s.msr.sysenter_cs);
  if (!c.s.protected_mode() || (cs & 0xFFFC) == 0) return c.raise(kGP, 0);
  c.s.sreg(Seg::CS) = flat_segment(static_cast<u16>(((cs + 16) & 0xFFFC) | 3), true, 3);
  c.s.sreg(Seg::SS) = flat_segment(static_cast<u16>(((cs + 24) & 0xFFFC) | 3), false, 3);
  c.set_cpl(3);
  c.s.gpr[ESP] = c.s.gpr[ECX];
  c.s.eip = c.s.gpr[EDX];
  return Status::Jumped;
}

// INVD, WBINVD (0F 08, 0F 09) — emu has no caches to invalidate or write back.
Status no_cache(Cpu&, const DecodedInsn&) { return Status::Ok; }

}  // namespace

Handler select_system(const DecodedInsn& i) {
  const bool o32 = i.op32;
  switch (i.entry->op) {
    case Op::Lgdt: return load_table_register<false>;
    case Op::Lidt: return load_table_register<true>;
    case Op::Sgdt: return store_table_register<false>;
    case Op::Sidt: return store_table_register<true>;
    case Op::Lldt: return lldt;
    case Op::Sldt: return sldt;
    case Op::Ltr: return ltr;
    case Op::Str: return str;
    case Op::Lmsw: return lmsw;
    case Op::Smsw: return smsw;
    case Op::Invlpg: return invlpg;
    case Op::Lar: return o32 ? inspect<u32, Inspect::Lar> : inspect<u16, Inspect::Lar>;
    case Op::Lsl: return o32 ? inspect<u32, Inspect::Lsl> : inspect<u16, Inspect::Lsl>;
    case Op::Verr: return verify<false>;
    case Op::Verw: return verify<true>;
    case Op::Arpl: return arpl;
    case Op::Clts: return clts;
    case Op::MovToCr: return mov_to_cr;
    case Op::MovFromCr: return mov_from_cr;
    case Op::MovToDr: return mov_to_dr;
    case Op::MovFromDr: return mov_from_dr;
    case Op::Rdmsr: return rdmsr;
    case Op::Wrmsr: return wrmsr;
    case Op::Rdtsc: return rdtsc;
    case Op::Rdpmc: return rdpmc;
    case Op::Cpuid: return cpuid;
    case Op::Sysenter: return sysenter;
    case Op::Sysexit: return sysexit;
    case Op::Invd:
    case Op::Wbinvd: return no_cache;
    case Op::Ud2: return undefined_opcode;
    default: return nullptr;
  }
}

}  // namespace emu::sem
