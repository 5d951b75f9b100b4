#include "translator/jit/jit_compiler.h"

#include <capstone/capstone.h>
#include <dlfcn.h>
#include <llvm/Analysis/ValueTracking.h>
#include <llvm/Bitcode/BitcodeReader.h>
#include <llvm/ExecutionEngine/Orc/JITTargetMachineBuilder.h>
#include <llvm/ExecutionEngine/Orc/LLJIT.h>
#include <llvm/ExecutionEngine/Orc/ObjectTransformLayer.h>
#include <llvm/ExecutionEngine/Orc/ThreadSafeModule.h>
#include <llvm/IR/Constants.h>
#include <llvm/IR/IRBuilder.h>
#include <llvm/IR/IntrinsicInst.h>
#include <llvm/IR/LLVMContext.h>
#include <llvm/IR/MDBuilder.h>
#include <llvm/IR/Module.h>
#include <llvm/IR/Operator.h>
#include <llvm/IR/Verifier.h>
#include <llvm/Linker/Linker.h>
#include <llvm/Object/ELFObjectFile.h>
#include <llvm/Object/ObjectFile.h>
#include <llvm/Passes/PassBuilder.h>
#include <llvm/Support/KnownBits.h>
#include <llvm/Support/MemoryBuffer.h>
#include <llvm/Support/TargetSelect.h>
#include <llvm/Support/raw_ostream.h>
#include <llvm/Target/TargetMachine.h>
#include <llvm/Transforms/IPO/AlwaysInliner.h>
#include <llvm/Transforms/IPO/ElimAvailExtern.h>
#include <llvm/Transforms/IPO/GlobalDCE.h>
#include <llvm/Transforms/Utils/Cloning.h>
#include <time.h>
#include <unistd.h>

#include <atomic>
#include <condition_variable>
#include <cstddef>
#include <deque>
#include <map>
#include <mutex>
#include <thread>
#include <unordered_map>
#include <unordered_set>

#include "semantics_bitcode.h"
#include "translator/jit/elf_symbols.h"

namespace emu::jit {

namespace {

// The DecodedInsn fields the lifted code replaces by the bitcode's own functions.
static_assert(offsetof(DecodedInsn, fn) == 0 && offsetof(DecodedInsn, impl) == sizeof(void*));

u64 thread_cpu_ns() {
  timespec ts;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return u64(ts.tv_sec) * 1'000'000'000u + u64(ts.tv_nsec);
}

// One block of a region, copied on the CPU thread.
struct Member {
  u64 serial;
  u32 phys;
  u32 eip;
  u32 byte_len;
  std::vector<DecodedInsn> insns;
  // The block itself: its links name the blocks to chain to when the code leaves the region.
  // The code runs only while the region's blocks are cached (Interpreter::install).
  const Block* block;
};

struct Request {
  u64 jit_id;  // set by the backend
  bool code32;
  u32 cs_base;
  std::vector<Member> members;    // members[0] is the entry (Region)
  const DispatchState* dispatch;  // the interpreter's
  EntryAssumptions assumed;       // the CPU's state when the region became hot
  std::size_t instructions() const {
    std::size_t n = 0;
    for (const Member& m : members) n += m.insns.size();
    return n;
  }
};

struct Result {
  bool code32;
  CompiledBlock code;
  const DispatchState* dispatch;  // whose interpreter the code is for (it reads its state)
  std::vector<Interpreter::BlockId> members;
};

// Host (x86-64) code as text, one instruction per line, for -d jit.
std::vector<std::string> disassemble_host(const u8* code, u64 size, u64 address) {
  std::vector<std::string> lines;
  csh handle;
  if (cs_open(CS_ARCH_X86, CS_MODE_64, &handle) != CS_ERR_OK) return lines;
  cs_insn* insns = nullptr;
  const std::size_t n = cs_disasm(handle, code, size, address, 0, &insns);
  for (std::size_t k = 0; k < n; ++k) {
    char line[320];
    std::snprintf(line, sizeof line, "%llx  %s %s", static_cast<unsigned long long>(insns[k].address),
                  insns[k].mnemonic, insns[k].op_str);
    lines.emplace_back(line);
  }
  if (n) cs_free(insns, n);
  cs_close(&handle);
  return lines;
}

// The symbol of a block's compiled function: its physical address and a number unique in this
// JIT (block serials are only unique within one interpreter).
std::string entry_name(const Request& r) {
  char name[48];
  std::snprintf(name, sizeof name, "emu_block_%08x_%llu", r.members[0].phys, static_cast<unsigned long long>(r.jit_id));
  return name;
}

}  // namespace

// The LLVM side: one per thread that compiles (DESIGN §3: one TargetMachine per compile thread).
class Backend {
 public:
  bool init(const JitOptions& options, std::string& error) {
    options_ = options;
    if (!symbols_.ok()) {
      error = "JIT: " + symbols_.error();
      return false;
    }
    llvm::InitializeNativeTarget();
    llvm::InitializeNativeTargetAsmPrinter();
    llvm::InitializeNativeTargetAsmParser();  // the x87 handlers run host x87 code as inline asm
    context_ = std::make_unique<llvm::orc::ThreadSafeContext>(std::make_unique<llvm::LLVMContext>());
    llvm::LLVMContext& ctx = *context_->getContext();

    const llvm::StringRef bytes(reinterpret_cast<const char*>(kSemanticsBitcode.data()), kSemanticsBitcode.size());
    auto lib = llvm::parseBitcodeFile(llvm::MemoryBufferRef(bytes, "semantics.bc"), ctx);
    if (!lib) {
      error = "JIT: the semantics bitcode does not load: " + llvm::toString(lib.takeError());
      return false;
    }
    library_ = std::move(*lib);
    // Every function of the library becomes linkable by name (the handlers live in anonymous
    // namespaces); each compiled module makes its copies internal again after linking.
    for (llvm::Function& f : *library_) {
      if (f.isDeclaration()) continue;
      f.setComdat(nullptr);  // a module clones only some members of a comdat
      if (f.hasLocalLinkage()) {
        f.setLinkage(llvm::GlobalValue::ExternalLinkage);
        originally_local_.insert(f.getName().str());
      }
      f.setVisibility(llvm::GlobalValue::DefaultVisibility);
    }
    for (llvm::GlobalVariable& g : library_->globals()) {
      g.setComdat(nullptr);
      if (!g.isDeclaration() && !g.isConstant()) {
        // A mutable global would exist twice (the binary's and each module's copy).
        error = "JIT: the semantics have a mutable global, " + g.getName().str();
        return false;
      }
    }
    // Which library values each one refers to, so a module clones only what its blocks reach.
    for (llvm::Function& f : *library_) {
      auto& out = references_[&f];
      for (llvm::BasicBlock& bb : f)
        for (llvm::Instruction& inst : bb)
          for (llvm::Value* op : inst.operands()) collect_globals(op, out);
    }
    for (llvm::GlobalVariable& g : library_->globals())
      if (g.hasInitializer()) collect_globals(g.getInitializer(), references_[&g]);
    for (auto [slot, name] : {std::pair{&step_, "emu_jit_step"},
                              {&enter_, "emu_jit_enter"},
                              {&next_, "emu_jit_next"},
                              {&eip_, "emu_jit_eip"},
                              {&region_begin_, "emu_jit_region_begin"},
                              {&region_entry_ok_, "emu_jit_region_entry_ok"},
                              {&region_continue_, "emu_jit_region_continue"},
                              {&region_leave_, "emu_jit_region_leave"},
                              {&entry_member_, "emu_jit_entry_member"}}) {
      *slot = library_->getFunction(name);
      if (!*slot) {
        error = std::string("JIT: the semantics bitcode lacks ") + name;
        return false;
      }
    }

    auto jtmb = llvm::orc::JITTargetMachineBuilder::detectHost();
    if (!jtmb) {
      error = "JIT: " + llvm::toString(jtmb.takeError());
      return false;
    }
    jtmb->setCodeGenOptLevel(llvm::CodeGenOptLevel::Default);
    // Instruction selection by FastISel (SelectionDAG only for what it cannot select), with the
    // optimising register allocator and machine passes still on: compile time is what holds the
    // guest back (a boot's hot blocks wait for the compile thread), and SelectionDAG was the
    // largest part of it (4.5 s of a boot's 10.6 s of code generation, by -time-passes). A
    // compile-bound run of the force-mode unit tests took 69 s of CPU instead of 100, and the
    // benchmark ran no slower. (CodeGenOptLevel::None, which also takes the fast register
    // allocator, made the boot 5x slower.)
    jtmb->getOptions().EnableFastISel = true;
    // Guest code is integer code: AVX-512 buys it nothing, and on a host that has it LLVM runs
    // a mask-register pass (X86 Domain Reassignment) on every function, ~9% of code generation.
    llvm::SubtargetFeatures features;
    for (const std::string& feature : jtmb->getFeatures().getFeatures())
      features.AddFeature(llvm::StringRef(feature).starts_with("+avx512") ? "-" + feature.substr(1) : feature);
    jtmb->getFeatures() = features;
    auto tm = jtmb->createTargetMachine();
    if (!tm) {
      error = "JIT: " + llvm::toString(tm.takeError());
      return false;
    }
    target_machine_ = std::move(*tm);
    library_->setDataLayout(target_machine_->createDataLayout());
    auto jit = llvm::orc::LLJITBuilder().setJITTargetMachineBuilder(std::move(*jtmb)).create();
    if (!jit) {
      error = "JIT: " + llvm::toString(jit.takeError());
      return false;
    }
    jit_ = std::move(*jit);
    // Function sizes come from the object file each module becomes (for -d jit and the perf map).
    jit_->getObjTransformLayer().setTransform(
        [this](std::unique_ptr<llvm::MemoryBuffer> obj) -> llvm::Expected<std::unique_ptr<llvm::MemoryBuffer>> {
          auto file = llvm::object::ObjectFile::createObjectFile(obj->getMemBufferRef());
          if (!file) {
            llvm::consumeError(file.takeError());
            return obj;
          }
          for (const llvm::object::SymbolRef& sym : (*file)->symbols()) {
            auto name = sym.getName();
            if (!name) {
              llvm::consumeError(name.takeError());
              continue;
            }
            if (name->starts_with("emu_block_")) {
              llvm::object::ELFSymbolRef elf(sym);
              sizes_[name->str()] = elf.getSize();
            }
          }
          return obj;
        });
    if (options.perf_map) {
      const std::string path = "/tmp/perf-" + std::to_string(getpid()) + ".map";
      perf_map_ = std::fopen(path.c_str(), "w");
    }
    return make_slow_path_trampolines(error);
  }

  ~Backend() {
    if (perf_map_) std::fclose(perf_map_);
  }

