// Embeds frontend/prelude.tfm (see Prelude.h).
#include "frontend/Prelude.h"

llvm::StringRef attune::preludeSource() {
  static const char text[] =
#include "frontend/Prelude.inc"
      ;
  return llvm::StringRef(text, sizeof text - 1);
}
