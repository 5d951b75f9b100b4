// Container layout (all integers little-endian):
//   "EMUSTATE" u32 format-version
//   repeated sections:  u8 name-length, name, u32 version, u32 payload-size, payload
//   payload: repeated fields:  u8 name-length, name, u8 type, u32 size, data
#include "core/serializer.h"

#include <array>

namespace emu {

namespace {

constexpr char kMagic[8] = {'E', 'M', 'U', 'S', 'T', 'A', 'T', 'E'};
constexpr u32 kFormatVersion = 1;

void put_u32(std::vector<u8>& out, u32 v) {
  for (int k = 0; k < 4; ++k) out.push_back(static_cast<u8>(v >> (8 * k)));
}
void put_name(std::vector<u8>& out, std::string_view name) {
  out.push_back(static_cast<u8>(name.size()));
  out.insert(out.end(), name.begin(), name.end());
}

// A bounds-checked cursor over untrusted bytes.
struct Cursor {
  std::span<const u8> data;
  std::size_t pos = 0;
  bool failed = false;
  bool take(std::size_t n, std::span<const u8>& out) {
    if (failed || n > data.size() - pos) {
      failed = true;
      return false;
    }
    out = data.subspan(pos, n);
    pos += n;
    return true;
  }
  u32 u32le() {
    std::span<const u8> b;
    if (!take(4, b)) return 0;
    return b[0] | b[1] << 8 | b[2] << 16 | u32{b[3]} << 24;
  }
  u8 u8le() {
    std::span<const u8> b;
    if (!take(1, b)) return 0;
    return b[0];
  }
  std::string name() {
    const u8 n = u8le();
    std::span<const u8> b;
    if (n == 0 || n > StateReader::kMaxNameLength || !take(n, b)) {
      failed = true;
      return {};
    }
    return std::string(b.begin(), b.end());
  }
  bool at_end() const { return pos == data.size(); }
};

}  // namespace

StateWriter::StateWriter() {
  out_.insert(out_.end(), std::begin(kMagic), std::end(kMagic));
  put_u32(out_, kFormatVersion);
}

void StateWriter::section(std::string_view name, u32 version, const std::function<void(StateVisitor&)>& describe) {
  put_name(out_, name);
  put_u32(out_, version);
  const std::size_t size_at = out_.size();
  put_u32(out_, 0);
  section_start_ = out_.size();
  describe(*this);
  const u32 size = static_cast<u32>(out_.size() - section_start_);
  for (int k = 0; k < 4; ++k) out_[size_at + k] = static_cast<u8>(size >> (8 * k));
}

void StateWriter::raw(std::string_view name, Type type, void* data, std::size_t size) {
  put_name(out_, name);
  out_.push_back(static_cast<u8>(type));
  put_u32(out_, static_cast<u32>(size));
  const u8* p = static_cast<const u8*>(data);
  out_.insert(out_.end(), p, p + size);
}

std::vector<u8> StateWriter::finish() { return std::move(out_); }

StateReader::StateReader(std::span<const u8> data) {
  Cursor c{data};
  std::span<const u8> magic;
  if (!c.take(sizeof kMagic, magic) || std::memcmp(magic.data(), kMagic, sizeof kMagic) != 0) {
    error_ = "not an emu state file (bad magic)";
    return;
  }
  if (const u32 v = c.u32le(); v != kFormatVersion) {
    error_ = "unsupported state file format version " + std::to_string(v);
    return;
  }
  while (!c.at_end() && !c.failed) {
    const std::string sname = c.name();
    const u32 version = c.u32le();
    const u32 size = c.u32le();
    std::span<const u8> payload;
    if (c.failed || !c.take(size, payload)) break;
    if (sections_.count(sname)) {
      error_ = "section '" + sname + "' appears twice";
      return;
    }
    Section& sec = sections_[sname];
    sec.version = version;
    Cursor f{payload};
    while (!f.at_end() && !f.failed) {
      const std::string fname = f.name();
      const u8 type = f.u8le();
      const u32 fsize = f.u32le();
      std::span<const u8> fdata;
      if (f.failed || type < 1 || type > 4 || fsize > kMaxFieldSize || !f.take(fsize, fdata)) {
        f.failed = true;
        break;
      }
      if (sec.fields.count(fname)) {
        error_ = "field '" + fname + "' appears twice in section '" + sname + "'";
        return;
      }
      sec.fields[fname] = Field{static_cast<Type>(type), fdata};
    }
    if (f.failed) {
      error_ = "section '" + sname + "' is malformed";
      return;
    }
  }
  if (c.failed) error_ = "the state file is truncated or malformed";
}

void StateReader::section(std::string_view name, u32 max_version,
                          const std::function<void(StateVisitor&, u32 version)>& describe) {
  if (!ok()) return;
  auto it = sections_.find(name);
  if (it == sections_.end()) {
    reject("state has no section '" + std::string(name) + "'");
    return;
  }
  if (it->second.version > max_version) {
    reject("section '" + std::string(name) + "' has version " + std::to_string(it->second.version) +
           ", newer than this emu understands (" + std::to_string(max_version) + ")");
    return;
  }
  current_ = &it->second;
  current_name_ = std::string(name);
  describe(*this, it->second.version);
  current_ = nullptr;
}

void StateReader::raw(std::string_view name, Type type, void* data, std::size_t size) {
  if (!ok() || !current_) return;
  auto it = current_->fields.find(name);
  // A field the file does not have keeps its current (default) value: it was added to the
  // component after the file was written.
  if (it == current_->fields.end()) return;
  if (it->second.type != type || it->second.data.size() != size) {
    reject("field '" + std::string(name) + "' of section '" + current_name_ + "' has the wrong type or size");
    return;
  }
  if (size) std::memcpy(data, it->second.data.data(), size);  // an empty field may have no buffer
}

}  // namespace emu
