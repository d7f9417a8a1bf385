// Tests that attune-lower-to-linalg turns each attune op into linalg on tensors, with numpy
// broadcasting expressed in the indexing maps and dynamic sizes read by tensor.dim.
// RUN: attune-opt %s -split-input-file --pass-pipeline='builtin.module(func.func(attune-lower-to-linalg{vector-norms=false}))' | FileCheck %s

// CHECK-DAG: #[[$ID3:.+]] = affine_map<(d0, d1, d2) -> (d0, d1, d2)>
// CHECK-DAG: #[[$LAST:.+]] = affine_map<(d0, d1, d2) -> (d2)>
// CHECK-LABEL: func @add_bias
// CHECK-SAME: (%[[X:.+]]: tensor<?x?x8xf32>, %[[B:.+]]: tensor<8xf32>)
// CHECK: %[[D0:.+]] = tensor.dim %[[X]], %c0
// CHECK: %[[D1:.+]] = tensor.dim %[[X]], %c1
// CHECK: %[[E:.+]] = tensor.empty(%[[D0]], %[[D1]]) : tensor<?x?x8xf32>
// CHECK: linalg.generic {indexing_maps = [#[[$ID3]], #[[$LAST]], #[[$ID3]]]
// CHECK-SAME: ins(%[[X]], %[[B]] : {{.*}}) outs(%[[E]]
// CHECK: arith.addf
// CHECK-NOT: attune.
func.func @add_bias(%x: tensor<?x?x8xf32>, %b: tensor<8xf32>) -> tensor<?x?x8xf32> {
  %0 = attune.add %x, %b : tensor<?x?x8xf32>, tensor<8xf32>
  return %0 : tensor<?x?x8xf32>
}

// -----

// A size-1 dim that stretches is read at index 0.
// CHECK-DAG: #[[$ROW:.+]] = affine_map<(d0, d1) -> (d0, 0)>
// CHECK-DAG: #[[$COL:.+]] = affine_map<(d0, d1) -> (0, d1)>
// CHECK-LABEL: func @causal_compare
// CHECK: linalg.generic {indexing_maps = [#[[$ROW]], #[[$COL]], {{.*}}]
// CHECK: arith.cmpi sge
func.func @causal_compare(%r: tensor<4x1xi32>, %c: tensor<1x4xi32>) -> tensor<4x4xi1> {
  %0 = attune.compare %r, %c {predicate = "ge"} : tensor<4x1xi32>, tensor<1x4xi32>
  return %0 : tensor<4x4xi1>
}

// -----

// CHECK-DAG: #[[$SCALAR:.+]] = affine_map<(d0, d1, d2, d3) -> ()>
// CHECK-LABEL: func @select_mask
// CHECK: linalg.generic {indexing_maps = [{{.*}}, {{.*}}, #[[$SCALAR]], {{.*}}]
// CHECK: arith.select
func.func @select_mask(%c: tensor<?x?xi1>, %x: tensor<?x4x?x?xf32>, %m: tensor<f32>) -> tensor<?x4x?x?xf32> {
  %0 = attune.select %c, %x, %m : tensor<?x?xi1>, tensor<?x4x?x?xf32>, tensor<f32>
  return %0 : tensor<?x4x?x?xf32>
}

// -----

// A weight operand of rank 2 is shared across the batch dims; K is the reduction loop.
// CHECK-DAG: #[[$LHS:.+]] = affine_map<(d0, d1, d2, d3) -> (d0, d1, d3)>
// CHECK-DAG: #[[$RHS:.+]] = affine_map<(d0, d1, d2, d3) -> (d3, d2)>
// CHECK-DAG: #[[$OUT:.+]] = affine_map<(d0, d1, d2, d3) -> (d0, d1, d2)>
// CHECK-LABEL: func @matmul_weight
// CHECK: %[[ZERO:.+]] = linalg.fill
// CHECK: linalg.generic {indexing_maps = [#[[$LHS]], #[[$RHS]], #[[$OUT]]], iterator_types = ["parallel", "parallel", "parallel", "reduction"]}
// CHECK-SAME: outs(%[[ZERO]]
// CHECK: arith.mulf
// CHECK: arith.addf
func.func @matmul_weight(%x: tensor<?x?x8xf32>, %w: tensor<8x16xf32>) -> tensor<?x?x16xf32> {
  %0 = attune.matmul %x, %w : tensor<?x?x8xf32>, tensor<8x16xf32>
  return %0 : tensor<?x?x16xf32>
}

