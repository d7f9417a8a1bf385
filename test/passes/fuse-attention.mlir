// Tests that attune-fuse-attention recognises attention by its semantics in each spelling the
// families use (scale multiplied or divided, on the scores or pre-applied to q or k; scale 1
// with a relative position bias; causal, triangular-constant, padding and additive masks; no
// mask; k given transposed; grouped-query k/v broadcast; a single query) and leaves alone what
// is not attention, saying why.
// RUN: attune-opt %s -split-input-file --pass-pipeline='builtin.module(func.func(attune-fuse-attention{report=true}))' -verify-diagnostics | FileCheck %s

// CHECK-LABEL: func @causal_scaled
// CHECK-SAME: (%[[Q:.+]]: tensor<?x4x?x16xf32>, %[[K:.+]]: tensor<?x4x?x16xf32>, %[[V:.+]]: tensor<?x4x?x16xf32>, %[[N:.+]]: index)
// The causal mask becomes the `causal` flag: the kernel derives it from positions, and the
// iota/compare that built the Sq×Sk mask go away.
// CHECK-NOT: attune.compare
// CHECK: %[[O:.+]] = attune.attention %[[Q]], %[[K]], %[[V]] {causal, masked_value = -3.4028234663852886E+38 : f64, scale = 2.500000e-01 : f64}
// CHECK-NOT: attune.softmax
// CHECK: return %[[O]]
func.func @causal_scaled(%q: tensor<?x4x?x16xf32>, %k: tensor<?x4x?x16xf32>, %v: tensor<?x4x?x16xf32>, %n: index) -> tensor<?x4x?x16xf32> {
  %pos = attune.iota %n : tensor<?xi32>
  %row = attune.reshape %pos(%n) : tensor<?xi32> -> tensor<?x1xi32>
  %col = attune.reshape %pos(%n) : tensor<?xi32> -> tensor<1x?xi32>
  %keep = attune.compare %row, %col {predicate = "ge"} : tensor<?x1xi32>, tensor<1x?xi32>
  %kt = attune.transpose %k [0, 1, 3, 2] : tensor<?x4x?x16xf32>
  %s = attune.matmul %q, %kt : tensor<?x4x?x16xf32>, tensor<?x4x16x?xf32>
  %c = arith.constant dense<2.500000e-01> : tensor<f32>
  %s1 = attune.mul %s, %c : tensor<?x4x?x?xf32>, tensor<f32>
  %min = arith.constant dense<-3.40282347E+38> : tensor<f32>
  %s2 = attune.select %keep, %s1, %min : tensor<?x?xi1>, tensor<?x4x?x?xf32>, tensor<f32>
  // expected-remark @+1 {{attention fused (causal)}}
  %p = attune.softmax %s2 {axis = 3 : i64} : tensor<?x4x?x?xf32>
  %o = attune.matmul %p, %v : tensor<?x4x?x?xf32>, tensor<?x4x?x16xf32>
  return %o : tensor<?x4x?x16xf32>
}

// -----

// A division by sqrt(d), a triangular constant mask, and no transpose op: k is given as kᵀ.
// CHECK-LABEL: func @divided_constant_mask_k_transposed
// CHECK-SAME: (%[[Q:.+]]: tensor<1x2x3x4xf32>, %[[KT:.+]]: tensor<1x2x4x3xf32>, %[[V:.+]]: tensor<1x2x3x4xf32>)
// CHECK: %[[K:.+]] = attune.transpose %[[KT]] [0, 1, 3, 2]
// A triangular constant is a mask like any other: not known to be causal, nothing skipped.
// CHECK: attune.attention %[[Q]], %[[K]], %[[V]] mask %{{.*}} {masked_value = -1.000000e+09 : f64, scale = 5.000000e-01 : f64}
func.func @divided_constant_mask_k_transposed(%q: tensor<1x2x3x4xf32>, %kt: tensor<1x2x4x3xf32>, %v: tensor<1x2x3x4xf32>) -> tensor<1x2x3x4xf32> {
  %tril = arith.constant dense<[[true, false, false], [true, true, false], [true, true, true]]> : tensor<3x3xi1>
  %s = attune.matmul %q, %kt : tensor<1x2x3x4xf32>, tensor<1x2x4x3xf32>
  %two = arith.constant dense<2.0> : tensor<f32>
  %s1 = attune.div %s, %two : tensor<1x2x3x3xf32>, tensor<f32>
  %big = arith.constant dense<-1.0e9> : tensor<f32>
  %s2 = attune.select %tril, %s1, %big : tensor<3x3xi1>, tensor<1x2x3x3xf32>, tensor<f32>
  // expected-remark @+1 {{attention fused}}
  %p = attune.softmax %s2 {axis = 3 : i64} : tensor<1x2x3x3xf32>
  %o = attune.matmul %p, %v : tensor<1x2x3x3xf32>, tensor<1x2x3x4xf32>
  return %o : tensor<1x2x3x4xf32>
}

