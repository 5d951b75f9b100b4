#include "devices/bios/kernel_loader.h"

#include <cerrno>
#include <cstring>
#include <fstream>
#include <iterator>
#include <sstream>

#include "core/guest_log.h"

namespace emu {

namespace {

u32 le32(const std::vector<u8>& v, std::size_t off) {
  return v[off] | v[off + 1] << 8 | v[off + 2] << 16 | u32{v[off + 3]} << 24;
}
u16 le16(const std::vector<u8>& v, std::size_t off) { return static_cast<u16>(v[off] | v[off + 1] << 8); }

std::optional<std::vector<u8>> read_whole_file(const std::string& path, std::string& error) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    error = "cannot open '" + path + "': " + std::strerror(errno);
    return std::nullopt;
  }
  std::vector<u8> data((std::istreambuf_iterator<char>(in)), {});
  if (in.bad()) {
    error = "cannot read '" + path + "'";
    return std::nullopt;
  }
  return data;
}

// ---- Linux boot protocol (Documentation/arch/x86/boot.rst) -------------------------------------
namespace linux_boot {
constexpr u32 kSetupSects = 0x1F1, kVidMode = 0x1FA, kHeaderMagic = 0x202, kVersion = 0x206;
constexpr u32 kTypeOfLoader = 0x210, kLoadFlags = 0x211, kRamdiskImage = 0x218, kRamdiskSize = 0x21C;
constexpr u32 kHeapEndPtr = 0x224, kCmdLinePtr = 0x228, kInitrdAddrMax = 0x22C, kCmdlineSize = 0x238;
constexpr u8 kLoadedHigh = 0x01, kCanUseHeap = 0x80;
constexpr u16 kMinimumVersion = 0x0202;  // cmd_line_ptr; earlier kernels need the setup at 90000h
constexpr u32 kSetupBase = 0x10000;      // the real-mode code: segment 1000h
constexpr u16 kSetupSegment = kSetupBase >> 4;
constexpr u16 kHeapEnd = 0xFE00;       // the setup's stack and heap end here (SP)
constexpr u32 kCmdlineBase = 0x20000;  // just above the setup's 64 KiB
constexpr u32 kKernelBase = 0x100000;  // the protected-mode kernel (bzImage)
constexpr u8 kLoaderUndefined = 0xFF;  // type_of_loader: "no assigned id"

u32 setup_bytes(const std::vector<u8>& k) { return (k[kSetupSects] == 0 ? 4u : k[kSetupSects]) * 512u + 512u; }
u32 cmdline_max(const std::vector<u8>& k) { return le16(k, kVersion) >= 0x0206 ? le32(k, kCmdlineSize) : 255; }
u32 initrd_max(const std::vector<u8>& k) { return le16(k, kVersion) >= 0x0203 ? le32(k, kInitrdAddrMax) : 0x37FFFFFF; }

// `vga=` on the command line sets vid_mode, as boot loaders do: normal, ext, ask, or a number.
std::optional<u16> vga_mode(const std::string& cmdline) {
  std::istringstream words(cmdline);
  std::string w;
  std::optional<u16> mode;
  while (words >> w) {
    if (w.rfind("vga=", 0) != 0) continue;
    const std::string v = w.substr(4);
    if (v == "normal")
      mode = 0xFFFF;
    else if (v == "ext")
      mode = 0xFFFE;
    else if (v == "ask")
      mode = 0xFFFD;
    else {
      char* end = nullptr;
      const unsigned long n = std::strtoul(v.c_str(), &end, 0);
      if (end != v.c_str() && !*end && n <= 0xFFFF) mode = static_cast<u16>(n);
    }
  }
  return mode;
}

std::string check(const BootFiles& f, const FirmwareLayout& layout) {
  const std::vector<u8>& k = f.kernel;
  if (le16(k, kVersion) < kMinimumVersion)
    return "Linux boot protocol " + std::to_string(k[kVersion + 1]) + "." + std::to_string(k[kVersion]) +
           " is too old (2.02 or later needed)";
  if (!(k[kLoadFlags] & kLoadedHigh)) return "a zImage (loaded low) is not supported; use a bzImage";
  const u32 setup = setup_bytes(k);
  if (setup >= k.size()) return "the kernel file is shorter than its setup code";
  if (setup > kHeapEnd - 0x200u) return "the kernel's setup code is too large";
  const u64 kernel_end = u64{kKernelBase} + (k.size() - setup);
  if (kernel_end > layout.loadable_end()) return "the kernel does not fit in guest RAM (-m)";
  if (f.cmdline.size() >= cmdline_max(k))
    return "the command line is longer than the kernel accepts (" + std::to_string(cmdline_max(k)) + " bytes)";
  if (!f.initrd.empty()) {
    const u64 top = std::min<u64>(u64{initrd_max(k)} + 1, layout.loadable_end());
    if (f.initrd.size() > top || ((top - f.initrd.size()) & ~u64{0xFFF}) < kernel_end)
      return "the initrd does not fit in guest RAM above the kernel (-m)";
  }
  return {};
}

KernelEntry load(AddressSpace& bus, const FirmwareLayout& layout, const BootFiles& f) {
  std::vector<u8> setup(f.kernel.begin(), f.kernel.begin() + setup_bytes(f.kernel));
  auto set16 = [&](u32 at, u16 v) { setup[at] = static_cast<u8>(v), setup[at + 1] = static_cast<u8>(v >> 8); };
  auto set32 = [&](u32 at, u32 v) {
    for (int b = 0; b < 4; ++b) setup[at + b] = static_cast<u8>(v >> (8 * b));
  };
  setup[kTypeOfLoader] = kLoaderUndefined;
  setup[kLoadFlags] |= kCanUseHeap;
  set16(kHeapEndPtr, kHeapEnd - 0x200);
  set32(kCmdLinePtr, kCmdlineBase);
  if (const auto mode = vga_mode(f.cmdline)) set16(kVidMode, *mode);
  u32 initrd_addr = 0;
  if (!f.initrd.empty()) {
    const u64 top = std::min<u64>(u64{initrd_max(f.kernel)} + 1, layout.loadable_end());
    initrd_addr = static_cast<u32>((top - f.initrd.size()) & ~u64{0xFFF});
  }
  set32(kRamdiskImage, initrd_addr);
  set32(kRamdiskSize, static_cast<u32>(f.initrd.size()));

  u8* ram = bus.ram();
  std::memcpy(ram + kSetupBase, setup.data(), setup.size());
  std::memcpy(ram + kCmdlineBase, f.cmdline.c_str(), f.cmdline.size() + 1);
  std::memcpy(ram + kKernelBase, f.kernel.data() + setup.size(), f.kernel.size() - setup.size());
  if (!f.initrd.empty()) std::memcpy(ram + initrd_addr, f.initrd.data(), f.initrd.size());
  // The copies went around the bus: tell the translator, as DMA would (DESIGN §4).
  bus.notify_code_write(kSetupBase, static_cast<u32>(setup.size()));
  bus.notify_code_write(kKernelBase, static_cast<u32>(f.kernel.size() - setup.size()));

  KernelEntry e;
  e.kind = KernelEntry::Kind::Linux;
  e.setup_segment = kSetupSegment;
  e.setup_stack = kHeapEnd;
  return e;
}
}  // namespace linux_boot

