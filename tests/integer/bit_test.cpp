// Bit tests and scans (SDM Vol. 2A: BT, BTS, BTR, BTC, BSF, BSR).
#include <doctest/doctest.h>

#include "integer/integer_test_support.h"

using namespace emu;
using namespace emu::test;
using namespace emu::eflags;

TEST_CASE("bit: BT/BTS/BTR/BTC on registers") {
  TestMachine m;
  m.protected_flat32();
  SUBCASE("BT copies the bit into CF and leaves ZF") {
    m.run_asm("xor edx, edx\n mov eax, 0x00000100\n bt eax, 8\n hlt");  // XOR sets ZF
    CHECK((arith_flags(m) & (CF | ZF)) == (CF | ZF));
    CHECK(reg(m, EAX) == 0x100);
  }
  SUBCASE("register offset is taken mod 32 for a register operand") {
    m.run_asm("mov eax, 0x80000000\n mov ebx, 63\n bt eax, ebx\n hlt");
    CHECK((arith_flags(m) & CF) == CF);
  }
  SUBCASE("BTS / BTR / BTC") {
    m.run_asm(
        "mov eax, 0\n bts eax, 3\n setc bl\n"
        "mov ecx, -1\n btr ecx, 31\n setc bh\n"
        "mov edx, 0xF0\n mov esi, 4\n btc edx, esi\n setc dl\n hlt");
    CHECK(reg(m, EAX) == 8);
    CHECK((reg(m, EBX) & 0xFFFF) == 0x0100);  // BTS saw 0, BTR saw 1
    CHECK(reg(m, ECX) == 0x7FFFFFFF);
    CHECK((reg(m, EDX) & 0xFF) == 1);  // BTC saw bit 4 = 1 (then SETC overwrote DL)
  }
  SUBCASE("16-bit: imm8 offset mod 16") {
    m.run_asm("mov eax, 0xFFFF0000\n bts ax, 17\n hlt");
    CHECK(reg(m, EAX) == 0xFFFF0002);
    CHECK((arith_flags(m) & CF) == 0);
  }
}

TEST_CASE("bit: memory operand with a register bit offset addresses outside the operand") {
  TestMachine m;
  m.protected_flat32();
  m.write32(0x20000, 0);
  m.write32(0x2000C, 0x10);
  m.write32(0x1FFFC, 0x80000000);
  SUBCASE("positive offset: bit 100 = bit 4 of the dword at +12") {
    m.run_asm("mov ebx, 0x20000\n mov eax, 100\n bt dword [ebx], eax\n hlt");
    CHECK((arith_flags(m) & CF) == CF);
  }
  SUBCASE("negative offset: bit -1 = bit 31 of the dword below") {
    m.run_asm("mov ebx, 0x20000\n mov eax, -1\n btr dword [ebx], eax\n hlt");
    CHECK((arith_flags(m) & CF) == CF);
    CHECK(m.read32(0x1FFFC) == 0);
  }
  SUBCASE("BTS far away writes the right dword") {
    m.run_asm("mov ebx, 0x20000\n mov eax, 0x8001\n bts dword [ebx], eax\n hlt");  // +0x1000, bit 1
    CHECK(m.read32(0x21000) == 2);
    CHECK((arith_flags(m) & CF) == 0);
  }
  SUBCASE("16-bit operand: signed word index") {
    m.write16(0x1FFFE, 0x8000);
    m.run_asm("mov ebx, 0x20000\n mov ax, -1\n btc word [ebx], ax\n hlt");
    CHECK((arith_flags(m) & CF) == CF);
    CHECK(m.read16(0x1FFFE) == 0);
  }
  SUBCASE("imm8 offset stays inside the operand") {
    m.write32(0x20000, 1u << 5);
    m.run_asm("bt dword [0x20000], 37\n hlt");  // 37 mod 32 = 5
    CHECK((arith_flags(m) & CF) == CF);
  }
}

TEST_CASE("bit: BSF and BSR") {
  TestMachine m;
  m.protected_flat32();
  SUBCASE("lowest and highest set bit") {
    m.run_asm("mov ebx, 0x00F00100\n bsf eax, ebx\n bsr ecx, ebx\n hlt");
    CHECK(reg(m, EAX) == 8);
    CHECK(reg(m, ECX) == 23);
    CHECK((arith_flags(m) & ZF) == 0);
  }
  SUBCASE("zero source: ZF = 1 and the destination is unchanged") {
    m.run_asm("mov eax, 0x12345678\n xor ebx, ebx\n bsf eax, ebx\n mov ecx, 0xCAFE\n bsr cx, bx\n hlt");
    CHECK(reg(m, EAX) == 0x12345678);
    CHECK(reg(m, ECX) == 0xCAFE);
    CHECK((arith_flags(m) & ZF) == ZF);
  }
  SUBCASE("16-bit operands leave the upper half") {
    m.run_asm("mov eax, 0xFFFFFFFF\n mov bx, 0x8000\n bsr ax, bx\n hlt");
    CHECK(reg(m, EAX) == 0xFFFF000F);
  }
  SUBCASE("memory source") {
    m.write32(0x20000, 0x40);
    m.run_asm("bsf edx, [0x20000]\n hlt");
    CHECK(reg(m, EDX) == 6);
  }
}
