// Tests that attune-pack-weights turns matmuls by 2-D weights, stored [K, N] or read through
// a transpose of an [N, K] weight, into attune.packed_matmul on panel arguments sized by the
// target, shares one packed argument per weight and layout, keeps the unpacked argument of a
// weight something else reads, and leaves other matmuls alone.
// RUN: attune-opt %s -split-input-file -attune-lower-entry -attune-pack-weights | FileCheck %s
// RUN: attune-opt %s -split-input-file -attune-lower-entry -attune-pack-weights='panel-width=8' | FileCheck %s --check-prefix=WIDTH8
// RUN: attune-opt %s -split-input-file -attune-lower-entry -attune-pack-weights='precision=bf16' | FileCheck %s --check-prefix=BF16
// RUN: attune-opt %s -split-input-file -attune-lower-entry -attune-pack-weights='precision=int8' | FileCheck %s --check-prefix=INT8
// RUN: not attune-opt %s -split-input-file -attune-lower-entry -attune-pack-weights='precision=fp16' 2>&1 | FileCheck %s --check-prefix=BAD-PRECISION
// BAD-PRECISION: error: attune-pack-weights: precision must be fp32, bf16 or int8, got 'fp16'

// Both layouts, AVX-512 target: 32-column panels, the last one partial (40 = 32 + 8).
// CHECK-LABEL: func @layouts
// CHECK-SAME: %[[X:[^:]+]]: memref<?x?x64xf32>
// CHECK-NOT: memref<64x40xf32>
// CHECK-NOT: memref<40x64xf32>
// CHECK-SAME: %[[KN:[^:]+]]: memref<2x64x32xf32> {attune.name = "conv1d", attune.packed = {shape = [64, 40], transposed = false}, attune.role = "weight"}
// CHECK-SAME: %[[NK:[^:]+]]: memref<2x64x32xf32> {attune.name = "linear", attune.packed = {shape = [40, 64], transposed = true}, attune.role = "weight"}
// CHECK-SAME: memref<?x?x40xf32> {{.*}}attune.role = "output"
// CHECK-DAG: %[[PKN:.+]] = bufferization.to_tensor %[[KN]] restrict : memref<2x64x32xf32>
// CHECK-DAG: %[[PNK:.+]] = bufferization.to_tensor %[[NK]] restrict : memref<2x64x32xf32>
// CHECK: attune.packed_matmul %{{.*}}, %[[PKN]] {columns = 40 : i64}
// CHECK: attune.packed_matmul %{{.*}}, %[[PNK]] {columns = 40 : i64}
// CHECK-NOT: attune.transpose
// CHECK-NOT: attune.matmul
// WIDTH8-LABEL: func @layouts
// WIDTH8-SAME: memref<5x64x8xf32> {attune.name = "conv1d"
// With precision=bf16 the panels hold bf16 (the same shapes and attributes); A and C stay f32.
// BF16-LABEL: func @layouts
// BF16-SAME: memref<?x?x64xf32>
// BF16-SAME: memref<2x64x32xbf16> {attune.name = "conv1d", attune.packed = {shape = [64, 40], transposed = false}, attune.role = "weight"}
// BF16-SAME: memref<2x64x32xbf16> {attune.name = "linear", attune.packed = {shape = [40, 64], transposed = true}, attune.role = "weight"}
// BF16: attune.packed_matmul %{{.*}}, %{{.*}} {columns = 40 : i64} : tensor<?x?x64xf32>, tensor<2x64x32xbf16> -> tensor<?x?x40xf32>
// With precision=int8 each weight gets i8 panels, four vectors wide, and a second argument of
// the same name, the [P·width] scales of their columns (`scales` gives the panel width), read
// by the product.
// INT8-LABEL: func @layouts
// INT8-SAME: %[[KN:[^:]+]]: memref<1x64x64xi8> {attune.name = "conv1d", attune.packed = {shape = [64, 40], transposed = false}, attune.role = "weight"}
// INT8-SAME: %[[KNS:[^:]+]]: memref<64xf32> {attune.name = "conv1d", attune.packed = {scales = 64 : i64, shape = [64, 40], transposed = false}, attune.role = "weight"}
// INT8-SAME: memref<1x64x64xi8> {attune.name = "linear", attune.packed = {shape = [40, 64], transposed = true}, attune.role = "weight"}
// INT8-SAME: memref<64xf32> {attune.name = "linear", attune.packed = {scales = 64 : i64, shape = [40, 64], transposed = true}, attune.role = "weight"}
// INT8-DAG: %[[P:.+]] = bufferization.to_tensor %[[KN]] restrict : memref<1x64x64xi8>
// INT8-DAG: %[[S:.+]] = bufferization.to_tensor %[[KNS]] restrict : memref<64xf32>
// INT8: attune.packed_matmul %{{.*}}, %[[P]] scales %[[S]] {columns = 40 : i64} : tensor<?x?x64xf32>, tensor<1x64x64xi8> scales tensor<64xf32> -> tensor<?x?x40xf32>
module attributes {attune.target = {cpu = "sapphirerapids", lanes = 16 : i64, registers = 32 : i64}} {
func.func @layouts(%x: tensor<?x?x64xf32> {attune.name = "x", attune.dims = ["batch", "seq"]})
    -> (tensor<?x?x40xf32> {attune.name = "y", attune.dims = ["batch", "seq"]}) attributes {attune.entry} {
  %a = attune.weight "conv1d" : tensor<64x40xf32>
  %b = attune.weight "linear" : tensor<40x64xf32>
  %y1 = attune.matmul %x, %a : tensor<?x?x64xf32>, tensor<64x40xf32>
  %bt = attune.transpose %b [1, 0] : tensor<40x64xf32>
  %y2 = attune.matmul %x, %bt : tensor<?x?x64xf32>, tensor<64x40xf32>
  %y = attune.add %y1, %y2 : tensor<?x?x40xf32>, tensor<?x?x40xf32>
  return %y : tensor<?x?x40xf32>
}
}

