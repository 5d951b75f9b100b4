// printf into a std::string: the monitor's and the debugger's fixed-column text.
#pragma once
#include <cstdarg>
#include <string>

namespace emu {

// The formatted text, however long.
[[gnu::format(printf, 1, 2)]] std::string printf_string(const char* fmt, ...);
std::string vprintf_string(const char* fmt, va_list args);

}  // namespace emu
