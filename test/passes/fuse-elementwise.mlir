// Tests that attune-fuse-elementwise merges single-use elementwise chains, but never fuses into
// a contraction (which would recompute the producer per output column) or a shared value.
// RUN: attune-opt %s -split-input-file --pass-pipeline='builtin.module(func.func(attune-lower-to-linalg,attune-fuse-elementwise))' | FileCheck %s

// A bias add and a GELU become one loop nest.
// CHECK-LABEL: func @bias_gelu
// CHECK: linalg.generic
// CHECK: arith.addf
// CHECK: math.tanh
// CHECK-NOT: linalg.generic
// CHECK: return
func.func @bias_gelu(%x: tensor<?x?x8xf32>, %b: tensor<8xf32>) -> tensor<?x?x8xf32> {
  %0 = attune.add %x, %b : tensor<?x?x8xf32>, tensor<8xf32>
  %1 = attune.gelu %0 {approximation = "tanh"} : tensor<?x?x8xf32>
  return %1 : tensor<?x?x8xf32>
}

// -----

// The GELU stays its own loop nest: fused into the matmul, its tanh would run once per output
// column.
// CHECK-LABEL: func @gelu_then_matmul
// CHECK: %[[G:.+]] = linalg.generic
// CHECK: math.tanh
// CHECK: linalg.generic {{.*}} iterator_types = ["parallel", "parallel", "parallel", "reduction"]
// CHECK-SAME: ins(%[[G]],
// CHECK-NOT: math.tanh
// CHECK: return
func.func @gelu_then_matmul(%x: tensor<?x?x8xf32>, %w: tensor<8x16xf32>) -> tensor<?x?x16xf32> {
  %0 = attune.gelu %x {approximation = "tanh"} : tensor<?x?x8xf32>
  %1 = attune.matmul %0, %w : tensor<?x?x8xf32>, tensor<8x16xf32>
  return %1 : tensor<?x?x16xf32>
}

// -----

// Scale and mask fuse into one loop nest; the masked scores feed the softmax's three loops
// (max, sum, quotient), so they are computed once and stay materialized.
// CHECK-LABEL: func @scale_mask_softmax
// CHECK: %[[MASKED:.+]] = linalg.generic {{.*}} iterator_types = ["parallel", "parallel"]
// CHECK: arith.mulf
// CHECK: arith.select
// CHECK: linalg.generic {{.*}} iterator_types = ["parallel", "reduction"]} ins(%[[MASKED]]
// CHECK: arith.maxnumf
func.func @scale_mask_softmax(%x: tensor<?x?xf32>, %s: tensor<f32>, %keep: tensor<?x?xi1>) -> tensor<?x?xf32> {
  %0 = attune.mul %x, %s : tensor<?x?xf32>, tensor<f32>
  %1 = attune.select %keep, %0, %s : tensor<?x?xi1>, tensor<?x?xf32>, tensor<f32>
  %2 = attune.softmax %1 {axis = 1 : i64} : tensor<?x?xf32>
  return %2 : tensor<?x?xf32>
}

// -----

// A value with two users is not fused into either (it would be computed twice).
// CHECK-LABEL: func @shared_value
// CHECK: %[[A:.+]] = linalg.generic
// CHECK: arith.addf
// CHECK: linalg.generic {{.*}} ins(%[[A]]
// CHECK: linalg.generic {{.*}} ins(%[[A]]
func.func @shared_value(%x: tensor<8xf32>, %y: tensor<8xf32>) -> (tensor<8xf32>, tensor<8xf32>) {
  %0 = attune.add %x, %y : tensor<8xf32>, tensor<8xf32>
  %1 = attune.relu %0 : tensor<8xf32>
  %2 = attune.tanh %0 : tensor<8xf32>
  return %1, %2 : tensor<8xf32>, tensor<8xf32>
}
