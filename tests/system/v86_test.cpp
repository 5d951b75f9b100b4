// Virtual-8086 mode (SDM Vol. 3A, chapter 20): entry by IRET from ring 0, exit by an interrupt
// or exception to ring 0 (with the V86 segment registers pushed and nulled), IOPL-sensitive
// instructions, IRET inside V86 mode, and the TSS I/O permission bitmap.
#include <doctest/doctest.h>

#include "system/system_machine.h"

using namespace emu;
using emu::test::SystemMachine;

namespace {

constexpr u32 kV86Code = 0x20000;  // CS = 0x2000
constexpr u32 kHandler = 0x21000;

// Enters V86 mode at 2000:0000 with SS:SP = 3000:0100, DS = ES = FS = GS = 0x2000.
std::string enter_v86(u32 iopl) {
  return "push dword 0x2000\n push dword 0x2000\n push dword 0x2000\n push dword 0x2000\n"
         "push dword 0x3000\n push dword 0x100\n push dword " +
         std::to_string(0x20002 | (iopl << 12)) + "\n push dword 0x2000\n push dword 0\n iretd\n";
}

// A ring-0 handler that records the frame pushed on leaving V86 mode: error code, EIP, CS,
// EFLAGS, ESP, SS, ES, DS, FS, GS, and the data segment registers inside the handler.
void install_frame_recorder(SystemMachine& m, u8 vector, bool has_error) {
  m.set_idt_gate(vector, 0x08, kHandler, 0xE, 3);
  std::string code = has_error ? "pop eax\n mov [ss:0x5000], eax\n" : "mov dword [ss:0x5000], 0xEEEE\n";
  for (int k = 0; k < 9; ++k)
    code += "mov eax, [esp + " + std::to_string(4 * k) + "]\n mov [ss:" + std::to_string(0x5004 + 4 * k) + "], eax\n";
  code += "mov eax, ds\n mov [ss:0x5030], eax\n mov eax, esp\n mov [ss:0x5034], eax\n hlt";
  m.place(kHandler, code);
}

}  // namespace

TEST_CASE("v86: IRET enters V86 mode; CLI with IOPL 0 leaves through #GP with the V86 frame") {
  SystemMachine m;
  m.protected_flat32();
  m.setup_task_a();
  install_frame_recorder(m, kGP, true);
  m.place(kV86Code, "mov ax, 0x1234\n mov [0x10], ax\n mov ax, ds\n mov [0x12], ax\n cli\n hlt", 16);
  CHECK(m.run_asm(enter_v86(0)) == StopReason::Halted);
  CHECK(m.read16(0x20010) == 0x1234);  // DS base = 0x2000 << 4
  CHECK(m.read16(0x20012) == 0x2000);
  CHECK(m.result(0) == 0);                                     // #GP(0)
  CHECK(m.result(1) == 11);                                    // EIP of CLI
  CHECK(m.result(2) == 0x2000);                                // CS
  CHECK((m.result(3) & eflags::VM));                           // EFLAGS image has VM
  CHECK(m.result(4) == 0x100);                                 // ESP
  CHECK(m.result(5) == 0x3000);                                // SS
  for (int k = 6; k <= 9; ++k) CHECK(m.result(k) == 0x2000);   // ES DS FS GS
  CHECK(m.result(12) == 0);                                    // DS was nulled
  CHECK(m.result(13) == SystemMachine::kRing0Stack - 40 + 4);  // ten dwords pushed, one popped
  CHECK(!m.cpu.s.v86());
  CHECK(m.cpu.s.cpl == 0);
}

TEST_CASE("v86: INT n with IOPL < 3 is #GP(0); INT3 is not IOPL-sensitive") {
  SystemMachine m;
  m.protected_flat32();
  m.setup_task_a();
  install_frame_recorder(m, kGP, true);
  m.place(kV86Code, "int 0x21\n hlt", 16);
  CHECK(m.run_asm(enter_v86(0)) == StopReason::Halted);
  CHECK(m.result(0) == 0);
  CHECK(m.result(1) == 0);  // INT 21h itself

  SystemMachine m2;
  m2.protected_flat32();
  m2.setup_task_a();
  install_frame_recorder(m2, kBP, false);
  m2.place(kV86Code, "int3\n hlt", 16);
  CHECK(m2.run_asm(enter_v86(0)) == StopReason::Halted);
  CHECK(m2.result(0) == 0xEEEE);
  CHECK(m2.result(1) == 1);  // a trap: EIP after INT3
  CHECK((m2.result(3) & eflags::VM));
}

