// Regression tests for what fuzzing found around the alignment check (#AC, SDM Vol. 3A, 6.15
// "Interrupt 17"): at CPL 3 with CR0.AM and EFLAGS.AC set, a misaligned access faults — every
// time, whatever the TLB holds, and before an instruction that writes several places commits
// anything.
#include <doctest/doctest.h>

#include "tests/support/test_machine.h"

using namespace emu;

namespace {

constexpr u32 kHandler = 0x3000;

// Ring 3, flat, alignment checking on; every exception lands on a HLT at kHandler (ring 0).
void user_mode_with_alignment_check(test::TestMachine& m) {
  m.protected_flat32();
  for (int v = 0; v < 32; ++v) m.set_idt_gate(static_cast<u8>(v), 0x08, kHandler, 0xE, 3);
  m.bus.ram()[kHandler] = 0xF4;    // hlt
  m.write32(0x4000 + 4, 0x90000);  // TSS.ESP0
  m.write32(0x4000 + 8, 0x10);     // TSS.SS0
  m.set_gdt_entry(0x38, test::TestMachine::descriptor(0x4000, 0x67, 0x008B));
  u64 d;
  REQUIRE(m.cpu.read_descriptor(0x38, d));
  m.cpu.s.tr = Cpu::cache_from_descriptor(0x38, d);
  m.cpu.s.cr0 |= cr0::AM;
  REQUIRE(m.cpu.read_descriptor(0x1B, d));
  m.cpu.s.sreg(Seg::CS) = Cpu::cache_from_descriptor(0x1B, d);
  m.cpu.set_cpl(3);
  for (Seg s : {Seg::DS, Seg::ES, Seg::SS, Seg::FS, Seg::GS}) REQUIRE(m.cpu.load_segment(s, 0x23));
  m.cpu.s.flags.bits |= eflags::AC;
}

u64 ac_count(const test::TestMachine& m) { return m.cpu.counters.exceptions[kAC]; }

}  // namespace

TEST_CASE("#AC: a misaligned load faults also when its page is already in the TLB") {
  test::TestMachine m;
  user_mode_with_alignment_check(m);
  m.run_asm("mov eax, [0x20000]\n mov eax, [0x20001]\n hlt");
  CHECK(ac_count(m) == 1);
  // Frame on the ring-0 stack: SS, ESP, EFLAGS, CS, EIP, error code.
  CHECK(m.read32(0x90000 - 20) == test::TestMachine::kCodeBase + 5);  // EIP of the faulting load
}

TEST_CASE("#AC: ENTER and PUSHA with a misaligned stack fault before writing anything") {
  for (const char* insn : {"enter 8, 2", "pushad", "push fs"}) {
    test::TestMachine m;
    user_mode_with_alignment_check(m);
    m.write32(0x7FF00, 0xAAAAAAAA);
    m.cpu.s.gpr[ESP] = 0x7FF03;
    m.cpu.s.gpr[EBP] = 0x7FF43;
    m.run_asm(std::string(insn) + "\n hlt");
    CAPTURE(insn);
    CHECK(ac_count(m) == 1);
    CHECK(m.read32(0x7FF00) == 0xAAAAAAAA);
    CHECK_FALSE(m.cpu.pending.active);
  }
}

TEST_CASE("#AC: SGDT checks its limit and base stores separately (SDM Vol. 3A, 3.5.1)") {
  test::TestMachine m;
  user_mode_with_alignment_check(m);
  m.run_asm("sgdt [0x20002]\n hlt");  // limit at MOD 4 = 2, base aligned: no fault
  CHECK(ac_count(m) == 0);
  CHECK(m.read16(0x20002) == 32 * 8 - 1);

  test::TestMachine n;
  user_mode_with_alignment_check(n);
  n.run_asm("sgdt [0x20000]\n hlt");  // base at 0x20002 is misaligned
  CHECK(ac_count(n) == 1);
  CHECK(n.read16(0x20000) == 0);
  CHECK_FALSE(n.cpu.pending.active);
}

TEST_CASE("#AC: x87 stores to misaligned operands fault and store nothing") {
  test::TestMachine m;
  user_mode_with_alignment_check(m);
  m.run_asm("fninit\n fnstcw [0x20001]\n hlt");
  CHECK(ac_count(m) == 1);
  CHECK(m.read16(0x20001) == 0);
  CHECK_FALSE(m.cpu.pending.active);
}
