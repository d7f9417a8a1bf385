// Source locations as users read them: "prelude:52:12 in models/gpt2.tfm:22:9" (a location
// with the call sites that led to it), shared by diagnostics, the kernel table and reports.
#ifndef ATTUNE_IR_LOCATIONS_H
#define ATTUNE_IR_LOCATIONS_H

#include "mlir/IR/Location.h"

#include <string>

namespace attune {

/// File:line:col, callee before caller ("... in ..."); the parts of a fused location joined
/// by " + ".
std::string describeLocation(mlir::Location loc);

} // namespace attune

#endif // ATTUNE_IR_LOCATIONS_H
