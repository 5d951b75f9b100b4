// The instruction trace (`-d in_asm`, `-d cpu`): for each executed instruction, its address, its
// bytes and Capstone's disassembly, optionally preceded by the registers.
#pragma once
#include <cstdio>

#include "translator/decoded_insn.h"
#include "translator/disasm.h"

namespace emu {

class InstructionObserver {
 public:
  virtual ~InstructionObserver() = default;
  // Called before each instruction executes.
  virtual void before(const Cpu& cpu, const DecodedInsn& insn) = 0;
};

class Tracer : public InstructionObserver {
 public:
  Tracer(std::FILE* out, bool registers) : out_(out), registers_(registers) {}
  void before(const Cpu& cpu, const DecodedInsn& insn) override;

 private:
  std::FILE* out_;
  bool registers_;
  Disassembler disasm_;
};

}  // namespace emu
