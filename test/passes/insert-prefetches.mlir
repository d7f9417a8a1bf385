// Tests that attune-insert-prefetches puts a memref.prefetch at the offset indices before each
// vector.load marked attune.prefetch, drops the mark, and leaves unmarked loads alone.
// RUN: attune-opt %s -attune-insert-prefetches | FileCheck %s

// CHECK-LABEL: func @panels
// CHECK-SAME: (%[[M:.+]]: memref<4x64x32xf32>, %[[P:.+]]: index, %[[K:.+]]: index)
// CHECK: %[[AHEAD:.+]] = arith.addi %[[K]], %c16
// CHECK-NEXT: memref.prefetch %[[M]][%[[P]], %[[AHEAD]], %c0], read, locality<3>, data
// CHECK-NEXT: vector.load %[[M]][%[[P]], %[[K]], %c0] : memref<4x64x32xf32>, vector<16xf32>
// CHECK-NOT: attune.prefetch
// CHECK-NOT: memref.prefetch
// CHECK: vector.load %[[M]][%[[P]], %[[K]], %c16]
func.func @panels(%m: memref<4x64x32xf32>, %p: index, %k: index) -> (vector<16xf32>, vector<16xf32>) {
  %c0 = arith.constant 0 : index
  %c16 = arith.constant 16 : index
  %a = vector.load %m[%p, %k, %c0] {attune.prefetch = [0, 16, 0]} : memref<4x64x32xf32>, vector<16xf32>
  %b = vector.load %m[%p, %k, %c16] : memref<4x64x32xf32>, vector<16xf32>
  return %a, %b : vector<16xf32>, vector<16xf32>
}
