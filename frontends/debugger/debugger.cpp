#include "frontends/debugger/debugger.h"

#include <algorithm>
#include <cctype>
#include <cinttypes>
#include <cstdarg>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "core/text.h"
#include "frontends/gdbstub/debug_memory.h"
#include "frontends/monitor/monitor.h"
#include "translator/decoder.h"
#include "translator/opcode_table.h"

namespace emu {

// The monitor already knows address expressions ($esp+8), QEMU's x/xp formats and the table of
// VMM counters; the debugger reaches them through a Monitor bound to the same Cpu instead of
// copying them. The bridge is a MonitorTarget whose run-control calls do nothing: the debugger
// only ever asks it for x, xp, `info sensitive` and evaluate().
struct Debugger::MonitorBridge final : MonitorTarget {
  explicit MonitorBridge(Cpu& c) : target_cpu(c), monitor(*this) {}
  Cpu& cpu() override { return target_cpu; }
  std::optional<std::string> describe_device(std::string_view) override { return std::nullopt; }
  std::vector<std::string> device_names() const override { return {}; }
  bool running() const override { return false; }
  void stop() override {}
  void cont() override {}
  void system_reset() override {}
  void quit() override {}

  Cpu& target_cpu;
  Monitor monitor;
};

namespace {

// ---- text helpers ----------------------------------------------------------------------------

// One error line; every failing command answers with exactly one.
std::string error(const char* fmt, ...) __attribute__((format(printf, 1, 2)));
std::string error(const char* fmt, ...) {
  va_list args;
  va_start(args, fmt);
  std::string text = "error: " + vprintf_string(fmt, args) + "\n";
  va_end(args);
  return text;
}

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& ch : out) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
  return out;
}

// A count: decimal or 0x-hex, no sign.
std::optional<u64> parse_count(std::string_view text) {
  const std::string s(trim(text));
  if (s.empty() || !std::isdigit(static_cast<unsigned char>(s[0]))) return std::nullopt;
  char* stop = nullptr;
  const unsigned long long v = std::strtoull(s.c_str(), &stop, 0);
  if (*stop) return std::nullopt;
  return v;
}

// "label      text" with the text wrapped at 100 columns under itself, so long explanations stay
// readable on a terminal and in a lab sheet.
std::string labelled(std::string_view label, std::string_view text) {
  constexpr std::size_t kIndent = 11, kWidth = 100;
  std::string out(label);
  out.resize(kIndent, ' ');
  std::size_t column = kIndent;
  bool first = true;
  std::string_view rest = text;
  while (!rest.empty()) {
    const std::string_view word = next_word(rest);
    if (word.empty()) break;
    if (!first && column + 1 + word.size() > kWidth) {
      out += '\n';
      out.append(kIndent, ' ');
      column = kIndent;
      first = true;
    }
    if (!first) {
      out += ' ';
      ++column;
    }
    out += word;
    column += word.size();
    first = false;
  }
  return out + "\n";
}

// ---- machine facts -----------------------------------------------------------------------------

const char* mode_name(const CpuState& s) {
  if (!s.protected_mode()) return "real";
  return s.v86() ? "V86" : "protected";
}

// Whether the CPU is where privilege levels apply (protected mode proper; V86 code runs at CPL 3
// but under its own IOPL rules).
bool outside_ring0(const CpuState& s) { return s.protected_mode() && (s.cpl > 0 || s.v86()); }

u32 current_pc(const Cpu& cpu) { return cpu.s.sreg(Seg::CS).base + cpu.s.eip; }

const char* exception_name(unsigned vector) {
  static constexpr const char* kNames[32] = {"#DE", "#DB", "NMI", "#BP", "#OF", "#BR", "#UD", "#NM", "#DF", "",
                                             "#TS", "#NP", "#SS", "#GP", "#PF", "",    "#MF", "#AC", "#MC", "#XM"};
  return vector < 32 && kNames[vector] ? kNames[vector] : "";
}

// EFLAGS as Bochs shows it: every flag's name, upper case when set, so the layout never moves.
std::string flag_letters(u32 fl) {
  struct Bit {
    u32 mask;
    const char* name;
  };
  static constexpr Bit kHigh[] = {{eflags::ID, "id"}, {eflags::VIP, "vip"}, {eflags::VIF, "vif"}, {eflags::AC, "ac"},
                                  {eflags::VM, "vm"}, {eflags::RF, "rf"},   {eflags::NT, "nt"}};
  static constexpr Bit kLow[] = {{eflags::OF, "of"}, {eflags::DF, "df"}, {eflags::IF, "if"},
                                 {eflags::TF, "tf"}, {eflags::SF, "sf"}, {eflags::ZF, "zf"},
                                 {eflags::AF, "af"}, {eflags::PF, "pf"}, {eflags::CF, "cf"}};
  std::string out;
  auto add = [&](const Bit& b) {
    if (!out.empty()) out += ' ';
    for (const char* p = b.name; *p; ++p)
      out += (fl & b.mask) ? static_cast<char>(std::toupper(static_cast<unsigned char>(*p))) : *p;
  };
  for (const Bit& b : kHigh) add(b);
  out += printf_string(" IOPL=%u", (fl >> 12) & 3);
  for (const Bit& b : kLow) add(b);
  return out;
}

// The type field in words (SDM Vol. 3A §3.4.5.1 Table 3-1 for code/data, §3.5 Table 3-2 for
// system descriptors).
std::string type_words(u16 attrs) {
  if (attrs & desc::kNonSystem) {
    std::string w;
    if (attrs & desc::kCode) {
      w = (attrs & desc::kWritable) ? "code, execute/read" : "code, execute-only";
      if (attrs & desc::kExpandDown) w += ", conforming";
    } else {
      w = (attrs & desc::kWritable) ? "data, read/write" : "data, read-only";
      if (attrs & desc::kExpandDown) w += ", expand-down";
    }
    if (attrs & desc::kAccessed) w += ", accessed";
    return w;
  }
  static constexpr const char* kSystem[16] = {
      "reserved system type 0", "16-bit TSS (available)",  "LDT",
      "16-bit TSS (busy)",      "16-bit call gate",        "task gate",
      "16-bit interrupt gate",  "16-bit trap gate",        "reserved system type 8",
      "32-bit TSS (available)", "reserved system type 10", "32-bit TSS (busy)",
      "32-bit call gate",       "reserved system type 13", "32-bit interrupt gate",
      "32-bit trap gate"};
  return kSystem[desc::type(attrs)];
}

bool is_gate(u16 attrs) {
  if (attrs & desc::kNonSystem) return false;
  switch (desc::type(attrs)) {
    case 4:
    case 5:
    case 6:
    case 7:
    case 12:
    case 14:
    case 15: return true;
    default: return false;
  }
}

// A row of the descriptor tables (sregs, gdt): every column has a fixed width.
//   reg/idx(4) sel(4) index(5) TI(3) RPL(3) base(8) limit(8) DPL(3) P(1) D/B(3) G(2) type
std::string descriptor_columns(const std::string& base, const std::string& limit, const std::string& dpl,
                               const std::string& present, const std::string& db, const std::string& g,
                               const std::string& type) {
  return printf_string("%-8s %-8s %-3s %-1s %-3s %-2s %s", base.c_str(), limit.c_str(), dpl.c_str(), present.c_str(),
                       db.c_str(), g.c_str(), type.c_str());
}
constexpr const char* kDescriptorHeader = "base     limit    DPL P D/B G  type";

// The columns from base on, for a descriptor cache or a decoded table entry.
std::string describe_cache(const SegmentCache& c) {
  const bool system = !(c.attrs & desc::kNonSystem);
  return descriptor_columns(printf_string("%08x", c.base), printf_string("%08x", c.limit), printf_string("%u", c.dpl()),
                            (c.attrs & desc::kPresent) ? "1" : "0", system ? "-" : (c.big() ? "32" : "16"),
                            (c.attrs & desc::kGranularity) ? "4K" : "B", type_words(c.attrs));
}

std::string selector_columns(u16 sel) {
  return printf_string("%04x  %-5u %-3s %-3u ", sel, sel >> 3u, (sel & 4) ? "LDT" : "GDT", sel & 3u);
}
constexpr const char* kSelectorHeader = "sel   index TI  RPL ";

// Reads one 8-byte descriptor from a table at a linear address, without side effects.
std::optional<u64> read_descriptor_at(const Cpu& cpu, u32 linear) {
  u8 bytes[8];
  if (debug::read_linear(cpu, linear, bytes, sizeof bytes) != sizeof bytes) return std::nullopt;
  u64 d;
  std::memcpy(&d, bytes, sizeof d);
  return d;
}

u32 read_u32(const u8* p) {
  u32 v;
  std::memcpy(&v, p, 4);
  return v;
}
u16 read_u16(const u8* p) {
  u16 v;
  std::memcpy(&v, p, 2);
  return v;
}

// Gate fields (SDM Vol. 3A §5.8.3 Figure 5-8 call gates, §6.11 Figure 6-2 IDT gates).
struct Gate {
  u16 selector;
  u32 offset;
  u8 params;
};
Gate gate_fields(u64 d, bool wide) {
  const u32 lo = static_cast<u32>(d), hi = static_cast<u32>(d >> 32);
  const u32 offset = wide ? ((hi & 0xFFFF0000u) | (lo & 0xFFFF)) : (lo & 0xFFFF);
  return {static_cast<u16>(lo >> 16), offset, static_cast<u8>(hi & 0x1F)};
}

// The gate types valid in an IDT (SDM Vol. 3A §6.11): task, 16/32-bit interrupt and trap gates.
std::string idt_gate_words(u16 attrs) {
  switch (desc::type(attrs)) {
    case 5: return "task gate (task switch to the TSS)";
    case 6: return "16-bit interrupt gate (clears IF)";
    case 7: return "16-bit trap gate (IF unchanged)";
    case 14: return "32-bit interrupt gate (clears IF)";
    case 15: return "32-bit trap gate (IF unchanged)";
    default: return printf_string("not a gate (system type %u): #GP on delivery", desc::type(attrs));
  }
}

