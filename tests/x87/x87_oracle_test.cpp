// Regression tests for x87 mismatches the host-CPU oracle (tests/oracle) found against the host
// (an AMD Zen 4, the reference wherever the SDM leaves room). Each test replays the oracle's input
// state and is named after the case that exposed the difference, so
// `oracle --filter x87 --seed S` reproduces it; the expected values are the host's.
#include <doctest/doctest.h>

#include <cstring>
#include <initializer_list>
#include <string>

#include "support/test_machine.h"

using namespace emu;
using emu::test::TestMachine;

namespace {

constexpr u32 kData = 0x5000;

// Status word bits.
constexpr u16 IE = 0x01, SF = 0x40, ES = 0x80, C0 = 0x100, C1 = 0x200, C2 = 0x400, C3 = 0x4000, B = 0x8000;

long double from_bits(u64 significand, u16 sign_exponent) {
  long double v = 0;
  std::memcpy(&v, &significand, 8);
  std::memcpy(reinterpret_cast<u8*>(&v) + 8, &sign_exponent, 2);
  return v;
}
bool same_bits(long double a, long double b) { return std::memcmp(&a, &b, 10) == 0; }
const long double kIndefinite = from_bits(0xC000000000000000ull, 0xFFFF);

unsigned top(const TestMachine& m) { return (m.cpu.s.fpu.status >> 11) & 7; }
long double st(const TestMachine& m, unsigned i) { return m.cpu.s.fpu.regs[(top(m) + i) & 7]; }
unsigned tag_of_st(const TestMachine& m, unsigned i) { return (m.cpu.s.fpu.tag >> (2 * ((top(m) + i) & 7))) & 3; }

// One register of the oracle's "fpu in": ST(i) as significand and sign/exponent.
struct Reg {
  unsigned i;
  u64 significand;
  u16 sign_exponent;
};

// Flat 32-bit protected mode, CR0.NE set, and the FPU exactly as the oracle case had it: control
// word, status word (TOP included), the FNSAVE tag word and the registers named relative to TOP.
void load_case(TestMachine& m, u16 cw, u16 sw, u16 tag, std::initializer_list<Reg> regs) {
  m.protected_flat32();
  m.cpu.s.cr0 |= cr0::NE;
  FpuState& f = m.cpu.s.fpu;
  f.control = cw;
  f.status = sw;
  f.tag = tag;
  for (const Reg& r : regs) f.regs[((sw >> 11) + r.i) & 7] = from_bits(r.significand, r.sign_exponent);
}

// Identity paging for the first 4 MiB with page 0xA000 not present, and a #PF handler that
// leaves the error code in EAX and CR2 in EBX.
constexpr u32 kMissingPage = 0xA000;
void page_out_0xA000(TestMachine& m) {
  constexpr u32 kPageDir = 0x100000, kPageTable = 0x101000;
  for (u32 k = 0; k < 1024; ++k) m.write32(kPageTable + 4 * k, (k << 12) | 7);
  m.write32(kPageTable + 4 * (kMissingPage >> 12), 0);
  m.write32(kPageDir, kPageTable | 7);
  m.cpu.s.cr3 = kPageDir;
  m.cpu.s.cr0 |= cr0::PG;
  m.cpu.tlb_flush_all();
  m.set_idt_gate(14, 0x08, TestMachine::kCodeBase + 0x100, 0xE);
}
// Runs `insn` under page_out_0xA000() and returns CR2 of the #PF it must raise.
u32 cr2_of(TestMachine& m, const std::string& insn) {
  page_out_0xA000(m);
  const auto code = emu::test::assemble(insn + "\n hlt\n times 0x100-($-$$) db 0\n pop eax\n mov ebx, cr2\n hlt\n", 32,
                                        TestMachine::kCodeBase);
  m.write_bytes(TestMachine::kCodeBase, code);
  m.cpu.s.eip = TestMachine::kCodeBase;
  m.cpu.s.gpr[EBX] = 0;
  m.run();
  CHECK(m.cpu.counters.exceptions[kPF] == 1);
  return m.cpu.s.gpr[EBX];
}

}  // namespace

