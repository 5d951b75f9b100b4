// String instructions and REP prefixes (SDM Vol. 2B: MOVS, CMPS, STOS, LODS, SCAS, INS, OUTS, REP).
#include <doctest/doctest.h>

#include <vector>

#include "integer/integer_test_support.h"

using namespace emu;
using namespace emu::test;
using namespace emu::eflags;

namespace {

// A port that hands out 0x10, 0x11, ... on reads and records every write.
struct RecordingPort : PortHandler {
  u32 next = 0x10;
  std::vector<u32> written;
  u32 port_read(u16, unsigned) override { return next++; }
  void port_write(u16, unsigned, u32 value) override { written.push_back(value); }
};

void fill(TestMachine& m, u32 at, u32 len, u8 first) {
  for (u32 k = 0; k < len; ++k) m.bus.ram()[at + k] = static_cast<u8>(first + k);
}

}  // namespace

TEST_CASE("string: MOVS copies and advances ESI/EDI") {
  TestMachine m;
  m.protected_flat32();
  fill(m, 0x20000, 64, 1);
  SUBCASE("REP MOVSB forward") {
    m.run_asm("cld\n mov esi, 0x20000\n mov edi, 0x30000\n mov ecx, 10\n rep movsb\n hlt");
    for (u32 k = 0; k < 10; ++k) CHECK(m.read8(0x30000 + k) == k + 1);
    CHECK(m.read8(0x3000A) == 0);
    CHECK(reg(m, ECX) == 0);
    CHECK(reg(m, ESI) == 0x2000A);
    CHECK(reg(m, EDI) == 0x3000A);
  }
  SUBCASE("REP with ECX = 0 does nothing, flags included") {
    m.run_asm(
        "push dword 0x8D7\n popfd\n mov esi, 0x20000\n mov edi, 0x30000\n xor ecx, ecx\n"
        "push dword 0x8D7\n popfd\n rep cmpsb\n rep movsd\n hlt");
    CHECK(reg(m, ESI) == 0x20000);
    CHECK(reg(m, EDI) == 0x30000);
    CHECK(m.read32(0x30000) == 0);
    CHECK(arith_flags(m) == kArith);
  }
  SUBCASE("DF = 1 copies backward") {
    m.run_asm("std\n mov esi, 0x2000C\n mov edi, 0x3000C\n mov ecx, 4\n rep movsd\n cld\n hlt");
    for (u32 k = 0; k < 16; ++k) CHECK(m.read8(0x30000 + k) == k + 1);
    CHECK(reg(m, ESI) == 0x1FFFC);
    CHECK(reg(m, EDI) == 0x2FFFC);
  }
  SUBCASE("overlapping forward MOVSB replicates, as byte-by-byte copying does") {
    m.run_asm("cld\n mov esi, 0x20000\n mov edi, 0x20001\n mov ecx, 8\n rep movsb\n hlt");
    for (u32 k = 0; k <= 8; ++k) CHECK(m.read8(0x20000 + k) == 1);
    CHECK(m.read8(0x20009) == 10);
  }
  SUBCASE("overlapping backward MOVSW moves the block up intact") {
    m.run_asm("std\n mov esi, 0x20006\n mov edi, 0x20008\n mov ecx, 4\n rep movsw\n cld\n hlt");
    for (u32 k = 0; k < 8; ++k) CHECK(m.read8(0x20002 + k) == k + 1);
  }
  SUBCASE("a segment override changes the source only") {
    // FS base 0x20000; ES stays flat even with an ES-looking override on the source.
    m.set_gdt_entry(0x38, TestMachine::descriptor(0x20000, 0xFFFF, 0x4093));
    m.run_asm(
        "mov ax, 0x38\n mov fs, ax\n cld\n mov esi, 4\n mov edi, 0x30000\n mov ecx, 2\n"
        "rep fs movsw\n hlt");
    CHECK(m.read32(0x30000) == 0x08070605);
    CHECK(reg(m, ESI) == 8);
  }
}

