// Tests attune-lower-matmul: attune.packed_matmul becomes a call of a kernel function shared
// by every product of its shape, on dense [rows, columns] buffers (a strided operand is copied
// into one by bufferization), sized by the module's attune.target (a task loop, broadcast
// rows of A times panel vectors accumulated with vector.fma, prefetched panels, remainder
// tiles, masked stores only in a partial last panel, results written into an entry's output
// buffer); an op whose panels are not whole vectors of the target is left for the reference
// lowering in attune-lower-to-linalg (a linalg.generic reading the panels).
// RUN: attune-opt %s -split-input-file --attune-lower-matmul | FileCheck %s
// RUN: attune-opt %s -split-input-file --pass-pipeline="builtin.module(func.func(attune-lower-to-linalg))" | FileCheck %s --check-prefix=REFERENCE

// CHECK-LABEL: func @partial
// CHECK-DAG: %[[A:.+]] = bufferization.to_memref %{{.*}} read_only : memref<?x?x64xf32>
// CHECK-DAG: %[[P:.+]] = bufferization.to_memref %{{.*}} read_only : memref<2x64x32xf32>
// CHECK: %[[C:.+]] = memref.alloc({{.*}}) {alignment = 64 : i64} : memref<?x?x40xf32>
// CHECK: %[[AR:.+]] = memref.collapse_shape %[[A]] {{\[\[}}0, 1], [2]] : memref<?x?x64xf32> into memref<?x64xf32>
// CHECK: %[[CR:.+]] = memref.collapse_shape %[[C]] {{\[\[}}0, 1], [2]] : memref<?x?x40xf32> into memref<?x40xf32>
// CHECK: call @[[KERNEL:attune_matmul_k64_n40]](%[[AR]], %[[P]], %[[CR]])
// CHECK: bufferization.to_tensor %[[C]] restrict writable
// Two products of one shape call one kernel.
// CHECK: call @[[KERNEL]](
// CHECK-NOT: attune.packed_matmul
// CHECK: func.func private @[[KERNEL]](%[[KA:[^:]+]]: memref<?x64xf32>, %[[KP:[^:]+]]: memref<2x64x32xf32>, %[[KC:[^:]+]]: memref<?x40xf32>)
// Tasks in panel-major order: task t is row block t mod (row blocks), panel block t div it.
// CHECK: %[[ROWBLOCKS:.+]] = arith.divui %{{.*}}, %c132
// CHECK: scf.parallel (%[[TASK:.+]]) =
// CHECK-NEXT: arith.remui %[[TASK]], %[[ROWBLOCKS]]
// CHECK-NEXT: arith.divui %[[TASK]], %[[ROWBLOCKS]]
// The task's rows as a·12 + b·11 where they fit: b = 12 - rows mod 12 (0 when that is 0)
// when rows >= b·11, else no 11-row tiles.
// CHECK: %[[EXCESS:.+]] = arith.remui %[[TASKROWS:.+]], %c12
// CHECK: %[[EXACT:.+]] = arith.cmpi eq, %[[EXCESS]], %c0
// CHECK: %[[MISSING:.+]] = arith.subi %c12{{.*}}, %[[EXCESS]]
// CHECK: %[[WANTED:.+]] = arith.select %[[EXACT]], %c0{{.*}}, %[[MISSING]]
// CHECK: %[[SHORTROWS:.+]] = arith.muli %[[WANTED]], %c11
// CHECK: %[[FITS:.+]] = arith.cmpi uge, %[[TASKROWS]], %[[SHORTROWS]]
// CHECK: %[[SHORT:.+]] = arith.select %[[FITS]], %[[WANTED]], %c0
// 12 rows x 2 vectors of 16 lanes.
// CHECK: scf.for %{{.*}} = %{{.*}} to %[[FULLEND:.+]] step %c12
// CHECK: scf.for {{.*}} iter_args({{.*}}) -> (vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>)
// The panel rows of the 4 unrolled k steps are one view: its address is computed once per
// iteration, the loads are at constant indices in it. The panel stream is prefetched 16 k
// steps (2 KiB) ahead: attune-insert-prefetches.
// CHECK: %[[ROWS:.+]] = memref.subview %[[KP]][%{{.*}}, %{{.*}}, 0] [1, 4, 32] [1, 1, 1] : memref<2x64x32xf32> to memref<4x32xf32, strided<[32, 1], offset: ?>>
// CHECK: vector.load %[[ROWS]][%c0{{.*}}, %c0{{.*}}] {attune.prefetch = [16, 0]}
// CHECK: vector.load %[[ROWS]][%c0{{.*}}, %c16{{.*}}] {attune.prefetch = [16, 0]}
// CHECK: memref.load %[[KA]]
// CHECK: vector.broadcast
// CHECK: vector.fma
// The last panel holds 8 of its 32 columns: its stores are masked, the others' are not.
// CHECK: vector.maskedstore %[[KC]]
// CHECK: vector.store %{{.*}}, %[[KC]]
// Then 11-row tiles (22 accumulators), as many as the split gave.
// CHECK: scf.for %{{.*}} = %[[FULLEND]] to %{{.*}} step %c11
// CHECK: scf.for {{.*}} -> (vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>)
// Remainder rows: tiles of 8, 4, 2 and 1 rows (the last is one load of A per k step).
// CHECK: arith.andi %{{.*}}, %c8
// CHECK: arith.andi %{{.*}}, %c4
// CHECK: arith.andi %{{.*}}, %c2
// CHECK: arith.andi %{{.*}}, %c1
// CHECK: } {attune.tasks}
// CHECK-NOT: func.func private @attune_matmul
// REFERENCE: #[[$PANELS:.+]] = affine_map<(d0, d1, d2, d3) -> (d2 floordiv 32, d3, d2 mod 32)>
// REFERENCE-LABEL: func @partial
// REFERENCE-NOT: vector.fma
// REFERENCE: linalg.generic {indexing_maps = [#{{.*}}, #[[$PANELS]], #{{.*}}], iterator_types = ["parallel", "parallel", "parallel", "reduction"]}
module attributes {attune.target = {cpu = "sapphirerapids", lanes = 16 : i64, registers = 32 : i64}} {
func.func @partial(%x: tensor<?x?x64xf32>, %w: tensor<2x64x32xf32>) -> (tensor<?x?x40xf32>, tensor<?x?x40xf32>) {
  %y = attune.packed_matmul %x, %w {columns = 40 : i64} : tensor<?x?x64xf32>, tensor<2x64x32xf32> -> tensor<?x?x40xf32>
  %z = attune.packed_matmul %x, %w {columns = 40 : i64} : tensor<?x?x64xf32>, tensor<2x64x32xf32> -> tensor<?x?x40xf32>
  return %y, %z : tensor<?x?x40xf32>, tensor<?x?x40xf32>
}
}