// ---- compares with an unmasked invalid operation ------------------------------------------------

TEST_CASE("x87 oracle: FCOM ST(1) (DC D1 alias) with ST(1) empty and IE unmasked — case 1867 of --seed 12345") {
  TestMachine m;
  load_case(m, 0x0456, 0x1B00, 0x838C,
            {{0, 0x71506E38177F3256ull, 0x8000},
             {2, 0x82B0E3DACBCE4B70ull, 0xBFC3},
             {3, 0x9D6D67156A611F57ull, 0xBFF3},
             {4, 0x9D5807B20D27CAEAull, 0x8000},
             {5, 0xD900000000000000ull, 0xC006},
             {7, 0xACC0000000000000ull, 0xC008}});
  m.run_asm("db 0xDC, 0xD1\n hlt");
  CHECK(m.cpu.s.fpu.status == 0xDDC1);  // unordered C3 C2 C0, C1 = 0, IE SF ES B
}

TEST_CASE("x87 oracle: FCOMPP with ST(1) empty and IE unmasked sets unordered and does not pop") {
  TestMachine m;
  load_case(m, 0x037E, 0x3800, 0x3FFF, {{0, 0x8000000000000000ull, 0x3FFF}});
  m.run_asm("fcompp\n hlt");
  CHECK(m.cpu.s.fpu.status == (0x3800 | C3 | C2 | C0 | IE | SF | ES | B));
  CHECK(top(m) == 7);
}

TEST_CASE("x87 oracle: FTST of an empty ST(0) with IE unmasked — case 6250 of --seed 12345") {
  TestMachine m;
  load_case(m, 0x0B5A, 0x5E00, 0x50D8,
            {{1, 0x839E25702F5FDA2Dull, 0x5182},
             {2, 0xDE80000000000000ull, 0xC007},
             {3, 0, 0},
             {4, 0, 0x8000},
             {5, 0xCB957F19CB715511ull, 0xB319},
             {6, 0x8000000000000000ull, 0x7FFF},
             {7, 0, 0}});
  m.run_asm("ftst\n hlt");
  CHECK(m.cpu.s.fpu.status == 0xDDC1);
}

TEST_CASE("x87 oracle: FCOM m64fp of a QNaN with IE unmasked sets unordered") {
  TestMachine m;
  load_case(m, 0x037E, 0x3800, 0x3FFF, {{0, 0x8000000000000000ull, 0x3FFF}});
  m.write32(kData, 0);
  m.write32(kData + 4, 0x7FF80000u);  // QNaN: FCOM raises IE for any NaN
  m.run_asm("fcomp qword [0x5000]\n hlt");
  CHECK(m.cpu.s.fpu.status == (0x3800 | C3 | C2 | C0 | IE | ES | B));
  CHECK(top(m) == 7);  // no pop under an unmasked exception
}

// ---- FCOMI/FUCOMI on unordered or stack underflow ---------------------------------------------

TEST_CASE("x87 oracle: FCOMI ST(7) with both registers empty and IE unmasked — case 2480 of --seed 12345") {
  TestMachine m;
  load_case(m, 0x035C, 0x4500, 0xCC33,
            {{1, 0x8000000000000071ull, 0x403E},
             {3, 0x9432F3C624DAAEF7ull, 0x7FA5},
             {4, 0xEA40000000000000ull, 0xC008},
             {6, 0x8580000000000000ull, 0x4007}});
  m.run_asm("push dword 0xC14\n popfd\n fcomi st0, st7\n pushfd\n pop eax\n hlt");
  constexpr u32 kArith = eflags::CF | eflags::PF | eflags::AF | eflags::ZF | eflags::SF | eflags::OF;
  CHECK((m.cpu.s.gpr[EAX] & kArith) == (eflags::ZF | eflags::PF | eflags::CF));  // host eflags 0x747
  CHECK(top(m) == 0);
}

