// Tests that attune.attention lowers to the blocked online-softmax kernel on tensors (the
// vectorized kernel off): a loop over blocks of queries
// (slicing q and the mask/bias rows) around a loop over blocks of keys carrying the running max,
// sum and output (slicing k, v and the mask/bias columns), so no [Sq, Sk] tensor exists; each
// query block's rows are inserted into the output. With decompose-attention it lowers through
// the materialised scores instead.
// RUN: attune-opt %s --pass-pipeline='builtin.module(func.func(attune-lower-to-linalg{vector-attention=false attention-block=16 attention-query-block=8}))' | FileCheck %s
// RUN: attune-opt %s --pass-pipeline='builtin.module(func.func(attune-lower-to-linalg{decompose-attention=true}))' | FileCheck %s --check-prefix=DECOMPOSED

// CHECK-LABEL: func @attention
// CHECK-SAME: (%[[Q:[^:]+]]: tensor<?x2x?x4xf32>, %[[K:[^:]+]]: tensor<?x2x?x4xf32>, %[[V:[^:]+]]: tensor<?x2x?x4xf32>, %[[M:[^:]+]]: tensor<?x?xi1>, %[[B:[^:]+]]: tensor<1x2x?x?xf32>)
// CHECK: %[[QUERIES:.+]] = tensor.dim %[[Q]], %c2
// CHECK: %[[OUT:.+]] = scf.for %[[Q0:.+]] = %{{.*}} to %[[QUERIES]] step %c8 iter_args(%[[DEST:.+]] = %{{.*}}) -> (tensor<?x2x?x4xf32>)
// CHECK: %[[QB:.+]] = arith.minsi
// CHECK: tensor.extract_slice %[[Q]][0, 0, %[[Q0]], 0] [%{{.*}}, 2, %[[QB]], 4]
// CHECK: tensor.extract_slice %[[M]][%[[Q0]], 0] [%[[QB]], %{{.*}}]
// CHECK: tensor.extract_slice %[[B]][0, 0, %[[Q0]], 0] [1, 2, %[[QB]], %{{.*}}]
// CHECK: %[[KEYS:.+]] = tensor.dim %[[K]], %c2
// CHECK: %[[R:.+]]:3 = scf.for %[[K0:.+]] = %{{.*}} to %[[KEYS]] step %c16 iter_args(%[[MAX:.+]] = %{{.*}}, %[[SUM:.+]] = %{{.*}}, %[[ACC:.+]] = %{{.*}}) -> (tensor<?x2x?xf32>, tensor<?x2x?xf32>, tensor<?x2x?x4xf32>)
// CHECK: %[[KB:.+]] = arith.minsi
// CHECK: tensor.extract_slice %[[K]][0, 0, %[[K0]], 0] [%{{.*}}, 2, %[[KB]], 4]
// CHECK: tensor.extract_slice %[[V]][0, 0, %[[K0]], 0] [%{{.*}}, 2, %[[KB]], 4]
// CHECK: tensor.empty(%{{.*}}, %{{.*}}, %[[KB]]) : tensor<?x2x?x?xf32>
// CHECK: tensor.extract_slice %{{.*}}[0, %[[K0]]]
// CHECK: tensor.extract_slice %{{.*}}[0, 0, 0, %[[K0]]]
// CHECK: arith.select
// CHECK: outs(%[[MAX]] : tensor<?x2x?xf32>)
// CHECK: arith.maximumf
// CHECK: math.exp
// CHECK: scf.yield
// CHECK: arith.divf
// CHECK: tensor.insert_slice %{{.*}} into %[[DEST]][0, 0, %[[Q0]], 0]
// CHECK: scf.yield
// CHECK: return %[[OUT]]
// CHECK-NOT: attune.
func.func @attention(%q: tensor<?x2x?x4xf32>, %k: tensor<?x2x?x4xf32>, %v: tensor<?x2x?x4xf32>, %m: tensor<?x?xi1>, %b: tensor<1x2x?x?xf32>) -> tensor<?x2x?x4xf32> {
  %0 = attune.attention %q, %k, %v mask %m bias %b {masked_value = -1.0e9 : f64, scale = 0.5 : f64} : (tensor<?x2x?x4xf32>, tensor<?x2x?x4xf32>, tensor<?x2x?x4xf32>, tensor<?x?xi1>, tensor<1x2x?x?xf32>) -> tensor<?x2x?x4xf32>
  return %0 : tensor<?x2x?x4xf32>
}