TEST_CASE("string: REP STOSD of 1 MiB") {
  TestMachine m;
  m.protected_flat32();
  m.run_asm("cld\n mov eax, 0xA5C3E1F0\n mov edi, 0x100000\n mov ecx, 0x40000\n rep stosd\n hlt");
  CHECK(m.cpu.s.halted);
  CHECK(reg(m, ECX) == 0);
  CHECK(reg(m, EDI) == 0x200000);
  bool all = true;
  for (u32 a = 0x100000; a < 0x200000; a += 4) all = all && m.read32(a) == 0xA5C3E1F0;
  CHECK(all);
  CHECK(m.read32(0x200000) == 0);
  CHECK(m.read32(0xFFFFC) == 0);
}

TEST_CASE("string: a long REP returns to the dispatcher with EIP at the instruction") {
  TestMachine m;
  m.protected_flat32();
  m.write_bytes(TestMachine::kCodeBase, assemble("rep stosb\n hlt", 32, TestMachine::kCodeBase));
  m.cpu.s.gpr[EDI] = 0x100000;
  m.cpu.s.gpr[ECX] = 10000;
  m.cpu.s.gpr[EAX] = 0x77;
  m.interp.step();  // one dispatch of the REP STOSB
  CHECK(m.cpu.s.eip == TestMachine::kCodeBase);
  CHECK(reg(m, ECX) > 0);
  CHECK(reg(m, ECX) < 10000);
  CHECK(reg(m, EDI) == 0x100000 + (10000 - reg(m, ECX)));
  CHECK(m.run() == StopReason::Halted);
  CHECK(reg(m, ECX) == 0);
  CHECK(reg(m, EDI) == 0x100000 + 10000);
  CHECK(m.read8(0x100000 + 9999) == 0x77);
  CHECK(m.read8(0x100000 + 10000) == 0);
}

TEST_CASE("string: CMPS and SCAS with REPE/REPNE") {
  TestMachine m;
  m.protected_flat32();
  fill(m, 0x20000, 16, 'a');
  fill(m, 0x30000, 16, 'a');
  m.bus.ram()[0x30005] = 'X';
  SUBCASE("REPE CMPSB stops after the first difference") {
    m.run_asm("cld\n mov esi, 0x20000\n mov edi, 0x30000\n mov ecx, 16\n repe cmpsb\n hlt");
    CHECK(reg(m, ECX) == 10);
    CHECK(reg(m, ESI) == 0x20006);
    CHECK(reg(m, EDI) == 0x30006);
    CHECK((arith_flags(m) & (ZF | CF)) == 0);  // 'f' - 'X': different, no borrow
  }
  SUBCASE("REPNE SCASB finds the terminator (strlen)") {
    m.bus.ram()[0x2000A] = 0;
    m.run_asm("cld\n mov edi, 0x20000\n xor al, al\n mov ecx, -1\n repne scasb\n not ecx\n dec ecx\n hlt");
    CHECK(reg(m, ECX) == 10);
    CHECK(reg(m, EDI) == 0x2000B);
  }
  SUBCASE("REPE CMPSD runs out with everything equal") {
    m.run_asm("cld\n mov esi, 0x20000\n mov edi, 0x30000\n mov ecx, 1\n repe cmpsd\n hlt");
    CHECK(reg(m, ECX) == 0);
    CHECK((arith_flags(m) & ZF) == ZF);
  }
  SUBCASE("CMPS compares source minus destination") {
    m.run_asm("cld\n mov esi, 0x30005\n mov edi, 0x20005\n cmpsb\n hlt");  // 'X' - 'f'
    CHECK((arith_flags(m) & (ZF | CF | SF)) == (CF | SF));
  }
  SUBCASE("LODS loads and advances") {
    m.run_asm("cld\n mov esi, 0x20000\n mov eax, 0xFFFFFFFF\n lodsw\n hlt");
    CHECK(reg(m, EAX) == 0xFFFF6261);
    CHECK(reg(m, ESI) == 0x20002);
  }
}

