// See Locations.h.
#include "ir/Locations.h"

#include "mlir/IR/BuiltinAttributes.h"
#include "llvm/ADT/STLExtras.h"
#include "llvm/Support/raw_ostream.h"

#include <vector>

namespace attune {

std::string describeLocation(mlir::Location loc) {
  if (auto call = mlir::dyn_cast<mlir::CallSiteLoc>(loc))
    return describeLocation(call.getCallee()) + " in " + describeLocation(call.getCaller());
  if (auto file = mlir::dyn_cast<mlir::FileLineColLoc>(loc))
    return (file.getFilename().str() + ":" + std::to_string(file.getLine()) + ":" +
            std::to_string(file.getColumn()));
  if (auto name = mlir::dyn_cast<mlir::NameLoc>(loc))
    return describeLocation(name.getChildLoc());
  if (auto fused = mlir::dyn_cast<mlir::FusedLoc>(loc)) {
    // Each distinct part once, in order (fusing the same op twice repeats its location).
    std::vector<std::string> parts;
    for (mlir::Location part : fused.getLocations())
      if (std::string described = describeLocation(part);
          llvm::find(parts, described) == parts.end())
        parts.push_back(described);
    std::string text;
    for (const std::string &part : parts)
      text += (text.empty() ? "" : " + ") + part;
    return text;
  }
  std::string text;
  llvm::raw_string_ostream os(text);
  os << loc;
  return text;
}

} // namespace attune
