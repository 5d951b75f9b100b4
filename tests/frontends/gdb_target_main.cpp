// gdb_target: a TestMachine served by the gdb stub, for the end-to-end test with the real gdb
// (gdb_end_to_end.py) — and the smallest complete example of a machine loop driving GdbServer.
//
//   gdb_target tcp:127.0.0.1:0      prints "gdb_target: listening on port N", waits for gdb
//
// The guest starts in real mode at 0000:7C00, does some arithmetic, enters protected mode, turns
// paging on and jumps to linear 0x40000000 (physical 0x20000), where it counts ECX to 3, stores
// a word through the mapping and halts. Nothing can wake it then, so the run ends (gdb sees the
// target exit).
#include <cstdio>

#include "frontends/gdbstub/gdb_server.h"
#include "support/test_machine.h"

using namespace emu;
using namespace emu::gdb;
using emu::test::assemble;
using emu::test::TestMachine;

namespace {

constexpr const char* kBoot = R"(
start:
  mov ax, 0x1234
  mov bx, 0x5678
  add ax, bx
  cli
  lgdt [gdt_descriptor]
  mov eax, cr0
  or eax, 1
  mov cr0, eax
  jmp 0x08:protected
bits 32
protected:
  mov ax, 0x10
  mov ds, ax
  mov es, ax
  mov ss, ax
  mov esp, 0x90000
  mov eax, 0x100000
  mov cr3, eax
  mov eax, cr0
  or eax, 0x80000000
  mov cr0, eax
  jmp 0x08:0x40000000
align 8
gdt:
  dq 0
  dq 0x00CF9A000000FFFF
  dq 0x00CF92000000FFFF
gdt_descriptor:
  dw 23
  dd gdt
)";

constexpr const char* kPaged = R"(
  mov ecx, 0
count:
  inc ecx
  cmp ecx, 3
  jne count
  mov dword [0x40000800], 0xcafef00d
  hlt
)";

void build_guest(TestMachine& m) {
  m.real_mode(0, 0x7C00);
  m.write_bytes(0x7C00, assemble(kBoot, 16, 0x7C00));
  m.write_bytes(0x20000, assemble(kPaged, 32, 0x40000000));
  // Page directory at 1 MiB: the first 4 MiB identity-mapped, and linear 0x40000000 -> 0x20000.
  constexpr u32 kDir = 0x100000, kLow = 0x101000, kHigh = 0x102000;
  for (u32 k = 0; k < 1024; ++k) {
    m.write32(kLow + 4 * k, (k << 12) | 3);
    m.write32(kHigh + 4 * k, 0);
    m.write32(kDir + 4 * k, 0);
  }
  m.write32(kHigh, 0x20000 | 3);
  m.write32(kDir, kLow | 3);
  m.write32(kDir + 4 * (0x40000000u >> 22), kHigh | 3);
}

}  // namespace

int main(int argc, char** argv) {
  const std::string spec = argc > 1 ? argv[1] : "tcp::1234";
  TestMachine m;
  build_guest(m);

  GdbServer server(m.cpu, m.interp);
  std::string error;
  if (!server.listen(spec, error)) {
    std::fprintf(stderr, "gdb_target: %s\n", error.c_str());
    return 2;
  }
  std::printf("gdb_target: listening on port %u\n", server.port());
  std::fflush(stdout);
  server.wait_for_client();  // like -S: the machine stays stopped until gdb attaches

  // The machine loop. A real machine also advances its clock and services devices per slice.
  constexpr u64 kSlice = 10'000;
  GdbAction action = server.serve();
  for (;;) {
    switch (action) {
      case GdbAction::Kill: return 0;
      case GdbAction::Step:
        if (m.cpu.s.halted) {
          // A halted CPU executes nothing until an interrupt; this machine has none to give.
          server.report_exit(0);
          return 0;
        }
        // One instruction, with no interrupts taken (QEMU's default for gdb single-steps).
        m.interp.step();
        server.report_stop(GdbStop::Step);
        action = server.serve();
        break;
      case GdbAction::Detach:
      case GdbAction::Continue: {
        const StopReason why = m.interp.run(kSlice);
        if (why == StopReason::Breakpoint) {
          server.report_stop(GdbStop::Breakpoint);
          action = server.serve();
        } else if (why == StopReason::Halted || why == StopReason::TripleFault) {
          // Nothing can wake this CPU: the machine is over, and gdb hears that it exited.
          server.report_exit(why == StopReason::Halted ? 0 : 1);
          return 0;
        } else if (server.interrupt_requested()) {
          server.report_stop(GdbStop::Interrupted);
          action = server.serve();
        }
        break;
      }
    }
  }
}
