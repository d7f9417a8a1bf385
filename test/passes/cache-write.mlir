// Tests that attune.cache_write lowers to a loop over the batch rows, each row's new tokens
// inserted at its own offset along the length dim (in place once bufferized), named
// "cache write" in the kernel table; an update that splits heads out of [batch, seq, heads, d]
// is transposed straight into the cache slice.
// RUN: attune-opt %s --pass-pipeline='builtin.module(func.func(attune-lower-to-linalg))' | FileCheck %s

// CHECK-LABEL: func @plain
// CHECK-SAME: (%[[CACHE:[^:]+]]: tensor<?x2x?x4xf32>, %[[NEW:[^:]+]]: tensor<?x2x?x4xf32>, %[[OFF:[^:]+]]: tensor<?xi32>)
// CHECK: %[[ROWS:.+]] = tensor.dim %[[NEW]], %c0
// Its bytes: the update read and written (2 × 4 bytes × its elements), and the offsets.
// CHECK: %[[B0:.+]] = arith.muli %c8, %{{.+}} : index
// CHECK: %[[B1:.+]] = arith.muli %[[B0]], %c2 : index
// CHECK: %[[LEN:.+]] = tensor.dim %[[NEW]], %c2
// CHECK: %[[B2:.+]] = arith.muli %[[B1]], %[[LEN]] : index
// CHECK: %[[B3:.+]] = arith.muli %[[B2]], %c4 : index
// CHECK: %[[OFFBYTES:.+]] = arith.muli %[[ROWS]], %c4{{.*}} : index
// CHECK: %[[BYTES:.+]] = arith.addi %[[B3]], %[[OFFBYTES]] : index
// CHECK: attune.kernel_cost "cache write" [] flops(%c0) bytes(%[[BYTES]])
// CHECK: scf.for %[[ROW:.+]] = %c0 to %[[ROWS]] step %c1 iter_args(%[[C:.+]] = %[[CACHE]])
// CHECK: %[[O:.+]] = tensor.extract %[[OFF]][%[[ROW]]]
// CHECK: %[[AT:.+]] = arith.index_cast %[[O]] : i32 to index
// CHECK: %[[SLICE:.+]] = tensor.extract_slice %[[NEW]][%[[ROW]], 0, 0, 0] [1, 2, %{{.*}}, 4] [1, 1, 1, 1]
// CHECK: tensor.insert_slice %[[SLICE]] into %[[C]][%[[ROW]], 0, %[[AT]], 0] [1, 2, %{{.*}}, 4] [1, 1, 1, 1]
func.func @plain(%cache: tensor<?x2x?x4xf32>, %new: tensor<?x2x?x4xf32>, %off: tensor<?xi32>) -> tensor<?x2x?x4xf32> {
  %0 = attune.cache_write %cache, %new, %off : tensor<?x2x?x4xf32>, tensor<?x2x?x4xf32>, tensor<?xi32>
  return %0 : tensor<?x2x?x4xf32>
}

// CHECK-LABEL: func @split_heads
// CHECK-SAME: (%[[CACHE:[^:]+]]: tensor<?x2x?x4xf32>, %[[X:[^:]+]]: tensor<?x?x2x4xf32>, %[[OFF:[^:]+]]: tensor<?xi32>)
// CHECK: scf.for %[[ROW:.+]] = {{.*}} iter_args(%[[C:.+]] = %[[CACHE]])
// CHECK: %[[FROM:.+]] = tensor.extract_slice %[[X]][%[[ROW]], 0, 0, 0] [1, %{{.*}}, 2, 4]
// CHECK: %[[INTO:.+]] = tensor.extract_slice %[[C]][%[[ROW]], 0, %{{.*}}, 0] [1, 2, %{{.*}}, 4]
// CHECK: %[[T:.+]] = linalg.transpose ins(%[[FROM]] : tensor<1x?x2x4xf32>) outs(%[[INTO]] : tensor<1x2x?x4xf32>) permutation = [0, 2, 1, 3]
// CHECK: tensor.insert_slice %[[T]] into %[[C]]
// CHECK-NOT: linalg.transpose
func.func @split_heads(%cache: tensor<?x2x?x4xf32>, %x: tensor<?x?x2x4xf32>, %off: tensor<?xi32>) -> tensor<?x2x?x4xf32> {
  %t = attune.transpose %x [0, 2, 1, 3] : tensor<?x?x2x4xf32>
  %0 = attune.cache_write %cache, %t, %off : tensor<?x2x?x4xf32>, tensor<?x2x?x4xf32>, tensor<?xi32>
  return %0 : tensor<?x2x?x4xf32>
}
