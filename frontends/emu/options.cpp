#include "frontends/emu/options.h"

#include <algorithm>
#include <cerrno>
#include <cstdio>
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

// A number from `min` to `max` for the -jit option `name`.
bool parse_jit_count(const std::string& n, unsigned long min, unsigned long max, const char* name, const char* what,
                     unsigned& out, std::string& error) {
  char* end = nullptr;
  const unsigned long v = std::strtoul(n.c_str(), &end, 10);
  if (n.empty() || *end || v < min || v > max) {
    error = "-jit: " + std::string(name) + " '" + n + "' is not " + what + " from " + std::to_string(min) + " to " +
            std::to_string(max);
    return false;
  }
  out = static_cast<unsigned>(v);
  return true;
}

// -jit on|off|force[,threshold=N][,cache=N][,reform=N][,perfmap=on|off]
bool parse_jit(const std::string& text, Options& o, std::string& error) {
  std::stringstream ss(text);
  std::string item;
  bool first = true;
  while (std::getline(ss, item, ',')) {
    if (first) {
      first = false;
      if (item != "on" && item != "off" && item != "force") {
        error = "-jit: unknown mode '" + item + "' (on, off, force)";
        return false;
      }
      o.jit = item;
    } else if (item.rfind("threshold=", 0) == 0) {
      if (!parse_jit_count(item.substr(10), 1, 1'000'000'000, "threshold", "a number", o.jit_threshold, error))
        return false;
    } else if (item.rfind("cache=", 0) == 0) {
      if (!parse_jit_count(item.substr(6), 1, 30'000, "cache", "a number of modules", o.jit_cache_modules, error))
        return false;
    } else if (item.rfind("reform=", 0) == 0) {
      if (!parse_jit_count(item.substr(7), 0, 1'000'000'000, "reform", "a number", o.jit_reform, error)) return false;
    } else if (item == "perfmap=on" || item == "perfmap=off") {
      o.jit_perf_map = item == "perfmap=on";
    } else {
      error = "-jit: unknown option '" + item + "' (threshold=N, cache=N, reform=N, perfmap=on|off)";
      return false;
    }
  }
  if (first) {
    error = "-jit: give on, off or force";
    return false;
  }
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
    else if (item == "jit")
      o.log_jit = true;
    else {
      error = "-d: unknown item '" + item + "' (known: in_asm, cpu, guest_errors, jit)";
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

// -drive file=F,format=,if=ide,media=disk|cdrom,index=N|bus=B,unit=U,snapshot=on|off,readonly=on|off
// (cache=, aio=, discard=, id= are accepted: they change nothing here).
bool parse_drive(const std::string& text, DriveOption& d, std::string& error) {
  std::stringstream ss(text);
  std::string item;
  int bus = -1, unit = -1;
  auto on_off = [&](const std::string& key, const std::string& value, bool& out) {
    if (value == "on" || value == "true" || value == "yes")
      out = true;
    else if (value == "off" || value == "false" || value == "no")
      out = false;
    else {
      error = "-drive: " + key + "='" + value + "' is not on or off";
      return false;
    }
    return true;
  };
  auto number = [&](const std::string& key, const std::string& value, int limit, int& out) {
    char* end = nullptr;
    const long n = std::strtol(value.c_str(), &end, 10);
    if (value.empty() || *end || n < 0 || n > limit) {
      error = "-drive: " + key + "='" + value + "' is not a number from 0 to " + std::to_string(limit);
      return false;
    }
    out = static_cast<int>(n);
    return true;
  };
  while (std::getline(ss, item, ',')) {
    const auto eq = item.find('=');
    const std::string key = item.substr(0, eq), value = eq == std::string::npos ? "" : item.substr(eq + 1);
    if (eq == std::string::npos) {
      error = "-drive: '" + item + "' is not KEY=VALUE";
      return false;
    }
    if (key == "file") {
      d.file = value;
    } else if (key == "format") {
      if (value != "raw" && value != "qcow2" && value != "vmdk") {
        error = "-drive: format='" + value + "' is not a format emu has (raw, qcow2, vmdk)";
        return false;
      }
      d.format = value;
    } else if (key == "if") {
      if (value != "ide") {
        error = "-drive: if='" + value + "' is not an interface this PC has (ide)";
        return false;
      }
    } else if (key == "media") {
      if (value != "disk" && value != "cdrom") {
        error = "-drive: media='" + value + "' is not disk or cdrom";
        return false;
      }
      d.cdrom = value == "cdrom";
    } else if (key == "index") {
      if (!number(key, value, 3, d.index)) return false;
    } else if (key == "bus") {
      if (!number(key, value, 1, bus)) return false;
    } else if (key == "unit") {
      if (!number(key, value, 1, unit)) return false;
    } else if (key == "snapshot") {
      if (!on_off(key, value, d.snapshot)) return false;
    } else if (key == "readonly") {
      if (!on_off(key, value, d.read_only)) return false;
    } else if (key == "cache" || key == "aio" || key == "discard" || key == "id" || key == "werror" ||
               key == "rerror") {
      continue;
    } else {
      error = "-drive: unknown key '" + key + "'";
      return false;
    }
  }
  if (bus >= 0 || unit >= 0) {
    const int from_bus = std::max(bus, 0) * 2 + std::max(unit, 0);
    if (d.index >= 0 && d.index != from_bus) {
      error = "-drive: index=" + std::to_string(d.index) + " contradicts bus/unit";
      return false;
    }
    d.index = from_bus;
  }
  if (d.file.empty() && !d.cdrom) {
    error = "-drive: a disk needs file= (only media=cdrom may be empty)";
    return false;
  }
  return true;
}

// -boot [order=]LETTERS[,once=..][,menu=on|off][,splash-time=N]: a-b floppy, c hard disk,
// d CD-ROM, n-p network (QEMU's letters; this PC boots c and d).
bool parse_boot(const std::string& text, Options& o, std::string& error) {
  std::stringstream ss(text);
  std::string item;
  while (std::getline(ss, item, ',')) {
    std::string order;
    if (item.find('=') == std::string::npos) {
      order = item;
    } else if (item.rfind("order=", 0) == 0 || item.rfind("once=", 0) == 0) {
      order = item.substr(item.find('=') + 1);
    } else if (item == "menu=on" || item == "menu=off") {
      o.boot_menu = item == "menu=on";
      continue;
    } else if (item.rfind("splash-time=", 0) == 0 || item.rfind("reboot-timeout=", 0) == 0 ||
               item.rfind("strict=", 0) == 0 || item.rfind("splash=", 0) == 0) {
      continue;
    } else {
      error = "-boot: unknown sub-option '" + item + "' (order=, once=, menu=on|off)";
      return false;
    }
    for (const char c : order) {
      if (c < 'a' || c > 'p') {
        error = std::string("-boot: invalid boot device '") + c + "' (a-p: c hard disk, d CD-ROM)";
        return false;
      }
      if (order.find(c) != order.rfind(c)) {
        error = std::string("-boot: boot device '") + c + "' was given twice";
        return false;
      }
    }
    o.boot_order = order;
  }
  return true;
}

// Gives each drive without index= the first free IDE position, as QEMU does, and refuses two
// drives in one place.
bool assign_drive_indexes(std::vector<DriveOption>& drives, std::string& error) {
  bool used[4] = {};
  for (const DriveOption& d : drives) {
    if (d.index < 0) continue;
    if (used[d.index]) {
      error = d.option + ": IDE position " + std::to_string(d.index) + " is already taken";
      return false;
    }
    used[d.index] = true;
  }
  for (DriveOption& d : drives) {
    if (d.index >= 0) continue;
    for (int k = 0; k < 4 && d.index < 0; ++k)
      if (!used[k]) used[k] = true, d.index = k;
    if (d.index < 0) {
      error = d.option + ": the IDE controller has four places and all are taken";
      return false;
    }
  }
  return true;
}

// The keys of a network backend (-nic TYPE,... and -netdev TYPE,...), in QEMU's names.
bool parse_netdev_key(const std::string& option, const std::string& key, const std::string& value, NicOption& nic,
                      std::string& error) {
  if (key == "dump") {
    if (value.empty()) {
      error = option + ": dump= needs a file name";
      return false;
    }
    nic.dump = value;
    return true;
  }
  if (nic.type == "socket") {
    using Mode = SocketNetOptions::Mode;
    SocketNetOptions& s = nic.socket;
    if (key == "localaddr") {
      s.local = value;
      return true;
    }
    const Mode mode = key == "listen"    ? Mode::Listen
                      : key == "connect" ? Mode::Connect
                      : key == "mcast"   ? Mode::Multicast
                                         : Mode::Udp;
    if (key != "listen" && key != "connect" && key != "mcast" && key != "udp") {
      error = option + " socket: unknown key '" + key + "' (listen=, connect=, mcast=, udp=, localaddr=)";
      return false;
    }
    if (!s.address.empty()) {
      error = option + " socket: give one of listen=, connect=, mcast= and udp=";
      return false;
    }
    sockaddr_in address{};
    if (!parse_socket_address(value, "0.0.0.0", address, error)) {
      error = option + " socket: " + key + "=" + error;
      return false;
    }
    s.mode = mode;
    s.address = value;
    return true;
  }
  if (nic.type == "tap") {
    TapOptions& t = nic.tap;
    if (key == "ifname")
      t.ifname = value;
    else if (key == "script" || key == "downscript")
      (key == "script" ? t.script : t.downscript) = value == "no" ? "" : value;
    else {
      error = option + " tap: unknown key '" + key + "' (ifname=, script=, downscript=)";
      return false;
    }
    return true;
  }
  SlirpOptions& u = nic.user;
  if (key == "net")
    u.net = value;
  else if (key == "host")
    u.host = value;
  else if (key == "dns")
    u.dns = value;
  else if (key == "dhcpstart")
    u.dhcp_start = value;
  else if (key == "hostname")
    u.hostname = value;
  else if (key == "restrict") {
    if (value != "on" && value != "off" && value != "yes" && value != "no") {
      error = option + ": restrict='" + value + "' is not on or off";
      return false;
    }
    u.restrict = value == "on" || value == "yes";
  } else if (key == "hostfwd") {
    SlirpOptions::Forward f;
    if (!parse_hostfwd(value, f, error)) {
      error = option + ": " + error;
      return false;
    }
    u.forwards.push_back(f);
  } else {
    error = option + " user: unknown key '" + key + "'";
    return false;
  }
  return true;
}

// The backend's type from the first item of -nic/-netdev.
bool parse_netdev_type(const std::string& option, const std::string& type, NicOption& nic, std::string& error) {
  if (type != "user" && type != "socket" && type != "tap") {
    error = option + ": '" + type + "' is not a network backend emu has (user, socket, tap" +
            (option == "-nic" ? ", none)" : ")");
    return false;
  }
  nic.type = type;
  return true;
}

// What a backend needs once all its keys are read.
bool check_netdev(const std::string& option, const NicOption& nic, std::string& error) {
  if (nic.type == "socket" && nic.socket.address.empty()) {
    error = option + " socket: give listen=[HOST]:PORT, connect=HOST:PORT, mcast=GROUP:PORT or udp=HOST:PORT";
    return false;
  }
  if (nic.type == "socket" && nic.socket.mode == SocketNetOptions::Mode::Udp && nic.socket.local.empty()) {
    error = option + " socket: udp= needs localaddr=HOST:PORT";
    return false;
  }
  return true;
}

bool parse_mac(const std::string& option, const std::string& value, std::array<u8, 6>& mac, std::string& error) {
  unsigned b[6];
  char tail;
  if (std::sscanf(value.c_str(), "%2x:%2x:%2x:%2x:%2x:%2x%c", &b[0], &b[1], &b[2], &b[3], &b[4], &b[5], &tail) != 6 ||
      (b[0] & 1)) {
    error = option + ": mac='" + value + "' is not a unicast MAC address (52:54:00:12:34:56)";
    return false;
  }
  for (unsigned k = 0; k < 6; ++k) mac[k] = static_cast<u8>(b[k]);
  return true;
}

// -nic user|socket|tap|none[,model=pcnet][,mac=M][,the backend's keys]
bool parse_nic(const std::string& text, NicOption& nic, std::string& error) {
  std::stringstream ss(text);
  std::string item;
  std::getline(ss, item, ',');
  if (item == "none") {
    nic.present = false;
    return true;
  }
  if (!parse_netdev_type("-nic", item, nic, error)) return false;
  nic.present = true;
  while (std::getline(ss, item, ',')) {
    const auto eq = item.find('=');
    const std::string key = item.substr(0, eq), value = eq == std::string::npos ? "" : item.substr(eq + 1);
    if (key == "model") {
      if (value != "pcnet") {
        error = "-nic: model='" + value + "' is not a card this PC has (pcnet)";
        return false;
      }
    } else if (key == "mac") {
      if (!parse_mac("-nic", value, nic.mac, error)) return false;
    } else if (key == "id") {
      continue;
    } else if (!parse_netdev_key("-nic", key, value, nic, error)) {
      return false;
    }
  }
  return check_netdev("-nic", nic, error);
}

bool valid_chardev(const std::string& v) {
  return v == "stdio" || v == "null" || v == "none" || v == "mon:stdio" || v.rfind("file:", 0) == 0 ||
         v.rfind("tcp:", 0) == 0;
}

}  // namespace

const char* usage_text() {
  return "usage: emu [options]\n"
         "       emu [options] DISK-IMAGE\n"
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
         "  -boot [order=]LETTERS[,menu=on]  c hard disk, d CD-ROM (default: c, then d);\n"
         "                    menu=on offers a boot menu (press ESC)\n"
         "Disks (IDE: primary master/slave, secondary master/slave):\n"
         "  -hda/-hdb/-hdc/-hdd FILE  a hard disk image (raw, qcow2, VMDK); a bare FILE is -hda\n"
         "  -cdrom FILE       a CD-ROM (ISO image) as the secondary master\n"
         "  -drive file=F[,format=raw|qcow2|vmdk][,media=disk|cdrom][,index=0-3]\n"
         "         [,snapshot=on][,readonly=on]\n"
         "  -snapshot         write to temporary overlays; the images stay untouched\n"
         "Network (the PCnet-PCI II card at 00:03.0):\n"
         "  -nic user[,mac=M][,hostfwd=tcp::HPORT-:GPORT][,net=A/N][,restrict=on]  NAT (slirp):\n"
         "                    the guest gets 10.0.2.15 by DHCP, the host is 10.0.2.2\n"
         "  -nic socket,listen=[HOST]:PORT | connect=HOST:PORT | mcast=GROUP:PORT[,localaddr=A]\n"
         "         | udp=HOST:PORT,localaddr=HOST:PORT   a private network of emu (or QEMU) VMs\n"
         "  -nic tap[,ifname=NAME][,script=PATH][,downscript=PATH]  a host TAP interface\n"
         "  -netdev TYPE,id=ID,... -device pcnet,netdev=ID[,mac=M]   the same, QEMU's long form\n"
         "                    (dump=FILE on any: a pcap of every frame, for tshark/Wireshark;\n"
         "                    VMs on one network need different mac=)\n"
         "  -nic none         no card (the default for now)\n"
         "Console and devices:\n"
         "  -nographic        no window: COM1 on stdio with Ctrl-A escapes (Ctrl-A h: help)\n"
         "  -display sdl      the window (the default when $DISPLAY or $WAYLAND_DISPLAY is set):\n"
         "                    click grabs the mouse, Ctrl+Alt+G releases it, Ctrl+Alt+F fullscreen,\n"
         "                    Ctrl+Alt+V types the clipboard, closing presses the power button\n"
         "  -display none     no window\n"
         "  -serial DEV       COM1, then COM2 if given again: stdio, file:PATH,\n"
         "                    tcp:HOST:PORT,server[,nowait], null, none\n"
         "  -monitor DEV      stdio: the monitor, behind Ctrl-A c on the console; none: no monitor;\n"
         "                    tcp:HOST:PORT,server[,nowait] or unix:PATH,server[,nowait]: on a socket\n"
         "  -debugcon DEV[,iobase=N]  port 0xE9 (or N) output: stdio, file:PATH, null\n"
         "                    (SeaBIOS logs to iobase=0x402)\n"
         "  -postcode file:PATH[,port=N]...  log writes to port 0x80 (and the ports named)\n"
         "Time:\n"
         "  -icount shift=N   deterministic: each instruction is 2^N ns of virtual time\n"
         "  -rtc base=utc|localtime|DATE[,clock=host|vm]  (under -icount the RTC starts at\n"
         "                    2000-01-01 unless base= names a date)\n"
         "Debugging:\n"
         "  -s                gdb server on tcp::1234 (same as -gdb tcp::1234)\n"
         "  -gdb tcp::PORT    gdb server\n"
         "  -S                wait for gdb (or `cont` in the monitor) before the first instruction\n"
         "  -debug            the teaching debugger, commands on stdin: stopped at the reset vector,\n"
         "                    or with -kernel at the kernel's first instruction\n"
         "                    (regs, sregs, gdt, idt, tss, disas, x, xp, pagewalk, explain, stats,\n"
         "                    break, watch, step, next, until, continue, trace, history; 'help')\n"
         "  -debug-script F   -debug with the commands of F first (deterministic with -icount)\n"
         "  -magic-break      xchg bx,bx stops in the debugger (Bochs's magic breakpoint)\n"
         "  -d ITEMS          log: in_asm, cpu (with registers), guest_errors, jit (compiled blocks)\n"
         "  -jit MODE[,threshold=N][,cache=N][,reform=N][,perfmap=on]\n"
         "                    tier 1, the LLVM JIT: on (hot blocks, compiled on a background thread;\n"
         "                    the default), off (interpret only), force (compile every block before\n"
         "                    it first runs); threshold: runs before a block is hot (50000); cache:\n"
         "                    modules of compiled code held before all are freed (20000); reform:\n"
         "                    runs of a compiled block before a larger region is compiled around it\n"
         "                    (1000000; 0: never); perfmap: write /tmp/perf-PID.map for perf\n"
         "  -D FILE           write the -d log to FILE instead of stderr\n"
         "  -max-insns N      stop after N instructions\n"
         "  -h, -help, -version\n"
         "\n"
         "Exit status: 0 when the guest powers off; a write of V to port 0xF4 exits with\n"
         "(V << 1) | 1, as QEMU's isa-debug-exit; 1 on a reset with -no-reboot; 2 for bad options.\n";
}

std::optional<Options> parse_options(int argc, char** argv, std::string& error) {
  Options o;
  std::string netdev_id, device_netdev;  // -netdev id= and -device pcnet,netdev=
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
    } else if (a == "-hda" || a == "-hdb" || a == "-hdc" || a == "-hdd" || a == "-cdrom") {
      DriveOption d;
      if (!value(d.file)) return std::nullopt;
      d.cdrom = a == "-cdrom";
      d.index = a == "-cdrom" ? 2 : a[3] - 'a';
      d.option = a + " " + d.file;
      o.drives.push_back(d);
    } else if (a == "-drive") {
      DriveOption d;
      if (!value(v) || !parse_drive(v, d, error)) return std::nullopt;
      d.option = "-drive " + v;
      o.drives.push_back(d);
    } else if (a == "-boot") {
      if (!value(v) || !parse_boot(v, o, error)) return std::nullopt;
    } else if (a == "-snapshot") {
      o.snapshot = true;
    } else if (a == "-nic") {
      if (!value(v) || !parse_nic(v, o.nic, error)) return std::nullopt;
    } else if (a == "-netdev") {
      // -netdev TYPE,id=X,...: the backend; a -device pcnet,netdev=X puts the card on it.
      if (!value(v)) return std::nullopt;
      std::stringstream ss(v);
      std::string item;
      std::getline(ss, item, ',');
      if (!parse_netdev_type("-netdev", item, o.nic, error)) return std::nullopt;
      while (std::getline(ss, item, ',')) {
        const auto eq = item.find('=');
        const std::string key = item.substr(0, eq), val = eq == std::string::npos ? "" : item.substr(eq + 1);
        if (key == "id")
          netdev_id = val;
        else if (!parse_netdev_key("-netdev", key, val, o.nic, error))
          return std::nullopt;
      }
      if (!check_netdev("-netdev", o.nic, error)) return std::nullopt;
      if (netdev_id.empty()) {
        error = "-netdev: give id=NAME (and -device pcnet,netdev=NAME)";
        return std::nullopt;
      }
    } else if (a == "-device") {
      if (!value(v)) return std::nullopt;
      std::stringstream ss(v);
      std::string item;
      std::getline(ss, item, ',');
      if (item != "pcnet") {
        error = "-device: '" + item + "' is not a device emu can add (pcnet)";
        return std::nullopt;
      }
      std::string netdev;
      while (std::getline(ss, item, ',')) {
        const auto eq = item.find('=');
        const std::string key = item.substr(0, eq), val = eq == std::string::npos ? "" : item.substr(eq + 1);
        if (key == "netdev")
          netdev = val;
        else if (key == "mac") {
          if (!parse_mac("-device", val, o.nic.mac, error)) return std::nullopt;
        } else if (key != "id") {
          error = "-device pcnet: unknown key '" + key + "'";
          return std::nullopt;
        }
      }
      if (netdev.empty()) {
        error = "-device pcnet: give netdev=NAME (a -netdev TYPE,id=NAME)";
        return std::nullopt;
      }
      device_netdev = netdev;
      o.nic.present = true;
    } else if (a == "-nographic") {
      o.nographic = true;
    } else if (a == "-display") {
      if (!value(v)) return std::nullopt;
      const std::string type = v.substr(0, v.find(','));
      if (type != "none" && type != "sdl") {
        error = "-display: '" + type + "' is not a display emu has (sdl, none)";
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
      if (o.monitor != "stdio" && o.monitor != "none" && o.monitor.rfind("tcp:", 0) != 0 &&
          o.monitor.rfind("unix:", 0) != 0) {
        error = "-monitor: '" + o.monitor + "' is not stdio, none, tcp:HOST:PORT,server or unix:PATH,server";
        return std::nullopt;
      }
    } else if (a == "-debugcon") {
      if (!value(v)) return std::nullopt;
      o.debugcon = v.substr(0, v.find(",iobase="));
      if (o.debugcon.size() < v.size()) {
        const std::string base = v.substr(o.debugcon.size() + 8);
        char* end = nullptr;
        const unsigned long port = std::strtoul(base.c_str(), &end, 0);
        if (base.empty() || *end || port > 0xFFFF) {
          error = "-debugcon: iobase='" + base + "' is not a port number";
          return std::nullopt;
        }
        o.debugcon_port = static_cast<u16>(port);
      }
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
    } else if (a == "-jit") {
      if (!value(v) || !parse_jit(v, o, error)) return std::nullopt;
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
    } else if (a == "-debug") {
      o.debug = true;
    } else if (a == "-debug-script") {
      if (!value(o.debug_script)) return std::nullopt;
      o.debug = true;
    } else if (a == "-magic-break") {
      o.magic_break = true;
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
    // QEMU's convention: a bare file name is the first hard disk.
    DriveOption d;
    d.file = o.image;
    d.index = 0;
    d.option = o.image;
    o.drives.insert(o.drives.begin(), d);
    o.image.clear();
  }
  if (!assign_drive_indexes(o.drives, error)) return std::nullopt;
  if (!device_netdev.empty() && device_netdev != netdev_id) {
    error = "-device pcnet: netdev '" + device_netdev + "' was not defined by -netdev";
    return std::nullopt;
  }
  if (!netdev_id.empty() && device_netdev.empty()) {
    error = "-netdev " + netdev_id + ": no -device pcnet,netdev=" + netdev_id + " uses it";
    return std::nullopt;
  }
  if (o.debug && !o.gdb.empty()) {
    error = "-debug and -gdb: one debugger at a time";
    return std::nullopt;
  }
  if (o.magic_break && !o.debug) {
    error = "-magic-break needs -debug (or -debug-script)";
    return std::nullopt;
  }
  if (o.machine == "bare" && !o.drives.empty()) {
    error = o.drives.front().option + ": the bare machine has no disk controller";
    return std::nullopt;
  }
  if (!o.initrd.empty() && o.kernel.empty()) {
    error = "-initrd needs -kernel";
    return std::nullopt;
  }
  return o;
}

}  // namespace emu
