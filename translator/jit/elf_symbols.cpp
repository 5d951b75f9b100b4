#include "translator/jit/elf_symbols.h"

#include <elf.h>
#include <link.h>

#include <cstdio>
#include <cstring>
#include <vector>

namespace emu::jit {

namespace {

// The load bias of the main program (a position-independent executable is mapped at a random
// base; .symtab holds addresses relative to 0).
std::uintptr_t main_program_bias() {
  std::uintptr_t bias = 0;
  dl_iterate_phdr(
      [](dl_phdr_info* info, std::size_t, void* out) {
        *static_cast<std::uintptr_t*>(out) = info->dlpi_addr;
        return 1;  // the first entry is the main program
      },
      &bias);
  return bias;
}

}  // namespace

ElfSymbols::ElfSymbols() {
  std::vector<char> file;
  if (std::FILE* in = std::fopen("/proc/self/exe", "rb")) {
    char chunk[1 << 16];
    for (std::size_t n; (n = std::fread(chunk, 1, sizeof chunk, in)) > 0;) file.insert(file.end(), chunk, chunk + n);
    std::fclose(in);
  }
  if (file.size() < sizeof(Elf64_Ehdr)) {
    error_ = "cannot read /proc/self/exe";
    return;
  }
  Elf64_Ehdr eh;
  std::memcpy(&eh, file.data(), sizeof eh);
  if (std::memcmp(eh.e_ident, ELFMAG, SELFMAG) != 0 || eh.e_ident[EI_CLASS] != ELFCLASS64 ||
      eh.e_shoff + std::uint64_t{eh.e_shnum} * sizeof(Elf64_Shdr) > file.size()) {
    error_ = "/proc/self/exe is not a 64-bit ELF file";
    return;
  }
  auto section = [&](unsigned k) {
    Elf64_Shdr sh;
    std::memcpy(&sh, file.data() + eh.e_shoff + k * sizeof(Elf64_Shdr), sizeof sh);
    return sh;
  };
  const std::uintptr_t bias = main_program_bias();
  for (unsigned k = 0; k < eh.e_shnum; ++k) {
    const Elf64_Shdr symtab = section(k);
    if (symtab.sh_type != SHT_SYMTAB || symtab.sh_link >= eh.e_shnum) continue;
    const Elf64_Shdr strtab = section(symtab.sh_link);
    if (symtab.sh_offset + symtab.sh_size > file.size() || strtab.sh_offset + strtab.sh_size > file.size()) break;
    for (std::size_t off = 0; off + sizeof(Elf64_Sym) <= symtab.sh_size; off += sizeof(Elf64_Sym)) {
      Elf64_Sym sym;
      std::memcpy(&sym, file.data() + symtab.sh_offset + off, sizeof sym);
      const unsigned type = ELF64_ST_TYPE(sym.st_info);
      if ((type != STT_FUNC && type != STT_OBJECT) || sym.st_shndx == SHN_UNDEF || sym.st_name >= strtab.sh_size)
        continue;
      const char* name = file.data() + strtab.sh_offset + sym.st_name;
      const std::size_t len = strnlen(name, strtab.sh_size - sym.st_name);
      std::string key(name, len);
      const std::uintptr_t address = bias + sym.st_value;
      if (type == STT_FUNC) by_address_.emplace(address, key);
      by_name_.emplace(std::move(key), address);
    }
  }
  if (by_name_.empty()) error_ = "/proc/self/exe has no symbol table (stripped?)";
}

std::uintptr_t ElfSymbols::address(const std::string& name) const {
  auto it = by_name_.find(name);
  return it == by_name_.end() ? 0 : it->second;
}

const std::string* ElfSymbols::name_at(std::uintptr_t address) const {
  auto it = by_address_.find(address);
  return it == by_address_.end() ? nullptr : &it->second;
}

}  // namespace emu::jit
