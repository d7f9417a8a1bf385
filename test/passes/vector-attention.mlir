// Tests that attune.attention lowers to the vectorized kernel on buffers: operands read through
// read-only strided views, the output allocated, a task loop (scf.parallel {attune.tasks})
// with per-task scratch (packed queries [D, query block], scores [key block, query block]),
// register tiles of 4 keys x 3 vectors carried through the head-dim loop, masks applied to
// the tile before the block max. Shapes outside the kernel (dynamic head dim) fall back to
// the blocked kernel on tensors; vector-attention=false always does.
// RUN: attune-opt %s --pass-pipeline='builtin.module(func.func(attune-lower-to-linalg{vector-lanes=8 vector-registers=16}))' | FileCheck %s
// RUN: attune-opt %s --pass-pipeline='builtin.module(func.func(attune-lower-to-linalg{vector-attention=false}))' | FileCheck %s --check-prefix=BLOCKED
// RUN: attune-opt %s --pass-pipeline='builtin.module(func.func(attune-lower-to-linalg{vector-lanes=16 vector-registers=32 attention-query-block=40 attention-block=20}))' | FileCheck %s --check-prefix=WIDE
// Lanes that are not a power of two (no shuffle transposes for them): the blocked kernel.
// RUN: attune-opt %s --pass-pipeline='builtin.module(func.func(attune-lower-to-linalg{vector-lanes=6}))' | FileCheck %s --check-prefix=BLOCKED

// CHECK-LABEL: func @causal
// CHECK: %[[Q:.+]] = bufferization.to_memref %arg0 read_only
// CHECK: %[[K:.+]] = bufferization.to_memref %arg1 read_only : memref<?x2x?x8xf32, strided<[?, ?, ?, 1], offset: ?>>
// CHECK: %[[OUT:.+]] = memref.alloc(%{{.*}}, %{{.*}}) {alignment = 64 : i64} : memref<?x2x?x8xf32>
// CHECK: scf.parallel (%[[TASK:.+]]) =
// CHECK: %[[QT:.+]] = memref.alloca() {alignment = 64 : i64} : memref<8x48xf32>
// CHECK: %[[S:.+]] = memref.alloca() {alignment = 64 : i64} : memref<64x48xf32>
// Queries are packed 8 x 8 at a time: rows loaded, scaled, transposed by shuffles.
// CHECK: vector.load %[[Q]]
// CHECK-COUNT-24: vector.shuffle
// CHECK: vector.store {{.*}}, %[[QT]]
// CHECK: scf.for {{.*}} iter_args({{.*}}) -> (vector<8xf32>, vector<8xf32>, vector<8xf32>, vector<8xf32>, vector<8xf32>, vector<8xf32>, vector<8xf32>, vector<8xf32>, vector<8xf32>, vector<8xf32>, vector<8xf32>, vector<8xf32>)
// CHECK: vector.load %[[QT]]
// CHECK: memref.load %[[K]]
// CHECK: arith.mulf {{.*}} fastmath<contract> : vector<8xf32>
// CHECK: vector.store {{.*}}, %[[S]]
// CHECK: arith.cmpi sle, {{.*}} : vector<8xi32>
// CHECK: vector.shuffle
// CHECK: scf.if
// CHECK: vector.store {{.*}}, %[[OUT]]
// CHECK: } {attune.tasks}
// CHECK: bufferization.to_tensor %[[OUT]] restrict writable
// BLOCKED-LABEL: func @causal
// BLOCKED-NOT: scf.parallel
// BLOCKED: scf.for {{.*}} -> (tensor<?x2x?x8xf32>)
// WIDE-LABEL: func @causal
// WIDE: memref.alloca() {alignment = 64 : i64} : memref<8x48xf32>
// WIDE: memref.alloca() {alignment = 64 : i64} : memref<24x48xf32>
// WIDE: vector<16xf32>
func.func @causal(%q: tensor<?x2x?x8xf32>, %k: tensor<?x2x?x8xf32>, %v: tensor<?x2x?x8xf32>) -> tensor<?x2x?x8xf32> {
  %0 = attune.attention %q, %k, %v {causal, masked_value = -3.4e38 : f64, scale = 0.35 : f64} : (tensor<?x2x?x8xf32>, tensor<?x2x?x8xf32>, tensor<?x2x?x8xf32>) -> tensor<?x2x?x8xf32>
  return %0 : tensor<?x2x?x8xf32>
}