TEST_CASE("v86: with IOPL 3, INT n reaches a DPL-3 gate and IRET returns into V86 mode") {
  SystemMachine m;
  m.protected_flat32();
  m.setup_task_a();
  m.set_idt_gate(0x21, 0x08, kHandler, 0xE, 3);
  m.place(kHandler, "mov eax, [esp + 8]\n mov [ss:0x5000], eax\n add dword [esp], 0\n iretd");
  install_frame_recorder(m, kGP, true);  // HLT in V86 mode ends the test with #GP
  m.set_idt_gate(0x21, 0x08, 0x21800, 0xE, 3);
  m.place(0x21800, "mov eax, [esp + 8]\n mov [ss:0x5040], eax\n iretd");
  m.place(kV86Code, R"(
    int 0x21
    mov bx, 0x77
    pushf
    pop ax
    mov [0x20], ax
    push word 0x3202
    push cs
    push word after
    iret                  ; IRET inside V86 mode with IOPL 3
  after:
    mov [0x22], bx
    hlt
  )",
          16);
  CHECK(m.run_asm(enter_v86(3)) == StopReason::Halted);
  CHECK((m.read32(0x5040) & eflags::VM));
  CHECK(m.read16(0x20022) == 0x77);
  CHECK(((m.read16(0x20020) >> 12) & 3) == 3);
  CHECK(m.result(0) == 0);  // HLT: #GP(0)
  CHECK((m.result(3) & eflags::VM));
  CHECK(((m.result(3) >> 12) & 3) == 3);  // IOPL unchanged by the V86 IRET
}

TEST_CASE("v86: IN/OUT consult the I/O permission bitmap even with IOPL 3") {
  SystemMachine m;
  m.protected_flat32();
  m.setup_task_a();
  // I/O bitmap at TSS offset 0x68 covering ports 0-255; port 0x80 denied.
  std::memset(m.bus.ram() + SystemMachine::kTssABase + 0x68, 0, 33);
  m.write16(SystemMachine::kTssABase + 0x66, 0x68);
  m.bus.ram()[SystemMachine::kTssABase + 0x68 + 0x10] = 0x01;
  m.bus.ram()[SystemMachine::kTssABase + 0x68 + 32] = 0xFF;
  m.set_tss_descriptor(SystemMachine::kTssA, SystemMachine::kTssABase, 0x68 + 32);
  m.cpu.s.tr.limit = 0x68 + 32;
  m.cpu.s.tr.refresh_bounds();
  install_frame_recorder(m, kGP, true);
  m.place(kV86Code, "in al, 0x81\n mov byte [0x30], 1\n in al, 0x80\n hlt", 16);
  CHECK(m.run_asm(enter_v86(3)) == StopReason::Halted);
  CHECK(m.read8(0x20030) == 1);
  CHECK(m.result(0) == 0);
  CHECK(m.result(1) == 7);  // EIP of IN AL, 80h
}

TEST_CASE("v86: an interrupt gate to a ring-3 handler from V86 mode is #GP(selector)") {
  SystemMachine m;
  m.protected_flat32();
  m.setup_task_a();
  m.set_idt_gate(0x21, 0x1B, kHandler, 0xE, 3);
  m.set_idt_gate(kGP, 0x08, 0x21800, 0xE);
  m.place(0x21800, "pop eax\n mov [ss:0x5000], eax\n hlt");
  m.place(kV86Code, "int 0x21\n hlt", 16);
  CHECK(m.run_asm(enter_v86(3)) == StopReason::Halted);
  CHECK(m.result(0) == 0x18);
}
