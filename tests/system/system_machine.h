// Helpers for the protected-mode system tests: code placed at fixed addresses, TSSs, call gates
// and a user-mode entry, on top of TestMachine's flat GDT.
#pragma once
#include <doctest/doctest.h>

#include <cstring>
#include <string>

#include "support/test_machine.h"

namespace emu::test {

struct SystemMachine : TestMachine {
  // Free GDT slots used by these tests.
  static constexpr u16 kTssA = 0x38;  // the task that runs first
  static constexpr u16 kTssB = 0x40;  // a second task
  static constexpr u16 kCallGate = 0x48;
  static constexpr u32 kTssABase = 0x3000;
  static constexpr u32 kTssBBase = 0x3200;
  static constexpr u32 kRing0Stack = 0x70000;  // ESP0 in TSS A
  static constexpr u32 kUserStack = 0x60000;
  static constexpr u32 kResults = 0x5000;  // tests store what they saw here

  // Assembles `source` at linear (= physical, paging off) address `addr` and stores it there.
  // Writes bypass the code-write tracking, so cached blocks are dropped.
  void place(u32 addr, const std::string& source, int bits = 32) {
    write_bytes(addr, assemble(source, bits, addr));
    interp.flush();
  }

  u32 result(unsigned slot) const { return read32(kResults + 4 * slot); }

  // A 32-bit TSS descriptor (type 9, available) of DPL `dpl`.
  void set_tss_descriptor(u16 selector, u32 base, u32 limit = 0x67, u8 dpl = 0) {
    set_gdt_entry(selector, descriptor(base, limit, static_cast<u16>(0x89 | (dpl << 5))));
  }

  // Task A: a TSS whose ring-0 stack is 0x10:kRing0Stack; loaded into TR as if by LTR.
  void setup_task_a() {
    std::memset(bus.ram() + kTssABase, 0, 0x68);
    write32(kTssABase + 4, kRing0Stack);
    write32(kTssABase + 8, 0x10);
    write16(kTssABase + 0x66, 0x68);  // no I/O bitmap inside the limit
    set_tss_descriptor(kTssA, kTssABase);
    u64 d;
    REQUIRE(cpu.read_descriptor(kTssA, d));
    cpu.s.tr = Cpu::cache_from_descriptor(kTssA, d | (u64{2} << 40));  // busy, as LTR leaves it
    set_gdt_entry(kTssA, d | (u64{2} << 40));
  }

  // Task B: flat ring-0 task starting at `eip` with its own stack.
  void setup_task_b(u32 eip, u32 esp = 0x68000, u32 eflags = 0x2) {
    std::memset(bus.ram() + kTssBBase, 0, 0x68);
    write32(kTssBBase + 0x20, eip);
    write32(kTssBBase + 0x24, eflags);
    write32(kTssBBase + 0x38, esp);
    for (unsigned k = 0; k < 6; ++k) write32(kTssBBase + 0x48 + 4 * k, k == 1 ? 0x08 : 0x10);
    write16(kTssBBase + 0x66, 0x68);
    set_tss_descriptor(kTssB, kTssBBase);
  }

  // A 32-bit call gate (SDM Vol. 3A, Figure 5-8).
  void set_call_gate(u16 selector, u16 target_cs, u32 offset, u8 dpl, u8 params) {
    const u32 lo = (u32{target_cs} << 16) | (offset & 0xFFFF);
    const u32 hi = (offset & 0xFFFF0000u) | 0x8000 | (u32{dpl} << 13) | (0xCu << 8) | params;
    set_gdt_entry(selector, (u64{hi} << 32) | lo);
  }
  void set_task_gate(u8 vector, u16 tss_selector, u8 dpl = 0) { set_idt_gate(vector, tss_selector, 0, 0x5, dpl); }

  // Type byte (bits 40-44) of a GDT descriptor.
  u8 gdt_type(u16 selector) const { return read8(kGdtBase + (selector & ~7u) + 5) & 0x1F; }
};

// Code that enters ring 3 at `label` with IRET (SS = 0x23, ESP = kUserStack, IF = 0).
inline std::string enter_ring3(const std::string& label) {
  return "push dword 0x23\n push dword 0x60000\n push dword 0x002\n push dword 0x1B\n push dword " + label +
         "\n iretd\n";
}

}  // namespace emu::test
