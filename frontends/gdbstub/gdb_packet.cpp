#include "frontends/gdbstub/gdb_packet.h"

namespace emu::gdb {

namespace {
constexpr char kHexDigits[] = "0123456789abcdef";

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}
}  // namespace

u8 checksum(std::string_view data) {
  u8 sum = 0;
  for (char c : data) sum = static_cast<u8>(sum + static_cast<u8>(c));
  return sum;
}

std::string frame(std::string_view data) {
  const u8 sum = checksum(data);
  std::string out;
  out.reserve(data.size() + 4);
  out += '$';
  out += data;
  out += '#';
  out += kHexDigits[sum >> 4];
  out += kHexDigits[sum & 15];
  return out;
}

std::string escape_binary(std::string_view data) {
  std::string out;
  out.reserve(data.size());
  for (char c : data) {
    if (c == '$' || c == '#' || c == '}' || c == '*') {
      out += '}';
      out += static_cast<char>(c ^ 0x20);
    } else {
      out += c;
    }
  }
  return out;
}

std::optional<std::string> unescape_binary(std::string_view data) {
  std::string out;
  out.reserve(data.size());
  for (std::size_t i = 0; i < data.size(); ++i) {
    if (data[i] != '}') {
      out += data[i];
      continue;
    }
    if (++i == data.size()) return std::nullopt;
    out += static_cast<char>(data[i] ^ 0x20);
  }
  return out;
}

std::string to_hex(const u8* bytes, std::size_t len) {
  std::string out;
  out.reserve(len * 2);
  for (std::size_t i = 0; i < len; ++i) {
    out += kHexDigits[bytes[i] >> 4];
    out += kHexDigits[bytes[i] & 15];
  }
  return out;
}

std::optional<std::vector<u8>> from_hex(std::string_view hex) {
  if (hex.size() % 2) return std::nullopt;
  std::vector<u8> out(hex.size() / 2);
  for (std::size_t i = 0; i < out.size(); ++i) {
    const int hi = hex_value(hex[2 * i]), lo = hex_value(hex[2 * i + 1]);
    if (hi < 0 || lo < 0) return std::nullopt;
    out[i] = static_cast<u8>(hi << 4 | lo);
  }
  return out;
}

std::optional<u32> parse_hex_u32(std::string_view hex) {
  if (hex.empty() || hex.size() > 8) return std::nullopt;
  u32 value = 0;
  for (char c : hex) {
    const int d = hex_value(c);
    if (d < 0) return std::nullopt;
    value = value << 4 | static_cast<u32>(d);
  }
  return value;
}

void PacketDecoder::feed(std::string_view bytes, std::vector<Event>& events) {
  for (char c : bytes) {
    switch (state_) {
      case State::Idle:
        // Between packets only these mean anything; anything else is line noise.
        if (c == '$') {
          state_ = State::Data;
          data_.clear();
          overflow_ = false;
        } else if (c == '\x03') {
          events.push_back({Kind::Interrupt, {}});
        } else if (c == '+') {
          events.push_back({Kind::Ack, {}});
        } else if (c == '-') {
          events.push_back({Kind::Nak, {}});
        }
        break;
      case State::Data:
        if (c == '#') {
          state_ = State::Checksum1;
        } else if (c == '$') {
          // A new packet start inside a packet: the old one was cut off; resynchronise.
          events.push_back({Kind::BadPacket, {}});
          data_.clear();
          overflow_ = false;
        } else if (data_.size() < kMaxPacket) {
          data_ += c;
        } else {
          overflow_ = true;
        }
        break;
      case State::Checksum1:
        checksum_high_ = hex_value(c);
        state_ = State::Checksum2;
        break;
      case State::Checksum2: {
        const int low = hex_value(c);
        state_ = State::Idle;
        const bool good =
            checksum_high_ >= 0 && low >= 0 && !overflow_ && checksum(data_) == (checksum_high_ << 4 | low);
        if (good)
          events.push_back({Kind::Packet, std::move(data_)});
        else
          events.push_back({Kind::BadPacket, {}});
        data_.clear();
        break;
      }
    }
  }
}

}  // namespace emu::gdb