// Page-table entry flags (SDM Vol. 3A §4.3, Tables 4-4 to 4-6), upper case when set. Bit 7 is PS
// in a PDE and PAT in a PTE.
std::string entry_flags(u32 e, bool pte) {
  struct Bit {
    u32 mask;
    const char* name;
  };
  const Bit bits[] = {{1u << 0, "p"},   {1u << 1, "rw"}, {1u << 2, "us"}, {1u << 3, "pwt"},
                      {1u << 4, "pcd"}, {1u << 5, "a"},  {1u << 6, "d"},  {1u << 7, pte ? "pat" : "ps "},
                      {1u << 8, "g"}};
  std::string out;
  for (const Bit& b : bits) {
    if (!out.empty()) out += ' ';
    for (const char* p = b.name; *p; ++p)
      out += (e & b.mask) ? static_cast<char>(std::toupper(static_cast<unsigned char>(*p))) : *p;
  }
  return out;
}

// The #PF error code for a read by the current CPL (SDM Vol. 3A §4.7): bit 0 P (protection
// violation rather than not-present), bit 1 W/R (0: read), bit 2 U/S (CPL 3, which V86 code is).
std::string page_fault_words(u32 code) {
  return printf_string("P=%u %s, W/R=0 read, U/S=%u %s", code & 1, (code & 1) ? "protection" : "not present",
                       (code >> 2) & 1, (code & 4) ? "user" : "supervisor");
}

std::string rights_words(bool us, bool rw, bool wp) {
  std::string out = us ? "user and supervisor, " : "supervisor only, ";
  out += rw ? "read/write" : (wp ? "read-only (CR0.WP=1: for ring 0 too)" : "read-only (CR0.WP=0: ring 0 may write)");
  return out;
}

// ---- explain: what an instruction does -------------------------------------------------------

// The semantics file each group of operations lives in (the groups of enum Op, opcode_table.h).
const char* semantics_file(Op op) {
  const auto n = static_cast<unsigned>(op);
  auto in = [n](Op first, Op last) { return n >= static_cast<unsigned>(first) && n <= static_cast<unsigned>(last); };
  if (in(Op::Add, Op::Nop)) return "alu.cpp";
  if (in(Op::Rol, Op::Shrd)) return "shift.cpp";
  if (in(Op::Bt, Op::Bsr)) return "bit.cpp";
  if (in(Op::Daa, Op::Aad)) return "bcd.cpp";
  if (in(Op::Mul, Op::Idiv)) return "muldiv.cpp";
  if (in(Op::Movs, Op::Outs)) return "string.cpp";
  if (in(Op::Push, Op::PopSeg)) return "stack.cpp";
  if (in(Op::Jcc, Op::Wait)) return "control.cpp";
  if (in(Op::JmpFar, Op::Lgs)) return "farcontrol.cpp";
  if (in(Op::Lgdt, Op::Ud2)) return "system.cpp";
  return "x87.cpp";
}

std::string stack_words(const CpuState& s) { return s.stack32() ? "SS:ESP (32-bit stack)" : "SS:SP (16-bit stack)"; }

