// The processor: architectural state plus the mechanisms every instruction uses — segmented and
// linear memory access through the MMU and its software TLB, segment loading, exception and
// interrupt delivery, task switches. Instruction semantics live in translator/; they call these.
//
// Error handling: every operation that can fault returns false (or Status::Fault) after recording
// the exception in `pending`; the caller returns Status::Fault up to the dispatcher, which calls
// deliver_pending(). Nothing is written to architectural state by an instruction before all of its
// checks have passed, so faults are precise (SDM Vol. 3A, 6.5).
#pragma once
#include <bit>
#include <cstring>
#include <functional>
#include <vector>

#include "core/address_space.h"
#include "core/cpu_state.h"
#include "core/guest_log.h"
#include "core/status.h"

namespace emu {

// Exception vectors (SDM Vol. 3A, Table 6-1).
enum Vector : u8 {
  kDE = 0,
  kDB = 1,
  kNMI = 2,
  kBP = 3,
  kOF = 4,
  kBR = 5,
  kUD = 6,
  kNM = 7,
  kDF = 8,
  kTS = 10,
  kNP = 11,
  kSS = 12,
  kGP = 13,
  kPF = 14,
  kMF = 16,
  kAC = 17,
  kMC = 18,
};

enum class Access : u8 { Read, Write, Execute };

// Why the CPU is entering an interrupt or exception handler; it decides the privilege checks
// (software INT n checks the gate DPL) and what EIP is pushed.
enum class EventKind : u8 {
  Exception,  // fault or trap raised by an instruction; pushes an error code where defined
  External,   // INTR from the interrupt controller, or NMI
  Software,   // INT n, INT3, INTO (gate DPL checked against CPL; IOPL-sensitive in V86)
  Icebp,      // INT1 (F1): like an external event for privilege checks
};

struct PendingException {
  bool active = false;
  u8 vector = 0;
  bool has_error = false;
  u32 error = 0;
};

// Why run() returned, for the machine and the frontends.
enum class StopReason : u8 { Budget, Halted, TripleFault, Shutdown, Breakpoint, Exit };

// Interrupt controller seen from the CPU: the PIC (or, later, an APIC) implements this.
class InterruptController {
 public:
  virtual ~InterruptController() = default;
  // INTR line level. A plain field, not a virtual call: the dispatcher reads it before every
  // block while interrupts are enabled.
  bool intr_pending() const { return intr_; }
  virtual u8 acknowledge() = 0;  // INTA cycle: returns the vector
  // The CPU's attention word (Cpu::attention), set when INTR rises, so that compiled code
  // running from block to block notices the interrupt at the next block boundary.
  void set_attention_word(u32* word) { attention_ = word; }

 protected:
  // The controller calls this with its INTR output whenever it may have changed.
  void drive_intr(bool level) {
    if (level && !intr_ && attention_) *attention_ = 1;
    intr_ = level;
  }
  bool intr_ = false;

 private:
  u32* attention_ = nullptr;
};

// Counts of what the CPU did, for the monitor, the debugger and the tests.
struct CpuCounters {
  u64 instructions = 0;
  u64 exceptions[32] = {};
  u64 interrupts = 0;
  u64 triple_faults = 0;
  u64 events_delivered = 0;  // every entry into a handler: exceptions, INT n, external interrupts
  // Sensitive and privileged instructions executed, per operation (indexed by the translator's
  // Op number): all of them, and those run outside ring 0 (CPL > 0 or V86), where a virtual
  // machine monitor has to intervene (DESIGN §3).
  static constexpr unsigned kOpSlots = 320;
  u64 vmm_total[kOpSlots] = {};
  u64 vmm_outside_ring0[kOpSlots] = {};
};

// A debugger's data watchpoints (emu -debug): pages it covers get no TLB entry, so every data
// access to them takes Cpu::access_slow, which reports it. Instruction fetches are not reported.
class AccessWatch {
 public:
  virtual ~AccessWatch() = default;
  // Whether an access to linear page `page` (address >> 12) may touch a watched range.
  virtual bool covers_page(u32 page) const = 0;
  virtual void accessed(u32 linear, u32 physical, unsigned size, bool write) = 0;
};

class Cpu {
 public:
  explicit Cpu(AddressSpace& bus);

