// Fuzz target: random code in random CPU states (DESIGN §12). Whatever bytes the guest executes,
// the emulator must produce an architectural result or exception — never a host crash, undefined
// behaviour, a hang, or a state the architecture cannot reach.
//
// Input = a 64-byte header (the Header struct below) followed by code bytes. The header picks the
// mode (real, 16- or 32-bit protected, paging, CPL 3, V86), the registers and flags, three GDT
// descriptors the code may load, and pages left unmapped or read-only. The harness builds the
// machine, runs at most kBudget instructions with Interpreter::run and checks invariants.
//
// Memory map (physical = linear where paging is on; 4 MiB of RAM):
//   0x00000 real-mode IVT          0x01000 GDT (32 entries)   0x02000 IDT (256 gates)
//   0x03000 interrupt handlers     0x04000 TSS                0x05000 page directory
//   0x06000 page table (0-4 MiB)   0x09000 ring-0 stack top   0x10000 guest code (≤ 16 KiB)
//   0x70000-0x7FFFF guest stack (top 0x80000)
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstring>

#include "core/cpu.h"
#include "translator/interpreter.h"
#ifdef EMU_FUZZ_COMPARE_TIERS
#include <cstdlib>
#include <memory>
#include <string>

#include "translator/jit/jit_compiler.h"
#endif

using namespace emu;

namespace {

constexpr u32 kRamBytes = 4u << 20;
constexpr u32 kGdt = 0x1000, kIdt = 0x2000, kHandlers = 0x3000, kTss = 0x4000, kPageDir = 0x5000, kPageTable = 0x6000,
              kRing0StackTop = 0x9000, kCode = 0x10000, kStackTop = 0x80000;
constexpr u32 kMaxCode = 16 * 1024;
constexpr u64 kBudget = 1000;  // instructions (and exceptions) per input

enum class Mode : u8 { Real, Protected16, Protected32, Paging32, User32, UserPaging32, V86, Count };

// Header flag bits.
constexpr u8 kHandlersIret = 1 << 0;  // exception handlers IRET back (else they HLT)
constexpr u8 kInterruptsOn = 1 << 1;  // EFLAGS.IF
constexpr u8 kTrapFlag = 1 << 2;      // EFLAGS.TF: single-step every instruction
constexpr u8 kFpuTrap = 1 << 3;       // CR0.TS and CR0.MP: x87 instructions raise #NM
constexpr u8 kAlignCheck = 1 << 4;    // CR0.AM and EFLAGS.AC
constexpr u8 kWriteProtect = 1 << 5;  // CR0.WP
constexpr u8 kSaneStack = 1 << 6;     // ESP = kStackTop instead of the input's value
constexpr u8 kIopl3 = 1 << 7;         // EFLAGS.IOPL = 3

#pragma pack(push, 1)
struct Header {
  u8 mode;
  u8 flags;
  u16 eflags;  // arithmetic flags and DF, in EFLAGS positions
  u32 gpr[8];
  u8 gdt[3][8];     // descriptors at selectors 0x40, 0x48, 0x50
  u16 not_present;  // code pages 0x10-0x1F (bit n = page 0x10 + n) left unmapped
  u16 read_only;    // stack pages 0x70-0x7F (bit n = page 0x70 + n) mapped read-only
};
#pragma pack(pop)
static_assert(sizeof(Header) == 64);

// A broken invariant is an emulator bug: say which, and stop the way libFuzzer expects.
[[noreturn]] void invariant_broken(const char* what) {
  std::fprintf(stderr, "cpu_fuzz: invariant broken: %s\n", what);
  __builtin_trap();
}

struct FuzzMachine {
  AddressSpace bus{kRamBytes};
  Cpu cpu{bus};
  Interpreter interp{cpu};

  void put32(u32 at, u32 v) { std::memcpy(bus.ram() + at, &v, 4); }
  void put16(u32 at, u16 v) { std::memcpy(bus.ram() + at, &v, 2); }
  void put_descriptor(u16 selector, u64 d) { std::memcpy(bus.ram() + kGdt + (selector & ~7u), &d, 8); }

