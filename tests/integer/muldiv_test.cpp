// Multiply and divide (SDM Vol. 2A/2B: MUL, IMUL, DIV, IDIV).
#include <doctest/doctest.h>

#include "integer/integer_test_support.h"

using namespace emu;
using namespace emu::test;
using namespace emu::eflags;

TEST_CASE("muldiv: MUL widths and CF/OF") {
  TestMachine m;
  m.protected_flat32();
  SUBCASE("MUL r/m8: AX = AL * src") {
    m.run_asm("mov eax, 0xFFFF0010\n mov bl, 0x20\n mul bl\n hlt");
    CHECK(reg(m, EAX) == 0xFFFF0200);
    CHECK((arith_flags(m) & (CF | OF)) == (CF | OF));
  }
  SUBCASE("MUL r/m16: DX:AX") {
    m.run_asm("mov eax, 0x1234FFFF\n mov edx, 0xAAAA5555\n mov cx, 0xFFFF\n mul cx\n hlt");
    CHECK(reg(m, EAX) == 0x12340001);
    CHECK(reg(m, EDX) == 0xAAAAFFFE);
  }
  SUBCASE("MUL r/m32 without overflow clears CF/OF") {
    m.run_asm("stc\n mov eax, 100000\n mov ebx, 3000\n mul ebx\n hlt");
    CHECK(reg(m, EAX) == 300000000u);
    CHECK(reg(m, EDX) == 0);
    CHECK((arith_flags(m) & (CF | OF)) == 0);
  }
  SUBCASE("MUL m32") {
    m.write32(0x20000, 0x10000);
    m.run_asm("mov eax, 0x30000\n mul dword [0x20000]\n hlt");
    CHECK(reg(m, EAX) == 0);
    CHECK(reg(m, EDX) == 3);
  }
}

TEST_CASE("muldiv: IMUL forms") {
  TestMachine m;
  m.protected_flat32();
  SUBCASE("one operand, signed, fits: CF = OF = 0") {
    m.run_asm("mov al, -4\n mov bl, 8\n imul bl\n hlt");
    CHECK((reg(m, EAX) & 0xFFFF) == 0xFFE0);
    CHECK((arith_flags(m) & (CF | OF)) == 0);
  }
  SUBCASE("one operand, 32-bit, does not fit") {
    m.run_asm("mov eax, 0x40000000\n mov ecx, -4\n imul ecx\n hlt");
    CHECK(reg(m, EAX) == 0);
    CHECK(reg(m, EDX) == 0xFFFFFFFF);
    CHECK((arith_flags(m) & (CF | OF)) == (CF | OF));
  }
  SUBCASE("two operands truncate and flag the overflow") {
    m.run_asm("mov eax, 0x10000\n mov ebx, 0x10000\n imul eax, ebx\n hlt");
    CHECK(reg(m, EAX) == 0);
    CHECK((arith_flags(m) & (CF | OF)) == (CF | OF));
  }
  SUBCASE("three operands with a sign-extended imm8") {
    m.run_asm("mov ebx, 7\n imul ecx, ebx, -3\n hlt");
    CHECK(reg(m, ECX) == static_cast<u32>(-21));
    CHECK((arith_flags(m) & (CF | OF)) == 0);
  }
  SUBCASE("three operands, 16-bit, imm16") {
    m.run_asm("mov ecx, 0xAAAA0000\n mov bx, 300\n imul cx, bx, 300\n hlt");
    CHECK(reg(m, ECX) == 0xAAAA5F90);  // 90000 = 0x15F90, truncated
    CHECK((arith_flags(m) & (CF | OF)) == (CF | OF));
  }
}