// What the operation does, in the current mode. The common classes have their own sentence;
// everything else gets the opcode table's syntax and the attributes.
std::string does(const Cpu& cpu, const DecodedInsn& i) {
  const CpuState& s = cpu.s;
  const bool prot = s.protected_mode() && !s.v86();
  const bool v86 = s.protected_mode() && s.v86();
  const unsigned width = i.op32 ? 32 : 16;
  const char* ip = i.op32 ? "EIP" : "IP";
  switch (i.entry->op) {
    case Op::Add: return "Adds the source to the destination and stores the sum in the destination.";
    case Op::Adc: return "Adds the source and CF to the destination (multi-word addition).";
    case Op::Sub: return "Subtracts the source from the destination and stores the difference in the destination.";
    case Op::Sbb: return "Subtracts the source and CF from the destination (multi-word subtraction).";
    case Op::And: return "Bitwise AND of destination and source into the destination; clears OF and CF.";
    case Op::Or: return "Bitwise OR of destination and source into the destination; clears OF and CF.";
    case Op::Xor: return "Bitwise exclusive OR into the destination (xor r, r is the idiom for r = 0); clears OF, CF.";
    case Op::Cmp: return "Subtracts the source from the destination only to set the flags; nothing is stored.";
    case Op::Test: return "ANDs the operands only to set SF, ZF and PF (OF = CF = 0); nothing is stored.";
    case Op::Inc: return "Adds 1 to the operand; CF is left unchanged.";
    case Op::Dec: return "Subtracts 1 from the operand; CF is left unchanged.";
    case Op::Neg: return "Replaces the operand with its two's complement (0 - operand); CF = operand != 0.";
    case Op::Not: return "Inverts every bit of the operand; flags unchanged.";
    case Op::Mov: return "Copies the source to the destination; flags unchanged.";
    case Op::MovZx: return "Copies a smaller source into a register, filling the upper bits with zeros.";
    case Op::MovSx: return "Copies a smaller source into a register, filling the upper bits with its sign bit.";
    case Op::Xchg: return "Swaps the two operands (with a memory operand it is locked even without LOCK).";
    case Op::Lea: return "Computes the offset of the memory operand and stores it; no memory is read.";
    case Op::Nop: return "Does nothing but advance EIP.";
    case Op::Cmovcc: return "Copies the source to the register if the condition holds in EFLAGS.";
    case Op::Setcc: return "Stores 1 in the byte operand if the condition holds in EFLAGS, else 0.";
    case Op::Cmpxchg:
      return "Compares the accumulator with the destination: if equal, stores the source there (ZF=1), else loads the "
             "destination into the accumulator (ZF=0). With LOCK it is the atomic compare-and-swap.";
    case Op::Mul:
    case Op::Imul1: return "Multiplies the accumulator by the operand into the double-width DX:AX / EDX:EAX pair.";
    case Op::Imul2:
    case Op::Imul3: return "Signed multiply, truncated to the destination register; CF = OF = 1 when it did not fit.";
    case Op::Div:
    case Op::Idiv:
      return "Divides the double-width accumulator by the operand: quotient in (E)AX, remainder in (E)DX; #DE on a "
             "zero divisor or a quotient that does not fit.";
    case Op::Movs:
    case Op::Cmps:
    case Op::Stos:
    case Op::Lods:
    case Op::Scas:
      return std::string("String operation on DS:") + (i.addr32 ? "ESI" : "SI") +
             " and/or ES:" + (i.addr32 ? "EDI" : "DI") + ", which then step by the element size (down when DF = 1)" +
             (i.rep != RepPrefix::None ? "; the REP prefix repeats it (E)CX times." : ".");
    case Op::Push: return printf_string("Pushes the %u-bit operand onto %s.", width, stack_words(s).c_str());
    case Op::Pop: return printf_string("Pops %u bits from %s into the operand.", width, stack_words(s).c_str());
    case Op::Pusha: return "Pushes the eight general registers (the ESP value before the first push).";
    case Op::Popa: return "Pops the eight general registers, skipping the saved ESP.";
    case Op::Enter: return "Makes a stack frame: pushes EBP, copies nesting-level frame pointers, reserves space.";
    case Op::Leave: return "Tears down the frame: ESP = EBP, then pops EBP.";
    case Op::Pushf:
      if (v86 && s.iopl() < 3)
        return "In V86 mode with IOPL < 3 PUSHF raises #GP(0), so the V86 monitor can emulate it.";
      return printf_string("Pushes EFLAGS (%u bits) onto %s; the image has VM and RF clear.", width,
                           stack_words(s).c_str());
    case Op::Popf:
      if (!s.protected_mode()) return "Pops FLAGS/EFLAGS from the stack; in real mode every writable flag changes.";
      if (v86)
        return s.iopl() < 3 ? "In V86 mode with IOPL < 3 POPF raises #GP(0), so the V86 monitor can emulate it."
                            : "Pops EFLAGS; in V86 mode IOPL, VM and RF are left unchanged.";
      if (s.cpl == 0) return "Pops EFLAGS; at CPL 0 it may change IF and IOPL (VM and RF stay as they are).";
      if (s.cpl <= s.iopl())
        return printf_string("Pops EFLAGS; at CPL %u (<= IOPL %u) IF may change but IOPL silently stays.", s.cpl,
                             s.iopl());
      return printf_string(
          "Pops EFLAGS; at CPL %u (> IOPL %u) changes to IF and IOPL are silently dropped -- no fault, no trap.", s.cpl,
          s.iopl());
    case Op::PushSeg:
      return printf_string("Pushes a segment selector onto %s (zero-extended to %u bits).", stack_words(s).c_str(),
                           width);
    case Op::PopSeg:
    case Op::MovToSeg:
    case Op::Lds:
    case Op::Les:
    case Op::Lss:
    case Op::Lfs:
    case Op::Lgs:
      if (!prot)
        return std::string("Loads a segment register; in ") + (v86 ? "V86" : "real") +
               " mode its base becomes selector * 16 and nothing is read from a descriptor table.";
      return "Loads a segment register in protected mode: reads the descriptor from the GDT or LDT, checks its type, "
             "present bit and DPL against CPL and RPL (SS needs DPL = RPL = CPL), and fills the hidden descriptor "
             "cache (SDM Vol. 3A §3.4.3, §5.6).";
    case Op::MovFromSeg:
      return "Stores a segment register's selector; its low two bits (RPL) show the privilege level.";
    case Op::Jcc: return "Jumps to the relative target if the condition holds in EFLAGS, else falls through.";
    case Op::Jmp:
    case Op::JmpIndirect: return printf_string("Jumps within the code segment: %s = target.", ip);
    case Op::Call:
    case Op::CallIndirect:
      return printf_string("Pushes the return %s onto %s and jumps to the target in the same code segment.", ip,
                           stack_words(s).c_str());
    case Op::Ret:
      return printf_string("Pops %s from %s (and releases imm16 more bytes if given).", ip, stack_words(s).c_str());
    case Op::Loop:
    case Op::Loope:
    case Op::Loopne: return "Decrements (E)CX and jumps if it is not zero (and the ZF condition holds).";
    case Op::Jcxz: return "Jumps if (E)CX is zero.";
    case Op::Clc: return "Clears CF.";
    case Op::Stc: return "Sets CF.";
    case Op::Cmc: return "Complements CF.";
    case Op::Cld: return "Clears DF: string instructions step upwards.";
    case Op::Std: return "Sets DF: string instructions step downwards.";
    case Op::Cli:
    case Op::Sti: {
      const char* what = i.entry->op == Op::Cli ? "Clears IF: maskable interrupts are held off"
                                                : "Sets IF: maskable interrupts are taken again, after one more "
                                                  "instruction";
      if (!s.protected_mode() || (!s.v86() && s.cpl <= s.iopl())) return printf_string("%s.", what);
      return printf_string("%s -- but only when CPL <= IOPL; here CPL %u > IOPL %u, so it raises #GP(0).", what,
                           s.v86() ? 3u : s.cpl, s.iopl());
    }
    case Op::Hlt: return "Stops the processor until an interrupt or NMI arrives (emu's run loop lets time pass).";
    case Op::In:
    case Op::Out:
      if (!s.protected_mode() || (!s.v86() && s.cpl <= s.iopl()))
        return "Transfers data between (E)AX and an I/O port.";
      return printf_string(
          "Transfers data between (E)AX and an I/O port; at CPL %u > IOPL %u the TSS I/O permission bitmap "
          "decides, #GP(0) if it denies (SDM Vol. 1 §18.5).",
          s.v86() ? 3u : s.cpl, s.iopl());
    case Op::JmpFar:
    case Op::JmpFarIndirect:
    case Op::CallFar:
    case Op::CallFarIndirect: {
      const bool call = i.entry->op == Op::CallFar || i.entry->op == Op::CallFarIndirect;
      const std::string push = call ? printf_string("Pushes CS and %s, then l", ip) : "L";
      if (!prot) return push + "oads CS:" + ip + " from the far pointer; CS base = selector * 16.";
      return push + "oads CS:" + ip +
             " through the selector's descriptor: a code segment (same privilege, or conforming), a call gate " +
             (call ? "(which may enter an inner ring and switch to its stack from the TSS)"
                   : "(JMP never changes privilege)") +
             ", or a TSS or task gate (a task switch).";
    }
    case Op::RetFar:
      if (!prot) return printf_string("Pops %s and CS; CS base = selector * 16.", ip);
      return printf_string(
          "Pops %s and CS; if the popped CS selector's RPL is above CPL it returns to that outer ring, "
          "popping ESP and SS too and nulling data segments the outer ring may not use.",
          ip);
    case Op::Iret:
      if (!s.protected_mode()) return "Pops IP, CS and FLAGS: returns from an interrupt handler.";
      if (v86)
        return s.iopl() < 3 ? "In V86 mode with IOPL < 3 IRET raises #GP(0) for the V86 monitor."
                            : "Pops IP, CS and FLAGS within V86 mode.";
      return "Returns from a handler: with NT set a task return through the TSS link; else pops EIP, CS and EFLAGS, "
             "and ESP and SS when returning to an outer ring (or to V86 mode when the popped EFLAGS has VM set).";
    case Op::Int3:
    case Op::IntN:
    case Op::Into:
      if (!s.protected_mode())
        return "Software interrupt: pushes FLAGS, CS and IP and jumps through the real-mode vector table (4 bytes "
               "per vector at IDTR.base).";
      if (v86 && i.entry->op == Op::IntN && s.iopl() < 3)
        return "Software interrupt in V86 mode with IOPL < 3: #GP(0), so the V86 monitor can reflect it.";
      return "Software interrupt through the IDT gate: #GP unless the gate's DPL >= CPL; a gate into an inner ring "
             "switches to that ring's stack from the TSS (SDM Vol. 3A §6.12).";
    case Op::Lgdt:
    case Op::Lidt:
      return printf_string("Loads %s (16-bit limit, then base) from the 6-byte memory operand%s.",
                           i.entry->op == Op::Lgdt ? "GDTR" : "IDTR",
                           i.op32 ? "" : "; with a 16-bit operand size only 24 bits of the base are used");
    case Op::Sgdt:
    case Op::Sidt:
      return printf_string(
          "Stores %s -- the 16-bit limit, then the 32-bit base -- to the 6 bytes at the memory operand.",
          i.entry->op == Op::Sgdt ? "GDTR" : "IDTR");
    case Op::Sldt:
    case Op::Str:
      if (!prot) return "Not recognised in real or V86 mode: #UD.";
      return printf_string("Stores the %s selector.", i.entry->op == Op::Sldt ? "LDTR" : "TR (current task's TSS)");
    case Op::Lldt:
    case Op::Ltr:
      if (!prot) return "Not recognised in real or V86 mode: #UD.";
      return i.entry->op == Op::Lldt ? "Loads LDTR from a GDT selector of an LDT descriptor."
                                     : "Loads TR from a GDT selector of an available TSS and marks that TSS busy.";
    case Op::Smsw:
      return "Stores the machine status word, the low 16 bits of CR0 (PE MP EM TS ET NE); to a 32-bit register "
             "a P6 stores all of CR0.";
    case Op::Lmsw: return "Loads PE, MP, EM and TS of CR0 from the operand; it can set PE but never clear it.";
    case Op::Invlpg: return "Drops the TLB entry for the page holding the memory operand's linear address.";
    case Op::Lar:
    case Op::Lsl:
    case Op::Verr:
    case Op::Verw: {
      if (!prot) return "Not recognised in real or V86 mode: #UD.";
      const char* what = i.entry->op == Op::Lar    ? "loads the descriptor's access rights"
                         : i.entry->op == Op::Lsl  ? "loads the descriptor's limit (in bytes)"
                         : i.entry->op == Op::Verr ? "reports that the segment is readable"
                                                   : "reports that the segment is writable";
      return printf_string(
          "If the selector's descriptor is visible at CPL %u and the selector's RPL (DPL >= both), %s and "
          "sets ZF; otherwise clears ZF. It never faults on a bad selector.",
          s.cpl, what);
    }
    case Op::Arpl: return "Raises the destination selector's RPL to the source's if it is lower (sets ZF then).";
    case Op::Clts: return "Clears CR0.TS (the task-switched flag that makes x87 instructions raise #NM).";
    case Op::MovToCr:
      switch (i.reg) {
        case 0:
          return "Writes CR0 from a general register: PE turns protected mode on or off, PG paging, WP write "
                 "protection at ring 0, TS/EM/MP the x87 traps, CD/NW the caches (SDM Vol. 3A §2.5).";
        case 2: return "Writes CR2, the page-fault linear address.";
        case 3:
          return "Writes CR3: the physical address of the page directory (and PWT/PCD); flushes every non-global TLB "
                 "entry.";
        case 4: return "Writes CR4: PSE 4 MiB pages, PGE global pages, TSD, DE, PCE, VME/PVI (SDM Vol. 3A §2.5).";
        default: return "Writes a control register that does not exist: #UD.";
      }
    case Op::MovFromCr: return printf_string("Reads CR%u into a general register.", i.reg);
    case Op::MovToDr:
      return printf_string("Writes debug register DR%u (breakpoint addresses DR0-3, control DR7).", i.reg);
    case Op::MovFromDr: return printf_string("Reads debug register DR%u.", i.reg);
    case Op::Rdmsr: return "Reads the model-specific register ECX selects into EDX:EAX.";
    case Op::Wrmsr: return "Writes EDX:EAX to the model-specific register ECX selects.";
    case Op::Rdtsc:
      return "Loads the time-stamp counter into EDX:EAX; with CR4.TSD set only ring 0 may (#GP(0) elsewhere).";
    case Op::Cpuid:
      return "Reports the processor's identity and features for the leaf in EAX (emu reports only what it "
             "implements).";
    case Op::Sysenter: return "Fast system call into ring 0 at SYSENTER_CS:SYSENTER_EIP with the stack SYSENTER_ESP.";
    case Op::Sysexit: return "Fast return to ring 3 at CS = SYSENTER_CS+16, EIP = EDX, ESP = ECX.";
    case Op::Invd:
    case Op::Wbinvd: return "Invalidates the processor caches (emulated caches are always coherent: nothing to do).";
    case Op::Ud2: return "Raises #UD on purpose.";
    case Op::Invalid: return "Not a valid instruction here: raises #UD.";
    default: break;
  }
  std::string out = printf_string("%s (see its page in SDM Vol. 2).", i.entry->syntax);
  if (i.entry->attrs & attr::kX87)
    out += " An x87 FPU instruction: #NM when CR0.EM or CR0.TS is set, so an OS can switch FPU state lazily.";
  return out;
}