// -----

// CHECK-LABEL: func @matmul_batched
// CHECK: linalg.generic {{.*}} iterator_types = ["parallel", "parallel", "parallel", "parallel", "reduction"]
func.func @matmul_batched(%q: tensor<?x2x?x4xf32>, %k: tensor<?x2x4x?xf32>) -> tensor<?x2x?x?xf32> {
  %0 = attune.matmul %q, %k : tensor<?x2x?x4xf32>, tensor<?x2x4x?xf32>
  return %0 : tensor<?x2x?x?xf32>
}

// -----

// CHECK-LABEL: func @embed
// CHECK-SAME: (%[[T:.+]]: tensor<16x8xf32>, %[[IDS:.+]]: tensor<?x?xi32>)
// CHECK: linalg.generic {{.*}} ins(%[[IDS]] : tensor<?x?xi32>)
// CHECK: arith.index_cast
// CHECK: arith.maxsi
// CHECK: arith.minsi
// CHECK: linalg.index 2
// CHECK: tensor.extract %[[T]]
func.func @embed(%t: tensor<16x8xf32>, %ids: tensor<?x?xi32>) -> tensor<?x?x8xf32> {
  %0 = attune.embed %t, %ids : tensor<16x8xf32>, tensor<?x?xi32>
  return %0 : tensor<?x?x8xf32>
}

// -----

// CHECK-LABEL: func @iota
// CHECK-SAME: (%[[N:.+]]: index)
// CHECK: tensor.empty(%[[N]]) : tensor<?xi32>
// CHECK: linalg.index 0
func.func @iota(%n: index) -> tensor<?xi32> {
  %0 = attune.iota %n : tensor<?xi32>
  return %0 : tensor<?xi32>
}

// -----

// CHECK-LABEL: func @shapes
// CHECK: %[[E:.+]] = tensor.expand_shape %{{.*}} {{\[}}[0], [1], [2, 3]] output_shape [%{{.*}}, %{{.*}}, 2, 4]
// CHECK: %[[T:.+]] = linalg.transpose ins(%[[E]] {{.*}} permutation = [0, 2, 1, 3]
// CHECK: tensor.collapse_shape %{{.*}} {{\[}}[0], [1], [2, 3]]
// CHECK: tensor.extract_slice %{{.*}}[0, 0, 8] [%{{.*}}, %{{.*}}, 4] [1, 1, 1]
func.func @shapes(%x: tensor<?x?x8xf32>, %b: index, %s: index, %y: tensor<?x?x2x4xf32>, %z: tensor<?x?x16xf32>)
    -> (tensor<?x2x?x4xf32>, tensor<?x?x8xf32>, tensor<?x?x4xf32>) {
  %h = attune.reshape %x(%b, %s) : tensor<?x?x8xf32> -> tensor<?x?x2x4xf32>
  %t = attune.transpose %h [0, 2, 1, 3] : tensor<?x?x2x4xf32>
  %m = attune.reshape %y(%b, %s) : tensor<?x?x2x4xf32> -> tensor<?x?x8xf32>
  %sl = attune.slice %z axis 2 [8, 12] : tensor<?x?x16xf32>
  return %t, %m, %sl : tensor<?x2x?x4xf32>, tensor<?x?x8xf32>, tensor<?x?x4xf32>
}

