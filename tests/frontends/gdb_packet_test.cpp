// The gdb remote protocol's framing (GDB manual, "Remote Protocol" > "Overview"): checksums,
// acks, Ctrl-C between packets, binary escapes, and resynchronising after garbage.
#include "frontends/gdbstub/gdb_packet.h"

#include <doctest/doctest.h>

using namespace emu;
using namespace emu::gdb;

TEST_CASE("gdbstub: frames a packet with its modulo-256 checksum") {
  CHECK(checksum("OK") == 0x9a);
  CHECK(frame("OK") == "$OK#9a");
  CHECK(frame("") == "$#00");
  CHECK(frame("qSupported") == "$qSupported#37");
}

TEST_CASE("gdbstub: the decoder yields packets, acks and Ctrl-C, and refuses bad checksums") {
  PacketDecoder d;
  std::vector<PacketDecoder::Event> events;
  d.feed("+$g#67-\x03$m0,4#00", events);
  REQUIRE(events.size() == 5);
  CHECK(events[0].kind == PacketDecoder::Kind::Ack);
  CHECK(events[1].kind == PacketDecoder::Kind::Packet);
  CHECK(events[1].data == "g");
  CHECK(events[2].kind == PacketDecoder::Kind::Nak);
  CHECK(events[3].kind == PacketDecoder::Kind::Interrupt);
  CHECK(events[4].kind == PacketDecoder::Kind::BadPacket);  // wrong checksum

  // A packet split across reads, and noise between packets.
  events.clear();
  d.feed("garbage$qC", events);
  CHECK(events.empty());
  d.feed("#b4", events);
  REQUIRE(events.size() == 1);
  CHECK(events[0].data == "qC");

  // A '$' inside a packet starts over: the cut-off packet is reported bad.
  events.clear();
  d.feed("$abc$g#67", events);
  REQUIRE(events.size() == 2);
  CHECK(events[0].kind == PacketDecoder::Kind::BadPacket);
  CHECK(events[1].data == "g");
}

TEST_CASE("gdbstub: an over-long packet is refused, not stored") {
  PacketDecoder d;
  std::vector<PacketDecoder::Event> events;
  const std::string big(kMaxPacket + 100, 'a');
  d.feed("$" + big + "#" + "00", events);
  REQUIRE(events.size() == 1);
  CHECK(events[0].kind == PacketDecoder::Kind::BadPacket);
}

TEST_CASE("gdbstub: binary escapes round-trip and hex helpers parse") {
  const std::string raw = std::string("a$b#c}d*e") + '\0';
  const std::string escaped = escape_binary(raw);
  CHECK(escaped.find('$') == std::string::npos);
  CHECK(escaped.find('#') == std::string::npos);
  CHECK(unescape_binary(escaped) == raw);
  CHECK_FALSE(unescape_binary("ab}").has_value());

  const u8 bytes[] = {0x00, 0x7c, 0xff};
  CHECK(to_hex(bytes, 3) == "007cff");
  CHECK(from_hex("007cFF") == std::vector<u8>{0x00, 0x7c, 0xff});
  CHECK_FALSE(from_hex("7").has_value());
  CHECK_FALSE(from_hex("zz").has_value());
  CHECK(parse_hex_u32("7c00") == 0x7c00u);
  CHECK(parse_hex_u32("ffffffff") == 0xffffffffu);
  CHECK_FALSE(parse_hex_u32("100000000").has_value());
  CHECK_FALSE(parse_hex_u32("").has_value());
}
