// Tests that the attune verifiers reject malformed ops with a message naming the problem.
// RUN: attune-opt %s -split-input-file -verify-diagnostics

func.func @weight_dynamic() {
  // expected-error @+1 {{weight 'w' must have a static shape}}
  %w = attune.weight "w" : tensor<?x4xf32>
  return
}

// -----

func.func @weight_unnamed() {
  // expected-error @+1 {{weight name must not be empty}}
  %w = attune.weight "" : tensor<4xf32>
  return
}

// -----

func.func @iota_rank(%n: index) {
  // expected-error @+1 {{result must be rank 1}}
  %i = attune.iota %n : tensor<?x?xi32>
  return
}

// -----

func.func @embed_table_rank(%t: tensor<f32>, %ids: tensor<?xi32>) {
  // expected-error @+1 {{table must have a static first dim, got []}}
  %x = attune.embed %t, %ids : tensor<f32>, tensor<?xi32>
  return
}

// -----

func.func @add_mixed(%a: tensor<2xf32>, %b: tensor<2xi32>) {
  // expected-error @+1 {{operands must have the same element type}}
  %c = attune.add %a, %b : tensor<2xf32>, tensor<2xi32>
  return
}

// -----

func.func @transpose_length(%x: tensor<2x3xf32>) {
  // expected-error @+1 {{permutation has 3 entries for a rank-2 input}}
  %t = attune.transpose %x [0, 1, 2] : tensor<2x3xf32>
  return
}

// -----

func.func @transpose_repeat(%x: tensor<2x3xf32>) {
  // expected-error @+1 {{permutation repeats dimension 0}}
  %t = attune.transpose %x [0, 0] : tensor<2x3xf32>
  return
}

// -----

func.func @transpose_range(%x: tensor<2x3xf32>) {
  // expected-error @+1 {{permutation entry 5 out of range}}
  %t = attune.transpose %x [0, 5] : tensor<2x3xf32>
  return
}

// -----

func.func @reshape_elements(%x: tensor<4x6xf32>) {
  // expected-error @+1 {{cannot reshape [4, 6] (24 elements) into [5, 5] (25 elements)}}
  %r = attune.reshape %x() : tensor<4x6xf32> -> tensor<5x5xf32>
  return
}

// -----

func.func @reshape_sizes(%x: tensor<?x6xf32>) {
  // expected-error @+1 {{expects 1 sizes for the dynamic result dims, got 0}}
  %r = attune.reshape %x() : tensor<?x6xf32> -> tensor<?x2x3xf32>
  return
}

// -----

func.func @reshape_not_adjacent(%x: tensor<4x6xf32>) {
  // expected-error @+1 {{reshape from [4, 6] to [6, 4] neither splits nor merges adjacent dims}}
  %r = attune.reshape %x() : tensor<4x6xf32> -> tensor<6x4xf32>
  return
}

// -----

func.func @reshape_element_type(%x: tensor<4xf32>) {
  // expected-error @+1 {{changes the element type}}
  %r = attune.reshape %x() : tensor<4xf32> -> tensor<4xi32>
  return
}

// -----

func.func @slice_range(%x: tensor<2x8xf32>) {
  // expected-error @+1 {{range [4, 12) is empty or outside dimension 1 of size 8}}
  %s = attune.slice %x axis 1 [4, 12] : tensor<2x8xf32>
  return
}

// -----

func.func @slice_dynamic(%x: tensor<?x8xf32>) {
  // expected-error @+1 {{slices [0, 2) of dynamic dimension 0; only [0, 1) is known to be in range}}
  %s = attune.slice %x axis 0 [0, 2] : tensor<?x8xf32>
  return
}

// -----

func.func @broadcast_mismatch(%a: tensor<2x3xf32>, %b: tensor<4xf32>) {
  // expected-error @+1 {{operands of shapes [2, 3] and [4] do not broadcast}}
  %c = attune.add %a, %b : tensor<2x3xf32>, tensor<4xf32>
  return
}

// -----

func.func @compare_types(%a: tensor<2xi32>, %b: tensor<2xi64>) {
  // expected-error @+1 {{compared operands must have the same element type}}
  %c = attune.compare %a, %b {predicate = "lt"} : tensor<2xi32>, tensor<2xi64>
  return
}

// -----

