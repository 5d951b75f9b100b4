// Test-case generation for the host-CPU oracle: random instances of one opcode-table row, with
// random register, flag, memory and x87 state, encoded so that every memory access the
// instruction makes lands in the shared data region (see protocol.h).
#pragma once
#include <cstdint>
#include <optional>
#include <random>
#include <string>

#include "tests/oracle/protocol.h"
#include "translator/decoded_insn.h"
#include "translator/opcode_table.h"

namespace emu::oracle {

// Whether a row can run in a Linux user process and be compared; if not, why.
struct Testability {
  bool testable = true;
  const char* reason = "";
};
Testability classify(const OpcodeEntry& row);

// Which encodings a row has, for the coverage table: "-" columns are the ones that do not apply.
struct FormsApplicable {
  bool reg = false;     // ModRM register form
  bool mem = false;     // a memory operand (ModRM memory form or implicit: strings, moffs, XLAT)
  bool op16 = false;    // the operand-size prefix changes what it does
  bool addr16 = false;  // the address-size prefix changes what it does
};
FormsApplicable applicable_forms(const OpcodeEntry& row);

struct GeneratedCase {
  oracle_case wire{};
  const OpcodeEntry* row = nullptr;
  bool mem_form = false;
  bool op16 = false;
  bool addr16 = false;
  u32 mem_address = 0;  // effective address of the memory operand (for reports), 0 if none
  u32 mem_size = 0;
  // EFLAGS bits whose value the SDM leaves undefined for this instance: the row's mask, refined
  // for shifts and rotates by the actual count.
  u32 undefined_flags = 0;
  // x87 status-word bits to ignore (condition codes the SDM leaves undefined for this operation).
  u16 undefined_fsw = 0;
  // For the instructions whose SDM page says only "C1 set to 0 if stack underflow occurred"
  // (FCMOVcc, FCOMI and friends): without a stack fault, C1 may be kept or cleared.
  bool c1_only_on_stack_fault = false;
  // Bytes of the data region whose new value is implementation-defined: PUSH Sreg with a 32-bit
  // operand writes either the zero-extended selector or only its low 16 bits (SDM Vol. 2B, PUSH).
  u32 loose_address = 0, loose_len = 0;
};

class Generator {
 public:
  explicit Generator(u64 seed) : rng_(seed) {}
  GeneratedCase generate(const OpcodeEntry& row);

 private:
  struct Regs;
  u32 random_value();
  u32 random_below(u32 n) { return static_cast<u32>(rng_() % n); }
  bool coin(unsigned percent) { return random_below(100) < percent; }
  void random_fp80(u8 out[10]);
  void random_fpu_image(u8 image[ORACLE_FPU_IMAGE]);
  bool encode_memory(bool addr32, u8 reg_field, Regs& regs, u32 ea, u32 size, std::string& bytes, u32& ea_out);
  std::mt19937_64 rng_;
};

// Everything about a row, by operation, that the generator and the comparison need.
bool is_string_op(Op op);
bool is_stack_op(Op op);
bool is_shift_op(Op op);

}  // namespace emu::oracle
