//===- StrictJson.h - JSON as llvm::json reads it, keys given twice refused -----*- C++ -*-===//
//
// The Hugging Face files attune reads (config.json, generation_config.json, tokenizer.json)
// are written by Python, whose json module keeps the last of two equal keys in an object,
// where llvm::json keeps the first: a file with `"n_embd"` twice would describe one model to
// Hugging Face and another to attune. parseStrictJson refuses such a file instead.
//
//===----------------------------------------------------------------------------------===//
#ifndef ATTUNE_SUPPORT_STRICTJSON_H
#define ATTUNE_SUPPORT_STRICTJSON_H

#include "llvm/Support/Error.h"
#include "llvm/Support/JSON.h"

namespace attune {

/// `text` parsed by llvm::json::parse; an error ("[3:14]: key 'n_embd' is given twice in one
/// object") if any object in it has two equal keys (compared after unescaping).
llvm::Expected<llvm::json::Value> parseStrictJson(llvm::StringRef text);

} // namespace attune

#endif
