// Regression tests for disagreements the host-CPU oracle found (tests/oracle), each named after
// the case it came from.
#include <doctest/doctest.h>

#include "support/test_machine.h"

using namespace emu;
using emu::test::TestMachine;

TEST_CASE("oracle: INT3 with TF set does not single-step into its handler") {
  TestMachine m;
  m.protected_flat32();
  m.set_idt_gate(3, 0x08, TestMachine::kCodeBase + 0x800, 0xE);
  m.set_idt_gate(1, 0x08, TestMachine::kCodeBase + 0x900, 0xE);
  m.write_bytes(TestMachine::kCodeBase + 0x800, test::assemble("inc esi\n iretd", 32, TestMachine::kCodeBase + 0x800));
  m.write_bytes(TestMachine::kCodeBase + 0x900, test::assemble("inc edi\n iretd", 32, TestMachine::kCodeBase + 0x900));
  // TF on, then INT3: the #BP handler runs once with TF clear; when it returns, TF is back on
  // and the instruction after INT3 (the POPF that clears TF) is stepped: one #DB in all.
  m.write_bytes(TestMachine::kCodeBase, test::assemble("pushfd\n pushfd\n or dword [esp], 0x100\n popfd\n"
                                                       "int3\n popfd\n hlt",
                                                       32, TestMachine::kCodeBase));
  CHECK(m.run() == StopReason::Halted);
  CHECK(m.cpu.s.gpr[ESI] == 1);
  CHECK(m.cpu.s.gpr[EDI] == 1);  // only after the final POPF
}

TEST_CASE("oracle: MOV CR6 at CPL 3 is #UD, not #GP (the encoding check comes first)") {
  TestMachine m;
  m.protected_flat32();
  m.set_idt_gate(6, 0x08, TestMachine::kCodeBase + 0x800, 0xE);
  m.set_idt_gate(13, 0x08, TestMachine::kCodeBase + 0x900, 0xE);
  m.write_bytes(TestMachine::kCodeBase + 0x800, test::assemble("mov eax, 6\n hlt", 32, TestMachine::kCodeBase + 0x800));
  m.write_bytes(TestMachine::kCodeBase + 0x900,
                test::assemble("mov eax, 13\n hlt", 32, TestMachine::kCodeBase + 0x900));
  m.set_gdt_entry(0x38, TestMachine::descriptor(0x3000, 0x67, 0x0089));
  m.write32(0x3004, TestMachine::kStackTop - 0x100);
  m.write32(0x3008, 0x10);
  u64 d;
  REQUIRE(m.cpu.read_descriptor(0x38, d));
  m.cpu.s.tr = Cpu::cache_from_descriptor(0x38, d);
  // To ring 3, then mov cr6, edx (0F 22 F2).
  m.write_bytes(TestMachine::kCodeBase, test::assemble("push dword 0x23\n push dword 0x70000\n push dword 2\n"
                                                       "push dword 0x1B\n push dword 0x10400\n iretd",
                                                       32, TestMachine::kCodeBase));
  m.write_bytes(0x10400, {0x0F, 0x22, 0xF2});
  CHECK(m.run() == StopReason::Halted);
  CHECK(m.cpu.s.gpr[EAX] == 6);
  // And MOV CR0 at CPL 3 is #GP.
  m.protected_flat32();
  m.cpu.s.tr = Cpu::cache_from_descriptor(0x38, d);
  m.write_bytes(0x10400, {0x0F, 0x22, 0xC2});
  CHECK(m.run() == StopReason::Halted);
  CHECK(m.cpu.s.gpr[EAX] == 13);
}

TEST_CASE("oracle: a read-modify-write through CS is #GP before any page walk (2e d1 2a)") {
  TestMachine m;
  m.protected_flat32();
  m.set_idt_gate(13, 0x08, TestMachine::kCodeBase + 0x900, 0xE);
  m.set_idt_gate(14, 0x08, TestMachine::kCodeBase + 0x800, 0xE);
  m.write_bytes(TestMachine::kCodeBase + 0x800,
                test::assemble("mov eax, 14\n hlt", 32, TestMachine::kCodeBase + 0x800));
  m.write_bytes(TestMachine::kCodeBase + 0x900,
                test::assemble("mov eax, 13\n hlt", 32, TestMachine::kCodeBase + 0x900));
  // shr dword [cs:edx], 1 with EDX beyond RAM (an unmapped address would also #PF with paging).
  m.write_bytes(TestMachine::kCodeBase,
                test::assemble("mov edx, 0x8000\n shr dword [cs:edx], 1\n hlt", 32, TestMachine::kCodeBase));
  CHECK(m.run() == StopReason::Halted);
  CHECK(m.cpu.s.gpr[EAX] == 13);
}

TEST_CASE("oracle: ENTER with a nesting level copies the display in the processor's order (c8 34 00 1a)") {
  TestMachine m;
  m.protected_flat32();
  // EBP just above ESP, so the pushes overwrite display entries that later copies read.
  m.write_bytes(TestMachine::kCodeBase, test::assemble("mov esp, 0x8a60\n mov ebp, 0x8a62\n"
                                                       "mov dword [0x8a5e], 0x11111111\n"
                                                       "mov dword [0x8a5a], 0x22222222\n"
                                                       "mov dword [0x8a56], 0x33333333\n"
                                                       "enter 0x34, 4\n hlt",
                                                       32, TestMachine::kCodeBase));
  CHECK(m.run() == StopReason::Halted);
  // The push of the old EBP (0x00008a62) at 8a5c overwrites the low half of the dword at 8a5e,
  // so the first display copy, read after that push, is 0x11110000.
  const u32 frame = 0x8a5c;
  CHECK(m.cpu.s.gpr[EBP] == frame);
  CHECK(m.read32(0x8a5c) == 0x8a62);
  CHECK(m.read32(0x8a58) == 0x11110000u);
}
