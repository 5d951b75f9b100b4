// `emu`: the command line. Options follow QEMU's spelling (DESIGN §9) so users can bring what
// they know. Two machines: the PC (default) and the bare machine of the first lab.
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iterator>
#include <memory>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "core/guest_log.h"
#include "devices/bare/bare_machine.h"
#include "devices/pc/pc_machine.h"
#include "devices/vga/png.h"
#include "devices/vga/vga_renderer.h"
#include "frontends/emu/console.h"
#include "frontends/emu/debug_session.h"
#include "frontends/emu/drives.h"
#include "frontends/emu/options.h"
#include "frontends/gdbstub/gdb_server.h"
#include "frontends/monitor/monitor.h"
#include "frontends/net/pcap_dump.h"
#include "frontends/sdl/sdl_display.h"
#include "images/image.h"
#include "translator/interpreter.h"
#include "translator/jit/jit_compiler.h"
#include "translator/trace.h"

namespace {

using namespace emu;

std::optional<std::vector<u8>> read_file(const std::string& path, std::string& error) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    error = "cannot open '" + path + "': " + std::strerror(errno);
    return std::nullopt;
  }
  return std::vector<u8>(std::istreambuf_iterator<char>(in), {});
}

int fail(const std::string& message) {
  std::fprintf(stderr, "emu: %s\n", message.c_str());
  return 2;
}

// Tier 1 (-jit): the LLVM compiler for hot blocks, attached to `interpreter`. nullptr with -jit
// off, or when LLVM cannot be used (said on stderr; emu then interprets, which is slower only).
std::unique_ptr<jit::JitCompiler> start_jit(const Options& opt, Interpreter& interpreter, std::FILE* log) {
  if (opt.jit == "off") return nullptr;
  jit::JitOptions o;
  o.force = opt.jit == "force";
  o.threshold = opt.jit_threshold;
  o.perf_map = opt.jit_perf_map;
  o.cache_modules = opt.jit_cache_modules;
  o.reform = opt.jit_reform;
  o.dump = opt.log_jit ? log : nullptr;
  std::string error;
  auto compiler = jit::JitCompiler::create(o, error);
  if (!compiler) {
    std::fprintf(stderr, "emu: %s; interpreting only\n", error.c_str());
    return nullptr;
  }
  interpreter.set_compiler(compiler.get());
  return compiler;
}

