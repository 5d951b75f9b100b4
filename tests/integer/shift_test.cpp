// Shifts and rotates (SDM Vol. 2B: SAL/SAR/SHL/SHR, RCL/RCR/ROL/ROR, SHLD, SHRD).
#include <doctest/doctest.h>

#include "integer/integer_test_support.h"

using namespace emu;
using namespace emu::test;
using namespace emu::eflags;

TEST_CASE("shift: SHL/SHR/SAR by 1 set CF, OF, SF, ZF, PF") {
  TestMachine m;
  m.protected_flat32();
  SUBCASE("SHL: CF is the bit shifted out, OF = CF xor new MSB") {
    m.run_asm("mov eax, 0x40000001\n shl eax, 1\n hlt");
    CHECK(reg(m, EAX) == 0x80000002);
    CHECK((arith_flags(m) & (CF | OF | SF | ZF)) == (OF | SF));
  }
  SUBCASE("SHR: OF = MSB of the original operand") {
    m.run_asm("mov eax, 0x80000001\n shr eax, 1\n hlt");
    CHECK(reg(m, EAX) == 0x40000000);
    CHECK((arith_flags(m) & (CF | OF | SF | ZF)) == (CF | OF));
  }
  SUBCASE("SAR: sign fill, OF = 0") {
    m.run_asm("mov al, 0x81\n sar al, 1\n hlt");
    CHECK((reg(m, EAX) & 0xFF) == 0xC0);
    CHECK((arith_flags(m) & (CF | OF | SF | ZF | PF)) == (CF | SF | PF));
  }
  SUBCASE("SHL to zero sets ZF and PF") {
    m.run_asm("mov ax, 0x8000\n shl ax, 1\n hlt");
    CHECK((reg(m, EAX) & 0xFFFF) == 0);
    CHECK((arith_flags(m) & (CF | OF | SF | ZF | PF)) == (CF | OF | ZF | PF));
  }
}

TEST_CASE("shift: count is masked to 5 bits and a zero count changes nothing") {
  TestMachine m;
  m.protected_flat32();
  SUBCASE("SHL EAX, 33 is SHL EAX, 1") {
    m.run_asm("mov eax, 3\n mov cl, 33\n shl eax, cl\n hlt");
    CHECK(reg(m, EAX) == 6);
  }
  SUBCASE("count 32 masks to 0: value and all flags untouched") {
    m.run_asm("push dword 0x8D7\n popfd\n mov eax, 0x1234\n mov cl, 32\n shr eax, cl\n hlt");
    CHECK(reg(m, EAX) == 0x1234);
    CHECK(arith_flags(m) == (CF | PF | AF | ZF | SF | OF));
  }
  SUBCASE("RCL by 0 keeps CF") {
    m.run_asm("stc\n mov ebx, 5\n rcl ebx, 0\n hlt");
    CHECK(reg(m, EBX) == 5);
    CHECK((arith_flags(m) & CF) == CF);
  }
}

TEST_CASE("shift: 8- and 16-bit shifts by more than the width") {
  TestMachine m;
  m.protected_flat32();
  SUBCASE("SHL AL, 8 moves bit 0 into CF and leaves 0") {
    m.run_asm("mov eax, 0x12345601\n mov cl, 8\n shl al, cl\n hlt");
    CHECK(reg(m, EAX) == 0x12345600);
    CHECK((arith_flags(m) & (CF | ZF)) == (CF | ZF));
  }
  SUBCASE("SHR AX, 20: every bit gone, CF = 0") {
    m.run_asm("mov eax, 0xFFFFFFFF\n mov cl, 20\n shr ax, cl\n hlt");
    CHECK(reg(m, EAX) == 0xFFFF0000);
    CHECK((arith_flags(m) & (CF | ZF)) == ZF);
  }
  SUBCASE("SAR AL, 31 fills with the sign and CF = sign") {
    m.run_asm("mov eax, 0x80\n mov cl, 31\n sar al, cl\n hlt");
    CHECK((reg(m, EAX) & 0xFF) == 0xFF);
    CHECK((arith_flags(m) & CF) == CF);
  }
}