// -----

// The scale pre-applied to q and to k multiplies into one scale; no mask (cross-attention).
// CHECK-LABEL: func @prescaled_unmasked
// CHECK-SAME: (%[[Q:.+]]: tensor<?x8x?x64xf32>, %[[K:.+]]: tensor<?x8x?x64xf32>, %[[V:.+]]: tensor<?x8x?x64xf32>)
// CHECK: attune.attention %[[Q]], %[[K]], %[[V]] {masked_value = 0.000000e+00 : f64, scale = 0.124999{{[0-9]+}} : f64}
// CHECK-NOT: attune.mul
func.func @prescaled_unmasked(%q: tensor<?x8x?x64xf32>, %k: tensor<?x8x?x64xf32>, %v: tensor<?x8x?x64xf32>) -> tensor<?x8x?x64xf32> {
  %c = arith.constant dense<0.353553385> : tensor<f32>
  %qs = attune.mul %q, %c : tensor<?x8x?x64xf32>, tensor<f32>
  %ks = attune.mul %k, %c : tensor<?x8x?x64xf32>, tensor<f32>
  %kt = attune.transpose %ks [0, 1, 3, 2] : tensor<?x8x?x64xf32>
  %s = attune.matmul %qs, %kt : tensor<?x8x?x64xf32>, tensor<?x8x64x?xf32>
  // expected-remark @+1 {{attention fused}}
  %p = attune.softmax %s {axis = 3 : i64} : tensor<?x8x?x?xf32>
  %o = attune.matmul %p, %v : tensor<?x8x?x?xf32>, tensor<?x8x?x64xf32>
  return %o : tensor<?x8x?x64xf32>
}

// -----

// T5: scale 1, a relative position bias added, then the causal mask.
// CHECK-LABEL: func @relative_bias
// CHECK-SAME: %[[BIAS:[^:]+]]: tensor<1x4x?x?xf32>
// CHECK: attune.attention {{.*}} mask %{{.*}} bias %[[BIAS]] {{{.*}}scale = 1.000000e+00 : f64}
func.func @relative_bias(%q: tensor<?x4x?x8xf32>, %k: tensor<?x4x?x8xf32>, %v: tensor<?x4x?x8xf32>, %bias: tensor<1x4x?x?xf32>, %keep: tensor<?x?xi1>) -> tensor<?x4x?x8xf32> {
  %kt = attune.transpose %k [0, 1, 3, 2] : tensor<?x4x?x8xf32>
  %s = attune.matmul %q, %kt : tensor<?x4x?x8xf32>, tensor<?x4x8x?xf32>
  %s1 = attune.add %s, %bias : tensor<?x4x?x?xf32>, tensor<1x4x?x?xf32>
  %min = arith.constant dense<-3.40282347E+38> : tensor<f32>
  %s2 = attune.select %keep, %s1, %min : tensor<?x?xi1>, tensor<?x4x?x?xf32>, tensor<f32>
  // expected-remark @+1 {{attention fused}}
  %p = attune.softmax %s2 {axis = 3 : i64} : tensor<?x4x?x?xf32>
  %o = attune.matmul %p, %v : tensor<?x4x?x?xf32>, tensor<?x4x?x8xf32>
  return %o : tensor<?x4x?x8xf32>
}

// -----