// DECOMPOSED-LABEL: func @attention
// DECOMPOSED-NOT: scf.for
// DECOMPOSED: linalg.transpose
// DECOMPOSED: arith.select
// DECOMPOSED: math.exp
// DECOMPOSED-NOT: attune.

// A causal attention stops each query block's key loop after the block's last query and
// masks by positions (key <= query), without a mask tensor.
// CHECK-LABEL: func @causal
// CHECK: scf.for %[[Q0:.+]] = %{{.*}} to %{{.*}} step %c8
// CHECK: %[[QB:.+]] = arith.minsi
// CHECK: %[[END:.+]] = arith.addi %[[Q0]], %[[QB]]
// CHECK: %[[LIMIT:.+]] = arith.minsi %{{.*}}, %[[END]]
// CHECK: scf.for %{{.*}} = %{{.*}} to %[[LIMIT]] step %c16
// CHECK: linalg.index 2
// CHECK: linalg.index 3
// CHECK: arith.cmpi sle
// DECOMPOSED-LABEL: func @causal
// DECOMPOSED: linalg.index 2
// DECOMPOSED: linalg.index 3
// DECOMPOSED: arith.cmpi sle
// DECOMPOSED-NOT: attune.
func.func @causal(%q: tensor<?x2x?x4xf32>, %k: tensor<?x2x?x4xf32>, %v: tensor<?x2x?x4xf32>) -> tensor<?x2x?x4xf32> {
  %0 = attune.attention %q, %k, %v {causal, masked_value = -1.0e9 : f64, scale = 0.5 : f64} : (tensor<?x2x?x4xf32>, tensor<?x2x?x4xf32>, tensor<?x2x?x4xf32>) -> tensor<?x2x?x4xf32>
  return %0 : tensor<?x2x?x4xf32>
}

// Query offsets (a decode step over a KV cache): query i of row b sees keys up to
// offsets[b] + i, so every key block runs (rows see different numbers of keys) and the mask
// adds the row's offset to the query index.
// CHECK-LABEL: func @causal_offsets
// CHECK-SAME: %[[OFF:[^:]+]]: tensor<?xi32>
// CHECK: %[[KEYS:.+]] = tensor.dim %arg1, %c2
// CHECK-NOT: arith.minsi %[[KEYS]]
// CHECK: scf.for %{{.*}} = %{{.*}} to %[[KEYS]] step %c16
// CHECK: %[[ROW:.+]] = linalg.index 0
// CHECK: %[[O:.+]] = tensor.extract %[[OFF]][%[[ROW]]]
// CHECK: %[[OI:.+]] = arith.index_cast %[[O]] : i32 to index
// CHECK: %[[POS:.+]] = arith.addi %{{.*}}, %[[OI]]
// CHECK: arith.cmpi sle, %{{.*}}, %[[POS]]
// DECOMPOSED-LABEL: func @causal_offsets
// DECOMPOSED: tensor.empty(%{{.*}}, %{{.*}}, %{{.*}}) : tensor<?x1x?x?xi1>
// DECOMPOSED: linalg.index 0
// DECOMPOSED: linalg.index 2
// DECOMPOSED: tensor.extract %arg3
// DECOMPOSED: arith.addi
// DECOMPOSED: linalg.index 3
// DECOMPOSED: arith.cmpi sle
// DECOMPOSED-NOT: attune.
func.func @causal_offsets(%q: tensor<?x2x?x4xf32>, %k: tensor<?x2x?x4xf32>, %v: tensor<?x2x?x4xf32>, %off: tensor<?xi32>) -> tensor<?x2x?x4xf32> {
  %0 = attune.attention %q, %k, %v offsets %off {causal, masked_value = -1.0e9 : f64, scale = 0.5 : f64} : (tensor<?x2x?x4xf32>, tensor<?x2x?x4xf32>, tensor<?x2x?x4xf32>, tensor<?xi32>) -> tensor<?x2x?x4xf32>
  return %0 : tensor<?x2x?x4xf32>
}