TEST_CASE("shift: rotates") {
  TestMachine m;
  m.protected_flat32();
  SUBCASE("ROL: CF = new LSB, OF = CF xor MSB for count 1") {
    m.run_asm("mov eax, 0x80000000\n rol eax, 1\n hlt");
    CHECK(reg(m, EAX) == 1);
    CHECK((arith_flags(m) & (CF | OF)) == (CF | OF));
  }
  SUBCASE("ROR: CF = new MSB, OF = MSB xor next bit") {
    m.run_asm("mov eax, 1\n ror eax, 1\n hlt");
    CHECK(reg(m, EAX) == 0x80000000);
    CHECK((arith_flags(m) & (CF | OF)) == (CF | OF));
  }
  SUBCASE("ROL r8 by 8 leaves the value but writes CF from bit 0") {
    m.run_asm("clc\n mov al, 0x81\n rol al, 8\n hlt");
    CHECK((reg(m, EAX) & 0xFF) == 0x81);
    CHECK((arith_flags(m) & CF) == CF);
  }
  SUBCASE("rotates leave SF, ZF, PF, AF alone") {
    m.run_asm("xor eax, eax\n mov eax, 0x80000000\n rol eax, 4\n hlt");
    CHECK(reg(m, EAX) == 8);
    CHECK((arith_flags(m) & (ZF | PF)) == (ZF | PF));  // from the XOR
  }
  SUBCASE("RCL through CF, 8-bit count taken mod 9") {
    m.run_asm("stc\n mov al, 0x80\n mov cl, 10\n rcl al, cl\n hlt");  // 10 mod 9 = 1
    CHECK((reg(m, EAX) & 0xFF) == 0x01);
    CHECK((arith_flags(m) & CF) == CF);
  }
  SUBCASE("RCR 16-bit count taken mod 17") {
    m.run_asm("clc\n mov ax, 0x0001\n mov cl, 18\n rcr ax, cl\n hlt");  // 18 mod 17 = 1
    CHECK((reg(m, EAX) & 0xFFFF) == 0);
    CHECK((arith_flags(m) & CF) == CF);
  }
  SUBCASE("RCR by 1: OF = MSB(dest) xor CF before the rotate") {
    m.run_asm("stc\n mov eax, 0\n rcr eax, 1\n hlt");
    CHECK(reg(m, EAX) == 0x80000000);
    CHECK((arith_flags(m) & (CF | OF)) == OF);
  }
  SUBCASE("RCL 32-bit by 31") {
    m.run_asm("stc\n mov eax, 2\n rcl eax, 31\n hlt");
    // 33-bit CF:EAX = 1:00000002 rotated left 31 = bit 32 -> bit 30, bit 1 -> bit 32.
    CHECK(reg(m, EAX) == 0x40000000);
    CHECK((arith_flags(m) & CF) == CF);
  }
}