func.func @compare_predicate(%a: tensor<2xi32>) {
  // expected-error @+1 {{attribute 'predicate' failed to satisfy constraint: string attribute one of lt, le, gt, ge, eq, ne}}
  %c = attune.compare %a, %a {predicate = "below"} : tensor<2xi32>, tensor<2xi32>
  return
}

// -----

func.func @matmul_inner(%a: tensor<?x8xf32>, %b: tensor<4x16xf32>) {
  // expected-error @+1 {{matmul contracts [?, 8] with [4, 16]: inner dimensions 8 and 4 differ}}
  %c = attune.matmul %a, %b : tensor<?x8xf32>, tensor<4x16xf32>
  return
}

// -----

func.func @matmul_rank(%a: tensor<8xf32>, %b: tensor<8x16xf32>) {
  // expected-error @+1 {{matmul operands must have rank >= 2}}
  %c = attune.matmul %a, %b : tensor<8xf32>, tensor<8x16xf32>
  return
}

// -----

func.func @matmul_batch(%a: tensor<2x3x8xf32>, %b: tensor<5x8x4xf32>) {
  // expected-error @+1 {{matmul batch dimensions of [2, 3, 8] and [5, 8, 4] do not broadcast}}
  %c = attune.matmul %a, %b : tensor<2x3x8xf32>, tensor<5x8x4xf32>
  return
}

// -----

func.func @layer_norm_params(%x: tensor<?x8xf32>, %g: tensor<4xf32>) {
  // expected-error @+1 {{gain and bias must be [8] to match the last dim}}
  %n = attune.layer_norm %x, %g, %g {epsilon = 1.0e-5 : f64} : tensor<?x8xf32>, tensor<4xf32>, tensor<4xf32>
  return
}

// -----

func.func @layer_norm_epsilon(%x: tensor<?x4xf32>, %g: tensor<4xf32>) {
  // expected-error @+1 {{epsilon must be non-negative}}
  %n = attune.layer_norm %x, %g, %g {epsilon = -1.0 : f64} : tensor<?x4xf32>, tensor<4xf32>, tensor<4xf32>
  return
}

// -----

func.func @softmax_axis(%x: tensor<?x4xf32>) {
  // expected-error @+1 {{axis 2 out of range for rank 2}}
  %s = attune.softmax %x {axis = 2 : i64} : tensor<?x4xf32>
  return
}

// -----

func.func @gelu_kind(%x: tensor<4xf32>) {
  // expected-error @+1 {{failed to satisfy constraint: string attribute one of erf, tanh}}
  %s = attune.gelu %x {approximation = "sigmoid"} : tensor<4xf32>
  return
}

// -----

func.func @rms_norm_gain(%x: tensor<?x8xf32>, %g: tensor<4xf32>) {
  // expected-error @+1 {{gain must be [8] to match the last dim}}
  %n = attune.rms_norm %x, %g {epsilon = 1.0e-6 : f64} : tensor<?x8xf32>, tensor<4xf32>
  return
}

// -----

func.func @rope_odd(%x: tensor<?x2x?x7xf32>, %p: tensor<?xi32>) {
  // expected-error @+1 {{head dim must be static and even, got 7}}
  %r = attune.rope %x, %p {theta = 1.0e4 : f64} : tensor<?x2x?x7xf32>, tensor<?xi32>
  return
}

// -----

func.func @rope_positions(%x: tensor<1x2x5x8xf32>, %p: tensor<4xi32>) {
  // expected-error @+1 {{positions must be [seq] or [batch, seq] for input}}
  %r = attune.rope %x, %p {theta = 1.0e4 : f64} : tensor<1x2x5x8xf32>, tensor<4xi32>
  return
}

// -----

func.func @rope_theta(%x: tensor<1x2x5x8xf32>, %p: tensor<5xi32>) {
  // expected-error @+1 {{theta must be positive}}
  %r = attune.rope %x, %p {theta = 0.0 : f64} : tensor<1x2x5x8xf32>, tensor<5xi32>
  return
}

// -----

func.func @attention_head_dims(%q: tensor<2x3x8xf32>, %k: tensor<2x5x4xf32>, %v: tensor<2x5x4xf32>) {
  // expected-error @+1 {{query and key head dims differ}}
  %o = attune.attention %q, %k, %v {masked_value = 0.0 : f64, scale = 1.0 : f64} : (tensor<2x3x8xf32>, tensor<2x5x4xf32>, tensor<2x5x4xf32>) -> tensor<2x3x4xf32>
  return
}