// Why a sensitive, non-trapping instruction defeats trap-and-emulate (Popek & Goldberg 1974;
// Robin & Irvine 2000; DESIGN §3).
std::string why_sensitive(Op op) {
  switch (op) {
    case Op::Sgdt:
    case Op::Sidt:
    case Op::Sldt:
    case Op::Str:
    case Op::Smsw:
      return "It reads state only the monitor should own (GDTR, IDTR, LDTR, TR, CR0) yet runs at any CPL without a "
             "trap: a guest kernel moved out of ring 0 sees the monitor's tables, not its own (SIDT is the classic "
             "'am I in a VM?' test). Sensitive but not privileged, so IA-32 fails Popek and Goldberg's condition.";
    case Op::Pushf:
    case Op::Popf:
      return "PUSHF shows the real IF and IOPL; POPF outside ring 0 silently ignores changes to IF (and IOPL) instead "
             "of trapping, so a deprivileged guest kernel that disables interrupts with POPF would not, and the "
             "monitor would never know.";
    case Op::Lar:
    case Op::Lsl:
    case Op::Verr:
    case Op::Verw:
      return "The answer depends on CPL compared with the descriptor's DPL: a guest kernel moved out of ring 0 gets "
             "different results than on bare hardware, and nothing traps.";
    case Op::PushSeg:
    case Op::MovFromSeg:
      return "The selector's RPL bits reveal the privilege level the code really runs at: a guest kernel in ring 1 "
             "or 3 can see that it is not in ring 0.";
    case Op::PopSeg:
    case Op::MovToSeg:
    case Op::Lds:
    case Op::Les:
    case Op::Lss:
    case Op::Lfs:
    case Op::Lgs:
      return "Segment loads check DPL against CPL and copy the descriptor into a hidden cache: a deprivileged guest "
             "kernel faults or loads differently, and the cache can disagree with the table without any trap.";
    case Op::CallFar:
    case Op::CallFarIndirect:
    case Op::JmpFar:
    case Op::JmpFarIndirect:
    case Op::RetFar:
      return "Far transfers compare CPL, RPL and DPL (call gates, conforming segments, returns to an outer ring): "
             "run deprivileged, the guest kernel's transfers take other paths, with no trap to the monitor.";
    case Op::IntN:
      return "INT n checks the gate's DPL against CPL and may switch to a ring's stack from the TSS: run "
             "deprivileged, it follows the monitor's IDT and stacks unless the monitor virtualises it.";
    default:
      return "Its behaviour depends on privilege or on state a monitor owns, and it does not trap outside ring 0.";
  }
}

}  // namespace

// ---- the debugger ------------------------------------------------------------------------------

Debugger::Debugger(Cpu& cpu) : cpu_(cpu), monitor_(std::make_unique<MonitorBridge>(cpu)) {}
Debugger::~Debugger() = default;

std::optional<Debugger::Address> Debugger::parse_address(std::string_view text, std::string& err) const {
  const std::string_view t = trim(text);
  const Monitor& mon = monitor_->monitor;
  auto bad = [&]() {
    err = error("bad address '%.*s' (try 0x7c00, $esp+8, cs:0x100, 0x07c0:0x10 or p:0x100000)",
                static_cast<int>(t.size()), t.data());
    return std::nullopt;
  };
  if (t.empty()) {
    err = error("missing address");
    return std::nullopt;
  }
  if (t.size() > 2 && (t[0] == 'p' || t[0] == 'P') && t[1] == ':') {
    const auto v = mon.evaluate(t.substr(2));
    if (!v) return bad();
    return Address{true, *v};
  }
  const std::size_t colon = t.find(':');
  if (colon == std::string_view::npos) {
    const auto v = mon.evaluate(t);
    if (!v) return bad();
    return Address{false, *v};
  }
  // SEG:OFF. A segment register name uses the base in its descriptor cache (what the CPU would
  // use); a number is a selector, looked up as the CPU would: selector * 16 in real and V86 mode,
  // the descriptor's base in protected mode (SDM Vol. 3A §3.4.2).
  const std::string_view seg_text = trim(t.substr(0, colon));
  const auto offset = mon.evaluate(t.substr(colon + 1));
  if (!offset || seg_text.empty()) return bad();
  std::string name = lower(seg_text);
  if (!name.empty() && name[0] == '$') name.erase(0, 1);
  static constexpr std::pair<const char*, Seg> kSegs[] = {{"es", Seg::ES}, {"cs", Seg::CS}, {"ss", Seg::SS},
                                                          {"ds", Seg::DS}, {"fs", Seg::FS}, {"gs", Seg::GS}};
  for (const auto& [n, s] : kSegs)
    if (name == n) return Address{false, cpu_.s.sreg(s).base + *offset};
  const auto selector = mon.evaluate(seg_text);
  if (!selector || *selector > 0xFFFF) return bad();
  const u16 sel = static_cast<u16>(*selector);
  if (!cpu_.s.protected_mode() || cpu_.s.v86()) return Address{false, (u32{sel} << 4) + *offset};
  if ((sel & ~3u) == 0) {
    err = error("selector 0x%04x is null: it names no segment", sel);
    return std::nullopt;
  }
  u32 table = cpu_.s.gdtr.base, limit = cpu_.s.gdtr.limit;
  if (sel & 4) {
    if (!cpu_.s.ldtr.usable || (cpu_.s.ldtr.selector & ~3u) == 0) {
      err = error("selector 0x%04x is in the LDT, but no LDT is loaded", sel);
      return std::nullopt;
    }
    table = cpu_.s.ldtr.base;
    limit = cpu_.s.ldtr.limit;
  }
  if ((sel & 0xFFF8u) + 7 > limit) {
    err = error("selector 0x%04x is beyond the %s limit 0x%04x", sel, (sel & 4) ? "LDT" : "GDT", limit);
    return std::nullopt;
  }
  const auto d = read_descriptor_at(cpu_, table + (sel & 0xFFF8u));
  if (!d) {
    err = error("descriptor of selector 0x%04x cannot be read (its table is not mapped)", sel);
    return std::nullopt;
  }
  const SegmentCache c = Cpu::cache_from_descriptor(sel, *d);
  if (!(c.attrs & desc::kNonSystem)) {
    err = error("selector 0x%04x names a %s, not a code or data segment", sel, type_words(c.attrs).c_str());
    return std::nullopt;
  }
  return Address{false, c.base + *offset};
}

DebugResult Debugger::execute(std::string_view line) {
  std::string_view rest = line;
  const std::string command = lower(next_word(rest));
  if (command.empty()) return {};
  if (command == "help" || command == "h" || command == "?") {
    return {
        "regs                      general registers, EFLAGS, CPL, mode, paging\n"
        "sregs                     segment registers with their descriptor caches decoded\n"
        "gdt [N] | idt [N]         descriptor table entries decoded (the first N, default 32)\n"
        "tss                       the current task's TSS: ring stacks, CR3, EIP, selectors\n"
        "disas [ADDR] [N]          disassemble N instructions (default 10 at CS:EIP; => marks CS:EIP)\n"
        "x/FMT ADDR | xp/FMT ADDR  memory at a linear | physical address; FMT = count, x d u c i, b h w\n"
        "pagewalk VADDR            the page walk for a linear address, level by level\n"
        "explain [ADDR]            what the instruction at CS:EIP does and whether it is sensitive\n"
        "stats                     instructions, exceptions, interrupts, sensitive-instruction counts\n"
        "break ADDR                breakpoint: linear ADDR, p:ADDR physical, SEG:OFF\n"
        "watch [r|w|rw] ADDR [LEN] stop after an instruction reads/writes LEN bytes (default w, 1)\n"
        "delete [N...]             delete breakpoints/watchpoints (all without N)\n"
        "info break                list breakpoints and watchpoints\n"
        "step [N] | next | continue | until ADDR | quit   run control (carried out by the run loop)\n"
        "ADDR: numbers (0x1f, 31) and $registers joined by + and -, e.g. $esp+8; $pc = CS.base + EIP\n",
        DebugAction::none()};
  }
  if (command == "regs" || command == "r" || command == "registers") return {regs(), DebugAction::none()};
  if (command == "sregs") return {sregs(), DebugAction::none()};
  if (command == "gdt") return {gdt(rest), DebugAction::none()};
  if (command == "idt") return {idt(rest), DebugAction::none()};
  if (command == "tss") return {tss(), DebugAction::none()};
  if (command == "disas" || command == "disassemble") return {disas(rest), DebugAction::none()};
  if (command == "pagewalk" || command == "pw") return {pagewalk(rest), DebugAction::none()};
  if (command == "explain") return {explain(rest), DebugAction::none()};
  if (command == "stats") return {stats(), DebugAction::none()};
  if (command == "break" || command == "b") return {add_breakpoint(rest), DebugAction::none()};
  if (command == "watch") return {add_watchpoint(rest), DebugAction::none()};
  if (command == "delete" || command == "d") return {remove(rest), DebugAction::none()};
  if (command == "info" || command == "i") {
    const std::string topic = lower(next_word(rest));
    if (topic == "break" || topic == "b" || topic == "breakpoints" || topic == "watch" || topic == "watchpoints")
      return {info_break(), DebugAction::none()};
    if (topic == "registers" || topic == "r") return {regs(), DebugAction::none()};
    return {error("unknown info topic '%s' (try 'info break')", topic.c_str()), DebugAction::none()};
  }
  // "x/4xw ADDR", "x /4xw ADDR" and "x ADDR", as in the monitor and gdb.
  for (const std::string_view name : {std::string_view("xp"), std::string_view("x")}) {
    if (std::string_view(command).substr(0, name.size()) != name) continue;
    std::string_view fmt = std::string_view(line).substr(line.find_first_not_of(" \t") + name.size());
    std::string_view after = fmt;
    if (!fmt.empty() && fmt[0] != '/' && !std::isspace(static_cast<unsigned char>(fmt[0]))) continue;
    after = trim(after);
    fmt = {};
    if (!after.empty() && after[0] == '/') fmt = next_word(after);
    return {memory(fmt, after, name == "xp"), DebugAction::none()};
  }
  if (command == "step" || command == "s" || command == "stepi" || command == "si") {
    if (rest.empty()) return {{}, DebugAction::step(1)};
    const auto n = parse_count(rest);
    if (!n || *n == 0) return {error("bad step count '%.*s'", static_cast<int>(rest.size()), rest.data()), {}};
    return {{}, DebugAction::step(*n)};
  }
  if (command == "next" || command == "n" || command == "nexti" || command == "ni") {
    if (!rest.empty()) return {error("next takes no argument (step N steps N instructions)"), {}};
    return next();
  }
  if (command == "continue" || command == "cont" || command == "c") {
    if (!rest.empty()) return {error("continue takes no argument"), {}};
    return {{}, DebugAction::cont()};
  }
  if (command == "until" || command == "u") {
    std::string err;
    const auto a = parse_address(rest, err);
    if (!a) return {err, {}};
    if (a->physical) return {error("until needs a linear address (CS.base + EIP), not p:"), {}};
    return {{}, DebugAction::until(a->value)};
  }
  if (command == "quit" || command == "q") return {{}, DebugAction::quit()};
  return {error("unknown command '%s' (try 'help')", command.c_str()), DebugAction::none()};
}

