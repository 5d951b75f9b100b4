// Tier 1 against tier 0: random straight-line programs over the integer instruction forms run
// once in the interpreter and once with every block compiled by the JIT (force mode), from the
// same state; registers, EFLAGS, EIP, the retired-instruction count and the memory they touch
// must be identical (DESIGN §3: both tiers agree bit for bit).
#include <doctest/doctest.h>

#include <random>

#include "support/test_machine.h"

using namespace emu;
using emu::test::TestMachine;

namespace {

constexpr u32 kData = 0x200000;  // EBX points here; memory operands stay within 4 KiB of it

// One random instruction in nasm syntax. Registers EBX (data pointer) and ESP are left alone.
std::string random_instruction(std::mt19937& rng, int label) {
  static const char* const regs32[] = {"eax", "ecx", "edx", "esi", "edi", "ebp"};
  static const char* const regs8[] = {"al", "cl", "dl", "ah", "ch", "dh"};
  static const char* const regs16[] = {"ax", "cx", "dx", "si", "di", "bp"};
  static const char* const alu[] = {"add", "sub", "adc", "sbb", "and", "or", "xor", "cmp", "test"};
  static const char* const shifts[] = {"shl", "shr", "sar", "rol", "ror", "rcl", "rcr"};
  static const char* const cc[] = {"o", "no", "b", "ae", "e", "ne", "be", "a",
                                   "s", "ns", "p", "np", "l", "ge", "le", "g"};
  auto pick = [&](auto& table) { return std::string(table[rng() % std::size(table)]); };
  auto imm = [&] { return std::to_string(static_cast<int32_t>(rng())); };
  auto mem = [&](const char* size) { return std::string(size) + " [ebx+" + std::to_string((rng() % 1000) * 4) + "]"; };
  switch (rng() % 22) {
    case 0: return pick(alu) + " " + pick(regs32) + ", " + pick(regs32);
    case 1: return pick(alu) + " " + pick(regs32) + ", " + imm();
    case 2: return pick(alu) + " " + pick(regs32) + ", " + mem("dword");
    case 3: return (rng() % 2 ? "add " : "xor ") + mem("dword") + ", " + pick(regs32);
    case 4: return pick(alu) + " " + pick(regs8) + ", " + pick(regs8);
    case 5: return pick(alu) + " " + pick(regs16) + ", " + std::to_string(rng() & 0xFFFF);
    case 6: return std::string(rng() % 2 ? "inc " : "dec ") + pick(regs32);
    case 7: return std::string(rng() % 2 ? "neg " : "not ") + pick(regs32);
    case 8: return pick(shifts) + " " + pick(regs32) + ", " + std::to_string(rng() % 33);
    case 9: return pick(shifts) + " " + pick(regs8) + ", cl";
    case 10: return std::string(rng() % 2 ? "mul " : "imul ") + pick(regs32);
    case 11: return "imul " + pick(regs32) + ", " + pick(regs32) + ", " + imm();
    case 12: return std::string(rng() % 2 ? "movzx " : "movsx ") + pick(regs32) + ", " + pick(regs8);
    case 13:
      return "lea " + pick(regs32) + ", [" + pick(regs32) + "+" + pick(regs32) + "*4+" + std::to_string(rng() % 4096) +
             "]";
    case 14: return "set" + pick(cc) + " " + pick(regs8);
    case 15: return "cmov" + pick(cc) + " " + pick(regs32) + ", " + pick(regs32);
    case 16: return std::string(rng() % 2 ? "bts " : "btc ") + pick(regs32) + ", " + std::to_string(rng() % 32);
    case 17: return std::string(rng() % 2 ? "bsf " : "bsr ") + pick(regs32) + ", " + pick(regs32);
    case 18: return "push " + pick(regs32) + "\n pop " + pick(regs32);
    case 19: return "mov " + mem("dword") + ", " + pick(regs32) + "\n mov " + pick(regs32) + ", " + mem("dword");
    case 20: {  // a conditional branch: the block ends, and which way it goes depends on the flags
      const std::string l = "skip" + std::to_string(label);
      return "j" + pick(cc) + " " + l + "\n not " + pick(regs32) + "\n" + l + ":";
    }
    default:
      return "lea esi, [ebx+" + std::to_string(rng() % 512) + "]\n lea edi, [ebx+" +
             std::to_string(2048 + rng() % 512) + "]\n mov ecx, " + std::to_string(rng() % 40) + "\n cld\n rep movsb";
  }
}

struct Outcome {
  u32 gpr[8];
  u32 eip;
  u32 eflags;
  u64 instructions;
  std::vector<u8> data;
};

// What a run left: the registers, the retired count and the data page.
Outcome outcome(TestMachine& m) {
  Outcome o;
  std::copy(std::begin(m.cpu.s.gpr), std::end(m.cpu.s.gpr), o.gpr);
  o.eip = m.cpu.s.eip;
  o.eflags = m.cpu.s.flags.value();
  o.instructions = m.cpu.counters.instructions;
  o.data.assign(m.bus.ram() + kData, m.bus.ram() + kData + 4096);
  return o;
}

Outcome run(const std::vector<u8>& code, const u32 (&regs)[8], jit::JitCompiler* compiler,
            DispatchState* dispatch = nullptr, InterpreterStats* stats = nullptr) {
  TestMachine m;
  m.interp.set_compiler(compiler);
  m.protected_flat32();
  m.set_gdt_entry(0x38, TestMachine::descriptor(0x100, 0xFFFFF, 0xC093));  // data, 4 GiB, based at 0x100
  m.set_gdt_entry(0x40, TestMachine::descriptor(0, 0xFFFFF, 0x8093));      // flat data, B = 0: a 16-bit stack
  for (u32 k = 0; k < 4096; k += 4) m.write32(kData + k, k * 2654435761u);
  for (int r = 0; r < 8; ++r)
    if (r != ESP) m.cpu.s.gpr[r] = regs[r];
  m.cpu.s.gpr[EBX] = kData;
  m.write_bytes(TestMachine::kCodeBase, code);
  m.run(100'000);
  Outcome o = outcome(m);
  if (dispatch) *dispatch = m.interp.dispatch_state();
  if (stats) *stats = m.interp.stats();
  return o;
}

void check_same(const Outcome& interpreted, const Outcome& compiled) {
  for (int r = 0; r < 8; ++r) CHECK(interpreted.gpr[r] == compiled.gpr[r]);
  CHECK(interpreted.eip == compiled.eip);
  CHECK(interpreted.eflags == compiled.eflags);
  CHECK(interpreted.instructions == compiled.instructions);
  CHECK(interpreted.data == compiled.data);
}

// A loop of several blocks on one page: a branch inside, a call to a function and its return,
// and a memory operand. Compiled on the CPU thread once a block has run 50 times, so the
// blocks that followed it are linked and hot and form a region.
const char* const kRegionLoop = R"(
  mov ecx, 3000
top:
  test ecx, 1
  jz even
  add eax, ecx
  call twice
  jmp next
even:
  xor edx, ecx
  add [ebx+8], edx
next:
  dec ecx
  jnz top
  hlt
twice:
  lea esi, [esi+eax*2]
  ret
)";

std::unique_ptr<jit::JitCompiler> synchronous_compiler(u32 threshold, u32 reform = 0) {
  jit::JitOptions options;
  options.synchronous = true;
  options.threshold = threshold;
  options.reform = reform;
  std::string error;
  auto compiler = jit::JitCompiler::create(options, error);
  REQUIRE_MESSAGE(compiler, error);
  return compiler;
}

}  // namespace

