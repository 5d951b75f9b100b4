// The gdb stub against a TestMachine: register layout (gdb's i386/32bit-core.xml), memory through
// the guest's page tables without side effects, breakpoints at linear addresses in real and
// protected mode, single-step, and whole sessions through an in-memory connection.
#include "frontends/gdbstub/gdb_server.h"

#include <doctest/doctest.h>

#include <cstring>
#include <utility>

#include "frontends/gdbstub/debug_memory.h"
#include "frontends/gdbstub/gdb_registers.h"
#include "support/test_machine.h"

using namespace emu;
using namespace emu::gdb;
using emu::test::assemble;
using emu::test::TestMachine;

namespace {

// A client that sends what the test queued and records what the server wrote. The record lives
// in the Session, so it outlives the connection the server drops on detach.
struct ScriptedConnection : GdbConnection {
  std::string input;
  std::string* output = nullptr;
  bool write(std::string_view bytes) override {
    *output += bytes;
    return true;
  }
  bool read(std::string& out, bool wait) override {
    if (input.empty()) return !wait;  // waiting on an empty script: the client has gone
    out += input;
    input.clear();
    return true;
  }
};

struct Session {
  TestMachine m;
  GdbServer server{m.cpu, m.interp};
  ScriptedConnection* client = nullptr;
  std::string output;
  Session() {
    auto c = std::make_unique<ScriptedConnection>();
    c->output = &output;
    client = c.get();
    server.attach(std::move(c));
  }
  void send(const std::string& packet) { client->input += frame(packet); }
  std::string take_output() { return std::exchange(output, {}); }
  // The reply data of a single packet, through handle_packet.
  std::string ask(const std::string& packet) {
    std::optional<GdbAction> action;
    return server.handle_packet(packet, action);
  }
};

constexpr u32 kPageDir = 0x100000, kPageTable = 0x101000;

// Maps linear 0x40000000-0x40000FFF to physical 0x200000 and identity-maps the first 4 MiB
// except that page, then turns paging on.
void enable_paging(TestMachine& m) {
  for (u32 k = 0; k < 1024; ++k) m.write32(kPageTable + 4 * k, (k << 12) | 3);
  m.write32(kPageDir, kPageTable | 3);
  m.write32(kPageDir + 4 * (0x40000000u >> 22), 0x102000 | 3);
  for (u32 k = 0; k < 1024; ++k) m.write32(0x102000 + 4 * k, 0);
  m.write32(0x102000, 0x200000 | 3);  // not accessed, not dirty
  m.cpu.s.cr3 = kPageDir;
  m.cpu.s.cr0 |= cr0::PG;
  m.cpu.tlb_flush_all();
}

u32 le32(const std::string& hex, std::size_t byte_offset) {
  const auto bytes = from_hex(std::string_view(hex).substr(byte_offset * 2, 8));
  REQUIRE(bytes);
  return (*bytes)[0] | (*bytes)[1] << 8 | (*bytes)[2] << 16 | u32{(*bytes)[3]} << 24;
}

}  // namespace

TEST_CASE("gdbstub: the g packet follows gdb's i386 core layout") {
  Session s;
  s.m.protected_flat32(0x12345);
  for (unsigned r = 0; r < 8; ++r) s.m.cpu.s.gpr[r] = 0x11111111u * (r + 1);
  s.m.cpu.s.fpu.control = 0x027F;
  const std::string g = s.ask("g");
  CHECK(g.size() == 2 * (16 * 4 + 8 * 10 + 8 * 4));
  CHECK(le32(g, 0) == 0x11111111u);    // eax
  CHECK(le32(g, 4) == 0x22222222u);    // ecx
  CHECK(le32(g, 12) == 0x44444444u);   // ebx (ModRM order: eax ecx edx ebx)
  CHECK(le32(g, 32) == 0x12345u);      // eip
  CHECK(le32(g, 36) == 0x2u);          // eflags
  CHECK(le32(g, 40) == 0x08u);         // cs
  CHECK(le32(g, 44) == 0x10u);         // ss
  CHECK(le32(g, 64 + 80) == 0x027Fu);  // fctrl after st0-st7

  // G writes back; changed values take effect.
  std::string changed = g;
  changed.replace(0, 8, "efbeadde");  // eax = 0xdeadbeef
  CHECK(s.ask(std::string("G") + changed) == "OK");
  CHECK(s.m.cpu.s.gpr[EAX] == 0xdeadbeefu);
  CHECK(s.ask("Gzz") == "E01");
}

