// Decimal adjustments (SDM Vol. 2A: DAA, DAS, AAA, AAS, AAM, AAD).
#include <doctest/doctest.h>

#include "integer/integer_test_support.h"

using namespace emu;
using namespace emu::test;
using namespace emu::eflags;

TEST_CASE("bcd: DAA and DAS (the SDM's examples)") {
  TestMachine m;
  m.protected_flat32();
  SUBCASE("79 + 35 = 114: DAA gives AL = 14, CF = 1") {
    m.run_asm("mov al, 0x79\n add al, 0x35\n daa\n hlt");
    CHECK((reg(m, EAX) & 0xFF) == 0x14);
    CHECK((arith_flags(m) & (CF | AF)) == (CF | AF));
  }
  SUBCASE("35 - 47 = -12: DAS gives AL = 88, CF = 1") {
    m.run_asm("mov al, 0x35\n sub al, 0x47\n das\n hlt");
    CHECK((reg(m, EAX) & 0xFF) == 0x88);
    CHECK((arith_flags(m) & (CF | AF | SF)) == (CF | AF | SF));
  }
  SUBCASE("DAA without adjustment clears CF and AF") {
    m.run_asm("mov al, 0x12\n add al, 0x34\n daa\n hlt");
    CHECK((reg(m, EAX) & 0xFF) == 0x46);
    CHECK((arith_flags(m) & (CF | AF | ZF)) == 0);
  }
  SUBCASE("DAS: a borrow from the low digit sets CF") {
    m.run_asm("mov al, 0x00\n push dword 0x12\n popfd\n das\n hlt");  // AF = 1
    CHECK((reg(m, EAX) & 0xFF) == 0xFA);
    CHECK((arith_flags(m) & (CF | AF)) == (CF | AF));
  }
}

TEST_CASE("bcd: AAA and AAS adjust AX") {
  TestMachine m;
  m.protected_flat32();
  SUBCASE("8 + 9 = 17: AAA gives AX = 0107") {
    m.run_asm("mov ax, 0x0008\n add al, 9\n aaa\n hlt");
    CHECK((reg(m, EAX) & 0xFFFF) == 0x0107);
    CHECK((arith_flags(m) & (CF | AF)) == (CF | AF));
  }
  SUBCASE("AAA carries out of AL into AH (AX + 106H, P6 and later)") {
    m.run_asm("mov ax, 0x00FB\n clc\n aaa\n hlt");  // low digit B > 9
    CHECK((reg(m, EAX) & 0xFFFF) == 0x0201);
  }
  SUBCASE("AAA without adjustment clears CF and AF and the high nibble") {
    m.run_asm("mov ax, 0x0535\n add al, 0\n aaa\n hlt");
    CHECK((reg(m, EAX) & 0xFFFF) == 0x0505);
    CHECK((arith_flags(m) & (CF | AF)) == 0);
  }
  SUBCASE("3 - 5: AAS gives AH - 1, AL = 8") {
    m.run_asm("mov ax, 0x0103\n sub al, 5\n aas\n hlt");
    CHECK((reg(m, EAX) & 0xFFFF) == 0x0008);
    CHECK((arith_flags(m) & (CF | AF)) == (CF | AF));
  }
}

TEST_CASE("bcd: AAM and AAD") {
  TestMachine m;
  m.protected_flat32();
  catch_exceptions(m);
  SUBCASE("AAM splits AL into decimal digits") {
    m.run_asm("mov ax, 0xFF3F\n aam\n hlt");  // 63
    CHECK((reg(m, EAX) & 0xFFFF) == 0x0603);
    CHECK((arith_flags(m) & (ZF | SF)) == 0);
  }
  SUBCASE("AAM with another base") {
    m.run_asm("mov al, 0x3F\n aam 16\n hlt");
    CHECK((reg(m, EAX) & 0xFFFF) == 0x030F);
  }
  SUBCASE("AAM 0 raises #DE with AX unchanged and EIP at the instruction") {
    m.run_asm("mov ax, 0x1234\n aam 0\n hlt");
    CHECK(exception_taken(m) == kDE);
    CHECK((reg(m, EAX) & 0xFFFF) == 0x1234);
    CHECK(m.read32(m.cpu.s.gpr[ESP]) == TestMachine::kCodeBase + 4);  // after the 4-byte MOV AX
  }
  SUBCASE("AAD joins two digits") {
    m.run_asm("mov ax, 0x0607\n aad\n hlt");
    CHECK((reg(m, EAX) & 0xFFFF) == 67);
    CHECK((arith_flags(m) & (ZF | SF)) == 0);
  }
  SUBCASE("AAD result zero sets ZF") {
    m.run_asm("mov ax, 0x0000\n aad 7\n hlt");
    CHECK((arith_flags(m) & ZF) == ZF);
  }
}

TEST_CASE("bcd: AAM 0 in real mode goes through the IVT") {
  TestMachine m;
  m.real_mode();
  catch_exceptions_real(m);
  m.run_asm("mov ax, 0x1234\n aam 0\n hlt");
  CHECK(exception_taken(m) == kDE);
  // The pushed IP is the AAM's (0x7C00 + 3-byte MOV AX).
  CHECK(m.read16(m.cpu.s.gpr[ESP] & 0xFFFF) == 0x7C03);
}
