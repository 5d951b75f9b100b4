#include "frontends/net/slirp_backend.h"

#include <arpa/inet.h>
#include <slirp/libslirp.h>
#include <time.h>

#include <cstdio>
#include <cstdlib>

#include "core/guest_log.h"

namespace emu {

namespace {

constexpr size_t kQueueFrames = 1024;  // frames for the guest waiting while its ring is full

int64_t monotonic_ns() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return int64_t{ts.tv_sec} * 1'000'000'000 + ts.tv_nsec;
}

bool parse_address(const std::string& text, in_addr& out) { return inet_pton(AF_INET, text.c_str(), &out) == 1; }

}  // namespace

struct SlirpBackend::Timer {
  void (*callback)(void*);
  void* opaque;
  int64_t expire_ms = -1;
};

bool parse_hostfwd(const std::string& text, SlirpOptions::Forward& out, std::string& error) {
  // [tcp|udp]:[hostaddr]:hostport-[guestaddr]:guestport
  std::string rest = text;
  out = {};
  if (rest.rfind("tcp:", 0) == 0)
    rest = rest.substr(4);
  else if (rest.rfind("udp:", 0) == 0)
    rest = rest.substr(4), out.udp = true;
  const auto dash = rest.find('-');
  if (dash == std::string::npos) {
    error = "hostfwd='" + text + "' is not [tcp|udp]:[hostaddr]:hostport-[guestaddr]:guestport";
    return false;
  }
  auto split = [&](const std::string& part, std::string& address, int& port) {
    const auto colon = part.rfind(':');
    const std::string port_text = colon == std::string::npos ? part : part.substr(colon + 1);
    address = colon == std::string::npos ? "" : part.substr(0, colon);
    char* end = nullptr;
    const long p = std::strtol(port_text.c_str(), &end, 10);
    in_addr dummy;
    if (port_text.empty() || *end || p < 1 || p > 65535 || (!address.empty() && !parse_address(address, dummy))) {
      error = "hostfwd='" + text + "': bad address or port '" + part + "'";
      return false;
    }
    port = static_cast<int>(p);
    return true;
  };
  return split(rest.substr(0, dash), out.host_address, out.host_port) &&
         split(rest.substr(dash + 1), out.guest_address, out.guest_port);
}

std::unique_ptr<SlirpBackend> SlirpBackend::create(const SlirpOptions& o, std::string& error) {
  std::unique_ptr<SlirpBackend> backend(new SlirpBackend());
  SlirpConfig config = {};
  config.version = 4;
  config.restricted = o.restrict;
  config.in_enabled = true;
  const auto slash = o.net.find('/');
  const int prefix = slash == std::string::npos ? 24 : std::atoi(o.net.c_str() + slash + 1);
  if (!parse_address(o.net.substr(0, slash), config.vnetwork) || prefix < 8 || prefix > 30) {
    error = "net='" + o.net + "' is not ADDRESS/PREFIX (e.g. 10.0.2.0/24)";
    return nullptr;
  }
  config.vnetmask.s_addr = htonl(0xFFFFFFFFu << (32 - prefix));
  if (!parse_address(o.host, config.vhost) || !parse_address(o.dns, config.vnameserver) ||
      !parse_address(o.dhcp_start, config.vdhcp_start)) {
    error = "host=, dns= and dhcpstart= take IPv4 addresses";
    return nullptr;
  }
  config.vhostname = o.hostname.empty() ? nullptr : o.hostname.c_str();
  config.enable_emu = false;
  config.if_mtu = 1500;
  config.if_mru = 1500;
  static const SlirpCb callbacks = {
      .send_packet = on_send_packet,
      .guest_error = on_guest_error,
      .clock_get_ns = on_clock,
      .timer_new = on_timer_new,
      .timer_free = on_timer_free,
      .timer_mod = on_timer_mod,
      .register_poll_fd = on_register_fd,
      .unregister_poll_fd = on_register_fd,
      .notify = on_notify,
      .init_completed = nullptr,
      .timer_new_opaque = nullptr,
  };
  backend->slirp_ = slirp_new(&config, &callbacks, backend.get());
  if (!backend->slirp_) {
    error = "libslirp could not start";
    return nullptr;
  }
  backend->description_ = "user: net " + o.net + ", host " + o.host + ", dns " + o.dns;
  for (const auto& f : o.forwards) {
    in_addr host = {}, guest = {};
    if (!f.host_address.empty()) parse_address(f.host_address, host);
    guest = config.vdhcp_start;
    if (!f.guest_address.empty()) parse_address(f.guest_address, guest);
    if (slirp_add_hostfwd(backend->slirp_, f.udp, host, f.host_port, guest, f.guest_port) < 0) {
      error = "hostfwd: cannot listen on host port " + std::to_string(f.host_port);
      return nullptr;
    }
    backend->description_ += std::string(", hostfwd ") + (f.udp ? "udp" : "tcp") + ":" + f.host_address + ":" +
                             std::to_string(f.host_port) + "-" + f.guest_address + ":" + std::to_string(f.guest_port);
  }
  if (o.restrict) backend->description_ += ", restricted";
  return backend;
}

