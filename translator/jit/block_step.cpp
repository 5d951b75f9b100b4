// Compiled into the semantics bitcode only (not into the emu binary): what the JIT wraps around
// a block's instructions. emu_jit_step is Interpreter::execute's loop body, written once more
// because the bitcode cannot call into the interpreter; keep the two in step (the tier
// comparison tests, `meson test --suite jit`, fail when they differ). emu_jit_enter and
// emu_jit_next use the dispatcher's own rules (translator/interpreter.h) to go from one compiled
// block to the next without returning to it.
//
// The JIT passes the instruction's handler (`i.fn`, as the handler's bitcode twin) as `fn`, so
// once this step is inlined the call is a direct one, and the handler is inlined in turn.
#include "translator/decoded_insn.h"
#include "translator/interpreter.h"

namespace emu::jit {

// What the compiled block does after an instruction.
enum StepResult : int {
  kNext = 0,     // retired; go on with the next instruction
  kRetired = 1,  // retired and the block ends here (a jump, a mode change, or code was written)
  kFaulted = 2,  // faulted: an exception is pending and EIP is the instruction's own
};

}  // namespace emu::jit

// may_run_next, out of line: defined in the emu binary (translator/interpreter.cpp), so compiled
// code calls it by address instead of carrying its tests (ten loads and branches) at every
// block's end. It runs only when Cpu::attention is set (an event, a write to code, a mode
// change), so the call costs nothing on the common path, and LLVM compiles it once, not per block.
// When it passes it also brings DispatchState::context_serial up to date (refresh_chain_context).
extern "C" bool emu_may_run_next(const emu::Cpu& c, const emu::Block& last, emu::DispatchState& d);

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

// At a compiled block's entry: whether all `length` instructions fit the dispatcher's budget.
// When they do not, the block returns at once and the dispatcher runs what fits (the budget
// is exact in deterministic mode).
extern "C" [[gnu::always_inline]] bool emu_jit_enter(const emu::Cpu& c, const emu::DispatchState& d, emu::u32 length) {
  return c.counters.instructions + length <= d.budget_end;
}

// Inside a region's function (translator/interpreter.h, Region) one member goes straight on to
// another. What the dispatcher would check again through a link (linked_block) is covered in
// two parts: once at the function's entry, that CS.base and EIP are those the region found the
// member with and the CS limit covers every member (then each member's code is where the region found
// it: same linear address, same page); and at every step, that nothing the members were found
// with has changed since: the chain context (the code segment, the privilege the code was
// fetched with, the TLB, the block cache), whose serial is current whenever compiled code is
// entered (the dispatcher refreshed it, or the code that chained here had it current).
struct RegionContext {
  emu::u64 context_serial;
};

static_assert(sizeof(RegionContext) <= 32 && alignof(RegionContext) <= 8);  // the JIT allocates 32 bytes

extern "C" [[gnu::always_inline]] void emu_jit_region_begin(const emu::Cpu&, const emu::DispatchState& d,
                                                            RegionContext& out) {
  out = {d.context_serial};
}

// At the function's entry, at the member that starts at `entry_eip`: whether the region's
// members may follow each other here. When not, that member still runs, and leaves as a single
// block does.
extern "C" [[gnu::always_inline]] bool emu_jit_region_entry_ok(const emu::Cpu& c, emu::u32 entry_eip, emu::u32 cs_base,
                                                               emu::u32 last_eip) {
  const emu::SegmentCache& cs = c.s.sreg(emu::Seg::CS);
  return c.s.eip == entry_eip && cs.base == cs_base && last_eip <= cs.limit;
}

// After the member `block` ended normally: whether the next block may start here, if it is a
// member (the caller then compares EIP with the members'). While Cpu::attention is zero nothing
// these checks look at has changed since the code was entered, unless the member's last
// instruction may have changed the code segment (`context_may_change`, known when compiling).
// When the full checks pass, the state is again what the region was entered with and free of
// events, so attention is cleared and the next step is a single test again.
extern "C" [[gnu::always_inline]] bool emu_jit_region_continue(emu::Cpu& c, const emu::Block& block,
                                                               emu::DispatchState& d, const RegionContext& at_begin,
                                                               bool context_may_change) {
  if (!context_may_change && c.attention == 0) [[likely]]
    return true;
  // emu_may_run_next refreshes the serial: it is the one at entry while the context is.
  const bool ok = emu_may_run_next(c, block, d) && d.context_serial == at_begin.context_serial;
  if (ok) c.attention = 0;
  return ok;
}

// On the way out of a region's function: what the dispatcher would have recorded at each step
// from one member to another, kept in registers while the members run (a loop then stores
// nothing per iteration): the last member that ended normally (`last`, null when none has) and
// the count of those steps.
extern "C" [[gnu::always_inline]] void emu_jit_region_leave(emu::DispatchState& d, const emu::Block* last,
                                                            emu::u64 steps) {
  if (last) d.last_block = last;
  d.region_transitions += steps;
}

extern "C" [[gnu::always_inline]] emu::u32 emu_jit_eip(const emu::Cpu& c) { return c.s.eip; }

// At a region's entry: the member to start at (set by whoever calls the code).
extern "C" [[gnu::always_inline]] emu::u32 emu_jit_entry_member(const emu::DispatchState& d) { return d.entry_member; }

// After `block` ended normally: the compiled code of the block to run next, or nullptr to
// return to the dispatcher (an event to handle, no valid link, the next block not compiled, or
// its entries reaching DispatchState::reform_at).
// The dispatcher's between-block checks are one test while Cpu::attention is zero (see
// emu_jit_region_continue); the link lookup checks the rest.
extern "C" [[gnu::always_inline]] emu::CompiledBlock emu_jit_next(emu::Cpu& c, const emu::Block& block,
                                                                  emu::DispatchState& d, bool context_may_change) {
  using namespace emu;
  d.last_block = &block;
  if (context_may_change || c.attention != 0) [[unlikely]] {
    if (!emu_may_run_next(c, block, d)) return nullptr;
    c.attention = 0;
  }
  Block* next = linked_block(block, c, d);
  if (!next || !next->compiled) return nullptr;
  // Entered this often from other functions, the block may belong in a larger region: the
  // dispatcher, which runs it next, decides (Interpreter::reform_region).
  if (++next->executions == d.reform_at) [[unlikely]]
    return nullptr;
  ++d.chained_transitions;
  d.entry_member = next->region_member;
  return next->compiled;
}
