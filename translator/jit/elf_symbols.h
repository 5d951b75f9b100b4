// The addresses of this program's own functions, by their linker names, read from the symbol
// table of /proc/self/exe. The JIT needs them in both directions: a DecodedInsn holds the address
// of the handler the interpreter calls (compiled by g++), and the JIT finds the same handler in
// the semantics bitcode (compiled by clang) by its mangled name, which the Itanium C++ ABI makes
// the same for both compilers — including the `_GLOBAL__N_1` of anonymous namespaces, which is
// why .symtab (local symbols too) is read rather than the dynamic symbol table.
#pragma once
#include <cstdint>
#include <string>
#include <unordered_map>

namespace emu::jit {

class ElfSymbols {
 public:
  // Reads /proc/self/exe. ok() is false (and error() says why) when the table is missing, e.g.
  // in a stripped binary; the JIT then stays off.
  ElfSymbols();

  bool ok() const { return error_.empty(); }
  const std::string& error() const { return error_; }

  // The run-time address of function or object `name`, or 0.
  std::uintptr_t address(const std::string& name) const;
  // The name of the function that starts at `address`, or nullptr.
  const std::string* name_at(std::uintptr_t address) const;

 private:
  std::unordered_map<std::string, std::uintptr_t> by_name_;
  std::unordered_map<std::uintptr_t, std::string> by_address_;
  std::string error_;
};

}  // namespace emu::jit
