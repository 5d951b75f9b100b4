// A whole PC with emu's BIOS, run until POST is over: with no drives and no boot menu the first
// HLT is int 18h's "No bootable device." loop. 16 MiB, deterministic (-icount shift=0). For
// tests of what POST leaves behind (the font in plane 2, PCI BARs).
#pragma once
#include "devices/pc/pc_machine.h"
#include "translator/interpreter.h"

namespace emu::test {

struct PostedPc {
  PcMachine machine{config()};
  Interpreter interpreter{machine.cpu()};
  PcMachine::Result result;

  PostedPc() {
    machine.attach_engine(&interpreter);
    result = machine.run(
        [&] {
          if (machine.cpu().s.halted) machine.request_quit();
        },
        50'000'000);
  }
  static PcConfig config() {
    PcConfig c;
    c.ram_bytes = 16u << 20;
    c.icount_shift = 0;
    return c;
  }
};

}  // namespace emu::test
