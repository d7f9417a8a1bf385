// The attune dialect: transformer building blocks on ranked tensors.
//
// This is the `graph` stage of the compiler: the frontend elaborates a model description into
// these ops, graph passes rewrite them, and `passes/LowerToLinalg.cpp` lowers each one to
// linalg/tensor/arith/math. Batch and sequence dimensions are dynamic (`?`); weights are typed
// references to named checkpoint tensors, never inlined constants.
#ifndef ATTUNE_OPS_TD
#define ATTUNE_OPS_TD

include "mlir/IR/OpBase.td"
include "mlir/IR/AttrTypeBase.td"
include "mlir/Interfaces/SideEffectInterfaces.td"
include "mlir/Interfaces/InferTypeOpInterface.td"

def Attune_Dialect : Dialect {
  let name = "attune";
  let cppNamespace = "::attune";
  let summary = "Transformer graph operations on tensors";
  let description = [{
    Ops that speak the vocabulary of transformer models: weights bound by checkpoint name,
    embeddings, broadcasting arithmetic, (batched) matmul, layer norm, activations, softmax and
    the reshapes/transposes that split attention heads.
  }];
  let dependentDialects = ["::mlir::tensor::TensorDialect", "::mlir::arith::ArithDialect"];
}

class Attune_Op<string mnemonic, list<Trait> traits = []>
    : Op<Attune_Dialect, mnemonic, traits>;

