#include "frontends/net/tap_backend.h"

#include <fcntl.h>
#include <linux/if.h>
#include <linux/if_tun.h>
#include <spawn.h>
#include <sys/ioctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

extern char** environ;

namespace emu {

namespace {
constexpr size_t kQueueFrames = 256;
constexpr size_t kMinFrame = 60;
constexpr size_t kMaxFrame = 65535;
}  // namespace

bool run_interface_script(const std::string& script, const std::string& ifname, std::string& error) {
  pid_t pid = 0;
  char* argv[] = {const_cast<char*>(script.c_str()), const_cast<char*>(ifname.c_str()), nullptr};
  if (const int rc = posix_spawn(&pid, script.c_str(), nullptr, nullptr, argv, environ); rc != 0) {
    error = "cannot run " + script + ": " + std::strerror(rc);
    return false;
  }
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    error =
        script + " " + ifname + " failed (status " + std::to_string(WIFEXITED(status) ? WEXITSTATUS(status) : -1) + ")";
    return false;
  }
  return true;
}

std::unique_ptr<TapBackend> TapBackend::create(const TapOptions& o, std::string& error) {
  std::unique_ptr<TapBackend> b(new TapBackend());
  if (o.ifname.size() >= IFNAMSIZ) {
    error = "ifname='" + o.ifname + "' is longer than " + std::to_string(IFNAMSIZ - 1) + " characters";
    return nullptr;
  }
  b->fd_ = open("/dev/net/tun", O_RDWR | O_NONBLOCK | O_CLOEXEC);
  if (b->fd_ < 0) {
    error = std::string("/dev/net/tun: ") + std::strerror(errno);
    return nullptr;
  }
  ifreq request{};
  request.ifr_flags = IFF_TAP | IFF_NO_PI;  // Ethernet frames, without the packet-information header
  std::strncpy(request.ifr_name, o.ifname.c_str(), IFNAMSIZ - 1);
  if (ioctl(b->fd_, TUNSETIFF, &request) != 0) {
    const int e = errno;
    error =
        "cannot open " + (o.ifname.empty() ? std::string("a new tap") : "ifname=" + o.ifname) + ": " + std::strerror(e);
    if (e == EPERM)
      error += " (creating a tap needs CAP_NET_ADMIN; or make it first: ip tuntap add " +
               (o.ifname.empty() ? std::string("tap0") : o.ifname) + " mode tap user $USER)";
    return nullptr;
  }
  b->ifname_ = request.ifr_name;
  if (!o.script.empty() && !run_interface_script(o.script, b->ifname_, error)) return nullptr;
  b->downscript_ = o.downscript;
  return b;
}

TapBackend::~TapBackend() {
  if (fd_ >= 0) close(fd_);
  std::string error;
  if (!downscript_.empty() && !run_interface_script(downscript_, ifname_, error))
    std::fprintf(stderr, "emu: tap: %s\n", error.c_str());
}

void TapBackend::send(std::span<const u8> frame) {
  // One write is one frame. An interface that is down or full (EIO, EAGAIN) loses it, as a wire would.
  if (write(fd_, frame.data(), frame.size()) == static_cast<ssize_t>(frame.size()))
    ++sent_;
  else
    ++dropped_;
}

void TapBackend::poll() {
  scratch_.resize(kMaxFrame);
  while (to_guest_.size() < kQueueFrames) {
    const ssize_t n = read(fd_, scratch_.data(), scratch_.size());
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    to_guest_.emplace_back(scratch_.begin(), scratch_.begin() + n);
    if (to_guest_.back().size() < kMinFrame) to_guest_.back().resize(kMinFrame, 0);
  }
  while (!to_guest_.empty() && receiver_ && receiver_->can_receive()) {
    receiver_->receive(to_guest_.front());
    to_guest_.pop_front();
    ++received_;
  }
}

void TapBackend::add_wait_fds(std::vector<pollfd>& fds) {
  if (to_guest_.size() < kQueueFrames) fds.push_back({fd_, POLLIN, 0});
}

std::string TapBackend::describe() const {
  char line[160];
  std::snprintf(line, sizeof line, "tap: ifname=%s (sent %llu frames, received %llu, dropped %llu, queued %zu)",
                ifname_.c_str(), static_cast<unsigned long long>(sent_), static_cast<unsigned long long>(received_),
                static_cast<unsigned long long>(dropped_), to_guest_.size());
  return line;
}

}  // namespace emu
