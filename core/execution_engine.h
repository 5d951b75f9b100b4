// How the machine runs the CPU without knowing how guest code is executed (DESIGN §1: devices/
// never include translator/). The translator implements this; the machine holds a pointer.
#pragma once
#include "core/cpu.h"

namespace emu {

class ExecutionEngine {
 public:
  virtual ~ExecutionEngine() = default;
  // Runs guest code until `max_instructions` have retired, the CPU halts, a device asks to stop,
  // or the CPU shuts down (triple fault).
  virtual StopReason run(u64 max_instructions) = 0;
  // Asks run() to return soon, after the current instruction (a device wants the machine to stop).
  virtual void request_stop() = 0;
  // Drops every translation (after a state load, or when a debugger changes memory).
  virtual void flush() = 0;
};

}  // namespace emu