// -----

// Whole panels need no masks; the result goes straight into the entry's output buffer. No
// target: AVX2's 6 rows x 2 vectors of 8 lanes.
// CHECK-LABEL: func @whole
// CHECK-SAME: %[[OUT:[^:]+]]: memref<?x48xf32>
// CHECK-NOT: memref.alloc(
// CHECK: call @attune_matmul_k20_n48(%{{.*}}, %{{.*}}, %[[OUT]])
// CHECK-NOT: materialize_in_destination
// CHECK: func.func private @attune_matmul_k20_n48
// CHECK: scf.for {{.*}} -> (vector<8xf32>, vector<8xf32>, vector<8xf32>, vector<8xf32>, vector<8xf32>, vector<8xf32>, vector<8xf32>, vector<8xf32>, vector<8xf32>, vector<8xf32>, vector<8xf32>, vector<8xf32>)
// CHECK: vector.fma %{{.*}} : vector<8xf32>
// CHECK-NOT: vector.maskedstore
// CHECK: } {attune.tasks}
func.func @whole(%x: tensor<?x20xf32>, %w: tensor<3x20x16xf32>, %out: memref<?x48xf32>) {
  %y = attune.packed_matmul %x, %w {columns = 48 : i64} : tensor<?x20xf32>, tensor<3x20x16xf32> -> tensor<?x48xf32>
  bufferization.materialize_in_destination %y in restrict writable %out : (tensor<?x48xf32>, memref<?x48xf32>) -> ()
  return
}

