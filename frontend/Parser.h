// Parses .tfm source into an ast::Program, reporting the first syntax error at
// file:line:col with the source line and a caret (through llvm::SourceMgr).
#ifndef ATTUNE_FRONTEND_PARSER_H
#define ATTUNE_FRONTEND_PARSER_H

#include "frontend/AST.h"

#include "llvm/Support/SourceMgr.h"

#include <optional>

namespace attune {

/// Parses buffer `bufferId` of `sources`, appending its functions to `program`. Returns false
/// (after printing the error) on a syntax error.
bool parseBuffer(llvm::SourceMgr &sources, unsigned bufferId, ast::Program &program);

} // namespace attune

#endif // ATTUNE_FRONTEND_PARSER_H
