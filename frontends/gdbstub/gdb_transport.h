// How the gdb stub talks to its client. GdbConnection is a byte stream to one client; the server
// uses nothing else, so the unit tests drive it through an in-memory connection and the machine
// through TCP.
#pragma once
#include <memory>
#include <string>
#include <string_view>

#include "core/types.h"

namespace emu::gdb {

class GdbConnection {
 public:
  virtual ~GdbConnection() = default;
  // Sends all of `bytes`. False when the client has gone.
  virtual bool write(std::string_view bytes) = 0;
  // Appends what has arrived to `out`. With `wait`, blocks until at least one byte arrives.
  // False when the client has gone (end of stream or error).
  virtual bool read(std::string& out, bool wait) = 0;
};

// A listening IPv4 TCP socket for one client at a time (`-gdb tcp::1234`, `-s`).
class TcpGdbListener {
 public:
  // `spec` is "tcp::PORT" or "tcp:HOST:PORT" (QEMU's chardev spelling). An empty host means
  // 127.0.0.1, not every interface: the stub can read and write all of guest memory, so it is
  // only reachable from other machines when asked for ("tcp:0.0.0.0:1234"). PORT 0 picks a free
  // port (see port()). Returns nullptr and a reason when the spec is bad or the bind fails.
  static std::unique_ptr<TcpGdbListener> open(const std::string& spec, std::string& error);
  ~TcpGdbListener();
  TcpGdbListener(const TcpGdbListener&) = delete;
  TcpGdbListener& operator=(const TcpGdbListener&) = delete;

  u16 port() const { return port_; }
  // The next client; nullptr when none is waiting (`wait` false) or accept failed.
  std::unique_ptr<GdbConnection> accept(bool wait);

 private:
  TcpGdbListener(int fd, u16 port) : fd_(fd), port_(port) {}
  int fd_;
  u16 port_;
};

}  // namespace emu::gdb