// ---- registers -----------------------------------------------------------------------------------

std::string Debugger::regs() const {
  const CpuState& s = cpu_.s;
  const u32 fl = s.flags.value();
  std::string out;
  out += printf_string("EAX %08x  EBX %08x  ECX %08x  EDX %08x\n", s.gpr[EAX], s.gpr[EBX], s.gpr[ECX], s.gpr[EDX]);
  out += printf_string("ESI %08x  EDI %08x  EBP %08x  ESP %08x\n", s.gpr[ESI], s.gpr[EDI], s.gpr[EBP], s.gpr[ESP]);
  out += printf_string("EIP %08x  CS:EIP %04x:%08x  linear %08x\n", s.eip, s.sreg(Seg::CS).selector, s.eip,
                       current_pc(cpu_));
  out += printf_string("EFLAGS %08x  %s\n", fl, flag_letters(fl).c_str());
  // V86 code always runs at CPL 3 (SDM Vol. 3A §20.2.1); real mode has no privilege levels, and
  // behaves as CPL 0.
  out += printf_string("CPL %u  mode %s  code %s  paging %s\n", s.cpl, mode_name(s), s.code32() ? "32-bit" : "16-bit",
                       s.paging() ? "on" : "off");
  out += printf_string("CR0 %08x  CR2 %08x  CR3 %08x  CR4 %08x\n", s.cr0, s.cr2, s.cr3, s.cr4);
  return out;
}

std::string Debugger::sregs() const {
  const CpuState& s = cpu_.s;
  static constexpr std::pair<const char*, Seg> kSegs[] = {{"CS", Seg::CS}, {"DS", Seg::DS}, {"ES", Seg::ES},
                                                          {"FS", Seg::FS}, {"GS", Seg::GS}, {"SS", Seg::SS}};
  std::string out;
  // What the CPU uses is the cache, not the selector: a segment register still holding its
  // real-mode cache after CR0.PE was set (selector 0, until the next load) works as before, while
  // a null selector loaded in protected mode leaves the register unusable (SegmentCache::usable).
  auto descriptor_row = [&](const char* name, const SegmentCache& c, const char* null_words, bool by_cache) {
    std::string row = printf_string("%-4s ", name) + selector_columns(c.selector);
    const bool null_selector = (c.selector & ~3u) == 0;
    if (by_cache ? !c.usable : null_selector)
      row += descriptor_columns("-", "-", "-", "-", "-", "-", null_words);
    else
      row += describe_cache(c) + (null_selector ? " (the real-mode cache, until reloaded)" : "");
    return row + "\n";
  };
  const std::string header = std::string("reg  ") + kSelectorHeader + kDescriptorHeader + "\n";
  if (!s.protected_mode() || s.v86()) {
    // Real and V86 mode: a load sets base = selector * 16 and reads no descriptor; limits and
    // rights stay whatever the cache held (SDM Vol. 3A §20.1.1; "unreal mode" relies on it).
    out += std::string(s.v86() ? "V86" : "real") +
           " mode: segment base = selector * 16, no descriptor is read; limit and type are the cached ones\n";
    out += std::string("reg  sel   ") + kDescriptorHeader + "\n";
    for (const auto& [name, seg] : kSegs) {
      const SegmentCache& c = s.sreg(seg);
      out += printf_string("%-4s %04x  ", name, c.selector) + describe_cache(c) + "\n";
    }
    if (!s.v86()) return out + "LDTR and TR are not used in real mode\n";
    out += header;
  } else {
    out += header;
    // A null selector in DS/ES/FS/GS is legal in protected mode; any access through it faults.
    for (const auto& [name, seg] : kSegs)
      out += descriptor_row(name, s.sreg(seg), "null selector: any use is #GP(0)", true);
  }
  out += descriptor_row("LDTR", s.ldtr, "null: no LDT", false);
  out += descriptor_row("TR", s.tr, "null: no task loaded", false);
  return out;
}

// ---- descriptor tables ----------------------------------------------------------------------------

namespace {

// "gdt [N]" and "idt [N]": the cap on the rows shown.
std::optional<unsigned> parse_cap(std::string_view args, std::string& err, const char* command) {
  args = trim(args);
  if (args.empty()) return 32;
  const auto n = parse_count(args);
  if (!n || *n == 0 || *n > 8192) {
    err = error("%s takes a number of entries, 1-8192: '%.*s'", command, static_cast<int>(args.size()), args.data());
    return std::nullopt;
  }
  return static_cast<unsigned>(*n);
}

}  // namespace

std::string Debugger::gdt(std::string_view args) const {
  std::string err;
  const auto cap = parse_cap(args, err, "gdt");
  if (!cap) return err;
  const TableRegister& t = cpu_.s.gdtr;
  const unsigned entries = (u32{t.limit} + 1) / 8;
  std::string out =
      printf_string("GDT base %08x limit %04x: %u descriptors (SDM Vol. 3A §3.4.5)\n", t.base, t.limit, entries);
  if (!cpu_.s.protected_mode()) out += "(real mode: the GDT is not used until CR0.PE is set)\n";
  out += std::string("idx  sel   raw              ") + kDescriptorHeader + "\n";
  const unsigned shown = std::min(entries, *cap);
  for (unsigned k = 0; k < shown; ++k) {
    const u32 at = t.base + 8 * k;
    const auto d = read_descriptor_at(cpu_, at);
    if (!d) return out + error("GDT entry %u at linear 0x%08x cannot be read (not mapped)", k, at);
    std::string row = printf_string("%-4u %04x  %016" PRIx64 " ", k, k * 8, *d);
    const SegmentCache c = Cpu::cache_from_descriptor(static_cast<u16>(k * 8), *d);
    if (k == 0) {
      // Selector 0 is the null selector: the CPU never reads entry 0 (SDM Vol. 3A §3.4.2).
      row += descriptor_columns("-", "-", "-", "-", "-", "-", "null descriptor (never used)");
    } else if (*d == 0) {
      row += descriptor_columns("-", "-", "-", "0", "-", "-", "empty");
    } else if (is_gate(c.attrs)) {
      const bool wide = desc::type(c.attrs) >= 8;
      const Gate g = gate_fields(*d, wide);
      std::string words = type_words(c.attrs);
      if (desc::type(c.attrs) == 5)
        words += printf_string(" to TSS %04x", g.selector);
      else
        words +=
            printf_string(" to %04x:%08x, %u parameter%s", g.selector, g.offset, g.params, g.params == 1 ? "" : "s");
      row += descriptor_columns("-", "-", printf_string("%u", c.dpl()), (c.attrs & desc::kPresent) ? "1" : "0", "-",
                                "-", words);
    } else {
      row += describe_cache(c);
    }
    out += row + "\n";
  }
  if (shown < entries) out += printf_string("... %u more (gdt %u lists them all)\n", entries - shown, entries);
  return out;
}

std::string Debugger::idt(std::string_view args) const {
  std::string err;
  const auto cap = parse_cap(args, err, "idt");
  if (!cap) return err;
  const TableRegister& t = cpu_.s.idtr;
  std::string out;
  if (!cpu_.s.protected_mode()) {
    // Real mode: IDTR points at the interrupt vector table of 4-byte segment:offset pointers
    // (SDM Vol. 3A §20.1.4).
    const unsigned entries = std::min((u32{t.limit} + 1) / 4, 256u);
    out = printf_string("IVT base %08x limit %04x: %u real-mode vectors (segment:offset)\n", t.base, t.limit, entries);
    out += "vec     handler\n";
    const unsigned shown = std::min(entries, *cap);
    for (unsigned v = 0; v < shown; ++v) {
      u8 b[4];
      const u32 at = t.base + 4 * v;
      if (debug::read_linear(cpu_, at, b, 4) != 4)
        return out + error("vector %u at linear 0x%08x cannot be read", v, at);
      // Only 0-7 are named: a PC's real-mode software puts IRQ 0-7 at 08-0F and BIOS services at
      // 10 and up, over the CPU's later exception vectors.
      out += printf_string("%02x %-4s %04x:%04x\n", v, v < 8 ? exception_name(v) : "", read_u16(b + 2), read_u16(b));
    }
    if (shown < entries) out += printf_string("... %u more (idt %u lists them all)\n", entries - shown, entries);
    return out;
  }
  const unsigned entries = std::min((u32{t.limit} + 1) / 8, 256u);
  out = printf_string("IDT base %08x limit %04x: %u gates (SDM Vol. 3A §6.11)\n", t.base, t.limit, entries);
  out += "vec     raw              target         DPL P type\n";
  const unsigned shown = std::min(entries, *cap);
  for (unsigned v = 0; v < shown; ++v) {
    const u32 at = t.base + 8 * v;
    const auto d = read_descriptor_at(cpu_, at);
    if (!d) return out + error("IDT gate %u at linear 0x%08x cannot be read (not mapped)", v, at);
    std::string row = printf_string("%02x %-4s %016" PRIx64 " ", v, exception_name(v), *d);
    const u16 attrs = static_cast<u16>((*d >> 40) & 0xFF);
    if (*d == 0) {
      row += printf_string("%-14s %-3s %-1s %s", "-", "-", "0", "empty (delivery raises #NP or #GP)");
    } else {
      const bool wide = desc::type(attrs) >= 8;
      const Gate g = gate_fields(*d, wide);
      const std::string target = desc::type(attrs) == 5 ? printf_string("TSS %04x", g.selector)
                                                        : printf_string("%04x:%08x", g.selector, g.offset);
      row += printf_string("%-14s %-3u %-1u %s", target.c_str(), desc::dpl(attrs), (attrs & desc::kPresent) ? 1u : 0u,
                           idt_gate_words(attrs).c_str());
    }
    out += row + "\n";
  }
  if (shown < entries) out += printf_string("... %u more (idt %u lists them all)\n", entries - shown, entries);
  return out;
}