TEST_CASE("jit: compiled blocks agree with the interpreter on random integer programs") {
  jit::JitOptions options;
  options.force = true;
  std::string error;
  const auto compiler = jit::JitCompiler::create(options, error);
  REQUIRE_MESSAGE(compiler, error);
  std::mt19937 rng(20261206);
  const int programs = 60;
  for (int p = 0; p < programs; ++p) {
    std::string source;
    for (int k = 0; k < 24; ++k) source += " " + random_instruction(rng, k) + "\n";
    source += " hlt\n";
    u32 regs[8];
    for (u32& r : regs) r = rng();
    const std::vector<u8> code = test::assemble(source, 32, TestMachine::kCodeBase);
    const Outcome interpreted = run(code, regs, nullptr);
    const Outcome compiled = run(code, regs, compiler.get());
    INFO("program ", p, ":\n", source);
    check_same(interpreted, compiled);
  }
  const jit::JitCounters c = compiler->counters();
  CHECK(c.failures == 0);
  CHECK(c.blocks_compiled >= static_cast<u64>(programs));
}

TEST_CASE("jit: a region of several blocks (branch, call, return) agrees with the interpreter") {
  const auto compiler = synchronous_compiler(50);
  const std::vector<u8> code = test::assemble(kRegionLoop, 32, TestMachine::kCodeBase);
  const u32 regs[8] = {1, 2, 3, 4, 5, 6, 7, 8};
  DispatchState dispatch;
  const Outcome interpreted = run(code, regs, nullptr);
  const Outcome compiled = run(code, regs, compiler.get(), &dispatch);
  check_same(interpreted, compiled);
  CHECK(compiled.instructions > 20'000);  // ran to its HLT
  const jit::JitCounters c = compiler->counters();
  CHECK(c.failures == 0);
  CHECK(c.regions >= 1);
  CHECK(c.region_blocks >= 3);
  // Most block-to-block steps happened inside a region's function.
  CHECK(dispatch.region_transitions > 5'000);
}

TEST_CASE("jit: blocks entered often from other compiled code are compiled again as one region") {
  // A loop of ten blocks calls one function from three places. When the loop head becomes hot
  // its region takes the first eight blocks it reaches; the rest become hot later and are
  // compiled alone, and then go from function to function. A block entered 500 times that way
  // gets a region of its own formed around it, which follows the links both ways (from the
  // function back to its call sites and on to every return site) and holds the whole loop.
  const char* const source = R"(
  mov ecx, 3000
top:
  call f
  add eax, 1
  jmp a1
a1:
  call f
  xor edx, eax
  jmp a2
a2:
  call f
  add edx, ecx
  jmp a3
a3:
  test ecx, 1
  jz a4
  add [ebx+8], edx
a4:
  dec ecx
  jnz top
  hlt
f:
  lea esi, [esi+eax*2]
  ret
)";
  const auto compiler = synchronous_compiler(50, 500);
  const std::vector<u8> code = test::assemble(source, 32, TestMachine::kCodeBase);
  const u32 regs[8] = {1, 2, 3, 4, 5, 6, 7, 8};
  DispatchState dispatch;
  InterpreterStats stats;
  const Outcome interpreted = run(code, regs, nullptr);
  const Outcome compiled = run(code, regs, compiler.get(), &dispatch, &stats);
  check_same(interpreted, compiled);
  CHECK(compiled.instructions > 40'000);  // ran to its HLT
  const jit::JitCounters c = compiler->counters();
  CHECK(c.failures == 0);
  CHECK(stats.regions_reformed >= 1);
  CHECK(c.region_blocks >= 8 + 10);  // the first region, and the one formed again
  // After that, nearly every step from block to block stays inside the new region's function.
  CHECK(dispatch.region_transitions > 10 * dispatch.chained_transitions);
}

namespace {

// For a loop that changes, halfway, what its region's code was compiled for (EntryAssumptions):
// the compiled run agrees with the interpreted one, its code refused to run once the state had
// changed, and the loop was compiled again for the new state (most of it then ran compiled).
Outcome run_with_changed_entry_state(const char* source) {
  const auto compiler = synchronous_compiler(50);
  const std::vector<u8> code = test::assemble(source, 32, TestMachine::kCodeBase);
  const u32 regs[8] = {1, 2, 3, 4, 5, 6, 7, 8};
  InterpreterStats stats;
  const Outcome interpreted = run(code, regs, nullptr);
  const Outcome compiled = run(code, regs, compiler.get(), nullptr, &stats);
  check_same(interpreted, compiled);
  CHECK(stats.refused_entries >= Interpreter::kMaxRefusals);
  CHECK(stats.compiled_instructions > stats.interpreted_instructions);
  CHECK(compiler->counters().failures == 0);
  return compiled;
}

}  // namespace

TEST_CASE("jit: code compiled for flat data segments refuses to run once DS has a base") {
  // The loop's region is compiled for the CPU as it is when it becomes hot, DS flat with base 0
  // (EntryAssumptions), so its memory operands use neither. Halfway, a block of its own loads DS
  // with a descriptor based at 0x100: the region's code refuses to run, the loop is interpreted,
  // and after a few refusals compiled again for the new DS.
  const char* const source = R"(
  mov ecx, 3000
top:
  cmp ecx, 1500
  jne body
  mov dx, 0x38
  mov ds, dx
body:
  add eax, [ebx+8]
  add [ebx+12], eax
  dec ecx
  jnz top
  hlt
)";
  const Outcome compiled = run_with_changed_entry_state(source);
  CHECK(compiled.instructions > 10'000);  // ran to its HLT
}

TEST_CASE("jit: code compiled for a 32-bit stack refuses to run once SS is a 16-bit stack segment") {
  // EntryAssumptions hold SS's attributes too, so a region's pushes and pops use ESP without
  // testing SS.B. Halfway, SS is loaded with a flat segment whose B flag is clear: a push then
  // writes at SP (0x00FC), not ESP (0x700FC), which the loop reads back into EDI.
  const char* const source = R"(
  mov ecx, 3000
  mov esp, 0x70100
top:
  cmp ecx, 1500
  jne body
  mov dx, 0x40
  mov ss, dx
body:
  push ecx
  add edi, [0xFC]
  pop edx
  dec ecx
  jnz top
  hlt
)";
  const Outcome compiled = run_with_changed_entry_state(source);
  CHECK(compiled.gpr[EDI] == 8 + 1500 * 1501 / 2);  // each push of the second half went to SP
}

TEST_CASE("jit: a region whose member is rewritten mid-loop runs the new code, as the interpreter does") {
  // After 2,000 iterations the loop patches the immediate of an instruction in another of its
  // blocks: the region, compiled long before, must be dropped at once.
  const char* const source = R"(
  mov ecx, 3000
top:
  cmp ecx, 1000
  jne body
  mov byte [patch+2], 7
body:
  test ecx, 1
  jz next
patch:
  add eax, 1
next:
  dec ecx
  jnz top
  hlt
)";
  const auto compiler = synchronous_compiler(50);
  const std::vector<u8> code = test::assemble(source, 32, TestMachine::kCodeBase);
  const u32 regs[8] = {};
  const Outcome interpreted = run(code, regs, nullptr);
  const Outcome compiled = run(code, regs, compiler.get());
  check_same(interpreted, compiled);
  CHECK(interpreted.gpr[EAX] == 1000 + 500 * 7);
  CHECK(compiler->counters().regions >= 1);
}

