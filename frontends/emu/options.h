// Command-line options of `emu`, parsed QEMU-style: single-dash long options (a double dash is
// accepted too), values in the next argument, comma-separated sub-options (DESIGN §9).
#pragma once
#include <array>
#include <optional>
#include <string>
#include <vector>

#include "core/types.h"
#include "frontends/net/slirp_backend.h"
#include "frontends/net/socket_backend.h"
#include "frontends/net/tap_backend.h"

namespace emu {

// One drive on the IDE controller: -hda..-hdd, -cdrom or -drive (QEMU's keys).
struct DriveOption {
  std::string file;        // empty: a CD-ROM drive with no disc
  std::string format;      // raw, qcow2, vmdk; empty: recognise qcow2/VMDK, else raw with a warning
  bool cdrom = false;      // media=cdrom
  int index = -1;          // 0 primary master, 1 primary slave, 2 secondary master, 3 secondary slave
  bool snapshot = false;   // snapshot=on: writes go to a temporary overlay
  bool read_only = false;  // readonly=on
  std::string option;      // how it was given, for messages ("-hda", "-drive file=x")
};

// The network card and its backend: -nic TYPE,... or -nic none, or -netdev TYPE,id=X,... with
// -device pcnet,netdev=X; TYPE is user, socket or tap.
struct NicOption {
  bool present = false;
  std::array<u8, 6> mac = {0x52, 0x54, 0x00, 0x12, 0x34, 0x56};
  std::string type = "user";
  SlirpOptions user;        // type user: NAT through libslirp
  SocketNetOptions socket;  // type socket: a network of VMs
  TapOptions tap;           // type tap: a host interface
  std::string dump;         // dump=FILE: a pcap of every frame
};

struct Options {
  std::string machine = "pc";  // pc, or bare (RAM, a tiny ROM and the debug ports)
  std::string image;           // bare: the boot sector / Multiboot kernel
  u32 ram_bytes = 128u << 20;
  bool ram_given = false;
  std::string kernel, initrd, append;
  std::string bios;                 // -bios FILE: a ROM image instead of emu's BIOS
  std::vector<DriveOption> drives;  // with their indexes assigned
  std::string boot_order;           // -boot order=: letters a-p (c disk, d CD-ROM); empty = default
  bool boot_menu = false;           // -boot menu=on
  bool snapshot = false;            // -snapshot: every drive writes to a temporary overlay
  NicOption nic;                    // -nic / -netdev + -device
  bool nographic = false;
  std::string display;              // -display none|sdl; empty: sdl if the desktop has a display
  std::vector<std::string> serial;  // -serial, once per port: COM1, COM2
  std::string monitor;              // -monitor stdio|none|tcp:HOST:PORT,server|unix:PATH,server
  std::string debugcon;             // -debugcon stdio|file:PATH|null
  u16 debugcon_port = 0xE9;         // -debugcon ...,iobase=N (SeaBIOS writes its log to 0x402)
  std::string postcode;             // -postcode file:PATH[,port=N...]
  bool no_reboot = false;
  bool trace_in_asm = false;             // -d in_asm: each executed instruction, disassembled
  bool trace_registers = false;          // -d cpu: registers before each traced instruction
  bool log_guest_errors = false;         // -d guest_errors
  bool log_jit = false;                  // -d jit: each compiled block's IR and host code
  std::string jit = "on";                // -jit on|off|force: tier 1 (translator/jit/)
  unsigned jit_threshold = 50000;        // -jit ...,threshold=N: executions before a block compiles
  bool jit_perf_map = false;             // -jit ...,perfmap=on: /tmp/perf-PID.map for perf
  unsigned jit_cache_modules = 20000;    // -jit ...,cache=N: code-cache size in modules
  unsigned jit_reform = 1000000;         // -jit ...,reform=N: runs before a larger region (0: never)
  std::string log_file;                  // -D FILE
  std::optional<unsigned> icount_shift;  // -icount shift=N: deterministic mode
  std::string rtc_base;                  // -rtc base=utc|localtime|DATE (empty: utc, or 2000-01-01 under -icount)
  std::string rtc_clock = "host";        // -rtc clock=host|vm
  std::string gdb;                       // -gdb tcp::PORT, or -s (tcp::1234)
  bool start_paused = false;             // -S
  bool debug = false;                    // -debug: the teaching debugger on stdin/stdout
  std::string debug_script;              // -debug-script FILE: its commands first
  bool magic_break = false;              // -magic-break: xchg bx,bx stops in the debugger
  u64 max_instructions = 0;              // -max-insns N (0 = unlimited)
  bool help = false;
  bool version = false;
};

// Parses argv. On a bad option returns nullopt and says why in `error`, naming the option.
std::optional<Options> parse_options(int argc, char** argv, std::string& error);
const char* usage_text();

}  // namespace emu
