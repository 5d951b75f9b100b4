// Hardware task switches (SDM Vol. 3A, 7.3): JMP, CALL and IRET to and from a TSS, interrupts
// through task gates (with the error code push), and the #DF / triple-fault escalation of
// SDM Vol. 3A, 6.15 (Interrupt 8).
#include <doctest/doctest.h>

#include "system/system_machine.h"

using namespace emu;
using emu::test::SystemMachine;
using emu::test::TestMachine;

namespace {

constexpr u32 kTaskBCode = 0x22000;
constexpr u8 kAvailable32 = 0x09, kBusy32 = 0x0B;

}  // namespace

TEST_CASE("task: CALL to a TSS nests (NT, back link, busy bits) and IRET returns") {
  SystemMachine m;
  m.protected_flat32();
  m.setup_task_a();
  m.setup_task_b(kTaskBCode);
  m.place(kTaskBCode, R"(
    pushfd
    pop eax
    mov [0x5000], eax        ; NT set in the nested task
    str ax
    mov [0x5004], eax
    mov eax, [0x3200]        ; TSS B back link
    mov [0x5008], eax
    mov eax, esp
    mov [0x500C], eax
    mov ebx, 0xB0B0
    iretd
    hlt
  )");
  m.cpu.s.gpr[EBX] = 0xA0A0;
  CHECK(m.run_asm(R"(
    mov esi, 0x1234
    call 0x40:0
  back:
    mov [0x5010], ebx
    mov [0x5014], esi
    str ax
    mov [0x5018], eax
    pushfd
    pop eax
    mov [0x501C], eax
    mov dword [0x5020], back
    hlt
  )") == StopReason::Halted);
  CHECK((m.result(0) & eflags::NT));
  CHECK((m.result(1) & 0xFFFF) == SystemMachine::kTssB);
  CHECK((m.result(2) & 0xFFFF) == SystemMachine::kTssA);
  CHECK(m.result(3) == 0x68000);
  // Back in task A: its registers came back from its TSS (EBX = A's value, not B's).
  CHECK(m.result(4) == 0xA0A0);
  CHECK(m.result(5) == 0x1234);
  CHECK((m.result(6) & 0xFFFF) == SystemMachine::kTssA);
  CHECK(!(m.result(7) & eflags::NT));
  // TSS A holds the state saved at the CALL: EIP after it, ESI.
  CHECK(m.read32(SystemMachine::kTssABase + 0x20) == m.result(8));
  CHECK(m.read32(SystemMachine::kTssABase + 0x40) == 0x1234);
  // TSS B holds the state saved at its IRET: EBX = B0B0, EIP after the IRET, NT clear.
  CHECK(m.read32(SystemMachine::kTssBBase + 0x34) == 0xB0B0);
  CHECK(!(m.read32(SystemMachine::kTssBBase + 0x24) & eflags::NT));
  CHECK(m.gdt_type(SystemMachine::kTssA) == kBusy32);
  CHECK(m.gdt_type(SystemMachine::kTssB) == kAvailable32);
  CHECK((m.cpu.s.cr0 & cr0::TS));
}

TEST_CASE("task: JMP to a TSS does not nest and frees the old task") {
  SystemMachine m;
  m.protected_flat32();
  m.setup_task_a();
  m.setup_task_b(kTaskBCode);
  m.place(kTaskBCode, "pushfd\n pop eax\n mov [0x5000], eax\n hlt");
  CHECK(m.run_asm("jmp 0x40:0\n hlt") == StopReason::Halted);
  CHECK(!(m.result(0) & eflags::NT));
  CHECK(m.cpu.s.tr.selector == SystemMachine::kTssB);
  CHECK(m.gdt_type(SystemMachine::kTssA) == kAvailable32);
  CHECK(m.gdt_type(SystemMachine::kTssB) == kBusy32);
  CHECK(m.read32(SystemMachine::kTssABase + 0x20) == SystemMachine::kCodeBase + 7);
}

TEST_CASE("task: JMP to a busy TSS is #GP(selector)") {
  SystemMachine m;
  m.protected_flat32();
  m.setup_task_a();
  m.set_idt_gate(kGP, 0x08, 0x21000, 0xE);
  m.place(0x21000, "pop eax\n mov [0x5040], eax\n hlt");
  CHECK(m.run_asm("jmp 0x38:0\n hlt") == StopReason::Halted);
  CHECK(m.read32(0x5040) == SystemMachine::kTssA);
  CHECK(m.cpu.s.tr.selector == SystemMachine::kTssA);
}

TEST_CASE("task: an exception through a task gate switches tasks and pushes the error code") {
  SystemMachine m;
  m.protected_flat32();
  m.setup_task_a();
  m.setup_task_b(kTaskBCode);
  m.set_task_gate(kGP, SystemMachine::kTssB);
  m.place(kTaskBCode, R"(
    pop eax
    mov [0x5000], eax        ; error code
    mov [0x5004], esp
    pushfd
    pop eax
    mov [0x5008], eax
    hlt
  )");
  CHECK(m.run_asm("nop\n mov ax, 0x1238\n mov es, ax\n hlt") == StopReason::Halted);
  CHECK(m.result(0) == 0x1238);
  CHECK(m.result(1) == 0x68000);
  CHECK((m.result(2) & eflags::NT));
  // Task A was saved at the faulting instruction (EIP points at MOV ES, AX).
  CHECK(m.read32(SystemMachine::kTssABase + 0x20) == SystemMachine::kCodeBase + 5);
  CHECK(m.read16(SystemMachine::kTssBBase) == SystemMachine::kTssA);
}

TEST_CASE("task: a #GP whose #NP on delivery becomes #DF, taken through a task gate as Linux does") {
  SystemMachine m;
  m.protected_flat32();
  m.setup_task_a();
  m.setup_task_b(kTaskBCode);
  // IDT entry 13 is not present: delivering #GP raises #NP, contributory after contributory = #DF.
  m.set_task_gate(kDF, SystemMachine::kTssB);
  m.place(kTaskBCode, "pop eax\n mov [0x5000], eax\n mov [0x5004], esp\n hlt");
  m.write32(0x5000, 0xFFFF);
  CHECK(m.run_asm("mov ax, 0x1238\n mov es, ax\n hlt") == StopReason::Halted);
  CHECK(m.result(0) == 0);  // #DF's error code is always 0
  CHECK(m.result(1) == 0x68000);
  CHECK(m.cpu.counters.exceptions[kDF] == 1);
  CHECK(m.cpu.s.tr.selector == SystemMachine::kTssB);
}

TEST_CASE("task: a page fault while delivering a page fault is #DF") {
  SystemMachine m;
  m.protected_flat32();
  m.setup_task_a();
  m.setup_task_b(kTaskBCode);
  m.set_task_gate(kDF, SystemMachine::kTssB);
  m.set_idt_gate(kPF, 0x08, 0x21000, 0xE);
  m.place(kTaskBCode, "mov eax, cr2\n mov [0x5000], eax\n hlt");
  // Identity-map the first 4 MiB except the ring-0 stack page (so pushing the #PF frame faults).
  const u32 pd = 0x100000, pt = 0x101000;
  for (u32 k = 0; k < 1024; ++k) m.write32(pt + 4 * k, (k << 12) | 3);
  m.write32(pt + 4 * 0x7F, 0);  // 0x7F000: the stack page below kStackTop
  m.write32(pd, pt | 3);
  m.cpu.s.cr3 = pd;
  m.write32(SystemMachine::kTssBBase + 0x1C, pd);  // task B's CR3 (loaded because paging is on)
  m.cpu.s.cr0 |= cr0::PG;
  m.cpu.tlb_flush_all();
  m.write32(0x5000, 0);
  CHECK(m.run_asm("mov eax, [0x400000]\n hlt") == StopReason::Halted);
  CHECK(m.cpu.counters.exceptions[kDF] == 1);
  CHECK(m.result(0) == 0x7FFFC);  // the second #PF's address: the first push
}

TEST_CASE("task: a fault with no usable handlers at all is a triple fault") {
  SystemMachine m;
  m.protected_flat32();  // every IDT gate not present
  CHECK(m.run_asm("mov ax, 0x1238\n mov es, ax\n hlt") == StopReason::TripleFault);
  CHECK(m.cpu.triple_fault);
  CHECK(m.cpu.counters.triple_faults == 1);
}

TEST_CASE("task: a not-present data segment in the new TSS faults in the new task's context") {
  SystemMachine m;
  m.protected_flat32();
  m.setup_task_a();
  m.setup_task_b(kTaskBCode);
  m.set_gdt_entry(0x50, TestMachine::descriptor(0, 0xFFFFF, 0xC013));  // data, P = 0
  m.write32(SystemMachine::kTssBBase + 0x54, 0x50);                    // DS of task B
  m.set_idt_gate(kNP, 0x08, 0x21000, 0xE);
  m.place(0x21000, "pop eax\n mov [ss:0x5040], eax\n str ax\n mov [ss:0x5044], eax\n hlt");
  CHECK(m.run_asm("jmp 0x40:0\n hlt") == StopReason::Halted);
  CHECK(m.read32(0x5040) == 0x50);
  CHECK((m.read32(0x5044) & 0xFFFF) == SystemMachine::kTssB);  // the switch had committed
  CHECK(m.cpu.s.sreg(Seg::DS).selector == 0x50);               // the selector is loaded, its descriptor is not
  CHECK(!m.cpu.s.sreg(Seg::DS).usable);
}
