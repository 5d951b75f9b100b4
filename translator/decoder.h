// The decoder: bytes to DecodedInsn, driven by the opcode table. It is pure (no CPU state other
// than the default operand/address size), so fuzzers and the Capstone differential call it directly.
#pragma once
#include <cstddef>

#include "translator/decoded_insn.h"

namespace emu {

enum class DecodeStatus : u8 {
  Ok,         // a valid instruction (its row may still be Op::Invalid: see `out.entry`)
  Truncated,  // more bytes are needed than `avail`
  TooLong,    // more than 15 bytes: #GP(0) (SDM Vol. 2A, 2.3.11)
};

// Decodes one instruction. `code32` is the default operand and address size (CS.D). Undefined
// opcodes and illegal forms (LOCK where not allowed, register where memory is required) decode
// as a row with Op::Invalid, whose handler raises #UD; `out.len` still tells how far decoding got.
DecodeStatus decode(const u8* bytes, std::size_t avail, bool code32, DecodedInsn& out);

// The row used for undefined encodings.
const OpcodeEntry& invalid_entry();

}  // namespace emu
