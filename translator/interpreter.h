// Tier 0: the interpreter. It executes decoded basic blocks from a cache keyed by the physical
// address of their first byte and the default operand size (CS.D), the only mode bit that
// changes decoding. Everything else that depends on mode is checked by the handlers at run time.
//
// Self-modifying code: the pages holding cached blocks are marked in the address space, which
// keeps writes to them off the TLB fast path and reports them here; a write drops exactly the
// blocks whose bytes it touched.
#pragma once
#include <atomic>
#include <memory>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "core/execution_engine.h"
#include "translator/decoded_insn.h"
#include "translator/trace.h"

namespace emu {

// Tier 1's code for a block (translator/jit/): it runs the whole block as execute() would with a
// budget of at least the block's length, then goes on into the compiled code of the block that
// follows while the dispatcher would have done the same (see may_run_next and linked_block
// below). It returns kCompiledFaulted when an instruction faulted (its exception is pending),
// else 0; the instructions it retired are counted in Cpu::counters.instructions.
using CompiledBlock = u32 (*)(Cpu*);
inline constexpr u32 kCompiledFaulted = 0x8000'0000u;
// Returned by compiled code that found the CPU otherwise than it was compiled for (see
// EntryAssumptions) when it was entered, having run nothing.
inline constexpr u32 kCompiledRefused = 0x4000'0000u;

// What a region's code may take as fixed, from the CPU's state when the region became hot: then
// a memory operand needs neither the segment's base and limit nor the privilege's TLB set looked
// up, nor EFLAGS.AC tested. The code checks these at its entry (returning kCompiledRefused when
// they do not hold) and holds none of the instructions that could change them (the JIT decides).
struct EntryAssumptions {
  bool user = false;                                       // CPL 3
  bool flat_es = false, flat_ss = false, flat_ds = false;  // flat (SegmentCache::flat), base 0
  bool alignment_check_clear = false;                      // EFLAGS.AC = 0
  u32 cs_limit = 0;  // what a near branch's target is checked against (0xFFFFFFFF when flat)
  u16 ss_attrs = 0;  // whether pushes and pops use ESP or SP (the B bit), in SS's attributes
};

struct Block;
class Interpreter;

// What a link from one block to the next takes as unchanged since it was made: where and how
// code is fetched (CS's base, limit and attributes, from its hidden part: SDM Vol. 3A, 3.4.3),
// with which privilege, through which mappings (the TLB) and from which cache of blocks.
struct ChainContext {
  u32 cs_base = 0;
  u32 cs_limit = 0;
  u16 cs_attrs = 0;
  bool user = false;
  u64 tlb_generation = 0;
  u64 cache_generation = 0;
  bool operator==(const ChainContext&) const = default;
};

// The dispatcher's state that compiled code reads to chain from block to block without it.
struct DispatchState {
  u64 cache_generation = 0;  // bumped whenever a block is invalidated or the cache flushed
  // A number for each ChainContext in turn (refresh_chain_context): a link records the number
  // and holds while it is still the current one, one compare where the whole context was six.
  u64 context_serial = 1;
  ChainContext context_seen{};
  u64 budget_end = 0;  // compiled code starts no block that would retire past this count
  bool stop_requested = false;
  const Block* last_block = nullptr;  // the last block compiled code ran to its end
  // Which member of its region the code about to be called starts at (Block::region_member).
  u32 entry_member = 0;
  // Block-to-block transitions made by compiled code itself (for `info jit`): inside a region's
  // function, and from one compiled function into another by a tail call.
  u64 region_transitions = 0;
  u64 chained_transitions = 0;
  // Compiled code counts a block's entries from other compiled functions in Block::executions,
  // and returns to the dispatcher when the count reaches this, so that the dispatcher may form
  // a larger region around the block (Interpreter::reform_region). Never, without a compiler.
  u64 reform_at = ~u64{0};
};

// What tier 1 compiles as one function: a hot block and the blocks that followed it while it
// ran hot, as far as they lie on its page (so its mapping is theirs too), ran often themselves
// and belong to no other region. Every member's `compiled` is the region's function, entered at
// that member. Inside it a member goes straight on to another with the guest registers kept in
// host registers; anything else leaves as a single block does.
struct Region {
  struct Member {
    const Block* block = nullptr;
    u32 eip = 0;  // EIP it starts at, with CS.base `cs_base`
  };
  std::vector<Member> members;  // members[0] is the block that became hot
  u32 cs_base = 0;
  EntryAssumptions assumed;
};

// What the interpreter sees of the JIT: it reports hot blocks and installs finished code.
class BlockCompiler {
 public:
  virtual ~BlockCompiler() = default;
  // Executions after which a block is hot (0: before its first run, the force mode).
  virtual u32 threshold() const = 0;
  // `region`'s entry is hot: compile a copy of the region (now, or later on another thread).
  // The code may read `dispatch` (the interpreter's) and its blocks' links while it runs.
  virtual void hot(const Region& region, const DispatchState& dispatch) = 0;
  // Whether compiled code is waiting for install_finished(); cheap enough to ask every block.
  bool has_finished() const { return finished_.load(std::memory_order_acquire); }
  // Executions of a compiled block (entries from the dispatcher and from other compiled
  // functions) after which a larger region is formed around it; 0: never.
  virtual u64 reform_threshold() const { return 0; }
  // Whether requests are waiting for the compiler: then a hot block is sent alone, since a
  // region costs more to compile and everything behind it waits longer.
  bool backlogged() const { return backlog_.load(std::memory_order_relaxed) > 0; }
  // The region `region` (its hot block's serial), queued for `dispatch`'s interpreter, keeps
  // running interpreted that often: compile it next.
  virtual void hurry(u64 region, const DispatchState& dispatch) {
    (void)region;
    (void)dispatch;
  }
  // Hands finished code to interpreter.install().
  virtual void install_finished(Interpreter& interpreter) = 0;
  // Whether the code made for `dispatch`'s interpreter fills its share of the code cache; the
  // interpreter then drops every block and calls drop_code. Cheap enough to ask every block.
  bool cache_full(const DispatchState& dispatch) const {
    return cache_full_.load(std::memory_order_relaxed) && over_limit(dispatch);
  }
  // Frees the code made for `dispatch`'s interpreter, which has dropped every block using it.
  virtual void drop_code(const DispatchState& dispatch) = 0;