  // Compiles a batch of blocks into one module; the results are in the order of `batch`, with
  // code == nullptr for a block that could not be compiled.
  std::vector<Result> compile(std::vector<Request>& batch, JitCounters& counters) {
    const u64 start = thread_cpu_ns();
    for (Request& r : batch) r.jit_id = next_id_++;
    std::vector<Result> results;
    std::string error;
    auto module = lift(batch, error);
    if (module) {
      optimise(*module);
      if (!bind_externals(*module, error)) module.reset();
    }

    if (module && options_.dump) dump_module(*module, batch);
    // One tracker per module, and so per interpreter (a batch holds one interpreter's requests):
    // drop() frees an interpreter's code when its cache is full.
    llvm::orc::ResourceTrackerSP tracker = jit_->getMainJITDylib().createResourceTracker();
    if (module) {
      if (auto err = jit_->addIRModule(tracker, llvm::orc::ThreadSafeModule(std::move(module), *context_))) {
        error = llvm::toString(std::move(err));
      }
    }
    for (const Request& r : batch) {
      Result res{r.code32, nullptr, r.dispatch, {}};
      for (const Member& m : r.members) res.members.push_back({m.serial, m.phys});
      if (error.empty()) {
        auto sym = jit_->lookup(entry_name(r));
        if (sym) {
          res.code = sym->toPtr<CompiledBlock>();
        } else {
          error = llvm::toString(sym.takeError());
        }
      }
      results.push_back(res);
    }
    if (!error.empty()) {
      ++counters.failures;
      if (!failure_reported_) std::fprintf(stderr, "emu: JIT: a block could not be compiled: %s\n", error.c_str());
      failure_reported_ = true;
      for (Result& res : results) res.code = nullptr;
    } else {
      ++counters.modules;
      KeptModule& kept = modules_.emplace_back(KeptModule{batch[0].dispatch, tracker, {}});
      for (std::size_t k = 0; k < batch.size(); ++k) {
        const std::string name = entry_name(batch[k]);
        kept.names.push_back(name);
        const u64 size = sizes_.count(name) ? sizes_[name] : 0;
        counters.code_bytes += size;
        counters.guest_instructions_compiled += batch[k].instructions();
        counters.blocks_compiled += batch[k].members.size();
        if (batch[k].members.size() > 1) {
          ++counters.regions;
          counters.region_blocks += batch[k].members.size();
        }
        if (perf_map_)
          std::fprintf(perf_map_, "%llx %llx emu guest %08x (%zu blocks, %zu insns)\n",
                       static_cast<unsigned long long>(reinterpret_cast<uintptr_t>(results[k].code)),
                       static_cast<unsigned long long>(size), batch[k].members[0].eip, batch[k].members.size(),
                       batch[k].instructions());
        if (options_.dump) dump_host_code(name, results[k].code, size);
      }
      if (perf_map_) std::fflush(perf_map_);
    }
    counters.compile_ns += thread_cpu_ns() - start;
    return results;
  }

  // Frees the code of every module made for `owner` (its interpreter runs none of it any more).
  // Returns how many modules went.
  u64 drop(const DispatchState* owner) {
    u64 dropped = 0;
    std::vector<KeptModule> kept;
    for (KeptModule& m : modules_) {
      if (m.owner != owner) {
        kept.push_back(std::move(m));
        continue;
      }
      if (auto err = m.tracker->remove()) {
        if (!failure_reported_)
          std::fprintf(stderr, "emu: JIT: freeing code failed: %s\n", llvm::toString(std::move(err)).c_str());
        failure_reported_ = true;
      }
      for (const std::string& name : m.names) sizes_.erase(name);
      ++dropped;
    }
    modules_ = std::move(kept);
    return dropped;
  }

 private:
  // The helpers every memory operand and flag test goes through (by mangled name).
  static bool always_inlined(llvm::StringRef name) {
    // Every member of Flags: with the flag operation known they fold to a few operations, whatever
    // their size before that.
    for (const char* part :
         {"3emu5Flags", "3Cpu4readI", "3Cpu5writeI", "3Cpu11read_linearI", "3Cpu12write_linearI", "3Cpu4pushI",
          "3Cpu3popI", "7read_rmI", "8write_rmI", "15read_for_updateI", "18read_rm_for_updateI"})
      if (name.contains(part)) return true;
    return false;
  }

  static void collect_globals(llvm::Value* v, std::vector<const llvm::GlobalValue*>& out) {
    if (auto* g = llvm::dyn_cast<llvm::GlobalValue>(v)) {
      out.push_back(g);
    } else if (auto* c = llvm::dyn_cast<llvm::Constant>(v)) {
      for (llvm::Value* op : c->operands()) collect_globals(op, out);
    }
  }

  // The library values reachable from `roots`.
  std::unordered_set<const llvm::GlobalValue*> closure(std::vector<const llvm::GlobalValue*> roots) const {
    std::unordered_set<const llvm::GlobalValue*> seen;
    while (!roots.empty()) {
      const llvm::GlobalValue* g = roots.back();
      roots.pop_back();
      if (!seen.insert(g).second) continue;
      auto it = references_.find(g);
      if (it != references_.end()) roots.insert(roots.end(), it->second.begin(), it->second.end());
    }
    return seen;
  }

  // The address of a function of the emu binary (or a library it uses) by linker name, or 0.
  u64 host_address(const std::string& name) const {
    if (u64 a = symbols_.address(name)) return a;
    return reinterpret_cast<u64>(dlsym(RTLD_DEFAULT, name.c_str()));
  }

  // A handler pointer from a DecodedInsn as an IR constant: the bitcode twin when there is one
  // (so it can be inlined), else the binary's function by absolute address.
  llvm::Constant* handler_constant(llvm::Module& m, Handler h) {
    llvm::LLVMContext& ctx = m.getContext();
    llvm::PointerType* ptr = llvm::PointerType::getUnqual(ctx);
    if (!h) return llvm::ConstantPointerNull::get(ptr);
    const std::string* name = symbols_.name_at(reinterpret_cast<uintptr_t>(h));
    if (name) {
      if (llvm::Function* twin = library_->getFunction(*name))
        return llvm::cast<llvm::Constant>(m.getOrInsertFunction(*name, twin->getFunctionType()).getCallee());
    }
    return llvm::ConstantExpr::getIntToPtr(
        llvm::ConstantInt::get(llvm::Type::getInt64Ty(ctx), reinterpret_cast<u64>(h)), ptr);
  }

  // The DecodedInsn as a constant the optimiser can read through: its bytes, with `fn` and
  // `impl` pointing at IR functions.
  llvm::GlobalVariable* insn_constant(llvm::Module& m, const DecodedInsn& insn, const std::string& name) {
    llvm::LLVMContext& ctx = m.getContext();
    llvm::PointerType* ptr = llvm::PointerType::getUnqual(ctx);
    constexpr std::size_t kRest = sizeof(DecodedInsn) - 2 * sizeof(void*);
    const auto* raw = reinterpret_cast<const u8*>(&insn);
    llvm::Constant* rest = llvm::ConstantDataArray::get(ctx, llvm::ArrayRef<u8>(raw + 2 * sizeof(void*), kRest));
    llvm::StructType* type = llvm::StructType::get(ctx, {ptr, ptr, rest->getType()}, /*isPacked=*/true);
    llvm::Constant* init =
        llvm::ConstantStruct::get(type, {handler_constant(m, insn.fn), handler_constant(m, insn.impl), rest});
    auto* g = new llvm::GlobalVariable(m, type, true, llvm::GlobalValue::PrivateLinkage, init, name);
    g->setAlignment(llvm::Align(alignof(DecodedInsn)));
    return g;
  }

  // Whether a block ending with `last` may have changed what compiled code assumes between
  // blocks beyond what sets Cpu::attention: the code segment. Only instructions that end a block
  // change CS (far transfers, INT n, IRET, task switches, SYSENTER/SYSEXIT); after those, and
  // after any other instruction that ends a block except the near jumps, the full checks run.
  static bool may_change_code_segment(const DecodedInsn& last) {
    if (!(last.entry->attrs & attr::kEndsBlock)) return false;
    switch (last.entry->op) {
      case Op::Jcc:
      case Op::Loop:
      case Op::Loope:
      case Op::Loopne:
      case Op::Jcxz:
      case Op::Jmp:
      case Op::Call:
      case Op::JmpIndirect:
      case Op::CallIndirect:
      case Op::Ret: return false;
      default: return true;
    }
  }

  // Where a member may go on to, as far as its last instruction says: a relative jump's target
  // (and the next instruction when the jump is conditional), the next instruction when the
  // block ends without a jump; nothing known for an indirect jump, a return or a far transfer.
  static std::vector<u32> static_successors(const Member& m) {
    if (m.insns.empty()) return {};
    u32 end = m.eip;
    for (const DecodedInsn& i : m.insns) end += i.len;
    const DecodedInsn& last = m.insns.back();
    auto relative = [&] {
      u32 target = end + last.imm;
      if (!last.op32) target &= 0xFFFF;
      return target;
    };
    switch (last.entry->op) {
      case Op::Jcc:
      case Op::Loop:
      case Op::Loope:
      case Op::Loopne:
      case Op::Jcxz: return {relative(), end};
      case Op::Jmp:
      case Op::Call: return {relative()};
      case Op::JmpIndirect:
      case Op::CallIndirect:
      case Op::Ret:
      case Op::JmpFar:
      case Op::JmpFarIndirect:
      case Op::CallFar:
      case Op::CallFarIndirect:
      case Op::RetFar:
      case Op::Iret: return {};
      default: return {end};
    }
  }

  // Whether an instruction may change what EntryAssumptions describes: the segment registers,
  // the privilege or EFLAGS.AC. Far transfers, interrupts, segment loads and the system
  // instructions (farcontrol.cpp, system.cpp), POP Sreg and POPF. Code holding one is compiled
  // for any state.
  static bool may_change_entry_state(const DecodedInsn& i) {
    const Op op = i.entry->op;
    return (op >= Op::JmpFar && op <= Op::Ud2) || op == Op::PopSeg || op == Op::Popf;
  }

  // EntryAssumptions as the value of the function attribute kAssumeAttribute, which
  // assume_entry_state reads once the handlers are inlined.
  static constexpr const char* kAssumeAttribute = "emu-assume";
  // The flags in the low byte, SS's attributes in bits 16-31, the CS limit in bits 32-63.
  static constexpr unsigned kUser = 1, kFlatEs = 2, kFlatSs = 4, kFlatDs = 8, kAlignmentCheckClear = 16;
  static u64 encode(const EntryAssumptions& a) {
    const u64 flags = (a.user ? kUser : 0u) | (a.flat_es ? kFlatEs : 0u) | (a.flat_ss ? kFlatSs : 0u) |
                      (a.flat_ds ? kFlatDs : 0u) | (a.alignment_check_clear ? kAlignmentCheckClear : 0u);
    return flags | u64{a.ss_attrs} << 16 | u64{a.cs_limit} << 32;
  }