TEST_CASE("string: 16-bit addressing wraps SI/DI and uses CX") {
  TestMachine m;
  m.real_mode();
  m.bus.ram()[0xFFFF] = 0xAB;
  m.bus.ram()[0x0000] = 0xCD;
  m.bus.ram()[0x0001] = 0xEF;
  m.run_asm("mov esi, 0x1234FFFF\n mov edi, 0x56785000\n mov ecx, 0xFFFF0003\n cld\n rep movsb\n hlt");
  CHECK(m.read8(0x5000) == 0xAB);
  CHECK(m.read8(0x5001) == 0xCD);
  CHECK(m.read8(0x5002) == 0xEF);
  CHECK(reg(m, ESI) == 0x12340002);  // only SI moved, and it wrapped
  CHECK(reg(m, EDI) == 0x56785003);
  CHECK(reg(m, ECX) == 0xFFFF0000);  // only CX counted
}

TEST_CASE("string: a32 prefix in real mode uses ESI/EDI/ECX") {
  TestMachine m;
  m.real_mode();
  fill(m, 0x3000, 4, 9);
  m.run_asm("mov esi, 0x3000\n mov edi, 0x4000\n mov ecx, 4\n cld\n a32 rep movsb\n hlt");
  CHECK(m.read32(0x4000) == 0x0C0B0A09);
  CHECK(reg(m, ECX) == 0);
  CHECK(reg(m, ESI) == 0x3004);
}

TEST_CASE("string: a fault in the middle of REP MOVS is precise") {
  TestMachine m;
  m.protected_flat32();
  catch_exceptions(m);
  // 0x38: data segment at 0x40000 with a byte-granular limit of 0xFF.
  m.set_gdt_entry(0x38, TestMachine::descriptor(0x40000, 0xFF, 0x4093));
  fill(m, 0x40000, 256, 0);
  const std::string code =
      "mov ax, 0x38\n mov ds, ax\n cld\n mov esi, 0xF0\n mov edi, 0x50000\n mov ecx, 16\n"
      "copy: rep movsd\n hlt";
  m.run_asm(code);
  CHECK(exception_taken(m) == kGP);
  // Four dwords (0xF0..0xFF) were copied; the fifth read at 0x100 is past the limit.
  CHECK(reg(m, ECX) == 12);
  CHECK(reg(m, ESI) == 0x100);
  CHECK(reg(m, EDI) == 0x50010);
  CHECK(m.read32(0x5000C) == 0xFFFEFDFC);
  CHECK(m.read32(0x50010) == 0);
  // The exception frame: error code 0, then the EIP of the REP MOVSD.
  const u32 esp = m.cpu.s.gpr[ESP];
  CHECK(m.read32(esp) == 0);
  const std::vector<u8> prefix =
      assemble("mov ax, 0x38\n mov ds, ax\n cld\n mov esi, 0xF0\n mov edi, 0x50000\n mov ecx, 16");
  CHECK(m.read32(esp + 4) == TestMachine::kCodeBase + prefix.size());
}

TEST_CASE("string: a fault on the destination leaves the source index unchanged") {
  TestMachine m;
  m.protected_flat32();
  catch_exceptions(m);
  // ES: read-only data segment.
  m.set_gdt_entry(0x38, TestMachine::descriptor(0, 0xFFFFF, 0xC091));
  m.run_asm("mov ax, 0x38\n mov es, ax\n mov esi, 0x20000\n mov edi, 0x30000\n mov ecx, 3\n rep movsb\n hlt");
  CHECK(exception_taken(m) == kGP);
  CHECK(reg(m, ECX) == 3);
  CHECK(reg(m, ESI) == 0x20000);
  CHECK(reg(m, EDI) == 0x30000);
}

