#include "frontends/net/pcap_dump.h"

#include <cerrno>
#include <chrono>
#include <cstring>

namespace emu {

namespace {

constexpr u32 kSnapLength = 65535;
constexpr u32 kLinkTypeEthernet = 1;

void put32(std::FILE* f, u32 v) {
  const u8 b[4] = {static_cast<u8>(v), static_cast<u8>(v >> 8), static_cast<u8>(v >> 16), static_cast<u8>(v >> 24)};
  std::fwrite(b, 1, 4, f);
}
void put16(std::FILE* f, u16 v) {
  const u8 b[2] = {static_cast<u8>(v), static_cast<u8>(v >> 8)};
  std::fwrite(b, 1, 2, f);
}

}  // namespace

std::unique_ptr<PcapDump> PcapDump::create(std::unique_ptr<NetBackend> inner, const std::string& path,
                                           std::string& error) {
  std::FILE* f = std::fopen(path.c_str(), "wb");
  if (!f) {
    error = "dump: cannot write '" + path + "': " + std::strerror(errno);
    return nullptr;
  }
  // The libpcap file header: magic (microsecond timestamps), version 2.4, UTC, snap length,
  // link type.
  put32(f, 0xA1B2C3D4u);
  put16(f, 2);
  put16(f, 4);
  put32(f, 0);
  put32(f, 0);
  put32(f, kSnapLength);
  put32(f, kLinkTypeEthernet);
  std::fflush(f);
  return std::unique_ptr<PcapDump>(new PcapDump(std::move(inner), f, path));
}

PcapDump::PcapDump(std::unique_ptr<NetBackend> inner, std::FILE* file, std::string path)
    : inner_(std::move(inner)), file_(file), path_(std::move(path)) {
  inner_->attach(this);
}

PcapDump::~PcapDump() {
  inner_->attach(nullptr);
  std::fclose(file_);
}

void PcapDump::record(std::span<const u8> frame) {
  const auto now = std::chrono::system_clock::now().time_since_epoch();
  const auto us = std::chrono::duration_cast<std::chrono::microseconds>(now).count();
  const u32 kept = static_cast<u32>(std::min<size_t>(frame.size(), kSnapLength));
  put32(file_, static_cast<u32>(us / 1'000'000));
  put32(file_, static_cast<u32>(us % 1'000'000));
  put32(file_, kept);
  put32(file_, static_cast<u32>(frame.size()));
  std::fwrite(frame.data(), 1, kept, file_);
  std::fflush(file_);  // a dump is read while emu runs, and must survive a kill
  ++frames_;
}

void PcapDump::send(std::span<const u8> frame) {
  record(frame);
  inner_->send(frame);
}

void PcapDump::receive(std::span<const u8> frame) {
  record(frame);
  if (receiver_) receiver_->receive(frame);
}

std::string PcapDump::describe() const {
  return inner_->describe() + ", dumped to " + path_ + " (" + std::to_string(frames_) + " frames)";
}

}  // namespace emu