// -----

func.func @attention_lengths(%q: tensor<2x3x4xf32>, %k: tensor<2x5x4xf32>, %v: tensor<2x6x4xf32>) {
  // expected-error @+1 {{key and value lengths differ}}
  %o = attune.attention %q, %k, %v {masked_value = 0.0 : f64, scale = 1.0 : f64} : (tensor<2x3x4xf32>, tensor<2x5x4xf32>, tensor<2x6x4xf32>) -> tensor<2x3x4xf32>
  return
}

// -----

func.func @attention_mask(%q: tensor<2x3x4xf32>, %k: tensor<2x5x4xf32>, %v: tensor<2x5x4xf32>, %m: tensor<3x4xi1>) {
  // expected-error @+1 {{mask/bias of shape [3, 4] does not broadcast to the scores [2, 3, 5]}}
  %o = attune.attention %q, %k, %v mask %m {masked_value = 0.0 : f64, scale = 1.0 : f64} : (tensor<2x3x4xf32>, tensor<2x5x4xf32>, tensor<2x5x4xf32>, tensor<3x4xi1>) -> tensor<2x3x4xf32>
  return
}

// -----

func.func @attention_result(%q: tensor<2x3x4xf32>, %k: tensor<2x5x4xf32>, %v: tensor<2x5x6xf32>) {
  // expected-error @+1 {{result must be [2, 3, 6], got [2, 3, 4]}}
  %o = attune.attention %q, %k, %v {masked_value = 0.0 : f64, scale = 1.0 : f64} : (tensor<2x3x4xf32>, tensor<2x5x4xf32>, tensor<2x5x6xf32>) -> tensor<2x3x4xf32>
  return
}

// -----

func.func @packed_matmul_panels(%x: tensor<?x8xf32>, %w: tensor<2x8x16xf32>) {
  // expected-error @+1 {{panels [2, 8, 16] do not hold 40 columns in panels of 16}}
  %y = attune.packed_matmul %x, %w {columns = 40 : i64} : tensor<?x8xf32>, tensor<2x8x16xf32> -> tensor<?x40xf32>
  return
}

// -----

func.func @packed_matmul_f16_panels(%x: tensor<?x8xf32>, %w: tensor<3x8x16xf16>) {
  // expected-error @+1 {{operand #1 must be ranked tensor of 32-bit float or bfloat16 type or 8-bit signless integer values}}
  %y = attune.packed_matmul %x, %w {columns = 40 : i64} : tensor<?x8xf32>, tensor<3x8x16xf16> -> tensor<?x40xf32>
  return
}

// -----

func.func @packed_matmul_i8_without_scales(%x: tensor<?x8xf32>, %w: tensor<3x8x16xi8>) {
  // expected-error @+1 {{i8 panels need scales, and only they have them}}
  %y = attune.packed_matmul %x, %w {columns = 40 : i64} : tensor<?x8xf32>, tensor<3x8x16xi8> -> tensor<?x40xf32>
  return
}

// -----

func.func @packed_matmul_scales_shape(%x: tensor<?x8xf32>, %w: tensor<3x8x16xi8>, %s: tensor<40xf32>) {
  // expected-error @+1 {{scales must be [48], got [40]}}
  %y = attune.packed_matmul %x, %w scales %s {columns = 40 : i64} : tensor<?x8xf32>, tensor<3x8x16xi8> scales tensor<40xf32> -> tensor<?x40xf32>
  return
}

// -----

func.func @packed_matmul_depth(%x: tensor<?x4xf32>, %w: tensor<3x8x16xf32>) {
  // expected-error @+1 {{lhs [?, 4] does not contract with K = 8}}
  %y = attune.packed_matmul %x, %w {columns = 40 : i64} : tensor<?x4xf32>, tensor<3x8x16xf32> -> tensor<?x40xf32>
  return
}

// -----

func.func @packed_matmul_result(%x: tensor<?x8xf32>, %w: tensor<3x8x16xf32>) {
  // expected-error @+1 {{result must be [?, 40], got [?, 48]}}
  %y = attune.packed_matmul %x, %w {columns = 40 : i64} : tensor<?x8xf32>, tensor<3x8x16xf32> -> tensor<?x48xf32>
  return
}

