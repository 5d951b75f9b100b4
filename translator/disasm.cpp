#include "translator/disasm.h"

#include <capstone/capstone.h>

namespace emu {

Disassembler::Disassembler() {
  csh h;
  if (cs_open(CS_ARCH_X86, CS_MODE_16, &h) == CS_ERR_OK) handle16_ = h;
  if (cs_open(CS_ARCH_X86, CS_MODE_32, &h) == CS_ERR_OK) handle32_ = h;
}

Disassembler::~Disassembler() {
  csh h;
  if (handle16_) {
    h = handle16_;
    cs_close(&h);
  }
  if (handle32_) {
    h = handle32_;
    cs_close(&h);
  }
}

Disassembly Disassembler::one(const u8* bytes, std::size_t size, u32 address, bool code32) const {
  Disassembly d;
  const csh h = code32 ? handle32_ : handle16_;
  if (!h) return d;
  cs_insn* insn = nullptr;
  const std::size_t n = cs_disasm(h, bytes, size, address, 1, &insn);
  if (n == 1) {
    d.ok = true;
    d.length = insn->size;
    d.mnemonic = insn->mnemonic;
    d.operands = insn->op_str;
  }
  if (insn) cs_free(insn, n);
  return d;
}

Disassembly Disassembler::at(const Cpu& cpu, u32 linear, bool code32) const {
  u8 bytes[16];
  std::size_t got = 0;
  for (; got < sizeof bytes; ++got) {
    u32 phys;
    if (!cpu.probe_translation(linear + static_cast<u32>(got), phys)) break;
    bytes[got] = static_cast<u8>(cpu.bus.read(phys, 1));
  }
  if (got == 0) {
    Disassembly d;
    d.mnemonic = "(unmapped)";
    return d;
  }
  Disassembly d = one(bytes, got, linear, code32);
  if (!d.ok) d.mnemonic = "(bad)";
  return d;
}

}  // namespace emu
