// Tier 1: hot blocks compiled by LLVM ORC (DESIGN §3). The interpreter counts how often each
// block runs; a hot one is handed to this compiler, which lifts it into an LLVM function that
// calls the same handlers the interpreter runs — their clang-compiled twins from the semantics
// bitcode built with emu — and inlines them, so the decoded fields become constants and the
// handlers straight-line code. Compilation happens on a background thread (the CPU thread never
// waits for LLVM) except in force mode, where every block is compiled before it first runs (the
// test mode that checks the tiers agree).
//
// LLVM's headers stay out of this one: the interpreter and the frontends include it.
#pragma once
#include <cstdio>
#include <memory>
#include <string>

#include "translator/interpreter.h"

namespace emu::jit {

struct JitOptions {
  // Compile every block on the CPU thread before it first runs (tests), instead of hot blocks on
  // the compile thread.
  bool force = false;
  // Compile hot blocks on the CPU thread as they become hot (tests: what is compiled, and when,
  // does not depend on the host). Implied by `force`.
  bool synchronous = false;
  // Executions of a block in the interpreter before it is queued for compilation.
  u32 threshold = 50000;
  // -d jit: each compiled block's guest instructions, optimised LLVM IR and host code go here.
  std::FILE* dump = nullptr;
  // Writes /tmp/perf-PID.map so `perf report` names compiled blocks by guest address.
  bool perf_map = false;
  // The code cache: modules of compiled code one interpreter may hold. When it is full the
  // interpreter drops every block and the code made for them is freed. Each module is about two
  // memory mappings (measured: 1,412 modules, 2,500 more), and Linux allows a process 65,530
  // (vm.max_map_count). A boot and the reference benchmark make about 500 modules, a boot in
  // force mode tens of thousands: at 4,096 it flushed every few minutes and compiled its
  // working set again each time, several times slower.
  u32 cache_modules = 20000;
  // Executions of a compiled block, counting entries from other compiled functions, after which
  // a larger region is formed around it (Interpreter::reform_region); 0: never.
  u32 reform = 1000000;
};

struct JitCounters {
  u64 blocks_compiled = 0;  // blocks in compiled code, each region's members counted
  u64 regions = 0;          // compiled functions with more than one block
  u64 region_blocks = 0;    // blocks in those
  u64 modules = 0;
  u64 guest_instructions_compiled = 0;
  u64 compile_ns = 0;  // thread CPU time spent in LLVM (lifting, optimising, code generation)
  u64 code_bytes = 0;
  u64 failures = 0;
  u64 queued = 0;         // waiting for the compile thread now
  u64 installed = 0;      // compiled blocks installed in the interpreter's cache
  u64 stale = 0;          // finished after their block was invalidated: dropped
  u64 hurried = 0;        // requests moved to the front of the queue (Interpreter::kHurryInterval)
  u64 cache_flushes = 0;  // times the code cache was full and all its code was freed
  u64 live_modules = 0;   // modules in the code cache now (all interpreters)
};

class JitCompiler final : public BlockCompiler {
 public:
  // Starts the compiler (and its thread unless `force`). Returns nullptr with `error` set when
  // LLVM or the semantics bitcode cannot be used.
  static std::unique_ptr<JitCompiler> create(const JitOptions& options, std::string& error);
  ~JitCompiler() override;

  u32 threshold() const override;
  u64 reform_threshold() const override;
  void hot(const Region& region, const DispatchState& dispatch) override;
  void hurry(u64 region, const DispatchState& dispatch) override;
  void install_finished(Interpreter& interpreter) override;
  void drop_code(const DispatchState& dispatch) override;

  JitCounters counters() const;
  // `info jit`: the counters above and the interpreter's, as text.
  std::string describe(const Interpreter& interpreter) const;

  struct Impl;

 private:
  bool over_limit(const DispatchState& dispatch) const override;
  explicit JitCompiler(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace emu::jit