TEST_CASE("x87 oracle: FUCOMIP of a QNaN clears OF SF AF and pops") {
  TestMachine m;
  load_case(m, 0x037F, 0x3000, 0x2FFF, {{0, 0xC000000000000000ull, 0x7FFF}, {1, 0x8000000000000000ull, 0x3FFF}});
  m.run_asm("push dword 0x8D4\n popfd\n fucomip st0, st1\n pushfd\n pop eax\n hlt");
  constexpr u32 kArith = eflags::CF | eflags::PF | eflags::AF | eflags::ZF | eflags::SF | eflags::OF;
  CHECK((m.cpu.s.gpr[EAX] & kArith) == (eflags::ZF | eflags::PF | eflags::CF));
  CHECK(top(m) == 7);
}

// ---- FPREM/FPREM1 condition codes for a NaN ------------------------------------------------------

TEST_CASE("x87 oracle: FPREM of an unsupported divisor keeps C0 and C3 — case 1963 of --seed 12345") {
  TestMachine m;
  load_case(m, 0x047F, 0x6938, 0x67E0,
            {{0, 0, 0x8000},
             {1, 0x5D26721B53E94DBFull, 0xD9F8},
             {2, 0, 0},
             {3, 0x8620EAFD54C08863ull, 0x1B52},
             {4, 0xA63C9085A6097049ull, 0xBFCD},
             {5, 0xC3E590437E473490ull, 0xFFFF}});
  m.run_asm("fprem\n hlt");
  CHECK(m.cpu.s.fpu.status == 0x6939);
  CHECK(same_bits(st(m, 0), kIndefinite));
}

TEST_CASE("x87 oracle: FPREM1 of a QNaN keeps C3 and clears C2 — case 239 of --seed 12345") {
  TestMachine m;
  load_case(m, 0x0F7F, 0x5400, 0x402B,
            {{0, 0xC7B64B1CF9F64E24ull, 0x7FFF},
             {1, 0x9400000000000000ull, 0xC004},
             {2, 0xBCB945022256B495ull, 0xBFF8},
             {3, 0x8000000000000000ull, 0x403D},
             {4, 0x82C49C0A391CC8E0ull, 0xC00E},
             {5, 0, 0x8000},
             {7, 0x427DEE37EB02FA94ull, 0x8000}});
  m.run_asm("fprem1\n hlt");
  CHECK(m.cpu.s.fpu.status == 0x5000);
}

// ---- ES/B when the masks change ---------------------------------------------------------------------

TEST_CASE("x87 oracle: FNSTENV masks everything and clears ES/B — case 913 of --seed 12345") {
  TestMachine m;
  load_case(m, 0x0762, 0xB896, 0x30CC,
            {{0, 0xF300000000000000ull, 0xC007},
             {1, 0x93D7EEAF1EC38B9Cull, 0x671B},
             {3, 0xBE40000000000000ull, 0xC008},
             {5, 0x8000000000000000ull, 0xC00F},
             {6, 0x8A7E6E53AE00B39Cull, 0x4041}});
  m.run_asm("o16 fnstenv [0x5000]\n hlt");
  CHECK(m.cpu.s.fpu.status == 0x3816);
  CHECK(m.read16(kData + 2) == 0xB896);  // the stored image still has them
}

TEST_CASE("x87 oracle: FLDCW, FLDENV and FRSTOR recompute ES/B from the flags and the new masks") {
  TestMachine m;
  // A masked flag (PE) becomes unmasked: ES and B set (reported at the next waiting instruction).
  load_case(m, 0x037F, 0x0020, 0xFFFF, {});
  m.write16(kData, 0x035F);
  m.run_asm("fldcw [0x5000]\n hlt");
  CHECK(m.cpu.s.fpu.status == (0x0020 | ES | B));
  // FLDENV and FRSTOR of an image whose status says ES although every exception is masked, and
  // of one that says nothing although IE is flagged and unmasked.
  for (const char* insn : {"fldenv [0x5000]", "frstor [0x5000]"}) {
    CAPTURE(insn);
    load_case(m, 0x037F, 0, 0xFFFF, {});
    m.write32(kData + 0, 0x037F);
    m.write32(kData + 4, 0x80A1);
    m.write32(kData + 8, 0xFFFF);
    m.run_asm(std::string(insn) + "\n hlt");
    CHECK(m.cpu.s.fpu.status == 0x0021);
    load_case(m, 0x037F, 0, 0xFFFF, {});
    m.write32(kData + 0, 0x037E);
    m.write32(kData + 4, 0x0001);
    m.run_asm(std::string(insn) + "\n hlt");
    CHECK(m.cpu.s.fpu.status == (0x0001 | ES | B));
  }
}

