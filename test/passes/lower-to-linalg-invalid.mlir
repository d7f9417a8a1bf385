// Tests that attune-lower-to-linalg refuses weights that attune-lower-entry has not bound.
// RUN: not attune-opt %s --pass-pipeline='builtin.module(func.func(attune-lower-to-linalg))' 2>&1 | FileCheck %s

// CHECK: error: failed to legalize operation 'attune.weight'
func.func @unbound_weight() -> tensor<4xf32> {
  %w = attune.weight "w" : tensor<4xf32>
  return %w : tensor<4xf32>
}
