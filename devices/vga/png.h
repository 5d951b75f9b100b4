// PNG files of VgaFrames: `screendump` writes them and the golden-image tests read them back.
// Only what that needs: 8-bit RGB, no interlace (PNG specification, W3C 2003, §11.2.2 IHDR).
// Writing uses no filter (type 0) on each row; reading undoes all five filter types, so images
// another program saved can be compared too. zlib does the deflate, CRC-32 and Adler-32.
#pragma once
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "devices/vga/vga_renderer.h"

namespace emu {

std::vector<u8> encode_png(const VgaFrame& frame);
// The image, or nothing and a reason (not a PNG, a bad chunk CRC, a format other than 8-bit
// RGB/RGBA without interlace, truncated data).
std::optional<VgaFrame> decode_png(std::span<const u8> file, std::string& error);

bool write_png_file(const std::string& path, const VgaFrame& frame, std::string& error);
std::optional<VgaFrame> read_png_file(const std::string& path, std::string& error);

}  // namespace emu