// -----

// Layer norm: a sum, a centred sum of squares, then the normalisation with gain and bias.
// CHECK-LABEL: func @layer_norm
// CHECK: %[[SUM:.+]] = linalg.generic {{.*}} iterator_types = ["parallel", "parallel", "reduction"]
// CHECK: %[[SQ:.+]] = linalg.generic {{.*}} iterator_types = ["parallel", "parallel", "reduction"]
// CHECK-SAME: ins(%{{.*}}, %[[SUM]]
// CHECK: linalg.generic {{.*}} ins(%{{.*}}, %[[SUM]], %[[SQ]], %{{.*}}, %{{.*}} :
// CHECK: math.sqrt
func.func @layer_norm(%x: tensor<?x?x8xf32>, %g: tensor<8xf32>, %b: tensor<8xf32>) -> tensor<?x?x8xf32> {
  %0 = attune.layer_norm %x, %g, %b {epsilon = 1.0e-5 : f64} : tensor<?x?x8xf32>, tensor<8xf32>, tensor<8xf32>
  return %0 : tensor<?x?x8xf32>
}

// -----

// Softmax: a max, a sum of shifted exponentials, then the quotient.
// CHECK-LABEL: func @softmax
// CHECK: arith.constant 0xFF800000 : f32
// CHECK: %[[MAX:.+]] = linalg.generic
// CHECK: arith.maxnumf
// CHECK: %[[SUM:.+]] = linalg.generic {{.*}} ins(%{{.*}}, %[[MAX]]
// CHECK: math.exp
// CHECK: linalg.generic {{.*}} ins(%{{.*}}, %[[MAX]], %[[SUM]]
// CHECK: arith.divf
func.func @softmax(%x: tensor<?x4x?x?xf32>) -> tensor<?x4x?x?xf32> {
  %0 = attune.softmax %x {axis = 3 : i64} : tensor<?x4x?x?xf32>
  return %0 : tensor<?x4x?x?xf32>
}

// -----

// CHECK-LABEL: func @activations
// CHECK: math.tanh
// CHECK: math.erf
// CHECK: arith.maximumf
// CHECK: math.exp
// CHECK: math.tanh
func.func @activations(%x: tensor<?x8xf32>) -> (tensor<?x8xf32>, tensor<?x8xf32>, tensor<?x8xf32>, tensor<?x8xf32>, tensor<?x8xf32>) {
  %0 = attune.gelu %x {approximation = "tanh"} : tensor<?x8xf32>
  %1 = attune.gelu %x {approximation = "erf"} : tensor<?x8xf32>
  %2 = attune.relu %x : tensor<?x8xf32>
  %3 = attune.silu %x : tensor<?x8xf32>
  %4 = attune.tanh %x : tensor<?x8xf32>
  return %0, %1, %2, %3, %4 : tensor<?x8xf32>, tensor<?x8xf32>, tensor<?x8xf32>, tensor<?x8xf32>, tensor<?x8xf32>
}

// -----

// RMS norm: a sum of squares, then x / sqrt(mean + eps) * gain.
// CHECK-LABEL: func @rms_norm
// CHECK: %[[SQ:.+]] = linalg.generic {{.*}} iterator_types = ["parallel", "parallel", "reduction"]
// CHECK: arith.mulf
// CHECK: linalg.generic {{.*}} ins(%{{.*}}, %[[SQ]], %{{.*}} :
// CHECK: math.sqrt
func.func @rms_norm(%x: tensor<?x?x8xf32>, %g: tensor<8xf32>) -> tensor<?x?x8xf32> {
  %0 = attune.rms_norm %x, %g {epsilon = 1.0e-6 : f64} : tensor<?x?x8xf32>, tensor<8xf32>
  return %0 : tensor<?x?x8xf32>
}

// -----