  static u64 descriptor(u32 base, u32 limit, u16 attrs) {
    u64 d = limit & 0xFFFF;
    d |= u64{base & 0xFFFFFF} << 16;
    d |= static_cast<u64>(attrs & 0xFF) << 40;
    d |= u64{(limit >> 16) & 0xF} << 48;
    d |= static_cast<u64>((attrs >> 12) & 0xF) << 52;  // G, D/B, L, AVL from attrs bits 15-12
    d |= u64{base >> 24} << 56;
    return d;
  }

  void load_cs(u16 selector) {
    u64 d;
    if (!cpu.read_descriptor(selector, d)) invariant_broken("harness GDT unreadable");
    cpu.s.sreg(Seg::CS) = Cpu::cache_from_descriptor(selector, d);
    cpu.set_cpl(selector & 3);
  }

  // The tables every protected mode shares: GDT, IDT with a handler per vector, TSS, paging.
  void build_tables(const Header& h) {
    put_descriptor(0x08, descriptor(0, 0xFFFFF, 0xC09B));     // ring-0 code, 32-bit, flat
    put_descriptor(0x10, descriptor(0, 0xFFFFF, 0xC093));     // ring-0 data
    put_descriptor(0x18, descriptor(0, 0xFFFFF, 0xC0FB));     // ring-3 code
    put_descriptor(0x20, descriptor(0, 0xFFFFF, 0xC0F3));     // ring-3 data
    put_descriptor(0x28, descriptor(kCode, 0xFFFF, 0x009B));  // ring-0 code, 16-bit, at kCode
    put_descriptor(0x30, descriptor(0, 0xFFFF, 0x0093));      // ring-0 data, 16-bit
    put_descriptor(0x38, descriptor(kTss, 0x67, 0x008B));     // busy 32-bit TSS
    for (int k = 0; k < 3; ++k) std::memcpy(bus.ram() + kGdt + 0x40 + 8 * k, h.gdt[k], 8);
    cpu.s.gdtr = {kGdt, 32 * 8 - 1};
    cpu.s.idtr = {kIdt, 256 * 8 - 1};

    // Handlers: HLT, or IRET (after dropping the error code for the vectors that push one).
    const bool iret = h.flags & kHandlersIret;
    bus.ram()[kHandlers] = iret ? 0xCF : 0xF4;                   // iretd / hlt
    const u8 drop_error_then_iret[] = {0x83, 0xC4, 0x04, 0xCF};  // add esp, 4; iretd
    std::memcpy(bus.ram() + kHandlers + 0x10, drop_error_then_iret, sizeof drop_error_then_iret);
    if (!iret) bus.ram()[kHandlers + 0x10] = 0xF4;
    for (u32 v = 0; v < 256; ++v) {
      const bool error_code = v == kDF || (v >= kTS && v <= kPF) || v == kAC;
      const u32 offset = kHandlers + (error_code ? 0x10 : 0);
      // 32-bit interrupt gate, DPL 3 so that INT n works from every ring.
      put32(kIdt + v * 8, (0x08u << 16) | (offset & 0xFFFF));
      put32(kIdt + v * 8 + 4, (offset & 0xFFFF0000u) | 0x8000 | (3u << 13) | (0xEu << 8));
    }
    // Real-mode IVT: every vector at 0000:kHandlers.
    for (u32 v = 0; v < 256; ++v) put32(v * 4, kHandlers);

    // TSS: the ring-0 stack for interrupts from rings 1-3 and V86 mode; no I/O bitmap.
    put32(kTss + 4, kRing0StackTop);
    put32(kTss + 8, 0x10);
    put16(kTss + 102, 0x68);
    u64 tss;
    if (!cpu.read_descriptor(0x38, tss)) invariant_broken("harness TSS descriptor unreadable");
    cpu.s.tr = Cpu::cache_from_descriptor(0x38, tss);

    // One page table maps 0-4 MiB, user-accessible and writable except where the input says.
    put32(kPageDir, kPageTable | 0x7);
    for (u32 page = 0; page < 1024; ++page) {
      u32 pte = (page << 12) | 0x7;
      if (page >= 0x10 && page < 0x20 && (h.not_present >> (page - 0x10)) & 1) pte = 0;
      if (page >= 0x70 && page < 0x80 && (h.read_only >> (page - 0x70)) & 1) pte &= ~2u;
      put32(kPageTable + page * 4, pte);
    }
  }

