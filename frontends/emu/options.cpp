#include "frontends/emu/options.h"

#include <cerrno>
#include <cstdlib>
#include <sstream>

#include "core/timeline.h"

namespace emu {

namespace {

// QEMU's -m: a number with an optional suffix; a bare number means MiB. `size=N` is accepted.
bool parse_size(std::string text, u32& bytes, std::string& error) {
  if (text.rfind("size=", 0) == 0) text = text.substr(5);
  char* end = nullptr;
  errno = 0;
  const unsigned long long v = std::strtoull(text.c_str(), &end, 10);
  if (end == text.c_str() || errno) {
    error = "-m: invalid memory size '" + text + "'";
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
    error = "-m: invalid memory size suffix in '" + text + "' (use K, M or G)";
    return false;
  }
  const unsigned long long total = v * mult;
  // Up to 3 GiB: the rest of the 4 GiB space holds device windows and the ROM.
  if (v == 0 || total < (2ull << 20) || total > (3ull << 30)) {
    error = "-m: memory size '" + text + "' out of range (2M to 3G)";
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
      error = "-d: unknown item '" + item + "' (known: in_asm, cpu, guest_errors)";
      return false;
    }
  }
  return true;
}

// -icount N or -icount shift=N[,sleep=off]: each instruction advances virtual time by 2^N ns.
bool parse_icount(const std::string& text, Options& o, std::string& error) {
  std::stringstream ss(text);
  std::string item;
  while (std::getline(ss, item, ',')) {
    std::string value = item;
    if (item.rfind("shift=", 0) == 0)
      value = item.substr(6);
    else if (item == "sleep=off" || item == "sleep=on")
      continue;  // virtual time never waits for the host in this mode either way
    char* end = nullptr;
    const unsigned long n = std::strtoul(value.c_str(), &end, 10);
    if (value.empty() || *end || n > Timeline::kMaxShift) {
      error = "-icount: '" + item + "' is not shift=N with N from 0 to " + std::to_string(Timeline::kMaxShift);
      return false;
    }
    o.icount_shift = static_cast<unsigned>(n);
  }
  if (!o.icount_shift) {
    error = "-icount: give shift=N";
    return false;
  }
  return true;
}

bool parse_rtc(const std::string& text, Options& o, std::string& error) {
  std::stringstream ss(text);
  std::string item;
  while (std::getline(ss, item, ',')) {
    if (item.rfind("base=", 0) == 0)
      o.rtc_base = item.substr(5);
    else if (item == "clock=host" || item == "clock=vm" || item == "clock=rt")
      o.rtc_clock = item.substr(6);
    else if (item.rfind("driftfix=", 0) == 0)
      continue;
    else {
      error = "-rtc: unknown sub-option '" + item + "' (base=utc|localtime|DATE, clock=host|vm)";
      return false;
    }
  }
  return true;
}

bool valid_chardev(const std::string& v) {
  return v == "stdio" || v == "null" || v == "none" || v == "mon:stdio" || v.rfind("file:", 0) == 0 ||
         v.rfind("tcp:", 0) == 0;
}

}  // namespace