// -----

// Panels of 12 columns are not whole 8-lane vectors: left for the reference lowering.
// CHECK-LABEL: func @odd_width
// CHECK: attune.packed_matmul
// CHECK-NOT: call
// CHECK-NOT: func.func private
func.func @odd_width(%x: tensor<?x20xf32>, %w: tensor<2x20x12xf32>) -> tensor<?x24xf32> {
  %y = attune.packed_matmul %x, %w {columns = 24 : i64} : tensor<?x20xf32>, tensor<2x20x12xf32> -> tensor<?x24xf32>
  return %y : tensor<?x24xf32>
}

// -----

// An epilogue: bias, GELU and residual are applied to the sums in registers, in the last K
// block only (K = 1500 takes several), masked like the stores in the partial last panel.
// After an activation the residual is read only there: C is not the residual's buffer.
// CHECK-LABEL: func @epilogue
// CHECK: call @attune_matmul_k1500_n40_bias_gelu_tanh_residual(%{{.*}}, %{{.*}}, %{{.*}}, %[[B:[^,]+]], %[[R:[^)]+]])
// CHECK: func.func private @attune_matmul_k1500_n40_bias_gelu_tanh_residual(%{{[^:]+}}: memref<?x1500xf32>, %{{[^:]+}}: memref<2x1500x32xf32>, %[[KC:[^:]+]]: memref<?x40xf32>, %[[KB:[^:]+]]: memref<40xf32, strided<[1], offset: ?>>, %[[KR:[^:]+]]: memref<?x40xf32>)
// CHECK: %[[LAST:.+]] = arith.cmpi eq, %{{.*}}, %c1500
// CHECK: scf.if %[[LAST]]
// CHECK: vector.maskedload %[[KB]]
// CHECK: math.tanh
// CHECK: vector.maskedload %[[KR]]
// CHECK: vector.maskedstore %[[KC]]
// CHECK: vector.load %[[KB]]
// CHECK: vector.load %[[KR]]
// CHECK: vector.store %{{.*}}, %[[KC]]
// CHECK: } else {
module attributes {attune.target = {cpu = "sapphirerapids", lanes = 16 : i64, registers = 32 : i64, l1 = 49152 : i64}} {
func.func @epilogue(%x: tensor<?x1500xf32>, %w: tensor<2x1500x32xf32>, %b: tensor<40xf32>, %r: tensor<?x40xf32>) -> tensor<?x40xf32> {
  %y = attune.packed_matmul %x, %w bias %b residual %r {activation = "gelu_tanh", columns = 40 : i64} : tensor<?x1500xf32>, tensor<2x1500x32xf32> bias tensor<40xf32> residual tensor<?x40xf32> -> tensor<?x40xf32>
  return %y : tensor<?x40xf32>
}
}

// -----

