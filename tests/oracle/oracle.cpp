// The host-CPU oracle (DESIGN §12): random instances of every opcode-table row that a Linux user
// process can run are executed natively by a gcc -m32 helper (native_runner.c) and on emu's
// interpreter (emulated.cpp), and the resulting registers, flags, memory, x87 state and
// exceptions are compared, with the flags the SDM leaves undefined masked out.
//
//   oracle [--cases N] [--seed S] [--filter TEXT] [--verbose] [--reports K] [--require-coverage]
//          [--table all|failing|none] [--native PATH]
//
// Prints the mismatches (the first K per row, all with --verbose), a coverage table per opcode-
// table row, and a summary per instruction class. Exits 1 on any mismatch (or, with
// --require-coverage, on any testable row whose register/memory form or 16/32-bit operand or
// address size went untested), 77 (meson's "skipped") when the host cannot run the helper.
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cinttypes>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <string>
#include <vector>

#include "tests/oracle/emulated.h"
#include "tests/oracle/generator.h"
#include "translator/disasm.h"

static_assert(sizeof(oracle_case) == 232, "oracle_case layout must match the 32-bit runner");
static_assert(sizeof(oracle_result) == 1704, "oracle_result layout must match the 32-bit runner");

namespace emu::oracle {
namespace {

struct Options {
  u64 cases = 20000;
  u64 seed = 1;
  std::string filter;
  bool verbose = false;
  unsigned reports = 2;
  bool require_coverage = false;
  std::string table = "all";
  std::string native = ORACLE_NATIVE_PATH;
};

[[noreturn]] void usage(const char* why) {
  std::fprintf(stderr,
               "oracle: %s\nusage: oracle [--cases N] [--seed S] [--filter TEXT] [--verbose] [--reports K]\n"
               "              [--require-coverage] [--table all|failing|none] [--native PATH]\n",
               why);
  std::exit(2);
}

Options parse(int argc, char** argv) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    auto value = [&]() -> std::string {
      if (i + 1 >= argc) usage(("missing value for " + a).c_str());
      return argv[++i];
    };
    if (a == "--cases")
      o.cases = std::strtoull(value().c_str(), nullptr, 0);
    else if (a == "--seed")
      o.seed = std::strtoull(value().c_str(), nullptr, 0);
    else if (a == "--filter")
      o.filter = value();
    else if (a == "--verbose")
      o.verbose = true;
    else if (a == "--reports")
      o.reports = static_cast<unsigned>(std::strtoul(value().c_str(), nullptr, 0));
    else if (a == "--require-coverage")
      o.require_coverage = true;
    else if (a == "--table")
      o.table = value();
    else if (a == "--native")
      o.native = value();
    else
      usage(("unknown option " + a).c_str());
  }
  return o;
}

// ---- the native helper ------------------------------------------------------------------------

class NativeRunner {
 public:
  explicit NativeRunner(const std::string& path) {
    int to_child[2], from_child[2];
    if (pipe(to_child) != 0 || pipe(from_child) != 0) die("pipe");
    pid_ = fork();
    if (pid_ < 0) die("fork");
    if (pid_ == 0) {
      dup2(to_child[0], 0);
      dup2(from_child[1], 1);
      close(to_child[0]);
      close(to_child[1]);
      close(from_child[0]);
      close(from_child[1]);
      execl(path.c_str(), path.c_str(), static_cast<char*>(nullptr));
      const int why = errno;
      std::fprintf(stderr, "oracle: cannot run %s: %s\n", path.c_str(), std::strerror(why));
      _exit(why == ENOEXEC ? kNoI386Exit : 127);
    }
    close(to_child[0]);
    close(from_child[1]);
    to_ = to_child[1];
    from_ = from_child[0];
  }
  ~NativeRunner() { exit_status(); }
  // The helper's exit status, once it has ended (closes the pipes and waits).
  int exit_status() {
    if (pid_ > 0) {
      close(to_);
      close(from_);
      int status = 0;
      waitpid(pid_, &status, 0);
      status_ = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
      pid_ = -1;
    }
    return status_;
  }
  // The child's status when the kernel refused the i386 executable (ENOEXEC).
  static constexpr int kNoI386Exit = 126;
  bool read_hello(oracle_hello& h) { return read_all(&h, sizeof h) && h.magic == ORACLE_HELLO_MAGIC; }
  void send(const std::vector<GeneratedCase>& batch) {
    const u32 count = static_cast<u32>(batch.size());
    write_all(&count, sizeof count);
    for (const GeneratedCase& g : batch) write_all(&g.wire, sizeof g.wire);
  }
  bool receive(std::vector<oracle_result>& out) { return read_all(out.data(), out.size() * sizeof out[0]); }

