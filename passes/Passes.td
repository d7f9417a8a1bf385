// Graph and lowering passes of attune. Each entry generates a base class (GEN_PASS_DEF_...)
// implemented in the .cpp of the same name; each has a lit test under test/passes/.
#ifndef ATTUNE_PASSES_TD
#define ATTUNE_PASSES_TD

include "mlir/Pass/PassBase.td"

def AttuneLowerEntryPass : Pass<"attune-lower-entry", "mlir::ModuleOp"> {
  let summary = "Turns model entry functions into the buffer ABI the runtime calls";
  let description = [{
    An entry function (attribute `attune.entry`) takes its inputs as tensors, returns its
    outputs, and reads weights through `attune.weight` ops; inputs and results are named by
    `attune.name` and their dynamic dims by `attune.dims`. This pass rewrites it into the
    form the runtime calls: one memref argument per input, then per distinct weight (in order
    of first use), then per output; results are written into the output buffers. Each argument
    carries `attune.name`, `attune.role` ("input", "weight", "output") and `attune.dims`.

    Before:
    ```mlir
    func.func @forward(%ids: tensor<?x?xi32> {attune.name = "input_ids",
                                              attune.dims = ["batch", "seq"]})
        -> (tensor<?x?x8xf32> {attune.name = "logits", attune.dims = ["batch", "seq"]})
        attributes {attune.entry} {
      %w = attune.weight "wte" : tensor<16x8xf32>
      %x = attune.embed %w, %ids : tensor<16x8xf32>, tensor<?x?xi32>
      return %x : tensor<?x?x8xf32>
    }
    ```
    After:
    ```mlir
    func.func @forward(%ids: memref<?x?xi32> {attune.name = "input_ids", attune.role = "input", ...},
                       %w: memref<16x8xf32> {attune.name = "wte", attune.role = "weight"},
                       %out: memref<?x?x8xf32> {attune.name = "logits", attune.role = "output", ...}) {
      %0 = bufferization.to_tensor %ids restrict : memref<?x?xi32>
      %1 = bufferization.to_tensor %w restrict : memref<16x8xf32>
      %x = attune.embed %1, %0 : ...
      bufferization.materialize_in_destination %x in restrict writable %out : ...
      return
    }
    ```
  }];
  let dependentDialects = ["mlir::bufferization::BufferizationDialect",
                           "mlir::memref::MemRefDialect"];
}

