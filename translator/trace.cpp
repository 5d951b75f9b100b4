#include "translator/trace.h"

namespace emu {

void Tracer::before(const Cpu& cpu, const DecodedInsn& insn) {
  const CpuState& s = cpu.s;
  if (registers_) {
    std::fprintf(out_, "EAX=%08x EBX=%08x ECX=%08x EDX=%08x ESI=%08x EDI=%08x EBP=%08x ESP=%08x EFL=%08x CPL=%u\n",
                 s.gpr[EAX], s.gpr[EBX], s.gpr[ECX], s.gpr[EDX], s.gpr[ESI], s.gpr[EDI], s.gpr[EBP], s.gpr[ESP],
                 s.flags.value(), s.cpl);
  }
  const u32 lin = s.sreg(Seg::CS).base + s.eip;
  const Disassembly d = disasm_.at(cpu, lin, s.code32());
  char bytes[3 * 16 + 1] = {};
  u8 raw[16];
  int n = 0;
  for (unsigned k = 0; k < insn.len && k < 16; ++k) {
    u32 phys;
    if (!cpu.probe_translation(lin + k, phys)) break;
    raw[k] = static_cast<u8>(cpu.bus.read(phys, 1));
    n += std::snprintf(bytes + n, sizeof bytes - n, "%02x ", raw[k]);
  }
  std::fprintf(out_, "%04x:%08x  %-24s %s\n", s.sreg(Seg::CS).selector, s.eip, bytes, d.text().c_str());
}

}  // namespace emu
