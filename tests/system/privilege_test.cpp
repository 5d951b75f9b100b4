// Mode switches, ring transitions through interrupt gates, call gates and far returns, and the
// error codes of protection faults (SDM Vol. 3A, chapters 5 and 6).
#include <doctest/doctest.h>

#include "system/system_machine.h"

using namespace emu;
using emu::test::enter_ring3;
using emu::test::SystemMachine;
using emu::test::TestMachine;

TEST_CASE("system: real mode -> protected mode -> real mode") {
  SystemMachine m;
  m.protected_flat32();  // writes the GDT
  m.real_mode(0, 0x7C00);
  CHECK(m.run_asm(R"(
    lgdt [gdtr]
    mov eax, cr0
    or al, 1
    mov cr0, eax
    jmp 0x08:pm32
  bits 32
  pm32:
    mov ax, 0x10
    mov ds, ax
    mov ss, ax
    mov esp, 0x9000
    mov dword [0x5000], 0x11223344
    mov eax, cs
    mov [0x5004], eax
    jmp 0x28:pm16
  bits 16
  pm16:
    mov ax, 0x30
    mov ds, ax
    mov eax, cr0
    and al, 0xFE
    mov cr0, eax
    jmp 0x0000:real
  real:
    xor ax, ax
    mov ds, ax
    mov word [0x5008], cs
    mov word [0x500A], 0x5678
    hlt
  gdtr:
    dw 0xFF
    dd 0x1000
  )") == StopReason::Halted);
  CHECK(m.result(0) == 0x11223344);
  CHECK(m.result(1) == 0x08);
  CHECK(m.read16(0x5008) == 0);
  CHECK(m.read16(0x500A) == 0x5678);
  CHECK(!(m.cpu.s.cr0 & cr0::PE));
  CHECK(m.cpu.s.cpl == 0);
  CHECK(m.cpu.s.gdtr.base == 0x1000);
  CHECK(m.cpu.s.gdtr.limit == 0xFF);
}

TEST_CASE("system: LGDT with a 16-bit operand loads a 24-bit base; SGDT stores it") {
  SystemMachine m;
  m.protected_flat32();
  CHECK(m.run_asm(R"(
    sgdt [0x5000]
    o16 lgdt [table]
    sgdt [0x5010]
    lgdt [0x5000]
    hlt
  table:
    dw 0x1234
    dd 0xAB123456
  )") == StopReason::Halted);
  CHECK(m.read16(0x5000) == 32 * 8 - 1);
  CHECK(m.read32(0x5002) == SystemMachine::kGdtBase);
  CHECK(m.read16(0x5010) == 0x1234);
  CHECK(m.read32(0x5012) == 0x00123456);
  CHECK(m.cpu.s.gdtr.base == SystemMachine::kGdtBase);
}

TEST_CASE("system: ring 3 via IRET, back to ring 0 via INT through an interrupt gate, and back") {
  SystemMachine m;
  m.protected_flat32();
  m.setup_task_a();
  m.set_idt_gate(0x80, 0x08, 0x20000, 0xE, 3);  // system call gate, callable from ring 3
  m.set_idt_gate(0x81, 0x08, 0x20100, 0xE, 3);  // "exit"
  m.place(0x20000, R"(
    mov [0x5008], esp
    mov eax, [esp + 4]
    mov [0x500C], eax      ; pushed CS
    mov eax, [esp + 16]
    mov [0x5010], eax      ; pushed SS
    mov eax, cs
    mov [0x5014], eax
    pushfd
    pop eax
    mov [0x5018], eax      ; IF cleared by the interrupt gate
    iretd
  )");
  m.place(0x20100, "mov eax, cs\n mov [0x5024], eax\n hlt");
  CHECK(m.run_asm(enter_ring3("user") + R"(
  user:
    mov ebx, ds            ; DS (DPL 0) was nulled by the return to ring 3
    mov ax, 0x23
    mov ds, ax
    mov eax, cs
    mov [0x5000], eax
    mov [0x5004], ebx
    int 0x80
    mov eax, cs
    mov [0x501C], eax
    mov [0x5020], esp
    int 0x81
  )") == StopReason::Halted);
  CHECK(m.result(0) == 0x1B);
  CHECK(m.result(1) == 0);
  CHECK(m.result(2) == SystemMachine::kRing0Stack - 20);
  CHECK(m.result(3) == 0x1B);
  CHECK(m.result(4) == 0x23);
  CHECK(m.result(5) == 0x08);
  CHECK(!(m.result(6) & eflags::IF));
  CHECK(m.result(7) == 0x1B);
  CHECK(m.result(8) == SystemMachine::kUserStack);
  CHECK(m.result(9) == 0x08);
  CHECK(m.cpu.s.cpl == 0);
}

// A #GP handler that records the error code and the faulting EIP, then halts.
static void install_gp_recorder(SystemMachine& m) {
  m.set_idt_gate(kGP, 0x08, 0x21000, 0xE);
  // SS overrides: after a return to ring 3 DS may be null, and interrupts do not reload it.
  m.place(0x21000, "pop eax\n mov [ss:0x5040], eax\n pop eax\n mov [ss:0x5044], eax\n hlt");
}

TEST_CASE("system: protection faults carry the SDM's error codes") {
  struct Case {
    const char* name;
    const char* code;  // runs at ring 3
    u32 error;
    u32 fault_offset;  // of the faulting instruction in `code`
  };
  const Case cases[] = {
      {"INT n through a DPL-0 gate", "int 0x40", 0x40 * 8 + 2, 0},
      {"load of a DPL-0 data segment", "mov ax, 0x10\n mov es, ax", 0x10, 4},
      {"selector beyond the GDT limit", "mov ax, 0x1238\n mov es, ax", 0x1238, 4},
      {"CLI with IOPL 0", "cli", 0, 0},
      {"privileged instruction", "mov eax, cr0", 0, 0},
      {"far jump to a ring-0 code segment", "jmp 0x08:0", 0x08, 0},
      {"far call to a data segment", "call 0x23:0", 0x20, 0},
  };
  for (const Case& c : cases) {
    CAPTURE(c.name);
    SystemMachine m;
    m.protected_flat32();
    m.setup_task_a();
    install_gp_recorder(m);
    m.set_idt_gate(0x40, 0x08, 0x21000, 0xE, 0);
    CHECK(m.run_asm(enter_ring3("user") + "user:\n" + c.code + "\n hlt") == StopReason::Halted);
    CHECK(m.read32(0x5040) == c.error);
    // enter_ring3() is 17 bytes long; EIP points at the faulting instruction.
    CHECK(m.read32(0x5044) == SystemMachine::kCodeBase + 17 + c.fault_offset);
  }
}

// check_segment's fast path for flat writable data segments (SegmentCache::flat) must fault
// exactly where the full check does.
TEST_CASE("system: flat data segments: a wrap past 4 GiB, a read-only segment, a nulled DS") {
  struct Case {
    const char* name;
    const char* code;
    u32 fault_offset;  // of the faulting instruction in `code`
  };
  const Case cases[] = {
      {"dword read wrapping past 4 GiB", "mov eax, [0xFFFFFFFE]", 0},
      {"word write wrapping past 4 GiB", "mov word [0xFFFFFFFF], ax", 0},
      {"write through a flat read-only data segment", "mov ax, 0x50\n mov es, ax\n mov [es:0x100], eax", 6},
      {"read through DS after it was loaded with null", "xor eax, eax\n mov ds, ax\n mov eax, [0x100]", 4},
      // Cpu::read leaves the limit to the TLB's tag when the base is page-aligned (a wrap then
      // crosses a page) and checks it first otherwise; page 0 is in the TLB before the wrap.
      {"wrap past 4 GiB through a flat segment based at 0x1000",
       "mov ax, 0x58\n mov es, ax\n mov eax, [es:0xFFFFF000]\n mov eax, [es:0xFFFFFFFE]", 12},
      {"wrap past 4 GiB through a flat segment based at 0x800",
       "mov ax, 0x60\n mov es, ax\n mov eax, [es:0xFFFFF800]\n mov [es:0xFFFFFFFD], eax", 12},
  };
  for (const Case& c : cases) {
    CAPTURE(c.name);
    SystemMachine m;
    m.protected_flat32();
    CHECK(m.cpu.s.sreg(Seg::DS).flat);
    m.set_gdt_entry(0x50, TestMachine::descriptor(0, 0xFFFFF, 0xC091));       // data, read-only, 4 GiB
    m.set_gdt_entry(0x58, TestMachine::descriptor(0x1000, 0xFFFFF, 0xC093));  // data, writable, 4 GiB
    m.set_gdt_entry(0x60, TestMachine::descriptor(0x800, 0xFFFFF, 0xC093));
    install_gp_recorder(m);
    CHECK(m.run_asm(std::string(c.code) + "\n hlt") == StopReason::Halted);
    CHECK(m.read32(0x5040) == 0);
    CHECK(m.read32(0x5044) == SystemMachine::kCodeBase + c.fault_offset);
  }
  // The last byte below 4 GiB is an ordinary access.
  SystemMachine m;
  m.protected_flat32();
  install_gp_recorder(m);
  m.write32(0x5040, 0xDEAD);
  CHECK(m.run_asm("mov al, [0xFFFFFFFF]\n mov dword [0x5048], 1\n hlt") == StopReason::Halted);
  CHECK(m.read32(0x5048) == 1);
  CHECK(m.read32(0x5040) == 0xDEAD);
  CHECK_FALSE(m.cpu.s.sreg(Seg::CS).flat);  // code: not writable
}

TEST_CASE("system: a not-present segment raises #NP(selector)") {
  SystemMachine m;
  m.protected_flat32();
  m.set_gdt_entry(0x50, TestMachine::descriptor(0, 0xFFFFF, 0xC013));  // data, P = 0
  m.set_idt_gate(kNP, 0x08, 0x21000, 0xE);
  m.place(0x21000, "pop eax\n mov [0x5040], eax\n hlt");
  CHECK(m.run_asm("mov ax, 0x50\n mov fs, ax\n hlt") == StopReason::Halted);
  CHECK(m.read32(0x5040) == 0x50);
}

TEST_CASE("system: CALL through a call gate to ring 0 copies parameters; RETF imm16 returns to ring 3") {
  SystemMachine m;
  m.protected_flat32();
  m.setup_task_a();
  m.set_call_gate(SystemMachine::kCallGate, 0x08, 0x20000, 3, 2);
  m.set_idt_gate(0x81, 0x08, 0x20100, 0xE, 3);
  m.place(0x20000, R"(
    mov eax, cs
    mov [0x5000], eax
    mov [0x5004], esp
    mov eax, [esp]
    mov [0x5008], eax      ; return EIP
    mov eax, [esp + 4]
    mov [0x500C], eax      ; return CS
    mov eax, [esp + 8]
    mov [0x5010], eax      ; parameter pushed last
    mov eax, [esp + 12]
    mov [0x5014], eax      ; parameter pushed first
    mov eax, [esp + 16]
    mov [0x5018], eax      ; caller's ESP
    mov eax, [esp + 20]
    mov [0x501C], eax      ; caller's SS
    mov ax, 0x10
    mov es, ax             ; nulled on the way out: DPL 0 < CPL 3
    retf 8
  )");
  m.place(0x20100, "hlt");
  CHECK(m.run_asm(enter_ring3("user") + R"(
  user:
    mov ax, 0x23
    mov ds, ax
    mov es, ax
    push dword 0x11111111
    push dword 0x22222222
    call 0x4B:0
  back:
    mov [0x5020], esp
    mov eax, cs
    mov [0x5024], eax
    mov eax, es
    mov [0x5028], eax
    mov [0x502C], dword back
    int 0x81
  )") == StopReason::Halted);
  CHECK(m.result(0) == 0x08);
  CHECK(m.result(1) == SystemMachine::kRing0Stack - 24);
  CHECK(m.result(2) == m.result(11));
  CHECK(m.result(3) == 0x1B);
  CHECK(m.result(4) == 0x22222222);
  CHECK(m.result(5) == 0x11111111);
  CHECK(m.result(6) == SystemMachine::kUserStack - 8);
  CHECK(m.result(7) == 0x23);
  CHECK(m.result(8) == SystemMachine::kUserStack);  // RETF 8 released the parameters
  CHECK(m.result(9) == 0x1B);
  CHECK(m.result(10) == 0);
}

TEST_CASE("system: CALL far and RETF at the same privilege level; LDS") {
  SystemMachine m;
  m.protected_flat32();
  m.place(0x20000, "mov eax, [esp]\n mov [0x5000], eax\n mov eax, [esp+4]\n mov [0x5004], eax\n retf");
  CHECK(m.run_asm(R"(
    call 0x08:0x20000
  after:
    mov [0x5008], esp
    mov dword [0x5100], 0x1234
    mov word [0x5104], 0x23
    lds ebx, [0x5100]
    mov eax, ds
    mov [0x500C], eax
    hlt
  )") == StopReason::Halted);
  CHECK(m.result(1) == 0x08);
  CHECK(m.result(2) == SystemMachine::kStackTop);
  CHECK(m.cpu.s.gpr[EBX] == 0x1234);
  CHECK(m.result(3) == 0x23);  // ring-3 data may be loaded into DS at ring 0
}

TEST_CASE("system: LSS with a DPL-3 stack segment at CPL 0 is #GP(selector) and changes nothing") {
  SystemMachine m;
  m.protected_flat32();
  install_gp_recorder(m);
  CHECK(m.run_asm(R"(
    mov dword [0x5100], 0x1234
    mov word [0x5104], 0x23
    mov esp, 0x7000
    lss esp, [0x5100]
    hlt
  )") == StopReason::Halted);
  CHECK(m.read32(0x5040) == 0x20);
  CHECK(m.cpu.s.sreg(Seg::SS).selector == 0x10);
}

TEST_CASE("system: conforming code keeps the CPL") {
  SystemMachine m;
  m.protected_flat32();
  m.setup_task_a();
  m.set_gdt_entry(0x50, TestMachine::descriptor(0, 0xFFFFF, 0xC09F));  // conforming code, DPL 0
  m.set_idt_gate(0x81, 0x08, 0x20100, 0xE, 3);
  m.place(0x20000, "mov eax, cs\n mov [0x5000], eax\n retf");
  m.place(0x20100, "hlt");
  CHECK(
      m.run_asm(enter_ring3("user") +
                "user:\n mov ax, 0x23\n mov ds, ax\n call 0x53:0x20000\n mov eax, cs\n mov [0x5004], eax\n int 0x81") ==
      StopReason::Halted);
  CHECK(m.read32(0x5000) == 0x53);  // RPL = CPL = 3
  CHECK(m.read32(0x5004) == 0x1B);
}

TEST_CASE("system: LAR, LSL, VERR, VERW, ARPL") {
  SystemMachine m;
  m.protected_flat32();
  CHECK(m.run_asm(R"(
    mov ax, 0x08
    lar ebx, ax
    setz [0x5000]
    lsl ecx, ax
    mov ax, 0x28
    lsl edx, ax
    mov ax, 0x1238
    lar esi, ax
    setz [0x5001]
    mov ax, 0x08
    verr ax
    setz [0x5002]
    verw ax
    setz [0x5003]
    mov ax, 0x10
    verw ax
    setz [0x5004]
    mov ax, 0x18
    mov di, 0x23
    arpl ax, di
    setz [0x5005]
    hlt
  )") == StopReason::Halted);
  CHECK(m.cpu.s.gpr[EBX] == 0x00C09B00);  // masked 00F0FF00H: no limit bits
  CHECK(m.read8(0x5000) == 1);
  CHECK(m.cpu.s.gpr[ECX] == 0xFFFFFFFF);
  CHECK(m.cpu.s.gpr[EDX] == 0xFFFF);
  CHECK(m.read8(0x5001) == 0);
  CHECK(m.read8(0x5002) == 1);
  CHECK(m.read8(0x5003) == 0);
  CHECK(m.read8(0x5004) == 1);
  CHECK(m.read8(0x5005) == 1);
  CHECK((m.cpu.s.gpr[EAX] & 0xFFFF) == 0x1B);
}

TEST_CASE("system: SYSENTER and SYSEXIT") {
  SystemMachine m;
  m.protected_flat32();
  m.setup_task_a();  // INT3 at the end goes back to ring 0
  m.place(0x20000,
          "mov eax, cs\n mov [0x5000], eax\n mov [0x5004], esp\n mov ecx, 0x61000\n mov edx, ret3\n sysexit\n ret3:\n "
          "mov eax, cs\n mov [0x5008], eax\n mov eax, ss\n mov [0x500C], eax\n mov [0x5010], esp\n int3");
  m.set_idt_gate(kBP, 0x08, 0x20200, 0xE, 3);
  m.place(0x20200, "hlt");
  CHECK(m.run_asm(R"(
    mov ecx, 0x174
    xor edx, edx
    mov eax, 0x08
    wrmsr
    inc ecx
    mov eax, 0x6F000
    wrmsr
    inc ecx
    mov eax, 0x20000
    wrmsr
    sysenter
  )") == StopReason::Halted);
  CHECK(m.result(0) == 0x08);
  CHECK(m.result(1) == 0x6F000);
  CHECK(m.result(2) == 0x1B);
  CHECK(m.result(3) == 0x23);
  CHECK(m.result(4) == 0x61000);
}

TEST_CASE("system: SYSENTER with SYSENTER_CS = 0 is #GP(0)") {
  SystemMachine m;
  m.protected_flat32();
  install_gp_recorder(m);
  m.write32(0x5040, 0xFFFF);
  CHECK(m.run_asm("sysenter\n hlt") == StopReason::Halted);
  CHECK(m.read32(0x5040) == 0);
  CHECK(m.read32(0x5044) == SystemMachine::kCodeBase);
}

TEST_CASE("system: CPUID reports a P6 with only implemented features") {
  SystemMachine m;
  m.protected_flat32();
  CHECK(m.run_asm(R"(
    xor eax, eax
    cpuid
    mov [0x5000], ebx
    mov [0x5004], edx
    mov [0x5008], ecx
    mov [0x500C], eax
    mov eax, 1
    cpuid
    mov [0x5010], eax
    mov [0x5014], edx
    mov eax, 0x80000000
    cpuid
    mov [0x5018], eax
    hlt
  )") == StopReason::Halted);
  CHECK(std::string(reinterpret_cast<const char*>(m.bus.ram() + 0x5000), 12) == "GenuineIntel");
  CHECK(m.result(3) == 2);
  CHECK(((m.result(4) >> 8) & 0xF) == 6);
  const u32 features = m.result(5);
  CHECK((features & 1));                              // FPU
  CHECK((features & (1u << 8)));                      // CX8
  CHECK((features & (1u << 15)));                     // CMOV
  CHECK(!(features & (1u << 6)));                     // no PAE
  CHECK(!(features & (1u << 9)));                     // no APIC
  CHECK(!(features & (1u << 23)));                    // no MMX
  CHECK(!(features & (1u << 24)));                    // no FXSR
  CHECK((m.result(6) & 0xFFFF0000u) != 0x80000000u);  // no extended leaves
}

TEST_CASE("system: RDMSR/WRMSR, unknown MSRs #GP(0), RDTSC counts instructions") {
  SystemMachine m;
  m.protected_flat32();
  install_gp_recorder(m);
  m.write32(0x5040, 0xFFFF);
  CHECK(m.run_asm(R"(
    mov ecx, 0x277
    rdmsr
    mov [0x5000], eax
    mov [0x5004], edx
    rdtsc
    mov [0x5008], eax
    mov ecx, 0x12345
    rdmsr
  )") == StopReason::Halted);
  CHECK(m.result(0) == 0x00070406);
  CHECK(m.result(1) == 0x00070406);
  CHECK(m.read32(0x5040) == 0);
  CHECK(m.result(2) == m.cpu.s.tsc + 4);  // the four instructions before RDTSC have retired
}

TEST_CASE("system: MOV CR4 with an unsupported bit is #GP(0); DR4 aliases DR6 unless CR4.DE") {
  SystemMachine m;
  m.protected_flat32();
  install_gp_recorder(m);
  m.set_idt_gate(kUD, 0x08, 0x21100, 0xE);
  m.place(0x21100, "mov dword [0x5050], 1\n hlt");
  CHECK(m.run_asm(R"(
    mov eax, dr4
    mov [0x5000], eax
    mov eax, 8       ; CR4.DE
    mov cr4, eax
    mov eax, cr4
    mov [0x5004], eax
    mov eax, dr4
  )") == StopReason::Halted);
  CHECK(m.result(0) == 0xFFFF0FF0);
  CHECK(m.result(1) == 8);
  CHECK(m.read32(0x5050) == 1);
  m.write32(0x5040, 0xFFFF);
  m.cpu.s.cr4 = 0;
  m.cpu.s.halted = false;
  m.interp.flush();  // run_asm writes RAM directly, past the code-write tracking
  CHECK(m.run_asm("mov eax, 1 << 5\n mov cr4, eax\n hlt") == StopReason::Halted);  // PAE: not implemented
  CHECK(m.read32(0x5040) == 0);
  CHECK(m.cpu.s.cr4 == 0);
}

TEST_CASE("system: a trap gate leaves IF set; an interrupt gate clears it") {
  SystemMachine m;
  m.protected_flat32();
  m.set_idt_gate(0x30, 0x08, 0x20000, 0xF);  // trap gate
  m.set_idt_gate(0x31, 0x08, 0x20100, 0xE);  // interrupt gate
  m.place(0x20000, "pushfd\n pop eax\n mov [0x5000], eax\n iretd");
  m.place(0x20100, "pushfd\n pop eax\n mov [0x5004], eax\n iretd");
  CHECK(m.run_asm("sti\n int 0x30\n int 0x31\n pushfd\n pop eax\n mov [0x5008], eax\n cli\n hlt") ==
        StopReason::Halted);
  CHECK((m.result(0) & eflags::IF));
  CHECK(!(m.result(1) & eflags::IF));
  CHECK((m.result(2) & eflags::IF));  // IRET restored it
}

TEST_CASE("system: a 16-bit interrupt gate pushes a 16-bit frame") {
  SystemMachine m;
  m.protected_flat32();
  m.set_idt_gate(0x30, 0x08, 0x8000, 0x6);  // 16-bit interrupt gate: a 16-bit offset
  m.place(0x8000,
          "mov [0x5000], esp\n movzx eax, word [esp + 2]\n mov [0x5004], eax\n"
          " movzx eax, word [esp]\n mov [0x5008], eax\n hlt");
  CHECK(m.run_asm("int 0x30") == StopReason::Halted);
  CHECK(m.result(0) == SystemMachine::kStackTop - 6);
  CHECK(m.result(1) == 0x08);
  CHECK(m.result(2) == ((SystemMachine::kCodeBase + 2) & 0xFFFF));  // IP: only the low half fits
}

TEST_CASE("system: real mode INT, IRET, far CALL and RETF") {
  SystemMachine m;
  m.real_mode(0, 0x7C00);
  m.write16(0x21 * 4, 0x0100);  // IVT entry 21h = 0800:0100
  m.write16(0x21 * 4 + 2, 0x0800);
  m.place(0x8100, "mov bx, sp\n mov cx, [ss:bx + 2]\n pushf\n pop dx\n iret", 16);
  m.place(0x9000, "mov si, cs\n retf", 16);
  CHECK(m.run_asm("sti\n int 0x21\n call 0x0900:0\n pushf\n pop di\n hlt") == StopReason::Halted);
  CHECK((m.cpu.s.gpr[ECX] & 0xFFFF) == 0);  // pushed CS
  CHECK(!(m.cpu.s.gpr[EDX] & eflags::IF));  // IF cleared by the interrupt
  CHECK((m.cpu.s.gpr[ESI] & 0xFFFF) == 0x0900);
  CHECK((m.cpu.s.gpr[EDI] & eflags::IF));  // restored by IRET
  CHECK((m.cpu.s.gpr[ESP] & 0xFFFF) == 0xF000);
}

TEST_CASE("system: BOUND raises #BR at the instruction; INTO traps only with OF") {
  SystemMachine m;
  m.protected_flat32();
  m.set_idt_gate(kBR, 0x08, 0x20000, 0xE);
  m.set_idt_gate(kOF, 0x08, 0x20100, 0xE);
  m.place(0x20000, "mov eax, [esp]\n mov [0x5000], eax\n hlt");
  m.place(0x20100, "mov eax, [esp]\n mov [0x5004], eax\n add dword [esp], 0\n iretd");
  CHECK(m.run_asm(R"(
    mov dword [0x6000], -5
    mov dword [0x6004], 10
    xor eax, eax
    into                    ; OF = 0: nothing
    mov eax, 0x7FFFFFFF
    add eax, 1
    into                    ; OF = 1: #OF, EIP after INTO
    mov ecx, 10
    bound ecx, [0x6000]
    mov ecx, -6
    bound ecx, [0x6000]
    hlt
  )") == StopReason::Halted);
  CHECK(m.result(1) == SystemMachine::kCodeBase + 32);  // after INTO
  CHECK(m.result(0) == SystemMachine::kCodeBase + 48);  // the second BOUND
}

TEST_CASE("system: P6 performance counters count retired instructions once enabled; RDPMC reads them") {
  SystemMachine m;
  m.protected_flat32();
  // PerfEvtSel0 = INST_RETIRED (C0h), USR|OS, EN; PerfCtr0 written with -1 sign-extends to 40 bits.
  CHECK(m.run_asm(R"(
    mov ecx, 0xC1
    mov eax, 0xFFFFFFFF
    xor edx, edx
    wrmsr
    rdmsr
    mov [0x5000], eax
    mov [0x5004], edx
    xor eax, eax
    xor edx, edx
    wrmsr
    mov ecx, 0x186
    mov eax, 0x4300C0
    wrmsr
    nop
    nop
    nop
    xor ecx, ecx
    rdpmc
    mov [0x5008], eax
    mov ecx, 0x186
    xor eax, eax
    wrmsr
    nop
    xor ecx, ecx
    rdpmc
    mov [0x500C], eax
    hlt
  )") == StopReason::Halted);
  CHECK(m.result(0) == 0xFFFFFFFF);
  CHECK(m.result(1) == 0xFF);  // bits 39:32
  // The enabling WRMSR itself retires with counting on, then three NOPs and XOR; RDPMC reads
  // before it retires.
  CHECK(m.result(2) == 5);
  CHECK(m.result(3) == 9);  // + RDPMC, MOV, MOV, XOR up to the disabling WRMSR; then frozen
}

TEST_CASE("system: machine-check MSRs: MCG_CAP reports five banks, status registers take only zeros") {
  SystemMachine m;
  m.protected_flat32();
  install_gp_recorder(m);
  m.write32(0x5040, 0xFFFF);
  CHECK(m.run_asm(R"(
    mov ecx, 0x179
    rdmsr
    mov [0x5000], eax
    mov ecx, 0x400
    mov eax, 0xFFFFFFFF
    mov edx, eax
    wrmsr
    rdmsr
    mov [0x5004], eax
    mov ecx, 0x401
    xor eax, eax
    xor edx, edx
    wrmsr
    mov eax, 1
    wrmsr
  )") == StopReason::Halted);
  CHECK(m.result(0) == 0x105);
  CHECK(m.result(1) == 0xFFFFFFFF);
  CHECK(m.read32(0x5040) == 0);  // the non-zero MCi_STATUS write raised #GP(0)
}