 protected:
  virtual bool over_limit(const DispatchState& dispatch) const = 0;
  std::atomic<bool> cache_full_{false};  // some interpreter's code has reached the limit
  std::atomic<bool> finished_{false};    // set by the compiler when code is ready to install
  std::atomic<u32> backlog_{0};          // requests queued, not yet being compiled
};

struct Block {
  u32 phys = 0;           // physical address of the first byte
  u32 eip = 0;            // EIP of the first instruction when decoded (for limit checks)
  u32 byte_len = 0;       // bytes covered (all within one page, except a lone page-crossing insn)
  u32 phys_end_page = 0;  // physical page of the last byte
  bool code32 = false;
  bool valid = true;
  u64 executions = 0;
  u64 serial = 0;  // unique per built block, so compiled code finds the very block it was made from
  std::vector<DecodedInsn> insns;
  CompiledBlock compiled = nullptr;
  u32 region_member = 0;  // where in its region `compiled` starts (DispatchState::entry_member)
  // A region holds this block: queued (compiled == nullptr) or compiled. Its hot block's serial.
  u64 region = 0;
  u32 region_size = 0;  // blocks in that region
  // A region was formed around this block, or it joined one, while it ran compiled
  // (Interpreter::reform_region): it is not taken into another such region.
  bool reformed = false;
  // Entries its compiled code refused (kCompiledRefused): the block is then interpreted, and
  // after kMaxRefusals compiled again for the CPU as it is now.
  u32 refusals = 0;

