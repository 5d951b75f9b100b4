#include <doctest/doctest.h>

#include "support/test_machine.h"

using namespace emu;
using emu::test::TestMachine;

TEST_CASE("test machine: flat 32-bit protected mode runs to HLT") {
  TestMachine m;
  m.protected_flat32();
  CHECK(m.run_asm("mov eax, 5\n add eax, 3\n mov [0x5000], eax\n hlt") == StopReason::Halted);
  CHECK(m.cpu.s.gpr[EAX] == 8);
  CHECK(m.read32(0x5000) == 8);
  CHECK(m.cpu.s.cpl == 0);
}

TEST_CASE("test machine: real mode runs to HLT") {
  TestMachine m;
  m.real_mode(0, 0x7C00);
  CHECK(m.run_asm("mov ax, 0x1234\n mov bx, ax\n hlt") == StopReason::Halted);
  CHECK((m.cpu.s.gpr[EBX] & 0xFFFF) == 0x1234);
}