  void setup(const Header& h, const u8* code, std::size_t code_len) {
    cpu.reset();
    std::memcpy(bus.ram() + kCode, code, code_len);
    const Mode mode = static_cast<Mode>(h.mode % static_cast<u8>(Mode::Count));
    build_tables(h);
    for (int r = 0; r < 8; ++r) cpu.s.gpr[r] = h.gpr[r];

    u32 cr0 = cpu.s.cr0 & ~(cr0::CD | cr0::NW);
    if (h.flags & kFpuTrap) cr0 |= cr0::TS | cr0::MP;
    if (h.flags & kAlignCheck) cr0 |= cr0::AM;
    if (h.flags & kWriteProtect) cr0 |= cr0::WP;

    if (mode == Mode::Real) {
      if (!cpu.set_cr0(cr0)) invariant_broken("harness CR0 rejected");
      cpu.load_segment_real(Seg::CS, kCode >> 4);
      for (Seg s : {Seg::DS, Seg::ES, Seg::FS, Seg::GS}) cpu.load_segment_real(s, 0);
      cpu.load_segment_real(Seg::SS, 0x7000);
      cpu.s.eip = 0;
      if (h.flags & kSaneStack) cpu.s.gpr[ESP] = 0xFFF0;
    } else {
      const bool paging = mode == Mode::Paging32 || mode == Mode::UserPaging32 || mode == Mode::V86;
      cpu.s.cr3 = kPageDir;
      if (!cpu.set_cr0(cr0 | cr0::PE | (paging ? cr0::PG : 0))) invariant_broken("harness CR0 rejected");
      const bool user = mode == Mode::User32 || mode == Mode::UserPaging32;
      if (mode == Mode::Protected16) {
        load_cs(0x28);
        cpu.s.eip = 0;
      } else {
        load_cs(user ? 0x1B : 0x08);
        cpu.s.eip = kCode;
      }
      const u16 data = user ? 0x23 : mode == Mode::Protected16 ? 0x30 : 0x10;
      cpu.set_cpl(user ? 3 : 0);
      for (Seg s : {Seg::DS, Seg::ES, Seg::SS, Seg::FS, Seg::GS})
        if (!cpu.load_segment(s, data)) invariant_broken("harness data segment rejected");
      if (h.flags & kSaneStack) cpu.s.gpr[ESP] = kStackTop;
      if (mode == Mode::V86) {
        // Virtual-8086 mode, entered as IRET would leave it: every segment real-mode style.
        cpu.s.flags.bits |= eflags::VM;
        cpu.mode_changed();
        for (int s = 0; s < kSegCount; ++s) {
          SegmentCache& c = cpu.s.seg[s];
          c.attrs = desc::kPresent | desc::kNonSystem | desc::kWritable | desc::kAccessed | (3u << 5);
          c.limit = 0xFFFF;
          c.usable = true;
          c.refresh_bounds();
        }
        cpu.load_segment_real(Seg::CS, kCode >> 4);
        for (Seg s : {Seg::DS, Seg::ES, Seg::FS, Seg::GS}) cpu.load_segment_real(s, 0);
        cpu.load_segment_real(Seg::SS, 0x7000);
        cpu.s.eip = 0;
        cpu.s.gpr[ESP] &= 0xFFFF;
      }
    }
    u32 fl = (cpu.s.flags.bits & eflags::VM) | 0x2 | (h.eflags & (eflags::kArith | eflags::DF));
    if (h.flags & kInterruptsOn) fl |= eflags::IF;
    if (h.flags & kTrapFlag) fl |= eflags::TF;
    if (h.flags & kAlignCheck) fl |= eflags::AC;
    if (h.flags & kIopl3) fl |= eflags::IOPL;
    cpu.s.flags = Flags{};
    cpu.s.flags.bits = fl;
    cpu.tlb_flush_all();
    interp.flush();
  }

