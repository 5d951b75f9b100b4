// The host backends that join VMs (frontends/net/socket_backend) and the TAP backend, driven
// through real host sockets on 127.0.0.1, the way two emu processes would use them.
#include <arpa/inet.h>
#include <doctest/doctest.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <functional>
#include <thread>
#include <vector>

#include "frontends/net/socket_backend.h"
#include "frontends/net/tap_backend.h"

using namespace emu;

namespace {

struct Sink final : NetReceiver {
  bool open = true;
  std::vector<std::vector<u8>> frames;
  bool can_receive() const override { return open; }
  void receive(std::span<const u8> frame) override { frames.emplace_back(frame.begin(), frame.end()); }
};

// A frame from `source_mac_last` to the broadcast address, `size` bytes, numbered by `n`.
std::vector<u8> frame(size_t size, u8 source_mac_last, u8 n = 0) {
  std::vector<u8> f(size, n);
  for (size_t k = 0; k < 6 && k < size; ++k) f[k] = 0xFF;
  const u8 source[6] = {0x52, 0x54, 0x00, 0x12, 0x34, source_mac_last};
  for (size_t k = 0; k < 6 && 6 + k < size; ++k) f[6 + k] = source[k];
  return f;
}

// Polls the backends until `done` or two seconds.
bool poll_until(std::initializer_list<NetBackend*> backends, const std::function<bool()>& done) {
  const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(2);
  while (!done()) {
    if (std::chrono::steady_clock::now() > give_up) return false;
    for (NetBackend* b : backends) b->poll();
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  return true;
}

std::unique_ptr<SocketBackend> make(SocketNetOptions::Mode mode, const std::string& address,
                                    const std::string& local = "") {
  std::string error;
  auto b = SocketBackend::create({mode, address, local}, error);
  INFO(error);
  REQUIRE(b);
  return b;
}

// A UDP port nobody is using now.
int free_udp_port() {
  const int fd = socket(AF_INET, SOCK_DGRAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a);
  socklen_t length = sizeof a;
  getsockname(fd, reinterpret_cast<sockaddr*>(&a), &length);
  close(fd);
  return ntohs(a.sin_port);
}

}  // namespace

TEST_CASE("socket backend: listen and connect carry frames both ways, runts padded to 60 bytes") {
  auto server = make(SocketNetOptions::Mode::Listen, "127.0.0.1:0");
  const int port = server->listening_port();
  REQUIRE(port > 0);
  CHECK_FALSE(server->link_up());  // no peer yet: the cable goes nowhere
  server->send(frame(100, 1));
  CHECK(server->counters().dropped == 1);

  auto client = make(SocketNetOptions::Mode::Connect, "127.0.0.1:" + std::to_string(port));
  Sink at_server, at_client;
  server->attach(&at_server);
  client->attach(&at_client);
  REQUIRE(poll_until({server.get()}, [&] { return server->link_up(); }));
  CHECK(server->counters().connections == 1);

  client->send(frame(1514, 2, 7));
  server->send(frame(20, 1, 9));
  REQUIRE(poll_until({server.get(), client.get()},
                     [&] { return at_server.frames.size() == 1 && at_client.frames.size() == 1; }));
  CHECK(at_server.frames[0] == frame(1514, 2, 7));
  REQUIRE(at_client.frames[0].size() == 60);
  CHECK(std::equal(at_client.frames[0].begin(), at_client.frames[0].begin() + 20, frame(20, 1, 9).begin()));
  CHECK(std::all_of(at_client.frames[0].begin() + 20, at_client.frames[0].end(), [](u8 b) { return b == 0; }));
  CHECK(server->describe().find("peer 127.0.0.1:") != std::string::npos);
}

TEST_CASE("socket backend: a card that cannot receive holds frames back, in order, none lost") {
  auto server = make(SocketNetOptions::Mode::Listen, "127.0.0.1:0");
  auto client = make(SocketNetOptions::Mode::Connect, "127.0.0.1:" + std::to_string(server->listening_port()));
  Sink at_server;
  at_server.open = false;  // the guest's receive ring is full
  server->attach(&at_server);
  REQUIRE(poll_until({server.get()}, [&] { return server->link_up(); }));
  constexpr unsigned kFrames = 600;  // more than the backend queues: the rest waits in TCP
  for (unsigned n = 0; n < kFrames; ++n) client->send(frame(600, 2, static_cast<u8>(n)));
  for (int k = 0; k < 50; ++k) server->poll(), client->poll();
  CHECK(at_server.frames.empty());
  at_server.open = true;
  REQUIRE(poll_until({server.get(), client.get()}, [&] { return at_server.frames.size() == kFrames; }));
  for (unsigned n = 0; n < kFrames; ++n) CHECK(at_server.frames[n] == frame(600, 2, static_cast<u8>(n)));
  CHECK(client->counters().dropped == 0);
}

TEST_CASE("socket backend: the listener outlives a peer that leaves or breaks the framing") {
  auto server = make(SocketNetOptions::Mode::Listen, "127.0.0.1:0");
  const std::string address = "127.0.0.1:" + std::to_string(server->listening_port());
  Sink at_server;
  server->attach(&at_server);
  {
    auto client = make(SocketNetOptions::Mode::Connect, address);
    REQUIRE(poll_until({server.get()}, [&] { return server->link_up(); }));
  }
  REQUIRE(poll_until({server.get()}, [&] { return !server->link_up(); }));

  // A peer speaking something else: a length of 2^31 cannot be a frame. The listener hangs up.
  const int raw = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  std::string error;
  REQUIRE(parse_socket_address(address, "127.0.0.1", a, error));
  REQUIRE(connect(raw, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0);
  const u8 garbage[8] = {0x80, 0, 0, 0, 1, 2, 3, 4};
  REQUIRE(write(raw, garbage, sizeof garbage) == 8);
  REQUIRE(poll_until({server.get()}, [&] { return server->counters().connections == 2 && !server->link_up(); }));
  close(raw);
  CHECK(at_server.frames.empty());

  // And a well-behaved peer after it is served.
  auto client = make(SocketNetOptions::Mode::Connect, address);
  client->send(frame(64, 3));
  REQUIRE(poll_until({server.get(), client.get()}, [&] { return at_server.frames.size() == 1; }));
  CHECK(server->counters().connections == 3);
}

TEST_CASE("socket backend: a multicast group is a hub, and a VM does not hear its own frames") {
  const std::string group = "239.255.77.1:" + std::to_string(free_udp_port());
  std::string error;
  auto a = SocketBackend::create({SocketNetOptions::Mode::Multicast, group, "127.0.0.1"}, error);
  if (!a) {
    // Some sandboxes have no multicast on the loopback at all; say so rather than pass silently.
    MESSAGE("multicast unavailable here: " << error);
    return;
  }
  auto b = make(SocketNetOptions::Mode::Multicast, group, "127.0.0.1");
  auto c = make(SocketNetOptions::Mode::Multicast, group, "127.0.0.1");
  Sink at_a, at_b, at_c;
  a->attach(&at_a), b->attach(&at_b), c->attach(&at_c);
  a->send(frame(200, 1, 5));
  REQUIRE(poll_until({a.get(), b.get(), c.get()}, [&] { return at_b.frames.size() == 1 && at_c.frames.size() == 1; }));
  for (int k = 0; k < 20; ++k) a->poll();
  CHECK(at_a.frames.empty());
  CHECK(at_b.frames[0] == frame(200, 1, 5));
  b->send(frame(60, 2, 6));
  REQUIRE(poll_until({a.get(), b.get(), c.get()}, [&] { return at_a.frames.size() == 1 && at_c.frames.size() == 2; }));
  CHECK(at_b.frames.size() == 1);
}

TEST_CASE("socket backend: unicast UDP between two VMs") {
  const std::string pa = "127.0.0.1:" + std::to_string(free_udp_port());
  const std::string pb = "127.0.0.1:" + std::to_string(free_udp_port());
  auto a = make(SocketNetOptions::Mode::Udp, pb, pa);
  auto b = make(SocketNetOptions::Mode::Udp, pa, pb);
  Sink at_a, at_b;
  a->attach(&at_a), b->attach(&at_b);
  a->send(frame(1000, 1, 1));
  b->send(frame(70, 2, 2));
  REQUIRE(poll_until({a.get(), b.get()}, [&] { return at_a.frames.size() == 1 && at_b.frames.size() == 1; }));
  CHECK(at_b.frames[0] == frame(1000, 1, 1));
  CHECK(at_a.frames[0] == frame(70, 2, 2));
  CHECK(a->link_up());
}

TEST_CASE("socket backend: bad addresses are refused with the reason") {
  std::string error;
  CHECK_FALSE(SocketBackend::create({SocketNetOptions::Mode::Listen, "5000", ""}, error));
  CHECK(error.find("is not HOST:PORT") != std::string::npos);
  CHECK_FALSE(SocketBackend::create({SocketNetOptions::Mode::Connect, "127.0.0.1:70000", ""}, error));
  CHECK(error.find("bad port") != std::string::npos);
  CHECK_FALSE(SocketBackend::create({SocketNetOptions::Mode::Multicast, "10.1.2.3:5000", ""}, error));
  CHECK(error.find("not a multicast group") != std::string::npos);
  CHECK_FALSE(SocketBackend::create({SocketNetOptions::Mode::Udp, "127.0.0.1:5000", ""}, error));
  CHECK(error.find("localaddr") != std::string::npos);
  CHECK_FALSE(SocketBackend::create({SocketNetOptions::Mode::Connect, "no-such-host.invalid:5000", ""}, error));
  CHECK(error.find("cannot resolve") != std::string::npos);
}

TEST_CASE("tap backend: a name too long is refused; with CAP_NET_ADMIN the interface appears and goes") {
  std::string error;
  CHECK_FALSE(TapBackend::create({"a-name-longer-than-ifnamsiz", "", ""}, error));
  CHECK(error.find("longer than 15") != std::string::npos);
  auto tap = TapBackend::create({"emutaptest0", "", ""}, error);
  if (!tap) {
    MESSAGE("no TAP here (" << error << "): tests/net/guest_tap.py is where TAP is tested");
    CHECK((error.find("CAP_NET_ADMIN") != std::string::npos || error.find("/dev/net/tun") != std::string::npos));
    return;
  }
  CHECK(tap->ifname() == "emutaptest0");
  CHECK(std::filesystem::exists("/sys/class/net/emutaptest0"));
  Sink sink;
  tap->attach(&sink);
  tap->send(frame(60, 1));  // the interface is down: the kernel refuses, the frame is lost, nothing breaks
  tap->poll();
  CHECK(tap->describe().find("ifname=emutaptest0") != std::string::npos);
  tap.reset();
  CHECK_FALSE(std::filesystem::exists("/sys/class/net/emutaptest0"));
}
