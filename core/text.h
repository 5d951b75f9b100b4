// Text helpers of the command interpreters (the monitor, the debugger): printf into a
// std::string for their fixed-column output, and the word splitting of their command lines.
#pragma once
#include <cstdarg>
#include <string>
#include <string_view>

namespace emu {

// The formatted text, however long.
[[gnu::format(printf, 1, 2)]] std::string printf_string(const char* fmt, ...);
std::string vprintf_string(const char* fmt, va_list args);

// `s` without leading and trailing white space.
std::string_view trim(std::string_view s);
// Splits the first white-space-separated word off `s` (which keeps the trimmed rest).
std::string_view next_word(std::string_view& s);

}  // namespace emu
