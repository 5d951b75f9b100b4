// Compiled into the semantics bitcode only (not into the emu binary): the step the JIT repeats
// for every instruction of a block. It is Interpreter::execute's loop body, written once more
// because the bitcode cannot call into the interpreter; keep the two in step (the tier
// comparison tests, `meson test --suite jit`, fail when they differ).
//
// The JIT passes the instruction's handler (`i.fn`, as the handler's bitcode twin) as `fn`, so
// once this step is inlined the call is a direct one, and the handler is inlined in turn.
#include "translator/decoded_insn.h"

namespace emu::jit {

// What the compiled block does after an instruction.
enum StepResult : int {
  kNext = 0,     // retired; go on with the next instruction
  kRetired = 1,  // retired and the block ends here (a jump, a mode change, or code was written)
  kFaulted = 2,  // faulted: an exception is pending and EIP is the instruction's own
};

}  // namespace emu::jit

extern "C" [[gnu::always_inline]] int emu_jit_step(emu::Cpu& c, const emu::DecodedInsn& i, emu::Handler fn) {
  using namespace emu;
  const Status st = fn(c, i);
  if (st == Status::Ok) [[likely]] {
    c.s.eip += i.len;
    ++c.counters.instructions;
    // A store may have rewritten this very block (self-modifying code): stop and re-fetch.
    return c.code_changed ? jit::kRetired : jit::kNext;
  }
  if (st == Status::Fault) return jit::kFaulted;
  ++c.counters.instructions;  // Jumped, EndBlock, Halted: retired, and the block ends
  return jit::kRetired;
}
