// Tests that every attune op prints in a form that parses back to the same IR.
// RUN: attune-opt %s | attune-opt | FileCheck %s

// CHECK-LABEL: func @sources
func.func @sources(%n: index) -> (tensor<4x8xf32>, tensor<?xi32>) {
  // CHECK: attune.weight "transformer.wte.weight" : tensor<4x8xf32>
  %w = attune.weight "transformer.wte.weight" : tensor<4x8xf32>
  // CHECK: attune.iota %{{.*}} : tensor<?xi32>
  %i = attune.iota %n : tensor<?xi32>
  return %w, %i : tensor<4x8xf32>, tensor<?xi32>
}

// CHECK-LABEL: func @gather_and_shapes
func.func @gather_and_shapes(%table: tensor<16x8xf32>, %ids: tensor<?x?xi32>, %b: index, %s: index)
    -> tensor<?x2x?x4xf32> {
  // CHECK: %[[X:.+]] = attune.embed %{{.*}}, %{{.*}} : tensor<16x8xf32>, tensor<?x?xi32>
  %x = attune.embed %table, %ids : tensor<16x8xf32>, tensor<?x?xi32>
  // CHECK: %[[H:.+]] = attune.reshape %[[X]](%{{.*}}, %{{.*}}) : tensor<?x?x8xf32> -> tensor<?x?x2x4xf32>
  %h = attune.reshape %x(%b, %s) : tensor<?x?x8xf32> -> tensor<?x?x2x4xf32>
  // CHECK: attune.transpose %[[H]] [0, 2, 1, 3] : tensor<?x?x2x4xf32>
  %t = attune.transpose %h [0, 2, 1, 3] : tensor<?x?x2x4xf32>
  return %t : tensor<?x2x?x4xf32>
}

// CHECK-LABEL: func @arithmetic
func.func @arithmetic(%a: tensor<?x?x8xf32>, %bias: tensor<8xf32>, %s: tensor<f32>,
                      %r: tensor<?x1xi32>, %c: tensor<1x?xi32>) -> tensor<?x?x8xf32> {
  // CHECK: attune.add %{{.*}}, %{{.*}} : tensor<?x?x8xf32>, tensor<8xf32>
  %0 = attune.add %a, %bias : tensor<?x?x8xf32>, tensor<8xf32>
  // CHECK: attune.sub
  %1 = attune.sub %0, %s : tensor<?x?x8xf32>, tensor<f32>
  // CHECK: attune.mul
  %2 = attune.mul %1, %1 : tensor<?x?x8xf32>, tensor<?x?x8xf32>
  // CHECK: attune.div
  %3 = attune.div %2, %s : tensor<?x?x8xf32>, tensor<f32>
  // CHECK: attune.compare %{{.*}}, %{{.*}} {predicate = "ge"} : tensor<?x1xi32>, tensor<1x?xi32>
  %keep = attune.compare %r, %c {predicate = "ge"} : tensor<?x1xi32>, tensor<1x?xi32>
  // CHECK: attune.select %{{.*}}, %{{.*}}, %{{.*}} : tensor<?x?xi1>, tensor<?x?x8xf32>, tensor<f32>
  %m = attune.select %keep, %3, %s : tensor<?x?xi1>, tensor<?x?x8xf32>, tensor<f32>
  return %m : tensor<?x?x8xf32>
}

