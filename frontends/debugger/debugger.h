// The teaching debugger's core (DESIGN §9, `-debug`): one command line in, stable text out, plus
// the run-control request the line made. It reads the machine without side effects (no Accessed
// bits, no TLB fills, no device reads: frontends/gdbstub/debug_memory.h) and keeps breakpoint and
// watchpoint bookkeeping that a run loop queries. It never runs the CPU itself: `step`, `next`,
// `continue` and `until` come back as a DebugAction for the loop to carry out, so the same object
// serves a console, a lab script or a test. Output has fixed columns and fixed-width hex and never
// shows host pointers, so a lab sheet can quote it. See README.md for the commands.
#pragma once
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_set>
#include <vector>

#include "core/cpu.h"
#include "translator/disasm.h"

namespace emu {

// What a command asks the run loop to do after printing its text.
struct DebugAction {
  enum class Kind : u8 {
    None,      // nothing: the command only looked at or changed debugger state
    Step,      // execute `count` instructions (stop early at a breakpoint or watchpoint)
    Continue,  // run until a breakpoint, a watchpoint or the user interrupts
    Until,     // run until CS.base + EIP == `address` (a linear address), or a breakpoint
    Quit,      // leave the debugger and the emulator
  };
  Kind kind = Kind::None;
  u64 count = 0;    // Step
  u32 address = 0;  // Until

  static DebugAction none() { return {}; }
  static DebugAction step(u64 n) { return {Kind::Step, n, 0}; }
  static DebugAction cont() { return {Kind::Continue, 0, 0}; }
  static DebugAction until(u32 linear) { return {Kind::Until, 0, linear}; }
  static DebugAction quit() { return {Kind::Quit, 0, 0}; }
  bool operator==(const DebugAction&) const = default;
};

struct DebugResult {
  std::string text;  // lines ending in '\n'; errors are one line starting "error: "
  DebugAction action;
};

enum class WatchAccess : u8 { Read = 1, Write = 2, ReadWrite = 3 };

struct Breakpoint {
  unsigned number = 0;
  bool physical = false;  // `break p:ADDR`: compared with the physical address of CS:EIP
  u32 address = 0;
  std::string typed;  // what the user wrote when it was not a plain address ("0x07c0:0x10")
};

struct Watchpoint {
  unsigned number = 0;
  WatchAccess access = WatchAccess::Write;
  bool physical = false;
  u32 address = 0;
  u32 length = 1;
};

class Debugger {
 public:
  explicit Debugger(Cpu& cpu);
  ~Debugger();
  Debugger(const Debugger&) = delete;
  Debugger& operator=(const Debugger&) = delete;

  // Executes one command line. Never throws on bad input; the session carries on.
  DebugResult execute(std::string_view line);

  // ---- for the run loop --------------------------------------------------------------------
  // Whether a breakpoint is set on the instruction at `linear` (CS.base + EIP), whose first byte
  // is at `physical`. The loop asks before each instruction; `breakpoint_at` also says which.
  bool breaks_at(u32 linear, u32 physical) const { return breakpoint_at(linear, physical).has_value(); }
  std::optional<unsigned> breakpoint_at(u32 linear, u32 physical) const;
  // The linear breakpoints as a set, for Interpreter::set_breakpoints(); physical ones are not
  // in it (the loop checks those with breaks_at()). Updated by every break/delete.
  const std::unordered_set<u32>& linear_breakpoints() const { return linear_set_; }
  bool has_physical_breakpoints() const;
  // The watchpoint an access of `len` bytes at `linear` (first byte at `physical`) triggers, if
  // any: ranges overlap and the kind matches (a read-write watch sees both).
  std::optional<unsigned> watch_hit(u32 linear, u32 physical, u32 len, bool write) const;
  bool watches(u32 linear, u32 physical, u32 len, bool write) const {
    return watch_hit(linear, physical, len, write).has_value();
  }
  bool has_watchpoints() const { return !watchpoints_.empty(); }
  const std::vector<Breakpoint>& breakpoints() const { return breakpoints_; }
  const std::vector<Watchpoint>& watchpoints() const { return watchpoints_; }

  // The parsed form of an address argument: `EXPR` (linear), `p:EXPR` (physical) or `SEG:OFF`
  // (converted to linear now, through the segment's base). EXPR is the monitor's: numbers (0x1f,
  // 31) and $registers joined by + and -. Nothing, with `error` set, when it does not parse.
  struct Address {
    bool physical = false;
    u32 value = 0;
  };
  std::optional<Address> parse_address(std::string_view text, std::string& error) const;

 private:
  struct MonitorBridge;

  std::string regs() const;
  std::string sregs() const;
  std::string gdt(std::string_view args) const;
  std::string idt(std::string_view args) const;
  std::string tss() const;
  std::string disas(std::string_view args) const;
  std::string memory(std::string_view format, std::string_view address, bool physical);
  std::string pagewalk(std::string_view args) const;
  std::string explain(std::string_view args) const;
  std::string stats() const;
  std::string add_breakpoint(std::string_view args);
  std::string add_watchpoint(std::string_view args);
  std::string remove(std::string_view args);
  std::string info_break() const;
  DebugResult next() const;
  void rebuild_linear_set();

  Cpu& cpu_;
  std::unique_ptr<MonitorBridge> monitor_;  // x/xp, address expressions, the VMM counter table
  Disassembler disassembler_;
  std::vector<Breakpoint> breakpoints_;
  std::vector<Watchpoint> watchpoints_;
  std::unordered_set<u32> linear_set_;
  unsigned next_number_ = 1;
};

}  // namespace emu