// An additive padding mask (0 or a large negative per key, [batch, 1, 1, seq]) added before
// the scale is a bias scaled with the scores.
// CHECK-LABEL: func @additive_mask_then_scale
// CHECK-SAME: %[[MASK:[^:]+]]: tensor<?x1x1x?xf32>
// CHECK: %[[HALF:.+]] = arith.constant dense<5.000000e-01>
// CHECK: %[[SCALED:.+]] = attune.mul %[[MASK]], %[[HALF]]
// CHECK: attune.attention {{.*}} bias %[[SCALED]] {{{.*}}scale = 5.000000e-01 : f64}
func.func @additive_mask_then_scale(%q: tensor<?x2x?x4xf32>, %k: tensor<?x2x?x4xf32>, %v: tensor<?x2x?x4xf32>, %mask: tensor<?x1x1x?xf32>) -> tensor<?x2x?x4xf32> {
  %kt = attune.transpose %k [0, 1, 3, 2] : tensor<?x2x?x4xf32>
  %s = attune.matmul %q, %kt : tensor<?x2x?x4xf32>, tensor<?x2x4x?xf32>
  %s1 = attune.add %mask, %s : tensor<?x1x1x?xf32>, tensor<?x2x?x?xf32>
  %c = arith.constant dense<0.5> : tensor<f32>
  %s2 = attune.mul %s1, %c : tensor<?x2x?x?xf32>, tensor<f32>
  // expected-remark @+1 {{attention fused}}
  %p = attune.softmax %s2 {axis = 3 : i64} : tensor<?x2x?x?xf32>
  %o = attune.matmul %p, %v : tensor<?x2x?x?xf32>, tensor<?x2x?x4xf32>
  return %o : tensor<?x2x?x4xf32>
}

// -----

// Grouped-query attention: k/v have a size-1 group dim that broadcasts over 4 query heads;
// a single query position (decoding).
// CHECK-LABEL: func @grouped_single_query
// CHECK: attune.attention %{{.*}}, %{{.*}}, %{{.*}} mask %{{.*}} {{.*}} : (tensor<?x2x4x1x16xf32>, tensor<?x2x1x?x16xf32>, tensor<?x2x1x?x16xf32>, tensor<?x1x1x1x?xi1>) -> tensor<?x2x4x1x16xf32>
func.func @grouped_single_query(%q: tensor<?x2x4x1x16xf32>, %k: tensor<?x2x1x?x16xf32>, %v: tensor<?x2x1x?x16xf32>, %keep: tensor<?x1x1x1x?xi1>) -> tensor<?x2x4x1x16xf32> {
  %kt = attune.transpose %k [0, 1, 2, 4, 3] : tensor<?x2x1x?x16xf32>
  %s = attune.matmul %q, %kt : tensor<?x2x4x1x16xf32>, tensor<?x2x1x16x?xf32>
  %c = arith.constant dense<2.500000e-01> : tensor<f32>
  %s1 = attune.mul %s, %c : tensor<?x2x4x1x?xf32>, tensor<f32>
  %min = arith.constant dense<-3.40282347E+38> : tensor<f32>
  %s2 = attune.select %keep, %s1, %min : tensor<?x1x1x1x?xi1>, tensor<?x2x4x1x?xf32>, tensor<f32>
  // expected-remark @+1 {{attention fused}}
  %p = attune.softmax %s2 {axis = 4 : i64} : tensor<?x2x4x1x?xf32>
  %o = attune.matmul %p, %v : tensor<?x2x4x1x?xf32>, tensor<?x2x1x?x16xf32>
  return %o : tensor<?x2x4x1x16xf32>
}

// -----

// Not attention: a softmax over the query axis.
// CHECK-LABEL: func @softmax_other_axis
// CHECK-NOT: attune.attention
func.func @softmax_other_axis(%q: tensor<2x3x4xf32>, %kt: tensor<2x4x3xf32>, %v: tensor<2x3x4xf32>) -> tensor<2x3x4xf32> {
  %s = attune.matmul %q, %kt : tensor<2x3x4xf32>, tensor<2x4x3xf32>
  // expected-remark @+1 {{attention not fused: the softmax is not over the last (key) axis}}
  %p = attune.softmax %s {axis = 1 : i64} : tensor<2x3x3xf32>
  %o = attune.matmul %p, %v : tensor<2x3x3xf32>, tensor<2x3x4xf32>
  return %o : tensor<2x3x4xf32>
}

// -----

