// A private network between emu VMs over host sockets (`-netdev socket,...`), QEMU's socket
// netdev on the wire so an emu VM and a QEMU VM can share one:
//   listen=[HOST]:PORT   a TCP server; one peer at a time, and a new one after it leaves
//   connect=HOST:PORT    a TCP client of a listening VM
//   mcast=GROUP:PORT     a UDP multicast group: every VM that joins sees every frame, a hub
//   udp=HOST:PORT,localaddr=HOST:PORT   unicast UDP between two VMs
// On a TCP stream each frame is a 4-byte big-endian length and the frame; on UDP one datagram is
// one frame. Nothing here is a switch: every frame reaches every peer, and the cards' address
// filters (devices/pcnet) drop what is not theirs.
#pragma once
#include <netinet/in.h>

#include <array>
#include <deque>
#include <memory>
#include <string>
#include <vector>

#include "devices/net/net_backend.h"

namespace emu {

struct SocketNetOptions {
  enum class Mode { Listen, Connect, Multicast, Udp };
  Mode mode = Mode::Listen;
  std::string address;  // HOST:PORT of listen=, connect=, mcast= or udp=
  std::string local;    // localaddr=: the interface address for mcast=, HOST:PORT to bind for udp=
};

// Parses HOST:PORT (HOST may be empty: `empty_host`) into an IPv4 address, or says why not.
bool parse_socket_address(const std::string& text, const char* empty_host, sockaddr_in& out, std::string& error);

class SocketBackend final : public NetBackend {
 public:
  static std::unique_ptr<SocketBackend> create(const SocketNetOptions& options, std::string& error);
  ~SocketBackend() override;

  void send(std::span<const u8> frame) override;
  void poll() override;
  void add_wait_fds(std::vector<pollfd>& fds) override;
  // A stream backend is up while it has a peer; a datagram one always.
  bool link_up() const override;
  std::string describe() const override;

  struct Counters {
    u64 sent_frames = 0, received_frames = 0, dropped = 0, connections = 0;
  };
  const Counters& counters() const { return counters_; }
  // The TCP port a listen= backend is bound to (for listen=:0 in tests).
  int listening_port() const;

 private:
  SocketBackend() = default;
  bool stream() const { return mode_ == SocketNetOptions::Mode::Listen || mode_ == SocketNetOptions::Mode::Connect; }
  void accept_peer();
  void drop_peer(const char* why);
  void read_stream();
  void flush_stream();
  void read_datagrams();
  void deliver_pending();

  SocketNetOptions::Mode mode_ = SocketNetOptions::Mode::Listen;
  std::string description_;
  int listen_fd_ = -1;         // listen=
  int peer_fd_ = -1;           // the stream to the peer, or the datagram socket
  sockaddr_in destination_{};  // where datagrams go (mcast= group or udp= peer)
  std::vector<u8> in_;         // stream bytes received and not yet framed
  std::vector<u8> out_;        // stream bytes waiting for the socket
  std::deque<std::vector<u8>> to_guest_;
  std::vector<u8> scratch_;                  // one datagram
  std::vector<std::array<u8, 6>> own_macs_;  // source MACs this VM sent: a multicast group echoes them
  Counters counters_;
};

}  // namespace emu