TEST_CASE("gdbstub: p and P reach single registers, including the system feature") {
  Session s;
  s.m.protected_flat32();
  s.m.cpu.s.cr3 = 0x5000;
  CHECK(s.ask("p8") == "00000100");  // eip = 0x10000, little-endian
  CHECK(s.ask("P8=007c0000") == "OK");
  CHECK(s.m.cpu.s.eip == 0x7c00u);
  CHECK(s.ask("p22") == "00500000");  // cr3 (register 34)
  CHECK(s.ask("p24") == "00000000");  // cs_base
  CHECK(s.ask("p2a") == "00100000");  // gdtr_base = 0x1000
  CHECK(s.ask("p30") == "00000000");  // cpl
  // Derived registers are shown, not set; rewriting the same value is accepted.
  CHECK(s.ask("P24=00100000") == "E01");
  CHECK(s.ask("P24=00000000") == "OK");
  // A control register is set as MOV CRn would; an invalid value is refused with nothing pending.
  CHECK(s.ask("P23=00100000") == "E01");  // CR4 bit 12 is not implemented
  CHECK_FALSE(s.m.cpu.pending.active);
  CHECK(s.ask("p99") == "E01");
  // st0: the 80-bit value of ST(0).
  s.m.cpu.s.fpu.regs[0] = 1.0L;
  CHECK(s.ask("p10") == "0000000000000080ff3f");
}

TEST_CASE("gdbstub: segment writes load the descriptor without side effects") {
  Session s;
  s.m.real_mode(0x07c0, 0);
  CHECK(s.ask("Pc=34120000") == "OK");  // ds (register 12) in real mode: base = selector * 16
  CHECK(s.m.cpu.s.sreg(Seg::DS).base == 0x12340u);

  s.m.protected_flat32();
  s.m.set_gdt_entry(0x38, TestMachine::descriptor(0, 0xFFFF, 0x0092));  // 16-bit data, not accessed
  const u32 gdt_word = s.m.read32(TestMachine::kGdtBase + 0x38 + 4);
  CHECK(s.ask("Pc=38000000") == "OK");
  CHECK(s.m.cpu.s.sreg(Seg::DS).selector == 0x38);
  CHECK(s.m.cpu.s.sreg(Seg::DS).limit == 0xFFFFu);
  CHECK(s.m.read32(TestMachine::kGdtBase + 0x38 + 4) == gdt_word);  // accessed bit untouched
  CHECK(s.ask("Pa=18000000") == "E01");                             // CS carries the CPL: refused
  CHECK(s.ask("Pc=00010000") == "E01");                             // beyond the GDT limit
  CHECK(s.ask("Pc=00000000") == "OK");                              // a null selector is fine in DS
  CHECK_FALSE(s.m.cpu.s.sreg(Seg::DS).usable);
}