// ---- the denormal-operand flag next to an unmasked underflow --------------------------------------

TEST_CASE("x87 oracle: FDIV m32fp of a denormal ST(0), UE unmasked, keeps the masked DE — case 38151 of --seed 12345") {
  TestMachine m;
  load_case(m, 0x0762, 0x3900, 0xAB32,
            {{0, 0x7F3B487B0B737F3Cull, 0x0000},
             {1, 0xE77DCA4A5D60DD9Bull, 0xFFFF},
             {2, 0xFB15C9A32C5A93D7ull, 0x4D75},
             {4, 0xD0597052341C569Cull, 0x3B6B},
             {6, 0x1336E91B5B261A5Aull, 0x0000},
             {7, 0x8000000000000000ull, 0xFFFF}});
  m.write32(kData, 0xF0A5C5FBu);
  m.run_asm("fdiv dword [0x5000]\n hlt");
  CHECK((m.cpu.s.fpu.status & ~(C3 | C2 | C0)) == (0xBBB2 & ~(C3 | C2 | C0)));
}

TEST_CASE(
    "x87 oracle: FADD of -0 and a denormal with UE unmasked delivers the rebiased denormal — case 107180 of "
    "--seed 12345") {
  TestMachine m;
  load_case(m, 0x0363, 0x2800, 0x06CE,
            {{0, 0, 0x8000},
             {1, 0xC844E2CCAFFAE926ull, 0xBFDA},
             {2, 0xF5C1C0C439F70D4Bull, 0x4001},
             {3, 0x24257634662C50BEull, 0x8AF5},
             {5, 0xD0341724D83B91FAull, 0xC004},
             {7, 0x56639E7E3CD95C7Dull, 0x0000}});
  m.run_asm("fadd st0, st7\n hlt");
  CHECK((m.cpu.s.fpu.status & ~(C3 | C2 | C0)) == (0xA892 & ~(C3 | C2 | C0)));
  CHECK(same_bits(st(m, 0), from_bits(0xACC73CFC79B2B8FAull, 0x6000)));
}

TEST_CASE("x87 oracle: FLD m32fp of a denormal with DE unmasked still loads — case 33267 of --seed 12345") {
  TestMachine m;
  load_case(m, 0x005D, 0x5300, 0xB30C,
            {{0, 0xA069E860DA9940B7ull, 0x3FC8},
             {1, 0x8000000000000000ull, 0xC00D},
             {3, 0xD326BB3D0F41443Full, 0x3FE1},
             {5, 0xDFF59DF15D6A8881ull, 0x7FFF},
             {6, 0x9C2E7EC12A65DBDCull, 0x3FEE}});
  m.write32(kData, 1);
  m.run_asm("fld dword [0x5000]\n hlt");
  CHECK((m.cpu.s.fpu.status & ~(C3 | C2 | C0)) == (0xC982 & ~(C3 | C2 | C0)));
  CHECK(same_bits(st(m, 0), from_bits(0x8000000000000000ull, 0x3F6A)));  // 2^-149, exact
}

// ---- FLD ST(i): underflow before overflow ---------------------------------------------------------

TEST_CASE("x87 oracle: FLD ST(1) with ST(1) empty and ST(7) full reports the underflow — case 137 of --seed 12345") {
  TestMachine m;
  load_case(m, 0x0F7F, 0x1100, 0x0FF4,
            {{4, 0xDB40000000000000ull, 0x4008},
             {5, 0xDBB57DA79EE5C7F0ull, 0xC027},
             {6, 0xD180000000000000ull, 0xC008},
             {7, 0, 0x8000}});
  m.run_asm("fld st1\n hlt");
  CHECK((m.cpu.s.fpu.status & ~(C3 | C2 | C0)) == (0x0941 & ~(C3 | C2 | C0)));  // C1 = 0: underflow
  CHECK(same_bits(st(m, 0), kIndefinite));
}

