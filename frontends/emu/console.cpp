#include "frontends/emu/console.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <termios.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "core/timeline.h"

namespace emu {

namespace {

constexpr u8 kCtrlA = 0x01;

struct termios saved_termios;
bool termios_saved = false;

void restore_terminal() {
  if (termios_saved) tcsetattr(STDIN_FILENO, TCSANOW, &saved_termios);
}

void enter_raw_mode() {
  if (!isatty(STDIN_FILENO) || termios_saved) return;
  if (tcgetattr(STDIN_FILENO, &saved_termios) != 0) return;
  termios_saved = true;
  std::atexit(restore_terminal);
  struct termios raw = saved_termios;
  cfmakeraw(&raw);
  raw.c_oflag |= OPOST | ONLCR;  // keep "\n" -> "\r\n" on output, as QEMU's stdio does
  tcsetattr(STDIN_FILENO, TCSANOW, &raw);
}

}  // namespace

StdioSerial::StdioSerial(Timeline& timeline, ConsoleRequests& requests, bool escapes)
    : timeline_(timeline), requests_(requests), escapes_(escapes) {
  enter_raw_mode();
  thread_ = std::thread([this] { reader(); });
}

StdioSerial::~StdioSerial() {
  stopping_ = true;
  // The reader thread blocks in poll() with a timeout, so it notices within 100 ms.
  if (thread_.joinable()) thread_.join();
  restore_terminal();
}

void StdioSerial::transmit(u8 byte) {
  std::fputc(byte, stdout);
  unflushed_ = true;
}

void StdioSerial::reader() {
  while (!stopping_) {
    struct pollfd p = {STDIN_FILENO, POLLIN, 0};
    const int ready = ::poll(&p, 1, 100);
    if (ready <= 0) continue;
    u8 buffer[256];
    const ssize_t n = ::read(STDIN_FILENO, buffer, sizeof buffer);
    if (n <= 0) return;  // end of input: the guest simply gets no more keys
    for (ssize_t k = 0; k < n; ++k) input(buffer[k]);
    timeline_.wake();
  }
}

void StdioSerial::input(u8 byte) {
  if (escapes_ && escape_pending_) {
    escape_pending_ = false;
    switch (byte) {
      case 'x':
        std::fputs("\r\nemu: terminated (Ctrl-A x)\r\n", stderr);
        requests_.quit = true;
        return;
      case 'c': requests_.monitor_toggle = true; return;
      case 'h':
        std::fputs(
            "\r\nC-a h    this help\r\nC-a x    exit emu\r\nC-a c    switch between the console and the "
            "monitor\r\nC-a C-a  send C-a\r\n",
            stderr);
        return;
      case kCtrlA: break;  // a literal Ctrl-A
      default: return;
    }
  } else if (escapes_ && byte == kCtrlA) {
    escape_pending_ = true;
    return;
  }
  std::lock_guard lock(mutex_);
  if (monitor_mode_) {
    if (byte == '\r' || byte == '\n') {
      std::fputs("\r\n", stdout);
      lines_.push_back(line_);
      line_.clear();
    } else if (byte == 0x7F || byte == 0x08) {
      if (!line_.empty()) line_.pop_back(), std::fputs("\b \b", stdout);
    } else {
      line_.push_back(static_cast<char>(byte));
      std::fputc(byte, stdout);
    }
    std::fflush(stdout);
    return;
  }
  queue_.push_back(byte);
}

bool StdioSerial::take_line(std::string& line) {
  std::lock_guard lock(mutex_);
  if (lines_.empty()) return false;
  line = lines_.front();
  lines_.pop_front();
  return true;
}

void StdioSerial::pump(Uart16550& uart) {
  // Output is flushed once a slice (about a millisecond), not per byte: a prompt without a
  // newline must reach whoever watches stdout, and a kernel log must not cost a write per byte.
  if (unflushed_) {
    std::fflush(stdout);
    unflushed_ = false;
  }
  std::lock_guard lock(mutex_);
  while (!queue_.empty() && uart.rx_space() > 0) {
    uart.receive(queue_.front());
    queue_.pop_front();
  }
}

FileSerial::~FileSerial() {
  if (out_) std::fclose(out_);
}

void FileSerial::transmit(u8 byte) {
  if (!out_) return;
  std::fputc(byte, out_);
  unflushed_ = true;
}

void FileSerial::pump(Uart16550&) {
  if (unflushed_) std::fflush(out_);
  unflushed_ = false;
}

TcpSerial::TcpSerial(Timeline& timeline, int listen_fd, bool wait) : timeline_(timeline), listen_fd_(listen_fd) {
  if (wait) {
    std::fprintf(stderr, "emu: waiting for a connection to the serial port's socket\n");
    while (client_fd_ < 0) {
      struct pollfd p = {listen_fd_, POLLIN, 0};
      if (::poll(&p, 1, -1) > 0) accept_client();
    }
  }
}

TcpSerial::~TcpSerial() {
  if (client_fd_ >= 0) ::close(client_fd_);
  ::close(listen_fd_);
}

void TcpSerial::accept_client() {
  const int fd = ::accept(listen_fd_, nullptr, nullptr);
  if (fd < 0) return;
  if (client_fd_ >= 0) {
    ::close(fd);  // one client at a time
    return;
  }
  ::fcntl(fd, F_SETFL, O_NONBLOCK);
  client_fd_ = fd;
}

void TcpSerial::transmit(u8 byte) {
  if (client_fd_ < 0) return;  // nobody listening: the byte is lost, as on an unplugged line
  if (::send(client_fd_, &byte, 1, MSG_NOSIGNAL) < 0 && errno != EAGAIN) {
    ::close(client_fd_);
    client_fd_ = -1;
  }
}

void TcpSerial::pump(Uart16550& uart) {
  if (client_fd_ < 0) {
    struct pollfd p = {listen_fd_, POLLIN, 0};
    if (::poll(&p, 1, 0) > 0) accept_client();
    return;
  }
  if (queue_.size() < 4096) {
    u8 buffer[256];
    const ssize_t n = ::recv(client_fd_, buffer, sizeof buffer, 0);
    if (n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK)) {
      ::close(client_fd_);
      client_fd_ = -1;
    } else if (n > 0) {
      queue_.insert(queue_.end(), buffer, buffer + n);
    }
  }
  while (!queue_.empty() && uart.rx_space() > 0) {
    uart.receive(queue_.front());
    queue_.pop_front();
  }
}

