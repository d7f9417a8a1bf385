// Registers the attune dialect and its ops with an MLIRContext.
#include "ir/AttuneDialect.h"

using namespace mlir;
using namespace attune;

#include "ir/AttuneDialect.cpp.inc"

void AttuneDialect::initialize() {
  addOperations<
#define GET_OP_LIST
#include "ir/AttuneOps.cpp.inc"
      >();
}
