// Tests the lowering of attune.packed_matmul: the register-tiled kernel sized by the module's
// attune.target (a task loop, rows of A copied per tile, panel vectors times broadcast rows
// accumulated with vector.fma, remainder tiles, masked stores only in a partial last panel),
// the reference linalg.generic (vector-matmul=false), and the fallback when a panel is not
// whole vectors of the target.
// RUN: attune-opt %s -split-input-file --pass-pipeline='builtin.module(func.func(attune-lower-to-linalg))' | FileCheck %s
// RUN: attune-opt %s -split-input-file --pass-pipeline='builtin.module(func.func(attune-lower-to-linalg{vector-matmul=false}))' | FileCheck %s --check-prefix=REFERENCE

// CHECK-LABEL: func @partial
// CHECK-DAG: %[[A:.+]] = bufferization.to_memref %{{.*}} read_only : memref<?x?x64xf32, strided<[?, ?, 1], offset: ?>>
// CHECK-DAG: %[[P:.+]] = bufferization.to_memref %{{.*}} read_only : memref<2x64x32xf32>
// CHECK: %[[C:.+]] = memref.alloc({{.*}}) {alignment = 64 : i64} : memref<?x?x40xf32>
// CHECK: scf.parallel
// 12 rows x 2 vectors of 16 lanes: the rows of A are copied once per tile and K block.
// CHECK: %[[ROWS:.+]] = memref.alloca() {alignment = 64 : i64} : memref<12x64xf32>
// CHECK: vector.load %[[A]]
// CHECK: vector.store %{{.*}}, %[[ROWS]]
// CHECK: scf.for {{.*}} iter_args({{.*}}) -> (vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>)
// CHECK: vector.load %[[P]][%{{.*}}, %{{.*}}, %c0{{.*}}] : memref<2x64x32xf32>, vector<16xf32>
// CHECK: vector.load %[[P]][%{{.*}}, %{{.*}}, %c16{{.*}}] : memref<2x64x32xf32>, vector<16xf32>
// CHECK: memref.load %[[ROWS]]
// CHECK: vector.broadcast
// CHECK: vector.fma
// The last panel holds 8 of its 32 columns: its stores are masked, the others' are not.
// CHECK: vector.maskedstore %[[C]]
// CHECK: vector.store %{{.*}}, %[[C]]
// Remainder rows: tiles of 8, 4, 2 and 1 rows.
// CHECK: memref.load %[[ROWS]][%c7
// CHECK: memref.load %[[ROWS]][%c3
// CHECK: memref.load %[[ROWS]][%c1
// CHECK: } {attune.tasks}
// CHECK: bufferization.to_tensor %[[C]] restrict writable
// REFERENCE: #[[$PANELS:.+]] = affine_map<(d0, d1, d2, d3) -> (d2 floordiv 32, d3, d2 mod 32)>
// REFERENCE-LABEL: func @partial
// REFERENCE-NOT: vector.fma
// REFERENCE: linalg.generic {indexing_maps = [#{{.*}}, #[[$PANELS]], #{{.*}}], iterator_types = ["parallel", "parallel", "parallel", "reduction"]}
module attributes {attune.target = {cpu = "sapphirerapids", lanes = 16 : i64, registers = 32 : i64}} {
func.func @partial(%x: tensor<?x?x64xf32>, %w: tensor<2x64x32xf32>) -> tensor<?x?x40xf32> {
  %y = attune.packed_matmul %x, %w {columns = 40 : i64} : tensor<?x?x64xf32>, tensor<2x64x32xf32> -> tensor<?x?x40xf32>
  return %y : tensor<?x?x40xf32>
}
}

// -----

// Whole panels need no masks. No target: AVX2's 6 rows x 2 vectors of 8 lanes.
// CHECK-LABEL: func @whole
// CHECK: memref.alloca() {alignment = 64 : i64} : memref<6x20xf32>
// CHECK: vector.fma %{{.*}} : vector<8xf32>
// CHECK-NOT: vector.maskedstore
// CHECK: } {attune.tasks}
func.func @whole(%x: tensor<?x20xf32>, %w: tensor<3x20x16xf32>) -> tensor<?x48xf32> {
  %y = attune.packed_matmul %x, %w {columns = 48 : i64} : tensor<?x20xf32>, tensor<3x20x16xf32> -> tensor<?x48xf32>
  return %y : tensor<?x48xf32>
}

// -----

// Panels of 12 columns are not whole 8-lane vectors: the reference loops, not the kernel.
// CHECK-LABEL: func @odd_width
// CHECK-NOT: scf.parallel
// CHECK: linalg.generic
// CHECK-NOT: vector.fma
func.func @odd_width(%x: tensor<?x20xf32>, %w: tensor<2x20x12xf32>) -> tensor<?x24xf32> {
  %y = attune.packed_matmul %x, %w {columns = 24 : i64} : tensor<?x20xf32>, tensor<2x20x12xf32> -> tensor<?x24xf32>
  return %y : tensor<?x24xf32>
}
