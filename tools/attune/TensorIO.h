// Tensors in and out of `attune run` and `attune generate`: token ids from the command line,
// inputs read from and outputs written to safetensors files, and opening a library with
// exactly one input source.
#ifndef ATTUNE_TOOLS_ATTUNE_TENSORIO_H
#define ATTUNE_TOOLS_ATTUNE_TENSORIO_H

#include "tools/attune/LoadedLibrary.h"

#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/StringRef.h"

#include <memory>
#include <string>
#include <vector>

namespace attune {

/// Parses "1,2,3" (one sequence) or "1,2;3,4" (a batch; of equal lengths if `sameLength`),
/// given as --`option`. Prints the error and returns false on a malformed list.
bool parseTokens(llvm::StringRef text, std::vector<std::vector<int64_t>> &rows,
                 llvm::StringRef option, bool sameLength);

/// A token-id tensor [rows, length] (rows of equal length) with the dtype the model's
/// input `declared` expects.
OwnedTensor tokenTensor(const attune_tensor &declared,
                        const std::vector<std::vector<int64_t>> &rows);

/// Reads each input of `entry` from the safetensors file at `path` (by its name, or `rename`
/// for a single input), converting integer widths. Prints the error and returns false.
bool readInputs(LoadedLibrary &library, const std::string &path, const std::string &rename,
                std::vector<OwnedTensor> &inputs, const std::string &entry = "");

/// Writes `outputs` to a safetensors file; prints the error and returns false.
bool writeOutputs(const std::string &path, const std::vector<OwnedTensor> &outputs);

/// A shape or a position as the runtime's messages print one: "[1, 3, 512]".
std::string shapeText(llvm::ArrayRef<int64_t> sizes);
/// Element i of an i32 or i64 tensor, and of an f32, f16 or bf16 one. Read with memcpy: a
/// tensor of a safetensors file points into its mapping, aligned only as far as the file's
/// header length happens to align it (the format pads it to 8 bytes, not every writer does).
int64_t integerAt(const attune_tensor &t, size_t i);
float floatAt(const attune_tensor &t, size_t i);

/// What makes a model's outputs NaN or Inf, said where they are reported.
inline constexpr const char *kNotFiniteCauses =
    "the weights or inputs hold NaN or Inf, or a value overflows f32";

/// Whether every value of `output` is finite (integer tensors are); else says on stderr how
/// many are not and where the first is.
bool checkFinite(const OwnedTensor &output);

/// The index of the largest of `n` floats (the first on ties, as torch.argmax).
size_t argmax(const float *values, size_t n);

/// What run and generate start with: exactly one of --input and --`tokensOption`, then the
/// library opened. On failure returns null with `exitCode` set (2: usage, 1: the library or
/// weights).
/// What --weights may name, as the commands' help says it.
inline constexpr const char *kWeightsHelp =
    "Weights with Hugging Face names: a .safetensors file, a sharded checkpoint's "
    "model.safetensors.index.json, or a model directory holding either (and config.json)";

/// `name` (config.json, tokenizer.json, ...) in the model directory `weights` names, or in
/// the folder of the weights file or sharded checkpoint's index it names, as Hugging Face
/// checkpoints ship them, if it is there; else "".
std::string besideWeights(llvm::StringRef weights, llvm::StringRef name);

std::unique_ptr<LoadedLibrary> openWithOneSource(const std::string &input, const std::string &tokens,
                                                 llvm::StringRef tokensOption,
                                                 const std::string &library,
                                                 const std::string &modelName,
                                                 const std::string &weights, int &exitCode);

} // namespace attune

#endif // ATTUNE_TOOLS_ATTUNE_TENSORIO_H