int run_bare(const Options& opt, std::FILE* log) {
  std::string error;
  const auto image = read_file(opt.image, error);
  if (!image) return fail(error);
  BareMachineConfig config;
  config.ram_bytes = opt.ram_bytes;
  config.no_reboot = opt.no_reboot;
  BareMachine machine(config);
  Interpreter interpreter(machine.cpu());
  machine.attach_engine(&interpreter);
  Tracer tracer(log, opt.trace_registers);
  if (opt.trace_in_asm) interpreter.set_trace(&tracer);
  const auto jit = start_jit(opt, interpreter, log);
  if (std::string why = machine.load(*image); !why.empty()) return fail(opt.image + ": " + why);

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

// The default guest (images/guests/build-default.sh) lives in the cache, outside git.
std::string default_guest_dir() {
  if (const char* cache = std::getenv("EMU_CACHE"); cache && *cache) return std::string(cache) + "/guests/default";
  if (const char* xdg = std::getenv("XDG_CACHE_HOME"); xdg && *xdg) return std::string(xdg) + "/emu/guests/default";
  const char* home = std::getenv("HOME");
  return std::string(home ? home : ".") + "/.cache/emu/guests/default";
}

std::FILE* open_output(const std::string& spec, std::string& error) {
  if (spec.empty() || spec == "null") return nullptr;
  if (spec == "stdio") return stdout;
  std::FILE* f = std::fopen(spec.c_str() + 5, "w");  // "file:PATH"
  if (!f) error = "cannot open '" + spec.substr(5) + "': " + std::strerror(errno);
  return f;
}

// SeaBIOS's VGA BIOS for QEMU's stdvga (Debian package seabios), which emu's card is.
constexpr const char* kVgaOptionRom = "/usr/share/seabios/vgabios-stdvga.bin";

// The monitor's view of the PC.
class PcMonitorTarget final : public MonitorTarget {
 public:
  explicit PcMonitorTarget(PcMachine& machine) : machine_(machine) {}
  Cpu& cpu() override { return machine_.cpu(); }
  std::optional<std::string> describe_device(std::string_view name) override {
    if (name == "jit") return jit_ ? jit_->describe(*interpreter_) : "the JIT is off (-jit off)\n";
    return machine_.describe_device(name);
  }
  std::vector<std::string> device_names() const override {
    std::vector<std::string> names{std::begin(PcMachine::kDeviceNames), std::end(PcMachine::kDeviceNames)};
    names.push_back("jit");
    return names;
  }
  void set_jit(const jit::JitCompiler* jit, const Interpreter* interpreter) {
    jit_ = jit;
    interpreter_ = interpreter;
  }
  bool running() const override { return !machine_.paused(); }
  void stop() override { machine_.set_paused(true); }
  void cont() override { machine_.set_paused(false); }
  void system_reset() override { machine_.request_reset(); }
  void quit() override { machine_.request_quit(); }
  std::string change_medium(std::string_view device, std::string_view file) override {
    ImageOptions o;
    o.path = std::string(file);
    o.read_only = true;
    auto opened = open_image(o);
    if (auto* e = std::get_if<std::string>(&opened)) return *e;
    return machine_.ide().change_medium(std::string(device), std::move(std::get<OpenedImage>(opened).device));
  }
  std::string set_link(std::string_view name, bool up) override {
    if (!machine_.nic() || name != "pcnet") return "no network card '" + std::string(name) + "' (the card is 'pcnet')";
    machine_.nic()->set_link(up);
    return {};
  }
  std::string eject(std::string_view device, bool force) override {
    return machine_.ide().eject(std::string(device), force);
  }
  std::string screendump(std::string_view file) override {
    std::string error;
    write_png_file(std::string(file), VgaRenderer::render(machine_.vga()), error);
    return error;
  }

 private:
  PcMachine& machine_;
  const jit::JitCompiler* jit_ = nullptr;
  const Interpreter* interpreter_ = nullptr;
};

// Prints monitor output on a raw terminal: "\n" needs a carriage return there.
void print_monitor_output(const std::string& text) {
  for (char c : text) {
    if (c == '\n') std::fputc('\r', stdout);
    std::fputc(c, stdout);
  }
  std::fflush(stdout);
}

int run_pc(Options opt, std::FILE* log) {
  std::string error;
  if (opt.kernel.empty() && opt.drives.empty()) {
    const std::string dir = default_guest_dir();
    if (!std::ifstream(dir + "/vmlinuz") || !std::ifstream(dir + "/initrd.img"))
      return fail("no -kernel given and the default guest is not built (" + dir +
                  "): run images/guests/build-default.sh");
    opt.kernel = dir + "/vmlinuz";
    opt.initrd = dir + "/initrd.img";
    if (opt.append.empty()) opt.append = "console=tty0 console=ttyS0";
  }

  // The window: asked for, or by default when the desktop has a display (QEMU's choice too).
  const bool desktop = std::getenv("DISPLAY") || std::getenv("WAYLAND_DISPLAY");
  PcMachine* machine_ptr = nullptr;
  std::unique_ptr<SdlDisplay> display;
  if (opt.display == "sdl" || (opt.display.empty() && !opt.nographic && desktop)) {
    SdlDisplay::Hooks hooks;
    hooks.key = [&](Ps2Key key, bool down) {
      if (down)
        machine_ptr->keyboard_controller().key_down(key);
      else
        machine_ptr->keyboard_controller().key_up(key);
    };
    hooks.mouse = [&](int dx, int dy, int dz, u8 buttons) {
      machine_ptr->keyboard_controller().mouse_motion(dx, dy, dz, buttons);
    };
    hooks.power_button = [&] {
      if (!machine_ptr->acpi_pm().press_power_button())
        std::fprintf(stderr, "emu: the guest does not listen to the power button (no ACPI); close again to quit\n");
    };
    hooks.quit = [&] { machine_ptr->request_quit(); };
    hooks.instructions = [&] { return machine_ptr->cpu().counters.instructions; };
    display = SdlDisplay::create(std::move(hooks), error);
    if (!display && opt.display == "sdl") return fail("-display sdl: " + error);
    if (!display) std::fprintf(stderr, "emu: %s; running without a window\n", error.c_str());
  }
  if (!display) opt.nographic = true;

  PcConfig config;
  config.ram_bytes = opt.ram_bytes;
  config.no_reboot = opt.no_reboot;
  config.icount_shift = opt.icount_shift;
  if (!opt.bios.empty()) {
    auto rom = read_file(opt.bios, error);
    if (!rom) return fail("-bios: " + error);
    if (rom->size() < 0x10000 || rom->size() > 0x40000 || rom->size() % 0x1000)
      return fail("-bios: '" + opt.bios + "' is " + std::to_string(rom->size()) +
                  " bytes; a ROM image is 64 to 256 KiB, a multiple of 4 KiB");
    config.bios = std::move(*rom);
    // A foreign BIOS (SeaBIOS) has no video code of its own: it runs the VGA's option ROM, as on
    // QEMU. Debian's seabios package ships the one for this card.
    if (auto vga_rom = read_file(kVgaOptionRom, error)) config.vga_rom = std::move(*vga_rom);
  }
  if (!opt.kernel.empty()) {
    FirmwareLayout layout;
    layout.ram_bytes = opt.ram_bytes;
    auto files = read_boot_files(opt.kernel, opt.initrd, opt.append, layout, error);
    if (!files) return fail(error);
    config.kernel = std::move(*files);
  }
  // QEMU's default boot order is the hard disk, then the CD-ROM.
  config.boot_order = opt.boot_order.empty() ? "cd" : opt.boot_order;
  config.boot_menu = opt.boot_menu;
  // Headless, the console is COM1: the BIOS's banner, boot menu and messages go there too.
  config.bios_serial_console =
      opt.nographic && !opt.debug && (opt.serial.empty() || opt.serial[0] == "stdio" || opt.serial[0] == "mon:stdio");
  if (!open_drives(opt, config.drives, error)) return fail(error);
  std::unique_ptr<NetBackend> network;
  if (opt.nic.present) {
    if (opt.nic.type == "socket")
      network = SocketBackend::create(opt.nic.socket, error);
    else if (opt.nic.type == "tap")
      network = TapBackend::create(opt.nic.tap, error);
    else
      network = SlirpBackend::create(opt.nic.user, error);
    if (!network) return fail("-nic " + opt.nic.type + ": " + error);
    if (!opt.nic.dump.empty()) {
      network = PcapDump::create(std::move(network), opt.nic.dump, error);
      if (!network) return fail("-nic: " + error);
    }
    config.nic = true;
    config.nic_mac = opt.nic.mac;
    config.nic_backend = network.get();
  }
  const auto rtc_base = resolve_rtc_base(opt.rtc_base, opt.icount_shift.has_value());
  if (!rtc_base) return fail("-rtc: base='" + opt.rtc_base + "' is not utc, localtime or YYYY-MM-DD[THH:MM:SS]");
  config.rtc_base_seconds = *rtc_base;

  config.debugcon = open_output(opt.debugcon, error);
  config.debugcon_port = opt.debugcon_port;
  if (!error.empty()) return fail("-debugcon: " + error);
  if (!opt.postcode.empty()) {
    std::stringstream items(opt.postcode);
    std::string item;
    std::getline(items, item, ',');
    config.port_capture = open_output(item, error);
    if (!error.empty()) return fail("-postcode: " + error);
    bool named = false;
    while (std::getline(items, item, ',')) {
      char* end = nullptr;
      const unsigned long port = item.rfind("port=", 0) == 0 ? std::strtoul(item.c_str() + 5, &end, 0) : 0x10000;
      if (port > 0xFFFF || !end || *end) return fail("-postcode: '" + item + "' is not port=N");
      if (!named) config.capture_ports.clear(), named = true;
      config.capture_ports.push_back(static_cast<u16>(port));
    }
  }

  // Serial ports: -serial as given; else, without a window, COM1 on the console.
  std::vector<std::string> serial = opt.serial;
  // With -debug, stdin is the debugger's: COM1 only writes to stdout.
  if (serial.empty()) serial.push_back(opt.debug ? "stdout" : "stdio");
  ConsoleRequests requests;
  // The backends need the machine's clock for wake-ups, the machine needs the backends: build
  // the machine with them attached afterwards through its UARTs.
  PcMachine machine(config);
  machine_ptr = &machine;
  std::vector<std::unique_ptr<HostSerial>> backends;
  StdioSerial* console = nullptr;
  for (std::size_t n = 0; n < serial.size(); ++n) {
    if (serial[n] == "none") {
      backends.push_back(nullptr);
      continue;
    }
    auto backend = open_serial(serial[n], machine.timeline(), requests, error);
    if (!backend) return fail("-serial: " + error);
    if (auto* s = dynamic_cast<StdioSerial*>(backend.get())) console = s;
    machine.com(static_cast<unsigned>(n)).set_backend(backend.get());
    backends.push_back(std::move(backend));
  }

  Interpreter interpreter(machine.cpu());
  machine.attach_engine(&interpreter);
  Tracer tracer(log, opt.trace_registers);
  if (opt.trace_in_asm) interpreter.set_trace(&tracer);
  const auto jit = start_jit(opt, interpreter, log);

  // The monitor: behind Ctrl-A c on the stdio console (QEMU's mux), unless -monitor none.
  PcMonitorTarget monitor_target(machine);
  monitor_target.set_jit(jit.get(), &interpreter);
  Monitor monitor(monitor_target);
  const bool monitor_socket = opt.monitor.rfind("tcp:", 0) == 0 || opt.monitor.rfind("unix:", 0) == 0;
  const bool monitor_enabled = opt.monitor != "none" && !monitor_socket;  // on the console
  std::unique_ptr<MonitorSocket> monitor_server;
  if (monitor_socket) {
    monitor_server = MonitorSocket::open(opt.monitor, error);
    if (!monitor_server) return fail("-monitor: " + error);
  }

  // The gdb server (-s, -gdb): it holds the machine between its commands. Breakpoints stop the
  // interpreter before the instruction; stepping runs exactly one (QEMU: no interrupts taken).
  std::unique_ptr<gdb::GdbServer> gdb_server;
  auto gdb_session = [&](gdb::GdbStop why) {
    gdb_server->report_stop(why);
    for (;;) {
      const gdb::GdbAction action = gdb_server->serve();
      if (action == gdb::GdbAction::Kill) {
        machine.request_quit();
        return;
      }
      if (action != gdb::GdbAction::Step) return;
      if (machine.cpu().s.halted) {
        // A halted CPU executes its next instruction when an interrupt arrives: wait for one.
        while (interpreter.run(1) == StopReason::Halted && !gdb_server->interrupt_requested()) {
          machine.timeline().run_due();
          machine.timeline().idle(10'000'000);
        }
      } else {
        interpreter.step();
      }
      machine.timeline().run_due();
      gdb_server->report_stop(gdb::GdbStop::Step);
    }
  };
  if (!opt.gdb.empty()) {
    gdb_server = std::make_unique<gdb::GdbServer>(machine.cpu(), interpreter);
    if (!gdb_server->listen(opt.gdb, error)) return fail("-gdb: " + error);
    machine.set_breakpoint_handler([&] { gdb_session(gdb::GdbStop::Breakpoint); });
  }

  // A halted guest wakes for its network's host sockets, not only for its next timer.
  if (network) machine.timeline().set_wait_fds([&](std::vector<pollfd>& fds) { network->add_wait_fds(fds); });
  std::unique_ptr<DebugSession> debug_session;  // -debug
  auto poll = [&] {
    if (network) network->poll();
    if (display) display->poll(machine_ptr->vga());
    for (std::size_t n = 0; n < backends.size(); ++n)
      if (backends[n]) backends[n]->pump(machine_ptr->com(static_cast<unsigned>(n)));
    if (requests.quit) machine_ptr->request_quit();
    if (requests.monitor_toggle.exchange(false) && console && monitor_enabled) {
      console->set_monitor_mode(!console->monitor_mode());
      print_monitor_output(
          console->monitor_mode() ? "\nemu monitor - type 'help'; Ctrl-A c returns to the console\n(emu) " : "\n");
    }
    std::string line;
    while (console && console->take_line(line)) {
      print_monitor_output(monitor.execute(line));
      print_monitor_output("(emu) ");
    }
    while (monitor_server && monitor_server->take_line(line)) monitor_server->send(monitor.execute(line) + "(emu) ");
    if (gdb_server && gdb_server->interrupt_requested()) gdb_session(gdb::GdbStop::Interrupted);
    if (debug_session) debug_session->poll_stop();
  };

  if (opt.debug) {
    debug_session = std::make_unique<DebugSession>(machine, interpreter, stdout, opt.magic_break);
    if (!opt.debug_script.empty() && !debug_session->load_script(opt.debug_script, error))
      return fail("-debug-script: " + error);
    // A script alone is a replayable lab: at its end emu quits, unless a person is at a terminal.
    debug_session->set_read_stdin(opt.debug_script.empty() || isatty(STDIN_FILENO));
    interpreter.set_trace(debug_session.get());
    machine.set_breakpoint_handler([&] { debug_session->on_breakpoint(); });
    DebugSession::install_interrupt_handler();
    // A kernel's lab starts at the kernel, the BIOS run through; a disk's at the reset vector.
    if (config.kernel)
      debug_session->start_at(kernel_first_instruction(*config.kernel));
    else
      debug_session->enter("at the first instruction");
  }

  if (opt.start_paused) {
    if (gdb_server) {
      std::fprintf(stderr, "emu: waiting for gdb on %s (-S)\n", opt.gdb.c_str());
      gdb_server->wait_for_client();
      gdb_session(gdb::GdbStop::Interrupted);
    } else {
      machine.set_paused(true);  // until the monitor's `cont`
    }
  }

  const PcMachine::Result r = machine.run(poll, opt.max_instructions);
  std::fflush(stdout);
  int status = 0;
  switch (r.outcome) {
    case PcMachine::Outcome::PowerOff:
    case PcMachine::Outcome::Quit:
    case PcMachine::Outcome::Reset:  // -no-reboot: a reset ends the run, as in QEMU
      break;
    case PcMachine::Outcome::InstructionLimit:
      std::fprintf(stderr, "emu: stopped after %llu instructions (-max-insns)\n",
                   static_cast<unsigned long long>(opt.max_instructions));
      break;
    case PcMachine::Outcome::DebugExit: status = r.exit_status; break;
    case PcMachine::Outcome::TripleFault:
      std::fprintf(stderr, "emu: triple fault at %04x:%08x (-no-reboot given)\n",
                   machine.cpu().s.sreg(Seg::CS).selector, machine.cpu().s.eip);
      status = 1;
      break;
  }
  if (gdb_server) gdb_server->report_exit(status);
  return status;
}

}  // namespace

int main(int argc, char** argv) {
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
  return opt.machine == "bare" ? run_bare(opt, log) : run_pc(opt, log);
}