  // One function per region: for each member block, emu_jit_step for each instruction, leaving
  // the block at the first that ends it, exactly as Interpreter::execute does with a budget of at
  // least the block's length. A member's entry checks the budget (emu_jit_enter). At a member's
  // end the code goes on into another member when the dispatcher would have run it next
  // (emu_jit_region_continue, then EIP compared with the members'), else into the next block's
  // compiled code by a tail call when the dispatcher would have (emu_jit_next), else returns.
  std::unique_ptr<llvm::Module> lift(const std::vector<Request>& batch, std::string& error) {
    llvm::LLVMContext& ctx = *context_->getContext();
    auto m = std::make_unique<llvm::Module>("emu_jit_" + std::to_string(module_count_++), ctx);
    m->setDataLayout(library_->getDataLayout());
    m->setTargetTriple(library_->getTargetTriple());
    llvm::Type* i64 = llvm::Type::getInt64Ty(ctx);
    llvm::PointerType* ptr = llvm::PointerType::getUnqual(ctx);
    llvm::FunctionType* block_type = llvm::FunctionType::get(llvm::Type::getInt32Ty(ctx), {ptr}, false);
    auto helper = [&](const llvm::Function* f) { return m->getOrInsertFunction(f->getName(), f->getFunctionType()); };
    llvm::FunctionCallee step = helper(step_), enter = helper(enter_), next = helper(next_), eip_of = helper(eip_),
                         region_begin = helper(region_begin_), region_entry_ok = helper(region_entry_ok_),
                         region_continue = helper(region_continue_), region_leave = helper(region_leave_),
                         entry_member = helper(entry_member_);
    auto address = [&](const void* p) {
      return llvm::ConstantExpr::getIntToPtr(llvm::ConstantInt::get(i64, reinterpret_cast<u64>(p)), ptr);
    };
    for (const Request& r : batch) {
      auto* fn = llvm::Function::Create(block_type, llvm::GlobalValue::ExternalLinkage, entry_name(r), *m);
      llvm::Argument* cpu = fn->getArg(0);
      cpu->addAttr(llvm::Attribute::NoAlias);
      if (std::all_of(r.members.begin(), r.members.end(), [](const Member& mb) {
            return std::none_of(mb.insns.begin(), mb.insns.end(), may_change_entry_state);
          }))
        fn->addFnAttr(kAssumeAttribute, std::to_string(encode(r.assumed)));
      llvm::Constant* dispatch = address(r.dispatch);
      auto block = [&](const std::string& name) { return llvm::BasicBlock::Create(ctx, name, fn); };
      llvm::BasicBlock* entry = block("entry");
      llvm::BasicBlock* faulted = block("faulted");
      llvm::BasicBlock* to_dispatcher = block("to_dispatcher");
      std::vector<llvm::BasicBlock*> heads;
      for (std::size_t k = 0; k < r.members.size(); ++k) heads.push_back(block("member" + std::to_string(k)));
      llvm::IRBuilder<> b(entry);
      // emu_jit_region_begin's RegionContext (block_step.cpp): 32 bytes, promoted to registers.
      llvm::AllocaInst* context = b.CreateAlloca(llvm::ArrayType::get(b.getInt8Ty(), 32));
      context->setAlignment(llvm::Align(8));
      b.CreateCall(region_begin, {cpu, dispatch, context});
      // The last member that ended normally and the member-to-member steps taken, recorded in
      // DispatchState only on the way out (emu_jit_region_leave); promoted to registers.
      llvm::AllocaInst* last_member = b.CreateAlloca(ptr);
      llvm::AllocaInst* steps = b.CreateAlloca(i64);
      b.CreateStore(llvm::ConstantPointerNull::get(ptr), last_member);
      b.CreateStore(llvm::ConstantInt::get(i64, 0), steps);
      auto leave_region = [&](llvm::IRBuilder<>& at) {
        at.CreateCall(region_leave, {dispatch, at.CreateLoad(ptr, last_member), at.CreateLoad(i64, steps)});
      };
      // The member to start at, and whether the members may follow each other from there.
      u32 last_eip = 0;
      std::vector<u32> eips;
      for (const Member& mb : r.members) {
        last_eip = std::max(last_eip, mb.eip + mb.byte_len - 1);
        eips.push_back(mb.eip);
      }
      llvm::Value* start = b.getInt32(0);
      llvm::Value* start_eip = b.getInt32(eips[0]);
      if (r.members.size() > 1) {
        start = b.CreateCall(entry_member, {dispatch});
        auto* table = new llvm::GlobalVariable(*m, llvm::ArrayType::get(b.getInt32Ty(), eips.size()), true,
                                               llvm::GlobalValue::PrivateLinkage,
                                               llvm::ConstantDataArray::get(ctx, eips), "member_eips");
        llvm::Value* index =
            b.CreateSelect(b.CreateICmpULT(start, b.getInt32(static_cast<u32>(eips.size()))), start, b.getInt32(0));
        start_eip =
            b.CreateLoad(b.getInt32Ty(), b.CreateInBoundsGEP(table->getValueType(), table, {b.getInt32(0), index}));
      }
      llvm::Value* region_ok =
          b.CreateCall(region_entry_ok, {cpu, start_eip, b.getInt32(r.cs_base), b.getInt32(last_eip)});
      llvm::SwitchInst* by_member = b.CreateSwitch(start, heads[0], r.members.size() - 1);
      for (std::size_t k = 1; k < r.members.size(); ++k) by_member->addCase(b.getInt32(static_cast<u32>(k)), heads[k]);
      for (std::size_t k = 0; k < r.members.size(); ++k) {
        const Member& mb = r.members[k];
        const std::string tag = "m" + std::to_string(k) + "_";
        b.SetInsertPoint(heads[k]);
        llvm::BasicBlock* first = block(tag + "insn0");
        b.CreateCondBr(b.CreateCall(enter, {cpu, dispatch, b.getInt32(static_cast<u32>(mb.insns.size()))}), first,
                       to_dispatcher);
        b.SetInsertPoint(first);
        llvm::BasicBlock* leave = block(tag + "leave");
        for (std::size_t n = 0; n < mb.insns.size(); ++n) {
          llvm::GlobalVariable* insn = insn_constant(*m, mb.insns[n], tag + "insn" + std::to_string(n));
          llvm::Value* st = b.CreateCall(step, {cpu, insn, handler_constant(*m, mb.insns[n].fn)});
          llvm::BasicBlock* following = block(tag + "insn" + std::to_string(n + 1));
          llvm::SwitchInst* sw = b.CreateSwitch(st, faulted, 2);
          sw->addCase(b.getInt32(0), following);
          sw->addCase(b.getInt32(1), leave);
          b.SetInsertPoint(following);
        }
        b.CreateBr(leave);
        b.SetInsertPoint(leave);
        llvm::Value* may_change = b.getInt1(may_change_code_segment(mb.insns.back()));
        // The members this one may go on to: those its last instruction names; after an
        // indirect jump or a return, any member (a single block gets no loop it cannot take:
        // LLVM's loop passes cost compile time).
        std::vector<std::size_t> successors;
        const std::vector<u32> known = static_successors(mb);
        for (std::size_t t = 0; t < r.members.size(); ++t) {
          const bool named = std::find(known.begin(), known.end(), r.members[t].eip) != known.end();
          const bool indirect = known.empty() && r.members.size() > 1;
          if (named || indirect) successors.push_back(t);
        }
        llvm::BasicBlock* elsewhere = block(tag + "elsewhere");
        if (!successors.empty()) {
          llvm::BasicBlock* check = block(tag + "check");
          llvm::BasicBlock* choose = block(tag + "choose");
          b.CreateCondBr(region_ok, check, elsewhere);
          b.SetInsertPoint(check);
          b.CreateCondBr(b.CreateCall(region_continue, {cpu, address(mb.block), dispatch, context, may_change}), choose,
                         elsewhere);
          b.SetInsertPoint(choose);
          llvm::SwitchInst* sw = b.CreateSwitch(b.CreateCall(eip_of, {cpu}), elsewhere, successors.size());
          for (std::size_t t : successors) {
            llvm::BasicBlock* edge = block(tag + "to_m" + std::to_string(t));
            sw->addCase(b.getInt32(r.members[t].eip), edge);
            llvm::IRBuilder<> e(edge);
            e.CreateStore(address(mb.block), last_member);
            e.CreateStore(e.CreateAdd(e.CreateLoad(i64, steps), llvm::ConstantInt::get(i64, 1)), steps);
            e.CreateBr(heads[t]);
          }
        } else {
          b.CreateBr(elsewhere);
        }
        b.SetInsertPoint(elsewhere);
        b.CreateStore(address(mb.block), last_member);
        llvm::Value* target = b.CreateCall(next, {cpu, address(mb.block), dispatch, may_change});
        llvm::BasicBlock* chain = block(tag + "chain");
        b.CreateCondBr(b.CreateIsNull(target), to_dispatcher, chain);
        b.SetInsertPoint(chain);
        leave_region(b);
        llvm::CallInst* tail = b.CreateCall(block_type, target, {cpu});
        tail->setTailCallKind(llvm::CallInst::TCK_MustTail);
        b.CreateRet(tail);
      }
      for (auto [exit, result] : {std::pair{to_dispatcher, 0u}, std::pair{faulted, kCompiledFaulted}}) {
        llvm::IRBuilder<> at(exit);
        leave_region(at);
        at.CreateRet(at.getInt32(result));
      }
    }
    // Bring in the definitions the blocks use, then make them private to this module.
    std::unordered_set<std::string> entries;
    for (const Request& r : batch) entries.insert(entry_name(r));
    std::vector<const llvm::GlobalValue*> roots;
    for (llvm::Function& f : *m)
      if (f.isDeclaration())
        if (const llvm::Function* twin = library_->getFunction(f.getName())) roots.push_back(twin);
    const auto needed = closure(std::move(roots));
    llvm::ValueToValueMapTy map;
    auto subset = llvm::CloneModule(*library_, map, [&](const llvm::GlobalValue* g) { return needed.count(g) > 0; });
    if (llvm::Linker::linkModules(*m, std::move(subset), llvm::Linker::Flags::LinkOnlyNeeded)) {
      error = "linking the semantics failed";
      return nullptr;
    }
    // A library function the emu binary also has is only lent to the optimiser for inlining
    // (available_externally): where it is not inlined, the call goes to the binary's copy and
    // the module does not compile another. The rest become private to the module.
    // Small helpers, the memory access templates (segment check, then the TLB fast path with
    // the slow path a call) and lazy-flag evaluation are always inlined: with the flag operation
    // of the previous instruction known, Flags::condition and materialise fold to a few
    // operations, and a memory operand becomes a compare and an add on the fast path.
    for (llvm::Function& f : *m) {
      if (f.isDeclaration() || entries.count(f.getName().str())) continue;
      if ((f.getInstructionCount() < 40 || always_inlined(f.getName())) && !f.hasFnAttribute(llvm::Attribute::NoInline))
        f.addFnAttr(llvm::Attribute::AlwaysInline);
    }
    // Each instruction's own handler is always inlined: that is what turns its decoded fields
    // into constants. (The VMM gate is not: sensitive instructions stay calls, DESIGN §3.)
    for (const Request& r : batch)
      for (const Member& mb : r.members)
        for (const DecodedInsn& i : mb.insns)
          if (const std::string* name = symbols_.name_at(reinterpret_cast<uintptr_t>(i.fn)))
            if (llvm::Function* f = m->getFunction(*name);
                f && !f->isDeclaration() && name->find("vmm_gate") == std::string::npos)
              f->addFnAttr(llvm::Attribute::AlwaysInline);
    //
    // Which copies in the binary may be called by name: functions with external linkage, whose
    // signature is fixed, and handlers, whose address the binary takes. An internal helper of the
    // binary may have had its signature changed by the compiler under the same name (LLVM's
    // dead-argument elimination keeps names; clang builds, e.g. the sanitizer ones, do this),
    // so the module compiles its own copy of those.
    std::unordered_set<std::string> handlers;
    for (const Request& r : batch)
      for (const Member& mb : r.members)
        for (const DecodedInsn& i : mb.insns)
          for (Handler h : {i.fn, i.impl})
            if (const std::string* name = symbols_.name_at(reinterpret_cast<uintptr_t>(h))) handlers.insert(*name);
    for (llvm::Function& f : *m) {
      const std::string name = f.getName().str();
      if (f.isDeclaration() || entries.count(name)) continue;
      const bool callable = symbols_.address(name) && (!originally_local_.count(name) || handlers.count(name));
      f.setLinkage(callable ? llvm::GlobalValue::AvailableExternallyLinkage : llvm::GlobalValue::InternalLinkage);
    }
    for (llvm::GlobalVariable& g : m->globals())
      if (!g.isDeclaration()) g.setLinkage(llvm::GlobalValue::InternalLinkage);
    if (llvm::verifyModule(*m, &llvm::errs())) {
      error = "the lifted module does not verify";
      return nullptr;
    }
    return m;
  }

