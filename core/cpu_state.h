// The architectural state of a P6-class IA-32 processor: everything a program can observe and
// everything savevm must keep. Behaviour lives in cpu.h and translator/; this file is data.
#pragma once
#include <array>

#include "core/flags.h"
#include "core/types.h"

namespace emu {

// General-purpose register numbers, in ModRM encoding order (SDM Vol. 2A, Table 2-1).
enum Reg : u8 { EAX, ECX, EDX, EBX, ESP, EBP, ESI, EDI };

// Segment register numbers, in the encoding order of the Sreg field (SDM Vol. 2A, 3.1.1.2).
enum class Seg : u8 { ES, CS, SS, DS, FS, GS };
inline constexpr int kSegCount = 6;

// Descriptor attribute bits as they sit in bytes 5 and 6 of a segment descriptor, packed into 12
// bits: bits 0-7 = byte 5 (type, S, DPL, P), bits 8-11 = high nibble of byte 6 (AVL, L, D/B, G).
// SDM Vol. 3A, 3.4.5 "Segment Descriptors".
namespace desc {
inline constexpr u16 kAccessed = 0x001;
inline constexpr u16 kWritable = 0x002;    // data: writable; code: readable
inline constexpr u16 kExpandDown = 0x004;  // data: expand-down; code: conforming
inline constexpr u16 kCode = 0x008;
inline constexpr u16 kNonSystem = 0x010;  // S bit: 1 = code/data, 0 = system
inline constexpr u16 kPresent = 0x080;
inline constexpr u16 kBig = 0x400;  // D/B
inline constexpr u16 kGranularity = 0x800;
constexpr u8 dpl(u16 attrs) { return (attrs >> 5) & 3; }
constexpr u8 type(u16 attrs) { return attrs & 0xF; }
}  // namespace desc

// The hidden part of a segment register (the "descriptor cache", SDM Vol. 3A, 3.4.3). Once loaded,
// it is what the CPU uses: real-mode code can keep a 4 GiB limit set in protected mode ("unreal
// mode") because loads in real mode change only base and selector.
struct SegmentCache {
  u16 selector = 0;
  u32 base = 0;
  u32 limit = 0xFFFF;  // byte-granular limit, already scaled by G
  u16 attrs = desc::kPresent | desc::kNonSystem | desc::kWritable | desc::kAccessed;
  // Derived from limit/attrs by refresh_bounds(): the lowest and highest valid offset, so a limit
  // check is two compares for both expand-up and expand-down segments.
  u32 lo = 0;
  u32 hi = 0xFFFF;
  bool usable = true;  // false for a null selector in protected mode: any access faults
  // Derived by refresh_bounds() too: a usable, writable data segment whose offsets span 4 GiB
  // (the flat model every 32-bit OS uses), where only an access wrapping past 4 GiB faults
  // whatever the mode. Whoever changes usable, limit or attrs calls refresh_bounds().
  bool flat = false;