  CpuState s;
  AddressSpace& bus;
  PendingException pending;
  CpuCounters counters;
  InterruptController* pic = nullptr;
  bool nmi_pending = false;
  bool triple_fault = false;  // set when a third fault shuts the CPU down (SDM Vol. 3A, 6.15 #DF)
  // PC-style x87 error reporting (CR0.NE = 0; SDM Vol. 3A, 2.5 "NE"; Vol. 1, Appendix D): an
  // unmasked x87 exception drives the FERR# output, which a PC routes to IRQ 13 through the PIC;
  // the next waiting x87 instruction then freezes until an interrupt arrives, unless IGNNE# is
  // asserted (the PC asserts it when software writes port F0h, until FERR# goes inactive). The
  // platform wires `ferr_changed` to IRQ 13 and drives `ignne`; translator/semantics/x87.cpp
  // calls `ferr_changed` whenever the FERR# level changes.
  std::function<void(bool asserted)> ferr_changed;
  bool ferr = false;  // FERR# output level

  // What the time-stamp counter counts (SDM Vol. 3B, 17.17): the machine's virtual clock in
  // nanoseconds when one is attached (a 1 GHz TSC that agrees with the PIT and the RTC, in
  // real-time and deterministic mode alike), else retired instructions. RDTSC adds s.tsc.
  std::function<u64()> tsc_clock;
  u64 tsc_source() const { return tsc_clock ? tsc_clock() : counters.instructions; }
  bool ignne = false;  // IGNNE# input level

  // Power-on / RESET# state (SDM Vol. 3A, 10.1.1, Table 10-1). INIT-like reset keeps nothing.
  void reset();

  // ---- exceptions -------------------------------------------------------------------------
  // Records an exception; returns false so checks can be written `if (!x) return cpu.fault(...)`.
  bool fault(u8 vector) {
    pending = {true, vector, false, 0};
    return false;
  }
  bool fault(u8 vector, u32 error) {
    pending = {true, vector, true, error};
    return false;
  }
  Status raise(u8 vector) { return fault(vector), Status::Fault; }
  Status raise(u8 vector, u32 error) { return fault(vector, error), Status::Fault; }
  // #GP(0) / #SS(0) for a bad access through segment `s`.
  bool segment_fault(Seg s) { return fault(s == Seg::SS ? kSS : kGP, 0); }

  // Delivers the pending exception (with #DF and triple-fault escalation). EIP must point at the
  // faulting instruction (faults) or after it (traps), as the caller arranged.
  void deliver_pending();
  // Delivers an interrupt or exception through the IVT/IDT. `return_eip` is what gets pushed.
  // Returns false if delivery itself faulted (then `pending` holds the new exception).
  bool deliver(u8 vector, EventKind kind, bool has_error, u32 error, u32 return_eip);
  // Checks INTR/NMI and delivers one if allowed. Returns true if an event was taken.
  bool service_interrupts();

  // ---- segmented memory ---------------------------------------------------------------------
  // Checks that `len` bytes at `offset` through segment `s` may be read or written.
  bool check_segment(Seg s, u32 offset, u32 len, bool write) {
    const SegmentCache& c = s_seg(s);
    // The common case first: in a flat writable data segment only a wrap past 4 GiB faults.
    if (c.flat && offset <= 0xFFFFFFFFu - (len - 1)) [[likely]]
      return true;
    return check_segment_slow(s, offset, len, write);
  }
  // The full limit and type check (core/cpu.cpp), out of line: compiled code calls it rather than
  // carrying a copy for every memory operand, which would make each block larger to compile.
  bool check_segment_slow(Seg s, u32 offset, u32 len, bool write);

