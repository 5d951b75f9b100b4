#include "frontends/emu/options.h"

#include <cstdlib>
#include <sstream>

namespace emu {

namespace {

// QEMU's -m: a number with an optional suffix; a bare number means MiB.
bool parse_size(const std::string& text, u32& bytes, std::string& error) {
  char* end = nullptr;
  errno = 0;
  const unsigned long long v = std::strtoull(text.c_str(), &end, 10);
  if (end == text.c_str() || errno) {
    error = "invalid memory size '" + text + "'";
    return false;
  }
  unsigned long long mult = 1ull << 20;
  const std::string suffix(end);
  if (suffix == "" || suffix == "M" || suffix == "m")
    mult = 1ull << 20;
  else if (suffix == "G" || suffix == "g")
    mult = 1ull << 30;
  else if (suffix == "K" || suffix == "k")
    mult = 1ull << 10;
  else {
    error = "invalid memory size suffix in '" + text + "' (use K, M or G)";
    return false;
  }
  const unsigned long long total = v * mult;
  // Up to 3 GiB: the rest of the 4 GiB space holds device windows and the ROM.
  if (v == 0 || total < (1ull << 20) || total > (3ull << 30)) {
    error = "memory size '" + text + "' out of range (1M to 3G)";
    return false;
  }
  bytes = static_cast<u32>(total);
  return true;
}

bool parse_debug(const std::string& list, Options& o, std::string& error) {
  std::stringstream ss(list);
  std::string item;
  while (std::getline(ss, item, ',')) {
    if (item == "in_asm")
      o.trace_in_asm = true;
    else if (item == "cpu")
      o.trace_in_asm = o.trace_registers = true;
    else if (item == "guest_errors")
      o.log_guest_errors = true;
    else {
      error = "unknown -d item '" + item + "' (known: in_asm, cpu, guest_errors)";
      return false;
    }
  }
  return true;
}

}  // namespace

const char* usage_text() {
  return "usage: emu [options] -machine bare FILE\n"
         "\n"
         "  -machine bare     RAM, a small ROM, debug console (port 0xE9) and exit port (0xF4).\n"
         "                    FILE is a flat binary loaded at 0000:7C00 like a boot sector, or a\n"
         "                    Multiboot ELF kernel entered in 32-bit protected mode.\n"
         "  -kernel FILE      the same as giving FILE\n"
         "  -m SIZE           guest RAM (default 32M; suffixes K, M, G)\n"
         "  -no-reboot        exit on a triple fault instead of resetting\n"
         "  -d ITEMS          log: in_asm (each instruction, disassembled), cpu (with registers),\n"
         "                    guest_errors (guest misuse of the machine)\n"
         "  -D FILE           write the -d log to FILE instead of stderr\n"
         "  -max-insns N      stop after N instructions\n"
         "  -help, -version\n"
         "\n"
         "Exit status: a write of V to port 0xF4 exits with (V << 1) | 1, as QEMU's isa-debug-exit.\n";
}

std::optional<Options> parse_options(int argc, char** argv, std::string& error) {
  Options o;
  for (int k = 1; k < argc; ++k) {
    std::string a = argv[k];
    if (a.rfind("--", 0) == 0) a = a.substr(1);  // accept --opt as QEMU does
    auto value = [&](std::string& out) {
      if (k + 1 >= argc) {
        error = "option " + a + " needs a value";
        return false;
      }
      out = argv[++k];
      return true;
    };
    std::string v;
    if (a == "-help" || a == "-h")
      o.help = true;
    else if (a == "-version")
      o.version = true;
    else if (a == "-machine" || a == "-M") {
      if (!value(v)) return std::nullopt;
      const std::string type = v.substr(0, v.find(','));
      if (type != "bare") {
        error = "machine '" + type + "' is not available yet; this build has: bare";
        return std::nullopt;
      }
      o.machine = type;
    } else if (a == "-m") {
      if (!value(v) || !parse_size(v, o.ram_bytes, error)) return std::nullopt;
    } else if (a == "-kernel") {
      if (!value(o.image)) return std::nullopt;
    } else if (a == "-no-reboot") {
      o.no_reboot = true;
    } else if (a == "-d") {
      if (!value(v) || !parse_debug(v, o, error)) return std::nullopt;
    } else if (a == "-D") {
      if (!value(o.log_file)) return std::nullopt;
    } else if (a == "-max-insns") {
      if (!value(v)) return std::nullopt;
      char* end = nullptr;
      o.max_instructions = std::strtoull(v.c_str(), &end, 0);
      if (*end || v.empty()) {
        error = "invalid instruction count '" + v + "'";
        return std::nullopt;
      }
    } else if (!a.empty() && a[0] == '-') {
      error = "unknown option '" + a + "'";
      return std::nullopt;
    } else if (o.image.empty()) {
      o.image = a;
    } else {
      error = "more than one image given ('" + o.image + "' and '" + a + "')";
      return std::nullopt;
    }
  }
  if (!o.help && !o.version && o.image.empty()) {
    error = "no image given";
    return std::nullopt;
  }
  return o;
}

}  // namespace emu
