// Tests that attune-fuse-epilogues grows a packed matmul along its only use into bias,
// activation and residual, in that order, and stops where the order or the shapes do not fit
// or the product has another use; and that each part can be turned off.
// RUN: attune-opt %s -split-input-file -attune-fuse-epilogues | FileCheck %s
// RUN: attune-opt %s -split-input-file -attune-fuse-epilogues='activation=false residual=false' | FileCheck %s --check-prefix=BIAS-ONLY

// GPT-2's MLP: bias, GELU; then the projection's bias and the residual.
// CHECK-LABEL: func @mlp
// CHECK: %[[H:.+]] = attune.packed_matmul %{{.*}}, %{{.*}} bias %{{.*}} {activation = "gelu_tanh", columns = 64 : i64}
// CHECK: %[[Y:.+]] = attune.packed_matmul %[[H]], %{{.*}} bias %{{.*}} residual %{{.*}} {columns = 16 : i64}
// CHECK-NOT: attune.add
// CHECK-NOT: attune.gelu
// CHECK: return %[[Y]]
// BIAS-ONLY-LABEL: func @mlp
// BIAS-ONLY: attune.packed_matmul %{{.*}}, %{{.*}} bias %{{.*}} {columns = 64 : i64}
// BIAS-ONLY: attune.gelu
// BIAS-ONLY: attune.packed_matmul %{{.*}}, %{{.*}} bias %{{.*}} {columns = 16 : i64}
// BIAS-ONLY: attune.add
func.func @mlp(%x: tensor<?x?x16xf32>, %w1: tensor<2x16x32xf32>, %b1: tensor<64xf32>,
               %w2: tensor<1x64x16xf32>, %b2: tensor<16xf32>) -> tensor<?x?x16xf32> {
  %0 = attune.packed_matmul %x, %w1 {columns = 64 : i64} : tensor<?x?x16xf32>, tensor<2x16x32xf32> -> tensor<?x?x64xf32>
  %1 = attune.add %0, %b1 : tensor<?x?x64xf32>, tensor<64xf32>
  %2 = attune.gelu %1 {approximation = "tanh"} : tensor<?x?x64xf32>
  %3 = attune.packed_matmul %2, %w2 {columns = 16 : i64} : tensor<?x?x64xf32>, tensor<1x64x16xf32> -> tensor<?x?x16xf32>
  %4 = attune.add %b2, %3 : tensor<16xf32>, tensor<?x?x16xf32>
  %5 = attune.add %x, %4 : tensor<?x?x16xf32>, tensor<?x?x16xf32>
  return %5 : tensor<?x?x16xf32>
}

// -----

// No bias (Llama): the activation and the residual alone; erf GELU, ReLU and SiLU by name.
// CHECK-LABEL: func @activations
// CHECK: attune.packed_matmul %{{.*}}, %{{.*}} {activation = "silu", columns = 16 : i64}
// CHECK: attune.packed_matmul %{{.*}}, %{{.*}} {activation = "gelu_erf", columns = 16 : i64}
// CHECK: attune.packed_matmul %{{.*}}, %{{.*}} residual %{{.*}} {activation = "relu", columns = 16 : i64}
func.func @activations(%x: tensor<?x16xf32>, %w: tensor<1x16x16xf32>) -> (tensor<?x16xf32>, tensor<?x16xf32>, tensor<?x16xf32>) {
  %0 = attune.packed_matmul %x, %w {columns = 16 : i64} : tensor<?x16xf32>, tensor<1x16x16xf32> -> tensor<?x16xf32>
  %1 = attune.silu %0 : tensor<?x16xf32>
  %2 = attune.packed_matmul %x, %w {columns = 16 : i64} : tensor<?x16xf32>, tensor<1x16x16xf32> -> tensor<?x16xf32>
  %3 = attune.gelu %2 {approximation = "erf"} : tensor<?x16xf32>
  %4 = attune.packed_matmul %x, %w {columns = 16 : i64} : tensor<?x16xf32>, tensor<1x16x16xf32> -> tensor<?x16xf32>
  %5 = attune.relu %4 : tensor<?x16xf32>
  %6 = attune.add %5, %x : tensor<?x16xf32>, tensor<?x16xf32>
  return %1, %3, %6 : tensor<?x16xf32>, tensor<?x16xf32>, tensor<?x16xf32>
}

// -----

// Not fused: a product with a second use; a bias after the activation (the epilogue's order
// is bias first); an add that broadcasts another shape; an activation after the residual.
// CHECK-LABEL: func @unfused
// CHECK: %[[P:.+]] = attune.packed_matmul %{{.*}}, %{{.*}} {columns = 16 : i64}
// CHECK: attune.add %[[P]]
// CHECK: attune.mul %[[P]]
// CHECK: attune.packed_matmul %{{.*}}, %{{.*}} {activation = "relu", columns = 16 : i64}
// CHECK: attune.add
// CHECK: attune.packed_matmul %{{.*}}, %{{.*}} {columns = 16 : i64}
// CHECK: attune.add %{{.*}}, %{{.*}} : tensor<?x16xf32>, tensor<1x16xf32>
// CHECK: attune.packed_matmul %{{.*}}, %{{.*}} residual %{{.*}} {columns = 16 : i64}
// CHECK: attune.gelu
func.func @unfused(%x: tensor<?x16xf32>, %w: tensor<1x16x16xf32>, %b: tensor<16xf32>, %r: tensor<1x16xf32>)
    -> (tensor<?x16xf32>, tensor<?x16xf32>, tensor<?x16xf32>, tensor<?x16xf32>, tensor<?x16xf32>) {
  %0 = attune.packed_matmul %x, %w {columns = 16 : i64} : tensor<?x16xf32>, tensor<1x16x16xf32> -> tensor<?x16xf32>
  %1 = attune.add %0, %b : tensor<?x16xf32>, tensor<16xf32>
  %2 = attune.mul %0, %0 : tensor<?x16xf32>, tensor<?x16xf32>
  %3 = attune.packed_matmul %x, %w {columns = 16 : i64} : tensor<?x16xf32>, tensor<1x16x16xf32> -> tensor<?x16xf32>
  %4 = attune.relu %3 : tensor<?x16xf32>
  %5 = attune.add %4, %b : tensor<?x16xf32>, tensor<16xf32>
  %6 = attune.packed_matmul %x, %w {columns = 16 : i64} : tensor<?x16xf32>, tensor<1x16x16xf32> -> tensor<?x16xf32>
  %7 = attune.add %6, %r : tensor<?x16xf32>, tensor<1x16xf32>
  %8 = attune.packed_matmul %x, %w {columns = 16 : i64} : tensor<?x16xf32>, tensor<1x16x16xf32> -> tensor<?x16xf32>
  %9 = attune.add %8, %x : tensor<?x16xf32>, tensor<?x16xf32>
  %10 = attune.gelu %9 {approximation = "tanh"} : tensor<?x16xf32>
  return %1, %2, %5, %7, %10 : tensor<?x16xf32>, tensor<?x16xf32>, tensor<?x16xf32>, tensor<?x16xf32>, tensor<?x16xf32>
}
