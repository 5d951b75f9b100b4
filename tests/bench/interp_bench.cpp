// Interpreter speed (issue 2's benchmark, not a test): guest MIPS on a register-ALU loop and on a
// memory-heavy loop, and the cost per instruction of straight-line code that runs once (decode +
// execute, the boot-time case). Targets from DESIGN §3: >= 150 MIPS hot, <= 2 us per cold insn.
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "support/test_machine.h"
#include "translator/jit/jit_compiler.h"

using namespace emu;
using emu::test::TestMachine;

namespace {

double seconds_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

struct Result {
  u64 instructions;
  double seconds;
};

// Which tier runs the programs: "interp", "jit" (hot blocks, background thread) or "force".
std::string g_tier = "interp";

Result run_program(const std::string& source) {
  TestMachine m;
  std::unique_ptr<jit::JitCompiler> compiler;
  if (g_tier != "interp") {
    jit::JitOptions o;
    o.force = g_tier == "force";
    if (std::getenv("EMU_JIT_DUMP")) o.dump = stderr;
    std::string error;
    compiler = jit::JitCompiler::create(o, error);
    if (!compiler) {
      std::fprintf(stderr, "%s\n", error.c_str());
      std::exit(1);
    }
    m.interp.set_compiler(compiler.get());
  }
  m.protected_flat32();
  m.write_bytes(TestMachine::kCodeBase, test::assemble(source, 32, TestMachine::kCodeBase));
  const auto t0 = std::chrono::steady_clock::now();
  while (m.run(1'000'000'000) != StopReason::Halted) {
  }
  return {m.cpu.counters.instructions, seconds_since(t0)};
}

}  // namespace

int main(int argc, char** argv) {
  const double scale = argc > 1 ? std::atof(argv[1]) : 1.0;
  if (argc > 2) g_tier = argv[2];
  const u64 instructions = static_cast<u64>(100'000'000 * (scale > 0 ? scale : 1.0));

  // 1. Register ALU loop: 6 instructions per iteration, flags consumed by the branch.
  const Result alu = run_program("mov ecx, " + std::to_string(instructions / 6) +
                                 "\n mov eax, 1\n mov ebx, 3\n mov edx, 0\n"
                                 "l: add eax, ebx\n xor edx, eax\n rol ebx, 1\n lea esi, [eax+edx*2]\n"
                                 " dec ecx\n jnz l\n hlt");
  // 2. Memory loop: sum and update a 64 KiB array, 7 instructions per iteration.
  const Result mem = run_program("mov ecx, " + std::to_string(instructions / 7) +
                                 "\n mov esi, 0x100000\n xor eax, eax\n xor edi, edi\n"
                                 "l: mov edx, [esi+edi*4]\n add eax, edx\n mov [esi+edi*4], eax\n"
                                 " inc edi\n and edi, 0x3FFF\n dec ecx\n jnz l\n hlt");
  // 3. Cold code: 200,000 distinct instructions executed once each (blocks of 16 ending in a
  //    jump, so block building dominates as it does at boot).
  std::string cold;
  const int cold_insns = 200'000;
  for (int k = 0; k < cold_insns / 16; ++k) {
    for (int j = 0; j < 15; ++j) {
      switch ((k + j) % 5) {
        case 0: cold += " add eax, " + std::to_string(k * 16 + j) + "\n"; break;
        case 1: cold += " mov [0x200000+" + std::to_string((j * 4) % 4096) + "], eax\n"; break;
        case 2: cold += " xor ebx, eax\n"; break;
        case 3: cold += " lea ecx, [ebx+eax*2+" + std::to_string(j) + "]\n"; break;
        default: cold += " sub edx, ecx\n"; break;
      }
    }
    cold += " jmp c" + std::to_string(k) + "\nc" + std::to_string(k) + ":\n";
  }
  cold += " hlt\n";
  const Result once = run_program(cold);

  const double alu_mips = alu.instructions / alu.seconds / 1e6;
  const double mem_mips = mem.instructions / mem.seconds / 1e6;
  const double cold_us = once.seconds / once.instructions * 1e6;
  std::printf("tier benchmark (%s)\n", g_tier.c_str());
  std::printf("  register ALU loop : %8.1f MIPS  (%llu instructions, %.2f s)   target >= 150 MIPS\n", alu_mips,
              static_cast<unsigned long long>(alu.instructions), alu.seconds);
  std::printf("  memory loop       : %8.1f MIPS  (%llu instructions, %.2f s)   target >= 150 MIPS\n", mem_mips,
              static_cast<unsigned long long>(mem.instructions), mem.seconds);
  std::printf("  code run once     : %8.3f us per instruction (%llu instructions) target <= 2 us\n", cold_us,
              static_cast<unsigned long long>(once.instructions));
  return 0;
}