// -----

func.func @packed_matmul_rank(%x: tensor<?x8xf32>, %w: tensor<8x16xf32>) {
  // expected-error @+1 {{panels must be a static [P, K, width] tensor or bf16 [P, K/2, width, 2] k pairs, got [8, 16] of 'f32'}}
  %y = attune.packed_matmul %x, %w {columns = 16 : i64} : tensor<?x8xf32>, tensor<8x16xf32> -> tensor<?x16xf32>
  return
}

// -----

func.func @packed_matmul_f32_pairs(%x: tensor<?x8xf32>, %w: tensor<1x4x16x2xf32>) {
  // expected-error @+1 {{panels must be a static [P, K, width] tensor or bf16 [P, K/2, width, 2] k pairs, got [1, 4, 16, 2] of 'f32'}}
  %y = attune.packed_matmul %x, %w {columns = 16 : i64} : tensor<?x8xf32>, tensor<1x4x16x2xf32> -> tensor<?x16xf32>
  return
}

// -----

func.func @packed_matmul_triples(%x: tensor<?x12xf32>, %w: tensor<1x4x16x3xbf16>) {
  // expected-error @+1 {{panels must be a static [P, K, width] tensor or bf16 [P, K/2, width, 2] k pairs, got [1, 4, 16, 3] of 'bf16'}}
  %y = attune.packed_matmul %x, %w {columns = 16 : i64} : tensor<?x12xf32>, tensor<1x4x16x3xbf16> -> tensor<?x16xf32>
  return
}

// -----

func.func @packed_matmul_pairs_depth(%x: tensor<?x4xf32>, %w: tensor<1x4x16x2xbf16>) {
  // expected-error @+1 {{lhs [?, 4] does not contract with K = 8}}
  %y = attune.packed_matmul %x, %w {columns = 16 : i64} : tensor<?x4xf32>, tensor<1x4x16x2xbf16> -> tensor<?x16xf32>
  return
}

// -----

func.func @packed_matmul_norm_parts(%x: tensor<?x8xf32>, %w: tensor<1x8x16xf32>, %g: tensor<16xf32>) {
  // expected-error @+1 {{norm 'layer_norm' needs norm_gain, norm_epsilon and a normalized result}}
  %y = attune.packed_matmul %x, %w norm_gain %g {columns = 16 : i64, norm = "layer_norm"} : tensor<?x8xf32>, tensor<1x8x16xf32> norm_gain tensor<16xf32> -> tensor<?x16xf32>
  return
}

// -----

func.func @packed_matmul_norm_bias(%x: tensor<?x8xf32>, %w: tensor<1x8x16xf32>, %g: tensor<16xf32>) {
  // expected-error @+1 {{norm_bias goes with layer_norm only, and layer_norm needs one}}
  %y, %n = attune.packed_matmul %x, %w norm_gain %g norm_bias %g {columns = 16 : i64, norm = "rms_norm", norm_epsilon = 1.0e-6 : f64} : tensor<?x8xf32>, tensor<1x8x16xf32> norm_gain tensor<16xf32> norm_bias tensor<16xf32> -> tensor<?x16xf32>, tensor<?x16xf32>
  return
}

// -----

func.func @packed_matmul_norm_gain(%x: tensor<?x8xf32>, %w: tensor<1x8x16xf32>, %g: tensor<8xf32>) {
  // expected-error @+1 {{norm_gain and norm_bias must be [16], got [8]}}
  %y, %n = attune.packed_matmul %x, %w norm_gain %g {columns = 16 : i64, norm = "rms_norm", norm_epsilon = 1.0e-6 : f64} : tensor<?x8xf32>, tensor<1x8x16xf32> norm_gain tensor<8xf32> -> tensor<?x16xf32>, tensor<?x16xf32>
  return
}

// -----

func.func @packed_matmul_normalized_without_norm(%x: tensor<?x8xf32>, %w: tensor<1x8x16xf32>) {
  // expected-error @+1 {{norm_gain, norm_bias, norm_epsilon and a normalized result need a norm}}
  %y, %n = attune.packed_matmul %x, %w {columns = 16 : i64} : tensor<?x8xf32>, tensor<1x8x16xf32> -> tensor<?x16xf32>, tensor<?x16xf32>
  return
}

// -----

