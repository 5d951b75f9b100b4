// Command-line options of `emu`, parsed QEMU-style: single-dash long options, values in the next
// argument, comma-separated sub-options.
#pragma once
#include <optional>
#include <string>

#include "core/types.h"

namespace emu {

struct Options {
  std::string machine = "bare";
  std::string image;  // the boot sector / Multiboot kernel
  u32 ram_bytes = 32u << 20;
  bool no_reboot = false;
  bool trace_in_asm = false;      // -d in_asm: each executed instruction, disassembled
  bool trace_registers = false;   // -d cpu: registers before each traced instruction
  bool log_guest_errors = false;  // -d guest_errors
  std::string log_file;           // -D FILE
  u64 max_instructions = 0;       // -max-insns N (0 = unlimited)
  bool help = false;
  bool version = false;
};

// Parses argv. On a bad option returns nullopt and says why in `error`.
std::optional<Options> parse_options(int argc, char** argv, std::string& error);
const char* usage_text();

}  // namespace emu
