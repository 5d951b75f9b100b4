// Opens the images of -hda..-hdd, -cdrom and -drive for the PC's IDE controller.
#pragma once
#include <string>
#include <vector>

#include "devices/pc/pc_machine.h"
#include "frontends/emu/options.h"

namespace emu {

// Opens every drive of `opt` (with -snapshot applied) into `drives`. Warnings (a raw image
// recognised by probing) go to stderr; a failure names the option and returns false.
bool open_drives(const Options& opt, std::vector<PcDrive>& drives, std::string& error);

}  // namespace emu
