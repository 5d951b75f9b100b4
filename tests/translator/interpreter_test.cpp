#include <doctest/doctest.h>

#include "core/dma.h"
#include "support/test_machine.h"

using namespace emu;
using emu::test::TestMachine;

TEST_CASE("interpreter: a store into the current block changes the instructions that follow") {
  TestMachine m;
  m.protected_flat32();
  // The MOV patches the immediate of the next instruction: 'mov eax, 1' becomes 'mov eax, 2'.
  // The write lands in the block being executed; the CPU must run the new bytes (SDM Vol. 3A,
  // 11.6 "Self-Modifying Code").
  CHECK(m.run_asm("mov byte [patch + 1], 2\n"
                  "patch: mov eax, 1\n"
                  "hlt") == StopReason::Halted);
  CHECK(m.cpu.s.gpr[EAX] == 2);
  CHECK(m.interp.stats().blocks_invalidated >= 1);
}

TEST_CASE("interpreter: code rewritten between runs of a loop is re-decoded") {
  TestMachine m;
  m.protected_flat32();
  // A loop body that increments EBX is patched, on the third pass, to add 100 instead.
  CHECK(m.run_asm("mov ecx, 5\n xor ebx, ebx\n"
                  "top: call body\n"
                  " cmp ecx, 3\n jne skip\n"
                  " mov byte [body], 0x90\n"             // inc ebx (43) -> nop (90)
                  " mov dword [body + 1], 0x9064C383\n"  // nops -> add ebx, 100 (83 C3 64); nop
                  "skip: dec ecx\n jnz top\n hlt\n"
                  "body: inc ebx\n nop\n nop\n nop\n nop\n ret\n") == StopReason::Halted);
  // Passes 1-3 run the original body (the patch comes after pass 3's call); passes 4-5 the
  // patched one: 1 + 1 + 1 + 100 + 100.
  CHECK(m.cpu.s.gpr[EBX] == 203);
}

TEST_CASE("interpreter: DMA into translated code invalidates it") {
  TestMachine m;
  m.protected_flat32();
  m.write_bytes(TestMachine::kCodeBase, test::assemble("mov eax, 1\n hlt", 32, TestMachine::kCodeBase));
  CHECK(m.run() == StopReason::Halted);
  CHECK(m.cpu.s.gpr[EAX] == 1);
  // A device overwrites the code with 'mov eax, 7; hlt' through the DMA API.
  Dma dma(m.bus);
  const auto code = test::assemble("mov eax, 7\n hlt", 32, TestMachine::kCodeBase);
  CHECK(dma.write(TestMachine::kCodeBase, code) == DmaResult::Ok);
  m.cpu.s.eip = TestMachine::kCodeBase;
  m.cpu.s.halted = false;
  CHECK(m.run() == StopReason::Halted);
  CHECK(m.cpu.s.gpr[EAX] == 7);
}

