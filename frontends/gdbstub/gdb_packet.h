// The framing of gdb's remote serial protocol (GDB manual, "Remote Protocol" > "Overview"):
// a packet is `$data#xx` where xx is the modulo-256 sum of the data bytes in two hex digits; the
// receiver answers `+` (good) or `-` (resend) until both sides agree on QStartNoAckMode. Outside
// a packet, the byte 0x03 is an interrupt request (Ctrl-C). Inside binary data (the X packet,
// qXfer replies) the bytes `$`, `#`, `}` and `*` are escaped as `}` followed by the byte XOR 0x20.
//
// The client is a program on the host, not the guest, but it is still a network peer: a bad
// checksum, an over-long packet or stray bytes are refused without harm.
#pragma once
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/types.h"

namespace emu::gdb {

// The largest packet we accept or send (advertised as PacketSize in qSupported).
inline constexpr std::size_t kMaxPacket = 0x4000;

u8 checksum(std::string_view data);
// `$data#xx` with `data` sent as is (the caller escapes binary data first).
std::string frame(std::string_view data);
// Escapes the four special bytes of binary data.
std::string escape_binary(std::string_view data);
// Undoes escape_binary. Returns nothing when the data ends inside an escape.
std::optional<std::string> unescape_binary(std::string_view data);

// Hexadecimal helpers: gdb sends numbers big-endian in hex ("7c00"), register and memory
// contents as hex byte strings in target (little-endian) order.
std::string to_hex(const u8* bytes, std::size_t len);
std::optional<std::vector<u8>> from_hex(std::string_view hex);
std::optional<u32> parse_hex_u32(std::string_view hex);

// Splits the incoming byte stream into events.
class PacketDecoder {
 public:
  enum class Kind : u8 { Packet, BadPacket, Interrupt, Ack, Nak };
  struct Event {
    Kind kind;
    std::string data;  // the packet's data (Packet only)
  };

  // Consumes `bytes` and appends what they completed to `events`.
  void feed(std::string_view bytes, std::vector<Event>& events);

 private:
  enum class State : u8 { Idle, Data, Checksum1, Checksum2 };
  State state_ = State::Idle;
  std::string data_;
  bool overflow_ = false;
  int checksum_high_ = 0;
};

}  // namespace emu::gdb