 private:
  [[noreturn]] static void die(const char* what) {
    std::fprintf(stderr, "oracle: %s: %s\n", what, std::strerror(errno));
    std::exit(2);
  }
  bool read_all(void* p, std::size_t n) {
    auto* b = static_cast<u8*>(p);
    while (n) {
      const ssize_t got = read(from_, b, n);
      if (got <= 0) return false;
      b += got;
      n -= static_cast<std::size_t>(got);
    }
    return true;
  }
  void write_all(const void* p, std::size_t n) {
    const auto* b = static_cast<const u8*>(p);
    while (n) {
      const ssize_t put = write(to_, b, n);
      if (put <= 0) die("writing to the native runner");
      b += put;
      n -= static_cast<std::size_t>(put);
    }
  }
  pid_t pid_ = -1;
  int to_ = -1, from_ = -1;
  int status_ = -1;
};

// ---- naming ------------------------------------------------------------------------------------

const char* class_of(Op op) {
  const auto n = static_cast<unsigned>(op);
  auto at = [](Op o) { return static_cast<unsigned>(o); };
  if (n < at(Op::Rol)) return "alu";
  if (n < at(Op::Bt)) return "shift";
  if (n < at(Op::Daa)) return "bit";
  if (n < at(Op::Mul)) return "bcd";
  if (n < at(Op::Movs)) return "muldiv";
  if (n < at(Op::Push)) return "string";
  if (n < at(Op::Jcc)) return "stack";
  if (n < at(Op::JmpFar)) return "control";
  if (n < at(Op::Lgdt)) return "farcontrol";
  if (n < at(Op::Fld)) return "system";
  return "x87";
}

std::string opcode_label(const OpcodeEntry& e) {
  char buf[32];
  if (e.code > 0xFF)
    std::snprintf(buf, sizeof buf, "0F %02X", e.code & 0xFF);
  else
    std::snprintf(buf, sizeof buf, "%02X", e.code);
  std::string s = buf;
  if (e.rm >= 0) {
    std::snprintf(buf, sizeof buf, " %02X", 0xC0 | e.reg << 3 | e.rm);
    s += buf;
  } else if (e.reg >= 0) {
    s += " /" + std::to_string(e.reg);
  }
  return s;
}

const char* vector_name(u32 v) {
  static const char* const kNames[] = {"#DE", "#DB", "NMI", "#BP", "#OF", "#BR", "#UD", "#NM", "#DF", "#09",
                                       "#TS", "#NP", "#SS", "#GP", "#PF", "#15", "#MF", "#AC", "#MC", "#XM"};
  if (v < sizeof kNames / sizeof kNames[0]) return kNames[v];
  if (v == 0xFE) return "triple fault";
  if (v == 0xFF) return "no trap";
  return "#??";
}

std::string outcome(const oracle_result& r) {
  char buf[96];
  if (r.vector == ORACLE_COMPLETED)
    std::snprintf(buf, sizeof buf, "retired, eip=%08x", r.eip);
  else if (r.vector == 14)
    std::snprintf(buf, sizeof buf, "%s(%x) cr2=%08x at eip=%08x", vector_name(r.vector), r.error_code, r.cr2, r.eip);
  else
    std::snprintf(buf, sizeof buf, "%s(%x) at eip=%08x", vector_name(r.vector), r.error_code, r.eip);
  return buf;
}

std::string flag_names(u32 f) {
  static const std::pair<u32, const char*> kBits[] = {{0x001, "CF"}, {0x004, "PF"},  {0x010, "AF"},   {0x040, "ZF"},
                                                      {0x080, "SF"}, {0x100, "TF"},  {0x200, "IF"},   {0x400, "DF"},
                                                      {0x800, "OF"}, {0x4000, "NT"}, {0x40000, "AC"}, {0x200000, "ID"}};
  std::string s;
  for (auto [bit, name] : kBits)
    if (f & bit) s += (s.empty() ? "" : " ") + std::string(name);
  return s;
}

std::string fp80_text(const u8* v) {
  long double x = 0;
  std::memcpy(&x, v, 10);
  u64 mantissa;
  std::memcpy(&mantissa, v, 8);
  char buf[80];
  std::snprintf(buf, sizeof buf, "%04x:%016" PRIx64 " (%.19Lg)", v[8] | v[9] << 8, mantissa, x);
  return buf;
}