TEST_CASE("shift: SHLD and SHRD") {
  TestMachine m;
  m.protected_flat32();
  SUBCASE("SHLD r32 fills from the source's top bits") {
    m.run_asm("mov eax, 0x12345678\n mov ebx, 0x9ABCDEF0\n shld eax, ebx, 8\n hlt");
    CHECK(reg(m, EAX) == 0x3456789A);
    CHECK(reg(m, EBX) == 0x9ABCDEF0);
    CHECK((arith_flags(m) & CF) == 0);  // last bit out: bit 24 of 0x12345678 = 0
  }
  SUBCASE("SHRD r32, CL fills from the source's low bits") {
    m.run_asm("mov eax, 0x12345678\n mov ebx, 0x9ABCDEF0\n mov cl, 4\n shrd eax, ebx, cl\n hlt");
    CHECK(reg(m, EAX) == 0x01234567);
    CHECK((arith_flags(m) & CF) == CF);  // bit 3 of 0x12345678
  }
  SUBCASE("SHLD by 1 sets OF on a sign change") {
    m.run_asm("mov eax, 0x40000000\n xor ebx, ebx\n shld eax, ebx, 1\n hlt");
    CHECK(reg(m, EAX) == 0x80000000);
    CHECK((arith_flags(m) & (OF | SF)) == (OF | SF));
  }
  SUBCASE("SHLD r16 by 16 gives the source") {
    m.run_asm("mov ax, 0x1235\n mov dx, 0xABCD\n shld ax, dx, 16\n hlt");
    CHECK((reg(m, EAX) & 0xFFFF) == 0xABCD);
    CHECK((arith_flags(m) & CF) == CF);  // bit 0 of 0x1235
  }
  SUBCASE("SHLD r16 by 20 shifts dest:src:src (undefined in the SDM; P6 and later)") {
    m.run_asm("mov ax, 0x1234\n mov dx, 0xABCD\n mov cl, 20\n shld ax, dx, cl\n hlt");
    CHECK((reg(m, EAX) & 0xFFFF) == 0xBCDA);
  }
  SUBCASE("SHRD r16 by 17 shifts src:src:dest") {
    m.run_asm("mov ax, 0x1234\n mov dx, 0xABCD\n shrd ax, dx, 17\n hlt");
    CHECK((reg(m, EAX) & 0xFFFF) == 0xD5E6);
  }
  SUBCASE("count 0: nothing changes") {
    m.run_asm("push dword 0x8D7\n popfd\n mov eax, 7\n mov ebx, -1\n shld eax, ebx, 32\n hlt");
    CHECK(reg(m, EAX) == 7);
    CHECK(arith_flags(m) == kArith);
  }
}

TEST_CASE("shift: memory destinations") {
  TestMachine m;
  m.protected_flat32();
  catch_exceptions(m);
  // 0x38: a read-only data segment over the same memory.
  m.set_gdt_entry(0x38, TestMachine::descriptor(0, 0xFFFFF, 0xC091));
  SUBCASE("SHL dword [mem], CL") {
    m.write32(0x20000, 0x00F0000F);
    m.run_asm("mov cl, 4\n shl dword [0x20000], cl\n hlt");
    CHECK(m.read32(0x20000) == 0x0F0000F0);
  }
  SUBCASE("SHRD [mem], r16, imm8") {
    m.write16(0x20000, 0x1234);
    m.run_asm("mov bx, 0xABCD\n shrd word [0x20000], bx, 8\n hlt");
    CHECK(m.read16(0x20000) == 0xCD12);
  }
  SUBCASE("a shift with count 0 still needs a writable destination") {
    m.run_asm("mov ax, 0x38\n mov fs, ax\n xor ecx, ecx\n shl dword [fs:0x20000], cl\n hlt");
    CHECK(exception_taken(m) == kGP);
  }
  SUBCASE("a faulting write leaves flags and memory unchanged") {
    m.write32(0x20000, 0x80000000);
    m.run_asm("mov ax, 0x38\n mov fs, ax\n push dword 0x002\n popfd\n shl dword [fs:0x20000], 1\n hlt");
    CHECK(exception_taken(m) == kGP);
    CHECK(m.read32(0x20000) == 0x80000000);
    CHECK(arith_flags(m) == 0);
  }
}

TEST_CASE("shift: real mode, 16-bit code") {
  TestMachine m;
  m.real_mode();
  m.run_asm("mov ax, 0x8001\n mov cl, 1\n sar ax, cl\n mov bx, 0x00FF\n rol bl, 4\n hlt");
  CHECK((reg(m, EAX) & 0xFFFF) == 0xC000);
  CHECK((reg(m, EBX) & 0xFFFF) == 0x00FF);
}