def AttunePackWeightsPass : Pass<"attune-pack-weights", "mlir::ModuleOp"> {
  let summary = "Matmuls by a weight read it as column panels, packed when the model opens";
  let description = [{
    Runs on entry functions after `attune-lower-entry`. Each `attune.matmul` whose right
    operand is a 2-D f32 weight argument, as stored ([K, N], GPT-2's Conv1D) or through a
    transpose of its last two dims ([N, K], torch's nn.Linear, tied LM heads), with a static
    K, becomes `attune.packed_matmul` on a new weight argument of type [P, K, width]: the same
    name, `attune.packed = {shape = <as stored>, transposed}`. The runtime fills it when the
    model is opened (`panels[p][k][j] = W[k][p·width + j]`, zero past the last column) and
    releases the file's pages. A weight read only by matmuls loses its unpacked argument; a
    weight read otherwise too (a tied embedding's gather) keeps both. The panel width is two
    vectors of the module's target (`attune.target`), unless `panel-width` says otherwise.
    With `precision=bf16` the panels are bf16 (`memref<P x K x width x bf16>`): the runtime
    rounds the weight to bfloat16 (nearest even; a BF16 file's bits are taken as stored), the
    kernel widens each panel vector to f32 and accumulates in f32, so a product reads half the
    weight bytes; everything else stays f32. Where the target has a bf16 dot product
    (`bf16_dot` in `attune.target`: AVX512_BF16) and K is a multiple of its lanes, the bf16
    panels come in k pairs, `memref<P x K/2 x width x 2 x bf16>` (`panels[p][k/2][j][k mod 2]`),
    the layout vdpbf16ps multiplies. With `precision=int8` (weight-only int8) the
    panels are i8 and each packed weight gets a second argument, `attune.packed = {...,
    scales}`, of [P·width] f32: the runtime quantizes each column symmetrically (scale max |W|
    / 127, values rounded to nearest), and the product reads a quarter of the bytes, widens
    them to f32 and scales each column's sum before the epilogue.

    Before:
    ```mlir
    func.func @forward(%x: memref<?x8xf32> {...}, %w: memref<8x40xf32> {attune.name = "w",
                       attune.role = "weight"}, %out: ...) attributes {attune.entry} {
      %0 = bufferization.to_tensor %x restrict : memref<?x8xf32>
      %1 = bufferization.to_tensor %w restrict : memref<8x40xf32>
      %y = attune.matmul %0, %1 : tensor<?x8xf32>, tensor<8x40xf32>
      ...
    ```
    After (panel width 16):
    ```mlir
    func.func @forward(%x: memref<?x8xf32> {...}, %wp: memref<3x8x16xf32> {attune.name = "w",
                       attune.role = "weight", attune.packed = {shape = [8, 40],
                       transposed = false}}, %out: ...) attributes {attune.entry} {
      %1 = bufferization.to_tensor %wp restrict : memref<3x8x16xf32>
      %y = attune.packed_matmul %0, %1 {columns = 40 : i64}
          : tensor<?x8xf32>, tensor<3x8x16xf32> -> tensor<?x40xf32>
    ```
  }];
  let options = [
    Option<"panelWidth", "panel-width", "int64_t", /*default=*/"0",
           "Columns per panel (default: two vectors of the target's lanes)">,
    Option<"precision", "precision", "std::string", /*default=*/"\"fp32\"",
           "The panels' precision: fp32, bf16 (weights rounded to bfloat16) or int8 (per "
           "column scales); sums are f32">
  ];
  let dependentDialects = ["mlir::bufferization::BufferizationDialect"];
}

def AttuneFuseAttentionPass : Pass<"attune-fuse-attention", "mlir::func::FuncOp"> {
  let summary = "Turns every scaled-dot-product-attention subgraph into one attune.attention";
  let description = [{
    Starts from each `attune.softmax` and matches the semantics around it, not one spelling:
    the probabilities must feed a matmul with V as its only use; between the softmax and the
    q·kᵀ matmul, any chain of multiplications or divisions by scalar constants (the scale,
    also when pre-applied to q or k), additions of tensors (a relative position bias, an
    additive mask) and one final `select(mask, scores, large negative)` (causal or padding
    masks); kᵀ either an explicit transpose of k or given transposed. Every intermediate must
    have no other use, since the fused kernel never materialises it.

    Before (GPT-2):
    ```mlir
    %kt = attune.transpose %k [0, 1, 3, 2] : tensor<?x4x?x16xf32>
    %s = attune.matmul %q, %kt : ...
    %s2 = attune.mul %s, %cst_0_25 : ...
    %s3 = attune.select %causal, %s2, %cst_min : ...
    %p = attune.softmax %s3 {axis = 3 : i64} : ...
    %o = attune.matmul %p, %v : ...
    ```
    After:
    ```mlir
    %o = attune.attention %q, %k, %v mask %causal {masked_value = -3.4e38, scale = 0.25} : ...
    ```
    With `report`, each softmax gets a remark: fused, or which condition failed.
  }];
  let options = [
    Option<"masks", "masks", "bool", /*default=*/"true",
           "Fuse attention with a mask (select) after the scores">,
    Option<"biases", "biases", "bool", /*default=*/"true",
           "Fuse attention with additive terms (position bias, additive masks)">,
    Option<"report", "report", "bool", /*default=*/"false",
           "Emit a remark per softmax: fused, or why not">
  ];
  let dependentDialects = ["mlir::arith::ArithDialect"];
}

def AttuneDeriveDecodeStepPass : Pass<"attune-derive-decode-step", "mlir::ModuleOp"> {
  let summary = "Derives a KV-cached step entry from each entry with causal self-attention";
  let description = [{
    For an entry `E` whose token input (its one integer [batch, seq] input) feeds causal
    self-attention, adds `E_step`: the same computation for `seq` new tokens per row that
    follow the `past_lengths[b]` tokens row b already holds in the session's KV cache. It
    derives it from the forward, not from a model family:

    - every `attune.iota` of the token length (token positions) becomes
      `past_lengths[b] + i`, [batch, seq]; the ops it reaches are re-typed (learned position
      embeddings gather per row, `attune.rope` takes per-row positions);
    - every causal self-attention (k and v computed from the tokens) gets a key cache and a
      value cache argument (role `state`, [batch, ..., cache, d], returned updated):
      `attune.cache_write` appends the new k/v at each row's offset and the attention reads
      the whole cache with `offsets %past_lengths` (bottom-right-aligned causal);
    - attentions over other inputs (cross-attention) read their keys and values from context
      states (`context.<n>.key/value`), which a second derived entry, `<entry>_context`
      (the entry cut down to those keys and values), writes once per sequence.

    Prefill is the step at past_lengths = 0 with the prompt; a decode step is the step with
    one token per row. An entry whose self-attention is not causal, or that masks or biases a
    cached attention, gets no step (with `report`, a remark says why).

    Before:
    ```mlir
    %pos = attune.iota %seq : tensor<?xi32>
    %o = attune.attention %q, %k, %v {causal, ...}
    ```
    After (in `@forward_step`, beside the unchanged `@forward`, marked
    `attune.step = {of = "forward", tokens = "input_ids"}`):
    ```mlir
    %pos = attune.add %past_column, %iota : tensor<?x1xi32>, tensor<?xi32>  // [batch, seq]
    %kc = attune.cache_write %key_cache, %k, %past_lengths : ...
    %vc = attune.cache_write %value_cache, %v, %past_lengths : ...
    %o = attune.attention %q, %kc, %vc offsets %past_lengths {causal, ...}
    ```
  }];
  let options = [
    Option<"report", "report", "bool", /*default=*/"false",
           "Emit a remark per entry: the step derived, or why not">
  ];
}

def AttuneFuseEpiloguesPass : Pass<"attune-fuse-epilogues", "mlir::func::FuncOp"> {
  let summary = "Bias, activation and residual after a packed matmul become its epilogue";
  let description = [{
    Grows each `attune.packed_matmul` along its only use, in the order its epilogue applies
    them: an `attune.add` of a [N] tensor (the bias, broadcast over rows), then `attune.gelu`,
    `relu` or `silu`, then an `attune.add` of a tensor of the result's shape (the residual).
    The matmul kernel applies them in registers before its one store, so the product is not
    written and read back once per elementwise op. A product with other uses, an add of
    another shape or an op after the residual stop the growth.

    Before:
    ```mlir
    %y = attune.packed_matmul %x, %w {columns = 3072 : i64} : ...
    %b = attune.add %y, %bias : tensor<?x?x3072xf32>, tensor<3072xf32>
    %g = attune.gelu %b {approximation = "tanh"} : tensor<?x?x3072xf32>
    ```
    After:
    ```mlir
    %g = attune.packed_matmul %x, %w bias %bias {activation = "gelu_tanh", columns = 3072 : i64}
        : tensor<?x?x768xf32>, tensor<96x768x32xf32> bias tensor<3072xf32>
        -> tensor<?x?x3072xf32>
    ```
  }];
  let options = [
    Option<"bias", "bias", "bool", /*default=*/"true", "Fuse bias adds">,
    Option<"activation", "activation", "bool", /*default=*/"true", "Fuse activations">,
    Option<"residual", "residual", "bool", /*default=*/"true", "Fuse residual adds">
  ];
}

def AttuneFuseNormsPass : Pass<"attune-fuse-norms", "mlir::func::FuncOp"> {
  let summary = "The norm after a residual add becomes the matmul kernel's second result";
  let description = [{
    An `attune.layer_norm` or `attune.rms_norm` of a packed matmul's result that has a fused
    residual add (the norm after the residual add of a pre- or post-norm block) becomes part
    of that `attune.packed_matmul`, as its `normalized` result. The matmul kernel then
    normalizes each block of rows as soon as its last task has stored them, while they are in
    cache, instead of a separate kernel reading them back after all of the product. The sum
    stays the first result (the next residual add reads it). Run after
    `attune-fuse-epilogues`; a norm whose gain or bias is defined after the product is left
    alone.

    Before:
    ```mlir
    %h = attune.packed_matmul %x, %w residual %r {columns = 768 : i64} : ...
    %n = attune.layer_norm %h, %g, %b {epsilon = 1.0e-05 : f64} : ...
    ```
    After:
    ```mlir
    %h, %n = attune.packed_matmul %x, %w residual %r norm_gain %g norm_bias %b
        {columns = 768 : i64, norm = "layer_norm", norm_epsilon = 1.0e-05 : f64} : ...
    ```
  }];
}

def AttuneLowerBf16DotPass : Pass<"attune-lower-bf16-dot", "mlir::ModuleOp"> {
  let summary = "attune.bf16_dot as calls of AVX512_BF16's vdpbf16ps intrinsic";
  let description = [{
    Each `attune.bf16_dot` becomes `llvm.call_intrinsic "llvm.x86.avx512bf16.dpbf16ps.512"`
    (16 sums; `.256` for 8). MLIR 19's x86vector dialect has no bf16 dot product, and an
    intrinsic call has no declared memory effects, which buffer deallocation rejects: the
    pipeline runs this after it.

    ```mlir
    %s = attune.bf16_dot %acc, %a, %w : vector<16xf32>, vector<32xbf16>
    ```
    becomes
    ```mlir
    %s = llvm.call_intrinsic "llvm.x86.avx512bf16.dpbf16ps.512"(%acc, %a, %w)
        : (vector<16xf32>, vector<32xbf16>, vector<32xbf16>) -> vector<16xf32>
    ```
  }];
  let dependentDialects = ["mlir::LLVM::LLVMDialect"];
}

def AttuneLowerMatmulPass : Pass<"attune-lower-matmul", "mlir::ModuleOp"> {
  let summary = "attune.packed_matmul as calls of register-tiled, multithreaded kernels";
  let description = [{
    Each `attune.packed_matmul` becomes a call of a private kernel function
    `(A: memref<rows..., K>, panels: memref<P, K, width>, C: memref<rows..., N>)`, one per
    shape, shared by every product of that shape. The kernel (VectorMatmul.cpp) splits M × N
    into tasks (`scf.parallel {attune.tasks}`); each accumulates, one K block at a time,
    `rows × vectors` vector registers with `vector.fma`, a broadcast element of A times
    `vectors` contiguous vectors of the panel per k step (A's rows read in place, or, where
    rows K apart would share too few L1 sets, from a copy of the tile's rows), then
    stores them into C (masked in a partial last panel). Rows left over from whole tiles go
    through tiles of half, a quarter, ... the rows. Each output is summed over k in one
    order, so results do not depend on the thread count. The result is written straight into
    an entry's output buffer when it is one. Tile sizes come from the module's
    `attune.target` (12 × 2 vectors with AVX-512, 6 × 2 with AVX2) unless overridden; an op
    whose panels are not whole vectors of the target is left for attune-lower-to-linalg.

    bf16 panels in k pairs (`[P, K/2, width, 2]`) take the bf16 dot product instead: each
    tile's rows of A are rounded to bf16 (nearest even) into a scratch tile once per K block,
    and each k pair is one `attune.bf16_dot` per accumulator (a broadcast pair of A times
    `vectors` vectors of the panel's pairs; vdpbf16ps, see attune-lower-bf16-dot).

    ```mlir
    %y = attune.packed_matmul %x, %w {columns = 40 : i64}
        : tensor<?x?x64xf32>, tensor<2x64x32xf32> -> tensor<?x?x40xf32>
    ```
    becomes
    ```mlir
    %a = bufferization.to_memref %x read_only : memref<?x?x64xf32, strided<[?, ?, 1], offset: ?>>
    %p = bufferization.to_memref %w read_only : memref<2x64x32xf32>
    %c = memref.alloc(...) : memref<?x?x40xf32>
    call @attune_matmul_64x40_2r(%a, %p, %c) : (...) -> ()
    %y = bufferization.to_tensor %c restrict writable : memref<?x?x40xf32>
    ```
  }];
  let options = [
    Option<"vectorLanes", "vector-lanes", "int64_t", /*default=*/"0",
           "f32 lanes per vector register (default: the module's attune.target)">,
    Option<"vectorRegisters", "vector-registers", "int64_t", /*default=*/"0",
           "Vector registers (default: the module's attune.target)">,
    Option<"copyRows", "copy-rows", "bool", /*default=*/"true",
           "Copy a register tile's rows of A where, read in place, they would share L1 sets">
  ];
  let dependentDialects = ["mlir::func::FuncDialect", "mlir::scf::SCFDialect",
                           "mlir::memref::MemRefDialect", "mlir::vector::VectorDialect",
                           "mlir::arith::ArithDialect",
                           "mlir::bufferization::BufferizationDialect"];
}

def AttuneLowerToLinalgPass : Pass<"attune-lower-to-linalg", "mlir::func::FuncOp"> {
  let summary = "Lowers attune ops to linalg, tensor, arith and math on tensors";
  let description = [{
    Each attune op becomes one or more `linalg.generic`/named linalg ops on tensors (matmul as
    a contraction with broadcast batch dims, layer norm and softmax as reductions followed by
    an elementwise op), reshapes become `tensor.expand_shape`/`collapse_shape`, slices
    `tensor.extract_slice`. Dynamic sizes come from `tensor.dim` of the operands. Weights must
    already be bound by `attune-lower-entry`. `attune.attention` becomes the vectorized
    online-softmax kernel on buffers (VectorAttention.cpp: register tiles of `vector-lanes`
    wide vectors, a task loop `scf.parallel {attune.tasks}` over batch × query blocks), or,
    where that does not apply or `vector-attention=false`, the blocked online-softmax kernel on
    tensors (LowerAttention.cpp); with `decompose-attention`, its decomposition.
    An `attune.packed_matmul` still here (attune-lower-matmul did not take it) becomes a
    `linalg.generic` that reads the panels (scalar loops: the reference). Register tiles
    follow the module's `attune.target` unless `vector-lanes`/`vector-registers` override it.
  }];
  let options = [
    Option<"decomposeAttention", "decompose-attention", "bool", /*default=*/"false",
           "Lower attune.attention through q·kᵀ, softmax, ·v (materialises the scores)">,
    Option<"attentionBlock", "attention-block", "int64_t", /*default=*/"64",
           "Keys per block of the online-softmax attention kernel">,
    Option<"attentionQueryBlock", "attention-query-block", "int64_t", /*default=*/"64",
           "Queries per block of the online-softmax attention kernel">,
    Option<"vectorAttention", "vector-attention", "bool", /*default=*/"true",
           "Lower attune.attention to the vectorized kernel (VectorAttention.cpp) where it "
           "applies (f32, static head dims); else to the blocked kernel on tensors">,
    Option<"vectorNorms", "vector-norms", "bool", /*default=*/"true",
           "Lower attune.layer_norm and attune.rms_norm to vector loops parallel over rows "
           "(VectorNorm.cpp) where a row is whole vectors; else to linalg reductions">,
    Option<"vectorLanes", "vector-lanes", "int64_t", /*default=*/"0",
           "f32 lanes per vector register the kernels tile for (default: the module's "
           "attune.target)">,
    Option<"vectorRegisters", "vector-registers", "int64_t", /*default=*/"0",
           "Vector registers the kernels tile for (default: the module's attune.target)">
  ];
  let dependentDialects = ["mlir::linalg::LinalgDialect", "mlir::tensor::TensorDialect",
                           "mlir::arith::ArithDialect", "mlir::math::MathDialect",
                           "mlir::scf::SCFDialect", "mlir::memref::MemRefDialect",
                           "mlir::vector::VectorDialect",
                           "mlir::bufferization::BufferizationDialect"];
}

def AttuneApproximateMathPass : Pass<"attune-approximate-math", "mlir::func::FuncOp"> {
  let summary = "Transcendental math ops as polynomial approximations (no libm calls)";
  let description = [{
    `math.tanh`, `math.erf`, `math.exp`, `math.log`, ... on f32 scalars and vectors become
    MLIR's polynomial approximations (`populateMathPolynomialApproximationPatterns`), but f32
    erf one rational function on [-4, 4] (15 ops to MLIR's 37): arith ops only, accurate to a
    few ulp. GELU's tanh or erf, SiLU's exp and softmax's exp then
    cost a few FMAs rather than a libm call, and their loops can be vectorized.

    ```mlir
    %t = math.tanh %x : f32
    ```
    becomes a clamp, a rational polynomial in `%x` and a select for small inputs.
  }];
  let dependentDialects = ["mlir::arith::ArithDialect", "mlir::math::MathDialect",
                           "mlir::vector::VectorDialect"];
}

def AttuneFuseElementwisePass : Pass<"attune-fuse-elementwise", "mlir::func::FuncOp"> {
  let summary = "Fuses elementwise linalg producers into consumers that read each element once";
  let description = [{
    A bias add followed by a GELU, or a scale followed by a mask, becomes one loop nest, so the
    intermediate tensor disappears. A producer is fused into its consumer only when it has no
    other user and the consumer's indexing map for it is a permutation of the consumer's loops:
    an elementwise consumer, or a reduction over it (softmax's sum). It is not fused into a
    contraction, whose map skips a loop (matmul's lhs ignores the N loop): there the
    producer's scalar body would be recomputed for every output column.

    Before:
    ```mlir
    %h = linalg.generic {..."parallel", "parallel"} ins(%x, %b) ... { addf }
    %g = linalg.generic {..."parallel", "parallel"} ins(%h) ... { tanh ... }
    %y = linalg.generic {... "reduction"} ins(%g, %w) ... { mulf, addf }
    ```
    After: the add and the GELU are one generic; the matmul still reads its result.
  }];
  let dependentDialects = ["mlir::linalg::LinalgDialect", "mlir::affine::AffineDialect"];
}

def AttuneSplitEmptyTensorsPass : Pass<"attune-split-empty-tensors", "mlir::func::FuncOp"> {
  let summary = "One tensor.empty per use, so bufferization gives each destination its own buffer";
  let description = [{
    CSE merges the `tensor.empty` ops of identical shape that the lowering makes for each
    destination (every layer's `silu(gate) · up`, every layer's head transposes), and one-shot
    bufferization then writes all of them into the one allocation the merged op becomes: one
    buffer live from the first layer to the last, which the memory plan can neither reuse in
    between nor let an op write in place of a buffer it reads. Right before bufferization,
    each use but the first gets its own copy of the op, just before its user; the plan then
    sees one short-lived buffer per destination.

    ```mlir
    %e = tensor.empty(%n) : tensor<?x4xf32>
    %a = linalg.generic ... outs(%e : tensor<?x4xf32>)
    %b = linalg.generic ... outs(%e : tensor<?x4xf32>)
    ```
    becomes
    ```mlir
    %e = tensor.empty(%n) : tensor<?x4xf32>
    %a = linalg.generic ... outs(%e : tensor<?x4xf32>)
    %e1 = tensor.empty(%n) : tensor<?x4xf32>
    %b = linalg.generic ... outs(%e1 : tensor<?x4xf32>)
    ```
  }];
  let dependentDialects = ["mlir::tensor::TensorDialect"];
}

def AttunePlanMemoryPass : Pass<"attune-plan-memory", "mlir::ModuleOp"> {
  let summary = "Every intermediate of an entry at an offset of one workspace, from liveness";
  let description = [{
    On buffers, right after one-shot bufferization (before deallocation). Each entry function
    gets a last argument, the workspace (`memref<?xi8>`, role `workspace`), and each
    allocation at its top level becomes a `memref.view` of it at an offset fixed by a plan:

    - a buffer is live from its allocation to the last top-level op that uses it or any view
      of it; two buffers whose live ranges overlap get disjoint bytes;
    - in place: a whole buffer an op writes, untouched before, takes the bytes of a whole
      buffer of at least its size that the op reads for the last time, where the op reads
      each element of it at most once, before writing the element at the same place, and
      reads nothing else of it: a kernel call whose callee marks the written argument
      `attune.in_place_of = <index of the read one>`, or an elementwise linalg.generic
      (parallel loops, a payload without memory effects, the output's old value unread) and
      an input read by the output's indexing map (a permutation) at its type. No other
      operand of the op may view either buffer;
    - at the module's bounds (`attune.bounds`), buffers are placed largest first at the
      lowest offset clear of the placed buffers they overlap (sizes rounded to 64 bytes);
    - sizes are functions of the symbolic dims, so the offsets are too: a buffer's offset is
      the largest end of the overlapping buffers placed below it, each end computed the same
      way. At any shape within the bounds these offsets keep overlapping buffers apart, and
      at the bounds they are no larger than the placement's.

    The offsets are computed at the top of the entry from the dims of its arguments (a few
    integer ops per buffer, once per call). A size function `<entry>_workspace(dims, bytes)`
    (`dims`: one i64 per symbolic dim it reads, in the order of `attune.workspace`'s `dims`)
    writes the bytes the workspace needs for those dims: the library exports it, the runtime
    gets the memory before a call, and generated code allocates nothing. The entry gets
    `attune.workspace = {size_function, dims, planned, minimum, buffers, in_place,
    unplanned}`: planned and minimum (the largest sum of bytes live at once) are at the
    bounds; `in_place` counts the buffers that took the bytes of one they overwrite.
    Allocations the plan cannot take (inside a region, of a size not computed from the
    argument dims, escaping through a return) stay allocations (`unplanned` counts them);
    with `report`, each gets a remark saying why.

    ```mlir
    %a = memref.alloc(%n) {alignment = 64} : memref<?x64xf32>
    ```
    becomes (`%off` computed at the top of the entry)
    ```mlir
    %a = memref.view %workspace[%off][%n] : memref<?xi8> to memref<?x64xf32>
    ```
  }];
  let options = [
    Option<"report", "report", "bool", /*default=*/"false",
           "A remark for each allocation left out of the plan, saying why">
  ];
  let dependentDialects = ["mlir::memref::MemRefDialect", "mlir::arith::ArithDialect",
                           "mlir::func::FuncDialect"];
}

def AttuneInsertPrefetchesPass : Pass<"attune-insert-prefetches", "mlir::func::FuncOp"> {
  let summary = "Prefetches for the vector loads kernels mark with attune.prefetch";
  let description = [{
    A `vector.load %m[%i, %j, %k]` with `attune.prefetch = [0, 16, 0]` gets
    `memref.prefetch %m[%i, %j + 16, %k], read, locality<3>, data` before it, and loses the
    attribute. Kernels mark streams the hardware prefetcher loses at page boundaries (the
    matmul kernel's weight panels). Runs after buffer deallocation, which does not accept
    memref.prefetch (it declares no memory effects).
  }];
  let dependentDialects = ["mlir::memref::MemRefDialect", "mlir::arith::ArithDialect"];
}

def AttuneLowerStridedCopiesPass : Pass<"attune-lower-strided-copies", "mlir::func::FuncOp"> {
  let summary = "memref.copy between buffers that are not both dense becomes linalg.copy";
  let description = [{
    MLIR lowers a `memref.copy` of a strided buffer to a call of `memrefCopy` from its C
    runner utilities, which a generated library does not link. Such copies (one-shot
    bufferization makes them to give a kernel the dense buffer it reads) become
    `linalg.copy`, hence loops; dense-to-dense copies stay `memref.copy` (a memcpy).

    ```mlir
    memref.copy %slice, %dense : memref<?x64xf32, strided<[?, 1], offset: ?>> to memref<?x64xf32>
    ```
    becomes
    ```mlir
    linalg.copy ins(%slice : memref<?x64xf32, strided<[?, 1], offset: ?>>) outs(%dense : memref<?x64xf32>)
    ```
  }];
  let dependentDialects = ["mlir::linalg::LinalgDialect"];
}

def AttuneParallelizeLoopsPass : Pass<"attune-parallelize-loops", "mlir::func::FuncOp"> {
  let summary = "Linalg ops on buffers at a function's top level become task loops";
  let description = [{
    The linalg ops no vector kernel took (gathers, transposes, elementwise ops) run on the
    thread pool: their leading parallel loops, all but the innermost (kept whole for LLVM's
    vectorizer) and only those that index every output, split into an
    `scf.parallel {attune.tasks}` of ~16K iterations per task, each running the op on
    subviews (linalg.index offset to match). Ops known to be smaller stay serial. Each output
    element is computed as before, so results do not depend on the thread count. Runs on
    buffers, before attune-outline-parallel.
  }];
  let options = [
    Option<"taskSize", "task-size", "int64_t", /*default=*/"16384",
           "Iterations per task (about): ~10 us of a memory-bound loop">
  ];
  let dependentDialects = ["mlir::scf::SCFDialect", "mlir::memref::MemRefDialect",
                           "mlir::affine::AffineDialect", "mlir::arith::ArithDialect"];
}

def AttuneInstrumentKernelsPass : Pass<"attune-instrument-kernels", "mlir::ModuleOp"> {
  let summary = "Lists every kernel of the entries in a table and brackets each with profiling hooks";
  let description = [{
    On buffers, after deallocation. A kernel is an operation at the top level of an entry
    function that computes: a call, a linalg op, a copy, or a region op (a task loop) that
    writes memory. Each gets an id: its entry `{name, fused, location}` in the module's
    `attune.kernels` table, which the manifest carries. The kernel lowerings describe their
    kernels with `attune.kernel_cost` (name, fused ops, FLOPs) right before them; this pass
    consumes those. Other kernels are named from their structure (`elementwise`, `gather`,
    `transpose [0, 2, 1, 3]`, `copy`); a linalg op's FLOPs are its iterations times the
    floating-point ops of its body. Bytes are the sizes of the distinct buffers a kernel reads
    or writes.

    With `hooks` (the default), each kernel is bracketed for the runtime's profile:
    ```mlir
    %t = func.call @attune_kernel_start() : () -> i64
    func.call @attune_matmul_k768_n768_bias(...)
    scf.if (%t != 0) { func.call @attune_kernel_stop(%t, %id, %flops, %bytes) }
    ```
    `attune_kernel_start` returns 0 unless the run is profiled: an unprofiled run pays one
    call and one compare per kernel.
  }];
  let options = [
    Option<"hooks", "hooks", "bool", /*default=*/"true",
           "Bracket each kernel with the runtime's profiling hooks (else only the table)">
  ];
  let dependentDialects = ["mlir::func::FuncDialect", "mlir::scf::SCFDialect",
                           "mlir::arith::ArithDialect", "mlir::memref::MemRefDialect"];
}

def AttuneOutlineParallelPass : Pass<"attune-outline-parallel", "mlir::ModuleOp"> {
  let summary = "Outlines task loops (scf.parallel {attune.tasks}) into functions over a task range";
  let description = [{
    Each one-dimensional `scf.parallel` marked `attune.tasks` (on buffers, after
    bufferization) becomes a private function `(begin, end, captured values...)` that runs
    tasks [begin, end) in order, marked `attune.parallel_tasks`, and a call over the whole
    range in its place: still serial, and correct as it stands. Fixed-size `memref.alloca`
    scratch in the task body moves before the task loop, so each thread reuses one copy.
    `attune-lower-parallel-calls` later hands the calls to the runtime's thread pool. Task
    bodies may not allocate on the heap (tasks run outside the run's arena): an error.
  }];
  let dependentDialects = ["mlir::func::FuncDialect", "mlir::scf::SCFDialect"];
}

def AttuneMergeIdenticalFunctionsPass
    : Pass<"attune-merge-identical-functions", "mlir::ModuleOp"> {
  let summary = "Private functions with the same body and type become one";
  let description = [{
    Functions are compared as printed with their names left out (the printer names values
    by position, so equal text is equal structure); every use of a later copy is redirected
    to the first and the copy erased. Runs after `attune-outline-parallel`: each layer's
    attention and norm kernels are outlined into task functions of their own, identical from
    layer to layer, and merged they are lowered, optimized and generated once.

    Before:
    ```mlir
    func.func private @forward_tasks0(%b: index, %e: index, %x: memref<4xf32>) { ... }
    func.func private @forward_tasks1(%b: index, %e: index, %x: memref<4xf32>) { ... }  // same
    call @forward_tasks1(%c0, %n, %y) : (index, index, memref<4xf32>) -> ()
    ```
    After:
    ```mlir
    func.func private @forward_tasks0(%b: index, %e: index, %x: memref<4xf32>) { ... }
    call @forward_tasks0(%c0, %n, %y) : (index, index, memref<4xf32>) -> ()
    ```
  }];
}

def AttuneLowerParallelCallsPass : Pass<"attune-lower-parallel-calls", "mlir::ModuleOp"> {
  let summary = "Runs calls to task-range functions on the runtime's thread pool";
  let description = [{
    On the LLVM dialect: each call to a function marked `attune.parallel_tasks` (first two
    arguments: the task range) becomes `attune_parallel_for(trampoline, context, begin, end)`.
    The other arguments are stored into a stack context struct; the trampoline
    `<callee>_tasks(context, begin, end)` loads them and calls the function on a sub-range.
    The runtime splits the range among its threads (runtime/src/parallel.c).
  }];
  let dependentDialects = ["mlir::LLVM::LLVMDialect"];
}

#endif // ATTUNE_PASSES_TD