  // Through a flat segment whose base is page-aligned (what every 32-bit OS uses) the TLB's tag
  // also settles the limit: an offset range wrapping past 4 GiB straddles the base in linear
  // space, so it crosses a page boundary, and no tag matches an access that does. The one call
  // on the way out (access_slow_flat) then makes the segment check before the paging one, in
  // the SDM's order (Vol. 3A, 3.4 then 4).
  template <typename T>
  bool read(Seg s, u32 offset, T& out) {
    const SegmentCache& c = s_seg(s);
    if (!c.flat || (c.base & 0xFFF)) [[unlikely]] {
      if (!check_segment_slow(s, offset, sizeof(T), false)) return false;
      return read_linear(c.base + offset, out);
    }
    const u32 lin = c.base + offset;
    const TlbEntry& e = tlb_entry(lin);
    if (e.read_tag == last_byte_page(lin, sizeof(T)) && !may_alignment_fault(lin, sizeof(T))) [[likely]] {
      std::memcpy(&out, reinterpret_cast<const u8*>(e.addend + lin), sizeof(T));
      return true;
    }
    u32 v = 0;
    if (!access_slow_flat(s, offset, sizeof(T), Access::Read, &v)) return false;
    out = static_cast<T>(v);
    return true;
  }
  template <typename T>
  bool write(Seg s, u32 offset, T value) {
    const SegmentCache& c = s_seg(s);
    if (!c.flat || (c.base & 0xFFF)) [[unlikely]] {
      if (!check_segment_slow(s, offset, sizeof(T), true)) return false;
      return write_linear(c.base + offset, value);
    }
    const u32 lin = c.base + offset;
    const TlbEntry& e = tlb_entry(lin);
    if (e.write_tag == last_byte_page(lin, sizeof(T)) && !may_alignment_fault(lin, sizeof(T))) [[likely]] {
      std::memcpy(reinterpret_cast<u8*>(e.addend + lin), &value, sizeof(T));
      return true;
    }
    u32 v = static_cast<u32>(value);
    return access_slow_flat(s, offset, sizeof(T), Access::Write, &v);
  }
  // Checks that a later write of `len` bytes will succeed (segment and paging), without writing.
  // Instructions that write several places (PUSH m, ENTER, far CALL) probe first so a fault
  // leaves nothing half done. `element` is the size of the stores that will make up the write:
  // when it is above 1, the alignment check (#AC at CPL 3) is made here too.
  bool probe_write(Seg s, u32 offset, u32 len, unsigned element = 1);

  // ---- linear memory (after segmentation, before paging) --------------------------------------
  // A misaligned access at CPL 3 with EFLAGS.AC set may raise #AC (if CR0.AM is also set), so it
  // takes the slow path, which makes the full check: whether it faults must not depend on what
  // the TLB happens to hold. Every other access may use the TLB.
  bool may_alignment_fault(u32 lin, unsigned size) const {
    // EFLAGS.AC first: it is almost always clear, so the fast path tests one bit.
    return (s.flags.bits & eflags::AC) && user_ && (lin & (size - 1));
  }
  template <typename T>
  bool read_linear(u32 lin, T& out) {
    const TlbEntry& e = tlb_entry(lin);
    if (e.read_tag == last_byte_page(lin, sizeof(T)) && !may_alignment_fault(lin, sizeof(T))) [[likely]] {
      std::memcpy(&out, reinterpret_cast<const u8*>(e.addend + lin), sizeof(T));
      return true;
    }
    u32 v = 0;
    if (!access_slow(lin, sizeof(T), Access::Read, &v, user_)) return false;
    out = static_cast<T>(v);
    return true;
  }
  template <typename T>
  bool write_linear(u32 lin, T value) {
    const TlbEntry& e = tlb_entry(lin);
    if (e.write_tag == last_byte_page(lin, sizeof(T)) && !may_alignment_fault(lin, sizeof(T))) [[likely]] {
      std::memcpy(reinterpret_cast<u8*>(e.addend + lin), &value, sizeof(T));
      return true;
    }
    u32 v = static_cast<u32>(value);
    return access_slow(lin, sizeof(T), Access::Write, &v, user_);
  }
  // Supervisor ("implicit") accesses: descriptor tables and the TSS are read with supervisor
  // privilege whatever the CPL (SDM Vol. 3A, 4.6.1).
  bool read_system(u32 lin, unsigned size, u32& out) { return access_slow(lin, size, Access::Read, &out, false); }
  bool write_system(u32 lin, unsigned size, u32 value) { return access_slow(lin, size, Access::Write, &value, false); }
  bool read_linear_bytes(u32 lin, u8* out, u32 len);  // any length; faults before any byte is used

