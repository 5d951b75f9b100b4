#include "images/vmdk_image.h"

#include <zlib.h>

#include <algorithm>
#include <cstring>
#include <sstream>

namespace emu {

namespace {

constexpr u32 kSparseMagic = 0x564D444B;  // "KDMV" as a little-endian u32
constexpr u64 kGdAtEnd = ~u64{0};
constexpr u32 kFlagCompressed = 1u << 16, kFlagMarkers = 1u << 17;
constexpr u16 kCompressDeflate = 1;
constexpr u64 kMaxGrainSectors = 2048;    // 1 MiB grains (VMware uses 128 sectors)
constexpr u32 kMaxGtesPerGt = 4096;       // VMware: 512
constexpr u64 kMaxCapacity = 1ull << 41;  // sectors: 1 PiB

u16 le16(const u8* p) { return static_cast<u16>(p[0] | p[1] << 8); }
u32 le32(const u8* p) { return le16(p) | static_cast<u32>(le16(p + 2)) << 16; }
u64 le64(const u8* p) { return le32(p) | static_cast<u64>(le32(p + 4)) << 32; }

}  // namespace

std::unique_ptr<VmdkImage> VmdkImage::open(ImageFile file, std::string& error) {
  std::unique_ptr<VmdkImage> image(new VmdkImage(std::move(file)));
  u8 magic[4] = {};
  if (!image->file_.read(0, magic, 4)) {
    error = image->file_.path() + ": too short for a VMDK image";
    return nullptr;
  }
  if (le32(magic) == kSparseMagic) {
    error = image->load_sparse();
  } else {
    const u64 size = image->file_.size();
    if (size > (1u << 20)) {
      error = "not a VMDK image (no sparse magic, and too large for a descriptor)";
    } else {
      std::string text(size, '\0');
      image->file_.read(0, text.data(), size);
      error = image->load_descriptor(text);
    }
  }
  if (!error.empty()) {
    error = image->file_.path() + ": " + error;
    return nullptr;
  }
  return image;
}

std::string VmdkImage::load_sparse() {
  u8 h[512];
  if (!file_.read(0, h, sizeof h)) return "too short for a VMDK sparse header";
  const u32 version = le32(h + 4);
  u32 flags = le32(h + 8);
  capacity_ = le64(h + 12);
  grain_sectors = le64(h + 20);
  gtes_per_gt_ = le32(h + 44);
  u64 gd_offset = le64(h + 56);
  u16 compression = le16(h + 77);
  if (version < 1 || version > 3) return "unsupported VMDK version " + std::to_string(version);
  if (gd_offset == kGdAtEnd) {
    // streamOptimized written in one pass: the real header is the footer, 1 KiB before the end
    // (a footer marker sector, then the header copy; an end-of-stream marker follows).
    const u64 size = file_.size();
    if (size < 1536 || !file_.read(size - 1024, h, sizeof h)) return "cannot read the footer";
    if (le32(h) != kSparseMagic) return "the footer has no VMDK magic";
    flags = le32(h + 8);
    gd_offset = le64(h + 56);
    compression = le16(h + 77);
    if (gd_offset == kGdAtEnd) return "the footer does not locate the grain directory";
  }
  compressed_ = flags & kFlagCompressed;
  if (compressed_ && compression != kCompressDeflate)
    return "unsupported compression algorithm " + std::to_string(compression);
  if (grain_sectors < 8 || grain_sectors > kMaxGrainSectors || (grain_sectors & (grain_sectors - 1)))
    return "invalid grain size " + std::to_string(grain_sectors) + " sectors";
  if (gtes_per_gt_ == 0 || gtes_per_gt_ > kMaxGtesPerGt) return "invalid grain table size";
  if (capacity_ == 0 || capacity_ > kMaxCapacity) return "invalid capacity";
  const u64 per_table = grain_sectors * gtes_per_gt_;
  const u64 entries = (capacity_ + per_table - 1) / per_table;
  if (gd_offset == 0 || (gd_offset + (entries * 4 + 511) / 512) * 512 > file_.size())
    return "the grain directory lies outside the file";
  std::vector<u8> raw(entries * 4);
  if (!file_.read(gd_offset * 512, raw.data(), raw.size())) return "cannot read the grain directory";
  directory_.resize(entries);
  for (u64 k = 0; k < entries; ++k) directory_[k] = le32(&raw[k * 4]);
  tables_.resize(entries);
  subformat_ = compressed_ || (flags & kFlagMarkers) ? "streamOptimized" : "monolithicSparse";
  return {};
}

// A descriptor file: "createType" and extent lines `RW <sectors> FLAT "<file>" <offset>`.
std::string VmdkImage::load_descriptor(const std::string& text) {
  if (text.rfind("# Disk DescriptorFile", 0) != 0) return "not a VMDK image";
  std::istringstream lines(text);
  std::string line;
  unsigned extents = 0;
  while (std::getline(lines, line)) {
    if (line.rfind("createType", 0) == 0) {
      const auto q = line.find('"');
      if (q != std::string::npos) subformat_ = line.substr(q + 1, line.find('"', q + 1) - q - 1);
      continue;
    }
    std::istringstream words(line);
    std::string access, type, name;
    u64 sectors = 0, offset = 0;
    if (!(words >> access >> sectors >> type) || (access != "RW" && access != "RDONLY" && access != "NOACCESS"))
      continue;
    if (++extents > 1) return "descriptors with more than one extent are not supported";
    if (type != "FLAT") return "extent type " + type + " in a descriptor is not supported";
    std::getline(words >> std::ws, name);
    const auto q1 = name.find('"'), q2 = name.find('"', q1 + 1);
    if (q1 == std::string::npos || q2 == std::string::npos) return "bad extent line: " + line;
    std::istringstream(name.substr(q2 + 1)) >> offset;
    name = name.substr(q1 + 1, q2 - q1 - 1);
    if (name.empty() || name.find('/') != std::string::npos) return "extent file names must be plain names";
    const auto slash = file_.path().find_last_of('/');
    const std::string path = slash == std::string::npos ? name : file_.path().substr(0, slash + 1) + name;
    if (std::string e = flat_.open(path, false); !e.empty()) return e;
    capacity_ = sectors;
    flat_offset_ = offset * 512;
    if (capacity_ > kMaxCapacity || flat_offset_ + capacity_ * 512 > flat_.size())
      return "the flat extent is shorter than the descriptor says";
  }
  if (!extents) return "the descriptor names no extent";
  if (subformat_.empty()) subformat_ = "monolithicFlat";
  return {};
}

bool VmdkImage::read_grain(u64 grain, std::vector<u8>& out) {
  const u64 grain_bytes = grain_sectors * 512;
  out.assign(grain_bytes, 0);
  const u64 table = grain / gtes_per_gt_;
  if (table >= directory_.size()) return true;
  if (!directory_[table]) return true;  // no grain table: the grains read as zeros
  if (tables_[table].empty()) {
    const u64 at = u64{directory_[table]} * 512;
    std::vector<u8> raw(u64{gtes_per_gt_} * 4);
    if (at + raw.size() > file_.size() || !file_.read(at, raw.data(), raw.size())) {
      error_ = "grain table " + std::to_string(table) + " lies outside the file";
      return false;
    }
    tables_[table].resize(gtes_per_gt_);
    for (u32 k = 0; k < gtes_per_gt_; ++k) tables_[table][k] = le32(&raw[k * 4]);
  }
  const u32 sector = tables_[table][grain % gtes_per_gt_];
  if (sector <= 1) return true;  // 0: unallocated, 1: a zero grain
  const u64 at = u64{sector} * 512;
  if (!compressed_) {
    if (at >= file_.size()) {
      error_ = "grain " + std::to_string(grain) + " lies outside the file";
      return false;
    }
    const u64 n = std::min(grain_bytes, file_.size() - at);
    if (!file_.read(at, out.data(), n)) {
      error_ = "cannot read grain " + std::to_string(grain);
      return false;
    }
    return true;
  }
  // A compressed grain: its LBA (u64) and compressed size (u32), then the zlib stream.
  u8 marker[12];
  if (!file_.read(at, marker, sizeof marker)) {
    error_ = "cannot read grain " + std::to_string(grain) + "'s marker";
    return false;
  }
  const u32 size = le32(marker + 8);
  if (size == 0 || size > 2 * grain_bytes + 1024 || at + 12 + size > file_.size()) {
    error_ = "grain " + std::to_string(grain) + " has an invalid compressed size";
    return false;
  }
  std::vector<u8> compressed(size);
  if (!file_.read(at + 12, compressed.data(), size)) return false;
  uLongf length = static_cast<uLongf>(grain_bytes);
  const int r = uncompress(out.data(), &length, compressed.data(), size);
  if (r != Z_OK && !(r == Z_BUF_ERROR && length == grain_bytes)) {
    error_ = "grain " + std::to_string(grain) + " does not inflate";
    return false;
  }
  return true;
}

BlockStatus VmdkImage::read(u64 offset, std::span<u8> out) {
  if (offset > size() || out.size() > size() - offset) return BlockStatus::OutOfRange;
  if (flat_.is_open())
    return flat_.read(flat_offset_ + offset, out.data(), out.size()) ? BlockStatus::Ok : BlockStatus::IoError;
  const u64 grain_bytes = grain_sectors * 512;
  while (!out.empty()) {
    const u64 grain = offset / grain_bytes, in_grain = offset % grain_bytes;
    const u64 n = std::min<u64>(out.size(), grain_bytes - in_grain);
    if (grain != cached_grain_) {
      if (!read_grain(grain, cached_data_)) {
        cached_grain_ = ~u64{0};
        return BlockStatus::IoError;
      }
      cached_grain_ = grain;
    }
    std::copy_n(cached_data_.begin() + static_cast<std::ptrdiff_t>(in_grain), n, out.begin());
    out = out.subspan(n);
    offset += n;
  }
  return BlockStatus::Ok;
}

std::string VmdkImage::describe() const {
  return file_.path() + " (vmdk " + subformat_ + ", " + std::to_string(size()) + " bytes, read-only)";
}

}  // namespace emu