// ---- page-crossing stores and images: CR2 -------------------------------------------------------------

TEST_CASE("x87 oracle: a page-crossing FSTP m64fp/m80fp faults on the first missing byte, FPU unchanged") {
  for (const char* insn : {"fstp qword [0x9FFE]", "fstp tword [0x9FFB]", "fst dword [0x9FFF]", "fistp dword [0x9FFE]",
                           "fbstp tword [0x9FF8]"}) {
    CAPTURE(insn);
    TestMachine m;
    load_case(m, 0x037F, 0x3800, 0x3FFF, {{0, 0x8000000000000000ull, 0x3FFF}});
    for (u32 a = 0x9FF0; a < 0xA000; ++a) m.bus.ram()[a] = 0xAA;
    CHECK(cr2_of(m, insn) == kMissingPage);
    CHECK(top(m) == 7);  // not popped
    CHECK(m.read32(0x9FFC) == 0xAAAAAAAAu);
  }
}

TEST_CASE("x87 oracle: FLDENV/FRSTOR/FNSTENV/FNSAVE touch the first field, then the last byte") {
  const auto cr2 = [](u16 cw, const std::string& insn) {
    TestMachine m;
    load_case(m, cw, 0, 0xFFFF, {});
    const u32 at = cr2_of(m, insn);
    CHECK(m.cpu.s.fpu.control == cw);  // nothing changed, FNSTENV masked nothing
    return at;
  };
  // The last byte first: CR2 is the image's last byte (FLDENV at 09FF4, o32: 0A00F).
  CHECK(cr2(0x037F, "fldenv [0x9FF4]") == 0xA00Fu);
  CHECK(cr2(0x037F, "o16 frstor [0x9FA4]") == 0xA001u);
  CHECK(cr2(0x037F, "fnsave [0x9FE9]") == 0xA054u);
  // The first field itself crosses: CR2 is the first missing byte (FLDENV at 09FFD, o32).
  CHECK(cr2(0x037F, "fldenv [0x9FFD]") == kMissingPage);
  CHECK(cr2(0x0360, "fnstenv [0x9FFE]") == kMissingPage);
}

// ---- the undocumented FSTP aliases -----------------------------------------------------------------------

TEST_CASE("x87 oracle: FSTP1 (D9 D8+i) with ST(0) empty raises nothing and leaves ST(i) — case 2759 of --seed 12345") {
  TestMachine m;
  load_case(m, 0x0B7F, 0x3831, 0xCB0D,
            {{1, 0, 0x8000},
             {3, 0xC9FF531DBA8AAFA5ull, 0x3FE9},
             {4, 0x80000000000000C4ull, 0xC01D},
             {6, 0x8000000000000000ull, 0x7FFF},
             {7, 0x9400000000000000ull, 0x4005}});
  m.run_asm("db 0xD9, 0xDF\n hlt");                         // FSTP1 ST(7)
  CHECK((m.cpu.s.fpu.status & ~(C3 | C2 | C0)) == 0x0031);  // TOP 0, no new flags, C1 = 0
  CHECK(m.cpu.s.fpu.tag == 0xCB0D);                         // only ST(0) (already empty) popped
  CHECK(same_bits(st(m, 6), from_bits(0x9400000000000000ull, 0x4005)));
}

TEST_CASE("x87 oracle: the other FSTP aliases (DF D0+i, DF D8+i) underflow like FSTP") {
  TestMachine m;
  for (const char* alias : {"db 0xDF, 0xD1", "db 0xDF, 0xD9", "fstp st1"}) {
    CAPTURE(alias);
    load_case(m, 0x037F, 0x3800, 0xFFFC, {{1, 0x8000000000000000ull, 0x3FFF}});
    m.run_asm(std::string(alias) + "\n hlt");
    CHECK((m.cpu.s.fpu.status & (IE | SF | C1)) == (IE | SF));
    CHECK(same_bits(st(m, 0), kIndefinite));
    CHECK(tag_of_st(m, 0) == 2);
  }
}