TEST_CASE("gdbstub: target.xml describes the i386 core and the system registers") {
  const std::string& xml = target_xml();
  CHECK(xml.find("<architecture>i386</architecture>") != std::string::npos);
  CHECK(xml.find("org.gnu.gdb.i386.core") != std::string::npos);
  CHECK(xml.find("name=\"eip\" bitsize=\"32\" type=\"code_ptr\" regnum=\"8\"") != std::string::npos);
  CHECK(xml.find("name=\"st7\" bitsize=\"80\" type=\"i387_ext\" regnum=\"23\"") != std::string::npos);
  CHECK(xml.find("name=\"fop\" bitsize=\"32\" type=\"int\" regnum=\"31\"") != std::string::npos);
  CHECK(xml.find("name=\"cr3\" bitsize=\"32\" type=\"int32\" regnum=\"34\"") != std::string::npos);
  CHECK(xml.find("name=\"cs_base\"") != std::string::npos);

  CHECK(target_xml(true).find("<architecture>i8086</architecture>") != std::string::npos);

  Session s;
  s.m.protected_flat32();
  const std::string first = s.ask("qXfer:features:read:target.xml:0,40");
  CHECK(first == std::string("m") + xml.substr(0, 0x40));
  const std::string last = s.ask("qXfer:features:read:target.xml:10,ffff");
  CHECK(last == std::string("l") + xml.substr(0x10));
  CHECK(s.ask("qXfer:features:read:other.xml:0,10") == "E00");
  // Attaching to 16-bit code: gdb is told i8086, so it disassembles 16-bit instructions.
  s.m.real_mode();
  CHECK(s.ask("qXfer:features:read:target.xml:0,ffff") == std::string("l") + target_xml(true));
}

TEST_CASE("gdbstub: memory is read and written at linear addresses through the page tables") {
  Session s;
  s.m.protected_flat32();
  enable_paging(s.m);
  s.m.write_bytes(0x200000, {0xde, 0xad, 0xbe, 0xef});
  const u32 cr2 = s.m.cpu.s.cr2;

  CHECK(s.ask("m40000000,4") == "deadbeef");
  // The walk set no Accessed bit, raised no #PF, left CR2 alone.
  CHECK((s.m.read32(0x102000) & 0x60) == 0);
  CHECK((s.m.read32(kPageDir + 4 * 256) & 0x20) == 0);
  CHECK_FALSE(s.m.cpu.pending.active);
  CHECK(s.m.cpu.s.cr2 == cr2);
  // Unmapped: E14. A read that runs off the mapping returns the part that was readable.
  CHECK(s.ask("m40001000,4") == "E14");
  CHECK(s.ask("m40000ffe,4").size() == 4);

  CHECK(s.ask("M40000001,2:1234") == "OK");
  CHECK(s.m.read32(0x200000) == 0xef3412deu);
  CHECK((s.m.read32(0x102000) & 0x40) == 0);  // no Dirty bit either
  CHECK(s.ask("M40001000,1:00") == "E14");
  // X: binary data with escapes ('}' 0x5d = '}' ^ 0x20 is '#').
  CHECK(s.ask("X40000000,2:}\x03"
              "a") == "OK");
  CHECK(s.m.read8(0x200000) == '#');
  CHECK(s.m.read8(0x200001) == 'a');
  CHECK(s.ask("X40000000,0:") == "OK");
  CHECK(s.ask("M40000000,2:12") == "E01");  // length mismatch
}

TEST_CASE("gdbstub: a write over translated code drops the translation") {
  TestMachine m;
  m.protected_flat32();
  m.run_asm("mov eax, 1\n hlt");
  CHECK(m.cpu.s.gpr[EAX] == 1);
  // Patch the immediate through the debugger and run the same code again.
  const u8 two = 2;
  REQUIRE(debug::write_linear(m.cpu, TestMachine::kCodeBase + 1, &two, 1));
  m.cpu.s.eip = TestMachine::kCodeBase;
  m.cpu.s.halted = false;
  m.run();
  CHECK(m.cpu.s.gpr[EAX] == 2);
}