// ---- comparison --------------------------------------------------------------------------------

constexpr u32 kComparedFlags = 0x001 | 0x004 | 0x010 | 0x040 | 0x080 | 0x100 | 0x200 | 0x400 | 0x800 | 0x3000 | 0x4000 |
                               0x40000 | 0x200000;  // everything but RF, VM and the reserved bits
constexpr u16 kComparedControl = 0x1F3F;

u16 get16(const u8* p) { return static_cast<u16>(p[0] | p[1] << 8); }

std::vector<std::string> compare(const GeneratedCase& g, const oracle_result& n, const oracle_result& e,
                                 const std::string& note) {
  std::vector<std::string> d;
  char buf[160];
  if (!note.empty()) d.push_back("note: " + note);
  if (n.vector != e.vector) {
    d.push_back(std::string("outcome: native ") + vector_name(n.vector) + ", emulated " + vector_name(e.vector));
  } else if (n.vector == 14) {
    // Only P, W/R and U/S: the host adds bits (I/D fetch, protection keys) a P6 does not have.
    // A read-modify-write instruction may report its first, reading access to a not-present page
    // as a write (the host reads for ownership); a read reported as a write is accepted, not the
    // reverse.
    u32 native_code = n.error_code & 7;
    if ((native_code & 3) == 2 && (e.error_code & 7) == (native_code & ~2u)) native_code &= ~2u;
    if (native_code != (e.error_code & 7) || n.cr2 != e.cr2) {
      std::snprintf(buf, sizeof buf, "#PF: native error %x cr2 %08x, emulated error %x cr2 %08x", n.error_code & 7,
                    n.cr2, e.error_code & 7, e.cr2);
      d.push_back(buf);
    }
  } else if (n.vector != ORACLE_COMPLETED && n.vector != 1 && n.error_code != e.error_code &&
             (n.vector == 8 || (n.vector >= 10 && n.vector <= 13) || n.vector == 17)) {
    std::snprintf(buf, sizeof buf, "error code: native %x, emulated %x", n.error_code, e.error_code);
    d.push_back(buf);
  }
  if (n.eip != e.eip) {
    std::snprintf(buf, sizeof buf, "eip: native %08x, emulated %08x", n.eip, e.eip);
    d.push_back(buf);
  }
  static const char* const kRegs[8] = {"eax", "ecx", "edx", "ebx", "esp", "ebp", "esi", "edi"};
  for (int i = 0; i < 8; ++i)
    if (n.gpr[i] != e.gpr[i]) {
      std::snprintf(buf, sizeof buf, "%s: native %08x, emulated %08x", kRegs[i], n.gpr[i], e.gpr[i]);
      d.push_back(buf);
    }
  u32 mask = kComparedFlags;
  if (n.vector == ORACLE_COMPLETED) mask &= ~g.undefined_flags;
  if (const u32 diff = (n.eflags ^ e.eflags) & mask) {
    std::snprintf(buf, sizeof buf, "eflags: native %08x, emulated %08x, differ in [%s]", n.eflags, e.eflags,
                  flag_names(diff).c_str());
    d.push_back(buf);
  }
  // The data region, as (offset -> new byte) maps.
  std::map<u32, u8> nm, em;
  for (u32 i = 0; i < std::min(n.ndiffs, ORACLE_MAX_DIFFS); ++i) nm[n.diff_offset[i]] = n.diff_value[i];
  for (u32 i = 0; i < std::min(e.ndiffs, ORACLE_MAX_DIFFS); ++i) em[e.diff_offset[i]] = e.diff_value[i];
  for (u32 a = g.loose_address; a < g.loose_address + g.loose_len; ++a) {
    nm.erase(a - ORACLE_DATA_BASE);
    em.erase(a - ORACLE_DATA_BASE);
  }
  if (nm != em || (n.ndiffs > ORACLE_MAX_DIFFS) != (e.ndiffs > ORACLE_MAX_DIFFS)) {
    std::string s =
        "memory: " + std::to_string(n.ndiffs) + " bytes changed natively, " + std::to_string(e.ndiffs) + " emulated;";
    unsigned shown = 0;
    std::map<u32, std::pair<int, int>> all;
    for (auto [k, v] : nm) all[k].first = v + 1;
    for (auto [k, v] : em) all[k].second = v + 1;
    for (auto [k, p] : all) {
      if (p.first == p.second) continue;
      if (++shown > 12) {
        s += " ...";
        break;
      }
      auto byte = [](int v) {  // v is the byte + 1, or 0 for "unchanged"
        char b[4];
        std::snprintf(b, sizeof b, v ? "%02x" : "--", v - 1);
        return std::string(b);
      };
      std::snprintf(buf, sizeof buf, " [%05x] %s/%s", ORACLE_DATA_BASE + k, byte(p.first).c_str(),
                    byte(p.second).c_str());
      s += buf;
    }
    d.push_back(s + "  (native/emulated, -- = unchanged)");
  }
  if (g.wire.flags & ORACLE_HAS_FPU) {
    const u16 ncw = get16(n.fpu), ecw = get16(e.fpu);
    if ((ncw ^ ecw) & kComparedControl) {
      std::snprintf(buf, sizeof buf, "fpu control: native %04x, emulated %04x", ncw, ecw);
      d.push_back(buf);
    }
    const u16 nsw = get16(n.fpu + 4), esw = get16(e.fpu + 4);
    u16 ignored = g.undefined_fsw;
    if (g.c1_only_on_stack_fault && !(nsw & 0x40)) ignored |= 0x0200;
    if ((nsw ^ esw) & ~ignored) {
      std::snprintf(buf, sizeof buf, "fpu status: native %04x, emulated %04x (ignoring %04x)", nsw, esw, ignored);
      d.push_back(buf);
    }
    const u16 ntag = get16(n.fpu + 8), etag = get16(e.fpu + 8);
    if (ntag != etag) {
      std::snprintf(buf, sizeof buf, "fpu tag: native %04x, emulated %04x", ntag, etag);
      d.push_back(buf);
    }
    const u32 top = (nsw >> 11) & 7;
    for (u32 i = 0; i < 8; ++i) {
      if (((ntag >> (2 * ((top + i) & 7))) & 3) == 3) continue;  // empty: contents do not matter
      const u8* nv = n.fpu + 28 + 10 * i;
      const u8* ev = e.fpu + 28 + 10 * i;
      if (std::memcmp(nv, ev, 10) != 0)
        d.push_back("st(" + std::to_string(i) + "): native " + fp80_text(nv) + ", emulated " + fp80_text(ev));
    }
  }
  return d;
}