// ---- unmasked underflow/overflow results beyond the basic arithmetic ------------------------------------

TEST_CASE("x87 oracle: FSCALE beyond the rebias range gives zero or infinity — cases 9373 and 43147 of --seed 12345") {
  TestMachine m;
  load_case(m, 0x0462, 0x4E00, 0x3F02,
            {{0, 0xD140000000000000ull, 0xC008},
             {1, 0x8E5456D330006FACull, 0xF556},
             {2, 0x81453F44A4FAE87Aull, 0xF7C8},
             {6, 0xA4C0000000000000ull, 0x4008},
             {7, 0xF06FE1CF83C0F16Bull, 0xFFFF}});
  m.run_asm("fscale\n hlt");
  CHECK((m.cpu.s.fpu.status & ~(C3 | C2 | C0)) == (0xCCB0 & ~(C3 | C2 | C0)));
  CHECK(same_bits(st(m, 0), from_bits(0, 0x8000)));  // -0 although RC rounds down

  load_case(m, 0x0C63, 0x7200, 0x036E,
            {{0, 0x8000000000000026ull, 0xC01F},
             {1, 0x8000000000000000ull, 0x403E},
             {2, 0x1A8EBFD04B670C97ull, 0x7354},
             {4, 0x8000000000000000ull, 0xFFFF},
             {5, 0, 0},
             {7, 0xADAA64BD599E6703ull, 0x3FEF}});
  m.run_asm("fscale\n hlt");
  CHECK((m.cpu.s.fpu.status & ~(C3 | C2 | C0)) == (0xF2A8 & ~(C3 | C2 | C0)));
  CHECK(same_bits(st(m, 0), from_bits(0x8000000000000000ull, 0xFFFF)));  // -inf although RC chops
}

TEST_CASE("x87 oracle: rebiased FPTAN, FSIN and F2XM1 of a denormal") {
  TestMachine m;
  // FPTAN, case 12015 of --seed 12345: tan x = x, with PE and C1 of the masked computation.
  load_case(m, 0x0A63, 0x1B00, 0x80B3,
            {{0, 0x51941A8BEBE65920ull, 0x0000},
             {1, 0x9287996BBE64EF7Bull, 0x402A},
             {2, 0xF4F07916463EEB6Eull, 0xC029},
             {3, 0xE4E3B3BD802C8D85ull, 0xEBDC},
             {4, 0x8000000000000000ull, 0x7FFF},
             {6, 0xD440000000000000ull, 0x4008}});
  m.run_asm("fptan\n hlt");
  CHECK((m.cpu.s.fpu.status & ~(C3 | C2 | C0)) == (0x93B2 & ~(C3 | C2 | C0)));
  CHECK(same_bits(st(m, 1), from_bits(0xA3283517D7CCB240ull, 0x6000)));
  CHECK(same_bits(st(m, 0), 1.0L));

  // FSIN, case 423 of --seed 3: sin x just below x, rounded down.
  load_case(m, 0x0762, 0x4700, 0x387E,
            {{0, 0x22BA4ED44536EC01ull, 0x0000},
             {3, 0, 0},
             {4, 0xAF864C8EDBC04230ull, 0x3FDC},
             {5, 0xDBD713DF8222CD59ull, 0x7FFF},
             {7, 0x8000000000000000ull, 0xC01E}});
  m.run_asm("fsin\n hlt");
  CHECK(same_bits(st(m, 0), from_bits(0x8AE93B5114DBB003ull, 0x5FFF)));

  // F2XM1, case 859 of --seed 12345: x ln 2, rebiased.
  load_case(m, 0x0F62, 0x1D00, 0xD188,
            {{0, 0x7ED1777BB17661C2ull, 0x0000},
             {1, 0, 0x8000},
             {2, 0xFB54E1FC74027021ull, 0xBFDC},
             {3, 0, 0},
             {5, 0x82ACF0F80B3AE073ull, 0xBFC5},
             {6, 0x24BD150F29E3ED51ull, 0x8000},
             {7, 0xC600000000000000ull, 0xC008}});
  m.run_asm("f2xm1\n hlt");
  CHECK(same_bits(st(m, 0), from_bits(0xAFCEB186A11C1F94ull, 0x6000)));
}

