#include "devices/vga/png.h"

#include <zlib.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>

namespace emu {

namespace {

constexpr u8 kSignature[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1A, '\n'};

void put_u32(std::vector<u8>& out, u32 v) {
  for (int shift = 24; shift >= 0; shift -= 8) out.push_back(static_cast<u8>(v >> shift));
}
u32 get_u32(const u8* p) { return u32{p[0]} << 24 | u32{p[1]} << 16 | u32{p[2]} << 8 | p[3]; }

// A chunk: length, type, data, CRC-32 over type and data (PNG §5.3).
void put_chunk(std::vector<u8>& out, const char* type, std::span<const u8> data) {
  put_u32(out, static_cast<u32>(data.size()));
  const size_t type_at = out.size();
  out.insert(out.end(), type, type + 4);
  out.insert(out.end(), data.begin(), data.end());
  put_u32(out, static_cast<u32>(crc32(0, out.data() + type_at, static_cast<uInt>(4 + data.size()))));
}

// PNG §9.4: the Paeth predictor.
u8 paeth(int a, int b, int c) {
  const int p = a + b - c, pa = std::abs(p - a), pb = std::abs(p - b), pc = std::abs(p - c);
  if (pa <= pb && pa <= pc) return static_cast<u8>(a);
  return static_cast<u8>(pb <= pc ? b : c);
}

}  // namespace

std::vector<u8> encode_png(const VgaFrame& frame) {
  std::vector<u8> raw;
  raw.reserve(std::size_t{frame.height} * (1 + 3 * std::size_t{frame.width}));
  for (unsigned y = 0; y < frame.height; ++y) {
    raw.push_back(0);  // filter type 0: none
    for (unsigned x = 0; x < frame.width; ++x) {
      const u32 p = frame.pixel(x, y);
      raw.push_back(static_cast<u8>(p >> 16)), raw.push_back(static_cast<u8>(p >> 8)),
          raw.push_back(static_cast<u8>(p));
    }
  }
  uLongf packed_size = compressBound(static_cast<uLong>(raw.size()));
  std::vector<u8> packed(packed_size);
  compress2(packed.data(), &packed_size, raw.data(), static_cast<uLong>(raw.size()), Z_BEST_SPEED);
  packed.resize(packed_size);

  std::vector<u8> out(std::begin(kSignature), std::end(kSignature));
  std::vector<u8> header;
  put_u32(header, frame.width);
  put_u32(header, frame.height);
  header.insert(header.end(), {8, 2, 0, 0, 0});  // 8 bits, colour type 2 (RGB), deflate, filter 0, no interlace
  put_chunk(out, "IHDR", header);
  put_chunk(out, "IDAT", packed);
  put_chunk(out, "IEND", {});
  return out;
}

std::optional<VgaFrame> decode_png(std::span<const u8> file, std::string& error) {
  if (file.size() < 8 || std::memcmp(file.data(), kSignature, 8) != 0) {
    error = "not a PNG file";
    return std::nullopt;
  }
  unsigned width = 0, height = 0, channels = 0;
  std::vector<u8> packed;
  for (size_t at = 8;;) {
    if (file.size() - at < 12) {
      error = "truncated (no IEND chunk)";
      return std::nullopt;
    }
    const u32 length = get_u32(&file[at]);
    if (length > file.size() - at - 12) {
      error = "a chunk runs past the end of the file";
      return std::nullopt;
    }
    const u8* type = &file[at + 4];
    const u8* data = &file[at + 8];
    if (get_u32(data + length) != static_cast<u32>(crc32(0, type, length + 4))) {
      error = "bad CRC in a " + std::string(reinterpret_cast<const char*>(type), 4) + " chunk";
      return std::nullopt;
    }
    if (std::memcmp(type, "IHDR", 4) == 0 && length == 13) {
      width = get_u32(data), height = get_u32(data + 4);
      const u8 depth = data[8], colour = data[9], interlace = data[12];
      channels = colour == 2 ? 3 : colour == 6 ? 4 : 0;
      if (depth != 8 || !channels || interlace != 0 || width == 0 || height == 0 || width > 16384 || height > 16384) {
        error = "only 8-bit RGB or RGBA PNGs without interlace, up to 16384 pixels a side, are read";
        return std::nullopt;
      }
    } else if (std::memcmp(type, "IDAT", 4) == 0) {
      packed.insert(packed.end(), data, data + length);
    } else if (std::memcmp(type, "IEND", 4) == 0) {
      break;
    }
    at += 12 + length;
  }
  if (!channels) {
    error = "no IHDR chunk";
    return std::nullopt;
  }
  const size_t stride = std::size_t{width} * channels;
  std::vector<u8> raw(std::size_t{height} * (stride + 1));
  uLongf raw_size = static_cast<uLongf>(raw.size());
  if (uncompress(raw.data(), &raw_size, packed.data(), static_cast<uLong>(packed.size())) != Z_OK ||
      raw_size != raw.size()) {
    error = "the image data does not inflate to width x height pixels";
    return std::nullopt;
  }
  VgaFrame frame{width, height, std::vector<u32>(std::size_t{width} * height)};
  std::vector<u8> previous(stride, 0), row(stride);
  for (unsigned y = 0; y < height; ++y) {
    const u8* in = &raw[y * (stride + 1)];
    const u8 filter = in[0];
    for (size_t i = 0; i < stride; ++i) {
      const int a = i >= channels ? row[i - channels] : 0, b = previous[i],
                c = i >= channels ? previous[i - channels] : 0;
      const u8 x = in[1 + i];
      switch (filter) {
        case 0: row[i] = x; break;
        case 1: row[i] = static_cast<u8>(x + a); break;
        case 2: row[i] = static_cast<u8>(x + b); break;
        case 3: row[i] = static_cast<u8>(x + (a + b) / 2); break;
        case 4: row[i] = static_cast<u8>(x + paeth(a, b, c)); break;
        default: error = "unknown row filter " + std::to_string(filter); return std::nullopt;
      }
    }
    for (unsigned x = 0; x < width; ++x) {
      const u8* p = &row[std::size_t{x} * channels];
      frame.pixels[std::size_t{y} * width + x] = u32{p[0]} << 16 | u32{p[1]} << 8 | p[2];
    }
    previous.swap(row);
  }
  return frame;
}

bool write_png_file(const std::string& path, const VgaFrame& frame, std::string& error) {
  const std::vector<u8> bytes = encode_png(frame);
  std::FILE* f = std::fopen(path.c_str(), "wb");
  if (!f || std::fwrite(bytes.data(), 1, bytes.size(), f) != bytes.size()) {
    error = "cannot write '" + path + "': " + std::strerror(errno);
    if (f) std::fclose(f);
    return false;
  }
  if (std::fclose(f) != 0) {
    error = "cannot write '" + path + "': " + std::strerror(errno);
    return false;
  }
  return true;
}

std::optional<VgaFrame> read_png_file(const std::string& path, std::string& error) {
  std::FILE* f = std::fopen(path.c_str(), "rb");
  if (!f) {
    error = "cannot open '" + path + "': " + std::strerror(errno);
    return std::nullopt;
  }
  std::vector<u8> bytes;
  u8 chunk[65536];
  for (size_t n; (n = std::fread(chunk, 1, sizeof chunk, f)) > 0;) bytes.insert(bytes.end(), chunk, chunk + n);
  std::fclose(f);
  auto frame = decode_png(bytes, error);
  if (!frame) error = path + ": " + error;
  return frame;
}

}  // namespace emu