std::string Debugger::tss() const {
  const CpuState& s = cpu_.s;
  if (!s.protected_mode()) return error("no task in real mode: TR and the TSS are used only in protected mode");
  const SegmentCache& tr = s.tr;
  if ((tr.selector & ~3u) == 0 || !tr.usable) return error("TR is null: no task has been loaded with LTR");
  const u8 type = desc::type(tr.attrs);
  const bool tss32 = type == 9 || type == 11, tss16 = type == 1 || type == 3;
  if ((tr.attrs & desc::kNonSystem) || (!tss32 && !tss16))
    return error("TR holds a %s, not a TSS", type_words(tr.attrs).c_str());
  // The TSS layouts: SDM Vol. 3A §7.2.1 Figure 7-2 (32-bit) and §7.6 Figure 7-11 (16-bit).
  const u32 size = tss32 ? 104 : 44;
  u8 b[104] = {};
  if (debug::read_linear(cpu_, tr.base, b, size) != size)
    return error("the TSS at linear 0x%08x cannot be read (not mapped)", tr.base);
  std::string out = printf_string("TR %04x  %s  base %08x  limit %08x\n", tr.selector, type_words(tr.attrs).c_str(),
                                  tr.base, tr.limit);
  if (tr.limit + 1 < size) out += printf_string("note: the limit is below the %u bytes of this TSS format\n", size);
  out += printf_string("previous task link %04x\n", read_u16(b));
  if (tss16) {
    for (unsigned ring = 0; ring < 3; ++ring)
      out += printf_string("ring %u stack  SS%u %04x  SP%u %04x\n", ring, ring, read_u16(b + 4 + 4 * ring), ring,
                           read_u16(b + 2 + 4 * ring));
    out += printf_string("IP %04x  FLAGS %04x\n", read_u16(b + 14), read_u16(b + 16));
    out += printf_string("AX %04x  CX %04x  DX %04x  BX %04x  SP %04x  BP %04x  SI %04x  DI %04x\n", read_u16(b + 18),
                         read_u16(b + 20), read_u16(b + 22), read_u16(b + 24), read_u16(b + 26), read_u16(b + 28),
                         read_u16(b + 30), read_u16(b + 32));
    out += printf_string("ES %04x  CS %04x  SS %04x  DS %04x  LDT %04x\n", read_u16(b + 34), read_u16(b + 36),
                         read_u16(b + 38), read_u16(b + 40), read_u16(b + 42));
  } else {
    // The ring stacks are read on every privilege change into ring 0-2 (interrupts, call gates);
    // the rest is written when this task is switched away from and read when it is resumed.
    for (unsigned ring = 0; ring < 3; ++ring)
      out += printf_string("ring %u stack  SS%u %04x  ESP%u %08x\n", ring, ring, read_u16(b + 8 + 8 * ring), ring,
                           read_u32(b + 4 + 8 * ring));
    out +=
        printf_string("CR3 %08x  EIP %08x  EFLAGS %08x\n", read_u32(b + 0x1C), read_u32(b + 0x20), read_u32(b + 0x24));
    out += printf_string("EAX %08x  ECX %08x  EDX %08x  EBX %08x\n", read_u32(b + 0x28), read_u32(b + 0x2C),
                         read_u32(b + 0x30), read_u32(b + 0x34));
    out += printf_string("ESP %08x  EBP %08x  ESI %08x  EDI %08x\n", read_u32(b + 0x38), read_u32(b + 0x3C),
                         read_u32(b + 0x40), read_u32(b + 0x44));
    out += printf_string("ES %04x  CS %04x  SS %04x  DS %04x  FS %04x  GS %04x  LDT %04x\n", read_u16(b + 0x48),
                         read_u16(b + 0x4C), read_u16(b + 0x50), read_u16(b + 0x54), read_u16(b + 0x58),
                         read_u16(b + 0x5C), read_u16(b + 0x60));
    const u16 iomap = read_u16(b + 0x66);
    out += printf_string("T %u  I/O map base %04x%s\n", b[0x64] & 1u, iomap,
                         iomap > tr.limit ? " (beyond the limit: no I/O bitmap, ports need CPL <= IOPL)" : "");
  }
  return out;
}

// ---- code and memory -------------------------------------------------------------------------------

std::string Debugger::disas(std::string_view args) const {
  std::string_view rest = args;
  const std::string_view addr_text = next_word(rest);
  const std::string_view count_text = next_word(rest);
  if (!rest.empty()) return error("usage: disas [ADDR] [N]");
  Address where{false, current_pc(cpu_)};
  if (!addr_text.empty()) {
    std::string err;
    const auto a = parse_address(addr_text, err);
    if (!a) return err;
    where = *a;
  }
  u64 count = 10;
  if (!count_text.empty()) {
    const auto n = parse_count(count_text);
    if (!n || *n == 0 || *n > 1000)
      return error("bad instruction count '%.*s' (1-1000)", static_cast<int>(count_text.size()), count_text.data());
    count = *n;
  }
  // The current mode's code size: CS.D in protected mode, 16-bit in real and V86 mode (where the
  // cache's D bit is whatever it was, but V86 code is always 16-bit).
  const bool code32 = cpu_.s.code32() && cpu_.s.protected_mode() && !cpu_.s.v86();
  const u32 pc = current_pc(cpu_);
  std::string out;
  u32 at = where.value;
  for (u64 n = 0; n < count; ++n) {
    u8 bytes[16];
    const std::size_t got = where.physical ? debug::read_physical(cpu_.bus, at, bytes, sizeof bytes)
                                           : debug::read_linear(cpu_, at, bytes, sizeof bytes);
    if (got == 0)
      return out + error("cannot read %s address 0x%08x%s", where.physical ? "physical" : "linear", at,
                         where.physical ? "" : " (not mapped; try pagewalk)");
    const Disassembly d = disassembler_.one(bytes, got, at, code32);
    const u32 length = d.ok ? d.length : 1;
    std::string hex;
    for (u32 k = 0; k < length; ++k) hex += printf_string("%02x ", bytes[k]);
    const bool current = !where.physical && at == pc;
    out += printf_string("%s %s0x%08x:  %-24s %s\n", current ? "=>" : "  ", where.physical ? "p:" : "", at, hex.c_str(),
                         d.ok ? d.text().c_str() : "(bad)");
    at += length;
  }
  return out;
}

std::string Debugger::memory(std::string_view fmt, std::string_view address_text, bool physical) {
  const char* name = physical ? "xp" : "x";
  // FMT = /[count][x|d|u|c|i][b|h|w], the subset of gdb's and QEMU's letters a 32-bit lab needs.
  if (!fmt.empty()) {
    std::string_view f = fmt.substr(1);
    while (!f.empty() && std::isdigit(static_cast<unsigned char>(f.front()))) f.remove_prefix(1);
    for (char ch : f)
      if (!std::strchr("xduci"
                       "bhw",
                       ch))
        return error("%s: bad format letter '%c' (count, then x d u c i, then b h w: x/4xw)", name, ch);
  }
  std::string err;
  const auto a = parse_address(address_text, err);
  if (!a) return err;
  if (a->physical && !physical) return error("x takes a linear address; use xp for a physical one");
  // The monitor's x/xp formats the dump (QEMU's layout); its one failure line becomes ours.
  std::string out = monitor_->monitor.execute(
      printf_string("%s%.*s 0x%08x", name, static_cast<int>(fmt.size()), fmt.data(), a->value));
  const std::string kCannot = "Cannot access memory at 0x";
  const std::size_t pos = out.find(kCannot);
  if (pos == std::string::npos) return out;
  const u32 at = static_cast<u32>(std::strtoul(out.c_str() + pos + kCannot.size(), nullptr, 16));
  out.erase(pos);
  u32 phys = at;
  if (!physical && !debug::linear_to_physical(cpu_, at, phys))
    return out + error("linear address 0x%08x is not mapped (pagewalk 0x%08x shows why)", at, at);
  return out + error("nothing readable at physical address 0x%08x (no RAM or ROM there)", phys);
}

// ---- paging ------------------------------------------------------------------------------------------