  // Instruction fetch: linear address to physical, with the execute permission of the current
  // privilege. Used by the decoder and the block cache.
  bool translate_fetch(u32 lin, u32& phys);
  bool fetch_byte(u32 lin, u8& out);

  // Linear to physical for the current CPL, filling the TLB; false with #PF pending on a fault.
  bool translate(u32 lin, Access access, bool user, u32& phys);
  // Page walk without side effects (no A/D updates, no TLB fill) for debuggers and tools.
  bool probe_translation(u32 lin, u32& phys) const;

  // ---- stack ---------------------------------------------------------------------------------
  u32 sp_mask() const { return s.stack32() ? 0xFFFFFFFFu : 0xFFFFu; }
  u32 sp() const { return s.gpr[ESP] & sp_mask(); }
  void set_sp(u32 v) {
    if (s.stack32())
      s.gpr[ESP] = v;
    else
      s.gpr[ESP] = (s.gpr[ESP] & 0xFFFF0000u) | (v & 0xFFFF);
  }
  template <typename T>
  bool push(T value) {
    const u32 nsp = (sp() - sizeof(T)) & sp_mask();
    if (!write(Seg::SS, nsp, value)) return false;
    set_sp(nsp);
    return true;
  }
  template <typename T>
  bool pop(T& out) {
    if (!read(Seg::SS, sp(), out)) return false;
    set_sp(sp() + sizeof(T));
    return true;
  }

  // ---- segments, control registers, flags ---------------------------------------------------
  // MOV/POP to a segment register with the protected-mode checks (SDM Vol. 3A, 5.4-5.6), or the
  // real/V86-mode rule base = selector << 4.
  bool load_segment(Seg s, u16 selector);
  // Loads a segment register in real or V86 mode: base = selector * 16, limit and rights kept.
  void load_segment_real(Seg s, u16 selector);
  // Reads the 8-byte descriptor for `selector` from the GDT or LDT. Faults with #GP(sel) (or the
  // given vector) when the selector is outside the table.
  bool read_descriptor(u16 selector, u64& out, u8 vector = kGP);
  // Sets the accessed bit of a descriptor in memory, as a load does (SDM Vol. 3A, 3.4.5.1).
  bool mark_accessed(u16 selector, u64 descriptor);
  static SegmentCache cache_from_descriptor(u16 selector, u64 d);

  bool set_cr0(u32 value);  // returns false (with #GP) for invalid combinations
  bool set_cr3(u32 value);
  bool set_cr4(u32 value);
  // Writes EFLAGS, changing only the bits in `mask` (POPF/IRET decide which bits are allowed).
  void set_eflags(u32 value, u32 mask);
  void set_cpl(u8 cpl) {
    s.cpl = cpl;
    user_ = cpl == 3;
    tlb_set_offset_ = user_ ? sizeof(tlb_[0]) : 0;
    need_attention();
  }
  // Recomputes mode-dependent cached values after a mode change (CR0.PE, EFLAGS.VM, CS load).
  void mode_changed();

