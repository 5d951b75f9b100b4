// Placeholder: task switching is being written.
#include "core/cpu.h"

namespace emu {

bool Cpu::task_switch(u16 selector, u64, TaskSwitchSource, u32, bool, u32) { return fault(kTS, selector & 0xFFFC); }

}  // namespace emu