std::string Debugger::pagewalk(std::string_view args) const {
  std::string err;
  const auto a = parse_address(args, err);
  if (!a) return err;
  if (a->physical) return error("pagewalk takes a linear address, not p:");
  const u32 lin = a->value;
  const CpuState& s = cpu_.s;
  const u32 a20 = cpu_.bus.a20_mask();
  if (!s.paging()) {
    std::string out = printf_string("paging off (CR0.PG=0): linear 0x%08x is physical 0x%08x", lin, lin & a20);
    if ((lin & a20) != lin) out += " (A20 gate masks bit 20)";
    return out + "\n";
  }
  // 32-bit paging (SDM Vol. 3A §4.3): bits 31-22 index the page directory, 21-12 the page table,
  // 11-0 are the offset; with CR4.PSE a PDE with PS=1 maps a 4 MiB page (bits 21-0 offset).
  const bool user = s.cpl == 3;
  auto read_entry = [&](u32 at, u32& value) {
    u8 b[4];
    if (debug::read_physical(cpu_.bus, at, b, 4) != 4) return false;
    value = read_u32(b);
    return true;
  };
  // Two lines: the verdict, then the error code's bits and what CR2 would hold.
  auto fault_line = [&](const char* where, u32 code) {
    return printf_string("%s -> #PF, error code 0x%04x for a read at CPL %u\n", where, code, s.cpl) +
           printf_string("     error code bits: %s; CR2 = 0x%08x\n", page_fault_words(code).c_str(), lin);
  };
  std::string out = printf_string("linear 0x%08x: directory index %03x, table index %03x, offset %03x\n", lin,
                                  lin >> 22, (lin >> 12) & 0x3FF, lin & 0xFFF);
  out +=
      printf_string("CR3  %08x  page directory at 0x%08x  (CR4.PSE=%u CR4.PGE=%u CR0.WP=%u)\n", s.cr3, s.cr3 & ~0xFFFu,
                    (s.cr4 & cr4::PSE) ? 1u : 0u, (s.cr4 & cr4::PGE) ? 1u : 0u, (s.cr0 & cr0::WP) ? 1u : 0u);
  const u32 pde_addr = ((s.cr3 & ~0xFFFu) | ((lin >> 20) & 0xFFC)) & a20;
  u32 pde;
  if (!read_entry(pde_addr, pde)) return out + error("the PDE at physical 0x%08x is not in RAM", pde_addr);
  std::string line = printf_string("PDE  at 0x%08x = 0x%08x  %s", pde_addr, pde, entry_flags(pde, false).c_str());
  if (!(pde & 1)) return out + line + "\n" + fault_line("not present at the PDE", user ? 4u : 0u);
  const bool big = (pde & 0x80) && (s.cr4 & cr4::PSE);
  bool rw = pde & 2, us = pde & 4;
  u32 phys;
  if (big) {
    phys = ((pde & 0xFFC00000u) | (lin & 0x3FFFFF)) & a20;
    out += line + printf_string("  -> 4 MiB page at 0x%08x\n", pde & 0xFFC00000u);
    out += printf_string("physical 0x%08x  (4 MiB page, offset %06x; %s)\n", phys, lin & 0x3FFFFF,
                         rights_words(us, rw, s.cr0 & cr0::WP).c_str());
  } else {
    out += line + printf_string("  -> page table at 0x%08x%s\n", pde & ~0xFFFu,
                                (pde & 0x80) ? " (PS ignored: CR4.PSE=0)" : "");
    const u32 pte_addr = ((pde & ~0xFFFu) | ((lin >> 10) & 0xFFC)) & a20;
    u32 pte;
    if (!read_entry(pte_addr, pte)) return out + error("the PTE at physical 0x%08x is not in RAM", pte_addr);
    line = printf_string("PTE  at 0x%08x = 0x%08x  %s", pte_addr, pte, entry_flags(pte, true).c_str());
    if (!(pte & 1)) return out + line + "\n" + fault_line("not present at the PTE", user ? 4u : 0u);
    out += line + printf_string("  -> 4 KiB page at 0x%08x\n", pte & ~0xFFFu);
    // The effective rights are the stricter of the two levels (SDM Vol. 3A §4.6.1).
    rw = rw && (pte & 2);
    us = us && (pte & 4);
    phys = ((pte & ~0xFFFu) | (lin & 0xFFF)) & a20;
    out += printf_string("physical 0x%08x  (%s)\n", phys, rights_words(us, rw, s.cr0 & cr0::WP).c_str());
  }
  if (user && !us) out += fault_line("user access to a supervisor page", 5);
  return out;
}

// ---- explain -----------------------------------------------------------------------------------------

std::string Debugger::explain(std::string_view args) const {
  const CpuState& s = cpu_.s;
  u32 at = current_pc(cpu_);
  if (!trim(args).empty()) {
    std::string err;
    const auto a = parse_address(args, err);
    if (!a) return err;
    if (a->physical) return error("explain takes a linear address, not p:");
    at = a->value;
  }
  u8 bytes[15];
  const std::size_t got = debug::read_linear(cpu_, at, bytes, sizeof bytes);
  if (got == 0) return error("cannot read the instruction at linear 0x%08x (not mapped; try pagewalk)", at);
  const bool code32 = s.code32() && s.protected_mode() && !s.v86();
  DecodedInsn insn;
  const DecodeStatus status = decode(bytes, got, code32, insn);
  if (status != DecodeStatus::Ok || !insn.entry)
    return error("no complete instruction at linear 0x%08x (%s)", at,
                 status == DecodeStatus::TooLong ? "longer than 15 bytes: #GP(0)" : "its bytes run off the mapping");
  const Disassembly d = disassembler_.one(bytes, got, at, code32);
  const OpcodeEntry& e = *insn.entry;
  const u16 attrs = e.attrs;
  const bool privileged = attrs & attr::kPrivileged, sensitive = attrs & attr::kSensitive;

  std::string hex;
  for (u32 k = 0; k < insn.len; ++k) hex += printf_string("%s%02x", k ? " " : "", bytes[k]);
  std::string out = printf_string("0x%08x  %s\n", at, d.ok ? d.text().c_str() : "(bad)");
  out += labelled("bytes", hex);
  // The table spells the 32-bit form; say when this one runs with 16-bit operands.
  std::string form = e.syntax;
  if (e.op != Op::Invalid) {
    form += " (opcode table row)";
    if (!insn.op32 && !(attrs & attr::kNoOp16) && std::strstr(e.syntax, "32")) form += "; 16-bit operands here";
  }
  out += labelled("form", form);
  std::string mode = std::string(mode_name(s)) + " mode, " + (code32 ? "32" : "16") + "-bit code";
  mode += s.protected_mode() ? printf_string(", CPL %u, IOPL %u", s.v86() ? 3u : s.cpl, s.iopl())
                             : ", no privilege levels (behaves as CPL 0)";
  out += labelled("mode", mode + printf_string("; operand size %u bits", insn.op32 ? 32 : 16));

  std::string what = does(cpu_, insn);
  if (attrs & attr::kLockable) what += " Accepts LOCK with a memory destination.";
  if (attrs & attr::kRep) what += " Honours REP prefixes.";
  if (e.undefined_flags) {
    std::string flags;
    static constexpr std::pair<u16, const char*> kFlags[] = {{undef::OF, "OF"}, {undef::SF, "SF"}, {undef::ZF, "ZF"},
                                                             {undef::AF, "AF"}, {undef::PF, "PF"}, {undef::CF, "CF"}};
    for (const auto& [bit, n] : kFlags)
      if (e.undefined_flags & bit) flags += std::string(flags.empty() ? "" : " ") + n;
    what += " Leaves " + flags + " undefined.";
  }
  if ((attrs & attr::kEndsBlock) && e.op != Op::Invalid)
    what += " Ends a translated block (control transfer or mode change).";
  out += labelled("does", what);

  // Privilege (SDM Vol. 3A §2.8: the instructions that need CPL 0).
  std::string priv;
  if (privileged) {
    priv = "privileged: needs CPL 0; at CPL 1-3 and in V86 mode it raises #GP(0) (SDM Vol. 3A §2.8). ";
    if (!s.protected_mode())
      priv += "Now: real mode, so it runs.";
    else if (outside_ring0(s))
      priv += printf_string("Now: CPL %u%s, so it faults.", s.v86() ? 3u : s.cpl, s.v86() ? " (V86)" : "");
    else
      priv += "Now: CPL 0, so it runs.";
  } else if (attrs & attr::kIoplSensitive) {
    priv =
        "IOPL-sensitive: allowed when CPL <= IOPL (in V86 mode: IOPL = 3), else #GP(0) (I/O may still pass the TSS "
        "bitmap).";
  } else {
    priv = "not privileged: runs at any CPL.";
  }
  out += labelled("privilege", priv);

  // Sensitivity in Popek and Goldberg's sense (DESIGN §3).
  if (sensitive) {
    out += labelled("sensitive",
                    "yes, and not privileged: one of the 17 IA-32 instructions that behave differently "
                    "outside ring 0 without trapping (Robin & Irvine 2000).");
    out += labelled("why", why_sensitive(e.op));
  } else if (privileged) {
    out += labelled("sensitive",
                    "yes, and privileged: outside ring 0 it traps (#GP), so a trap-and-emulate monitor "
                    "sees every execution and applies it to the guest's virtual state -- the case Popek "
                    "and Goldberg's theorem needs.");
  } else if (attrs & attr::kIoplSensitive) {
    out += labelled("sensitive",
                    "only through IOPL: a monitor that runs its guest with IOPL < CPL makes it trap with "
                    "#GP, so it is not among the 17 non-trapping ones.");
  } else {
    out += labelled("sensitive", "no: it depends on no privileged state, so a virtual machine can run it directly.");
  }

  // What emu does with it (translator/semantics/select.cpp binds the handler).
  const std::string file = std::string("translator/semantics/") + semantics_file(e.op);
  if (privileged || sensitive) {
    const auto op = static_cast<unsigned>(e.op);
    const u64 total = op < CpuCounters::kOpSlots ? cpu_.counters.vmm_total[op] : 0;
    const u64 outside = op < CpuCounters::kOpSlots ? cpu_.counters.vmm_outside_ring0[op] : 0;
    std::string emu_text =
        "the interpreter never runs it as plain code: it is bound to the VMM gate (vmm_gate in "
        "translator/semantics/select.cpp), which counts it per kind, raises #UD for forms not recognised in this "
        "mode" +
        std::string(privileged ? ", #GP(0) outside ring 0" : "") + ", then runs the semantics in " + file +
        " with the guest's own privilege and mode. ";
    emu_text += printf_string("Executed %" PRIu64 " time%s so far, %" PRIu64 " outside ring 0 (stats).", total,
                              total == 1 ? "" : "s", outside);
    out += labelled("emu", emu_text);
  } else if (e.op == Op::Invalid) {
    out += labelled("emu", "its handler raises #UD (translator/semantics/select.cpp).");
  } else {
    out +=
        labelled("emu", "runs its semantics (" + file + ") straight from the block cache; no monitor involvement" +
                            ((attrs & attr::kIoplSensitive) ? ", the handler itself checks CPL against IOPL." : "."));
  }
  return out;
}