namespace {

// An interrupt controller for the test below: an OUT of an odd value to port 0x80 raises INTR,
// the INTA cycle lowers it and answers vector 0x40. OUT does not end a block, so compiled code
// learns of INTR rising only through the CPU's attention word (Cpu::attention).
class DoorbellController final : public InterruptController, public PortHandler {
 public:
  u8 acknowledge() override {
    drive_intr(false);
    return 0x40;
  }
  u32 port_read(u16, unsigned) override { return 0xFF; }
  void port_write(u16, unsigned, u32 value) override {
    if (value & 1) drive_intr(true);
  }
};

Outcome run_with_interrupts(const std::vector<u8>& code, jit::JitCompiler* compiler, u32 handler) {
  TestMachine m;
  m.interp.set_compiler(compiler);
  m.protected_flat32();
  DoorbellController doorbell;
  m.bus.map_ports(0x80, 1, &doorbell);
  m.cpu.pic = &doorbell;
  doorbell.set_attention_word(&m.cpu.attention);
  m.set_idt_gate(0x40, 0x08, handler, 0xE);
  m.cpu.s.gpr[EBX] = kData;
  m.write_bytes(TestMachine::kCodeBase, code);
  m.run(100'000);
  Outcome o = outcome(m);
  m.cpu.pic = nullptr;
  return o;
}

}  // namespace

TEST_CASE("jit: interrupts that become takeable inside a region are taken where the interpreter takes them") {
  // In a loop compiled as a region an interrupt becomes takeable three ways: INTR rises with IF
  // set (an OUT in the middle of a block), IF rises through STI with INTR held (one instruction
  // later, after its shadow), and IF rises through POPF with INTR held. Every iteration runs
  // the same instructions; the loop counter decides when the OUT rings. The handler logs the
  // counter and the sum in ESI it interrupted.
  const char* const source = R"(
  mov ecx, 3000
  xor edi, edi
  xor esi, esi
  sti
top:
  cmp ecx, 2500
  sete al
  out 0x80, al
  add esi, ecx
  jmp .held
.held:
  cli
  cmp ecx, 1500
  sete al
  out 0x80, al
  add esi, 5
  sti
  add esi, 7
  cli
  cmp ecx, 500
  sete al
  out 0x80, al
  pushfd
  or dword [esp], 0x200
  popfd
  add esi, ecx
  dec ecx
  jnz top
  hlt
  times 0x400 - ($ - $$) db 0
handler:
  mov [ebx+edi*4], ecx
  mov [ebx+edi*4+4], esi
  add edi, 2
  iretd
)";
  const u32 handler = TestMachine::kCodeBase + 0x400;
  const auto compiler = synchronous_compiler(50);
  const std::vector<u8> code = test::assemble(source, 32, TestMachine::kCodeBase);
  const Outcome interpreted = run_with_interrupts(code, nullptr, handler);
  const Outcome compiled = run_with_interrupts(code, compiler.get(), handler);
  check_same(interpreted, compiled);
  CHECK(interpreted.gpr[EDI] == 6);  // all three interrupts were taken
  CHECK(compiler->counters().regions >= 1);
}

