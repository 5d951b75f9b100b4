#include "frontends/gdbstub/gdb_transport.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace emu::gdb {

namespace {

class TcpGdbConnection final : public GdbConnection {
 public:
  explicit TcpGdbConnection(int fd) : fd_(fd) {}
  ~TcpGdbConnection() override { ::close(fd_); }

  bool write(std::string_view bytes) override {
    while (!bytes.empty()) {
      // MSG_NOSIGNAL: a client that hung up is an error return, not a SIGPIPE for the emulator.
      const ssize_t n = ::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) return false;
      bytes.remove_prefix(static_cast<std::size_t>(n));
    }
    return true;
  }

  bool read(std::string& out, bool wait) override {
    pollfd p{fd_, POLLIN, 0};
    for (;;) {
      const int ready = ::poll(&p, 1, wait ? -1 : 0);
      if (ready < 0 && errno == EINTR) continue;
      if (ready < 0) return false;
      if (ready == 0) return true;  // nothing yet
      char buffer[4096];
      const ssize_t n = ::recv(fd_, buffer, sizeof buffer, 0);
      if (n < 0 && (errno == EINTR || errno == EAGAIN)) continue;
      if (n <= 0) return false;
      out.append(buffer, static_cast<std::size_t>(n));
      return true;
    }
  }

 private:
  int fd_;
};

}  // namespace

std::unique_ptr<TcpGdbListener> TcpGdbListener::open(const std::string& spec, std::string& error) {
  // tcp:HOST:PORT — the host may be empty; the port is the text after the last colon.
  if (spec.rfind("tcp:", 0) != 0 || spec.find(':', 4) == std::string::npos) {
    error = "'" + spec + "' is not tcp::PORT or tcp:HOST:PORT";
    return nullptr;
  }
  const std::size_t colon = spec.rfind(':');
  std::string host = spec.substr(4, colon - 4);
  const std::string port_text = spec.substr(colon + 1);
  char* end = nullptr;
  const unsigned long port = std::strtoul(port_text.c_str(), &end, 10);
  if (port_text.empty() || *end || port > 65535) {
    error = "'" + port_text + "' is not a TCP port number";
    return nullptr;
  }
  if (host.empty()) host = "127.0.0.1";

  addrinfo hints{};
  hints.ai_family = AF_INET;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* found = nullptr;
  if (const int rc = ::getaddrinfo(host.c_str(), nullptr, &hints, &found); rc != 0 || !found) {
    error = "cannot resolve '" + host + "': " + ::gai_strerror(rc);
    return nullptr;
  }
  sockaddr_in address = *reinterpret_cast<const sockaddr_in*>(found->ai_addr);
  ::freeaddrinfo(found);
  address.sin_port = htons(static_cast<u16>(port));

  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    error = std::string("socket: ") + std::strerror(errno);
    return nullptr;
  }
  const int one = 1;
  ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  if (::bind(fd, reinterpret_cast<const sockaddr*>(&address), sizeof address) < 0 || ::listen(fd, 1) < 0) {
    error = "cannot listen on " + host + ":" + port_text + ": " + std::strerror(errno);
    ::close(fd);
    return nullptr;
  }
  socklen_t length = sizeof address;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length);
  return std::unique_ptr<TcpGdbListener>(new TcpGdbListener(fd, ntohs(address.sin_port)));
}

TcpGdbListener::~TcpGdbListener() { ::close(fd_); }

std::unique_ptr<GdbConnection> TcpGdbListener::accept(bool wait) {
  pollfd p{fd_, POLLIN, 0};
  int ready;
  do ready = ::poll(&p, 1, wait ? -1 : 0);
  while (ready < 0 && errno == EINTR);
  if (ready <= 0) return nullptr;
  const int client = ::accept4(fd_, nullptr, nullptr, SOCK_CLOEXEC);
  if (client < 0) return nullptr;
  // Packets are small and answered one by one: send them at once.
  const int one = 1;
  ::setsockopt(client, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  return std::make_unique<TcpGdbConnection>(client);
}

}  // namespace emu::gdb
