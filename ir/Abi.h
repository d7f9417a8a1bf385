// Names that make up a compiled model's ABI: attributes set on entry-function arguments by
// attune-lower-entry and attune-pack-weights and on the module by attune-instrument-kernels,
// read by the model interface (backends/cpu/ModelInterface.cpp) and rendered into the
// runtime manifest; the runtime functions generated code calls; the symbols a library exports.
#ifndef ATTUNE_IR_ABI_H
#define ATTUNE_IR_ABI_H

#include "llvm/ADT/StringRef.h"

namespace attune::abi {

/// On a func.func: it is an entry point of the model; its value (a string) names it, else
/// it is "forward".
constexpr llvm::StringLiteral kEntry = "attune.entry";

/// The tensor's name (Hugging Face naming for weights) and its role: "input", "weight" or
/// "output".
constexpr llvm::StringLiteral kName = "attune.name";
constexpr llvm::StringLiteral kRole = "attune.role";
/// Names of the argument's dynamic dims, in order ("batch", "seq").
constexpr llvm::StringLiteral kDims = "attune.dims";
/// On an integer input: `[lo, hi]`, the values it may hold are lo <= v < hi (an input of
/// token ids: the rows of the tables it selects, attune-lower-entry). The manifest's input
/// line ends `values LO HI`; the runtime rejects a run whose input holds anything else.
constexpr llvm::StringLiteral kValues = "attune.values";
/// On the module: the largest size of every named dynamic dim, `{batch = 8, seq = 1024}`.
/// The frontend records the description's bounds; attune-derive-decode-step adds `cache`.
constexpr llvm::StringLiteral kBounds = "attune.bounds";

/// A step entry derived by attune-derive-decode-step is named after the entry it steps plus
/// this suffix, and carries `attune.step = {of = "<entry>", tokens = "<token input>"}`
/// (the manifest's `step` line). Its extra input `past_lengths`
/// (i32 [batch]) counts the tokens each row already holds in the cache; its arguments of role
/// `state` are the KV cache (one key and one value cache per cached attention, named
/// `cache.<n>.key` / `cache.<n>.value`), whose dynamic dim `cache` is the session's capacity,
/// read and written in place.
constexpr llvm::StringLiteral kStepSuffix = "_step";
/// A step whose attentions read another input (cross-attention to an encoder's output) reads
/// their keys and values from states `context.<n>.key` / `.value`, written once per sequence
/// by `<entry>_context` (marked `attune.context_of = "<entry>"`; the manifest's `context`
/// line), which takes the entry's inputs and computes nothing else.
constexpr llvm::StringLiteral kContextSuffix = "_context";
constexpr llvm::StringLiteral kContextOf = "attune.context_of";
constexpr llvm::StringLiteral kStep = "attune.step";
constexpr llvm::StringLiteral kPastLengths = "past_lengths";
constexpr llvm::StringLiteral kStateRole = "state";
constexpr llvm::StringLiteral kCacheDim = "cache";

/// The last argument of every entry after attune-plan-memory: the bytes its intermediates
/// live in (`memref<?xi8>`, 64-byte aligned, named and of role "workspace"), sized by the
/// entry's size function. The entry carries `attune.workspace = {size_function = @F, dims =
/// ["batch", ...], planned, minimum, buffers, in_place, unplanned}`; F is `<function>` plus the suffix,
/// `(memref<?xi64> dims, memref<1xi64> bytes)`, the dims in that order (the manifest's
/// `workspace` line). The library dispatches it as entry number `entries + i` of NAME_entry
/// for the i-th entry point.
constexpr llvm::StringLiteral kWorkspace = "attune.workspace";
constexpr llvm::StringLiteral kWorkspaceRole = "workspace";
constexpr llvm::StringLiteral kWorkspaceSuffix = "_workspace";

/// On a weight argument the runtime packs at open time: `{shape = [K, N] or [N, K] (as
/// stored in the file), transposed}`; the argument's own type is the [P, K, width] panels of
/// attune.packed_matmul. `transposed` means the file stores [N, K] (torch's nn.Linear).
constexpr llvm::StringLiteral kPacked = "attune.packed";
/// In attune.packed of a weight quantized to i8 panels (attune-pack-weights precision=int8),
/// `scales = <width>`: the argument is not the panels but the [P·width] f32 scale of each
/// column of the panels `width` wide (max |W[:, n]| / 127; 1 for a column of zeros), computed
/// with them at open time. The manifest renders it `scales WIDTH ORDER`.
constexpr llvm::StringLiteral kPackedScales = "scales";

/// On the module, after attune-instrument-kernels: the kernel table, one dictionary
/// `{name, fused = [...], location}` per kernel id, in id order. The manifest renders each as
/// a `kernel` line; the profile reports time per line.
constexpr llvm::StringLiteral kKernels = "attune.kernels";

/// The runtime's profiling hooks around each kernel of an entry (runtime/src/profile.c):
/// `start() -> i64` is 0 unless this run is profiled; `stop(start, id, flops, bytes)`.
constexpr llvm::StringLiteral kKernelStart = "attune_kernel_start";
constexpr llvm::StringLiteral kKernelStop = "attune_kernel_stop";

/// The only symbols a library libNAME.so exports: NAME_manifest (the manifest text),
/// NAME_entry (the compiled entry points) and NAME_runtime() (its runtime's function table,
/// `attune_runtime` in runtime.h, the runtime's `kRuntimeTable`). Everything else, the linked
/// runtime included, is hidden.
constexpr llvm::StringLiteral kManifestSuffix = "_manifest";
constexpr llvm::StringLiteral kEntrySuffix = "_entry";
constexpr llvm::StringLiteral kRuntimeSuffix = "_runtime";
constexpr llvm::StringLiteral kRuntimeTable = "attune_runtime_table";

} // namespace attune::abi

#endif // ATTUNE_IR_ABI_H