namespace {

// "tcp:HOST:PORT,server[,nowait]" -> a listening socket.
int listen_tcp(const std::string& spec, bool& wait, std::string& error) {
  std::string rest = spec.substr(4);
  std::string options;
  if (const auto comma = rest.find(','); comma != std::string::npos) {
    options = rest.substr(comma);
    rest = rest.substr(0, comma);
  }
  if (options.find(",server") == std::string::npos) {
    error = "'" + spec + "': only server sockets are supported (add ,server)";
    return -1;
  }
  wait = options.find(",nowait") == std::string::npos && options.find(",wait=off") == std::string::npos;
  const auto colon = rest.rfind(':');
  if (colon == std::string::npos) {
    error = "'" + spec + "': give tcp:HOST:PORT";
    return -1;
  }
  const std::string host = rest.substr(0, colon);
  const int port = std::atoi(rest.c_str() + colon + 1);
  if (port <= 0 || port > 65535) {
    error = "'" + spec + "': bad port";
    return -1;
  }
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  const int one = 1;
  ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  struct sockaddr_in addr = {};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<u16>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (!host.empty() && inet_pton(AF_INET, host.c_str(), &addr.sin_addr) != 1) {
    error = "'" + spec + "': '" + host + "' is not an IPv4 address";
    ::close(fd);
    return -1;
  }
  if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) < 0 || ::listen(fd, 1) < 0) {
    error = "'" + spec + "': " + std::strerror(errno);
    ::close(fd);
    return -1;
  }
  return fd;
}

// "unix:PATH,server[,nowait]" -> a listening socket (an old socket file at PATH is replaced).
int listen_unix(const std::string& spec, bool& wait, std::string& path, std::string& error) {
  std::string rest = spec.substr(5);
  std::string options;
  if (const auto comma = rest.find(','); comma != std::string::npos) {
    options = rest.substr(comma);
    rest = rest.substr(0, comma);
  }
  if (options.find(",server") == std::string::npos) {
    error = "'" + spec + "': only server sockets are supported (add ,server)";
    return -1;
  }
  wait = options.find(",nowait") == std::string::npos && options.find(",wait=off") == std::string::npos;
  struct sockaddr_un addr = {};
  addr.sun_family = AF_UNIX;
  if (rest.empty() || rest.size() >= sizeof addr.sun_path) {
    error = "'" + spec + "': give unix:PATH with a path shorter than " + std::to_string(sizeof addr.sun_path);
    return -1;
  }
  std::memcpy(addr.sun_path, rest.c_str(), rest.size() + 1);
  const int fd = ::socket(AF_UNIX, SOCK_STREAM, 0);
  ::unlink(rest.c_str());
  if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) < 0 || ::listen(fd, 1) < 0) {
    error = "'" + spec + "': " + std::strerror(errno);
    ::close(fd);
    return -1;
  }
  path = rest;
  return fd;
}

}  // namespace