// CHECK-LABEL: func @contractions_and_norms
func.func @contractions_and_norms(%x: tensor<?x?x8xf32>, %w: tensor<8x16xf32>,
                                  %q: tensor<?x2x?x4xf32>, %k: tensor<?x2x4x?xf32>,
                                  %g: tensor<8xf32>, %b: tensor<8xf32>) -> tensor<?x2x?x?xf32> {
  // CHECK: attune.matmul %{{.*}}, %{{.*}} : tensor<?x?x8xf32>, tensor<8x16xf32>
  %y = attune.matmul %x, %w : tensor<?x?x8xf32>, tensor<8x16xf32>
  // CHECK: attune.matmul %{{.*}}, %{{.*}} : tensor<?x2x?x4xf32>, tensor<?x2x4x?xf32>
  %s = attune.matmul %q, %k : tensor<?x2x?x4xf32>, tensor<?x2x4x?xf32>
  // CHECK: attune.packed_matmul %{{.*}}, %{{.*}} {columns = 16 : i64} : tensor<?x?x8xf32>, tensor<1x8x16xf32> -> tensor<?x?x16xf32>
  %pw = tensor.empty() : tensor<1x8x16xf32>
  %py = attune.packed_matmul %x, %pw {columns = 16 : i64} : tensor<?x?x8xf32>, tensor<1x8x16xf32> -> tensor<?x?x16xf32>
  // bf16 panels in k pairs: [P, K/2, width, 2].
  // CHECK: attune.packed_matmul %{{.*}}, %{{.*}} {columns = 16 : i64} : tensor<?x?x8xf32>, tensor<1x4x16x2xbf16> -> tensor<?x?x16xf32>
  %pairs = tensor.empty() : tensor<1x4x16x2xbf16>
  %pp = attune.packed_matmul %x, %pairs {columns = 16 : i64} : tensor<?x?x8xf32>, tensor<1x4x16x2xbf16> -> tensor<?x?x16xf32>
  // A residual without a bias, and a fused norm: each optional operand's type after its
  // keyword, so which ones an op has reads back unambiguously.
  // CHECK: attune.packed_matmul %{{.*}}, %{{.*}} residual %{{.*}} {columns = 16 : i64} : tensor<?x?x8xf32>, tensor<1x8x16xf32> residual tensor<?x?x16xf32> -> tensor<?x?x16xf32>
  %pr = attune.packed_matmul %x, %pw residual %py {columns = 16 : i64} : tensor<?x?x8xf32>, tensor<1x8x16xf32> residual tensor<?x?x16xf32> -> tensor<?x?x16xf32>
  // CHECK: %{{.+}}, %{{.+}} = attune.packed_matmul %{{.*}}, %{{.*}} residual %{{.*}} norm_gain %{{.*}} {columns = 16 : i64, norm = "rms_norm", norm_epsilon = 9.9999999999999995E-7 : f64} : tensor<?x?x8xf32>, tensor<1x8x16xf32> residual tensor<?x?x16xf32> norm_gain tensor<16xf32> -> tensor<?x?x16xf32>, tensor<?x?x16xf32>
  %g16 = tensor.empty() : tensor<16xf32>
  %ps, %pn = attune.packed_matmul %x, %pw residual %pr norm_gain %g16 {columns = 16 : i64, norm = "rms_norm", norm_epsilon = 1.0e-6 : f64} : tensor<?x?x8xf32>, tensor<1x8x16xf32> residual tensor<?x?x16xf32> norm_gain tensor<16xf32> -> tensor<?x?x16xf32>, tensor<?x?x16xf32>
  // CHECK: attune.layer_norm %{{.*}} {epsilon = 1.000000e-05 : f64}
  %n = attune.layer_norm %x, %g, %b {epsilon = 1.0e-5 : f64} : tensor<?x?x8xf32>, tensor<8xf32>, tensor<8xf32>
  // CHECK: attune.softmax %{{.*}} {axis = 3 : i64} : tensor<?x2x?x?xf32>
  %p = attune.softmax %s {axis = 3 : i64} : tensor<?x2x?x?xf32>
  // CHECK: attune.gelu %{{.*}} {approximation = "tanh"}
  %g1 = attune.gelu %y {approximation = "tanh"} : tensor<?x?x16xf32>
  // CHECK: attune.gelu %{{.*}} {approximation = "erf"}
  %g2 = attune.gelu %y {approximation = "erf"} : tensor<?x?x16xf32>
  // CHECK: attune.relu
  %r = attune.relu %n : tensor<?x?x8xf32>
  // CHECK: attune.silu
  %si = attune.silu %n : tensor<?x?x8xf32>
  // CHECK: attune.tanh
  %t = attune.tanh %n : tensor<?x?x8xf32>
  // CHECK: attune.slice %{{.*}} axis 2 [0, 8] : tensor<?x?x16xf32>
  %sl = attune.slice %g1 axis 2 [0, 8] : tensor<?x?x16xf32>
  return %p : tensor<?x2x?x?xf32>
}