  // I/O permission: CPL <= IOPL, or the TSS I/O bitmap allows all `size` ports (SDM Vol. 1,
  // 18.5). In V86 mode only the bitmap counts.
  bool io_allowed(u16 port, unsigned size);

  // Task switch through the TSS (SDM Vol. 3A, 7.3) — task_switch.cpp.
  enum class TaskSwitchSource : u8 { Call, Jump, Iret, Interrupt };
  bool task_switch(u16 selector, u64 descriptor, TaskSwitchSource source, u32 return_eip, bool has_error = false,
                   u32 error = 0);

  // ---- privilege changes (exceptions.cpp) ------------------------------------------------------
  // Reads the stack for privilege level `cpl` from the current TSS (SS0:ESP0 etc.); #TS(TR) when
  // the TSS is too short (SDM Vol. 3A, 6.12.1 and CALL's "inner privilege" operation).
  bool tss_stack(u8 cpl, u16& ss, u32& esp);
  // Checks a selector that is about to become SS at privilege `cpl`: not null, RPL = DPL = cpl,
  // a writable data segment, present. Faults with `vector`(selector | ext) (#TS for stack switches,
  // #GP for returns), #SS(selector | ext) when not present. Sets the accessed bit on success.
  bool check_stack_selector(u16 selector, u8 cpl, u8 vector, u32 ext, SegmentCache& out);
  // Writes `count` values of `width` (2 or 4) bytes below `esp` on the stack `ss`, which need not
  // be loaded yet, values[0] at the highest address, with the paging privilege `user`. The whole
  // frame is checked (limit: #SS(ss_error); paging: #PF) before anything is written. `new_esp` is
  // ESP afterwards (only SP changes on a 16-bit stack).
  bool push_frame(const SegmentCache& ss, u32 esp, const u32* values, unsigned count, unsigned width, bool user,
                  u32 ss_error, u32& new_esp);

  // ---- TLB ----------------------------------------------------------------------------------
  void tlb_flush_all();
  void tlb_flush_nonglobal();
  void tlb_flush_page(u32 lin);
  // Removes every write fast path to physical page `paddr`, so that writes to it reach the bus
  // (and its code-write listener). Called when translated code appears on a page.
  void tlb_protect_physical_page(u32 paddr);

  bool user() const { return user_; }

  // Data watchpoints: nullptr turns them off. The TLB is flushed so no watched page keeps a fast
  // path; call again (or tlb_flush_all) when the watched ranges change.
  void set_access_watch(AccessWatch* watch) {
    watch_ = watch;
    tlb_flush_all();
  }
  bool page_watched(u32 lin) const { return watch_ && watch_->covers_page(lin >> 12); }

  // Counts TLB flushes. A translator that caches linear-to-physical facts beyond one lookup
  // (the interpreter's block chaining) compares it to know they still hold.
  u64 tlb_generation() const { return tlb_generation_; }

  // The A20 gate (port 0x92, the keyboard controller) is a property of the bus; the TLB caches
  // translations made with the old mask, so it is flushed.
  void set_a20(bool enabled) {
    bus.set_a20(enabled);
    tlb_flush_all();
  }

  // Saves or loads the architectural state (core/cpu_serialize.cpp). After a load the state is
  // validated; the visitor's error says what was rejected. The TLB is flushed, never saved.
  void serialize(class StateVisitor& v);

  // Set by the block cache; tells the dispatcher that the current block may have been changed.
  bool code_changed = false;

  // Compiled code's one-load test between blocks. The dispatcher sets it on entering compiled
  // code (nonzero when an interrupt waits), and everything that can change what it checks
  // between blocks (translator/interpreter.h, may_run_next; a region's CS, privilege, TLB and
  // block cache) sets it while the code runs: a code write, a TLB flush, a privilege change,
  // IF or TF rising, an interrupt shadow, HLT, a triple fault, INTR rising, a stop request.
  // While it is zero compiled code goes on to the next block without the full checks; when it
  // is not, it runs them. CS changes only through instructions that end a block and are not
  // near jumps, after which compiled code always runs the full checks.
  u32 attention = 0;
  void need_attention() { attention = 1; }

