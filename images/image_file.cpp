#include "images/image_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>

namespace emu {

namespace {

// Open file description locks (fcntl F_OFD_SETLK, Linux 3.15): unlike POSIX record locks they
// belong to the open file, not the process, so closing another descriptor of the same file
// does not drop them. The whole file is locked: F_RDLCK for readers, F_WRLCK for a writer.
bool lock_whole_file(int fd, bool exclusive) {
  struct flock lock = {};
  lock.l_type = exclusive ? F_WRLCK : F_RDLCK;
  lock.l_whence = SEEK_SET;
  lock.l_start = 0;
  lock.l_len = 0;
  return ::fcntl(fd, F_OFD_SETLK, &lock) == 0;
}

}  // namespace

ImageFile& ImageFile::operator=(ImageFile&& other) noexcept {
  if (this != &other) {
    if (fd_ >= 0) ::close(fd_);
    fd_ = other.fd_;
    writable_ = other.writable_;
    path_ = std::move(other.path_);
    error_ = std::move(other.error_);
    other.fd_ = -1;
  }
  return *this;
}

ImageFile::~ImageFile() {
  if (fd_ >= 0) ::close(fd_);
}

std::string ImageFile::open(const std::string& path, bool writable) {
  const int fd = ::open(path.c_str(), (writable ? O_RDWR : O_RDONLY) | O_CLOEXEC);
  if (fd < 0) return "Could not open '" + path + "': " + std::strerror(errno);
  struct stat st;
  if (::fstat(fd, &st) == 0 && S_ISDIR(st.st_mode)) {
    ::close(fd);
    return "Could not open '" + path + "': Is a directory";
  }
  if (!lock_whole_file(fd, writable)) {
    const int e = errno;
    ::close(fd);
    if (e == EAGAIN || e == EACCES)
      return std::string("Failed to get \"") + (writable ? "write" : "shared") +
             "\" lock: is another process using the image [" + path + "]?";
    return "Could not lock '" + path + "': " + std::strerror(e);
  }
  if (fd_ >= 0) ::close(fd_);
  fd_ = fd;
  writable_ = writable;
  path_ = path;
  return {};
}

std::string ImageFile::create(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0) return "Could not create '" + path + "': " + std::strerror(errno);
  if (!lock_whole_file(fd, true)) {
    ::close(fd);
    return "Failed to get \"write\" lock: is another process using the image [" + path + "]?";
  }
  if (::ftruncate(fd, 0) != 0) {
    const int e = errno;
    ::close(fd);
    return "Could not truncate '" + path + "': " + std::strerror(e);
  }
  if (fd_ >= 0) ::close(fd_);
  fd_ = fd;
  writable_ = true;
  path_ = path;
  return {};
}

std::string ImageFile::create_temporary() {
  const char* dir = std::getenv("TMPDIR");
  std::string pattern = std::string(dir && *dir ? dir : "/tmp") + "/emu-snapshot-XXXXXX";
  const int fd = ::mkstemp(pattern.data());
  if (fd < 0) return "Could not create a temporary overlay in '" + pattern + "': " + std::strerror(errno);
  ::unlink(pattern.c_str());  // gone when emu exits, however it exits
  if (fd_ >= 0) ::close(fd_);
  fd_ = fd;
  writable_ = true;
  path_ = pattern;
  return {};
}

bool ImageFile::read(u64 offset, void* out, u64 length) const {
  auto* p = static_cast<u8*>(out);
  while (length) {
    const ssize_t n = ::pread(fd_, p, length, static_cast<off_t>(offset));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      error_ = n == 0 ? "read past the end of the file" : std::strerror(errno);
      return false;
    }
    p += n, offset += static_cast<u64>(n), length -= static_cast<u64>(n);
  }
  return true;
}

bool ImageFile::write(u64 offset, const void* in, u64 length) {
  const auto* p = static_cast<const u8*>(in);
  while (length) {
    const ssize_t n = ::pwrite(fd_, p, length, static_cast<off_t>(offset));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      error_ = n == 0 ? "no progress writing" : std::strerror(errno);
      return false;
    }
    p += n, offset += static_cast<u64>(n), length -= static_cast<u64>(n);
  }
  return true;
}

bool ImageFile::flush() {
  if (::fsync(fd_) == 0) return true;
  error_ = std::strerror(errno);
  return false;
}

bool ImageFile::truncate(u64 length) {
  if (::ftruncate(fd_, static_cast<off_t>(length)) == 0) return true;
  error_ = std::strerror(errno);
  return false;
}

u64 ImageFile::size() const {
  struct stat st;
  return ::fstat(fd_, &st) == 0 ? static_cast<u64>(st.st_size) : 0;
}

}  // namespace emu
