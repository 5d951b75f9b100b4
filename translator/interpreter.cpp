#include "translator/interpreter.h"

#include <algorithm>
#include <cstring>

#include "translator/decoder.h"
#include "translator/semantics/select.h"

namespace emu {

namespace {
u64 block_key(u32 phys, bool code32) { return (u64{phys} << 1) | (code32 ? 1 : 0); }
unsigned fast_slot(u32 phys) { return (phys ^ (phys >> 12)) & 4095; }
}  // namespace

Interpreter::Interpreter(Cpu& cpu) : cpu_(cpu) { cpu_.bus.set_code_write_listener(this); }

Interpreter::~Interpreter() {
  if (cpu_.bus.ram()) cpu_.bus.set_code_write_listener(nullptr);
}

void Interpreter::flush() {
  for (auto& [key, b] : blocks_) {
    b->valid = false;
    cpu_.bus.set_code_page(b->phys, false);
    cpu_.bus.set_code_page(b->phys_end_page, false);
    graveyard_.push_back(std::move(b));
  }
  blocks_.clear();
  blocks_by_page_.clear();
  std::fill(std::begin(fast_cache_), std::end(fast_cache_), nullptr);
  ++dispatch_.cache_generation;
  cpu_.code_changed = true;
  cpu_.need_attention();
}

void Interpreter::code_written(u32 paddr, u32 len) {
  const u32 page = paddr & ~0xFFFu;
  auto it = blocks_by_page_.find(page);
  if (it == blocks_by_page_.end()) return;
  auto& list = it->second;
  bool dropped = false;
  // Drop exactly the blocks whose bytes overlap the write.
  for (std::size_t k = 0; k < list.size();) {
    Block* b = list[k];
    const bool overlaps = b->phys < paddr + len && paddr < b->phys + b->byte_len;
    if (!overlaps) {
      ++k;
      continue;
    }
    b->valid = false;
    dropped = true;
    ++stats_.blocks_invalidated;
    ++dispatch_.cache_generation;
    cpu_.code_changed = true;
    cpu_.need_attention();
    list[k] = list.back();
    list.pop_back();
    // Also unlink it from the other page's list when it crosses a page.
    if (b->phys_end_page != page) {
      auto other = blocks_by_page_.find(b->phys_end_page);
      if (other != blocks_by_page_.end()) std::erase(other->second, b);
    } else if ((b->phys & ~0xFFFu) != page) {
      auto other = blocks_by_page_.find(b->phys & ~0xFFFu);
      if (other != blocks_by_page_.end()) std::erase(other->second, b);
    }
    Block*& slot = fast_cache_[fast_slot(b->phys)];
    if (slot == b) slot = nullptr;
    auto node = blocks_.find(block_key(b->phys, b->code32));
    if (node != blocks_.end() && node->second.get() == b) {
      graveyard_.push_back(std::move(node->second));
      blocks_.erase(node);
    }
  }
  if (list.empty()) {
    blocks_by_page_.erase(it);
    cpu_.bus.set_code_page(page, false);
    return;
  }
  // A region's code holds copies of all its members, which lie on one page: any of them may
  // just have been dropped, so the page's regions go too (their blocks become hot again).
  if (dropped)
    for (Block* b : list)
      if (b->region_size > 1) release_from_region(*b);
}

void Interpreter::release_from_region(Block& b) {
  b.compiled = nullptr;
  b.region = 0;
  b.region_size = 0;
  b.region_member = 0;
  b.executions = 0;
  b.reformed = false;
  b.refusals = 0;
}

EntryAssumptions Interpreter::entry_assumptions() const {
  auto flat = [&](Seg s) {
    const SegmentCache& c = cpu_.s.sreg(s);
    return c.flat && c.base == 0;
  };
  return {cpu_.user(),
          flat(Seg::ES),
          flat(Seg::SS),
          flat(Seg::DS),
          !(cpu_.s.flags.bits & eflags::AC),
          cpu_.s.sreg(Seg::CS).limit,
          cpu_.s.sreg(Seg::SS).attrs};
}

void Interpreter::retire_invalidated() { graveyard_.clear(); }

std::unique_ptr<Block> Interpreter::build(u32 phys, u32 lin, bool code32) {
  auto b = std::make_unique<Block>();
  b->serial = next_serial_++;
  b->phys = phys;
  b->eip = cpu_.s.eip;
  b->code32 = code32;
  b->phys_end_page = phys & ~0xFFFu;
  const SegmentCache& cs = cpu_.s.sreg(Seg::CS);
  u32 off = 0;
  const u32 page_left = 0x1000 - (phys & 0xFFF);
  // Code in RAM or ROM is read straight from host memory; code in MMIO byte by byte.
  const u8* code_page = cpu_.bus.host_page(phys, false);
  while (b->insns.size() < kMaxBlockInsns) {
    const u32 eip = b->eip + off;
    const bool first = b->insns.empty();
    if (eip > cs.limit) {
      if (first) {
        cpu_.fault(kGP, 0);
        return nullptr;
      }
      break;
    }
    const u32 limit_left = cs.limit - eip + 1 == 0 ? 0xFFFFFFFFu : cs.limit - eip + 1;
    u8 bytes[16];
    u32 in_page = std::min<u32>({15, page_left - off, limit_left});
    if (code_page)
      std::memcpy(bytes, code_page + ((phys + off) & 0xFFF), in_page);
    else
      for (u32 k = 0; k < in_page; ++k) bytes[k] = static_cast<u8>(cpu_.bus.read(phys + off + k, 1));
    DecodedInsn insn;
    DecodeStatus st = decode(bytes, in_page, code32, insn);
    u32 avail = in_page;
    if (st == DecodeStatus::Truncated && in_page == page_left - off && in_page < 15 && limit_left > in_page) {
      // The instruction continues on the next page. It gets a block of its own, so a later
      // remapping of either page is seen at lookup.
      if (!first) break;
      u32 phys2;
      if (!cpu_.translate_fetch(lin + in_page, phys2)) return nullptr;  // #PF on the second page
      avail = std::min<u32>(15, limit_left);
      for (u32 k = in_page; k < avail; ++k) bytes[k] = static_cast<u8>(cpu_.bus.read(phys2 + (k - in_page), 1));
      st = decode(bytes, avail, code32, insn);
      b->phys_end_page = phys2 & ~0xFFFu;
    }
    if (st != DecodeStatus::Ok) {
      if (!first) break;
      // Too long (>15 bytes) or cut off by the CS limit: #GP(0) (SDM Vol. 2A, 2.3.11; Vol. 3A 5.3).
      cpu_.fault(kGP, 0);
      return nullptr;
    }
    bind_handler(insn);
    b->insns.push_back(insn);
    ++stats_.instructions_decoded;
    off += insn.len;
    if (insn.entry->attrs & attr::kEndsBlock) break;
    if (off >= page_left) break;
  }
  b->byte_len = off;
  return b;
}

Block* Interpreter::lookup_or_build() {
  const SegmentCache& cs = cpu_.s.sreg(Seg::CS);
  const u32 eip = cpu_.s.eip;
  if (eip > cs.limit) {
    cpu_.fault(kGP, 0);
    return nullptr;
  }
  const u32 lin = cs.base + eip;
  u32 phys;
  if (!cpu_.translate_fetch(lin, phys)) return nullptr;
  const bool code32 = cs.big();
  ++stats_.block_lookups;

  Block* b = fast_cache_[fast_slot(phys)];
  if (!b || b->phys != phys || b->code32 != code32) {
    auto it = blocks_.find(block_key(phys, code32));
    b = it != blocks_.end() ? it->second.get() : nullptr;
  }
  if (b) {
    // The block must still fit the current CS limit, and a page-crossing instruction's second
    // page must still map to the same physical page.
    bool usable = eip + b->byte_len - 1 <= cs.limit;
    if (usable && b->phys_end_page != (phys & ~0xFFFu)) {
      u32 phys2;
      if (!cpu_.translate_fetch(lin + b->byte_len - 1, phys2)) return nullptr;
      usable = (phys2 & ~0xFFFu) == b->phys_end_page;
    }
    if (usable) {
      fast_cache_[fast_slot(phys)] = b;
      return b;
    }
    // Not usable here: build a one-off block for this CS and throw it away after use.
    auto temp = build(phys, lin, code32);
    if (!temp) return nullptr;
    Block* raw = temp.get();
    raw->valid = false;
    graveyard_.push_back(std::move(temp));
    return raw;
  }

  auto fresh = build(phys, lin, code32);
  if (!fresh) return nullptr;
  ++stats_.blocks_built;
  b = fresh.get();
  // Mark its pages as code so writes to them are reported to code_written().
  for (u32 page : {phys & ~0xFFFu, b->phys_end_page}) {
    auto& list = blocks_by_page_[page];
    if (std::find(list.begin(), list.end(), b) == list.end()) list.push_back(b);
    if (!cpu_.bus.is_code_page(page)) {
      cpu_.bus.set_code_page(page, true);
      cpu_.tlb_protect_physical_page(page);
    }
  }
  auto old = blocks_.find(block_key(phys, code32));
  if (old != blocks_.end()) graveyard_.push_back(std::move(old->second));
  blocks_[block_key(phys, code32)] = std::move(fresh);
  fast_cache_[fast_slot(phys)] = b;
  return b;
}

Block* Interpreter::follow_link(const Block& from) {
  Block* target = linked_block(from, cpu_, dispatch_);
  if (target) ++stats_.chained;
  return target;
}

Block* Interpreter::next_block(Block* from) {
  const u32 eip = cpu_.s.eip;
  refresh_chain_context(cpu_, dispatch_);
  if (from)
    if (Block* linked = follow_link(*from)) return linked;
  Block* b = lookup_or_build();
  if (b && from && b->valid) {
    refresh_chain_context(cpu_, dispatch_);  // building may have changed the cache
    Block::Link& l = from->links[from->next_link];
    from->next_link ^= 1;
    l = {b, eip, dispatch_.context_serial};
  }
  return b;
}

bool Interpreter::at_breakpoint() {
  const u32 linear = cpu_.s.sreg(Seg::CS).base + cpu_.s.eip;
  if (resume_exempt_) {
    resume_exempt_ = false;
    if (linear == resume_linear_) return false;
  }
  if (!breakpoints_->contains(linear)) return false;
  breakpoint_hit_ = true;
  return true;
}

template <bool Traced, bool Breakpoints>
u64 Interpreter::execute(Block& b, u64 budget) {
  Cpu& c = cpu_;
  c.code_changed = false;
  ++b.executions;
  ++stats_.interpreted_runs;
  const DecodedInsn* const insns = b.insns.data();
  const std::size_t n = std::min<u64>(b.insns.size(), budget);
  std::size_t retired = 0;
  bool faulted = false;
  while (retired < n) {
    const DecodedInsn& insn = insns[retired];
    if constexpr (Breakpoints) {
      if (at_breakpoint()) break;
    }
    if constexpr (Traced) observer_->before(c, insn);
    const Status st = insn.fn(c, insn);
    if (st == Status::Ok) [[likely]] {
      c.s.eip += insn.len;
      ++retired;
      // Counted per instruction, not per block, so RDTSC and the instruction clock see every
      // instruction before them.
      ++c.counters.instructions;
      // A store may have rewritten this very block (self-modifying code): stop and re-fetch.
      if (c.code_changed) [[unlikely]]
        break;
      // An observer (the debugger's magic breakpoint) asked to stop after this instruction.
      if constexpr (Traced) {
        if (dispatch_.stop_requested) break;
      }
      continue;
    }
    if (st == Status::Fault) {
      faulted = true;
    } else {
      ++retired;  // Jumped, EndBlock, Halted: the instruction retired and the block ends
      ++c.counters.instructions;
    }
    break;
  }
  stats_.interpreted_instructions += retired;
  if (!faulted) return retired;
  c.deliver_pending();
  // The exception is charged to the budget too, so a guest that faults forever (a #UD handler
  // that returns to the same instruction) still returns control to the machine.
  return retired + 1;
}

// Clang's -fsanitize=function (UBSan, in the sanitizer and fuzzing builds) checks a type
// signature it places just before every function, at each indirect call; code from LLVM ORC has
// none, so the call into compiled code is exempt.
#if defined(__clang__)
__attribute__((no_sanitize("function")))
#endif
u64 Interpreter::execute_compiled(Block*& b, u64 budget) {
  Cpu& c = cpu_;
  c.code_changed = false;
  ++b->executions;
  ++stats_.compiled_runs;
  const u64 before = c.counters.instructions;
  dispatch_.budget_end = before + budget;
  dispatch_.last_block = b;
  dispatch_.entry_member = b->region_member;
  // Compiled code makes the dispatcher's between-block checks in full only while Cpu::attention
  // is set. The dispatcher has just handled every event; what may still wait is an interrupt
  // that IF holds off, and then the first block end checks in full (and finds IF still clear).
  c.attention = c.nmi_pending || (c.pic && c.pic->intr_pending()) ? 1 : 0;
  Block* const first = b;
  const u32 r = b->compiled(&c);
  // The code may have chained into other blocks; the last one it finished is where the
  // dispatcher's links continue from.
  b = const_cast<Block*>(dispatch_.last_block);
  const u64 retired = c.counters.instructions - before;
  stats_.compiled_instructions += retired;
  if ((r & kCompiledRefused) && retired == 0) [[unlikely]] {
    // Its code was made for another state of the CPU (EntryAssumptions): interpret the block
    // this time, and after a few such times let it be compiled again for the state it runs in.
    // (When it refused after others ran, the dispatcher comes back to it next.)
    ++stats_.refused_entries;
    if (++first->refusals >= kMaxRefusals) release_from_region(*first);
    b = first;
    return execute<false>(*first, budget);
  }
  if (!(r & kCompiledFaulted)) return retired;
  c.deliver_pending();
  return retired + 1;  // the fault is charged to the budget, as in execute()
}

Block* Interpreter::cached_block(u64 serial, u32 phys, bool code32) {
  auto it = blocks_.find(block_key(phys, code32));
  if (it == blocks_.end() || it->second->serial != serial || !it->second->valid) return nullptr;
  return it->second.get();
}

bool Interpreter::install(const std::vector<BlockId>& members, bool code32, CompiledBlock code) {
  const u64 region = members[0].serial;
  std::vector<Block*> blocks;
  for (const BlockId& m : members) {
    Block* b = cached_block(m.serial, m.phys, code32);
    if (b && b->region == region) blocks.push_back(b);
  }
  if (blocks.size() != members.size()) {
    for (Block* b : blocks) release_from_region(*b);
    return false;
  }
  for (u32 k = 0; k < blocks.size(); ++k) {
    blocks[k]->compiled = code;
    blocks[k]->region_member = k;
  }
  return true;
}

bool Interpreter::link_holds(const Block::Link& l) const {
  // The dispatcher looked up the block it runs now (next_block), so the serial is current.
  return l.context == dispatch_.context_serial;
}

Region Interpreter::form_region(Block& hot) {
  const SegmentCache& cs = cpu_.s.sreg(Seg::CS);
  Region r;
  r.cs_base = cs.base;
  r.assumed = entry_assumptions();
  r.members.push_back({&hot, cpu_.s.eip});
  hot.region = hot.serial;
  hot.region_size = 1;
  const u32 page = hot.phys & ~0xFFFu;
  // Only a block that lies on one page may be in a region with others (they share that page).
  if (hot.phys_end_page != page || compiler_->backlogged()) return r;
  // A member must have run often on its own account, not only be a side exit taken once.
  const u64 min_executions = compiler_->threshold() / 2;
  unsigned insns = static_cast<unsigned>(hot.insns.size());
  // Breadth first along the links, which name the blocks that followed each one lately. A link
  // is taken only while it holds (the same tests as linked_block), and the target's address
  // must be on the hot block's page at the same offset: then wherever the region runs with this
  // CS base and the members' EIPs, each member's code is where the region found it.
  std::vector<Block*> found{&hot};
  for (std::size_t k = 0; k < found.size(); ++k) {
    for (const Block::Link& l : found[k]->links) {
      Block* t = l.target;
      if (!t || !t->valid || t->region || t->code32 != hot.code32 || !link_holds(l)) continue;
      if ((t->phys & ~0xFFFu) != page || t->phys_end_page != page || l.eip - r.members[0].eip != t->phys - hot.phys)
        continue;
      if (t->executions < min_executions || found.size() >= kMaxRegionBlocks ||
          insns + t->insns.size() > kMaxRegionInsns)
        continue;
      t->region = hot.serial;
      found.push_back(t);
      r.members.push_back({t, l.eip});
      insns += static_cast<unsigned>(t->insns.size());
    }
  }
  for (Block* b : found) b->region_size = static_cast<u32>(found.size());
  return r;
}

Region Interpreter::reform_region(Block& hot) {
  // A boot or a benchmark phase makes many blocks hot at once: while the compile thread is
  // busy, form_region sends them alone. Running compiled, they then go from one function to
  // another through their links, each step leaving one function and entering the next (the guest
  // registers stored and loaded again, the links checked). When such a block has been entered
  // often, this gathers what surrounds it into one function. Links name only a block's last two
  // successors, and a function returns to many call sites, so the search follows links both
  // ways: from a return site back to the callee that returned there, and on to the others.
  Region r;
  const u32 page = hot.phys & ~0xFFFu;
  if (hot.phys_end_page != page) {
    hot.reformed = true;
    return r;
  }
  const SegmentCache& cs = cpu_.s.sreg(Seg::CS);
  const u32 hot_eip = cpu_.s.eip;
  const u64 min_executions = compiler_->threshold() / 2;
  // Where a block would be a member: whole on the page, at the EIP that puts it at its place on
  // the page (as in form_region), compiled or hot, not waiting for another region's code and
  // not in a region formed this way already (which would lose the member it shares).
  auto may_join = [&](const Block* t) {
    return t && t->valid && t->code32 == hot.code32 && (t->phys & ~0xFFFu) == page && t->phys_end_page == page &&
           t->eip - hot_eip == t->phys - hot.phys && !(t->region && !t->compiled) &&
           (t->compiled || t->executions >= min_executions) && (!t->reformed || t == &hot);
  };
  auto holds = [&](const Block::Link& l) {
    return l.target && link_holds(l) && l.eip - hot_eip == l.target->phys - hot.phys;
  };
  const auto page_blocks = blocks_by_page_.find(page);
  if (page_blocks == blocks_by_page_.end()) return r;
  std::vector<Block*> found{&hot};
  unsigned insns = static_cast<unsigned>(hot.insns.size());
  auto take = [&](Block* t) {
    if (!may_join(t) || std::find(found.begin(), found.end(), t) != found.end() || found.size() >= kMaxReformedBlocks ||
        insns + t->insns.size() > kMaxReformedInsns)
      return;
    found.push_back(t);
    insns += static_cast<unsigned>(t->insns.size());
  };
  for (std::size_t k = 0; k < found.size(); ++k) {
    for (const Block::Link& l : found[k]->links)
      if (holds(l)) take(l.target);
    for (Block* from : page_blocks->second)
      for (const Block::Link& l : from->links)
        if (l.target == found[k] && holds(l)) take(from);
  }
  if (found.size() <= hot.region_size) {
    // Nothing to gain yet (what it leads to may still wait for its code): look again after as
    // many entries.
    hot.executions = 0;
    return r;
  }
  r.cs_base = cs.base;
  r.assumed = entry_assumptions();
  for (Block* b : found) {
    r.members.push_back({b, hot_eip + (b->phys - hot.phys)});
    b->region = hot.serial;
    b->region_size = static_cast<u32>(found.size());
    b->reformed = true;
  }
  ++stats_.regions_reformed;
  return r;
}

void Interpreter::single_step_trap() {
  // Single-step trap after an instruction that began with TF = 1 (SDM Vol. 3A, 17.3.1.4):
  // DR6.BS is set and #DB is delivered with EIP after the instruction.
  cpu_.s.dr[6] |= 1u << 14;
  ++cpu_.counters.exceptions[kDB];
  if (!cpu_.deliver(kDB, EventKind::Exception, false, 0, cpu_.s.eip)) cpu_.deliver_pending();
}

void Interpreter::step() {
  retire_invalidated();
  if (cpu_.pending.active) cpu_.deliver_pending();
  Block* b = lookup_or_build();
  if (!b) {
    cpu_.deliver_pending();
    return;
  }
  // Run just the first instruction of the block.
  Block one;
  one.insns.push_back(b->insns.front());
  const bool trap = cpu_.s.flags.bits & eflags::TF;
  const u64 retired_before = cpu_.counters.instructions;
  const u64 events_before = cpu_.counters.events_delivered;
  const bool shadow = cpu_.s.interrupt_shadow;
  if (observer_)
    execute<true>(one, 1);
  else
    execute<false>(one, 1);
  if (shadow) cpu_.s.interrupt_shadow = false;
  // The single-step trap follows an instruction that began with TF set and retired normally.
  // An instruction that entered a handler (INT n, INT3, INTO, or a fault) does not trap: the
  // gate cleared TF, and the handler runs un-stepped (SDM Vol. 3A, 17.3.1.4).
  const bool retired = cpu_.counters.instructions != retired_before;
  const bool entered_handler = cpu_.counters.events_delivered != events_before;
  if (trap && retired && !entered_handler && !cpu_.triple_fault) single_step_trap();
}

StopReason Interpreter::run(u64 max_instructions) {
  dispatch_.stop_requested = false;
  breakpoint_hit_ = false;
  resume_exempt_ = true;
  resume_linear_ = cpu_.s.sreg(Seg::CS).base + cpu_.s.eip;
  u64 budget = max_instructions;
  Block* previous = nullptr;  // the block just executed, whose links may name the next one
  while (budget > 0) {
    if (compiler_ && compiler_->cache_full(dispatch_)) [[unlikely]] {
      // The code cache is full: every block goes, with the code made for it (blocks still hot
      // become hot again). Nothing compiled is running here, between blocks.
      flush();
      previous = nullptr;
      compiler_->drop_code(dispatch_);
    }
    if (!graveyard_.empty()) retire_invalidated();
    if (compiler_ && compiler_->has_finished()) compiler_->install_finished(*this);
    if (cpu_.triple_fault) return StopReason::TripleFault;
    const bool maybe_interrupt =
        cpu_.nmi_pending || ((cpu_.s.flags.bits & eflags::IF) && cpu_.pic && cpu_.pic->intr_pending());
    if (maybe_interrupt && cpu_.service_interrupts()) {
      if (cpu_.triple_fault) return StopReason::TripleFault;
    }
    if (cpu_.s.halted) return StopReason::Halted;
    if (dispatch_.stop_requested) return StopReason::Exit;
    // Instructions that need one-at-a-time handling: single-step traps and the one-instruction
    // interrupt shadow after STI / MOV SS.
    const bool check_breakpoints = breakpoints_ && !breakpoints_->empty();
    if ((cpu_.s.flags.bits & eflags::TF) || cpu_.s.interrupt_shadow) {
      if (check_breakpoints && at_breakpoint()) return StopReason::Breakpoint;
      const u64 before = cpu_.counters.instructions;
      step();
      budget -= std::min<u64>(budget, std::max<u64>(1, cpu_.counters.instructions - before));
      previous = nullptr;
      continue;
    }
    Block* b = next_block(previous);
    if (!b) {
      --budget;  // a fetch fault (#PF, #GP on the CS limit)
      cpu_.deliver_pending();
      previous = nullptr;
      continue;
    }
    u64 used;
    if (compiler_ && !b->region && b->valid && b->executions >= compiler_->threshold()) {
      compiler_->hot(form_region(*b), dispatch_);
      if (compiler_->has_finished()) compiler_->install_finished(*this);
    } else if (compiler_ && b->region && !b->compiled && (b->executions & (kHurryInterval - 1)) == 0) [[unlikely]] {
      // Still waiting for its code, and running all the while: the compile thread takes the
      // newest requests first, and a boot makes blocks hot faster than it compiles them, so a
      // loop that runs for seconds (the kernel checking a signature) would wait behind them.
      compiler_->hurry(b->region, dispatch_);
    } else if (b->compiled && b->executions >= dispatch_.reform_at && !b->reformed && b->valid) [[unlikely]] {
      // Entered often from other compiled code: a larger region may hold it and them. Even
      // while the compile thread is busy: the request goes to the front of its queue, as the
      // newest, and nothing queued runs as often (the kernel's decompressor chained from block
      // to block for seconds while the boot's hot blocks kept the queue full).
      if (Region r = reform_region(*b); !r.members.empty()) {
        compiler_->hot(r, dispatch_);
        if (compiler_->has_finished()) compiler_->install_finished(*this);
      }
    }
    if (b->compiled && budget >= b->insns.size() && !observer_ && !check_breakpoints) {
      used = execute_compiled(b, budget);
    } else if (check_breakpoints) [[unlikely]] {
      used = observer_ ? execute<true, true>(*b, budget) : execute<false, true>(*b, budget);
      if (breakpoint_hit_) return StopReason::Breakpoint;
    } else {
      used = observer_ ? execute<true>(*b, budget) : execute<false>(*b, budget);
    }
    budget -= std::min(budget, used);
    // A block that was invalidated while it ran is in the graveyard: don't link from it.
    previous = b->valid ? b : nullptr;
    if (cpu_.s.halted && !cpu_.pending.active) {
      if (!cpu_.service_interrupts()) return StopReason::Halted;
    }
    if (dispatch_.stop_requested) return StopReason::Exit;
  }
  return cpu_.triple_fault ? StopReason::TripleFault : StopReason::Budget;
}

}  // namespace emu

// Compiled code's between-block check (translator/jit/block_step.cpp), called by address. When
// it passes, compiled code clears Cpu::attention and chains on, so the chain context is brought
// up to date here.
extern "C" [[gnu::used]] bool emu_may_run_next(const emu::Cpu& c, const emu::Block& last, emu::DispatchState& d) {
  if (!emu::may_run_next(c, last, d)) return false;
  emu::refresh_chain_context(c, d);
  return true;
}