  // Invariants of any reachable state (SDM Vol. 3A): checked after the run.
  void check() const {
    const CpuState& s = cpu.s;
    if (cpu.triple_fault) return;  // shutdown: the machine would reset
    if (cpu.pending.active) invariant_broken("an exception is left pending after run()");
    if (!(s.flags.bits & eflags::kReserved1)) invariant_broken("EFLAGS bit 1 is clear");
    if (s.flags.bits & ~(eflags::kWritable | eflags::kReserved1)) invariant_broken("a reserved EFLAGS bit is set");
    if (!s.protected_mode()) {
      if (s.cpl != 0 || s.v86()) invariant_broken("real mode with CPL != 0 or EFLAGS.VM");
    } else if (s.v86()) {
      if (s.cpl != 3) invariant_broken("V86 mode with CPL != 3");
    } else if (s.cpl != (s.sreg(Seg::CS).selector & 3)) {
      invariant_broken("CPL != CS.RPL in protected mode");
    }
    // EIP may sit one past the CS limit after an instruction that ended there (the fetch then
    // raises #GP), but never further: a far or near jump beyond the limit faults at the jump. (A
    // 16-bit code segment can run at EIP > 0xFFFF: a 32-bit far JMP into it sets all of EIP.)
    const SegmentCache& cs = s.sreg(Seg::CS);
    if (cs.limit != 0xFFFFFFFFu && s.eip > cs.limit + 1) invariant_broken("EIP beyond the CS limit");
  }
};

}  // namespace

#ifndef EMU_FUZZ_COMPARE_TIERS
extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, std::size_t size) {
  if (size < sizeof(Header)) return 0;
  Header h;
  std::memcpy(&h, data, sizeof h);
  const std::size_t code_len = std::min<std::size_t>(size - sizeof h, kMaxCode);
  FuzzMachine m;
  m.setup(h, data + sizeof h, code_len);
  m.interp.run(kBudget);
  m.check();
  return 0;
}
#else
// jit_fuzz: the same input run by the interpreter alone and with every block compiled by the JIT
// first (force mode); the two machines must end identical — registers, EFLAGS, segment state,
// control registers, counts and all of RAM (DESIGN §3: the tiers agree bit for bit).
extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, std::size_t size) {
  static const std::unique_ptr<jit::JitCompiler> compiler = [] {
    jit::JitOptions o;
    o.force = true;
    std::string error;
    auto c = jit::JitCompiler::create(o, error);
    if (!c) {
      std::fprintf(stderr, "jit_fuzz: %s\n", error.c_str());
      std::abort();
    }
    return c;
  }();
  if (size < sizeof(Header)) return 0;
  Header h;
  std::memcpy(&h, data, sizeof h);
  const std::size_t code_len = std::min<std::size_t>(size - sizeof h, kMaxCode);
  FuzzMachine interpreted, compiled;
  compiled.interp.set_compiler(compiler.get());
  interpreted.setup(h, data + sizeof h, code_len);
  compiled.setup(h, data + sizeof h, code_len);
  interpreted.interp.run(kBudget);
  compiled.interp.run(kBudget);
  interpreted.check();
  compiled.check();
  CpuState a = interpreted.cpu.s, b = compiled.cpu.s;
  a.flags.materialise();
  b.flags.materialise();
  if (a.gpr != b.gpr) invariant_broken("tiers differ: general registers");
  if (a.eip != b.eip) invariant_broken("tiers differ: EIP");
  if (a.flags.value() != b.flags.value()) invariant_broken("tiers differ: EFLAGS");
  if (a.cr0 != b.cr0 || a.cr2 != b.cr2 || a.cr3 != b.cr3 || a.cpl != b.cpl) invariant_broken("tiers differ: CRn/CPL");
  for (unsigned k = 0; k < 6; ++k)
    if (a.seg[k].selector != b.seg[k].selector || a.seg[k].base != b.seg[k].base)
      invariant_broken("tiers differ: segment registers");
  if (interpreted.cpu.counters.instructions != compiled.cpu.counters.instructions)
    invariant_broken("tiers differ: instructions retired");
  if (std::memcmp(interpreted.bus.ram(), compiled.bus.ram(), kRamBytes) != 0) invariant_broken("tiers differ: RAM");
  return 0;
}
#endif