// A residual without an activation: the sums start from it in the first K block (K = 1500
// takes several; later blocks start from the partial sums in C) and the bias is added at the
// end, in the last. Each element of the residual is read once, before the same element of C
// is written, so C may be the residual's buffer: the kernel says so on C for the memory plan.
// CHECK-LABEL: func @residual
// CHECK: call @attune_matmul_k1500_n40_bias_residual(
// CHECK: func.func private @attune_matmul_k1500_n40_bias_residual(%{{[^:]+}}: memref<?x1500xf32>, %{{[^:]+}}: memref<2x1500x32xf32>, %[[KC:[^:]+]]: memref<?x40xf32> {attune.in_place_of = 4 : i64}, %[[KB:[^:]+]]: memref<40xf32, strided<[1], offset: ?>>, %[[KR:[^:]+]]: memref<?x40xf32>)
// CHECK: scf.for %[[K0:.+]] = %c0{{.*}} to %c1500 step %c500
// CHECK: %[[FIRST:.+]] = arith.cmpi eq, %[[K0]], %c0
// CHECK-NEXT: scf.if %[[FIRST]]
// CHECK: vector.maskedload %[[KR]]
// CHECK: } else {
// CHECK: vector.maskedload %[[KC]]
// CHECK: vector.fma
// CHECK: %[[LAST:.+]] = arith.cmpi eq, %{{.*}}, %c1500
// CHECK: scf.if %[[LAST]]
// CHECK-NOT: %[[KR]]
// CHECK: vector.maskedload %[[KB]]
// CHECK-NOT: %[[KR]]
// CHECK: vector.maskedstore %[[KC]]
// CHECK: } else {
module attributes {attune.target = {cpu = "sapphirerapids", lanes = 16 : i64, registers = 32 : i64, l1 = 49152 : i64}} {
func.func @residual(%x: tensor<?x1500xf32>, %w: tensor<2x1500x32xf32>, %b: tensor<40xf32>, %r: tensor<?x40xf32>) -> tensor<?x40xf32> {
  %y = attune.packed_matmul %x, %w bias %b residual %r {columns = 40 : i64} : tensor<?x1500xf32>, tensor<2x1500x32xf32> bias tensor<40xf32> residual tensor<?x40xf32> -> tensor<?x40xf32>
  return %y : tensor<?x40xf32>
}
}

// -----

// A fused norm: both results are the kernel's (the normalized one into the entry's output);
// a counter per block of rows, zeroed before the tasks, is bumped by each task after its
// tiles, and the task that makes it the number of panel blocks normalizes the block's rows
// from C (two sums, then the normalized row: the norm kernel's row code).
// CHECK-LABEL: func @norm
// CHECK-SAME: %[[OUT:[^:]+]]: memref<?x48xf32>
// CHECK: %[[SUM:.+]] = memref.alloc({{.*}}) {alignment = 64 : i64} : memref<?x48xf32>
// CHECK: call @[[KERNEL:attune_matmul_k20_n48_residual_layer_norm]](%{{.*}}, %{{.*}}, %[[SUM]], %{{.*}}, %[[OUT]], %{{.*}}, %{{.*}})
// CHECK: func.func private @[[KERNEL]](%{{[^:]+}}: memref<?x20xf32>, %{{[^:]+}}: memref<3x20x16xf32>, %[[KC:[^:]+]]: memref<?x48xf32> {attune.in_place_of = 3 : i64}, %{{[^:]+}}: memref<?x48xf32>, %[[KN:[^:]+]]: memref<?x48xf32>, %[[KG:[^:]+]]: memref<48xf32, strided<[1], offset: ?>>, %[[KB:[^:]+]]: memref<48xf32, strided<[1], offset: ?>>)
// CHECK: %[[ROWBLOCKS:.+]] = arith.divui %{{.*}}, %c132
// CHECK: arith.muli %[[ROWBLOCKS]], %[[PANELBLOCKS:[0-9]+]] : index
// CHECK: %[[COUNTERS:.+]] = memref.alloca(%[[ROWBLOCKS]]) : memref<?xi32>
// CHECK: scf.for %[[I:.+]] = %{{.*}} to %[[ROWBLOCKS]]
// CHECK-NEXT: memref.store %c0_i32, %[[COUNTERS]][%[[I]]]
// CHECK: %[[LASTINDEX:.+]] = arith.subi %[[PANELBLOCKS]], %c1
// CHECK: %[[LAST:.+]] = arith.index_cast %[[LASTINDEX]] : index to i32
// CHECK: scf.parallel (%[[TASK:.+]]) =
// CHECK: %[[BLOCK:.+]] = arith.remui %[[TASK]], %[[ROWBLOCKS]]
// CHECK: vector.fma
// CHECK: %[[DONE:.+]] = memref.atomic_rmw addi %c1_i32, %[[COUNTERS]][%[[BLOCK]]] : (i32, memref<?xi32>) -> i32
// CHECK: %[[FINISHED:.+]] = arith.cmpi eq, %[[DONE]], %[[LAST]] : i32
// CHECK: scf.if %[[FINISHED]]
// CHECK: vector.load %[[KC]]
// CHECK: vector.reduction <add>
// CHECK: vector.load %[[KC]]
// CHECK: vector.reduction <add>
// CHECK: math.sqrt
// CHECK: vector.load %[[KG]]
// CHECK: vector.load %[[KB]]
// CHECK: vector.store %{{.*}}, %[[KN]]
// CHECK: } {attune.tasks}
func.func @norm(%x: tensor<?x20xf32>, %w: tensor<3x20x16xf32>, %r: tensor<?x48xf32>, %g: tensor<48xf32>,
                %b: tensor<48xf32>, %out: memref<?x48xf32>) {
  %y, %n = attune.packed_matmul %x, %w residual %r norm_gain %g norm_bias %b {columns = 48 : i64, norm = "layer_norm", norm_epsilon = 1.0e-5 : f64}
      : tensor<?x20xf32>, tensor<3x20x16xf32> residual tensor<?x48xf32> norm_gain tensor<48xf32> norm_bias tensor<48xf32> -> tensor<?x48xf32>, tensor<?x48xf32>
  bufferization.materialize_in_destination %n in restrict writable %out : (tensor<?x48xf32>, memref<?x48xf32>) -> ()
  return
}

