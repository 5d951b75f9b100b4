// The monitor's commands against a TestMachine behind a fake MonitorTarget: QEMU's layouts for
// `info registers` and `x`/`xp`, the VMM counters behind `info sensitive`, and the run-control
// commands reaching the machine.
#include "frontends/monitor/monitor.h"

#include <doctest/doctest.h>

#include "support/test_machine.h"

using namespace emu;
using emu::test::TestMachine;

namespace {

struct FakeMachine : MonitorTarget {
  TestMachine m;
  bool is_running = true;
  unsigned resets = 0, quits = 0;
  Cpu& cpu() override { return m.cpu; }
  std::optional<std::string> describe_device(std::string_view name) override {
    if (name == "pic") return std::string("master: IRR=00 ISR=00 IMR=ff");
    return std::nullopt;
  }
  std::vector<std::string> device_names() const override { return {"pic"}; }
  bool running() const override { return is_running; }
  void stop() override { is_running = false; }
  void cont() override { is_running = true; }
  void system_reset() override { ++resets; }
  void quit() override { ++quits; }
};

bool contains(const std::string& text, const std::string& what) { return text.find(what) != std::string::npos; }

}  // namespace

TEST_CASE("monitor: info registers in QEMU's layout, real and protected mode") {
  FakeMachine f;
  Monitor mon(f);
  f.m.real_mode(0xF000, 0xFFF0);
  f.m.cpu.s.gpr[EAX] = 0x12345678;
  f.m.cpu.s.flags.bits = 0x2 | eflags::ZF | eflags::CF;
  std::string out = mon.execute("info registers");
  CAPTURE(out);
  CHECK(contains(out, "EAX=12345678 EBX=00000000 ECX=00000000 EDX=00000633\n"));
  // The reset state: EDX holds the processor signature, FCW the power-on 0x0040 (SDM Vol. 3A, 10.1).
  CHECK(contains(out, "EIP=0000fff0 EFL=00000043 [---Z--C] CPL=0 II=0 A20=1 SMM=0 HLT=0\n"));
  CHECK(contains(out, "CS =f000 000f0000 0000ffff 00009b00\n"));  // real mode: no decoded suffix
  CHECK(contains(out, "GDT=     "));
  CHECK(contains(out, "CR0=60000010 CR2=00000000 CR3=00000000 CR4=00000000\n"));
  CHECK(contains(out, "FCW=0040 FSW=0000 [ST=0] FTW=00\n"));

  f.m.protected_flat32();
  out = mon.execute("info registers");
  CHECK(contains(out, "CS =0008 00000000 ffffffff 00cf9b00 DPL=0 CS32 [-RA]\n"));
  CHECK(contains(out, "SS =0010 00000000 ffffffff 00cf9300 DPL=0 DS   [-WA]\n"));
  CHECK(contains(out, "GDT=     00001000 000000ff\n"));
  CHECK(contains(out, "IDT=     00002000 000007ff\n"));
  CHECK(contains(out, "CR0=60000011"));
}

TEST_CASE("monitor: info cpus, info <device>, unknown commands") {
  FakeMachine f;
  Monitor mon(f);
  f.m.real_mode(0x07c0, 0x10);
  CHECK(mon.execute("info cpus") == "* CPU #0: pc=0x00007c10 (real, CPL 0)\n");
  f.m.cpu.s.halted = true;
  f.is_running = false;
  CHECK(mon.execute("info cpus") == "* CPU #0: pc=0x00007c10 (real, CPL 0) (halted) (stopped)\n");
  CHECK(mon.execute("info pic") == "master: IRR=00 ISR=00 IMR=ff\n");
  CHECK(contains(mon.execute("info"), "info pic"));
  CHECK(mon.execute("info tlbx") == "info: unknown topic 'tlbx' (try 'info')\n");
  CHECK(mon.execute("frobnicate 3") == "unknown command: 'frobnicate' (try 'help')\n");
  CHECK(mon.execute("   ") == "");
  CHECK(contains(mon.execute("help"), "xp /fmt addr"));
}

TEST_CASE("monitor: stop, cont, system_reset and quit reach the machine") {
  FakeMachine f;
  Monitor mon(f);
  CHECK(mon.execute("stop") == "");
  CHECK_FALSE(f.is_running);
  CHECK(mon.execute("cont") == "");
  CHECK(f.is_running);
  CHECK(mon.execute("system_reset") == "");
  CHECK(f.resets == 1);
  CHECK(mon.execute("quit") == "");
  CHECK(f.quits == 1);
}