// -----

// A tied embedding: the gather keeps the stored weight, the LM head reads panels of the same
// name; two matmuls by one weight share its panels. No target: AVX2's 16-column panels.
// CHECK-LABEL: func @tied
// CHECK-SAME: %[[W:[^:]+]]: memref<50x16xf32> {attune.name = "wte", attune.role = "weight"}
// CHECK-SAME: %[[P:[^:]+]]: memref<4x16x16xf32> {attune.name = "wte", attune.packed = {shape = [50, 16], transposed = true}, attune.role = "weight"}
// CHECK-NOT: attune.packed
// CHECK-SAME: attune.role = "output"
// CHECK: %[[RAW:.+]] = bufferization.to_tensor %[[W]]
// CHECK: attune.embed %[[RAW]]
// CHECK-COUNT-2: attune.packed_matmul %{{.*}}, %{{.*}} {columns = 50 : i64}
func.func @tied(%ids: tensor<?x?xi32> {attune.name = "input_ids", attune.dims = ["batch", "seq"]})
    -> (tensor<?x?x50xf32> {attune.name = "logits", attune.dims = ["batch", "seq"]}) attributes {attune.entry} {
  %w = attune.weight "wte" : tensor<50x16xf32>
  %h = attune.embed %w, %ids : tensor<50x16xf32>, tensor<?x?xi32>
  %wt = attune.transpose %w [1, 0] : tensor<50x16xf32>
  %l1 = attune.matmul %h, %wt : tensor<?x?x16xf32>, tensor<16x50xf32>
  %l2 = attune.matmul %h, %wt : tensor<?x?x16xf32>, tensor<16x50xf32>
  %l = attune.add %l1, %l2 : tensor<?x?x50xf32>, tensor<?x?x50xf32>
  return %l : tensor<?x?x50xf32>
}

// -----

