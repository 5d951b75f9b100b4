#include "images/qcow2_image.h"

#include <zlib.h>

#include <algorithm>
#include <cstring>
#include <set>

#include "core/guest_log.h"

namespace emu {

namespace {

// Header fields (qcow2.txt, "Header"): all big-endian.
constexpr u32 kMagic = 0x514649FB;  // "QFI\xfb"
constexpr u32 kHeaderV2Length = 72, kHeaderV3Length = 104;
constexpr u64 kOffsetMask = 0x00FFFFFFFFFFFE00ull;  // bits 9-55 of L1/L2 entries
constexpr u64 kCopied = 1ull << 63;                 // refcount is exactly 1: write in place
constexpr u64 kCompressed = 1ull << 62;
constexpr u64 kZero = 1ull;  // v3 L2 entry: the cluster reads as zeros
// Header extensions (qcow2.txt, "Header extensions").
constexpr u32 kExtensionEnd = 0, kExtensionBackingFormat = 0xE2792ACA, kExtensionFeatureTable = 0x6803F857;
// Limits that keep a hostile image from making emu allocate without bound (QEMU's, too).
constexpr u32 kMinClusterBits = 9, kMaxClusterBits = 21;
constexpr u64 kMaxL1Bytes = 32u << 20;
constexpr u64 kMaxRefcountTableBytes = 8u << 20;
constexpr u64 kMaxGuestSize = 1ull << 50;
constexpr size_t kL2CacheTables = 64, kRefcountCacheBlocks = 64;
constexpr u64 kMaxCheckClusters = 64u << 20;  // `check` keeps a 16-bit count per host cluster

u16 be16(const u8* p) { return static_cast<u16>(p[0] << 8 | p[1]); }
u32 be32(const u8* p) { return static_cast<u32>(be16(p)) << 16 | be16(p + 2); }
u64 be64(const u8* p) { return static_cast<u64>(be32(p)) << 32 | be32(p + 4); }
void put16(u8* p, u16 v) { p[0] = static_cast<u8>(v >> 8), p[1] = static_cast<u8>(v); }
void put32(u8* p, u32 v) { put16(p, static_cast<u16>(v >> 16)), put16(p + 2, static_cast<u16>(v)); }
void put64(u8* p, u64 v) { put32(p, static_cast<u32>(v >> 32)), put32(p + 4, static_cast<u32>(v)); }
u64 align_up(u64 v, u64 a) { return (v + a - 1) / a * a; }

std::string hex(u64 v) {
  char b[24];
  std::snprintf(b, sizeof b, "0x%llx", static_cast<unsigned long long>(v));
  return b;
}

}  // namespace

// ---- opening -------------------------------------------------------------------------------------

std::unique_ptr<Qcow2Image> Qcow2Image::open(ImageFile file, const BackingOpener& open_backing,
                                             const std::string& backing_format_override, std::string& error) {
  std::unique_ptr<Qcow2Image> image(new Qcow2Image(std::move(file)));
  error = image->load(open_backing, backing_format_override);
  if (!error.empty()) {
    error = image->file_.path() + ": " + error;
    return nullptr;
  }
  return image;
}

std::string Qcow2Image::load(const BackingOpener& open_backing, const std::string& backing_format_override) {
  const u64 file_size = file_.size();
  u8 h[kHeaderV3Length] = {};
  if (file_size < kHeaderV2Length || !file_.read(0, h, std::min<u64>(sizeof h, file_size)))
    return "the file is too short for a qcow2 header";
  if (be32(h) != kMagic) return "not a qcow2 image (bad magic)";
  Qcow2Header& hd = header_;
  hd.version = be32(h + 4);
  if (hd.version != 2 && hd.version != 3) return "unsupported qcow2 version " + std::to_string(hd.version);
  hd.backing_file_offset = be64(h + 8);
  hd.backing_file_size = be32(h + 16);
  hd.cluster_bits = be32(h + 20);
  hd.size = be64(h + 24);
  hd.crypt_method = be32(h + 32);
  hd.l1_size = be32(h + 36);
  hd.l1_table_offset = be64(h + 40);
  hd.refcount_table_offset = be64(h + 48);
  hd.refcount_table_clusters = be32(h + 56);
  hd.nb_snapshots = be32(h + 60);
  hd.snapshots_offset = be64(h + 64);
  if (hd.cluster_bits < kMinClusterBits || hd.cluster_bits > kMaxClusterBits)
    return "unsupported cluster size 2^" + std::to_string(hd.cluster_bits) + " (512 bytes to 2 MiB)";
  const u64 cs = cluster_size();
  if (hd.version == 3) {
    if (file_size < kHeaderV3Length) return "the file is too short for a version 3 header";
    hd.incompatible_features = be64(h + 72);
    hd.compatible_features = be64(h + 80);
    hd.autoclear_features = be64(h + 88);
    hd.refcount_order = be32(h + 96);
    hd.header_length = be32(h + 100);
    if (hd.header_length < kHeaderV3Length || hd.header_length > cs || hd.header_length % 8)
      return "invalid header length " + std::to_string(hd.header_length);
  } else {
    hd.header_length = kHeaderV2Length;
    hd.refcount_order = 4;
  }
  if (hd.crypt_method != 0) return "encrypted images are not supported";
  if (hd.refcount_order != 4)
    return "refcount order " + std::to_string(hd.refcount_order) + " is not supported (only 16-bit refcounts)";
  if (hd.size > kMaxGuestSize) return "virtual size " + std::to_string(hd.size) + " is too large";

  // Header extensions: the backing file's format and the names of feature bits.
  std::vector<std::pair<u8, std::string>> incompatible_names(64);
  u64 at = hd.header_length;
  for (unsigned n = 0; n < 64 && at + 8 <= cs && at + 8 <= file_size; ++n) {
    u8 ext[8];
    if (!file_.read(at, ext, 8)) return "cannot read the header extensions";
    const u32 type = be32(ext), length = be32(ext + 4);
    if (type == kExtensionEnd) break;
    if (at + 8 + length > cs || at + 8 + length > file_size)
      return "header extension " + hex(type) + " runs past the first cluster";
    std::vector<u8> data(length);
    if (!file_.read(at + 8, data.data(), length)) return "cannot read header extension " + hex(type);
    if (type == kExtensionBackingFormat) {
      hd.backing_format.assign(data.begin(), data.end());
    } else if (type == kExtensionFeatureTable) {
      for (u32 k = 0; k + 48 <= length; k += 48)
        if (data[k] == 0 && data[k + 1] < 64)
          incompatible_names[data[k + 1]] = {1, std::string(reinterpret_cast<const char*>(&data[k + 2]),
                                                            strnlen(reinterpret_cast<const char*>(&data[k + 2]), 46))};
    }
    at += 8 + align_up(length, 8);
  }

  // Incompatible features: only the dirty and corrupt bits are known here.
  const u64 unknown = hd.incompatible_features & ~(Qcow2Header::kIncompatibleDirty | Qcow2Header::kIncompatibleCorrupt);
  if (unknown) {
    std::string names;
    for (unsigned bit = 0; bit < 64; ++bit)
      if (unknown & (1ull << bit)) {
        if (!names.empty()) names += ", ";
        names += "bit " + std::to_string(bit);
        if (!incompatible_names[bit].second.empty()) names += " (" + incompatible_names[bit].second + ")";
      }
    return "unsupported incompatible feature(s): " + names;
  }
  if ((hd.incompatible_features & Qcow2Header::kIncompatibleCorrupt) && file_.writable())
    return "the image is marked corrupt; open it read-only, or repair it with 'emu-img check -r all'";
  if (hd.nb_snapshots && file_.writable())
    return "the image has " + std::to_string(hd.nb_snapshots) +
           " internal snapshot(s); emu opens such images read-only only";

  // The L1 table.
  const u64 l2_entries = cs / 8;
  const u64 needed_l1 = (hd.size + cs * l2_entries - 1) / (cs * l2_entries);
  if (u64{hd.l1_size} * 8 > kMaxL1Bytes) return "L1 table of " + std::to_string(hd.l1_size) + " entries is too large";
  if (hd.l1_size < needed_l1) return "L1 table too small for the virtual size";
  if (hd.l1_size && (hd.l1_table_offset % cs || hd.l1_table_offset + u64{hd.l1_size} * 8 > file_size))
    return "L1 table offset " + hex(hd.l1_table_offset) + " is invalid";
  l1_.resize(hd.l1_size);
  if (hd.l1_size) {
    std::vector<u8> raw(u64{hd.l1_size} * 8);
    if (!file_.read(hd.l1_table_offset, raw.data(), raw.size())) return "cannot read the L1 table";
    for (u32 k = 0; k < hd.l1_size; ++k) l1_[k] = be64(&raw[k * 8]);
  }

  // The refcount table.
  const u64 rt_bytes = u64{hd.refcount_table_clusters} * cs;
  if (rt_bytes == 0 || rt_bytes > kMaxRefcountTableBytes) return "invalid refcount table size";
  if (hd.refcount_table_offset % cs || hd.refcount_table_offset + rt_bytes > file_size)
    return "refcount table offset " + hex(hd.refcount_table_offset) + " is invalid";
  {
    std::vector<u8> raw(rt_bytes);
    if (!file_.read(hd.refcount_table_offset, raw.data(), raw.size())) return "cannot read the refcount table";
    refcount_table_.resize(rt_bytes / 8);
    for (u64 k = 0; k < refcount_table_.size(); ++k) refcount_table_[k] = be64(&raw[k * 8]);
  }
  file_end_ = align_up(file_size, cs);

  // The backing file: followed only when its format is known (qemu-img's -F rule).
  if (hd.backing_file_offset) {
    if (hd.backing_file_size == 0 || hd.backing_file_size > 1023 ||
        hd.backing_file_offset + hd.backing_file_size > std::min(cs, file_size))
      return "invalid backing file name offset or length";
    hd.backing_file.resize(hd.backing_file_size);
    if (!file_.read(hd.backing_file_offset, hd.backing_file.data(), hd.backing_file_size))
      return "cannot read the backing file name";
    const std::string format = backing_format_override.empty() ? hd.backing_format : backing_format_override;
    if (format.empty())
      return "the backing file '" + hd.backing_file +
             "' has no recorded format; give it (emu-img rebase -u -F FMT, or -F with emu-img), as qemu-img requires";
    std::string path = hd.backing_file;
    if (!path.empty() && path[0] != '/') {
      const auto slash = file_.path().find_last_of('/');
      if (slash != std::string::npos) path = file_.path().substr(0, slash + 1) + path;
    }
    if (!open_backing) return "backing files are not followed here";
    if (std::string e = open_backing(path, format, backing_); !e.empty()) return "backing file: " + e;
  }

  if (file_.writable()) {
    lazy_refcounts_ = hd.version == 3 && (hd.compatible_features & Qcow2Header::kCompatibleLazyRefcounts);
    if (hd.incompatible_features & Qcow2Header::kIncompatibleDirty) {
      // Left dirty by a run with lazy refcounts that did not close cleanly: rebuild them.
      std::vector<u16> counts;
      Qcow2CheckResult scratch;
      if (!count_references(counts, scratch, false) || !rebuild_refcounts(counts) || !mark_dirty(false))
        return "the image is dirty and its refcounts could not be rebuilt: " + error_ + scratch.error;
    }
  }
  return {};
}

Qcow2Image::~Qcow2Image() {
  if (file_.writable() && dirty_marked_) {
    std::vector<u16> counts;
    Qcow2CheckResult scratch;
    if (count_references(counts, scratch, false) && rebuild_refcounts(counts) && file_.flush()) mark_dirty(false);
  }
  if (file_.writable()) file_.flush();
}

bool Qcow2Image::mark_dirty(bool dirty) {
  if (header_.version < 3) return true;
  u64 features = header_.incompatible_features;
  features = dirty ? features | Qcow2Header::kIncompatibleDirty : features & ~Qcow2Header::kIncompatibleDirty;
  u8 b[8];
  put64(b, features);
  if (!file_.write(72, b, 8) || !file_.flush()) return false;
  header_.incompatible_features = features;
  dirty_marked_ = dirty;
  return true;
}

std::string Qcow2Image::describe() const {
  std::string s = file_.path() + " (qcow2 v" + std::to_string(header_.version) + ", " + std::to_string(header_.size) +
                  " bytes, cluster " + std::to_string(cluster_size()) + (file_.writable() ? "" : ", read-only");
  if (backing_) s += ", backing " + backing_->describe();
  return s + ")";
}

// ---- creating ------------------------------------------------------------------------------------

std::string Qcow2Image::create(ImageFile& file, const CreateOptions& o) {
  if (o.cluster_bits < kMinClusterBits || o.cluster_bits > kMaxClusterBits)
    return "cluster size must be a power of two from 512 bytes to 2 MiB";
  if (o.size > kMaxGuestSize) return "image size too large";
  if (o.lazy_refcounts && o.version < 3) return "lazy_refcounts requires compat=1.1";
  if (!o.backing_file.empty() && o.backing_file.size() > 1023) return "backing file name too long";
  const u64 cs = u64{1} << o.cluster_bits;
  const u64 l1_entries = (o.size + cs * (cs / 8) - 1) / (cs * (cs / 8));
  if (l1_entries * 8 > kMaxL1Bytes) return "image size too large for this cluster size";
  const u64 l1_clusters = std::max<u64>(1, align_up(l1_entries * 8, cs) / cs);
  // Cluster 0 header, 1 refcount table, 2 refcount block, 3.. L1 table.
  const u64 used = 3 + l1_clusters;
  if (used > cs / 2) return "cluster size too small for this image size";
  Qcow2Image image{ImageFile{}};
  Qcow2Header& h = image.header_;
  h.version = o.version;
  h.cluster_bits = o.cluster_bits;
  h.size = o.size;
  h.l1_size = static_cast<u32>(l1_entries);
  h.l1_table_offset = 3 * cs;
  h.refcount_table_offset = cs;
  h.refcount_table_clusters = 1;
  h.compatible_features = o.lazy_refcounts ? Qcow2Header::kCompatibleLazyRefcounts : 0;
  h.header_length = o.version == 3 ? kHeaderV3Length : kHeaderV2Length;
  h.backing_file = o.backing_file;
  h.backing_format = o.backing_format;
  std::vector<u8> area(used * cs, 0);
  put64(&area[cs], 2 * cs);  // refcount table[0] = the block
  for (u64 c = 0; c < used; ++c) put16(&area[2 * cs + c * 2], 1);
  if (!file.write(0, area.data(), area.size())) return "cannot write '" + file.path() + "': " + file.error();
  image.file_ = std::move(file);
  const std::string e = image.write_header();
  file = std::move(image.file_);
  if (!e.empty()) return e;
  if (!file.flush()) return "cannot flush '" + file.path() + "': " + file.error();
  return {};
}

// Serializes the header, its extensions and the backing file name into cluster 0.
std::string Qcow2Image::write_header() {
  Qcow2Header& h = header_;
  const u64 cs = cluster_size();
  std::vector<u8> out(h.version == 3 ? kHeaderV3Length : kHeaderV2Length, 0);
  auto extension = [&](u32 type, const std::string& data) {
    const size_t at = out.size();
    out.resize(at + 8 + align_up(data.size(), 8), 0);
    put32(&out[at], type);
    put32(&out[at + 4], static_cast<u32>(data.size()));
    std::memcpy(&out[at + 8], data.data(), data.size());
  };
  if (!h.backing_format.empty()) extension(kExtensionBackingFormat, h.backing_format);
  extension(kExtensionEnd, "");
  h.backing_file_offset = h.backing_file.empty() ? 0 : out.size();
  h.backing_file_size = static_cast<u32>(h.backing_file.size());
  out.insert(out.end(), h.backing_file.begin(), h.backing_file.end());
  if (out.size() > cs) return "the header and backing file name do not fit in the first cluster";
  put32(&out[0], kMagic);
  put32(&out[4], h.version);
  put64(&out[8], h.backing_file_offset);
  put32(&out[16], h.backing_file_size);
  put32(&out[20], h.cluster_bits);
  put64(&out[24], h.size);
  put32(&out[32], h.crypt_method);
  put32(&out[36], h.l1_size);
  put64(&out[40], h.l1_table_offset);
  put64(&out[48], h.refcount_table_offset);
  put32(&out[56], h.refcount_table_clusters);
  put32(&out[60], h.nb_snapshots);
  put64(&out[64], h.snapshots_offset);
  if (h.version == 3) {
    put64(&out[72], h.incompatible_features);
    put64(&out[80], h.compatible_features);
    put64(&out[88], h.autoclear_features);
    put32(&out[96], h.refcount_order);
    put32(&out[100], kHeaderV3Length);
    h.header_length = kHeaderV3Length;
  }
  if (!file_.write(0, out.data(), out.size())) return "cannot write the header: " + file_.error();
  return {};
}

std::string Qcow2Image::set_backing(const std::string& backing, const std::string& format) {
  header_.backing_file = backing;
  header_.backing_format = backing.empty() ? "" : format;
  if (std::string e = write_header(); !e.empty()) return e;
  return file_.flush() ? "" : "cannot flush: " + file_.error();
}

// ---- reading -------------------------------------------------------------------------------------

bool Qcow2Image::read_l2(u64 l2_offset, std::vector<u64>*& table) {
  auto it = l2_cache_.find(l2_offset);
  if (it == l2_cache_.end()) {
    const u64 cs = cluster_size();
    std::vector<u8> raw(cs);
    if (!file_.read(l2_offset, raw.data(), cs)) {
      error_ = "cannot read the L2 table at " + hex(l2_offset) + ": " + file_.error();
      return false;
    }
    if (l2_cache_.size() >= kL2CacheTables) l2_cache_.erase(l2_cache_.begin());
    std::vector<u64> decoded(cs / 8);
    for (u64 k = 0; k < decoded.size(); ++k) decoded[k] = be64(&raw[k * 8]);
    it = l2_cache_.emplace(l2_offset, std::move(decoded)).first;
  }
  table = &it->second;
  return true;
}

Qcow2Image::Lookup Qcow2Image::lookup(u64 guest_cluster, u64& entry, u64& l2_offset) {
  const u64 cs = cluster_size();
  const u64 l2_bits = header_.cluster_bits - 3;
  const u64 l1_index = guest_cluster >> l2_bits;
  entry = 0;
  l2_offset = 0;
  if (l1_index >= l1_.size()) return Lookup::Unallocated;
  l2_offset = l1_[l1_index] & kOffsetMask;
  if (!l2_offset) return Lookup::Unallocated;
  if (l2_offset % cs || l2_offset + cs > std::max(file_end_, file_.size())) {
    error_ = "L1 entry " + std::to_string(l1_index) + " points to an invalid L2 table offset " + hex(l2_offset);
    return Lookup::Bad;
  }
  std::vector<u64>* table;
  if (!read_l2(l2_offset, table)) return Lookup::Bad;
  entry = (*table)[guest_cluster & ((u64{1} << l2_bits) - 1)];
  if (entry & kCompressed) return Lookup::Compressed;
  if (header_.version == 3 && (entry & kZero)) return Lookup::Zero;
  const u64 host = entry & kOffsetMask;
  if (!host) return Lookup::Unallocated;
  if (host % cs) {
    error_ = "L2 entry for cluster " + std::to_string(guest_cluster) + " has an unaligned offset " + hex(host);
    return Lookup::Bad;
  }
  return Lookup::Data;
}

// A compressed cluster's descriptor (qcow2.txt, "Compressed Clusters Descriptor"): x = 62 -
// (cluster_bits - 8) low bits of host offset, then the number of additional 512-byte sectors.
bool Qcow2Image::read_compressed(u64 entry, std::vector<u8>& cluster) {
  const u64 cs = cluster_size();
  const u32 x = 62 - (header_.cluster_bits - 8);
  const u64 host = entry & ((u64{1} << x) - 1);
  const u64 sectors = ((entry & ~kCompressed & ~kCopied) >> x) + 1;
  const u64 file_size = file_.size();
  if (host >= file_size) {
    error_ = "compressed cluster at " + hex(host) + " lies past the end of the file";
    return false;
  }
  const u64 length = std::min({sectors * 512 - (host & 511), file_size - host, 2 * cs});
  std::vector<u8> compressed(length);
  if (!file_.read(host, compressed.data(), length)) {
    error_ = "cannot read a compressed cluster: " + file_.error();
    return false;
  }
  cluster.assign(cs, 0);
  z_stream z = {};
  if (inflateInit2(&z, -12) != Z_OK) return false;
  z.next_in = compressed.data();
  z.avail_in = static_cast<uInt>(compressed.size());
  z.next_out = cluster.data();
  z.avail_out = static_cast<uInt>(cs);
  const int r = inflate(&z, Z_FINISH);
  const bool ok = (r == Z_STREAM_END || r == Z_BUF_ERROR || r == Z_OK) && z.avail_out == 0;
  inflateEnd(&z);
  if (!ok) error_ = "a compressed cluster at " + hex(host) + " does not inflate to a whole cluster";
  return ok;
}

BlockStatus Qcow2Image::io_error(const std::string& what) {
  if (!what.empty()) error_ = what;
  GuestLog::instance().log("block", "qcow2 I/O error: %s", error_.c_str());
  return BlockStatus::IoError;
}

BlockStatus Qcow2Image::read(u64 offset, std::span<u8> out) {
  if (offset > header_.size || out.size() > header_.size - offset) return BlockStatus::OutOfRange;
  const u64 cs = cluster_size();
  std::vector<u8> cluster;
  while (!out.empty()) {
    const u64 gc = offset / cs, in_cluster = offset % cs;
    const u64 n = std::min<u64>(out.size(), cs - in_cluster);
    u64 entry, l2;
    switch (lookup(gc, entry, l2)) {
      case Lookup::Unallocated:
        if (backing_ && offset < backing_->size()) {
          const u64 from_backing = std::min(n, backing_->size() - offset);
          if (const BlockStatus s = backing_->read(offset, out.first(from_backing)); s != BlockStatus::Ok) return s;
          std::fill(out.begin() + static_cast<std::ptrdiff_t>(from_backing),
                    out.begin() + static_cast<std::ptrdiff_t>(n), 0);
        } else {
          std::fill_n(out.begin(), n, 0);
        }
        break;
      case Lookup::Zero: std::fill_n(out.begin(), n, 0); break;
      case Lookup::Data:
        if (!file_.read((entry & kOffsetMask) + in_cluster, out.data(), n))
          return io_error("cannot read a data cluster: " + file_.error());
        break;
      case Lookup::Compressed:
        if (!read_compressed(entry, cluster)) return io_error("");
        std::copy_n(cluster.begin() + static_cast<std::ptrdiff_t>(in_cluster), n, out.begin());
        break;
      case Lookup::Bad: return io_error("");
    }
    out = out.subspan(n);
    offset += n;
  }
  return BlockStatus::Ok;
}

bool Qcow2Image::allocated(u64 offset) {
  u64 entry, l2;
  const Lookup l = lookup(offset / cluster_size(), entry, l2);
  return l == Lookup::Data || l == Lookup::Compressed || l == Lookup::Zero;
}

// ---- refcounts -----------------------------------------------------------------------------------

bool Qcow2Image::load_refcount_block(u64 block_offset, std::vector<u16>*& block) {
  auto it = refcount_cache_.find(block_offset);
  if (it == refcount_cache_.end()) {
    const u64 cs = cluster_size();
    if (block_offset % cs || block_offset + cs > std::max(file_end_, file_.size())) {
      error_ = "refcount block offset " + hex(block_offset) + " is invalid";
      return false;
    }
    std::vector<u8> raw(cs);
    if (!file_.read(block_offset, raw.data(), cs)) {
      error_ = "cannot read a refcount block: " + file_.error();
      return false;
    }
    if (refcount_cache_.size() >= kRefcountCacheBlocks) refcount_cache_.erase(refcount_cache_.begin());
    std::vector<u16> decoded(cs / 2);
    for (u64 k = 0; k < decoded.size(); ++k) decoded[k] = be16(&raw[k * 2]);
    it = refcount_cache_.emplace(block_offset, std::move(decoded)).first;
  }
  block = &it->second;
  return true;
}

std::optional<u16> Qcow2Image::refcount(u64 host_offset) {
  const u64 per_block = cluster_size() / 2;
  const u64 index = host_offset >> header_.cluster_bits;
  const u64 table_index = index / per_block;
  if (table_index >= refcount_table_.size()) return 0;
  const u64 block_offset = refcount_table_[table_index] & ~u64{511};
  if (!block_offset) return 0;
  std::vector<u16>* block;
  if (!load_refcount_block(block_offset, block)) return std::nullopt;
  return (*block)[index % per_block];
}

bool Qcow2Image::set_refcount(u64 host_offset, u16 value) {
  const u64 cs = cluster_size();
  const u64 per_block = cs / 2;
  const u64 index = host_offset >> header_.cluster_bits;
  const u64 table_index = index / per_block;
  if (table_index >= refcount_table_.size() && !grow_refcount_table(table_index)) return false;
  u64 block_offset = refcount_table_[table_index] & ~u64{511};
  if (!block_offset) {
    // A new refcount block at the end of the file. It counts itself when it covers itself;
    // otherwise its own refcount goes where it belongs first.
    block_offset = file_end_;
    file_end_ += cs;
    std::vector<u16> fresh(per_block, 0);
    const u64 own = block_offset >> header_.cluster_bits;
    const bool self_covering = own / per_block == table_index;
    if (self_covering) fresh[own % per_block] = 1;
    std::vector<u8> raw(cs, 0);
    for (u64 k = 0; k < per_block; ++k) put16(&raw[k * 2], fresh[k]);
    if (!file_.write(block_offset, raw.data(), cs)) {
      error_ = "cannot write a refcount block: " + file_.error();
      return false;
    }
    if (!self_covering && !set_refcount(block_offset, 1)) return false;
    u8 entry[8];
    put64(entry, block_offset);
    if (!file_.write(header_.refcount_table_offset + table_index * 8, entry, 8)) {
      error_ = "cannot update the refcount table: " + file_.error();
      return false;
    }
    refcount_table_[table_index] = block_offset;
    refcount_cache_[block_offset] = std::move(fresh);
  }
  std::vector<u16>* block;
  if (!load_refcount_block(block_offset, block)) return false;
  (*block)[index % per_block] = value;
  u8 raw[2];
  put16(raw, value);
  if (!file_.write(block_offset + (index % per_block) * 2, raw, 2)) {
    error_ = "cannot update a refcount: " + file_.error();
    return false;
  }
  return true;
}

bool Qcow2Image::add_refcount(u64 host_offset, int delta) {
  const std::optional<u16> now = refcount(host_offset);
  if (!now) return false;
  const int value = std::clamp(static_cast<int>(*now) + delta, 0, 0xFFFF);
  return set_refcount(host_offset, static_cast<u16>(value));
}

// The refcount table is full: a bigger one goes to the end of the file together with the
// refcount blocks that cover it, and the header switches to it in one write.
bool Qcow2Image::grow_refcount_table(u64 needed_index) {
  const u64 cs = cluster_size();
  const u64 per_block = cs / 2;
  const u64 entries = std::max<u64>(needed_index + 1, refcount_table_.size() * 2);
  const u64 table_clusters = align_up(entries * 8, cs) / cs;
  if (table_clusters * cs > kMaxRefcountTableBytes) {
    error_ = "the refcount table would exceed its maximum size";
    return false;
  }
  std::vector<u64> table(table_clusters * cs / 8, 0);
  std::copy(refcount_table_.begin(), refcount_table_.end(), table.begin());
  const u64 start = file_end_;
  const u64 table_end = start + table_clusters * cs;
  // New blocks for the table indexes the new area (table + blocks) needs and lacks.
  std::vector<u64> new_blocks;  // table indexes
  for (;;) {
    const u64 end = table_end + new_blocks.size() * cs;
    std::vector<u64> missing;
    for (u64 ti = (start / cs) / per_block; ti <= (end / cs - 1) / per_block; ++ti)
      if (ti >= table.size() || !table[ti]) missing.push_back(ti);
    if (missing.size() <= new_blocks.size()) break;
    new_blocks = missing;
  }
  if (!new_blocks.empty() && new_blocks.back() >= table.size()) {
    error_ = "the refcount table cannot cover its own growth";
    return false;
  }
  const u64 end = table_end + new_blocks.size() * cs;
  for (size_t k = 0; k < new_blocks.size(); ++k) table[new_blocks[k]] = table_end + k * cs;
  // Write the new blocks with the refcounts of the whole new area they cover.
  std::vector<u64> covered_elsewhere;
  for (size_t k = 0; k < new_blocks.size(); ++k) {
    std::vector<u8> raw(cs, 0);
    for (u64 c = start / cs; c < end / cs; ++c)
      if (c / per_block == new_blocks[k]) put16(&raw[(c % per_block) * 2], 1);
    if (!file_.write(table_end + k * cs, raw.data(), cs)) {
      error_ = "cannot write a refcount block: " + file_.error();
      return false;
    }
  }
  for (u64 c = start / cs; c < end / cs; ++c)
    if (std::find(new_blocks.begin(), new_blocks.end(), c / per_block) == new_blocks.end())
      covered_elsewhere.push_back(c * cs);
  std::vector<u8> raw(table_clusters * cs, 0);
  for (u64 k = 0; k < table.size(); ++k) put64(&raw[k * 8], table[k]);
  if (!file_.write(start, raw.data(), raw.size()) || !file_.flush()) {
    error_ = "cannot write the new refcount table: " + file_.error();
    return false;
  }
  u8 fields[12];
  put64(fields, start);
  put32(fields + 8, static_cast<u32>(table_clusters));
  if (!file_.write(48, fields, 12) || !file_.flush()) {
    error_ = "cannot switch to the new refcount table: " + file_.error();
    return false;
  }
  const u64 old_offset = header_.refcount_table_offset, old_clusters = header_.refcount_table_clusters;
  header_.refcount_table_offset = start;
  header_.refcount_table_clusters = static_cast<u32>(table_clusters);
  refcount_table_ = std::move(table);
  file_end_ = end;
  for (u64 at : covered_elsewhere)
    if (!set_refcount(at, 1)) return false;
  for (u64 k = 0; k < old_clusters; ++k)
    if (!add_refcount(old_offset + k * cs, -1)) return false;
  return true;
}

u64 Qcow2Image::allocate_clusters(u64 count) {
  const u64 cs = cluster_size();
  const u64 at = file_end_;
  file_end_ += count * cs;
  if (!lazy_refcounts_)
    for (u64 k = 0; k < count; ++k)
      if (!set_refcount(at + k * cs, 1)) return 0;
  return at;
}

// ---- writing -------------------------------------------------------------------------------------

bool Qcow2Image::set_l2_entry(u64 guest_cluster, u64 entry) {
  const u64 cs = cluster_size();
  const u64 l2_bits = header_.cluster_bits - 3;
  const u64 l1_index = guest_cluster >> l2_bits;
  const u64 l2_index = guest_cluster & ((u64{1} << l2_bits) - 1);
  if (l1_index >= l1_.size()) {
    error_ = "cluster past the L1 table";
    return false;
  }
  u64 l2_offset = l1_[l1_index] & kOffsetMask;
  if (!l2_offset) {
    // A new L2 table: its refcount and contents first, then the L1 entry that points to it.
    l2_offset = allocate_clusters(1);
    if (!l2_offset) return false;
    std::vector<u64> table(cs / 8, 0);
    table[l2_index] = entry;
    std::vector<u8> raw(cs, 0);
    put64(&raw[l2_index * 8], entry);
    if (!file_.write(l2_offset, raw.data(), cs)) {
      error_ = "cannot write an L2 table: " + file_.error();
      return false;
    }
    u8 l1_entry[8];
    put64(l1_entry, l2_offset | kCopied);
    if (!file_.write(header_.l1_table_offset + l1_index * 8, l1_entry, 8)) {
      error_ = "cannot update the L1 table: " + file_.error();
      return false;
    }
    l1_[l1_index] = l2_offset | kCopied;
    if (l2_cache_.size() >= kL2CacheTables) l2_cache_.erase(l2_cache_.begin());
    l2_cache_[l2_offset] = std::move(table);
    return true;
  }
  std::vector<u64>* table;
  if (!read_l2(l2_offset, table)) return false;
  (*table)[l2_index] = entry;
  u8 raw[8];
  put64(raw, entry);
  if (!file_.write(l2_offset + l2_index * 8, raw, 8)) {
    error_ = "cannot update an L2 table: " + file_.error();
    return false;
  }
  return true;
}

BlockStatus Qcow2Image::write_cluster(u64 gc, u64 in_cluster, std::span<const u8> in) {
  const u64 cs = cluster_size();
  u64 entry, l2;
  const Lookup l = lookup(gc, entry, l2);
  if (l == Lookup::Bad) return io_error("");
  if (l == Lookup::Data && (entry & kCopied)) {
    if (!file_.write((entry & kOffsetMask) + in_cluster, in.data(), in.size()))
      return io_error("cannot write a data cluster: " + file_.error());
    return BlockStatus::Ok;
  }
  // Copy on write: the whole new cluster is what the guest saw there, with the write on top.
  std::vector<u8> cluster(cs, 0);
  if (in.size() < cs) {
    if (l == Lookup::Compressed) {
      if (!read_compressed(entry, cluster)) return io_error("");
    } else if (l == Lookup::Data) {
      if (!file_.read(entry & kOffsetMask, cluster.data(), cs)) return io_error("cannot read a shared cluster");
    } else if (l == Lookup::Unallocated && backing_) {
      const u64 at = gc * cs;
      if (at < backing_->size()) {
        const u64 n = std::min(cs, backing_->size() - at);
        if (const BlockStatus s = backing_->read(at, std::span(cluster).first(n)); s != BlockStatus::Ok) return s;
      }
    }
  }
  std::copy(in.begin(), in.end(), cluster.begin() + static_cast<std::ptrdiff_t>(in_cluster));
  if (lazy_refcounts_ && !dirty_marked_ && !mark_dirty(true)) return io_error("cannot mark the image dirty");
  const u64 host = allocate_clusters(1);
  if (!host) return io_error("");
  if (!file_.write(host, cluster.data(), cs)) return io_error("cannot write a data cluster: " + file_.error());
  if (!set_l2_entry(gc, host | kCopied)) return io_error("");
  // What the old entry held is no longer referenced from here.
  if (!lazy_refcounts_) {
    if (l == Lookup::Compressed) {
      const u32 x = 62 - (header_.cluster_bits - 8);
      const u64 old = entry & ((u64{1} << x) - 1);
      const u64 sectors = ((entry & ~kCompressed & ~kCopied) >> x) + 1;
      const u64 last = old + sectors * 512 - (old & 511) - 1;
      for (u64 c = old / cs; c <= last / cs; ++c) add_refcount(c * cs, -1);
    } else if ((l == Lookup::Data || l == Lookup::Zero) && (entry & kOffsetMask)) {
      add_refcount(entry & kOffsetMask, -1);
    }
  }
  return BlockStatus::Ok;
}

BlockStatus Qcow2Image::write(u64 offset, std::span<const u8> in) {
  if (!file_.writable()) return BlockStatus::ReadOnly;
  if (offset > header_.size || in.size() > header_.size - offset) return BlockStatus::OutOfRange;
  const u64 cs = cluster_size();
  while (!in.empty()) {
    const u64 in_cluster = offset % cs;
    const u64 n = std::min<u64>(in.size(), cs - in_cluster);
    if (const BlockStatus s = write_cluster(offset / cs, in_cluster, in.first(n)); s != BlockStatus::Ok) return s;
    in = in.subspan(n);
    offset += n;
  }
  return BlockStatus::Ok;
}

BlockStatus Qcow2Image::flush() {
  if (!file_.writable() || file_.flush()) return BlockStatus::Ok;
  return io_error("cannot flush: " + file_.error());
}

BlockStatus Qcow2Image::write_compressed(u64 cluster_index, std::span<const u8> data) {
  const u64 cs = cluster_size();
  if (data.size() != cs || cluster_index >= (header_.size + cs - 1) / cs) return BlockStatus::OutOfRange;
  std::vector<u8> out(cs);
  z_stream z = {};
  if (deflateInit2(&z, Z_DEFAULT_COMPRESSION, Z_DEFLATED, -12, 9, Z_DEFAULT_STRATEGY) != Z_OK)
    return io_error("zlib cannot start");
  z.next_in = const_cast<u8*>(data.data());
  z.avail_in = static_cast<uInt>(cs);
  z.next_out = out.data();
  z.avail_out = static_cast<uInt>(cs - 1);
  const int r = deflate(&z, Z_FINISH);
  const u64 length = cs - 1 - z.avail_out;
  deflateEnd(&z);
  if (r != Z_STREAM_END) return write(cluster_index * cs, data);  // does not shrink: store it plainly
  // Compressed clusters are packed on 512-byte boundaries inside the host cluster that holds
  // the previous one; one that does not fit starts a new host cluster at the end of the file.
  const u64 cursor = compressed_cursor_;
  if (!cursor || cursor % cs == 0 || (cursor + length - 1) / cs != cursor / cs) compressed_cursor_ = file_end_;
  const u64 at = compressed_cursor_;
  const u64 end = at + length;
  const u64 first_cluster = at / cs, last_cluster = (end - 1) / cs;
  // Each host cluster the data touches gets one more reference (clusters past the end are new).
  if (end > file_end_) file_end_ = align_up(end, cs);
  for (u64 c = first_cluster; c <= last_cluster; ++c)
    if (!lazy_refcounts_ && !add_refcount(c * cs, 1)) return io_error("");
  if (!file_.write(at, out.data(), length)) return io_error("cannot write a compressed cluster: " + file_.error());
  compressed_cursor_ = align_up(end, 512);
  const u32 x = 62 - (header_.cluster_bits - 8);
  const u64 sectors = (align_up(end, 512) - (at & ~u64{511})) / 512;
  if (!set_l2_entry(cluster_index, kCompressed | ((sectors - 1) << x) | at)) return io_error("");
  return BlockStatus::Ok;
}

// ---- check and repair ----------------------------------------------------------------------------

bool Qcow2Image::count_references(std::vector<u16>& counts, Qcow2CheckResult& result,
                                  bool include_refcount_structures) {
  const u64 cs = cluster_size();
  const u64 clusters = std::max(file_end_, align_up(file_.size(), cs)) / cs;
  if (clusters > kMaxCheckClusters) {
    result.error = "the image is too large to check";
    return false;
  }
  if (header_.nb_snapshots) {
    result.error = "images with internal snapshots are not checked";
    return false;
  }
  counts.assign(clusters, 0);
  auto reference = [&](u64 offset, u64 length, const char* what) {
    for (u64 c = offset / cs; c <= (offset + length - 1) / cs; ++c) {
      if (c >= counts.size()) {
        ++result.corruptions;
        result.messages.push_back(std::string("ERROR ") + what + " at " + hex(offset) +
                                  " lies past the end of the image");
        return;
      }
      if (counts[c] < 0xFFFF) ++counts[c];
    }
  };
  reference(0, cs, "header");
  if (header_.l1_size) reference(header_.l1_table_offset, u64{header_.l1_size} * 8, "L1 table");
  if (include_refcount_structures) {
    reference(header_.refcount_table_offset, u64{header_.refcount_table_clusters} * cs, "refcount table");
    for (u64 block : refcount_table_) {
      block &= ~u64{511};
      if (!block) continue;
      if (block % cs) {
        ++result.corruptions;
        result.messages.push_back("ERROR refcount block offset " + hex(block) + " is not cluster aligned");
        continue;
      }
      reference(block, cs, "refcount block");
    }
  }
  const u32 x = 62 - (header_.cluster_bits - 8);
  for (u64 i = 0; i < l1_.size(); ++i) {
    const u64 l2_offset = l1_[i] & kOffsetMask;
    if (!l2_offset) continue;
    if (l2_offset % cs || l2_offset / cs >= counts.size()) {
      ++result.corruptions;
      result.messages.push_back("ERROR l2_offset=" + hex(l2_offset) + ": the L1 entry points to an invalid L2 table");
      continue;
    }
    reference(l2_offset, cs, "L2 table");
    std::vector<u64>* table;
    if (!read_l2(l2_offset, table)) {
      result.error = error_;
      return false;
    }
    for (u64 e : *table) {
      if (e & kCompressed) {
        const u64 host = e & ((u64{1} << x) - 1);
        const u64 sectors = ((e & ~kCompressed & ~kCopied) >> x) + 1;
        reference(host, sectors * 512 - (host & 511), "compressed cluster");
        ++result.allocated_clusters;
        continue;
      }
      const u64 host = e & kOffsetMask;
      if (!host) continue;
      if (host % cs) {
        ++result.corruptions;
        result.messages.push_back("ERROR offset=" + hex(host) + ": data cluster is not properly aligned");
        continue;
      }
      reference(host, cs, "data cluster");
      if (!(header_.version == 3 && (e & kZero))) ++result.allocated_clusters;
    }
  }
  result.total_clusters = (header_.size + cs - 1) / cs;
  return true;
}

// Writes new refcount structures for `expected` (which must not count the old ones) at the end
// of the file, then switches the header to them: the old structures become free clusters.
bool Qcow2Image::rebuild_refcounts(const std::vector<u16>& expected) {
  const u64 cs = cluster_size();
  const u64 per_block = cs / 2;
  const u64 base = std::max(file_end_, align_up(file_.size(), cs));
  u64 table_clusters = 1, blocks = 1;
  for (;;) {
    const u64 total = base / cs + table_clusters + blocks;
    const u64 need_blocks = (total + per_block - 1) / per_block;
    const u64 need_table = align_up(need_blocks * 8, cs) / cs;
    if (need_blocks <= blocks && need_table <= table_clusters) break;
    blocks = std::max(blocks, need_blocks);
    table_clusters = std::max(table_clusters, need_table);
  }
  if (table_clusters * cs > kMaxRefcountTableBytes) {
    error_ = "the refcount table would exceed its maximum size";
    return false;
  }
  const u64 total = base / cs + table_clusters + blocks;
  std::vector<u16> counts(total, 0);
  std::copy_n(expected.begin(), std::min<u64>(expected.size(), base / cs), counts.begin());
  for (u64 c = base / cs; c < total; ++c) counts[c] = 1;
  const u64 table_at = base, blocks_at = base + table_clusters * cs;
  std::vector<u8> raw(blocks * cs, 0);
  for (u64 c = 0; c < total; ++c) put16(&raw[c * 2], counts[c]);
  if (!file_.write(blocks_at, raw.data(), raw.size())) {
    error_ = "cannot write refcount blocks: " + file_.error();
    return false;
  }
  std::vector<u64> table(table_clusters * cs / 8, 0);
  std::vector<u8> table_raw(table_clusters * cs, 0);
  for (u64 b = 0; b < blocks; ++b) {
    table[b] = blocks_at + b * cs;
    put64(&table_raw[b * 8], table[b]);
  }
  if (!file_.write(table_at, table_raw.data(), table_raw.size()) || !file_.flush()) {
    error_ = "cannot write the refcount table: " + file_.error();
    return false;
  }
  u8 fields[12];
  put64(fields, table_at);
  put32(fields + 8, static_cast<u32>(table_clusters));
  if (!file_.write(48, fields, 12) || !file_.flush()) {
    error_ = "cannot switch to the rebuilt refcounts: " + file_.error();
    return false;
  }
  header_.refcount_table_offset = table_at;
  header_.refcount_table_clusters = static_cast<u32>(table_clusters);
  refcount_table_ = std::move(table);
  refcount_cache_.clear();
  file_end_ = blocks_at + blocks * cs;
  compressed_cursor_ = 0;
  return true;
}

Qcow2CheckResult Qcow2Image::check(bool repair_leaks, bool repair_all) {
  Qcow2CheckResult result;
  const u64 cs = cluster_size();
  std::vector<u16> expected;
  if (!count_references(expected, result, true)) return result;
  const u64 per_block = cs / 2;
  for (u64 c = 0; c < expected.size(); ++c) {
    const std::optional<u16> stored = refcount(c * cs);
    const u16 want = c < expected.size() ? expected[c] : 0;
    if (!stored) {
      ++result.corruptions;
      result.messages.push_back("ERROR cannot read the refcount of cluster " + std::to_string(c) + ": " + error_);
      break;
    }
    if (*stored == want) continue;
    if (*stored > want) {
      ++result.leaks;
      result.messages.push_back("Leaked cluster " + std::to_string(c) + " refcount=" + std::to_string(*stored) +
                                " reference=" + std::to_string(want));
    } else {
      ++result.corruptions;
      result.messages.push_back("ERROR cluster " + std::to_string(c) + " refcount=" + std::to_string(*stored) +
                                " reference=" + std::to_string(want));
    }
  }
  // Clusters past the end of the file with a refcount are leaks (a crash after a refcount update
  // but before the data write leaves them). Each distinct refcount block inside the file is read
  // once, so a hostile table cannot make this longer than the file.
  std::set<u64> blocks_seen;
  for (u64 ti = 0; ti < refcount_table_.size(); ++ti) {
    const u64 block_offset = refcount_table_[ti] & ~u64{511};
    if (!block_offset || (ti + 1) * per_block <= expected.size()) continue;
    if (block_offset % cs || block_offset + cs > file_.size() || !blocks_seen.insert(block_offset).second) continue;
    std::vector<u16>* block;
    if (!load_refcount_block(block_offset, block)) continue;
    for (u64 i = 0; i < per_block; ++i) {
      const u64 c = ti * per_block + i;
      if (c < expected.size() || (*block)[i] == 0) continue;
      ++result.leaks;
      result.messages.push_back("Leaked cluster " + std::to_string(c) + " refcount=" + std::to_string((*block)[i]) +
                                " reference=0");
    }
  }
  result.image_end_offset = file_.size();
  const bool repair = file_.writable() && ((repair_all && (result.leaks || result.corruptions)) ||
                                           (repair_leaks && result.leaks && !result.corruptions));
  if (repair) {
    std::vector<u16> without_refcounts;
    Qcow2CheckResult scratch;
    if (count_references(without_refcounts, scratch, false) && rebuild_refcounts(without_refcounts)) {
      result.leaks_fixed = result.leaks;
      result.corruptions_fixed = repair_all ? result.corruptions : 0;
      Qcow2CheckResult after = check(false, false);
      after.leaks_fixed = result.leaks_fixed;
      after.corruptions_fixed = result.corruptions_fixed;
      after.messages.insert(after.messages.begin(), result.messages.begin(), result.messages.end());
      return after;
    }
    result.error = "repair failed: " + error_;
  }
  return result;
}

std::string Qcow2Image::resize(u64 new_size) {
  if (!file_.writable()) return "the image is read-only";
  if (new_size < header_.size) return "shrinking a qcow2 image is not supported";
  if (new_size > kMaxGuestSize) return "size too large";
  const u64 cs = cluster_size();
  const u64 needed = (new_size + cs * (cs / 8) - 1) / (cs * (cs / 8));
  if (needed * 8 > kMaxL1Bytes) return "size too large for this cluster size";
  if (needed > l1_.size()) {
    const u64 clusters = align_up(needed * 8, cs) / cs;
    const u64 at = allocate_clusters(clusters);
    if (!at) return error_;
    std::vector<u8> raw(clusters * cs, 0);
    for (u64 k = 0; k < l1_.size(); ++k) put64(&raw[k * 8], l1_[k]);
    if (!file_.write(at, raw.data(), raw.size()) || !file_.flush())
      return "cannot write the L1 table: " + file_.error();
    u8 fields[12];
    put32(fields, static_cast<u32>(needed));
    put64(fields + 4, at);
    if (!file_.write(36, fields, 12) || !file_.flush()) return "cannot switch to the new L1 table: " + file_.error();
    const u64 old = header_.l1_table_offset, old_clusters = align_up(u64{header_.l1_size} * 8, cs) / cs;
    header_.l1_table_offset = at;
    header_.l1_size = static_cast<u32>(needed);
    l1_.resize(needed, 0);
    if (old)
      for (u64 k = 0; k < old_clusters; ++k) add_refcount(old + k * cs, -1);
  }
  u8 size_field[8];
  put64(size_field, new_size);
  if (!file_.write(24, size_field, 8) || !file_.flush()) return "cannot update the size: " + file_.error();
  header_.size = new_size;
  return {};
}

}  // namespace emu
