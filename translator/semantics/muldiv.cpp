// Placeholder: being written. Returns no handler, so these operations raise #UD for now.
#include "translator/semantics/semantics.h"

namespace emu::sem {

Handler select_muldiv(const DecodedInsn&) { return nullptr; }

}  // namespace emu::sem