TEST_CASE("jit: a full code cache is flushed and the code made again, with the interpreter's results") {
  // A code cache of four modules, in force mode (every block compiled before it runs): a loop of
  // twelve blocks fills it three times an iteration, the interpreter drops every block and the
  // code is freed each time; the program still computes what the interpreter computes.
  jit::JitOptions options;
  options.force = true;
  options.cache_modules = 4;
  std::string error;
  const auto compiler = jit::JitCompiler::create(options, error);
  REQUIRE_MESSAGE(compiler, error);
  std::string source = " mov ecx, 3\nagain:\n";
  for (int k = 0; k < 11; ++k)
    source += " add eax, " + std::to_string(k + 1) + "\n xor edx, eax\n jmp b" + std::to_string(k) + "\nb" +
              std::to_string(k) + ":\n";
  source += " dec ecx\n jnz again\n hlt\n";
  const std::vector<u8> code = test::assemble(source, 32, TestMachine::kCodeBase);
  const u32 regs[8] = {1, 2, 3, 4, 5, 6, 7, 8};
  const Outcome interpreted = run(code, regs, nullptr);
  const Outcome compiled = run(code, regs, compiler.get());
  check_same(interpreted, compiled);
  const jit::JitCounters c = compiler->counters();
  CHECK(c.failures == 0);
  CHECK(c.cache_flushes >= 6);
  CHECK(c.live_modules <= 4);
}