TEST_CASE("x87 oracle: rebiased FPREM and FYL2XP1 results — case 120189 of --seed 2, case 29517 of --seed 12345") {
  TestMachine m;
  load_case(m, 0x0062, 0x3D00, 0x800E,
            {{0, 0x40C38E3EEE9BF9E9ull, 0x8000},
             {1, 0x6EE105F4442D6FF2ull, 0x0000},
             {3, 0xD0A5AC86CDD5C4BCull, 0x4030},
             {4, 0xE39B64EC9576B97Aull, 0x3FD3},
             {5, 0xDE73C8796E771B01ull, 0x3FF7},
             {6, 0xC100000000000000ull, 0xC007},
             {7, 0x8000000000000000ull, 0x403D}});
  m.run_asm("fprem\n hlt");
  CHECK(m.cpu.s.fpu.status == 0xB892);  // quotient 0: C0 C3 C1 clear; UE DE ES B

  load_case(m, 0x0C63, 0x7300, 0x8093,
            {{0, 0xDE29CCF89BF8D3C4ull, 0x9810},
             {1, 0x346ACBEC40C1FE2Cull, 0x0000},
             {3, 0xFF7DCE594A694572ull, 0xBFE2},
             {4, 0, 0},
             {5, 0x693F31F39AAFCA97ull, 0x8000},
             {6, 0x917C98B2FD784B06ull, 0xB4D1},
             {7, 0x9516B397FA70CE45ull, 0xC03C}});
  m.run_asm("fyl2xp1\n hlt");
  CHECK(same_bits(st(m, 0), from_bits(0x8340DCC8DDC8E083ull, 0xB812)));
}

TEST_CASE("x87 oracle: rebiased FPATAN and FYL2XP1 of a tiny result — cases 799547 and 292803 of --seed 777") {
  TestMachine m;
  load_case(m, 0x0B63, 0x0A00, 0x8322,
            {{0, 0x8A48AD91ECE80842ull, 0x5DEB},
             {1, 0xE5DBB00BF813EDA5ull, 0x0000},
             {2, 0xC8A0F6AA4A836D46ull, 0xBFBC},
             {4, 0x959B49691892BCB4ull, 0x4023},
             {5, 0x8800000000000000ull, 0xC005},
             {6, 0x07192E1C1B5FE24Bull, 0x8000},
             {7, 0x51ED55BC1A845A35ull, 0xA59D}});
  m.run_asm("fpatan\n hlt");
  CHECK(same_bits(st(m, 0), from_bits(0xD4C3998459C315ACull, 0x4215)));

  // y = -1.5e-14 is too large to rebias alone: the product y x log2(e) is formed in 113 bits.
  load_case(m, 0x0863, 0x1700, 0x1328,
            {{0, 0x58CF7C5CD60C0997ull, 0x0000},
             {1, 0x85C3E6E7B5225A94ull, 0xBFD1},
             {3, 0xBEE2BE20293EBDD0ull, 0x4043},
             {4, 0, 0},
             {5, 0x9D87D3B8BA0C094Bull, 0xBFE4},
             {6, 0xC6472788C2D49182ull, 0x3FFB},
             {7, 0x61CD43DB31CE4DE5ull, 0x54EF}});
  m.run_asm("fyl2xp1\n hlt");
  CHECK((m.cpu.s.fpu.status & ~(C3 | C2 | C0)) == (0x9DB2 & ~(C3 | C2 | C0)));
  CHECK(same_bits(st(m, 0), from_bits(0x85E5BB903E1D87BBull, 0xDFD3)));
}
