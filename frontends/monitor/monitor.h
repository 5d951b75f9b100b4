// The monitor: QEMU's human monitor (HMP) in miniature. One command line in, its text out, so
// the same object serves the console (Ctrl-A c), a socket, or a test. It reads the machine
// through MonitorTarget and never changes guest state except by the commands that say so
// (stop, cont, system_reset, quit). See README.md for the commands and their formats.
#pragma once
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/cpu.h"
#include "translator/disasm.h"

namespace emu {

// What the monitor needs from a machine. The PC implements it in a few lines over PcMachine.
class MonitorTarget {
 public:
  virtual ~MonitorTarget() = default;
  virtual Cpu& cpu() = 0;
  // The debugger view (describe()) of a device for `info <device>` ("pic", ...); nothing when
  // the machine has no such device.
  virtual std::optional<std::string> describe_device(std::string_view name) = 0;
  // The devices describe_device() knows, for `help` and `info`.
  virtual std::vector<std::string> device_names() const = 0;
  // Whether the guest is running (not stopped by `stop` or a debugger).
  virtual bool running() const = 0;
  virtual void stop() = 0;
  virtual void cont() = 0;
  // Resets the machine at the next opportunity (the loop's business, as with port CF9h).
  virtual void system_reset() = 0;
  virtual void quit() = 0;
  // Removable media (QEMU's `change DEVICE FILE` and `eject [-f] DEVICE`): an empty string, or
  // why not. A machine without removable drives keeps these defaults.
  virtual std::string change_medium(std::string_view device, std::string_view file) {
    (void)file;
    return "no removable-media drive '" + std::string(device) + "'";
  }
  // QEMU's `set_link NAME on|off`: the network card's link as the guest sees it.
  virtual std::string set_link(std::string_view name, bool up) {
    (void)up;
    return "no network card '" + std::string(name) + "'";
  }
  // QEMU's `screendump FILE`: the screen as a PNG; an empty string, or why not.
  virtual std::string screendump(std::string_view file) {
    (void)file;
    return "this machine has no display";
  }
  virtual std::string eject(std::string_view device, bool force) {
    (void)force;
    return "no removable-media drive '" + std::string(device) + "'";
  }
};

class Monitor {
 public:
  explicit Monitor(MonitorTarget& target) : target_(target) {}

  // Executes one command line and returns its output: empty for commands that print nothing
  // (as in QEMU), otherwise lines ending in '\n'.
  std::string execute(std::string_view line);

  // Evaluates an address expression: numbers (0x1f, 31), registers ($eax, $eip, $esp, $cs,
  // $cr3, ...), $pc (= CS.base + EIP, the linear address of the next instruction), joined by
  // + and -. Nothing when it does not parse.
  std::optional<u32> evaluate(std::string_view expression) const;

 private:
  std::string info(std::string_view what);
  std::string info_registers() const;
  std::string info_cpus() const;
  std::string info_sensitive(bool all) const;
  std::string memory_dump(std::string_view format, std::string_view address, bool physical);
  std::string help() const;

  MonitorTarget& target_;
  Disassembler disassembler_;
  // x and xp remember the last format and unit size, as QEMU's do.
  char last_format_ = 'x';
  unsigned last_size_ = 4;
};

}  // namespace emu