// Not packed: a product of two activations, a batched (3-D) weight, an unknown K.
// CHECK-LABEL: func @unpacked
// CHECK-NOT: attune.packed
// CHECK-COUNT-3: attune.matmul
// CHECK-NOT: attune.packed_matmul
func.func @unpacked(%q: tensor<?x4x8xf32> {attune.name = "q", attune.dims = ["batch"]},
                    %k: tensor<?x8x4xf32> {attune.name = "k", attune.dims = ["batch"]},
                    %d: tensor<?x?xf32> {attune.name = "d", attune.dims = ["batch", "n"]})
    -> (tensor<?x4x4xf32> {attune.name = "s", attune.dims = ["batch"]},
        tensor<?x4x4xf32> {attune.name = "t", attune.dims = ["batch"]},
        tensor<?x4xf32> {attune.name = "u", attune.dims = ["batch"]}) attributes {attune.entry} {
  %s = attune.matmul %q, %k : tensor<?x4x8xf32>, tensor<?x8x4xf32>
  %w3 = attune.weight "batched" : tensor<1x8x4xf32>
  %t = attune.matmul %q, %w3 : tensor<?x4x8xf32>, tensor<1x8x4xf32>
  %w = attune.weight "w" : tensor<4x4xf32>
  %u = attune.matmul %d, %w : tensor<?x?xf32>, tensor<4x4xf32>
  return %s, %t, %u : tensor<?x4x4xf32>, tensor<?x4x4xf32>, tensor<?x4xf32>
}

// -----

// A target with a bf16 dot product (AVX512_BF16): bf16 panels come in k pairs, [P, K/2,
// width, 2], where K is whole vectors (64 here); K = 24 keeps plain bf16 panels. fp32 and
// int8 panels are the same as without it.
// CHECK-LABEL: func @bf16_dot_target
// CHECK-SAME: memref<2x64x32xf32> {attune.name = "deep"
// CHECK-SAME: memref<2x24x32xf32> {attune.name = "shallow"
// BF16-LABEL: func @bf16_dot_target
// BF16-SAME: memref<2x32x32x2xbf16> {attune.name = "deep", attune.packed = {shape = [64, 40], transposed = false}, attune.role = "weight"}
// BF16-SAME: memref<2x24x32xbf16> {attune.name = "shallow", attune.packed = {shape = [24, 40], transposed = false}, attune.role = "weight"}
// BF16: attune.packed_matmul %{{.*}}, %{{.*}} {columns = 40 : i64} : tensor<?x64xf32>, tensor<2x32x32x2xbf16> -> tensor<?x40xf32>
// BF16: attune.packed_matmul %{{.*}}, %{{.*}} {columns = 40 : i64} : tensor<?x24xf32>, tensor<2x24x32xbf16> -> tensor<?x40xf32>
// INT8-LABEL: func @bf16_dot_target
// INT8-SAME: memref<1x64x64xi8> {attune.name = "deep"
module attributes {attune.target = {cpu = "znver4", lanes = 16 : i64, registers = 32 : i64, bf16_dot}} {
func.func @bf16_dot_target(%x: tensor<?x64xf32> {attune.name = "x", attune.dims = ["batch"]},
                           %z: tensor<?x24xf32> {attune.name = "z", attune.dims = ["batch"]})
    -> (tensor<?x40xf32> {attune.name = "y", attune.dims = ["batch"]},
        tensor<?x40xf32> {attune.name = "u", attune.dims = ["batch"]}) attributes {attune.entry} {
  %a = attune.weight "deep" : tensor<64x40xf32>
  %b = attune.weight "shallow" : tensor<24x40xf32>
  %y = attune.matmul %x, %a : tensor<?x64xf32>, tensor<64x40xf32>
  %u = attune.matmul %z, %b : tensor<?x24xf32>, tensor<24x40xf32>
  return %y, %u : tensor<?x40xf32>, tensor<?x40xf32>
}
}