  // Block chaining: the blocks that followed this one last time, so the dispatcher can skip
  // the address translation and the cache lookup. A link holds only while nothing it assumed
  // changed: the ChainContext it was made in (DispatchState::context_serial then).
  struct Link {
    Block* target = nullptr;
    u32 eip = 0;
    u64 context = 0;
  };
  Link links[2];
  u8 next_link = 0;
};

// Makes DispatchState::context_serial name the ChainContext there is now, taking the next
// number when it differs from the one last seen. The dispatcher calls it before it follows or
// makes a link, and compiled code (through emu_may_run_next) whenever Cpu::attention was set. In
// between the context cannot change unseen: what changes the TLB or the block cache sets
// attention, and only an instruction that ends a block changes CS or the privilege, after which
// compiled code takes that path too (JIT: may_change_code_segment).
inline void refresh_chain_context(const Cpu& cpu, DispatchState& d) {
  const SegmentCache& cs = cpu.s.sreg(Seg::CS);
  const ChainContext now{cs.base, cs.limit, cs.attrs, cpu.user(), cpu.tlb_generation(), d.cache_generation};
  if (now == d.context_seen) return;
  d.context_seen = now;
  ++d.context_serial;
}

// The block `from`'s links name for CS:EIP, if one still holds; else nullptr. Shared by the
// dispatcher and compiled code (translator/jit/block_step.cpp), so both chain the same way.
// DispatchState::context_serial must be current (refresh_chain_context). A link made in the same
// context stands for the rest: the target was found for this CS:EIP then, so it decodes with CS's
// operand size and lies within its limit, and the same linear address maps to the same code.
[[gnu::always_inline]] inline Block* linked_block(const Block& from, const Cpu& cpu, const DispatchState& d) {
  const u32 eip = cpu.s.eip;
  for (const Block::Link& l : from.links)
    if (l.target && l.eip == eip && l.context == d.context_serial) return l.target;
  return nullptr;
}

// Whether the next block may start straight after `last` ended normally: nothing the top of
// the dispatcher's loop looks at between blocks has happened (code written, triple fault, an
// interrupt or NMI to take, HLT, a stop request, a single-step trap or interrupt shadow to
// handle one instruction at a time). Shared by the dispatcher and compiled code, so events
// land on the same instruction boundaries whichever tier runs.
[[gnu::always_inline]] inline bool may_run_next(const Cpu& cpu, const Block& last, const DispatchState& dispatch) {
  return !cpu.code_changed && last.valid && !cpu.triple_fault && !cpu.s.halted && !dispatch.stop_requested &&
         !cpu.nmi_pending && !((cpu.s.flags.bits & eflags::IF) && cpu.pic && cpu.pic->intr_pending()) &&
         !(cpu.s.flags.bits & eflags::TF) && !cpu.s.interrupt_shadow;
}

struct InterpreterStats {
  u64 blocks_built = 0;
  u64 blocks_invalidated = 0;
  u64 block_lookups = 0;
  u64 instructions_decoded = 0;
  u64 chained = 0;                   // block transitions that followed a link
  u64 interpreted_runs = 0;          // block executions by the interpreter
  u64 compiled_runs = 0;             // entries into compiled code (tier 1) from the dispatcher
  u64 compiled_instructions = 0;     // retired by compiled code (which chains between blocks)
  u64 interpreted_instructions = 0;  // retired by the interpreter
  u64 regions_reformed = 0;          // larger regions formed around blocks hot in compiled code
  u64 refused_entries = 0;           // compiled code that refused the CPU's state (interpreted)
};

class Interpreter : public ExecutionEngine, public CodeWriteListener {
 public:
  explicit Interpreter(Cpu& cpu);
  ~Interpreter() override;

  StopReason run(u64 max_instructions) override;
  void flush() override;
  void code_written(u32 paddr, u32 len) override;

  // Executes exactly one instruction (for the debugger and single-stepping), delivering any
  // exception it raises.
  void step();

  // A device or frontend asks run() to return: after the current instruction when an observer
  // is set (the debugger's stops are exact), otherwise at the end of the current block.
  void request_stop() override {
    dispatch_.stop_requested = true;
    cpu_.need_attention();
  }

  // Calls `observer` before every instruction (tracing, debugger); nullptr turns it off.
  void set_trace(InstructionObserver* observer) { observer_ = observer; }

  // Debugger breakpoints (the gdb stub, the monitor): run() returns StopReason::Breakpoint
  // before executing an instruction whose linear address (CS.base + EIP) is in the set, in real,
  // protected and V86 mode alike. The instruction where run() starts is exempt, so resuming
  // from a breakpoint makes progress. The set is the caller's and may change between run()
  // calls; nullptr or an empty set costs one test per block. The guest's memory is never
  // patched, so the guest cannot see or overwrite a breakpoint.
  void set_breakpoints(const std::unordered_set<u32>* linear_addresses) { breakpoints_ = linear_addresses; }

