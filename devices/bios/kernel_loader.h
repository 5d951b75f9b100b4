// -kernel, -initrd and -append: the boot loader built into emu's firmware. It reads the files
// when emu starts (so a bad file is reported before the machine runs) and copies them into
// guest RAM when the BIOS's int 19h asks (FW_LOAD_KERNEL), as a boot loader would.
//
// Two formats:
// - a Linux bzImage (boot protocol 2.02 or later; Documentation/arch/x86/boot.rst): the
//   real-mode setup code goes to 1000:0000 and runs on our BIOS, the protected-mode kernel to
//   1 MiB, the initrd as high as initrd_addr_max and RAM allow, the command line to 20000h;
// - a Multiboot v1 kernel (Multiboot Specification 0.6.96): ELF, or a flat image described by
//   the header's address fields (the "a.out kludge", flag bit 16); `-initrd "m1 args,m2"` gives
//   the modules, each with its string.
#pragma once
#include <optional>
#include <string>
#include <vector>

#include "devices/bios/firmware.h"

namespace emu {

struct BootFiles {
  enum class Format { Linux, Multiboot } format = Format::Linux;
  std::string kernel_path;
  std::vector<u8> kernel;
  std::string cmdline;
  std::vector<u8> initrd;  // Linux
  struct Module {
    std::string string;  // the -initrd item as given: the path and its arguments
    std::vector<u8> data;
  };
  std::vector<Module> modules;  // Multiboot
  u32 multiboot_header = 0;     // file offset of the Multiboot header
};

// Reads the kernel and its initrd or modules and checks that they can be booted in
// `layout`'s RAM. Returns nullopt and a one-line reason on failure.
std::optional<BootFiles> read_boot_files(const std::string& kernel_path, const std::string& initrd,
                                         const std::string& append, const FirmwareLayout& layout, std::string& error);

// Where the kernel's first instruction is once the BIOS starts it (a linear address): a Linux
// kernel's real-mode setup entry, (setup segment + 20h):0000; a Multiboot kernel's entry point.
u32 kernel_first_instruction(const BootFiles& files);

// Copies the files into guest RAM (through `bus`) and says how to enter the kernel.
KernelEntry load_kernel(AddressSpace& bus, const FirmwareLayout& layout, const BootFiles& files);

}  // namespace emu