  // What is left undefined after optimisation is the emu binary's: the handlers and helpers that
  // were not inlined, core/ (the MMU's slow paths, segment loads) and the C++ runtime. Calls go
  // to them by absolute address, so no module needs symbol resolution or stubs (DESIGN §3).
  // The MMU's slow path is called from nearly every memory operand's miss branch, with the guest
  // registers live in host registers all around it. Called with the C convention, each such call
  // site saves and restores every caller-saved register that holds one (and the register
  // allocator splits their live ranges there: most of its time). So compiled code calls it
  // through a trampoline with LLVM's preserve_most convention, which saves what it clobbers
  // itself, once; the call sites then keep their registers. Made once, here.
  bool make_slow_path_trampolines(std::string& error) {
    llvm::LLVMContext& ctx = *context_->getContext();
    auto module = std::make_unique<llvm::Module>("emu_trampolines", ctx);
    module->setDataLayout(target_machine_->createDataLayout());
    std::vector<std::pair<std::string, std::string>> made;  // callee, trampoline
    for (llvm::Function& target : *library_) {
      if (!is_mmu_slow_path_name(target.getName()) || !target.isDeclaration()) continue;
      const u64 address = host_address(target.getName().str());
      if (!address) continue;  // then bind_externals reports it, if a block calls it
      const std::string name = "emu_trampoline_" + std::to_string(made.size());
      llvm::Function* t =
          llvm::Function::Create(target.getFunctionType(), llvm::GlobalValue::ExternalLinkage, name, *module);
      t->setAttributes(target.getAttributes());
      t->setCallingConv(llvm::CallingConv::PreserveMost);
      t->addFnAttr(llvm::Attribute::NoInline);
      llvm::IRBuilder<> b(llvm::BasicBlock::Create(ctx, "entry", t));
      std::vector<llvm::Value*> args;
      for (llvm::Argument& a : t->args()) args.push_back(&a);
      llvm::CallInst* call = b.CreateCall(
          target.getFunctionType(),
          llvm::ConstantExpr::getIntToPtr(llvm::ConstantInt::get(b.getInt64Ty(), address), b.getPtrTy()), args);
      call->setAttributes(target.getAttributes());
      if (t->getReturnType()->isVoidTy())
        b.CreateRetVoid();
      else
        b.CreateRet(call);
      made.emplace_back(target.getName().str(), name);
    }
    if (made.empty()) return true;
    if (auto err = jit_->addIRModule(llvm::orc::ThreadSafeModule(std::move(module), *context_))) {
      error = "JIT: " + llvm::toString(std::move(err));
      return false;
    }
    for (const auto& [callee, name] : made) {
      auto sym = jit_->lookup(name);
      if (!sym) {
        error = "JIT: " + llvm::toString(sym.takeError());
        return false;
      }
      trampolines_[callee] = sym->getValue();
    }
    return true;
  }

  bool bind_externals(llvm::Module& m, std::string& error) {
    llvm::LLVMContext& ctx = m.getContext();
    std::vector<llvm::GlobalValue*> externals;
    for (llvm::Function& f : m)
      if (f.isDeclaration() && !f.isIntrinsic() && !f.use_empty()) externals.push_back(&f);
    for (llvm::GlobalVariable& g : m.globals())
      if (g.isDeclaration() && !g.use_empty()) externals.push_back(&g);
    for (llvm::GlobalValue* g : externals) {
      if (const auto t = trampolines_.find(g->getName().str()); t != trampolines_.end()) {
        // Every use is a direct call (the slow path's address is never taken in the semantics).
        bool calls_only = true;
        for (llvm::User* u : g->users()) {
          auto* call = llvm::dyn_cast<llvm::CallBase>(u);
          if (!call || call->getCalledOperand() != g) calls_only = false;
        }
        if (calls_only) {
          for (llvm::User* u : g->users())
            llvm::cast<llvm::CallBase>(u)->setCallingConv(llvm::CallingConv::PreserveMost);
          g->replaceAllUsesWith(llvm::ConstantExpr::getIntToPtr(
              llvm::ConstantInt::get(llvm::Type::getInt64Ty(ctx), t->second), g->getType()));
          continue;
        }
      }
      const u64 address = host_address(g->getName().str());
      if (!address) {
        error = "no address for " + g->getName().str();
        return false;
      }
      g->replaceAllUsesWith(
          llvm::ConstantExpr::getIntToPtr(llvm::ConstantInt::get(llvm::Type::getInt64Ty(ctx), address), g->getType()));
    }
    for (llvm::GlobalValue* g : externals) g->eraseFromParent();
    return true;
  }

  // Where a pointer in a block's code points, as far as the alias annotation needs to know.
  enum class Region { Cpu, Guest, Private, Unknown };

  static Region region_of(llvm::Value* pointer, const llvm::Argument* cpu) {
    const llvm::Value* base = llvm::getUnderlyingObject(pointer, /*MaxLookup=*/12);
    if (base == cpu) return Region::Cpu;
    if (llvm::isa<llvm::AllocaInst>(base)) return Region::Private;
    if (auto* g = llvm::dyn_cast<llvm::GlobalVariable>(base); g && g->isConstant()) return Region::Private;
    // Guest memory is reached through the TLB: host pointer = entry.addend + linear address,
    // an integer sum turned into a pointer (Cpu::read_linear/write_linear). Nothing else in the
    // semantics makes a pointer from an integer, except through ptrtoint, which is refused here.
    if (auto* cast = llvm::dyn_cast<llvm::IntToPtrInst>(base)) {
      std::vector<const llvm::Value*> work{cast->getOperand(0)};
      for (unsigned visited = 0; !work.empty() && visited < 32; ++visited) {
        const llvm::Value* v = work.back();
        work.pop_back();
        if (llvm::isa<llvm::PtrToIntInst>(v) || llvm::isa<llvm::Argument>(v)) return Region::Unknown;
        if (auto* ce = llvm::dyn_cast<llvm::ConstantExpr>(v); ce && ce->getOpcode() == llvm::Instruction::PtrToInt)
          return Region::Unknown;
        if (auto* inst = llvm::dyn_cast<llvm::Instruction>(v); inst && !llvm::isa<llvm::LoadInst>(inst))
          for (const llvm::Value* op : inst->operands()) work.push_back(op);
      }
      return work.empty() ? Region::Guest : Region::Unknown;
    }
    return Region::Unknown;
  }

  // Tells LLVM that guest memory and the Cpu never overlap. Without it every guest store could
  // change any CPU field, so registers, EIP and the lazy flags were written back and read again
  // around each one. With it, EarlyCSE/GVN keep them in registers across guest accesses and
  // DSE drops the EIP, retired-count and flag records that later instructions overwrite.
  // Accesses get scope "cpu" or "guest" (scoped no-alias metadata) only when every pointer
  // they use is known: the Cpu argument, guest memory, or private (allocas, constants).
  void annotate_aliasing(llvm::Function& f) {
    llvm::MDBuilder md(f.getContext());
    llvm::MDNode* domain = md.createAnonymousAliasScopeDomain("emu");
    llvm::MDNode* cpu_scope = md.createAnonymousAliasScope(domain, "cpu");
    llvm::MDNode* guest_scope = md.createAnonymousAliasScope(domain, "guest");
    llvm::MDNode* cpu_list = llvm::MDNode::get(f.getContext(), {cpu_scope});
    llvm::MDNode* guest_list = llvm::MDNode::get(f.getContext(), {guest_scope});
    const llvm::Argument* cpu = f.getArg(0);
    for (llvm::BasicBlock& bb : f)
      for (llvm::Instruction& inst : bb) {
        std::vector<llvm::Value*> pointers;
        if (auto* load = llvm::dyn_cast<llvm::LoadInst>(&inst)) {
          pointers.push_back(load->getPointerOperand());
        } else if (auto* store = llvm::dyn_cast<llvm::StoreInst>(&inst)) {
          pointers.push_back(store->getPointerOperand());
        } else if (auto* transfer = llvm::dyn_cast<llvm::MemTransferInst>(&inst)) {
          pointers.push_back(transfer->getRawDest());
          pointers.push_back(transfer->getRawSource());
        } else if (auto* set = llvm::dyn_cast<llvm::MemSetInst>(&inst)) {
          pointers.push_back(set->getRawDest());
        } else {
          continue;
        }
        bool any_cpu = false, any_guest = false, unknown = false;
        for (llvm::Value* p : pointers) switch (region_of(p, cpu)) {
            case Region::Cpu: any_cpu = true; break;
            case Region::Guest: any_guest = true; break;
            case Region::Private: break;
            case Region::Unknown: unknown = true; break;
          }
        if (unknown || any_cpu == any_guest) continue;
        inst.setMetadata(llvm::LLVMContext::MD_alias_scope, any_cpu ? cpu_list : guest_list);
        inst.setMetadata(llvm::LLVMContext::MD_noalias, any_cpu ? guest_list : cpu_list);
      }
  }