SlirpBackend::~SlirpBackend() {
  if (slirp_) slirp_cleanup(slirp_);
}

void SlirpBackend::send(std::span<const u8> frame) {
  ++counters_.to_host_frames;
  slirp_input(slirp_, frame.data(), static_cast<int>(frame.size()));
}

// Timers that are due, the host sockets slirp watches (without waiting), then the frames for the
// guest while its card can take them.
void SlirpBackend::poll() {
  const int64_t now_ms = monotonic_ns() / 1'000'000;
  for (size_t k = 0; k < timers_.size(); ++k) {
    Timer& t = *timers_[k];
    if (t.expire_ms >= 0 && t.expire_ms <= now_ms) {
      t.expire_ms = -1;
      t.callback(t.opaque);
    }
  }
  fds_.clear();
  uint32_t timeout = 0;
  slirp_pollfds_fill(slirp_, &timeout, on_add_poll, this);
  const int ready = fds_.empty() ? 0 : ::poll(fds_.data(), fds_.size(), 0);
  slirp_pollfds_poll(slirp_, ready < 0, on_get_revents, this);
  while (!to_guest_.empty() && receiver_ && receiver_->can_receive()) {
    receiver_->receive(to_guest_.front());
    to_guest_.pop_front();
    ++counters_.to_guest_frames;
  }
}

// Slirp's own list of sockets and the events it waits for; poll() asks for it again, so the
// indices it hands out here are not kept.
void SlirpBackend::add_wait_fds(std::vector<pollfd>& fds) {
  fds_.clear();
  uint32_t timeout = 0;
  slirp_pollfds_fill(slirp_, &timeout, on_add_poll, this);
  fds.insert(fds.end(), fds_.begin(), fds_.end());
}

std::string SlirpBackend::describe() const {
  char line[128];
  std::snprintf(line, sizeof line, " (to host %llu frames, to guest %llu, dropped %llu, queued %zu)",
                static_cast<unsigned long long>(counters_.to_host_frames),
                static_cast<unsigned long long>(counters_.to_guest_frames),
                static_cast<unsigned long long>(counters_.dropped), to_guest_.size());
  return description_ + line;
}

ssize_t SlirpBackend::on_send_packet(const void* buffer, size_t length, void* opaque) {
  auto* self = static_cast<SlirpBackend*>(opaque);
  if (self->to_guest_.size() >= kQueueFrames) {
    ++self->counters_.dropped;  // TCP retransmits; the guest is not keeping up
    return static_cast<ssize_t>(length);
  }
  const auto* p = static_cast<const u8*>(buffer);
  self->to_guest_.emplace_back(p, p + length);
  return static_cast<ssize_t>(length);
}

void SlirpBackend::on_guest_error(const char* message, void*) { GuestLog::instance().log("slirp", "%s", message); }

int64_t SlirpBackend::on_clock(void*) { return monotonic_ns(); }

void* SlirpBackend::on_timer_new(void (*callback)(void*), void* callback_opaque, void* opaque) {
  auto* self = static_cast<SlirpBackend*>(opaque);
  self->timers_.push_back(std::make_unique<Timer>(Timer{callback, callback_opaque, -1}));
  return self->timers_.back().get();
}

void SlirpBackend::on_timer_free(void* timer, void* opaque) {
  auto* self = static_cast<SlirpBackend*>(opaque);
  std::erase_if(self->timers_, [timer](const std::unique_ptr<Timer>& t) { return t.get() == timer; });
}

void SlirpBackend::on_timer_mod(void* timer, int64_t expire_ms, void*) {
  static_cast<Timer*>(timer)->expire_ms = expire_ms;
}

int SlirpBackend::on_add_poll(int fd, int events, void* opaque) {
  auto* self = static_cast<SlirpBackend*>(opaque);
  short e = 0;
  if (events & SLIRP_POLL_IN) e |= POLLIN;
  if (events & SLIRP_POLL_OUT) e |= POLLOUT;
  if (events & SLIRP_POLL_PRI) e |= POLLPRI;
  self->fds_.push_back({fd, e, 0});
  return static_cast<int>(self->fds_.size() - 1);
}

int SlirpBackend::on_get_revents(int index, void* opaque) {
  auto* self = static_cast<SlirpBackend*>(opaque);
  if (index < 0 || static_cast<size_t>(index) >= self->fds_.size()) return 0;
  const short r = self->fds_[static_cast<size_t>(index)].revents;
  int out = 0;
  if (r & POLLIN) out |= SLIRP_POLL_IN;
  if (r & POLLOUT) out |= SLIRP_POLL_OUT;
  if (r & POLLPRI) out |= SLIRP_POLL_PRI;
  if (r & POLLERR) out |= SLIRP_POLL_ERR;
  if (r & POLLHUP) out |= SLIRP_POLL_HUP;
  return out;
}

}  // namespace emu
