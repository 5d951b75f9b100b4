#include "core/guest_log.h"

#include <doctest/doctest.h>

#include <cstdio>
#include <cstring>

using namespace emu;

TEST_CASE("guest log: each message kind is rate-limited, the rest counted") {
  GuestLog& log = GuestLog::instance();
  log.reset_counts();
  char buf[8192] = {};
  std::FILE* f = fmemopen(buf, sizeof buf, "w");
  log.set_stream(f);
  log.set_enabled(true);
  for (int k = 0; k < 100; ++k) log.log("test", "ring index %d out of range", k);
  log.log("test", "another kind");
  std::fflush(f);
  log.set_enabled(false);
  log.set_stream(stderr);
  std::fclose(f);
  CHECK(log.total() == 101);
  CHECK(log.suppressed() == 100 - GuestLog::kBurst);
  CHECK(std::strstr(buf, "ring index 0 out of range") != nullptr);
  CHECK(std::strstr(buf, "ring index 9 out of range") != nullptr);
  CHECK(std::strstr(buf, "ring index 10 out of range") == nullptr);
  CHECK(std::strstr(buf, "another kind") != nullptr);
  log.reset_counts();
}
