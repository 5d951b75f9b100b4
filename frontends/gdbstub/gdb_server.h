// The gdb remote-protocol server (`-s`, `-S`, `-gdb tcp::PORT`): all-stop mode, one CPU shown as
// one thread. It answers gdb's packets from the CPU state and guest memory and tells the machine
// loop what gdb wants; the loop keeps running the machine (devices, clock) its own way. See
// README.md for the loop, the packets, and the decisions.
//
//   GdbServer gdb(cpu, interpreter);
//   gdb.listen("tcp::1234", error);
//   gdb.wait_for_client();                       // -S: stopped until gdb attaches
//   GdbAction a = gdb.serve();                   // stopped: answer packets until resume
//   ... run slices; each slice: if (gdb.interrupt_requested()) { report_stop(Interrupted); serve(); }
//   ... run() returned StopReason::Breakpoint -> report_stop(GdbStop::Breakpoint); serve();
#pragma once
#include <memory>
#include <string>
#include <unordered_set>
#include <vector>

#include "core/cpu.h"
#include "frontends/gdbstub/gdb_packet.h"
#include "frontends/gdbstub/gdb_transport.h"
#include "translator/interpreter.h"

namespace emu::gdb {

// What gdb asked for when serve() returns.
enum class GdbAction : u8 {
  Continue,  // run until a breakpoint, an interrupt from gdb, or the machine ends
  Step,      // execute one instruction (Interpreter::step()), then report_stop(GdbStop::Step)
  Kill,      // `k`: the machine should quit
  Detach,    // `D`, or the client went away: run on without a debugger (breakpoints cleared)
};

// Why the machine stopped, for the stop reply.
enum class GdbStop : u8 {
  Breakpoint,   // Interpreter::run() returned StopReason::Breakpoint: T05 swbreak/hwbreak
  Step,         // a single step finished: T05
  Interrupted,  // Ctrl-C from gdb, or the machine was stopped otherwise (monitor `stop`): T02
};

class GdbServer {
 public:
  // Installs the server's breakpoint set in `engine` (Interpreter::set_breakpoints); the
  // destructor removes it.
  GdbServer(Cpu& cpu, Interpreter& engine);
  ~GdbServer();
  GdbServer(const GdbServer&) = delete;
  GdbServer& operator=(const GdbServer&) = delete;

  // Opens the TCP listener ("tcp::1234", "tcp:HOST:PORT"; see TcpGdbListener). False with a
  // reason on failure.
  bool listen(const std::string& spec, std::string& error);
  u16 port() const { return listener_ ? listener_->port() : 0; }
  // Blocks until a client connects (-S). False when there is no listener.
  bool wait_for_client();
  // Uses `connection` as the client (tests; other transports).
  void attach(std::unique_ptr<GdbConnection> connection);
  bool connected() const { return connection_ != nullptr; }

  // Call while the machine is stopped: answers packets until gdb resumes, kills or detaches.
  // Without a client it returns Detach at once.
  GdbAction serve();

  // Call while the machine runs, every slice (cheap: one non-blocking poll). True when the
  // machine should stop and hand control to serve(): gdb sent Ctrl-C, or — with a listener —
  // a new client has just connected (gdb expects a stopped target when it attaches). A client
  // that disconnects while the machine runs is dropped (breakpoints cleared) and false returned.
  bool interrupt_requested();

  // Tells gdb why the machine stopped (the reply to its `c`/`s`). Call before serve(). Nothing is
  // sent when gdb is not waiting for a stop (a fresh connection): serve() answers `?` then.
  void report_stop(GdbStop why);
  // The machine ended (power-off, quit, triple fault with -no-reboot): `W` reply, drop the client.
  void report_exit(int status);

  // Linear addresses of the breakpoints gdb has set (Z0/Z1), as the interpreter checks them.
  const std::unordered_set<u32>& breakpoints() const { return breakpoints_; }

  // Answers one packet's data and returns the reply's data (empty: "not supported"). Exposed for
  // the unit tests; serve() frames it. `action` is set when the packet resumes the machine.
  std::string handle_packet(const std::string& packet, std::optional<GdbAction>& action);

 private:
  void send_packet(const std::string& data);
  void drop_client();
  void clear_breakpoints();
  std::string stop_reply() const;
  std::string handle_query(const std::string& packet);
  std::string handle_v(const std::string& packet, std::optional<GdbAction>& action);
  std::string read_memory(const std::string& args);
  std::string write_memory(const std::string& args, bool binary);
  std::string breakpoint(const std::string& packet, bool insert);
  // Reads what the client has sent into events_ (waiting for it when `wait`). False when the
  // client has gone.
  bool receive(bool wait);

  Cpu& cpu_;
  Interpreter& engine_;
  std::unique_ptr<TcpGdbListener> listener_;
  std::unique_ptr<GdbConnection> connection_;
  PacketDecoder decoder_;
  std::vector<PacketDecoder::Event> events_;
  std::size_t next_event_ = 0;
  bool ack_mode_ = true;
  bool leave_ack_mode_ = false;
  bool description_code16_ =
      false;  // target.xml says i8086 (see target_xml())  // QStartNoAckMode answered: acks end after this reply
  bool waiting_for_stop_ = false;  // gdb sent c/s and waits for a stop reply
  bool interrupt_pending_ = false;
  GdbStop last_stop_ = GdbStop::Interrupted;
  bool last_was_software_ = false;  // the last breakpoint stop was at a Z0 address
  std::string last_packet_;         // for a `-` (resend) in ack mode
  std::unordered_set<u32> software_, hardware_;
  std::unordered_set<u32> breakpoints_;  // the union, given to the interpreter
};

}  // namespace emu::gdb
