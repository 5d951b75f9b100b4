// emu's PC: QEMU's `pc` machine shape (DESIGN §6) — an i440FX host bridge, the PIIX3 with its
// 8259 PICs, 8254 PIT, MC146818 RTC, port 92h and CF9h, a PIIX4-style ACPI power-management
// function, an i8042 with a PS/2 keyboard and mouse, VGA with the Bochs VBE extension (QEMU's
// stdvga at PCI 00:02.0), two 16550A UARTs, the debug ports, and our BIOS
// (devices/bios) in ROM. It owns the virtual clock and runs the CPU against it.
#pragma once
#include <cstdio>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/cpu.h"
#include "core/dma.h"
#include "core/execution_engine.h"
#include "core/timeline.h"
#include "devices/acpi_pm/acpi_pm.h"
#include "devices/bios/disk_services.h"
#include "devices/bios/firmware.h"
#include "devices/bios/kernel_loader.h"
#include "devices/debug_exit/debug_exit.h"
#include "devices/debugcon/debugcon.h"
#include "devices/i8042/i8042.h"
#include "devices/ide/piix_ide.h"
#include "devices/pci/i440fx.h"
#include "devices/pci/pci_bus.h"
#include "devices/pci/piix3.h"
#include "devices/pcnet/pcnet.h"
#include "devices/pic8259/pic8259.h"
#include "devices/pit8254/pit8254.h"
#include "devices/postcode/port_capture.h"
#include "devices/rtc146818/rtc146818.h"
#include "devices/uart16550/uart16550.h"
#include "devices/vga/vbe.h"
#include "devices/vga/vga.h"

namespace emu {

// A drive on the IDE controller: -hda..-hdd, -cdrom, -drive.
struct PcDrive {
  unsigned channel = 0, unit = 0;  // 0 primary / 1 secondary; 0 master / 1 slave
  bool cdrom = false;
  std::shared_ptr<BlockDevice> image;  // nullptr: a CD-ROM drive with no disc
  std::string file;                    // the image's file name, for the monitor
};

struct PcConfig {
  u32 ram_bytes = 128u << 20;
  std::vector<u8> bios;                  // a ROM image (64-256 KiB); empty = emu's own BIOS
  std::vector<u8> vga_rom;               // the stdvga's option ROM (for a foreign BIOS), or none
  std::optional<BootFiles> kernel;       // -kernel/-initrd/-append, read and checked
  bool no_reboot = false;                // a reset or triple fault ends the run
  std::optional<unsigned> icount_shift;  // deterministic mode: 2^shift ns per instruction
  i64 rtc_base_seconds = kDeterministicRtcBase;
  SerialBackend* serial[2] = {nullptr, nullptr};  // COM1, COM2
  std::FILE* debugcon = nullptr;                  // port E9h output, or nullptr to drop it
  u16 debugcon_port = DebugCon::kPort;            // where the debug console answers
  std::FILE* port_capture = nullptr;              // POST codes, or nullptr
  std::vector<u16> capture_ports = {PortCapture::kPostCodePort};
  std::vector<PcDrive> drives;
  std::string boot_order = "cd";     // -boot order=: 'c' hard disk, 'd' CD-ROM
  bool boot_menu = false;            // -boot menu=on
  bool bios_serial_console = false;  // the BIOS copies its messages to COM1 (-nographic)
  // The PCnet card at 00:03.0 (-nic): its MAC and the host side of its network (may be null:
  // a card with no cable).
  bool nic = false;
  std::array<u8, 6> nic_mac = {0x52, 0x54, 0x00, 0x12, 0x34, 0x56};
  NetBackend* nic_backend = nullptr;
};

class PcMachine {
 public:
  explicit PcMachine(const PcConfig& config);
  ~PcMachine();
  PcMachine(const PcMachine&) = delete;
  PcMachine& operator=(const PcMachine&) = delete;