// ---- statistics ------------------------------------------------------------------------------

struct RowStats {
  u64 cases = 0, reg = 0, mem = 0, op16 = 0, op32 = 0, addr16 = 0, addr32 = 0;
  u64 native_exceptions = 0, mismatches = 0;
  unsigned reported = 0;
};

void print_case(const GeneratedCase& g, const oracle_result& n, const oracle_result& e,
                const std::vector<std::string>& diffs, u64 index, const Options& opt, const Disassembler& dis) {
  const OpcodeEntry& row = *g.row;
  std::string bytes;
  char buf[256];
  for (unsigned k = 0; k < g.wire.code_len; ++k) {
    std::snprintf(buf, sizeof buf, "%02x ", g.wire.code[k]);
    bytes += buf;
  }
  const Disassembly text = dis.one(g.wire.code, g.wire.code_len, ORACLE_CODE_ADDR, true);
  std::printf("MISMATCH [%s] %s  (%s)  case %" PRIu64 " of --seed %" PRIu64 "\n", class_of(row.op), row.syntax,
              opcode_label(row).c_str(), index, opt.seed);
  std::printf("  bytes    : %s  (%s, o%d a%d)\n", bytes.c_str(), g.mem_form ? "memory form" : "register form",
              g.op16 ? 16 : 32, g.addr16 ? 16 : 32);
  std::printf("  capstone : %s\n", text.ok ? text.text().c_str() : "(capstone cannot decode it)");
  const u32* r = g.wire.gpr;
  std::printf("  input    : eax=%08x ecx=%08x edx=%08x ebx=%08x esp=%08x ebp=%08x esi=%08x edi=%08x\n", r[0], r[1],
              r[2], r[3], r[4], r[5], r[6], r[7]);
  std::printf("             eflags=%08x [%s]\n", g.wire.eflags, flag_names(g.wire.eflags).c_str());
  if (g.mem_address >= ORACLE_DATA_BASE && g.mem_address < ORACLE_DATA_BASE + ORACLE_DATA_SIZE) {
    u8 mem[ORACLE_DATA_SIZE];
    oracle_fill(mem, &g.wire);
    const u32 off = g.mem_address - ORACLE_DATA_BASE;
    const u32 len = std::min<u32>(std::max<u32>(g.mem_size, 4), std::min<u32>(16, ORACLE_DATA_SIZE - off));
    std::string m;
    for (u32 k = 0; k < len; ++k) {
      std::snprintf(buf, sizeof buf, "%02x ", mem[off + k]);
      m += buf;
    }
    std::printf("  operand  : [%05x] = %s\n", g.mem_address, m.c_str());
  }
  if (g.wire.flags & ORACLE_HAS_FPU) {
    const u8* f = g.wire.fpu;
    const u16 sw = get16(f + 4), tag = get16(f + 8);
    std::printf("  fpu in   : cw=%04x sw=%04x tag=%04x top=%u\n", get16(f), sw, tag, (sw >> 11) & 7);
    for (u32 i = 0; i < 8; ++i) {
      const u32 phys = (((sw >> 11) & 7) + i) & 7;
      if (((tag >> (2 * phys)) & 3) == 3) continue;
      std::printf("             st(%u) = %s\n", i, fp80_text(f + 28 + 10 * i).c_str());
    }
  }
  std::printf("  native   : %s\n  emulated : %s\n", outcome(n).c_str(), outcome(e).c_str());
  for (const std::string& s : diffs) std::printf("  differs  : %s\n", s.c_str());
}

