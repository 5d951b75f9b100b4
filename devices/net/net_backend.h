// The wire between an emulated network card and the host side of the network (DESIGN §6).
//
// A card (devices/pcnet) sees a NetBackend: it hands whole Ethernet frames to send() — destination
// MAC first, no preamble, no FCS — and receives frames through the NetReceiver it registered.
// Host backends (frontends/net: libslirp user-mode NAT, the socket backend joining VMs, TAP) live
// on the CPU thread: the machine's run loop calls poll() between CPU slices, and a backend only
// calls NetReceiver::receive() from inside poll() (or send(), for loopback-like backends), so a
// card's state is only ever touched from the CPU thread.
#pragma once
#include <poll.h>

#include <span>
#include <string>
#include <vector>

#include "core/types.h"

namespace emu {

// The card's side.
class NetReceiver {
 public:
  virtual ~NetReceiver() = default;
  // Whether the card could take a frame now (receiver on, a free descriptor). A backend that gets
  // false keeps the frame queued (bounded) and tries again at the next poll().
  virtual bool can_receive() const = 0;
  // One frame from the network (60..65535 bytes; backends pad runts to 60).
  virtual void receive(std::span<const u8> frame) = 0;
};

// The host's side.
class NetBackend {
 public:
  virtual ~NetBackend() = default;
  void attach(NetReceiver* receiver) { receiver_ = receiver; }
  // A frame the guest transmitted.
  virtual void send(std::span<const u8> frame) = 0;
  // Moves pending host traffic (sockets, timers, queued frames) to the receiver. Non-blocking.
  virtual void poll() = 0;
  // The host descriptors whose readiness poll() would act on (a socket with frames for the guest,
  // one with room for frames queued to send): a halted guest's idle wait watches them, so the
  // next poll() runs as soon as traffic arrives (Timeline::set_wait_fds).
  virtual void add_wait_fds(std::vector<pollfd>& fds) { (void)fds; }
  // The link as the host sees it; the monitor's `set_link` overrides it.
  virtual bool link_up() const { return true; }
  // One line for `info network`.
  virtual std::string describe() const = 0;

 protected:
  NetReceiver* receiver_ = nullptr;
};

}  // namespace emu