TEST_CASE("monitor: x and xp dump memory in QEMU's formats") {
  FakeMachine f;
  Monitor mon(f);
  f.m.protected_flat32();
  f.m.write_bytes(0x3000, {0x41, 0x42, 0x0a, 0xff, 0x78, 0x56, 0x34, 0x12, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07,
                           0x08, 0x09, 0x0a});
  CHECK(mon.execute("x/4xb 0x3000") == "00003000: 0x41 0x42 0x0a 0xff\n");
  CHECK(mon.execute("x/2xw 0x3004") == "00003004: 0x12345678 0x04030201\n");
  CHECK(mon.execute("xp/1xg 0x3004") == "00003004: 0x0403020112345678\n");
  CHECK(mon.execute("x/4c 0x3000") == "00003000: 'A' 'B' '\\n' '\\xff'\n");
  CHECK(mon.execute("x/1db 0x3003") == "00003003:  -1\n");
  CHECK(mon.execute("x/1ub 0x3003") == "00003003: 255\n");
  CHECK(mon.execute("x/1ob 0x3003") == "00003003: 0377\n");
  // Eight byte-sized units per line, sixteen bytes per line otherwise.
  CHECK(mon.execute("x/10xb 0x3000") == "00003000: 0x41 0x42 0x0a 0xff 0x78 0x56 0x34 0x12\n00003008: 0x01 0x02\n");
  CHECK(mon.execute("x/5xw 0x3000") == "00003000: 0xff0a4241 0x12345678 0x04030201 0x08070605\n00003010: 0x00000a09\n");
  // The format and size are remembered; the count is not.
  CHECK(mon.execute("x/2xh 0x3000") == "00003000: 0x4241 0xff0a\n");
  CHECK(mon.execute("x 0x3004") == "00003004: 0x5678\n");
  CHECK(mon.execute("x /xw $esp-0x7d000") == "00003000: 0xff0a4241\n");  // ESP = 0x80000
  CHECK(mon.execute("x/2q 0x3000") == "invalid format character 'q' (formats x d u o c i, sizes b h w g)\n");
  CHECK(mon.execute("x/2x nowhere") == "invalid address 'nowhere'\n");
}

TEST_CASE("monitor: x reads linear addresses through paging, xp physical ones") {
  FakeMachine f;
  Monitor mon(f);
  f.m.protected_flat32();
  constexpr u32 kDir = 0x100000, kTable = 0x101000;
  for (u32 k = 0; k < 1024; ++k) f.m.write32(kTable + 4 * k, 0);
  f.m.write32(kTable + 4 * 5, 0x7000 | 3);  // linear 0x5000 -> physical 0x7000
  f.m.write32(kDir, kTable | 3);
  f.m.cpu.s.cr3 = kDir;
  f.m.cpu.s.cr0 |= cr0::PG;
  f.m.cpu.tlb_flush_all();
  f.m.write32(0x7000, 0xabcdef01);
  f.m.write32(0x5000, 0x11111111);
  CHECK(mon.execute("x/xw 0x5000") == "00005000: 0xabcdef01\n");
  CHECK(mon.execute("xp/xw 0x5000") == "00005000: 0x11111111\n");
  // A line is read whole: one that runs off the mapping is refused at its start.
  CHECK(mon.execute("x/2xw 0x5ffc") == "Cannot access memory at 0x00005ffc\n");
  CHECK(mon.execute("x/xw 0x6000") == "Cannot access memory at 0x00006000\n");
  CHECK((f.m.read32(kTable + 4 * 5) & 0x20) == 0);  // no Accessed bit from looking
}

TEST_CASE("monitor: x/i disassembles with Capstone in the current code size") {
  FakeMachine f;
  Monitor mon(f);
  f.m.real_mode(0, 0x7c00);
  f.m.write_bytes(0x7c00, {0xb8, 0x34, 0x12, 0xfa, 0xf4});
  CHECK(mon.execute("x/3i $pc") ==
        "0x00007c00:  b8 34 12              mov ax, 0x1234\n"
        "0x00007c03:  fa                    cli\n"
        "0x00007c04:  f4                    hlt\n");
  // 'w' asks for 32-bit code whatever the mode.
  CHECK(mon.execute("x/1iw 0x7c00").find("mov eax, 0xf4fa1234") != std::string::npos);
}

TEST_CASE("monitor: info sensitive counts the gated instructions per kind") {
  FakeMachine f;
  Monitor mon(f);
  f.m.protected_flat32();
  // PUSHF twice (once at ring 0), SGDT once, CLI (not gated: IOPL-checked only).
  f.m.run_asm("pushfd\n pushfd\n sgdt [0x6000]\n hlt");
  const std::string out = mon.execute("info sensitive");
  CHECK(contains(out, "outside ring 0"));
  CHECK(contains(out, "           2              0  sensitive, IOPL-sensitive PUSHFD"));
  CHECK(contains(out, "           1              0  sensitive              SGDT m"));
  CHECK(contains(out, "           1              0  privileged             HLT"));
  CHECK(contains(out, "           4              0  all "));
  CHECK_FALSE(contains(out, "LGDT"));
  CHECK(contains(mon.execute("info sensitive all"), "LGDT m16&32"));
}