  // Keeps the CPU state a block uses in local variables (so in host registers) and writes it
  // back only where something else may look: before a call (a slow path, a handler that is not
  // inlined), before an access to the Cpu at a variable offset, and on the way out of the block
  // (return, or the tail call into the next block). After any of these the locals are read
  // again. A field is kept locally when every access to its bytes has the same offset and
  // type; guest memory never holds the Cpu (annotate_aliasing's reasoning), and neither does
  // any pointer the Cpu holds, so only these can see the Cpu's bytes.
  // The Cpu fields a block keeps locally: the guest's general registers, EIP, EFLAGS with its
  // lazy-flag record, and the retired count.
  // Offsets within Cpu: offsetof on a class with references is conditionally supported, and
  // both compilers here support it.
  struct ByteRange {
    int64_t begin, end;
  };
  static std::vector<ByteRange> promotable_ranges() {
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Winvalid-offsetof"
    const int64_t state = offsetof(Cpu, s);
    const int64_t flags = state + offsetof(CpuState, flags);
    const int64_t retired = offsetof(Cpu, counters) + offsetof(CpuCounters, instructions);
    const int64_t code_changed = offsetof(Cpu, code_changed);
    // EFLAGS comes first, Cpu::code_changed second to last and the retired count last:
    // promote_cpu_fields looks them up by position.
    return {
        {flags + int64_t(offsetof(Flags, bits)), flags + int64_t(offsetof(Flags, bits) + sizeof(u32))},
        {state + int64_t(offsetof(CpuState, gpr)), state + int64_t(offsetof(CpuState, gpr) + sizeof(CpuState::gpr))},
        {state + int64_t(offsetof(CpuState, eip)), state + int64_t(offsetof(CpuState, eip) + sizeof(u32))},
        {flags + int64_t(offsetof(Flags, op)), flags + int64_t(sizeof(Flags))},
        {code_changed, code_changed + int64_t(sizeof(bool))},
        {retired, retired + int64_t(sizeof(u64))},
    };
#pragma GCC diagnostic pop
  }

  // Calls that read only the retired count and EFLAGS and write no promoted field but
  // Cpu::code_changed: the MMU's slow path (Cpu::access_slow, or access_slow_flat, which makes the
  // segment check first: a TLB miss, MMIO, a fault, a write to a page holding translated code),
  // the common call in a block. Those two are written back before it (a device
  // reached through MMIO may read the clock, which in deterministic mode is the retired count;
  // EFLAGS.AC decides #AC); only code_changed is read back after.
  static bool is_mmu_slow_path(const llvm::CallBase& call) {
    const llvm::Function* callee = call.getCalledFunction();
    return callee && is_mmu_slow_path_name(callee->getName());
  }
  static bool is_mmu_slow_path_name(llvm::StringRef name) {
    return name.contains("3Cpu11access_slow") || name.contains("3Cpu16access_slow_flat");
  }

  // Calls that neither read nor write a promoted field, so they need nothing written back before
  // them and nothing read again after: the segment limit and type check's slow path (SDM Vol. 3A,
  // 5.3; Cpu::check_segment settles a flat segment's accesses inline unless they may wrap past
  // 4 GiB), which reads the segment caches and on a violation records the #GP or #SS in
  // Cpu::pending. Nearly every memory operand carries this call; as a barrier it stored and
  // reloaded every promoted field around it.
  static bool touches_no_promoted_field(const llvm::CallBase& call) {
    const llvm::Function* callee = call.getCalledFunction();
    return callee && callee->getName().contains("3Cpu18check_segment_slow");
  }

  // For a function marked kAssumeAttribute: the loads of the fields EntryAssumptions covers
  // become constants (a segment's `flat` true and its base 0, the privilege and its TLB set),
  // and EFLAGS is read with AC clear, so InstCombine folds a memory operand's segment check and
  // base, the choice of TLB set and the alignment check away. The function's entry compares the
  // fields it folded with those values and returns kCompiledRefused when one differs. Valid
  // because no instruction in it may change them (may_change_entry_state) and nothing else
  // does while compiled code runs; a store to one of them found here cancels that one all the same.
  void assume_entry_state(llvm::Function& f) {
    const llvm::Attribute attribute = f.getFnAttribute(kAssumeAttribute);
    u64 encoded = 0;
    if (!attribute.isValid() || attribute.getValueAsString().getAsInteger(10, encoded)) return;
    const unsigned bits = encoded & 0xFF;
    const llvm::DataLayout& dl = f.getParent()->getDataLayout();
    llvm::Argument* cpu = f.getArg(0);
    struct Assumed {
      int64_t offset;
      u64 size;
      u64 value;
      std::vector<llvm::LoadInst*> loads;
      bool usable = true;  // never written
    };
    std::vector<Assumed> fields;
    const Cpu::PrivilegeFields privilege = Cpu::privilege_fields();
    const bool user = bits & kUser;
    fields.push_back({static_cast<int64_t>(privilege.user), sizeof(bool), user, {}});
    fields.push_back(
        {static_cast<int64_t>(privilege.tlb_set_offset), sizeof(u32), user ? privilege.tlb_set_bytes : 0, {}});
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Winvalid-offsetof"
    const int64_t state = offsetof(Cpu, s);
    const int64_t eflags_bits = state + offsetof(CpuState, flags) + offsetof(Flags, bits);
    for (auto [seg, bit] : {std::pair{Seg::ES, kFlatEs}, std::pair{Seg::SS, kFlatSs}, std::pair{Seg::DS, kFlatDs}}) {
      if (!(bits & bit)) continue;
      const int64_t cache = state + offsetof(CpuState, seg) + static_cast<u8>(seg) * sizeof(SegmentCache);
      fields.push_back({cache + static_cast<int64_t>(offsetof(SegmentCache, flat)), sizeof(bool), 1, {}});
      fields.push_back({cache + static_cast<int64_t>(offsetof(SegmentCache, base)), sizeof(u32), 0, {}});
    }
    // A near branch's limit check and the stack's address size (SDM Vol. 3A, 3.4.5: the B flag of
    // SS) then fold too: only the far transfers and SS loads kept out of such code change them.
    auto cache_of = [&](Seg seg) {
      return state + static_cast<int64_t>(offsetof(CpuState, seg) + static_cast<u8>(seg) * sizeof(SegmentCache));
    };
    fields.push_back({cache_of(Seg::CS) + static_cast<int64_t>(offsetof(SegmentCache, limit)),
                      sizeof(u32),
                      static_cast<u32>(encoded >> 32),
                      {}});
    fields.push_back({cache_of(Seg::SS) + static_cast<int64_t>(offsetof(SegmentCache, attrs)),
                      sizeof(u16),
                      static_cast<u16>(encoded >> 16),
                      {}});
#pragma GCC diagnostic pop
    bool assume_ac_clear = bits & kAlignmentCheckClear;
    std::vector<llvm::LoadInst*> eflags_loads;
    for (llvm::BasicBlock& bb : f)
      for (llvm::Instruction& inst : bb) {
        llvm::Value* pointer;
        llvm::Type* type;
        if (auto* load = llvm::dyn_cast<llvm::LoadInst>(&inst)) {
          pointer = load->getPointerOperand();
          type = load->getType();
        } else if (auto* store = llvm::dyn_cast<llvm::StoreInst>(&inst)) {
          pointer = store->getPointerOperand();
          type = store->getValueOperand()->getType();
        } else {
          continue;
        }
        llvm::APInt delta(64, 0);
        if (pointer->stripAndAccumulateConstantOffsets(dl, delta, /*AllowNonInbounds=*/true) != cpu) continue;
        const int64_t offset = delta.getSExtValue();
        const int64_t end = offset + static_cast<int64_t>(dl.getTypeStoreSize(type));
        auto* load = llvm::dyn_cast<llvm::LoadInst>(&inst);
        for (Assumed& a : fields) {
          if (end <= a.offset || a.offset + static_cast<int64_t>(a.size) <= offset) continue;
          if (!load)
            a.usable = false;  // written: not assumed
          else if (offset == a.offset && end == a.offset + static_cast<int64_t>(a.size) && type->isIntegerTy())
            a.loads.push_back(load);
          // A load of more or less than the field reads what the entry checked: left as it is.
        }
        // EFLAGS' AC is bit 18: only whole loads of the word can be given it clear.
        if (assume_ac_clear && offset <= eflags_bits + 2 && eflags_bits + 2 < end) {
          if (load && offset == eflags_bits && type->isIntegerTy(32))
            eflags_loads.push_back(load);
          else if (load)
            assume_ac_clear = false;
        }
      }
    std::erase_if(fields, [](const Assumed& a) { return !a.usable; });
    for (Assumed& a : fields)
      for (llvm::LoadInst* load : a.loads) {
        load->replaceAllUsesWith(llvm::ConstantInt::get(load->getType(), a.value));
        load->eraseFromParent();
      }
    if (assume_ac_clear)
      for (llvm::LoadInst* load : eflags_loads) {
        llvm::IRBuilder<> b(load->getNextNode());
        llvm::Value* cleared = b.CreateAnd(load, b.getInt32(~eflags::AC));
        load->replaceUsesWithIf(cleared, [&](llvm::Use& u) { return u.getUser() != cleared; });
      }
    // The check at entry, of what was folded: after the entry block's allocas (they must stay
    // in the entry block for SROA and mem2reg), before anything else.
    llvm::BasicBlock& entry = f.getEntryBlock();
    auto body_start = entry.begin();
    while (llvm::isa<llvm::AllocaInst>(*body_start)) ++body_start;
    llvm::BasicBlock* body = entry.splitBasicBlock(body_start, "assumed");
    llvm::BasicBlock* refuse = llvm::BasicBlock::Create(f.getContext(), "refuse", &f);
    llvm::IRBuilder<>(refuse).CreateRet(llvm::ConstantInt::get(f.getReturnType(), kCompiledRefused));
    entry.getTerminator()->eraseFromParent();
    llvm::IRBuilder<> b(&entry);
    llvm::Value* holds = b.getTrue();
    auto field_value = [&](int64_t offset, llvm::Type* type) {
      return b.CreateLoad(type, b.CreateConstInBoundsGEP1_64(b.getInt8Ty(), cpu, static_cast<u64>(offset)));
    };
    for (const Assumed& a : fields) {
      if (a.loads.empty()) continue;
      llvm::Type* type = b.getIntNTy(static_cast<unsigned>(a.size * 8));
      holds = b.CreateAnd(holds, b.CreateICmpEQ(field_value(a.offset, type), llvm::ConstantInt::get(type, a.value)));
    }
    if (assume_ac_clear && !eflags_loads.empty())
      holds = b.CreateAnd(
          holds, b.CreateICmpEQ(b.CreateAnd(field_value(eflags_bits, b.getInt32Ty()), eflags::AC), b.getInt32(0)));
    b.CreateCondBr(holds, body, refuse);
  }

