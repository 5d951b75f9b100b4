// The oracle's emulated half: runs the same case on emu's CPU, in the same situation as the
// native runner — 32-bit flat protected mode at CPL 3 with Linux's user selectors, paging on with
// only the code page and the data region mapped for the user, EFLAGS.TF set — through
// Interpreter::step(), and reads back what happened the way the host kernel reports it: every
// exception, including the single-step #DB that follows a retired instruction, is delivered
// through an IDT to ring 0, and the frame it pushed gives EIP, EFLAGS, ESP and the error code.
#pragma once
#include <string>

#include "core/cpu.h"
#include "tests/oracle/protocol.h"
#include "translator/interpreter.h"

namespace emu::oracle {

class EmulatedRunner {
 public:
  explicit EmulatedRunner(const oracle_hello& host);

  // Runs one case. `note` explains anything unusual about how the emulator got there (an event
  // the oracle had to unwind, no trap at all), for the mismatch report.
  void run(const oracle_case& c, oracle_result& r, std::string& note);

 private:
  void build_system_tables(const oracle_hello& host);
  void enter_user(u32 eip, u32 esp, u32 eflags);

  AddressSpace bus_{16u << 20};
  Cpu cpu_{bus_};
  Interpreter interp_{cpu_};
  SegmentCache user_cs_, user_ss_, user_ds_, user_es_, user_fs_, user_gs_;
  u8 initial_[ORACLE_DATA_SIZE];
};

}  // namespace emu::oracle