// RoPE: the inverse frequencies are a constant table; cos and sin of position * frequency are
// computed once per (position, frequency) into [seq, head_dim / 2] tables, which the rotation
// reads at (position, j mod head_dim / 2); each element reads its partner half a head away.
// CHECK-DAG: #[[$POS:.+]] = affine_map<(d0, d1) -> (d0)>
// CHECK-DAG: #[[$FREQ:.+]] = affine_map<(d0, d1) -> (d1)>
// CHECK-DAG: #[[$TRIG:.+]] = affine_map<(d0, d1, d2, d3) -> (d2, d3 mod 4)>
// CHECK-LABEL: func @rope
// CHECK: %[[TABLE:.+]] = arith.constant dense<[1.000000e+00, 1.000000e-01, 0.00999999977, 1.000000e-03]> : tensor<4xf32>
// CHECK: %[[COSSIN:.+]]:2 = linalg.generic {indexing_maps = [#[[$POS]], #[[$FREQ]], {{.*}}]{{.*}} ins(%{{.+}}, %[[TABLE]] : tensor<?xi32>, tensor<4xf32>) outs({{.*}} : tensor<?x4xf32>, tensor<?x4xf32>)
// CHECK: arith.sitofp
// CHECK-NEXT: arith.mulf
// CHECK-NEXT: math.cos
// CHECK-NEXT: math.sin
// CHECK: linalg.generic {indexing_maps = [#{{.+}}, #[[$TRIG]], #[[$TRIG]], #{{.+}}]{{.*}} ins(%{{.+}}, %[[COSSIN]]#0, %[[COSSIN]]#1 :
// CHECK: arith.cmpi ult
// CHECK: tensor.extract %{{.*}}[
// CHECK: arith.negf
// CHECK-NOT: math.cos
// CHECK: linalg.yield
func.func @rope(%x: tensor<?x2x?x8xf32>, %p: tensor<?xi32>) -> tensor<?x2x?x8xf32> {
  %0 = attune.rope %x, %p {theta = 1.0e4 : f64} : tensor<?x2x?x8xf32>, tensor<?xi32>
  return %0 : tensor<?x2x?x8xf32>
}


// -----

// x · transpose(w) reads w through a swapped map: the transpose is not materialised.
// CHECK-DAG: #[[$WT:.+]] = affine_map<(d0, d1, d2, d3) -> (d2, d3)>
// CHECK-LABEL: func @matmul_transposed_weight
// CHECK-SAME: (%[[X:.+]]: tensor<?x?x8xf32>, %[[W:.+]]: tensor<16x8xf32>)
// CHECK: linalg.generic {indexing_maps = [#{{.+}}, #[[$WT]], #{{.+}}]
// CHECK-SAME: ins(%[[X]], %[[W]] : tensor<?x?x8xf32>, tensor<16x8xf32>)
func.func @matmul_transposed_weight(%x: tensor<?x?x8xf32>, %w: tensor<16x8xf32>) -> tensor<?x?x16xf32> {
  %wt = attune.transpose %w [1, 0] : tensor<16x8xf32>
  %0 = attune.matmul %x, %wt : tensor<?x?x8xf32>, tensor<8x16xf32>
  return %0 : tensor<?x?x16xf32>
}

// -----

