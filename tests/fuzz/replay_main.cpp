// Runs a libFuzzer entry point over files without libFuzzer: the CI smoke test replays the
// committed corpus through the same LLVMFuzzerTestOneInput the fuzzer uses, in a plain build.
//   <target>_replay FILE_OR_DIRECTORY...
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, std::size_t size);

namespace {
void run_file(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::vector<uint8_t> bytes((std::istreambuf_iterator<char>(in)), {});
  LLVMFuzzerTestOneInput(bytes.data(), bytes.size());
}
}  // namespace

int main(int argc, char** argv) {
  std::size_t files = 0;
  for (int k = 1; k < argc; ++k) {
    const std::filesystem::path p = argv[k];
    if (std::filesystem::is_directory(p)) {
      std::vector<std::filesystem::path> entries;
      for (const auto& e : std::filesystem::directory_iterator(p))
        if (e.is_regular_file()) entries.push_back(e.path());
      std::sort(entries.begin(), entries.end());
      for (const auto& e : entries) run_file(e), ++files;
    } else {
      run_file(p);
      ++files;
    }
  }
  std::printf("replayed %zu inputs\n", files);
  return files ? 0 : 1;
}