  void promote_cpu_fields(llvm::Function& f) {
    const llvm::DataLayout& dl = f.getParent()->getDataLayout();
    llvm::Argument* cpu = f.getArg(0);
    struct Field {
      llvm::Type* type = nullptr;
      bool written = false;
      bool usable = true;
      llvm::AllocaInst* local = nullptr;
    };
    std::map<int64_t, Field> fields;
    // The Cpu offset of a load's or store's pointer when it is constant.
    auto cpu_offset = [&](llvm::Value* pointer, int64_t& offset) {
      llvm::APInt delta(64, 0);
      if (pointer->stripAndAccumulateConstantOffsets(dl, delta, /*AllowNonInbounds=*/true) != cpu) return false;
      offset = delta.getSExtValue();
      return true;
    };
    // Whether a pointer may point into the Cpu: it is derived from the argument through
    // offsets, selects or phis, or comes from somewhere that could (a call's result, say).
    auto based_on_cpu = [&](llvm::Value* pointer) {
      std::vector<llvm::Value*> work{pointer};
      std::unordered_set<llvm::Value*> seen;
      while (!work.empty()) {
        llvm::Value* v = work.back();
        work.pop_back();
        if (!seen.insert(v).second) continue;
        if (v == cpu) return true;
        if (auto* gep = llvm::dyn_cast<llvm::GEPOperator>(v)) {
          work.push_back(gep->getPointerOperand());
        } else if (auto* cast = llvm::dyn_cast<llvm::BitCastOperator>(v)) {
          work.push_back(cast->getOperand(0));
        } else if (auto* select = llvm::dyn_cast<llvm::SelectInst>(v)) {
          work.push_back(select->getTrueValue());
          work.push_back(select->getFalseValue());
        } else if (auto* phi = llvm::dyn_cast<llvm::PHINode>(v)) {
          for (llvm::Value* in : phi->incoming_values()) work.push_back(in);
        } else if (auto* load = llvm::dyn_cast<llvm::LoadInst>(v)) {
          // A pointer read from the Cpu, a constant or guest memory does not point into the
          // Cpu (it holds none into itself); one read from a local may (a captured reference).
          const llvm::Value* from = llvm::getUnderlyingObject(load->getPointerOperand(), 12);
          if (from != cpu && !llvm::isa<llvm::GlobalVariable>(from) && !llvm::isa<llvm::IntToPtrInst>(from) &&
              !llvm::isa<llvm::ConstantExpr>(from))
            return true;
        } else if (llvm::isa<llvm::AllocaInst>(v) || llvm::isa<llvm::GlobalValue>(v) ||
                   llvm::isa<llvm::IntToPtrInst>(v) || llvm::isa<llvm::ConstantExpr>(v) ||
                   llvm::isa<llvm::ConstantPointerNull>(v)) {
          // Not the Cpu: locals, constants, guest memory.
        } else {
          return true;
        }
      }
      return false;
    };
    // The bytes of the Cpu a pointer at a variable offset may reach, [lo, hi), from the ranges
    // of its indices (the TLB's index is masked, so its entries are a known range).
    auto cpu_range = [&](llvm::Value* pointer, u64 size, int64_t& lo, int64_t& hi) {
      int64_t constant = 0, variable = 0;
      llvm::Value* v = pointer;
      while (v != cpu) {
        auto* gep = llvm::dyn_cast<llvm::GEPOperator>(v);
        if (!gep) return false;
        llvm::MapVector<llvm::Value*, llvm::APInt> indices;
        llvm::APInt offset(64, 0);
        if (!gep->collectOffset(dl, 64, indices, offset)) return false;
        constant += offset.getSExtValue();
        for (auto& [index, scale] : indices) {
          const llvm::KnownBits known = llvm::computeKnownBits(index, dl);
          if (!known.isNonNegative() || scale.isNegative() || known.getMaxValue().getActiveBits() > 32) return false;
          variable += static_cast<int64_t>(known.getMaxValue().getZExtValue() * scale.getZExtValue());
        }
        v = gep->getPointerOperand();
      }
      lo = constant;
      hi = constant + variable + static_cast<int64_t>(size);
      return constant >= 0;
    };
    struct Ranged {
      llvm::Instruction* inst;
      int64_t lo, hi;
    };
    std::vector<Ranged> ranged;  // accesses at variable offsets, to fields maybe kept locally
    std::vector<llvm::CallBase*> slow_path_calls;
    std::vector<llvm::Instruction*> barriers;
    for (llvm::BasicBlock& bb : f)
      for (llvm::Instruction& inst : bb) {
        llvm::Value* pointer = nullptr;
        llvm::Type* type = nullptr;
        bool simple = true;
        if (auto* load = llvm::dyn_cast<llvm::LoadInst>(&inst)) {
          pointer = load->getPointerOperand();
          type = load->getType();
          simple = load->isSimple();
        } else if (auto* store = llvm::dyn_cast<llvm::StoreInst>(&inst)) {
          pointer = store->getPointerOperand();
          type = store->getValueOperand()->getType();
          simple = store->isSimple();
        } else if (auto* call = llvm::dyn_cast<llvm::CallBase>(&inst)) {
          if (!call->mayReadOrWriteMemory()) continue;
          if (is_mmu_slow_path(*call)) {
            slow_path_calls.push_back(call);
            continue;
          }
          if (touches_no_promoted_field(*call)) continue;
          bool touches_cpu = !call->onlyAccessesArgMemory();
          for (llvm::Value* arg : call->args())
            if (arg->getType()->isPointerTy() && based_on_cpu(arg)) touches_cpu = true;
          if (touches_cpu) barriers.push_back(&inst);
          continue;
        } else if (inst.mayReadOrWriteMemory()) {
          barriers.push_back(&inst);  // atomics, fences
          continue;
        } else {
          continue;
        }
        int64_t offset;
        if (!cpu_offset(pointer, offset)) {
          int64_t lo, hi;
          if (cpu_range(pointer, dl.getTypeStoreSize(type), lo, hi))
            ranged.push_back({&inst, lo, hi});
          else if (based_on_cpu(pointer))
            barriers.push_back(&inst);  // anywhere in the Cpu
          continue;
        }
        Field& field = fields[offset];
        if (!simple || !(type->isIntegerTy() || type->isPointerTy()) || (field.type && field.type != type))
          field.usable = false;
        field.type = type;
        if (llvm::isa<llvm::StoreInst>(inst)) field.written = true;
      }
    // Fields whose bytes overlap another access's are left in memory.
    for (auto it = fields.begin(); it != fields.end(); ++it) {
      const int64_t end = it->first + static_cast<int64_t>(dl.getTypeStoreSize(it->second.type));
      for (auto next = std::next(it); next != fields.end() && next->first < end; ++next)
        it->second.usable = next->second.usable = false;
    }
    for (auto& [offset, field] : fields) {
      const int64_t end = offset + static_cast<int64_t>(dl.getTypeStoreSize(field.type));
      if (std::none_of(promotable_.begin(), promotable_.end(),
                       [&](const ByteRange& r) { return r.begin <= offset && end <= r.end; }))
        field.usable = false;
    }
    std::erase_if(fields, [](const auto& entry) { return !entry.second.usable; });
    if (fields.empty()) return;
    for (const Ranged& r : ranged) {
      for (const auto& [offset, field] : fields)
        if (offset < r.hi && r.lo < offset + static_cast<int64_t>(dl.getTypeStoreSize(field.type))) {
          barriers.push_back(r.inst);
          break;
        }
    }

    llvm::IRBuilder<> b(&*f.getEntryBlock().getFirstInsertionPt());
    auto field_pointer = [&](llvm::IRBuilder<>& builder, int64_t offset) {
      return builder.CreateConstInBoundsGEP1_64(builder.getInt8Ty(), cpu, static_cast<u64>(offset));
    };
    for (auto& [offset, field] : fields) field.local = b.CreateAlloca(field.type);
    auto reload_field = [&](llvm::IRBuilder<>& builder, int64_t offset, Field& field) {
      builder.CreateStore(builder.CreateLoad(field.type, field_pointer(builder, offset)), field.local);
    };
    auto reload = [&](llvm::IRBuilder<>& builder) {
      for (auto& [offset, field] : fields) reload_field(builder, offset, field);
    };
    // Cpu::code_changed, kept locally too, starts as false: the dispatcher clears it before it
    // enters compiled code, and code that goes on to another block or member has just checked
    // it (a write that sets it sets Cpu::attention too, and then may_run_next runs). So the
    // test after each instruction (emu_jit_step) folds away except after a slow path, the one
    // place a block's own store can set it, where it is read again.
    const auto code_changed = fields.find(promotable_[promotable_.size() - 2].begin);
    // Accesses to kept fields go to the locals.
    for (llvm::BasicBlock& bb : f)
      for (llvm::Instruction& inst : llvm::make_early_inc_range(bb)) {
        int64_t offset;
        if (auto* load = llvm::dyn_cast<llvm::LoadInst>(&inst)) {
          if (!cpu_offset(load->getPointerOperand(), offset) || !fields.count(offset)) continue;
          load->setOperand(0, fields[offset].local);
          load->setMetadata(llvm::LLVMContext::MD_alias_scope, nullptr);
          load->setMetadata(llvm::LLVMContext::MD_noalias, nullptr);
        } else if (auto* store = llvm::dyn_cast<llvm::StoreInst>(&inst)) {
          if (!cpu_offset(store->getPointerOperand(), offset) || !fields.count(offset)) continue;
          store->setOperand(1, fields[offset].local);
          store->setMetadata(llvm::LLVMContext::MD_alias_scope, nullptr);
          store->setMetadata(llvm::LLVMContext::MD_noalias, nullptr);
        }
      }
    reload(b);
    if (code_changed != fields.end())
      b.CreateStore(llvm::ConstantInt::get(code_changed->second.type, 0), code_changed->second.local);

    // A write-back stores only the fields that may differ from the Cpu's copy there: stored
    // to since the function began or since the last write-back or reload on some path to it (a
    // forward "maybe written" dataflow over the blocks). Unchanged fields cost nothing then,
    // neither the store nor the load at entry that would feed it.
    std::unordered_map<const llvm::Value*, unsigned> index_of;  // a field's local -> its bit
    std::vector<Field*> by_index;
    for (auto& [offset, field] : fields) {
      index_of[field.local] = static_cast<unsigned>(by_index.size());
      by_index.push_back(&field);
    }
    const bool tracked = by_index.size() <= 64;
    const u64 all = tracked && by_index.size() < 64 ? (u64{1} << by_index.size()) - 1 : ~u64{0};
    // What the MMU's slow path reads (is_mmu_slow_path): the retired count and EFLAGS.
    u64 slow_path_fields = 0;
    for (const int64_t offset : {promotable_.back().begin, promotable_.front().begin})
      if (const auto field = fields.find(offset); field != fields.end())
        slow_path_fields |= u64{1} << index_of[field->second.local];
    std::unordered_set<const llvm::Instruction*> is_barrier(barriers.begin(), barriers.end());
    std::unordered_set<const llvm::Instruction*> is_slow_path_call(slow_path_calls.begin(), slow_path_calls.end());
    // What an instruction does to the mask of fields that may differ from memory.
    auto step = [&](const llvm::Instruction& inst, u64 mask) {
      if (auto* store = llvm::dyn_cast<llvm::StoreInst>(&inst)) {
        auto it = index_of.find(store->getPointerOperand());
        if (it != index_of.end()) mask |= tracked ? u64{1} << it->second : all;
      } else if (is_slow_path_call.count(&inst)) {
        mask &= ~slow_path_fields;
      } else if (is_barrier.count(&inst)) {
        mask = 0;  // written back, and read again unless it only reads
      }
      return mask;
    };
    std::unordered_map<const llvm::BasicBlock*, u64> in, out;
    for (bool changed = true; changed;) {
      changed = false;
      for (llvm::BasicBlock& bb : f) {
        u64 mask = 0;
        for (const llvm::BasicBlock* pred : llvm::predecessors(&bb)) mask |= out[pred];
        in[&bb] = mask;
        for (const llvm::Instruction& inst : bb) mask = step(inst, mask);
        if (out[&bb] != mask) {
          out[&bb] = mask;
          changed = true;
        }
      }
    }
    auto write_back_dirty = [&](llvm::IRBuilder<>& builder, u64 mask) {
      for (std::size_t k = 0; k < by_index.size(); ++k)
        if (by_index[k]->written && (mask & (tracked ? u64{1} << k : all))) {
          const Field& field = *by_index[k];
          const int64_t offset = std::next(fields.begin(), static_cast<std::ptrdiff_t>(k))->first;
          builder.CreateStore(builder.CreateLoad(field.type, field.local), field_pointer(builder, offset));
        }
    };
    for (llvm::BasicBlock& bb : f) {
      u64 mask = in[&bb];
      for (llvm::Instruction& inst : llvm::make_early_inc_range(bb)) {
        const u64 before_mask = mask;
        mask = step(inst, mask);
        if (is_slow_path_call.count(&inst)) {
          llvm::IRBuilder<> before(&inst);
          write_back_dirty(before, before_mask & slow_path_fields);
          if (code_changed != fields.end()) {
            llvm::IRBuilder<> after(inst.getNextNode());
            reload_field(after, code_changed->first, code_changed->second);
          }
        } else if (is_barrier.count(&inst)) {
          llvm::IRBuilder<> before(&inst);
          write_back_dirty(before, before_mask);
          auto* call = llvm::dyn_cast<llvm::CallInst>(&inst);
          if (call && call->isMustTailCall()) continue;   // followed by the return
          if (llvm::isa<llvm::LoadInst>(inst)) continue;  // a load changes nothing
          llvm::IRBuilder<> after(inst.getNextNode());
          reload(after);
        } else if (auto* ret = llvm::dyn_cast<llvm::ReturnInst>(&inst)) {
          auto* previous = ret->getPrevNode();
          auto* call = previous ? llvm::dyn_cast<llvm::CallInst>(previous) : nullptr;
          if (call && call->isMustTailCall()) continue;  // written back before the call
          llvm::IRBuilder<> before(ret);
          write_back_dirty(before, before_mask);
        }
      }
    }
  }