// CHECK-LABEL: func @llama_ops
func.func @llama_ops(%x: tensor<?x?x64xf32>, %g: tensor<64xf32>, %q: tensor<?x8x?x8xf32>, %p: tensor<?xi32>)
    -> (tensor<?x?x64xf32>, tensor<?x8x?x8xf32>, tensor<?x1x64xf32>) {
  // CHECK: attune.rms_norm %{{.*}}, %{{.*}} {epsilon = 9.9999999999999995E-7 : f64} : tensor<?x?x64xf32>, tensor<64xf32>
  %n = attune.rms_norm %x, %g {epsilon = 1.0e-6 : f64} : tensor<?x?x64xf32>, tensor<64xf32>
  // CHECK: attune.rope %{{.*}}, %{{.*}} {theta = 1.000000e+04 : f64} : tensor<?x8x?x8xf32>, tensor<?xi32>
  %r = attune.rope %q, %p {theta = 1.0e4 : f64} : tensor<?x8x?x8xf32>, tensor<?xi32>
  // CHECK: attune.slice %{{.*}} axis 1 [0, 1] : tensor<?x?x64xf32>
  %first = attune.slice %x axis 1 [0, 1] : tensor<?x?x64xf32>
  return %n, %r, %first : tensor<?x?x64xf32>, tensor<?x8x?x8xf32>, tensor<?x1x64xf32>
}

// CHECK-LABEL: func @attention
func.func @attention(%q: tensor<?x4x?x16xf32>, %k: tensor<?x4x?x16xf32>, %v: tensor<?x4x?x16xf32>, %m: tensor<?x?xi1>, %b: tensor<1x4x?x?xf32>)
    -> (tensor<?x4x?x16xf32>, tensor<?x4x?x16xf32>) {
  // CHECK: attune.attention %{{.*}}, %{{.*}}, %{{.*}} mask %{{.*}} bias %{{.*}} {masked_value = -1.000000e+09 : f64, scale = 2.500000e-01 : f64} : (tensor<?x4x?x16xf32>, tensor<?x4x?x16xf32>, tensor<?x4x?x16xf32>, tensor<?x?xi1>, tensor<1x4x?x?xf32>) -> tensor<?x4x?x16xf32>
  %0 = attune.attention %q, %k, %v mask %m bias %b {masked_value = -1.0e9 : f64, scale = 0.25 : f64} : (tensor<?x4x?x16xf32>, tensor<?x4x?x16xf32>, tensor<?x4x?x16xf32>, tensor<?x?xi1>, tensor<1x4x?x?xf32>) -> tensor<?x4x?x16xf32>
  // CHECK: attune.attention %{{.*}}, %{{.*}}, %{{.*}} {masked_value = 0.000000e+00 : f64, scale = 1.000000e+00 : f64}
  %1 = attune.attention %q, %k, %v {masked_value = 0.0 : f64, scale = 1.0 : f64} : (tensor<?x4x?x16xf32>, tensor<?x4x?x16xf32>, tensor<?x4x?x16xf32>) -> tensor<?x4x?x16xf32>
  return %0, %1 : tensor<?x4x?x16xf32>, tensor<?x4x?x16xf32>
}

// CHECK-LABEL: func @kernel_cost
// CHECK: attune.kernel_cost "matmul k768 n3072" ["bias", "gelu_tanh"] flops(%{{.+}})
// CHECK: attune.kernel_cost "layer_norm" [] flops(%{{.+}})
// CHECK: attune.kernel_cost "cache write" [] flops(%{{.+}}) bytes(%{{.+}})
func.func @kernel_cost(%flops: index) {
  attune.kernel_cost "matmul k768 n3072" ["bias", "gelu_tanh"] flops(%flops)
  attune.kernel_cost "layer_norm" [] flops(%flops)
  attune.kernel_cost "cache write" [] flops(%flops) bytes(%flops)
  return
}

// CHECK-LABEL: func @bf16_dot
// CHECK: attune.bf16_dot %{{.+}}, %{{.+}}, %{{.+}} : vector<16xf32>, vector<32xbf16>
// CHECK: attune.bf16_dot %{{.+}}, %{{.+}}, %{{.+}} : vector<8xf32>, vector<16xbf16>
func.func @bf16_dot(%acc: vector<16xf32>, %a: vector<32xbf16>, %acc8: vector<8xf32>, %a8: vector<16xbf16>)
    -> (vector<16xf32>, vector<8xf32>) {
  %s = attune.bf16_dot %acc, %a, %a : vector<16xf32>, vector<32xbf16>
  %t = attune.bf16_dot %acc8, %a8, %a8 : vector<8xf32>, vector<16xbf16>
  return %s, %t : vector<16xf32>, vector<8xf32>
}
