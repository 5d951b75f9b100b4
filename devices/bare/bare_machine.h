// The bare machine: RAM, a tiny ROM, the debug console on port 0xE9 and the exit port 0xF4 —
// nothing else. `emu -machine bare FILE` runs a boot sector or a Multiboot kernel on it, so a
// student can watch a CPU run their first program, and the CPU tests run their nasm programs.
#pragma once
#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "core/cpu.h"
#include "core/execution_engine.h"
#include "devices/debug_exit/debug_exit.h"
#include "devices/debugcon/debugcon.h"

namespace emu {

struct BareMachineConfig {
  u32 ram_bytes = 32u << 20;
  std::FILE* debug_out = stdout;  // where port 0xE9 writes go
  bool no_reboot = false;         // a triple fault ends the run instead of resetting
};

class BareMachine {
 public:
  explicit BareMachine(const BareMachineConfig& config);

  AddressSpace& bus() { return bus_; }
  Cpu& cpu() { return cpu_; }
  void attach_engine(ExecutionEngine* engine) { engine_ = engine; }

  // A flat binary is copied to 0x7C00 and entered through the ROM at 0000:7C00 in real mode.
  // A Multiboot v1 ELF kernel is loaded at its physical addresses and entered in 32-bit
  // protected mode with EAX = 0x2BADB002 and EBX = the Multiboot information structure.
  // Returns an empty string on success, else what is wrong with the image.
  std::string load(const std::vector<u8>& image);

  enum class Outcome { Exited, Halted, TripleFault, InstructionLimit };
  struct Result {
    Outcome outcome;
    int exit_status;  // for Exited: (value << 1) | 1
  };
  // Runs until the guest writes port 0xF4, halts with nothing to wake it, triple-faults (with
  // no_reboot), or `max_instructions` retire (0 = no limit).
  Result run(u64 max_instructions = 0);

  void reset();

 private:
  std::string load_multiboot_elf(const std::vector<u8>& image, u32 header_offset);

  BareMachineConfig config_;
  AddressSpace bus_;
  Cpu cpu_;
  DebugCon debugcon_;
  DebugExit debug_exit_;
  ExecutionEngine* engine_ = nullptr;
  std::vector<u8> boot_image_;
  // Multiboot entry state, applied after reset when the image is a Multiboot kernel.
  bool multiboot_ = false;
  u32 multiboot_entry_ = 0;
  u32 multiboot_info_ = 0;
};

}  // namespace emu
