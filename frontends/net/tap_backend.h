// A host TAP interface (`-netdev tap,ifname=NAME`): the guest's frames appear on a Linux network
// interface the host can bridge, route or address, for users who want the guest on their LAN.
// Creating a TAP needs CAP_NET_ADMIN, unless it was made beforehand for this user
// (`ip tuntap add NAME mode tap user $USER`). script=PATH runs `PATH NAME` once the interface
// exists, downscript=PATH when emu leaves; both default to none (QEMU's default is
// /etc/qemu-ifup, which Debian does not install).
#pragma once
#include <deque>
#include <memory>
#include <string>
#include <vector>

#include "devices/net/net_backend.h"

namespace emu {

struct TapOptions {
  std::string ifname;  // empty: the kernel names it (tap0, tap1, ...)
  std::string script, downscript;
};

class TapBackend final : public NetBackend {
 public:
  static std::unique_ptr<TapBackend> create(const TapOptions& options, std::string& error);
  ~TapBackend() override;

  void send(std::span<const u8> frame) override;
  void poll() override;
  void add_wait_fds(std::vector<pollfd>& fds) override;
  std::string describe() const override;
  const std::string& ifname() const { return ifname_; }

 private:
  TapBackend() = default;

  int fd_ = -1;
  std::string ifname_, downscript_;
  std::deque<std::vector<u8>> to_guest_;
  std::vector<u8> scratch_;  // one frame read from the interface
  u64 sent_ = 0, received_ = 0, dropped_ = 0;
};

// Runs `script ifname` and waits for it; false and a reason if it did not exit 0.
bool run_interface_script(const std::string& script, const std::string& ifname, std::string& error);

}  // namespace emu