const char* usage_text() {
  return "usage: emu [options]\n"
         "       emu -machine bare FILE\n"
         "\n"
         "The PC (i440FX + PIIX3, emu's own BIOS) is the default machine. With no -kernel, emu\n"
         "boots the default guest built by images/guests/build-default.sh.\n"
         "\n"
         "Machine:\n"
         "  -machine pc|bare  pc (default), or bare: RAM, a small ROM, ports 0xE9 and 0xF4;\n"
         "                    FILE is then a boot sector (loaded at 0000:7C00) or a Multiboot ELF\n"
         "  -m SIZE           guest RAM (default 128M; suffixes K, M, G)\n"
         "  -bios FILE        a 64-256 KiB ROM image instead of emu's BIOS (e.g. SeaBIOS)\n"
         "  -no-reboot        exit when the guest resets instead of rebooting\n"
         "Boot:\n"
         "  -kernel FILE      a Linux bzImage, or a Multiboot kernel (ELF or a.out kludge)\n"
         "  -initrd FILE      Linux: the initrd; Multiboot: modules, \"file args,file args\"\n"
         "  -append TEXT      the kernel command line\n"
         "Console and devices:\n"
         "  -nographic        no window: COM1 on stdio with Ctrl-A escapes (Ctrl-A h: help)\n"
         "  -display none     no window (the only display until the SDL window lands)\n"
         "  -serial DEV       COM1, then COM2 if given again: stdio, file:PATH,\n"
         "                    tcp:HOST:PORT,server[,nowait], null, none\n"
         "  -monitor DEV      stdio: the monitor, behind Ctrl-A c on the console; none: no monitor\n"
         "  -debugcon DEV     port 0xE9 output: stdio, file:PATH, null\n"
         "  -postcode file:PATH[,port=N]...  log writes to port 0x80 (and the ports named)\n"
         "Time:\n"
         "  -icount shift=N   deterministic: each instruction is 2^N ns of virtual time\n"
         "  -rtc base=utc|localtime|DATE[,clock=host|vm]  (under -icount the RTC starts at\n"
         "                    2000-01-01 unless base= names a date)\n"
         "Debugging:\n"
         "  -s                gdb server on tcp::1234 (same as -gdb tcp::1234)\n"
         "  -gdb tcp::PORT    gdb server\n"
         "  -S                wait for gdb (or `cont` in the monitor) before the first instruction\n"
         "  -d ITEMS          log: in_asm, cpu (with registers), guest_errors\n"
         "  -D FILE           write the -d log to FILE instead of stderr\n"
         "  -max-insns N      stop after N instructions\n"
         "  -h, -help, -version\n"
         "\n"
         "Exit status: 0 when the guest powers off; a write of V to port 0xF4 exits with\n"
         "(V << 1) | 1, as QEMU's isa-debug-exit; 1 on a reset with -no-reboot; 2 for bad options.\n";
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
    if (a == "-help" || a == "-h") {
      o.help = true;
    } else if (a == "-version") {
      o.version = true;
    } else if (a == "-machine" || a == "-M") {
      if (!value(v)) return std::nullopt;
      std::string type = v.substr(0, v.find(','));
      if (type.rfind("type=", 0) == 0) type = type.substr(5);
      if (type == "pc" || type.rfind("pc-i440fx", 0) == 0)
        o.machine = "pc";
      else if (type == "bare")
        o.machine = "bare";
      else {
        error = "-machine: '" + type + "' is not a machine emu has (pc, bare)";
        return std::nullopt;
      }
    } else if (a == "-m") {
      if (!value(v) || !parse_size(v, o.ram_bytes, error)) return std::nullopt;
      o.ram_given = true;
    } else if (a == "-kernel") {
      if (!value(o.kernel)) return std::nullopt;
    } else if (a == "-initrd") {
      if (!value(o.initrd)) return std::nullopt;
    } else if (a == "-append") {
      if (!value(o.append)) return std::nullopt;
    } else if (a == "-bios") {
      if (!value(o.bios)) return std::nullopt;
    } else if (a == "-nographic") {
      o.nographic = true;
    } else if (a == "-display") {
      if (!value(v)) return std::nullopt;
      const std::string type = v.substr(0, v.find(','));
      if (type == "sdl") {
        error = "-display: the SDL window is not built yet; use -display none or -nographic";
        return std::nullopt;
      }
      if (type != "none") {
        error = "-display: '" + type + "' is not a display emu has (none)";
        return std::nullopt;
      }
      o.display = type;
    } else if (a == "-serial") {
      if (!value(v)) return std::nullopt;
      if (!valid_chardev(v)) {
        error = "-serial: '" + v + "' is not stdio, file:PATH, tcp:HOST:PORT,server, null or none";
        return std::nullopt;
      }
      if (o.serial.size() == 2) {
        error = "-serial: this machine has two serial ports";
        return std::nullopt;
      }
      o.serial.push_back(v);
    } else if (a == "-monitor") {
      if (!value(o.monitor)) return std::nullopt;
      if (o.monitor != "stdio" && o.monitor != "none") {
        error = "-monitor: '" + o.monitor + "' is not stdio or none (a socket monitor comes with the debugger work)";
        return std::nullopt;
      }
    } else if (a == "-debugcon") {
      if (!value(o.debugcon)) return std::nullopt;
      if (o.debugcon != "stdio" && o.debugcon != "null" && o.debugcon.rfind("file:", 0) != 0) {
        error = "-debugcon: '" + o.debugcon + "' is not stdio, file:PATH or null";
        return std::nullopt;
      }
    } else if (a == "-postcode") {
      if (!value(o.postcode)) return std::nullopt;
      if (o.postcode.rfind("file:", 0) != 0) {
        error = "-postcode: give file:PATH[,port=N]";
        return std::nullopt;
      }
    } else if (a == "-no-reboot") {
      o.no_reboot = true;
    } else if (a == "-d") {
      if (!value(v) || !parse_debug(v, o, error)) return std::nullopt;
    } else if (a == "-D") {
      if (!value(o.log_file)) return std::nullopt;
    } else if (a == "-icount") {
      if (!value(v) || !parse_icount(v, o, error)) return std::nullopt;
    } else if (a == "-rtc") {
      if (!value(v) || !parse_rtc(v, o, error)) return std::nullopt;
    } else if (a == "-s") {
      o.gdb = "tcp::1234";
    } else if (a == "-gdb") {
      if (!value(o.gdb)) return std::nullopt;
      if (o.gdb.rfind("tcp:", 0) != 0) {
        error = "-gdb: give tcp::PORT or tcp:HOST:PORT";
        return std::nullopt;
      }
    } else if (a == "-S") {
      o.start_paused = true;
    } else if (a == "-max-insns") {
      if (!value(v)) return std::nullopt;
      char* end = nullptr;
      o.max_instructions = std::strtoull(v.c_str(), &end, 0);
      if (*end || v.empty()) {
        error = "-max-insns: invalid instruction count '" + v + "'";
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
  if (o.help || o.version) return o;
  if (o.machine == "bare") {
    if (o.image.empty()) o.image = o.kernel;
    if (o.image.empty()) {
      error = "-machine bare: no image given";
      return std::nullopt;
    }
    if (!o.ram_given) o.ram_bytes = 32u << 20;
  } else if (!o.image.empty()) {
    error = "'" + o.image + "': the PC boots -kernel (a boot sector needs -machine bare until disks arrive)";
    return std::nullopt;
  }
  if (!o.initrd.empty() && o.kernel.empty()) {
    error = "-initrd needs -kernel";
    return std::nullopt;
  }
  return o;
}

}  // namespace emu