// ---- counters ----------------------------------------------------------------------------------------

std::string Debugger::stats() const {
  const CpuCounters& c = cpu_.counters;
  std::string out;
  out += printf_string("%-24s %14" PRIu64 "\n", "instructions retired", c.instructions);
  out += printf_string("%-24s %14" PRIu64 "  (exceptions, INT n and interrupts entering a handler)\n",
                       "events delivered", c.events_delivered);
  out += printf_string("%-24s %14" PRIu64 "\n", "external interrupts", c.interrupts);
  out += printf_string("%-24s %14" PRIu64 "\n", "triple faults", c.triple_faults);
  u64 exceptions = 0;
  for (u64 n : c.exceptions) exceptions += n;
  out += printf_string("%-24s %14" PRIu64 "\n", "exceptions", exceptions);
  for (unsigned v = 0; v < 32; ++v)
    if (c.exceptions[v])
      out += printf_string("  vector %02x %-13s %14" PRIu64 "\n", v, exception_name(v), c.exceptions[v]);
  // The per-kind table of sensitive and privileged instructions is the monitor's (one layout for
  // both front ends).
  return out + monitor_->monitor.execute("info sensitive");
}

// ---- breakpoints and watchpoints ----------------------------------------------------------------------

void Debugger::rebuild_linear_set() {
  linear_set_.clear();
  for (const Breakpoint& b : breakpoints_)
    if (!b.physical) linear_set_.insert(b.address);
}

bool Debugger::has_physical_breakpoints() const {
  return std::any_of(breakpoints_.begin(), breakpoints_.end(), [](const Breakpoint& b) { return b.physical; });
}

std::optional<unsigned> Debugger::breakpoint_at(u32 linear, u32 physical) const {
  for (const Breakpoint& b : breakpoints_)
    if (b.address == (b.physical ? physical : linear)) return b.number;
  return std::nullopt;
}

std::optional<unsigned> Debugger::watch_hit(u32 linear, u32 physical, u32 len, bool write) const {
  for (const Watchpoint& w : watchpoints_) {
    const u32 wanted = write ? static_cast<u32>(WatchAccess::Write) : static_cast<u32>(WatchAccess::Read);
    if (!(static_cast<u32>(w.access) & wanted)) continue;
    const u64 start = w.physical ? physical : linear;
    // [start, start+len) and [w.address, w.address+w.length) overlap; in 64 bits so nothing wraps.
    if (start < u64{w.address} + w.length && u64{w.address} < start + len) return w.number;
  }
  return std::nullopt;
}

std::string Debugger::add_breakpoint(std::string_view args) {
  args = trim(args);
  if (args.empty()) return error("usage: break ADDR (linear), break p:ADDR (physical), break SEG:OFF");
  std::string err;
  const auto a = parse_address(args, err);
  if (!a) return err;
  for (const Breakpoint& b : breakpoints_)
    if (b.physical == a->physical && b.address == a->value)
      return error("breakpoint %u is already at %s 0x%08x", b.number, a->physical ? "physical" : "linear", a->value);
  Breakpoint b;
  b.number = next_number_++;
  b.physical = a->physical;
  b.address = a->value;
  // Remember how a SEG:OFF or expression was written: the linear address was computed now, and
  // a later segment change does not move the breakpoint.
  const std::string plain = printf_string("0x%08x", a->value);
  if (!a->physical && args != plain && args != printf_string("0x%x", a->value)) b.typed = std::string(args);
  breakpoints_.push_back(b);
  rebuild_linear_set();
  return printf_string("breakpoint %u at %s 0x%08x%s\n", b.number, b.physical ? "physical" : "linear", b.address,
                       b.typed.empty() ? "" : (" (" + b.typed + ")").c_str());
}

std::string Debugger::add_watchpoint(std::string_view args) {
  std::string_view rest = args;
  std::string_view word = next_word(rest);
  WatchAccess access = WatchAccess::Write;
  if (word == "r" || word == "w" || word == "rw") {
    access = word == "r" ? WatchAccess::Read : word == "w" ? WatchAccess::Write : WatchAccess::ReadWrite;
    word = next_word(rest);
  }
  if (word.empty()) return error("usage: watch [r|w|rw] ADDR [LEN]");
  std::string err;
  const auto a = parse_address(word, err);
  if (!a) return err;
  u32 length = 1;
  if (!rest.empty()) {
    const auto n = parse_count(rest);
    if (!n || *n == 0 || *n > 0x10000000)
      return error("bad watch length '%.*s'", static_cast<int>(rest.size()), rest.data());
    length = static_cast<u32>(*n);
  }
  Watchpoint w;
  w.number = next_number_++;
  w.access = access;
  w.physical = a->physical;
  w.address = a->value;
  w.length = length;
  watchpoints_.push_back(w);
  static constexpr const char* kKinds[] = {"", "read", "write", "read/write"};
  return printf_string("watchpoint %u (%s) at %s 0x%08x, %u byte%s\n", w.number, kKinds[static_cast<unsigned>(access)],
                       w.physical ? "physical" : "linear", w.address, w.length, w.length == 1 ? "" : "s");
}

std::string Debugger::remove(std::string_view args) {
  std::string_view rest = args;
  if (trim(rest).empty()) {
    const std::size_t n = breakpoints_.size() + watchpoints_.size();
    breakpoints_.clear();
    watchpoints_.clear();
    rebuild_linear_set();
    return printf_string("deleted %zu breakpoint%s and watchpoint%s\n", n, n == 1 ? "" : "s", n == 1 ? "" : "s");
  }
  // Check every number first, so a bad one deletes nothing.
  std::vector<unsigned> numbers;
  while (!rest.empty()) {
    const std::string_view word = next_word(rest);
    const auto n = parse_count(word);
    auto has = [&](unsigned k) {
      return std::any_of(breakpoints_.begin(), breakpoints_.end(), [k](const auto& b) { return b.number == k; }) ||
             std::any_of(watchpoints_.begin(), watchpoints_.end(), [k](const auto& w) { return w.number == k; });
    };
    if (!n || *n > 0xFFFFFFFFu || !has(static_cast<unsigned>(*n)))
      return error("no breakpoint or watchpoint number '%.*s'", static_cast<int>(word.size()), word.data());
    numbers.push_back(static_cast<unsigned>(*n));
  }
  std::string out;
  for (const unsigned k : numbers) {
    const auto bp =
        std::find_if(breakpoints_.begin(), breakpoints_.end(), [k](const auto& b) { return b.number == k; });
    if (bp != breakpoints_.end()) {
      breakpoints_.erase(bp);
      out += printf_string("deleted breakpoint %u\n", k);
      continue;
    }
    const auto wp =
        std::find_if(watchpoints_.begin(), watchpoints_.end(), [k](const auto& w) { return w.number == k; });
    if (wp != watchpoints_.end()) {
      watchpoints_.erase(wp);
      out += printf_string("deleted watchpoint %u\n", k);
    }
  }
  rebuild_linear_set();
  return out;
}

std::string Debugger::info_break() const {
  if (breakpoints_.empty() && watchpoints_.empty()) return "no breakpoints or watchpoints\n";
  struct Row {
    unsigned number;
    std::string text;
  };
  std::vector<Row> rows;
  for (const Breakpoint& b : breakpoints_)
    rows.push_back({b.number, printf_string("%-4u %-13s %-8s 0x%08x  %s", b.number, "breakpoint",
                                            b.physical ? "physical" : "linear", b.address, b.typed.c_str())});
  static constexpr const char* kKinds[] = {"", "watch r", "watch w", "watch rw"};
  for (const Watchpoint& w : watchpoints_)
    rows.push_back(
        {w.number, printf_string("%-4u %-13s %-8s 0x%08x  %u byte%s", w.number, kKinds[static_cast<unsigned>(w.access)],
                                 w.physical ? "physical" : "linear", w.address, w.length, w.length == 1 ? "" : "s")});
  std::sort(rows.begin(), rows.end(), [](const Row& x, const Row& y) { return x.number < y.number; });
  std::string out = "num  type          space    address     what\n";
  for (Row& r : rows) {
    while (!r.text.empty() && r.text.back() == ' ') r.text.pop_back();
    out += r.text + "\n";
  }
  return out;
}

// `next` steps over a call or software interrupt: it runs until the instruction after it (gdb's
// nexti); anything else is one step.
DebugResult Debugger::next() const {
  const u32 pc = current_pc(cpu_);
  u8 bytes[15];
  const std::size_t got = debug::read_linear(cpu_, pc, bytes, sizeof bytes);
  DecodedInsn insn;
  const bool code32 = cpu_.s.code32() && cpu_.s.protected_mode() && !cpu_.s.v86();
  if (got == 0 || decode(bytes, got, code32, insn) != DecodeStatus::Ok || !insn.entry)
    return {{}, DebugAction::step(1)};
  switch (insn.entry->op) {
    case Op::Call:
    case Op::CallIndirect:
    case Op::CallFar:
    case Op::CallFarIndirect:
    case Op::IntN:
    case Op::Int3:
    case Op::Into: {
      // The return address is CS:(EIP + length) with the CS of now; in 16-bit code IP wraps.
      const u32 next_eip = code32 ? cpu_.s.eip + insn.len : (cpu_.s.eip + insn.len) & 0xFFFF;
      return {{}, DebugAction::until(cpu_.s.sreg(Seg::CS).base + next_eip)};
    }
    default: return {{}, DebugAction::step(1)};
  }
}

}  // namespace emu