// -----

// Rows of 44 columns are not whole 8-lane vectors: the norm follows the product as its own
// op (the norm kernels leave such rows to linalg); the product is still the kernel's.
// CHECK-LABEL: func @norm_odd_columns
// CHECK: call @attune_matmul_k20_n44_residual(
// CHECK: attune.rms_norm
// CHECK-NOT: memref.atomic_rmw
func.func @norm_odd_columns(%x: tensor<?x20xf32>, %w: tensor<3x20x16xf32>, %r: tensor<?x44xf32>, %g: tensor<44xf32>) -> tensor<?x44xf32> {
  %y, %n = attune.packed_matmul %x, %w residual %r norm_gain %g {columns = 44 : i64, norm = "rms_norm", norm_epsilon = 1.0e-6 : f64}
      : tensor<?x20xf32>, tensor<3x20x16xf32> residual tensor<?x44xf32> norm_gain tensor<44xf32> -> tensor<?x44xf32>, tensor<?x44xf32>
  return %n : tensor<?x44xf32>
}

// -----

// bf16 panels (attune-pack-weights precision=bf16): a kernel of its own, reading half the
// bytes per panel vector, widened to f32 before the FMAs; the sums and C stay f32. The
// reference lowering widens each element the same way.
// CHECK-LABEL: func @bf16_panels
// CHECK: bufferization.to_memref %{{.*}} read_only : memref<3x20x16xbf16>
// CHECK: call @attune_matmul_k20_n48_bf16(
// CHECK: func.func private @attune_matmul_k20_n48_bf16(%{{.*}}: memref<?x20xf32>, %{{.*}}: memref<3x20x16xbf16>, %{{.*}}: memref<?x48xf32>)
// CHECK: vector.load {{.*}} : memref<{{.*}}xbf16, strided<[16, 1], offset: ?>>, vector<8xbf16>
// CHECK-NEXT: arith.extf %{{.*}} : vector<8xbf16> to vector<8xf32>
// CHECK: vector.fma %{{.*}} : vector<8xf32>
// REFERENCE-LABEL: func @bf16_panels
// REFERENCE: linalg.generic
// REFERENCE: ^bb0(%[[A:.+]]: f32, %[[W:.+]]: bf16, %[[C:.+]]: f32):
// REFERENCE-NEXT: %[[WIDE:.+]] = arith.extf %[[W]] : bf16 to f32
// REFERENCE-NEXT: arith.mulf %[[A]], %[[WIDE]] : f32
func.func @bf16_panels(%x: tensor<?x20xf32>, %w: tensor<3x20x16xbf16>) -> tensor<?x48xf32> {
  %y = attune.packed_matmul %x, %w {columns = 48 : i64} : tensor<?x20xf32>, tensor<3x20x16xbf16> -> tensor<?x48xf32>
  return %y : tensor<?x48xf32>
}

// -----