  AddressSpace& bus() { return bus_; }
  Cpu& cpu() { return cpu_; }
  Timeline& timeline() { return timeline_; }
  Pic8259& pic() { return pic_; }
  PciBus& pci() { return pci_; }
  Uart16550& com(unsigned n) { return n == 0 ? com1_ : com2_; }
  I8042Controller& keyboard_controller() { return kbc_; }
  AcpiPm& acpi_pm() { return acpi_pm_; }
  Vga& vga() { return vga_; }
  StdVgaPci& vga_pci() { return vga_pci_; }
  PiixIde& ide() { return ide_; }
  Pcnet* nic() { return nic_.get(); }
  void attach_engine(ExecutionEngine* engine) { engine_ = engine; }

  // Power-on reset of the whole machine (RAM is kept, as on a warm reset: POST clears what
  // it uses).
  void reset();

  enum class Outcome { PowerOff, DebugExit, Reset, TripleFault, Quit, InstructionLimit };
  struct Result {
    Outcome outcome;
    int exit_status = 0;  // DebugExit: (value << 1) | 1
  };

  // Runs until the guest powers off, writes port F4h, resets with no_reboot, or request_quit();
  // `poll` is called between CPU slices (serial input, monitor, debugger) at least every
  // millisecond or so of host time. `max_instructions` = 0: no limit.
  Result run(const std::function<void()>& poll, u64 max_instructions = 0);
  void request_quit() { quit_ = true, timeline_.wake(); }
  bool quit_requested() const { return quit_; }
  // A paused machine runs no instructions and no device events; the frontends still get polled
  // (the monitor's `stop`/`cont`, `-S`, a debugger holding the CPU).
  void set_paused(bool paused) { paused_ = paused, timeline_.wake(); }
  bool paused() const { return paused_; }
  // A system reset at the next slice (the monitor's `system_reset`).
  void request_reset() { reset_requested_ = true, timeline_.wake(); }

  // The debugger views of the devices, by the names the monitor's `info NAME` uses.
  static constexpr const char* kDeviceNames[] = {"pic",   "pit", "rtc",  "serial0", "serial1", "pci",
                                                 "i8042", "vga", "acpi", "port92",  "block",   "network"};
  std::optional<std::string> describe_device(std::string_view name) const;

  // Called when the execution engine stops before a debugger breakpoint (gdb's Z0/Z1).
  void set_breakpoint_handler(std::function<void()> handler) { on_breakpoint_ = std::move(handler); }

 private:
  void apply_pam();
  void attach_drives();
  void update_a20();
  void on_reset_request(PcResetKind kind);

  PcConfig config_;
  AddressSpace bus_;
  Cpu cpu_;
  Timeline timeline_;
  ExecutionEngine* engine_ = nullptr;

  Pic8259 pic_;
  Pit8254 pit_;
  Rtc146818 rtc_;
  Uart16550 com1_, com2_;
  I8042Controller kbc_;
  Vga vga_;
  PciBus pci_;
  I440fxHostBridge host_bridge_;
  Piix3IsaBridge isa_bridge_;
  AcpiPm acpi_pm_;
  StdVgaPci vga_pci_;
  SystemControlPortA port92_;
  Piix3ResetControl reset_control_;
  DebugCon debugcon_;
  DebugExit debug_exit_;
  PortCapture port_capture_;
  Dma dma_;
  PiixIde ide_;
  std::unique_ptr<Pcnet> nic_;
  BiosDiskServices disks_;
  BiosVbeServices vbe_services_;  // int 10h AH=4Fh over the VGA's dispi registers
  FirmwareInterface firmware_;
  std::unique_ptr<PortHandler> fpu_error_port_;

  std::function<void()> on_breakpoint_;
  bool power_off_ = false;
  bool quit_ = false;
  bool paused_ = false;
  bool reset_requested_ = false;
  bool cpu_init_requested_ = false;
  bool kbc_a20_ = true;  // the keyboard controller's A20 gate (output port bit 1)
};

}  // namespace emu