func.func @packed_matmul_normalized_type(%x: tensor<?x8xf32>, %w: tensor<1x8x16xf32>, %g: tensor<16xf32>) {
  // expected-error @+1 {{the normalized result must have the result's type}}
  %y, %n = attune.packed_matmul %x, %w norm_gain %g {columns = 16 : i64, norm = "rms_norm", norm_epsilon = 1.0e-6 : f64} : tensor<?x8xf32>, tensor<1x8x16xf32> norm_gain tensor<16xf32> -> tensor<?x16xf32>, tensor<4x16xf32>
  return
}

// -----

func.func @attention_offsets_not_causal(%q: tensor<2x3x4xf32>, %k: tensor<2x5x4xf32>, %v: tensor<2x5x4xf32>, %off: tensor<2xi32>) {
  // expected-error @+1 {{query offsets need a causal attention}}
  %o = attune.attention %q, %k, %v offsets %off {masked_value = 0.0 : f64, scale = 1.0 : f64} : (tensor<2x3x4xf32>, tensor<2x5x4xf32>, tensor<2x5x4xf32>, tensor<2xi32>) -> tensor<2x3x4xf32>
  return
}

// -----

func.func @attention_offsets_shape(%q: tensor<2x3x4xf32>, %k: tensor<2x5x4xf32>, %v: tensor<2x5x4xf32>, %off: tensor<3xi32>) {
  // expected-error @+1 {{query offsets must be [batch] of the scores [2, 3, 5], got [3]}}
  %o = attune.attention %q, %k, %v offsets %off {causal, masked_value = 0.0 : f64, scale = 1.0 : f64} : (tensor<2x3x4xf32>, tensor<2x5x4xf32>, tensor<2x5x4xf32>, tensor<3xi32>) -> tensor<2x3x4xf32>
  return
}

// -----

func.func @cache_write_rank(%c: tensor<2x8x4xf32>, %u: tensor<2x1x1x4xf32>, %off: tensor<2xi32>) {
  // expected-error @+1 {{cache and update must be [batch, ..., len, d] of one rank, got [2, 8, 4] and [2, 1, 1, 4]}}
  %0 = attune.cache_write %c, %u, %off : tensor<2x8x4xf32>, tensor<2x1x1x4xf32>, tensor<2xi32>
  return
}

// -----

func.func @cache_write_dims(%c: tensor<2x3x8x4xf32>, %u: tensor<2x2x1x4xf32>, %off: tensor<2xi32>) {
  // expected-error @+1 {{cache [2, 3, 8, 4] and update [2, 2, 1, 4] differ in dim 1}}
  %0 = attune.cache_write %c, %u, %off : tensor<2x3x8x4xf32>, tensor<2x2x1x4xf32>, tensor<2xi32>
  return
}

// -----

func.func @cache_write_offsets(%c: tensor<2x3x8x4xf32>, %u: tensor<2x3x1x4xf32>, %off: tensor<4xi32>) {
  // expected-error @+1 {{offsets must be [batch], got [4]}}
  %0 = attune.cache_write %c, %u, %off : tensor<2x3x8x4xf32>, tensor<2x3x1x4xf32>, tensor<4xi32>
  return
}

// -----

func.func @rope_row_positions(%x: tensor<2x4x5x8xf32>, %p: tensor<3x5xi32>) {
  // expected-error @+1 {{positions must be [seq] or [batch, seq] for input 'tensor<2x4x5x8xf32>', got 'tensor<3x5xi32>'}}
  %0 = attune.rope %x, %p {theta = 1.0e4 : f64} : tensor<2x4x5x8xf32>, tensor<3x5xi32>
  return
}

// -----

func.func @bf16_dot_pairs(%acc: vector<16xf32>, %a: vector<16xbf16>) {
  // expected-error @+1 {{needs a bf16 pair per f32 sum: 16 sums and 16 bf16s}}
  %s = attune.bf16_dot %acc, %a, %a : vector<16xf32>, vector<16xbf16>
  return
}

// -----

func.func @bf16_dot_f16(%acc: vector<16xf32>, %a: vector<32xf16>) {
  // expected-error @+1 {{operand #1 must be vector of bfloat16 type values of length 16/32}}
  %s = attune.bf16_dot %acc, %a, %a : vector<16xf32>, vector<32xf16>
  return
}
