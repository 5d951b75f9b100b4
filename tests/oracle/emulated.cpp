#include "tests/oracle/emulated.h"

#include <cstring>

namespace emu::oracle {

namespace {

// Supervisor-only pages, far above the test pages (identity-mapped: linear = physical).
constexpr u32 kGdt = 0x100000;
constexpr u32 kIdt = 0x101000;
constexpr u32 kTss = 0x102000;
constexpr u32 kHandlers = 0x103000;  // vector v's handler at kHandlers + 4 * v; never executed
constexpr u32 kRing0StackTop = 0x106000;
constexpr u32 kPageDirectory = 0x110000;
constexpr u32 kPageTable = 0x111000;
// Ring-0 selectors at the top of the GDT, clear of Linux's user selectors (0x23, 0x2B, 0x63).
constexpr u16 kTssSelector = 0xE8, kRing0Code = 0xF0, kRing0Data = 0xF8;
constexpr u32 kGdtEntries = 32;

constexpr u32 kPresent = 1, kWritable = 2, kUser = 4;

// An 8-byte segment descriptor (SDM Vol. 3A, Figure 3-8): `access` is byte 5 (P, DPL, S, type),
// `flags` the high nibble of byte 6 (G, D/B, L, AVL).
u64 descriptor(u32 base, u32 limit, u8 access, u8 flags) {
  u64 d = limit & 0xFFFF;
  d |= u64{base & 0xFFFFFF} << 16;
  d |= u64{access} << 40;
  d |= u64{(limit >> 16) & 0xF} << 48;
  d |= u64{flags & 0xFu} << 52;
  d |= u64{base >> 24} << 56;
  return d;
}

bool has_error_code(u32 vector) { return vector == 8 || (vector >= 10 && vector <= 14) || vector == 17; }

u32 load32(const u8* p) {
  u32 v;
  std::memcpy(&v, p, 4);
  return v;
}

void store32(u8* p, u32 v) { std::memcpy(p, &v, 4); }

// The tag FNSAVE reports for a register: recomputed from its contents unless it is empty
// (SDM Vol. 1, 8.1.7), which is also what the host kernel writes into a signal frame.
u16 classify(const u8* v) {
  u64 mantissa;
  std::memcpy(&mantissa, v, 8);
  const u32 exponent = (v[8] | v[9] << 8) & 0x7FFF;
  if (exponent == 0x7FFF) return 2;
  if (exponent == 0) return mantissa == 0 ? 1 : 2;
  return (mantissa >> 63) ? 0 : 2;
}

void load_fpu_image(FpuState& f, const u8* image) {
  f.control = static_cast<u16>(load32(image + 0));
  f.status = static_cast<u16>(load32(image + 4));
  f.tag = static_cast<u16>(load32(image + 8));
  f.last_ip = load32(image + 12);
  f.last_cs = static_cast<u16>(load32(image + 16));
  f.last_opcode = static_cast<u16>((load32(image + 16) >> 16) & 0x7FF);
  f.last_dp = load32(image + 20);
  f.last_ds = static_cast<u16>(load32(image + 24));
  const u32 top = (f.status >> 11) & 7;
  for (u32 i = 0; i < 8; ++i) {
    long double v = 0;
    std::memcpy(&v, image + 28 + 10 * i, 10);
    f.regs[(top + i) & 7] = v;
  }
}

void store_fpu_image(const FpuState& f, u8* image) {
  std::memset(image, 0, ORACLE_FPU_IMAGE);
  const u32 top = (f.status >> 11) & 7;
  u16 tag = 0;
  for (u32 phys = 0; phys < 8; ++phys) {
    u8 bytes[16] = {};
    std::memcpy(bytes, &f.regs[phys], 10);
    const u16 t = ((f.tag >> (2 * phys)) & 3) == 3 ? 3 : classify(bytes);
    tag |= static_cast<u16>(t << (2 * phys));
  }
  store32(image + 0, 0xFFFF0000u | f.control);
  store32(image + 4, 0xFFFF0000u | f.status);
  store32(image + 8, 0xFFFF0000u | tag);
  store32(image + 12, f.last_ip);
  store32(image + 16, f.last_cs | u32{f.last_opcode} << 16);
  store32(image + 20, f.last_dp);
  store32(image + 24, 0xFFFF0000u | f.last_ds);
  for (u32 i = 0; i < 8; ++i) std::memcpy(image + 28 + 10 * i, &f.regs[(top + i) & 7], 10);
}

}  // namespace

EmulatedRunner::EmulatedRunner(const oracle_hello& host) { build_system_tables(host); }

void EmulatedRunner::build_system_tables(const oracle_hello& host) {
  u8* ram = bus_.ram();
  cpu_.reset();
  auto set_gdt = [&](u16 selector, u64 d) {
    store32(ram + kGdt + (selector & ~7u), static_cast<u32>(d));
    store32(ram + kGdt + (selector & ~7u) + 4, static_cast<u32>(d >> 32));
  };
  std::memset(ram + kGdt, 0, kGdtEntries * 8);
  const u64 user_code = descriptor(0, 0xFFFFF, 0xFB, 0xC);  // DPL 3, 32-bit, readable, accessed
  const u64 user_data = descriptor(0, 0xFFFFF, 0xF3, 0xC);  // DPL 3, 32-bit, writable, accessed
  set_gdt(kRing0Code, descriptor(0, 0xFFFFF, 0x9B, 0xC));
  set_gdt(kRing0Data, descriptor(0, 0xFFFFF, 0x93, 0xC));
  set_gdt(kTssSelector, descriptor(kTss, 0x67, 0x8B, 0));  // busy 32-bit TSS
  set_gdt(host.cs, user_code);
  for (u16 sel : {host.ss, host.ds, host.es, host.fs, host.gs})
    if (sel & 0xFFFC) set_gdt(sel, user_data);

  // IDT: every vector an interrupt gate to its own ring-0 address. Like Linux, only #BP and #OF
  // (and INT 0x80, which the generator never emits) may be raised by INT n at CPL 3.
  for (u32 v = 0; v < 256; ++v) {
    const u32 target = kHandlers + 4 * v;
    const u32 dpl = (v == 3 || v == 4 || v == 0x80) ? 3 : 0;
    store32(ram + kIdt + 8 * v, u32{kRing0Code} << 16 | (target & 0xFFFF));
    store32(ram + kIdt + 8 * v + 4, (target & 0xFFFF0000u) | 0x8000 | dpl << 13 | 0xE << 8);
  }
  std::memset(ram + kHandlers, 0xF4, 0x400);  // HLT

  // TSS: the ring-0 stack for events from CPL 3, and no I/O bitmap (its base lies beyond the
  // limit), so IN/OUT at IOPL 0 fault as they do in a Linux process.
  std::memset(ram + kTss, 0, 0x68);
  store32(ram + kTss + 4, kRing0StackTop);
  store32(ram + kTss + 8, kRing0Data);
  store32(ram + kTss + 0x64, 0x68u << 16);

  // Paging: the user sees the code page and the data region and nothing else.
  std::memset(ram + kPageDirectory, 0, 0x2000);
  store32(ram + kPageDirectory, kPageTable | kPresent | kWritable | kUser);
  auto map = [&](u32 page, u32 flags) { store32(ram + kPageTable + 4 * (page >> 12), page | flags); };
  map(ORACLE_CODE_PAGE, kPresent | kWritable | kUser);
  for (u32 p = ORACLE_DATA_BASE; p < ORACLE_DATA_BASE + ORACLE_DATA_SIZE; p += 0x1000)
    map(p, kPresent | kWritable | kUser);
  for (u32 p = kGdt; p < kRing0StackTop; p += 0x1000) map(p, kPresent | kWritable);

  CpuState& s = cpu_.s;
  s.gdtr = {kGdt, kGdtEntries * 8 - 1};
  s.idtr = {kIdt, 256 * 8 - 1};
  s.tr = Cpu::cache_from_descriptor(kTssSelector, descriptor(kTss, 0x67, 0x8B, 0));
  // Linux's CR0: protected mode, paging, native x87 error reporting, write protection and
  // alignment-check masking (SDM Vol. 3A, 2.5).
  s.cr0 = cr0::PE | cr0::PG | cr0::MP | cr0::ET | cr0::NE | cr0::WP | cr0::AM;
  s.cr3 = kPageDirectory;
  s.cr4 = 0;
  cpu_.tlb_flush_all();

  auto cache = [&](u16 selector, u64 d) {
    if (!(selector & 0xFFFC)) {  // a null selector: loadable, unusable
      SegmentCache c;
      c.selector = selector;
      c.usable = false;
      c.attrs = 0;
      c.limit = 0;
      c.refresh_bounds();
      return c;
    }
    return Cpu::cache_from_descriptor(selector, d);
  };
  user_cs_ = cache(host.cs, user_code);
  user_ss_ = cache(host.ss, user_data);
  user_ds_ = cache(host.ds, user_data);
  user_es_ = cache(host.es, user_data);
  user_fs_ = cache(host.fs, user_data);
  user_gs_ = cache(host.gs, user_data);
}

void EmulatedRunner::enter_user(u32 eip, u32 esp, u32 eflags) {
  CpuState& s = cpu_.s;
  s.sreg(Seg::CS) = user_cs_;
  s.sreg(Seg::SS) = user_ss_;
  s.sreg(Seg::DS) = user_ds_;
  s.sreg(Seg::ES) = user_es_;
  s.sreg(Seg::FS) = user_fs_;
  s.sreg(Seg::GS) = user_gs_;
  cpu_.set_cpl(3);
  s.eip = eip;
  s.gpr[ESP] = esp;
  s.flags = Flags{};
  s.flags.bits = eflags | eflags::kReserved1;
}

void EmulatedRunner::run(const oracle_case& c, oracle_result& r, std::string& note) {
  std::memset(&r, 0, sizeof r);
  note.clear();
  u8* ram = bus_.ram();
  std::memset(ram + ORACLE_CODE_PAGE, 0xCC, 0x1000);
  std::memcpy(ram + ORACLE_CODE_ADDR, c.code, c.code_len);
  oracle_fill(initial_, &c);
  std::memcpy(ram + ORACLE_DATA_BASE, initial_, ORACLE_DATA_SIZE);
  interp_.flush();  // the code page was rewritten behind the block cache's back

  CpuState& s = cpu_.s;
  cpu_.pending = {};
  cpu_.triple_fault = false;
  s.halted = false;
  s.interrupt_shadow = false;
  s.cr2 = 0;
  s.dr[6] = 0xFFFF0FF0;
  for (int i = 0; i < 8; ++i) s.gpr[i] = c.gpr[i];
  s.fpu = FpuState{};
  if (c.flags & ORACLE_HAS_FPU) load_fpu_image(s.fpu, c.fpu);
  enter_user(ORACLE_CODE_ADDR, c.gpr[ESP], (c.eflags & 0xCD5u) | eflags::IF | eflags::TF);

  for (;;) {
    interp_.step();
    if (cpu_.triple_fault) {
      note = "the emulator triple-faulted delivering the exception";
      r.vector = 0xFE;
      break;
    }
    if (s.cpl != 0 || s.eip < kHandlers || s.eip >= kHandlers + 0x400) {
      note = "the emulator neither raised an exception nor took the single-step trap";
      r.vector = 0xFF;
      for (int i = 0; i < 8; ++i) r.gpr[i] = s.gpr[i];
      r.eflags = s.flags.value();
      r.eip = s.eip;
      break;
    }
    u32 vector = (s.eip - kHandlers) / 4;
    const u8* frame = ram + s.gpr[ESP];
    if (vector == 1 && (load32(frame + 4) & 3) == 0) {
      // #DB taken at ring 0: the single-step trap followed an event delivery (INT n, INT3,
      // INTO clear TF on the way in, so hardware never does this; SDM Vol. 3A, 6.12.1.2).
      vector = (load32(frame) - kHandlers) / 4;
      note = "the emulator took a single-step #DB after delivering vector " + std::to_string(vector);
      frame += 12;
    }
    if (has_error_code(vector)) {
      r.error_code = load32(frame);
      frame += 4;
    }
    const u32 eip = load32(frame), eflags_image = load32(frame + 8), esp = load32(frame + 12);
    if (vector == 1 && eip == ORACLE_CODE_ADDR && (c.flags & ORACLE_REP_STRING) && ++r.steps < ORACLE_MAX_STEPS) {
      enter_user(eip, esp, eflags_image);  // the next iteration, as IRET would resume it
      continue;
    }
    for (int i = 0; i < 8; ++i) r.gpr[i] = s.gpr[i];
    r.gpr[ESP] = esp;
    r.eflags = eflags_image;
    r.eip = eip;
    r.vector = vector;
    break;
  }
  r.cr2 = s.cr2;
  oracle_diff(initial_, ram + ORACLE_DATA_BASE, &r);
  store_fpu_image(s.fpu, r.fpu);
}

}  // namespace emu::oracle
