// A host file under an image driver: positioned reads and writes that either move every byte or
// say why not, fsync, and the lock that keeps two emu processes from writing one image.
#pragma once
#include <string>

#include "core/types.h"

namespace emu {

class ImageFile {
 public:
  ImageFile() = default;
  ImageFile(const ImageFile&) = delete;
  ImageFile& operator=(const ImageFile&) = delete;
  ImageFile(ImageFile&& other) noexcept { *this = std::move(other); }
  ImageFile& operator=(ImageFile&& other) noexcept;
  ~ImageFile();

  // Opens `path` for reading (and writing) and takes an OFD lock on it — shared for a reader,
  // exclusive for a writer (QEMU's image locking works the same way, so emu and QEMU also keep
  // out of each other's way). Returns an empty string, or why not.
  std::string open(const std::string& path, bool writable);
  // Creates (or truncates) `path` and takes the writer's lock.
  std::string create(const std::string& path);
  // An unlinked temporary file in $TMPDIR (for -snapshot overlays).
  std::string create_temporary();

  bool read(u64 offset, void* out, u64 length) const;  // false on a short read or an error
  bool write(u64 offset, const void* in, u64 length);
  bool flush();
  bool truncate(u64 length);
  u64 size() const;

  bool is_open() const { return fd_ >= 0; }
  bool writable() const { return writable_; }
  const std::string& path() const { return path_; }
  // errno's text for the last failed call.
  const std::string& error() const { return error_; }

 private:
  int fd_ = -1;
  bool writable_ = false;
  std::string path_;
  mutable std::string error_;
};

}  // namespace emu