TEST_CASE("gdbstub: device windows are read only when the caller allows it") {
  struct Counter : MmioHandler {
    unsigned reads = 0;
    u32 mmio_read(u32, unsigned) override { return ++reads, 0x5A; }
    void mmio_write(u32, unsigned, u32) override {}
  } device;
  TestMachine m;
  m.bus.map_mmio(0xA0000, 0x1000, &device);
  u8 b = 0;
  CHECK(debug::read_physical(m.bus, 0xA0000, &b, 1) == 0);
  CHECK(device.reads == 0);
  CHECK(debug::read_physical(m.bus, 0xA0000, &b, 1, debug::DeviceAccess::Allow) == 1);
  CHECK(b == 0x5A);
  CHECK_FALSE(debug::write_physical(m.bus, 0xA0000, &b, 1));
  CHECK(debug::read_physical(m.bus, 0xFFFF0000u, &b, 1) == 0);  // nothing there
}

TEST_CASE("gdbstub: interpreter breakpoints stop before the instruction, in real mode") {
  TestMachine m;
  m.real_mode(0x07c0, 0);  // CS.base 0x7c00: linear = 0x7c00 + IP
  const auto code = assemble("mov ax, 1\n mov bx, 2\n mov cx, 3\n hlt", 16, 0);
  m.write_bytes(0x7c00, code);
  std::unordered_set<u32> breakpoints{0x7c00 + 3};  // mov bx, 2
  m.interp.set_breakpoints(&breakpoints);
  CHECK(m.run() == StopReason::Breakpoint);
  CHECK(m.cpu.s.eip == 3);
  CHECK(m.cpu.s.gpr[EAX] == 1);
  CHECK(m.cpu.s.gpr[EBX] == 0);
  // Resuming at the breakpoint executes it.
  CHECK(m.run() == StopReason::Halted);
  CHECK(m.cpu.s.gpr[ECX] == 3);
  m.interp.set_breakpoints(nullptr);
}

TEST_CASE("gdbstub: breakpoints compare CS.base + EIP in protected mode, and mid-block") {
  TestMachine m;
  m.protected_flat32();
  // A code segment based at 0x10000: EIP 0x100 is linear 0x10100.
  m.set_gdt_entry(0x38, TestMachine::descriptor(0x10000, 0xFFFF, 0x409B));
  u64 d;
  REQUIRE(m.cpu.read_descriptor(0x38, d));
  m.cpu.s.sreg(Seg::CS) = Cpu::cache_from_descriptor(0x38, d);
  m.cpu.s.eip = 0x100;
  const auto code = assemble("mov eax, 1\n mov ebx, 2\n loop:\n inc ecx\n cmp ecx, 5\n jne loop\n hlt", 32, 0x100);
  m.write_bytes(0x10100, code);
  std::unordered_set<u32> breakpoints{0x10100 + 10};  // inc ecx, the loop head
  m.interp.set_breakpoints(&breakpoints);
  for (u32 round = 0; round < 5; ++round) {
    CHECK(m.run() == StopReason::Breakpoint);
    CHECK(m.cpu.s.eip == 0x10au);
    CHECK(m.cpu.s.gpr[ECX] == round);
  }
  CHECK(m.run() == StopReason::Halted);
  CHECK(m.cpu.s.gpr[ECX] == 5);
  // EIP 0x10a is not a breakpoint by itself: the linear address is what counts.
  breakpoints = {0x10a};
  m.cpu.s.eip = 0x100;
  m.cpu.s.halted = false;
  m.cpu.s.gpr[ECX] = 0;
  CHECK(m.run() == StopReason::Halted);
  m.interp.set_breakpoints(nullptr);
}

