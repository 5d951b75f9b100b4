#include "frontends/emu/drives.h"

#include <cstdio>

#include "images/image.h"

namespace emu {

bool open_drives(const Options& opt, std::vector<PcDrive>& drives, std::string& error) {
  for (const DriveOption& d : opt.drives) {
    PcDrive drive;
    drive.channel = static_cast<unsigned>(d.index) / 2;
    drive.unit = static_cast<unsigned>(d.index) % 2;
    drive.cdrom = d.cdrom;
    drive.file = d.file;
    if (!d.file.empty()) {
      ImageOptions io;
      io.path = d.file;
      if (!d.format.empty()) io.format = d.format;
      // A CD is read-only media; a snapshot never writes the image itself.
      io.read_only = d.read_only || d.cdrom;
      io.snapshot = (d.snapshot || opt.snapshot) && !io.read_only;
      auto opened = open_image(io);
      if (auto* message = std::get_if<std::string>(&opened)) {
        error = d.option + ": " + *message;
        return false;
      }
      OpenedImage& image = std::get<OpenedImage>(opened);
      for (const std::string& warning : image.warnings) std::fprintf(stderr, "emu: %s\n", warning.c_str());
      drive.image = std::move(image.device);
    }
    drives.push_back(std::move(drive));
  }
  return true;
}

}  // namespace emu