// Not attention: the mask is applied after the softmax.
// CHECK-LABEL: func @mask_after_softmax
// CHECK-NOT: attune.attention
func.func @mask_after_softmax(%q: tensor<2x3x4xf32>, %kt: tensor<2x4x3xf32>, %v: tensor<2x3x4xf32>, %keep: tensor<3x3xi1>) -> tensor<2x3x4xf32> {
  %s = attune.matmul %q, %kt : tensor<2x3x4xf32>, tensor<2x4x3xf32>
  // expected-remark @+1 {{attention not fused: the probabilities do not feed a matmul with v (is something applied after the softmax?)}}
  %p = attune.softmax %s {axis = 2 : i64} : tensor<2x3x3xf32>
  %zero = arith.constant dense<0.0> : tensor<f32>
  %pm = attune.select %keep, %p, %zero : tensor<3x3xi1>, tensor<2x3x3xf32>, tensor<f32>
  %o = attune.matmul %pm, %v : tensor<2x3x3xf32>, tensor<2x3x4xf32>
  return %o : tensor<2x3x4xf32>
}

// -----

// Not fused: the scaled scores are also returned, so they must stay observable.
// CHECK-LABEL: func @observable_scores
// CHECK-NOT: attune.attention
func.func @observable_scores(%q: tensor<2x3x4xf32>, %kt: tensor<2x4x3xf32>, %v: tensor<2x3x4xf32>) -> (tensor<2x3x4xf32>, tensor<2x3x3xf32>) {
  %s = attune.matmul %q, %kt : tensor<2x3x4xf32>, tensor<2x4x3xf32>
  %c = arith.constant dense<0.5> : tensor<f32>
  %s1 = attune.mul %s, %c : tensor<2x3x3xf32>, tensor<f32>
  // expected-remark @+1 {{attention not fused: the scores have other uses, so they must stay observable}}
  %p = attune.softmax %s1 {axis = 2 : i64} : tensor<2x3x3xf32>
  %o = attune.matmul %p, %v : tensor<2x3x3xf32>, tensor<2x3x4xf32>
  return %o, %s1 : tensor<2x3x4xf32>, tensor<2x3x3xf32>
}

// -----

// Not fused: the probabilities are also returned.
// CHECK-LABEL: func @observable_probabilities
// CHECK-NOT: attune.attention
func.func @observable_probabilities(%q: tensor<2x3x4xf32>, %kt: tensor<2x4x3xf32>, %v: tensor<2x3x4xf32>) -> (tensor<2x3x4xf32>, tensor<2x3x3xf32>) {
  %s = attune.matmul %q, %kt : tensor<2x3x4xf32>, tensor<2x4x3xf32>
  // expected-remark @+1 {{attention not fused: the probabilities have other uses, so they must stay observable}}
  %p = attune.softmax %s {axis = 2 : i64} : tensor<2x3x3xf32>
  %o = attune.matmul %p, %v : tensor<2x3x3xf32>, tensor<2x3x4xf32>
  return %o, %p : tensor<2x3x4xf32>, tensor<2x3x3xf32>
}

// -----

// Not attention: the scores are scaled by a tensor, and a softmax of something else.
// CHECK-LABEL: func @not_scores
// CHECK-NOT: attune.attention
func.func @not_scores(%q: tensor<2x3x4xf32>, %kt: tensor<2x4x3xf32>, %v: tensor<2x3x4xf32>, %w: tensor<2x3x3xf32>) -> (tensor<2x3x4xf32>, tensor<2x3x4xf32>) {
  %s = attune.matmul %q, %kt : tensor<2x3x4xf32>, tensor<2x4x3xf32>
  %s1 = attune.mul %s, %w : tensor<2x3x3xf32>, tensor<2x3x3xf32>
  // expected-remark @+1 {{attention not fused: the scores are multiplied by a tensor, not a scalar scale}}
  %p = attune.softmax %s1 {axis = 2 : i64} : tensor<2x3x3xf32>
  %o = attune.matmul %p, %v : tensor<2x3x3xf32>, tensor<2x3x4xf32>
  %w2 = attune.relu %w : tensor<2x3x3xf32>
  // expected-remark @+1 {{attention not fused: the scores come from attune.relu, not q·kᵀ}}
  %p2 = attune.softmax %w2 {axis = 2 : i64} : tensor<2x3x3xf32>
  %o2 = attune.matmul %p2, %v : tensor<2x3x3xf32>, tensor<2x3x4xf32>
  return %o, %o2 : tensor<2x3x4xf32>, tensor<2x3x4xf32>
}