/// A string attribute restricted to `values` (printed and parsed as a plain string).
class Attune_StrAttrOf<list<string> values> : ConfinedAttr<StrAttr, [AttrConstraint<
    Or<!foreach(v, values, CPred<"::llvm::cast<::mlir::StringAttr>($_self).getValue() == \"" # v # "\"">)>,
    "one of " # !interleave(values, ", ")>]>;

def Attune_FloatTensor : RankedTensorOf<[F32]>;
/// A weight packed into panels: f32, bf16 where the model computes its products in bf16
/// (attune-pack-weights precision=bf16), or i8 with a scale per column (precision=int8);
/// sums stay f32.
def Attune_PanelTensor : RankedTensorOf<[F32, BF16, I8]>;
def Attune_IntTensor : RankedTensorOf<[I32, I64]>;
def Attune_BoolTensor : RankedTensorOf<[I1]>;
def Attune_AnyTensor : RankedTensorOf<[F32, I32, I64, I1]>;
def Attune_NumericTensor : RankedTensorOf<[F32, I32, I64]>;

//===----------------------------------------------------------------------===//
// Sources
//===----------------------------------------------------------------------===//

def Attune_WeightOp : Attune_Op<"weight", [Pure]> {
  let summary = "A named tensor of the checkpoint";
  let description = [{
    Refers to the checkpoint tensor `name` (Hugging Face naming). Its shape is static and is
    checked against the weights file when the compiled model is opened.

    ```mlir
    %wte = attune.weight "transformer.wte.weight" : tensor<50257x768xf32>
    ```
  }];
  let arguments = (ins StrAttr:$name);
  let results = (outs Attune_FloatTensor:$result);
  let assemblyFormat = "$name attr-dict `:` type($result)";
  let hasVerifier = 1;
}

def Attune_IotaOp : Attune_Op<"iota", [Pure]> {
  let summary = "The sequence 0, 1, ..., n-1";
  let description = [{
    ```mlir
    %pos = attune.iota %seq : tensor<?xi32>
    ```
  }];
  let arguments = (ins Index:$size);
  let results = (outs RankedTensorOf<[I32, I64]>:$result);
  let assemblyFormat = "$size attr-dict `:` type($result)";
  let hasVerifier = 1;
}

//===----------------------------------------------------------------------===//
// Gathers and shape manipulation
//===----------------------------------------------------------------------===//

def Attune_EmbedOp : Attune_Op<"embed", [Pure, InferTypeOpAdaptor]> {
  let summary = "Rows of a table selected by integer ids (an embedding lookup, a gather)";
  let description = [{
    `table` is [rows, ...]; the result has the shape of `ids` followed by the rest of the
    table's shape. Ids out of range are clamped to the table, so no id reads outside it.

    ```mlir
    %x = attune.embed %wte, %ids : tensor<512x64xf32>, tensor<?x?xi32>
    ```
  }];
  let arguments = (ins Attune_NumericTensor:$table, Attune_IntTensor:$ids);
  let results = (outs Attune_NumericTensor:$result);
  let assemblyFormat = "$table `,` $ids attr-dict `:` type($table) `,` type($ids)";
}

def Attune_TransposeOp : Attune_Op<"transpose", [Pure, InferTypeOpAdaptor]> {
  let summary = "Permutes dimensions: result dim i is input dim permutation[i]";
  let arguments = (ins Attune_AnyTensor:$input, DenseI64ArrayAttr:$permutation);
  let results = (outs Attune_AnyTensor:$result);
  let assemblyFormat = "$input $permutation attr-dict `:` type($input)";
  let hasVerifier = 1;
  let extraClassDeclaration = [{
    /// Swaps the last two dims and keeps the others (kᵀ of a batched k).
    bool swapsLastTwoDims();
  }];
}

def Attune_ReshapeOp : Attune_Op<"reshape", [Pure]> {
  let summary = "Splits or merges adjacent dimensions";
  let description = [{
    The result shape is the result type; each of its dynamic dimensions takes its size from
    one `sizes` operand, in order. Only reshapes that split or merge adjacent dimensions (an
    expand or a collapse) are allowed, so no data moves.

    ```mlir
    %h = attune.reshape %x(%b, %s) : tensor<?x?x64xf32> -> tensor<?x?x4x16xf32>
    ```
  }];
  let arguments = (ins Attune_AnyTensor:$input, Variadic<Index>:$sizes);
  let results = (outs Attune_AnyTensor:$result);
  let assemblyFormat = "$input `(` $sizes `)` attr-dict `:` type($input) `->` type($result)";
  let hasVerifier = 1;
  let extraClassDeclaration = [{
    /// True when the result has at least as many dims as the input (a split).
    bool isExpand() { return getType().getRank() >= getInput().getType().getRank(); }
    /// For each dim of the lower-rank side, the dims of the higher-rank side it groups;
    /// nullopt when the reshape is neither a pure expand nor a pure collapse.
    std::optional<llvm::SmallVector<mlir::ReassociationIndices>> getReassociation();
  }];
}

def Attune_SliceOp : Attune_Op<"slice", [Pure, InferTypeOpAdaptor]> {
  let summary = "The half-open range [start, end) of one static dimension";
  let description = [{
    ```mlir
    %q = attune.slice %qkv axis 2 [0, 64] : tensor<?x?x192xf32>
    ```
  }];
  let arguments = (ins Attune_AnyTensor:$input, I64Attr:$axis, I64Attr:$start, I64Attr:$end);
  let results = (outs Attune_AnyTensor:$result);
  let assemblyFormat = "$input `axis` $axis ` ` `[` $start `,` $end `]` attr-dict `:` type($input)";
  let hasVerifier = 1;
}

//===----------------------------------------------------------------------===//
// Arithmetic (numpy broadcasting: shapes align on the right, size-1 dims stretch)
//===----------------------------------------------------------------------===//

class Attune_BroadcastBinaryOp<string mnemonic, string what, Type operand = Attune_NumericTensor>
    : Attune_Op<mnemonic, [Pure, InferTypeOpAdaptor]> {
  let summary = what # " with numpy broadcasting (both operands of one element type)";
  let arguments = (ins operand:$lhs, operand:$rhs);
  let results = (outs operand:$result);
  let assemblyFormat = "$lhs `,` $rhs attr-dict `:` type($lhs) `,` type($rhs)";
}

def Attune_AddOp : Attune_BroadcastBinaryOp<"add", "Elementwise sum">;
def Attune_SubOp : Attune_BroadcastBinaryOp<"sub", "Elementwise difference">;
def Attune_MulOp : Attune_BroadcastBinaryOp<"mul", "Elementwise product">;
def Attune_DivOp : Attune_BroadcastBinaryOp<"div", "Elementwise quotient", Attune_FloatTensor>;

def Attune_CompareOp : Attune_Op<"compare", [Pure, InferTypeOpAdaptor]> {
  let summary = "Elementwise integer comparison with numpy broadcasting";
  let description = [{
    `predicate` is one of lt, le, gt, ge, eq, ne (signed).

    ```mlir
    %keep = attune.compare %row, %col {predicate = "ge"} : tensor<?x1xi32>, tensor<1x?xi32>
    ```
  }];
  let arguments = (ins Attune_IntTensor:$lhs, Attune_IntTensor:$rhs,
                       Attune_StrAttrOf<["lt", "le", "gt", "ge", "eq", "ne"]>:$predicate);
  let results = (outs Attune_BoolTensor:$result);
  let assemblyFormat = "$lhs `,` $rhs attr-dict `:` type($lhs) `,` type($rhs)";
}

def Attune_SelectOp : Attune_Op<"select", [Pure, InferTypeOpAdaptor]> {
  let summary = "Elementwise `cond ? on_true : on_false` with numpy broadcasting";
  let arguments = (ins Attune_BoolTensor:$cond, Attune_FloatTensor:$on_true,
                       Attune_FloatTensor:$on_false);
  let results = (outs Attune_FloatTensor:$result);
  let assemblyFormat = [{
    $cond `,` $on_true `,` $on_false attr-dict `:` type($cond) `,` type($on_true) `,` type($on_false)
  }];
}

def Attune_MatmulOp : Attune_Op<"matmul", [Pure, InferTypeOpAdaptor]> {
  let summary = "Matrix product over the last two dims, batch dims broadcast";
  let description = [{
    `lhs` is [..., M, K] and `rhs` is [..., K, N]; the leading (batch) dimensions broadcast
    like elementwise ops, so a rank-2 `rhs` (a weight) is shared by every batch.

    ```mlir
    %y = attune.matmul %x, %w : tensor<?x?x64xf32>, tensor<64x192xf32>
    ```
  }];
  let arguments = (ins Attune_FloatTensor:$lhs, Attune_FloatTensor:$rhs);
  let results = (outs Attune_FloatTensor:$result);
  let assemblyFormat = "$lhs `,` $rhs attr-dict `:` type($lhs) `,` type($rhs)";
}

def Attune_PackedMatmulOp : Attune_Op<"packed_matmul", [Pure, AttrSizedOperandSegments]> {
  let summary = "Product with a weight packed into column panels, with a fused epilogue";
  let description = [{
    `lhs` is [..., K]; `panels` is a weight W [K, columns] stored as [P, K, width] column
    panels, `panels[p][k][j] = W[k][p·width + j]`, zero past the last column (P = ⌈columns /
    width⌉). The result is [..., columns]: every leading dim of `lhs` is a row of one M × K by
    K × N product. `attune-pack-weights` makes these from `attune.matmul` with a weight operand
    (either Hugging Face layout) and records the packing on the weight's argument; the
    runtime packs the weight when the model is opened. The panels are f32, bf16 (the weight
    rounded to bfloat16) or i8: then `scales` ([P·width] f32) holds each column's scale, the
    weight is `panels[p][k][j] · scales[p·width + j]` (symmetric per output channel), and the
    product is summed in integers' f32 values and scaled before the epilogue. Products are
    summed in f32 in every case.

    bf16 panels may come in k pairs instead, [P, K/2, width, 2] with
    `panels[p][k/2][j][k mod 2] = W[k][p·width + j]` (K even): the layout of a bf16 dot
    product (AVX512_BF16's vdpbf16ps), whose products then also round `lhs` to bf16 (nearest
    even) and add each pair's two products to the f32 sum.

    The epilogue (`attune-fuse-epilogues`) is applied to each output before it is stored:
    `activation(x·W + bias) + residual`, each part optional. `bias` is [columns]; `residual`
    has the result's shape; `activation` is one of `gelu_tanh`, `gelu_erf`, `relu`, `silu`.

    A norm over each output row may follow (`attune-fuse-norms`): `norm` names it
    (`layer_norm` with `norm_gain` and `norm_bias`, or `rms_norm` with `norm_gain` only, each
    [columns], and `norm_epsilon`), and the op then has a second result, `normalized`: the
    norm of the first, as `attune.layer_norm` / `attune.rms_norm` define it.

    ```mlir
    %y = attune.packed_matmul %x, %wp bias %b {activation = "gelu_tanh", columns = 3072 : i64}
        : tensor<?x?x768xf32>, tensor<96x768x32xf32> bias tensor<3072xf32>
        -> tensor<?x?x3072xf32>
    %h, %n = attune.packed_matmul %x, %wp residual %h0 norm_gain %g norm_bias %beta
        {columns = 768 : i64, norm = "layer_norm", norm_epsilon = 1.0e-05 : f64}
        : tensor<?x?x768xf32>, tensor<24x768x32xf32> residual tensor<?x?x768xf32>
          norm_gain tensor<768xf32> norm_bias tensor<768xf32>
        -> tensor<?x?x768xf32>, tensor<?x?x768xf32>
    ```
  }];
  let arguments = (ins Attune_FloatTensor:$lhs, Attune_PanelTensor:$panels,
                       Optional<Attune_FloatTensor>:$scales,
                       Optional<Attune_FloatTensor>:$bias,
                       Optional<Attune_FloatTensor>:$residual,
                       Optional<Attune_FloatTensor>:$norm_gain,
                       Optional<Attune_FloatTensor>:$norm_bias, I64Attr:$columns,
                       OptionalAttr<Attune_StrAttrOf<["gelu_tanh", "gelu_erf", "relu",
                                                      "silu"]>>:$activation,
                       OptionalAttr<Attune_StrAttrOf<["layer_norm", "rms_norm"]>>:$norm,
                       OptionalAttr<F64Attr>:$norm_epsilon);
  let results = (outs Attune_FloatTensor:$result, Optional<Attune_FloatTensor>:$normalized);
  // Each optional operand's type follows its keyword: which of them an op has is then
  // unambiguous when parsing (a residual without a bias, a norm without either).
  let assemblyFormat = [{
    $lhs `,` $panels (`scales` $scales^)? (`bias` $bias^)? (`residual` $residual^)?
    (`norm_gain` $norm_gain^)? (`norm_bias` $norm_bias^)? attr-dict `:` type($lhs) `,`
    type($panels) (`scales` type($scales)^)? (`bias` type($bias)^)? (`residual` type($residual)^)? (`norm_gain` type($norm_gain)^)?
    (`norm_bias` type($norm_bias)^)? `->` type($result) (`,` type($normalized)^)?
  }];
  let builders = [
    OpBuilder<(ins "::mlir::Type":$result, "::mlir::Value":$lhs, "::mlir::Value":$panels,
                   "::mlir::Value":$scales, "int64_t":$columns), [{
      build($_builder, $_state, result, /*normalized=*/nullptr, lhs, panels, scales,
            /*bias=*/nullptr,
            /*residual=*/nullptr, /*norm_gain=*/nullptr, /*norm_bias=*/nullptr, columns,
            /*activation=*/nullptr, /*norm=*/nullptr, /*norm_epsilon=*/nullptr);
    }]>
  ];
  let hasVerifier = 1;
  let extraClassDeclaration = [{
    /// The verifier's checks of the fused norm (its parts all there, or none).
    ::mlir::LogicalResult verifyNorm(int64_t columns);
  }];
}

//===----------------------------------------------------------------------===//
// Normalisation and activations
//===----------------------------------------------------------------------===//

def Attune_LayerNormOp : Attune_Op<"layer_norm", [Pure, InferTypeOpAdaptor]> {
  let summary = "Layer normalisation over the last dimension, with gain and bias";
  let description = [{
    `(x - mean) / sqrt(var + epsilon) * gain + bias`, mean and (biased) variance taken over the
    last dimension; `gain` and `bias` have that dimension's size.
  }];
  let arguments = (ins Attune_FloatTensor:$input, Attune_FloatTensor:$gain,
                       Attune_FloatTensor:$bias, F64Attr:$epsilon);
  let results = (outs Attune_FloatTensor:$result);
  let assemblyFormat = [{
    $input `,` $gain `,` $bias attr-dict `:` type($input) `,` type($gain) `,` type($bias)
  }];
  let hasVerifier = 1;
}

def Attune_RmsNormOp : Attune_Op<"rms_norm", [Pure, AllTypesMatch<["input", "result"]>]> {
  let summary = "Root-mean-square normalisation over the last dimension, with gain";
  let description = [{
    `x / sqrt(mean(x^2) + epsilon) * gain` over the last dimension, without centring or bias
    (Llama's and T5's norm).
  }];
  let arguments = (ins Attune_FloatTensor:$input, Attune_FloatTensor:$gain, F64Attr:$epsilon);
  let results = (outs Attune_FloatTensor:$result);
  let assemblyFormat = "$input `,` $gain attr-dict `:` type($input) `,` type($gain)";
  let hasVerifier = 1;
}

def Attune_RopeOp : Attune_Op<"rope", [Pure, AllTypesMatch<["input", "result"]>]> {
  let summary = "Rotary position embedding of [..., seq, head_dim] at integer positions";
  let description = [{
    Rotates pairs (i, i + head_dim/2) of the last dimension by the angle
    `position * theta^(-2i/head_dim)` (the "rotate half" convention of Llama and GPT-NeoX):
    `out[i] = x[i] cos - x[i + h/2] sin`, `out[i + h/2] = x[i + h/2] cos + x[i] sin`.
    Positions are [seq] (shared by every batch row) or [batch, seq] (each row at its own
    offset, as in a decode step).

    ```mlir
    %q = attune.rope %x, %pos {theta = 1.0e4 : f64} : tensor<?x8x?x64xf32>, tensor<?xi32>
    ```
  }];
  let arguments = (ins Attune_FloatTensor:$input, Attune_IntTensor:$positions, F64Attr:$theta);
  let results = (outs Attune_FloatTensor:$result);
  let assemblyFormat = "$input `,` $positions attr-dict `:` type($input) `,` type($positions)";
  let hasVerifier = 1;
}

def Attune_AttentionOp : Attune_Op<"attention", [Pure, AttrSizedOperandSegments]> {
  let summary = "Scaled dot-product attention, with an optional mask and additive bias";
  let description = [{
    `softmax(where(mask && (!causal || j <= i), q·kᵀ·scale + bias, masked_value)) · v` over
    the last (key) axis.
    `q` is [..., Sq, D], `k` is [..., Sk, D], `v` is [..., Sk, Dv]; the result is
    [..., Sq, Dv]. Leading (batch, head) dims broadcast like elementwise ops, so k and v may
    have a size-1 group dim that grouped-query attention shares among query heads. `mask`
    (true: attend) and `bias` broadcast to [..., Sq, Sk]. `causal` also masks every key after
    its query without a mask tensor, and lets the kernel skip those blocks: key j is visible
    to query i of batch row b when `j <= i + query_offsets[b]`. Without `query_offsets` the
    offset is 0 (queries and keys start together); with it (i32 [batch], causal only) the
    queries are the last tokens of row b's keys, as in a decode step over a KV cache
    (bottom-right aligned). `attentionQueryPosition` in passes/AttentionSemantics.h is the
    one definition every lowering uses.
    `attune-fuse-attention` forms this op from the decomposed pattern; it lowers without
    materialising the Sq×Sk scores.

    ```mlir
    %o = attune.attention %q, %k, %v mask %m {scale = 0.125 : f64, masked_value = -3.4e38 : f64}
        : (tensor<?x12x?x64xf32>, tensor<?x12x?x64xf32>, tensor<?x12x?x64xf32>, tensor<?x?xi1>)
        -> tensor<?x12x?x64xf32>
    ```
  }];
  let arguments = (ins Attune_FloatTensor:$query, Attune_FloatTensor:$key,
                       Attune_FloatTensor:$value, Optional<Attune_BoolTensor>:$mask,
                       Optional<Attune_FloatTensor>:$bias,
                       Optional<Attune_IntTensor>:$query_offsets, F64Attr:$scale,
                       F64Attr:$masked_value, UnitAttr:$causal);
  let results = (outs Attune_FloatTensor:$result);
  let assemblyFormat = [{
    $query `,` $key `,` $value (`mask` $mask^)? (`bias` $bias^)?
    (`offsets` $query_offsets^)? attr-dict `:`
    functional-type(operands, results)
  }];
  let hasVerifier = 1;
  let extraClassDeclaration = [{
    /// The broadcast shape of the scores, [..., Sq, Sk].
    llvm::SmallVector<int64_t> getScoresShape();
  }];
}

def Attune_CacheWriteOp : Attune_Op<"cache_write", [Pure, AllTypesMatch<["cache", "result"]>]> {
  let summary = "Writes each batch row's new keys (or values) into a cache at the row's offset";
  let description = [{
    `result` is `cache` with `result[b, ..., offsets[b] + s, :] = update[b, ..., s, :]` for
    every s below update's length (the dim before the last): a decode step appending its
    tokens' keys or values to a KV cache, each row at its own length. Both are
    [batch, ..., len, d] with equal dims but len; offsets is i32 [batch]. Positions past the
    cache's length are an error the runtime reports before the call.

    ```mlir
    %k2 = attune.cache_write %cache, %k, %past
        : tensor<?x12x?x64xf32>, tensor<?x12x?x64xf32>, tensor<?xi32>
    ```
  }];
  let arguments = (ins Attune_FloatTensor:$cache, Attune_FloatTensor:$update,
                       Attune_IntTensor:$offsets);
  let results = (outs Attune_FloatTensor:$result);
  let assemblyFormat = [{
    $cache `,` $update `,` $offsets attr-dict `:` type($cache) `,` type($update) `,`
    type($offsets)
  }];
  let hasVerifier = 1;
}

def Attune_SoftmaxOp : Attune_Op<"softmax", [Pure, SameOperandsAndResultType]> {
  let summary = "Softmax along one axis";
  let arguments = (ins Attune_FloatTensor:$input, I64Attr:$axis);
  let results = (outs Attune_FloatTensor:$result);
  let assemblyFormat = "$input attr-dict `:` type($input)";
  let hasVerifier = 1;
}

def Attune_GeluOp : Attune_Op<"gelu", [Pure, SameOperandsAndResultType]> {
  let summary = "Gaussian error linear unit, exact (erf) or its tanh approximation";
  let arguments = (ins Attune_FloatTensor:$input,
                       Attune_StrAttrOf<["erf", "tanh"]>:$approximation);
  let results = (outs Attune_FloatTensor:$result);
  let assemblyFormat = "$input attr-dict `:` type($input)";
}

class Attune_UnaryOp<string mnemonic, string what>
    : Attune_Op<mnemonic, [Pure, SameOperandsAndResultType]> {
  let summary = what;
  let arguments = (ins Attune_FloatTensor:$input);
  let results = (outs Attune_FloatTensor:$result);
  let assemblyFormat = "$input attr-dict `:` type($input)";
}

def Attune_ReluOp : Attune_UnaryOp<"relu", "max(x, 0)">;
def Attune_SiluOp : Attune_UnaryOp<"silu", "x * sigmoid(x)">;
def Attune_TanhOp : Attune_UnaryOp<"tanh", "Hyperbolic tangent">;

//===----------------------------------------------------------------------===//
// Kernel descriptions (on the way to buffers)
//===----------------------------------------------------------------------===//

def Attune_KernelCostOp : Attune_Op<"kernel_cost", [MemoryEffects<[MemWrite]>]> {
  let summary = "Names the next kernel of its block and the floating-point work it does";
  let description = [{
    Emitted by the kernel lowerings (matmul, attention, norms) right before the operation that
    runs the kernel (a call or a task loop): `kernel` is its name, `fused` the operations
    folded into it, `flops` its floating-point operations at the sizes of this call, and
    `bytes` (optional) the bytes it moves, where that is not the sizes of the buffers it
    touches (a cache write moves its new rows, not the whole cache).
    `attune-instrument-kernels` consumes it: the kernel's entry in the library's kernel table
    and the work the profile divides its time into. It declares a write so that nothing
    moves or drops it before then.

    ```mlir
    attune.kernel_cost "matmul k768 n3072" ["bias", "gelu_tanh"] flops(%f)
    func.call @attune_matmul_k768_n3072_bias_gelu_tanh(%x, %w, %y, %b) : ...
    ```
  }];
  let arguments = (ins Index:$flops, Optional<Index>:$bytes, StrAttr:$kernel,
                       StrArrayAttr:$fused);
  let assemblyFormat =
      "$kernel $fused `flops` `(` $flops `)` (`bytes` `(` $bytes^ `)`)? attr-dict";
}

def Attune_Bf16DotOp : Attune_Op<"bf16_dot", [Pure, AllTypesMatch<["acc", "result"]>,
                                             AllTypesMatch<["lhs", "rhs"]>]> {
  let summary = "f32 sums plus the products of bf16 pairs (a bf16 dot product)";
  let description = [{
    `result[i] = acc[i] + lhs[2i + 1]·rhs[2i + 1] + lhs[2i]·rhs[2i]`, the products exact and
    each addition rounded to f32 (odd element first), as AVX512_BF16's vdpbf16ps computes it
    (denormal inputs read as zero). The matmul kernel for bf16 panels in k pairs emits it
    (VectorMatmul.cpp); `attune-lower-bf16-dot` turns it into the instruction's LLVM
    intrinsic once buffer deallocation, which cannot see through an intrinsic call, has run.

    ```mlir
    %s = attune.bf16_dot %acc, %a, %w : vector<16xf32>, vector<32xbf16>
    ```
  }];
  let arguments = (ins VectorOfLengthAndType<[8, 16], [F32]>:$acc,
                       VectorOfLengthAndType<[16, 32], [BF16]>:$lhs,
                       VectorOfLengthAndType<[16, 32], [BF16]>:$rhs);
  let results = (outs VectorOfLengthAndType<[8, 16], [F32]>:$result);
  let assemblyFormat = "$acc `,` $lhs `,` $rhs attr-dict `:` type($acc) `,` type($lhs)";
  let hasVerifier = 1;
}

#endif // ATTUNE_OPS_TD
