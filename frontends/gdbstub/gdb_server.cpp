#include "frontends/gdbstub/gdb_server.h"

#include <algorithm>
#include <cstdio>

#include "frontends/gdbstub/debug_memory.h"
#include "frontends/gdbstub/gdb_registers.h"

namespace emu::gdb {

namespace {

// gdb's signal numbers (GDB manual, "Signals"): what a stop reply says happened.
constexpr int kSigInt = 2;
constexpr int kSigTrap = 5;

// The errno-style error gdb prints for unreadable memory: EFAULT (14).
constexpr const char* kMemoryError = "E14";
constexpr const char* kBadRequest = "E01";

std::string hex2(int v) {
  constexpr char digits[] = "0123456789abcdef";
  return {digits[(v >> 4) & 15], digits[v & 15]};
}

// "addr,length" with both numbers in hex.
bool parse_address_length(std::string_view text, u32& address, u32& length) {
  const std::size_t comma = text.find(',');
  if (comma == std::string_view::npos) return false;
  const auto a = parse_hex_u32(text.substr(0, comma));
  const auto l = parse_hex_u32(text.substr(comma + 1));
  if (!a || !l) return false;
  address = *a;
  length = *l;
  return true;
}

// A number in the protocol's big-endian hex ("4000").
std::string hex_number(std::size_t v) {
  char buffer[20];
  std::snprintf(buffer, sizeof buffer, "%zx", v);
  return buffer;
}

bool starts_with(const std::string& s, std::string_view prefix) { return s.rfind(prefix, 0) == 0; }

}  // namespace

GdbServer::GdbServer(Cpu& cpu, Interpreter& engine) : cpu_(cpu), engine_(engine) {
  engine_.set_breakpoints(&breakpoints_);
}

GdbServer::~GdbServer() { engine_.set_breakpoints(nullptr); }

bool GdbServer::listen(const std::string& spec, std::string& error) {
  listener_ = TcpGdbListener::open(spec, error);
  return listener_ != nullptr;
}

bool GdbServer::wait_for_client() {
  if (!listener_) return false;
  while (!connection_) {
    if (auto c = listener_->accept(true)) attach(std::move(c));
  }
  return true;
}

void GdbServer::attach(std::unique_ptr<GdbConnection> connection) {
  connection_ = std::move(connection);
  decoder_ = PacketDecoder{};
  events_.clear();
  next_event_ = 0;
  ack_mode_ = true;
  leave_ack_mode_ = false;
  waiting_for_stop_ = false;
  interrupt_pending_ = false;
  last_stop_ = GdbStop::Step;  // `?` on a fresh connection: stopped with SIGTRAP, as QEMU says
  last_was_software_ = false;
  last_packet_.clear();
}

void GdbServer::drop_client() {
  connection_.reset();
  waiting_for_stop_ = false;
  clear_breakpoints();
}

void GdbServer::clear_breakpoints() {
  software_.clear();
  hardware_.clear();
  breakpoints_.clear();
}

bool GdbServer::receive(bool wait) {
  if (!connection_) return false;
  std::string bytes;
  if (!connection_->read(bytes, wait)) {
    drop_client();
    return false;
  }
  if (next_event_ == events_.size()) {
    events_.clear();
    next_event_ = 0;
  }
  decoder_.feed(bytes, events_);
  return true;
}

void GdbServer::send_packet(const std::string& data) {
  if (!connection_) return;
  last_packet_ = frame(data);
  if (!connection_->write(last_packet_)) drop_client();
}

std::string GdbServer::stop_reply() const {
  const int signal = last_stop_ == GdbStop::Interrupted ? kSigInt : kSigTrap;
  std::string reply = std::string("T") + hex2(signal) + "thread:01;";
  // The reason gdb asked to be told (swbreak+/hwbreak+ in qSupported): it then knows the PC is
  // already at the breakpoint and needs no adjustment.
  if (last_stop_ == GdbStop::Breakpoint) reply += last_was_software_ ? "swbreak:;" : "hwbreak:;";
  return reply;
}

void GdbServer::report_stop(GdbStop why) {
  last_stop_ = why;
  if (why == GdbStop::Breakpoint) {
    const u32 linear = cpu_.s.sreg(Seg::CS).base + cpu_.s.eip;
    last_was_software_ = software_.contains(linear) || !hardware_.contains(linear);
  }
  interrupt_pending_ = false;
  if (waiting_for_stop_) {
    waiting_for_stop_ = false;
    send_packet(stop_reply());
  }
}

void GdbServer::report_exit(int status) {
  if (!connection_) return;
  if (waiting_for_stop_) send_packet(std::string("W") + hex2(status & 0xFF));
  drop_client();
}

bool GdbServer::interrupt_requested() {
  if (!connection_) {
    if (!listener_) return false;
    auto c = listener_->accept(false);
    if (!c) return false;
    attach(std::move(c));
    return true;  // gdb expects the target stopped when it attaches
  }
  if (!receive(false)) return false;  // the client went away: run on
  // Ctrl-C is the only thing gdb sends while the target runs in all-stop mode; anything else
  // stays queued for serve().
  for (std::size_t i = next_event_; i < events_.size(); ++i)
    if (events_[i].kind == PacketDecoder::Kind::Interrupt) interrupt_pending_ = true;
  return interrupt_pending_;
}

GdbAction GdbServer::serve() {
  for (;;) {
    if (!connection_) return GdbAction::Detach;
    while (next_event_ < events_.size()) {
      PacketDecoder::Event event = std::move(events_[next_event_++]);
      switch (event.kind) {
        case PacketDecoder::Kind::Interrupt: break;  // already stopped
        case PacketDecoder::Kind::Ack: break;
        case PacketDecoder::Kind::Nak:
          if (ack_mode_ && !last_packet_.empty() && !connection_->write(last_packet_)) drop_client();
          break;
        case PacketDecoder::Kind::BadPacket:
          if (ack_mode_ && !connection_->write("-")) drop_client();
          break;
        case PacketDecoder::Kind::Packet: {
          if (ack_mode_ && !connection_->write("+")) {
            drop_client();
            break;
          }
          std::optional<GdbAction> action;
          const std::string reply = handle_packet(event.data, action);
          if (action) {
            if (*action == GdbAction::Detach) {
              send_packet("OK");
              drop_client();
            } else if (*action == GdbAction::Kill) {
              drop_client();
            } else {
              waiting_for_stop_ = true;
              interrupt_pending_ = false;
            }
            return *action;
          }
          send_packet(reply);
          if (leave_ack_mode_) ack_mode_ = leave_ack_mode_ = false;
          break;
        }
      }
      if (!connection_) return GdbAction::Detach;
    }
    if (!receive(true)) return GdbAction::Detach;
  }
}

std::string GdbServer::handle_packet(const std::string& packet, std::optional<GdbAction>& action) {
  if (packet.empty()) return {};
  const std::string args = packet.substr(1);
  switch (packet[0]) {
    case '?': return stop_reply();
    case 'g': {
      const std::vector<u8> bytes = read_core_registers(cpu_);
      return to_hex(bytes.data(), bytes.size());
    }
    case 'G': {
      const auto bytes = from_hex(args);
      return bytes && write_core_registers(cpu_, *bytes) ? "OK" : kBadRequest;
    }
    case 'p': {
      const auto n = parse_hex_u32(args);
      const auto bytes = n ? read_register(cpu_, *n) : std::nullopt;
      return bytes ? to_hex(bytes->data(), bytes->size()) : kBadRequest;
    }
    case 'P': {
      const std::size_t eq = args.find('=');
      if (eq == std::string::npos) return kBadRequest;
      const auto n = parse_hex_u32(std::string_view(args).substr(0, eq));
      const auto bytes = from_hex(std::string_view(args).substr(eq + 1));
      return n && bytes && write_register(cpu_, *n, *bytes) ? "OK" : kBadRequest;
    }
    case 'm': return read_memory(args);
    case 'M': return write_memory(args, false);
    case 'X': return write_memory(args, true);
    case 'c':
    case 'C':  // continue with a signal: the PC has no signals to deliver, so it is a plain continue
      if (packet[0] == 'c' && !args.empty()) {
        const auto at = parse_hex_u32(args);  // `c ADDR` resumes at ADDR (EIP)
        if (!at) return kBadRequest;
        cpu_.s.eip = *at;
      }
      action = GdbAction::Continue;
      return {};
    case 's':
    case 'S':
      if (packet[0] == 's' && !args.empty()) {
        const auto at = parse_hex_u32(args);
        if (!at) return kBadRequest;
        cpu_.s.eip = *at;
      }
      action = GdbAction::Step;
      return {};
    case 'k': action = GdbAction::Kill; return {};
    case 'D': action = GdbAction::Detach; return {};
    case 'H': return "OK";  // one thread: any thread selection is that thread
    case 'T': return "OK";  // thread 1 is alive
    case 'Z': return breakpoint(packet, true);
    case 'z': return breakpoint(packet, false);
    case 'q':
    case 'Q': return handle_query(packet);
    case 'v': return handle_v(packet, action);
    default: return {};  // not supported
  }
}

std::string GdbServer::handle_query(const std::string& packet) {
  if (starts_with(packet, "qSupported"))
    return std::string("PacketSize=") + hex_number(kMaxPacket) +
           ";qXfer:features:read+;swbreak+;hwbreak+;QStartNoAckMode+;vContSupported+";
  if (packet == "QStartNoAckMode") {
    // This packet is still acknowledged; acks stop after its reply (GDB manual, "Packet
    // Acknowledgment"). serve() switches after sending the OK.
    leave_ack_mode_ = true;
    return "OK";
  }
  if (packet == "qAttached") return "1";  // the machine existed before gdb: quitting gdb detaches
  if (packet == "qC") return "QC01";
  if (packet == "qfThreadInfo") return "m01";
  if (packet == "qsThreadInfo") return "l";
  if (starts_with(packet, "qThreadExtraInfo")) {
    const std::string text = cpu_.s.v86() ? "CPU 0 (V86 mode)"
                             : cpu_.s.protected_mode()
                                 ? std::string("CPU 0 (protected mode, CPL ") + std::to_string(cpu_.s.cpl) + ")"
                                 : "CPU 0 (real mode)";
    return to_hex(reinterpret_cast<const u8*>(text.data()), text.size());
  }
  if (packet == "qSymbol::") return "OK";
  if (starts_with(packet, "qXfer:features:read:")) {
    // qXfer:features:read:ANNEX:OFFSET,LENGTH
    const std::string rest = packet.substr(20);
    const std::size_t colon = rest.find(':');
    if (colon == std::string::npos) return kBadRequest;
    if (rest.substr(0, colon) != "target.xml") return "E00";
    u32 offset, length;
    if (!parse_address_length(std::string_view(rest).substr(colon + 1), offset, length)) return kBadRequest;
    // The architecture is chosen when gdb starts reading, so every chunk comes from one text.
    if (offset == 0) description_code16_ = !cpu_.s.code32();
    const std::string& xml = target_xml(description_code16_);
    if (offset >= xml.size()) return "l";
    length = std::min<u32>(length, kMaxPacket / 2);
    const std::string chunk = xml.substr(offset, length);
    return std::string(offset + chunk.size() >= xml.size() ? "l" : "m") + escape_binary(chunk);
  }
  return {};
}

std::string GdbServer::handle_v(const std::string& packet, std::optional<GdbAction>& action) {
  if (packet == "vCont?") return "vCont;c;C;s;S";
  if (starts_with(packet, "vCont;")) {
    // All-stop with one thread: the first action decides (gdb sends e.g. "vCont;s:1;c").
    const char kind = packet.size() > 6 ? packet[6] : 0;
    if (kind == 'c' || kind == 'C') {
      action = GdbAction::Continue;
      return {};
    }
    if (kind == 's' || kind == 'S') {
      action = GdbAction::Step;
      return {};
    }
    return kBadRequest;
  }
  if (starts_with(packet, "vKill")) {
    action = GdbAction::Kill;
    return {};
  }
  return {};  // vMustReplyEmpty and everything else we do not know
}

std::string GdbServer::read_memory(const std::string& args) {
  u32 address, length;
  if (!parse_address_length(args, address, length)) return kBadRequest;
  length = std::min<u32>(length, kMaxPacket / 2);
  std::vector<u8> bytes(length);
  // gdb reads memory on its own (unwinding, the instruction at $pc): never from a device window.
  const std::size_t got = debug::read_linear(cpu_, address, bytes.data(), length, debug::DeviceAccess::Refuse);
  if (got == 0 && length > 0) return kMemoryError;
  return to_hex(bytes.data(), got);  // a short read returns what could be read
}

std::string GdbServer::write_memory(const std::string& args, bool binary) {
  const std::size_t colon = args.find(':');
  if (colon == std::string::npos) return kBadRequest;
  u32 address, length;
  if (!parse_address_length(std::string_view(args).substr(0, colon), address, length)) return kBadRequest;
  std::vector<u8> bytes;
  if (binary) {
    const auto data = unescape_binary(std::string_view(args).substr(colon + 1));
    if (!data) return kBadRequest;
    bytes.assign(data->begin(), data->end());
  } else {
    auto data = from_hex(std::string_view(args).substr(colon + 1));
    if (!data) return kBadRequest;
    bytes = std::move(*data);
  }
  if (bytes.size() != length) return kBadRequest;
  if (length == 0) return "OK";  // gdb probes for X support with a zero-length write
  return debug::write_linear(cpu_, address, bytes.data(), bytes.size()) ? "OK" : kMemoryError;
}

std::string GdbServer::breakpoint(const std::string& packet, bool insert) {
  // Z<type>,<addr>,<kind>: type 0 = software, 1 = hardware breakpoint; 2-4 = watchpoints (not
  // supported: the empty reply tells gdb so, and it falls back to single-stepping).
  if (packet.size() < 3 || packet[2] != ',') return kBadRequest;
  const char type = packet[1];
  if (type != '0' && type != '1') return {};
  const std::string rest = packet.substr(3);
  const std::size_t comma = rest.find(',');
  const auto address = parse_hex_u32(std::string_view(rest).substr(0, comma));
  if (!address) return kBadRequest;
  // Neither kind patches guest memory: both are linear addresses the interpreter compares with
  // CS.base + EIP before each instruction, so the guest can neither see nor clobber them.
  auto& set = type == '0' ? software_ : hardware_;
  if (insert)
    set.insert(*address);
  else
    set.erase(*address);
  breakpoints_ = software_;
  breakpoints_.insert(hardware_.begin(), hardware_.end());
  return "OK";
}

}  // namespace emu::gdb
