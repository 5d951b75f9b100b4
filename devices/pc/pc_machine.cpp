#include "devices/pc/pc_machine.h"

#include <algorithm>
#include <chrono>
#include <thread>

#include "bios_rom.h"  // generated from devices/bios/bios.asm at build time
#include "core/guest_log.h"

namespace emu {

namespace {

// Port F0h: writing it clears the x87 "busy" latch after an FERR# interrupt, which on a PC/AT
// asserts IGNNE# until FERR# goes away (Intel 387 / PC AT compatibility; SDM Vol. 1, D.2.1).
class FpuErrorPort final : public PortHandler {
 public:
  explicit FpuErrorPort(Cpu& cpu) : cpu_(cpu) {}
  u32 port_read(u16, unsigned size) override { return size == 4 ? 0xFFFFFFFFu : (1u << (8 * size)) - 1; }
  void port_write(u16, unsigned, u32) override {
    if (cpu_.ferr) cpu_.ignne = true;
  }

 private:
  Cpu& cpu_;
};

std::vector<u8> bios_image(const std::vector<u8>& given) {
  if (!given.empty()) return given;
  return std::vector<u8>(kBiosRom.begin(), kBiosRom.end());
}

FirmwareLayout layout_for(const PcConfig& c) {
  FirmwareLayout layout;
  layout.ram_bytes = c.ram_bytes;
  layout.rom_bytes = static_cast<u32>(bios_image(c.bios).size());
  layout.pci_devices = {1};                    // 00:01, the PIIX3 functions
  if (c.nic) layout.pci_devices.push_back(3);  // 00:03, the PCnet card
  return layout;
}

constexpr u64 kSliceInstructions = 200'000;  // between polls of the frontends
constexpr u64 kIsaCycleNs = 1'000;
constexpr u16 kIsaPortLimit = 0x400;
constexpr u64 kIdleWaitNs = 10'000'000;  // a halted CPU sleeps at most this long

}  // namespace

PcMachine::PcMachine(const PcConfig& config)
    : config_(config),
      bus_(config.ram_bytes),
      cpu_(bus_),
      pit_(timeline_),
      rtc_(timeline_, config.rtc_base_seconds),
      com1_(timeline_, Uart16550::kCom1Base, Uart16550::kCom1Irq),
      com2_(timeline_, Uart16550::kCom2Base, Uart16550::kCom2Irq),
      vga_(timeline_),
      pci_(bus_),
      acpi_pm_(timeline_),
      vga_pci_(vga_, config.vga_rom),
      debugcon_(config.debugcon),
      debug_exit_([this](int) {
        if (engine_) engine_->request_stop();
      }),
      port_capture_(config.port_capture),
      dma_(bus_),
      ide_(bus_, dma_,
           [this](unsigned channel, bool level) {
             pic_.set_irq(channel ? PiixIde::kSecondaryIrq : PiixIde::kPrimaryIrq, level);
           }),
      disks_(cpu_, dma_),
      vbe_services_(cpu_, dma_),
      firmware_(cpu_, layout_for(config), [this] {
        return config_.kernel ? load_kernel(bus_, firmware_.layout(), *config_.kernel) : KernelEntry{};
      }) {
  if (config.icount_shift)
    timeline_.use_instruction_clock(&cpu_.counters.instructions, *config.icount_shift);
  else
    timeline_.use_paced_clock(&cpu_.counters.instructions);
  cpu_.tsc_clock = [this] { return timeline_.now(); };

  // The BIOS ROM: at the top of the 4 GiB space (the reset vector), and its last 128 KiB (or
  // all of a smaller ROM) at the top of the first MiB, where real-mode code calls it.
  const std::vector<u8> rom = bios_image(config.bios);
  const u32 rom_size = static_cast<u32>(rom.size());
  bus_.map_rom(static_cast<u32>(0x100000000ull - rom_size), rom);
  const u32 low_size = std::min<u32>(rom_size, 0x20000);
  bus_.map_rom(0x100000 - low_size, std::vector<u8>(rom.end() - low_size, rom.end()));

  // Interrupt wiring: ISA devices on their fixed IRQs, the PCI PIRQs through the PIIX3.
  cpu_.pic = &pic_;
  pic_.set_attention_word(&cpu_.attention);
  pit_.set_irq0([this](bool level) { pic_.set_irq(0, level); });
  rtc_.set_irq([this](bool level) { pic_.set_irq(8, level); });
  com1_.set_irq([this](bool level) { pic_.set_irq(Uart16550::kCom1Irq, level); });
  com2_.set_irq([this](bool level) { pic_.set_irq(Uart16550::kCom2Irq, level); });
  com1_.set_paced(false);  // the lines end on the host: no baud-rate delay (QEMU does the same)
  com2_.set_paced(false);
  com1_.set_backend(config.serial[0]);
  com2_.set_backend(config.serial[1]);
  kbc_.set_keyboard_irq([this](bool level) { pic_.set_irq(1, level); });
  kbc_.set_mouse_irq([this](bool level) { pic_.set_irq(12, level); });
  kbc_.set_a20_callback([this](bool enabled) {
    kbc_a20_ = enabled;
    update_a20();
  });
  kbc_.set_reset_callback([this] { on_reset_request(PcResetKind::System); });
  cpu_.ferr_changed = [this](bool asserted) {
    if (!asserted) cpu_.ignne = false;
    pic_.set_irq(13, asserted);
  };

  pci_.attach(0, 0, &host_bridge_);
  pci_.attach(1, 0, &isa_bridge_);
  pci_.attach(1, 1, &ide_);
  pci_.attach(2, 0, &vga_pci_);  // QEMU's slot for -vga std: BAR0 the frame buffer, BAR2 the MMIO
  if (config.nic) {
    nic_ = std::make_unique<Pcnet>(dma_, config.nic_mac, config.nic_backend);
    pci_.attach(3, 0, nic_.get());
  }
  pci_.attach(1, 3, &acpi_pm_);
  pci_.set_pirq_listener([this](unsigned pirq, bool level) { isa_bridge_.set_pirq_level(pirq, level); });
  isa_bridge_.set_isa_irq_handler([this](unsigned irq, bool level) { pic_.set_irq(irq, level); });
  pci_.set_address_map_listener([this] { cpu_.tlb_flush_all(); });
  host_bridge_.on_pam_changed = [this](unsigned, u8) { apply_pam(); };
  acpi_pm_.set_sci_handler([this](bool level) { pic_.set_irq(acpi_pm::kSciIrq, level); });
  acpi_pm_.set_power_off_handler([this] {
    power_off_ = true;
    if (engine_) engine_->request_stop();
  });
  port92_.set_a20 = [this](bool) { update_a20(); };
  port92_.request_reset = [this](PcResetKind kind) { on_reset_request(kind); };
  reset_control_.request_reset = [this](PcResetKind kind) { on_reset_request(kind); };

  // Ports. (PciBus, the PM function and the UARTs claim what they decode.)
  bus_.map_ports(Pic8259::kMasterCommand, 2, &pic_);
  bus_.map_ports(Pic8259::kSlaveCommand, 2, &pic_);
  bus_.map_ports(Pic8259::kElcr1, 2, &pic_);
  bus_.map_ports(Pit8254::kChannel0, 4, &pit_);
  bus_.map_ports(Pit8254::kPortB, 1, &pit_);
  bus_.map_ports(Rtc146818::kIndexPort, 2, &rtc_);
  bus_.map_ports(I8042Controller::kDataPort, 1, &kbc_);
  bus_.map_ports(I8042Controller::kStatusCommandPort, 1, &kbc_);
  bus_.map_ports(Vga::kFirstPort, Vga::kPortCount, &vga_);
  bus_.map_mmio(Vga::kMemoryBase, Vga::kMemorySize, &vga_);
  bus_.map_ports(vbe::kIndexPort, 3, &vga_.vbe());  // 1CE index, 1CF data, 1D0 data alias
  bus_.map_ports(Uart16550::kCom1Base, 8, &com1_);
  bus_.map_ports(Uart16550::kCom2Base, 8, &com2_);
  bus_.map_ports(PciBus::kConfigAddressPort, 1, &pci_);
  bus_.map_ports(PciBus::kConfigDataPort, 4, &pci_);
  bus_.map_ports(Piix3ResetControl::kPort, 1, &reset_control_);
  bus_.map_ports(SystemControlPortA::kPort, 1, &port92_);
  bus_.map_ports(acpi_pm::kSmiCommandPort, 2, &acpi_pm_.apm_ports());
  bus_.map_ports(acpi_pm::kGpe0Block, acpi_pm::kGpe0Length, &acpi_pm_.gpe0_ports());
  bus_.map_ports(config.debugcon_port, 1, &debugcon_);
  bus_.map_ports(DebugExit::kPort, 1, &debug_exit_);
  bus_.map_ports(FirmwareInterface::kPort, 1, &firmware_);
  attach_drives();
  static_assert(FirmwareInterface::kPort == 0x6F0);
  for (u16 port : config.capture_ports) bus_.map_ports(port, 1, &port_capture_);
  // An ISA I/O cycle takes about a microsecond (8 MHz bus, wait states), and software counts on
  // it: Linux waits for the PIT to load a count by reading it once, and delays with writes to
  // port 80h. PCI, ACPI and firmware ports (400h and up on this machine) cost nothing extra.
  bus_.set_port_access_hook([this](u16 port) {
    if (port < kIsaPortLimit) timeline_.stall(kIsaCycleNs);
  });
  fpu_error_port_ = std::make_unique<FpuErrorPort>(cpu_);
  bus_.map_ports(0xF0, 1, fpu_error_port_.get());

  PcCmosConfig cmos;
  cmos.ram_bytes = config.ram_bytes;
  cmos.boot_order = config.boot_order;  // where SeaBIOS reads -boot (our BIOS asks emu directly)
  fill_pc_cmos(rtc_, cmos);

  reset();
}

// The drives, in IDE order (primary master first), for the BIOS's int 13h and boot.
void PcMachine::attach_drives() {
  std::vector<const PcDrive*> drives;
  for (const PcDrive& d : config_.drives) drives.push_back(&d);
  std::sort(drives.begin(), drives.end(),
            [](const PcDrive* a, const PcDrive* b) { return a->channel * 2 + a->unit < b->channel * 2 + b->unit; });
  for (const PcDrive* d : drives) {
    BiosDrive bios;
    bios.kind = d->cdrom ? BiosDrive::Kind::CdRom : BiosDrive::Kind::HardDisk;
    bios.label = "ide" + std::to_string(d->channel) + (d->cdrom ? "-cd" : "-hd") + std::to_string(d->unit);
    if (!d->file.empty()) bios.label += " (" + d->file.substr(d->file.find_last_of('/') + 1) + ")";
    const std::string name = "ide" + std::to_string(d->channel) + (d->cdrom ? "-cd" : "-hd") + std::to_string(d->unit);
    ide_.attach(d->channel, d->unit, d->cdrom ? IdeDeviceKind::Cdrom : IdeDeviceKind::Disk, d->image, name);
    const unsigned channel = d->channel, unit = d->unit;
    bios.media = [this, channel, unit] { return ide_.medium(channel, unit); };
    if (d->cdrom) bios.eject = [this, name] { ide_.eject(name, false); };
    bios.controller = static_cast<u8>(d->channel);
    bios.device = static_cast<u8>(d->unit);
    disks_.add_drive(std::move(bios));
  }
  disks_.set_boot_order(config_.boot_order);
  disks_.set_boot_menu(config_.boot_menu);
  firmware_.set_disk_services(&disks_);
  firmware_.set_vbe_services(&vbe_services_);
  firmware_.set_serial_console(config_.bios_serial_console ? Uart16550::kCom1Base : 0);
}

PcMachine::~PcMachine() = default;

void PcMachine::reset() {
  cpu_.reset();
  pic_.reset();
  pit_.reset();
  com1_.reset();
  com2_.reset();
  pci_.reset();
  port92_.reset();
  reset_control_.reset();
  kbc_.reset();
  vga_.reset();
  vbe_services_.reset();
  kbc_a20_ = true;
  update_a20();
  apply_pam();
  if (engine_) engine_->flush();
}

// The PAM registers decide, per 16 KiB (64 KiB for F0000), whether C0000-FFFFF reads and
// writes reach RAM or the ROM/bus. Code the translator decoded from one may be stale in the
// other, so a change is announced like a write to that memory.
void PcMachine::apply_pam() {
  for (unsigned r = 0; r < I440fxHostBridge::kPamRegions; ++r) {
    const I440fxHostBridge::PamRegion region = host_bridge_.pam_region(r);
    const auto access = static_cast<u8>(region.access);
    bus_.set_shadow(region.base, region.size, access & 1, access & 2);
    bus_.notify_code_write(region.base, region.size);
  }
  cpu_.tlb_flush_all();
}

std::optional<std::string> PcMachine::describe_device(std::string_view name) const {
  if (name == "pic") return pic_.describe();
  if (name == "pit") return pit_.describe();
  if (name == "rtc") return rtc_.describe();
  if (name == "serial0") return com1_.describe();
  if (name == "serial1") return com2_.describe();
  if (name == "pci") return pci_.describe();
  if (name == "i8042") return kbc_.describe();
  if (name == "vga") return vga_.describe();
  if (name == "acpi") return acpi_pm_.describe();
  if (name == "port92") return port92_.describe();
  if (name == "block") return ide_.describe() + disks_.describe();
  if (name == "network") {
    if (!nic_) return std::string("no network card (-nic none)\n");
    return nic_->describe() +
           "  backend: " + (config_.nic_backend ? config_.nic_backend->describe() : std::string("none (no cable)")) +
           "\n";
  }
  return std::nullopt;
}

// A20 is the OR of port 92h's FAST_A20 and the 8042's output-port A20 gate.
void PcMachine::update_a20() { cpu_.set_a20(port92_.a20() || kbc_a20_); }

void PcMachine::on_reset_request(PcResetKind kind) {
  if (kind == PcResetKind::System)
    reset_requested_ = true;
  else
    cpu_init_requested_ = true;
  if (engine_) engine_->request_stop();
}

PcMachine::Result PcMachine::run(const std::function<void()>& poll, u64 max_instructions) {
  const u64 start = cpu_.counters.instructions;
  for (;;) {
    if (poll) poll();
    if (quit_) return {Outcome::Quit};
    if (power_off_) return {Outcome::PowerOff};
    if (debug_exit_.requested()) return {Outcome::DebugExit, debug_exit_.exit_status()};
    if (reset_requested_ || cpu_init_requested_) {
      if (config_.no_reboot) return {Outcome::Reset};
      // INIT resets the processor only; a system reset (RCPU with SRST, the 8042's reset
      // line, a triple fault on a PC board) resets the chipset and devices too.
      if (reset_requested_) {
        reset();
      } else {
        cpu_.reset();
        if (engine_) engine_->flush();
      }
      reset_requested_ = cpu_init_requested_ = false;
      continue;
    }
    if (paused_) {
      // Virtual time stands still too, so a paused machine wakes up where it stopped. (With
      // the host clock, the gap is skipped: see Timeline's bias.)
      const u64 now = timeline_.now();
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
      if (timeline_.source() != Timeline::Source::Instructions) timeline_.rebase(now);
      continue;
    }
    u64 budget = kSliceInstructions;
    if (const auto until_event = timeline_.instructions_until_next_event()) budget = std::min(budget, *until_event);
    if (max_instructions) {
      const u64 done = cpu_.counters.instructions - start;
      if (done >= max_instructions) return {Outcome::InstructionLimit};
      budget = std::min(budget, max_instructions - done);
    }
    StopReason why = StopReason::Budget;
    if (budget > 0) why = engine_->run(budget);
    timeline_.run_due();
    timeline_.pace();
    switch (why) {
      case StopReason::TripleFault:
        GuestLog::instance().log("cpu", "triple fault at %04x:%08x: %s", cpu_.s.sreg(Seg::CS).selector, cpu_.s.eip,
                                 config_.no_reboot ? "stopping (-no-reboot)" : "resetting the machine");
        if (config_.no_reboot) return {Outcome::TripleFault};
        reset();
        break;
      case StopReason::Breakpoint:
        if (on_breakpoint_) on_breakpoint_();
        break;
      case StopReason::Halted:
        // Nothing runs until an interrupt: let virtual time move on to the next device event
        // (at once in deterministic mode; sleeping on the host clock otherwise).
        if (!timeline_.idle(kIdleWaitNs)) std::this_thread::sleep_for(std::chrono::milliseconds(10));
        timeline_.run_due();
        break;
      default: break;
    }
  }
}

}  // namespace emu
