// User-mode NAT through libslirp (Debian's libslirp): the guest's network is 10.0.2.0/24 with
// the host (gateway) at 10.0.2.2, DNS at 10.0.2.3 and DHCP handing out 10.0.2.15 onwards, as in
// QEMU's `-nic user`; connections leave through ordinary host sockets, and hostfwd= forwards host
// ports to the guest. Slirp's protocol emulation (enable_emu) stays off: it is not safe.
#pragma once
#include <poll.h>

#include <deque>
#include <memory>
#include <string>
#include <vector>

#include "devices/net/net_backend.h"

struct Slirp;

namespace emu {

struct SlirpOptions {
  std::string net = "10.0.2.0/24";  // the guest network
  std::string host = "10.0.2.2";    // the gateway (the host as the guest sees it)
  std::string dns = "10.0.2.3";
  std::string dhcp_start = "10.0.2.15";
  std::string hostname;
  bool restrict = false;  // restrict=on: the guest cannot reach the outside, only forwards
  struct Forward {
    bool udp = false;
    std::string host_address;  // empty: any
    int host_port = 0;
    std::string guest_address;  // empty: the first DHCP address
    int guest_port = 0;
  };
  std::vector<Forward> forwards;
};

// Parses a hostfwd value: [tcp|udp]:[hostaddr]:hostport-[guestaddr]:guestport.
bool parse_hostfwd(const std::string& text, SlirpOptions::Forward& out, std::string& error);

class SlirpBackend final : public NetBackend {
 public:
  static std::unique_ptr<SlirpBackend> create(const SlirpOptions& options, std::string& error);
  ~SlirpBackend() override;

  void send(std::span<const u8> frame) override;
  void poll() override;
  void add_wait_fds(std::vector<pollfd>& fds) override;
  std::string describe() const override;

  struct Counters {
    u64 to_host_frames = 0, to_guest_frames = 0, dropped = 0;
  };
  const Counters& counters() const { return counters_; }

 private:
  SlirpBackend() = default;
  struct Timer;
  static ssize_t on_send_packet(const void* buffer, size_t length, void* opaque);
  static void on_guest_error(const char* message, void* opaque);
  static int64_t on_clock(void* opaque);
  static void* on_timer_new(void (*callback)(void*), void* callback_opaque, void* opaque);
  static void on_timer_free(void* timer, void* opaque);
  static void on_timer_mod(void* timer, int64_t expire_ms, void* opaque);
  static void on_register_fd(int, void*) {}
  static void on_notify(void*) {}
  static int on_add_poll(int fd, int events, void* opaque);
  static int on_get_revents(int index, void* opaque);

  Slirp* slirp_ = nullptr;
  std::string description_;
  std::vector<std::unique_ptr<Timer>> timers_;
  std::deque<std::vector<u8>> to_guest_;
  std::vector<pollfd> fds_;
  Counters counters_;
};

}  // namespace emu