// bf16 panels in k pairs ([P, K/2, width, 2], for a target with a bf16 dot product): the
// kernel rounds each tile's rows of A to bf16 pairs (one i32 each) in a scratch tile per K
// block, then each k pair is one attune.bf16_dot per accumulator: A's pair broadcast, times a
// vector of the panel's pairs (16 bf16s, 8 columns). The reference lowering reads the pairs
// and rounds A to nearest even in integers.
// CHECK-LABEL: func @bf16_pairs
// CHECK: call @attune_matmul_k32_n48_bf16dot(
// CHECK: func.func private @attune_matmul_k32_n48_bf16dot(%[[A:.+]]: memref<?x32xf32>, %{{.*}}: memref<3x16x16x2xbf16>, %{{.*}}: memref<?x48xf32>)
// CHECK: %[[ROWS:.+]] = memref.collapse_shape %{{.*}} {{\[\[}}0], [1], [2, 3]] : memref<3x16x16x2xbf16> into memref<3x16x32xbf16>
// CHECK: %[[SCRATCH:.+]] = memref.alloca() {alignment = 64 : i64} : memref<6x16xi32>
// CHECK: %[[V:.+]] = vector.load %[[A]]{{.*}} : memref<?x32xf32>, vector<8xf32>
// CHECK-NEXT: %[[H:.+]] = arith.truncf %[[V]] : vector<8xf32> to vector<8xbf16>
// CHECK-NEXT: %[[P:.+]] = vector.bitcast %[[H]] : vector<8xbf16> to vector<4xi32>
// CHECK: vector.store %[[P]], %[[SCRATCH]]
// CHECK: %[[W:.+]] = vector.load %{{.*}} : memref<4x32xbf16, strided<[32, 1], offset: ?>>, vector<16xbf16>
// CHECK: %[[PAIR:.+]] = memref.load %[[SCRATCH]]{{.*}} : memref<6x16xi32>
// CHECK-NEXT: %[[SPLAT:.+]] = vector.broadcast %[[PAIR]] : i32 to vector<8xi32>
// CHECK-NEXT: %[[AP:.+]] = vector.bitcast %[[SPLAT]] : vector<8xi32> to vector<16xbf16>
// CHECK-NEXT: attune.bf16_dot %{{.*}}, %[[AP]], %[[W]] : vector<8xf32>, vector<16xbf16>
// CHECK-NOT: vector.fma
// CHECK-NOT: arith.extf
// CHECK: return
// REFERENCE: #[[$PAIRS:.+]] = affine_map<(d0, d1, d2) -> (d1 floordiv 16, d2 floordiv 2, d1 mod 16, d2 mod 2)>
// REFERENCE-LABEL: func @bf16_pairs
// REFERENCE: linalg.generic {indexing_maps = [#{{.+}}, #[[$PAIRS]], #{{.+}}]
// REFERENCE: ^bb0(%[[A:.+]]: f32, %[[W:.+]]: bf16, %{{.+}}: f32):
// REFERENCE-NEXT: %[[BITS:.+]] = arith.bitcast %[[A]] : f32 to i32
// REFERENCE: %[[KEPT:.+]] = arith.andi %{{.*}}, %c-65536_i32 : i32
// REFERENCE-NEXT: %[[ROUNDED:.+]] = arith.bitcast %[[KEPT]] : i32 to f32
// REFERENCE-NEXT: %[[WIDE:.+]] = arith.extf %[[W]] : bf16 to f32
// REFERENCE-NEXT: arith.mulf %[[ROUNDED]], %[[WIDE]] : f32
func.func @bf16_pairs(%x: tensor<?x32xf32>, %w: tensor<3x16x16x2xbf16>) -> tensor<?x48xf32> {
  %y = attune.packed_matmul %x, %w {columns = 48 : i64} : tensor<?x32xf32>, tensor<3x16x16x2xbf16> -> tensor<?x48xf32>
  return %y : tensor<?x48xf32>
}

// -----

