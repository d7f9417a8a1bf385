// Tests attune-split-empty-tensors: a tensor.empty with several uses keeps its first (in
// program order, nested regions included) and each other use gets a copy of it right before
// its user; one with a single use is left alone.
// RUN: attune-opt %s --pass-pipeline="builtin.module(func.func(attune-split-empty-tensors))" | FileCheck %s

#id = affine_map<(d0, d1) -> (d0, d1)>

// CHECK-LABEL: func.func @shared
// CHECK-SAME: (%[[X:.+]]: tensor<?x4xf32>, %[[N:.+]]: index, %[[C:.+]]: i1)
// CHECK: %[[E:.+]] = tensor.empty(%[[N]]) : tensor<?x4xf32>
// CHECK-NEXT: %[[A:.+]] = linalg.generic {{.*}} ins(%[[X]] : tensor<?x4xf32>) outs(%[[E]] : tensor<?x4xf32>)
// CHECK: %[[E1:.+]] = tensor.empty(%[[N]]) : tensor<?x4xf32>
// CHECK-NEXT: %[[B:.+]] = linalg.generic {{.*}} ins(%[[A]] : tensor<?x4xf32>) outs(%[[E1]] : tensor<?x4xf32>)
// CHECK: scf.if %[[C]]
// CHECK-NEXT: %[[E2:.+]] = tensor.empty(%[[N]]) : tensor<?x4xf32>
// CHECK-NEXT: linalg.generic {{.*}} ins(%[[B]] : tensor<?x4xf32>) outs(%[[E2]] : tensor<?x4xf32>)
// CHECK: } else {
// CHECK-NEXT: scf.yield %[[B]]
func.func @shared(%x: tensor<?x4xf32>, %n: index, %c: i1) -> tensor<?x4xf32> {
  %e = tensor.empty(%n) : tensor<?x4xf32>
  %a = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel"]}
      ins(%x : tensor<?x4xf32>) outs(%e : tensor<?x4xf32>) {
  ^bb0(%in: f32, %out: f32):
    %y = arith.negf %in : f32
    linalg.yield %y : f32
  } -> tensor<?x4xf32>
  %b = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel"]}
      ins(%a : tensor<?x4xf32>) outs(%e : tensor<?x4xf32>) {
  ^bb0(%in: f32, %out: f32):
    %y = math.exp %in : f32
    linalg.yield %y : f32
  } -> tensor<?x4xf32>
  %r = scf.if %c -> tensor<?x4xf32> {
    %d = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel"]}
        ins(%b : tensor<?x4xf32>) outs(%e : tensor<?x4xf32>) {
    ^bb0(%in: f32, %out: f32):
      %y = arith.addf %in, %in : f32
      linalg.yield %y : f32
    } -> tensor<?x4xf32>
    scf.yield %d : tensor<?x4xf32>
  } else {
    scf.yield %b : tensor<?x4xf32>
  }
  return %r : tensor<?x4xf32>
}

// One use: nothing to split.
// CHECK-LABEL: func.func @single
// CHECK-COUNT-1: tensor.empty
// CHECK-NOT: tensor.empty
func.func @single(%x: tensor<8xf32>) -> tensor<8xf32> {
  %e = tensor.empty() : tensor<8xf32>
  %a = linalg.generic {indexing_maps = [affine_map<(d0) -> (d0)>, affine_map<(d0) -> (d0)>], iterator_types = ["parallel"]}
      ins(%x : tensor<8xf32>) outs(%e : tensor<8xf32>) {
  ^bb0(%in: f32, %out: f32):
    %y = arith.negf %in : f32
    linalg.yield %y : f32
  } -> tensor<8xf32>
  return %a : tensor<8xf32>
}