std::unique_ptr<MonitorSocket> MonitorSocket::open(const std::string& spec, std::string& error) {
  bool wait = true;
  std::string path;
  int fd = -1;
  if (spec.rfind("tcp:", 0) == 0)
    fd = listen_tcp(spec, wait, error);
  else if (spec.rfind("unix:", 0) == 0)
    fd = listen_unix(spec, wait, path, error);
  else
    error = "'" + spec + "' is not stdio, none, tcp:HOST:PORT,server or unix:PATH,server";
  if (fd < 0) return nullptr;
  std::unique_ptr<MonitorSocket> socket(new MonitorSocket(fd, path));
  if (wait) {
    std::fprintf(stderr, "emu: waiting for a connection to the monitor's socket (%s)\n", spec.c_str());
    socket->wait_for_client();
  }
  return socket;
}

MonitorSocket::~MonitorSocket() {
  drop_client();
  ::close(listen_fd_);
  if (!unix_path_.empty()) ::unlink(unix_path_.c_str());
}

void MonitorSocket::wait_for_client() {
  while (client_fd_ < 0) {
    struct pollfd p = {listen_fd_, POLLIN, 0};
    if (::poll(&p, 1, -1) > 0) accept_client();
  }
}

void MonitorSocket::accept_client() {
  const int fd = ::accept(listen_fd_, nullptr, nullptr);
  if (fd < 0) return;
  if (client_fd_ >= 0) {
    ::close(fd);  // one client at a time
    return;
  }
  ::fcntl(fd, F_SETFL, O_NONBLOCK);
  client_fd_ = fd;
  pending_.clear();
  send("emu monitor - type 'help' for more information\n(emu) ");
}

void MonitorSocket::drop_client() {
  if (client_fd_ >= 0) ::close(client_fd_);
  client_fd_ = -1;
}

bool MonitorSocket::take_line(std::string& line) {
  if (client_fd_ < 0) {
    struct pollfd p = {listen_fd_, POLLIN, 0};
    if (::poll(&p, 1, 0) > 0) accept_client();
    if (client_fd_ < 0) return false;
  }
  // A line is at most 4 KiB: a client that sends more without a newline loses the excess.
  if (pending_.find('\n') == std::string::npos && pending_.size() < 4096) {
    char buffer[512];
    const ssize_t n = ::recv(client_fd_, buffer, sizeof buffer, 0);
    if (n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK)) {
      drop_client();
      return false;
    }
    if (n > 0) pending_.append(buffer, static_cast<size_t>(n));
  }
  const auto newline = pending_.find('\n');
  if (newline == std::string::npos) {
    if (pending_.size() >= 4096) pending_.clear();
    return false;
  }
  line = pending_.substr(0, newline);
  if (!line.empty() && line.back() == '\r') line.pop_back();
  pending_.erase(0, newline + 1);
  return true;
}

void MonitorSocket::send(const std::string& text) {
  size_t sent = 0;
  while (client_fd_ >= 0 && sent < text.size()) {
    const ssize_t n = ::send(client_fd_, text.data() + sent, text.size() - sent, MSG_NOSIGNAL);
    if (n > 0) {
      sent += static_cast<size_t>(n);
    } else if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
      struct pollfd p = {client_fd_, POLLOUT, 0};
      if (::poll(&p, 1, 1000) <= 0) drop_client();  // a client that stops reading is let go
    } else {
      drop_client();
    }
  }
}

std::unique_ptr<HostSerial> open_serial(const std::string& spec, Timeline& timeline, ConsoleRequests& requests,
                                        std::string& error) {
  if (spec == "stdio" || spec == "mon:stdio") return std::make_unique<StdioSerial>(timeline, requests, true);
  if (spec == "null" || spec == "none") return std::make_unique<FileSerial>(nullptr);
  if (spec == "stdout") return std::make_unique<FileSerial>(fdopen(dup(STDOUT_FILENO), "w"));  // output only
  if (spec.rfind("file:", 0) == 0) {
    std::FILE* f = std::fopen(spec.c_str() + 5, "w");
    if (!f) {
      error = "cannot open '" + spec.substr(5) + "': " + std::strerror(errno);
      return nullptr;
    }
    return std::make_unique<FileSerial>(f);
  }
  if (spec.rfind("tcp:", 0) == 0) {
    bool wait = true;
    const int fd = listen_tcp(spec, wait, error);
    if (fd < 0) return nullptr;
    return std::make_unique<TcpSerial>(timeline, fd, wait);
  }
  error = "'" + spec + "' is not a serial backend";
  return nullptr;
}

}  // namespace emu
