// A pcap recorder between a card and its backend (`dump=FILE` on -nic/-netdev): every frame
// either way goes to FILE in the libpcap format (LINKTYPE_ETHERNET), with the host's time, for
// tcpdump, tshark or Wireshark — teaching labs read the DHCP exchange from it.
#pragma once
#include <cstdio>
#include <memory>
#include <string>

#include "devices/net/net_backend.h"

namespace emu {

class PcapDump final : public NetBackend, public NetReceiver {
 public:
  // Takes over `inner`. nullptr and a reason when FILE cannot be written.
  static std::unique_ptr<PcapDump> create(std::unique_ptr<NetBackend> inner, const std::string& path,
                                          std::string& error);
  ~PcapDump() override;

  // Toward the network.
  void send(std::span<const u8> frame) override;
  void poll() override { inner_->poll(); }
  void add_wait_fds(std::vector<pollfd>& fds) override { inner_->add_wait_fds(fds); }
  bool link_up() const override { return inner_->link_up(); }
  std::string describe() const override;
  // Toward the card.
  bool can_receive() const override { return receiver_ && receiver_->can_receive(); }
  void receive(std::span<const u8> frame) override;

 private:
  PcapDump(std::unique_ptr<NetBackend> inner, std::FILE* file, std::string path);
  void record(std::span<const u8> frame);

  std::unique_ptr<NetBackend> inner_;
  std::FILE* file_;
  std::string path_;
  u64 frames_ = 0;
};

}  // namespace emu