TEST_CASE("muldiv: DIV and IDIV") {
  TestMachine m;
  m.protected_flat32();
  SUBCASE("DIV r/m8: AL = quotient, AH = remainder") {
    m.run_asm("mov ax, 1000\n mov bl, 7\n div bl\n hlt");
    CHECK((reg(m, EAX) & 0xFFFF) == ((1000 % 7) << 8 | (1000 / 7)));
  }
  SUBCASE("DIV r/m32 of EDX:EAX") {
    m.run_asm("mov edx, 1\n mov eax, 5\n mov ecx, 2\n div ecx\n hlt");
    CHECK(reg(m, EAX) == 0x80000002);
    CHECK(reg(m, EDX) == 1);
  }
  SUBCASE("IDIV truncates toward zero; remainder has the dividend's sign") {
    m.run_asm("mov ax, -7\n cwd\n mov bx, 2\n idiv bx\n hlt");
    CHECK((reg(m, EAX) & 0xFFFF) == 0xFFFD);  // -3
    CHECK((reg(m, EDX) & 0xFFFF) == 0xFFFF);  // -1
  }
  SUBCASE("IDIV r/m8 with the most negative quotient that fits") {
    m.run_asm("mov ax, -256\n mov bl, 2\n idiv bl\n hlt");
    CHECK((reg(m, EAX) & 0xFFFF) == 0x0080);  // AL = -128, AH = 0
  }
}

TEST_CASE("muldiv: #DE is raised before anything changes") {
  TestMachine m;
  m.protected_flat32();
  catch_exceptions(m);
  const u32 insn = TestMachine::kCodeBase + 5 + 5 + 5;  // after three 5-byte MOVs
  auto expect_de = [&](const char* what) {
    INFO(what);
    CHECK(exception_taken(m) == kDE);
    CHECK(m.read32(m.cpu.s.gpr[ESP]) == insn);  // faulting EIP pushed
    CHECK(reg(m, EAX) == 0x11111111u);
    CHECK(reg(m, EDX) == 0x22222222u);
  };
  SUBCASE("divide by zero") {
    m.run_asm("mov eax, 0x11111111\n mov edx, 0x22222222\n mov ecx, 0\n div ecx\n hlt");
    expect_de("DIV by 0");
  }
  SUBCASE("quotient too large for DIV") {
    m.run_asm("mov eax, 0x11111111\n mov edx, 0x22222222\n mov ecx, 0x22222222\n div ecx\n hlt");
    expect_de("EDX >= divisor");
  }
  SUBCASE("IDIV quotient overflow") {
    m.run_asm("mov eax, 0x11111111\n mov edx, 0x22222222\n mov ecx, 2\n idiv ecx\n hlt");
    expect_de("positive quotient too large");
  }
  SUBCASE("IDIV of INT_MIN by -1") {
    m.run_asm("mov eax, 0x80000000\n mov edx, 0xFFFFFFFF\n mov ecx, -1\n idiv ecx\n hlt");
    CHECK(exception_taken(m) == kDE);
    CHECK(reg(m, EAX) == 0x80000000u);
    CHECK(reg(m, EDX) == 0xFFFFFFFFu);
  }
  SUBCASE("IDIV r/m8 of -128 by -1") {
    m.run_asm("mov eax, 0xFF80\n mov bl, -1\n idiv bl\n hlt");
    CHECK(exception_taken(m) == kDE);
    CHECK(reg(m, EAX) == 0xFF80u);
  }
  SUBCASE("IDIV r/m16 of -32768 by -1") {
    m.run_asm("mov eax, 0x8000\n mov edx, 0xFFFF\n mov bx, -1\n idiv bx\n hlt");
    CHECK(exception_taken(m) == kDE);
  }
}

TEST_CASE("muldiv: DIV by zero in real mode") {
  TestMachine m;
  m.real_mode();
  catch_exceptions_real(m);
  m.run_asm("mov ax, 5\n xor bl, bl\n div bl\n hlt");
  CHECK(exception_taken(m) == kDE);
  CHECK(m.read16(m.cpu.s.gpr[ESP] & 0xFFFF) == 0x7C05);  // IP of the DIV
  CHECK((reg(m, EAX) & 0xFFFF) == 5);
}
