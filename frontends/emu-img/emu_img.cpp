// emu-img: create, inspect, convert, check and rebase disk images, in qemu-img's spelling and
// output shape (so scripts written for qemu-img work): create, info, convert, check, commit,
// rebase, resize. Exit status: 0 success, 1 error (with a one-line message); `check` uses
// qemu-img's 2 (corruptions), 3 (leaks) and 63 (format without checks).
#include <sys/stat.h>

#include <algorithm>
#include <cinttypes>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "images/image.h"
#include "images/image_file.h"
#include "images/qcow2_image.h"
#include "images/raw_image.h"
#include "images/vmdk_image.h"

namespace emu {
namespace {

int fail(const std::string& message) {
  std::fprintf(stderr, "emu-img: %s\n", message.c_str());
  return 1;
}

const char* kUsage =
    "usage: emu-img COMMAND [options]\n"
    "\n"
    "  create [-f fmt] [-b backing [-F backing_fmt]] [-o cluster_size=N,lazy_refcounts=on,compat=0.10|1.1] FILE "
    "[SIZE]\n"
    "  info [-f fmt] [--output=human|json] FILE\n"
    "  convert [-f fmt] [-O output_fmt] [-c] [-p] INPUT OUTPUT\n"
    "  check [-f fmt] [-r leaks|all] [--output=human|json] FILE\n"
    "  commit [-f fmt] FILE\n"
    "  rebase [-f fmt] [-u] -b backing [-F backing_fmt] FILE\n"
    "  resize [-f fmt] FILE [+]SIZE\n"
    "\n"
    "Formats: raw, qcow2 (read/write), vmdk (read: monolithicSparse, streamOptimized, monolithicFlat).\n"
    "SIZE takes the suffixes k, M, G, T (powers of 1024); a plain number is bytes.\n";

std::optional<u64> parse_size(const std::string& text) {
  if (text.empty()) return std::nullopt;
  char* end = nullptr;
  const double value = std::strtod(text.c_str(), &end);
  if (end == text.c_str() || value < 0) return std::nullopt;
  u64 unit = 1;
  const std::string suffix(end);
  if (suffix == "" || suffix == "b" || suffix == "B")
    unit = 1;
  else if (suffix == "k" || suffix == "K")
    unit = 1ull << 10;
  else if (suffix == "M" || suffix == "m")
    unit = 1ull << 20;
  else if (suffix == "G" || suffix == "g")
    unit = 1ull << 30;
  else if (suffix == "T" || suffix == "t")
    unit = 1ull << 40;
  else
    return std::nullopt;
  return static_cast<u64>(value * static_cast<double>(unit));
}

std::string human_size(u64 bytes) {
  static const char* units[] = {"B", "KiB", "MiB", "GiB", "TiB", "PiB"};
  double v = static_cast<double>(bytes);
  unsigned u = 0;
  while (v >= 1024 && u < 5) v /= 1024, ++u;
  char b[32];
  if (u == 0)
    std::snprintf(b, sizeof b, "%llu B", static_cast<unsigned long long>(bytes));
  else
    std::snprintf(b, sizeof b, "%.3g %s", v, units[u]);
  return b;
}

u64 disk_usage(const std::string& path) {
  struct stat st;
  return ::stat(path.c_str(), &st) == 0 ? static_cast<u64>(st.st_blocks) * 512 : 0;
}

std::string json_string(const std::string& s) {
  std::string out = "\"";
  for (const char c : s) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  return out + "\"";
}

struct Args {
  std::vector<std::string> positional;
  std::string format, output_format, backing, backing_format, options, output = "human", repair;
  bool compress = false, progress = false, unsafe = false;
};

// qemu-img's option letters; every option takes its value in the next argument.
bool parse_args(int argc, char** argv, int first, Args& a, std::string& error) {
  for (int k = first; k < argc; ++k) {
    const std::string arg = argv[k];
    auto value = [&](std::string& out) {
      if (k + 1 >= argc) {
        error = "option " + arg + " needs a value";
        return false;
      }
      out = argv[++k];
      return true;
    };
    if (arg == "-f") {
      if (!value(a.format)) return false;
    } else if (arg == "-O") {
      if (!value(a.output_format)) return false;
    } else if (arg == "-b") {
      if (!value(a.backing)) return false;
    } else if (arg == "-F") {
      if (!value(a.backing_format)) return false;
    } else if (arg == "-o") {
      if (!value(a.options)) return false;
    } else if (arg == "-r") {
      if (!value(a.repair)) return false;
    } else if (arg.rfind("--output=", 0) == 0) {
      a.output = arg.substr(9);
    } else if (arg == "-c") {
      a.compress = true;
    } else if (arg == "-p") {
      a.progress = true;
    } else if (arg == "-u") {
      a.unsafe = true;
    } else if (arg == "-q") {
      continue;
    } else if (arg.size() > 1 && arg[0] == '-' && !(std::isdigit(static_cast<unsigned char>(arg[1])))) {
      error = "unknown option '" + arg + "'";
      return false;
    } else {
      a.positional.push_back(arg);
    }
  }
  if (a.output != "human" && a.output != "json") {
    error = "--output must be human or json";
    return false;
  }
  return true;
}

std::variant<OpenedImage, std::string> open_for(const std::string& path, const std::string& format, bool writable,
                                                const std::string& backing_format = "") {
  ImageOptions o;
  o.path = path;
  if (!format.empty()) o.format = format;
  o.read_only = !writable;
  if (!backing_format.empty()) o.backing_format = backing_format;
  return open_image(o);
}

// ---- create ------------------------------------------------------------------------------------

int cmd_create(const Args& a) {
  if (a.positional.empty() || a.positional.size() > 2) return fail("create: give FILE [SIZE]");
  const std::string& path = a.positional[0];
  const std::string format = a.format.empty() ? "raw" : a.format;
  Qcow2Image::CreateOptions q;
  if (a.positional.size() == 2) {
    const auto size = parse_size(a.positional[1]);
    if (!size) return fail("invalid image size '" + a.positional[1] + "'");
    q.size = *size;
  }
  // -o KEY=VALUE,...
  std::string opts = a.options;
  while (!opts.empty()) {
    const std::string item = opts.substr(0, opts.find(','));
    opts = item.size() < opts.size() ? opts.substr(item.size() + 1) : "";
    const auto eq = item.find('=');
    const std::string key = item.substr(0, eq), value = eq == std::string::npos ? "" : item.substr(eq + 1);
    if (key == "cluster_size") {
      const auto cs = parse_size(value);
      if (!cs || *cs < 512 || (*cs & (*cs - 1))) return fail("invalid cluster_size '" + value + "'");
      q.cluster_bits = static_cast<u32>(__builtin_ctzll(*cs));
    } else if (key == "lazy_refcounts") {
      q.lazy_refcounts = value == "on" || value == "true";
    } else if (key == "compat") {
      if (value == "0.10")
        q.version = 2;
      else if (value == "1.1" || value == "v3")
        q.version = 3;
      else
        return fail("invalid compat '" + value + "' (0.10 or 1.1)");
    } else if (key == "size") {
      const auto size = parse_size(value);
      if (!size) return fail("invalid size '" + value + "'");
      q.size = *size;
    } else if (key == "backing_file") {
      const_cast<Args&>(a).backing = value;
    } else if (key == "backing_fmt") {
      const_cast<Args&>(a).backing_format = value;
    } else {
      return fail("unknown option '" + key + "' for format " + format);
    }
  }
  if (!a.backing.empty()) {
    if (format != "qcow2") return fail("backing files need the qcow2 format");
    if (a.backing_format.empty()) return fail("a backing file needs its format: add -F FMT (as qemu-img requires)");
    std::string backing_path = a.backing;
    if (backing_path[0] != '/') {
      const auto slash = path.find_last_of('/');
      if (slash != std::string::npos) backing_path = path.substr(0, slash + 1) + backing_path;
    }
    auto backing = open_for(backing_path, a.backing_format, false);
    if (auto* e = std::get_if<std::string>(&backing)) return fail("could not open backing file: " + *e);
    if (a.positional.size() < 2) q.size = std::get<OpenedImage>(backing).device->size();
    q.backing_file = a.backing;
    q.backing_format = a.backing_format;
  } else if (a.positional.size() < 2) {
    return fail("create: give the image size");
  }
  ImageFile file;
  if (std::string e = file.create(path); !e.empty()) return fail(e);
  if (format == "raw") {
    if (!file.truncate(q.size)) return fail("cannot size '" + path + "': " + file.error());
    std::printf("Formatting '%s', fmt=raw size=%llu\n", path.c_str(), static_cast<unsigned long long>(q.size));
    return 0;
  }
  if (format != "qcow2") return fail("'" + format + "': emu-img creates raw and qcow2 images");
  if (std::string e = Qcow2Image::create(file, q); !e.empty()) return fail(e);
  std::printf("Formatting '%s', fmt=qcow2 cluster_size=%llu extended_l2=off compression_type=zlib size=%llu",
              path.c_str(), 1ull << q.cluster_bits, static_cast<unsigned long long>(q.size));
  if (!q.backing_file.empty())
    std::printf(" backing_file=%s backing_fmt=%s", q.backing_file.c_str(), q.backing_format.c_str());
  std::printf(" lazy_refcounts=%s refcount_bits=16\n", q.lazy_refcounts ? "on" : "off");
  return 0;
}

// ---- info --------------------------------------------------------------------------------------

int cmd_info(const Args& a) {
  if (a.positional.size() != 1) return fail("info: give FILE");
  const std::string& path = a.positional[0];
  auto opened = open_for(path, a.format, false);
  if (auto* e = std::get_if<std::string>(&opened)) return fail(*e);
  OpenedImage& image = std::get<OpenedImage>(opened);
  const u64 virtual_size = image.device->size(), actual = disk_usage(path);
  auto* q = dynamic_cast<Qcow2Image*>(image.device.get());
  auto* v = dynamic_cast<VmdkImage*>(image.device.get());
  if (a.output == "json") {
    std::printf("{\n    \"virtual-size\": %llu,\n    \"filename\": %s,\n",
                static_cast<unsigned long long>(virtual_size), json_string(path).c_str());
    if (q) {
      const Qcow2Header& h = q->header();
      std::printf("    \"cluster-size\": %llu,\n", static_cast<unsigned long long>(q->cluster_size()));
      std::printf("    \"format\": \"qcow2\",\n    \"actual-size\": %llu,\n", static_cast<unsigned long long>(actual));
      std::printf(
          "    \"format-specific\": {\n        \"type\": \"qcow2\",\n        \"data\": {\n            \"compat\": "
          "\"%s\",\n            \"compression-type\": \"zlib\",\n            \"lazy-refcounts\": %s,\n            "
          "\"refcount-bits\": 16,\n            \"corrupt\": %s,\n            \"extended-l2\": false\n        }\n    "
          "},\n",
          h.version == 3 ? "1.1" : "0.10",
          (h.compatible_features & Qcow2Header::kCompatibleLazyRefcounts) ? "true" : "false",
          (h.incompatible_features & Qcow2Header::kIncompatibleCorrupt) ? "true" : "false");
      if (!h.backing_file.empty()) {
        std::printf("    \"backing-filename\": %s,\n", json_string(h.backing_file).c_str());
        if (!h.backing_format.empty())
          std::printf("    \"backing-filename-format\": %s,\n", json_string(h.backing_format).c_str());
      }
      std::printf("    \"dirty-flag\": %s\n}\n",
                  (h.incompatible_features & Qcow2Header::kIncompatibleDirty) ? "true" : "false");
    } else {
      std::printf("    \"format\": \"%s\",\n    \"actual-size\": %llu,\n", v ? "vmdk" : image.format.c_str(),
                  static_cast<unsigned long long>(actual));
      if (v)
        std::printf(
            "    \"format-specific\": {\n        \"type\": \"vmdk\",\n        \"data\": {\n            "
            "\"create-type\": %s\n        }\n    },\n",
            json_string(v->subformat()).c_str());
      std::printf("    \"dirty-flag\": false\n}\n");
    }
    return 0;
  }
  std::printf("image: %s\nfile format: %s\nvirtual size: %s (%llu bytes)\ndisk size: %s\n", path.c_str(),
              q   ? "qcow2"
              : v ? "vmdk"
                  : image.format.c_str(),
              human_size(virtual_size).c_str(), static_cast<unsigned long long>(virtual_size),
              human_size(actual).c_str());
  if (q) {
    const Qcow2Header& h = q->header();
    std::printf("cluster_size: %llu\n", static_cast<unsigned long long>(q->cluster_size()));
    if (!h.backing_file.empty()) {
      std::printf("backing file: %s\n", h.backing_file.c_str());
      if (!h.backing_format.empty()) std::printf("backing file format: %s\n", h.backing_format.c_str());
    }
    std::printf(
        "Format specific information:\n    compat: %s\n    compression type: zlib\n    lazy refcounts: %s\n    "
        "refcount "
        "bits: 16\n    corrupt: %s\n    extended l2: false\n",
        h.version == 3 ? "1.1" : "0.10",
        (h.compatible_features & Qcow2Header::kCompatibleLazyRefcounts) ? "true" : "false",
        (h.incompatible_features & Qcow2Header::kIncompatibleCorrupt) ? "true" : "false");
  } else if (v) {
    std::printf("Format specific information:\n    create type: %s\n", v->subformat().c_str());
  }
  return 0;
}

// ---- convert -----------------------------------------------------------------------------------

void show_progress(bool on, u64 done, u64 total) {
  if (!on) return;
  std::printf("    (%.2f/100%%)\r", total ? 100.0 * static_cast<double>(done) / static_cast<double>(total) : 100.0);
  std::fflush(stdout);
}

int cmd_convert(const Args& a) {
  if (a.positional.size() != 2) return fail("convert: give INPUT OUTPUT");
  const std::string out_format = a.output_format.empty() ? "raw" : a.output_format;
  if (out_format != "raw" && out_format != "qcow2") return fail("'" + out_format + "': emu-img writes raw and qcow2");
  if (a.compress && out_format != "qcow2") return fail("-c needs -O qcow2");
  auto opened = open_for(a.positional[0], a.format, false);
  if (auto* e = std::get_if<std::string>(&opened)) return fail(*e);
  BlockDevice& in = *std::get<OpenedImage>(opened).device;
  const u64 size = in.size();
  ImageFile file;
  if (std::string e = file.create(a.positional[1]); !e.empty()) return fail(e);
  std::unique_ptr<BlockDevice> out;
  Qcow2Image* q = nullptr;
  if (out_format == "raw") {
    if (!file.truncate(size)) return fail("cannot size the output: " + file.error());
    out = std::make_unique<RawImage>(std::move(file));
  } else {
    Qcow2Image::CreateOptions c;
    c.size = size;
    if (std::string e = Qcow2Image::create(file, c); !e.empty()) return fail(e);
    std::string error;
    auto image = Qcow2Image::open(std::move(file), nullptr, "", error);
    if (!image) return fail(error);
    q = image.get();
    out = std::move(image);
  }
  // Chunk by chunk (a cluster for qcow2), leaving all-zero chunks unwritten: they read as zeros.
  const u64 chunk = q ? q->cluster_size() : 1u << 20;
  std::vector<u8> buffer(chunk);
  show_progress(a.progress, 0, size);
  for (u64 at = 0; at < size; at += chunk) {
    const u64 n = std::min(chunk, size - at);
    const std::span<u8> part(buffer.data(), n);
    if (in.read(at, part) != BlockStatus::Ok) return fail("error reading " + a.positional[0] + ": " + in.last_error());
    if (std::all_of(part.begin(), part.end(), [](u8 b) { return b == 0; })) continue;
    BlockStatus s;
    if (a.compress && n == chunk) {
      s = q->write_compressed(at / chunk, part);
    } else {
      s = out->write(at, part);
    }
    if (s != BlockStatus::Ok) return fail("error writing " + a.positional[1] + ": " + out->last_error());
    if ((at / chunk) % 64 == 0) show_progress(a.progress, at + n, size);
  }
  if (out->flush() != BlockStatus::Ok) return fail("error flushing " + a.positional[1]);
  show_progress(a.progress, size, size);
  if (a.progress) std::printf("\n");
  return 0;
}

// ---- check -------------------------------------------------------------------------------------

int cmd_check(const Args& a) {
  if (a.positional.size() != 1) return fail("check: give FILE");
  if (!a.repair.empty() && a.repair != "leaks" && a.repair != "all") return fail("-r must be leaks or all");
  auto opened = open_for(a.positional[0], a.format, !a.repair.empty());
  if (auto* e = std::get_if<std::string>(&opened)) return fail(*e);
  auto* q = dynamic_cast<Qcow2Image*>(std::get<OpenedImage>(opened).device.get());
  if (!q) {
    std::fprintf(stderr, "emu-img: This image format does not support checks\n");
    return 63;
  }
  const Qcow2CheckResult r = q->check(a.repair == "leaks" || a.repair == "all", a.repair == "all");
  if (!r.error.empty()) return fail("check: " + r.error);
  const double allocated =
      r.total_clusters ? 100.0 * static_cast<double>(r.allocated_clusters) / static_cast<double>(r.total_clusters) : 0;
  if (a.output == "json") {
    std::printf(
        "{\n    \"image-end-offset\": %llu,\n    \"total-clusters\": %llu,\n    \"check-errors\": 0,\n    "
        "\"leaks\": %llu,\n    \"corruptions\": %llu,\n    \"leaks-fixed\": %llu,\n    \"corruptions-fixed\": %llu,\n  "
        "  "
        "\"allocated-clusters\": %llu,\n    \"filename\": %s,\n    \"format\": \"qcow2\"\n}\n",
        static_cast<unsigned long long>(r.image_end_offset), static_cast<unsigned long long>(r.total_clusters),
        static_cast<unsigned long long>(r.leaks), static_cast<unsigned long long>(r.corruptions),
        static_cast<unsigned long long>(r.leaks_fixed), static_cast<unsigned long long>(r.corruptions_fixed),
        static_cast<unsigned long long>(r.allocated_clusters), json_string(a.positional[0]).c_str());
  } else {
    for (const std::string& m : r.messages) std::fprintf(stderr, "%s\n", m.c_str());
    if (r.leaks_fixed || r.corruptions_fixed)
      std::printf(
          "The following inconsistencies were found and repaired:\n\n    %llu leaked clusters\n    %llu "
          "corruptions\n\nDouble checking the fixed image now...\n",
          static_cast<unsigned long long>(r.leaks_fixed), static_cast<unsigned long long>(r.corruptions_fixed));
    if (!r.leaks && !r.corruptions) std::printf("No errors were found on the image.\n");
    if (r.corruptions)
      std::printf(
          "\n%llu errors were found on the image.\nData may be corrupted, or further writes to the image may corrupt "
          "it.\n",
          static_cast<unsigned long long>(r.corruptions));
    if (r.leaks)
      std::printf(
          "\n%llu leaked clusters were found on the image.\nThis means waste of disk space, but no harm to data.\n",
          static_cast<unsigned long long>(r.leaks));
    std::printf("%llu/%llu = %.2f%% allocated, 0.00%% fragmented, 0.00%% compressed clusters\nImage end offset: %llu\n",
                static_cast<unsigned long long>(r.allocated_clusters),
                static_cast<unsigned long long>(r.total_clusters), allocated,
                static_cast<unsigned long long>(r.image_end_offset));
  }
  if (r.corruptions) return 2;
  if (r.leaks) return 3;
  return 0;
}

// ---- commit, rebase, resize -------------------------------------------------------------------

int cmd_commit(const Args& a) {
  if (a.positional.size() != 1) return fail("commit: give FILE");
  auto opened = open_for(a.positional[0], a.format, false);
  if (auto* e = std::get_if<std::string>(&opened)) return fail(*e);
  auto* q = dynamic_cast<Qcow2Image*>(std::get<OpenedImage>(opened).device.get());
  if (!q || q->header().backing_file.empty()) return fail("'" + a.positional[0] + "' has no backing file to commit to");
  std::string backing_path = q->header().backing_file;
  if (backing_path[0] != '/') {
    const auto slash = a.positional[0].find_last_of('/');
    if (slash != std::string::npos) backing_path = a.positional[0].substr(0, slash + 1) + backing_path;
  }
  // The overlay holds a shared lock on its backing file; the writer's lock needs it released.
  const std::string backing_format = q->header().backing_format;
  std::vector<std::pair<u64, std::vector<u8>>> clusters;
  const u64 cs = q->cluster_size();
  for (u64 at = 0; at < q->size(); at += cs)
    if (q->allocated(at)) {
      std::vector<u8> data(std::min(cs, q->size() - at));
      if (q->read(at, data) != BlockStatus::Ok) return fail("cannot read the overlay: " + q->last_error());
      clusters.emplace_back(at, std::move(data));
    }
  opened = std::string();
  auto backing = open_for(backing_path, backing_format, true);
  if (auto* e = std::get_if<std::string>(&backing)) return fail(*e);
  BlockDevice& base = *std::get<OpenedImage>(backing).device;
  for (auto& [at, data] : clusters)
    if (base.write(at, data) != BlockStatus::Ok) return fail("cannot write the backing file: " + base.last_error());
  if (base.flush() != BlockStatus::Ok) return fail("cannot flush the backing file");
  std::printf("Image committed.\n");
  return 0;
}

int cmd_rebase(const Args& a) {
  if (a.positional.size() != 1) return fail("rebase: give FILE");
  if (!a.backing.empty() && a.backing_format.empty()) return fail("rebase: give the new backing file's format with -F");
  auto opened = open_for(a.positional[0], a.format, true);
  if (auto* e = std::get_if<std::string>(&opened)) return fail(*e);
  auto* q = dynamic_cast<Qcow2Image*>(std::get<OpenedImage>(opened).device.get());
  if (!q) return fail("rebase works on qcow2 images");
  if (!a.unsafe) {
    // Safe mode: every cluster where the old and new backing files differ and the overlay has
    // no data of its own gets the old backing file's data, so the guest sees the same disk.
    std::unique_ptr<BlockDevice> new_backing;
    if (!a.backing.empty()) {
      std::string path = a.backing;
      if (path[0] != '/') {
        const auto slash = a.positional[0].find_last_of('/');
        if (slash != std::string::npos) path = a.positional[0].substr(0, slash + 1) + path;
      }
      auto nb = open_for(path, a.backing_format, false);
      if (auto* e = std::get_if<std::string>(&nb)) return fail("could not open the new backing file: " + *e);
      new_backing = std::move(std::get<OpenedImage>(nb).device);
    }
    BlockDevice* old_backing = q->backing();
    const u64 cs = q->cluster_size();
    std::vector<u8> old_data(cs), new_data(cs);
    for (u64 at = 0; at < q->size(); at += cs) {
      if (q->allocated(at)) continue;
      const u64 n = std::min(cs, q->size() - at);
      std::fill(old_data.begin(), old_data.end(), 0);
      std::fill(new_data.begin(), new_data.end(), 0);
      if (old_backing && at < old_backing->size())
        old_backing->read(at, std::span(old_data).first(std::min(n, old_backing->size() - at)));
      if (new_backing && at < new_backing->size())
        new_backing->read(at, std::span(new_data).first(std::min(n, new_backing->size() - at)));
      if (old_data != new_data && q->write(at, std::span(old_data).first(n)) != BlockStatus::Ok)
        return fail("cannot write the image: " + q->last_error());
    }
  }
  if (std::string e = q->set_backing(a.backing, a.backing_format); !e.empty()) return fail(e);
  return 0;
}

int cmd_resize(const Args& a) {
  if (a.positional.size() != 2) return fail("resize: give FILE SIZE");
  auto opened = open_for(a.positional[0], a.format, true);
  if (auto* e = std::get_if<std::string>(&opened)) return fail(*e);
  BlockDevice& image = *std::get<OpenedImage>(opened).device;
  std::string text = a.positional[1];
  const bool relative = text[0] == '+' || text[0] == '-';
  const bool shrink = text[0] == '-';
  if (relative) text = text.substr(1);
  const auto amount = parse_size(text);
  if (!amount) return fail("invalid size '" + a.positional[1] + "'");
  const u64 target = !relative ? *amount
                     : shrink  ? image.size() - std::min(image.size(), *amount)
                               : image.size() + *amount;
  if (auto* q = dynamic_cast<Qcow2Image*>(&image)) {
    if (std::string e = q->resize(target); !e.empty()) return fail(e);
  } else if (auto* raw = dynamic_cast<RawImage*>(&image)) {
    if (!raw->resize(target)) return fail(raw->last_error());
  } else {
    return fail("this image format cannot be resized");
  }
  std::printf("Image resized.\n");
  return 0;
}

}  // namespace
}  // namespace emu

int main(int argc, char** argv) {
  using namespace emu;
  if (argc < 2 || !std::strcmp(argv[1], "-h") || !std::strcmp(argv[1], "--help") || !std::strcmp(argv[1], "help")) {
    std::fputs(kUsage, argc < 2 ? stderr : stdout);
    return argc < 2 ? 1 : 0;
  }
  if (!std::strcmp(argv[1], "--version") || !std::strcmp(argv[1], "-V")) {
    std::puts("emu-img 0.1");
    return 0;
  }
  const std::string command = argv[1];
  Args a;
  std::string error;
  if (!parse_args(argc, argv, 2, a, error)) return fail(error);
  if (command == "create") return cmd_create(a);
  if (command == "info") return cmd_info(a);
  if (command == "convert") return cmd_convert(a);
  if (command == "check") return cmd_check(a);
  if (command == "commit") return cmd_commit(a);
  if (command == "rebase") return cmd_rebase(a);
  if (command == "resize") return cmd_resize(a);
  return fail("unknown command '" + command + "' (try 'emu-img --help')");
}