  // Tier 1: hot blocks go to `compiler` (nullptr: interpret everything). Compiled code is not
  // used while an observer or breakpoints are set, so tracing and debugging see every instruction.
  void set_compiler(BlockCompiler* compiler) {
    compiler_ = compiler;
    const u64 reform = compiler ? compiler->reform_threshold() : 0;
    dispatch_.reform_at = reform ? reform : ~u64{0};
  }
  // Installs a region's compiled code in its members, given as (serial, phys), the first the
  // block that became hot, if they are all still cached; false if one was invalidated or
  // replaced meanwhile (then the others are free to become hot again).
  struct BlockId {
    u64 serial;
    u32 phys;
  };
  bool install(const std::vector<BlockId>& members, bool code32, CompiledBlock code);

  const InterpreterStats& stats() const { return stats_; }
  const DispatchState& dispatch_state() const { return dispatch_; }
  std::size_t cached_blocks() const { return blocks_.size(); }

  static constexpr unsigned kMaxBlockInsns = 64;
  // Region size limits: LLVM's time grows with the function, and so does the compile latency.
  static constexpr unsigned kMaxRegionBlocks = 8;
  static constexpr unsigned kMaxRegionInsns = 80;
  // A region formed again around a block hot in compiled code joins what the first regions
  // split: a loop and the function it calls, the return sites of that function.
  static constexpr unsigned kMaxReformedBlocks = 16;
  static constexpr unsigned kMaxReformedInsns = 128;
  static constexpr u32 kMaxRefusals = 64;
  // A block waiting for its code asks the compiler to hurry each time it has run this many
  // times more, interpreted (a power of two).
  static constexpr u64 kHurryInterval = 1 << 16;

 private:
  Block* lookup_or_build();
  // Whether `l` was made in the ChainContext there is now (what linked_block checks besides the
  // EIP): region formation follows only such links.
  bool link_holds(const Block::Link& l) const;
  // The region to compile for the hot block `hot`, which CS:EIP points at; marks its members.
  Region form_region(Block& hot);
  // For the compiled block `hot`, which CS:EIP points at and which has run often from other
  // compiled functions: the compiled and hot blocks of its page that reach it, or it reaches,
  // through links, as one region; marks them. Empty when that holds no more blocks than the
  // function `hot` is in now (then it is asked again after as many entries).
  Region reform_region(Block& hot);
  // What the CPU's state is now, for code compiled from here (EntryAssumptions).
  EntryAssumptions entry_assumptions() const;
  // Frees `b` from its region (dropped or never installed): it may become hot again.
  void release_from_region(Block& b);
  // The cached, valid block built as `serial` at (phys, code32), or nullptr.
  Block* cached_block(u64 serial, u32 phys, bool code32);
  // The block at CS:EIP, through `from`'s links when they still hold.
  Block* next_block(Block* from);
  // `from`'s link to the block at CS:EIP when it still holds, else nullptr (no lookup, no build).
  Block* follow_link(const Block& from);
  std::unique_ptr<Block> build(u32 phys, u32 lin, bool code32);
  void retire_invalidated();
  // Runs up to `budget` instructions of a block, delivering a fault if one is raised. Returns
  // what to charge to the budget: the instructions retired, plus one for a delivered fault.
  template <bool Traced, bool Breakpoints = false>
  u64 execute(Block& b, u64 budget);
  // Runs compiled code from `b` on (it may chain into further blocks) within `budget`
  // instructions; returns what to charge to the budget, as execute() does. `b` becomes the last
  // block it ran.
  u64 execute_compiled(Block*& b, u64 budget);
  // Whether the next instruction (at CS:EIP) is a breakpoint this run() must stop before.
  bool at_breakpoint();
  void single_step_trap();

  Cpu& cpu_;
  std::unordered_map<u64, std::unique_ptr<Block>> blocks_;
  std::unordered_map<u32, std::vector<Block*>> blocks_by_page_;
  std::vector<std::unique_ptr<Block>> graveyard_;  // invalidated while possibly executing
  static constexpr unsigned kFastCacheSize = 4096;
  Block* fast_cache_[kFastCacheSize] = {};
  InterpreterStats stats_;
  DispatchState dispatch_;
  u64 next_serial_ = 1;
  BlockCompiler* compiler_ = nullptr;
  InstructionObserver* observer_ = nullptr;
  const std::unordered_set<u32>* breakpoints_ = nullptr;
  bool breakpoint_hit_ = false;
  // The linear address run() started at, exempt from breakpoints until an instruction has run.
  u32 resume_linear_ = 0;
  bool resume_exempt_ = false;
};

}  // namespace emu
