// QEMU's qcow2 format, versions 2 and 3 (QEMU docs/interop/qcow2.txt): a header, a two-level
// table (L1 → L2 → data cluster) mapping guest clusters to host clusters, 16-bit reference
// counts for every host cluster, optional zlib-compressed clusters and a backing file that
// supplies every cluster the image does not have.
//
// What the guest can reach is checked like any other input: every table offset and size in the
// header is bounded by the file and by fixed maxima before anything is allocated, every L1/L2
// entry is checked before it is followed, and a bad image is refused with a message naming the
// field.
//
// Crash consistency without a journal comes from the order of writes (as in QEMU): a new data
// cluster's refcount, then its data, then the L2 entry that points to it; a new L2 table's
// refcount and contents before the L1 entry. A crash leaves at worst clusters with a refcount
// and no reference — leaks, which `check -r leaks` repairs.
#pragma once
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "images/block_device.h"
#include "images/image_file.h"

namespace emu {

struct Qcow2Header {
  u32 version = 3;
  u64 backing_file_offset = 0;
  u32 backing_file_size = 0;
  u32 cluster_bits = 16;
  u64 size = 0;  // guest bytes
  u32 crypt_method = 0;
  u32 l1_size = 0;  // entries
  u64 l1_table_offset = 0;
  u64 refcount_table_offset = 0;
  u32 refcount_table_clusters = 0;
  u32 nb_snapshots = 0;
  u64 snapshots_offset = 0;
  u64 incompatible_features = 0, compatible_features = 0, autoclear_features = 0;
  u32 refcount_order = 4;
  u32 header_length = 104;
  std::string backing_file, backing_format;

  static constexpr u64 kIncompatibleDirty = 1ull << 0, kIncompatibleCorrupt = 1ull << 1;
  static constexpr u64 kCompatibleLazyRefcounts = 1ull << 0;
};

// What `check` found (qemu-img's categories).
struct Qcow2CheckResult {
  u64 leaks = 0, corruptions = 0;
  u64 leaks_fixed = 0, corruptions_fixed = 0;
  u64 allocated_clusters = 0, total_clusters = 0;  // guest clusters with data, and in all
  u64 image_end_offset = 0;
  std::vector<std::string> messages;  // one line each, as qemu-img prints them
  std::string error;                  // the check itself could not run
};

class Qcow2Image final : public BlockDevice {
 public:
  // Opens the backing file named in an image: (path, format or empty, chain depth).
  using BackingOpener =
      std::function<std::string(const std::string& path, const std::string& format, std::unique_ptr<BlockDevice>& out)>;

  // Opens an image. `backing_format` overrides the format recorded in the image (qemu-img's
  // -F); a backing file is followed only if one of the two names its format. Returns nullptr
  // and a message naming what is wrong.
  static std::unique_ptr<Qcow2Image> open(ImageFile file, const BackingOpener& open_backing,
                                          const std::string& backing_format_override, std::string& error);

  struct CreateOptions {
    u64 size = 0;
    u32 cluster_bits = 16;
    u32 version = 3;  // compat=1.1 (3) or 0.10 (2)
    bool lazy_refcounts = false;
    std::string backing_file, backing_format;
  };
  // Writes a new, empty image into `file` (created and locked by the caller).
  static std::string create(ImageFile& file, const CreateOptions& options);

  ~Qcow2Image() override;

  u64 size() const override { return header_.size; }
  bool read_only() const override { return !file_.writable(); }
  BlockStatus read(u64 offset, std::span<u8> out) override;
  BlockStatus write(u64 offset, std::span<const u8> in) override;
  BlockStatus flush() override;
  std::string last_error() const override { return error_; }
  std::string describe() const override;

  // For emu-img.
  const Qcow2Header& header() const { return header_; }
  BlockDevice* backing() const { return backing_.get(); }
  u64 cluster_size() const { return u64{1} << header_.cluster_bits; }
  // Whether the guest cluster containing `offset` has data in this image (not the backing).
  bool allocated(u64 offset);
  // Writes one whole guest cluster compressed (zlib deflate), unless it does not shrink.
  BlockStatus write_compressed(u64 cluster_index, std::span<const u8> data);
  Qcow2CheckResult check(bool repair_leaks, bool repair_all);
  std::string resize(u64 new_size);
  // Records a new backing file (empty = none) in the header; data is not touched.
  std::string set_backing(const std::string& file, const std::string& format);
  u64 file_size() const { return file_.size(); }
  const std::string& path() const { return file_.path(); }

 private:
  explicit Qcow2Image(ImageFile file) : file_(std::move(file)) {}
  std::string load(const BackingOpener& open_backing, const std::string& backing_format_override);
  std::string write_header();

  // Tables.
  bool read_l2(u64 l2_offset, std::vector<u64>*& table);
  enum class Lookup { Unallocated, Zero, Data, Compressed, Bad };
  Lookup lookup(u64 guest_cluster, u64& entry, u64& l2_offset);
  bool read_compressed(u64 entry, std::vector<u8>& cluster);

  // Allocation and refcounts.
  u64 allocate_clusters(u64 count);  // at the end of the file; 0 on failure
  bool set_refcount(u64 host_offset, u16 value);
  bool add_refcount(u64 host_offset, int delta);
  std::optional<u16> refcount(u64 host_offset);
  bool load_refcount_block(u64 block_offset, std::vector<u16>*& block);
  bool grow_refcount_table(u64 needed_index);
  bool rebuild_refcounts(const std::vector<u16>& expected);
  bool count_references(std::vector<u16>& counts, Qcow2CheckResult& result, bool include_refcount_structures);

  bool set_l2_entry(u64 guest_cluster, u64 entry);
  BlockStatus write_cluster(u64 guest_cluster, u64 offset_in_cluster, std::span<const u8> in);
  BlockStatus io_error(const std::string& what);
  bool mark_dirty(bool dirty);

  ImageFile file_;
  Qcow2Header header_;
  std::vector<u64> l1_;
  std::vector<u64> refcount_table_;
  std::map<u64, std::vector<u64>> l2_cache_;
  std::map<u64, std::vector<u16>> refcount_cache_;
  std::unique_ptr<BlockDevice> backing_;
  u64 file_end_ = 0;             // the next cluster-aligned free offset
  u64 compressed_cursor_ = 0;    // where the next compressed cluster may start (0 = none)
  bool lazy_refcounts_ = false;  // refcounts are rebuilt at close (the image is dirty meanwhile)
  bool dirty_marked_ = false;
  std::string error_;
};

}  // namespace emu
