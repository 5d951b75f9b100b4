// Binding decoded instructions to their handlers.
#pragma once
#include "translator/decoded_insn.h"

namespace emu {

// Sets `fn` (and `impl`) of a decoded instruction: the class handler, behind the VMM gate for
// sensitive and privileged rows.
void bind_handler(DecodedInsn& i);

// The VMM gate (see select.cpp).
Status vmm_gate(Cpu& c, const DecodedInsn& i);

}  // namespace emu