// ---- Multiboot v1 (Multiboot Specification 0.6.96) ---------------------------------------------
namespace multiboot {
constexpr u32 kMagic = 0x1BADB002;
constexpr u32 kPageAlignModules = 1u << 0, kMemoryInfo = 1u << 1, kVideoMode = 1u << 2, kAoutKludge = 1u << 16;
constexpr u32 kUnderstood = kPageAlignModules | kMemoryInfo | kVideoMode;
// Info flags (3.3 "Boot information format").
constexpr u32 kInfoMemory = 1u << 0, kInfoCmdline = 1u << 2, kInfoModules = 1u << 3, kInfoMmap = 1u << 6;
constexpr u32 kInfoLoaderName = 1u << 9, kInfoFramebuffer = 1u << 12;
// The information structure, its strings and tables go in conventional memory, below the EBDA.
constexpr u32 kInfoBase = 0x9000, kInfoEnd = 0x90000;

std::optional<u32> find_header(const std::vector<u8>& k) {
  for (u32 off = 0; off + 12 <= k.size() && off < 8192; off += 4)
    if (le32(k, off) == kMagic && le32(k, off) + le32(k, off + 4) + le32(k, off + 8) == 0) return off;
  return std::nullopt;
}

struct Segment {
  u32 file_offset, paddr, filesz, memsz;
};

// The pieces of the kernel image to place, and the entry point; or an error.
std::string segments(const std::vector<u8>& k, u32 header, std::vector<Segment>& out, u32& entry) {
  const u32 flags = le32(k, header + 4);
  if (flags & kAoutKludge) {
    if (header + 32 > k.size()) return "the Multiboot header's address fields are cut off";
    const u32 header_addr = le32(k, header + 12), load_addr = le32(k, header + 16);
    const u32 load_end = le32(k, header + 20), bss_end = le32(k, header + 24);
    entry = le32(k, header + 28);
    if (load_addr > header_addr || header_addr - load_addr > header) return "Multiboot load_addr is after header_addr";
    const u32 file_offset = header - (header_addr - load_addr);
    const u32 filesz = load_end ? load_end - load_addr : static_cast<u32>(k.size()) - file_offset;
    if (load_end && load_end < load_addr) return "Multiboot load_end_addr is below load_addr";
    if (u64{file_offset} + filesz > k.size()) return "Multiboot load_end_addr lies beyond the file";
    const u32 end = bss_end ? bss_end : load_addr + filesz;
    if (end < load_addr + filesz) return "Multiboot bss_end_addr is below load_end_addr";
    out.push_back({file_offset, load_addr, filesz, end - load_addr});
    return {};
  }
  // ELF32, little-endian, i386 (System V ABI i386 supplement): the PT_LOAD segments.
  if (k.size() < 52 || std::memcmp(k.data(),
                                   "\x7F"
                                   "ELF",
                                   4) != 0)
    return "a Multiboot kernel without the a.out-kludge flag must be an ELF file";
  if (k[4] != 1 || k[5] != 1 || le16(k, 18) != 3) return "not a 32-bit little-endian i386 ELF file";
  const u32 phoff = le32(k, 28);
  const u16 phentsize = le16(k, 42), phnum = le16(k, 44);
  if (phentsize < 32 || phoff > k.size() || u64{phnum} * phentsize > k.size() - phoff)
    return "the ELF program header table lies outside the file";
  for (u16 n = 0; n < phnum; ++n) {
    const std::size_t ph = phoff + std::size_t{n} * phentsize;
    if (le32(k, ph) != 1) continue;  // PT_LOAD
    const Segment s{le32(k, ph + 4), le32(k, ph + 12), le32(k, ph + 16), le32(k, ph + 20)};
    if (s.filesz > s.memsz || s.file_offset > k.size() || s.filesz > k.size() - s.file_offset)
      return "an ELF segment lies outside the file";
    if (s.memsz) out.push_back(s);
  }
  if (out.empty()) return "the ELF file has nothing to load";
  entry = le32(k, 24);
  return {};
}

std::string check(const BootFiles& f, const FirmwareLayout& layout) {
  const u32 flags = le32(f.kernel, f.multiboot_header + 4);
  if ((flags & 0xFFFF) & ~kUnderstood) {
    char hex[16];
    std::snprintf(hex, sizeof hex, "%04x", flags & 0xFFFF & ~kUnderstood);
    return std::string("the Multiboot header requires features emu does not provide (flags ") + hex + ")";
  }
  std::vector<Segment> segs;
  u32 entry = 0;
  if (std::string why = segments(f.kernel, f.multiboot_header, segs, entry); !why.empty()) return why;
  u64 top = 0;
  for (const Segment& s : segs) {
    if (s.paddr < 0x100000 && u64{s.paddr} + s.memsz > kInfoBase)
      return "the kernel loads below 1 MiB over the boot information (0x9000 and up); link it at 1 MiB";
    if (u64{s.paddr} + s.memsz > layout.loadable_end()) return "the kernel does not fit in guest RAM (-m)";
    top = std::max<u64>(top, u64{s.paddr} + s.memsz);
  }
  for (const auto& m : f.modules) {
    top = ((top + 0xFFF) & ~u64{0xFFF}) + m.data.size();
    if (top > layout.loadable_end()) return "the Multiboot modules do not fit in guest RAM (-m)";
  }
  return {};
}

KernelEntry load(AddressSpace& bus, const FirmwareLayout& layout, const BootFiles& f) {
  std::vector<Segment> segs;
  u32 entry = 0;
  segments(f.kernel, f.multiboot_header, segs, entry);
  u8* ram = bus.ram();
  u64 top = 0;
  for (const Segment& s : segs) {
    std::memcpy(ram + s.paddr, f.kernel.data() + s.file_offset, s.filesz);
    std::memset(ram + s.paddr + s.filesz, 0, s.memsz - s.filesz);
    bus.notify_code_write(s.paddr, s.memsz);
    top = std::max<u64>(top, u64{s.paddr} + s.memsz);
  }

  // The information structure and what it points to, packed upwards from kInfoBase.
  u32 cursor = kInfoBase + 128;
  auto place = [&](const void* data, u32 size) {
    const u32 at = cursor;
    if (at + size <= kInfoEnd) std::memcpy(ram + at, data, size);
    cursor = (at + size + 3) & ~3u;
    return at;
  };
  auto place_string = [&](const std::string& s) { return place(s.c_str(), static_cast<u32>(s.size() + 1)); };

  u32 info[22] = {};
  const std::vector<E820Entry> map = layout.memory_map();
  info[0] = kInfoMemory | kInfoCmdline | kInfoMmap | kInfoLoaderName;
  info[1] = FirmwareLayout::kEbdaBase >> 10;          // mem_lower, KiB
  info[2] = (layout.table_area() - 0x100000u) >> 10;  // mem_upper: KiB from 1 MiB up
  info[4] = place_string(f.kernel_path + (f.cmdline.empty() ? "" : " " + f.cmdline));
  if (!f.modules.empty()) {
    std::vector<u32> mods;
    u64 next = top;
    for (const auto& m : f.modules) {
      next = (next + 0xFFF) & ~u64{0xFFF};
      const u32 start = static_cast<u32>(next);
      std::memcpy(ram + start, m.data.data(), m.data.size());
      next += m.data.size();
      mods.insert(mods.end(), {start, static_cast<u32>(next), place_string(m.string), 0});
    }
    info[0] |= kInfoModules;
    info[5] = static_cast<u32>(f.modules.size());
    info[6] = place(mods.data(), static_cast<u32>(mods.size() * 4));
  }
  std::vector<u32> mmap;
  for (const E820Entry& e : map)
    mmap.insert(mmap.end(), {20, static_cast<u32>(e.base), static_cast<u32>(e.base >> 32), static_cast<u32>(e.length),
                             static_cast<u32>(e.length >> 32), e.type});
  info[11] = static_cast<u32>(mmap.size() * 4);
  info[12] = place(mmap.data(), info[11]);
  info[16] = place_string("emu");
  const u32 flags = le32(f.kernel, f.multiboot_header + 4);
  std::vector<u8> info_bytes(sizeof info, 0);
  std::memcpy(info_bytes.data(), info, sizeof info);
  if (flags & kVideoMode) {
    // A video mode was asked for: the machine stays in the BIOS's 80x25 text mode, which
    // Multiboot describes as an EGA-text framebuffer (type 2) at B8000h, width and height in
    // characters, two bytes a character.
    info[0] |= kInfoFramebuffer;
    std::memcpy(info_bytes.data(), &info[0], 4);
    info_bytes.resize(110, 0);
    const u64 fb = 0xB8000;
    const u32 pitch = 160, width = 80, height = 25;
    std::memcpy(info_bytes.data() + 88, &fb, 8);
    std::memcpy(info_bytes.data() + 96, &pitch, 4);
    std::memcpy(info_bytes.data() + 100, &width, 4);
    std::memcpy(info_bytes.data() + 104, &height, 4);
    info_bytes[108] = 16;  // bpp
    info_bytes[109] = 2;   // framebuffer_type: EGA text
  }
  std::memcpy(ram + kInfoBase, info_bytes.data(), info_bytes.size());
  if (cursor > kInfoEnd) GuestLog::instance().log("multiboot", "boot information truncated (too many modules)");

  KernelEntry e;
  e.kind = KernelEntry::Kind::Multiboot;
  e.entry = entry;
  e.info = kInfoBase;
  return e;
}
}  // namespace multiboot

}  // namespace