bool matches_filter(const OpcodeEntry& row, const std::string& filter) {
  if (filter.empty()) return true;
  auto lower = [](std::string s) {
    for (char& ch : s) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
    return s;
  };
  const std::string f = lower(filter), syntax = lower(row.syntax), op = lower(std::string(op_name(row.op)));
  const std::string mnemonic = syntax.substr(0, syntax.find(' '));
  return f == mnemonic || f == op || f == class_of(row.op) || (f.size() > 3 && syntax.find(f) != std::string::npos);
}

int run(const Options& opt) {
  signal(SIGPIPE, SIG_IGN);
  NativeRunner native(opt.native);
  oracle_hello hello{};
  if (!native.read_hello(hello)) {
    if (native.exit_status() == NativeRunner::kNoI386Exit) {
      // A 64-bit kernel built or booted without IA32 emulation (ia32_emulation=0) runs no i386
      // program at all: there is no host CPU to compare with here.
      std::printf("oracle: skipped: this host's kernel cannot execute i386 programs (no IA32 emulation)\n");
      return 77;
    }
    std::fprintf(stderr, "oracle: the native runner %s did not start\n", opt.native.c_str());
    return 2;
  }
  if (!hello.ok) {
    std::printf(
        "oracle: skipped: the native runner cannot map its pages at %#x and %#x "
        "(vm.mmap_min_addr is too high)\n",
        ORACLE_CODE_PAGE, ORACLE_DATA_BASE);
    return 77;
  }
  EmulatedRunner emulated(hello);
  Generator generator(opt.seed);
  Disassembler dis;

  const auto table = opcode_table();
  std::vector<const OpcodeEntry*> rows;
  for (const OpcodeEntry& e : table)
    if (classify(e).testable && matches_filter(e, opt.filter)) rows.push_back(&e);
  if (rows.empty()) {
    std::fprintf(stderr, "oracle: no testable row matches --filter %s\n", opt.filter.c_str());
    return 2;
  }
  std::map<const OpcodeEntry*, RowStats> stats;
  std::map<std::string, std::pair<u64, u64>> per_class;  // cases, mismatches
  std::map<std::string, std::vector<std::string>> class_examples;

  std::vector<GeneratedCase> batch;
  std::vector<oracle_result> native_results, emulated_results(ORACLE_BATCH);
  std::vector<std::string> notes(ORACLE_BATCH);
  u64 done = 0, mismatches = 0;
  std::mt19937_64 order(opt.seed ^ 0x5DEECE66Dull);
  std::vector<const OpcodeEntry*> schedule;
  while (done < opt.cases) {
    const u64 n = std::min<u64>(ORACLE_BATCH, opt.cases - done);
    batch.clear();
    for (u64 i = 0; i < n; ++i) {
      if (schedule.empty()) {  // every row once per round, in a fresh order
        schedule = rows;
        std::shuffle(schedule.begin(), schedule.end(), order);
      }
      batch.push_back(generator.generate(*schedule.back()));
      schedule.pop_back();
    }
    native.send(batch);  // the helper works while the emulator runs the same batch
    for (u64 i = 0; i < n; ++i) emulated.run(batch[i].wire, emulated_results[i], notes[i]);
    native_results.resize(n);
    if (!native.receive(native_results)) {
      std::fprintf(stderr, "oracle: the native runner died (see its message above)\n");
      return 2;
    }
    for (u64 i = 0; i < n; ++i) {
      const GeneratedCase& g = batch[i];
      RowStats& st = stats[g.row];
      ++st.cases;
      (g.mem_form ? st.mem : st.reg)++;
      (g.op16 ? st.op16 : st.op32)++;
      (g.addr16 ? st.addr16 : st.addr32)++;
      if (native_results[i].vector != ORACLE_COMPLETED) ++st.native_exceptions;
      auto& cls = per_class[class_of(g.row->op)];
      ++cls.first;
      const auto diffs = compare(g, native_results[i], emulated_results[i], notes[i]);
      if (diffs.empty()) continue;
      ++mismatches;
      ++st.mismatches;
      ++cls.second;
      auto& examples = class_examples[class_of(g.row->op)];
      if (examples.size() < 6 && (examples.empty() || examples.back() != g.row->syntax))
        examples.push_back(g.row->syntax);
      if (opt.verbose || st.reported < opt.reports) {
        ++st.reported;
        print_case(g, native_results[i], emulated_results[i], diffs, done + i, opt, dis);
      }
    }
    done += n;
  }

  // Coverage per opcode-table row.
  bool coverage_gap = false;
  if (opt.table != "none") {
    std::printf("\n%-4s %-9s %-44s %7s %6s %6s %6s %6s %6s %6s %6s %6s\n", "row", "opcode", "syntax", "cases", "reg",
                "mem", "o16", "o32", "a16", "a32", "exc", "MISM");
  }
  unsigned index = 0, untestable = 0;
  for (const OpcodeEntry& e : table) {
    const unsigned row_index = index++;
    const Testability t = classify(e);
    if (!matches_filter(e, opt.filter)) continue;
    if (!t.testable) {
      ++untestable;
      if (opt.table == "all")
        std::printf("%-4u %-9s %-44.44s not oracle-testable: %s\n", row_index, opcode_label(e).c_str(), e.syntax,
                    t.reason);
      continue;
    }
    const RowStats& st = stats[&e];
    const FormsApplicable f = applicable_forms(e);
    const bool gap = st.cases == 0 || (f.reg && !st.reg) || (f.mem && !st.mem) || (f.op16 && (!st.op16 || !st.op32)) ||
                     (f.addr16 && (!st.addr16 || !st.addr32));
    coverage_gap |= gap;
    if (opt.table == "all" || (opt.table == "failing" && (st.mismatches || gap))) {
      auto col = [](bool applies, u64 v) { return applies ? std::to_string(v) : std::string("-"); };
      std::printf("%-4u %-9s %-44.44s %7" PRIu64 " %6s %6s %6s %6s %6s %6s %6" PRIu64 " %6" PRIu64 "%s\n", row_index,
                  opcode_label(e).c_str(), e.syntax, st.cases, col(f.reg, st.reg).c_str(), col(f.mem, st.mem).c_str(),
                  col(f.op16, st.op16).c_str(), col(f.op16, st.op32).c_str(), col(f.addr16, st.addr16).c_str(),
                  col(f.addr16, st.addr32).c_str(), st.native_exceptions, st.mismatches, gap ? "  (coverage gap)" : "");
    }
  }

  std::printf("\nSummary by class (cases / mismatching cases):\n");
  for (const auto& [cls, counts] : per_class) {
    std::printf("  %-11s %9" PRIu64 " %9" PRIu64, cls.c_str(), counts.first, counts.second);
    if (counts.second) {
      std::string ex;
      for (const std::string& s : class_examples[cls]) ex += (ex.empty() ? "" : "; ") + s;
      std::printf("   e.g. %s", ex.c_str());
    }
    std::printf("\n");
  }
  std::printf("oracle: %" PRIu64 " cases over %zu testable rows (%u rows not oracle-testable), %" PRIu64
              " mismatches, seed %" PRIu64 "\n",
              done, rows.size(), untestable, mismatches, opt.seed);
  if (coverage_gap) std::printf("oracle: some testable rows miss a form (marked \"coverage gap\")\n");
  if (mismatches) return 1;
  if (opt.require_coverage && coverage_gap) return 1;
  return 0;
}

}  // namespace
}  // namespace emu::oracle

int main(int argc, char** argv) { return emu::oracle::run(emu::oracle::parse(argc, argv)); }
