// Tests the norm kernels of attune-lower-to-linalg: layer norm and RMS norm over rows of whole
// vectors become vector loops in a task loop over blocks of rows (two reductions then the
// normalization for layer norm, one for RMS norm), written into an entry's output buffer when
// the norm is the output; rows that are not whole vectors, and vector-norms=false, keep the
// linalg reductions.
// RUN: attune-opt %s -split-input-file --pass-pipeline='builtin.module(func.func(attune-lower-to-linalg))' | FileCheck %s
// RUN: attune-opt %s -split-input-file --pass-pipeline='builtin.module(func.func(attune-lower-to-linalg{vector-norms=false}))' | FileCheck %s --check-prefix=OFF

// CHECK-LABEL: func @layer_norm
// CHECK: %[[X:.+]] = bufferization.to_memref %{{.*}} read_only : memref<?x?x32xf32, strided<[?, ?, 1], offset: ?>>
// CHECK: %[[Y:.+]] = memref.alloc({{.*}}) {alignment = 64 : i64} : memref<?x?x32xf32>
// CHECK: scf.parallel
// CHECK: scf.for
// CHECK: vector.load %[[X]]{{.*}} : memref<?x?x32xf32, strided<[?, ?, 1], offset: ?>>, vector<8xf32>
// CHECK: vector.reduction <add>
// CHECK: vector.reduction <add>
// CHECK: math.sqrt
// CHECK: arith.divf %{{.*}} : vector<8xf32>
// CHECK: vector.store %{{.*}}, %[[Y]]
// CHECK: } {attune.tasks}
// CHECK-NOT: linalg.generic
// OFF-LABEL: func @layer_norm
// OFF: linalg.generic {{.*}}"reduction"
// OFF-NOT: scf.parallel
func.func @layer_norm(%x: tensor<?x?x32xf32>, %g: tensor<32xf32>, %b: tensor<32xf32>) -> tensor<?x?x32xf32> {
  %y = attune.layer_norm %x, %g, %b {epsilon = 1.0e-5 : f64} : tensor<?x?x32xf32>, tensor<32xf32>, tensor<32xf32>
  return %y : tensor<?x?x32xf32>
}

// -----

// One reduction; 16-lane vectors on an AVX-512 target; the output buffer written in place.
// CHECK-LABEL: func @rms_norm
// CHECK-SAME: %[[OUT:[^:]+]]: memref<?x64xf32>
// CHECK-NOT: memref.alloc(
// CHECK: scf.parallel
// CHECK: vector.reduction <add>
// CHECK-NOT: vector.reduction
// CHECK: vector.store %{{.*}}, %[[OUT]]{{.*}} : memref<?x64xf32>, vector<16xf32>
// CHECK: } {attune.tasks}
// CHECK-NOT: materialize_in_destination
module attributes {attune.target = {cpu = "znver4", lanes = 16 : i64, registers = 32 : i64}} {
func.func @rms_norm(%x: tensor<?x64xf32>, %g: tensor<64xf32>, %out: memref<?x64xf32>) {
  %y = attune.rms_norm %x, %g {epsilon = 1.0e-6 : f64} : tensor<?x64xf32>, tensor<64xf32>
  bufferization.materialize_in_destination %y in restrict writable %out : (tensor<?x64xf32>, memref<?x64xf32>) -> ()
  return
}
}

// -----

// 20 is not whole 8-lane vectors: the linalg reductions.
// CHECK-LABEL: func @odd_rows
// CHECK-NOT: scf.parallel
// CHECK: linalg.generic
func.func @odd_rows(%x: tensor<?x20xf32>, %g: tensor<20xf32>) -> tensor<?x20xf32> {
  %y = attune.rms_norm %x, %g {epsilon = 1.0e-6 : f64} : tensor<?x20xf32>, tensor<20xf32>
  return %y : tensor<?x20xf32>
}