  struct PromoteCpuState : llvm::PassInfoMixin<PromoteCpuState> {
    Backend* backend;
    llvm::PreservedAnalyses run(llvm::Function& f, llvm::FunctionAnalysisManager&) {
      // Peephole passes run several times; the promotion runs at the first.
      if (!f.getName().starts_with("emu_block_") || f.hasFnAttribute("emu-promoted"))
        return llvm::PreservedAnalyses::all();
      f.addFnAttr("emu-promoted");
      backend->assume_entry_state(f);
      backend->annotate_aliasing(f);
      backend->promote_cpu_fields(f);
      return llvm::PreservedAnalyses::none();
    }
  };

  void optimise(llvm::Module& m) {
    // DESIGN §3: a pass pipeline must be rebuilt per module.
    llvm::LoopAnalysisManager lam;
    llvm::FunctionAnalysisManager fam;
    llvm::CGSCCAnalysisManager cgam;
    llvm::ModuleAnalysisManager mam;
    // Guest loops leave at every block's checks: unrolling and vectorising them buys nothing
    // and costs compile time.
    llvm::PipelineTuningOptions tuning;
    tuning.LoopUnrolling = false;
    tuning.LoopInterleaving = false;
    tuning.LoopVectorization = false;
    tuning.SLPVectorization = false;
    llvm::PassBuilder pb(target_machine_.get(), tuning);
    pb.registerModuleAnalyses(mam);
    pb.registerCGSCCAnalyses(cgam);
    pb.registerFunctionAnalyses(fam);
    pb.registerLoopAnalyses(lam);
    pb.crossRegisterProxies(lam, fam, cgam, mam);
    // First the inlining we chose (handlers and small helpers, marked alwaysinline), then the
    // lent bodies go, so the passes after this work on the blocks' own code only.
    {
      llvm::ModulePassManager prelude;
      prelude.addPass(llvm::AlwaysInlinerPass());  // emu_jit_step: each handler call is now direct
      prelude.addPass(llvm::AlwaysInlinerPass());  // the handlers and their small helpers
      prelude.addPass(llvm::EliminateAvailableExternallyPass());
      prelude.addPass(llvm::GlobalDCEPass());
      prelude.run(m, mam);
    }
    // The CPU state is promoted once the first InstCombine has folded the decoded fields (loads
    // from the instruction constants), so register numbers and operand offsets are constants;
    // the passes after it (SROA, GVN, DSE) then work on the promoted form.
    pb.registerPeepholeEPCallback([this](llvm::FunctionPassManager& fpm, llvm::OptimizationLevel) {
      PromoteCpuState pass;
      pass.backend = this;
      fpm.addPass(std::move(pass));
    });
    llvm::ModulePassManager mpm = pb.buildPerModuleDefaultPipeline(llvm::OptimizationLevel::O2);
    mpm.run(m, mam);
  }

  void dump_module(const llvm::Module& m, const std::vector<Request>& batch) {
    for (const Request& r : batch) {
      std::fprintf(options_.dump, "JIT %s at phys %08x eip %08x, %zu blocks, %zu guest instructions:\n",
                   r.members.size() > 1 ? "region" : "block", r.members[0].phys, r.members[0].eip, r.members.size(),
                   r.instructions());
      for (std::size_t k = 0; k < r.members.size(); ++k) {
        const Member& mb = r.members[k];
        if (r.members.size() > 1) std::fprintf(options_.dump, " member%zu at eip %08x:\n", k, mb.eip);
        u32 eip = mb.eip;
        for (const DecodedInsn& i : mb.insns) {
          std::fprintf(options_.dump, "  %08x  %s\n", eip, i.entry->syntax);
          eip += i.len;
        }
      }
      if (const llvm::Function* f = m.getFunction(entry_name(r))) {
        std::string text;
        llvm::raw_string_ostream os(text);
        f->print(os);
        std::fprintf(options_.dump, "%s\n", text.c_str());
      }
    }
  }

  void dump_host_code(const std::string& name, CompiledBlock code, u64 size) {
    std::fprintf(options_.dump, "host code of %s (%llu bytes):\n", name.c_str(), static_cast<unsigned long long>(size));
    const auto* bytes = reinterpret_cast<const u8*>(code);
    for (const std::string& line : disassemble_host(bytes, size, reinterpret_cast<u64>(code)))
      std::fprintf(options_.dump, "  %s\n", line.c_str());
    std::fflush(options_.dump);
  }

  JitOptions options_;
  ElfSymbols symbols_;
  std::unique_ptr<llvm::orc::ThreadSafeContext> context_;
  std::unordered_map<std::string, u64> trampolines_;  // the MMU's slow path: name -> trampoline
  std::unique_ptr<llvm::Module> library_;
  llvm::Function* step_ = nullptr;
  llvm::Function* enter_ = nullptr;
  llvm::Function* next_ = nullptr;
  llvm::Function* eip_ = nullptr;
  llvm::Function* region_begin_ = nullptr;
  llvm::Function* region_entry_ok_ = nullptr;
  llvm::Function* region_continue_ = nullptr;
  llvm::Function* region_leave_ = nullptr;
  llvm::Function* entry_member_ = nullptr;
  std::unique_ptr<llvm::TargetMachine> target_machine_;
  std::unique_ptr<llvm::orc::LLJIT> jit_;
  std::unordered_map<std::string, u64> sizes_;
  // The modules installed, with the interpreter each was made for.
  struct KeptModule {
    const DispatchState* owner;
    llvm::orc::ResourceTrackerSP tracker;
    std::vector<std::string> names;
  };
  std::vector<KeptModule> modules_;

  std::unordered_set<std::string> originally_local_;  // library functions that had local linkage
  const std::vector<ByteRange> promotable_ = promotable_ranges();
  std::unordered_map<const llvm::GlobalValue*, std::vector<const llvm::GlobalValue*>> references_;
  std::FILE* perf_map_ = nullptr;
  u64 module_count_ = 0;
  u64 next_id_ = 1;
  bool failure_reported_ = false;
};

struct JitCompiler::Impl {
  JitOptions options;
  Backend backend;  // used by the compile thread only, or by the CPU thread in force mode

  mutable std::mutex mutex;
  std::condition_variable wake;
  std::deque<Request> queue;
  std::vector<Result> finished;
  std::atomic<bool>* any_finished = nullptr;  // the BlockCompiler's flag
  std::atomic<u32>* backlog = nullptr;        // the BlockCompiler's count of queued requests
  bool stopping = false;
  JitCounters counters;  // under `mutex`
  // Modules in the code cache for each interpreter, and the interpreters whose code the
  // compile thread is to free (it alone uses the backend).
  std::unordered_map<const DispatchState*, u64> live_modules;
  std::vector<const DispatchState*> drops;
  std::atomic<bool>* cache_full = nullptr;  // the BlockCompiler's flag
  std::thread worker;