TEST_CASE("interpreter: sensitive instructions go through the VMM gate and are counted") {
  TestMachine m;
  m.protected_flat32();
  m.set_idt_gate(0x80, 0x08, TestMachine::kCodeBase + 0x800, 0xE, 3);
  // Ring 0 part, then IRET to ring 3 code at +0x400 that runs PUSHF and SGDT and calls int 0x80.
  m.write_bytes(TestMachine::kCodeBase, test::assemble("pushfd\n popfd\n"
                                                       "push dword 0x23\n push dword 0x70000\n push dword 2\n"
                                                       "push dword 0x1B\n push dword 0x10400\n iretd",
                                                       32, TestMachine::kCodeBase));
  m.write_bytes(TestMachine::kCodeBase + 0x400,
                test::assemble("mov ax, 0x23\n mov ds, ax\n pushfd\n sgdt [0x70100]\n int 0x80", 32,
                               TestMachine::kCodeBase + 0x400));
  m.write_bytes(TestMachine::kCodeBase + 0x800, test::assemble("hlt", 32, TestMachine::kCodeBase + 0x800));
  // The TSS provides the ring-0 stack for the int 0x80.
  m.set_gdt_entry(0x38, TestMachine::descriptor(0x3000, 0x67, 0x0089));
  m.write32(0x3000 + 4, TestMachine::kStackTop - 0x100);  // ESP0
  m.write32(0x3000 + 8, 0x10);                            // SS0
  u64 d;
  REQUIRE(m.cpu.read_descriptor(0x38, d));
  m.cpu.s.tr = Cpu::cache_from_descriptor(0x38, d);
  CHECK(m.run() == StopReason::Halted);
  CHECK(m.cpu.s.cpl == 0);
  const auto& c = m.cpu.counters;
  const auto at = [&](Op op) { return static_cast<unsigned>(op); };
  CHECK(c.vmm_total[at(Op::Pushf)] == 2);
  CHECK(c.vmm_outside_ring0[at(Op::Pushf)] == 1);
  CHECK(c.vmm_total[at(Op::Popf)] == 1);
  CHECK(c.vmm_outside_ring0[at(Op::Popf)] == 0);
  CHECK(c.vmm_total[at(Op::Sgdt)] == 1);
  CHECK(c.vmm_outside_ring0[at(Op::Sgdt)] == 1);
  CHECK(c.vmm_outside_ring0[at(Op::IntN)] == 1);
  CHECK(c.vmm_outside_ring0[at(Op::MovToSeg)] == 1);
  CHECK(c.vmm_outside_ring0[at(Op::Iret)] == 0);  // IRET is not in the 17; it ran at ring 0
}

TEST_CASE("interpreter: TF single-steps with a #DB trap after each instruction") {
  TestMachine m;
  m.protected_flat32();
  m.set_idt_gate(1, 0x08, TestMachine::kCodeBase + 0x800, 0xE);
  // The #DB handler counts into ESI and returns (IRET restores TF from the stack).
  m.write_bytes(TestMachine::kCodeBase + 0x800, test::assemble("inc esi\n iretd", 32, TestMachine::kCodeBase + 0x800));
  m.write_bytes(TestMachine::kCodeBase, test::assemble("pushfd\n or dword [esp], 0x100\n popfd\n"
                                                       "nop\n nop\n nop\n"
                                                       "pushfd\n and dword [esp], ~0x100\n popfd\n hlt",
                                                       32, TestMachine::kCodeBase));
  CHECK(m.run() == StopReason::Halted);
  // Traps follow: the instruction after the POPF that set TF (nop), nop, nop, pushfd, and, and
  // the POPF that clears TF (TF was set when it began) — 6 traps.
  CHECK(m.cpu.s.gpr[ESI] == 6);
}

TEST_CASE("interpreter: a fault loop still returns control to the caller") {
  TestMachine m;
  m.protected_flat32();
  // #UD handler returns to the UD2 forever; run() must still end when the budget is spent.
  m.set_idt_gate(6, 0x08, TestMachine::kCodeBase + 0x100, 0xE);
  m.write_bytes(TestMachine::kCodeBase + 0x100, test::assemble("iretd", 32, TestMachine::kCodeBase + 0x100));
  m.write_bytes(TestMachine::kCodeBase, test::assemble("ud2", 32, TestMachine::kCodeBase));
  CHECK(m.run(10000) == StopReason::Budget);
}

TEST_CASE("interpreter: an instruction that straddles a page boundary") {
  TestMachine m;
  m.protected_flat32(0x10FFE);
  // mov eax, 0x12345678 (5 bytes) starting 2 bytes before a page boundary.
  m.write_bytes(0x10FFE, test::assemble("mov eax, 0x12345678\n hlt", 32, 0x10FFE));
  CHECK(m.run() == StopReason::Halted);
  CHECK(m.cpu.s.gpr[EAX] == 0x12345678);
}