// A padding mask (one value per key: broadcast) and a bias per query (gathered lane by lane).
// CHECK-LABEL: func @masked_biased
// CHECK: %[[M:.+]] = bufferization.to_memref %arg3 read_only : memref<?x1x1x?xi1, strided<[?, ?, ?, 1], offset: ?>>
// CHECK: %[[B:.+]] = bufferization.to_memref %arg4 read_only : memref<1x2x?x?xf32, strided<[?, ?, ?, 1], offset: ?>>
// CHECK: scf.parallel
// CHECK: memref.load %[[B]][%c0{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}]
// CHECK: vector.insert %{{.*}}, %{{.*}} [0] : f32 into vector<8xf32>
// CHECK: vector.insert %{{.*}}, %{{.*}} [7] : f32 into vector<8xf32>
// CHECK: memref.load %[[M]][%{{.*}}, %c0{{.*}}, %c0{{.*}}, %{{.*}}]
// CHECK: vector.broadcast %{{.*}} : i1 to vector<8xi1>
// CHECK-NOT: arith.cmpi sge, {{.*}} : vector<8xi32>
// CHECK: } {attune.tasks}
func.func @masked_biased(%q: tensor<?x2x?x8xf32>, %k: tensor<?x2x?x8xf32>, %v: tensor<?x2x?x8xf32>, %m: tensor<?x1x1x?xi1>, %b: tensor<1x2x?x?xf32>) -> tensor<?x2x?x8xf32> {
  %0 = attune.attention %q, %k, %v mask %m bias %b {masked_value = -1.0e9 : f64, scale = 1.0 : f64} : (tensor<?x2x?x8xf32>, tensor<?x2x?x8xf32>, tensor<?x2x?x8xf32>, tensor<?x1x1x?xi1>, tensor<1x2x?x?xf32>) -> tensor<?x2x?x8xf32>
  return %0 : tensor<?x2x?x8xf32>
}

// Grouped-query: k/v's size-1 group dim is read at index 0 for every query head.
// CHECK-LABEL: func @grouped
// CHECK: %[[GK:.+]] = bufferization.to_memref %arg1 read_only : memref<?x2x1x?x8xf32, strided<[?, ?, ?, ?, 1], offset: ?>>
// CHECK: memref.alloc({{.*}}) {alignment = 64 : i64} : memref<?x2x3x?x8xf32>
// CHECK: memref.load %[[GK]][%{{.*}}, %{{.*}}, %c0{{.*}}, %{{.*}}, %{{.*}}]
// CHECK: } {attune.tasks}
func.func @grouped(%q: tensor<?x2x3x?x8xf32>, %k: tensor<?x2x1x?x8xf32>, %v: tensor<?x2x1x?x8xf32>) -> tensor<?x2x3x?x8xf32> {
  %0 = attune.attention %q, %k, %v {causal, masked_value = -1.0e9 : f64, scale = 1.0 : f64} : (tensor<?x2x3x?x8xf32>, tensor<?x2x1x?x8xf32>, tensor<?x2x1x?x8xf32>) -> tensor<?x2x3x?x8xf32>
  return %0 : tensor<?x2x3x?x8xf32>
}

// Negative: a dynamic head dim takes the blocked kernel on tensors.
// CHECK-LABEL: func @dynamic_head_dim
// CHECK-NOT: scf.parallel
// CHECK-NOT: vector<
// CHECK: scf.for {{.*}} -> (tensor<?x2x?x?xf32>)
// CHECK: return
func.func @dynamic_head_dim(%q: tensor<?x2x?x?xf32>, %k: tensor<?x2x?x?xf32>, %v: tensor<?x2x?x?xf32>) -> tensor<?x2x?x?xf32> {
  %0 = attune.attention %q, %k, %v {masked_value = -1.0e9 : f64, scale = 1.0 : f64} : (tensor<?x2x?x?xf32>, tensor<?x2x?x?xf32>, tensor<?x2x?x?xf32>) -> tensor<?x2x?x?xf32>
  return %0 : tensor<?x2x?x?xf32>
}

// The heads' split ([b, s, h, d] to [b, h, s, d]) before the kernel and their merge after
// it are folded into transposed views: the kernel reads q, k, v and writes its result through
// memref.transpose views of the unsplit buffers, and no transpose is left.
// CHECK-LABEL: func @head_views
// CHECK-SAME: (%[[QS:.+]]: tensor<?x?x2x8xf32>, %[[KS:.+]]: tensor<?x?x2x8xf32>, %[[VS:.+]]: tensor<?x?x2x8xf32>)
// CHECK: %[[QB:.+]] = bufferization.to_memref %[[QS]] read_only : memref<?x?x2x8xf32, strided<[?, ?, ?, 1], offset: ?>>
// CHECK: memref.transpose %[[QB]] (d0, d1, d2, d3) -> (d0, d2, d1, d3) : memref<?x?x2x8xf32, strided<[?, ?, ?, 1], offset: ?>> to memref<?x2x?x8xf32, strided<[?, ?, ?, 1], offset: ?>>
// CHECK: %[[MERGED:.+]] = memref.alloc({{.*}}) {alignment = 64 : i64} : memref<?x?x2x8xf32>
// CHECK: memref.transpose %[[MERGED]] (d0, d1, d2, d3) -> (d0, d2, d1, d3)
// CHECK: } {attune.tasks}
// CHECK: %[[RESULT:.+]] = bufferization.to_tensor %[[MERGED]] restrict writable
// CHECK-NOT: linalg.transpose
// CHECK: return %[[RESULT]]
func.func @head_views(%qs: tensor<?x?x2x8xf32>, %ks: tensor<?x?x2x8xf32>, %vs: tensor<?x?x2x8xf32>) -> tensor<?x?x2x8xf32> {
  %q = attune.transpose %qs [0, 2, 1, 3] : tensor<?x?x2x8xf32>
  %k = attune.transpose %ks [0, 2, 1, 3] : tensor<?x?x2x8xf32>
  %v = attune.transpose %vs [0, 2, 1, 3] : tensor<?x?x2x8xf32>
  %0 = attune.attention %q, %k, %v {causal, masked_value = -1.0e9 : f64, scale = 1.0 : f64} : (tensor<?x2x?x8xf32>, tensor<?x2x?x8xf32>, tensor<?x2x?x8xf32>) -> tensor<?x2x?x8xf32>
  %1 = attune.transpose %0 [0, 2, 1, 3] : tensor<?x2x?x8xf32>
  return %1 : tensor<?x?x2x8xf32>
}

