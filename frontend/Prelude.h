// The standard prelude: functions written in the language itself (LayerNorm, Linear, attention,
// ...), embedded into the compiler and parsed before every model description.
#ifndef ATTUNE_FRONTEND_PRELUDE_H
#define ATTUNE_FRONTEND_PRELUDE_H

#include "llvm/ADT/StringRef.h"

namespace attune {
/// The text of frontend/prelude.tfm.
llvm::StringRef preludeSource();
} // namespace attune

#endif // ATTUNE_FRONTEND_PRELUDE_H
