#include "frontends/monitor/monitor.h"

#include <algorithm>
#include <cctype>
#include <cinttypes>
#include <cstdarg>
#include <cstdio>
#include <cstring>
#include <map>

#include "core/text.h"
#include "frontends/gdbstub/debug_memory.h"
#include "translator/opcode_table.h"

namespace emu {

namespace {

// The descriptor's flags as QEMU shows them: bits 8-23 of the descriptor's high dword — type,
// S, DPL, P, limit 19:16, AVL, L, D/B, G (SDM Vol. 3A, Figure 3-8) — rebuilt from the cache.
u32 descriptor_flags(const SegmentCache& c) {
  const u32 raw_limit = (c.attrs & desc::kGranularity) ? c.limit >> 12 : c.limit;
  return (u32{c.attrs & 0xFFu} << 8) | (((raw_limit >> 16) & 0xF) << 16) | (u32{(c.attrs >> 8) & 0xFu} << 20);
}

// The decoded form after a segment line in protected mode (as QEMU prints it).
std::string describe_segment(const Cpu& cpu, const SegmentCache& c) {
  if (!cpu.s.protected_mode() || !(c.attrs & desc::kPresent)) return {};
  std::string out = printf_string(" DPL=%d ", c.dpl());
  if (c.attrs & desc::kNonSystem) {
    if (c.attrs & desc::kCode) {
      out += c.big() ? "CS32" : "CS16";
      out +=
          printf_string(" [%c%c", (c.attrs & desc::kExpandDown) ? 'C' : '-', (c.attrs & desc::kWritable) ? 'R' : '-');
    } else {
      out += c.big() ? "DS  " : "DS16";
      out +=
          printf_string(" [%c%c", (c.attrs & desc::kExpandDown) ? 'E' : '-', (c.attrs & desc::kWritable) ? 'W' : '-');
    }
    out += (c.attrs & desc::kAccessed) ? "A]" : "-]";
  } else {
    // System descriptor types (SDM Vol. 3A, Table 3-2).
    static constexpr const char* kTypes[16] = {
        "Reserved", "TSS16-avl", "LDT",      "TSS16-busy", "CallGate16", "TaskGate", "IntGate16", "TrapGate16",
        "Reserved", "TSS32-avl", "Reserved", "TSS32-busy", "CallGate32", "Reserved", "IntGate32", "TrapGate32"};
    out += kTypes[desc::type(c.attrs)];
  }
  return out;
}

std::string segment_line(const Cpu& cpu, const char* name, const SegmentCache& c) {
  return printf_string("%-3s=%04x %08x %08x %08x", name, c.selector, c.base, c.limit, descriptor_flags(c)) +
         describe_segment(cpu, c) + "\n";
}

// One value of `size` bytes in a QEMU memory dump format.
std::string dump_value(u64 v, unsigned size, char fmt) {
  switch (fmt) {
    case 'o': return printf_string("%#*" PRIo64, static_cast<int>((size * 8 + 2) / 3), v);
    case 'u': return printf_string("%*" PRIu64, static_cast<int>((size * 80 + 32) / 33), v);
    case 'd': {
      const unsigned shift = 64 - size * 8;
      const i64 s = static_cast<i64>(v << shift) >> shift;
      return printf_string("%*" PRId64, static_cast<int>((size * 80 + 32) / 33), s);
    }
    case 'c': {
      const u8 ch = static_cast<u8>(v);
      if (ch == '\n') return "'\\n'";
      if (ch == '\r') return "'\\r'";
      if (ch == '\t') return "'\\t'";
      if (ch == '\\' || ch == '\'') return printf_string("'\\%c'", ch);
      if (ch >= 32 && ch < 127) return printf_string("'%c'", ch);
      return printf_string("'\\x%02x'", ch);
    }
    default: return printf_string("0x%0*" PRIx64, static_cast<int>(size * 2), v);
  }
}

// Register names for address expressions.
std::optional<u32> register_value(const Cpu& cpu, std::string_view name) {
  static constexpr const char* kGpr[8] = {"eax", "ecx", "edx", "ebx", "esp", "ebp", "esi", "edi"};
  for (unsigned i = 0; i < 8; ++i)
    if (name == kGpr[i]) return cpu.s.gpr[i];
  static constexpr std::pair<const char*, Seg> kSegs[] = {{"es", Seg::ES}, {"cs", Seg::CS}, {"ss", Seg::SS},
                                                          {"ds", Seg::DS}, {"fs", Seg::FS}, {"gs", Seg::GS}};
  for (const auto& [n, s] : kSegs)
    if (name == n) return cpu.s.sreg(s).selector;
  if (name == "eip") return cpu.s.eip;
  if (name == "pc") return cpu.s.sreg(Seg::CS).base + cpu.s.eip;
  if (name == "eflags") return cpu.s.flags.value();
  if (name == "cr0") return cpu.s.cr0;
  if (name == "cr2") return cpu.s.cr2;
  if (name == "cr3") return cpu.s.cr3;
  if (name == "cr4") return cpu.s.cr4;
  return std::nullopt;
}

}  // namespace

std::optional<u32> Monitor::evaluate(std::string_view expression) const {
  std::string_view s = trim(expression);
  if (s.empty()) return std::nullopt;
  u32 total = 0;
  bool negate = false;
  for (;;) {
    s = trim(s);
    std::size_t end = 0;
    while (end < s.size() && s[end] != '+' && s[end] != '-') ++end;
    const std::string term(trim(s.substr(0, end)));
    if (term.empty()) return std::nullopt;
    u32 value;
    if (term[0] == '$') {
      const auto r = register_value(target_.cpu(), std::string_view(term).substr(1));
      if (!r) return std::nullopt;
      value = *r;
    } else {
      char* stop = nullptr;
      const unsigned long long v = std::strtoull(term.c_str(), &stop, 0);
      if (*stop || v > 0xFFFFFFFFull || term[0] == '-') return std::nullopt;
      value = static_cast<u32>(v);
    }
    total = negate ? total - value : total + value;
    if (end == s.size()) return total;
    negate = s[end] == '-';
    s = s.substr(end + 1);
  }
}

std::string Monitor::execute(std::string_view line) {
  std::string_view rest = line;
  const std::string_view command = next_word(rest);
  if (command.empty()) return {};
  if (command == "help" || command == "h" || command == "?") return help();
  if (command == "info" || command == "i") return info(rest);
  // "x/4xw 0x1000", "x /4xw 0x1000" and "x 0x1000" are all accepted, as in QEMU.
  for (const std::string_view name : {std::string_view("xp"), std::string_view("x")}) {
    if (command.substr(0, name.size()) != name) continue;
    std::string_view fmt = command.substr(name.size());
    if (!fmt.empty() && fmt[0] != '/') continue;
    if (fmt.empty() && !rest.empty() && rest[0] == '/') fmt = next_word(rest);
    return memory_dump(fmt, rest, name == "xp");
  }
  if (command == "stop" || command == "s") {
    target_.stop();
    return {};
  }
  if (command == "cont" || command == "c") {
    target_.cont();
    return {};
  }
  if (command == "system_reset") {
    target_.system_reset();
    return {};
  }
  if (command == "quit" || command == "q") {
    target_.quit();
    return {};
  }
  if (command == "change") {
    const std::string_view device = next_word(rest), file = next_word(rest);
    if (device.empty() || file.empty()) return "usage: change DEVICE FILE (e.g. change ide1-cd0 disc.iso)\n";
    const std::string error = target_.change_medium(device, file);
    return error.empty() ? std::string() : "change: " + error + "\n";
  }
  if (command == "set_link") {
    const std::string_view name = next_word(rest), state = next_word(rest);
    if (name.empty() || (state != "on" && state != "off"))
      return "usage: set_link NAME on|off (e.g. set_link pcnet off)\n";
    const std::string error = target_.set_link(name, state == "on");
    return error.empty() ? std::string() : "set_link: " + error + "\n";
  }
  if (command == "screendump") {
    const std::string_view file = next_word(rest);
    if (file.empty()) return "usage: screendump FILE.png\n";
    const std::string error = target_.screendump(file);
    return error.empty() ? std::string() : "screendump: " + error + "\n";
  }
  if (command == "eject") {
    std::string_view device = next_word(rest);
    const bool force = device == "-f";
    if (force) device = next_word(rest);
    if (device.empty()) return "usage: eject [-f] DEVICE (e.g. eject ide1-cd0)\n";
    const std::string error = target_.eject(device, force);
    return error.empty() ? std::string() : "eject: " + error + "\n";
  }
  return printf_string("unknown command: '%.*s' (try 'help')\n", static_cast<int>(command.size()), command.data());
}

std::string Monitor::info(std::string_view what) {
  std::string_view rest = what;
  const std::string_view topic = next_word(rest);
  if (topic == "registers" || topic == "r") return info_registers();
  if (topic == "cpus") return info_cpus();
  if (topic == "sensitive") return info_sensitive(rest == "all");
  if (!topic.empty()) {
    if (auto text = target_.describe_device(topic)) {
      if (!text->empty() && text->back() != '\n') *text += '\n';
      return *text;
    }
    return printf_string("info: unknown topic '%.*s' (try 'info')\n", static_cast<int>(topic.size()), topic.data());
  }
  std::string out =
      "info registers    the CPU registers\n"
      "info cpus         the CPUs and where they are\n"
      "info sensitive    sensitive and privileged instructions executed ('info sensitive all': every kind)\n";
  for (const std::string& name : target_.device_names())
    out += printf_string("info %-12s the %s's state\n", name.c_str(), name.c_str());
  return out;
}

std::string Monitor::info_registers() const {
  const Cpu& cpu = target_.cpu();
  const CpuState& s = cpu.s;
  const u32 fl = s.flags.value();
  std::string out;
  out += printf_string("EAX=%08x EBX=%08x ECX=%08x EDX=%08x\n", s.gpr[EAX], s.gpr[EBX], s.gpr[ECX], s.gpr[EDX]);
  out += printf_string("ESI=%08x EDI=%08x EBP=%08x ESP=%08x\n", s.gpr[ESI], s.gpr[EDI], s.gpr[EBP], s.gpr[ESP]);
  out += printf_string("EIP=%08x EFL=%08x [%c%c%c%c%c%c%c] CPL=%d II=%d A20=%d SMM=0 HLT=%d\n", s.eip, fl,
                       fl & eflags::DF ? 'D' : '-', fl & eflags::OF ? 'O' : '-', fl & eflags::SF ? 'S' : '-',
                       fl & eflags::ZF ? 'Z' : '-', fl & eflags::AF ? 'A' : '-', fl & eflags::PF ? 'P' : '-',
                       fl & eflags::CF ? 'C' : '-', s.cpl, s.interrupt_shadow ? 1 : 0, (cpu.bus.a20_mask() >> 20) & 1,
                       s.halted ? 1 : 0);
  static constexpr std::pair<const char*, Seg> kSegs[] = {{"ES", Seg::ES}, {"CS", Seg::CS}, {"SS", Seg::SS},
                                                          {"DS", Seg::DS}, {"FS", Seg::FS}, {"GS", Seg::GS}};
  for (const auto& [name, seg] : kSegs) out += segment_line(cpu, name, s.sreg(seg));
  out += segment_line(cpu, "LDT", s.ldtr);
  out += segment_line(cpu, "TR", s.tr);
  out += printf_string("GDT=     %08x %08x\n", s.gdtr.base, s.gdtr.limit);
  out += printf_string("IDT=     %08x %08x\n", s.idtr.base, s.idtr.limit);
  out += printf_string("CR0=%08x CR2=%08x CR3=%08x CR4=%08x\n", s.cr0, s.cr2, s.cr3, s.cr4);
  out += printf_string("DR0=%08x DR1=%08x DR2=%08x DR3=%08x\n", s.dr[0], s.dr[1], s.dr[2], s.dr[3]);
  out += printf_string("DR6=%08x DR7=%08x\n", s.dr[6], s.dr[7]);
  // FTW as QEMU shows it: the abridged tag (bit i set = physical register i not empty).
  u8 abridged = 0;
  for (unsigned i = 0; i < 8; ++i)
    if (((s.fpu.tag >> (2 * i)) & 3) != 3) abridged |= static_cast<u8>(1u << i);
  out += printf_string("FCW=%04x FSW=%04x [ST=%d] FTW=%02x\n", s.fpu.control, s.fpu.status, (s.fpu.status >> 11) & 7,
                       abridged);
  // FPRi = ST(i): the 64-bit significand and the sign/exponent word of the 80-bit value.
  for (unsigned i = 0; i < 8; ++i) {
    const long double v = s.fpu.regs[(((s.fpu.status >> 11) & 7) + i) & 7];
    u64 mantissa;
    u16 exponent;
    std::memcpy(&mantissa, &v, 8);
    std::memcpy(&exponent, reinterpret_cast<const u8*>(&v) + 8, 2);
    out += printf_string("FPR%u=%016" PRIx64 " %04x%s", i, mantissa, exponent, i % 2 ? "\n" : " ");
  }
  return out;
}

std::string Monitor::info_cpus() const {
  const CpuState& s = target_.cpu().s;
  const char* mode = s.v86() ? "v86" : s.protected_mode() ? (s.paging() ? "protected, paging" : "protected") : "real";
  return printf_string("* CPU #0: pc=0x%08x (%s, CPL %d)%s%s\n", s.sreg(Seg::CS).base + s.eip, mode, s.cpl,
                       s.halted ? " (halted)" : "", target_.running() ? "" : " (stopped)");
}

std::string Monitor::info_sensitive(bool all) const {
  // The gated operations and what makes them so, from the opcode table (DESIGN §3): an operation
  // may have several rows (PUSH ES, PUSH CS, ...), each a form of it.
  struct Kind {
    u16 attrs = 0;
    std::vector<std::string> forms;
  };
  std::map<unsigned, Kind> kinds;
  for (const OpcodeEntry& row : opcode_table()) {
    if (!(row.attrs & (attr::kPrivileged | attr::kSensitive))) continue;
    Kind& k = kinds[static_cast<unsigned>(row.op)];
    k.attrs |= row.attrs;
    if (std::find(k.forms.begin(), k.forms.end(), row.syntax) == k.forms.end()) k.forms.push_back(row.syntax);
  }
  const CpuCounters& c = target_.cpu().counters;
  std::string out = "sensitive and privileged instructions executed (outside ring 0 = CPL > 0 or V86 mode)\n";
  out += printf_string("%12s %14s  %-22s %s\n", "total", "outside ring 0", "kind", "instruction");
  u64 total = 0, outside = 0;
  unsigned silent = 0;
  for (const auto& [op, kind] : kinds) {
    if (op >= CpuCounters::kOpSlots) continue;
    total += c.vmm_total[op];
    outside += c.vmm_outside_ring0[op];
    if (!all && c.vmm_total[op] == 0) {
      ++silent;
      continue;
    }
    std::string label = (kind.attrs & attr::kPrivileged) ? "privileged" : "sensitive";
    if (kind.attrs & attr::kIoplSensitive) label += ", IOPL-sensitive";
    std::string forms;
    for (const std::string& f : kind.forms) forms += (forms.empty() ? "" : " | ") + f;
    out += printf_string("%12" PRIu64 " %14" PRIu64 "  %-22s %s\n", c.vmm_total[op], c.vmm_outside_ring0[op],
                         label.c_str(), forms.c_str());
  }
  out += printf_string("%12" PRIu64 " %14" PRIu64 "  all %zu kinds", total, outside, kinds.size());
  out += silent ? printf_string(" (%u not executed; 'info sensitive all' lists them)\n", silent) : "\n";
  return out;
}

std::string Monitor::memory_dump(std::string_view fmt, std::string_view address_text, bool physical) {
  // /[count][format][size] (QEMU's x and xp).
  unsigned count = 1;
  char fmt_char = last_format_;
  unsigned size = last_size_;
  bool size_given = false;
  if (!fmt.empty()) {
    fmt.remove_prefix(1);  // '/'
    std::size_t digits = 0;
    while (digits < fmt.size() && std::isdigit(static_cast<unsigned char>(fmt[digits]))) ++digits;
    if (digits) {
      count = 0;
      for (std::size_t i = 0; i < digits; ++i) count = std::min(count * 10 + (fmt[i] - '0'), 100000u);
    }
    for (char ch : fmt.substr(digits)) {
      switch (ch) {
        case 'x':
        case 'd':
        case 'u':
        case 'o':
        case 'c':
        case 'i': fmt_char = ch; break;
        case 'b': size = 1, size_given = true; break;
        case 'h': size = 2, size_given = true; break;
        case 'w': size = 4, size_given = true; break;
        case 'g': size = 8, size_given = true; break;
        default: return printf_string("invalid format character '%c' (formats x d u o c i, sizes b h w g)\n", ch);
      }
    }
  }
  const auto address = evaluate(address_text);
  if (!address) {
    const std::string_view text = trim(address_text);
    return printf_string("invalid address '%.*s'\n", static_cast<int>(text.size()), text.data());
  }
  last_format_ = fmt_char;
  if (fmt_char != 'i' && fmt_char != 'c') last_size_ = size;
  Cpu& cpu = target_.cpu();
  // A person typed this address: device windows are read too (see debug_memory.h).
  auto read = [&](u32 at, u8* out, std::size_t len) {
    return physical ? debug::read_physical(cpu.bus, at, out, len, debug::DeviceAccess::Allow)
                    : debug::read_linear(cpu, at, out, len, debug::DeviceAccess::Allow);
  };
  std::string out;
  u32 at = *address;
  if (fmt_char == 'i') {
    // Code size: 'h' = 16-bit, 'w' = 32-bit, otherwise the current CS's default size.
    const bool code32 = size_given ? size == 4 : cpu.s.code32();
    for (unsigned n = 0; n < count; ++n) {
      u8 bytes[16];
      const std::size_t got = read(at, bytes, sizeof bytes);
      if (got == 0) return out + printf_string("Cannot access memory at 0x%08x\n", at);
      const Disassembly d = disassembler_.one(bytes, got, at, code32);
      const u32 length = d.ok ? d.length : 1;
      std::string hex;
      for (u32 k = 0; k < length; ++k) hex += printf_string("%02x ", bytes[k]);
      out += printf_string("0x%08x:  %-21s %s\n", at, hex.c_str(), d.ok ? d.text().c_str() : "(bad)");
      at += length;
    }
    return out;
  }
  if (fmt_char == 'c') size = 1;
  const u32 line_bytes = size == 1 ? 8 : 16;
  u64 remaining = u64{count} * size;
  while (remaining > 0) {
    const u32 in_line = static_cast<u32>(std::min<u64>(remaining, line_bytes));
    u8 bytes[16];
    if (read(at, bytes, in_line) != in_line) return out + printf_string("Cannot access memory at 0x%08x\n", at);
    std::string line = printf_string("%08x:", at);
    for (u32 k = 0; k + size <= in_line; k += size) {
      u64 v = 0;
      std::memcpy(&v, bytes + k, size);  // little-endian host and guest
      line += ' ';
      line += dump_value(v, size, fmt_char);
    }
    out += line + "\n";
    at += in_line;
    remaining -= in_line;
  }
  return out;
}

std::string Monitor::help() const {
  return "info registers|cpus|sensitive|<device>   show machine state ('info' lists topics)\n"
         "x /fmt addr       dump memory at a linear address (CS.base + offset; paging applied)\n"
         "xp /fmt addr      dump memory at a physical address\n"
         "                  fmt = [count][format][size]; format x d u o c i, size b h w g\n"
         "                  addr: numbers and $registers with + and -, e.g. $esp+8; $pc = CS.base+EIP\n"
         "stop              stop the guest\n"
         "cont              resume the guest\n"
         "system_reset      reset the machine\n"
         "change DEV FILE   put the disc image FILE into the CD-ROM drive DEV (e.g. ide1-cd0)\n"
         "eject [-f] DEV    take the disc out of DEV (-f: even if the guest locked the tray)\n"
         "set_link pcnet on|off  plug or unplug the network card's cable\n"
         "screendump FILE.png    save the screen as the VGA shows it now\n"
         "quit              quit the emulator\n"
         "help              this text\n";
}

}  // namespace emu