  // Guest instructions per module: batching amortises LLVM's per-module cost (DESIGN §3: ~190 µs
  // of set-up), but a module is installed only when all of it is compiled, and a block costs
  // ~30 ms of LLVM time, so a module holds little: what became hot runs compiled soon.
  static constexpr std::size_t kBatchInstructions = 48;

  void run_worker() {
    std::unique_lock lock(mutex);
    for (;;) {
      wake.wait(lock, [&] { return stopping || !queue.empty() || !drops.empty(); });
      if (stopping) return;
      // Code is freed before the next batch, which may be for the same interpreter.
      if (!drops.empty()) {
        std::vector<const DispatchState*> owners;
        owners.swap(drops);
        lock.unlock();
        for (const DispatchState* owner : owners) backend.drop(owner);
        lock.lock();
        continue;
      }
      std::vector<Request> batch;
      // Newest first: what became hot last is what the guest runs now (a boot's one-off hot
      // spots wait behind the benchmark loop that follows them, not the other way round). One
      // module holds one interpreter's requests (its code is freed with that interpreter's).
      std::size_t instructions = 0;
      const DispatchState* owner = queue.back().dispatch;
      while (!queue.empty() && instructions < kBatchInstructions && queue.back().dispatch == owner) {
        instructions += queue.back().instructions();
        batch.push_back(std::move(queue.back()));
        queue.pop_back();
      }
      backlog->store(static_cast<u32>(queue.size()), std::memory_order_relaxed);
      JitCounters delta;
      lock.unlock();
      std::vector<Result> results = backend.compile(batch, delta);
      lock.lock();
      add(delta, owner);
      for (Result& r : results)
        if (r.code) finished.push_back(r);
      if (!finished.empty()) any_finished->store(true, std::memory_order_release);
    }
  }

  // Under `mutex`: a compile's counters, and the module it made for `owner`'s interpreter.
  void add(const JitCounters& d, const DispatchState* owner) {
    if (d.modules) {
      counters.live_modules += d.modules;
      if ((live_modules[owner] += d.modules) >= options.cache_modules)
        cache_full->store(true, std::memory_order_relaxed);
    }
    counters.blocks_compiled += d.blocks_compiled;
    counters.regions += d.regions;
    counters.region_blocks += d.region_blocks;
    counters.modules += d.modules;
    counters.guest_instructions_compiled += d.guest_instructions_compiled;
    counters.compile_ns += d.compile_ns;
    counters.code_bytes += d.code_bytes;
    counters.failures += d.failures;
  }
};

JitCompiler::JitCompiler(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {
  impl_->any_finished = &finished_;
  impl_->backlog = &backlog_;
  impl_->cache_full = &cache_full_;
}

std::unique_ptr<JitCompiler> JitCompiler::create(const JitOptions& options, std::string& error) {
  auto impl = std::make_unique<Impl>();
  impl->options = options;
  if (!impl->backend.init(options, error)) return nullptr;
  Impl* raw = impl.get();
  if (!options.force && !options.synchronous) raw->worker = std::thread([raw] { raw->run_worker(); });
  return std::unique_ptr<JitCompiler>(new JitCompiler(std::move(impl)));
}

JitCompiler::~JitCompiler() {
  {
    std::lock_guard lock(impl_->mutex);
    impl_->stopping = true;
  }
  impl_->wake.notify_all();
  if (impl_->worker.joinable()) impl_->worker.join();
}

u32 JitCompiler::threshold() const { return impl_->options.force ? 0 : impl_->options.threshold; }

u64 JitCompiler::reform_threshold() const { return impl_->options.reform; }

void JitCompiler::hot(const Region& region, const DispatchState& dispatch) {
  Request r{0, region.members[0].block->code32, region.cs_base, {}, &dispatch, region.assumed};
  for (const Region::Member& m : region.members)
    r.members.push_back({m.block->serial, m.block->phys, m.eip, m.block->byte_len, m.block->insns, m.block});
  if (impl_->options.force || impl_->options.synchronous) {
    JitCounters delta;
    std::vector<Request> one;
    one.push_back(std::move(r));
    std::vector<Result> results = impl_->backend.compile(one, delta);
    std::lock_guard lock(impl_->mutex);
    impl_->add(delta, &dispatch);
    if (results[0].code) {
      impl_->finished.push_back(results[0]);
      impl_->any_finished->store(true, std::memory_order_release);
    }
    return;
  }
  {
    std::lock_guard lock(impl_->mutex);
    impl_->queue.push_back(std::move(r));
    impl_->backlog->store(static_cast<u32>(impl_->queue.size()), std::memory_order_relaxed);
  }
  impl_->wake.notify_one();
}

void JitCompiler::hurry(u64 region, const DispatchState& dispatch) {
  std::lock_guard lock(impl_->mutex);
  auto& queue = impl_->queue;
  // The worker takes requests from the back.
  auto it = std::find_if(queue.begin(), queue.end(),
                         [&](const Request& r) { return r.dispatch == &dispatch && r.members[0].serial == region; });
  if (it == queue.end()) return;
  Request r = std::move(*it);
  queue.erase(it);
  queue.push_back(std::move(r));
  ++impl_->counters.hurried;
}

void JitCompiler::install_finished(Interpreter& interpreter) {
  // Several interpreters may share one compiler (the tests' machines): each installs only the
  // code made for its own blocks, which reads its own dispatch state and links.
  std::vector<Result> done;
  {
    std::lock_guard lock(impl_->mutex);
    std::vector<Result> others;
    for (Result& r : impl_->finished) (r.dispatch == &interpreter.dispatch_state() ? done : others).push_back(r);
    impl_->finished.swap(others);
    // Code left for another interpreter waits for that one's next install (in force mode each
    // installs right after compiling; the emu binary has one interpreter).
    impl_->any_finished->store(false, std::memory_order_relaxed);
  }
  u64 installed = 0, stale = 0;
  for (const Result& r : done) {
    if (interpreter.install(r.members, r.code32, r.code))
      ++installed;
    else
      ++stale;
  }
  std::lock_guard lock(impl_->mutex);
  impl_->counters.installed += installed;
  impl_->counters.stale += stale;
}

bool JitCompiler::over_limit(const DispatchState& dispatch) const {
  std::lock_guard lock(impl_->mutex);
  auto it = impl_->live_modules.find(&dispatch);
  return it != impl_->live_modules.end() && it->second >= impl_->options.cache_modules;
}

void JitCompiler::drop_code(const DispatchState& dispatch) {
  const bool own_thread = !impl_->options.force && !impl_->options.synchronous;
  {
    std::lock_guard lock(impl_->mutex);
    // Requests and finished code for the dropped blocks would only be turned away at install.
    std::erase_if(impl_->queue, [&](const Request& r) { return r.dispatch == &dispatch; });
    std::erase_if(impl_->finished, [&](const Result& r) { return r.dispatch == &dispatch; });
    impl_->backlog->store(static_cast<u32>(impl_->queue.size()), std::memory_order_relaxed);
    if (auto it = impl_->live_modules.find(&dispatch); it != impl_->live_modules.end()) {
      impl_->counters.live_modules -= it->second;
      impl_->live_modules.erase(it);
    }
    ++impl_->counters.cache_flushes;
    bool any_full = false;
    for (const auto& [owner, modules] : impl_->live_modules) any_full |= modules >= impl_->options.cache_modules;
    cache_full_.store(any_full, std::memory_order_relaxed);
    if (own_thread) impl_->drops.push_back(&dispatch);
  }
  if (own_thread)
    impl_->wake.notify_one();
  else
    impl_->backend.drop(&dispatch);
}

JitCounters JitCompiler::counters() const {
  std::lock_guard lock(impl_->mutex);
  JitCounters c = impl_->counters;
  c.queued = impl_->queue.size();
  return c;
}

std::string JitCompiler::describe(const Interpreter& interpreter) const {
  const JitCounters c = counters();
  const InterpreterStats& s = interpreter.stats();
  const DispatchState& d = interpreter.dispatch_state();
  const u64 retired = s.compiled_instructions + s.interpreted_instructions;
  char text[1536];
  std::snprintf(
      text, sizeof text,
      "JIT (LLVM ORC, %s, threshold %u executions)\n"
      "  blocks compiled     %llu in %llu modules (%llu guest instructions), %llu failed\n"
      "  regions             %llu functions of several blocks, holding %llu of those blocks; %llu formed\n"
      "                      again around blocks entered often from other compiled code\n"
      "  compile time        %.1f ms total, %.1f us per guest instruction (compile thread CPU)\n"
      "  queue               %llu waiting; %llu installed, %llu dropped (block invalidated first);\n"
      "                      %llu moved to the front, their blocks running interpreted meanwhile\n"
      "  code size           %llu bytes compiled; %llu modules in the code cache, %llu flushes\n"
      "  block runs          %llu interpreted, %llu entries into compiled code (which goes on from\n"
      "                      block to block by itself)\n"
      "  transitions         %llu inside regions, %llu chained between compiled functions, %llu\n"
      "                      through the dispatcher\n"
      "  guest instructions  %llu retired by compiled code, %llu interpreted (%.1f%% compiled)\n"
      "  invalidations       %llu blocks (self-modifying code, flushes)\n",
      impl_->options.force         ? "force mode"
      : impl_->options.synchronous ? "synchronous"
                                   : "background thread",
      threshold(), static_cast<unsigned long long>(c.blocks_compiled), static_cast<unsigned long long>(c.modules),
      static_cast<unsigned long long>(c.guest_instructions_compiled), static_cast<unsigned long long>(c.failures),
      static_cast<unsigned long long>(c.regions), static_cast<unsigned long long>(c.region_blocks),
      static_cast<unsigned long long>(s.regions_reformed), c.compile_ns / 1e6,
      c.guest_instructions_compiled ? c.compile_ns / 1e3 / c.guest_instructions_compiled : 0.0,
      static_cast<unsigned long long>(c.queued), static_cast<unsigned long long>(c.installed),
      static_cast<unsigned long long>(c.stale), static_cast<unsigned long long>(c.hurried),
      static_cast<unsigned long long>(c.code_bytes), static_cast<unsigned long long>(c.live_modules),
      static_cast<unsigned long long>(c.cache_flushes), static_cast<unsigned long long>(s.interpreted_runs),
      static_cast<unsigned long long>(s.compiled_runs), static_cast<unsigned long long>(d.region_transitions),
      static_cast<unsigned long long>(d.chained_transitions),
      static_cast<unsigned long long>(s.chained + s.block_lookups),
      static_cast<unsigned long long>(s.compiled_instructions),
      static_cast<unsigned long long>(s.interpreted_instructions),
      retired ? 100.0 * s.compiled_instructions / retired : 0.0, static_cast<unsigned long long>(s.blocks_invalidated));
  return text;
}

}  // namespace emu::jit
