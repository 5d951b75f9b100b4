// `emu`: the command line. Options follow QEMU's spelling (DESIGN §9) so users can bring what
// they know. Until the PC platform lands, the one machine is `-machine bare`.
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iterator>
#include <optional>
#include <string>
#include <vector>

#include "core/guest_log.h"
#include "devices/bare/bare_machine.h"
#include "frontends/emu/options.h"
#include "translator/interpreter.h"
#include "translator/trace.h"

namespace {

std::optional<std::vector<emu::u8>> read_file(const std::string& path, std::string& error) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    error = "cannot open '" + path + "': " + std::strerror(errno);
    return std::nullopt;
  }
  return std::vector<emu::u8>(std::istreambuf_iterator<char>(in), {});
}

}  // namespace

int main(int argc, char** argv) {
  using namespace emu;
  std::string error;
  const std::optional<Options> parsed = parse_options(argc, argv, error);
  if (!parsed) {
    std::fprintf(stderr, "emu: %s\n", error.c_str());
    std::fprintf(stderr, "Try 'emu -help' for the options.\n");
    return 2;
  }
  const Options& opt = *parsed;
  if (opt.help) {
    std::fputs(usage_text(), stdout);
    return 0;
  }
  if (opt.version) {
    std::puts("emu 0.1 — IA-32 PC emulator");
    return 0;
  }

  std::FILE* log = stderr;
  if (!opt.log_file.empty()) {
    log = std::fopen(opt.log_file.c_str(), "w");
    if (!log) {
      std::fprintf(stderr, "emu: cannot open log file '%s': %s\n", opt.log_file.c_str(), std::strerror(errno));
      return 2;
    }
  }
  GuestLog::instance().set_enabled(opt.log_guest_errors);
  GuestLog::instance().set_stream(log);

  const auto image = read_file(opt.image, error);
  if (!image) {
    std::fprintf(stderr, "emu: %s\n", error.c_str());
    return 2;
  }

  BareMachineConfig config;
  config.ram_bytes = opt.ram_bytes;
  config.no_reboot = opt.no_reboot;
  BareMachine machine(config);
  Interpreter interpreter(machine.cpu());
  machine.attach_engine(&interpreter);
  Tracer tracer(log, opt.trace_registers);
  if (opt.trace_in_asm) interpreter.set_trace(&tracer);
  if (std::string why = machine.load(*image); !why.empty()) {
    std::fprintf(stderr, "emu: %s: %s\n", opt.image.c_str(), why.c_str());
    return 2;
  }

  const BareMachine::Result r = machine.run(opt.max_instructions);
  std::fflush(stdout);
  switch (r.outcome) {
    case BareMachine::Outcome::Exited: return r.exit_status;
    case BareMachine::Outcome::Halted:
      std::fprintf(stderr, "emu: the CPU halted at %04x:%08x and nothing on the bare machine can wake it\n",
                   machine.cpu().s.sreg(Seg::CS).selector, machine.cpu().s.eip);
      return 0;
    case BareMachine::Outcome::TripleFault:
      std::fprintf(stderr, "emu: triple fault at %04x:%08x (-no-reboot given)\n",
                   machine.cpu().s.sreg(Seg::CS).selector, machine.cpu().s.eip);
      return 1;
    case BareMachine::Outcome::InstructionLimit:
      std::fprintf(stderr, "emu: stopped after %llu instructions (-max-insns)\n",
                   static_cast<unsigned long long>(opt.max_instructions));
      return 0;
  }
  return 0;
}
