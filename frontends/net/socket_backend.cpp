#include "frontends/net/socket_backend.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>

namespace emu {

namespace {

constexpr size_t kQueueFrames = 256;        // frames read from the peer and not yet taken by the card
constexpr size_t kMaxStreamOut = 1u << 20;  // bytes waiting for a slow peer before frames are dropped
constexpr u32 kMaxFrame = 65535;            // NetReceiver's largest frame; QEMU's peers send ≤ 65536+4096
constexpr size_t kMinFrame = 60;            // Ethernet's minimum without FCS: runts are padded
constexpr size_t kOwnMacs = 8;

std::string describe_address(const sockaddr_in& a) {
  char host[INET_ADDRSTRLEN] = "?";
  inet_ntop(AF_INET, &a.sin_addr, host, sizeof host);
  return std::string(host) + ":" + std::to_string(ntohs(a.sin_port));
}

bool set_nonblocking(int fd) {
  const int flags = fcntl(fd, F_GETFL);
  return flags >= 0 && fcntl(fd, F_SETFL, flags | O_NONBLOCK) == 0;
}

}  // namespace

bool parse_socket_address(const std::string& text, const char* empty_host, sockaddr_in& out, std::string& error) {
  const auto colon = text.rfind(':');
  if (colon == std::string::npos) {
    error = "'" + text + "' is not HOST:PORT";
    return false;
  }
  std::string host = text.substr(0, colon);
  const std::string port_text = text.substr(colon + 1);
  char* end = nullptr;
  const long port = std::strtol(port_text.c_str(), &end, 10);
  if (port_text.empty() || *end || port < 0 || port > 65535) {
    error = "'" + text + "': bad port '" + port_text + "'";
    return false;
  }
  if (host.empty()) host = empty_host;
  addrinfo hints = {};
  hints.ai_family = AF_INET;  // QEMU's socket netdev is IPv4 too
  addrinfo* found = nullptr;
  if (const int rc = getaddrinfo(host.c_str(), nullptr, &hints, &found); rc != 0 || !found) {
    error = "'" + text + "': cannot resolve '" + host + "': " + gai_strerror(rc);
    return false;
  }
  out = *reinterpret_cast<const sockaddr_in*>(found->ai_addr);
  out.sin_port = htons(static_cast<u16>(port));
  freeaddrinfo(found);
  return true;
}

std::unique_ptr<SocketBackend> SocketBackend::create(const SocketNetOptions& o, std::string& error) {
  std::unique_ptr<SocketBackend> b(new SocketBackend());
  b->mode_ = o.mode;
  using Mode = SocketNetOptions::Mode;
  const char* key = o.mode == Mode::Listen      ? "listen"
                    : o.mode == Mode::Connect   ? "connect"
                    : o.mode == Mode::Multicast ? "mcast"
                                                : "udp";
  const std::string what = std::string(key) + "=" + o.address;
  auto fail = [&](const std::string& why) {
    error = what + ": " + why;
    return nullptr;
  };
  sockaddr_in address{};
  if (!parse_socket_address(o.address, o.mode == Mode::Listen ? "0.0.0.0" : "127.0.0.1", address, error))
    return fail(error);
  const int one = 1;
  switch (o.mode) {
    case Mode::Listen: {
      b->listen_fd_ = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
      if (b->listen_fd_ < 0) return fail(std::strerror(errno));
      setsockopt(b->listen_fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
      if (bind(b->listen_fd_, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0 ||
          listen(b->listen_fd_, 1) != 0)
        return fail(std::strerror(errno));
      break;
    }
    case Mode::Connect: {
      if (address.sin_port == 0) return fail("give the listening VM's port");
      b->peer_fd_ = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
      if (b->peer_fd_ < 0) return fail(std::strerror(errno));
      // Blocking, as QEMU does: the VM with listen= must be running first.
      if (connect(b->peer_fd_, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0)
        return fail(std::string(std::strerror(errno)) + " (start the VM with listen= first)");
      setsockopt(b->peer_fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
      set_nonblocking(b->peer_fd_);
      b->counters_.connections = 1;
      break;
    }
    case Mode::Multicast: {
      if (!IN_MULTICAST(ntohl(address.sin_addr.s_addr))) return fail("not a multicast group (224.0.0.0/4)");
      in_addr interface {};
      interface.s_addr = htonl(INADDR_ANY);
      if (!o.local.empty() && inet_pton(AF_INET, o.local.c_str(), &interface) != 1)
        return fail("localaddr='" + o.local + "' is not an IPv4 address");
      b->peer_fd_ = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
      if (b->peer_fd_ < 0) return fail(std::strerror(errno));
      // Every VM of the group binds the same port: SO_REUSEADDR lets them share it.
      setsockopt(b->peer_fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
      if (bind(b->peer_fd_, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0)
        return fail(std::string("bind: ") + std::strerror(errno));
      ip_mreq membership{};
      membership.imr_multiaddr = address.sin_addr;
      membership.imr_interface = interface;
      if (setsockopt(b->peer_fd_, IPPROTO_IP, IP_ADD_MEMBERSHIP, &membership, sizeof membership) != 0)
        return fail(std::string("cannot join the group: ") + std::strerror(errno) +
                    (o.local.empty() ? " (no multicast route? try localaddr=127.0.0.1)" : ""));
      // Loopback on, so VMs on this host hear each other (and this VM its own frames: see own_macs_).
      setsockopt(b->peer_fd_, IPPROTO_IP, IP_MULTICAST_LOOP, &one, sizeof one);
      if (!o.local.empty()) setsockopt(b->peer_fd_, IPPROTO_IP, IP_MULTICAST_IF, &interface, sizeof interface);
      b->destination_ = address;
      break;
    }
    case Mode::Udp: {
      if (o.local.empty()) return fail("give localaddr=HOST:PORT, the address this VM receives on");
      sockaddr_in local{};
      if (!parse_socket_address(o.local, "0.0.0.0", local, error)) return fail("localaddr=" + error);
      b->peer_fd_ = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
      if (b->peer_fd_ < 0) return fail(std::strerror(errno));
      setsockopt(b->peer_fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
      if (bind(b->peer_fd_, reinterpret_cast<sockaddr*>(&local), sizeof local) != 0)
        return fail("localaddr=" + o.local + ": " + std::strerror(errno));
      b->destination_ = address;
      break;
    }
  }
  b->description_ = "socket: " + what + (o.local.empty() ? "" : ",localaddr=" + o.local);
  return b;
}

SocketBackend::~SocketBackend() {
  if (peer_fd_ >= 0) close(peer_fd_);
  if (listen_fd_ >= 0) close(listen_fd_);
}

int SocketBackend::listening_port() const {
  sockaddr_in a{};
  socklen_t length = sizeof a;
  if (listen_fd_ < 0 || getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&a), &length) != 0) return -1;
  return ntohs(a.sin_port);
}

bool SocketBackend::link_up() const { return !stream() || peer_fd_ >= 0; }

void SocketBackend::send(std::span<const u8> frame) {
  if (frame.size() >= 12 && mode_ == SocketNetOptions::Mode::Multicast) {
    std::array<u8, 6> source;
    std::copy_n(frame.begin() + 6, 6, source.begin());
    if (std::find(own_macs_.begin(), own_macs_.end(), source) == own_macs_.end() && own_macs_.size() < kOwnMacs)
      own_macs_.push_back(source);
  }
  if (peer_fd_ < 0 || frame.empty() || frame.size() > kMaxFrame || out_.size() > kMaxStreamOut) {
    ++counters_.dropped;  // no peer yet, or it is not reading: a cable to nowhere
    return;
  }
  ++counters_.sent_frames;
  if (!stream()) {
    if (sendto(peer_fd_, frame.data(), frame.size(), MSG_DONTWAIT | MSG_NOSIGNAL,
               reinterpret_cast<const sockaddr*>(&destination_), sizeof destination_) < 0)
      ++counters_.dropped;
    return;
  }
  const u32 length = htonl(static_cast<u32>(frame.size()));
  const auto* length_bytes = reinterpret_cast<const u8*>(&length);
  out_.insert(out_.end(), length_bytes, length_bytes + 4);
  out_.insert(out_.end(), frame.begin(), frame.end());
  flush_stream();
}

void SocketBackend::poll() {
  if (stream()) {
    if (mode_ == SocketNetOptions::Mode::Listen && peer_fd_ < 0) accept_peer();
    flush_stream();
    read_stream();
  } else {
    read_datagrams();
  }
  deliver_pending();
}

void SocketBackend::add_wait_fds(std::vector<pollfd>& fds) {
  if (stream() && peer_fd_ < 0) {
    if (listen_fd_ >= 0) fds.push_back({listen_fd_, POLLIN, 0});
    return;
  }
  // Frames waiting for a full guest ring are not news: watch the socket again once it has room.
  short events = to_guest_.size() < kQueueFrames ? POLLIN : 0;
  if (!out_.empty()) events |= POLLOUT;
  if (events) fds.push_back({peer_fd_, events, 0});
}

void SocketBackend::accept_peer() {
  sockaddr_in from{};
  socklen_t length = sizeof from;
  const int fd = accept4(listen_fd_, reinterpret_cast<sockaddr*>(&from), &length, SOCK_NONBLOCK | SOCK_CLOEXEC);
  if (fd < 0) return;  // nobody yet (EAGAIN), or an aborted attempt
  const int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  peer_fd_ = fd;
  ++counters_.connections;
  std::fprintf(stderr, "emu: network socket: a peer joined from %s\n", describe_address(from).c_str());
}

void SocketBackend::drop_peer(const char* why) {
  std::fprintf(stderr, "emu: network socket: %s%s\n", why,
               mode_ == SocketNetOptions::Mode::Listen ? "; waiting for another peer" : "; the cable stays unplugged");
  close(peer_fd_);
  peer_fd_ = -1;
  in_.clear();
  out_.clear();
}

void SocketBackend::flush_stream() {
  size_t done = 0;
  while (peer_fd_ >= 0 && done < out_.size()) {
    const ssize_t n = ::send(peer_fd_, out_.data() + done, out_.size() - done, MSG_DONTWAIT | MSG_NOSIGNAL);
    if (n > 0) {
      done += static_cast<size_t>(n);
    } else if (n < 0 && errno == EINTR) {
      continue;
    } else if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
      break;
    } else {
      drop_peer(n < 0 ? std::strerror(errno) : "the peer stopped reading");
      return;
    }
  }
  out_.erase(out_.begin(), out_.begin() + static_cast<std::ptrdiff_t>(done));
}

// Stream bytes to frames. Reads only while few frames wait for the card, so a guest that is not
// receiving pushes back on its peer through TCP instead of growing a queue here.
void SocketBackend::read_stream() {
  u8 chunk[16384];
  while (peer_fd_ >= 0 && to_guest_.size() < kQueueFrames) {
    const ssize_t n = recv(peer_fd_, chunk, sizeof chunk, MSG_DONTWAIT);
    if (n == 0) return drop_peer("the peer closed the connection");
    if (n < 0) {
      if (errno == EINTR) continue;
      if (errno != EAGAIN && errno != EWOULDBLOCK) drop_peer(std::strerror(errno));
      return;
    }
    in_.insert(in_.end(), chunk, chunk + n);
    size_t at = 0;
    while (in_.size() - at >= 4) {
      u32 length;
      std::memcpy(&length, in_.data() + at, 4);
      length = ntohl(length);
      if (length == 0 || length > kMaxFrame) {
        // A stream that lost its framing cannot be resynchronised: hang up.
        return drop_peer(
            ("a frame length of " + std::to_string(length) + " bytes: not emu's or QEMU's socket protocol").c_str());
      }
      if (in_.size() - at - 4 < length) break;
      to_guest_.emplace_back(in_.begin() + static_cast<std::ptrdiff_t>(at + 4),
                             in_.begin() + static_cast<std::ptrdiff_t>(at + 4 + length));
      at += 4 + length;
    }
    in_.erase(in_.begin(), in_.begin() + static_cast<std::ptrdiff_t>(at));
  }
}

void SocketBackend::read_datagrams() {
  std::vector<u8>& datagram = scratch_;
  datagram.resize(kMaxFrame + 1);
  while (to_guest_.size() < kQueueFrames) {
    const ssize_t n = recv(peer_fd_, datagram.data(), datagram.size(), MSG_DONTWAIT);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return;
    if (static_cast<size_t>(n) > kMaxFrame) {
      ++counters_.dropped;
      continue;
    }
    // The group's echo of this VM's own frames: a card would take its own broadcasts back.
    if (n >= 12 && mode_ == SocketNetOptions::Mode::Multicast) {
      std::array<u8, 6> source;
      std::copy_n(datagram.begin() + 6, 6, source.begin());
      if (std::find(own_macs_.begin(), own_macs_.end(), source) != own_macs_.end()) continue;
    }
    to_guest_.emplace_back(datagram.begin(), datagram.begin() + n);
  }
}

void SocketBackend::deliver_pending() {
  while (!to_guest_.empty() && receiver_ && receiver_->can_receive()) {
    std::vector<u8>& frame = to_guest_.front();
    if (frame.size() < kMinFrame) frame.resize(kMinFrame, 0);
    receiver_->receive(frame);
    to_guest_.pop_front();
    ++counters_.received_frames;
  }
}

std::string SocketBackend::describe() const {
  std::string peer = "";
  if (stream()) {
    sockaddr_in a{};
    socklen_t length = sizeof a;
    peer = peer_fd_ >= 0 && getpeername(peer_fd_, reinterpret_cast<sockaddr*>(&a), &length) == 0
               ? ", peer " + describe_address(a)
               : ", no peer";
  }
  char line[160];
  std::snprintf(line, sizeof line, " (sent %llu frames, received %llu, dropped %llu, queued %zu)",
                static_cast<unsigned long long>(counters_.sent_frames),
                static_cast<unsigned long long>(counters_.received_frames),
                static_cast<unsigned long long>(counters_.dropped), to_guest_.size());
  return description_ + peer + line;
}

}  // namespace emu