TEST_CASE("gdbstub: a session: attach, break, continue to the breakpoint, step, detach") {
  Session s;
  s.m.protected_flat32();
  const auto code = assemble("mov eax, 1\n mov ebx, 2\n mov ecx, 3\n hlt", 32, TestMachine::kCodeBase);
  s.m.write_bytes(TestMachine::kCodeBase, code);

  s.send("qSupported:multiprocess+;swbreak+;hwbreak+");
  s.send("?");
  s.send("Z0,1000a,1");  // mov ecx, 3
  s.send("vCont;c");
  CHECK(s.server.serve() == GdbAction::Continue);
  const std::string out = s.take_output();
  CHECK(out.find("+$PacketSize=4000;qXfer:features:read+;swbreak+;hwbreak+") != std::string::npos);
  CHECK(out.find(frame("T05thread:01;")) != std::string::npos);  // `?` on attach: SIGTRAP
  CHECK(out.find(frame("OK")) != std::string::npos);
  CHECK(s.server.breakpoints().contains(0x1000a));

  CHECK(s.m.run() == StopReason::Breakpoint);
  s.server.report_stop(GdbStop::Breakpoint);
  CHECK(s.take_output() == frame("T05thread:01;swbreak:;"));
  CHECK(s.m.cpu.s.eip == 0x1000au);

  s.send("s");
  CHECK(s.server.serve() == GdbAction::Step);
  s.m.interp.step();
  s.server.report_stop(GdbStop::Step);
  CHECK(s.take_output() == std::string("+") + frame("T05thread:01;"));
  CHECK(s.m.cpu.s.gpr[ECX] == 3);

  s.send("D");
  CHECK(s.server.serve() == GdbAction::Detach);
  CHECK(s.take_output() == std::string("+") + frame("OK"));
  CHECK_FALSE(s.server.connected());
  CHECK(s.server.breakpoints().empty());
}

TEST_CASE("gdbstub: Ctrl-C while running stops with SIGINT; bad checksums are NAKed") {
  Session s;
  s.m.protected_flat32();
  s.send("c");
  CHECK(s.server.serve() == GdbAction::Continue);
  s.take_output();
  CHECK_FALSE(s.server.interrupt_requested());
  s.client->input += char{3};  // Ctrl-C
  CHECK(s.server.interrupt_requested());
  s.server.report_stop(GdbStop::Interrupted);
  CHECK(s.take_output() == frame("T02thread:01;"));

  s.client->input = "$g#00";  // wrong checksum
  s.send("k");
  CHECK(s.server.serve() == GdbAction::Kill);
  CHECK(s.take_output() == "-+");
}

TEST_CASE("gdbstub: QStartNoAckMode ends acks after its own reply; a NAK resends") {
  Session s;
  s.send("qC");
  s.client->input += "-";
  s.send("QStartNoAckMode");
  s.send("qAttached");
  s.send("vCont?");
  s.send("Z2,1000,4");  // watchpoints: not supported
  s.send("qfThreadInfo");
  s.send("vCont;s:1;c");
  CHECK(s.server.serve() == GdbAction::Step);
  CHECK(s.take_output() == std::string("+") + frame("QC01") + frame("QC01") + std::string("+") + frame("OK") +
                               frame("1") + frame("vCont;c;C;s;S") + frame("") + frame("m01"));
}

TEST_CASE("gdbstub: a client that goes away detaches the machine") {
  Session s;
  s.send("Z1,7c00,1");
  CHECK(s.server.serve() == GdbAction::Detach);  // the script ran out: the client has gone
  CHECK_FALSE(s.server.connected());
  CHECK(s.server.breakpoints().empty());
  CHECK_FALSE(s.server.interrupt_requested());
}

TEST_CASE("gdbstub: the TCP listener accepts a client on a chosen port and rejects bad specs") {
  std::string error;
  CHECK_FALSE(TcpGdbListener::open("udp::1234", error));
  CHECK_FALSE(error.empty());
  CHECK_FALSE(TcpGdbListener::open("tcp::99999", error));
  CHECK_FALSE(TcpGdbListener::open("tcp::12ab", error));
  auto listener = TcpGdbListener::open("tcp::0", error);
  REQUIRE(listener);
  CHECK(listener->port() != 0);
  CHECK_FALSE(listener->accept(false));  // nobody yet

  TestMachine m;
  GdbServer server(m.cpu, m.interp);
  REQUIRE(server.listen("tcp:127.0.0.1:0", error));
  CHECK_FALSE(server.interrupt_requested());
}