  bool big() const { return attrs & desc::kBig; }
  u8 dpl() const { return desc::dpl(attrs); }
  bool is_code() const { return (attrs & desc::kNonSystem) && (attrs & desc::kCode); }
  void refresh_bounds() {
    const bool data = (attrs & desc::kNonSystem) && !(attrs & desc::kCode);
    if (data && (attrs & desc::kExpandDown)) {
      lo = limit + 1;  // SDM Vol. 3A, 3.4.5.1: valid offsets are limit+1 .. 0xFFFF or 0xFFFFFFFF
      hi = big() ? 0xFFFFFFFFu : 0xFFFFu;
    } else {
      lo = 0;
      hi = limit;
    }
    flat = usable && data && (attrs & desc::kWritable) && lo == 0 && hi == 0xFFFFFFFFu;
  }
};

struct TableRegister {  // GDTR and IDTR
  u32 base = 0;
  u16 limit = 0xFFFF;
};

// EFLAGS bits (SDM Vol. 1, 3.4.3).
namespace eflags {
inline constexpr u32 CF = 1u << 0;
inline constexpr u32 kReserved1 = 1u << 1;  // always reads as 1
inline constexpr u32 PF = 1u << 2;
inline constexpr u32 AF = 1u << 4;
inline constexpr u32 ZF = 1u << 6;
inline constexpr u32 SF = 1u << 7;
inline constexpr u32 TF = 1u << 8;
inline constexpr u32 IF = 1u << 9;
inline constexpr u32 DF = 1u << 10;
inline constexpr u32 OF = 1u << 11;
inline constexpr u32 IOPL = 3u << 12;
inline constexpr u32 NT = 1u << 14;
inline constexpr u32 RF = 1u << 16;
inline constexpr u32 VM = 1u << 17;
inline constexpr u32 AC = 1u << 18;
inline constexpr u32 VIF = 1u << 19;
inline constexpr u32 VIP = 1u << 20;
inline constexpr u32 ID = 1u << 21;
inline constexpr u32 kArith = CF | PF | AF | ZF | SF | OF;
// Bits software can change on this CPU model (P6 has AC and ID; VIF/VIP only with CR4.VME/PVI).
inline constexpr u32 kWritable = kArith | TF | IF | DF | IOPL | NT | RF | VM | AC | VIF | VIP | ID;
}  // namespace eflags

namespace cr0 {
inline constexpr u32 PE = 1u << 0;
inline constexpr u32 MP = 1u << 1;
inline constexpr u32 EM = 1u << 2;
inline constexpr u32 TS = 1u << 3;
inline constexpr u32 ET = 1u << 4;
inline constexpr u32 NE = 1u << 5;
inline constexpr u32 WP = 1u << 16;
inline constexpr u32 AM = 1u << 18;
inline constexpr u32 NW = 1u << 29;
inline constexpr u32 CD = 1u << 30;
inline constexpr u32 PG = 1u << 31;
}  // namespace cr0

namespace cr4 {
inline constexpr u32 VME = 1u << 0;
inline constexpr u32 PVI = 1u << 1;
inline constexpr u32 TSD = 1u << 2;
inline constexpr u32 DE = 1u << 3;
inline constexpr u32 PSE = 1u << 4;
inline constexpr u32 PAE = 1u << 5;
inline constexpr u32 MCE = 1u << 6;
inline constexpr u32 PGE = 1u << 7;
inline constexpr u32 PCE = 1u << 8;
inline constexpr u32 OSFXSR = 1u << 9;
// What this CPU model implements; setting any other bit is #GP(0) (SDM Vol. 3A, 2.5). VME/PVI
// (virtual interrupt flags) and PAE are not implemented yet, and CPUID does not report them.
// MCE only enables the #MC exception, which emulated hardware never raises.
inline constexpr u32 kSupported = TSD | DE | PSE | MCE | PGE | PCE;
}  // namespace cr4

// x87 FPU state (SDM Vol. 1, chapter 8). Registers are kept as host 80-bit long double, which on
// x86-64 is exactly the x87 extended format, in physical order R0..R7; ST(i) = R[(TOP+i) & 7].
struct FpuState {
  std::array<long double, 8> regs{};
  u16 control = 0x037F;  // FNINIT value
  u16 status = 0;        // TOP lives in bits 11-13
  u16 tag = 0xFFFF;      // full tag word, 2 bits per physical register (11 = empty)
  u16 last_opcode = 0;   // FOP: low 11 bits of the last non-control instruction
  u32 last_ip = 0;
  u16 last_cs = 0;
  u32 last_dp = 0;
  u16 last_ds = 0;
};

// Model-specific registers this CPU implements (SDM Vol. 4).
struct MsrState {
  u32 sysenter_cs = 0;
  u32 sysenter_esp = 0;
  u32 sysenter_eip = 0;
  u64 apic_base = 0;  // reported, but no local APIC exists yet, so CPUID clears the APIC bit
  u64 pat = 0x0007040600070406ull;
  u64 mtrr_def_type = 0;
  std::array<u64, 16> mtrr_var{};
  std::array<u64, 11> mtrr_fixed{};
  u64 misc_enable = 1;  // fast strings
  // Machine-check architecture (SDM Vol. 3B, 15.3): MCG_STATUS, MCG_CTL and five banks of
  // MCi_CTL/MCi_STATUS/MCi_ADDR. Emulated hardware has no errors to report, so a status
  // register changes only when software writes it (with zeros).
  static constexpr unsigned kMachineCheckBanks = 5;
  u64 mcg_status = 0, mcg_ctl = 0;
  std::array<u64, kMachineCheckBanks> mc_ctl{}, mc_status{};
  // P6 performance counters (SDM Vol. 3B, 20.6.8 "Performance Monitoring (P6 Family)"):
  // PerfEvtSel0/1 and the 40-bit PerfCtr0/1, kept as the count at the moment of the last change
  // plus what the selected event source did since (`perf_origin`).
  std::array<u32, 2> perf_evtsel{};
  std::array<u64, 2> perf_count{}, perf_origin{};
};

struct CpuState {
  std::array<u32, 8> gpr{};
  u32 eip = 0xFFF0;
  Flags flags;
  std::array<SegmentCache, kSegCount> seg{};
  TableRegister gdtr, idtr;
  SegmentCache ldtr, tr;
  u32 cr0 = cr0::ET | cr0::CD | cr0::NW;  // reset value 0x60000010 (SDM Vol. 3A, 10.1.1)
  u32 cr2 = 0, cr3 = 0, cr4 = 0;
  std::array<u32, 8> dr{0, 0, 0, 0, 0xFFFF0FF0, 0x400, 0xFFFF0FF0, 0x400};
  u64 tsc = 0;
  MsrState msr;
  FpuState fpu;
  u8 cpl = 0;
  bool halted = false;
  // Interrupts are held off for one instruction after STI (when IF was clear) and after a load of
  // SS (MOV SS, POP SS), so that "mov ss, ax; mov esp, x" is atomic (SDM Vol. 3A, 6.8.3).
  bool interrupt_shadow = false;

  u32& reg(Reg r) { return gpr[r]; }
  SegmentCache& sreg(Seg s) { return seg[static_cast<u8>(s)]; }
  const SegmentCache& sreg(Seg s) const { return seg[static_cast<u8>(s)]; }
  bool protected_mode() const { return cr0 & cr0::PE; }
  bool v86() const { return flags.bits & eflags::VM; }
  bool paging() const { return (cr0 & (cr0::PG | cr0::PE)) == (cr0::PG | cr0::PE); }
  u32 iopl() const { return (flags.bits >> 12) & 3; }
  bool code32() const { return sreg(Seg::CS).big(); }
  bool stack32() const { return sreg(Seg::SS).big(); }
};

}  // namespace emu