TEST_CASE("string: INS and OUTS") {
  TestMachine m;
  m.protected_flat32();
  RecordingPort port;
  m.bus.map_ports(0x300, 4, &port);
  SUBCASE("REP OUTSB writes each byte to the port") {
    fill(m, 0x20000, 5, 0x41);
    m.run_asm("cld\n mov dx, 0x300\n mov esi, 0x20000\n mov ecx, 5\n rep outsb\n hlt");
    CHECK(port.written == std::vector<u32>{0x41, 0x42, 0x43, 0x44, 0x45});
    CHECK(reg(m, ESI) == 0x20005);
    CHECK(reg(m, ECX) == 0);
  }
  SUBCASE("REP INSW stores what the port returns") {
    m.run_asm("cld\n mov dx, 0x302\n mov edi, 0x30000\n mov ecx, 3\n rep insw\n hlt");
    CHECK(m.read16(0x30000) == 0x10);
    CHECK(m.read16(0x30002) == 0x11);
    CHECK(m.read16(0x30004) == 0x12);
    CHECK(reg(m, EDI) == 0x30006);
  }
  SUBCASE("INS checks the destination before reading the port") {
    catch_exceptions(m);
    m.set_gdt_entry(0x38, TestMachine::descriptor(0, 0xFFFFF, 0xC091));
    m.run_asm("mov ax, 0x38\n mov es, ax\n mov dx, 0x300\n mov edi, 0x30000\n insb\n hlt");
    CHECK(exception_taken(m) == kGP);
    CHECK(port.next == 0x10);  // the port was not read
  }
}

TEST_CASE("string: REP STOS over the code that follows it is seen (self-modifying code)") {
  TestMachine m;
  m.protected_flat32();
  m.run_asm(
      "mov edi, target\n mov ecx, 5\n mov eax, 0x90\n cld\n rep stosb\n"
      "target: mov eax, 0x12345678\n hlt");
  CHECK(reg(m, EAX) == 0x90);  // the MOV was overwritten by five NOPs
}

TEST_CASE("string: REP STOS invalidates cached code beyond its first element") {
  TestMachine m;
  m.protected_flat32();
  // `func` runs once (its block is cached), then REP STOSB turns pad..func into RETs. The first
  // element lands on `pad`, which no block covers; only the later ones hit `func`.
  m.run_asm(
      "call func\n mov edi, pad\n mov ecx, 16\n mov al, 0xC3\n cld\n rep stosb\n"
      "mov eax, 7\n call func\n hlt\n"
      "pad: dd 0\n func: mov eax, 1\n ret");
  CHECK(reg(m, EAX) == 7);
}

TEST_CASE("string: REP MOVSD across a page boundary into a not-present page") {
  TestMachine m;
  m.protected_flat32();
  catch_exceptions(m);
  // Identity-map the first 4 MiB except the page at 0x31000.
  constexpr u32 kPageDir = 0x90000, kPageTable = 0x91000;
  m.write32(kPageDir, kPageTable | 3);
  for (u32 p = 0; p < 1024; ++p) m.write32(kPageTable + 4 * p, p == 0x31 ? 0 : (p << 12) | 3);
  m.cpu.s.cr3 = kPageDir;
  REQUIRE(m.cpu.set_cr0(m.cpu.s.cr0 | cr0::PG));
  fill(m, 0x20000, 64, 1);
  m.run_asm("cld\n mov esi, 0x20000\n mov edi, 0x30FF0\n mov ecx, 16\n rep movsd\n hlt");
  CHECK(exception_taken(m) == kPF);
  CHECK(m.cpu.s.cr2 == 0x31000);
  CHECK(reg(m, ECX) == 12);
  CHECK(reg(m, ESI) == 0x20010);
  CHECK(reg(m, EDI) == 0x31000);
  CHECK(m.read32(0x30FFC) == 0x100F0E0D);
  CHECK(m.read32(m.cpu.s.gpr[ESP]) == 2);  // error code: write to a not-present page, CPL 0
}
