// Tests the pass options that keep kinds of attention decomposed: masks=false leaves masked
// attention alone, biases=false attention with additive terms, each reported with the reason.
// RUN: attune-opt %s -split-input-file --pass-pipeline='builtin.module(func.func(attune-fuse-attention{masks=false report=true}))' -verify-diagnostics | FileCheck %s --check-prefix=MASKS
// RUN: attune-opt %s -split-input-file --pass-pipeline='builtin.module(func.func(attune-fuse-attention{biases=false}))' | FileCheck %s --check-prefix=BIASES

// MASKS-LABEL: func @masked
// MASKS-NOT: attune.attention
// BIASES-LABEL: func @masked
// BIASES: attune.attention
func.func @masked(%q: tensor<2x3x4xf32>, %kt: tensor<2x4x3xf32>, %v: tensor<2x3x4xf32>, %keep: tensor<3x3xi1>) -> tensor<2x3x4xf32> {
  %s = attune.matmul %q, %kt : tensor<2x3x4xf32>, tensor<2x4x3xf32>
  %min = arith.constant dense<-3.40282347E+38> : tensor<f32>
  %s1 = attune.select %keep, %s, %min : tensor<3x3xi1>, tensor<2x3x3xf32>, tensor<f32>
  // expected-remark @+1 {{attention not fused: masked attention is not fused (masks=false)}}
  %p = attune.softmax %s1 {axis = 2 : i64} : tensor<2x3x3xf32>
  %o = attune.matmul %p, %v : tensor<2x3x3xf32>, tensor<2x3x4xf32>
  return %o : tensor<2x3x4xf32>
}

// -----

// MASKS-LABEL: func @biased
// MASKS: attune.attention {{.*}} bias
// BIASES-LABEL: func @biased
// BIASES-NOT: attune.attention
func.func @biased(%q: tensor<2x3x4xf32>, %kt: tensor<2x4x3xf32>, %v: tensor<2x3x4xf32>, %b: tensor<3x3xf32>) -> tensor<2x3x4xf32> {
  %s = attune.matmul %q, %kt : tensor<2x3x4xf32>, tensor<2x4x3xf32>
  %s1 = attune.add %s, %b : tensor<2x3x3xf32>, tensor<3x3xf32>
  // expected-remark @+1 {{attention fused}}
  %p = attune.softmax %s1 {axis = 2 : i64} : tensor<2x3x3xf32>
  %o = attune.matmul %p, %v : tensor<2x3x3xf32>, tensor<2x3x4xf32>
  return %o : tensor<2x3x4xf32>
}