// The reference lowering of a packed matmul: a contraction over the panels (marked
// attune.matmul for schedules), then its epilogue as one elementwise loop in the kernel's
// order, activation(x·W + bias) + residual. Without an epilogue, the contraction alone.
// CHECK-DAG: #[[$PANEL:.+]] = affine_map<(d0, d1, d2) -> (d1 floordiv 16, d2, d1 mod 16)>
// CHECK-DAG: #[[$COLUMN:.+]] = affine_map<(d0, d1) -> (d1)>
// CHECK-LABEL: func @packed_matmul_epilogue
// CHECK-SAME: (%[[X:.+]]: tensor<?x8xf32>, %[[W:.+]]: tensor<2x8x16xf32>, %[[B:.+]]: tensor<32xf32>, %[[R:.+]]: tensor<?x32xf32>)
// CHECK: %[[PRODUCT:.+]] = linalg.generic {{{.*}}#[[$PANEL]]{{.*}}iterator_types = ["parallel", "parallel", "reduction"]} ins(%[[X]], %[[W]] : {{.*}}) {{.*}}attrs = {{ *}}{attune.matmul}
// CHECK: linalg.generic {{{.*}}#[[$COLUMN]]{{.*}}} ins(%[[PRODUCT]], %[[B]], %[[R]] : {{.*}})
// CHECK-NEXT: ^bb0(%[[P:.+]]: f32, %[[BIAS:.+]]: f32, %[[RES:.+]]: f32, %{{.+}}: f32):
// CHECK-NEXT: %[[SUM:.+]] = arith.addf %[[P]], %[[BIAS]]
// CHECK-NEXT: %[[ZERO:.+]] = arith.constant 0.0
// CHECK-NEXT: %[[RELU:.+]] = arith.maximumf %[[SUM]], %[[ZERO]]
// CHECK-NEXT: %[[OUT:.+]] = arith.addf %[[RELU]], %[[RES]]
// CHECK-NEXT: linalg.yield %[[OUT]]
// CHECK-LABEL: func @packed_matmul_plain
// CHECK: %[[ONLY:.+]] = linalg.generic {{.*}}attrs = {{ *}}{attune.matmul}
// CHECK-NOT: linalg.generic
// CHECK: return %[[ONLY]]
func.func @packed_matmul_epilogue(%x: tensor<?x8xf32>, %w: tensor<2x8x16xf32>, %b: tensor<32xf32>,
                                  %r: tensor<?x32xf32>) -> tensor<?x32xf32> {
  %y = attune.packed_matmul %x, %w bias %b residual %r {activation = "relu", columns = 32 : i64}
      : tensor<?x8xf32>, tensor<2x8x16xf32> bias tensor<32xf32> residual tensor<?x32xf32> -> tensor<?x32xf32>
  return %y : tensor<?x32xf32>
}
func.func @packed_matmul_plain(%x: tensor<?x8xf32>, %w: tensor<2x8x16xf32>) -> tensor<?x32xf32> {
  %y = attune.packed_matmul %x, %w {columns = 32 : i64} : tensor<?x8xf32>, tensor<2x8x16xf32> -> tensor<?x32xf32>
  return %y : tensor<?x32xf32>
}
// A fused norm: the product and its residual, then the norm over its rows (two reductions,
// as attune.rms_norm lowers), the sum still returned.
// CHECK-LABEL: func @packed_matmul_norm
// CHECK: %[[PRODUCT:.+]] = linalg.generic {{.*}}attrs = {{ *}}{attune.matmul}
// CHECK: %[[SUM:.+]] = linalg.generic {{.*}} ins(%[[PRODUCT]], %{{.*}} : {{.*}})
// CHECK: linalg.generic {{.*}} ins(%[[SUM]] : {{.*}})
// CHECK: math.sqrt
// CHECK: return %[[SUM]], %{{.+}} :
// CHECK-NOT: attune.
func.func @packed_matmul_norm(%x: tensor<?x8xf32>, %w: tensor<2x8x16xf32>, %r: tensor<?x32xf32>,
                              %g: tensor<32xf32>) -> (tensor<?x32xf32>, tensor<?x32xf32>) {
  %y, %n = attune.packed_matmul %x, %w residual %r norm_gain %g {columns = 32 : i64, norm = "rms_norm", norm_epsilon = 1.0e-6 : f64}
      : tensor<?x8xf32>, tensor<2x8x16xf32> residual tensor<?x32xf32> norm_gain tensor<32xf32> -> tensor<?x32xf32>, tensor<?x32xf32>
  return %y, %n : tensor<?x32xf32>, tensor<?x32xf32>
}