std::optional<BootFiles> read_boot_files(const std::string& kernel_path, const std::string& initrd,
                                         const std::string& append, const FirmwareLayout& layout, std::string& error) {
  BootFiles f;
  f.kernel_path = kernel_path;
  f.cmdline = append;
  auto kernel = read_whole_file(kernel_path, error);
  if (!kernel) return std::nullopt;
  f.kernel = std::move(*kernel);
  const bool bzimage = f.kernel.size() > 0x240 && le32(f.kernel, linux_boot::kHeaderMagic) == 0x53726448;  // "HdrS"
  const std::optional<u32> mb = multiboot::find_header(f.kernel);
  if (bzimage) {
    f.format = BootFiles::Format::Linux;
    if (!initrd.empty()) {
      auto data = read_whole_file(initrd, error);
      if (!data) return std::nullopt;
      f.initrd = std::move(*data);
    }
  } else if (mb) {
    f.format = BootFiles::Format::Multiboot;
    f.multiboot_header = *mb;
    std::stringstream items(initrd);
    std::string item;
    while (std::getline(items, item, ',')) {
      if (item.empty()) continue;
      const std::string path = item.substr(0, item.find(' '));
      auto data = read_whole_file(path, error);
      if (!data) return std::nullopt;
      f.modules.push_back({item, std::move(*data)});
    }
  } else {
    error = "'" + kernel_path + "' is neither a Linux bzImage nor a Multiboot kernel";
    return std::nullopt;
  }
  const std::string why =
      f.format == BootFiles::Format::Linux ? linux_boot::check(f, layout) : multiboot::check(f, layout);
  if (!why.empty()) {
    error = kernel_path + ": " + why;
    return std::nullopt;
  }
  return f;
}

KernelEntry load_kernel(AddressSpace& bus, const FirmwareLayout& layout, const BootFiles& files) {
  return files.format == BootFiles::Format::Linux ? linux_boot::load(bus, layout, files)
                                                  : multiboot::load(bus, layout, files);
}

u32 kernel_first_instruction(const BootFiles& files) {
  if (files.format == BootFiles::Format::Linux) return linux_boot::kSetupBase + 0x200;  // (1000h + 20h):0000
  std::vector<multiboot::Segment> segments;
  u32 entry = 0;
  multiboot::segments(files.kernel, files.multiboot_header, segments, entry);
  return entry;
}

}  // namespace emu
