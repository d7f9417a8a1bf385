// Tests that the attune-cpu-lowering pipeline takes a graph entry function all the way to the
// LLVM dialect: descriptors in, a C-interface wrapper, tanh as a polynomial (no libm call),
// arena-allocated temporaries that are freed, and nothing of memref/linalg/attune left.
// RUN: attune-opt %s --attune-cpu-lowering | FileCheck %s
// RUN: attune-opt %s --attune-cpu-lowering | FileCheck %s --check-prefix=CLEAN

// CHECK-DAG: llvm.func @_mlir_memref_to_llvm_alloc(i64) -> !llvm.ptr
// CHECK-DAG: llvm.func @_mlir_memref_to_llvm_free(!llvm.ptr)
// CHECK-LABEL: llvm.func @forward(
// CHECK-NOT: llvm.call @tanhf
// CHECK: llvm.call @_mlir_memref_to_llvm_free
// CHECK-LABEL: llvm.func @_mlir_ciface_forward(
// CLEAN-NOT: = attune.
// CLEAN-NOT: linalg.
// CLEAN-NOT: memref.
// CLEAN-NOT: bufferization.
// CLEAN-NOT: unrealized_conversion_cast
// CLEAN-NOT: @tanhf
func.func @forward(%ids: tensor<?x?xi32> {attune.name = "input_ids", attune.dims = ["batch", "seq"]})
    -> (tensor<?x?x8xf32> {attune.name = "logits", attune.dims = ["batch", "seq"]}) attributes {attune.entry} {
  %w = attune.weight "wte" : tensor<16x4xf32>
  %g = attune.weight "ln.weight" : tensor<4xf32>
  %b = attune.weight "ln.bias" : tensor<4xf32>
  %x = attune.embed %w, %ids : tensor<16x4xf32>, tensor<?x?xi32>
  %n = attune.layer_norm %x, %g, %b {epsilon = 1.0e-05 : f64} : tensor<?x?x4xf32>, tensor<4xf32>, tensor<4xf32>
  %p = attune.weight "proj" : tensor<4x8xf32>
  %y = attune.matmul %n, %p : tensor<?x?x4xf32>, tensor<4x8xf32>
  %s = attune.softmax %y {axis = 2 : i64} : tensor<?x?x8xf32>
  %o = attune.gelu %s {approximation = "tanh"} : tensor<?x?x8xf32>
  return %o : tensor<?x?x8xf32>
}
