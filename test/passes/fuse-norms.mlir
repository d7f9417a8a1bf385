// Tests that attune-fuse-norms makes the layer or RMS norm of a packed matmul's result with a
// fused residual add the matmul's second result (the sum stays the first, for its other
// uses), and leaves alone a norm of a product without a residual, of anything else, a second
// norm of one product, and a norm whose gain is defined after the product.
// RUN: attune-opt %s -split-input-file -attune-fuse-norms | FileCheck %s

// A pre-norm block (GPT-2's ln_2): the sum feeds the next residual and the norm.
// CHECK-LABEL: func @layer_norm
// CHECK: %[[SUM:.+]], %[[NORMED:.+]] = attune.packed_matmul %{{.*}}, %{{.*}} bias %{{.*}} residual %{{.*}} norm_gain %[[G:[^ ]+]] norm_bias %[[B:[^ ]+]] {columns = 16 : i64, norm = "layer_norm", norm_epsilon = 1.000000e-05 : f64}
// CHECK-SAME: -> tensor<?x16xf32>, tensor<?x16xf32>
// CHECK-NOT: attune.layer_norm
// CHECK: return %[[SUM]], %[[NORMED]]
func.func @layer_norm(%x: tensor<?x16xf32>, %w: tensor<1x16x16xf32>, %bias: tensor<16xf32>, %r: tensor<?x16xf32>,
                      %g: tensor<16xf32>, %b: tensor<16xf32>) -> (tensor<?x16xf32>, tensor<?x16xf32>) {
  %h = attune.packed_matmul %x, %w bias %bias residual %r {columns = 16 : i64}
      : tensor<?x16xf32>, tensor<1x16x16xf32> bias tensor<16xf32> residual tensor<?x16xf32> -> tensor<?x16xf32>
  %n = attune.layer_norm %h, %g, %b {epsilon = 1.0e-5 : f64} : tensor<?x16xf32>, tensor<16xf32>, tensor<16xf32>
  return %h, %n : tensor<?x16xf32>, tensor<?x16xf32>
}

// -----

// Llama's and T5's RMS norm: a gain, no bias; a post-norm block's sum has no other use.
// CHECK-LABEL: func @rms_norm
// CHECK: %{{.+}}, %[[NORMED:.+]] = attune.packed_matmul %{{.*}}, %{{.*}} residual %{{.*}} norm_gain %{{[^ ]+}} {columns = 16 : i64, norm = "rms_norm", norm_epsilon = 9.9999999999999995E-7 : f64}
// CHECK-NOT: norm_bias
// CHECK-NOT: attune.rms_norm
// CHECK: return %[[NORMED]]
func.func @rms_norm(%x: tensor<?x?x16xf32>, %w: tensor<1x16x16xf32>, %r: tensor<?x?x16xf32>,
                    %g: tensor<16xf32>) -> tensor<?x?x16xf32> {
  %h = attune.packed_matmul %x, %w residual %r {columns = 16 : i64}
      : tensor<?x?x16xf32>, tensor<1x16x16xf32> residual tensor<?x?x16xf32> -> tensor<?x?x16xf32>
  %n = attune.rms_norm %h, %g {epsilon = 1.0e-6 : f64} : tensor<?x?x16xf32>, tensor<16xf32>
  return %n : tensor<?x?x16xf32>
}

// -----

// Not after a residual add: a product without one (GPT-2's LM head reads a norm; this is the
// other way round), and a norm of a function argument.
// CHECK-LABEL: func @no_residual
// CHECK: attune.packed_matmul {{.*}} {columns = 16 : i64} :
// CHECK: attune.layer_norm
// CHECK: attune.layer_norm
func.func @no_residual(%x: tensor<?x16xf32>, %w: tensor<1x16x16xf32>, %g: tensor<16xf32>,
                       %b: tensor<16xf32>) -> (tensor<?x16xf32>, tensor<?x16xf32>) {
  %h = attune.packed_matmul %x, %w {columns = 16 : i64} : tensor<?x16xf32>, tensor<1x16x16xf32> -> tensor<?x16xf32>
  %n = attune.layer_norm %h, %g, %b {epsilon = 1.0e-5 : f64} : tensor<?x16xf32>, tensor<16xf32>, tensor<16xf32>
  %m = attune.layer_norm %x, %g, %b {epsilon = 1.0e-5 : f64} : tensor<?x16xf32>, tensor<16xf32>, tensor<16xf32>
  return %n, %m : tensor<?x16xf32>, tensor<?x16xf32>
}

// -----

// Two norms of one sum: one is fused, the other reads the sum as before.
// CHECK-LABEL: func @two_norms
// CHECK: %[[SUM:.+]], %{{.+}} = attune.packed_matmul {{.*}}norm = "{{layer|rms}}_norm"
// CHECK: attune.{{layer|rms}}_norm %[[SUM]]
// CHECK-NOT: attune.packed_matmul
func.func @two_norms(%x: tensor<?x16xf32>, %w: tensor<1x16x16xf32>, %r: tensor<?x16xf32>,
                     %g: tensor<16xf32>, %b: tensor<16xf32>) -> (tensor<?x16xf32>, tensor<?x16xf32>) {
  %h = attune.packed_matmul %x, %w residual %r {columns = 16 : i64}
      : tensor<?x16xf32>, tensor<1x16x16xf32> residual tensor<?x16xf32> -> tensor<?x16xf32>
  %n = attune.layer_norm %h, %g, %b {epsilon = 1.0e-5 : f64} : tensor<?x16xf32>, tensor<16xf32>, tensor<16xf32>
  %m = attune.rms_norm %h, %g {epsilon = 1.0e-5 : f64} : tensor<?x16xf32>, tensor<16xf32>
  return %n, %m : tensor<?x16xf32>, tensor<?x16xf32>
}

// -----

// A gain computed after the product (here from the product itself) cannot move before it.
// CHECK-LABEL: func @gain_after
// CHECK: attune.packed_matmul {{.*}} {columns = 16 : i64} :
// CHECK: attune.rms_norm
func.func @gain_after(%x: tensor<?x16xf32>, %w: tensor<1x16x16xf32>, %r: tensor<?x16xf32>,
                      %g: tensor<16xf32>) -> tensor<?x16xf32> {
  %h = attune.packed_matmul %x, %w residual %r {columns = 16 : i64}
      : tensor<?x16xf32>, tensor<1x16x16xf32> residual tensor<?x16xf32> -> tensor<?x16xf32>
  %g2 = attune.add %g, %g : tensor<16xf32>, tensor<16xf32>
  %n = attune.rms_norm %h, %g2 {epsilon = 1.0e-5 : f64} : tensor<?x16xf32>, tensor<16xf32>
  return %n : tensor<?x16xf32>
}