  // Where tier 1 (translator/jit) finds the privilege the TLB is used with, so code compiled for
  // one privilege can fold it (core/cpu.cpp).
  struct PrivilegeFields {
    std::size_t user, tlb_set_offset, tlb_set_bytes;
  };
  static PrivilegeFields privilege_fields();

 private:
  // 4096 entries per privilege (16 MiB of 4 KiB pages): a guest sweeping arrays of several
  // MiB (the reference benchmark's sieve, hash table) misses only once per page. The flushes
  // visit only the entries filled since the last flush (`filled_`), so a CR3 load stays cheap.
  static constexpr unsigned kTlbSize = 4096;
  static constexpr u32 kInvalidTag = 1;  // never equals a page-aligned address
  // 32 bytes (22 used): the fast path's index is then a shift and a mask, where 24 bytes took a
  // multiply, on the way from every guest address to its data.
  struct alignas(32) TlbEntry {
    u32 read_tag = kInvalidTag;
    u32 write_tag = kInvalidTag;
    uintptr_t addend = 0;  // host pointer = addend + linear address
    u32 phys_page = 0;
    bool global = false;
    bool large = false;  // from a 4 MiB page
  };

  // The entry for `lin` in the current privilege's TLB set: the set's offset is kept with the
  // privilege (an add, not a multiply), and the entry's offset within it, (page number mod
  // kTlbSize) times 32, comes straight from the address as one shift and one mask.
  const TlbEntry& tlb_entry(u32 lin) const {
    static_assert(std::has_single_bit(sizeof(TlbEntry)));
    constexpr unsigned kShift = 12 - std::countr_zero(sizeof(TlbEntry));
    const u32 offset = (lin >> kShift) & ((kTlbSize - 1) * sizeof(TlbEntry));
    return *reinterpret_cast<const TlbEntry*>(reinterpret_cast<const char*>(tlb_) + tlb_set_offset_ + offset);
  }
  // The page of an access's last byte. Compared with the tag of the entry its first byte indexes,
  // it also rules out an access crossing into the next page: that page has another index, so no
  // tag in this slot can name it (the access then takes the slow path, which splits it).
  static u32 last_byte_page(u32 lin, u32 size) { return (lin + (size - 1)) & ~0xFFFu; }

  const SegmentCache& s_seg(Seg seg) const { return s.seg[static_cast<u8>(seg)]; }
  static bool c_readable(const SegmentCache& c) { return !c.is_code() || (c.attrs & desc::kWritable); }
  bool c_writable(const SegmentCache& c) const {
    // Real and V86 mode: every segment can be written. Protected mode: writable data only.
    if (!s.protected_mode() || s.v86()) return true;
    return !c.is_code() && (c.attrs & desc::kWritable);
  }
  bool access_slow(u32 lin, unsigned size, Access access, u32* value, bool user);
  // read's and write's way out through a flat segment: the limit check, then access_slow.
  bool access_slow_flat(Seg s, u32 offset, unsigned size, Access access, u32* value);
  bool walk(u32 lin, Access access, bool user, u32& phys, bool& writable, bool& global, bool& large, bool set_bits);
  void deliver_real(u8 vector, u32 return_eip, bool& ok);
  bool deliver_protected(u8 vector, EventKind kind, bool has_error, u32 error, u32 return_eip);

  TlbEntry tlb_[2][kTlbSize];   // [0] supervisor, [1] user
  std::vector<u16> filled_[2];  // the slots of tlb_ in use (read_tag valid), each once
  bool user_ = false;
  u32 tlb_set_offset_ = 0;  // byte offset of tlb_[user_] in tlb_, kept with user_
  AccessWatch* watch_ = nullptr;
  u64 tlb_generation_ = 0;
};

}  // namespace emu