// k pairs whose K is not whole vectors (20 of 8 lanes) have no kernel: the reference lowering.
// CHECK-LABEL: func @bf16_pairs_partial_vector
// CHECK-NOT: call
// CHECK: attune.packed_matmul
func.func @bf16_pairs_partial_vector(%x: tensor<?x20xf32>, %w: tensor<3x10x16x2xbf16>) -> tensor<?x48xf32> {
  %y = attune.packed_matmul %x, %w {columns = 48 : i64} : tensor<?x20xf32>, tensor<3x10x16x2xbf16> -> tensor<?x48xf32>
  return %y : tensor<?x48xf32>
}

// -----

// i8 panels (attune-pack-weights precision=int8): a quarter of the bytes, widened to their
// integer values, summed in f32 and multiplied by each column's scale before the bias. A
// one-row tile (a decode step) keeps four sets of sums, added pairwise after the k loop. The
// reference lowering converts each element and scales the sums in its epilogue loop.
// CHECK-LABEL: func @int8_panels
// CHECK: call @attune_matmul_k20_n48_bias_int8(
// CHECK: func.func private @attune_matmul_k20_n48_bias_int8(%{{.*}}: memref<?x20xf32>, %{{.*}}: memref<3x20x16xi8>, %[[C:.+]]: memref<?x48xf32>, %[[S:.+]]: memref<48xf32, {{.*}}>, %[[B:.+]]: memref<48xf32
// CHECK: vector.load {{.*}} : memref<{{.*}}xi8, strided<[16, 1], offset: ?>>, vector<8xi8>
// CHECK-NEXT: arith.extsi %{{.*}} : vector<8xi8> to vector<8xi32>
// CHECK-NEXT: arith.sitofp %{{.*}} : vector<8xi32> to vector<8xf32>
// CHECK: %[[SCALE:.+]] = vector.load %[[S]]
// CHECK: %[[SCALED:.+]] = arith.mulf %{{.*}}, %[[SCALE]] : vector<8xf32>
// CHECK: %[[BIAS:.+]] = vector.load %[[B]]
// CHECK: arith.addf %[[SCALED]], %[[BIAS]] : vector<8xf32>
// REFERENCE-LABEL: func @int8_panels
// REFERENCE: ^bb0(%[[A:.+]]: f32, %[[W:.+]]: i8, %{{.+}}: f32):
// REFERENCE-NEXT: %[[WIDE:.+]] = arith.sitofp %[[W]] : i8 to f32
// REFERENCE-NEXT: arith.mulf %[[A]], %[[WIDE]] : f32
// REFERENCE: ^bb0(%[[X:.+]]: f32, %[[SC:.+]]: f32, %[[BI:.+]]: f32, %{{.+}}: f32):
// REFERENCE-NEXT: %[[M:.+]] = arith.mulf %[[X]], %[[SC]] : f32
// REFERENCE-NEXT: arith.addf %[[M]], %[[BI]] : f32
func.func @int8_panels(%x: tensor<?x20xf32>, %w: tensor<3x20x16xi8>, %s: tensor<48xf32>, %b: tensor<48xf32>) -> tensor<?x48xf32> {
  %y = attune.packed_matmul %x, %w scales %s bias %b {columns = 48 : i64} : tensor<?x20xf32>, tensor<3x20x16xi8> scales tensor<48xf32> bias tensor<48xf32> -> tensor<?x48xf32>
  return %y : tensor<?x48xf32>
}

// -----

// One row of narrow panels: four sets of sums in the k loop, added up after it.
// CHECK-LABEL: func private @attune_matmul_k20_n48_bf16
// CHECK: scf.for {{.*}} -> (vector<8xf32>, vector<8xf32>, vector<8xf32>, vector<8xf32>, vector<8xf32>, vector<8xf32>, vector<8xf32>, vector<8xf32>) {
// CHECK: } {attune.tasks}
func.func @bf16_one_row(%x: tensor<1x20xf32>, %w: tensor<3x20x16xbf16>) -> tensor<1x48xf32> {
  %y = attune.packed_matmul %x, %w {columns = 48 : i64} : tensor<1x20xf32>, tensor<3x20x16xbf16> -> tensor<1x48xf32>
  return %y : tensor<1x48xf32>
}