// Negative: a result with another use than the merge is written to its own buffer, and the
// merge stays a transpose.
// CHECK-LABEL: func @head_merge_shared
// CHECK: memref.alloc({{.*}}) {alignment = 64 : i64} : memref<?x2x?x8xf32>
// CHECK: linalg.transpose
func.func @head_merge_shared(%q: tensor<?x2x?x8xf32>, %k: tensor<?x2x?x8xf32>, %v: tensor<?x2x?x8xf32>) -> (tensor<?x?x2x8xf32>, tensor<?x2x?x8xf32>) {
  %0 = attune.attention %q, %k, %v {masked_value = -1.0e9 : f64, scale = 1.0 : f64} : (tensor<?x2x?x8xf32>, tensor<?x2x?x8xf32>, tensor<?x2x?x8xf32>) -> tensor<?x2x?x8xf32>
  %1 = attune.transpose %0 [0, 2, 1, 3] : tensor<?x2x?x8xf32>
  return %1, %0 : tensor<?x?x2x8xf32>, tensor<?x2x?x8xf32>
}

// Query offsets: each task loads its row's offset once and measures every causal limit from
// its queries' positions. At most 4 queries (a decode step) run the one-query kernel: a task
// per query, keys across the lanes (each lane a dot product reduced over the head dim), the
// key loop ending at the query's position; more run the tile kernel.
// CHECK-LABEL: func @causal_offsets
// CHECK: %[[OFF:.+]] = bufferization.to_memref %arg3 read_only : memref<?xi32
// CHECK: %[[FEW:.+]] = arith.cmpi ule, %{{.*}}, %c4 : index
// CHECK: scf.if %[[FEW]]
// CHECK: scf.parallel
// CHECK: %[[DO:.+]] = memref.load %[[OFF]][%{{.*}}]
// CHECK: %[[DOI:.+]] = arith.index_cast %[[DO]] : i32 to index
// CHECK: %[[DPOS:.+]] = arith.addi %{{.*}}, %[[DOI]] : index
// CHECK: %[[DEND:.+]] = arith.addi %[[DPOS]], %c1
// CHECK: %[[KEYEND:.+]] = arith.minsi %{{.*}}, %[[DEND]]
// CHECK: scf.for %{{.*}} = %{{.*}} to %[[KEYEND]] step %{{.*}} iter_args(%{{.*}} = %{{.*}}, %{{.*}} = %{{.*}}) -> (f32, f32)
// CHECK: vector.reduction <add>, {{.*}} fastmath<reassoc,nnan,nsz>
// CHECK: vector.reduction <maxnumf>
// CHECK: } else {
// CHECK: scf.parallel
// CHECK: %[[O:.+]] = memref.load %[[OFF]][%{{.*}}]
// CHECK: %[[OI:.+]] = arith.index_cast %[[O]] : i32 to index
// CHECK: %[[FIRST:.+]] = arith.addi %{{.*}}, %[[OI]] : index
// CHECK: arith.addi %[[FIRST]], %c48
// CHECK: arith.cmpi sle, {{.*}} : vector<8xi32>
func.func @causal_offsets(%q: tensor<?x2x?x8xf32>, %k: tensor<?x2x?x8xf32>, %v: tensor<?x2x?x8xf32>, %off: tensor<?xi32>) -> tensor<?x2x?x8xf32> {
  %0 = attune.attention %q, %k, %v offsets %off {causal, masked_value = -1.0e9 : f64, scale = 0.5 : f64} : (tensor<?x2x?x8xf32>, tensor<?x2x?x8xf32>, tensor<?x2x?x8xf32>, tensor<?xi32>) -> tensor<?x2x?x8xf32>
  return %0 : tensor<?x2x?x8xf32>
}
