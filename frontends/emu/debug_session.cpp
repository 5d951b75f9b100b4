#include "frontends/emu/debug_session.h"

#include <unistd.h>

#include <csignal>
#include <fstream>
#include <iostream>

#include "core/text.h"
#include "frontends/gdbstub/debug_memory.h"

namespace emu {

namespace {

std::atomic<bool> g_interrupted{false};

void on_sigint(int) { g_interrupted = true; }

// The bytes 87 DB: XCHG BX,BX (XCHG EBX,EBX in 32-bit code), a no-op Bochs made its magic
// breakpoint; programs put it where they want the debugger.
bool is_magic_breakpoint(const DecodedInsn& insn) { return insn.opcode == 0x87 && insn.modrm == 0xDB; }

}  // namespace

DebugSession::DebugSession(PcMachine& machine, Interpreter& interpreter, std::FILE* out, bool magic_break)
    : machine_(machine),
      interpreter_(interpreter),
      out_(out),
      debugger_(machine.cpu()),
      tracer_(out, false),
      magic_break_(magic_break) {}

void DebugSession::install_interrupt_handler() {
  struct sigaction action = {};
  action.sa_handler = on_sigint;
  sigemptyset(&action.sa_mask);
  sigaction(SIGINT, &action, nullptr);
}

bool DebugSession::interrupt_requested() { return g_interrupted.load(); }

bool DebugSession::load_script(const std::string& path, std::string& error) {
  std::ifstream in(path);
  if (!in) {
    error = "cannot open '" + path + "'";
    return false;
  }
  for (std::string line; std::getline(in, line);) script_.push_back(line);
  return true;
}

// Script lines (echoed after the prompt, so the transcript shows them), then stdin. Blank lines
// and lines starting with '#' are a script's comments.
bool DebugSession::next_command(std::string& line) {
  while (script_at_ < script_.size()) {
    const std::string_view text = trim(script_[script_at_++]);
    if (text.empty() || text.front() == '#') continue;
    line = std::string(text);
    std::fprintf(out_, "(debug) %s\n", line.c_str());
    return true;
  }
  if (!read_stdin_) return false;
  std::fprintf(out_, "(debug) ");
  std::fflush(out_);
  if (!std::getline(std::cin, line)) {
    std::fprintf(out_, "\n");
    return false;
  }
  line = std::string(trim(line));
  return true;
}

void DebugSession::print_location() {
  const CpuState& s = machine_.cpu().s;
  const u32 linear = s.sreg(Seg::CS).base + s.eip;
  std::fputs(debugger_.execute("disas " + std::to_string(linear) + " 1").text.c_str(), out_);
}

void DebugSession::enter(const std::string& why) {
  g_interrupted = false;
  magic_hit_ = false;
  interpreter_.set_breakpoints(&debugger_.linear_breakpoints());
  std::fflush(nullptr);  // the guest's serial output so far comes first
  // No instruction count here: a lab transcript must not change when the BIOS does (`stats`).
  std::fprintf(out_, "stopped: %s\n", why.c_str());
  print_location();
  std::string line;
  for (;;) {
    std::fflush(out_);
    if (!next_command(line)) {  // the end of the script and of stdin: the lab is over
      machine_.request_quit();
      return;
    }
    if (line == "trace on" || line == "trace off") {
      tracing_ = line == "trace on";
      continue;
    }
    if (line == "history" || line.rfind("history ", 0) == 0) {
      std::fputs(history(std::string_view(line).substr(7)).c_str(), out_);
      continue;
    }
    const DebugResult r = debugger_.execute(line);
    std::fputs(r.text.c_str(), out_);
    if (line == "help")
      std::fputs(
          "trace on|off       print every instruction as it runs (continue, until, step)\n"
          "history [N]        the last N instructions executed (default 16, at most 256)\n"
          "Ctrl-C             stop a running machine; -magic-break: xchg bx,bx stops too\n",
          out_);
    switch (r.action.kind) {
      case DebugAction::Kind::None: break;
      case DebugAction::Kind::Step:
        step(r.action.count);
        print_location();
        break;
      case DebugAction::Kind::Continue: resume(std::nullopt); return;
      case DebugAction::Kind::Until: resume(r.action.address); return;
      case DebugAction::Kind::Quit: machine_.request_quit(); return;
    }
  }
}

// The pages the CPU must report: those with watched linear bytes, or all of them while a
// physical watchpoint exists (any linear page may map onto it).
void DebugSession::watch_ranges_changed() {
  physical_watch_ = false;
  watched_pages_.clear();
  for (const Watchpoint& w : debugger_.watchpoints()) {
    if (w.physical)
      physical_watch_ = true;
    else
      watched_pages_.emplace_back(w.address >> 12, static_cast<u32>((u64{w.address} + w.length - 1) >> 12));
  }
  machine_.cpu().set_access_watch(debugger_.has_watchpoints() ? this : nullptr);
}

bool DebugSession::covers_page(u32 page) const {
  if (physical_watch_) return true;
  for (const auto& [first, last] : watched_pages_)
    if (page >= first && page <= last) return true;
  return false;
}

void DebugSession::accessed(u32 linear, u32 physical, unsigned size, bool write) {
  if (!watch_hit_.empty()) return;  // the first hit of this instruction is the one reported
  const auto number = debugger_.watch_hit(linear, physical, size, write);
  if (!number) return;
  char why[128];
  std::snprintf(why, sizeof why, "watchpoint %u: %s of %u byte%s at linear 0x%08x (physical 0x%08x):", *number,
                write ? "write" : "read", size, size == 1 ? "" : "s", linear, physical);
  watch_hit_ = why;
  // The bytes as the access left them (after a write, its value).
  u8 bytes[4] = {};
  const std::size_t n = debug::read_physical(machine_.cpu().bus, physical, bytes, std::min(size, 4u));
  for (std::size_t k = 0; k < n; ++k) {
    std::snprintf(why, sizeof why, " %02x", bytes[k]);
    watch_hit_ += why;
  }
  interpreter_.request_stop();  // after this instruction, which the observer sees to the end
}

void DebugSession::resume(std::optional<u32> until) {
  watch_ranges_changed();
  until_ = until;
  run_set_ = debugger_.linear_breakpoints();
  if (until) run_set_.insert(*until);
  interpreter_.set_breakpoints(&run_set_);
  std::fflush(out_);
}

// Single steps, stopping early at a breakpoint. A halted CPU waits for its interrupt, as the
// hardware would; Ctrl-C ends the wait.
void DebugSession::step(u64 count) {
  Cpu& cpu = machine_.cpu();
  watch_ranges_changed();
  for (u64 k = 0; k < count && !machine_.quit_requested(); ++k) {
    if (cpu.s.halted) {
      while (interpreter_.run(1) == StopReason::Halted && !g_interrupted) {
        machine_.timeline().run_due();
        machine_.timeline().idle(10'000'000);
      }
    } else {
      interpreter_.step();
    }
    machine_.timeline().run_due();
    const u32 linear = cpu.s.sreg(Seg::CS).base + cpu.s.eip;
    if (!watch_hit_.empty()) {
      std::fprintf(out_, "%s\n", watch_hit_.c_str());
      watch_hit_.clear();
      break;
    }
    if (k + 1 < count && debugger_.linear_breakpoints().contains(linear)) {
      std::fprintf(out_, "breakpoint after %llu steps\n", static_cast<unsigned long long>(k + 1));
      break;
    }
    if (g_interrupted) break;
  }
}

void DebugSession::start_at(u32 linear) {
  resume(linear);
  kernel_start_ = true;
}

void DebugSession::on_breakpoint() {
  const CpuState& s = machine_.cpu().s;
  const u32 linear = s.sreg(Seg::CS).base + s.eip;
  if (until_ && *until_ == linear) {
    until_.reset();
    enter(kernel_start_ ? "at the kernel's first instruction (-kernel)" : "until reached");
    kernel_start_ = false;
    return;
  }
  u32 physical = linear;
  machine_.cpu().probe_translation(linear, physical);
  const auto number = debugger_.breakpoint_at(linear, physical);
  enter(number ? "breakpoint " + std::to_string(*number) : std::string("breakpoint"));
}

void DebugSession::poll_stop() {
  if (!watch_hit_.empty()) {
    const std::string why = std::move(watch_hit_);
    watch_hit_.clear();
    enter(why);
  } else if (magic_hit_)
    enter("magic breakpoint (xchg bx,bx)");
  else if (g_interrupted)
    enter("interrupted (Ctrl-C)");
}

void DebugSession::before(const Cpu& cpu, const DecodedInsn& insn) {
  const CpuState& s = cpu.s;
  history_[retired_++ % kHistory] = {s.sreg(Seg::CS).selector, s.eip, s.sreg(Seg::CS).base + s.eip, s.code32()};
  if (tracing_) tracer_.before(cpu, insn);
  if (magic_break_ && is_magic_breakpoint(insn)) {
    magic_hit_ = true;
    interpreter_.request_stop();  // after this instruction: the debugger sees the state it made
  }
}

std::string DebugSession::history(std::string_view args) const {
  args = trim(args);
  std::size_t count = 16;
  if (!args.empty()) {
    char* end = nullptr;
    const std::string text(args);
    const unsigned long n = std::strtoul(text.c_str(), &end, 0);
    if (!end || *end || n == 0) return "error: history [N]: N is a count of instructions (1-256)\n";
    count = std::min<std::size_t>(n, kHistory);
  }
  count = std::min<std::size_t>(count, retired_);
  std::string out;
  Disassembler disassembler;
  for (std::size_t k = count; k > 0; --k) {
    const Retired& r = history_[(retired_ - k) % kHistory];
    const Disassembly d = disassembler.at(machine_.cpu(), r.linear, r.code32);
    char line[160];
    std::snprintf(line, sizeof line, "%4zu  %04x:%08x  %s\n", k, r.cs, r.eip, d.text().c_str());
    out += line;
  }
  if (out.empty()) out = "no instructions executed yet\n";
  return out;
}

}  // namespace emu
