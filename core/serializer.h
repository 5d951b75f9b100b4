// The state serializer every component uses for savevm/loadvm, migration and record/replay
// (DESIGN §10). A component describes its state once, field by field and by name, in a
// `serialize(StateVisitor&)` function; the same description saves and loads (anchors: QEMU's
// VMState, Bochs's param tree).
//
// The format is self-describing: sections (one per component, with a version) hold named,
// typed, sized fields. A loader finds fields by name, so adding a field to a component does not
// break old files (the new field keeps its default), and a field that changed type or size is a
// clear error. A state file is untrusted input: every length is bounded, every lookup checked,
// and a component validates the values it loaded before the machine uses them.
#pragma once
#include <array>
#include <cstring>
#include <functional>
#include <map>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

#include "core/types.h"

namespace emu {

class StateVisitor {
 public:
  virtual ~StateVisitor() = default;
  virtual bool loading() const = 0;

  // Visits one integer, bool or enum field.
  template <typename T>
  requires(std::is_integral_v<T> || std::is_enum_v<T>) void field(std::string_view name, T& value) {
    if constexpr (std::is_same_v<T, bool>) {
      // Stored as a byte; any non-zero byte loads as true (a bool holding another bit pattern
      // would be undefined behaviour).
      u8 b = value ? 1 : 0;
      raw(name, Type::Integer, &b, 1);
      value = b != 0;
    } else {
      raw(name, Type::Integer, &value, sizeof(T));
    }
  }
  void field(std::string_view name, long double& value) { raw(name, Type::Float80, &value, 10); }
  // A fixed-size array of integers.
  template <typename T, std::size_t N>
  requires(std::is_integral_v<T>) void field(std::string_view name, std::array<T, N>& values) {
    raw(name, Type::Array, values.data(), sizeof(T) * N);
  }
  void bytes(std::string_view name, std::span<u8> data) { raw(name, Type::Bytes, data.data(), data.size()); }

  // Records that the state just loaded is unacceptable (a component's validation step).
  void reject(std::string why) {
    if (error_.empty()) error_ = std::move(why);
  }
  bool ok() const { return error_.empty(); }
  const std::string& error() const { return error_; }

  enum class Type : u8 { Integer = 1, Float80 = 2, Array = 3, Bytes = 4 };

 protected:
  virtual void raw(std::string_view name, Type type, void* data, std::size_t size) = 0;
  std::string error_;
};

// Writes sections into a byte buffer.
class StateWriter final : public StateVisitor {
 public:
  StateWriter();
  bool loading() const override { return false; }
  // Runs `describe` for one component inside a named, versioned section.
  void section(std::string_view name, u32 version, const std::function<void(StateVisitor&)>& describe);
  std::vector<u8> finish();

 private:
  void raw(std::string_view name, Type type, void* data, std::size_t size) override;
  std::vector<u8> out_;
  std::size_t section_start_ = 0;
};

// Reads sections from a byte buffer produced by StateWriter (or by an attacker).
class StateReader final : public StateVisitor {
 public:
  // Parses the container. On malformed input ok() is false and error() says what is wrong.
  explicit StateReader(std::span<const u8> data);
  bool loading() const override { return true; }
  bool has_section(std::string_view name) const { return sections_.count(std::string(name)) != 0; }
  // Runs `describe` against the named section's fields. A missing section, or a version newer
  // than `max_version`, is an error. `describe` receives the version found in the file.
  void section(std::string_view name, u32 max_version, const std::function<void(StateVisitor&, u32 version)>& describe);

  static constexpr std::size_t kMaxNameLength = 64;
  static constexpr std::size_t kMaxFieldSize = 1u << 30;

 private:
  struct Field {
    Type type;
    std::span<const u8> data;
  };
  struct Section {
    u32 version;
    std::map<std::string, Field, std::less<>> fields;
  };
  void raw(std::string_view name, Type type, void* data, std::size_t size) override;
  std::map<std::string, Section, std::less<>> sections_;
  const Section* current_ = nullptr;
  std::string current_name_;
};

}  // namespace emu
