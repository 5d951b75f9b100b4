// Where the guest's serial ports go on the host: stdio (with QEMU's Ctrl-A escapes), a file, a
// TCP socket, or nowhere. Input is read on a helper thread and handed to the machine's thread
// through a queue; the machine drains it into the UART as the FIFO makes room (DESIGN §5: the
// CPU thread owns every device).
#pragma once
#include <atomic>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "devices/uart16550/uart16550.h"

namespace emu {

class Timeline;

class HostSerial : public SerialBackend {
 public:
  ~HostSerial() override = default;
  // Moves queued input into the UART while its receive FIFO has room (CPU thread).
  virtual void pump(Uart16550&) {}
};

// What Ctrl-A escapes on the console ask for (QEMU's mux: x quit, c monitor, h help).
struct ConsoleRequests {
  std::atomic<bool> quit{false};
  std::atomic<bool> monitor_toggle{false};
};

// stdin/stdout. On a terminal, stdin goes to raw mode (restored at exit) so keys reach the
// guest unchanged; Ctrl-A starts an escape.
class StdioSerial final : public HostSerial {
 public:
  StdioSerial(Timeline& timeline, ConsoleRequests& requests, bool escapes);
  ~StdioSerial() override;
  void transmit(u8 byte) override;
  void pump(Uart16550& uart) override;
  // While the monitor has the console, input lines go to it instead of the guest.
  bool take_line(std::string& line);
  void set_monitor_mode(bool on) { monitor_mode_ = on; }
  bool monitor_mode() const { return monitor_mode_; }

 private:
  void reader();
  void input(u8 byte);

  Timeline& timeline_;
  ConsoleRequests& requests_;
  const bool escapes_;
  bool escape_pending_ = false;
  std::atomic<bool> monitor_mode_{false};
  std::mutex mutex_;
  std::deque<u8> queue_;
  std::string line_;
  std::deque<std::string> lines_;
  std::thread thread_;
  std::atomic<bool> stopping_{false};
  bool unflushed_ = false;
};

class FileSerial final : public HostSerial {
 public:
  explicit FileSerial(std::FILE* out) : out_(out) {}
  ~FileSerial() override;
  void transmit(u8 byte) override;
  void pump(Uart16550&) override;

 private:
  std::FILE* out_;
  bool unflushed_ = false;
};

// tcp:HOST:PORT,server[,nowait]: listens and serves one client at a time.
class TcpSerial final : public HostSerial {
 public:
  TcpSerial(Timeline& timeline, int listen_fd, bool wait);
  ~TcpSerial() override;
  void transmit(u8 byte) override;
  void pump(Uart16550& uart) override;

 private:
  void accept_client();
  Timeline& timeline_;
  int listen_fd_;
  int client_fd_ = -1;
  std::deque<u8> queue_;
};

// The monitor on a socket (-monitor tcp:HOST:PORT,server[,nowait] or unix:PATH,server[,nowait]):
// one client at a time; each line it sends is a monitor command, answered with the output and
// the "(emu) " prompt. A client that goes away is replaced by the next one to connect.
class MonitorSocket {
 public:
  // Returns nullptr and a reason for a bad spec or a socket that cannot listen.
  static std::unique_ptr<MonitorSocket> open(const std::string& spec, std::string& error);
  ~MonitorSocket();
  // Accepts a waiting client and reads what it sent (non-blocking); true with one command line.
  bool take_line(std::string& line);
  void send(const std::string& text);
  // Blocks until a client connects (without ,nowait the machine starts only then).
  void wait_for_client();

 private:
  MonitorSocket(int listen_fd, std::string unix_path) : listen_fd_(listen_fd), unix_path_(std::move(unix_path)) {}
  void accept_client();
  void drop_client();
  int listen_fd_;
  int client_fd_ = -1;
  std::string unix_path_;  // removed at exit
  std::string pending_;    // received bytes not yet ending in a newline
};

// Opens a chardev spec ("stdio", "file:PATH", "tcp:HOST:PORT,server[,nowait]", "null").
// Returns nullptr and a reason for a bad spec; "null"/"none" give a backend that drops output.
std::unique_ptr<HostSerial> open_serial(const std::string& spec, Timeline& timeline, ConsoleRequests& requests,
                                        std::string& error);

}  // namespace emu
